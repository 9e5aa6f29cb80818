/**
 * The subscriber side of RFC 6665 subscriptions (and of RFC 3515 REFER implicit subscriptions),
 * built on {@link Dialog}. Transport-agnostic: it builds SUBSCRIBE requests and consumes
 * responses and NOTIFYs; the UA sends through transactions.
 */
import {
  Disposable,
  Emitter,
  ErrorCode,
  InvalidStateError,
  MutableDisposable,
  SdkError,
  nullLogger,
  type Clock,
  type Event,
  type Logger,
  type TimerHandle,
} from '@sip-endpoint/base';
import { H, SipRequest, randomToken, type EventValue, type HeaderCodec, type NameAddr, type SipMessage, type SipResponse, type Uri } from '../message/index';
import { Dialog, DialogState } from './dialog';
import { REFER_EVENT, parseSipfragStatus, referEventId, referSubscriptionRequested, type SipfragStatus } from './sipfrag';
import { applyExtraHeaders, cloneNameAddr, tagOf, toRequestUri, withTag, type ExtraHeaders } from './util';

/**
 * Subscriber states (RFC 6665 §4.1.2):
 *
 * ```
 *  Init --send SUBSCRIBE--> NotifyWait --NOTIFY active--> Active
 *                               |       --NOTIFY pending-> Pending --NOTIFY active--> Active
 *                               |                             |                        |
 *    Timer N, failure response, NOTIFY terminated, expiry, 481, unsubscribe ----------> Terminated
 * ```
 * Terminated is final and disposes the subscription.
 */
export enum SubscriptionState {
  Init = 'init',
  NotifyWait = 'notify_wait',
  Pending = 'pending',
  Active = 'active',
  Terminated = 'terminated',
}

const SUBSCRIPTION_EDGES: Readonly<Record<SubscriptionState, readonly SubscriptionState[]>> = {
  [SubscriptionState.Init]: [SubscriptionState.NotifyWait, SubscriptionState.Terminated],
  [SubscriptionState.NotifyWait]: [SubscriptionState.Pending, SubscriptionState.Active, SubscriptionState.Terminated],
  [SubscriptionState.Pending]: [SubscriptionState.Active, SubscriptionState.Terminated],
  // A notifier may take authorization back (active -> pending); RFC 6665's diagram omits it.
  [SubscriptionState.Active]: [SubscriptionState.Pending, SubscriptionState.Terminated],
  [SubscriptionState.Terminated]: [],
};

/**
 * What the subscriber may do after a termination. `immediately`: re-subscribe now is allowed;
 * `later`: wait (`retryAfterMs` when the peer said how long); `never`: do not re-subscribe.
 */
export type SubscriptionRetry = 'immediately' | 'later' | 'never';

/** Why and how a subscription ended. */
export interface SubscriptionTermination {
  /**
   * `notify` (Subscription-State: terminated), `response` (a failure response to a SUBSCRIBE),
   * `timer-n` (no NOTIFY in time), `expired` (not refreshed in time), `unsubscribed` (we ended
   * it), `dialog` (the dialog ended), `timeout` (no response to a SUBSCRIBE), `disposed`.
   */
  readonly cause: 'notify' | 'response' | 'timer-n' | 'expired' | 'unsubscribed' | 'dialog' | 'timeout' | 'disposed';
  /** The Subscription-State `reason` (RFC 6665 §4.1.3), when a NOTIFY gave one; `timeout` on expiry. */
  readonly reason?: string;
  /** The status of the failure response, for cause `response`. */
  readonly status?: number;
  /** Min-Expires of a 423 response (retry with at least this Expires). */
  readonly minExpires?: number;
  readonly retry: SubscriptionRetry;
  /** How long to wait before re-subscribing, when known. */
  readonly retryAfterMs?: number;
}

/** The Subscription-State of a NOTIFY, interpreted (RFC 6665 §8.2.3). */
export interface SubscriptionStateInfo {
  /** `active`, `pending`, `terminated`, or an extension value (lower-cased). */
  readonly state: string;
  readonly expires?: number;
  readonly reason?: string;
  readonly retryAfter?: number;
}

/** Payload of {@link Subscription.onDidReceiveNotify}. */
export interface SubscriptionNotifyEvent {
  readonly subscription: Subscription;
  readonly request: SipRequest;
  readonly body: Buffer;
  readonly state: SubscriptionStateInfo;
  /** For `message/sipfrag` bodies (REFER progress): the status line. */
  readonly sipfrag?: SipfragStatus;
}

/** Payload of {@link Subscription.onDidChangeState}. */
export interface SubscriptionStateChange {
  readonly subscription: Subscription;
  readonly previous: SubscriptionState;
  readonly state: SubscriptionState;
  /** Set when `state` is Terminated. */
  readonly termination?: SubscriptionTermination;
}

/** Payload of {@link Subscription.onDidRequireRefresh}. */
export interface SubscriptionRefreshEvent {
  readonly subscription: Subscription;
  /** The refresh SUBSCRIBE, built in the dialog: send it and hand its response back. */
  readonly request: SipRequest;
}

/** The response the UA must send for a NOTIFY handed to {@link Subscription.receiveNotify}. */
export interface NotifyVerdict {
  readonly status: number;
  readonly reason: string;
}

/** Where an out-of-dialog SUBSCRIBE goes. */
export interface SubscriptionTarget {
  /** Request-URI; defaults to the To URI. */
  readonly requestUri?: Uri;
  /** Our address; a tag is generated unless it has one. */
  readonly from: NameAddr;
  /** The resource's address. */
  readonly to: NameAddr;
  /** Call-ID; generated when absent. */
  readonly callId?: string;
  /**
   * CSeq of the initial SUBSCRIBE (default: random below 10^6). A retry after 401/407/423
   * passes the previous CSeq + 1 (RFC 3261 §8.1.3.5, §22.2).
   */
  readonly cseq?: number | undefined;
  /** A pre-loaded route set (outbound proxy with `;lr`), written as Route. */
  readonly route?: readonly NameAddr[];
}

/** Options of a {@link Subscription}. */
export interface SubscriptionOptions {
  /** The event package (`presence`, `message-summary`, `dialog`, ...). */
  readonly event: string;
  /** The Event `id` parameter, when several subscriptions share a dialog. */
  readonly id?: string;
  /** Time source for Timer N, refresh and expiry. */
  readonly clock: Clock;
  /** Our Contact. */
  readonly localContact: NameAddr;
  /** Out-of-dialog subscription: where the SUBSCRIBE goes. Exclusive with `dialog`. */
  readonly target?: SubscriptionTarget;
  /** Subscription inside an existing dialog (not owned). Exclusive with `target`. */
  readonly dialog?: Dialog;
  /** Requested duration in seconds (the Expires of SUBSCRIBEs); default 3600. */
  readonly expires?: number;
  /** RFC 3261 T1 in ms (default 500); Timer N is 64*T1 (RFC 6665 §6). */
  readonly t1Ms?: number;
  /** Timer N in ms; overrides 64*T1. */
  readonly timerNMs?: number;
  /**
   * Refresh rule: the refresh SUBSCRIBE is due at max(duration - refreshMarginMs, duration / 2)
   * after the duration was last set (2xx Expires or NOTIFY expires). Default 5000 ms.
   */
  readonly refreshMarginMs?: number;
  /** Whether refreshes are requested through {@link Subscription.onDidRequireRefresh}; default true. */
  readonly autoRefresh?: boolean;
  /** Extra header lines on every SUBSCRIBE (Accept, ...). */
  readonly headers?: ExtraHeaders;
  readonly logger?: Logger;
  /** Randomness in [0, 1) for tags, Call-ID, CSeq; defaults to `Math.random`. */
  readonly random?: () => number;
}

/**
 * RFC 6665 §4.1.2.2: If a SUBSCRIBE request to refresh a subscription receives a 404, 405, 410,
 * 416, 480-485, 489, 501, or 604 response, the subscriber MUST consider the subscription terminated.
 */
const TERMINAL_REFRESH_STATUS = new Set([404, 405, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604]);

type Pending = { kind: 'initial' | 'refresh' | 'unsubscribe'; seq: number };

function safeGet<T>(msg: SipMessage, codec: HeaderCodec<T>): T | undefined {
  try {
    return msg.get(codec);
  } catch {
    return undefined;
  }
}

function numberParam(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The retry advice for a `terminated` NOTIFY (RFC 6665 §4.1.3). */
function retryForReason(reason: string | undefined, retryAfter: number | undefined): { retry: SubscriptionRetry; retryAfterMs?: number } {
  const later = retryAfter !== undefined ? { retry: 'later' as const, retryAfterMs: retryAfter * 1000 } : undefined;
  switch (reason) {
    case 'deactivated': // RFC 6665 §4.1.3: the subscriber SHOULD retry immediately with a new subscription.
    case 'timeout': // RFC 6665 §4.1.3: Clients MAY re-subscribe immediately.
      return { retry: 'immediately' };
    case 'probation': // RFC 6665 §4.1.3: the client SHOULD retry at some later time (after retry-after, if present).
      return later ?? { retry: 'later' };
    case 'giveup': // RFC 6665 §4.1.3: wait retry-after if present; otherwise the client MAY retry immediately.
      return later ?? { retry: 'immediately' };
    case 'rejected': // RFC 6665 §4.1.3: Clients SHOULD NOT attempt to re-subscribe.
    case 'noresource':
    case 'invariant':
      return { retry: 'never' };
    default: // RFC 6665 §4.1.3: no or unknown reason: the client MAY re-subscribe at any time (unless retry-after).
      return later ?? { retry: 'immediately' };
  }
}

/**
 * One subscription, subscriber side (RFC 6665 §4.1). Build the first request with
 * {@link Subscription.createSubscribe} (or take a sent REFER with {@link Subscription.forRefer});
 * hand every response to its SUBSCRIBEs to {@link Subscription.receiveResponse} and every NOTIFY
 * to {@link Subscription.receiveNotify} (the subscription passes them on to its dialog: do not
 * hand them to the dialog as well). Timer N (64*T1) runs from the 2xx until the first NOTIFY;
 * refreshes are requested through {@link Subscription.onDidRequireRefresh}; the end is reported
 * by {@link Subscription.onDidChangeState} with a {@link SubscriptionTermination}, after which the
 * subscription is disposed (and the dialog with it, when the subscription created it).
 */
export class Subscription extends Disposable {
  /** The event package. */
  readonly event: string;
  /** The Event `id`, if any. */
  readonly id: string | undefined;

  private _state = SubscriptionState.Init;
  private _dialog: Dialog | undefined;
  private readonly ownsDialog: boolean;
  private initialRequest: SipRequest | undefined;
  private pending: Pending | undefined;
  private gotNotify = false;
  private unsubscribing = false;
  private _expiresAt: number | undefined;
  private _termination: SubscriptionTermination | undefined;
  private readonly requestedExpires: number;
  private readonly timerNMs: number;
  private readonly refreshMarginMs: number;
  private readonly autoRefresh: boolean;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly options: SubscriptionOptions;

  private readonly timerN = this._register(new MutableDisposable<TimerHandle>());
  private readonly refreshTimer = this._register(new MutableDisposable<TimerHandle>());
  private readonly expiryTimer = this._register(new MutableDisposable<TimerHandle>());

  private readonly _onDidChangeState = this._register(new Emitter<SubscriptionStateChange>());
  /** Fires on every state change; the Terminated change carries the termination. */
  readonly onDidChangeState: Event<SubscriptionStateChange> = this._onDidChangeState.event;
  private readonly _onDidReceiveNotify = this._register(new Emitter<SubscriptionNotifyEvent>());
  /** Fires for every NOTIFY accepted by {@link Subscription.receiveNotify}, before any state change it causes. */
  readonly onDidReceiveNotify: Event<SubscriptionNotifyEvent> = this._onDidReceiveNotify.event;
  private readonly _onDidRequireRefresh = this._register(new Emitter<SubscriptionRefreshEvent>());
  /** Fires when a refresh is due, with the refresh SUBSCRIBE to send. */
  readonly onDidRequireRefresh: Event<SubscriptionRefreshEvent> = this._onDidRequireRefresh.event;

  /**
   * @throws SdkError(INVALID_ARGUMENT) unless exactly one of `target` and `dialog` is given
   */
  constructor(options: SubscriptionOptions) {
    super();
    if ((options.target === undefined) === (options.dialog === undefined)) {
      throw new SdkError(ErrorCode.InvalidArgument, 'a subscription needs either a target (new dialog) or a dialog (existing dialog)');
    }
    this.options = options;
    this.event = options.event.toLowerCase();
    this.id = options.id;
    this.clock = options.clock;
    this.logger = (options.logger ?? nullLogger).child({ component: 'subscription', event: this.event });
    this.random = options.random ?? Math.random;
    this.requestedExpires = options.expires ?? 3600;
    this.timerNMs = options.timerNMs ?? 64 * (options.t1Ms ?? 500);
    this.refreshMarginMs = options.refreshMarginMs ?? 5000;
    this.autoRefresh = options.autoRefresh ?? true;
    this.ownsDialog = options.dialog === undefined;
    if (options.dialog) this.adoptDialog(options.dialog);
  }

  /**
   * The subscriber side of the implicit subscription a REFER creates (RFC 3515 §2.4.4), from the
   * REFER as sent (built by the UA, in a dialog with `dialog.createRequest('REFER')` or out of
   * one). Event `refer`, `id` = the REFER's CSeq number; state NotifyWait. Hand the REFER's
   * responses to {@link Subscription.receiveResponse}. Refreshes are off unless `autoRefresh`.
   * @returns `undefined` when the REFER carries `Refer-Sub: false` (RFC 4488: no subscription)
   */
  static forRefer(refer: SipRequest, options: Omit<SubscriptionOptions, 'event' | 'id' | 'target'> & { target?: SubscriptionTarget }): Subscription | undefined {
    if (refer.method !== 'REFER') throw new SdkError(ErrorCode.InvalidArgument, `not a REFER: ${refer.method}`);
    if (!referSubscriptionRequested(refer)) return undefined;
    const target: SubscriptionTarget | undefined = options.dialog ? undefined : (options.target ?? { from: refer.from, to: refer.to, callId: refer.callId });
    const sub = new Subscription({ ...options, target, event: REFER_EVENT, id: referEventId(refer), autoRefresh: options.autoRefresh ?? false });
    sub.initialRequest = refer;
    sub.pending = { kind: 'initial', seq: refer.cseq.seq };
    sub.transition(SubscriptionState.NotifyWait);
    return sub;
  }

  /** The current state. */
  get state(): SubscriptionState {
    return this._state;
  }

  /** The dialog, once one exists (from the 2xx, or from a NOTIFY that came first). */
  get dialog(): Dialog | undefined {
    return this._dialog;
  }

  /** When the subscription expires unless refreshed (clock time, ms), once known. */
  get expiresAt(): number | undefined {
    return this._expiresAt;
  }

  /** Why the subscription ended, once Terminated. */
  get termination(): SubscriptionTermination | undefined {
    return this._termination;
  }

  /**
   * Builds the initial SUBSCRIBE (Event, Expires, Contact; out of dialog: new From tag and
   * Call-ID; in a dialog: through the dialog) and moves Init -> NotifyWait.
   * @throws InvalidStateError unless in Init
   */
  createSubscribe(): SipRequest {
    if (this._state !== SubscriptionState.Init) throw new InvalidStateError('the initial SUBSCRIBE was already sent', this._state);
    const req = this._dialog ? this._dialog.createRequest('SUBSCRIBE', { headers: this.options.headers }) : this.buildOutOfDialogSubscribe();
    this.decorate(req, this.requestedExpires);
    this.initialRequest = req;
    this.pending = { kind: 'initial', seq: req.cseq.seq };
    this.transition(SubscriptionState.NotifyWait);
    return req;
  }

  /**
   * Builds a refresh SUBSCRIBE in the dialog (RFC 6665 §4.1.2.2).
   * @param expires the requested duration; defaults to the one in the options
   * @throws InvalidStateError when there is no dialog yet or the subscription ended
   */
  createRefresh(expires: number = this.requestedExpires): SipRequest {
    const req = this.buildInDialog(expires);
    this.pending = { kind: 'refresh', seq: req.cseq.seq };
    return req;
  }

  /**
   * Builds the unsubscribe: a SUBSCRIBE with Expires: 0 (RFC 6665 §4.1.2.3). The subscription
   * ends on the final NOTIFY, on a failure response, or Timer N after the 2xx.
   */
  createUnsubscribe(): SipRequest {
    const req = this.buildInDialog(0);
    this.pending = { kind: 'unsubscribe', seq: req.cseq.seq };
    this.unsubscribing = true;
    this.refreshTimer.clear();
    return req;
  }

  /**
   * Processes a response to our SUBSCRIBE (or REFER). 2xx to the initial request creates the
   * dialog (if a NOTIFY did not), takes the Expires and starts Timer N; a failure ends the
   * subscription (for refreshes only the §4.1.2.2 codes do; others leave it valid until it
   * expires). Outcomes are reported through {@link Subscription.onDidChangeState}.
   */
  receiveResponse(response: SipResponse): void {
    if (this._state === SubscriptionState.Terminated) return;
    const p = this.pending;
    const status = response.status;
    if (!p || response.cseq.seq !== p.seq) {
      // Not for our outstanding request: still a response in the dialog.
      if (this._dialog?.matchesResponse(response)) this._dialog.receiveResponse(response);
      return;
    }
    if (status < 200) return;
    this.pending = undefined;
    const ok = status < 300;
    if (p.kind === 'initial') {
      if (ok) {
        const initial = this.initialRequest;
        if (!this._dialog && initial) this.adoptDialog(Dialog.createUac(initial, response, { localContact: this.options.localContact, logger: this.options.logger, random: this.random }));
        else if (this._dialog?.matchesResponse(response)) this._dialog.receiveResponse(response);
        // DEVIATION(RFC 6665 §4.1.2.4): a 2xx from another fork than the one whose NOTIFY created the
        // dialog is not turned into a second subscription; only one subscription per request.
        if (this.isTerminated) return;
        this.applyResponseExpires(response);
        // RFC 6665 §4.1.2.4 / §6 (Timer N = 64*T1): after the 2xx the subscriber waits Timer N for
        // the NOTIFY; if none arrives it considers the subscription failed.
        if (!this.gotNotify) this.timerN.value = this.clock.setTimeout(() => this.onTimerN(), this.timerNMs);
        return;
      }
      if (this._dialog?.matchesResponse(response)) this._dialog.receiveResponse(response);
      this.terminate(this.responseFailure(response));
      return;
    }
    if (this._dialog?.matchesResponse(response)) this._dialog.receiveResponse(response);
    if (this.isTerminated) return;
    if (p.kind === 'refresh') {
      if (ok) {
        this.applyResponseExpires(response);
        return;
      }
      if (TERMINAL_REFRESH_STATUS.has(status)) this.terminate(this.responseFailure(response));
      // RFC 6665 §4.1.2.2: If a SUBSCRIBE request to refresh a subscription fails with any error
      // code other than those listed above, the original subscription is still considered valid
      // for the duration of the most recently known "Expires" value.
      return;
    }
    // Unsubscribe: RFC 6665 §4.1.2.3: a successful unsubscription will also trigger a final NOTIFY.
    if (ok && !this.isTerminated) this.timerN.value = this.clock.setTimeout(() => this.onTimerN(), this.timerNMs);
    else this.terminate({ cause: 'unsubscribed', status, retry: 'never' });
  }

  /**
   * Tells the subscription that its outstanding SUBSCRIBE (or REFER) got no response. The initial
   * request ends the subscription (cause `timeout`); a refresh leaves it valid until it expires
   * (RFC 6665 §4.1.2.2); an unsubscribe ends it.
   */
  noteRequestTimeout(): void {
    const p = this.pending;
    if (!p || this.isTerminated) return;
    this.pending = undefined;
    if (p.kind === 'refresh') return;
    this.terminate({ cause: p.kind === 'initial' ? 'timeout' : 'unsubscribed', retry: p.kind === 'initial' ? 'later' : 'never' });
  }

  /**
   * Processes a NOTIFY (RFC 6665 §4.1.3) and returns the response to send: 200, or 481 (no
   * such subscription / dialog), 400 (no Event or Subscription-State), 500 (CSeq out of order).
   * A NOTIFY arriving before the 2xx creates the dialog (§4.1.2.4). Accepted NOTIFYs fire
   * {@link Subscription.onDidReceiveNotify}, then the state follows Subscription-State:
   * active / pending (with `expires` rescheduling refresh and expiry), terminated (with the
   * retry advice of its `reason`).
   */
  receiveNotify(request: SipRequest): NotifyVerdict {
    if (this._state === SubscriptionState.Terminated || this._state === SubscriptionState.Init || !this.initialRequest) {
      return { status: 481, reason: 'Subscription Does Not Exist' };
    }
    const ev = safeGet(request, H.Event);
    if (!ev) return { status: 400, reason: 'Missing Event' };
    if (!this.matchesEvent(ev)) return { status: 481, reason: 'Subscription Does Not Exist' };
    const ss = safeGet(request, H.SubscriptionState);
    if (!ss) return { status: 400, reason: 'Missing Subscription-State' };
    if (!this._dialog) {
      const initial = this.initialRequest;
      if (request.callId !== initial.callId || tagOf(request.to) !== tagOf(initial.from)) return { status: 481, reason: 'Subscription Does Not Exist' };
      // RFC 6665 §4.1.2.4: a NOTIFY may arrive before the 2xx to the SUBSCRIBE; it creates the dialog.
      this.adoptDialog(Dialog.createFromNotify(initial, request, { localContact: this.options.localContact, logger: this.options.logger, random: this.random }));
    } else {
      // DEVIATION(RFC 6665 §4.1.2.4): NOTIFYs from other forks (another From tag) are refused with
      // 481 instead of creating parallel subscriptions.
      if (!this._dialog.matchesRequest(request)) return { status: 481, reason: 'Subscription Does Not Exist' };
      const rejection = this._dialog.receiveRequest(request);
      if (rejection) return { status: rejection.status, reason: rejection.reason };
    }
    this.gotNotify = true;
    if (!this.unsubscribing) this.timerN.clear();
    const info: SubscriptionStateInfo = {
      state: ss.state.toLowerCase(),
      expires: numberParam(ss.params.get('expires')),
      reason: ss.params.get('reason')?.toLowerCase() ?? undefined,
      retryAfter: numberParam(ss.params.get('retry-after')),
    };
    const ct = safeGet(request, H.ContentType);
    const sipfrag = ct && ct.type === 'message' && ct.subtype === 'sipfrag' ? parseSipfragStatus(request.body) : undefined;
    this._onDidReceiveNotify.fire({ subscription: this, request, body: request.body, state: info, ...(sipfrag ? { sipfrag } : {}) });
    if (this.isTerminated) return { status: 200, reason: 'OK' };
    if (info.state === 'terminated') {
      const advice = retryForReason(info.reason, info.retryAfter);
      this.terminate({ cause: this.unsubscribing ? 'unsubscribed' : 'notify', reason: info.reason, ...advice });
      return { status: 200, reason: 'OK' };
    }
    if (this.unsubscribing) return { status: 200, reason: 'OK' };
    if (info.expires !== undefined) {
      // RFC 6665 §4.1.2.3 / §8.2.3: the "expires" parameter of an active or pending NOTIFY gives the
      // remaining duration; the subscriber adjusts its refresh to it.
      this.schedule(info.expires);
    }
    // DEVIATION(RFC 6665 §4.1.3): an unknown Subscription-State value is handled as "pending"
    // (the subscription exists but no authorization is known).
    const next = info.state === 'active' ? SubscriptionState.Active : SubscriptionState.Pending;
    if (next !== this._state) this.transition(next);
    return { status: 200, reason: 'OK' };
  }

  /** Ends the subscription locally without signaling (cause `disposed`), then disposes it. */
  override dispose(): void {
    if (this.isDisposed) return;
    if (this._state !== SubscriptionState.Terminated) {
      this.terminate({ cause: 'disposed', retry: 'never' });
      return;
    }
    super.dispose();
  }

  private get isTerminated(): boolean {
    return this._state === SubscriptionState.Terminated;
  }

  private matchesEvent(ev: EventValue): boolean {
    if (ev.event.toLowerCase() !== this.event) return false;
    const id = ev.params.get('id') ?? undefined;
    // RFC 6665 §8.2.1: the id parameter must match the SUBSCRIBE's. Lenient for refer: some
    // REFER recipients omit the id in the NOTIFYs of the only REFER of a dialog.
    if (id === undefined && this.event === REFER_EVENT) return true;
    return id === this.id;
  }

  private adoptDialog(dialog: Dialog): void {
    this._dialog = dialog;
    if (this.ownsDialog) this._register(dialog);
    this._register(
      dialog.onDidChangeState((e) => {
        if (e.state === DialogState.Terminated && !this.isTerminated) this.terminate({ cause: 'dialog', reason: e.cause, retry: 'later' });
      }),
    );
  }

  private buildOutOfDialogSubscribe(): SipRequest {
    const t = this.options.target;
    if (!t) throw new InvalidStateError('an out-of-dialog SUBSCRIBE needs a target', this._state);
    const req = new SipRequest('SUBSCRIBE', toRequestUri(t.requestUri ?? t.to.uri));
    if (t.route?.length) req.set(H.Route, t.route.map(cloneNameAddr));
    req.set(H.MaxForwards, 70);
    req.set(H.To, withTag(t.to, undefined));
    req.set(H.From, withTag(t.from, tagOf(t.from) ?? randomToken(6)));
    req.set(H.CallId, t.callId ?? randomToken(12));
    // RFC 3261 §8.1.1.5: The sequence number value MUST be expressible as a 32-bit unsigned
    // integer and MUST be less than 2**31.
    req.set(H.CSeq, { seq: t.cseq ?? 1 + Math.floor(Math.min(Math.max(this.random(), 0), 0.999) * 1_000_000), method: 'SUBSCRIBE' });
    req.set(H.Contact, { star: false, contacts: [cloneNameAddr(this.options.localContact)] });
    applyExtraHeaders(req, this.options.headers);
    return req;
  }

  private buildInDialog(expires: number): SipRequest {
    if (this.isTerminated) throw new InvalidStateError('the subscription has ended', this._state);
    if (!this._dialog || this._dialog.state === DialogState.Terminated) throw new InvalidStateError('the subscription has no dialog yet', this._state);
    const req = this._dialog.createRequest('SUBSCRIBE', { headers: this.options.headers });
    this.decorate(req, expires);
    return req;
  }

  private decorate(req: SipRequest, expires: number): void {
    const params = new Map<string, string | null>();
    if (this.id !== undefined) params.set('id', this.id);
    req.set(H.Event, { event: this.event, params });
    // RFC 6665 §4.1.2.1: SUBSCRIBE requests SHOULD contain an "Expires" header field.
    req.set(H.Expires, expires);
  }

  private applyResponseExpires(response: SipResponse): void {
    // RFC 6665 §4.1.2.1: The "Expires" header field in a 200-class response to SUBSCRIBE request
    // indicates the actual duration for which the subscription will remain active (unless refreshed).
    const expires = safeGet(response, H.Expires);
    if (expires !== undefined) this.schedule(expires);
    else if (response.cseq.method === 'SUBSCRIBE') this.schedule(this.requestedExpires);
  }

  /** Refresh at max(duration - margin, duration / 2); expiry at the duration. */
  private schedule(expiresSec: number): void {
    const ms = expiresSec * 1000;
    this._expiresAt = this.clock.now() + ms;
    this.expiryTimer.value = this.clock.setTimeout(() => this.onExpired(), ms);
    this.refreshTimer.value = this.autoRefresh && ms > 0 && !this.unsubscribing ? this.clock.setTimeout(() => this.onRefreshDue(), Math.max(ms - this.refreshMarginMs, ms / 2)) : undefined;
  }

  private onRefreshDue(): void {
    if (this.isTerminated || this.unsubscribing || this.pending) return;
    if (!this._dialog || this._dialog.state === DialogState.Terminated) return;
    const request = this.createRefresh();
    this.logger.debug('refresh due', { cseq: request.cseq.seq });
    this._onDidRequireRefresh.fire({ subscription: this, request });
  }

  private onExpired(): void {
    if (this.isTerminated) return;
    this.terminate({ cause: 'expired', reason: 'timeout', retry: 'immediately' });
  }

  private onTimerN(): void {
    if (this.isTerminated) return;
    if (this.unsubscribing) this.terminate({ cause: 'unsubscribed', retry: 'never' });
    else this.terminate({ cause: 'timer-n', retry: 'later' });
  }

  private responseFailure(response: SipResponse): SubscriptionTermination {
    const status = response.status;
    if (status === 423) {
      // RFC 6665 §4.1.2.1 / RFC 3261 §10.2.8: retry with an Expires of at least Min-Expires.
      const minExpires = safeGet(response, H.MinExpires);
      return { cause: 'response', status, retry: 'immediately', ...(minExpires !== undefined ? { minExpires } : {}) };
    }
    const retryAfter = safeGet(response, H.RetryAfter);
    if (retryAfter) return { cause: 'response', status, retry: 'later', retryAfterMs: retryAfter.seconds * 1000 };
    return { cause: 'response', status, retry: TERMINAL_REFRESH_STATUS.has(status) ? 'never' : 'later' };
  }

  private terminate(termination: SubscriptionTermination): void {
    if (this.isTerminated) return;
    this._termination = termination;
    this.pending = undefined;
    this.transition(SubscriptionState.Terminated);
  }

  private transition(to: SubscriptionState): void {
    const from = this._state;
    if (!SUBSCRIPTION_EDGES[from].includes(to)) throw new InvalidStateError(`subscription cannot go from ${from} to ${to}`, from);
    this._state = to;
    this.logger.debug('subscription state', { from, to, cause: this._termination?.cause });
    const termination = to === SubscriptionState.Terminated ? this._termination : undefined;
    this._onDidChangeState.fire({ subscription: this, previous: from, state: to, ...(termination ? { termination } : {}) });
    if (to === SubscriptionState.Terminated) {
      this.timerN.clear();
      this.refreshTimer.clear();
      this.expiryTimer.clear();
      // The dialog of an out-of-dialog subscription has no other usage: it ends with it.
      if (this.ownsDialog) this._dialog?.terminate('subscription-ended');
      this.dispose();
    }
  }
}
