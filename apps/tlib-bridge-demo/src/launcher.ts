/**
 * The demo launcher: the simulated SIP Server, one headless endpoint per agent DN registered to
 * it, the T-Lib WebSocket API (`/tlib`) and an HTTP server on 127.0.0.1 with one thin web page
 * per agent (`/agent/<dn>`).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@sip-endpoint/base';
import type { EndpointOptions } from '@sip-endpoint/endpoint';
import { WebSocketServer } from 'ws';
import { startAgent, type HeadlessAgent } from './agents';
import { startSimulatedSipServer, type SimulatedSipServer } from './simulator/index';
import { TlibApi } from './tlib/server';

/** Options of {@link startTlibDemo}. */
export interface TlibDemoOptions {
  /** HTTP port for the pages and the WebSocket API (0 or absent: ephemeral). */
  httpPort?: number;
  /** SIP port of the simulated SIP Server (0 or absent: ephemeral). */
  sipPort?: number;
  /** The agent DNs (default 1001, 1002, 1003). */
  dns?: readonly string[];
  /** Password of every agent (REGISTER is digest-challenged; default `demo`). */
  password?: string;
  logger?: Logger;
  /** Extra options of every agent endpoint (tests pass audio sources here). */
  endpoint?: EndpointOptions;
  /** Interval of the EventRtpStats pushes (default 500 ms). */
  statsIntervalMs?: number;
}

/** A running demo. */
export interface TlibDemo {
  /** One thin-client URL per agent, `http://127.0.0.1:<port>/agent/<dn>`. */
  readonly urls: string[];
  /** The T-Lib WebSocket URL, `ws://127.0.0.1:<port>/tlib`. */
  readonly tlibUrl: string;
  readonly httpPort: number;
  readonly simulator: SimulatedSipServer;
  readonly agents: readonly HeadlessAgent[];
  /** Stops the pages, the agents (unregister, hang up) and the simulator. Resolves when all is closed. */
  dispose(): Promise<void>;
}

const PAGE = readFileSync(new URL('./web/agent.html', import.meta.url), 'utf8');

function indexPage(dns: readonly string[]): string {
  const links = dns.map((dn) => `<li><a href="/agent/${dn}">Agent ${dn}</a></li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>T-Lib bridge demo</title></head><body><h1>T-Lib bridge demo</h1><ul>${links}</ul></body></html>`;
}

/**
 * Starts the whole demo. Resolves once every agent is registered and the HTTP server listens;
 * rejects (after cleaning up what started) when one part cannot start.
 */
export async function startTlibDemo(options: TlibDemoOptions = {}): Promise<TlibDemo> {
  const dns = options.dns ?? ['1001', '1002', '1003'];
  const password = options.password ?? 'demo';
  const simulator = await startSimulatedSipServer({
    ...(options.sipPort ? { sipPort: options.sipPort } : {}),
    users: Object.fromEntries(dns.map((dn) => [dn, password])),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const agents: HeadlessAgent[] = [];
  let http: Server | undefined;
  let wss: WebSocketServer | undefined;
  let api: TlibApi | undefined;
  const dispose = async (): Promise<void> => {
    api?.dispose();
    wss?.close();
    http?.closeAllConnections();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await Promise.all(agents.map((a) => a.shutdown()));
    simulator.dispose();
  };
  try {
    for (const dn of dns) agents.push(await startAgent(dn, { registrar: simulator.registrarAddress, domain: simulator.domain, password, logger: options.logger, endpoint: options.endpoint }));
    api = new TlibApi(simulator, { ...(options.statsIntervalMs ? { statsIntervalMs: options.statsIntervalMs } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const m = /^\/agent\/([0-9A-Za-z_.+-]{1,32})$/.exec(path);
      const dn = m?.[1];
      if (dn !== undefined && dns.includes(dn)) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(PAGE.replaceAll('__DN__', dn));
      } else if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(indexPage(dns));
      } else if (path === '/api/calls') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(simulator.calls()));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    http = server;
    const tlib = api;
    wss = new WebSocketServer({ server, path: '/tlib' });
    wss.on('connection', (ws) => tlib.accept(ws));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.httpPort ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (e) {
    await dispose();
    throw e;
  }
  const httpPort = (http.address() as AddressInfo).port;
  return {
    urls: dns.map((dn) => `http://127.0.0.1:${httpPort}/agent/${dn}`),
    tlibUrl: `ws://127.0.0.1:${httpPort}/tlib`,
    httpPort,
    simulator,
    agents,
    dispose,
  };
}
