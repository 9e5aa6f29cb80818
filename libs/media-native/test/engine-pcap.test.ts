import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { MediaEngine, MemorySink } from '@sip-endpoint/media-native';
import { rms, sleep, until } from './support/audio';

const DIR = '/usr/share/sip-tester';
const haveCaptures = existsSync(`${DIR}/g711a.pcap`);
// A missing peer is a failure, not a skip: CI installs every peer the tests need.
if (!haveCaptures) throw new Error('the RTP captures of the Debian package sip-tester are needed (tools/install-peers.sh installs it)');

/** UDP payloads of a classic pcap (Ethernet / IPv4 / UDP) with their capture times in ms. */
function udpPayloads(path: string): { ms: number; data: Buffer }[] {
  const b = readFileSync(path);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: { ms: number; data: Buffer }[] = [];
  for (let pos = 24; pos + 16 <= b.length; ) {
    const ms = u32(pos) * 1000 + u32(pos + 4) / 1000;
    const len = u32(pos + 8);
    const frame = b.subarray(pos + 16, pos + 16 + len);
    pos += 16 + len;
    if (frame.readUInt16BE(12) !== 0x0800) continue; // IPv4 only
    const ihl = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue; // UDP
    const udp = 14 + ihl;
    out.push({ ms, data: frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4)) });
  }
  return out;
}

/** ITU-T G.711 A-law expansion (reference for the comparison). */
function alaw(code: number): number {
  const a = code ^ 0x55;
  const seg = (a >> 4) & 7;
  let t = (a & 0x0f) << 4;
  t += seg === 0 ? 8 : 0x108;
  if (seg > 1) t <<= seg - 1;
  return a & 0x80 ? t : -t;
}

/** Replays `packets` to 127.0.0.1:`port` with their original spacing. */
async function replay(packets: { ms: number; data: Buffer }[], port: number): Promise<void> {
  const sock = createSocket('udp4');
  const t0 = packets[0]!.ms;
  const start = Date.now();
  for (const p of packets) {
    const wait = p.ms - t0 - (Date.now() - start);
    if (wait > 0) await sleep(wait);
    sock.send(p.data, port, '127.0.0.1');
  }
  await sleep(50);
  sock.close();
}

describe("sip-tester's RTP captures replayed into our receiver", () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('g711a.pcap (PCMA speech) decodes to the same audio as a reference A-law decode, with no in-band DTMF found in it', async () => {
    const packets = udpPayloads(`${DIR}/g711a.pcap`).slice(0, 100);
    expect(packets.length).toBe(100);
    const engine = new MediaEngine({ rtpPortMin: 46000, rtpPortMax: 46999 });
    const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
    try {
      // No telephone-event: in-band DTMF detection is on, and speech must not trigger it (talk-off).
      const s = engine.createStream({ codec: { name: 'PCMA' }, sink });
      const digits: string[] = [];
      s.onDidReceiveDtmf((e) => digits.push(`${e.digit}:${e.method}`));
      sink.pull();
      await replay(packets, s.localPort);
      await sleep(300);
      const got = sink.pull();
      const st = s.getStats();
      expect(st.packetsReceived).toBeGreaterThanOrEqual(97); // the first packets of a source are probation (RFC 3550 §A.1)
      expect(st.packetsLost).toBe(0);
      expect(digits).toEqual([]);
      expect(st.inbandDtmfReceived).toBe(0);
      // Reference: the payloads decoded directly, after the probation packets.
      // (this capture has 30 ms packets: 240 samples each, against our 20 ms playout frames)
      const payloads = packets.slice(10).map((p) => p.data.subarray(12));
      const ref = new Int16Array(payloads.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of payloads) for (const code of p) ref[at++] = alaw(code);
      expect(rms(ref)).toBeGreaterThan(300);
      // Normalised correlation of 100 ms windows of the reference with the best-aligned audio we
      // played (the jitter buffer delays, and stretches by a few ms at talkspurt corrections).
      const corr = (win: Int16Array): number => {
        let best = 0;
        for (let lag = 0; lag + win.length <= got.length; lag++) {
          let xy = 0;
          let xx = 0;
          let yy = 0;
          for (let k = 0; k < win.length; k++) {
            const x = win[k]!;
            const y = got[lag + k]!;
            xy += x * y;
            xx += x * x;
            yy += y * y;
          }
          best = Math.max(best, xy / Math.sqrt(xx * yy || 1));
        }
        return best;
      };
      const scores: number[] = [];
      for (let from = 800; from + 800 <= ref.length; from += 2400) {
        const win = ref.subarray(from, from + 800);
        if (rms(win) > 200) scores.push(corr(win));
      }
      scores.sort((a, b) => a - b);
      expect(scores.length).toBeGreaterThanOrEqual(3);
      // (not 1.0: the jitter buffer removes/repeats 5 ms chunks with a cross-fade to steer its delay)
      expect(scores[Math.floor(scores.length / 2)]!).toBeGreaterThan(0.8);
    } finally {
      engine.dispose();
      sink.dispose();
    }
  });

  it('dtmf_2833_*.pcap: every capture is detected as its digit', async () => {
    const files: [string, string][] = [...'0123456789'].map((d) => [`dtmf_2833_${d}.pcap`, d]);
    files.push(['dtmf_2833_pound.pcap', '#'], ['dtmf_2833_star.pcap', '*']);
    const engine = new MediaEngine({ rtpPortMin: 46000, rtpPortMax: 46999 });
    try {
      const got = new Map<string, string>();
      const runs = files.map(([file, digit]) => {
        const s = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101 } });
        s.onDidReceiveDtmf((e) => got.set(digit, (got.get(digit) ?? '') + e.digit));
        return replay(udpPayloads(`${DIR}/${file}`), s.localPort);
      });
      await Promise.all(runs);
      await until(() => got.size === files.length, 2000);
      for (const [, digit] of files) expect(got.get(digit)).toBe(digit);
    } finally {
      engine.dispose();
    }
  });
});
