/**
 * The endpoint's sound devices: what is present (enumerated now and again at a poll interval on
 * the endpoint's clock), which devices the calls opened, and hot-plug reported by
 * {@link EndpointDevices.onDidChangeDevices}. A call whose device disappears is moved to the
 * device the `policy.device` settings pick among those left (the default device, else a null
 * device) by its media bridge, without ending the call.
 */
import { Disposable, Emitter, type Clock, type Event, type Logger, type TimerHandle } from '@sip-endpoint/base';
import { AudioDeviceWatcher, SoundSink, SoundSource, audioDeviceSupport, listAudioDevices, type AudioDeviceInfo, type AudioSink, type AudioSource } from '@sip-endpoint/media-native';

/** Options of the endpoint's device handling (`EndpointOptions.devices`). */
export interface EndpointDeviceOptions {
  /**
   * Lists the sound devices present now. Default: ALSA's PCM devices (`listAudioDevices`) when
   * the build has ALSA, else none. Tests inject a fake enumerator.
   */
  readonly enumerate?: () => readonly AudioDeviceInfo[];
  /** Opens a capture device by its name (default: a {@link SoundSource}). */
  readonly openSource?: (name: string) => AudioSource;
  /** Opens a playback device by its name (default: a {@link SoundSink}). */
  readonly openSink?: (name: string) => AudioSink;
  /**
   * Period of the enumeration in ms, on the endpoint's clock (default 2000). 0 = no polling:
   * changes are seen only by {@link EndpointDevices.rescan}.
   */
  readonly pollIntervalMs?: number;
}

/** Payload of {@link EndpointDevices.onDidChangeDevices} (and the endpoint's `onDidChangeDevices`). */
export interface DevicesChangeEvent {
  /** Devices present now that were not at the previous scan. */
  readonly added: readonly AudioDeviceInfo[];
  /** Devices of the previous scan that are gone. */
  readonly removed: readonly AudioDeviceInfo[];
  /** Every device present now. */
  readonly devices: readonly AudioDeviceInfo[];
}

/** Default poll period of the device enumeration, ms. */
export const DEFAULT_DEVICE_POLL_MS = 2000;

function systemEnumerator(): () => readonly AudioDeviceInfo[] {
  if (!audioDeviceSupport().supported) return () => [];
  return () => {
    try {
      return listAudioDevices();
    } catch {
      return [];
    }
  };
}

/**
 * The sound devices of an endpoint. Enumerates at creation and every `pollIntervalMs` on the
 * injected clock (ALSA has no hot-plug callback for PCM devices that we use; polling the
 * enumeration is cheap: a few ms every 2 s); each scan that differs from the previous one fires
 * {@link onDidChangeDevices}. Devices are opened through {@link openSource} / {@link openSink}
 * so that a removed device can be matched to the calls that use it ({@link nameOf}).
 */
export class EndpointDevices extends Disposable {
  private readonly _onWillChangeDevices = this._register(new Emitter<DevicesChangeEvent>());
  /**
   * @internal Fired before {@link onDidChangeDevices}: the media bridges move their streams off
   * removed devices here, so that listeners of `onDidChangeDevices` see the calls already moved.
   */
  readonly onWillChangeDevices: Event<DevicesChangeEvent> = this._onWillChangeDevices.event;
  private readonly _onDidChangeDevices = this._register(new Emitter<DevicesChangeEvent>());
  /**
   * Devices were added or removed (seen by a poll or by {@link rescan}). Calls that used a
   * removed device have moved to another one (see `MediaBridgeOptions.devices`) when it fires.
   */
  readonly onDidChangeDevices: Event<DevicesChangeEvent> = this._onDidChangeDevices.event;

  private readonly enumerate: () => readonly AudioDeviceInfo[];
  private last: readonly AudioDeviceInfo[] = [];
  private readonly watcher: AudioDeviceWatcher;
  private readonly names = new WeakMap<AudioSource | AudioSink, string>();
  private readonly timer: TimerHandle | undefined;

  constructor(
    private readonly options: EndpointDeviceOptions,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    super();
    this.enumerate = options.enumerate ?? systemEnumerator();
    // The engine package's watcher does the diff (by name and direction); this class adds the
    // poll, the two-phase report and the device bookkeeping.
    this.watcher = this._register(new AudioDeviceWatcher(() => this.safeList()));
    this._register(
      this.watcher.onDidChangeDevices(({ added, removed, devices }) => {
        this.logger.info('audio devices changed', { added: added.map((d) => d.name), removed: removed.map((d) => d.name) });
        const event: DevicesChangeEvent = { added, removed, devices };
        this._onWillChangeDevices.fire(event);
        this._onDidChangeDevices.fire(event);
      }),
    );
    const every = options.pollIntervalMs ?? DEFAULT_DEVICE_POLL_MS;
    if (every > 0) this.timer = this._register(clock.setInterval(() => this.rescan(), every));
  }

  /** The devices of the last scan. */
  get devices(): readonly AudioDeviceInfo[] {
    return this.watcher.devices;
  }

  /** Whether a poll timer runs. */
  get polling(): boolean {
    return this.timer?.isPending ?? false;
  }

  /**
   * Enumerates now; fires {@link onDidChangeDevices} (synchronously) and returns true when the
   * devices differ from the previous scan (by name and direction).
   */
  rescan(): boolean {
    if (this.isDisposed) return false;
    return this.watcher.rescan();
  }

  /** Opens capture device `name` (throws `NativeEngineError` when it cannot be opened). */
  openSource(name: string): AudioSource {
    const d = this.options.openSource ? this.options.openSource(name) : new SoundSource({ name });
    this.names.set(d, name);
    return d;
  }

  /** Opens playback device `name` (throws `NativeEngineError` when it cannot be opened). */
  openSink(name: string): AudioSink {
    const d = this.options.openSink ? this.options.openSink(name) : new SoundSink({ name });
    this.names.set(d, name);
    return d;
  }

  /** The name of the sound device `device` was opened from; undefined for null and test devices. */
  nameOf(device: AudioSource | AudioSink): string | undefined {
    return this.names.get(device);
  }

  /** Whether `device` was opened from a device that `event` reports removed (for its direction). */
  isRemoved(device: AudioSource | AudioSink, event: DevicesChangeEvent): boolean {
    const name = this.nameOf(device);
    if (name === undefined) return false;
    const input = device.direction === 'source';
    // Gone entirely, or no longer usable in this direction.
    return event.removed.some((d) => d.name === name) && !event.devices.some((d) => d.name === name && (input ? d.input : d.output));
  }

  private safeList(): AudioDeviceInfo[] {
    try {
      this.last = [...this.enumerate()];
    } catch (e) {
      // A failed enumeration changes nothing: the last list stands.
      this.logger.warn('audio device enumeration failed', { error: String(e) });
    }
    return [...this.last];
  }
}
