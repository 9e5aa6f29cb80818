import { readFileSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';

/** Goertzel power of `hz` in `x` (normalised by length²). */
export function goertzel(x: Int16Array, rate: number, hz: number): number {
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.length * x.length);
}

/** The strongest frequency of `x` on a 25 Hz grid between 100 Hz and rate/2 - 100. */
export function dominantFrequency(x: Int16Array, rate: number): number {
  let best = 0;
  let bestHz = 0;
  for (let hz = 100; hz <= rate / 2 - 100; hz += 25) {
    const p = goertzel(x, rate, hz);
    if (p > best) {
      best = p;
      bestHz = hz;
    }
  }
  return bestHz;
}

/** RMS of `x`. */
export function rms(x: Int16Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, x.length));
}

/** Reads a mono 16-bit PCM WAV (the canonical 44-octet header our recorder writes, or any with fmt/data chunks). */
export function readWav(path: string): { rate: number; samples: Int16Array } {
  const b = readFileSync(path);
  let pos = 12;
  let rate = 0;
  let channels = 1;
  while (pos + 8 <= b.length) {
    const id = b.toString('ascii', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(pos + 10);
      rate = b.readUInt32LE(pos + 12);
    } else if (id === 'data') {
      const len = Math.min(size === 0 ? b.length - pos - 8 : size, b.length - pos - 8);
      const all = new Int16Array(b.buffer.slice(b.byteOffset + pos + 8, b.byteOffset + pos + 8 + (len & ~1)));
      if (channels === 1) return { rate, samples: all };
      const mono = new Int16Array(Math.floor(all.length / channels));
      for (let i = 0; i < mono.length; i++) mono[i] = all[i * channels]!;
      return { rate, samples: mono };
    }
    pos += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

/** Skips the first `ms` of audio (jitter buffer start, talkspurt) and returns the rest. */
export function after(x: Int16Array, rate: number, ms: number): Int16Array {
  return x.subarray(Math.min(x.length, Math.floor((rate * ms) / 1000)));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` is true (polling every 20 ms), at most `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

/**
 * A UDP relay on 127.0.0.1 between two RTP endpoints that drops `lossRate` of the packets and
 * delays each by a uniform random 0..`jitterMs` (reordering them as real jitter does). Seeded,
 * so a run is reproducible. RTP only (RTCP goes direct).
 */
export class LossyRelay {
  private readonly a: Socket = createSocket('udp4');
  private readonly b: Socket = createSocket('udp4');
  private seed = 12345;
  private readonly timers = new Set<NodeJS.Timeout>();
  dropped = 0;
  forwarded = 0;

  private constructor(
    private readonly lossRate: number,
    private readonly jitterMs: number,
  ) {}

  /** Packets sent to `portA` go to `targetB` and the other way round. */
  static async start(lossRate: number, jitterMs: number, targetA: number, targetB: number): Promise<LossyRelay> {
    const r = new LossyRelay(lossRate, jitterMs);
    await Promise.all([new Promise<void>((res) => r.a.bind(0, '127.0.0.1', res)), new Promise<void>((res) => r.b.bind(0, '127.0.0.1', res))]);
    r.a.on('message', (m) => r.forward(r.b, m, targetB));
    r.b.on('message', (m) => r.forward(r.a, m, targetA));
    return r;
  }

  /** The port A sends to (forwarded to B). */
  get portForA(): number {
    return this.a.address().port;
  }

  /** The port B sends to (forwarded to A). */
  get portForB(): number {
    return this.b.address().port;
  }

  private random(): number {
    // xorshift32: deterministic loss/jitter pattern
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 0x100000000;
  }

  private forward(out: Socket, m: Buffer, port: number): void {
    if (this.random() < this.lossRate) {
      this.dropped++;
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.forwarded++;
      out.send(m, port, '127.0.0.1');
    }, this.random() * this.jitterMs);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.a.close();
    this.b.close();
  }
}
