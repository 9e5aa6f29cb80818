/**
 * The notifier side of RFC 6665 subscriptions, and of the implicit subscription a REFER creates
 * (RFC 3515 §2.4.4, RFC 4488). Transport-agnostic: it builds responses and NOTIFYs; the UA
 * sends them.
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
import { H, createResponse, randomToken, type EventValue, type HeaderCodec, type NameAddr, type SipMessage, type SipRequest, type SipResponse } from '../message/index';
import { Dialog, DialogState } from './dialog';
import { REFER_EVENT, SIPFRAG_CONTENT_TYPE, formatSipfragStatus, referEventId, referSubscriptionRequested } from './sipfrag';
import { cloneNameAddr, type ExtraHeaders } from './util';

/**
 * Notifier-side states of one subscription (RFC 6665 §4.2):
 *
 * ```
 *  Pending <--> Active
 *     |           |
 *     +-----+-----+--(terminate(), expiry, unsubscribe)--> Terminated
 * ```
 * Terminated is final and disposes the notifier.
 */
export enum NotifierState {
  Pending = 'pending',
  Active = 'active',
  Terminated = 'terminated',
}

const NOTIFIER_EDGES: Readonly<Record<NotifierState, readonly NotifierState[]>> = {
  [NotifierState.Pending]: [NotifierState.Active, NotifierState.Terminated],
  [NotifierState.Active]: [NotifierState.Pending, NotifierState.Terminated],
  [NotifierState.Terminated]: [],
};

/** The policy of an event package (RFC 6665 §7: each package defines its default duration). */
export interface EventPackagePolicy {
  /** Package name (`presence`, `message-summary`, `refer`, ...). */
  readonly event: string;
  /** Duration in seconds when the SUBSCRIBE has no Expires. */
  readonly defaultExpires: number;
  /** Shortest duration accepted (shorter non-zero values earn 423 with Min-Expires). */
  readonly minExpires?: number;
  /** Longest duration granted (longer requests are shortened). */
  readonly maxExpires?: number;
}

/** A body for a NOTIFY. */
export interface NotifyBody {
  readonly body: Buffer | string;
  readonly contentType: string;
}

/** Options of a {@link Notifier}. */
export interface NotifierOptions {
  readonly policy: EventPackagePolicy;
  readonly clock: Clock;
  /** Our Contact (in the 2xx and in NOTIFYs). */
  readonly localContact: NameAddr;
  /**
   * An existing dialog the SUBSCRIBE/REFER arrived in (not owned). Without one, the notifier
   * creates the dialog from the request and its 2xx, and owns it.
   */
  readonly dialog?: Dialog;
  /** The state body for NOTIFYs the notifier builds by itself (refresh, expiry, unsubscribe). */
  readonly stateBody?: () => NotifyBody | undefined;
  /** Start in Pending (authorization not yet known) instead of Active. */
  readonly pending?: boolean;
  /** Our To tag for an out-of-dialog request; generated when absent. */
  readonly localTag?: string;
  /** Extra header lines on every NOTIFY. */
  readonly headers?: ExtraHeaders;
  readonly logger?: Logger;
  readonly random?: () => number;
}

/** Payload of {@link Notifier.onDidChangeState}. */
export interface NotifierStateChange {
  readonly notifier: Notifier;
  readonly previous: NotifierState;
  readonly state: NotifierState;
  /** For Terminated: the reason put in the final NOTIFY (or `disposed`). */
  readonly reason?: string;
}

/** Payload of {@link Notifier.onDidRequireNotify}: a NOTIFY the notifier built by itself. */
export interface NotifierNotifyEvent {
  readonly notifier: Notifier;
  /** The NOTIFY to send. */
  readonly request: SipRequest;
  /** Why: `expired` (final NOTIFY, reason=timeout). */
  readonly why: 'expired';
}

/** The outcome of {@link Notifier.acceptSubscribe} / {@link Notifier.acceptRefer}. */
export type SubscribeVerdict =
  | { readonly accepted: false; readonly response: SipResponse }
  | {
      readonly accepted: true;
      /** The 2xx to send (To tag, Expires, Contact). */
      readonly response: SipResponse;
      /** The subscription; `undefined` for a REFER with `Refer-Sub: false`. */
      readonly notifier: Notifier | undefined;
      /** The NOTIFY to send right after the response (RFC 6665 §4.2.1.2), if a subscription was created. */
      readonly notify: SipRequest | undefined;
    };

/** The result of {@link Notifier.receiveSubscribe}. */
export interface SubscribeRefreshResult {
  /** The response to send (200 with Expires, 423, 489, 481, 500). */
  readonly response: SipResponse;
  /** The NOTIFY to send after it: the current state, or the final NOTIFY after Expires: 0. */
  readonly notify?: SipRequest;
}

/** Responses to a NOTIFY that remove the subscription (RFC 6665 §4.2.2). */
const NOTIFY_FATAL_STATUS = new Set([404, 405, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604]);

function safeGet<T>(msg: SipMessage, codec: HeaderCodec<T>): T | undefined {
  try {
    return msg.get(codec);
  } catch {
    return undefined;
  }
}

type ExpiresDecision = { ok: true; expires: number } | { ok: false; response: SipResponse };

/**
 * One subscription, notifier side (RFC 6665 §4.2). Created by {@link Notifier.acceptSubscribe}
 * (SUBSCRIBE) or {@link Notifier.acceptRefer} (REFER); NOTIFYs are built with
 * {@link Notifier.createNotify} (state changes, new body), {@link Notifier.terminate} (final
 * NOTIFY) or {@link Notifier.notifyReferProgress} (sipfrag); refreshes and unsubscribes go through
 * {@link Notifier.receiveSubscribe}. On expiry the final NOTIFY (terminated;reason=timeout) is
 * delivered by {@link Notifier.onDidRequireNotify}. Hand responses to our NOTIFYs to
 * {@link Notifier.receiveNotifyResponse}.
 */
export class Notifier extends Disposable {
  /** The event package. */
  readonly event: string;
  /** The Event `id` of the subscription, if any. */
  readonly id: string | undefined;
  /** The dialog the NOTIFYs go in. */
  readonly dialog: Dialog;

  private _state: NotifierState;
  private expiresAt: number;
  private readonly ownsDialog: boolean;
  private readonly options: NotifierOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly expiryTimer = this._register(new MutableDisposable<TimerHandle>());

  private readonly _onDidChangeState = this._register(new Emitter<NotifierStateChange>());
  /** Fires on every state change; Terminated comes with the reason. */
  readonly onDidChangeState: Event<NotifierStateChange> = this._onDidChangeState.event;
  private readonly _onDidRequireNotify = this._register(new Emitter<NotifierNotifyEvent>());
  /** Fires when the notifier built a NOTIFY by itself (the final one on expiry). */
  readonly onDidRequireNotify: Event<NotifierNotifyEvent> = this._onDidRequireNotify.event;

  private constructor(dialog: Dialog, ownsDialog: boolean, event: EventValue, expires: number, options: NotifierOptions) {
    super();
    this.dialog = dialog;
    this.ownsDialog = ownsDialog;
    this.event = event.event.toLowerCase();
    this.id = event.params.get('id') ?? undefined;
    this.options = options;
    this.clock = options.clock;
    this.logger = (options.logger ?? nullLogger).child({ component: 'notifier', event: this.event });
    this._state = options.pending ? NotifierState.Pending : NotifierState.Active;
    this.expiresAt = this.clock.now();
    if (ownsDialog) this._register(dialog);
    this._register(
      dialog.onDidChangeState((e) => {
        if (e.state === DialogState.Terminated && this._state !== NotifierState.Terminated) this.transition(NotifierState.Terminated, 'dialog');
      }),
    );
    this.arm(expires);
  }

  /**
   * Accepts or refuses a SUBSCRIBE (RFC 6665 §4.2.1.1): 489 (Bad Event, with Allow-Events) for
   * another package, 423 (with Min-Expires) for a non-zero Expires below the package minimum;
   * otherwise a 200 with the granted Expires (default from the package when absent, shortened to
   * the maximum) and our Contact, the Notifier, and the first NOTIFY (RFC 6665 §4.2.1.2: Upon
   * successfully accepting or refreshing a subscription, notifiers MUST send a NOTIFY request
   * immediately). An Expires of 0 is a fetch: the first NOTIFY is also the final one.
   */
  static acceptSubscribe(request: SipRequest, options: NotifierOptions): SubscribeVerdict {
    if (request.method !== 'SUBSCRIBE') throw new SdkError(ErrorCode.InvalidArgument, `not a SUBSCRIBE: ${request.method}`);
    const ev = safeGet(request, H.Event);
    if (!ev || ev.event.toLowerCase() !== options.policy.event.toLowerCase()) return { accepted: false, response: badEvent(request, options.policy) };
    if (options.dialog) {
      const rejection = options.dialog.receiveRequest(request);
      if (rejection) return { accepted: false, response: reply(request, rejection.status, rejection.reason) };
    }
    const decision = decideExpires(request, options.policy);
    if (!decision.ok) return { accepted: false, response: decision.response };
    const { response, dialog, owns } = Notifier.answer(request, 200, options);
    response.set(H.Expires, decision.expires);
    const notifier = new Notifier(dialog, owns, ev, decision.expires, options);
    const notify = decision.expires === 0 ? notifier.terminate('timeout') : notifier.createNotify();
    return { accepted: true, response, notifier: notifier.state === NotifierState.Terminated ? undefined : notifier, notify };
  }

  /**
   * Accepts a REFER (RFC 3515 §2.4.2: 202 Accepted) and creates its implicit subscription
   * (RFC 3515 §2.4.4): event `refer`, `id` = the REFER's CSeq number, duration from the policy
   * (`defaultExpires`, default 60 s). With `Refer-Sub: false` (RFC 4488) no subscription is
   * created and the 2xx says `Refer-Sub: false`. The first NOTIFY reports `100 Trying`
   * (RFC 3515 §2.4.4: the REFER recipient sends an immediate NOTIFY).
   */
  static acceptRefer(request: SipRequest, options: Omit<NotifierOptions, 'policy'> & { policy?: EventPackagePolicy }): SubscribeVerdict {
    if (request.method !== 'REFER') throw new SdkError(ErrorCode.InvalidArgument, `not a REFER: ${request.method}`);
    const policy = options.policy ?? { event: REFER_EVENT, defaultExpires: 60 };
    const full: NotifierOptions = { ...options, policy };
    if (options.dialog) {
      const rejection = options.dialog.receiveRequest(request);
      if (rejection) return { accepted: false, response: reply(request, rejection.status, rejection.reason) };
    }
    const wantsSub = referSubscriptionRequested(request);
    const { response, dialog, owns } = Notifier.answer(request, 202, full);
    if (!wantsSub) {
      // RFC 4488 §4: a REFER-Recipient that honours Refer-Sub: false includes Refer-Sub: false in the 2xx.
      response.set(H.ReferSub, false);
      if (owns) dialog.terminate('no-subscription');
      return { accepted: true, response, notifier: undefined, notify: undefined };
    }
    const ev: EventValue = { event: REFER_EVENT, params: new Map([['id', referEventId(request)]]) };
    const notifier = new Notifier(dialog, owns, ev, policy.defaultExpires, full);
    const notify = notifier.notifyReferProgress(100, 'Trying');
    return { accepted: true, response, notifier, notify };
  }

  /** The current state. */
  get state(): NotifierState {
    return this._state;
  }

  /** Seconds left before the subscription expires (rounded up, never negative). */
  get remainingSeconds(): number {
    return Math.max(0, Math.ceil((this.expiresAt - this.clock.now()) / 1000));
  }

  /**
   * Builds a NOTIFY in the dialog with Event (and its id) and Subscription-State
   * `active;expires=N` or `pending;expires=N` (RFC 6665 §4.2.2), N the remaining seconds.
   * Passing `state` moves the subscription to it first (authorization granted or withdrawn).
   * @param options `state` to move to first; `body`, which defaults to the `stateBody` option
   * @throws InvalidStateError once terminated
   */
  createNotify(options: { state?: 'active' | 'pending'; body?: NotifyBody } = {}): SipRequest {
    this.assertLive();
    if (options.state === 'active' && this._state !== NotifierState.Active) this.transition(NotifierState.Active);
    if (options.state === 'pending' && this._state !== NotifierState.Pending) this.transition(NotifierState.Pending);
    const params = new Map<string, string | null>([['expires', String(this.remainingSeconds)]]);
    return this.buildNotify(this._state === NotifierState.Active ? 'active' : 'pending', params, options.body ?? this.options.stateBody?.());
  }

  /**
   * Ends the subscription and returns the final NOTIFY: Subscription-State
   * `terminated;reason=<reason>` (RFC 6665 §4.2.2: deactivated, probation, rejected, timeout,
   * giveup, noresource, invariant), with `retry-after` when given. Moves to Terminated and
   * disposes the notifier (and its dialog, when it owns it) after building the request.
   */
  terminate(reason = 'noresource', options: { body?: NotifyBody; retryAfter?: number } = {}): SipRequest {
    this.assertLive();
    const params = new Map<string, string | null>([['reason', reason]]);
    if (options.retryAfter !== undefined) params.set('retry-after', String(options.retryAfter));
    const request = this.buildNotify('terminated', params, options.body ?? this.options.stateBody?.());
    this.transition(NotifierState.Terminated, reason);
    return request;
  }

  /**
   * For a refer subscription: the NOTIFY reporting the referenced request's progress with a
   * `message/sipfrag` body (RFC 3515 §2.4.5, RFC 3420). A final status (>= 200) ends the
   * subscription: Subscription-State `terminated;reason=noresource` (RFC 3515 §2.4.7).
   */
  notifyReferProgress(status: number, reason: string): SipRequest {
    const body: NotifyBody = { body: formatSipfragStatus(status, reason), contentType: SIPFRAG_CONTENT_TYPE };
    if (status >= 200) return this.terminate('noresource', { body });
    return this.createNotify({ body });
  }

  /**
   * Processes a SUBSCRIBE in the subscription's dialog (refresh or unsubscribe, RFC 6665
   * §4.2.1.2 / §4.2.1.4): returns the response and the NOTIFY to send. Expires: 0 ends the
   * subscription with a final NOTIFY (terminated;reason=timeout).
   */
  receiveSubscribe(request: SipRequest): SubscribeRefreshResult {
    if (this._state === NotifierState.Terminated) return { response: reply(request, 481, 'Subscription Does Not Exist') };
    const ev = safeGet(request, H.Event);
    if (!ev || ev.event.toLowerCase() !== this.event || (ev.params.get('id') ?? undefined) !== this.id) {
      return { response: reply(request, 481, 'Subscription Does Not Exist') };
    }
    const rejection = this.dialog.receiveRequest(request);
    if (rejection) return { response: reply(request, rejection.status, rejection.reason) };
    const decision = decideExpires(request, this.options.policy);
    if (!decision.ok) return { response: decision.response };
    const response = createResponse(request, 200);
    response.set(H.Expires, decision.expires);
    response.set(H.Contact, { star: false, contacts: [cloneNameAddr(this.options.localContact)] });
    if (decision.expires === 0) {
      // RFC 6665 §4.2.1.4 (unsubscribing): the notifier sends a final NOTIFY with state terminated.
      return { response, notify: this.terminate('timeout') };
    }
    this.arm(decision.expires);
    return { response, notify: this.createNotify() };
  }

  /**
   * Processes the response to one of our NOTIFYs (passing it to the dialog first, where 481/408
   * end the dialog, RFC 3261 §12.2.1.2). RFC 6665 §4.2.2: a 404, 405, 410, 416, 480-485, 489,
   * 501 or 604 response to a NOTIFY means the subscriber is gone: the notifier removes the
   * subscription (Terminated, reason `response-<code>`). Other failures keep it.
   */
  receiveNotifyResponse(response: SipResponse): void {
    if (this._state === NotifierState.Terminated) return;
    if (this.dialog.state !== DialogState.Terminated && this.dialog.matchesResponse(response)) this.dialog.receiveResponse(response);
    // The dialog may have ended (481/408) and taken the subscription with it.
    if (this.hasEnded()) return;
    if (NOTIFY_FATAL_STATUS.has(response.status)) this.transition(NotifierState.Terminated, `response-${response.status}`);
  }

  /**
   * Tells the notifier that a NOTIFY got no response (Timer F). RFC 6665 §4.2.2: If the NOTIFY
   * request fails due to expiration of SIP Timer F (transaction timeout), the notifier SHOULD
   * remove the subscription.
   */
  noteNotifyTimeout(): void {
    if (this._state === NotifierState.Terminated) return;
    this.transition(NotifierState.Terminated, 'timeout');
  }

  /** Ends the subscription without a NOTIFY (cause `disposed`) and disposes the notifier. */
  override dispose(): void {
    if (this.isDisposed) return;
    if (this._state !== NotifierState.Terminated) {
      this.transition(NotifierState.Terminated, 'disposed');
      return;
    }
    super.dispose();
  }

  private static answer(request: SipRequest, status: number, options: NotifierOptions): { response: SipResponse; dialog: Dialog; owns: boolean } {
    const localTag = options.dialog?.id.localTag ?? options.localTag ?? randomToken(6);
    const response = createResponse(request, status, undefined, { toTag: localTag });
    response.set(H.Contact, { star: false, contacts: [cloneNameAddr(options.localContact)] });
    if (options.dialog) return { response, dialog: options.dialog, owns: false };
    const dialog = Dialog.createUas(request, response, { localContact: options.localContact, logger: options.logger, random: options.random });
    return { response, dialog, owns: true };
  }

  private arm(expiresSec: number): void {
    this.expiresAt = this.clock.now() + expiresSec * 1000;
    this.expiryTimer.value = expiresSec > 0 ? this.clock.setTimeout(() => this.onExpired(), expiresSec * 1000) : undefined;
  }

  private onExpired(): void {
    if (this._state === NotifierState.Terminated) return;
    // RFC 6665 §4.2.2: when a subscription expires, the notifier sends a NOTIFY with
    // Subscription-State terminated;reason=timeout.
    this.logger.debug('subscription expired');
    if (this.dialog.state === DialogState.Terminated) {
      this.transition(NotifierState.Terminated, 'timeout');
      return;
    }
    const params = new Map<string, string | null>([['reason', 'timeout']]);
    const request = this.buildNotify('terminated', params, this.options.stateBody?.());
    this._onDidRequireNotify.fire({ notifier: this, request, why: 'expired' });
    this.transition(NotifierState.Terminated, 'timeout');
  }

  private buildNotify(state: string, params: Map<string, string | null>, body: NotifyBody | undefined): SipRequest {
    const req = this.dialog.createRequest('NOTIFY', { headers: this.options.headers, ...(body ? { body: body.body, contentType: body.contentType } : {}) });
    const evParams = new Map<string, string | null>();
    if (this.id !== undefined) evParams.set('id', this.id);
    // RFC 6665 §8.2.1 / RFC 3515 §2.4.6: the Event header (with the subscription's id).
    req.set(H.Event, { event: this.event, params: evParams });
    // RFC 6665 §4.2.2: NOTIFY requests MUST contain a "Subscription-State" header field.
    req.set(H.SubscriptionState, { state, params });
    return req;
  }

  private hasEnded(): boolean {
    return this._state === NotifierState.Terminated;
  }

  private assertLive(): void {
    if (this._state === NotifierState.Terminated) throw new InvalidStateError('the subscription has ended', this._state);
    if (this.dialog.state === DialogState.Terminated) throw new InvalidStateError('the dialog of the subscription has ended', this._state);
  }

  private transition(to: NotifierState, reason?: string): void {
    const from = this._state;
    if (!NOTIFIER_EDGES[from].includes(to)) throw new InvalidStateError(`notifier cannot go from ${from} to ${to}`, from);
    this._state = to;
    this.logger.debug('notifier state', { from, to, reason });
    this._onDidChangeState.fire({ notifier: this, previous: from, state: to, ...(reason !== undefined && to === NotifierState.Terminated ? { reason } : {}) });
    if (to === NotifierState.Terminated) {
      this.expiryTimer.clear();
      if (this.ownsDialog) this.dialog.terminate('subscription-ended');
      this.dispose();
    }
  }
}

/**
 * A response to `request`; outside a dialog it gets a fresh To tag (RFC 3261 §8.2.6.2: the UAS
 * MUST add a tag to the To header field in the response), inside one the To keeps its tag.
 */
function reply(request: SipRequest, status: number, reason?: string): SipResponse {
  return createResponse(request, status, reason, { toTag: randomToken(6) });
}

function badEvent(request: SipRequest, policy: EventPackagePolicy): SipResponse {
  // RFC 6665 §4.2.1.1: a SUBSCRIBE for an event package the notifier does not support earns a
  // 489 (Bad Event) response, with an Allow-Events header listing the supported packages.
  const res = reply(request, 489, 'Bad Event');
  res.set(H.AllowEvents, [policy.event]);
  return res;
}

function decideExpires(request: SipRequest, policy: EventPackagePolicy): ExpiresDecision {
  const requested = safeGet(request, H.Expires);
  // RFC 6665 §4.1.2.1: If no "Expires" header field is present in a SUBSCRIBE request, the
  // implied default MUST be defined by the event package being used.
  let expires = requested ?? policy.defaultExpires;
  if (expires > 0 && policy.minExpires !== undefined && expires < policy.minExpires) {
    // RFC 6665 §4.2.1.1: if the expiration interval is too short, the notifier MAY return a 423
    // (Interval Too Brief) response with a Min-Expires header field.
    const res = reply(request, 423, 'Interval Too Brief');
    res.set(H.MinExpires, policy.minExpires);
    return { ok: false, response: res };
  }
  // RFC 6665 §4.2.1.1: the period in the 200 response MAY be shorter but MUST NOT be longer than requested.
  if (policy.maxExpires !== undefined && expires > policy.maxExpires) expires = policy.maxExpires;
  return { ok: true, expires };
}
