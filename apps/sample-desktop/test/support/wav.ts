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
