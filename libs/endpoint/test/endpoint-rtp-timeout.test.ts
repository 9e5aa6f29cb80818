/**
 * RTP inactivity (`policy.endpoint.rtp_inactivity_timeout`, seconds, 0 = never, live): a
 * connected call whose far end sends no RTP is ended by the endpoint (BYE, end cause
 * `408 RTP timeout` by us); a held call (either side) never is, and the count restarts after the
 * retrieve; a live change applies to running calls. The far end that sends nothing is one of
 * our endpoints with `media: false` (it answers with SDP on port 9 and never sends RTP).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkLogger, ensureNoDisposablesAreLeakedInTestSuite, type LogRecord } from '@sip-endpoint/base';
import { RTP_TIMEOUT_END_CAUSE, SessionState, type Session } from '../src/index';
import { connect, party, reach, sleep, until, type Party } from './support/endpoints';

/** Alice (media, `timeout` seconds) and a silent Bob (`media: false`). */
async function silentPair(parties: Party[], timeout: number, bobLog?: LogRecord[]): Promise<{ alice: Party; bob: Party }> {
  const alice = await party('alice', 1000, { policy: { endpoint: { rtp_inactivity_timeout: timeout } } });
  parties.push(alice);
  // With a log, Bob traces the SIP he receives (log_level 4) so the test can read our BYE.
  const bob = bobLog
    ? await party('bob', 500, { system: { diagnostics: { log_level: 4 } } }, { media: false, logger: new SinkLogger((r) => bobLog.push(r), 'trace') })
    : await party('bob', 500, {}, { media: false });
  parties.push(bob);
  return { alice, bob };
}

/** Resolves with the time (ms since epoch) `s` reached Disconnected. */
function disconnectedAt(s: Session): Promise<number> {
  return new Promise((resolve) => {
    if (s.state === SessionState.Disconnected) resolve(Date.now());
    const sub = s.onDidChangeState((e) => {
      if (e.state !== SessionState.Disconnected) return;
      sub.dispose();
      resolve(Date.now());
    });
  });
}

describe('endpoint: RTP inactivity ends a call', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });

  it('a far end that sends no RTP: the call ends after about the timeout, BYE to the far end, end cause 408 RTP timeout', async () => {
    const bobLog: LogRecord[] = [];
    const { alice, bob } = await silentPair(parties, 1, bobLog);
    const { out, inc } = await connect(alice, bob);
    const connectedAt = Date.now();
    const aliceEnd = disconnectedAt(out);
    const bobEnd = disconnectedAt(inc);
    await reach(out, SessionState.Disconnected, 8000);
    const elapsed = (await aliceEnd) - connectedAt;
    // 1 s of silence (the engine checks every 20 ms tick), generous upper bound for a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
    expect(out.endCause).toEqual({ code: 408, reason: 'RTP timeout', by: 'local' });
    expect(out.endCause).toEqual(RTP_TIMEOUT_END_CAUSE);
    // Bob got our BYE: his call ended by the other side.
    await bobEnd;
    expect(inc.endCause).toMatchObject({ by: 'remote', reason: 'remote-bye' });
    // RFC 3326: the BYE says why.
    const bye = bobLog.map((r) => (r.message === 'SIP received' ? String(r.fields?.['message'] ?? '') : '')).find((t) => t.startsWith('BYE '));
    expect(bye).toMatch(/^Reason: SIP;cause=408;text="RTP timeout"\r?$/m);
    // Alice's statistics show the silence: nothing received.
    expect(out.statistics()?.raw.packetsReceived).toBe(0);
  });

  it('a call on hold (by us) does not time out; the count restarts at the retrieve', async () => {
    const { alice, bob } = await silentPair(parties, 1);
    const { out } = await connect(alice, bob);
    await out.hold();
    expect(out.held).toBe(true);
    await sleep(2600);
    expect(out.state).toBe(SessionState.Connected);
    await out.retrieve();
    const retrievedAt = Date.now();
    const end = disconnectedAt(out);
    await reach(out, SessionState.Disconnected, 8000);
    const elapsed = (await end) - retrievedAt;
    // Counted from the retrieve, not from the start of the call (which is 2.6 s old).
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
    expect(out.endCause).toEqual(RTP_TIMEOUT_END_CAUSE);
  });

  it('a call held by the far end does not time out', async () => {
    const { alice, bob } = await silentPair(parties, 1);
    const { out, inc } = await connect(alice, bob);
    await inc.hold(); // Bob holds: Alice answers recvonly and still expects (no) media
    await until(() => out.held, 5000, 'alice sees the hold');
    await sleep(2600);
    expect(out.state).toBe(SessionState.Connected);
    expect(inc.state).toBe(SessionState.Connected);
    await inc.retrieve();
    await until(() => !out.held, 5000, 'alice sees the retrieve');
    // Retrieved and still silent: now it times out.
    await reach(out, SessionState.Disconnected, 8000);
    expect(out.endCause).toEqual(RTP_TIMEOUT_END_CAUSE);
  });

  it('0 never ends the call; a live change to 1 ends the running call', async () => {
    const { alice, bob } = await silentPair(parties, 0);
    const { out } = await connect(alice, bob);
    await sleep(2500);
    expect(out.state).toBe(SessionState.Connected);
    alice.endpoint.setConfigSetting('policy.endpoint.rtp_inactivity_timeout', 1);
    expect(alice.endpoint.getConfigSetting('policy.endpoint.rtp_inactivity_timeout')).toBe('1');
    const changedAt = Date.now();
    const end = disconnectedAt(out);
    await reach(out, SessionState.Disconnected, 8000);
    const elapsed = (await end) - changedAt;
    expect(elapsed).toBeGreaterThanOrEqual(900); // counted from the change
    expect(elapsed).toBeLessThan(5000);
    expect(out.endCause).toEqual(RTP_TIMEOUT_END_CAUSE);
  });

  it('a live change to 0 keeps a running silent call up', async () => {
    const { alice, bob } = await silentPair(parties, 2);
    const { out } = await connect(alice, bob);
    await sleep(500);
    alice.endpoint.setConfigSetting('policy.endpoint.rtp_inactivity_timeout', 0);
    await sleep(3000);
    expect(out.state).toBe(SessionState.Connected);
  });

  it('a call with audio both ways does not time out', async () => {
    const alice = await party('alice', 1000, { policy: { endpoint: { rtp_inactivity_timeout: 1 } } });
    parties.push(alice);
    const bob = await party('bob', 500, { policy: { endpoint: { rtp_inactivity_timeout: 1 } } });
    parties.push(bob);
    const { out, inc } = await connect(alice, bob);
    await sleep(2500);
    expect(out.state).toBe(SessionState.Connected);
    expect(inc.state).toBe(SessionState.Connected);
    expect(out.statistics()?.raw.packetsReceived).toBeGreaterThan(50);
  });
});
