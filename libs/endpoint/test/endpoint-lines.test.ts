/**
 * Several lines of one endpoint: lines of one protocol share one stack (one SIP port), register
 * each its own AOR (digest, to our signaling `Registrar`), and incoming requests reach the line
 * named by the Request-URI user. A line whose user is already on the shared stack gets its own.
 * Also the signaling-only option (`EndpointOptions.media: false`).
 */
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { Registrar, SipStack, type SipMessage } from '@sip-endpoint/signaling';
import { NullSink, NullSource } from '@sip-endpoint/media-native';
import { ConnectionState, createEndpoint, SessionState, type Endpoint } from '../src/index';
import { nextSession, party, reach, until, type Party } from './support/endpoints';

describe('endpoint: lines sharing a stack', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const endpoints: Endpoint[] = [];
  const parties: Party[] = [];
  let registrarStack: SipStack | undefined;
  let registrar: Registrar | undefined;

  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const e of endpoints.splice(0)) await e.shutdown();
    registrar?.dispose();
    registrarStack?.dispose();
    registrar = undefined;
    registrarStack = undefined;
  });

  const startRegistrar = async (): Promise<number> => {
    registrarStack = await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] });
    registrar = new Registrar(registrarStack, { domain: '127.0.0.1', credentials: (user) => ({ username: user, password: `pw-${user}` }) });
    return registrarStack.listeningPoints[0]!.port;
  };

  const linesEndpoint = async (users: string[], server: string, extra: Record<string, unknown> = {}): Promise<Endpoint> => {
    const ep = await createEndpoint(
      {
        connectivity: users.map((user) => ({ user, server, protocol: 'UDP' })),
        proxies: users.map((user) => ({ reg_timeout: 3600, password: `pw-${user}` })),
        ...extra,
      } as never,
      { ephemeralPorts: true, listenAddress: '127.0.0.1', mediaEngine: { rtpPortMin: 40000, rtpPortMax: 49999 }, audio: { createSource: () => new NullSource(), createSink: () => new NullSink() } },
    );
    endpoints.push(ep);
    return ep;
  };

  it('three lines share one SIP port, each registers its own AOR with its own user in the Contact', async () => {
    const regPort = await startRegistrar();
    const ep = await linesEndpoint(['2001', '2002', '2003'], `127.0.0.1:${regPort}`);
    await until(() => ep.connections.every((c) => c.state === ConnectionState.Ready), 10_000, 'every line Ready');
    const ports = new Set(ep.connections.map((c) => c.localPort));
    expect(ports.size).toBe(1);
    const port = [...ports][0]!;
    expect(port).toBeGreaterThan(0);
    // One stack object behind every line.
    expect(new Set(ep.connections.map((c) => c.userAgent!.stack)).size).toBe(1);
    for (const user of ['2001', '2002', '2003']) {
      const b = registrar!.bindings(`sip:${user}@127.0.0.1`);
      expect(b).toHaveLength(1);
      const uri = b[0]!.contact.uri;
      expect(uri.kind === 'sip' && uri.user).toBe(user);
      expect(uri.kind === 'sip' && uri.port).toBe(port);
    }
  });

  it('an incoming call reaches the line named by the Request-URI user (unknown user: the first line); the BYE ends that line\'s session', async () => {
    const ep = await createEndpoint(
      {
        connectivity: ['3001', '3002', '3003'].map((user) => ({ user, server: '127.0.0.1:5', protocol: 'UDP' })),
        proxies: [{ reg_timeout: 0 }, { reg_timeout: 0 }, { reg_timeout: 0 }],
      } as never,
      { ephemeralPorts: true, listenAddress: '127.0.0.1', mediaEngine: { rtpPortMin: 40000, rtpPortMax: 49999 }, audio: { createSource: () => new NullSource(), createSink: () => new NullSink() } },
    );
    endpoints.push(ep);
    const caller = await party('caller', 1000);
    parties.push(caller);
    const [, second, third] = ep.connections;
    expect(second!.localPort).toBe(third!.localPort);
    expect(second!.contactUri).toMatch(/^sip:3002@127\.0\.0\.1:\d+$/);

    for (const line of [third!, second!]) {
      const incoming = nextSession(ep);
      const out = caller.endpoint.dial(line.contactUri!);
      const inc = await incoming;
      expect(inc.connection.id).toBe(line.id);
      await inc.answer();
      await reach(out, SessionState.Connected);
      // In-dialog: the BYE's Request-URI is the line's Contact.
      await out.hangup();
      await reach(inc, SessionState.Disconnected);
      expect(inc.endCause?.by).toBe('remote');
    }
    // A Request-URI with a user no line has goes to the first line on the stack.
    {
      const incoming = nextSession(ep);
      const out = caller.endpoint.dial(`sip:nobody@127.0.0.1:${second!.localPort}`);
      const inc = await incoming;
      expect(inc.connection.id).toBe(ep.connections[0]!.id);
      inc.reject(486);
      await reach(out, SessionState.Disconnected);
      expect(out.endCause?.code).toBe(486);
    }
    // An outgoing call from the second line carries its user in From and Contact.
    const inCaller = nextSession(caller.endpoint);
    const out = ep.dial(caller.uri, { connection: second!.id });
    const atCaller = await inCaller;
    expect(atCaller.remote).toContain('3002@');
    await atCaller.answer();
    await reach(out, SessionState.Connected);
    await atCaller.hangup();
    await reach(out, SessionState.Disconnected);
  });

  it('a second line with the same user gets a stack of its own; both register', async () => {
    const regPort = await startRegistrar();
    const ep = await linesEndpoint(['4001', '4001', '4002'], `127.0.0.1:${regPort}`);
    await until(() => ep.connections.every((c) => c.state === ConnectionState.Ready), 10_000, 'every line Ready');
    const [a, b, c] = ep.connections;
    expect(a!.localPort).toBe(c!.localPort);
    expect(b!.localPort).not.toBe(a!.localPort);
    expect(registrar!.bindings('sip:4001@127.0.0.1')).toHaveLength(2);
  });

  it('shutting down every line closes the shared stack (REGISTER Expires: 0 from each line first)', async () => {
    const regPort = await startRegistrar();
    const ep = await linesEndpoint(['5001', '5002'], `127.0.0.1:${regPort}`);
    await until(() => ep.connections.every((c) => c.state === ConnectionState.Ready), 10_000, 'every line Ready');
    const port = ep.connections[0]!.localPort!;
    await ep.shutdown();
    expect(ep.connections.every((c) => c.state === ConnectionState.Disabled)).toBe(true);
    expect(registrar!.bindings('sip:5001@127.0.0.1')).toHaveLength(0);
    expect(registrar!.bindings('sip:5002@127.0.0.1')).toHaveLength(0);
    // The shared port is free again: the stack closed its socket.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
  });
});

describe('endpoint: dial errors', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('a dial target the user agent refuses throws and leaves no session or media bridge behind', async () => {
    const p = await party('dialer', 1000);
    try {
      expect(() => p.endpoint.dial('<sip:a@b;>>')).toThrow();
      expect(() => p.endpoint.dial('sip:@')).toThrow();
      expect(p.endpoint.sessions).toHaveLength(0);
    } finally {
      await p.endpoint.shutdown();
    }
  });
});

describe('endpoint: signaling only (media: false)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });

  it('answers with a valid SDP (configured codecs, port 9) and starts no engine stream', async () => {
    const uas = await party('sigonly', 500, { policy: { session: { auto_answer: true } } }, { media: false });
    const caller = await party('caller', 1000);
    parties.push(uas, caller);
    const bodies: string[] = [];
    caller.endpoint.connections[0]!.userAgent!.stack.onDidLogMessage(({ direction, message }: { direction: string; message: SipMessage }) => {
      if (direction === 'in' && !message.isRequest && message.status === 200 && message.body.length) bodies.push(message.body.toString('utf8'));
    });
    const incoming = nextSession(uas.endpoint);
    const out = caller.endpoint.dial(uas.uri);
    const inc = await incoming;
    await reach(out, SessionState.Connected);
    await reach(inc, SessionState.Connected);
    expect(bodies.length).toBeGreaterThan(0);
    const sdp = bodies[0]!;
    expect(sdp).toMatch(/^m=audio 9 RTP\/AVP [\d ]*\b0\b/m);
    expect(sdp).toMatch(/a=rtpmap:0 PCMU\/8000/);
    expect(sdp).toMatch(/^c=IN IP4 127\.0\.0\.1/m);
    expect(inc.mediaStream).toBeUndefined();
    expect(uas.sinks).toHaveLength(0);
    // The caller (with media) has its stream.
    expect(out.mediaStream).toBeDefined();
    await out.hangup();
    await reach(inc, SessionState.Disconnected);
  });
});
