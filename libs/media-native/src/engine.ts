import { Disposable, Emitter, type Event, type Logger, nullLogger } from '@sip-endpoint/base';
import { type AudioSink, type AudioSource, nativeDeviceOf } from './devices';
import { callNative, NativeEngineError } from './errors';
import { loadNative } from './load-native';
import type { NativeEngine, NativeEvent, NativeStreamOptions, NativeStreamUpdate } from './native';
import type { MediaStreamStats } from './stats';

/** Options of a {@link MediaEngine}. */
export interface MediaEngineOptions {
  /** RTP port range (config `rtp_port_min` / `rtp_port_max`); RTP on even ports, RTCP on the next. Default 16384-32767. */
  readonly rtpPortMin?: number;
  readonly rtpPortMax?: number;
  /** Media threads (default 1). */
  readonly threads?: number;
  /** The media tick in ms (default 20); packet times must be multiples of it. */
  readonly tickMs?: number;
  /** Jitter buffer bounds in ms (default 20..200). */
  readonly jitterMinMs?: number;
  readonly jitterMaxMs?: number;
  /** RTCP CNAME (default random). */
  readonly cname?: string;
  readonly logger?: Logger;
}

/** RFC 3264 direction of a stream, from our side. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The negotiated codec of a stream (from SDP). */
export interface MediaCodec {
  /** SDP encoding name (`PCMU`, `PCMA`, `G722`, `opus`, `G729`). */
  readonly name: string;
  /** Payload type; default the codec's static one. */
  readonly payloadType?: number;
  /** a=rtpmap clock rate; default the codec's. */
  readonly clockRate?: number;
  readonly channels?: number;
  readonly fmtp?: string;
  /** Packet time in ms (a multiple of the engine tick); default the codec's (20). */
  readonly ptimeMs?: number;
}

/** SDES-keyed SRTP (RFC 4568): the suite and the `inline:` key parameter of each side. */
export interface MediaSrtp {
  /** `AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`, `AEAD_AES_128_GCM`, `AEAD_AES_256_GCM`. */
  readonly suite: string;
  /** Our key (what our a=crypto carries): `inline:<base64>`. */
  readonly localKey: string;
  /** The peer's key. */
  readonly remoteKey: string;
}

/** Where the peer receives. */
export interface MediaRemote {
  /** IPv4/IPv6 literal. */
  readonly address: string;
  readonly port: number;
  /** RTCP port (default port + 1; ignored with rtcp-mux). */
  readonly rtcpPort?: number;
}

/** Options of {@link MediaEngine.createStream}. */
export interface MediaStreamOptions {
  /** Local address to bind (default 127.0.0.1; use the endpoint's media address). */
  readonly localAddress?: string;
  /** Local RTP port; default: the next free even port of the engine's range. */
  readonly localPort?: number;
  readonly codec: MediaCodec;
  /** RFC 4733 telephone-event payload type (needed to send and receive RFC 4733 DTMF). */
  readonly telephoneEvent?: { readonly payloadType: number };
  /** The peer; may come later with update() or be learned by latching. */
  readonly remote?: MediaRemote;
  /** RFC 5761 rtcp-mux. */
  readonly rtcpMux?: boolean;
  readonly direction?: MediaDirection;
  /** Symmetric RTP: send where the peer's packets come from (default true). */
  readonly latch?: boolean;
  readonly srtp?: MediaSrtp;
  /** What we send (default silence). */
  readonly source?: AudioSource;
  /** Where received audio goes (default discarded). */
  readonly sink?: AudioSink;
  /**
   * Fires onDidTimeoutReceiving after this long without RTP (default off), counted while the
   * direction receives (sendrecv/recvonly); changed live by {@link MediaStreamUpdate.inactivityTimeoutMs}.
   */
  readonly inactivityTimeoutMs?: number;
  /** Period of onDidChangeStats in ms (default off). */
  readonly statsIntervalMs?: number;
  /** Jitter buffer bounds of this stream (default the engine's). */
  readonly jitterMinMs?: number;
  readonly jitterMaxMs?: number;
  /** Joins this conference at creation (and runs on its media thread). */
  readonly conference?: Conference;
  /**
   * Processing of what we send (config `agc_mode`, `vad_level`, `dtx_mode`): automatic gain
   * control, voice activity detection (0..3, higher drops more), and DTX (silence not sent; needs vadLevel).
   */
  readonly audioProcessing?: { readonly agc?: boolean; readonly vadLevel?: 0 | 1 | 2 | 3; readonly dtx?: boolean };
  /**
   * RFC 3389 comfort noise payload type from SDP (`13` for CN/8000, RFC 3551 §6, or a dynamic
   * one with the codec's clock rate). Received CN packets fill DTX gaps with noise at their
   * level; with `audioProcessing.dtx` we send SID packets in silence instead of nothing.
   * Refused (NativeEngineError) when it clashes with the codec or telephone-event payload type,
   * or is 13 with a codec whose RTP clock is not 8000 Hz.
   */
  readonly cn?: MediaComfortNoise;
  /**
   * Detect in-band DTMF tones in the received audio (after decode), reported by
   * {@link MediaStream.onDidReceiveDtmf} with `method: 'inband'`. Default: on when no
   * `telephoneEvent` is negotiated, else off.
   */
  readonly detectInbandDtmf?: boolean;
}

/** RFC 3389 comfort noise (the `CN` rtpmap of the SDP). */
export interface MediaComfortNoise {
  /** 13 (CN/8000) or a dynamic payload type (96-127). */
  readonly payloadType: number;
}

/** A re-INVITE: what changes. */
export interface MediaStreamUpdate {
  readonly codec?: MediaCodec;
  readonly telephoneEvent?: { readonly payloadType: number };
  readonly remote?: MediaRemote;
  /** `sendonly`/`inactive` put the call on hold from our side (no RTP sent). */
  readonly direction?: MediaDirection;
  /** New keys (a rekey). */
  readonly srtp?: MediaSrtp;
  /** The comfort noise payload type now negotiated; `null` when CN is no longer negotiated. */
  readonly cn?: MediaComfortNoise | null;
  /** In-band DTMF detection on or off (see {@link MediaStreamOptions.detectInbandDtmf}). */
  readonly detectInbandDtmf?: boolean;
  /** Audio processing of what we send, changed live (see {@link MediaStream.updateAudioProcessing}). */
  readonly audioProcessing?: MediaAudioProcessing;
  /**
   * A new RTP inactivity timeout in ms (0 = off): e.g. the configured timeout changed during a
   * call, or the call was held (0) and retrieved. The count restarts from this update, and a
   * timeout already reported is forgotten ({@link MediaStream.onDidTimeoutReceiving} can fire again).
   */
  readonly inactivityTimeoutMs?: number;
}

/**
 * Processing of what a stream sends (config `agc_mode`, `vad_level`, `dtx_mode`). Absent fields
 * keep their current value.
 */
export interface MediaAudioProcessing {
  /** Automatic gain control of the source. */
  readonly agc?: boolean;
  /** Voice activity detection aggressiveness 0..3 (higher drops more); `null` switches the VAD off. */
  readonly vadLevel?: 0 | 1 | 2 | 3 | null;
  /** Discontinuous transmission: frames the VAD calls silence are not sent (SID packets with `cn`). Needs a VAD level. */
  readonly dtx?: boolean;
}


/** A received DTMF digit. */
export interface DtmfReceivedEvent {
  readonly digit: string;
  readonly durationMs: number;
  /** How it came: an RFC 4733 telephone-event, or a tone pair found in the received audio. */
  readonly method: 'rfc4733' | 'inband';
}

function nativeAudioProcessing(p: MediaAudioProcessing): NativeStreamUpdate {
  const u: NativeStreamUpdate = {};
  if (p.agc !== undefined) u.agc = p.agc;
  if (p.vadLevel !== undefined) u.vadLevel = p.vadLevel === null ? -1 : p.vadLevel;
  if (p.dtx !== undefined) u.dtx = p.dtx;
  return u;
}

/**
 * One audio stream: an RTP/RTCP session with its codec, jitter buffer, optional SRTP, DTMF, a
 * source and a sink, run by the engine's media thread. Create with
 * {@link MediaEngine.createStream}; dispose to close it (an RTCP BYE is sent). A failure on the
 * media thread fires {@link MediaStream.onDidFail} and closes the stream.
 */
export class MediaStream extends Disposable {
  private readonly _onDidStart = this._register(new Emitter<{ ssrc: number }>());
  /** The media thread started running the stream (our SSRC). */
  readonly onDidStart: Event<{ ssrc: number }> = this._onDidStart.event;
  private readonly _onDidStartReceiving = this._register(new Emitter<{ ssrc: number }>());
  /** The first valid RTP packet arrived, or packets resumed after a timeout. */
  readonly onDidStartReceiving: Event<{ ssrc: number }> = this._onDidStartReceiving.event;
  private readonly _onDidTimeoutReceiving = this._register(new Emitter<{ timeoutMs: number }>());
  /**
   * No RTP for `inactivityTimeoutMs` while the direction receives: fired once by the media thread
   * (nothing runs in JS per packet); again only after packets resumed or the timeout was updated.
   */
  readonly onDidTimeoutReceiving: Event<{ timeoutMs: number }> = this._onDidTimeoutReceiving.event;
  private readonly _onDidReceiveDtmf = this._register(new Emitter<DtmfReceivedEvent>());
  /**
   * A received digit ended, reported once: an RFC 4733 event (duplicates and end retransmissions
   * merged) or, with in-band detection on, a Q.23 tone pair in the decoded audio (`method`).
   */
  readonly onDidReceiveDtmf: Event<DtmfReceivedEvent> = this._onDidReceiveDtmf.event;
  private readonly _onDidChangeRemoteSsrc = this._register(new Emitter<{ ssrc: number }>());
  /** The peer's SSRC changed (its jitter buffer was reset). */
  readonly onDidChangeRemoteSsrc: Event<{ ssrc: number }> = this._onDidChangeRemoteSsrc.event;
  private readonly _onDidChangeStats = this._register(new Emitter<MediaStreamStats>());
  /** Periodic statistics (see `statsIntervalMs` / {@link MediaStream.setStatsInterval}). */
  readonly onDidChangeStats: Event<MediaStreamStats> = this._onDidChangeStats.event;
  private readonly _onDidFail = this._register(new Emitter<{ error: NativeEngineError }>());
  /** The stream failed on the media thread and was closed (it is disposed right after). */
  readonly onDidFail: Event<{ error: NativeEngineError }> = this._onDidFail.event;
  private readonly _onDidClose = this._register(new Emitter<void>());
  /** The stream closed (dispose, a fault, or the engine's end). */
  readonly onDidClose: Event<void> = this._onDidClose.event;

  private closed = false;

  /** @internal created by MediaEngine.createStream */
  constructor(
    private readonly native: NativeEngine,
    /** Engine-wide id of the stream. */
    readonly id: number,
    /** The local RTP port (put it in SDP m=). */
    readonly localPort: number,
    /** The local RTCP port (== localPort with rtcp-mux). */
    readonly localRtcpPort: number,
    private inactivityTimeoutMs: number,
    private readonly onClosed: (s: MediaStream) => void,
  ) {
    super();
  }

  /** Whether the stream is still open. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Applies a re-INVITE (codec, remote, direction/hold, keys). Throws {@link NativeEngineError} if refused. */
  update(update: MediaStreamUpdate): void {
    this.assertOpen('updateStream');
    const u: NativeStreamUpdate = {};
    if (update.codec) u.codec = { ...update.codec };
    if (update.telephoneEvent) u.telephoneEventPayloadType = update.telephoneEvent.payloadType;
    if (update.remote) {
      u.remoteAddress = update.remote.address;
      u.remotePort = update.remote.port;
      if (update.remote.rtcpPort !== undefined) u.remoteRtcpPort = update.remote.rtcpPort;
    }
    if (update.direction) u.direction = update.direction;
    if (update.srtp) u.srtp = { ...update.srtp };
    if (update.cn !== undefined) u.comfortNoisePayloadType = update.cn === null ? -1 : update.cn.payloadType;
    if (update.detectInbandDtmf !== undefined) u.detectInbandDtmf = update.detectInbandDtmf;
    if (update.audioProcessing) Object.assign(u, nativeAudioProcessing(update.audioProcessing));
    if (update.inactivityTimeoutMs !== undefined) u.inactivityTimeoutMs = Math.max(0, Math.trunc(update.inactivityTimeoutMs));
    callNative('updateStream', () => this.native.updateStream(this.id, u));
    if (u.inactivityTimeoutMs !== undefined) this.inactivityTimeoutMs = u.inactivityTimeoutMs;
  }

  /**
   * Changes the processing of what the stream sends while it runs (a `setConfigSetting` of
   * `agc_mode`, `vad_level` or `dtx_mode` during a call): the media thread applies it at the next
   * frame, e.g. with `dtx` on, silence stops being sent (`dtxFrames` counts it) and with `dtx` off
   * it is sent again. One call into the engine, nothing per packet. Returns once applied; throws
   * {@link NativeEngineError} when the stream is closed.
   */
  updateAudioProcessing(processing: MediaAudioProcessing): void {
    this.assertOpen('updateStream');
    const u = nativeAudioProcessing(processing);
    callNative('updateStream', () => this.native.updateStream(this.id, u));
  }

  /**
   * Queues DTMF digits (`0-9*#A-D`): RFC 4733 events (default; needs `telephoneEvent`) or
   * in-band tones. Returns once queued; the media thread sends them one after the other.
   */
  sendDtmf(digits: string, options: { durationMs?: number; method?: 'rfc4733' | 'inband' } = {}): void {
    this.assertOpen('sendDtmf');
    callNative('sendDtmf', () => this.native.sendDtmf(this.id, digits, options.durationMs ?? 100, options.method === 'inband'));
  }

  /** Mutes what we send (the microphone): silence is encoded instead. */
  setMuted(muted: boolean): void {
    this.assertOpen('setMuted');
    callNative('setMuted', () => this.native.setMuted(this.id, muted));
  }

  /**
   * Replaces the stream's source and/or sink while it runs (device hot-plug: a removed headset
   * falls back to another device, the call goes on). Absent = unchanged. The stream stops using
   * the old device before this returns; the caller still owns (and disposes) it. Throws
   * {@link NativeEngineError} when the stream is closed or cannot convert the device's rate.
   */
  setDevices(devices: { source?: AudioSource; sink?: AudioSink }): void {
    this.assertOpen('setDevices');
    const source = devices.source ? nativeDeviceOf(devices.source) : null;
    const sink = devices.sink ? nativeDeviceOf(devices.sink) : null;
    callNative('setDevices', () => this.native.setDevices(this.id, source, sink));
  }

  /** Linear gains (0..16): `send` (microphone volume) and `receive` (speaker volume). */
  setGain(gain: { send?: number; receive?: number }): void {
    this.assertOpen('setGain');
    callNative('setGain', () => this.native.setGain(this.id, gain.send ?? -1, gain.receive ?? -1));
  }

  /** Period of onDidChangeStats in ms (0 = off). */
  setStatsInterval(ms: number): void {
    this.assertOpen('setStatsInterval');
    callNative('setStatsInterval', () => this.native.setStatsInterval(this.id, ms));
  }

  /** The statistics as of the last media tick. Throws {@link NativeEngineError} once closed. */
  getStats(): MediaStreamStats {
    this.assertOpen('getStats');
    const s = callNative('getStats', () => this.native.getStats(this.id));
    if (!s) throw new NativeEngineError(`getStats: stream ${this.id} is closed`, 'getStats', undefined);
    return s;
  }

  /** @internal an engine event for this stream */
  handle(e: NativeEvent): void {
    switch (e.type) {
      case 'started':
        this._onDidStart.fire({ ssrc: e.ssrc ?? 0 });
        break;
      case 'receiving':
        this._onDidStartReceiving.fire({ ssrc: e.ssrc ?? 0 });
        break;
      case 'timeout':
        this._onDidTimeoutReceiving.fire({ timeoutMs: this.inactivityTimeoutMs });
        break;
      case 'dtmf':
        this._onDidReceiveDtmf.fire({ digit: e.digit ?? '', durationMs: e.durationMs ?? 0, method: e.method ?? 'rfc4733' });
        break;
      case 'ssrc':
        this._onDidChangeRemoteSsrc.fire({ ssrc: e.ssrc ?? 0 });
        break;
      case 'stats':
        if (e.stats) this._onDidChangeStats.fire(e.stats);
        break;
      case 'fault':
        this._onDidFail.fire({ error: new NativeEngineError(`stream ${this.id} failed: ${e.message ?? ''}`, 'mediaThread', undefined) });
        break;
      case 'closed':
        this.markClosed();
        this.dispose();
        break;
      default:
        break;
    }
  }

  /** @internal the engine closed under us */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this._onDidClose.fire();
  }

  /** Closes the stream (RTCP BYE) and releases its sockets. Idempotent. */
  override dispose(): void {
    if (this.isDisposed) return;
    if (!this.closed) {
      try {
        this.native.closeStream(this.id);
      } catch {
        // the engine is gone: nothing left to close
      }
      this.markClosed();
    }
    this.onClosed(this);
    super.dispose();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new NativeEngineError(`${operation}: stream ${this.id} is closed`, operation, undefined);
  }
}

/**
 * A mix-minus conference: each stream added hears the sum of the others and its own decoded
 * audio goes to the mix instead of its sink. Streams must run on the conference's media thread:
 * create them with `conference` in their options (or on a one-thread engine, add them later).
 */
export class Conference extends Disposable {
  private readonly members = new Set<MediaStream>();

  /** @internal created by MediaEngine.createConference */
  constructor(
    private readonly native: NativeEngine,
    /** Engine-wide id. */
    readonly id: number,
    private readonly onClosed: (c: Conference) => void,
  ) {
    super();
  }

  /** The streams in the conference. */
  get streams(): readonly MediaStream[] {
    return [...this.members];
  }

  /** Adds a stream. Throws {@link NativeEngineError} when it runs on another media thread. */
  add(stream: MediaStream): void {
    callNative('addToConference', () => this.native.addToConference(this.id, stream.id));
    this.members.add(stream);
  }

  /** @internal registers a stream created with `conference` */
  joined(stream: MediaStream): void {
    this.members.add(stream);
  }

  /** Removes a stream (it goes back to its own source and sink). */
  remove(stream: MediaStream): void {
    if (!this.members.delete(stream)) return;
    if (stream.isOpen) callNative('removeFromConference', () => this.native.removeFromConference(this.id, stream.id));
  }

  override dispose(): void {
    if (this.isDisposed) return;
    try {
      this.native.closeConference(this.id);
    } catch {
      // engine already closed
    }
    this.members.clear();
    this.onClosed(this);
    super.dispose();
  }
}

/**
 * The media engine: native media threads running RTP streams and conferences. Dispose it to
 * close everything (streams, conferences, threads). If a media thread dies, the engine fires
 * {@link MediaEngine.onDidEngineDie} and disposes itself and all its streams (the close cascade);
 * the process keeps running. Throws {@link NativeEngineError} when the threads cannot start.
 */
export class MediaEngine extends Disposable {
  private readonly _onDidEngineDie = this._register(new Emitter<{ error: NativeEngineError }>());
  /** A media thread failed: every stream was closed and the engine is disposed. */
  readonly onDidEngineDie: Event<{ error: NativeEngineError }> = this._onDidEngineDie.event;

  private readonly native: NativeEngine;
  private readonly streamsById = new Map<number, MediaStream>();
  private readonly conferences = new Set<Conference>();
  private readonly logger: Logger;
  private closing = false;
  private readonly forgetStream = (s: MediaStream): void => {
    this.streamsById.delete(s.id);
  };

  constructor(options: MediaEngineOptions = {}) {
    super();
    this.logger = (options.logger ?? nullLogger).child({ component: 'media-engine' });
    let native: NativeEngine;
    try {
      native = MediaEngine.start(options, (events) => this.dispatch(events));
    } catch (e) {
      super.dispose();
      throw e;
    }
    this.native = native;
  }

  private static start(options: MediaEngineOptions, onEvents: (events: NativeEvent[]) => void): NativeEngine {
    const Ctor = loadNative().NativeEngine;
    return callNative(
      'createEngine',
      () =>
        new Ctor(
          {
            portMin: options.rtpPortMin,
            portMax: options.rtpPortMax,
            threads: options.threads,
            tickMs: options.tickMs,
            jitterMinMs: options.jitterMinMs,
            jitterMaxMs: options.jitterMaxMs,
            cname: options.cname,
          },
          onEvents,
        ),
    );
  }

  /** The open streams. */
  get streams(): readonly MediaStream[] {
    return [...this.streamsById.values()];
  }

  /**
   * Creates and starts a stream; its sockets are bound when this returns (`localPort`).
   * Throws {@link NativeEngineError} (unknown/unavailable codec, no free port, bad SRTP key...).
   */
  createStream(options: MediaStreamOptions): MediaStream {
    if (this.isDisposed) throw new NativeEngineError('createStream: the engine is disposed', 'createStream', undefined);
    const o: NativeStreamOptions = {
      localAddress: options.localAddress,
      localPort: options.localPort,
      codec: { ...options.codec },
      telephoneEventPayloadType: options.telephoneEvent?.payloadType,
      remoteAddress: options.remote?.address,
      remotePort: options.remote?.port,
      remoteRtcpPort: options.remote?.rtcpPort,
      rtcpMux: options.rtcpMux,
      direction: options.direction,
      latch: options.latch,
      srtp: options.srtp ? { ...options.srtp } : undefined,
      source: options.source ? nativeDeviceOf(options.source) : undefined,
      sink: options.sink ? nativeDeviceOf(options.sink) : undefined,
      inactivityTimeoutMs: options.inactivityTimeoutMs,
      statsIntervalMs: options.statsIntervalMs,
      jitterMinMs: options.jitterMinMs,
      jitterMaxMs: options.jitterMaxMs,
      conference: options.conference?.id,
      agc: options.audioProcessing?.agc,
      vadLevel: options.audioProcessing?.vadLevel,
      dtx: options.audioProcessing?.dtx,
      comfortNoisePayloadType: options.cn?.payloadType,
      detectInbandDtmf: options.detectInbandDtmf,
    };
    const created = callNative('createStream', () => this.native.createStream(o));
    // The close callback is one per engine: a closure made here would share this scope's context
    // and keep the options (and their devices) alive as long as the stream (V8 allocates one
    // context per scope for all its closures).
    const stream = new MediaStream(this.native, created.id, created.rtpPort, created.rtcpPort, options.inactivityTimeoutMs ?? 0, this.forgetStream);
    this.streamsById.set(created.id, stream);
    options.conference?.joined(stream);
    this.logger.debug('stream created', { id: created.id, port: created.rtpPort, codec: options.codec.name });
    return stream;
  }

  /** Creates a mix-minus conference. */
  createConference(): Conference {
    const id = callNative('createConference', () => this.native.createConference());
    const c = new Conference(this.native, id, (x) => this.conferences.delete(x));
    this.conferences.add(c);
    return c;
  }

  /** Test hook: makes media thread `index` fail (the engine must die cleanly). */
  injectFault(index = 0): void {
    callNative('injectFault', () => this.native.injectFault(index));
  }

  private dispatch(events: NativeEvent[]): void {
    for (const e of events) {
      if (e.type === 'died') {
        const error = new NativeEngineError(`the media engine died: ${e.message ?? ''}`, 'mediaThread', undefined);
        this.logger.error('media engine died', { message: e.message });
        this._onDidEngineDie.fire({ error });
        this.dispose();
        return;
      }
      this.streamsById.get(e.streamId)?.handle(e);
    }
  }

  /** Closes every stream and conference and stops the media threads. Idempotent. */
  override dispose(): void {
    if (this.isDisposed || this.closing) return;
    this.closing = true;
    for (const c of [...this.conferences]) c.dispose();
    for (const s of [...this.streamsById.values()]) s.dispose();
    try {
      this.native.close();
    } catch {
      // already closed
    }
    super.dispose();
  }
}

/** A fresh random SDES key parameter (`inline:<base64>`) for `suite` (RFC 4568 §6.1). */
export function generateSrtpKey(suite = 'AES_CM_128_HMAC_SHA1_80'): string {
  return callNative('generateSrtpKey', () => loadNative().generateSrtpKey(suite));
}
