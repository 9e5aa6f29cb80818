/**
 * The sample desktop launcher: `npm start` starts the embedded simulated SIP Server and one
 * desktop host per agent (2001 and 2002 by default), prints their URLs and runs until Ctrl-C.
 * With `--config <file.xml>` (repeatable) it runs one host per Genesys config file against the
 * registrar it names (e.g. Kamailio) and no simulator.
 *
 * ```
 * npm start -w @sip-endpoint/sample-desktop
 * npm start -w @sip-endpoint/sample-desktop -- --agents 2001,2002,2003 --port 8081
 * npm start -w @sip-endpoint/sample-desktop -- --config config/kamailio.example.xml
 * ```
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SinkLogger, consoleSink, type Logger } from '@sip-endpoint/base';
import type { EndpointDeviceOptions } from '@sip-endpoint/endpoint';
// The simulator is published as the `./simulator` entry of the demo app (its package exports),
// not a main entry, which the generic deep-import rule cannot tell apart; and Nx forbids
// importing an application project, though the `scope:sim-app` tag exists for this import.
// eslint-disable-next-line no-restricted-imports, @nx/enforce-module-boundaries
import { startSimulatedSipServer, type SimulatedSipServer } from '@sip-endpoint/tlib-bridge-demo/simulator';
import { startDesktopHost, type DesktopHost, type DesktopHostOptions } from './host/index';

/** Options of {@link startSampleDesktop}. */
export interface SampleDesktopOptions {
  /** The agents' DNs (simulator mode; default `['2001', '2002']`). */
  readonly agents?: readonly string[];
  /** Genesys config files, one host each (real-registrar mode: no simulator is started). */
  readonly configFiles?: readonly string[];
  /** First HTTP port; agent i listens on `port + i` (default 0: ephemeral ports). */
  readonly port?: number;
  /** SIP port of the simulator (default 0: ephemeral). */
  readonly sipPort?: number;
  /** Where the calls are recorded (default `<tmp>/sample-desktop-recordings`). */
  readonly recordDir?: string;
  /**
   * How calls between agents of the simulator travel: `server` (default: through the
   * simulator's B2BUA and RTP relay, as with a real SIP Server; the callee sees the caller's
   * DN, blind and attended REFER transfers are carried out by the server) or `direct` (the
   * registrar is the directory: a DN is called at the contact it registered, peer to peer).
   */
  readonly routing?: 'direct' | 'server';
  /** How the hosts serve the UI (see `DesktopHostOptions.ui`). */
  readonly ui?: DesktopHostOptions['ui'];
  /** Statistics period (ms) of the quality graph. */
  readonly statsIntervalMs?: number;
  /**
   * The sound card enumeration of an agent's endpoint (`EndpointOptions.devices`; default: the
   * system's, polled every 2 s), by the agent's DN (simulator mode) or its config file path as
   * given (config mode). Tests inject a fake enumerator to plug and unplug cards.
   */
  readonly devicesFor?: (agent: string) => EndpointDeviceOptions | undefined;
  readonly logger?: Logger;
}

/** A running sample desktop. */
export interface SampleDesktop {
  /** The simulator (undefined in real-registrar mode). */
  readonly simulator: SimulatedSipServer | undefined;
  /** One host per agent, in order. */
  readonly hosts: readonly { readonly agent: string; readonly host: DesktopHost }[];
  readonly recordDir: string;
  /** Stops the hosts (BYE, un-REGISTER), then the simulator. */
  dispose(): Promise<void>;
}

/** Different tones per agent, so a recording tells who was heard. */
const TONES = [440, 1000, 700, 1300, 550] as const;
const tone = (i: number): number => TONES[i % TONES.length] ?? 440;

/**
 * Starts the sample desktop: the simulator (unless config files are given) and one host per
 * agent. Resolves once every host listens and every simulator agent is registered (bounded:
 * rejects after 15 s); on failure everything started so far is stopped.
 */
export async function startSampleDesktop(options: SampleDesktopOptions = {}): Promise<SampleDesktop> {
  const recordDir = options.recordDir ?? join(tmpdir(), 'sample-desktop-recordings');
  const hosts: { agent: string; host: DesktopHost }[] = [];
  let simulator: SimulatedSipServer | undefined;
  const dispose = async (): Promise<void> => {
    await Promise.all(hosts.map((h) => h.host.dispose().catch(() => undefined)));
    simulator?.dispose();
  };
  const common = {
    recordDir,
    ...(options.ui ? { ui: options.ui } : {}),
    ...(options.statsIntervalMs ? { statsIntervalMs: options.statsIntervalMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const port = (i: number): number => (options.port ? options.port + i : 0);
  const devicesOf = (agent: string): { devices?: EndpointDeviceOptions } => {
    const d = options.devicesFor?.(agent);
    return d ? { devices: d } : {};
  };
  try {
    if (options.configFiles && options.configFiles.length > 0) {
      for (const [i, file] of options.configFiles.entries()) {
        const host = await startDesktopHost({ ...common, config: resolve(file), httpPort: port(i), toneHz: tone(i), endpointOptions: devicesOf(file) });
        hosts.push({ agent: host.snapshot().agent, host });
      }
    } else {
      const sim = await startSimulatedSipServer({ sipPort: options.sipPort ?? 0, ...(options.logger ? { logger: options.logger } : {}) });
      simulator = sim;
      const routing = options.routing ?? 'server';
      // A bare DN (dial, transfer and consult targets): its registered contact (direct), or the
      // DN at the SIP Server's domain (server), so that a REFER's Refer-To is a SIP URI too.
      const directory = (target: string): string | undefined =>
        /^\d+$/.test(target) ? (routing === 'direct' ? sim.contactOf(target) : `sip:${target}@${sim.domain}`) : undefined;
      const agents = options.agents ?? ['2001', '2002'];
      for (const [i, agent] of agents.entries()) {
        const host = await startDesktopHost({
          ...common,
          config: {
            connectivity: [{ user: agent, server: sim.registrarAddress, protocol: 'UDP' }],
            proxies: [{ reg_timeout: 300, reg_interval: 2 }],
          } as never,
          httpPort: port(i),
          toneHz: tone(i),
          directory,
          endpointOptions: { ephemeralPorts: true, domain: sim.domain, ...devicesOf(agent) },
        });
        hosts.push({ agent, host });
      }
      const deadline = Date.now() + 15_000;
      while (agents.some((a) => !sim.contactOf(a))) {
        if (Date.now() > deadline) throw new Error(`agents not registered within 15 s: ${agents.filter((a) => !sim.contactOf(a)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } catch (e) {
    await dispose();
    throw e;
  }
  return { simulator, hosts, recordDir, dispose };
}

function parseArgs(argv: readonly string[]): SampleDesktopOptions {
  const o: { -readonly [K in keyof SampleDesktopOptions]: SampleDesktopOptions[K] } = {};
  const configFiles: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--verbose') {
      o.logger = new SinkLogger(consoleSink, 'info');
      continue;
    }
    if (a === '--help' || a === '-h') {
      console.log('usage: start [--agents 2001,2002] [--port 8081] [--sip-port 5060] [--record-dir dir] [--routing server|direct] [--config file.xml ...] [--verbose]');
      process.exit(0);
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    switch (a) {
      case '--config':
        configFiles.push(v);
        break;
      case '--agents':
        o.agents = v.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case '--port':
        o.port = Number(v);
        break;
      case '--sip-port':
        o.sipPort = Number(v);
        break;
      case '--record-dir':
        o.recordDir = resolve(v);
        break;
      case '--routing':
        if (v !== 'direct' && v !== 'server') throw new Error('--routing is direct or server');
        o.routing = v;
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  if (configFiles.length) o.configFiles = configFiles;
  return o;
}

async function main(): Promise<void> {
  const desktop = await startSampleDesktop(parseArgs(process.argv.slice(2)));
  if (desktop.simulator) console.log(`Simulated SIP Server on udp/tcp ${desktop.simulator.registrarAddress} (domain ${desktop.simulator.domain})`);
  for (const { agent, host } of desktop.hosts) console.log(`Agent ${agent}: ${host.url}`);
  console.log(`Recordings (received audio, one WAV per call): ${desktop.recordDir}`);
  console.log('Open two of the URLs, dial the other agent\'s number, answer. Ctrl-C stops.');
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('stopping…');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void desktop.dispose().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
