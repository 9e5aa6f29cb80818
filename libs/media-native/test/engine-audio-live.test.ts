/**
 * Audio processing changed on a running stream (`updateAudioProcessing`, what a live
 * `setConfigSetting('policy.session.dtx_mode', ...)` does during a call): DTX switched on stops
 * the RTP of a silent source (and sends RFC 3389 SIDs when CN is negotiated), switched off sends
 * it again; no JavaScript runs per packet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MediaEngine, NullSource, type MediaStream } from '@sip-endpoint/media-native';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let engine: MediaEngine | undefined;
const devices: { dispose(): void }[] = [];
afterEach(() => {
  engine?.dispose();
  engine = undefined;
  for (const d of devices.splice(0)) d.dispose();
});

async function pair(cn: boolean): Promise<{ a: MediaStream; b: MediaStream }> {
  engine = new MediaEngine({ rtpPortMin: 47200, rtpPortMax: 47399 });
  const silence = new NullSource();
  devices.push(silence);
  const b = engine.createStream({ codec: { name: 'PCMU' }, ...(cn ? { cn: { payloadType: 13 } } : {}) });
  const a = engine.createStream({ codec: { name: 'PCMU' }, source: silence, ...(cn ? { cn: { payloadType: 13 } } : {}), remote: { address: '127.0.0.1', port: b.localPort } });
  await sleep(400);
  return { a, b };
}

describe('live audio processing', () => {
  it('DTX switched on during the call stops RTP in silence, switched off sends it again', async () => {
    const { a } = await pair(false);
    const start = a.getStats();
    expect(start.packetsSent).toBeGreaterThan(10);
    expect(start.dtxFrames).toBe(0);
    a.updateAudioProcessing({ vadLevel: 1, dtx: true });
    await sleep(300); // VAD hangover; snapshots are at most 100 ms old
    const atDtx = a.getStats().packetsSent;
    await sleep(600);
    const during = a.getStats();
    expect(during.packetsSent - atDtx).toBeLessThanOrEqual(1);
    expect(during.dtxFrames).toBeGreaterThan(15);
    a.updateAudioProcessing({ dtx: false });
    await sleep(200);
    const resumed = a.getStats().packetsSent;
    await sleep(500);
    expect(a.getStats().packetsSent - resumed).toBeGreaterThan(15);
  });

  it('with CN negotiated, DTX switched on sends SID packets and the receiver gets them', async () => {
    const { a, b } = await pair(true);
    expect(a.getStats().sidPacketsSent).toBe(0);
    a.update({ audioProcessing: { vadLevel: 2, dtx: true } });
    await sleep(1500);
    expect(a.getStats().sidPacketsSent).toBeGreaterThanOrEqual(1);
    expect(b.getStats().sidPacketsReceived).toBeGreaterThanOrEqual(1);
    expect(a.getStats().dtxFrames).toBeGreaterThan(30);
  });

  it('refuses a closed stream', async () => {
    const { a } = await pair(false);
    a.dispose();
    expect(() => a.updateAudioProcessing({ dtx: true })).toThrow(/closed/);
  });
});
