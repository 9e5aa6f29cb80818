/**
 * SRTP with SDES keys (RFC 4568) between two of our endpoints on 127.0.0.1, driven by the
 * Genesys `system.security.use_srtp` setting: mandatory/optional calls carry audio that is
 * protected (the engine's SRTP protect/unprotect counters rise, no authentication failure), and a mandatory
 * endpoint refuses plain RTP with 488 Not Acceptable Here in both directions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { buildFeatures } from '@sip-endpoint/media-native';
import { SessionState } from '../src/index';
import { connect, dominant, party, reach, sleep, type Party } from './support/endpoints';

// A missing SRTP build is a failure, not a skip: CI builds the engine with libsrtp2.
if (buildFeatures()['srtp2'] !== true) throw new Error('the media engine was built without libsrtp2 (apt-get install -y libsrtp2-dev, then rebuild media-native)');

const TONES = [500, 1000, 1500, 2000];
const srtp = (mode: 'disabled' | 'optional' | 'mandatory'): Record<string, unknown> => ({ system: { security: { use_srtp: mode } } });

describe('endpoint: SRTP (system.security.use_srtp)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });
  const make = async (name: string, hz: number, mode: 'disabled' | 'optional' | 'mandatory'): Promise<Party> => {
    const p = await party(name, hz, srtp(mode));
    parties.push(p);
    return p;
  };
  const heard = async (p: Party, ms = 600): Promise<Int16Array> => {
    const sink = p.sinks[0]!;
    sink.pull();
    await sleep(ms);
    return sink.pull();
  };

  for (const [a, b] of [
    ['mandatory', 'mandatory'],
    ['mandatory', 'optional'],
    ['optional', 'mandatory'],
    ['optional', 'optional'],
  ] as const) {
    it(`${a} calls ${b}: SDES keys in the SDP, audio both ways, both directions protected and verified`, async () => {
      const alice = await make('alice', 1000, a);
      const bob = await make('bob', 500, b);
      const { out, inc } = await connect(alice, bob);
      await sleep(300);
      const atBob = await heard(bob);
      const atAlice = await heard(alice);
      expect(dominant(atBob, TONES).freq).toBe(1000);
      expect(dominant(atAlice, TONES).freq).toBe(500);
      for (const s of [out, inc]) {
        const raw = s.statistics()!.raw;
        expect(raw.packetsReceived).toBeGreaterThan(20);
        // Protected = encrypted for sending, unprotected = decrypted on receipt (libsrtp terms).
        expect(raw.srtp.rtpProtected).toBeGreaterThan(20);
        expect(raw.srtp.rtpUnprotected).toBeGreaterThan(20);
        expect(raw.srtp.authFailures).toBe(0);
      }
      // Both offers and answers carried SAVP with a crypto line (RFC 4568 §6.1).
      const offer = out.invite.request?.body.toString('utf8') ?? '';
      if (a === 'mandatory') expect(offer).toMatch(/m=audio \d+ RTP\/SAVP /);
      expect(offer).toMatch(/a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/);
      await out.hangup();
      await reach(inc, SessionState.Disconnected);
    }, 20_000);
  }

  it('disabled calls disabled: plain RTP (no SRTP counters)', async () => {
    const alice = await make('alice', 1000, 'disabled');
    const bob = await make('bob', 500, 'disabled');
    const { out, inc } = await connect(alice, bob);
    await sleep(300);
    expect(dominant(await heard(bob), TONES).freq).toBe(1000);
    const raw = inc.statistics()!.raw;
    expect(raw.packetsReceived).toBeGreaterThan(20);
    expect(raw.srtp.rtpProtected).toBe(0);
    expect(raw.srtp.rtpUnprotected).toBe(0);
    expect(out.invite.request?.body.toString('utf8') ?? '').not.toMatch(/a=crypto/);
    await out.hangup();
  }, 20_000);

  it('mandatory calls disabled: the callee answers 488; disabled calls mandatory: 488 too', async () => {
    const secure = await make('secure', 1000, 'mandatory');
    const plain = await make('plain', 500, 'disabled');

    // The disabled side cannot accept an RTP/SAVP-only offer.
    const incoming1 = sessionOrNone(plain);
    const s1 = secure.endpoint.dial(plain.uri);
    await reach(s1, SessionState.Disconnected);
    expect(s1.endCause).toMatchObject({ code: 488, by: 'remote' });
    await incoming1.done;
    expect(incoming1.connected()).toBe(false);

    // The mandatory side cannot accept a plain RTP offer.
    const incoming2 = sessionOrNone(secure);
    const s2 = plain.endpoint.dial(secure.uri);
    await reach(s2, SessionState.Disconnected);
    expect(s2.endCause).toMatchObject({ code: 488, by: 'remote' });
    await incoming2.done;
    expect(incoming2.connected()).toBe(false);
  }, 20_000);
});

/** Watches the next incoming session of `p` (if any) and answers it; `connected()` tells whether it got Connected. */
function sessionOrNone(p: Party): { done: Promise<void>; connected: () => boolean } {
  let connected = false;
  const sub = p.endpoint.onDidChangeSessionState((e) => {
    if (e.state === SessionState.Connected) connected = true;
  });
  const answer = p.endpoint.onDidAddSession(({ session }) => {
    if (session.state === SessionState.Alerting) void session.answer().catch(() => undefined);
  });
  const done = sleep(300).then(() => {
    sub.dispose();
    answer.dispose();
  });
  return { done, connected: () => connected };
}
