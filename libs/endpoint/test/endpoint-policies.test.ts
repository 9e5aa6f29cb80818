/**
 * What an agent must never see or leak: an incoming offer we cannot accept is refused with 488
 * before the phone rings (RFC 3261 §13.3.1); a call the agent holds carries none of her audio to
 * the held party; and `system.diagnostics.log_level` filters the endpoint's log live.
 */
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkLogger, ensureNoDisposablesAreLeakedInTestSuite, type LogRecord } from '@sip-endpoint/base';
import { Registrar, SipStack } from '@sip-endpoint/signaling';
import { ConnectionState, SessionState, createEndpoint, type Session } from '../src/index';
import { connect, party, reach, sleep, until, type Party } from './support/endpoints';

/** Sends one INVITE over UDP from an ephemeral port and collects the status codes answered. */
async function inviteWithOffer(port: number, user: string, sdp: string): Promise<number[]> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const local = sock.address().port;
  const statuses: number[] = [];
  sock.on('message', (m) => {
    const s = /^SIP\/2\.0 (\d{3})/.exec(m.toString('utf8'));
    if (s) statuses.push(Number(s[1]));
  });
  const callId = `policy-${Date.now()}@127.0.0.1`;
  const msg = [
    `INVITE sip:${user}@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-policy-${Date.now()};rport`,
    'Max-Forwards: 70',
    `From: <sip:customer@127.0.0.1:${local}>;tag=c1`,
    `To: <sip:${user}@127.0.0.1:${port}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:customer@127.0.0.1:${local}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
  sock.send(msg, port, '127.0.0.1');
  try {
    await until(() => statuses.some((s) => s >= 200), 5000, 'a final response to the INVITE');
    // ACK the non-2xx final response (RFC 3261 §17.1.1.3) so the server transaction completes.
    sock.send(
      [
        `ACK sip:${user}@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-policy-ack;rport`,
        'Max-Forwards: 70',
        `From: <sip:customer@127.0.0.1:${local}>;tag=c1`,
        `To: <sip:${user}@127.0.0.1:${port}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
      '127.0.0.1',
    );
    return statuses;
  } finally {
    sock.close();
  }
}

const sdpOffering = (formats: string): string =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 40990 RTP/AVP ${formats.split(' ')[0]}`, formats.split(' ').slice(1).join(' '), ''].filter(Boolean).join('\r\n') + '\r\n';

describe('endpoint: policies an agent relies on', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });
  const make = async (name: string, hz: number, config: Record<string, unknown> = {}, options = {}): Promise<Party> => {
    const p = await party(name, hz, config, options);
    parties.push(p);
    return p;
  };
  const sent = (s: Session): number => s.statistics()?.raw.packetsSent ?? 0;

  it('an INVITE offering only codecs we lack gets 488 before any ringing, and no session appears; a good call still works', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    const added: Session[] = [];
    alice.endpoint.onDidAddSession((e) => added.push(e.session));
    const port = alice.endpoint.connections[0]!.localPort!;
    const statuses = await inviteWithOffer(port, 'alice', sdpOffering('96 a=rtpmap:96 AMR/8000'));
    expect(statuses).not.toContain(180);
    expect(statuses.filter((s) => s >= 200)).toEqual([488]);
    expect(added).toHaveLength(0);
    expect(alice.endpoint.sessions).toHaveLength(0);

    const { out, inc } = await connect(bob, alice);
    expect(inc.state).toBe(SessionState.Connected);
    await until(() => sent(out) > 10 && sent(inc) > 10, 5000, 'RTP both ways');
    await out.hangup();
  });

  it('broken SDP in an INVITE gets 400, not a ringing call', async () => {
    const alice = await make('alice', 1000);
    const statuses = await inviteWithOffer(alice.endpoint.connections[0]!.localPort!, 'alice', 'this is not sdp\r\n');
    expect(statuses).not.toContain(180);
    expect(statuses.filter((s) => s >= 200)).toEqual([400]);
    expect(alice.endpoint.sessions).toHaveLength(0);
  });

  it('while the agent holds the call she sends no audio (sendonly offered, nothing sent); retrieve resumes it', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    const { out, inc } = await connect(alice, bob);
    await until(() => sent(out) > 20, 5000, 'audio before hold');
    await out.hold();
    await until(() => out.held && inc.held, 5000, 'both sides held');
    await sleep(200);
    const a0 = sent(out);
    await sleep(800);
    // 800 ms of 20 ms packets would be ~40: nothing may leave while held.
    expect(sent(out) - a0).toBeLessThanOrEqual(1);
    await out.retrieve();
    await until(() => !out.held && !inc.held, 5000, 'both sides retrieved');
    const a1 = sent(out);
    await sleep(600);
    expect(sent(out) - a1).toBeGreaterThan(15);
    await out.hangup();
    await reach(inc, SessionState.Disconnected, 5000);
  });

  it('system.diagnostics.log_level filters the log at once: info (3) hides debug, debug (4) shows it, error (1) hides info', async () => {
    const records: LogRecord[] = [];
    const logger = new SinkLogger((r) => records.push(r), 'trace');
    const alice = await make('alice', 1000, {}, { logger });
    const bob = await make('bob', 500);
    const callOnce = async (): Promise<LogRecord[]> => {
      records.length = 0;
      const { out } = await connect(alice, bob);
      await out.hangup();
      await sleep(50);
      return [...records];
    };
    expect(alice.endpoint.getConfigSetting('system.diagnostics.log_level')).toBe('3');
    const atInfo = await callOnce();
    expect(atInfo.some((r) => r.level === 'info')).toBe(true);
    expect(atInfo.filter((r) => r.level === 'debug' || r.level === 'trace')).toEqual([]);

    alice.endpoint.setConfigSetting('system.diagnostics.log_level', '4');
    const atDebug = await callOnce();
    expect(atDebug.some((r) => r.level === 'debug' || r.level === 'trace')).toBe(true);

    alice.endpoint.setConfigSetting('system.diagnostics.log_level', '1');
    const atError = await callOnce();
    expect(atError.filter((r) => r.level !== 'error')).toEqual([]);
  });

  it('at log_level 4 every SIP message is traced with the digest response redacted; at 3 none is', async () => {
    const registrarStack = await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] });
    const registrar = new Registrar(registrarStack, { domain: '127.0.0.1', credentials: (user) => ({ username: user, password: `pw-${user}` }) });
    const records: LogRecord[] = [];
    const logger = new SinkLogger((r) => records.push(r), 'trace');
    const register = async (level: number): Promise<LogRecord[]> => {
      records.length = 0;
      const endpoint = await createEndpoint(
        {
          connectivity: [{ user: 'agent', server: `127.0.0.1:${registrarStack.listeningPoints[0]!.port}`, protocol: 'UDP' }],
          proxies: [{ reg_timeout: 3600, password: 'pw-agent' }],
          system: { diagnostics: { log_level: level } },
        } as never,
        { ephemeralPorts: true, listenAddress: '127.0.0.1', logger, media: false },
      );
      try {
        await until(() => endpoint.connections[0]!.state === ConnectionState.Ready, 5000, 'registered');
      } finally {
        await endpoint.shutdown();
      }
      return records.filter((r) => r.message === 'SIP sent' || r.message === 'SIP received');
    };
    try {
      const traced = await register(4);
      const texts = traced.map((r) => String(r.fields?.['message'] ?? ''));
      expect(texts.some((t) => t.startsWith('REGISTER sip:') && /^Authorization: Digest /m.test(t))).toBe(true);
      expect(texts.some((t) => t.startsWith('SIP/2.0 401'))).toBe(true);
      for (const t of texts.filter((x) => /^Authorization:/m.test(x))) {
        expect(t).toMatch(/response="<redacted>"/);
        expect(t).not.toMatch(/response="[0-9a-f]{32}"/);
      }
      expect(await register(3)).toEqual([]);
    } finally {
      registrar.dispose();
      registrarStack.dispose();
    }
  });
});
