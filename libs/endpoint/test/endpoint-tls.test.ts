/**
 * TLS lines (`protocol="TLS"`, RFC 3261 §26.2) at endpoint level, with a self-signed certificate
 * made by `openssl` for this run (SAN 127.0.0.1): two endpoints call each other over TLS with
 * audio both ways, a line registers over TLS (digest) to our signaling `Registrar` on a TLS
 * stack, and a line that does not trust the server's certificate fails cleanly.
 * Config keys: `sip.tls.certFile` / `keyFile` (what we present when listening), `sip.tls.caFile`
 * (what we trust when connecting), `sip.tls.verifyPeer`, `sip.transports.tls.port`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { Registrar, SipStack } from '@sip-endpoint/signaling';
import { NullSink, NullSource } from '@sip-endpoint/media-native';
import { ConnectionState, createEndpoint, SessionState, type Endpoint } from '../src/index';
import { connect, dominant, party, reach, sleep, until, type Party } from './support/endpoints';

let dir = '';
let certFile = '';
let keyFile = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'endpoint-tls-'));
  certFile = join(dir, 'cert.pem');
  keyFile = join(dir, 'key.pem');
  // A self-signed certificate for 127.0.0.1; it is also the CA every side trusts (caFile).
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore', timeout: 20_000 },
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tlsConfig = (): Record<string, unknown> => ({ sip: { tls: { certFile, keyFile, caFile: certFile } } });

describe('endpoint: TLS lines', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const endpoints: Endpoint[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const e of endpoints.splice(0)) await e.shutdown();
    for (const p of parties) for (const s of p.sinks) s.dispose();
    for (const c of cleanups.splice(0).reverse()) c();
  });

  const tlsParty = async (name: string, hz: number): Promise<Party> => {
    const p = await party(name, hz, { connectivity: [{ user: name, server: '127.0.0.1:5', protocol: 'TLS' }], proxies: [{ reg_timeout: 0 }], ...tlsConfig() });
    parties.push(p);
    return p;
  };

  it('two endpoints call each other over TLS with audio both ways', async () => {
    const alice = await tlsParty('alice', 1000);
    const bob = await tlsParty('bob', 500);
    expect(bob.uri).toMatch(/^sips:bob@127\.0\.0\.1:\d+/);
    const protocols = new Set<string>();
    bob.endpoint.connections[0]!.userAgent!.stack.onDidLogMessage(({ protocol }) => protocols.add(protocol));
    const { out, inc } = await connect(alice, bob);
    expect(out.id).toBe(inc.id);
    await sleep(500);
    const pull = async (p: Party): Promise<Int16Array> => {
      const sink = p.sinks[0]!;
      sink.pull();
      await sleep(600);
      return sink.pull();
    };
    expect(dominant(await pull(bob), [500, 1000]).freq).toBe(1000);
    expect(dominant(await pull(alice), [500, 1000]).freq).toBe(500);
    await out.hangup();
    await reach(inc, SessionState.Disconnected);
    expect([...protocols]).toEqual(['tls']);
  });

  const tlsRegistrar = async (): Promise<{ port: number; registrar: Registrar }> => {
    const stack = await SipStack.create({ listen: [{ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } }] });
    const registrar = new Registrar(stack, { domain: '127.0.0.1', credentials: (user) => ({ username: user, password: `pw-${user}` }) });
    cleanups.push(() => stack.dispose(), () => registrar.dispose());
    return { port: stack.listeningPoints[0]!.port, registrar };
  };

  const tlsLines = async (users: string[], server: string, config: Record<string, unknown>): Promise<Endpoint> => {
    const ep = await createEndpoint(
      {
        connectivity: users.map((user) => ({ user, server, protocol: 'TLS' })),
        proxies: users.map((user) => ({ reg_timeout: 3600, reg_interval: 60, password: `pw-${user}` })),
        ...config,
      } as never,
      { ephemeralPorts: true, listenAddress: '127.0.0.1', mediaEngine: { rtpPortMin: 40000, rtpPortMax: 49999 }, audio: { createSource: () => new NullSource(), createSink: () => new NullSink() } },
    );
    endpoints.push(ep);
    return ep;
  };

  it('two TLS lines register (digest) to a Registrar on a TLS stack, over one shared TLS listening point', async () => {
    const { port, registrar } = await tlsRegistrar();
    const ep = await tlsLines(['7001', '7002'], `127.0.0.1:${port}`, tlsConfig());
    await until(() => ep.connections.every((c) => c.state === ConnectionState.Ready), 10_000, 'TLS lines Ready');
    expect(ep.connections[0]!.localPort).toBe(ep.connections[1]!.localPort);
    for (const user of ['7001', '7002']) {
      const b = registrar.bindings(`sip:${user}@127.0.0.1`);
      expect(b).toHaveLength(1);
      const uri = b[0]!.contact.uri;
      // RFC 3261 §26.2.2 / §19.1.4: a TLS Contact is sips: (or carries transport=tls).
      const secure = uri.kind === 'sip' && (uri.scheme === 'sips' || uri.params.get('transport') === 'tls');
      expect(secure).toBe(true);
    }
  });

  it('a TLS line that does not trust the server certificate goes Failed (no binding, no crash)', async () => {
    const { port, registrar } = await tlsRegistrar();
    // No caFile: Node's bundled roots do not know our self-signed certificate.
    const ep = await tlsLines(['7101'], `127.0.0.1:${port}`, { sip: { tls: { certFile, keyFile } } });
    await until(() => ep.connections[0]!.state === ConnectionState.Failed, 15_000, 'TLS line Failed');
    expect(registrar.bindings('sip:7101@127.0.0.1')).toHaveLength(0);
    expect(ep.connections[0]!.lastError ?? '').not.toBe('');
  });
});
