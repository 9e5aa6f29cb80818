/**
 * Live audio processing (issue 5: `setConfigSetting` by the Genesys keys, applied live where the
 * setting allows): `policy.session.dtx_mode` / `vad_level` / `agc_mode` changed during a call
 * reach the call's engine stream at once (one engine update, no renegotiation, no JavaScript per
 * packet). Two of our endpoints on 127.0.0.1; packet counters of the engine show the effect.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { MemorySink, NullSource, type AudioSink } from '@sip-endpoint/media-native';
import { type Session } from '../src/index';
import { connect, party, sleep, type Party } from './support/endpoints';

const sent = (s: Session): number => s.statistics()?.raw.packetsSent ?? 0;
const received = (s: Session): number => s.statistics()?.raw.packetsReceived ?? 0;
const dtxFrames = (s: Session): number => s.statistics()?.raw.dtxFrames ?? 0;

describe('endpoint: audio processing settings applied to running calls', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const sinks: MemorySink[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const s of sinks.splice(0)) s.dispose();
  });
  const make = async (name: string, hz: number, silent = false): Promise<Party> => {
    const p = await party(
      name,
      hz,
      {},
      silent
        ? {
            audio: {
              createSource: () => new NullSource(),
              createSink: (): AudioSink => {
                const s = new MemorySink({ sampleRate: 8000 });
                sinks.push(s);
                return s;
              },
            },
          }
        : {},
    );
    parties.push(p);
    return p;
  };

  it('dtx_mode switched on mid-call stops RTP in silence (the far end receives nothing), off sends it again', async () => {
    const alice = await make('alice', 1000, true); // a silent microphone
    const bob = await make('bob', 500);
    const { out, inc } = await connect(alice, bob);
    await sleep(500);
    expect(sent(out)).toBeGreaterThan(10);
    expect(dtxFrames(out)).toBe(0);

    alice.endpoint.setConfigSetting('policy.session.dtx_mode', true);
    expect(alice.endpoint.getConfigSetting('policy.session.dtx_mode')).toMatch(/^(true|1)$/);
    await sleep(300); // the VAD's hangover; engine snapshots are at most 100 ms old
    const atDtx = { sent: sent(out), received: received(inc) };
    await sleep(700);
    expect(sent(out) - atDtx.sent).toBeLessThanOrEqual(1);
    expect(received(inc) - atDtx.received).toBeLessThanOrEqual(2);
    expect(dtxFrames(out)).toBeGreaterThan(20);
    // The call itself is untouched: bob's tone still arrives at alice.
    const aliceGot = received(out);
    await sleep(300);
    expect(received(out) - aliceGot).toBeGreaterThan(8);

    alice.endpoint.setConfigSetting('policy.session.dtx_mode', false);
    await sleep(200);
    const resumed = { sent: sent(out), received: received(inc) };
    await sleep(600);
    expect(sent(out) - resumed.sent).toBeGreaterThan(20);
    expect(received(inc) - resumed.received).toBeGreaterThan(15);
  });

  it('dtx_mode on a talking call keeps sending (the VAD hears the tone); vad_level and agc_mode change live without breaking the stream', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    const { out, inc } = await connect(alice, bob);
    await sleep(300);
    alice.endpoint.setConfigSetting('policy.session.dtx_mode', true);
    alice.endpoint.setConfigSetting('policy.session.vad_level', 3);
    alice.endpoint.setConfigSetting('policy.session.agc_mode', true);
    await sleep(200);
    const before = sent(out);
    await sleep(600);
    expect(sent(out) - before).toBeGreaterThan(20);
    expect(dtxFrames(out)).toBe(0);
    expect(out.mediaStream?.isOpen).toBe(true);
    expect(received(inc)).toBeGreaterThan(20);
  });
});
