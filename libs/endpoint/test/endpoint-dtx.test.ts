/**
 * CN/DTX wiring of the media bridge (RFC 3389 comfort noise): with `policy.session.dtx_mode` on,
 * CN/8000 (PT 13) is offered and answered, the engine stream gets `cn` and `audioProcessing.dtx`,
 * and a silent source goes out as SID packets that the far side counts as comfort noise, not loss.
 * Two media bridges on one engine exchange offer/answer the way two endpoints' calls do (the
 * endpoint passes `policy.session` to its bridges through `MediaBridgeOptions.session`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite, nullLogger } from '@sip-endpoint/base';
import { MediaEngine, MemorySink, NullSource, listCodecs } from '@sip-endpoint/media-native';
import { MediaBridge, configuredCodecs, type SessionMediaPolicy } from '../src/media-bridge';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('endpoint media bridge: comfort noise and DTX from policy.session', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const owned: { dispose(): void }[] = [];
  afterEach(() => {
    for (const d of owned.splice(0).reverse()) d.dispose();
  });

  const bridge = (engine: MediaEngine, policy: SessionMediaPolicy | undefined, codecs: Record<string, number> = { 'PCMU/8000': 10 }): { bridge: MediaBridge; sink: MemorySink } => {
    const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
    const b = new MediaBridge({
      engine,
      address: '127.0.0.1',
      codecs: () => configuredCodecs(codecs),
      telephoneEvent: true,
      srtp: () => 'disabled',
      createSource: () => new NullSource(),
      createSink: () => sink,
      ...(policy ? { session: () => policy } : {}),
      logger: nullLogger,
    });
    owned.push(b);
    return { bridge: b, sink };
  };
  const engine = (): MediaEngine => {
    const e = new MediaEngine({ rtpPortMin: 40000, rtpPortMax: 49999 });
    owned.push(e);
    return e;
  };
  const DTX: SessionMediaPolicy = { dtx_mode: true, vad_level: 3, agc_mode: false };
  const OFF: SessionMediaPolicy = { dtx_mode: false, vad_level: 0, agc_mode: false };

  it('offers CN/8000 (PT 13) only with dtx_mode on', () => {
    const e = engine();
    const on = bridge(e, DTX).bridge.createOffer({ hold: false });
    const off = bridge(e, OFF).bridge.createOffer({ hold: false });
    const none = bridge(e, undefined).bridge.createOffer({ hold: false });
    expect(on).toMatch(/^m=audio \d+ RTP\/AVP 0 13 \d+\r?$/m);
    expect(on).toMatch(/^a=rtpmap:13 CN\/8000\r?$/m);
    expect(off).not.toMatch(/CN\/8000/);
    expect(none).not.toMatch(/CN\/8000/);
  });

  it('both sides with dtx_mode on: a silent source goes out as SID packets, counted as comfort noise, none lost', async () => {
    const e = engine();
    const a = bridge(e, DTX);
    const b = bridge(e, DTX);
    const answer = b.bridge.createAnswer(a.bridge.createOffer({ hold: false }), { hold: false });
    expect(answer).toMatch(/^a=rtpmap:13 CN\/8000\r?$/m);
    a.bridge.setAnswer(answer);
    expect(a.bridge.lastResult?.audio?.codecs.map((c) => c.name)).toEqual(['PCMU', 'CN']);
    await sleep(2500);
    const sa = a.bridge.stream!.getStats();
    const sb = b.bridge.stream!.getStats();
    // RFC 3389 §4: a SID at the start of the silence and refreshes; no speech frames sent.
    expect(sa.sidPacketsSent).toBeGreaterThanOrEqual(2);
    expect(sa.dtxFrames).toBeGreaterThan(50);
    expect(sb.sidPacketsReceived).toBeGreaterThanOrEqual(2);
    expect(sb.sidPacketsReceived).toBeLessThanOrEqual(sa.sidPacketsSent);
    expect(sb.sidPacketsSent).toBeGreaterThanOrEqual(2);
    // DTX gaps are not loss.
    expect(sb.packetsLost).toBe(0);
    expect(sa.packetsLost).toBe(0);
    expect(sb.jitterBuffer.lost).toBe(0);
    // Far fewer packets than 50/s of plain G.711.
    expect(sa.packetsSent).toBeLessThan(40);
  });

  it('dtx_mode off on the answerer: CN is not negotiated, silence is sent as audio (no SID)', async () => {
    const e = engine();
    const a = bridge(e, DTX);
    const b = bridge(e, OFF);
    const answer = b.bridge.createAnswer(a.bridge.createOffer({ hold: false }), { hold: false });
    expect(answer).not.toMatch(/CN\/8000/);
    a.bridge.setAnswer(answer);
    await sleep(1000);
    const sa = a.bridge.stream!.getStats();
    const sb = b.bridge.stream!.getStats();
    // Without negotiated CN neither side sends SID: the answerer sends every 20 ms frame.
    expect(sa.sidPacketsSent).toBe(0);
    expect(sb.sidPacketsSent).toBe(0);
    expect(sb.packetsSent).toBeGreaterThan(30);
    expect(sa.sidPacketsReceived).toBe(0);
  });

  it.runIf(listCodecs().some((c) => c.name === 'opus' && c.available))('a 48 kHz codec gets no CN/8000 (RFC 3389: CN shares the codec clock)', () => {
    const e = engine();
    const a = bridge(e, DTX, { 'opus/48000/2': 10 });
    const b = bridge(e, DTX, { 'opus/48000/2': 10 });
    const updated: string[] = [];
    a.bridge.onDidUpdateMedia((e) => updated.push(e.result.audio?.codecs[0]?.name ?? ''));
    b.bridge.onDidUpdateMedia((e) => updated.push(e.result.audio?.codecs[0]?.name ?? ''));
    a.bridge.setAnswer(b.bridge.createAnswer(a.bridge.createOffer({ hold: false }), { hold: false }));
    // Both streams are updated (onDidUpdateMedia fires only after a successful update): no clashing
    // cn was passed (the engine refuses PT 13 with a 48 kHz clock).
    expect(updated).toEqual(['opus', 'opus']);
  });
});
