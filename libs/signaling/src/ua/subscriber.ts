/**
 * Out-of-dialog subscriptions of the user agent (RFC 6665 §4.1): the SUBSCRIBE goes through the
 * stack (digest challenges answered, RFC 3261 §22.2; 423 answered with Min-Expires,
 * RFC 6665 §4.1.2.1), the dialog comes from the 2xx or from a NOTIFY that arrives first, NOTIFYs
 * are handed to the dialog-layer {@link Subscription} and answered, refreshes are sent before
 * expiry, and the subscription unsubscribes (Expires: 0) on `unsubscribe()` or dispose.
 */
import { Disposable, Emitter, MutableDisposable, DisposableStore, type Event, type Logger } from '@sip-endpoint/base';
import { H, createResponse, type NameAddr, type SipRequest, type SipResponse, type Uri } from '../message/index';
import { Subscription, SubscriptionState, type SubscriptionStateInfo, type SubscriptionTermination } from '../dialog/index';
import type { ServerTransaction } from '../transaction/index';
import type { RequestAuthenticator } from './auth-retry';
import { isSyntheticResponse, type SipStack } from './stack';

/** Options of {@link UserAgent.subscribe}. */
export interface UaSubscribeOptions {
  /** Requested duration in seconds (Expires of each SUBSCRIBE, RFC 6665 §4.1.2.1); default 3600. */
  readonly expires?: number;
  /** Body types we accept in NOTIFYs (the Accept header, RFC 6665 §4.1.2.1). */
  readonly accept?: string | readonly string[];
  /** A body for the initial SUBSCRIBE (e.g. a filter), with its type. */
  readonly body?: { readonly contentType: string; readonly content: string };
  /** Extra header lines on every SUBSCRIBE. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The refresh is sent at max(duration - margin, duration / 2); default 5000 ms. */
  readonly refreshMarginMs?: number;
  /** Timer N (RFC 6665 §6); default 64*T1. */
  readonly timerNMs?: number;
  /** The Event `id` parameter. */
  readonly id?: string;
}

/** What a {@link UaSubscription} needs from its user agent. */
export interface UaSubscriptionContext {
  readonly stack: SipStack;
  readonly logger: Logger;
  /** Our identity (From). */
  readonly localIdentity: NameAddr;
  /** Our Contact for `protocol`. */
  localContact(protocol: 'udp' | 'tcp' | 'tls'): NameAddr;
  readonly authenticator?: RequestAuthenticator | undefined;
  readonly outboundProxy?: Uri | undefined;
  /** Default transport when the target URI does not name one. */
  readonly transport?: 'udp' | 'tcp' | 'tls' | undefined;
  /** RFC 3261 T1 in ms (Timer N is 64*T1). */
  readonly t1Ms: number;
}

/** Payload of {@link UaSubscription.onDidReceiveNotify}. */
export interface UaNotifyEvent {
  readonly subscription: UaSubscription;
  readonly request: SipRequest;
  /** The body as text (UTF-8); empty when the NOTIFY had none. */
  readonly body: string;
  /** The Content-Type (`type/subtype`, lower-cased, without parameters), when there is a body. */
  readonly contentType: string | undefined;
  /** The Subscription-State of the NOTIFY (RFC 6665 §8.2.3). */
  readonly state: SubscriptionStateInfo;
}

/** Payload of {@link UaSubscription.onDidChangeState}. */
export interface UaSubscriptionStateChange {
  readonly subscription: UaSubscription;
  readonly previous: SubscriptionState;
  readonly state: SubscriptionState;
  /** Set when `state` is Terminated: why it ended and whether to re-subscribe. */
  readonly termination?: SubscriptionTermination;
}

const EDGES: Readonly<Record<SubscriptionState, readonly SubscriptionState[]>> = {
  [SubscriptionState.Init]: [SubscriptionState.NotifyWait, SubscriptionState.Terminated],
  [SubscriptionState.NotifyWait]: [SubscriptionState.Pending, SubscriptionState.Active, SubscriptionState.Terminated],
  [SubscriptionState.Pending]: [SubscriptionState.Active, SubscriptionState.Terminated],
  [SubscriptionState.Active]: [SubscriptionState.Pending, SubscriptionState.Terminated],
  [SubscriptionState.Terminated]: [],
};

/** How many times the initial SUBSCRIBE is re-sent (challenges, 423). */
const MAX_INITIAL_RETRIES = 3;

/**
 * One out-of-dialog subscription of a {@link UserAgent} (RFC 6665 subscriber). States follow
 * the dialog-layer {@link SubscriptionState}:
 *
 * ```
 *  Init --SUBSCRIBE sent--> NotifyWait --NOTIFY active--> Active <--> Pending
 *  NotifyWait / Pending / Active --failure response, Timer N, NOTIFY terminated, expiry,
 *                                  unsubscribe, dispose--> Terminated
 * ```
 * A 401/407 or 423 to the initial SUBSCRIBE is answered without leaving NotifyWait. Terminated
 * is reported by {@link UaSubscription.onDidChangeState} with a {@link SubscriptionTermination};
 * the subscription is disposed right after.
 */
export class UaSubscription extends Disposable {
  /** The event package (lower-cased). */
  readonly event: string;
  /** The resource subscribed to (Request-URI and To). */
  readonly target: Uri;

  private _state = SubscriptionState.Init;
  private _termination: SubscriptionTermination | undefined;
  private readonly inner = this._register(new MutableDisposable<Subscription>());
  private readonly innerListeners = this._register(new DisposableStore());
  private readonly protocol: 'udp' | 'tcp' | 'tls';
  private callId: string | undefined;
  private localTag: string | undefined;
  private lastCSeq = 0;
  private expires: number;
  private retries = 0;
  private unsubscribeRequested = false;
  private unsubscribeSent = false;
  private readonly logger: Logger;

  private readonly _onDidReceiveNotify = this._register(new Emitter<UaNotifyEvent>());
  /** Fires for every NOTIFY of this subscription that was accepted (answered 200), before the state change it causes. */
  readonly onDidReceiveNotify: Event<UaNotifyEvent> = this._onDidReceiveNotify.event;
  private readonly _onDidChangeState = this._register(new Emitter<UaSubscriptionStateChange>());
  /** Fires on every state change; Terminated carries the termination. */
  readonly onDidChangeState: Event<UaSubscriptionStateChange> = this._onDidChangeState.event;

  /** @internal created by {@link UserAgent.subscribe} */
  constructor(
    private readonly ctx: UaSubscriptionContext,
    target: Uri,
    event: string,
    private readonly options: UaSubscribeOptions = {},
  ) {
    super();
    this.target = target;
    this.event = event.toLowerCase();
    this.expires = options.expires ?? 3600;
    this.logger = ctx.logger.child({ component: 'ua-subscription', event: this.event });
    const t = target.kind === 'sip' ? (target.scheme === 'sips' ? 'tls' : target.params.get('transport')?.toLowerCase()) : undefined;
    this.protocol = t === 'udp' || t === 'tcp' || t === 'tls' ? t : (ctx.transport ?? 'udp');
  }

  /** The state now. */
  get state(): SubscriptionState {
    return this._state;
  }

  /** Why the subscription ended, once Terminated. */
  get termination(): SubscriptionTermination | undefined {
    return this._termination;
  }

  /** The dialog-layer subscription in use (replaced when the initial SUBSCRIBE is re-sent). */
  get subscription(): Subscription | undefined {
    return this.inner.value;
  }

  /** When the subscription expires unless refreshed (clock ms), once known. */
  get expiresAt(): number | undefined {
    return this.inner.value?.expiresAt;
  }

  /** @internal Sends the initial SUBSCRIBE. Outcomes are reported by events; never rejects. */
  start(): void {
    this.sendInitial(undefined);
  }

  /**
   * @internal Whether an incoming in-dialog request belongs to this subscription: same Call-ID,
   * and its To tag is our From tag (also before the 2xx created the dialog, RFC 6665 §4.1.2.4).
   */
  matchesRequest(request: SipRequest): boolean {
    return this.callId !== undefined && request.callId === this.callId && request.to.params.get('tag') === this.localTag;
  }

  /** @internal Answers a request routed here by the user agent (a NOTIFY, RFC 6665 §4.1.3). */
  handleRequest(request: SipRequest, tx: ServerTransaction): void {
    if (request.method !== 'NOTIFY') {
      const res = createResponse(request, 405, 'Method Not Allowed');
      res.setHeader('Allow', 'NOTIFY');
      tx.respond(res);
      return;
    }
    const inner = this.inner.value;
    if (!inner) {
      tx.respond(createResponse(request, 481, 'Subscription Does Not Exist'));
      return;
    }
    const verdict = inner.receiveNotify(request);
    tx.respond(createResponse(request, verdict.status, verdict.reason));
    if (verdict.status < 300) this.maybeSendUnsubscribe();
  }

  /**
   * Ends the subscription (RFC 6665 §4.1.2.3: SUBSCRIBE with Expires: 0). Resolves once it is
   * Terminated: on the final NOTIFY, a failure response, or Timer N after the 2xx. Before the
   * dialog exists, the unsubscribe is sent as soon as the 2xx or first NOTIFY arrives.
   */
  async unsubscribe(): Promise<void> {
    if (this._state === SubscriptionState.Terminated) return;
    const done = new Promise<void>((resolve) => {
      const sub = this.onDidChangeState((e) => {
        if (e.state !== SubscriptionState.Terminated) return;
        sub.dispose();
        resolve();
      });
    });
    this.unsubscribeRequested = true;
    if (this._state === SubscriptionState.Init) this.terminateLocally({ cause: 'unsubscribed', retry: 'never' });
    else this.maybeSendUnsubscribe();
    await done;
  }

  /** Unsubscribes without waiting (best effort) when the subscription is live, then ends it locally (cause `disposed`). */
  override dispose(): void {
    if (this.isDisposed) return;
    const inner = this.inner.value;
    if (inner && !this.unsubscribeSent && (inner.state === SubscriptionState.Active || inner.state === SubscriptionState.Pending) && inner.dialog) {
      try {
        const req = inner.createUnsubscribe();
        this.unsubscribeSent = true;
        this.ctx.stack.sendRequest(this.withCachedCredentials(req)).final.catch(() => undefined);
      } catch (e) {
        this.logger.debug('no unsubscribe on dispose', { error: String(e) });
      }
    }
    if (this._state !== SubscriptionState.Terminated) this.terminateLocally({ cause: 'disposed', retry: 'never' });
    super.dispose();
  }

  // ---------------------------------------------------------------- internals

  /** Builds a dialog-layer subscription and sends its initial SUBSCRIBE (again, for a retry after `challenge`). */
  private sendInitial(challenge: SipResponse | undefined): void {
    this.innerListeners.clear();
    const previousSeq = this.lastCSeq;
    const retry = challenge !== undefined || this.callId !== undefined;
    const inner = new Subscription({
      event: this.event,
      id: this.options.id,
      clock: this.ctx.stack.clock,
      localContact: this.ctx.localContact(this.protocol),
      target: {
        from: this.localTag ? { ...this.ctx.localIdentity, params: new Map([['tag', this.localTag]]) } : { ...this.ctx.localIdentity, params: new Map() },
        to: { uri: this.target, params: new Map() },
        ...(this.callId ? { callId: this.callId } : {}),
        // RFC 3261 §8.1.3.5: a retried request keeps Call-ID, To and From; its CSeq is one higher.
        ...(retry ? { cseq: previousSeq + 1 } : {}),
      },
      expires: this.expires,
      t1Ms: this.ctx.t1Ms,
      ...(this.options.timerNMs !== undefined ? { timerNMs: this.options.timerNMs } : {}),
      ...(this.options.refreshMarginMs !== undefined ? { refreshMarginMs: this.options.refreshMarginMs } : {}),
      headers: this.extraHeaders(),
      logger: this.ctx.logger,
    });
    this.inner.value = inner;
    this.innerListeners.add(inner.onDidChangeState((e) => this.onInnerState(inner, e.state, e.termination)));
    this.innerListeners.add(
      inner.onDidReceiveNotify((e) => {
        const ct = e.request.get(H.ContentType);
        this._onDidReceiveNotify.fire({
          subscription: this,
          request: e.request,
          body: e.body.toString('utf8'),
          contentType: e.body.length && ct ? `${ct.type}/${ct.subtype}` : undefined,
          state: e.state,
        });
      }),
    );
    this.innerListeners.add(inner.onDidRequireRefresh((e) => this.sendInDialog(inner, e.request)));
    const req = inner.createSubscribe();
    if (this.options.body) {
      req.body = Buffer.from(this.options.body.content, 'utf8');
      req.setHeader('Content-Type', this.options.body.contentType);
    }
    if (challenge && this.ctx.authenticator) {
      // RFC 3261 §22.2: the retried request carries the credentials for the challenge.
      if (!this.ctx.authenticator.answerChallenge(req, challenge).ok) {
        this.finishWith(inner, challenge);
        return;
      }
    }
    this.callId = req.callId;
    this.localTag = req.from.params.get('tag') ?? undefined;
    this.lastCSeq = req.cseq.seq;
    this.ctx.stack
      .sendRequest(req, {}, { outboundProxy: this.ctx.outboundProxy })
      .final.then((res) => this.onInitialResponse(inner, res))
      .catch((e: unknown) => {
        this.logger.warn('SUBSCRIBE failed', { error: String(e) });
        if (this.inner.value === inner && inner.state !== SubscriptionState.Terminated) inner.noteRequestTimeout();
      });
  }

  private onInitialResponse(inner: Subscription, res: SipResponse): void {
    if (this.inner.value !== inner || inner.state === SubscriptionState.Terminated) return;
    const canRetry = this.retries < MAX_INITIAL_RETRIES && !this.unsubscribeRequested && !isSyntheticResponse(res);
    if ((res.status === 401 || res.status === 407) && this.ctx.authenticator && canRetry) {
      this.retries++;
      this.sendInitial(res);
      return;
    }
    if (res.status === 423 && canRetry) {
      // RFC 6665 §4.1.2.1 / RFC 3261 §10.2.8: retry with an Expires of at least Min-Expires.
      let min: number | undefined;
      try {
        min = res.get(H.MinExpires);
      } catch {
        min = undefined;
      }
      if (min !== undefined && min > this.expires) {
        this.retries++;
        this.expires = min;
        this.sendInitial(undefined);
        return;
      }
    }
    this.finishWith(inner, res);
    this.maybeSendUnsubscribe();
  }

  private finishWith(inner: Subscription, res: SipResponse): void {
    if (inner.state === SubscriptionState.Terminated) return;
    // A locally made 408 is "no response" (RFC 6665 §4.1.2.2 applies the same rules).
    if (isSyntheticResponse(res) && res.status === 408) inner.noteRequestTimeout();
    else inner.receiveResponse(res);
  }

  /** Sends a refresh or unsubscribe built by the dialog-layer subscription, in its dialog. */
  private sendInDialog(inner: Subscription, req: SipRequest): void {
    // DEVIATION(RFC 3261 §22.2): a challenge to an in-dialog SUBSCRIBE is not retried (the dialog-layer
    // Subscription owns the CSeq); the credentials of the initial challenge are sent preemptively
    // (§22.3) instead, and a failed refresh leaves the subscription valid until it expires (RFC 6665 §4.1.2.2).
    this.ctx.stack
      .sendRequest(this.withCachedCredentials(req))
      .final.then((res) => {
        this.finishWith(inner, res);
      })
      .catch((e: unknown) => {
        this.logger.warn('in-dialog SUBSCRIBE failed', { error: String(e) });
        if (inner.state !== SubscriptionState.Terminated) inner.noteRequestTimeout();
      });
  }

  private withCachedCredentials(req: SipRequest): SipRequest {
    const auth = this.ctx.authenticator;
    if (auth?.authorizeFromCache && auth.applyTo) {
      const cached = auth.authorizeFromCache(req);
      if (cached.authorization.length || cached.proxyAuthorization.length) auth.applyTo(req, cached);
    }
    return req;
  }

  private maybeSendUnsubscribe(): void {
    if (!this.unsubscribeRequested || this.unsubscribeSent) return;
    const inner = this.inner.value;
    if (!inner || inner.state === SubscriptionState.Terminated || !inner.dialog) return;
    this.unsubscribeSent = true;
    let req: SipRequest;
    try {
      req = inner.createUnsubscribe();
    } catch (e) {
      this.logger.debug('cannot unsubscribe', { error: String(e) });
      this.terminateLocally({ cause: 'unsubscribed', retry: 'never' });
      return;
    }
    this.sendInDialog(inner, req);
  }

  private onInnerState(inner: Subscription, state: SubscriptionState, termination: SubscriptionTermination | undefined): void {
    if (this.inner.value !== inner) return;
    if (state === SubscriptionState.Terminated) {
      this._termination = termination;
      this.transition(SubscriptionState.Terminated);
      return;
    }
    if (state === SubscriptionState.Init) return;
    this.transition(state);
    // The dialog exists now (2xx or NOTIFY): an unsubscribe asked for before can go.
    this.maybeSendUnsubscribe();
  }

  private terminateLocally(termination: SubscriptionTermination): void {
    if (this._state === SubscriptionState.Terminated) return;
    this._termination = termination;
    this.innerListeners.clear();
    this.inner.clear();
    this.transition(SubscriptionState.Terminated);
  }

  private extraHeaders(): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers };
    const accept = this.options.accept;
    if (accept !== undefined) headers['Accept'] = typeof accept === 'string' ? accept : accept.join(', ');
    return headers;
  }

  private transition(to: SubscriptionState): void {
    const from = this._state;
    if (from === to) return;
    if (!EDGES[from].includes(to)) {
      this.logger.warn('subscription: illegal transition ignored', { from, to });
      return;
    }
    this._state = to;
    this.logger.debug('subscription state', { from, to, cause: this._termination?.cause });
    this._onDidChangeState.fire({ subscription: this, previous: from, state: to, ...(to === SubscriptionState.Terminated && this._termination ? { termination: this._termination } : {}) });
    if (to === SubscriptionState.Terminated) queueMicrotask(() => this.dispose());
  }
}
