import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import {
  listCodecs,
  MediaEngine,
  MemorySink,
  MemorySource,
  NativeEngineError,
  ToneSource,
  type DtmfReceivedEvent,
  type MediaCodec,
} from '@sip-endpoint/media-native';
import { rms, sleep, until } from './support/audio';

const PORTS = { rtpPortMin: 47000, rtpPortMax: 47999 };

const available = new Set(listCodecs().filter((c) => c.available).map((c) => c.name));
/** Codecs the in-band digits are sent through (G.729 and Opus when the build has them). */
const codecs: MediaCodec[] = [
  { name: 'PCMU' },
  ...(available.has('G722') ? [{ name: 'G722' }] : []),
  ...(available.has('G729') ? [{ name: 'G729' }] : []),
  ...(available.has('opus') ? [{ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 }] : []),
];

/** Level of `x` in dBov (RFC 3389 §3.1: relative to a full-scale square wave, RMS 32767). */
const dbov = (x: Int16Array): number => 20 * Math.log10(rms(x) / 32767);

/** `seconds` of uniform white noise at `level` dBov at 8 kHz. */
function noise(seconds: number, level: number): Int16Array {
  const a = 32767 * 10 ** (level / 20) * Math.sqrt(3);
  const out = new Int16Array(Math.round(8000 * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round((Math.random() * 2 - 1) * a);
  return out;
}

/** `seconds` of a `hz` tone at `level` dBov (peak) at 8 kHz. */
function tone(seconds: number, hz: number, level: number): Int16Array {
  const a = 32767 * 10 ** (level / 20);
  const out = new Int16Array(Math.round(8000 * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(a * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

describe('media engine: in-band DTMF detection on receive', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it(`digits sent in-band by A are detected once each by B (${codecs.map((c) => c.name).join(', ')})`, async () => {
    const engine = new MediaEngine(PORTS);
    try {
      const digits = '159#*0D';
      const got = new Map<string, DtmfReceivedEvent[]>();
      const senders = codecs.map((codec) => {
        // No telephone-event negotiated on B: detection is on by default.
        const b = engine.createStream({ codec });
        const a = engine.createStream({ codec, remote: { address: '127.0.0.1', port: b.localPort } });
        got.set(codec.name, []);
        b.onDidReceiveDtmf((e) => got.get(codec.name)!.push(e));
        return { a, b };
      });
      await until(() => senders.every(({ b }) => b.getStats().packetsReceived > 10));
      for (const { a } of senders) a.sendDtmf(digits, { durationMs: 80, method: 'inband' });
      // 7 x (80 ms tone + 100 ms pause), plus the jitter buffer
      await until(() => [...got.values()].every((l) => l.length >= digits.length), 4000);
      await sleep(300);
      for (const codec of codecs) {
        const events = got.get(codec.name)!;
        expect({ codec: codec.name, digits: events.map((e) => e.digit).join('') }).toEqual({ codec: codec.name, digits });
        for (const e of events) {
          expect(e.method).toBe('inband');
          // The detector reports a tone from its confirmed onset to its confirmed end (whole
          // 12.75 ms blocks): shorter than the 80 ms sent, the more so through G.729.
          expect(e.durationMs).toBeGreaterThan(0);
          expect(e.durationMs).toBeLessThanOrEqual(120);
        }
      }
      for (const { b } of senders) expect(b.getStats().inbandDtmfReceived).toBe(digits.length);
    } finally {
      engine.dispose();
    }
  });

  it('no digit in a 1 kHz tone; detection follows detectInbandDtmf and telephone-event; RFC 4733 events say rfc4733', async () => {
    const engine = new MediaEngine(PORTS);
    const t = new ToneSource({ frequencyHz: 1000, levelDbov: -6 });
    try {
      const events: DtmfReceivedEvent[] = [];
      const off: DtmfReceivedEvent[] = [];
      const te: DtmfReceivedEvent[] = [];
      const toneRx = engine.createStream({ codec: { name: 'PCMU' } });
      engine.createStream({ codec: { name: 'PCMU' }, source: t, remote: { address: '127.0.0.1', port: toneRx.localPort } });
      toneRx.onDidReceiveDtmf((e) => events.push(e));
      // Detection switched off explicitly, and off by default when telephone-event is negotiated.
      const offRx = engine.createStream({ codec: { name: 'PCMU' }, detectInbandDtmf: false });
      offRx.onDidReceiveDtmf((e) => off.push(e));
      const offTx = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: offRx.localPort } });
      const teRx = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101 } });
      teRx.onDidReceiveDtmf((e) => te.push(e));
      const teTx = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101 }, remote: { address: '127.0.0.1', port: teRx.localPort } });
      await until(() => offRx.getStats().packetsReceived > 10 && teRx.getStats().packetsReceived > 10);
      offTx.sendDtmf('12', { durationMs: 80, method: 'inband' });
      teTx.sendDtmf('3', { durationMs: 80, method: 'inband' });
      teTx.sendDtmf('4', { durationMs: 80 });
      await sleep(1500);
      expect(toneRx.getStats().packetsReceived).toBeGreaterThan(50);
      expect(events).toEqual([]);
      expect(off).toEqual([]);
      expect(te.map((e) => `${e.digit}:${e.method}`)).toEqual(['4:rfc4733']);
      // Switched on by update(): the next in-band digits are found.
      offRx.update({ detectInbandDtmf: true });
      offTx.sendDtmf('9', { durationMs: 80, method: 'inband' });
      expect(await until(() => off.length > 0, 2000)).toBe(true);
      expect(off.map((e) => `${e.digit}:${e.method}`)).toEqual(['9:inband']);
    } finally {
      engine.dispose();
      t.dispose();
    }
  });
});

describe('media engine: comfort noise (RFC 3389) with DTX', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('silence on A goes out as SID packets (PT 13); B plays noise at their level; nothing counted lost', async () => {
    const engine = new MediaEngine(PORTS);
    const src = new MemorySource({ sampleRate: 8000, capacitySamples: 8000 * 6 });
    const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 6 });
    try {
      const level = -50;
      const b = engine.createStream({ codec: { name: 'PCMU' }, sink, cn: { payloadType: 13 } });
      // 0.6 s of "speech", 3 s of background noise at -50 dBov, 0.6 s of "speech" again.
      src.push(tone(0.6, 440, -12));
      src.push(noise(3, level));
      src.push(tone(0.6, 440, -12));
      const a = engine.createStream({
        codec: { name: 'PCMU' },
        source: src,
        cn: { payloadType: 13 },
        audioProcessing: { vadLevel: 3, dtx: true },
        remote: { address: '127.0.0.1', port: b.localPort },
      });
      await sleep(1400);
      sink.pull();
      await sleep(1500);
      // Played between 1.4 s and 2.9 s: inside the sender's silence, so comfort noise only.
      const gap = sink.pull();
      await sleep(1600);
      const sa = a.getStats();
      const sb = b.getStats();
      // A SID at the start of the silence and refreshes (at least every second), no audio then.
      expect(sa.sidPacketsSent).toBeGreaterThanOrEqual(3);
      expect(sa.dtxFrames).toBeGreaterThan(100);
      expect(sb.sidPacketsReceived).toBe(sa.sidPacketsSent);
      expect(sb.jitterBuffer.comfortNoisePackets).toBe(sa.sidPacketsSent);
      expect(sb.jitterBuffer.comfortNoiseFrames).toBeGreaterThan(100);
      // The gap is DTX, not loss: nothing lost or concealed, and the MOS stays that of a clean call.
      expect(sb.packetsLost).toBe(0);
      expect(sb.jitterBuffer.lost).toBe(0);
      expect(sb.jitterBuffer.concealedFrames).toBeLessThanOrEqual(2);
      expect(sb.otherPayloadPackets).toBe(0);
      expect(sb.mosWholeCall).toBeGreaterThan(4.0);
      // Two talkspurts (RFC 3551 §4.1: the speech after the silence starts a new one).
      expect(sb.jitterBuffer.talkspurts).toBe(2);
      expect(gap.length).toBeGreaterThan(8000);
      expect(Math.abs(dbov(gap) - level)).toBeLessThanOrEqual(3);
    } finally {
      engine.dispose();
      src.dispose();
      sink.dispose();
    }
  });

  it('cn in update(): set, removed with null; bad payload types are refused', () => {
    const engine = new MediaEngine(PORTS);
    try {
      const s = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101 } });
      s.update({ cn: { payloadType: 13 } });
      s.update({ cn: null });
      s.update({ cn: { payloadType: 105 } });
      expect(() => s.update({ cn: { payloadType: 101 } })).toThrow(NativeEngineError);
      expect(() => s.update({ cn: { payloadType: 0 } })).toThrow(/already used/);
      expect(() => s.update({ cn: { payloadType: 50 } })).toThrow(/neither 13 nor dynamic/);
      expect(() => engine.createStream({ codec: { name: 'PCMU' }, cn: { payloadType: 200 } })).toThrow(NativeEngineError);
      if (available.has('opus')) {
        const opus = { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 };
        expect(() => engine.createStream({ codec: opus, cn: { payloadType: 13 } })).toThrow(/CN\/8000/);
        expect(() => s.update({ codec: opus, cn: { payloadType: 13 } })).toThrow(/CN\/8000/);
      }
      // A refused update changed nothing: the stream keeps working.
      expect(s.isOpen).toBe(true);
    } finally {
      engine.dispose();
    }
  });
});
