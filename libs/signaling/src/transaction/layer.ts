/**
 * The transaction layer (RFC 3261 §17): creates client transactions for outgoing requests,
 * matches incoming responses to them (§17.1.3), matches incoming requests to server
 * transactions or creates new ones (§17.2.3), and handles the requests the TU never sees as
 * requests: CANCEL (§9.2), retransmissions, merged requests (§8.2.2.2).
 */
import {
  Disposable,
  DisposableStore,
  Emitter,
  ErrorCode,
  InvalidStateError,
  SdkError,
  nullLogger,
  type Event,
  type Logger,
  type TransactionTimeoutError,
} from '@sip-endpoint/base';
import { createResponse, H, newBranch, randomToken, type SipMessage, type SipRequest, type SipResponse } from '../message/index';
import { InviteClientTransaction, NonInviteClientTransaction } from './client';
import { clientKey, hasMagicCookie, legacyMatches, mergeKey, sentByKey, serverKey } from './matching';
import { InviteServerTransaction, NonInviteServerTransaction } from './server';
import { ownString, type TransactionContext, type TransactionTransportErrorEvent } from './transaction';
import {
  DEFAULT_TRANSACTION_TIMERS,
  InviteServerState,
  type Destination,
  type TransactionLayerOptions,
  type TransactionTimers,
} from './types';

/** A client transaction as the layer returns it: narrow with `isInvite`. */
export type AnyClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
/** A server transaction as the layer hands it out: narrow with `isInvite`. */
export type AnyServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** Payload of {@link TransactionLayer.onDidReceiveRequest}. */
export interface IncomingRequestEvent {
  /** The new request (never ACK or CANCEL: those have their own events). */
  readonly request: SipRequest;
  /** The server transaction created for it: answer with `transaction.respond(...)`. */
  readonly transaction: AnyServerTransaction;
  /** Where it came from. */
  readonly source: Destination;
}

/** Payload of {@link TransactionLayer.onDidReceiveAck}. */
export interface IncomingAckEvent {
  readonly request: SipRequest;
  readonly source: Destination;
  /**
   * The INVITE server transaction in Accepted the ACK matched (RFC 6026 §7.1), or `undefined`
   * for an ACK that matched no transaction (the ACK for a 2xx, RFC 3261 §17.2.3, §13.3.1.4).
   */
  readonly transaction?: InviteServerTransaction | undefined;
}

/** Payload of {@link TransactionLayer.onDidReceiveCancel}. */
export interface IncomingCancelEvent {
  /** The CANCEL (already answered 200 by the layer). */
  readonly cancel: SipRequest;
  /** The INVITE server transaction it cancels, still in Proceeding. */
  readonly inviteTransaction: InviteServerTransaction;
  readonly source: Destination;
}

/** Payload of {@link TransactionLayer.onDidReceiveStrayResponse}. */
export interface StrayResponseEvent {
  readonly response: SipResponse;
  readonly source: Destination;
}

/** Payload of {@link TransactionLayer.onDidDropMessage}. */
export interface DroppedMessageEvent {
  readonly message: SipMessage;
  readonly source: Destination;
  /** Why, for a person. */
  readonly reason: string;
  /** The error reading the message, if any (a `SipParseError` for a malformed header). */
  readonly error?: unknown;
}

/** Payload of {@link TransactionLayer.onDidTimeout}. */
export interface TransactionTimeoutEvent {
  readonly error: TransactionTimeoutError;
  readonly transaction: AnyClientTransaction | AnyServerTransaction;
}

/**
 * The transaction layer. Outgoing: {@link TransactionLayer.sendRequest}. Incoming: everything
 * the transport delivers (parsed, with `received`/`rport` stamped on the top Via) goes to
 * {@link TransactionLayer.receive}. Disposing it terminates every transaction and cancels every
 * timer.
 */
export class TransactionLayer extends Disposable {
  /** The timer values in use (defaults filled in). */
  readonly timers: Readonly<TransactionTimers>;

  private readonly ctx: TransactionContext;
  private readonly log: Logger;
  private readonly viaSentBy: TransactionLayerOptions['viaSentBy'];

  private readonly clients = new Map<string, AnyClientTransaction>();
  private readonly servers = new Map<string, AnyServerTransaction>();
  private readonly legacyServers = new Set<AnyServerTransaction>();
  private readonly merged = new Map<string, AnyServerTransaction>();
  private readonly live = new Map<AnyClientTransaction | AnyServerTransaction, DisposableStore>();

  private readonly _onDidReceiveRequest = this._register(new Emitter<IncomingRequestEvent>());
  /**
   * Fires for each new request that created a server transaction (RFC 3261 §17.2.1, §17.2.2:
   * the request MUST be passed to the TU). Not for retransmissions, ACK, CANCEL or merged
   * requests (answered 482 by the layer).
   */
  readonly onDidReceiveRequest: Event<IncomingRequestEvent> = this._onDidReceiveRequest.event;

  private readonly _onDidReceiveAck = this._register(new Emitter<IncomingAckEvent>());
  /** Fires for an ACK the TU must see: one that matched no transaction, or one in Accepted. */
  readonly onDidReceiveAck: Event<IncomingAckEvent> = this._onDidReceiveAck.event;

  private readonly _onDidReceiveCancel = this._register(new Emitter<IncomingCancelEvent>());
  /**
   * Fires when a CANCEL matched an INVITE server transaction that has sent no final response
   * yet (RFC 3261 §9.2); the layer already answered the CANCEL with 200. The TU SHOULD then
   * answer the INVITE with 487 (Request Terminated).
   */
  readonly onDidReceiveCancel: Event<IncomingCancelEvent> = this._onDidReceiveCancel.event;

  private readonly _onDidReceiveStrayResponse = this._register(new Emitter<StrayResponseEvent>());
  /**
   * Fires for a response that matched no client transaction (RFC 3261 §17.1.3), such as a
   * retransmitted 2xx after Timer M: the UA core must still ACK it (§13.2.2.4).
   */
  readonly onDidReceiveStrayResponse: Event<StrayResponseEvent> = this._onDidReceiveStrayResponse.event;

  private readonly _onDidTransportError = this._register(new Emitter<TransactionTransportErrorEvent>());
  /** Fires for every transport error of every transaction (each also fires its own event). */
  readonly onDidTransportError: Event<TransactionTransportErrorEvent> = this._onDidTransportError.event;

  private readonly _onDidTimeout = this._register(new Emitter<TransactionTimeoutEvent>());
  /** Fires for every timeout of every transaction (B, F, H, and the §9.1 CANCEL wait). */
  readonly onDidTimeout: Event<TransactionTimeoutEvent> = this._onDidTimeout.event;

  private readonly _onDidDropMessage = this._register(new Emitter<DroppedMessageEvent>());
  /** Fires for a message the layer could not use (mandatory headers missing or malformed). */
  readonly onDidDropMessage: Event<DroppedMessageEvent> = this._onDidDropMessage.event;

  constructor(options: TransactionLayerOptions) {
    super();
    const timers: TransactionTimers = { ...DEFAULT_TRANSACTION_TIMERS };
    for (const [k, v] of Object.entries(options.timers ?? {}) as [keyof TransactionTimers, number | undefined][]) {
      if (v === undefined) continue;
      if (!Number.isFinite(v) || v < 0) throw new SdkError(ErrorCode.InvalidArgument, `transaction timer ${k} must be a non-negative number of milliseconds, got ${v}`);
      timers[k] = v;
    }
    this.timers = Object.freeze(timers);
    this.log = (options.logger ?? nullLogger).child({ component: 'transaction' });
    this.viaSentBy = options.viaSentBy;
    this.ctx = { clock: options.clock, timers: this.timers, transport: options.transport, logger: this.log };
  }

  /** How many client transactions are alive. */
  get clientTransactionCount(): number {
    return this.clients.size;
  }

  /** How many server transactions are alive. */
  get serverTransactionCount(): number {
    return this.servers.size + this.legacyServers.size;
  }

  /**
   * Starts a client transaction for `request` and sends it to `destination`: an INVITE client
   * transaction for INVITE (RFC 3261 §17.1.1), a non-INVITE one otherwise (§17.1.2). When the
   * request has no Via, one is added (`viaSentBy` option, a new magic-cookie branch, `rport`);
   * a top Via without branch gets a new branch. The outcome is reported on the returned
   * transaction: `onDidReceiveResponse`, `onDidTimeout`, `onDidTransportError`, `finalResponse`.
   * @throws SdkError (InvalidArgument) for ACK (not a transaction; send it with
   *   {@link TransactionLayer.sendStateless}) or a request without Via when no `viaSentBy` is set.
   * @throws InvalidStateError when a client transaction with the same branch and method exists,
   *   or the layer is disposed.
   */
  sendRequest(request: SipRequest, destination: Destination): AnyClientTransaction {
    if (this.isDisposed) throw new InvalidStateError('the transaction layer is disposed');
    if (request.method === 'ACK') throw new SdkError(ErrorCode.InvalidArgument, 'ACK is not sent through a client transaction (RFC 3261 §17.1.1.3, §13.2.2.4): use sendStateless');
    this.ensureVia(request, destination);
    const branch = request.branch ?? '';
    const key = clientKey(branch, request.method);
    if (this.clients.has(key)) throw new InvalidStateError(`a client transaction ${request.method} ${branch} exists already`);
    const tx: AnyClientTransaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(this.ctx, request, destination, (cancel, dest) => this.sendRequest(cancel, dest))
        : new NonInviteClientTransaction(this.ctx, request, destination);
    this.clients.set(key, tx);
    const subs = this.adopt(tx, () => {
      if (this.clients.get(key) === tx) this.clients.delete(key);
    });
    tx.onDidTimeout((e) => this._onDidTimeout.fire({ error: e.error, transaction: tx }), undefined, subs);
    tx.start();
    return tx;
  }

  /**
   * Sends a message outside any transaction (the ACK for a 2xx, RFC 3261 §13.2.2.4, or its
   * retransmissions; a stateless response). Settles like the transport's `send`.
   */
  sendStateless(message: SipMessage, destination: Destination): Promise<void> {
    return this.ctx.transport.send(message, destination);
  }

  private ensureVia(request: SipRequest, destination: Destination): void {
    if (!request.headers.has('Via')) {
      if (!this.viaSentBy) throw new SdkError(ErrorCode.InvalidArgument, `${request.method} has no Via and the transaction layer has no viaSentBy option`);
      const sentBy = this.viaSentBy(destination);
      // RFC 3261 §8.1.1.7: the branch ID MUST be unique across space and time ... and MUST
      // always begin with the characters "z9hG4bK". RFC 3581 §3: a client MAY add rport.
      request.set(H.Via, [
        {
          protocol: 'SIP/2.0',
          transport: destination.protocol.toUpperCase(),
          host: sentBy.host,
          port: sentBy.port,
          params: new Map<string, string | null>([
            ['branch', newBranch()],
            ['rport', null],
          ]),
        },
      ]);
      return;
    }
    const vias = request.via;
    const top = vias[0];
    if (top && !top.params.get('branch')) {
      const params = new Map(top.params);
      params.set('branch', newBranch());
      request.set(H.Via, [{ ...top, params }, ...vias.slice(1)]);
    }
  }

  /** Registers a live transaction; `onEnd` runs when it terminates. Returns its subscriptions. */
  private adopt(tx: AnyClientTransaction | AnyServerTransaction, onEnd: () => void): DisposableStore {
    const subs = new DisposableStore();
    this._register(tx);
    this._register(subs);
    this.live.set(tx, subs);
    tx.onDidTransportError((e) => this._onDidTransportError.fire(e), undefined, subs);
    tx.onDidTerminate(
      () => {
        onEnd();
        this.live.delete(tx);
        this._store.deleteAndLeak(tx);
        this._store.delete(subs);
      },
      undefined,
      subs,
    );
    return subs;
  }

  /**
   * The single entry for incoming messages, parsed by the layer below with `received`/`rport`
   * already stamped on the top Via (RFC 3261 §18.2.1, RFC 3581 §4). Responses go to their client
   * transaction or {@link onDidReceiveStrayResponse}; requests go to their server transaction
   * (retransmissions, ACK for a non-2xx) or create one and fire {@link onDidReceiveRequest};
   * see also {@link onDidReceiveAck}, {@link onDidReceiveCancel}. A message whose mandatory
   * headers cannot be read fires {@link onDidDropMessage}. Never throws.
   */
  receive(message: SipMessage, source: Destination): void {
    if (this.isDisposed) return;
    try {
      if (message.isRequest) this.receiveRequest(message, source);
      else this.receiveResponse(message, source);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.warn('dropped an incoming message', { reason });
      this._onDidDropMessage.fire({ message, source, reason, error });
    }
  }

  private receiveResponse(response: SipResponse, source: Destination): void {
    const via = response.topVia;
    const branch = via.params.get('branch') ?? '';
    // RFC 3261 §17.1.3: A response matches a client transaction under two conditions: 1. If the
    // response has the same value of the branch parameter in the top Via header field as the
    // branch parameter in the top Via header field of the request that created the
    // transaction. 2. If the method parameter in the CSeq header field matches the method of
    // the request that created the transaction.
    const tx = this.clients.get(clientKey(branch, response.cseq.method));
    // RFC 3261 §18.1.2 / §17.1.3: the sent-by of the top Via must be the one we put there.
    if (tx && sentByKey(tx.request.topVia) === sentByKey(via)) {
      tx.receiveResponse(response);
      return;
    }
    this.log.debug('stray response', { status: response.status, branch });
    this._onDidReceiveStrayResponse.fire({ response, source });
  }

  private findServer(request: SipRequest, method: string, target: 'same' | 'ack' | 'cancel'): AnyServerTransaction | undefined {
    const via = request.topVia;
    const branch = via.params.get('branch');
    if (hasMagicCookie(branch)) {
      // RFC 3261 §17.2.3: the request matches a transaction if: 1. the branch parameter in the
      // request is equal to the one in the top Via header field of the request that created
      // the transaction, and 2. the sent-by value in the top Via of the request is equal to the
      // one in the request that created the transaction, and 3. the method of the request
      // matches the one that created the transaction, except for ACK, where the method of the
      // request that created the transaction is INVITE.
      return this.servers.get(serverKey(branch, via, method));
    }
    for (const tx of this.legacyServers) {
      if (tx.method !== method) continue;
      if (legacyMatches(tx.request, request, target, tx.toTag)) return tx;
    }
    return undefined;
  }

  private receiveRequest(request: SipRequest, source: Destination): void {
    const method = request.method;
    const existing = this.findServer(request, method === 'ACK' ? 'INVITE' : method, method === 'ACK' ? 'ack' : 'same');
    if (existing) {
      const disposition = existing.receiveRequest(request);
      if (disposition === 'to-tu' && existing.isInvite) this._onDidReceiveAck.fire({ request, source, transaction: existing });
      return;
    }
    if (method === 'ACK') {
      // RFC 3261 §17.2.3 / §13.3.1.4: an ACK matching no server transaction is the ACK for a
      // 2xx; the UA core (dialog) handles it.
      this._onDidReceiveAck.fire({ request, source });
      return;
    }
    if (method === 'CANCEL') {
      this.receiveCancel(request, source);
      return;
    }
    const merge = mergeKey(request);
    const key = merge === undefined ? undefined : ownString(merge);
    const twin = key !== undefined ? this.merged.get(key) : undefined;
    const tx = this.createServer(request, source, key);
    if (twin && !twin.isTerminated) {
      // RFC 3261 §8.2.2.2: If the request has no tag in the To header field, the UAS core MUST
      // check the request against ongoing transactions. If the From tag, Call-ID, and CSeq
      // exactly match those associated with an ongoing transaction, but the request does not
      // match that transaction (based on the matching rules in Section 17.2.3), the UAS core
      // SHOULD generate a 482 (Loop Detected) response and pass it to the server transaction.
      this.log.info('merged request answered 482', { method, branch: tx.branch });
      tx.respond(createResponse(request, 482, undefined, { toTag: randomToken() }));
      return;
    }
    this._onDidReceiveRequest.fire({ request, transaction: tx, source });
  }

  private createServer(request: SipRequest, source: Destination, mergeKeyValue?: string): AnyServerTransaction {
    const tx: AnyServerTransaction =
      request.method === 'INVITE' ? new InviteServerTransaction(this.ctx, request, source) : new NonInviteServerTransaction(this.ctx, request, source);
    const branch = request.topVia.params.get('branch');
    const legacy = !hasMagicCookie(branch);
    // A key of its own (not a concatenation of slices of the message text): it lives as long as the transaction.
    const key = legacy ? undefined : ownString(serverKey(branch, request.topVia, request.method));
    if (key !== undefined) this.servers.set(key, tx);
    else this.legacyServers.add(tx);
    if (mergeKeyValue !== undefined && !this.merged.has(mergeKeyValue)) this.merged.set(mergeKeyValue, tx);
    const subs = this.adopt(tx, () => {
      if (key !== undefined && this.servers.get(key) === tx) this.servers.delete(key);
      this.legacyServers.delete(tx);
      if (mergeKeyValue !== undefined && this.merged.get(mergeKeyValue) === tx) this.merged.delete(mergeKeyValue);
    });
    tx.onDidTimeout((e) => this._onDidTimeout.fire({ error: e.error, transaction: tx }), undefined, subs);
    if (tx instanceof InviteServerTransaction) tx.start();
    return tx;
  }

  private receiveCancel(cancel: SipRequest, source: Destination): void {
    // RFC 3261 §9.2: The CANCEL method requests that the TU at the server side cancel a pending
    // transaction. The TU determines the transaction to be cancelled by taking the CANCEL
    // request, and then assuming that the request method is anything but CANCEL or ACK and
    // applying the transaction matching procedures of Section 17.2.3.
    const tx = this.createServer(cancel, source);
    const target = this.findServer(cancel, 'INVITE', 'cancel') ?? this.findNonInviteTarget(cancel);
    if (!target) {
      // RFC 3261 §9.2: If the UAS did not find a matching transaction for the CANCEL according
      // to the procedure above, it SHOULD respond to the CANCEL with a 481
      // (Call Leg/Transaction Does Not Exist).
      tx.respond(createResponse(cancel, 481, undefined, { toTag: randomToken() }));
      return;
    }
    // RFC 3261 §9.2: The To tag of the response to the CANCEL and the To tag in the response to
    // the original request SHOULD be the same.
    const toTag = target.toTag ?? randomToken();
    target.adoptToTag(toTag);
    // RFC 3261 §9.2: Regardless of the method of the original request, as long as the CANCEL
    // matched an existing transaction, the UAS answers the CANCEL request itself with a 200 (OK)
    // response.
    tx.respond(createResponse(cancel, 200, undefined, { toTag }));
    // RFC 3261 §9.2: If the original request was an INVITE [and the UAS has not issued a final
    // response], the UAS SHOULD immediately respond to the INVITE with a 487 (Request
    // Terminated). ... the CANCEL has no effect on the processing of the original request
    // [otherwise]. (The TU sends the 487: it owns the INVITE's dialog state.)
    if (target instanceof InviteServerTransaction && target.state === InviteServerState.Proceeding) {
      this._onDidReceiveCancel.fire({ cancel, inviteTransaction: target, source });
    }
  }

  /** A CANCEL for a non-INVITE request: answered 200, with no effect (RFC 3261 §9.2). */
  private findNonInviteTarget(cancel: SipRequest): AnyServerTransaction | undefined {
    const via = cancel.topVia;
    const branch = via.params.get('branch');
    if (!hasMagicCookie(branch)) return undefined;
    for (const [key, tx] of this.servers) {
      if (!tx.isInvite && tx.method !== 'CANCEL' && key === serverKey(branch, via, tx.method)) return tx;
    }
    return undefined;
  }

  /** Terminates every transaction (firing their events), cancels every timer. Idempotent. */
  override dispose(): void {
    if (this.isDisposed) return;
    for (const tx of [...this.live.keys()]) tx.dispose();
    super.dispose();
  }
}


