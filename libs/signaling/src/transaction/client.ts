/**
 * Client transactions (RFC 3261 §17.1): the INVITE client transaction (§17.1.1, Figure 5 with
 * RFC 6026 §7.2) and the non-INVITE client transaction (§17.1.2, Figure 6).
 */
import { Emitter, InvalidStateError, TransactionTimeoutError, type Event, type TransportError } from '@sip-endpoint/base';
import type { SipRequest, SipResponse } from '../message/index';
import { buildAckForNon2xx, buildCancel } from './requests';
import { Transaction, type TransactionContext } from './transaction';
import { InviteClientState, NonInviteClientState, isReliable, type Destination } from './types';

/** Payload of `onDidReceiveResponse`. */
export interface ClientResponseEvent {
  /** The response (provisional, final, or a retransmitted 2xx in Accepted). */
  readonly response: SipResponse;
  readonly transaction: ClientTransaction;
}

/** Payload of `onDidTimeout`. */
export interface ClientTimeoutEvent {
  /** Names the timer (B, F, or `CANCEL` for the §9.1 wait after a CANCEL). */
  readonly error: TransactionTimeoutError;
  readonly transaction: ClientTransaction;
}

/** @internal Starts the client transaction for a CANCEL (the layer does it). */
export type StartClientTransaction = (request: SipRequest, destination: Destination) => ClientTransaction;

/**
 * What both client transactions share. The transaction sends its request when created, passes
 * responses to the TU through {@link ClientTransaction.onDidReceiveResponse}, and reports the
 * outcome through exactly one of: a final response, {@link ClientTransaction.onDidTimeout}
 * (§8.1.3.1: treat as 408), {@link Transaction.onDidTransportError} (§8.1.3.1: treat as 503),
 * or disposal.
 */
export abstract class ClientTransaction extends Transaction {
  /** Whether this is an INVITE client transaction. */
  abstract readonly isInvite: boolean;

  protected readonly _onDidReceiveResponse = this._register(new Emitter<ClientResponseEvent>());
  /** Fires for every response passed to the TU (RFC 3261 §17.1.1.2, §17.1.2.2, RFC 6026 §7.2). */
  readonly onDidReceiveResponse: Event<ClientResponseEvent> = this._onDidReceiveResponse.event;

  protected readonly _onDidTimeout = this._register(new Emitter<ClientTimeoutEvent>());
  /**
   * Fires when no final response came in time (Timer B, Timer F). RFC 3261 §8.1.3.1: the TU
   * treats it as a 408 (Request Timeout).
   */
  readonly onDidTimeout: Event<ClientTimeoutEvent> = this._onDidTimeout.event;

  private _lastResponse: SipResponse | undefined;
  private _finalResponse: SipResponse | undefined;
  private failure: Error | undefined;
  private settle: { resolve: (r: SipResponse) => void; reject: (e: Error) => void } | undefined;
  private promise: Promise<SipResponse> | undefined;

  constructor(
    ctx: TransactionContext,
    request: SipRequest,
    /** Where the request is sent; ACK and CANCEL go there too. */
    readonly destination: Destination,
    initial: string,
  ) {
    super(ctx, request, initial, isReliable(destination.protocol));
  }

  /** The last response passed to the TU, if any. */
  get lastResponse(): SipResponse | undefined {
    return this._lastResponse;
  }

  /**
   * The first final response. The promise resolves when one arrives; it rejects with a
   * `TransactionTimeoutError` (Timer B/F), a `TransportError`, or an `InvalidStateError` when
   * the transaction is disposed first. Nobody has to await it: a rejection nobody listens to is
   * never reported as unhandled.
   */
  get finalResponse(): Promise<SipResponse> {
    if (!this.promise) {
      if (this._finalResponse) this.promise = Promise.resolve(this._finalResponse);
      else if (this.failure) this.promise = Promise.reject(this.failure);
      else this.promise = new Promise<SipResponse>((resolve, reject) => (this.settle = { resolve, reject }));
      this.promise.catch(() => undefined);
    }
    return this.promise;
  }

  /** Sends the request for the first time; called by the layer right after construction. */
  abstract start(): void;

  /** @internal The layer hands a matching response here (RFC 3261 §17.1.3). */
  abstract receiveResponse(response: SipResponse): void;

  /** Passes a response to the TU. */
  protected deliver(response: SipResponse): void {
    this._lastResponse = response;
    if (response.status >= 200 && !this._finalResponse) {
      this._finalResponse = response;
      this.settle?.resolve(response);
      this.settle = undefined;
    }
    this._onDidReceiveResponse.fire({ response, transaction: this });
  }

  /** Sends the request (first time or retransmission); a failure is a transport error. */
  protected sendRequest(): void {
    this.sendMessage(this.request, this.destination, (error) => this.failTransport(error, this.request));
  }

  /**
   * RFC 3261 §17.1.4: If the transport layer indicates a failure ... the client transaction
   * SHOULD inform the TU and transition to the "Terminated" state (while no final response was
   * received; later failures are only logged).
   */
  protected failTransport(error: TransportError, message: SipRequest): void {
    if (this._finalResponse) {
      this.log.warn('transport error after the final response', { error: error.message });
      return;
    }
    this.failure ??= error;
    this.reportTransportError(error, message, this.destination);
    if (!this.isTerminated) this.transition(this.terminalState, 'transport error');
  }

  /** Reports a timeout and terminates. */
  protected timeout(timer: string): void {
    const error = new TransactionTimeoutError(`${this.method} transaction ${this.branch} timed out (Timer ${timer})`, {
      method: this.method,
      branch: this.branch,
      timer,
    });
    this.failure ??= error;
    this._onDidTimeout.fire({ error, transaction: this });
    if (!this.isTerminated) this.transition(this.terminalState, `Timer ${timer}`);
  }

  protected override onTerminated(): void {
    if (this._finalResponse) return;
    this.failure ??= new InvalidStateError(`${this.method} transaction ${this.branch} ended without a final response`, this.state);
    this.settle?.reject(this.failure);
    this.settle = undefined;
  }
}

/**
 * The INVITE client transaction (RFC 3261 §17.1.1.2 Figure 5, RFC 6026 §7.2):
 *
 * ```
 *   Calling --1xx--> Proceeding --300-699 / ACK--> Completed --Timer D--> Terminated
 *     |  \--2xx---------------------> Accepted --Timer M--> Terminated
 *     |   \--300-699 / ACK--> Completed
 *     +--Timer B / transport error--> Terminated
 * ```
 * Timer A retransmits the INVITE over UDP (T1, 2T1, 4T1, ... uncapped); Timer B = 64*T1;
 * Timer D = `timerDMs` over UDP, 0 over TCP/TLS; Timer M = 64*T1. In Accepted, every 2xx
 * (retransmissions and other forks) goes to the TU; in Completed, retransmitted non-2xx finals
 * get the ACK again and are not passed up.
 */
export class InviteClientTransaction extends ClientTransaction {
  readonly isInvite = true;
  /** The current state. */
  override get state(): InviteClientState {
    return super.state as InviteClientState;
  }
  protected readonly edges = {
    Calling: ['Proceeding', 'Completed', 'Accepted', 'Terminated'],
    Proceeding: ['Completed', 'Accepted', 'Terminated'],
    Completed: ['Terminated'],
    Accepted: ['Terminated'],
    Terminated: [],
  } as const satisfies Record<InviteClientState, readonly InviteClientState[]>;
  protected readonly terminalState = InviteClientState.Terminated;

  private timerAInterval = 0;
  private ack: SipRequest | undefined;
  private cancelRequested = false;
  private _cancelTransaction: ClientTransaction | undefined;

  private readonly _onDidSendCancel = this._register(new Emitter<{ readonly cancelTransaction: ClientTransaction; readonly transaction: InviteClientTransaction }>());
  /** Fires when the CANCEL asked for by {@link InviteClientTransaction.cancel} is sent. */
  readonly onDidSendCancel: Event<{ readonly cancelTransaction: ClientTransaction; readonly transaction: InviteClientTransaction }> = this._onDidSendCancel.event;

  /** @internal created by the layer. */
  constructor(
    ctx: TransactionContext,
    request: SipRequest,
    destination: Destination,
    private readonly startCancel: StartClientTransaction,
  ) {
    super(ctx, request, destination, InviteClientState.Calling);
  }

  /** The client transaction of the CANCEL, once sent. */
  get cancelTransaction(): ClientTransaction | undefined {
    return this._cancelTransaction;
  }

  /** The ACK sent for a non-2xx final response, once sent. */
  get ackRequest(): SipRequest | undefined {
    return this.ack;
  }

  start(): void {
    const t1 = this.ctx.timers.t1Ms;
    // RFC 3261 §17.1.1.2: The client transaction MUST pass the request to the transport layer
    // for transmission.
    this.sendRequest();
    if (!this.reliable) {
      // RFC 3261 §17.1.1.2: If an unreliable transport is being used, the client transaction
      // MUST start timer A with a value of T1.
      this.timerAInterval = t1;
      this.startTimer('A', t1, () => this.onTimerA());
    }
    // RFC 3261 §17.1.1.2: For any transport, the client transaction MUST start timer B with a
    // value of 64*T1 seconds.
    this.startTimer('B', 64 * t1, () => {
      // RFC 3261 §17.1.1.2: If the client transaction is still in the "Calling" state when
      // timer B fires, the client transaction SHOULD inform the TU that a timeout has occurred.
      if (this.state === InviteClientState.Calling) this.timeout('B');
    });
  }

  private onTimerA(): void {
    if (this.state !== InviteClientState.Calling) return;
    // RFC 3261 §17.1.1.2: When timer A fires, the client transaction MUST retransmit the
    // request by passing it to the transport layer, and MUST reset the timer with a value of 2*T1.
    this.sendRequest();
    this.timerAInterval *= 2;
    this.startTimer('A', this.timerAInterval, () => this.onTimerA());
  }

  receiveResponse(response: SipResponse): void {
    if (this.isTerminated) return;
    const status = response.status;
    switch (this.state) {
      case InviteClientState.Calling:
      case InviteClientState.Proceeding:
        if (status < 200) {
          // RFC 3261 §17.1.1.2: If the client transaction receives a provisional response while
          // in the "Calling" state, it transitions to the "Proceeding" state. In the
          // "Proceeding" state, the client transaction SHOULD NOT retransmit the request any
          // longer. Furthermore, the provisional response MUST be passed to the TU.
          if (this.state === InviteClientState.Calling) {
            this.stopTimer('A');
            this.stopTimer('B');
            this.transition(InviteClientState.Proceeding, `${status} received`);
          }
          this.deliver(response);
          if (this.cancelRequested) this.sendCancel();
        } else if (status < 300) {
          // RFC 6026 §7.2: a 2xx moves the transaction to "Accepted" (not "Terminated") and
          // starts Timer M = 64*T1; the 2xx is passed to the TU.
          this.stopTimer('A');
          this.stopTimer('B');
          this.stopTimer('CANCEL');
          this.cancelRequested = false;
          this.transition(InviteClientState.Accepted, `${status} received`);
          this.deliver(response);
          this.startTimer('M', 64 * this.ctx.timers.t1Ms, () => this.transition(InviteClientState.Terminated, 'Timer M'));
        } else {
          // RFC 3261 §17.1.1.2: When in either the "Calling" or "Proceeding" states, reception of
          // a response with status code from 300-699 MUST cause the client transaction to
          // transition to "Completed". The client transaction MUST pass the received response up
          // to the TU, and the client transaction MUST generate an ACK request.
          this.stopTimer('A');
          this.stopTimer('B');
          this.stopTimer('CANCEL');
          this.cancelRequested = false;
          this.transition(InviteClientState.Completed, `${status} received`);
          this.ack = buildAckForNon2xx(this.request, response);
          this.sendAck();
          this.deliver(response);
          // RFC 3261 §17.1.1.2: The client transaction SHOULD start timer D when it enters the
          // "Completed" state, with a value of at least 32 seconds for unreliable transports,
          // and a value of zero seconds for reliable transports.
          this.enterWait('D', this.reliable ? 0 : this.ctx.timers.timerDMs);
        }
        return;
      case InviteClientState.Accepted:
        // RFC 6026 §7.2: any 2xx response received while in the "Accepted" state MUST be passed
        // up to the TU (retransmissions and 2xx from other forks); other responses are discarded.
        if (status >= 200 && status < 300) this.deliver(response);
        return;
      case InviteClientState.Completed:
        // RFC 3261 §17.1.1.2: Any retransmissions of the final response that are received while
        // in the "Completed" state MUST cause the ACK to be re-passed to the transport layer for
        // retransmission, but the newly received response MUST NOT be passed up to the TU.
        if (status >= 300) this.sendAck();
        return;
      default:
        return;
    }
  }

  private sendAck(): void {
    const ack = this.ack;
    if (!ack) return;
    // RFC 3261 §17.1.1.3: The ACK MUST be sent to the same address, port, and transport to
    // which the original request was sent.
    this.sendMessage(ack, this.destination, (error) => {
      this.log.warn('could not send the ACK', { error: error.message });
      this.reportTransportError(error, ack, this.destination);
    });
  }

  /** Starts a wait timer leading to Terminated; a zero wait terminates at once. */
  private enterWait(timer: string, ms: number): void {
    if (ms <= 0) this.transition(InviteClientState.Terminated, `Timer ${timer} (0 over a reliable transport)`);
    else this.startTimer(timer, ms, () => this.transition(InviteClientState.Terminated, `Timer ${timer}`));
  }

  /**
   * Cancels the INVITE (RFC 3261 §9.1). Once a provisional response was received, builds the
   * CANCEL and sends it as its own non-INVITE client transaction ({@link cancelTransaction},
   * {@link onDidSendCancel}); before that, waits for one, and sends nothing if a final
   * response comes first. After a final response it does nothing. If the INVITE gets no final
   * response within 64*T1 of the CANCEL, the INVITE transaction reports a timeout (timer
   * `CANCEL`) and terminates (§9.1).
   */
  cancel(): void {
    if (this.isTerminated || this._cancelTransaction || this.cancelRequested) return;
    if (this.state === InviteClientState.Calling) {
      // RFC 3261 §9.1: If no provisional response has been received, the CANCEL request MUST
      // NOT be sent; rather, the client MUST wait for the arrival of a provisional response
      // before sending the request.
      this.cancelRequested = true;
      return;
    }
    if (this.state === InviteClientState.Proceeding) this.sendCancel();
    // RFC 3261 §9.1: If the original request has generated a final response, the CANCEL
    // SHOULD NOT be sent.
  }

  private sendCancel(): void {
    this.cancelRequested = false;
    if (this._cancelTransaction) return;
    const cancel = buildCancel(this.request);
    const tx = this.startCancel(cancel, this.destination);
    this._cancelTransaction = tx;
    // RFC 3261 §9.1: If no final response has been received after 64*T1 seconds, the client
    // SHOULD then consider the original transaction cancelled and SHOULD destroy the client
    // transaction handling the original request.
    this.startTimer('CANCEL', 64 * this.ctx.timers.t1Ms, () => {
      if (this.state === InviteClientState.Proceeding || this.state === InviteClientState.Calling) this.timeout('CANCEL');
    });
    this._onDidSendCancel.fire({ cancelTransaction: tx, transaction: this });
  }
}

/**
 * The non-INVITE client transaction (RFC 3261 §17.1.2.2 Figure 6):
 *
 * ```
 *   Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
 *     +--200-699--> Completed
 *     +--Timer F / transport error (Trying or Proceeding)--> Terminated
 * ```
 * Timer E retransmits over UDP: T1, 2T1, ... capped at T2 in Trying, T2 in Proceeding;
 * Timer F = 64*T1; Timer K = T4 over UDP, 0 over TCP/TLS.
 */
export class NonInviteClientTransaction extends ClientTransaction {
  readonly isInvite = false;
  /** The current state. */
  override get state(): NonInviteClientState {
    return super.state as NonInviteClientState;
  }
  protected readonly edges = {
    Trying: ['Proceeding', 'Completed', 'Terminated'],
    Proceeding: ['Completed', 'Terminated'],
    Completed: ['Terminated'],
    Terminated: [],
  } as const satisfies Record<NonInviteClientState, readonly NonInviteClientState[]>;
  protected readonly terminalState = NonInviteClientState.Terminated;

  private timerEInterval = 0;

  /** @internal created by the layer. */
  constructor(ctx: TransactionContext, request: SipRequest, destination: Destination) {
    super(ctx, request, destination, NonInviteClientState.Trying);
  }

  start(): void {
    const t1 = this.ctx.timers.t1Ms;
    // RFC 3261 §17.1.2.2: The "Trying" state is entered when the TU initiates a new client
    // transaction with a request. When entering this state, the client transaction SHOULD set
    // timer F to fire in 64*T1 seconds. The request MUST be passed to the transport layer for
    // transmission. If an unreliable transport is in use, the client transaction MUST set timer
    // E to fire in T1 seconds.
    this.sendRequest();
    this.startTimer('F', 64 * t1, () => {
      // RFC 3261 §17.1.2.2: If Timer F fires while the client transaction is still in the
      // "Trying" [or "Proceeding"] state, the client transaction SHOULD inform the TU about the
      // timeout, and then it SHOULD enter the "Terminated" state.
      if (this.state === NonInviteClientState.Trying || this.state === NonInviteClientState.Proceeding) this.timeout('F');
    });
    if (!this.reliable) {
      this.timerEInterval = t1;
      this.startTimer('E', t1, () => this.onTimerE());
    }
  }

  private onTimerE(): void {
    const { t2Ms } = this.ctx.timers;
    if (this.state === NonInviteClientState.Trying) {
      // RFC 3261 §17.1.2.2: If timer E fires while still in this state, the timer is reset, but
      // this time with a value of MIN(2*T1, T2). When the timer fires again, it is reset to a
      // MIN(4*T1, T2).
      this.sendRequest();
      this.timerEInterval = Math.min(2 * this.timerEInterval, t2Ms);
    } else if (this.state === NonInviteClientState.Proceeding) {
      // RFC 3261 §17.1.2.2: If Timer E fires while in the "Proceeding" state, the request MUST
      // be passed to the transport layer for retransmission, and Timer E MUST be reset with a
      // value of T2 seconds.
      this.sendRequest();
      this.timerEInterval = t2Ms;
    } else {
      return;
    }
    this.startTimer('E', this.timerEInterval, () => this.onTimerE());
  }

  receiveResponse(response: SipResponse): void {
    if (this.isTerminated) return;
    const status = response.status;
    if (this.state === NonInviteClientState.Trying || this.state === NonInviteClientState.Proceeding) {
      if (status < 200) {
        // RFC 3261 §17.1.2.2: If a provisional response is received while in the "Trying"
        // state, the response MUST be passed to the TU, and then the client transaction SHOULD
        // move to the "Proceeding" state.
        if (this.state === NonInviteClientState.Trying) {
          this.transition(NonInviteClientState.Proceeding, `${status} received`);
          // RFC 3261 §17.1.2.2: in Proceeding, Timer E is reset to T2 when it next fires; the
          // pending one keeps its current value.
        }
        this.deliver(response);
        return;
      }
      // RFC 3261 §17.1.2.2: If a final response (status codes 200-699) is received while in
      // the "Trying" [or "Proceeding"] state, the response MUST be passed to the TU, and the
      // client transaction MUST transition to the "Completed" state.
      this.stopTimer('E');
      this.stopTimer('F');
      this.transition(NonInviteClientState.Completed, `${status} received`);
      this.deliver(response);
      // RFC 3261 §17.1.2.2: Once the client transaction enters the "Completed" state, it MUST
      // set Timer K to fire in T4 seconds for unreliable transports, and zero seconds for
      // reliable transports.
      const k = this.reliable ? 0 : this.ctx.timers.t4Ms;
      if (k <= 0) this.transition(NonInviteClientState.Terminated, 'Timer K (0 over a reliable transport)');
      else this.startTimer('K', k, () => this.transition(NonInviteClientState.Terminated, 'Timer K'));
    }
    // RFC 3261 §17.1.2.2: The "Completed" state exists to buffer any additional response
    // retransmissions that may be received (which is why the client transaction remains there
    // only for unreliable transports).
  }
}
