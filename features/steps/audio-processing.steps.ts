/**
 * Steps of audio-processing.feature: `agc_mode` and `vad_level` changed during a call. Alice's
 * microphone plays a WAV file (looped) of bursts of her tone at a chosen level, written once per
 * level for the run; what Bob hears is measured on his recorder (level in dBFS, dominant tone).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AfterAll, Given, Then } from '@cucumber/cucumber';
import { MemorySink, WavFileSource, type AudioSink } from '@sip-endpoint/media-native';
import { dominant, sleep } from '../support/peers';
import { levelDb, TONE_OF, TONES, type CallWorld } from '../support/world';

let wavDir: string | undefined;

AfterAll(function () {
  if (wavDir) rmSync(wavDir, { recursive: true, force: true });
  wavDir = undefined;
});

/** A 2 s, 8 kHz mono WAV: bursts of `hz` at `dbov` (300 ms on, 100 ms off), made once per level. */
function burstsWav(hz: number, dbov: number): string {
  wavDir ??= mkdtempSync(join(tmpdir(), 'features-voice-'));
  const path = join(wavDir, `bursts-${hz}-${-dbov}.wav`);
  const rate = 8000;
  const n = rate * 2;
  // dBov as the engine's level meter reads it: the RMS relative to 32767 (a sine's peak is RMS x sqrt 2).
  const peak = 32767 * 10 ** (dbov / 20) * Math.SQRT2;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const on = i % (rate * 0.4) < rate * 0.3;
    data.writeInt16LE(on ? Math.round(peak * Math.sin((2 * Math.PI * hz * i) / rate)) : 0, i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
  return path;
}

Given(/^(Alice|Bob|Carol) speaks (?:quietly|faintly) into (?:her|his) microphone, at (-\d+) dBov$/, function (this: CallWorld, name: string, dbov: string) {
  const path = burstsWav(TONE_OF[name] ?? 2000, Number(dbov));
  const s = this.setup(name);
  // The speaker's own recorder is not listened to here: a null sink of the engine's would do,
  // a memory sink keeps the call's audio path the same as the other actors'.
  const sinks: MemorySink[] = [];
  this.cleanups.push(() => {
    for (const k of sinks.splice(0)) k.dispose();
  });
  s.options = {
    ...s.options,
    audio: {
      createSource: () => new WavFileSource({ path, loop: true }),
      createSink: (): AudioSink => {
        const k = new MemorySink({ sampleRate: 8000 });
        sinks.push(k);
        return k;
      },
    },
  };
});

Given("{actor}'s silence suppression is on, with voice detection level {int}", function (this: CallWorld, name: string, level: number) {
  const s = this.setup(name);
  s.config = { ...s.config, policy: { session: { dtx_mode: true, vad_level: level } } };
});

/** What `listener` records over one second (five bursts), after `settleMs`. */
async function listenSecond(world: CallWorld, listener: string, settleMs = 200): Promise<Int16Array> {
  const sink = world.actor(listener).sinks.at(-1);
  assert.ok(sink, `${listener} has no audio sink (no call media yet)`);
  await sleep(settleMs);
  sink.pull();
  await sleep(1000);
  return sink.pull();
}

const before = new WeakMap<CallWorld, number>();

Then('{actor} hears {actor} at the same level a second later', async function (this: CallWorld, listener: string, speaker: string) {
  const a = levelDb(await listenSecond(this, listener, 0));
  const pcm = await listenSecond(this, listener, 0);
  const b = levelDb(pcm);
  assert.equal(dominant(pcm, TONES).freq, TONE_OF[speaker]);
  // Without gain control nothing changes the level: the baseline is steady.
  assert.ok(Math.abs(b - a) < 2, `${speaker}'s level at ${listener} moved from ${a.toFixed(1)} to ${b.toFixed(1)} dBFS by itself`);
  before.set(this, b);
});

Then(
  /^within (\d+) seconds (Alice|Bob|Carol) hears (Alice|Bob|Carol) at least (\d+) dB louder than before, without clipping$/,
  async function (this: CallWorld, seconds: string, listener: string, speaker: string, db: string) {
    const base = before.get(this);
    assert.ok(base !== undefined, `nobody measured ${speaker}'s level at ${listener} before`);
    const end = Date.now() + Number(seconds) * 1000;
    let level = base;
    let pcm: Int16Array = new Int16Array(0);
    while (Date.now() < end && level - base < Number(db)) {
      pcm = await listenSecond(this, listener, 0);
      level = levelDb(pcm);
    }
    assert.ok(level - base >= Number(db), `${speaker} is only ${(level - base).toFixed(1)} dB louder at ${listener} (${base.toFixed(1)} -> ${level.toFixed(1)} dBFS)`);
    assert.equal(dominant(pcm, TONES).freq, TONE_OF[speaker], `${listener} no longer hears ${speaker}'s tone`);
    let peak = 0;
    for (const v of pcm) peak = Math.max(peak, Math.abs(v));
    assert.ok(peak < 32000, `${speaker}'s voice clips at ${listener} (peak ${peak})`);
  },
);

Then("{actor} no longer hears {actor}'s voice", async function (this: CallWorld, listener: string, speaker: string) {
  const pcm = await listenSecond(this, listener);
  const d = dominant(pcm, TONES);
  const db = levelDb(pcm);
  // Nothing of the speaker's tone: silence, or comfort noise without a tone in it.
  assert.ok(db < -70 || !(d.freq === TONE_OF[speaker] && d.ratio > 5), `${listener} still hears ${speaker}'s tone at ${db.toFixed(1)} dBFS`);
});
