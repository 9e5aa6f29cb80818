/**
 * {@link SdpSession}: the RFC 3264 offer/answer state of one SIP session (one dialog's media).
 */
import { write as writeSdpText, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { Disposable, Emitter, ErrorCode, InvalidStateError, SdkError, nullLogger, type Event, type Logger } from '@sip-endpoint/base';
import { codecKey, isAuxiliaryFormat, isTelephoneEvent, type SdpCodec } from './codecs';
import { SdpFailureReason, SdpNegotiationError, type SdpStreamFailure } from './errors';
import {
  SUPPORTED_PROTOCOLS,
  allocatePayloadTypes,
  capabilitiesFor,
  desiredDirection,
  disabledMediaLine,
  fromFlags,
  isSecureProtocol,
  localCodecList,
  matchCodecs,
  matchTelephoneEvents,
  mediaLine,
  offeredTelephoneEvent,
  telephoneEventSpec,
  toFlags,
  validateLocal,
  type PlacedCodec,
} from './negotiate';
import { parseRemoteSdp, type RemoteDescription, type RemoteFormat, type RemoteMedia } from './parse';
import type {
  SdpAnswerOptions,
  SdpAnswerResult,
  AudioCapabilities,
  SdpLocalDescription,
  MediaDirection,
  NegotiatedCodec,
  NegotiatedCrypto,
  NegotiatedStream,
  NegotiatedTelephoneEvent,
  NegotiationResult,
  SdpOfferOptions,
  SdesCrypto,
  StreamRejectReason,
} from './types';

/**
 * States of an {@link SdpSession}.
 *
 * ```
 *            createOffer()                 acceptAnswer() | rollback()
 *   stable ----------------> have-local-offer ---------------------------> stable
 *     ^  \                                                                    |
 *     |   `-- createAnswer() (offer in, answer out: stays stable) ----------'
 * ```
 */
export const SdpSessionState = {
  /** No offer outstanding: an offer may be created or a remote offer answered. */
  Stable: 'stable',
  /** We sent an offer and wait for the answer (RFC 3264 §4: no other offer in either direction meanwhile). */
  HaveLocalOffer: 'have-local-offer',
} as const;

/** A state of an {@link SdpSession}. */
export type SdpSessionState = (typeof SdpSessionState)[keyof typeof SdpSessionState];

/** Options of {@link SdpSession}. */
export interface SdpSessionOptions {
  /** The `o=` session id (digits); a random one when absent. */
  readonly sessionId?: string;
  /** The `o=` version of the first SDP; 1 when absent. */
  readonly initialVersion?: number;
  /** Where state changes and lenient answer handling are logged. */
  readonly logger?: Logger;
}

/** What the session remembers of one m-line across exchanges (RFC 3264 §8). */
interface MediaSlot {
  readonly type: string;
  readonly protocol: string;
  readonly formats: readonly string[];
  readonly mid?: string;
  /** Port not 0 on both sides in the last exchange. */
  readonly active: boolean;
  /** Payload type -> codec key, ours and the remote's, for the life of the session (RFC 3264 §8.3.2). */
  readonly ptMap: ReadonlyMap<number, string>;
}

/** What we put in one m-line of an offer, kept to read the answer. */
interface OfferedStream {
  readonly index: number;
  readonly type: string;
  readonly protocol: string;
  readonly port: number;
  readonly active: boolean;
  readonly rejectReason?: StreamRejectReason;
  readonly mid?: string;
  readonly codecs: readonly PlacedCodec[];
  readonly telephoneEvents: readonly PlacedCodec[];
  readonly crypto: readonly (SdesCrypto & { tag: number })[];
  readonly rtcpMux: boolean;
  readonly direction: MediaDirection;
  readonly ptime?: number;
}

interface OfferContext {
  readonly sdp: string;
  readonly plan: readonly OfferedStream[];
  readonly slotsBefore: readonly MediaSlot[];
  readonly lastSentBefore: { body: string; version: number } | undefined;
}

function randomSessionId(): string {
  const a = new Uint32Array(2);
  globalThis.crypto.getRandomValues(a);
  // Keep it below 2^53 so peers that read it as a double keep it exact.
  return String(((a[0] as number) % 0x200000) * 0x100000000 + (a[1] as number) + 1);
}

function ipVersion(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/**
 * The RFC 3264 offer/answer state of one session: it writes our offers and answers from a
 * {@link SdpLocalDescription}, reads the remote's, and returns a typed {@link NegotiationResult}.
 *
 * It keeps what RFC 3264 §8 requires across re-INVITEs and UPDATEs: the `o=` line is fixed by the
 * first SDP and only its version moves, by one, when the SDP we send differs from the previous
 * one; m-lines are never removed or reordered (a stream we no longer have goes to port 0); dynamic
 * payload type numbers keep their codec. All methods are synchronous; state changes are reported
 * by {@link SdpSession.onDidChangeState}. Errors are {@link SdpNegotiationError} (code
 * `SDP_NEGOTIATION`) for SDP problems, `InvalidStateError` for a call in the wrong state and
 * `SdkError` `INVALID_ARGUMENT` for an unusable {@link SdpLocalDescription}.
 */
export class SdpSession extends Disposable {
  private readonly _onDidChangeState = this._register(new Emitter<{ readonly previous: SdpSessionState; readonly state: SdpSessionState }>());
  /** Fires on every state change, after it happened. */
  readonly onDidChangeState: Event<{ readonly previous: SdpSessionState; readonly state: SdpSessionState }> = this._onDidChangeState.event;

  private _state: SdpSessionState = SdpSessionState.Stable;
  private readonly sessionId: string;
  private readonly initialVersion: number;
  private readonly logger: Logger;
  private origin: { username: string; ipVer: 4 | 6; address: string } | undefined;
  private lastSent: { body: string; version: number } | undefined;
  private maxVersion = -1;
  private slots: readonly MediaSlot[] = [];
  private pending: OfferContext | undefined;
  private lastAccepted: OfferContext | undefined;
  private remoteOrigin: { sessionId: string; sessionVersion: string } | undefined;

  constructor(options: SdpSessionOptions = {}) {
    // Checked before super(): a constructor that throws must not leave a tracked disposable behind.
    if (options.sessionId !== undefined && !/^\d{1,20}$/.test(options.sessionId)) throw new SdkError(ErrorCode.InvalidArgument, `o= session id must be digits: ${options.sessionId}`);
    const initialVersion = options.initialVersion ?? 1;
    if (!Number.isSafeInteger(initialVersion) || initialVersion < 0) throw new SdkError(ErrorCode.InvalidArgument, `o= version must be a non-negative integer: ${initialVersion}`);
    super();
    this.sessionId = options.sessionId ?? randomSessionId();
    this.initialVersion = initialVersion;
    this.logger = (options.logger ?? nullLogger).child({ component: 'sdp' });
  }

  /** The current offer/answer state. */
  get state(): SdpSessionState {
    return this._state;
  }

  /** The `o=` session id of every SDP this session writes. */
  get originSessionId(): string {
    return this.sessionId;
  }

  /** The `o=` version of the last SDP this session wrote, or undefined before the first. */
  get originVersion(): number | undefined {
    return this.lastSent?.version;
  }

  /**
   * Writes an offer (initial or re-offer) and moves to `have-local-offer`; the answer goes to
   * {@link acceptAnswer}, a rejection (488, 491, timeout) to {@link rollback}.
   * A re-offer lists every m-line of the session in the same order (RFC 3264 §8), streams we no
   * longer have with port 0, then new media kinds at the end.
   *
   * @throws InvalidStateError when an offer is already outstanding (RFC 3264 §4)
   * @throws SdkError `INVALID_ARGUMENT` for an unusable local description
   */
  createOffer(local: SdpLocalDescription, options: SdpOfferOptions = {}): string {
    this.assertUsable();
    // RFC 3264 §4: "an agent MUST NOT generate a new offer if it has received an offer which it has not yet answered or rejected. Furthermore, an agent MUST NOT generate a new offer if it has generated a prior offer for which it has not yet received an answer or a rejection."
    if (this._state !== SdpSessionState.Stable) throw new InvalidStateError('cannot create an SDP offer while another offer is outstanding', this._state);
    validateLocal(local);
    const direction = desiredDirection(options);
    const used = new Set<string>();
    const slots: MediaSlot[] = [];
    const plan: OfferedStream[] = [];
    const place = (slot: MediaSlot, index: number): void => {
      const { stream, slot: updated } = this.planStream(slot, index, local, direction, used);
      plan.push(stream);
      slots.push(updated);
    };
    this.slots.forEach((slot, i) => place(slot, i));
    // RFC 3264 §8.1: "New media streams are created by new additional media descriptions below the existing ones".
    for (const kind of ['audio', 'video'] as const) {
      if (!used.has(kind) && capabilitiesFor(local, kind)) place({ type: kind, protocol: '', formats: [], active: false, ptMap: new Map() }, slots.length);
    }
    const media: MediaDescription[] = plan.map((s) =>
      s.active
        ? mediaLine({
            type: s.type,
            port: s.port,
            protocol: s.protocol,
            formats: [...s.codecs, ...s.telephoneEvents].map((c) => (c.codec.fmtp === undefined ? { pt: c.pt, codec: c.codec } : { pt: c.pt, codec: c.codec, fmtp: c.codec.fmtp })),
            direction: s.direction,
            rtcpMux: s.rtcpMux,
            crypto: s.crypto,
            ...(s.ptime !== undefined ? { ptime: s.ptime } : {}),
            ...(s.mid !== undefined ? { mid: s.mid } : {}),
          })
        : disabledMediaLine(s.type, s.protocol, slots[s.index]?.formats[0], s.mid),
    );
    const context = { slotsBefore: this.slots, lastSentBefore: this.lastSent };
    const sdp = this.finish(local, media, options, { start: 0, stop: 0 });
    this.slots = slots;
    this.pending = { sdp, plan, ...context };
    this.transition(SdpSessionState.HaveLocalOffer);
    return sdp;
  }

  /**
   * Answers a remote offer (RFC 3264 §6) and returns the answer SDP with the negotiated streams.
   * The state stays `stable`.
   *
   * @throws SdpNegotiationError `malformed` for broken SDP (answer 400), `no-common-codec` when
   *   the offer had active streams and none could be accepted, `m-line-mismatch` for a re-offer
   *   that breaks RFC 3264 §8 (answer 488, see {@link SdpNegotiationError.suggestedStatus})
   * @throws InvalidStateError when our own offer is outstanding (glare: answer 491, RFC 3261 §14.2)
   */
  createAnswer(offer: string, local: SdpLocalDescription, options: SdpAnswerOptions = {}): SdpAnswerResult {
    this.assertUsable();
    if (this._state !== SdpSessionState.Stable) throw new InvalidStateError('cannot answer an SDP offer while our own offer is outstanding (glare)', this._state);
    validateLocal(local);
    const remote = parseRemoteSdp(offer);
    this.checkReoffer(remote);
    const used = new Set<string>();
    const desired = toFlags(desiredDirection(options));
    const lines: MediaDescription[] = [];
    const streams: NegotiatedStream[] = [];
    const slots: MediaSlot[] = [];
    const failures: SdpStreamFailure[] = [];
    for (const m of remote.media) {
      const a = this.answerStream(m, local, options, desired, used);
      lines.push(a.line);
      streams.push(a.stream);
      if (!a.stream.accepted && a.stream.rejectReason) failures.push({ index: m.index, media: m.type, reason: a.stream.rejectReason });
      const previous = this.slots[m.index];
      const ptMap = new Map(previous && previous.type === m.type ? previous.ptMap : []);
      for (const c of m.codecs) ptMap.set(c.payloadType, codecKey(c));
      slots.push({
        type: m.type,
        protocol: m.protocol,
        formats: a.formats,
        active: a.stream.accepted,
        ptMap,
        ...(m.mid !== undefined ? { mid: m.mid } : {}),
      });
    }
    const offeredActive = remote.media.filter((m) => m.port !== 0).length;
    if (offeredActive > 0 && !streams.some((s) => s.accepted)) {
      // RFC 3261 §13.3.1: an offer the UAS cannot accept gets 488 (Not Acceptable Here).
      const list = failures
        .filter((f) => f.reason !== 'disabled-in-offer')
        .map((f) => `m-line ${f.index + 1} ${f.media}: ${f.reason}`)
        .join('; ');
      throw new SdpNegotiationError(SdpFailureReason.NoCommonCodec, `no stream of the offer can be accepted (${list})`, { streams: failures });
    }
    const sdp = this.finish(local, lines, options, remote.timing);
    this.slots = slots;
    const remoteChanged = this.noteRemoteOrigin(remote);
    return { sdp, result: this.result('answerer', streams, remote, remoteChanged) };
  }

  /**
   * Reads the answer to the offer this session created (RFC 3264 §7) and returns the negotiated
   * streams; moves to `stable`. Repeating it for the same offer (an answer in a reliable 18x and
   * again in the 200) is allowed and returns the result of the latest answer.
   *
   * Formats the answer adds that were not offered are ignored (RFC 3264 §6.1: the answerer "MAY
   * indicate additional media formats, not listed in the corresponding stream in the offer").
   *
   * @throws SdpNegotiationError `malformed` for broken SDP, `answer-mismatch` when the answer does
   *   not fit the offer (m-line count or types, transport, no offered codec, crypto not offered)
   * @throws InvalidStateError when no offer is outstanding; SdkError `INVALID_ARGUMENT` when
   *   `offer` is not the SDP this session created
   */
  acceptAnswer(offer: string, answer: string): NegotiationResult {
    this.assertUsable();
    let ctx: OfferContext;
    if (this.pending && this.pending.sdp === offer) ctx = this.pending;
    else if (this._state === SdpSessionState.Stable && this.lastAccepted && this.lastAccepted.sdp === offer) ctx = this.lastAccepted;
    else if (this._state !== SdpSessionState.HaveLocalOffer) throw new InvalidStateError('no SDP offer is outstanding', this._state);
    else throw new SdkError(ErrorCode.InvalidArgument, 'acceptAnswer: the offer is not the SDP this session created last');
    const remote = parseRemoteSdp(answer);
    // RFC 3264 §6: "The answer MUST contain exactly the same number of "m=" lines as the offer."
    if (remote.media.length !== ctx.plan.length) {
      throw new SdpNegotiationError(SdpFailureReason.AnswerMismatch, `the answer has ${remote.media.length} m-lines, the offer had ${ctx.plan.length}`);
    }
    const streams = ctx.plan.map((o, i) => this.acceptStream(o, remote.media[i] as RemoteMedia));
    // Remember the answerer's payload type numbers too (RFC 3264 §8.3.2 applies to both sides' mappings).
    this.slots = this.slots.map((slot, i) => {
      const m = remote.media[i];
      const s = streams[i];
      if (!m || !s) return slot;
      const ptMap = new Map(slot.ptMap);
      if (s.accepted) for (const c of m.codecs) if (!ptMap.has(c.payloadType)) ptMap.set(c.payloadType, codecKey(c));
      return { ...slot, active: s.accepted, ptMap };
    });
    const remoteChanged = this.noteRemoteOrigin(remote);
    this.lastAccepted = ctx;
    this.pending = undefined;
    if (this._state !== SdpSessionState.Stable) this.transition(SdpSessionState.Stable);
    return this.result('offerer', streams, remote, remoteChanged);
  }

  /**
   * Drops the outstanding offer after it was rejected (488, 491, a timeout or a CANCEL): the
   * session's m-lines go back to what they were before it (RFC 3264 §8: a rejected offer does
   * not change the session). The `o=` version is never reused for a different SDP: the next
   * changed SDP gets the highest version so far plus one. Does nothing when no offer is outstanding.
   */
  rollback(): void {
    this.assertUsable();
    const p = this.pending;
    if (!p) return;
    this.slots = p.slotsBefore;
    this.lastSent = p.lastSentBefore;
    this.pending = undefined;
    this.transition(SdpSessionState.Stable);
  }

  override dispose(): void {
    this.pending = undefined;
    this.lastAccepted = undefined;
    super.dispose();
  }

  private assertUsable(): void {
    if (this.isDisposed) throw new SdkError(ErrorCode.Disposed, 'the SDP session was disposed');
  }

  private transition(to: SdpSessionState): void {
    const from = this._state;
    const allowed = (from === SdpSessionState.Stable && to === SdpSessionState.HaveLocalOffer) || (from === SdpSessionState.HaveLocalOffer && to === SdpSessionState.Stable);
    if (!allowed) throw new InvalidStateError(`SDP session cannot go from ${from} to ${to}`, from);
    this._state = to;
    this.logger.debug('sdp offer/answer state', { from, to });
    this._onDidChangeState.fire({ previous: from, state: to });
  }

  /** RFC 3264 §8: "if the previous SDP had N "m=" lines, the new SDP MUST have at least N "m=" lines." */
  private checkReoffer(remote: RemoteDescription): void {
    if (remote.media.length < this.slots.length) {
      throw new SdpNegotiationError(SdpFailureReason.MediaLineMismatch, `the offer has ${remote.media.length} m-lines, the session has ${this.slots.length} (RFC 3264 §8)`);
    }
    this.slots.forEach((slot, i) => {
      const m = remote.media[i] as RemoteMedia;
      // RFC 3264 §8.3.1: a new media stream MAY reuse the m-line of a stream that was disabled; an active one keeps its type.
      if (slot.active && m.type !== slot.type && m.port !== 0) {
        throw new SdpNegotiationError(SdpFailureReason.MediaLineMismatch, `m-line ${i + 1} changed from ${slot.type} to ${m.type} while active (RFC 3264 §8)`);
      }
    });
  }

  private planStream(slot: MediaSlot, index: number, local: SdpLocalDescription, direction: MediaDirection, used: Set<string>): { stream: OfferedStream; slot: MediaSlot } {
    const found = capabilitiesFor(local, slot.type);
    const mid = slot.mid !== undefined ? { mid: slot.mid } : {};
    if (!found || used.has(found.kind)) {
      // RFC 3264 §8.2: "Existing media streams are removed by creating a new SDP with the port number for that stream set to zero."
      const protocol = slot.protocol || 'RTP/AVP';
      return {
        stream: { index, type: slot.type, protocol, port: 0, active: false, rejectReason: found ? 'duplicate-media' : 'disabled-locally', codecs: [], telephoneEvents: [], crypto: [], rtcpMux: false, direction: 'inactive', ...mid },
        slot: { ...slot, protocol, formats: slot.formats.length > 0 ? slot.formats : ['0'], active: false },
      };
    }
    used.add(found.kind);
    const { caps, port, kind } = found;
    const crypto = (caps.crypto ?? []).map((c, i) => ({ ...c, tag: i + 1 }));
    const wantSecure = crypto.length > 0 && (caps.srtp ?? 'mandatory') === 'mandatory';
    // Keep the stream's transport when it still fits (e.g. RTP/AVPF from a peer's offer we answered).
    const protocol = SUPPORTED_PROTOCOLS.has(slot.protocol) && isSecureProtocol(slot.protocol) === wantSecure ? slot.protocol : wantSecure ? 'RTP/SAVP' : 'RTP/AVP';
    const te = telephoneEventSpec(caps, kind);
    const placed = allocatePayloadTypes([...localCodecList(caps), ...(te ? [{ codec: offeredTelephoneEvent(te), preferred: 101 }] : [])], slot.ptMap);
    const codecs = placed.filter((p) => !isTelephoneEvent(p.codec.name));
    const telephoneEvents = placed.filter((p) => isTelephoneEvent(p.codec.name));
    const ptMap = new Map(slot.ptMap);
    for (const p of placed) ptMap.set(p.pt, p.key);
    const ptime = kind === 'audio' ? (caps as AudioCapabilities).ptime : undefined;
    return {
      stream: { index, type: slot.type, protocol, port, active: true, codecs, telephoneEvents, crypto, rtcpMux: caps.rtcpMux === true, direction, ...(ptime !== undefined ? { ptime } : {}), ...mid },
      slot: { type: slot.type, protocol, formats: placed.map((p) => String(p.pt)), active: true, ptMap, ...mid },
    };
  }

  private answerStream(
    m: RemoteMedia,
    local: SdpLocalDescription,
    options: SdpAnswerOptions,
    desired: { send: boolean; recv: boolean },
    used: Set<string>,
  ): { line: MediaDescription; stream: NegotiatedStream; formats: string[] } {
    const offerFlags = toFlags(m.direction);
    if (m.legacyHold) offerFlags.recv = false;
    const remoteDirection = fromFlags(offerFlags.send, offerFlags.recv);
    const rtcp = remoteRtcp(m, false);
    const base = {
      index: m.index,
      media: m.type,
      protocol: m.protocol,
      remoteAddress: m.address ?? '0.0.0.0',
      remotePort: m.port,
      remoteRtcpAddress: rtcp.address,
      remoteRtcpPort: rtcp.port,
      remoteDirection,
      legacyHold: m.legacyHold,
      ...(m.mid !== undefined ? { mid: m.mid } : {}),
      ...(m.ptime !== undefined ? { ptime: m.ptime } : {}),
    };
    const reject = (reason: StreamRejectReason): { line: MediaDescription; stream: NegotiatedStream; formats: string[] } => ({
      // RFC 3264 §6: "To reject an offered stream, the port number in the corresponding stream in the answer MUST be set to zero."
      line: disabledMediaLine(m.type, m.protocol, m.formats[0], m.mid),
      stream: { ...base, accepted: false, rejectReason: reason, localPort: 0, rtcpMux: false, codecs: [], localDirection: 'inactive', onHold: false },
      formats: [...m.formats],
    });

    if (m.port === 0) return reject('disabled-in-offer');
    const found = capabilitiesFor(local, m.type);
    if (!found) return reject('unsupported-media');
    if (used.has(found.kind)) return reject('duplicate-media');
    if (!SUPPORTED_PROTOCOLS.has(m.protocol)) return reject('unsupported-transport');
    const { caps, port, kind } = found;

    // RFC 4568 §7.1.2: the answerer "MUST select exactly one of the offered crypto attributes ... that it supports" — the first offered one, in the offer's preference order.
    let crypto: NegotiatedCrypto | undefined;
    for (const oc of m.crypto) {
      const mine = (caps.crypto ?? []).find((c) => c.suite.toUpperCase() === oc.suite.toUpperCase());
      if (!mine || !oc.keyParams.startsWith('inline:')) continue;
      crypto = {
        tag: oc.tag,
        suite: oc.suite,
        localKeyParams: mine.keyParams,
        remoteKeyParams: oc.keyParams,
        ...(mine.sessionParams !== undefined ? { localSessionParams: mine.sessionParams } : {}),
        ...(oc.sessionParams !== undefined ? { remoteSessionParams: oc.sessionParams } : {}),
      };
      break;
    }
    if (isSecureProtocol(m.protocol) && !crypto) return reject('no-common-crypto');
    // DEVIATION(RFC 4568 §3.1): a=crypto is defined for SRTP profiles only; peers (baresip, Asterisk "best effort" SRTP) also put it in RTP/AVP offers, and we answer it there the same way.
    if (!isSecureProtocol(m.protocol) && !crypto && (caps.crypto?.length ?? 0) > 0 && (caps.srtp ?? 'mandatory') === 'mandatory') return reject('srtp-required');

    const localCodecs = localCodecList(caps).map((c) => c.codec);
    // RFC 3264 §6.1: "Although the answerer MAY list the formats in their desired order of preference, it is RECOMMENDED that unless there is a specific reason, the answerer list formats in the same relative order they were present in the offer."
    // Our default is our own priority order (a configured codec priority is such a reason); `codecOrder: 'remote'` follows the offer.
    const matches = matchCodecs(m.codecs, localCodecs, options.codecOrder ?? 'local', options.maxCodecs);
    if (!matches.some((x) => !isAuxiliaryFormat(x.offered.name))) return reject('no-common-codec');
    used.add(kind);
    const teSpec = telephoneEventSpec(caps, kind);
    const events = teSpec ? matchTelephoneEvents(m.codecs, matches, teSpec) : [];

    // RFC 3264 §6.1: "If a stream is offered as sendonly, the corresponding stream MUST be marked as recvonly or inactive in the answer. If a media stream is listed as recvonly in the offer, the answer MUST be marked as sendonly or inactive in the answer. ... If an offered media stream is listed as inactive, it MUST be marked as inactive in the answer."
    const localDirection = fromFlags(desired.send && offerFlags.recv, desired.recv && offerFlags.send);
    // RFC 5761 §5.1.1: the answerer includes a=rtcp-mux only if it was offered and it will multiplex.
    const rtcpMux = m.rtcpMux && caps.rtcpMux === true;
    const localPtime = kind === 'audio' ? (caps as AudioCapabilities).ptime : undefined;

    // RFC 3264 §6.1: "In the case of RTP, if a particular codec was referenced with a specific payload type number in the offer, that same payload type number SHOULD be used for that codec in the answer."
    const formats = [
      ...matches.map((x) => ({ pt: x.offered.payloadType, codec: remoteAsCodec(x.offered), fmtp: answerFmtp(x.local, x.offered) })),
      ...events.map((e) => ({ pt: e.offered.payloadType, codec: remoteAsCodec(e.offered), fmtp: e.fmtp })),
    ];
    const line = mediaLine({
      type: m.type,
      port,
      protocol: m.protocol,
      formats,
      direction: localDirection,
      rtcpMux,
      crypto: crypto ? [{ tag: crypto.tag, suite: crypto.suite, keyParams: crypto.localKeyParams, ...(crypto.localSessionParams !== undefined ? { sessionParams: crypto.localSessionParams } : {}) }] : [],
      ...(localPtime !== undefined ? { ptime: localPtime } : {}),
      ...(m.mid !== undefined ? { mid: m.mid } : {}),
    });

    const codecs: NegotiatedCodec[] = matches.map((x) => negotiatedCodec(x.offered, x.offered.payloadType, answerFmtp(x.local, x.offered)));
    const teChoice = pickTelephoneEvent(
      events.map((e) => ({ remote: e.offered, receivePayloadType: e.offered.payloadType })),
      codecs,
    );
    const muxRtcp = remoteRtcp(m, rtcpMux);
    const stream: NegotiatedStream = {
      ...base,
      accepted: true,
      localPort: port,
      remoteRtcpAddress: muxRtcp.address,
      remoteRtcpPort: muxRtcp.port,
      rtcpMux,
      codecs,
      localDirection,
      // The offerer does not want to receive from us (sendonly, inactive or c=0.0.0.0): it holds us.
      onHold: !offerFlags.recv,
      ...(teChoice ? { telephoneEvent: teChoice } : {}),
      ...(localPtime !== undefined ? { localPtime } : {}),
      ...(crypto ? { crypto } : {}),
    };
    return { line, stream, formats: formats.map((f) => String(f.pt)) };
  }

  private acceptStream(o: OfferedStream, a: RemoteMedia): NegotiatedStream {
    // RFC 3264 §6.1: "The media type of the stream in the answer MUST match that of the offer."
    if (a.type !== o.type) throw new SdpNegotiationError(SdpFailureReason.AnswerMismatch, `m-line ${o.index + 1} is ${a.type} in the answer but ${o.type} in the offer`);
    const answerFlags = toFlags(a.direction);
    if (a.legacyHold) answerFlags.recv = false;
    const rtcpPlain = remoteRtcp(a, false);
    const base = {
      index: o.index,
      media: o.type,
      protocol: o.protocol,
      remoteAddress: a.address ?? '0.0.0.0',
      remotePort: a.port,
      remoteRtcpAddress: rtcpPlain.address,
      remoteRtcpPort: rtcpPlain.port,
      remoteDirection: fromFlags(answerFlags.send, answerFlags.recv),
      legacyHold: a.legacyHold,
      ...(o.mid !== undefined ? { mid: o.mid } : a.mid !== undefined ? { mid: a.mid } : {}),
      ...(a.ptime !== undefined ? { ptime: a.ptime } : {}),
      ...(o.ptime !== undefined ? { localPtime: o.ptime } : {}),
    };
    const rejected = (reason: StreamRejectReason): NegotiatedStream => ({ ...base, accepted: false, rejectReason: reason, localPort: 0, rtcpMux: false, codecs: [], localDirection: 'inactive', onHold: false });
    if (!o.active) return rejected(o.rejectReason ?? 'disabled-locally');
    if (a.port === 0) return rejected('rejected-by-remote');
    if (a.protocol !== o.protocol) {
      throw new SdpNegotiationError(SdpFailureReason.AnswerMismatch, `m-line ${o.index + 1}: the answer uses ${a.protocol}, the offer ${o.protocol}`);
    }

    const codecs: NegotiatedCodec[] = [];
    const events: { remote: RemoteFormat; receivePayloadType: number }[] = [];
    for (const token of a.formats) {
      const pt = Number(token);
      let f: RemoteFormat | undefined = a.codecs.find((c) => c.payloadType === pt);
      if (!f) {
        // DEVIATION(RFC 3264 §6.1): "the answer MUST contain rtpmap attributes to define the payload type mappings for dynamic payload types"; some answerers omit them, and we then read the number as the codec we offered with it.
        const ours = [...o.codecs, ...o.telephoneEvents].find((p) => p.pt === pt);
        if (ours) f = { payloadType: pt, ...ours.codec };
      }
      if (!f) continue;
      const key = codecKey(f);
      if (isTelephoneEvent(f.name)) {
        const offered = o.telephoneEvents.find((t) => t.key === key);
        if (offered && !events.some((e) => e.remote.clockRate === f.clockRate)) events.push({ remote: f, receivePayloadType: offered.pt });
        continue;
      }
      const offered = o.codecs.find((c) => c.key === key);
      if (!offered) {
        this.logger.debug('answer lists a format that was not offered: ignored', { index: o.index, payloadType: pt, codec: f.name });
        continue;
      }
      if (codecs.some((c) => c.receivePayloadType === offered.pt)) continue;
      codecs.push(negotiatedCodec(f, offered.pt, offered.codec.fmtp));
    }
    // RFC 3264 §6.1: the answer "MUST contain at least one codec the answerer is willing to both send and receive, from amongst those listed in the offer".
    if (!codecs.some((c) => !isAuxiliaryFormat(c.name))) {
      throw new SdpNegotiationError(SdpFailureReason.AnswerMismatch, `m-line ${o.index + 1} (${o.type}): the answer lists no codec that was offered (${a.formats.join(' ')})`);
    }

    let crypto: NegotiatedCrypto | undefined;
    if (o.crypto.length > 0) {
      if (a.crypto.length > 0) {
        const pick = a.crypto.find((ac) => o.crypto.some((oc) => oc.tag === ac.tag && oc.suite.toUpperCase() === ac.suite.toUpperCase()));
        // RFC 4568 §7.1.3: the offerer uses the answer's crypto attribute whose tag and suite match one it offered.
        if (!pick) throw new SdpNegotiationError(SdpFailureReason.AnswerMismatch, `m-line ${o.index + 1}: the answer's a=crypto matches no offered tag and suite`);
        const mine = o.crypto.find((oc) => oc.tag === pick.tag) as SdesCrypto & { tag: number };
        crypto = {
          tag: pick.tag,
          suite: mine.suite,
          localKeyParams: mine.keyParams,
          remoteKeyParams: pick.keyParams,
          ...(mine.sessionParams !== undefined ? { localSessionParams: mine.sessionParams } : {}),
          ...(pick.sessionParams !== undefined ? { remoteSessionParams: pick.sessionParams } : {}),
        };
      } else if (isSecureProtocol(o.protocol)) {
        throw new SdpNegotiationError(SdpFailureReason.AnswerMismatch, `m-line ${o.index + 1}: ${o.protocol} answered without a=crypto`);
      }
    }

    const offerFlags = toFlags(o.direction);
    const localDirection = fromFlags(offerFlags.send && answerFlags.recv, offerFlags.recv && answerFlags.send);
    if ((answerFlags.send && !offerFlags.recv) || (answerFlags.recv && !offerFlags.send)) {
      // DEVIATION(RFC 3264 §6.1): an answer direction the offer does not allow is clamped to what the offer allows instead of failing the call.
      this.logger.warn('answer direction does not fit the offer; clamped', { index: o.index, offered: o.direction, answered: a.direction });
    }
    const rtcpMux = o.rtcpMux && a.rtcpMux;
    const rtcp = remoteRtcp(a, rtcpMux);
    const te = pickTelephoneEvent(events, codecs);
    return {
      ...base,
      accepted: true,
      localPort: o.port,
      remoteRtcpAddress: rtcp.address,
      remoteRtcpPort: rtcp.port,
      rtcpMux,
      codecs,
      localDirection,
      // We offered to send and the answerer does not want to receive (sendonly, inactive or c=0.0.0.0): it holds us.
      onHold: offerFlags.send && !answerFlags.recv,
      ...(te ? { telephoneEvent: te } : {}),
      ...(crypto ? { crypto } : {}),
    };
  }

  /** Writes the SDP with our `o=` line and the version rule of RFC 3264 §8. */
  private finish(local: SdpLocalDescription, media: MediaDescription[], options: SdpOfferOptions, timing: { start: number; stop: number }): string {
    if (!this.origin) this.origin = { username: local.username ?? '-', ipVer: ipVersion(local.address), address: local.address };
    // RFC 3264 §8.4 / RFC 2543: legacy hold sets the connection address to 0.0.0.0.
    const address = options.hold === 'legacy' ? '0.0.0.0' : local.address;
    const desc: SessionDescription = {
      version: 0,
      origin: { username: this.origin.username, sessionId: this.sessionId, sessionVersion: 0, netType: 'IN', ipVer: this.origin.ipVer, address: this.origin.address },
      name: local.sessionName ?? '-',
      connection: { version: ipVersion(address), ip: address },
      // RFC 3264 §6: "The "t=" line in the answer MUST equal that of the offer."
      timing,
      media,
    };
    const body = writeSdpText(desc).replace(/^o=[^\r\n]*\r\n/m, '');
    let version: number;
    // RFC 3264 §8: "the version in the origin field MUST increment by one from the previous SDP. If the version in the origin line does not increment, the SDP MUST be identical to the SDP with that version number."
    if (this.lastSent && this.lastSent.body === body) version = this.lastSent.version;
    else version = this.maxVersion < 0 ? this.initialVersion : this.maxVersion + 1;
    this.maxVersion = Math.max(this.maxVersion, version);
    this.lastSent = { body, version };
    desc.origin.sessionVersion = version;
    return writeSdpText(desc);
  }

  private noteRemoteOrigin(remote: RemoteDescription): boolean {
    const prev = this.remoteOrigin;
    const changed = !prev || prev.sessionId !== remote.origin.sessionId || prev.sessionVersion !== remote.origin.sessionVersion;
    this.remoteOrigin = { sessionId: remote.origin.sessionId, sessionVersion: remote.origin.sessionVersion };
    return changed;
  }

  private result(role: 'answerer' | 'offerer', streams: NegotiatedStream[], remote: RemoteDescription, remoteChanged: boolean): NegotiationResult {
    const audio = streams.find((s) => s.accepted && s.media === 'audio');
    const video = streams.find((s) => s.accepted && s.media === 'video');
    return { role, streams, remoteOrigin: remote.origin, remoteChanged, ...(audio ? { audio } : {}), ...(video ? { video } : {}) };
  }
}

function remoteAsCodec(f: RemoteFormat): SdpCodec {
  return { name: f.name, clockRate: f.clockRate, channels: f.channels };
}

/**
 * The fmtp we answer for a codec: ours when configured (fmtp mostly says how the sender of the
 * SDP wants to receive, e.g. RFC 7587 §7 for opus), else the offer's echoed.
 */
function answerFmtp(local: SdpCodec, offered: RemoteFormat): string | undefined {
  return local.fmtp ?? offered.fmtp;
}

function negotiatedCodec(remote: RemoteFormat, receivePayloadType: number, localFmtp: string | undefined): NegotiatedCodec {
  return {
    payloadType: remote.payloadType,
    receivePayloadType,
    name: remote.name,
    clockRate: remote.clockRate,
    channels: remote.channels,
    ...(remote.fmtp !== undefined ? { fmtp: remote.fmtp } : {}),
    ...(localFmtp !== undefined ? { localFmtp } : {}),
  };
}

/** The telephone-event matching the first codec's clock rate, else the first one. */
function pickTelephoneEvent(events: readonly { remote: RemoteFormat; receivePayloadType: number }[], codecs: readonly NegotiatedCodec[]): NegotiatedTelephoneEvent | undefined {
  const rate = codecs[0]?.clockRate;
  const e = events.find((x) => x.remote.clockRate === rate) ?? events[0];
  if (!e) return undefined;
  return {
    payloadType: e.remote.payloadType,
    receivePayloadType: e.receivePayloadType,
    clockRate: e.remote.clockRate,
    ...(e.remote.fmtp !== undefined ? { events: e.remote.fmtp } : {}),
  };
}

/**
 * Where the remote wants RTCP: RFC 5761 §5.1.3, with rtcp-mux on the RTP port; else RFC 3605
 * `a=rtcp`; else RFC 3550 §11: "RTCP ... on the next higher (odd) port number".
 */
function remoteRtcp(m: RemoteMedia, mux: boolean): { address: string; port: number } {
  const address = m.address ?? '0.0.0.0';
  if (mux) return { address, port: m.port };
  if (m.rtcp) return { address: m.rtcp.address ?? address, port: m.rtcp.port };
  return { address, port: m.port === 0 ? 0 : m.port + 1 };
}
