/**
 * Calls between two of our user agents over TLS (RFC 3261 §26.2, RFC 5630) with the test
 * certificates of test/fixtures/tls: with the test CA configured the call establishes (for a
 * `sips:` URI and for `sip:...;transport=tls`), and an untrusted server certificate makes the call
 * fail cleanly (request-failed, 503) without an unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SessionState, UserAgent, type InviteSession, type SipMessage } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';
import { pem } from './transport-helpers';

ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

const cleanups: (() => Promise<void> | void)[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  process.off('unhandledRejection', onUnhandled);
});

async function tlsUa(name: string, cert: 'server' | 'untrusted', incoming: InviteSession[] = [], log: SipMessage[] = []): Promise<UserAgent> {
  const ua = await UserAgent.create({
    aor: `sip:${name}@127.0.0.1`,
    transport: 'tls',
    stack: {
      listen: [{ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { cert: pem(`${cert}.pem`), key: pem(`${cert}.key`) } }],
      timers: { t1Ms: 100, t2Ms: 400 },
      transport: { tls: { ca: pem('ca.pem') } },
    },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    delegate: {
      onInvite: (s) => {
        incoming.push(s);
        void s.accept().catch(() => undefined);
      },
    },
  });
  ua.stack.onDidLogMessage((m) => log.push(m.message));
  cleanups.push(() => ua.dispose());
  return ua;
}

function waitState(s: InviteSession, want: SessionState, ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.state === want) return resolve();
    const t = setTimeout(() => reject(new Error(`session did not reach ${want} (is ${s.state})`)), ms);
    const sub = s.onDidChangeState((e) => {
      if (e.state !== want) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

describe('calls over TLS', () => {
  it.each([
    ['sips: URI', (port: number) => `sips:bob@127.0.0.1:${port}`],
    ['sip: URI with transport=tls', (port: number) => `sip:bob@127.0.0.1:${port};transport=tls`],
    // RFC 3261 §26.2.2 / RFC 5630: in a SIPS URI the transport is independent of TLS; TCP means TLS over TCP.
    ['sips: URI with transport=tcp', (port: number) => `sips:bob@127.0.0.1:${port};transport=tcp`],
  ])('establishes and hangs up with the test CA trusted (%s)', async (_name, target) => {
    const incoming: InviteSession[] = [];
    const aliceLog: SipMessage[] = [];
    const bob = await tlsUa('bob', 'server', incoming);
    const alice = await tlsUa('alice', 'server', [], aliceLog);
    const s = alice.invite(target(bob.stack.listeningPoints[0]!.port));
    await waitState(s, SessionState.Established);
    await waitState(incoming[0]!, SessionState.Established);
    const invite = aliceLog.find((m) => m.startLine().startsWith('INVITE'))!;
    expect(invite.headers.get('Via')).toMatch(/^SIP\/2\.0\/TLS /);
    // RFC 5630 §3.1.3: our Contact over TLS is a sips: URI.
    expect(invite.headers.get('Contact')).toMatch(/<sips:alice@127\.0\.0\.1:\d+/);
    // Bob hangs up: his BYE goes back over TLS to alice's Contact.
    await incoming[0]!.bye();
    await waitState(s, SessionState.Terminated);
    expect(s.ended?.cause).toBe('remote-bye');
    expect(incoming[0]!.ended).toMatchObject({ cause: 'local-bye', statusCode: 200 });
    for (const c of alice.stack.transport.openConnections) expect(c.protocol).toBe('tls');
    expect(unhandled).toEqual([]);
  });

  it('fails cleanly when the server certificate is not trusted: request-failed, 503, no unhandled rejection', async () => {
    const incoming: InviteSession[] = [];
    const bob = await tlsUa('bob', 'untrusted', incoming);
    const alice = await tlsUa('alice', 'server');
    const s = alice.invite(`sips:bob@127.0.0.1:${bob.stack.listeningPoints[0]!.port}`);
    await waitState(s, SessionState.Terminated);
    expect(s.ended).toMatchObject({ cause: 'request-failed', statusCode: 503 });
    expect(incoming).toHaveLength(0);
    expect(alice.activeSessions).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});
