/**
 * Delayed offer between two of our user agents (RFC 3261 §13.2.1, RFC 3264 §4): an INVITE
 * without SDP is answered with an offer in the 200, and the caller's answer travels in the ACK.
 * The 3pcc flows of a SIP Server (late ACK, RFC 3725 flow I) rely on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionState, UserAgent, type InviteSession } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function ua(name: string, sdhs: SimpleSdh[], onInvite?: (s: InviteSession) => void): Promise<UserAgent> {
  const u = await UserAgent.create({
    aor: `sip:${name}@127.0.0.1`,
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 50, t2Ms: 400 } },
    createSessionDescriptionHandler: () => {
      const s = new SimpleSdh('127.0.0.1', 41000 + sdhs.length * 2);
      sdhs.push(s);
      return s;
    },
    delegate: onInvite ? { onInvite } : {},
  });
  cleanups.push(() => u.dispose());
  return u;
}

function reach(s: InviteSession, state: SessionState): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.state === state) return resolve();
    const t = setTimeout(() => reject(new Error(`${s.role}: not ${state} (is ${s.state})`)), 5000);
    const sub = s.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

describe('delayed offer', () => {
  it('an INVITE without SDP: offer in our 200, answer in the ACK', async () => {
    const calleeSdhs: SimpleSdh[] = [];
    const callerSdhs: SimpleSdh[] = [];
    const incoming: InviteSession[] = [];
    const bob = await ua('bob', calleeSdhs, (s) => {
      incoming.push(s);
      void s.accept();
    });
    const alice = await ua('alice', callerSdhs);
    const trace: string[] = [];
    alice.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()} body=${m.message.body.length}`));
    const call = alice.invite(`sip:bob@127.0.0.1:${bob.stack.listeningPoints[0]!.port}`, { withoutSdp: true });
    await reach(call, SessionState.Established);
    await reach(incoming[0]!, SessionState.Established);
    // Give the ACK (carrying the answer) time to arrive: the callee's accept() resolves on it.
    await new Promise((r) => setTimeout(r, 100));
    expect(trace.find((l) => l.startsWith('out INVITE'))).toMatch(/body=0$/);
    expect(trace.find((l) => l.startsWith('out ACK'))).not.toMatch(/body=0$/);
    // The callee offered (no 'offer' seen by it) and took the caller's answer from the ACK.
    expect(calleeSdhs[0]!.seen.map((x) => x.kind)).toEqual(['answer']);
    // The caller answered the offer it found in the 200.
    expect(callerSdhs[0]!.seen.map((x) => x.kind)).toEqual(['offer']);
    await call.bye();
    await reach(incoming[0]!, SessionState.Terminated);
  });

  it('a re-INVITE without SDP from our side: the peer offers, we answer in the ACK', async () => {
    const calleeSdhs: SimpleSdh[] = [];
    const callerSdhs: SimpleSdh[] = [];
    const incoming: InviteSession[] = [];
    const bob = await ua('bob', calleeSdhs, (s) => {
      incoming.push(s);
      void s.accept();
    });
    const alice = await ua('alice', callerSdhs);
    const call = alice.invite(`sip:bob@127.0.0.1:${bob.stack.listeningPoints[0]!.port}`);
    await reach(call, SessionState.Established);
    await call.reinvite({ withoutSdp: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(callerSdhs[0]!.seen.map((x) => x.kind)).toEqual(['answer', 'offer']);
    expect(calleeSdhs[0]!.seen.map((x) => x.kind)).toEqual(['offer', 'answer']);
    await call.bye();
  });
});

describe('identity of an outgoing call', () => {
  it('knows the Call-ID and the remote party as soon as invite() returns', async () => {
    const alice = await ua('alice', []);
    const call = alice.invite('sip:bob@127.0.0.1:9', { callId: 'fixed-call-id@test' });
    expect(call.callId).toBe('fixed-call-id@test');
    expect(call.remoteIdentity?.uri).toMatchObject({ kind: 'sip', user: 'bob', host: '127.0.0.1', port: 9 });
    call.dispose();
  });
});
