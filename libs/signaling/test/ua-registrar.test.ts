/**
 * The Registrar (registrar + redirect server on our own stack) with our user agents on
 * 127.0.0.1: digest REGISTER, 423, binding expiry in virtual time, unregister, 302 redirect
 * followed by the caller (RFC 3261 §8.1.3.4), 404 for an unknown user, and the demo script.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@sip-endpoint/base';
import { RegistrationState, Registrar, SessionState, SipStack, UserAgent, type InviteSession, type Registration } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function registrar(options: { clock?: VirtualClock; minExpires?: number } = {}) {
  const stack = await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], clock: options.clock });
  const reg = new Registrar(stack, { domain: 'example.test', minExpires: options.minExpires, credentials: (user) => (user === 'alice' || user === 'bob' ? { username: user, password: `${user}-pw` } : undefined) });
  cleanups.push(() => {
    reg.dispose();
    stack.dispose();
  });
  return { stack, reg, port: stack.listeningPoints[0]!.port };
}

async function ua(user: string, password: string, onInvite?: (s: InviteSession) => void) {
  const u = await UserAgent.create({
    aor: `sip:${user}@example.test`,
    credentials: { username: user, password },
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    delegate: onInvite ? { onInvite } : {},
  });
  cleanups.push(() => u.dispose());
  return u;
}

function until(reg: Registration, state: RegistrationState): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not ${state}: ${reg.state}`)), 5000);
    const sub = reg.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

describe('Registrar', () => {
  it('challenges, registers, refuses a wrong password, and removes the binding on unregister', async () => {
    const r = await registrar();
    const alice = await ua('alice', 'alice-pw');
    const reg = alice.createRegistration({ registrar: 'sip:example.test', outboundProxy: `sip:127.0.0.1:${r.port}`, expires: 600 });
    const ok = until(reg, RegistrationState.Registered);
    reg.register();
    await ok;
    expect(r.reg.bindings('sip:alice@example.test')).toHaveLength(1);
    expect(r.reg.bindings('sip:alice@example.test')[0]!.expires).toBe(600);
    await reg.unregister();
    expect(r.reg.bindings('sip:alice@example.test')).toHaveLength(0);

    const mallory = await ua('bob', 'wrong');
    const bad = mallory.createRegistration({ registrar: 'sip:example.test', outboundProxy: `sip:127.0.0.1:${r.port}` });
    const failed = until(bad, RegistrationState.RetryWait);
    bad.register();
    await failed;
    expect(r.reg.bindings('sip:bob@example.test')).toHaveLength(0);
  });

  it('answers a too short interval with 423 and the registration retries with Min-Expires', async () => {
    const r = await registrar({ minExpires: 120 });
    const alice = await ua('alice', 'alice-pw');
    const reg = alice.createRegistration({ registrar: 'sip:example.test', outboundProxy: `sip:127.0.0.1:${r.port}`, expires: 30 });
    const ok = until(reg, RegistrationState.Registered);
    reg.register();
    await ok;
    expect(reg.expires).toBe(120);
  });

  it('expires bindings on its clock', async () => {
    const clock = new VirtualClock();
    const r = await registrar({ clock });
    const alice = await ua('alice', 'alice-pw');
    const reg = alice.createRegistration({ registrar: 'sip:example.test', outboundProxy: `sip:127.0.0.1:${r.port}`, expires: 60 });
    const ok = until(reg, RegistrationState.Registered);
    reg.register();
    await ok;
    reg.dispose();
    const changes: number[] = [];
    r.reg.onDidChangeBindings((e) => changes.push(e.bindings.length));
    clock.advance(59_000);
    expect(r.reg.bindings('sip:alice@example.test')).toHaveLength(1);
    clock.advance(1_000);
    expect(r.reg.bindings('sip:alice@example.test')).toHaveLength(0);
    expect(changes).toEqual([0]);
  });

  it('redirects a call to the registered contact; the caller follows the 302', async () => {
    const r = await registrar();
    const answered: InviteSession[] = [];
    const bob = await ua('bob', 'bob-pw', (s) => {
      answered.push(s);
      void s.accept();
    });
    const reg = bob.createRegistration({ registrar: 'sip:example.test', outboundProxy: `sip:127.0.0.1:${r.port}` });
    const ok = until(reg, RegistrationState.Registered);
    reg.register();
    await ok;
    const alice = await ua('alice', 'alice-pw');
    const trace: string[] = [];
    alice.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()}`));
    const call = alice.invite(`sip:bob@127.0.0.1:${r.port}`);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`call is ${call.state}`)), 5000);
      call.onDidChangeState((e) => {
        if (e.state === SessionState.Established) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    expect(trace).toContain('in SIP/2.0 302 Moved Temporarily');
    expect(trace.filter((l) => l.startsWith('out INVITE'))).toHaveLength(2);
    expect(answered).toHaveLength(1);
    await call.bye();
    expect(call.ended?.statusCode).toBe(200);
  });

  it('answers 404 for a user with no binding, and the call ends with that status', async () => {
    const r = await registrar();
    const alice = await ua('alice', 'alice-pw');
    const call = alice.invite(`sip:nobody@127.0.0.1:${r.port}`);
    await new Promise<void>((resolve) => call.onDidChangeState((e) => e.state === SessionState.Terminated && resolve()));
    expect(call.ended).toMatchObject({ cause: 'rejected-by-remote', statusCode: 404 });
  });
});

describe('the demo (README first command)', () => {
  it('runs to the end on embedded defaults', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const r = spawnSync(process.execPath, ['--conditions=@sip-endpoint/source', '--import', 'tsx', 'tools/demo.ts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(r.stdout).toContain('SIP/2.0 302 Moved Temporarily');
    expect(r.stdout).toMatch(/call established; codec PCMU\/8000/);
    expect(r.stdout).toContain('bob got: Signal=5, Duration=160');
    expect(r.stdout).toContain('alice: local-bye (200); bob: remote-bye');
    expect(r.stdout).toContain('demo finished');
  });
});
