/**
 * A re-INVITE that renews the codec keeps the call's counters (RFC 3550 §6.4.1: the sender's
 * counts run from the start of the SSRC): statistics cover the whole call, not the last offer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine, ToneSource } from '@sip-endpoint/media-native';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let engine: MediaEngine | undefined;
afterEach(() => {
  engine?.dispose();
  engine = undefined;
});

describe('statistics across an update with a codec', () => {
  it('keep counting sent and received packets when the codec is renewed', async () => {
    engine = new MediaEngine({ rtpPortMin: 47000, rtpPortMax: 47999 });
    const b = engine.createStream({ codec: { name: 'PCMU' }, source: new ToneSource({ frequencyHz: 500 }), latch: false });
    const a = engine.createStream({ codec: { name: 'PCMU' }, source: new ToneSource({ frequencyHz: 1000 }), latch: false, remote: { address: '127.0.0.1', port: b.localPort } });
    b.update({ remote: { address: '127.0.0.1', port: a.localPort } });
    await sleep(600);
    const before = a.getStats();
    expect(before.packetsSent).toBeGreaterThan(15);
    a.update({ codec: { name: 'PCMU' } });
    b.update({ codec: { name: 'PCMU' } });
    await sleep(400);
    const after = a.getStats();
    // Counting went on from where it was (a reset would start again near 20).
    expect(after.packetsSent).toBeGreaterThan(before.packetsSent + 10);
    expect(after.packetsReceived).toBeGreaterThan(before.packetsReceived + 10);
  });
});
