/**
 * Call transfer between three of our user agents on 127.0.0.1 (alice, bob, carol; each its own
 * stack): blind transfer (RFC 3515 REFER, RFC 3892 Referred-By, sipfrag progress RFC 3420),
 * attended transfer (Refer-To with Replaces, RFC 3891), a REFER declined by the delegate (603),
 * and an INVITE with Replaces for an unknown dialog (481).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SdkError, type Event } from '@sip-endpoint/base';
import { H, SessionState, UserAgent, type InviteSession, type ReferProgress, type SipMessage, type UserAgentDelegate } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';

ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Actor {
  ua: UserAgent;
  uri: string;
  incoming: InviteSession[];
  received: SipMessage[];
}

async function actor(name: string, delegate: Partial<UserAgentDelegate> = {}, answer: 'ring-accept' | 'accept' = 'accept'): Promise<Actor> {
  const incoming: InviteSession[] = [];
  const received: SipMessage[] = [];
  const ua = await UserAgent.create({
    aor: `sip:${name}@127.0.0.1`,
    displayName: name,
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    delegate: {
      onInvite: (s) => {
        incoming.push(s);
        if (answer === 'ring-accept') s.progress(180);
        void s.accept().catch(() => undefined);
      },
      ...delegate,
    },
  });
  ua.stack.onDidLogMessage((m) => m.direction === 'in' && received.push(m.message));
  cleanups.push(() => ua.dispose());
  return { ua, uri: `sip:${name}@127.0.0.1:${ua.stack.listeningPoints[0]!.port}`, incoming, received };
}

function nextEvent<T>(event: Event<T>, match: (e: T) => boolean, what: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const sub = event((e) => {
      if (!match(e)) return;
      clearTimeout(t);
      sub.dispose();
      resolve(e);
    });
  });
}

async function state(s: InviteSession, want: SessionState, ms = 5000): Promise<void> {
  if (s.state === want) return;
  await nextEvent(s.onDidChangeState, (e) => e.state === want, `${s.role} session ${want} (is ${s.state})`, ms);
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `from` calls `to`, which answers; resolves with both legs once established. */
async function call(from: Actor, to: Actor): Promise<{ caller: InviteSession; callee: InviteSession }> {
  const before = to.incoming.length;
  const caller = from.ua.invite(to.uri);
  await state(caller, SessionState.Established);
  await until(() => to.incoming.length > before, 'the callee session');
  const callee = to.incoming[to.incoming.length - 1]!;
  await state(callee, SessionState.Established);
  return { caller, callee };
}

describe('blind transfer', () => {
  it('bob REFERs alice to carol: 202, alice calls carol with Referred-By, bob gets sipfrag 100, 180, 200', async () => {
    const referSeen: string[] = [];
    const alice = await actor('alice', {
      onRefer: (_s, refer) => {
        referSeen.push(refer.target.uri.kind === 'sip' ? `${refer.target.uri.user}` : '?');
        return true;
      },
    });
    const bob = await actor('bob');
    const carol = await actor('carol', {}, 'ring-accept');
    const { caller: bobLeg, callee: aliceLeg } = await call(bob, alice);
    const progress: ReferProgress[] = [];
    bobLeg.onDidReceiveReferProgress((p) => progress.push(p));
    const final = await bobLeg.refer(carol.uri);
    expect(final).toMatchObject({ statusCode: 200, final: true });
    expect(progress.map((p) => p.statusCode)).toEqual([100, 180, 200]);
    expect(referSeen).toEqual(['carol']);
    // The REFER was answered 202 (RFC 3515 §2.4.2).
    expect(bob.received.some((m) => m.startLine() === 'SIP/2.0 202 Accepted')).toBe(true);
    // Alice's new call to carol carries Referred-By: bob (RFC 3892).
    const carolLeg = carol.incoming[0]!;
    expect(carolLeg.request?.headers.get('Referred-By')).toContain('sip:bob@127.0.0.1');
    expect(carolLeg.state).toBe(SessionState.Established);
    const aliceToCarol = alice.ua.activeSessions.find((s) => s.role === 'uac');
    expect(aliceToCarol?.state).toBe(SessionState.Established);
    // The transferor hangs up the original call.
    await bobLeg.bye();
    await state(aliceLeg, SessionState.Terminated);
    expect(bob.ua.activeSessions).toHaveLength(0);
    expect(alice.ua.activeSessions.map((s) => s.state)).toEqual([SessionState.Established]);
    await aliceToCarol!.bye();
    await state(carolLeg, SessionState.Terminated);
    expect(carolLeg.ended?.cause).toBe('remote-bye');
  });

  it('a REFER declined by the delegate gets 603 and refer() rejects with SIP_REQUEST_FAILED', async () => {
    const alice = await actor('alice', { onRefer: () => false });
    const bob = await actor('bob');
    const carol = await actor('carol');
    const { caller: bobLeg, callee: aliceLeg } = await call(bob, alice);
    let caught: unknown;
    try {
      await bobLeg.refer(carol.uri);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SdkError);
    expect((caught as SdkError).code).toBe('SIP_REQUEST_FAILED');
    expect((caught as SdkError).message).toContain('603');
    expect(carol.incoming).toHaveLength(0);
    // The call goes on.
    expect(bobLeg.state).toBe(SessionState.Established);
    expect(aliceLeg.state).toBe(SessionState.Established);
    await bobLeg.bye();
  });
});

describe('attended transfer (Replaces)', () => {
  it('bob REFERs alice to carol with Replaces of the consult call: alice-carol connected, bob has no calls', async () => {
    const alice = await actor('alice');
    const bob = await actor('bob');
    const carol = await actor('carol');
    const { caller: bobToAlice, callee: aliceLeg } = await call(bob, alice);
    const { caller: bobToCarol, callee: carolConsult } = await call(bob, carol);
    const final = await bobToAlice.refer(bobToCarol);
    expect(final.statusCode).toBe(200);
    // Carol's UA replaced the consult dialog: BYE to bob on that leg (RFC 3891 §3).
    await state(bobToCarol, SessionState.Terminated);
    expect(bobToCarol.ended?.cause).toBe('remote-bye');
    await state(carolConsult, SessionState.Terminated);
    expect(carolConsult.ended?.cause).toBe('replaced');
    const carolNew = carol.incoming[1]!;
    expect(carolNew.request?.get(H.Replaces)).toBeDefined();
    expect(carolNew.replaces).toBe(carolConsult);
    expect(carolNew.state).toBe(SessionState.Established);
    // The transferor ends the original call.
    await bobToAlice.bye();
    await state(aliceLeg, SessionState.Terminated);
    await until(() => bob.ua.activeSessions.length === 0, 'bob has no calls');
    const aliceNow = alice.ua.activeSessions;
    expect(aliceNow).toHaveLength(1);
    expect(aliceNow[0]!.state).toBe(SessionState.Established);
    expect(aliceNow[0]!.callId).toBe(carolNew.callId);
    expect(carol.ua.activeSessions).toEqual([carolNew]);
    await aliceNow[0]!.bye();
  });

  it('an INVITE with Replaces for an unknown dialog is answered 481', async () => {
    const alice = await actor('alice');
    const carol = await actor('carol');
    const s = alice.ua.invite(carol.uri, { headers: { Replaces: 'no-such-call@127.0.0.1;to-tag=aaa;from-tag=bbb' } });
    await state(s, SessionState.Terminated);
    expect(s.ended).toMatchObject({ cause: 'rejected-by-remote', statusCode: 481 });
    expect(carol.incoming).toHaveLength(0);
    expect(carol.ua.activeSessions).toHaveLength(0);
  });
});

describe('transfer that never completes', () => {
  it('refer() reports 408 when no final NOTIFY arrives in time (the target only rings)', async () => {
    const alice = await actor('alice', { onRefer: () => true });
    const bob = await actor('bob');
    // Carol rings and never answers: alice's NOTIFYs stop at 180.
    const carolIncoming: InviteSession[] = [];
    const carol = await actor('carol', {
      onInvite: (s) => {
        carolIncoming.push(s);
        s.progress(180);
      },
    });
    const { caller: bobLeg } = await call(bob, alice);
    const progress: ReferProgress[] = [];
    bobLeg.onDidReceiveReferProgress((p) => progress.push(p));
    const started = Date.now();
    const final = await bobLeg.refer(carol.uri, { timeoutMs: 800 });
    expect(final).toMatchObject({ statusCode: 408, final: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(progress.map((p) => p.statusCode)).toEqual([100, 180]);
    expect(carolIncoming).toHaveLength(1);
  });
});
