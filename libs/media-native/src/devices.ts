import { Disposable, Emitter, type Event } from '@sip-endpoint/base';
import { callNative } from './errors';
import { loadNative } from './load-native';
import type { NativeDevice, NativeDeviceInfo, NativeDeviceKind, NativeDeviceOptions } from './native';

const handles = new WeakMap<AudioDevice, NativeDevice>();

/** The native handle of a device (package-internal: streams pass it to the engine). */
export function nativeDeviceOf(device: AudioDevice): NativeDevice {
  const h = handles.get(device);
  if (!h) throw new TypeError('not a media-native device');
  return h;
}

/**
 * A device of the engine: mono 16-bit PCM at its own `sampleRate` (streams resample at the
 * edge). Give one device to one stream at a time. Disposing a device releases it (a WAV
 * recorder writes its final header); a stream using it keeps the native object alive until
 * the stream closes.
 */
export abstract class AudioDevice extends Disposable {
  /** `source` devices feed streams, `sink` devices receive their audio. */
  abstract readonly direction: 'source' | 'sink';

  protected constructor(kind: NativeDeviceKind, options: NativeDeviceOptions) {
    super();
    try {
      handles.set(
        this,
        callNative('createDevice', () => new (loadNative().NativeDevice)(kind, options)),
      );
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** The device's sample rate in Hz. */
  get sampleRate(): number {
    return nativeDeviceOf(this).info().sampleRate;
  }

  /** Counters of the device (buffered samples, underruns, samples written...). */
  info(): Readonly<NativeDeviceInfo> {
    return nativeDeviceOf(this).info();
  }
}

/** A source of audio for a stream. */
export abstract class AudioSource extends AudioDevice {
  readonly direction = 'source' as const;
}

/** A destination of a stream's audio. */
export abstract class AudioSink extends AudioDevice {
  readonly direction = 'sink' as const;
}

/** Silence. */
export class NullSource extends AudioSource {
  constructor(options: { sampleRate?: number } = {}) {
    super('null-source', { sampleRate: options.sampleRate ?? 8000 });
  }
}

/** Discards audio. */
export class NullSink extends AudioSink {
  constructor(options: { sampleRate?: number } = {}) {
    super('null-sink', { sampleRate: options.sampleRate ?? 8000 });
  }
}

/** A continuous sine tone: `frequencyHz` at `levelDbov` (dB below a full-scale sine; default -10). */
export class ToneSource extends AudioSource {
  constructor(options: { frequencyHz: number; levelDbov?: number; sampleRate?: number }) {
    super('tone', { frequencyHz: options.frequencyHz, levelDbov: options.levelDbov ?? -10, sampleRate: options.sampleRate ?? 8000 });
  }
}

/**
 * Plays a PCM WAV file (8/16-bit, any channel count: mixed to mono), loaded when created.
 * Throws {@link NativeEngineError} when the file cannot be read.
 */
export class WavFileSource extends AudioSource {
  constructor(options: { path: string; loop?: boolean }) {
    super('wav-source', { path: options.path, loop: options.loop ?? false });
  }

  /** True once a non-looping file has played to its end. */
  get finished(): boolean {
    return nativeDeviceOf(this).info().finished ?? false;
  }
}

/**
 * Records mono 16-bit PCM WAV at `sampleRate` (default 8000). The header is fixed up when the
 * recorder is disposed (or closed by `close()`); later audio is dropped.
 */
export class WavFileSink extends AudioSink {
  constructor(options: { path: string; sampleRate?: number }) {
    super('wav-sink', { path: options.path, sampleRate: options.sampleRate ?? 8000 });
  }

  /** Finishes the file (idempotent). */
  close(): void {
    const h = handles.get(this);
    if (h) callNative('closeDevice', () => h.close());
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.close();
    super.dispose();
  }
}

/**
 * PCM the application supplies in chunks: `push()` appends to a ring buffer of
 * `capacitySamples` (default 2 s); the media thread reads it once per packet time, playing
 * silence on underrun. No JavaScript runs per packet.
 */
export class MemorySource extends AudioSource {
  constructor(options: { sampleRate?: number; capacitySamples?: number } = {}) {
    const rate = options.sampleRate ?? 8000;
    super('memory-source', { sampleRate: rate, capacitySamples: options.capacitySamples ?? rate * 2 });
  }

  /** Appends samples (an Int16Array, or a Buffer of little-endian 16-bit samples); returns how many fitted. */
  push(samples: Int16Array | Buffer): number {
    const pcm = samples instanceof Int16Array ? samples : new Int16Array(samples.buffer, samples.byteOffset, Math.floor(samples.byteLength / 2));
    return callNative('push', () => nativeDeviceOf(this).push(pcm));
  }
}

/**
 * PCM the application drains in chunks: the media thread writes decoded audio into a ring of
 * `capacitySamples` (default 2 s; when full the newest audio is dropped and counted);
 * `pull()` takes what is there.
 */
export class MemorySink extends AudioSink {
  constructor(options: { sampleRate?: number; capacitySamples?: number } = {}) {
    const rate = options.sampleRate ?? 8000;
    super('memory-sink', { sampleRate: rate, capacitySamples: options.capacitySamples ?? rate * 2 });
  }

  /** Takes up to `maxSamples` buffered samples (all by default). */
  pull(maxSamples?: number): Int16Array {
    return callNative('pull', () => nativeDeviceOf(this).pull(maxSamples));
  }
}

/** A sound card PCM as ALSA names it. */
export interface AudioDeviceInfo {
  /** The name to open (`default`, `hw:CARD=PCH,DEV=0`, ...). */
  readonly name: string;
  readonly description: string;
  readonly input: boolean;
  readonly output: boolean;
}

/** Whether this build can use sound cards (ALSA), and why not. */
export function audioDeviceSupport(): { supported: boolean; reason: string | undefined } {
  const s = loadNative().soundSupport();
  return { supported: s.supported, reason: s.reason || undefined };
}

/** The sound devices present now (empty without ALSA or without a sound card). */
export function listAudioDevices(): AudioDeviceInfo[] {
  return callNative('listAudioDevices', () => loadNative().listSoundDevices());
}

/**
 * Picks a device by a priority list of patterns (Genesys `audio_in_device` / `audio_out_device`
 * / `headset_name` semantics): each entry is an exact name or a case-insensitive regular
 * expression matched against name and description; the first entry that matches a device of
 * the wanted direction wins. An empty list picks `default`. Undefined when nothing matches.
 */
export function selectAudioDevice(
  devices: readonly AudioDeviceInfo[],
  priority: readonly string[],
  direction: 'input' | 'output',
): AudioDeviceInfo | undefined {
  const usable = devices.filter((d) => (direction === 'input' ? d.input : d.output));
  if (priority.length === 0) return usable.find((d) => d.name === 'default') ?? usable[0];
  for (const p of priority) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(p, 'i');
    } catch {
      re = undefined;
    }
    const hit = usable.find((d) => d.name === p || (re !== undefined && (re.test(d.name) || re.test(d.description))));
    if (hit) return hit;
  }
  return undefined;
}

/** A sound card capture device as a source (throws {@link NativeEngineError} when it cannot be opened). */
export class SoundSource extends AudioSource {
  /** The ALSA name it was opened with (what {@link listAudioDevices} reports). */
  readonly name: string;
  constructor(options: { name: string; sampleRate?: number }) {
    super('sound-source', { name: options.name, sampleRate: options.sampleRate ?? 16000 });
    this.name = options.name;
  }
}

/** A sound card playback device as a sink. */
export class SoundSink extends AudioSink {
  /** The ALSA name it was opened with (what {@link listAudioDevices} reports). */
  readonly name: string;
  constructor(options: { name: string; sampleRate?: number }) {
    super('sound-sink', { name: options.name, sampleRate: options.sampleRate ?? 16000 });
    this.name = options.name;
  }
}

/**
 * Hot-plug: `rescan()` enumerates the sound devices again and fires `onDidChangeDevices` with
 * what was added and removed since the previous scan.
 */
export class AudioDeviceWatcher extends Disposable {
  private readonly _onDidChangeDevices = this._register(
    new Emitter<{ added: AudioDeviceInfo[]; removed: AudioDeviceInfo[]; devices: AudioDeviceInfo[] }>(),
  );
  /** Fires after a rescan that found a difference. */
  readonly onDidChangeDevices: Event<{ added: AudioDeviceInfo[]; removed: AudioDeviceInfo[]; devices: AudioDeviceInfo[] }> =
    this._onDidChangeDevices.event;
  private current: AudioDeviceInfo[];

  constructor(private readonly list: () => AudioDeviceInfo[] = listAudioDevices) {
    super();
    this.current = list();
  }

  /** The devices of the last scan. */
  get devices(): readonly AudioDeviceInfo[] {
    return this.current;
  }

  /** Scans again; returns whether anything changed (and fires onDidChangeDevices if so). */
  rescan(): boolean {
    const next = this.list();
    const key = (d: AudioDeviceInfo): string => `${d.name}|${d.input}|${d.output}`;
    const before = new Set(this.current.map(key));
    const after = new Set(next.map(key));
    const added = next.filter((d) => !before.has(key(d)));
    const removed = this.current.filter((d) => !after.has(key(d)));
    this.current = next;
    if (added.length === 0 && removed.length === 0) return false;
    this._onDidChangeDevices.fire({ added, removed, devices: next });
    return true;
  }
}
