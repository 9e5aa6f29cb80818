/**
 * What the four transaction state machines share: an explicit state with a table of allowed
 * edges, named timers on the injected clock, sending through the transport with errors turned
 * into events, and disposal on the end state.
 */
import {
  Disposable,
  Emitter,
  InvalidStateError,
  MutableDisposable,
  TransportError,
  type Clock,
  type Event,
  type Logger,
  type TimerHandle,
} from '@sip-endpoint/base';
import { parseMessage, type SipMessage, type SipRequest } from '../message/index';
import type { Destination, TransactionTimers, TransactionTransport } from './types';

/** @internal What a transaction needs from the layer that created it. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: Readonly<TransactionTimers>;
  readonly transport: TransactionTransport;
  readonly logger: Logger;
}

/** Payload of `onDidChangeState`. */
export interface TransactionStateChangeEvent {
  /** The transaction whose state changed. */
  readonly transaction: Transaction;
  /** The state before (a value of the transaction's state enum). */
  readonly previous: string;
  /** The state now. */
  readonly state: string;
}

/** Payload of `onDidTransportError`: the transport could not send a message of the transaction. */
export interface TransactionTransportErrorEvent {
  readonly transaction: Transaction;
  /** The error, wrapped in a `TransportError` when the transport rejected with something else. */
  readonly error: TransportError;
  /** The message that could not be sent. */
  readonly message: SipMessage;
  /** Where it was sent. */
  readonly destination: Destination;
}

/** Wraps whatever a transport rejected with into a {@link TransportError}. */
export function asTransportError(e: unknown, destination: Destination): TransportError {
  if (e instanceof TransportError) return e;
  return new TransportError(`could not send to ${destination.protocol}:${destination.address}:${destination.port}: ${e instanceof Error ? e.message : String(e)}`, {
    transport: destination.protocol,
    remote: `${destination.address}:${destination.port}`,
  }, { cause: e });
}

/**
 * The base of client and server transactions. Subclasses declare their states, the allowed
 * edges and the end state; {@link Transaction.transition} is the only way the state changes.
 * Entering the end state cancels every timer, fires `onDidChangeState` then `onDidTerminate`,
 * and disposes the transaction (RFC 3261 §17.1.1.2: The client transaction MUST be destroyed
 * the instant it enters the "Terminated" state; likewise §17.2.1, §17.2.2 for servers).
 */
export abstract class Transaction extends Disposable {
  /**
   * The request that created the transaction. A server transaction that has sent its final
   * response keeps only the headers that match retransmissions (Via, From, To, Call-ID, CSeq)
   * here: see `ServerTransaction.compact`.
   */
  get request(): SipRequest {
    return this._request;
  }
  /** Backing field of {@link Transaction.request} (a server transaction may slim it). */
  protected _request: SipRequest;
  /** The branch of the transaction (top Via branch of the request), its id on the wire. */
  readonly branch: string;
  /** The method of the transaction (`INVITE`, `REGISTER`, ...). */
  readonly method: string;

  private _state: string;
  private readonly timerSlots = new Map<string, MutableDisposable<TimerHandle>>();
  private terminating = false;

  protected readonly _onDidChangeState = this._register(new Emitter<TransactionStateChangeEvent>());
  /** Fires after every state change, the change to the end state included. */
  readonly onDidChangeState: Event<TransactionStateChangeEvent> = this._onDidChangeState.event;

  protected readonly _onDidTerminate = this._register(new Emitter<{ readonly transaction: Transaction }>());
  /** Fires once when the transaction reaches its end state (then it is disposed). */
  readonly onDidTerminate: Event<{ readonly transaction: Transaction }> = this._onDidTerminate.event;

  protected readonly _onDidTransportError = this._register(new Emitter<TransactionTransportErrorEvent>());
  /**
   * Fires when the transport could not send a message of this transaction (RFC 3261 §17.1.4,
   * §17.2.4; §8.1.3.1: a client TU treats it as a 503 (Service Unavailable)).
   */
  readonly onDidTransportError: Event<TransactionTransportErrorEvent> = this._onDidTransportError.event;

  private _log: Logger | undefined;
  /**
   * The transaction's logger (a child with its branch and method), made on first use: the
   * routine transition and timer records go through the layer's logger with those fields, so
   * a transaction that never warns carries no logger of its own.
   */
  protected get log(): Logger {
    return (this._log ??= this.ctx.logger.child({ branch: this.branch, method: this.method }));
  }

  constructor(
    protected readonly ctx: TransactionContext,
    request: SipRequest,
    initial: string,
    /** Whether the transport of the transaction is reliable (RFC 3261 §17: TCP, TLS). */
    readonly reliable: boolean,
  ) {
    super();
    this._request = request;
    this.method = request.method === 'ACK' ? 'INVITE' : request.method;
    // A string of its own: the branch of a parsed request is a slice of the whole message text,
    // which it would keep alive for the life of the transaction (32 s after a final response).
    this.branch = ownString(request.branch ?? '');
    this._state = initial;
  }

  /** The current state (subclasses narrow it to their state enum). */
  get state(): string {
    return this._state;
  }

  /** Whether the transaction reached its end state. */
  get isTerminated(): boolean {
    return this._state === this.terminalState;
  }

  /** The allowed edges: for each state, the states it may move to. */
  protected abstract readonly edges: Readonly<Record<string, readonly string[]>>;
  /** The end state. */
  protected abstract readonly terminalState: string;

  /**
   * Moves to `next`, checking the edge; logs it and fires `onDidChangeState`. On the end state:
   * cancels every timer, fires `onDidTerminate`, and disposes the transaction.
   * @throws InvalidStateError when the edge is not in the state machine.
   */
  protected transition(next: string, why: string): void {
    const previous = this._state;
    if (!(this.edges[previous] ?? []).includes(next)) {
      throw new InvalidStateError(`${this.constructor.name}: no transition ${previous} -> ${next} (${why})`, previous);
    }
    this._state = next;
    this.ctx.logger.debug(`${previous} -> ${next}: ${why}`, { branch: this.branch, method: this.method });
    if (next === this.terminalState) this.cancelAllTimers();
    this._onDidChangeState.fire({ transaction: this, previous, state: next });
    if (next === this.terminalState) {
      this.onTerminated();
      this._onDidTerminate.fire({ transaction: this });
      this.dispose();
    }
  }

  /** Hook for subclasses: runs on entering the end state, before `onDidTerminate`. */
  protected onTerminated(): void {}

  /** Starts (or restarts) the named timer; a pending one of the same name is cancelled. */
  protected startTimer(name: string, ms: number, fire: () => void): void {
    if (this.isDisposed || this.isTerminated) return;
    let slot = this.timerSlots.get(name);
    if (!slot) {
      slot = this._register(new MutableDisposable<TimerHandle>());
      this.timerSlots.set(name, slot);
    }
    slot.value = this.ctx.clock.setTimeout(() => {
      if (this.isDisposed || this.isTerminated) return;
      this.ctx.logger.trace(`timer ${name} fired`, { branch: this.branch, method: this.method });
      fire();
    }, ms);
  }

  /** Cancels the named timer if pending. */
  protected stopTimer(name: string): void {
    this.timerSlots.get(name)?.clear();
  }

  /** Whether the named timer is pending (for tests and diagnostics). */
  isTimerPending(name: string): boolean {
    return this.timerSlots.get(name)?.value?.isPending ?? false;
  }

  private cancelAllTimers(): void {
    for (const slot of this.timerSlots.values()) slot.clear();
  }

  /**
   * Hands `message` to the transport (bytes already serialized go through the transport's
   * `sendBytes` when it has one, else are parsed back). A failure calls `onError` (when the transaction is still
   * alive) and never becomes an unhandled rejection. The returned promise never rejects: it
   * settles once the transport settled and `onError` (if called) returned.
   */
  protected sendMessage(message: SipMessage | Buffer, destination: Destination, onError: (error: TransportError) => void): Promise<void> {
    let sending: Promise<void>;
    try {
      const transport = this.ctx.transport;
      if (!Buffer.isBuffer(message)) sending = transport.send(message, destination);
      else if (transport.sendBytes) sending = transport.sendBytes(message, destination);
      else sending = transport.send(parseMessage(message, { datagram: true }), destination);
    } catch (e) {
      sending = Promise.reject(e);
    }
    return sending.then(
      () => undefined,
      (e: unknown) => {
        const error = asTransportError(e, destination);
        if (this.isDisposed || this.isTerminated) {
          this.log.debug('send failed after the transaction ended', { error: error.message });
          return;
        }
        this.log.warn('send failed', { error: error.message });
        onError(error);
      },
    );
  }

  /** Fires `onDidTransportError`. */
  protected reportTransportError(error: TransportError, message: SipMessage | Buffer, destination: Destination): void {
    const msg = Buffer.isBuffer(message) ? parseMessage(message, { datagram: true }) : message;
    this._onDidTransportError.fire({ transaction: this, error, message: msg, destination });
  }

  /** Moves to the end state (firing the events) unless already there, then releases everything. */
  override dispose(): void {
    if (this.isDisposed) return;
    if (!this.isTerminated && !this.terminating) {
      this.terminating = true;
      this.onDisposeWhileAlive();
      if (!this.isTerminated) this.transition(this.terminalState, 'disposed');
      return;
    }
    super.dispose();
  }

  /** Hook: the transaction is disposed before reaching its end state. */
  protected onDisposeWhileAlive(): void {}
}

/**
 * A flat copy of `s` that shares no memory with the string it came from (V8 keeps the parent of a
 * sliced or concatenated string alive): for strings a long-lived object keeps from a parsed message.
 */
export function ownString(s: string): string {
  return s.length === 0 ? s : Buffer.from(s, 'utf8').toString('utf8');
}
