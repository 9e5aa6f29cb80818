/**
 * Server transactions (RFC 3261 §17.2): the INVITE server transaction (§17.2.1, Figure 7 with
 * RFC 6026 §7.1) and the non-INVITE server transaction (§17.2.2, Figure 8).
 */
import { Emitter, TransactionTimeoutError, type Event, type TransportError } from '@sip-endpoint/base';
import { createResponse, formatUri, H, parseMessage, parseUri, SipRequest, type SipResponse } from '../message/index';
import { responseDestinations } from './destination';
import { ownString, Transaction, type TransactionContext } from './transaction';
import { InviteServerState, NonInviteServerState, isReliable, type Destination } from './types';

/** Payload of a server transaction's `onDidTimeout`. */
export interface ServerTimeoutEvent {
  /** Names the timer (H: no ACK for a non-2xx final response). */
  readonly error: TransactionTimeoutError;
  readonly transaction: ServerTransaction;
}

/** What the layer does with an ACK handed to an INVITE server transaction. */
export type AckDisposition = 'absorbed' | 'to-tu';

/**
 * What both server transactions share. The TU answers with {@link ServerTransaction.respond};
 * the transaction sends each response to the destination of RFC 3261 §18.2.2 (falling back as
 * §17.2.4 says when the transport fails), answers request retransmissions with the last
 * response, and retransmits over UDP where its state machine says so.
 */
export abstract class ServerTransaction extends Transaction {
  /** Whether this is an INVITE server transaction. */
  abstract readonly isInvite: boolean;
  /** Where the request came from (with `connectionId` for TCP/TLS). */
  readonly source: Destination;
  private _responseDestinations: readonly Destination[];
  /** Response destinations in order of preference (RFC 3261 §18.2.2, §17.2.4). */
  get responseDestinations(): readonly Destination[] {
    return this._responseDestinations;
  }

  protected readonly _onDidTimeout = this._register(new Emitter<ServerTimeoutEvent>());
  /** Fires when the INVITE server transaction got no ACK for its non-2xx final (Timer H). */
  readonly onDidTimeout: Event<ServerTimeoutEvent> = this._onDidTimeout.event;

  private _lastResponse: SipResponse | undefined;
  /** The last response as bytes once the transaction is compacted (see {@link compact}). */
  private lastBytes: Buffer | undefined;
  private _lastStatus: number | undefined;
  private _compacted = false;
  private _toTag: string | undefined;
  private destinationIndex = 0;

  constructor(ctx: TransactionContext, request: SipRequest, source: Destination, initial: string) {
    const destinations = responseDestinations(request.topVia, source);
    super(ctx, request, initial, isReliable(destinations[0]?.protocol ?? source.protocol));
    this.source = source;
    this._responseDestinations = destinations;
  }

  /**
   * The last response sent (by the TU or by the transaction itself), if any. Once the
   * transaction is compacted (final response sent, see {@link ServerTransaction.isCompacted})
   * it keeps only the response's bytes, and this is a fresh copy parsed from them.
   */
  get lastResponse(): SipResponse | undefined {
    if (this._lastResponse) return this._lastResponse;
    return this.lastBytes ? (parseMessage(this.lastBytes, { datagram: true }) as SipResponse) : undefined;
  }

  /** The status code of the last response sent, if any (cheap, also once compacted). */
  get lastStatus(): number | undefined {
    return this._lastStatus;
  }

  /**
   * Whether the transaction dropped what only the TU needed, keeping what a retransmission
   * needs: the matching headers of the request and the last response's bytes.
   */
  get isCompacted(): boolean {
    return this._compacted;
  }

  /** Whether the state holds a sent final response and waits only for retransmissions/timers. */
  protected abstract get holdsFinal(): boolean;

  /**
   * RFC 3261 §17.2.1 / §17.2.2: in "Completed" (and "Confirmed") the server transaction only
   * answers request retransmissions with the final response it sent (and absorbs ACKs); RFC 6026
   * §7.1: in "Accepted" it absorbs INVITE retransmissions and hands ACKs to the TU. None of that
   * needs the parsed request or response: the transaction keeps the request's matching headers
   * (Via, From, To, Call-ID, CSeq: §17.2.3 and the legacy rules) and the response's bytes, so a
   * finished call is not held for the 32 s of Timers J/H/L. Runs once the final response's send
   * settled (the §17.2.4 fallback needs the message until then), and again after each 2xx the
   * TU retransmits in Accepted.
   */
  protected compact(): void {
    if (this.isTerminated || this.isDisposed || !this.holdsFinal) return;
    const last = this._lastResponse;
    if (last) {
      const bytes = last.serialize();
      // A buffer of its own size: a small serialized message may be a slice of a shared 8 KB
      // pool slab, which it would keep alive.
      this.lastBytes = Buffer.alloc(bytes.length);
      bytes.copy(this.lastBytes);
      this._lastResponse = undefined;
    }
    if (!this._compacted) {
      this._compacted = true;
      this._request = matchingSkeleton(this._request);
      // The Via host/received strings are slices of the request text: keep copies.
      this._responseDestinations = this._responseDestinations.map((d) => ({ ...d, address: ownString(d.address) }));
      this.onCompact();
    }
  }

  /** Hook: what a subclass drops on compaction. */
  protected onCompact(): void {}

  /** Where responses go now: the first destination that did not fail. */
  get responseDestination(): Destination {
    return this.responseDestinations[this.destinationIndex] ?? this.source;
  }

  /**
   * The To tag responses of this transaction carry: the tag of the last response sent, or the
   * tag the layer used when it answered a CANCEL for this INVITE first (RFC 3261 §9.2: The To
   * tag of the response to the CANCEL and the To tag in the response to the original request
   * SHOULD be the same). `undefined` until one is known.
   */
  get toTag(): string | undefined {
    return this._toTag;
  }

  /** @internal the layer chose a To tag for this transaction (answering a CANCEL). */
  adoptToTag(tag: string): void {
    this._toTag ??= tag;
  }

  /**
   * Sends a response of the TU through the transaction. Returns `true` when the state machine
   * accepted it, `false` when it was discarded (a final response was already sent, or the
   * transaction ended; RFC 3261 §17.2.2: Any other final responses passed by the TU to the
   * server transaction MUST be discarded while in the "Completed" state). A transport failure
   * is reported by `onDidTransportError` and terminates the transaction (§17.2.4).
   */
  abstract respond(response: SipResponse): boolean;

  /**
   * @internal The layer hands a request that matched this transaction (a retransmission, or an
   * ACK for an INVITE server transaction).
   */
  abstract receiveRequest(request: SipRequest): AckDisposition | undefined;

  /**
   * Records and sends a response (first time). The promise never rejects: it settles when the
   * transport took the response or every destination failed (then the failure was reported).
   */
  protected sendResponse(response: SipResponse): Promise<void> {
    this._lastResponse = response;
    this.lastBytes = undefined;
    this._lastStatus = response.status;
    if (response.status > 100) {
      try {
        const tag = response.get(H.To)?.params.get('tag');
        if (tag) this._toTag ??= tag;
      } catch {
        // A To we cannot read: no tag to remember.
      }
    }
    const sent = this.transmit(response);
    if (response.status >= 200) void sent.then(() => this.compact());
    return sent;
  }

  /** Sends `response` again (retransmission); settles like {@link sendResponse}. */
  protected transmit(response: SipResponse | Buffer): Promise<void> {
    return this.transmitTo(response, this.destinationIndex);
  }

  /** Sends the last response again (its bytes once compacted); settles like {@link sendResponse}. */
  protected retransmitLast(): void {
    const last = this._lastResponse ?? this.lastBytes;
    if (last) void this.transmit(last);
  }

  private transmitTo(response: SipResponse | Buffer, index: number): Promise<void> {
    const destination = this.responseDestinations[index] ?? this.source;
    let retry: Promise<void> | undefined;
    const first = this.sendMessage(response, destination, (error) => {
      const next = index + 1;
      if (next < this.responseDestinations.length) {
        // RFC 3261 §17.2.4: If the transport layer indicates failure ... the server transport
        // [uses] the procedures in Section 18.2.2 ... [and] RFC 3263 Section 5 [to try the next
        // destination].
        this.log.info('response send failed, trying the next destination', { error: error.message });
        if (this.destinationIndex === index) this.destinationIndex = next;
        retry = this.transmitTo(response, next);
        return;
      }
      this.failTransport(error, response, destination);
    });
    return first.then(() => retry);
  }

  /**
   * RFC 3261 §17.2.4: If those [procedures] fail ... the server transaction SHOULD inform the TU
   * that a failure has occurred, and SHOULD transition to the terminated state.
   */
  protected failTransport(error: TransportError, response: SipResponse | Buffer, destination: Destination): void {
    this.reportTransportError(error, response, destination);
    if (!this.isTerminated) this.transition(this.terminalState, 'transport error');
  }

  /** Starts a wait timer leading to the end state; a zero wait ends at once. */
  protected enterWait(timer: string, ms: number): void {
    if (ms <= 0) this.transition(this.terminalState, `Timer ${timer} (0 over a reliable transport)`);
    else this.startTimer(timer, ms, () => this.transition(this.terminalState, `Timer ${timer}`));
  }

  /** Whether `response` may be sent by the TU. */
  protected rejectLate(response: SipResponse): false {
    this.log.warn(`response ${response.status} discarded in state ${this.state}`);
    return false;
  }
}

/**
 * The INVITE server transaction (RFC 3261 §17.2.1 Figure 7, RFC 6026 §7.1):
 *
 * ```
 *   Proceeding --1xx from TU / send--> Proceeding
 *     |  \--2xx from TU / send--> Accepted --Timer L--> Terminated
 *     +--300-699 from TU / send--> Completed --ACK--> Confirmed --Timer I--> Terminated
 *                                      +--Timer H (no ACK) / timeout--> Terminated
 *   any --transport error--> Terminated
 * ```
 * A 100 (Trying) is sent when the TU has not answered within `trying100Ms` (200 ms). Timer G
 * retransmits the non-2xx final over UDP (T1, 2T1, ... capped at T2); Timer H = 64*T1;
 * Timer I = T4 over UDP, 0 over TCP/TLS; Timer L = 64*T1. In Accepted the TU's 2xx
 * retransmissions are sent, INVITE retransmissions are absorbed, and ACKs go to the TU.
 */
export class InviteServerTransaction extends ServerTransaction {
  readonly isInvite = true;
  /** The current state. */
  override get state(): InviteServerState {
    return super.state as InviteServerState;
  }
  protected readonly edges = {
    Proceeding: ['Completed', 'Accepted', 'Terminated'],
    Completed: ['Confirmed', 'Terminated'],
    Confirmed: ['Terminated'],
    Accepted: ['Terminated'],
    Terminated: [],
  } as const satisfies Record<InviteServerState, readonly InviteServerState[]>;
  protected readonly terminalState = InviteServerState.Terminated;

  protected get holdsFinal(): boolean {
    const s = this.state;
    return s === InviteServerState.Completed || s === InviteServerState.Confirmed || s === InviteServerState.Accepted;
  }

  protected override onCompact(): void {
    this.lastProvisional = undefined;
  }

  private lastProvisional: SipResponse | undefined;
  private timerGInterval = 0;

  /** @internal created by the layer. */
  constructor(ctx: TransactionContext, request: SipRequest, source: Destination) {
    super(ctx, request, source, InviteServerState.Proceeding);
  }

  /** @internal Starts the 100 (Trying) timer; called by the layer after construction. */
  start(): void {
    // RFC 3261 §17.2.1: The server transaction MUST generate a 100 (Trying) response unless it
    // knows that the TU will generate a provisional or final response within 200 ms, in which
    // case it MAY generate a 100 (Trying) response.
    this.startTimer('Trying', this.ctx.timers.trying100Ms, () => {
      if (this.state === InviteServerState.Proceeding && !this.lastResponse) this.sendTrying();
    });
  }

  private sendTrying(): void {
    this.stopTimer('Trying');
    // RFC 3261 §17.2.1: The 100 (Trying) response is constructed according to the procedures
    // in Section 8.2.6, except that the insertion of tags in the To header field of the
    // response (when none was present in the request) is downgraded from MAY to SHOULD NOT.
    const trying = createResponse(this.request, 100);
    this.lastProvisional = trying;
    this.sendResponse(trying);
  }

  respond(response: SipResponse): boolean {
    const status = response.status;
    switch (this.state) {
      case InviteServerState.Proceeding:
        this.stopTimer('Trying');
        if (status < 200) {
          // RFC 3261 §17.2.1: So long as the server transaction is in the "Proceeding" state,
          // each of these MUST be passed to the transport layer for transmission.
          this.lastProvisional = response;
          this.sendResponse(response);
        } else if (status < 300) {
          // RFC 6026 §7.1: If, while in the "Proceeding" state, the TU passes a 2xx response to
          // the server transaction, the server transaction MUST pass this response to the
          // transport layer for transmission [and] MUST transition to the "Accepted" state
          // [and start Timer L = 64*T1].
          this.transition(InviteServerState.Accepted, `${status} sent`);
          this.sendResponse(response);
          this.startTimer('L', 64 * this.ctx.timers.t1Ms, () => this.transition(InviteServerState.Terminated, 'Timer L'));
        } else {
          // RFC 3261 §17.2.1: While in the "Proceeding" state, if the TU passes a response with
          // status code from 300 to 699 to the server transaction, the response MUST be passed
          // to the transport layer for transmission, and the state machine MUST enter the
          // "Completed" state. For unreliable transports, timer G is set to fire in T1 seconds,
          // and is not set to fire for reliable transports. ... timer H MUST be set to fire in
          // 64*T1 seconds for all transports.
          this.transition(InviteServerState.Completed, `${status} sent`);
          this.sendResponse(response);
          if (this.isTerminated) return true;
          if (!this.reliable) {
            this.timerGInterval = this.ctx.timers.t1Ms;
            this.startTimer('G', this.timerGInterval, () => this.onTimerG());
          }
          this.startTimer('H', 64 * this.ctx.timers.t1Ms, () => this.onTimerH());
        }
        return true;
      case InviteServerState.Accepted:
        // RFC 6026 §7.1: Any retransmission of the 2xx response passed from the TU to the
        // transaction while in the "Accepted" state MUST be passed to the transport layer for
        // transmission.
        if (status >= 200 && status < 300) {
          this.sendResponse(response);
          return true;
        }
        return this.rejectLate(response);
      default:
        return this.rejectLate(response);
    }
  }

  private onTimerG(): void {
    if (this.state !== InviteServerState.Completed) return;
    // RFC 3261 §17.2.1: If timer G fires, the response is passed to the transport layer once
    // more for retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds. From then
    // on, when timer G fires, the response is passed to the transport again for transmission,
    // and timer G is reset with a value that doubles, unless that value exceeds T2, in which
    // case it is reset with the value of T2.
    this.retransmitLast();
    this.timerGInterval = Math.min(2 * this.timerGInterval, this.ctx.timers.t2Ms);
    this.startTimer('G', this.timerGInterval, () => this.onTimerG());
  }

  private onTimerH(): void {
    if (this.state !== InviteServerState.Completed) return;
    // RFC 3261 §17.2.1: If timer H fires while in the "Completed" state, it implies that the
    // ACK was never received. In this case, the server transaction MUST transition to the
    // "Terminated" state, and MUST indicate to the TU that a transaction failure has occurred.
    const error = new TransactionTimeoutError(`no ACK for the final response of INVITE ${this.branch} (Timer H)`, {
      method: this.method,
      branch: this.branch,
      timer: 'H',
    });
    this._onDidTimeout.fire({ error, transaction: this });
    if (!this.isTerminated) this.transition(InviteServerState.Terminated, 'Timer H');
  }

  receiveRequest(request: SipRequest): AckDisposition | undefined {
    if (this.isTerminated) return undefined;
    if (request.method === 'ACK') {
      switch (this.state) {
        case InviteServerState.Completed: {
          // RFC 3261 §17.2.1: If an ACK is received while the server transaction is in the
          // "Completed" state, the server transaction MUST transition to the "Confirmed" state.
          // As Timer G is ignored in this state, any retransmissions of the response will cease.
          this.stopTimer('G');
          this.stopTimer('H');
          this.transition(InviteServerState.Confirmed, 'ACK received');
          // RFC 3261 §17.2.1: The purpose of the "Confirmed" state is to absorb any additional
          // ACK messages that arrive ... When this state is entered, timer I is set to fire in
          // T4 seconds for unreliable transports, and zero seconds for reliable transports.
          this.enterWait('I', this.reliable ? 0 : this.ctx.timers.t4Ms);
          return 'absorbed';
        }
        case InviteServerState.Accepted:
          // RFC 6026 §7.1: Any ACKs received from the network while in the "Accepted" state
          // MUST be passed directly to the TU and not absorbed.
          return 'to-tu';
        default:
          return 'absorbed';
      }
    }
    switch (this.state) {
      case InviteServerState.Proceeding:
        // RFC 3261 §17.2.1: If a request retransmission is received while in the "Proceeding"
        // state, the most recent provisional response that was received from the TU MUST be
        // passed to the transport layer for retransmission.
        // (Before the TU sent any, the 100 (Trying) is sent now: it quenches retransmissions.)
        if (this.lastProvisional) this.transmit(this.lastProvisional);
        else this.sendTrying();
        return undefined;
      case InviteServerState.Completed: {
        // RFC 3261 §17.2.1: Furthermore, while in the "Completed" state, if a request
        // retransmission is received, the server SHOULD pass the response to the transport for
        // retransmission.
        this.retransmitLast();
        return undefined;
      }
      default:
        // RFC 6026 §7.1: retransmissions of the INVITE in "Accepted" are absorbed (the TU
        // retransmits its 2xx itself, RFC 3261 §13.3.1.4); in "Confirmed" too.
        return undefined;
    }
  }
}

/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2 Figure 8):
 *
 * ```
 *   Trying --1xx from TU / send--> Proceeding --200-699 from TU / send--> Completed
 *     +--200-699 from TU / send--> Completed --Timer J--> Terminated
 *   any --transport error--> Terminated
 * ```
 * Timer J = 64*T1 over UDP, 0 over TCP/TLS. Request retransmissions are discarded in Trying,
 * answered with the last provisional in Proceeding and the final in Completed.
 */
export class NonInviteServerTransaction extends ServerTransaction {
  readonly isInvite = false;
  /** The current state. */
  override get state(): NonInviteServerState {
    return super.state as NonInviteServerState;
  }
  protected readonly edges = {
    Trying: ['Proceeding', 'Completed', 'Terminated'],
    Proceeding: ['Completed', 'Terminated'],
    Completed: ['Terminated'],
    Terminated: [],
  } as const satisfies Record<NonInviteServerState, readonly NonInviteServerState[]>;
  protected readonly terminalState = NonInviteServerState.Terminated;

  protected get holdsFinal(): boolean {
    return this.state === NonInviteServerState.Completed;
  }

  /** @internal created by the layer. */
  constructor(ctx: TransactionContext, request: SipRequest, source: Destination) {
    super(ctx, request, source, NonInviteServerState.Trying);
  }

  respond(response: SipResponse): boolean {
    const status = response.status;
    if (this.state !== NonInviteServerState.Trying && this.state !== NonInviteServerState.Proceeding) return this.rejectLate(response);
    if (status < 200) {
      // RFC 3261 §17.2.2: While in the "Trying" state, if the TU passes a provisional response
      // to the server transaction, the server transaction MUST enter the "Proceeding" state.
      // The response MUST be passed to the transport layer for transmission.
      if (this.state === NonInviteServerState.Trying) this.transition(NonInviteServerState.Proceeding, `${status} sent`);
      this.sendResponse(response);
      return true;
    }
    // RFC 3261 §17.2.2: If the TU passes a final response (status codes 200-699) to the server
    // while in the "Proceeding" state, the transaction MUST enter the "Completed" state, and the
    // response MUST be passed to the transport layer for transmission.
    this.transition(NonInviteServerState.Completed, `${status} sent`);
    const sent = this.sendResponse(response);
    if (this.isTerminated) return true;
    // RFC 3261 §17.2.2: When the server transaction enters the "Completed" state, it MUST set
    // Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable
    // transports.
    if (!this.reliable) this.enterWait('J', 64 * this.ctx.timers.t1Ms);
    // DEVIATION(RFC 3261 §17.2.2): over a reliable transport Timer J (0 s) "fires" once the
    // transport settled the send of the final response, not synchronously, so a failed send can
    // still fall back (§17.2.4) and be reported to the TU.
    else void sent.then(() => this.isTerminated || this.transition(NonInviteServerState.Terminated, 'Timer J (0 over a reliable transport)'));
    return true;
  }

  receiveRequest(_request: SipRequest): AckDisposition | undefined {
    if (this.isTerminated) return undefined;
    switch (this.state) {
      case NonInviteServerState.Trying:
        // RFC 3261 §17.2.2: Once in the "Trying" state, any further request retransmissions are
        // discarded.
        return undefined;
      case NonInviteServerState.Proceeding:
      case NonInviteServerState.Completed:
        // RFC 3261 §17.2.2: If a retransmission of the request is received while in the
        // "Proceeding" state, the most recently sent provisional response MUST be passed to the
        // transport layer for retransmission. ... While in the "Completed" state, the server
        // transaction MUST pass the final response to the transport layer for retransmission
        // whenever a retransmission of the request is received.
        this.retransmitLast();
        return undefined;
      default:
        return undefined;
    }
  }
}

/** The headers a server transaction matches retransmissions, ACK and CANCEL with (RFC 3261 §17.2.3). */
const MATCHING_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/**
 * A copy of `request` with only its matching headers, no body, and strings of its own (a
 * parsed message's strings may be slices of the whole datagram: copying lets it go).
 */
function matchingSkeleton(request: SipRequest): SipRequest {
  const own = ownString;
  let uri = request.uri;
  try {
    uri = parseUri(own(formatUri(request.uri)));
  } catch {
    // An URI we cannot re-read: keep the parsed one.
  }
  const slim = new SipRequest(request.method, uri);
  for (const name of MATCHING_HEADERS) {
    const lines = request.headers.getAll(name);
    if (lines.length) slim.setHeader(name, lines.map(own));
  }
  return slim;
}
