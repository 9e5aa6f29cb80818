/** Reads the PCM of a 16-bit mono WAV file written by the engine's recorder. */
import { readFileSync } from 'node:fs';

/** RMS level (0..32767) and the sample count of a 16-bit PCM WAV; throws on a bad header. */
export function wavLevel(path: string): { samples: number; rms: number } {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV file`);
  // Find the data chunk.
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') {
      const end = Math.min(buf.length, off + 8 + size);
      const n = Math.floor((end - off - 8) / 2);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const v = buf.readInt16LE(off + 8 + i * 2);
        sum += v * v;
      }
      return { samples: n, rms: n ? Math.sqrt(sum / n) : 0 };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/** The 16-bit samples of a WAV file's data chunk. */
export function wavSamples(path: string): Int16Array {
  const buf = readFileSync(path);
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'data') {
      const n = Math.floor((Math.min(buf.length, off + 8 + size) - off - 8) / 2);
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(off + 8 + i * 2);
      return out;
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/**
 * How many 200 ms blocks of 8 kHz audio carry a tone of `hz`: the Goertzel power at `hz`,
 * relative to the block's energy, is above `share` (1 for a pure tone at `hz`, ~0 without it).
 */
export function blocksWithTone(x: Int16Array, hz: number, share = 0.1, rate = 8000): number {
  const n = rate / 5;
  const w = (2 * Math.PI * hz) / rate;
  const k = 2 * Math.cos(w);
  let count = 0;
  for (let start = 0; start + n <= x.length; start += n) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let i = start; i < start + n; i++) {
      const v = x[i] ?? 0;
      energy += v * v;
      const s0 = v + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - k * s1 * s2;
    if (energy > 0 && power / ((energy * n) / 2) > share) count++;
  }
  return count;
}
