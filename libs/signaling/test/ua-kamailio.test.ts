/**
 * Protocol tests against Kamailio (a real registrar and proxy) on 127.0.0.1: registration with
 * digest authentication (qop=auth), 423 Min-Expires, unregistration, and a call between two of
 * our user agents registered with it, routed through the proxy (407 challenge, Record-Route,
 * in-dialog requests via loose routing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistrationState, SessionState, UserAgent, type InviteSession, type Registration, type RegistrationStateChange } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';
import { freePort, hasProgram, startKamailio, type PeerProcess } from './support/peers';

if (!hasProgram('/usr/sbin/kamailio')) throw new Error('Kamailio is missing: install the Debian package kamailio (.ci/run does)');

let kamailio: PeerProcess;
let port: number;

beforeAll(async () => {
  port = await freePort();
  kamailio = await startKamailio(port);
});
afterAll(async () => {
  await kamailio?.stop();
});

async function newUa(user: string, password = 'secret', onInvite?: (s: InviteSession) => void): Promise<{ ua: UserAgent; trace: string[] }> {
  const trace: string[] = [];
  const ua = await UserAgent.create({
    aor: `sip:${user}@test.local`,
    credentials: { username: user, password },
    outboundProxy: `sip:127.0.0.1:${port};lr`,
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    delegate: onInvite ? { onInvite } : {},
  });
  ua.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()}`));
  return { ua, trace };
}

function waitFor(reg: Registration, state: RegistrationState, timeoutMs = 5000): Promise<RegistrationStateChange> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`registration did not reach ${state} (is ${reg.state})\n${kamailio.output().slice(-3000)}`)), timeoutMs);
    const sub = reg.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve(e);
    });
  });
}

function waitForSession(s: InviteSession, state: SessionState, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.state === state) return resolve();
    const t = setTimeout(() => reject(new Error(`session did not reach ${state} (is ${s.state})\n${kamailio.output().slice(-3000)}`)), timeoutMs);
    const sub = s.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

describe('registration with Kamailio', () => {
  it('registers through a digest challenge (qop=auth), then unregisters', async () => {
    const { ua, trace } = await newUa('alice');
    try {
      const reg = ua.createRegistration({ expires: 120 });
      const done = waitFor(reg, RegistrationState.Registered);
      reg.register();
      const ok = await done;
      expect(ok.expires).toBe(120);
      expect(ok.response?.status).toBe(200);
      expect(trace.filter((l) => l.startsWith('out REGISTER'))).toHaveLength(2);
      expect(trace).toContain('in SIP/2.0 401 Unauthorized');
      await reg.unregister();
      expect(reg.state).toBe(RegistrationState.Unregistered);
    } finally {
      ua.dispose();
    }
  });

  it('retries with Min-Expires after 423 Interval Too Brief', async () => {
    const { ua, trace } = await newUa('carol');
    try {
      const reg = ua.createRegistration({ expires: 10 });
      const done = waitFor(reg, RegistrationState.Registered);
      reg.register();
      const ok = await done;
      expect(trace).toContain('in SIP/2.0 423 Interval Too Brief');
      expect(ok.expires).toBeGreaterThanOrEqual(30);
      await reg.unregister();
    } finally {
      ua.dispose();
    }
  });

  it('reports wrong credentials as a state change with a retry, not an exception', async () => {
    const { ua } = await newUa('dave', 'not-the-password');
    try {
      const reg = ua.createRegistration({ expires: 60, retryIntervalMs: 60_000 });
      const failed = waitFor(reg, RegistrationState.RetryWait);
      reg.register();
      const e = await failed;
      expect(e.response?.status).toBe(401);
      expect(e.retryInMs).toBe(60_000);
    } finally {
      ua.dispose();
    }
  });
});

describe('a call through Kamailio between two registered user agents', () => {
  it('bob calls alice via the proxy; alice answers; alice holds; bob hangs up', async () => {
    const answered: InviteSession[] = [];
    const alice = await newUa('alice', 'secret', (s) => {
      answered.push(s);
      s.progress(180);
      void s.accept();
    });
    const bob = await newUa('bob');
    try {
      for (const u of [alice, bob]) {
        const reg = u.ua.createRegistration({ expires: 300 });
        const ok = waitFor(reg, RegistrationState.Registered);
        reg.register();
        await ok;
      }
      const call = bob.ua.invite('sip:alice@test.local');
      await waitForSession(call, SessionState.Established);
      expect(bob.trace).toContain('in SIP/2.0 407 Proxy Authentication Required');
      expect(answered).toHaveLength(1);
      const incoming = answered[0]!;
      await waitForSession(incoming, SessionState.Established);
      // The proxy record-routed the call: the in-dialog requests go through it (loose routing).
      expect(call.dialog?.routeSet.length).toBe(1);
      expect(incoming.dialog?.routeSet.length).toBe(1);
      await incoming.hold();
      expect(call.remoteHold).toBe(true);
      await call.bye();
      await waitForSession(incoming, SessionState.Terminated);
      expect(incoming.ended?.cause).toBe('remote-bye');
      expect(call.ended).toMatchObject({ cause: 'local-bye', statusCode: 200 });
    } finally {
      alice.ua.dispose();
      bob.ua.dispose();
    }
  });
});

describe('a call through Kamailio to a user who is not registered', () => {
  it('gets 404 Not Found from the proxy after the digest challenge (no hanging INVITE)', async () => {
    const bob = await newUa('bob');
    try {
      const call = bob.ua.invite('sip:nobody@test.local');
      await waitForSession(call, SessionState.Terminated);
      expect(bob.trace).toContain('in SIP/2.0 407 Proxy Authentication Required');
      expect(call.ended).toMatchObject({ statusCode: 404 });
    } finally {
      bob.ua.dispose();
    }
  });
});
