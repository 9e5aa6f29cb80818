/**
 * Audio of the desktop host. A desktop opens sound cards; this sample also runs where there is
 * none (CI, a container), so its "devices" are a catalogue: the sound cards the endpoint
 * enumerates (followed live: plugged and unplugged cards come and go, see
 * {@link AudioRouter.useSoundCards}), plus virtual ones: a tone or a WAV file as the microphone,
 * and a WAV recorder (one file per call, in `recordDir`) or nothing as the speaker. The endpoint
 * asks for a source and a sink for every new media stream (`EndpointAudioOptions`); the host
 * also opens the selection for the running calls ({@link AudioRouter.openInput} /
 * {@link AudioRouter.openOutput}) when it changes.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Disposable, Emitter, ErrorCode, SdkError, type Event, type IDisposable } from '@sip-endpoint/base';
import { NullSink, NullSource, ToneSource, WavFileSink, WavFileSource, type AudioDeviceInfo, type AudioSink, type AudioSource, type EndpointDevices } from '@sip-endpoint/endpoint';
import type { DeviceChangeView, DeviceView, DevicesView, RecordingView } from '../protocol';

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
  /** Also list the sound cards of {@link AudioRouter.useSoundCards} (default true). */
  readonly soundCards?: boolean;
  /** Clock of the change notices (ms since the epoch; default `Date.now`). */
  readonly now?: () => number;
}

interface InputDevice extends DeviceView {
  readonly kind: 'input';
  /** The sound card's name (`card:` entries). */
  readonly card?: string;
  create(): AudioSource;
}

interface OutputDevice extends DeviceView {
  readonly kind: 'output';
  readonly card?: string;
  create(): AudioSink;
}

/** Payload of {@link AudioRouter.onDidChangeSoundCards}. */
export interface SoundCardsChange {
  /** Ids (`card:<name>`) of the microphones that disappeared from the catalogue. */
  readonly removedInputs: readonly string[];
  /** Ids (`card:<name>`) of the speakers that disappeared from the catalogue. */
  readonly removedOutputs: readonly string[];
  /** The selected microphone was removed: the selection fell back to the default one. */
  readonly inputFellBack: boolean;
  /** The selected speaker was removed: the selection fell back to the default one. */
  readonly outputFellBack: boolean;
}

/** A sink opened from the selection; `file` when it records (a new WAV file). */
export interface OpenedSink {
  readonly id: string;
  readonly sink: AudioSink;
  readonly file?: string;
}

const cardId = (name: string): string => `card:${name}`;

/**
 * The device catalogue, the current selection, and the recordings. Its `createSource` /
 * `createSink` go into `EndpointAudioOptions`. Fires {@link onDidChange} when the catalogue,
 * the selection or the recordings change, and {@link onDidChangeSoundCards} after a hot-plug
 * change of the sound cards (so the host can move the calls it switched to a removed card).
 */
export class AudioRouter extends Disposable {
  private readonly virtualInputs: InputDevice[] = [];
  private readonly virtualOutputs: OutputDevice[] = [];
  private cardInputs: InputDevice[] = [];
  private cardOutputs: OutputDevice[] = [];
  private cards: EndpointDevices | undefined;
  /** The first virtual devices: a removed card falls back to them. */
  private readonly defaultInput: InputDevice;
  private readonly defaultOutput: OutputDevice;
  private selectedInput: string;
  private selectedOutput: string;
  private lastChange: DeviceChangeView | undefined;
  private readonly _recordings: { file: string; sessionId?: string; createdAt: number }[] = [];
  private counter = 0;
  private readonly now: () => number;

  private readonly _onDidChange = this._register(new Emitter<void>());
  /** The catalogue, the selection or the recordings changed. */
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private readonly _onDidCreateSink = this._register(new Emitter<{ file?: string }>());
  /** A sink was created for a new stream by {@link createSink} (`file` when it records). */
  readonly onDidCreateSink: Event<{ file?: string }> = this._onDidCreateSink.event;
  private readonly _onDidChangeSoundCards = this._register(new Emitter<SoundCardsChange>());
  /** Sound cards were added or removed (after the catalogue and the selection were updated). */
  readonly onDidChangeSoundCards: Event<SoundCardsChange> = this._onDidChangeSoundCards.event;

  constructor(private readonly options: AudioRouterOptions) {
    super();
    this.now = options.now ?? Date.now;
    const hz = options.toneHz ?? 440;
    this.defaultInput = { id: `tone:${hz}`, label: `Tone ${hz} Hz`, kind: 'input', create: () => new ToneSource({ frequencyHz: hz, levelDbov: -12 }) };
    this.virtualInputs.push(this.defaultInput);
    if (hz !== 1000) this.virtualInputs.push({ id: 'tone:1000', label: 'Tone 1000 Hz', kind: 'input', create: () => new ToneSource({ frequencyHz: 1000, levelDbov: -12 }) });
    const wav = options.micWav;
    if (wav) this.virtualInputs.push({ id: 'wav', label: `WAV file ${wav.split('/').pop() ?? wav}`, kind: 'input', create: () => new WavFileSource({ path: wav, loop: true }) });
    this.virtualInputs.push({ id: 'silence', label: 'Silence', kind: 'input', create: () => new NullSource() });
    const discard: OutputDevice = { id: 'discard', label: 'Discard', kind: 'output', create: () => new NullSink() };
    if (options.recordDir) {
      const dir = options.recordDir;
      mkdirSync(dir, { recursive: true });
      this.virtualOutputs.push({ id: 'record', label: 'Record to WAV', kind: 'output', create: () => this.record(dir) });
    }
    this.virtualOutputs.push(discard);
    this.defaultOutput = this.virtualOutputs[0] ?? discard;
    this.selectedInput = this.defaultInput.id;
    this.selectedOutput = this.defaultOutput.id;
  }

  private get inputs(): readonly InputDevice[] {
    return [...this.virtualInputs, ...this.cardInputs];
  }

  private get outputs(): readonly OutputDevice[] {
    return [...this.virtualOutputs, ...this.cardOutputs];
  }


  /**
   * Lists the sound cards of the endpoint's device enumeration and follows its hot-plug
   * (`onDidChangeDevices`): a card that appears is offered, one that disappears leaves the
   * lists, and a selection on it falls back to the default device (the first tone, the
   * recorder). Cards are opened through `devices`, so the endpoint knows which call uses which
   * card. No-op when the `soundCards` option is false. Returns the subscription (also disposed
   * with the router).
   */
  useSoundCards(devices: EndpointDevices): IDisposable {
    if (this.options.soundCards === false) return { dispose: () => undefined };
    this.cards = devices;
    this.setCards(devices.devices);
    this._onDidChange.fire();
    return this._register(
      devices.onDidChangeDevices(({ added, removed, devices: now }) => {
        const before = { inputs: this.cardInputs.map((d) => d.id), outputs: this.cardOutputs.map((d) => d.id) };
        this.setCards(now);
        const removedInputs = before.inputs.filter((id) => !this.cardInputs.some((d) => d.id === id));
        const removedOutputs = before.outputs.filter((id) => !this.cardOutputs.some((d) => d.id === id));
        const inputFellBack = !this.inputs.some((d) => d.id === this.selectedInput);
        const outputFellBack = !this.outputs.some((d) => d.id === this.selectedOutput);
        if (inputFellBack) this.selectedInput = this.defaultInput.id;
        if (outputFellBack) this.selectedOutput = this.defaultOutput.id;
        const label = (d: AudioDeviceInfo): string => d.description || d.name;
        this.lastChange = {
          t: this.now(),
          added: added.map(label),
          removed: removed.map(label),
          ...(inputFellBack ? { inputNow: this.defaultInput.label } : {}),
          ...(outputFellBack ? { outputNow: this.defaultOutput.label } : {}),
        };
        this._onDidChange.fire();
        this._onDidChangeSoundCards.fire({ removedInputs, removedOutputs, inputFellBack, outputFellBack });
      }),
    );
  }

  private setCards(list: readonly AudioDeviceInfo[]): void {
    const devices = this.cards;
    if (!devices) return;
    this.cardInputs = [];
    this.cardOutputs = [];
    for (const c of list) {
      const label = c.description || c.name;
      if (c.input) this.cardInputs.push({ id: cardId(c.name), label, kind: 'input', card: c.name, create: () => devices.openSource(c.name) });
      if (c.output) this.cardOutputs.push({ id: cardId(c.name), label, kind: 'output', card: c.name, create: () => devices.openSink(c.name) });
    }
  }

  /**
   * Whether a card entry is still present in the endpoint's last enumeration. The endpoint moves
   * the calls off a removed card (asking {@link createSource}) before it reports the change, so
   * the selection may still name a card that is already gone.
   */
  private present(d: InputDevice | OutputDevice): boolean {
    if (d.card === undefined) return true;
    const now = this.cards?.devices ?? [];
    return now.some((x) => x.name === d.card && (d.kind === 'input' ? x.input : x.output));
  }

  private record(dir: string): AudioSink {
    this.counter += 1;
    const file = join(dir, `${this.options.prefix}-${Date.now()}-${this.counter}.wav`);
    this._recordings.push({ file, createdAt: Date.now() });
    this._onDidChange.fire();
    return new WavFileSink({ path: file, sampleRate: 8000 });
  }

  private resolveInput(): InputDevice {
    const d = this.inputs.find((i) => i.id === this.selectedInput);
    return d && this.present(d) ? d : this.defaultInput;
  }

  private resolveOutput(): OutputDevice {
    const d = this.outputs.find((o) => o.id === this.selectedOutput);
    return d && this.present(d) ? d : this.defaultOutput;
  }

  /**
   * Opens the selected microphone (a removed card: the default one). Throws when the device
   * cannot be opened (the engine's `NativeEngineError`). The caller owns (disposes) it.
   */
  openInput(): { readonly id: string; readonly source: AudioSource } {
    const d = this.resolveInput();
    return { id: d.id, source: d.create() };
  }

  /**
   * Opens the selected speaker (a removed card: the default one); a recorder starts a new WAV
   * file, listed in {@link recordings} (not attributed: see {@link assign}). The caller owns it.
   */
  openOutput(): OpenedSink {
    const d = this.resolveOutput();
    const before = this._recordings.length;
    const sink = d.create();
    const rec = this._recordings.length > before ? this._recordings[this._recordings.length - 1] : undefined;
    return rec ? { id: d.id, sink, file: rec.file } : { id: d.id, sink };
  }

  /** A new microphone for a stream, from the selected input (`EndpointAudioOptions.createSource`). */
  readonly createSource = (): AudioSource => this.openInput().source;

  /**
   * A new speaker for a stream, from the selected output (`EndpointAudioOptions.createSink`; a
   * recorder: a new WAV file). Fires {@link onDidCreateSink}.
   */
  readonly createSink = (): AudioSink => {
    const { sink, file } = this.openOutput();
    this._onDidCreateSink.fire(file ? { file } : {});
    return sink;
  };

  /** Selects a device. Throws `SdkError` (INVALID_ARGUMENT) for an unknown id. */
  select(kind: 'input' | 'output', deviceId: string): void {
    if (!this.has(kind, deviceId)) throw new SdkError(ErrorCode.InvalidArgument, `no ${kind} device ${deviceId}`);
    if (kind === 'input') this.selectedInput = deviceId;
    else this.selectedOutput = deviceId;
    this._onDidChange.fire();
  }

  /** Whether a device id exists. */
  has(kind: 'input' | 'output', deviceId: string): boolean {
    const list: readonly DeviceView[] = kind === 'input' ? this.inputs : this.outputs;
    return list.some((d) => d.id === deviceId);
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

  /** The catalogue, the selection and the last hot-plug change (volumes are filled in by the host). */
  view(volumes: { speakerVolume: number; micVolume: number; micMuted: boolean }): DevicesView {
    const strip = (d: DeviceView): DeviceView => ({ id: d.id, label: d.label, kind: d.kind });
    return {
      inputs: this.inputs.map(strip),
      outputs: this.outputs.map(strip),
      selectedInput: this.selectedInput,
      selectedOutput: this.selectedOutput,
      ...volumes,
      ...(this.lastChange ? { lastChange: this.lastChange } : {}),
    };
  }
}
