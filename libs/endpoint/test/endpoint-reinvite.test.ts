/**
 * re-INVITEs from the far end against an endpoint with `policy.session.auto_answer`: SIPp calls
 * it (answered without user action), holds it with a sendonly re-INVITE and takes it back with a
 * sendrecv one (the session's `held` flag follows, our RTP stops while held: RFC 3264 §8.4), and
 * an offer-less re-INVITE is answered with a fresh offer (RFC 3261 §14.2, the 3pcc retrieve).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { freePort, startSipp, type SippRun } from './support/peers';
import { SessionState, type Session } from '../src/index';
import { nextSession, party, reach, sleep, type Party } from './support/endpoints';
import { expectSippPassed, requireSipp, startEndpointSipp } from './support/sipp';

requireSipp();

describe('endpoint: re-INVITE from SIPp with auto-answer', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const runs: SippRun[] = [];
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.stop();
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });
  const autoAnswering = async (): Promise<Party> => {
    const p = await party('agent', 1000, { policy: { session: { auto_answer: true } } });
    parties.push(p);
    return p;
  };
  const sentPackets = (s: Session): number => s.statistics()?.raw.packetsSent ?? -1;

  it('hold (sendonly) and retrieve (sendrecv): held true then false, no RTP sent while held, ended by the far end', async () => {
    const agent = await autoAnswering();
    const incoming = nextSession(agent.endpoint);
    const run = startEndpointSipp({
      scenario: 'uac-hold-retrieve.xml',
      port: await freePort(),
      mediaPort: await freePort(),
      remote: `127.0.0.1:${agent.endpoint.connections[0]!.localPort}`,
      service: 'agent',
      timeoutSec: 20,
    });
    runs.push(run);
    const s = await incoming;
    const held: boolean[] = [];
    const samples: { held: boolean; sent: number }[] = [];
    s.onDidChangeHeld((e) => {
      held.push(e.held);
      // Sample our sent packets 300 ms and 800 ms into each phase.
      void sleep(300).then(() => samples.push({ held: e.held, sent: sentPackets(s) }));
      void sleep(800).then(() => samples.push({ held: e.held, sent: sentPackets(s) }));
    });
    // Auto-answer: no answer() call here.
    await reach(s, SessionState.Connected, 5000);
    await expectSippPassed(run);
    await reach(s, SessionState.Disconnected, 5000);
    expect(held).toEqual([true, false]);
    expect(s.held).toBe(false);
    expect(s.endCause).toMatchObject({ code: 200, by: 'remote' });
    const [h1, h2, r1, r2] = samples;
    expect(h1?.held).toBe(true);
    expect(h2?.sent).toBe(h1?.sent); // recvonly: nothing sent while held
    expect(r1?.held).toBe(false);
    expect(r2!.sent).toBeGreaterThan(r1!.sent + 10); // sendrecv again: ~25 packets in 500 ms
  }, 30_000);

  it('an offer-less re-INVITE is answered with a fresh offer; SIPp answers in the ACK; the call stays up until its BYE', async () => {
    const agent = await autoAnswering();
    const incoming = nextSession(agent.endpoint);
    const run = startSipp({
      scenario: 'uac-reinvite-nosdp.xml',
      port: await freePort(),
      mediaPort: await freePort(),
      remote: `127.0.0.1:${agent.endpoint.connections[0]!.localPort}`,
      service: 'agent',
      timeoutSec: 15,
    });
    runs.push(run);
    const s = await incoming;
    const states: string[] = [];
    s.onDidChangeState((e) => states.push(e.state));
    const held: boolean[] = [];
    s.onDidChangeHeld((e) => held.push(e.held));
    // The scenario checks (check_it) that our 200 to the offer-less re-INVITE carries m=audio.
    await expectSippPassed(run);
    await reach(s, SessionState.Disconnected, 5000);
    expect(states).toEqual([SessionState.Connected, SessionState.Disconnected]);
    expect(held).toEqual([]);
    const r = await run.result;
    // SIPp's ACK echoed what it saw in our offer.
    expect(r.output).toMatch(/X-Offer-Seen: m=audio \d+/);
    expect(s.endCause).toMatchObject({ code: 200, reason: 'remote-bye', by: 'remote' });
    // Audio flowed during the ~0.4 s call (stats are published every 100 ms).
    expect(s.statistics()!.raw.packetsSent).toBeGreaterThan(3);
  }, 30_000);
});
