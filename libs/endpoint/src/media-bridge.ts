/**
 * The media bridge: a {@link SessionDescriptionHandler} per session that joins the SDP
 * offer/answer of `@sip-endpoint/signaling` to a stream of the `@sip-endpoint/media-native`
 * engine. The signaling and media libraries never import each other; this file is where they meet.
 */
import { Disposable, Emitter, type Event, type Logger } from '@sip-endpoint/base';
import { buildFeatures, generateSrtpKey, listCodecs, type AudioSink, type AudioSource, type CodecDescription, type MediaDirection, type MediaEngine, type MediaStream } from '@sip-endpoint/media-native';
import { SdpNegotiationError, SdpOfferAnswerHandler, SdpSession, type CodecSpec, type SdpLocalDescription, type NegotiationResult, type SdesCrypto, type SessionDescriptionHandler } from '@sip-endpoint/signaling';
import type { DevicesChangeEvent, EndpointDevices } from './devices';

/** SRTP policy of the Genesys `system.security.use_srtp` setting. */
export type SrtpSetting = 'disabled' | 'optional' | 'mandatory';

/** A codec chosen for SDP: the configured name (`PCMU/8000`) and what the engine knows of it. */
export interface BridgeCodec {
  /** The configured name, e.g. `opus/48000/2`. */
  readonly configName: string;
  /** The engine's description. */
  readonly engine: CodecDescription;
}

/** What a {@link MediaBridge} needs; built by the endpoint from its configuration. */
export interface MediaBridgeOptions {
  readonly engine: MediaEngine;
  /** Our media address written in `c=`. */
  readonly address: string;
  /** Codecs in priority order (already intersected with the engine's available ones). */
  readonly codecs: () => readonly BridgeCodec[];
  /** Whether to offer RFC 4733 telephone-event. */
  readonly telephoneEvent: boolean;
  /** `system.security.use_srtp`. */
  readonly srtp: () => SrtpSetting;
  /** The microphone (or test source) of this stream; disposed with the bridge. */
  readonly createSource: () => AudioSource;
  /** The speaker (or test sink) of this stream; disposed with the bridge. */
  readonly createSink: () => AudioSink;
  /**
   * RTP inactivity timeout in ms (0 = none): `policy.endpoint.rtp_inactivity_timeout`. A function
   * is read again by {@link MediaBridge.refreshInactivityTimeout} (a live change). The engine
   * counts it only while the bridge is armed ({@link MediaBridge.setInactivityArmed}: the call is
   * connected and not held) and reports it by {@link MediaBridge.onDidTimeoutMedia}.
   */
  readonly inactivityTimeoutMs?: number | (() => number);
  /**
   * The `policy.session` processing settings (`dtx_mode`, `vad_level`, `agc_mode`): the engine's
   * `audioProcessing` is read when the stream is created and again by
   * {@link MediaBridge.refreshAudioProcessing} (a live change: the running stream is updated in
   * the engine); CN is offered from `dtx_mode` at every offer/answer. With `dtx_mode` on we offer RFC 3389 comfort
   * noise (`CN/8000`, PT 13) and send SID packets in silence (when the peer accepted CN). Absent: all off.
   */
  readonly session?: () => SessionMediaPolicy;
  /**
   * The endpoint's sound devices: when the device this bridge's stream uses is removed, the
   * stream moves to a fresh `createSource()` / `createSink()` (which picks among the devices left:
   * the default device, else a null device); the call goes on.
   */
  readonly devices?: EndpointDevices;
  readonly logger: Logger;
  // --- signaling-only option (EndpointOptions.media: false) ---
  /**
   * Signaling only: no engine stream (and no source/sink) is ever created. Offers and answers
   * are still valid SDP with the configured codecs, on port {@link SIGNALING_ONLY_RTP_PORT}.
   */
  readonly signalingOnly?: boolean;
}

/**
 * The `m=` port of a signaling-only bridge: 9, the discard port (RFC 863), the port RFC 8840
 * §5 also uses for "no media address yet". Not 0, which would refuse the stream (RFC 3264 §6):
 * the answer accepts the call; RTP a peer sends there is simply not received.
 */
export const SIGNALING_ONLY_RTP_PORT = 9;

/** The `policy.session` settings that shape what a stream sends. */
export interface SessionMediaPolicy {
  /** `dtx_mode`: discontinuous transmission (SID packets instead of silence; offers CN). */
  readonly dtx_mode: boolean;
  /** `vad_level`: voice activity detection aggressiveness, 0 (off) .. 3. */
  readonly vad_level: number;
  /** `agc_mode`: automatic gain control of the microphone. */
  readonly agc_mode: boolean;
}

/** RFC 3551 §6: CN (RFC 3389 comfort noise) has the static payload type 13 at 8000 Hz. */
const CN_STATIC_PT = 13;

const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';

/**
 * Maps the configured codec priorities (`codecs` domain: name -> priority, higher preferred, 0 =
 * disabled) onto the engine's available codecs, highest priority first. Names not known to the
 * engine (video, `red`, `ulpfec`, `telephone-event`) are left out.
 */
export function configuredCodecs(priorities: Readonly<Record<string, number>>, available: readonly CodecDescription[] = listCodecs()): BridgeCodec[] {
  const out: { codec: BridgeCodec; priority: number }[] = [];
  for (const [configName, priority] of Object.entries(priorities)) {
    if (!priority || priority <= 0) continue;
    const [name = '', rate] = configName.split('/');
    const engine = available.find(
      (c) => c.available && c.name.toLowerCase() === name.toLowerCase() && (rate === undefined || Number(rate) === c.rtpClockRate || Number(rate) === c.sampleRate),
    );
    if (engine) out.push({ codec: { configName, engine }, priority });
  }
  return out.sort((a, b) => b.priority - a.priority).map((x) => x.codec);
}

/** The engine's `audioProcessing` from the `policy.session` settings. */
function audioProcessing(policy: SessionMediaPolicy): { agc: boolean; vadLevel: 0 | 1 | 2 | 3; dtx: boolean } {
  const vad = Math.max(0, Math.min(3, Math.trunc(Number(policy.vad_level) || 0))) as 0 | 1 | 2 | 3;
  // The engine's DTX needs voice activity detection: dtx_mode alone means the mildest VAD.
  return { agc: policy.agc_mode === true, vadLevel: policy.dtx_mode && vad === 0 ? 1 : vad, dtx: policy.dtx_mode === true };
}

/**
 * The comfort noise payload type for the engine from a negotiated stream, or `null` when none fits:
 * CN must share the codec's RTP clock (RFC 3389 §5: "the RTP clock rate ... same as the one of the
 * media it is associated with"), so static 13 only goes with 8 kHz codecs.
 */
function negotiatedCn(codecs: readonly { name: string; payloadType: number; clockRate: number }[], main: { clockRate: number } | undefined): { payloadType: number } | null {
  if (!main) return null;
  const cn = codecs.find((c) => c.name.toLowerCase() === 'cn' && c.clockRate === main.clockRate);
  return cn ? { payloadType: cn.payloadType } : null;
}

function toCodecSpec(c: BridgeCodec): CodecSpec {
  return {
    name: c.engine.name,
    clockRate: c.engine.rtpClockRate,
    ...(c.engine.channels > 1 ? { channels: c.engine.channels } : {}),
    ...(c.engine.defaultFmtp ? { fmtp: c.engine.defaultFmtp } : {}),
  };
}

/**
 * One session's media: implements the signaling layer's {@link SessionDescriptionHandler} with an
 * {@link SdpOfferAnswerHandler} and drives one engine {@link MediaStream}. The stream is created
 * (inactive, so nothing is sent yet) at the first offer or answer, so its local RTP port is known
 * before the SDP is written; every completed exchange (`onDidNegotiate`) updates it: codec and
 * payload types, remote address and port, direction (hold), telephone-event, SRTP keys.
 */
export class MediaBridge extends Disposable implements SessionDescriptionHandler {
  private readonly sdp: SdpOfferAnswerHandler;
  private _stream: MediaStream | undefined;
  private source: AudioSource | undefined;
  private sink: AudioSink | undefined;
  private localCrypto: SdesCrypto[] | undefined;
  private _muted = false;
  /** Whether our last offer or answer put the call on hold (we hold the far end). */
  private localHold = false;
  private gain: { send?: number; receive?: number } = {};
  private readonly _onDidUpdateMedia = this._register(new Emitter<{ result: NegotiationResult; stream: MediaStream }>());
  /** The stream was updated from a completed offer/answer exchange. */
  readonly onDidUpdateMedia: Event<{ result: NegotiationResult; stream: MediaStream }> = this._onDidUpdateMedia.event;

  private readonly _onDidChangeDevice = this._register(new Emitter<{ direction: 'source' | 'sink'; device: AudioSource | AudioSink }>());
  /** The stream's source or sink was replaced (its device was removed: hot-plug fallback). */
  readonly onDidChangeDevice: Event<{ direction: 'source' | 'sink'; device: AudioSource | AudioSink }> = this._onDidChangeDevice.event;

  private readonly _onDidTimeoutMedia = this._register(new Emitter<{ timeoutMs: number }>());
  /**
   * No RTP arrived for the configured inactivity timeout while the bridge was armed (the call
   * connected, not held by either side). Fired once per silence, from the engine's own
   * notification (nothing runs in JS per packet); the session ends the call on it.
   */
  readonly onDidTimeoutMedia: Event<{ timeoutMs: number }> = this._onDidTimeoutMedia.event;
  /** Whether the inactivity timeout may run (set by the session: Connected and not held). */
  private inactivityArmed = false;
  /** The timeout the engine stream has now (ms, 0 = off). */
  private appliedInactivityMs = 0;

  constructor(private readonly options: MediaBridgeOptions) {
    super();
    this.sdp = this._register(new SdpOfferAnswerHandler({ address: options.address, ports: {} }));
    this._register(this.sdp.onDidNegotiate((r) => this.apply(r)));
    const devices = options.devices;
    if (devices) this._register(devices.onWillChangeDevices((e) => this.onDevicesChanged(devices, e)));
  }

  private onDevicesChanged(devices: EndpointDevices, e: DevicesChangeEvent): void {
    const stream = this._stream;
    if (!stream?.isOpen || e.removed.length === 0) return;
    if (this.source && devices.isRemoved(this.source, e)) this.replaceDevice(stream, 'source');
    if (this.sink && devices.isRemoved(this.sink, e)) this.replaceDevice(stream, 'sink');
  }

  private replaceDevice(stream: MediaStream, direction: 'source' | 'sink'): void {
    const old = direction === 'source' ? this.source : this.sink;
    let next: AudioSource | AudioSink | undefined;
    try {
      next = direction === 'source' ? this.options.createSource() : this.options.createSink();
      if (direction === 'source') stream.setDevices({ source: next as AudioSource });
      else stream.setDevices({ sink: next as AudioSink });
    } catch (e) {
      // The replacement could not be opened or used: the engine keeps the old (silent) device;
      // the call goes on either way.
      this.options.logger.warn('device fallback failed', { direction, error: String(e) });
      next?.dispose();
      return;
    }
    if (direction === 'source') this.source = next as AudioSource;
    else this.sink = next as AudioSink;
    old?.dispose();
    this.options.logger.info('device removed: the call moved to another device', { direction, device: this.options.devices?.nameOf(next) ?? 'null' });
    this._onDidChangeDevice.fire({ direction, device: next });
  }

  /** The engine stream, once the first offer or answer was written. */
  get stream(): MediaStream | undefined {
    return this._stream;
  }

  /** The last negotiation result. */
  get lastResult(): NegotiationResult | undefined {
    return this.sdp.lastResult;
  }

  /** Whether the remote's last SDP puts us on hold. */
  get remoteHold(): boolean {
    return this.sdp.remoteHold;
  }

  /** Writes an offer (RFC 3264 §5), creating the stream first. */
  createOffer(options: { hold: boolean }): string {
    this.localHold = options.hold;
    this.prepare();
    return this.sdp.createOffer(options);
  }

  /** Answers a remote offer (RFC 3264 §6); the stream is updated from the result. */
  createAnswer(offer: string, options: { hold: boolean }): string {
    this.localHold = options.hold;
    this.prepare();
    return this.sdp.createAnswer(offer, options);
  }

  /** Takes the answer to our offer; the stream is updated from the result. */
  setAnswer(answer: string): void {
    this.sdp.setAnswer(answer);
  }

  /** Mutes what we send. */
  setMuted(muted: boolean): void {
    this._muted = muted;
    if (this._stream?.isOpen) this._stream.setMuted(muted);
  }

  /**
   * Applies the current `policy.session` processing settings (`dtx_mode`, `vad_level`,
   * `agc_mode`) to the running stream: one engine update, effective at the next 20 ms frame
   * (e.g. DTX on: silence stops being sent). CN is not renegotiated: it follows at the next
   * offer/answer. No-op before the stream exists or after it closed; a refusal is logged.
   */
  refreshAudioProcessing(): void {
    const policy = this.options.session?.();
    const stream = this._stream;
    if (!policy || !stream?.isOpen) return;
    try {
      stream.updateAudioProcessing(audioProcessing(policy));
    } catch (e) {
      this.options.logger.warn('audio processing update failed', { error: String(e) });
    }
  }

  /**
   * Arms (or disarms) the RTP inactivity timeout: the session arms it while it is Connected and
   * not held (by us or the far end) and disarms it otherwise, so a held call never times out and
   * the count starts again from the retrieve. See {@link refreshInactivityTimeout}.
   */
  setInactivityArmed(armed: boolean): void {
    this.inactivityArmed = armed;
    this.refreshInactivityTimeout();
  }

  /**
   * Gives the engine stream the timeout it should have now: the configured one when armed and
   * no side holds, else 0 (off). Called on arm/disarm, after each negotiation and when
   * `rtp_inactivity_timeout` changes (the count restarts from the change). One engine update
   * when the value changes, none otherwise; no-op without a stream; a refusal is logged.
   */
  refreshInactivityTimeout(): void {
    const stream = this._stream;
    if (!stream?.isOpen) return;
    const configured = this.configuredInactivityMs();
    const wanted = this.inactivityArmed && !this.localHold && !this.sdp.remoteHold ? configured : 0;
    if (wanted === this.appliedInactivityMs) return;
    try {
      stream.update({ inactivityTimeoutMs: wanted });
      this.appliedInactivityMs = wanted;
      this.options.logger.debug('rtp inactivity timeout', { timeoutMs: wanted });
    } catch (e) {
      this.options.logger.warn('rtp inactivity timeout update failed', { error: String(e) });
    }
  }

  private configuredInactivityMs(): number {
    const t = this.options.inactivityTimeoutMs;
    const ms = typeof t === 'function' ? t() : (t ?? 0);
    return Number.isFinite(ms) && ms > 0 ? Math.trunc(ms) : 0;
  }

  /** Linear gains (0..16): `send` = microphone volume, `receive` = speaker volume. */
  setGain(gain: { send?: number; receive?: number }): void {
    this.gain = { ...this.gain, ...gain };
    if (this._stream?.isOpen) this._stream.setGain(gain);
  }

  private prepare(): void {
    const codecs = this.options.codecs();
    const first = codecs[0];
    if (!first) throw new Error('no codec configured that the media engine can use');
    if (!this._stream && !this.options.signalingOnly) {
      this.source = this.options.createSource();
      this.sink = this.options.createSink();
      const policy = this.options.session?.();
      // The stream starts inactive: its port goes into our SDP, media flows after the exchange.
      this._stream = this.options.engine.createStream({
        codec: { name: first.engine.name, ...(first.engine.staticPayloadType === undefined ? { payloadType: 96 } : {}) },
        direction: 'inactive',
        source: this.source,
        sink: this.sink,
        // No inactivity timeout yet: it is armed once the call is connected (refreshInactivityTimeout).
        ...(policy ? { audioProcessing: audioProcessing(policy) } : {}),
      });
      const stream = this._stream;
      this._register(
        stream.onDidTimeoutReceiving(() => {
          // A report that crossed a disarm/hold on its way from the media thread is dropped.
          const timeoutMs = this.appliedInactivityMs;
          if (timeoutMs <= 0 || !this.inactivityArmed || this.localHold || this.sdp.remoteHold) return;
          this.options.logger.warn('no RTP received: inactivity timeout', { timeoutMs });
          this._onDidTimeoutMedia.fire({ timeoutMs });
        }),
      );
      if (this._muted) this._stream.setMuted(true);
      if (this.gain.send !== undefined || this.gain.receive !== undefined) this._stream.setGain(this.gain);
    }
    this.sdp.local = this.localDescription(this._stream?.localPort ?? SIGNALING_ONLY_RTP_PORT);
  }

  /** Our SDP capabilities: the configured codecs (+ CN with DTX), telephone-event, SRTP per config. */
  private localDescription(port: number): SdpLocalDescription {
    const codecs = this.options.codecs();
    const srtp = this.options.srtp();
    const canSrtp = srtp !== 'disabled' && buildFeatures()['srtp2'] === true;
    if (canSrtp && !this.localCrypto) this.localCrypto = [{ suite: SRTP_SUITE, keyParams: generateSrtpKey(SRTP_SUITE) }];
    // RFC 3389 §5: comfort noise is offered as a payload format of its own (CN/8000, RFC 3551 static 13); only with dtx_mode on.
    const offerCn = this.options.session?.().dtx_mode === true;
    return {
      address: this.options.address,
      ports: { audio: port },
      audio: {
        codecs: [...codecs.map(toCodecSpec), ...(offerCn ? [{ name: 'CN', clockRate: 8000, payloadType: CN_STATIC_PT }] : [])],
        telephoneEvent: this.options.telephoneEvent,
        ...(canSrtp && this.localCrypto ? { crypto: this.localCrypto, srtp: srtp === 'mandatory' ? 'mandatory' : 'optional' } : {}),
      },
    };
  }

  /**
   * Tries an answer to `offer` without creating a stream or changing this session, so an INVITE
   * whose offer we cannot accept is refused before the phone rings. Returns the negotiation
   * error (its `suggestedStatus` is 488 or 400), or undefined when the offer can be answered.
   */
  checkOffer(offer: string): SdpNegotiationError | undefined {
    if (this.options.codecs().length === 0) return new SdpNegotiationError('no-common-codec', 'no codec configured that the media engine can use');
    const probe = new SdpSession();
    try {
      probe.createAnswer(offer, this.localDescription(SIGNALING_ONLY_RTP_PORT));
      return undefined;
    } catch (e) {
      if (e instanceof SdpNegotiationError) return e;
      throw e;
    } finally {
      probe.dispose();
    }
  }

  private apply(result: NegotiationResult): void {
    const stream = this._stream;
    if (!stream?.isOpen) return;
    const audio = result.audio;
    try {
      if (!audio) {
        stream.update({ direction: 'inactive' });
        return;
      }
      // Comfort noise (and any other auxiliary format) is no codec to send with: take the first real one.
      const codec = audio.codecs.find((c) => c.name.toLowerCase() !== 'cn') ?? audio.codecs[0];
      const cn = negotiatedCn(audio.codecs, codec);
      let direction: MediaDirection = audio.remoteAddress === '0.0.0.0' ? (audio.localDirection.endsWith('recv') ? 'recvonly' : 'inactive') : audio.localDirection;
      // RFC 3264 §8.4 lets the holder offer sendonly (to play music on hold); we have none, and the
      // held customer must not hear the agent: while we hold, the engine sends nothing (RTCP aside).
      if (this.localHold && direction === 'sendonly') direction = 'inactive';
      stream.update({
        ...(codec ? { codec: { name: codec.name, payloadType: codec.payloadType, clockRate: codec.clockRate, channels: codec.channels, ...(codec.fmtp ? { fmtp: codec.fmtp } : {}) } } : {}),
        ...(audio.telephoneEvent ? { telephoneEvent: { payloadType: audio.telephoneEvent.payloadType } } : {}),
        ...(audio.remoteAddress !== '0.0.0.0' ? { remote: { address: audio.remoteAddress, port: audio.remotePort, rtcpPort: audio.remoteRtcpPort } } : {}),
        ...(audio.crypto ? { srtp: { suite: audio.crypto.suite, localKey: audio.crypto.localKeyParams, remoteKey: audio.crypto.remoteKeyParams } } : {}),
        // RFC 3389 §4: CN packets carry the noise level of the silence; the engine sends them (with dtx) and plays received ones.
        cn,
        direction,
      });
      // A hold or retrieve changes what the inactivity timeout should be (off while held).
      this.refreshInactivityTimeout();
      this.options.logger.debug('media updated', { codec: codec?.name, remote: `${audio.remoteAddress}:${audio.remotePort}`, direction, srtp: !!audio.crypto, cn: cn?.payloadType });
      this._onDidUpdateMedia.fire({ result, stream });
    } catch (e) {
      this.options.logger.warn('media update failed', { error: String(e) });
    }
  }

  /** Closes the stream and its devices. Idempotent. */
  override dispose(): void {
    if (this.isDisposed) return;
    this._stream?.dispose();
    this._stream = undefined;
    this.source?.dispose();
    this.sink?.dispose();
    super.dispose();
  }
}
