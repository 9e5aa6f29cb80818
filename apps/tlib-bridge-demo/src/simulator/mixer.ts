/**
 * A small PCMU conference mixer for the relay: for a call with three or more legs, every 20 ms
 * each leg gets the sum of the other legs' latest frames (G.711 mu-law decoded, summed, clipped,
 * encoded again) as its own RTP stream (its own SSRC, sequence and timestamp).
 */
import { randomBytes } from 'node:crypto';

const ULAW_TO_LINEAR = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  // ITU-T G.711 mu-law expansion: complement, then sign, 3-bit exponent, 4-bit mantissa.
  const u = ~i & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  ULAW_TO_LINEAR[i] = u & 0x80 ? 0x84 - t : t - 0x84;
}

/** G.711 mu-law compression of one 16-bit sample. */
export function linearToUlaw(sample: number): number {
  let pcm = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = pcm < 0 ? 0x80 : 0;
  if (sign) pcm = -pcm;
  pcm = Math.min(pcm, 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** G.711 mu-law expansion of one byte. */
export function ulawToLinear(byte: number): number {
  return ULAW_TO_LINEAR[byte & 0xff] ?? 0;
}

/** The payload of an RTP packet (RFC 3550 §5.1), or undefined when it is not RTP. */
export function rtpPayload(packet: Buffer): { pt: number; payload: Buffer } | undefined {
  if (packet.length < 12 || packet[0] >> 6 !== 2) return undefined;
  const cc = packet[0] & 0x0f;
  let offset = 12 + 4 * cc;
  if (packet[0] & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  }
  let end = packet.length;
  if (packet[0] & 0x20) end -= packet[end - 1];
  if (end < offset) return undefined;
  return { pt: packet[1] & 0x7f, payload: packet.subarray(offset, end) };
}

/** The outgoing RTP state of one leg of a mixed call. */
export class MixOutput {
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private seq = randomBytes(2).readUInt16BE(0);
  private ts = randomBytes(4).readUInt32BE(0);
  /** Frames received from this leg and not mixed yet (at most 5 kept). */
  readonly queue: Int16Array[] = [];

  /** Queues the PCMU payload of a packet from this leg. */
  push(payload: Buffer): void {
    const frame = new Int16Array(payload.length);
    for (let i = 0; i < payload.length; i++) frame[i] = ulawToLinear(payload[i]);
    this.queue.push(frame);
    if (this.queue.length > 5) this.queue.shift();
  }

  /** An RTP packet (PT 0) with `samples` mixed for this leg. */
  packet(samples: Float64Array): Buffer {
    const out = Buffer.alloc(12 + samples.length);
    out[0] = 0x80;
    out[1] = 0;
    out.writeUInt16BE(this.seq, 2);
    out.writeUInt32BE(this.ts >>> 0, 4);
    out.writeUInt32BE(this.ssrc, 8);
    for (let i = 0; i < samples.length; i++) out[12 + i] = linearToUlaw(samples[i]);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + samples.length) >>> 0;
    return out;
  }
}

/** Mixes one 20 ms tick: for each leg, the sum of the other legs' next frames (160 samples). */
export function mixTick(outputs: readonly MixOutput[]): Float64Array[] {
  const frames = outputs.map((o) => o.queue.shift());
  return outputs.map((_, i) => {
    const sum = new Float64Array(160);
    frames.forEach((f, j) => {
      if (j === i || !f) return;
      for (let k = 0; k < Math.min(160, f.length); k++) sum[k] += f[k];
    });
    return sum;
  });
}
