/**
 * {@link SdpOfferAnswerHandler}: an {@link SdpSession} behind the hook shape an INVITE session
 * calls (`createOffer({ hold })`, `createAnswer(offer, { hold })`, `setAnswer(answer)`,
 * `remoteHold`, `dispose()`), so a UA can use it as its session description handler.
 */
import { Disposable, Emitter, type Event } from '@sip-endpoint/base';
import { SdpSession, SdpSessionState, type SdpSessionOptions } from './session';
import type { NegotiationResult, SdpAnswerOptions, SdpHoldStyle, SdpLocalDescription } from './types';

/** Options of {@link SdpOfferAnswerHandler}. */
export interface SdpOfferAnswerHandlerOptions extends SdpSessionOptions {
  /** How `hold: true` is written; `rfc3264` (a=sendonly) when absent. */
  readonly holdStyle?: SdpHoldStyle;
  /** Codec order and count in answers. */
  readonly answer?: Pick<SdpAnswerOptions, 'codecOrder' | 'maxCodecs'>;
}

/**
 * Runs the offer/answer of one INVITE session from a {@link SdpLocalDescription}. Every
 * completed exchange fires {@link onDidNegotiate} with the typed result, which the endpoint
 * hands to the media engine. Errors are those of {@link SdpSession} (`SDP_NEGOTIATION` for SDP
 * the UA must answer with 488, or end with BYE when it came in an answer).
 */
export class SdpOfferAnswerHandler extends Disposable {
  /** The underlying session (o= line, state, m-line memory). */
  readonly session: SdpSession;
  private readonly _onDidNegotiate = this._register(new Emitter<NegotiationResult>());
  /** Fires after each completed offer/answer exchange (our answer written, or the remote answer read). */
  readonly onDidNegotiate: Event<NegotiationResult> = this._onDidNegotiate.event;
  private _local: SdpLocalDescription;
  private _lastResult: NegotiationResult | undefined;
  private readonly holdStyle: SdpHoldStyle;
  private readonly answerOptions: Pick<SdpAnswerOptions, 'codecOrder' | 'maxCodecs'>;
  private lastOffer: string | undefined;

  constructor(local: SdpLocalDescription, options: SdpOfferAnswerHandlerOptions = {}) {
    const session = new SdpSession(options);
    super();
    this.session = this._register(session);
    this._local = local;
    this.holdStyle = options.holdStyle ?? 'rfc3264';
    this.answerOptions = options.answer ?? {};
  }

  /** What we offer and answer with; set it to change ports, codecs or keys for the next SDP. */
  get local(): SdpLocalDescription {
    return this._local;
  }

  set local(value: SdpLocalDescription) {
    this._local = value;
  }

  /** The result of the last completed exchange, if any. */
  get lastResult(): NegotiationResult | undefined {
    return this._lastResult;
  }

  /** Whether the remote's last SDP puts us on hold on some accepted stream (sendonly/inactive, or `c=0.0.0.0`). */
  get remoteHold(): boolean {
    return this._lastResult?.streams.some((s) => s.accepted && s.onHold) ?? false;
  }

  /**
   * Writes an offer. An offer of ours that never got an answer (the request failed: 488, 491,
   * timeout) is rolled back first, since the UA only asks for a new offer when it may send one.
   */
  createOffer(options: { hold: boolean }): string {
    if (this.session.state === SdpSessionState.HaveLocalOffer) this.session.rollback();
    const offer = this.session.createOffer(this._local, options.hold ? { hold: this.holdStyle } : {});
    this.lastOffer = offer;
    return offer;
  }

  /** Answers a remote offer; fires {@link onDidNegotiate}. Rolls back an unanswered offer of ours first (see {@link createOffer}). */
  createAnswer(offer: string, options: { hold: boolean }): string {
    if (this.session.state === SdpSessionState.HaveLocalOffer) this.session.rollback();
    const { sdp, result } = this.session.createAnswer(offer, this._local, { ...this.answerOptions, ...(options.hold ? { hold: this.holdStyle } : {}) });
    this.complete(result);
    return sdp;
  }

  /** Reads the answer to our last offer; fires {@link onDidNegotiate}. */
  setAnswer(answer: string): void {
    const result = this.session.acceptAnswer(this.lastOffer ?? '', answer);
    this.complete(result);
  }

  private complete(result: NegotiationResult): void {
    this._lastResult = result;
    this._onDidNegotiate.fire(result);
  }
}
