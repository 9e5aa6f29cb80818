/**
 * `MediaStream.setDevices`: a running stream changes its source and sink (device hot-plug: the
 * endpoint moves a call off a removed headset) without a new stream, a new SSRC or lost packets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine, MemorySink, NullSource, ToneSource } from '@sip-endpoint/media-native';
import { dominantFrequency, sleep } from './support/audio';

let engine: MediaEngine | undefined;
const devices: { dispose(): void }[] = [];
afterEach(() => {
  engine?.dispose();
  engine = undefined;
  for (const d of devices.splice(0)) d.dispose();
});
const own = <T extends { dispose(): void }>(d: T): T => {
  devices.push(d);
  return d;
};

describe('changing the devices of a running stream', () => {
  it('a new source is heard at the far end and a new sink gets the audio; the call goes on', async () => {
    engine = new MediaEngine({ rtpPortMin: 47400, rtpPortMax: 47599 });
    const firstSink = own(new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 }));
    const b = engine.createStream({ codec: { name: 'PCMU' }, sink: firstSink });
    const a = engine.createStream({ codec: { name: 'PCMU' }, source: own(new ToneSource({ frequencyHz: 1000 })), remote: { address: '127.0.0.1', port: b.localPort } });
    await sleep(600);
    expect(dominantFrequency(firstSink.pull(), 8000)).toBeCloseTo(1000, -2);
    const ssrc = b.getStats().remoteSsrc;

    // The microphone changes (e.g. the headset was unplugged: the default device takes over).
    a.setDevices({ source: own(new ToneSource({ frequencyHz: 500 })) });
    // The speaker changes too, to a device with another rate (resampled at the edge).
    const secondSink = own(new MemorySink({ sampleRate: 16000, capacitySamples: 16000 * 4 }));
    b.setDevices({ sink: secondSink });
    firstSink.pull();
    await sleep(700);
    const heard = secondSink.pull();
    expect(heard.length).toBeGreaterThan(16000 * 0.4);
    expect(dominantFrequency(heard.subarray(heard.length / 2), 16000)).toBeCloseTo(500, -2);
    expect(firstSink.pull().length).toBe(0); // the old sink gets nothing any more
    expect(b.getStats().remoteSsrc).toBe(ssrc);
    expect(b.getStats().packetsLost).toBe(0);
  });

  it('refuses a device of the wrong direction or a closed stream, and a rate it cannot convert', () => {
    engine = new MediaEngine({ rtpPortMin: 47400, rtpPortMax: 47599 });
    const s = engine.createStream({ codec: { name: 'PCMU' } });
    expect(() => s.setDevices({ source: own(new MemorySink()) as never })).toThrow(/source/);
    expect(() => s.setDevices({ source: own(new NullSource({ sampleRate: 11025 })) })).toThrow(/convert|rate|11025/);
    s.dispose();
    expect(() => s.setDevices({ source: own(new NullSource()) })).toThrow(/closed/);
  });
});
