import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import {
  audioDeviceSupport,
  AudioDeviceWatcher,
  listAudioDevices,
  MemorySink,
  MemorySource,
  NativeEngineError,
  NullSink,
  NullSource,
  selectAudioDevice,
  SoundSource,
  ToneSource,
  WavFileSink,
  WavFileSource,
  type AudioDeviceInfo,
} from '@sip-endpoint/media-native';
import { readWav } from './support/audio';

describe('media devices', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'media-devices-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('devices report their kind and rate; memory rings are bounded', () => {
    const tone = new ToneSource({ frequencyHz: 440, sampleRate: 48000 });
    const nul = new NullSource();
    const nsink = new NullSink({ sampleRate: 16000 });
    const src = new MemorySource({ sampleRate: 8000, capacitySamples: 100 });
    const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 100 });
    try {
      expect(tone.sampleRate).toBe(48000);
      expect(tone.direction).toBe('source');
      expect(nsink.direction).toBe('sink');
      expect(nul.info().kind).toBe('null-source');
      expect(src.push(new Int16Array(150))).toBe(100);
      const bytes = Buffer.alloc(20);
      expect(src.push(bytes)).toBe(0);
      expect(src.info().buffered).toBe(100);
      expect(sink.pull().length).toBe(0);
    } finally {
      for (const d of [tone, nul, nsink, src, sink]) d.dispose();
    }
  });

  it('a WAV recorder disposed without audio is a valid empty WAV; a bad file is refused', () => {
    const path = join(dir, 'empty.wav');
    const rec = new WavFileSink({ path, sampleRate: 16000 });
    rec.dispose();
    rec.dispose();
    const w = readWav(path);
    expect(w.rate).toBe(16000);
    expect(w.samples.length).toBe(0);
    const player = new WavFileSource({ path, loop: true });
    expect(player.sampleRate).toBe(16000);
    player.dispose();
    writeFileSync(join(dir, 'bad.wav'), 'garbage');
    expect(() => new WavFileSource({ path: join(dir, 'bad.wav') })).toThrow(NativeEngineError);
  });

  it('sound devices: enumeration works with or without a card; selection follows the priority list', () => {
    const support = audioDeviceSupport();
    expect(typeof support.supported).toBe('boolean');
    const list = listAudioDevices();
    expect(Array.isArray(list)).toBe(true);
    const devices: AudioDeviceInfo[] = [
      { name: 'default', description: 'Default', input: true, output: true },
      { name: 'hw:CARD=PCH,DEV=0', description: 'HDA Intel PCH', input: true, output: true },
      { name: 'hw:CARD=Headset,DEV=0', description: 'Jabra EVOLVE 20', input: true, output: true },
    ];
    expect(selectAudioDevice(devices, ['plantronics', 'jabra'], 'input')?.name).toBe('hw:CARD=Headset,DEV=0');
    expect(selectAudioDevice(devices, ['(', 'PCH'], 'output')?.name).toBe('hw:CARD=PCH,DEV=0');
    expect(selectAudioDevice(devices, [], 'output')?.name).toBe('default');
    expect(selectAudioDevice(devices, ['nothing'], 'output')).toBeUndefined();
    expect(() => new SoundSource({ name: 'hw:CARD=NoSuchCard,DEV=0' })).toThrow(NativeEngineError);
  });

  it('hot-plug: a rescan reports added and removed devices', () => {
    let now: AudioDeviceInfo[] = [{ name: 'default', description: '', input: true, output: true }];
    const w = new AudioDeviceWatcher(() => now);
    const seen: string[] = [];
    w.onDidChangeDevices((c) => seen.push(`+${c.added.map((d) => d.name).join()} -${c.removed.map((d) => d.name).join()}`));
    expect(w.rescan()).toBe(false);
    now = [...now, { name: 'hw:CARD=Headset,DEV=0', description: 'USB', input: true, output: true }];
    expect(w.rescan()).toBe(true);
    now = [now[1]!];
    w.rescan();
    expect(seen).toEqual(['+hw:CARD=Headset,DEV=0 -', '+ -default']);
    w.dispose();
  });
});

describe('media engine options', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('a refused engine configuration throws NativeEngineError and leaks nothing', async () => {
    const { MediaEngine } = await import('@sip-endpoint/media-native');
    expect(() => new MediaEngine({ rtpPortMin: 5000, rtpPortMax: 4000 })).toThrow(/port range/);
    expect(() => new MediaEngine({ threads: 0 })).toThrow(NativeEngineError);
  });
});
