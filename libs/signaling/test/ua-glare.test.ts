/**
 * Re-INVITE glare (RFC 3261 §14.1) between two of our user agents on 127.0.0.1: both send a
 * re-INVITE at the same moment, each is refused with 491 (§14.2), each waits its §14.1 interval
 * (2.1-4 s for the Call-ID owner, 0-2 s for the other; scaled by `glareRetryScale` to keep the
 * test short) and retries, and both re-INVITEs succeed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SessionState, UserAgent, type GlareRetry, type InviteSession, type SipMessage } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';

ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ua(name: string, glareRetryScale: number | undefined, incoming: InviteSession[], log: { dir: string; msg: SipMessage }[]): Promise<UserAgent> {
  const u = await UserAgent.create({
    aor: `sip:${name}@127.0.0.1`,
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    ...(glareRetryScale !== undefined ? { glareRetryScale } : {}),
    delegate: {
      onInvite: (s) => {
        incoming.push(s);
        void s.accept();
      },
    },
  });
  u.stack.onDidLogMessage((m) => log.push({ dir: `${name}-${m.direction}`, msg: m.message }));
  cleanups.push(() => u.dispose());
  return u;
}

async function established(s: InviteSession): Promise<void> {
  const end = Date.now() + 5000;
  while (s.state !== SessionState.Established) {
    if (Date.now() > end) throw new Error(`not established: ${s.state}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup(scale: number | undefined) {
  const incoming: InviteSession[] = [];
  const log: { dir: string; msg: SipMessage }[] = [];
  const alice = await ua('alice', scale, incoming, log);
  const bob = await ua('bob', scale, [], log);
  const bobLeg = bob.invite(`sip:alice@127.0.0.1:${alice.stack.listeningPoints[0]!.port}`);
  await established(bobLeg);
  await established(incoming[0]!);
  return { bobLeg, aliceLeg: incoming[0]!, log };
}

describe('re-INVITE glare (RFC 3261 §14.1)', () => {
  it('both sides get 491, both retry after their scaled §14.1 interval, both succeed (3 rounds)', async () => {
    const { bobLeg, aliceLeg, log } = await setup(0.05);
    const glare: { who: string; g: GlareRetry }[] = [];
    bobLeg.onDidEncounterGlare((g) => glare.push({ who: 'bob', g }));
    aliceLeg.onDidEncounterGlare((g) => glare.push({ who: 'alice', g }));
    for (let round = 0; round < 3; round++) {
      const hold = round % 2 === 0;
      glare.length = 0;
      log.length = 0;
      const started = Date.now();
      await Promise.all([bobLeg.reinvite({ hold }), aliceLeg.reinvite({ hold })]);
      const took = Date.now() - started;
      expect(bobLeg.localHold).toBe(hold);
      expect(aliceLeg.localHold).toBe(hold);
      expect(bobLeg.state).toBe(SessionState.Established);
      expect(aliceLeg.state).toBe(SessionState.Established);
      // One 491 each (§14.2), and each side retried once.
      const got491 = log.filter((l) => l.dir.endsWith('-in') && l.msg.startLine().startsWith('SIP/2.0 491')).map((l) => l.dir);
      expect(got491.sort()).toEqual(['alice-in', 'bob-in']);
      expect(log.filter((l) => l.dir === 'bob-out' && l.msg.startLine().startsWith('INVITE'))).toHaveLength(2);
      expect(log.filter((l) => l.dir === 'alice-out' && l.msg.startLine().startsWith('INVITE'))).toHaveLength(2);
      const bobG = glare.find((x) => x.who === 'bob')!.g;
      const aliceG = glare.find((x) => x.who === 'alice')!.g;
      // RFC 3261 §14.1: the Call-ID owner (bob placed the call) waits 2.1-4 s; the other 0-2 s.
      expect(bobG.ownsCallId).toBe(true);
      expect(bobG.rfcDelayMs).toBeGreaterThanOrEqual(2100);
      expect(bobG.rfcDelayMs).toBeLessThanOrEqual(4000);
      expect(aliceG.ownsCallId).toBe(false);
      expect(aliceG.rfcDelayMs).toBeGreaterThanOrEqual(0);
      expect(aliceG.rfcDelayMs).toBeLessThanOrEqual(2000);
      expect(bobG.delayMs).toBeCloseTo(bobG.rfcDelayMs * 0.05, 6);
      expect(aliceG.delayMs).toBeCloseTo(aliceG.rfcDelayMs * 0.05, 6);
      expect(took).toBeGreaterThanOrEqual(Math.floor(bobG.delayMs));
    }
    await bobLeg.bye();
  });

  it('uses the unscaled §14.1 ranges by default', async () => {
    const { bobLeg, aliceLeg } = await setup(undefined);
    const glare: GlareRetry[] = [];
    bobLeg.onDidEncounterGlare((g) => glare.push(g));
    aliceLeg.onDidEncounterGlare((g) => glare.push(g));
    const started = Date.now();
    await Promise.all([bobLeg.hold(), aliceLeg.hold()]);
    expect(glare).toHaveLength(2);
    for (const g of glare) expect(g.delayMs).toBe(g.rfcDelayMs);
    const owner = glare.find((g) => g.ownsCallId)!;
    expect(owner.delayMs).toBeGreaterThanOrEqual(2100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2100);
    await bobLeg.bye();
  }, 15_000);
});
