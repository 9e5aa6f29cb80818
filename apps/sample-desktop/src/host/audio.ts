/**
 * Audio of the desktop host. A desktop opens sound cards; this sample also runs where there is
 * none (CI, a container), so its "devices" are a catalogue: sound cards found by the media
 * engine, plus virtual ones: a tone or a WAV file as the microphone, and a WAV recorder (one
 * file per call, in `recordDir`) or nothing as the speaker. The endpoint asks for a source and a
 * sink for every new media stream (`EndpointAudioOptions`), so a selection applies to the next
 * call.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Disposable, Emitter, ErrorCode, SdkError, type Event } from '@sip-endpoint/base';
// DEVIATION(ARCHITECTURE.md: apps import only endpoint and config): the endpoint takes
// `AudioSource`/`AudioSink` objects in `EndpointAudioOptions` but does not re-export the classes
// that make them; until it does, the host imports them from the media engine package.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { NullSink, NullSource, SoundSink, SoundSource, ToneSource, WavFileSink, WavFileSource, listAudioDevices, type AudioSink, type AudioSource } from '@sip-endpoint/media-native';
import type { DeviceView, DevicesView, RecordingView } from '../protocol';

/** Options of {@link AudioRouter}. */
export interface AudioRouterOptions {
  /** Where the received audio of each call is recorded (`<prefix>-<n>.wav`); no recorder without it. */
  readonly recordDir?: string;
  /** File name prefix of the recordings (the agent's DN). */
  readonly prefix: string;
  /** Frequency of the default tone microphone (Hz). */
  readonly toneHz?: number;
  /** A WAV file (8 kHz mono is best) offered as a microphone, played in a loop. */
  readonly micWav?: string;
  /** Also list the sound cards the engine finds (default true). */
  readonly soundCards?: boolean;
}

interface InputDevice extends DeviceView {
  readonly kind: 'input';
  create(): AudioSource;
}

interface OutputDevice extends DeviceView {
  readonly kind: 'output';
  create(): AudioSink;
}

/**
 * The device catalogue, the current selection, and the recordings. Its `createSource` /
 * `createSink` go into `EndpointAudioOptions`. Fires {@link onDidChange} when the selection or
 * the recordings change.
 */
export class AudioRouter extends Disposable {
  private readonly inputs: InputDevice[] = [];
  private readonly outputs: OutputDevice[] = [];
  private selectedInput: string;
  private selectedOutput: string;
  private readonly _recordings: { file: string; sessionId?: string; createdAt: number }[] = [];
  private counter = 0;

  private readonly _onDidChange = this._register(new Emitter<void>());
  /** The selection or the recordings changed. */
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private readonly _onDidCreateSink = this._register(new Emitter<{ file?: string }>());
  /** A sink was created for a new stream (`file` when it records). */
  readonly onDidCreateSink: Event<{ file?: string }> = this._onDidCreateSink.event;

  constructor(private readonly options: AudioRouterOptions) {
    super();
    const hz = options.toneHz ?? 440;
    this.inputs.push({ id: `tone:${hz}`, label: `Tone ${hz} Hz`, kind: 'input', create: () => new ToneSource({ frequencyHz: hz, levelDbov: -12 }) });
    if (hz !== 1000) this.inputs.push({ id: 'tone:1000', label: 'Tone 1000 Hz', kind: 'input', create: () => new ToneSource({ frequencyHz: 1000, levelDbov: -12 }) });
    const wav = options.micWav;
    if (wav) this.inputs.push({ id: 'wav', label: `WAV file ${wav.split('/').pop() ?? wav}`, kind: 'input', create: () => new WavFileSource({ path: wav, loop: true }) });
    this.inputs.push({ id: 'silence', label: 'Silence', kind: 'input', create: () => new NullSource() });
    if (options.recordDir) {
      const dir = options.recordDir;
      mkdirSync(dir, { recursive: true });
      this.outputs.push({ id: 'record', label: 'Record to WAV', kind: 'output', create: () => this.record(dir) });
    }
    this.outputs.push({ id: 'discard', label: 'Discard', kind: 'output', create: () => new NullSink() });
    if (options.soundCards !== false) {
      let cards: ReturnType<typeof listAudioDevices>;
      try {
        cards = listAudioDevices();
      } catch {
        cards = [];
      }
      for (const c of cards) {
        const label = c.description || c.name;
        if (c.input) this.inputs.push({ id: `card:${c.name}`, label, kind: 'input', create: () => new SoundSource({ name: c.name }) });
        if (c.output) this.outputs.push({ id: `card:${c.name}`, label, kind: 'output', create: () => new SoundSink({ name: c.name }) });
      }
    }
    // Both lists always hold a virtual device (a tone, Discard).
    this.selectedInput = this.inputs[0]?.id ?? 'silence';
    this.selectedOutput = this.outputs[0]?.id ?? 'discard';
  }

  private record(dir: string): AudioSink {
    this.counter += 1;
    const file = join(dir, `${this.options.prefix}-${Date.now()}-${this.counter}.wav`);
    this._recordings.push({ file, createdAt: Date.now() });
    this._onDidChange.fire();
    return new WavFileSink({ path: file, sampleRate: 8000 });
  }

  /** A new microphone for a stream, from the selected input. */
  readonly createSource = (): AudioSource => {
    const d = this.inputs.find((i) => i.id === this.selectedInput) ?? this.inputs[0];
    return d ? d.create() : new NullSource();
  };

  /** A new speaker for a stream, from the selected output (a recorder: a new WAV file). */
  readonly createSink = (): AudioSink => {
    const d = this.outputs.find((o) => o.id === this.selectedOutput) ?? this.outputs[0];
    const before = this._recordings.length;
    const sink = d ? d.create() : new NullSink();
    const rec = this._recordings.length > before ? this._recordings[this._recordings.length - 1] : undefined;
    this._onDidCreateSink.fire(rec ? { file: rec.file } : {});
    return sink;
  };

  /** Selects a device for the next streams. Throws `SdkError` (INVALID_ARGUMENT) for an unknown id. */
  select(kind: 'input' | 'output', deviceId: string): void {
    const list: readonly DeviceView[] = kind === 'input' ? this.inputs : this.outputs;
    if (!list.some((d) => d.id === deviceId)) throw new SdkError(ErrorCode.InvalidArgument, `no ${kind} device ${deviceId}`);
    if (kind === 'input') this.selectedInput = deviceId;
    else this.selectedOutput = deviceId;
    this._onDidChange.fire();
  }

  /** Whether a device id exists. */
  has(kind: 'input' | 'output', deviceId: string): boolean {
    return (kind === 'input' ? this.inputs : this.outputs).some((d) => d.id === deviceId);
  }

  /** Attributes a recording to a call (the host does it once the call's stream exists). */
  assign(file: string, sessionId: string): void {
    const r = this._recordings.find((x) => x.file === file);
    if (!r || r.sessionId === sessionId) return;
    r.sessionId = sessionId;
    this._onDidChange.fire();
  }

  /** The recordings, oldest first. */
  get recordings(): readonly RecordingView[] {
    return this._recordings.map((r) => (r.sessionId ? { file: r.file, sessionId: r.sessionId } : { file: r.file }));
  }

  /** The catalogue and selection (volumes are filled in by the host). */
  view(volumes: { speakerVolume: number; micVolume: number; micMuted: boolean }): DevicesView {
    const strip = (d: DeviceView): DeviceView => ({ id: d.id, label: d.label, kind: d.kind });
    return { inputs: this.inputs.map(strip), outputs: this.outputs.map(strip), selectedInput: this.selectedInput, selectedOutput: this.selectedOutput, ...volumes };
  }
}
