/**
 * INVITE sessions as UAC and UAS (RFC 3261 §13-§15): provisional responses, CANCEL, 2xx
 * retransmission until ACK, re-INVITE with and without SDP, 491 glare with the §14.1 backoff,
 * BYE from either side, INFO (RFC 2976), REFER with its implicit subscription (RFC 3515,
 * RFC 3420 sipfrag), Replaces (RFC 3891) and Referred-By (RFC 3892), and the NOTIFYs of the
 * implied `talk`/`hold` packages a SIP Server sends in 3pcc.
 */
import {
  Disposable,
  Emitter,
  ErrorCode,
  InvalidStateError,
  MutableDisposable,
  SdkError,
  type Event,
  type Logger,
  type TimerHandle,
} from '@sip-endpoint/base';
import {
  H,
  SipHeaders,
  SipRequest,
  createResponse,
  formatNameAddr,
  formatUri,
  randomToken,
  type NameAddr,
  type SipResponse,
  type Uri,
} from '../message/index';
import { Dialog, DialogState, type DialogRegistry } from '../dialog/index';
import type { InviteServerTransaction, ServerTransaction } from '../transaction/index';
import { ownString } from '../transaction/transaction';
import { sendWithAuth, type RequestAuthenticator } from './auth-retry';
import type { SessionDescriptionHandler } from './sdh';
import { isSyntheticResponse, type SipStack } from './stack';

/**
 * States of an {@link InviteSession}:
 *
 * ```
 *  UAC: Initial --invite()--> Inviting --1xx with tag--> Early --2xx/ACK--> Established
 *  UAS: Initial --INVITE-->  Incoming --progress()--> Early --accept()--> Established
 *  Inviting/Incoming/Early --final non-2xx, CANCEL--> Terminated
 *  Established --bye() / BYE--> Terminating --> Terminated
 * ```
 */
export enum SessionState {
  Initial = 'initial',
  Inviting = 'inviting',
  Incoming = 'incoming',
  Early = 'early',
  Established = 'established',
  Terminating = 'terminating',
  Terminated = 'terminated',
}

const EDGES: Readonly<Record<SessionState, readonly SessionState[]>> = {
  [SessionState.Initial]: [SessionState.Inviting, SessionState.Incoming, SessionState.Terminated],
  [SessionState.Inviting]: [SessionState.Early, SessionState.Established, SessionState.Terminating, SessionState.Terminated],
  [SessionState.Incoming]: [SessionState.Early, SessionState.Established, SessionState.Terminating, SessionState.Terminated],
  [SessionState.Early]: [SessionState.Established, SessionState.Terminating, SessionState.Terminated],
  [SessionState.Established]: [SessionState.Terminating, SessionState.Terminated],
  [SessionState.Terminating]: [SessionState.Terminated],
  [SessionState.Terminated]: [],
};

/** Why a session ended. */
export type SessionEndCause =
  /** We sent BYE. */
  | 'local-bye'
  /** The peer sent BYE. */
  | 'remote-bye'
  /** We cancelled our INVITE (RFC 3261 §9.1). */
  | 'cancelled'
  /** The caller cancelled its INVITE before we answered. */
  | 'remote-cancelled'
  /** The peer answered our INVITE with a final non-2xx response. */
  | 'rejected-by-remote'
  /** We answered the peer's INVITE with a final non-2xx response. */
  | 'rejected'
  /** No response at all (Timer B), or the transport failed. */
  | 'request-failed'
  /** We never got the ACK for our 2xx (RFC 3261 §13.3.1.4). */
  | 'ack-timeout'
  /** Another INVITE replaced this session (RFC 3891). */
  | 'replaced'
  /** The dialog ended because an in-dialog request got 481 or 408 (RFC 3261 §12.2.1.2). */
  | 'dialog-lost'
  /** The session was disposed. */
  | 'disposed';

/** Payload of {@link InviteSession.onDidChangeState}. */
export interface SessionStateChange {
  readonly session: InviteSession;
  readonly previous: SessionState;
  readonly state: SessionState;
  /** In Terminated: why. */
  readonly cause?: SessionEndCause;
  /** The SIP status behind the change, when there is one (e.g. 486 for a busy callee, 487 for CANCEL). */
  readonly statusCode?: number;
  readonly reason?: string;
}

/** What an {@link InviteSession} needs from its user agent. */
export interface SessionContext {
  readonly stack: SipStack;
  readonly registry: DialogRegistry;
  readonly logger: Logger;
  /** Our Contact for `protocol`. */
  localContact(protocol: 'udp' | 'tcp' | 'tls'): NameAddr;
  /** Our identity (From of our INVITEs, Referred-By of our REFERs). */
  readonly localIdentity: NameAddr;
  readonly authenticator?: RequestAuthenticator | undefined;
  /** T1 and T2 in ms (2xx retransmission, RFC 3261 §13.3.1.4). */
  readonly timers: { t1Ms: number; t2Ms: number };
  /** Headers advertised in INVITEs and their responses: Allow, Supported, Allow-Events. */
  readonly capabilityHeaders: Record<string, string>;
  /** Asks the application whether to accept a REFER received in this session. */
  onRefer(session: InviteSession, refer: IncomingRefer): boolean | Promise<boolean>;
  /** Multiplies the RFC 3261 §14.1 glare backoff (default 1: the RFC ranges). */
  readonly glareRetryScale?: number;
}

/** Payload of {@link InviteSession.onDidEncounterGlare}. */
export interface GlareRetry {
  /** The §14.1 interval drawn by the dialog (2100-4000 ms when we own the Call-ID, else 0-2000 ms). */
  readonly rfcDelayMs: number;
  /** What the session waits before retrying (`rfcDelayMs` times the configured scale). */
  readonly delayMs: number;
  /** Whether we own the Call-ID (we sent the initial INVITE). */
  readonly ownsCallId: boolean;
  /** 1 for the first retry. */
  readonly attempt: number;
}

/** A REFER received in a session (RFC 3515). */
export interface IncomingRefer {
  readonly request: SipRequest;
  /** The Refer-To target. */
  readonly target: NameAddr;
  /** Referred-By, when present (RFC 3892). */
  readonly referredBy?: NameAddr | undefined;
}

/** Payload of {@link InviteSession.onDidReceiveReferProgress}: a sipfrag NOTIFY of our REFER (RFC 3515 §2.4.5). */
export interface ReferProgress {
  readonly statusCode: number;
  readonly reason: string;
  /** Whether this is the last report (a final status, or the subscription ended). */
  readonly final: boolean;
}

/** Payload of {@link InviteSession.onDidReceiveNotify}. */
export interface UnsolicitedNotifyEvent {
  readonly request: SipRequest;
  /** The Event package, as written (`talk`, `hold`). */
  readonly event: string;
  /** Delays the 200 to the NOTIFY until `promise` settles (bounded by {@link NOTIFY_RESPONSE_WAIT_MS}). */
  waitUntil(promise: Promise<unknown>): void;
}

/** How long {@link InviteSession.refer} waits for the final sipfrag NOTIFY before it reports 408. */
export const REFER_PROGRESS_TIMEOUT_MS = 60_000;

/** The longest an unsolicited NOTIFY waits for its listeners before it is answered 200. */
export const NOTIFY_RESPONSE_WAIT_MS = 5000;

/** Options of an outgoing INVITE. */
export interface InviteOptions {
  /** Extra headers of the INVITE (e.g. `Replaces`, `Referred-By`, `Call-Info`). */
  headers?: Record<string, string>;
  /** Send the INVITE without SDP (delayed offer): the 2xx carries the offer, our ACK the answer. */
  withoutSdp?: boolean;
  /** Our transport (default: the Request-URI's `transport` param, else UDP). */
  transport?: 'udp' | 'tcp' | 'tls';
  /** Route every request of the call through this proxy first (outbound proxy). */
  outboundProxy?: Uri;
  /** The Call-ID to use (default: a random one). Known as `session.callId` as soon as `invite()` returns. */
  callId?: string;
}

const SDP = 'application/sdp';

/**
 * One call leg. Outgoing ones come from {@link UserAgent.invite}, incoming ones through the user
 * agent's delegate. Disposed by its user agent after it terminates.
 */
export class InviteSession extends Disposable {
  private _state = SessionState.Initial;
  private _dialog: Dialog | undefined;
  private readonly earlyDialogs = new Map<string, Dialog>();
  private readonly localTag: string;
  private queue: Promise<void> = Promise.resolve();
  private inviteRequest: SipRequest | undefined;
  private cancelInvite: (() => void) | undefined;
  private cancelRequested = false;
  private lastAck: { ack: SipRequest; cseq: number } | undefined;
  private offerInInvite = false;
  private pendingOfferInOurResponse = false;
  private serverTx: InviteServerTransaction | undefined;
  private retransmit = this._register(new MutableDisposable<TimerHandle>());
  private ackWait: { resolve: (ack: SipRequest | undefined) => void; cseq: number } | undefined;
  private _localHold = false;
  private _remoteHold = false;
  private endInfo: { cause: SessionEndCause; statusCode?: number; reason?: string } | undefined;
  private referCseq: number | undefined;
  private protocol: 'udp' | 'tcp' | 'tls' = 'udp';
  private plannedCallId: string | undefined;
  /** What an outgoing session calls (UAC only). An incoming one keeps no reference to its INVITE transaction. */
  private readonly outgoing: { uri: Uri; to: NameAddr; options: InviteOptions } | undefined;
  /** The session this one replaces (RFC 3891), for an incoming INVITE with Replaces. */
  replaces: InviteSession | undefined;

  private readonly _onDidChangeState = this._register(new Emitter<SessionStateChange>());
  /** Fires on every state change; Terminated carries the cause and SIP status. */
  readonly onDidChangeState: Event<SessionStateChange> = this._onDidChangeState.event;
  private readonly _onDidReceiveProgress = this._register(new Emitter<{ response: SipResponse }>());
  /** A provisional response (180 Ringing, 183 Session Progress) to our INVITE. */
  readonly onDidReceiveProgress: Event<{ response: SipResponse }> = this._onDidReceiveProgress.event;
  private readonly _onDidReceiveInfo = this._register(new Emitter<{ request: SipRequest; contentType: string; body: string }>());
  /** An INFO arrived (RFC 2976; answered 200). */
  readonly onDidReceiveInfo: Event<{ request: SipRequest; contentType: string; body: string }> = this._onDidReceiveInfo.event;
  private readonly _onDidReceiveNotify = this._register(new Emitter<UnsolicitedNotifyEvent>());
  /**
   * An in-dialog NOTIFY outside our REFER subscription, e.g. `Event: talk` / `hold` from a SIP
   * Server. It is answered 200 once the promises handed to `waitUntil` settle (at most
   * {@link NOTIFY_RESPONSE_WAIT_MS}), so acting on it (answering the call) comes first, as the
   * 3pcc flow expects (genesys-compat §1: "200 OK with SDP, then 200 to the NOTIFY").
   */
  readonly onDidReceiveNotify: Event<UnsolicitedNotifyEvent> = this._onDidReceiveNotify.event;
  private readonly _onDidChangeHold = this._register(new Emitter<{ localHold: boolean; remoteHold: boolean }>());
  /** Our hold or the peer's hold changed (after an offer/answer exchange). */
  readonly onDidChangeHold: Event<{ localHold: boolean; remoteHold: boolean }> = this._onDidChangeHold.event;
  private readonly _onDidEncounterGlare = this._register(new Emitter<GlareRetry>());
  /** Our re-INVITE got 491 (RFC 3261 §14.1); fires before the wait, with the interval. */
  readonly onDidEncounterGlare: Event<GlareRetry> = this._onDidEncounterGlare.event;
  private readonly _onDidReceiveReferProgress = this._register(new Emitter<ReferProgress>());
  /** Progress of a transfer we requested with {@link InviteSession.refer}. */
  readonly onDidReceiveReferProgress: Event<ReferProgress> = this._onDidReceiveReferProgress.event;

  /** @internal created by the user agent */
  constructor(
    private readonly ctx: SessionContext,
    /** `uac` for a call we placed, `uas` for one we received. */
    readonly role: 'uac' | 'uas',
    /** The offer/answer hooks of this session. */
    readonly sdh: SessionDescriptionHandler,
    target: { uri: Uri; to: NameAddr; options: InviteOptions } | { request: SipRequest; transaction: InviteServerTransaction },
  ) {
    super();
    this.localTag = randomToken(6);
    if ('request' in target) {
      this.inviteRequest = target.request;
      this.serverTx = target.transaction;
      this.offerInInvite = target.request.body.length > 0;
      this.protocol = target.transaction.responseDestination.protocol;
    } else {
      this.outgoing = target;
    }
  }

  /** The state now. */
  get state(): SessionState {
    return this._state;
  }

  /** The confirmed (or first early) dialog, once there is one. */
  get dialog(): Dialog | undefined {
    return this._dialog ?? this.earlyDialogs.values().next().value;
  }

  /** The INVITE that created the session (for UAS: the received one). */
  get request(): SipRequest | undefined {
    return this.inviteRequest;
  }

  /** The Call-ID (known as soon as an outgoing session is started). */
  get callId(): string | undefined {
    return this.inviteRequest?.callId ?? this.plannedCallId;
  }

  /** The peer's identity (To for UAC, From for UAS). */
  get remoteIdentity(): NameAddr | undefined {
    if (!this.inviteRequest) return this.outgoing?.to;
    return this.role === 'uac' ? this.inviteRequest.to : this.inviteRequest.from;
  }

  /** Whether we put the call on hold. */
  get localHold(): boolean {
    return this._localHold;
  }

  /** Whether the peer put us on hold. */
  get remoteHold(): boolean {
    return this._remoteHold;
  }

  /** Why the session ended, once Terminated. */
  get ended(): { cause: SessionEndCause; statusCode?: number; reason?: string } | undefined {
    return this.endInfo;
  }

  // ---------------------------------------------------------------- UAC

  /** @internal Sends the initial INVITE. Progress is reported by events; never rejects. */
  start(): void {
    if (this.role !== 'uac' || !this.outgoing) throw new InvalidStateError('start() is for outgoing sessions', this._state);
    this.transition(SessionState.Inviting);
    const { uri, to, options } = this.outgoing;
    // The Call-ID is fixed now, so `callId` is known before the INVITE is built asynchronously.
    this.plannedCallId = options.callId ?? randomToken(12);
    const callId = this.plannedCallId;
    this.protocol = options.transport ?? (uri.kind === 'sip' ? transportParam(uri) : undefined) ?? 'udp';
    void this.run(async () => {
      let req = new SipRequest('INVITE', uri);
      req.set(H.From, { ...this.ctx.localIdentity, params: new Map([['tag', this.localTag]]) });
      req.set(H.To, to);
      req.set(H.CallId, callId);
      let cseq = 1;
      req.set(H.CSeq, { seq: cseq, method: 'INVITE' });
      req.set(H.MaxForwards, 70);
      req.set(H.Contact, { star: false, contacts: [this.ctx.localContact(this.protocol)] });
      for (const [k, v] of Object.entries(this.ctx.capabilityHeaders)) req.setHeader(k, v);
      req.setHeader('User-Agent', this.ctx.stack.userAgent);
      for (const [k, v] of Object.entries(options.headers ?? {})) req.setHeader(k, v);
      if (!options.withoutSdp) {
        req.body = Buffer.from(await this.sdh.createOffer({ hold: false }), 'utf8');
        req.setHeader('Content-Type', SDP);
        this.offerInInvite = true;
      }
      this.inviteRequest = req;
      // RFC 3261 §8.1.3.4: a 3xx adds its Contacts to the target set; each URI is tried once.
      const tried = new Set<string>([formatUri(uri)]);
      const targets: Uri[] = [];
      let final: SipResponse;
      for (;;) {
        final = await sendWithAuth(this.ctx.stack, req, {
          authenticator: this.ctx.authenticator,
          outboundProxy: options.outboundProxy,
          nextCSeq: () => ++cseq,
          onRequest: (sent, cancel) => {
            this.inviteRequest = sent;
            this.cancelInvite = cancel;
            if (this.cancelRequested) cancel();
          },
          onProvisional: (r) => this.onUacProvisional(r),
          onSuccess: (r) => this.enqueue(() => this.onUac2xx(r)),
        });
        if (final.status >= 300 && final.status < 400 && !this.cancelRequested && !isSyntheticResponse(final)) {
          const contact = final.contact;
          const found = contact && !contact.star ? [...contact.contacts].sort((a, b) => qOf(b) - qOf(a)) : [];
          for (const c of found) {
            const key = formatUri(c.uri);
            if (!tried.has(key) && c.uri.kind === 'sip') {
              tried.add(key);
              targets.push(c.uri);
            }
          }
          const next = targets.shift();
          if (next && tried.size <= 16) {
            this.ctx.logger.info('following redirect', { status: final.status, target: formatUri(next) });
            for (const d of this.earlyDialogs.values()) d.terminate('redirected');
            this.earlyDialogs.clear();
            req = req.clone();
            req.uri = next;
            req.headers.delete('Via');
            req.set(H.CSeq, { seq: ++cseq, method: 'INVITE' });
            continue;
          }
        }
        break;
      }
      // A final response ends what CANCEL can do (RFC 3261 §9.1); the closure would keep the
      // INVITE client transaction alive for the whole call.
      this.cancelInvite = undefined;
      if (final.status >= 300) {
        for (const d of this.earlyDialogs.values()) d.terminate('final-response');
        const cause: SessionEndCause = isSyntheticResponse(final) ? 'request-failed' : this.cancelRequested && final.status === 487 ? 'cancelled' : 'rejected-by-remote';
        this.end(cause, final.status, final.reason);
      }
    });
  }

  private onUacProvisional(r: SipResponse): void {
    if (this._state === SessionState.Terminated || !this.inviteRequest) return;
    const tag = r.to.params.get('tag');
    if (tag && r.status > 100 && !this.earlyDialogs.has(tag) && !this._dialog) {
      // RFC 3261 §13.2.2.1 / §12.1.2: a provisional response with a To tag creates an early dialog.
      const d = Dialog.createUac(this.inviteRequest, r, { localContact: this.ctx.localContact(this.protocol), logger: this.ctx.logger });
      this.earlyDialogs.set(tag, d);
      this.ctx.registry.add(d);
    }
    if (this._state === SessionState.Inviting && r.status > 100) this.transition(SessionState.Early, { statusCode: r.status, reason: r.reason });
    this._onDidReceiveProgress.fire({ response: r });
  }

  private async onUac2xx(r: SipResponse): Promise<void> {
    if (!this.inviteRequest) return;
    const tag = r.to.params.get('tag') ?? '';
    const cseq = r.cseq.seq;
    if (this._dialog) {
      if (this._dialog.id.remoteTag === tag) {
        // RFC 3261 §13.2.2.4: a retransmitted 2xx gets the same ACK again.
        if (this.lastAck && this.lastAck.cseq === cseq) await this.sendAck(this.lastAck.ack);
        return;
      }
      // RFC 3261 §13.2.2.4: a 2xx from another fork: ACK it, then end that dialog with BYE.
      const extra = Dialog.createUac(this.inviteRequest, r, { localContact: this.ctx.localContact(this.protocol), logger: this.ctx.logger });
      try {
        await this.sendAck(extra.createAck(cseq));
        const bye = extra.createRequest('BYE');
        void this.ctx.stack.sendRequest(bye).final.catch(() => undefined);
      } finally {
        extra.dispose();
      }
      return;
    }
    if (this._state === SessionState.Terminated) return;
    let dialog = this.earlyDialogs.get(tag);
    if (dialog) {
      dialog.receiveResponse(r);
      this.earlyDialogs.delete(tag);
    } else {
      dialog = Dialog.createUac(this.inviteRequest, r, { localContact: this.ctx.localContact(this.protocol), logger: this.ctx.logger });
      this.ctx.registry.add(dialog);
    }
    this._dialog = dialog;
    this.watchDialog(dialog);
    for (const [t, d] of this.earlyDialogs) {
      // RFC 3261 §13.2.2.4 / §12.3: the other early dialogs of this INVITE end.
      d.terminate('another fork answered');
      this.earlyDialogs.delete(t);
    }
    let ackBody: string | undefined;
    let failed: unknown;
    try {
      if (this.offerInInvite) await this.sdh.setAnswer(r.body.toString('utf8'));
      else if (r.body.length) ackBody = await this.sdh.createAnswer(r.body.toString('utf8'), { hold: this._localHold });
    } catch (e) {
      failed = e;
    }
    const ack = dialog.createAck(cseq, ackBody !== undefined ? { body: ackBody, contentType: SDP } : {});
    this.lastAck = { ack: compactRequest(ack), cseq };
    await this.sendAck(ack);
    this.inviteRequest = compactRequest(this.inviteRequest);
    this.updateHold();
    this.transition(SessionState.Established, { statusCode: r.status, reason: r.reason });
    if (failed) {
      // RFC 3261 §13.2.2.4: an unacceptable answer in the 2xx: ACK it, then BYE.
      this.ctx.logger.warn('unacceptable SDP in 2xx: ending the call', { error: String(failed) });
      await this.bye();
    }
  }

  /** @internal A 2xx that matched no transaction (the INVITE transaction already ended): ACK it again. */
  receiveStray2xx(r: SipResponse): void {
    void this.enqueue(() => this.onUac2xx(r));
  }

  private async sendAck(ack: SipRequest): Promise<void> {
    try {
      const dest = await this.ctx.stack.destinationFor(ack);
      const via = this.ctx.stack.newVia(dest.protocol, dest.address);
      const copy = ack.clone();
      copy.set(H.Via, [via]);
      await this.ctx.stack.sendStateless(copy, dest);
    } catch (e) {
      this.ctx.logger.warn('could not send ACK', { error: String(e) });
    }
  }

  /**
   * Cancels our INVITE while it has no final response (RFC 3261 §9.1). The session ends with
   * cause `cancelled` once the 487 arrives (or `Established` then BYE, if a 2xx crossed the CANCEL).
   */
  cancel(): void {
    if (this.role !== 'uac') throw new InvalidStateError('only an outgoing session can be cancelled; reject() an incoming one', this._state);
    if (this._state !== SessionState.Inviting && this._state !== SessionState.Early) return;
    this.cancelRequested = true;
    this.cancelInvite?.();
  }

  // ---------------------------------------------------------------- UAS

  /** @internal The user agent hands a new incoming INVITE here. */
  receiveInitialInvite(): void {
    this.transition(SessionState.Incoming);
  }

  /**
   * Sends a provisional response (default 180 Ringing, RFC 3261 §13.3.1.1), with extra headers
   * when given (e.g. what a call-control provider adds).
   */
  progress(statusCode = 180, reason?: string, options: { headers?: Record<string, string> } = {}): void {
    const tx = this.uasTransaction('progress');
    if (statusCode < 101 || statusCode > 199) throw new SdkError(ErrorCode.InvalidArgument, `progress needs a 101-199 status, not ${statusCode}`);
    const res = this.uasResponse(statusCode, reason);
    for (const [k, v] of Object.entries(options.headers ?? {})) res.setHeader(k, v);
    if (!this._dialog && this.earlyDialogs.size === 0) {
      const d = Dialog.createUas(this.uasInvite, res, { localContact: this.ctx.localContact(this.protocol), logger: this.ctx.logger });
      this.earlyDialogs.set(d.id.remoteTag, d);
      this.ctx.registry.add(d);
    }
    tx.respond(res);
    if (this._state === SessionState.Incoming) this.transition(SessionState.Early, { statusCode, reason: res.reason });
  }

  /**
   * Answers the call with 200 OK: with our SDP answer when the INVITE had an offer, else with an
   * offer whose answer comes in the ACK. Resolves once the ACK arrived (the session is then
   * Established); rejects with `InvalidStateError` if the call ended first. An offer that cannot
   * be answered is rejected with 488 and the promise rejects with the SDP error.
   */
  async accept(options: { headers?: Record<string, string> } = {}): Promise<void> {
    const tx = this.uasTransaction('accept');
    const invite = this.uasInvite;
    let body: string;
    try {
      body = this.offerInInvite ? await this.sdh.createAnswer(invite.body.toString('utf8'), { hold: this._localHold }) : await this.sdh.createOffer({ hold: this._localHold });
    } catch (e) {
      this.reject(488);
      throw e;
    }
    if (this._state !== SessionState.Incoming && this._state !== SessionState.Early) throw new InvalidStateError('the call ended before it was answered', this._state);
    this.pendingOfferInOurResponse = !this.offerInInvite;
    const res = this.uasResponse(200, 'OK', body);
    for (const [k, v] of Object.entries(options.headers ?? {})) res.setHeader(k, v);
    let dialog = this.earlyDialogs.values().next().value as Dialog | undefined;
    if (dialog) {
      this.earlyDialogs.clear();
    } else {
      dialog = Dialog.createUas(invite, res, { localContact: this.ctx.localContact(this.protocol), logger: this.ctx.logger });
      this.ctx.registry.add(dialog);
    }
    dialog.noteResponseSent(res);
    this._dialog = dialog;
    this.watchDialog(dialog);
    tx.respond(res);
    this.serverTx = undefined;
    this.transition(SessionState.Established, { statusCode: 200, reason: 'OK' });
    const ack = await this.waitForAck(tx, res);
    if (!ack) return;
    // The call is up: keep the INVITE (the `request` getter) without the parse state of the
    // received text. The server transaction still holds the original until it ends.
    if (this.inviteRequest) this.inviteRequest = compactRequest(this.inviteRequest);
    if (this.pendingOfferInOurResponse) {
      this.pendingOfferInOurResponse = false;
      await this.takeAnswer(ack.body.toString('utf8'));
    }
    this.updateHold();
  }

  /** Rejects the incoming call with a final response (default 486 Busy Here, or 603 Decline). */
  reject(statusCode = 486, reason?: string): void {
    const tx = this.uasTransaction('reject');
    if (statusCode < 300 || statusCode > 699) throw new SdkError(ErrorCode.InvalidArgument, `reject needs a 300-699 status, not ${statusCode}`);
    const res = this.uasResponse(statusCode, reason);
    for (const d of this.earlyDialogs.values()) d.noteResponseSent(res);
    tx.respond(res);
    this.serverTx = undefined;
    this.end('rejected', statusCode, res.reason);
  }

  /** @internal The caller cancelled (RFC 3261 §9.2): answer the INVITE with 487. */
  receiveCancel(): void {
    const tx = this.serverTx;
    if (!tx) return;
    const res = this.uasResponse(487, 'Request Terminated');
    for (const d of this.earlyDialogs.values()) d.noteResponseSent(res);
    tx.respond(res);
    this.serverTx = undefined;
    this.end('remote-cancelled', 487, 'Request Terminated');
  }

  /** The INVITE an incoming session answers. */
  private get uasInvite(): SipRequest {
    const r = this.inviteRequest;
    if (!r) throw new InvalidStateError('no INVITE to answer', this._state);
    return r;
  }

  private uasTransaction(what: string): InviteServerTransaction {
    if (this.role !== 'uas' || !this.serverTx || (this._state !== SessionState.Incoming && this._state !== SessionState.Early)) {
      throw new InvalidStateError(`cannot ${what}: the session is ${this._state}`, this._state);
    }
    return this.serverTx;
  }

  private uasResponse(status: number, reason?: string, sdp?: string): SipResponse {
    const res = createResponse(this.uasInvite, status, reason, { toTag: this.localTag });
    if (status < 300) {
      res.set(H.Contact, { star: false, contacts: [this.ctx.localContact(this.protocol)] });
      // RFC 3261 §12.1.1: the UAS copies Record-Route into reliable provisional and 2xx responses.
      const rr = this.uasInvite.headers.getAll('Record-Route');
      if (rr.length) res.setHeader('Record-Route', rr);
      for (const [k, v] of Object.entries(this.ctx.capabilityHeaders)) res.setHeader(k, v);
    }
    res.setHeader('Server', this.ctx.stack.userAgent);
    if (sdp !== undefined) {
      res.body = Buffer.from(sdp, 'utf8');
      res.setHeader('Content-Type', SDP);
    }
    return res;
  }

  /**
   * RFC 3261 §13.3.1.4: retransmit the 2xx (T1 doubling to T2) until the ACK arrives; after
   * 64*T1 without ACK, end the session with BYE. Resolves with the ACK, or undefined.
   */
  private waitForAck(tx: ServerTransaction, res: SipResponse): Promise<SipRequest | undefined> {
    const { t1Ms, t2Ms } = this.ctx.timers;
    const reliable = tx.responseDestination.protocol !== 'udp';
    const start = this.ctx.stack.clock.now();
    return new Promise((resolve) => {
      this.ackWait = { resolve, cseq: res.cseq.seq };
      let interval = t1Ms;
      const tick = (): void => {
        if (this.ctx.stack.clock.now() - start >= 64 * t1Ms) {
          this.ackWait = undefined;
          this.retransmit.clear();
          resolve(undefined);
          this.ctx.logger.warn('no ACK for our 2xx: ending the call (RFC 3261 §13.3.1.4)');
          void this.bye('ack-timeout');
          return;
        }
        if (!reliable) tx.respond(res);
        interval = Math.min(interval * 2, t2Ms);
        this.retransmit.value = this.ctx.stack.clock.setTimeout(tick, reliable ? 64 * t1Ms : interval);
      };
      this.retransmit.value = this.ctx.stack.clock.setTimeout(tick, reliable ? 64 * t1Ms : interval);
    });
  }

  /** @internal The user agent hands an ACK of this session's dialog here. */
  receiveAck(ack: SipRequest): void {
    const w = this.ackWait;
    if (!w || ack.cseq.seq !== w.cseq) return;
    this.ackWait = undefined;
    this.retransmit.clear();
    w.resolve(ack);
  }

  // ---------------------------------------------------------------- in-dialog

  /** @internal A request inside one of this session's dialogs (not ACK, not CANCEL). */
  handleRequest(request: SipRequest, tx: ServerTransaction): void {
    const dialog = this.dialogFor(request);
    if (!dialog) {
      tx.respond(createResponse(request, 481));
      return;
    }
    const rejection = dialog.receiveRequest(request);
    if (rejection) {
      const res = createResponse(request, rejection.status, rejection.reason);
      if (rejection.retryAfter !== undefined) res.setHeader('Retry-After', String(rejection.retryAfter));
      tx.respond(res);
      return;
    }
    switch (request.method) {
      case 'BYE':
        tx.respond(createResponse(request, 200));
        this.end('remote-bye');
        return;
      case 'INVITE':
        void this.enqueue(() => this.handleReinvite(request, tx as InviteServerTransaction, dialog));
        return;
      case 'INFO': {
        tx.respond(createResponse(request, 200));
        this._onDidReceiveInfo.fire({ request, contentType: request.headers.get('Content-Type') ?? '', body: request.body.toString('utf8') });
        return;
      }
      case 'NOTIFY':
        this.handleNotify(request, tx);
        return;
      case 'REFER':
        void this.enqueue(() => this.handleRefer(request, tx));
        return;
      case 'OPTIONS': {
        const res = createResponse(request, 200);
        for (const [k, v] of Object.entries(this.ctx.capabilityHeaders)) res.setHeader(k, v);
        tx.respond(res);
        return;
      }
      case 'UPDATE':
        if (request.body.length === 0) {
          tx.respond(createResponse(request, 200));
          return;
        }
        tx.respond(createResponse(request, 488, 'Not Acceptable Here'));
        return;
      default: {
        const res = createResponse(request, 501, 'Not Implemented');
        tx.respond(res);
      }
    }
  }

  private dialogFor(request: SipRequest): Dialog | undefined {
    if (this._dialog?.matchesRequest(request)) return this._dialog;
    for (const d of this.earlyDialogs.values()) if (d.matchesRequest(request)) return d;
    return undefined;
  }

  private async handleReinvite(request: SipRequest, tx: InviteServerTransaction, dialog: Dialog): Promise<void> {
    const hadOffer = request.body.length > 0;
    let body: string;
    try {
      body = hadOffer ? await this.sdh.createAnswer(request.body.toString('utf8'), { hold: this._localHold }) : await this.sdh.createOffer({ hold: this._localHold });
    } catch (e) {
      // RFC 3261 §14.2: a re-INVITE offer we cannot accept gets 488; the session goes on unchanged.
      const res = createResponse(request, 488, 'Not Acceptable Here');
      dialog.noteResponseSent(res);
      tx.respond(res);
      this.ctx.logger.info('re-INVITE offer refused', { error: String(e) });
      return;
    }
    const res = createResponse(request, 200, 'OK', { toTag: this.localTag });
    res.set(H.Contact, { star: false, contacts: [this.ctx.localContact(this.protocol)] });
    for (const [k, v] of Object.entries(this.ctx.capabilityHeaders)) res.setHeader(k, v);
    res.body = Buffer.from(body, 'utf8');
    res.setHeader('Content-Type', SDP);
    dialog.noteResponseSent(res);
    tx.respond(res);
    if (hadOffer) this.updateHold();
    const ack = await this.waitForAck(tx, res);
    if (ack && !hadOffer) await this.takeAnswer(ack.body.toString('utf8'));
    if (!hadOffer) this.updateHold();
  }

  private async takeAnswer(sdp: string): Promise<void> {
    if (!sdp) {
      this.ctx.logger.warn('ACK without the answer to our offer: ending the call');
      await this.bye();
      return;
    }
    try {
      await this.sdh.setAnswer(sdp);
    } catch (e) {
      this.ctx.logger.warn('unacceptable SDP answer in ACK: ending the call', { error: String(e) });
      await this.bye();
    }
  }

  private updateHold(): void {
    const remote = this.sdh.remoteHold ?? false;
    if (remote !== this._remoteHold) {
      this._remoteHold = remote;
      this._onDidChangeHold.fire({ localHold: this._localHold, remoteHold: remote });
    }
  }

  private handleNotify(request: SipRequest, tx: ServerTransaction): void {
    const event = request.get(H.Event);
    if (event?.event === 'refer' && this.referCseq !== undefined) {
      tx.respond(createResponse(request, 200));
      const state = request.get(H.SubscriptionState);
      const frag = parseSipfrag(request.body.toString('utf8'));
      const terminated = state?.state.toLowerCase() === 'terminated';
      if (frag) this._onDidReceiveReferProgress.fire({ statusCode: frag.status, reason: frag.reason, final: frag.status >= 200 || terminated });
      else if (terminated) this._onDidReceiveReferProgress.fire({ statusCode: 0, reason: 'subscription terminated', final: true });
      if (terminated || (frag && frag.status >= 200)) this.referCseq = undefined;
      return;
    }
    const pending: Promise<unknown>[] = [];
    this._onDidReceiveNotify.fire({ request, event: event?.event ?? '', waitUntil: (p) => void pending.push(p) });
    if (pending.length === 0) {
      tx.respond(createResponse(request, 200));
      return;
    }
    // Answer after what the listeners do, but well before the peer's Timer F (64*T1).
    let timer: TimerHandle | undefined;
    const limit = new Promise<void>((resolve) => (timer = this.ctx.stack.clock.setTimeout(resolve, NOTIFY_RESPONSE_WAIT_MS)));
    void Promise.race([Promise.allSettled(pending), limit]).then(() => {
      timer?.dispose();
      if (!this.isDisposed) tx.respond(createResponse(request, 200));
    });
  }

  private async handleRefer(request: SipRequest, tx: ServerTransaction): Promise<void> {
    let target: NameAddr;
    try {
      target = request.require(H.ReferTo);
    } catch {
      tx.respond(createResponse(request, 400, 'Bad Refer-To'));
      return;
    }
    const refer: IncomingRefer = { request, target, referredBy: request.get(H.ReferredBy) };
    let ok = false;
    try {
      ok = await this.ctx.onRefer(this, refer);
    } catch (e) {
      this.ctx.logger.warn('REFER handler failed', { error: String(e) });
    }
    if (!ok) {
      tx.respond(createResponse(request, 603, 'Decline'));
      return;
    }
    // RFC 3515 §2.4.2: accept with 202, then report progress with NOTIFYs (first one at once).
    tx.respond(createResponse(request, 202, 'Accepted'));
    await this.notifyReferProgress(request.cseq.seq, 100, 'Trying', false);
  }

  /**
   * Sends the sipfrag NOTIFY of a REFER we accepted (RFC 3515 §2.4.4-§2.4.5, RFC 3420). The last
   * one (`final`) ends the implicit subscription.
   */
  async notifyReferProgress(referCseq: number, statusCode: number, reason: string, final: boolean): Promise<void> {
    const d = this._dialog;
    if (!d || d.state === DialogState.Terminated) return;
    const notify = d.createRequest('NOTIFY', {
      body: `SIP/2.0 ${statusCode} ${reason}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
      headers: { Event: `refer;id=${referCseq}`, 'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60' },
    });
    await this.sendInDialog(notify).catch(() => undefined);
  }

  /**
   * Asks the peer to call `target` (RFC 3515): blind transfer with a URI, attended transfer with
   * another session (Refer-To carries its dialog as Replaces, RFC 3891 §7). Resolves with the
   * final progress report (e.g. 200 when the transfer target answered), or with a 408 report when
   * no final NOTIFY came within `timeoutMs` (default {@link REFER_PROGRESS_TIMEOUT_MS}); rejects
   * with `SdkError(SIP_REQUEST_FAILED)` when the REFER itself was refused.
   */
  async refer(target: string | Uri | InviteSession, options: { referredBy?: boolean; timeoutMs?: number } = {}): Promise<ReferProgress> {
    const d = this.requireEstablished('refer');
    let referTo: string;
    if (target instanceof InviteSession) {
      const other = target.dialog;
      const remote = target.remoteIdentity;
      if (!other || !remote) throw new InvalidStateError('the session to replace has no dialog', target.state);
      // RFC 3891 §3: to-tag is the local tag of the dialog at the target, from-tag its remote tag.
      const replaces = `${other.id.callId};to-tag=${other.id.remoteTag};from-tag=${other.id.localTag}`;
      const uri = other.remoteTarget;
      referTo = `<${formatUri(uri)}?Replaces=${encodeURIComponent(replaces)}>`;
    } else {
      referTo = `<${typeof target === 'string' ? target : formatUri(target)}>`;
    }
    const headers: Record<string, string> = { 'Refer-To': referTo };
    if (options.referredBy !== false) headers['Referred-By'] = formatNameAddr({ ...this.ctx.localIdentity, params: new Map() });
    const refer = d.createRequest('REFER', { headers });
    this.referCseq = refer.cseq.seq;
    let stopListening = (): void => undefined;
    const done = new Promise<ReferProgress>((resolve) => {
      const sub = this.onDidReceiveReferProgress((p) => {
        if (!p.final) return;
        stopListening();
        resolve(p);
      });
      const end = this.onDidChangeState((s) => {
        if (s.state !== SessionState.Terminated) return;
        stopListening();
        resolve({ statusCode: 0, reason: 'session ended', final: true });
      });
      // A transferee that never reports a final outcome must not leave the transfer pending.
      const timer = this.ctx.stack.clock.setTimeout(() => {
        stopListening();
        this.referCseq = undefined;
        resolve({ statusCode: 408, reason: 'no final NOTIFY for the REFER', final: true });
      }, options.timeoutMs ?? REFER_PROGRESS_TIMEOUT_MS);
      stopListening = () => {
        sub.dispose();
        end.dispose();
        timer.dispose();
      };
    });
    const res = await this.sendInDialog(refer);
    if (res.status >= 300) {
      // The REFER was refused: no progress will come; drop the listeners now rather than at session end.
      stopListening();
      this.referCseq = undefined;
      throw new SdkError(ErrorCode.SipRequestFailed, `REFER refused: ${res.status} ${res.reason}`);
    }
    return done;
  }

  /**
   * Sends a re-INVITE (RFC 3261 §14.1): with a fresh offer (hold or not), or without SDP
   * (`withoutSdp`: the peer offers in its 2xx and we answer in the ACK). On 491 it waits the
   * §14.1 interval and tries again (up to 3 times). Resolves when the exchange completed;
   * rejects with `SdkError(SIP_REQUEST_FAILED)` on another failure (the call goes on unless it
   * was 481/408).
   */
  async reinvite(options: { hold?: boolean; withoutSdp?: boolean } = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const d = this.requireEstablished('re-INVITE');
      const hold = options.hold ?? this._localHold;
      const offer = options.withoutSdp ? undefined : await this.sdh.createOffer({ hold });
      const req = d.createRequest('INVITE', offer !== undefined ? { body: offer, contentType: SDP } : {});
      for (const [k, v] of Object.entries(this.ctx.capabilityHeaders)) req.setHeader(k, v);
      const res = await this.sendInDialog(req, (r) => this.enqueue(() => this.onReinvite2xxRetransmit(r)));
      if (res.status >= 200 && res.status < 300) {
        let ackBody: string | undefined;
        try {
          if (offer !== undefined) await this.sdh.setAnswer(res.body.toString('utf8'));
          else ackBody = await this.sdh.createAnswer(res.body.toString('utf8'), { hold });
        } catch (e) {
          this.ctx.logger.warn('unacceptable answer to our re-INVITE', { error: String(e) });
        }
        const ack = d.createAck(res.cseq.seq, ackBody !== undefined ? { body: ackBody, contentType: SDP } : {});
        this.lastAck = { ack: compactRequest(ack), cseq: res.cseq.seq };
        await this.sendAck(ack);
        if (this._localHold !== hold) {
          this._localHold = hold;
          this._onDidChangeHold.fire({ localHold: hold, remoteHold: this._remoteHold });
        }
        this.updateHold();
        return;
      }
      if (res.status === 491 && attempt < 3) {
        // RFC 3261 §14.1: on 491, wait a random interval (longer when we own the Call-ID) and retry.
        const rfcDelayMs = d.glareRetryDelayMs();
        const delay = rfcDelayMs * (this.ctx.glareRetryScale ?? 1);
        this.ctx.logger.info('re-INVITE glare (491): retrying', { delayMs: delay });
        this._onDidEncounterGlare.fire({ rfcDelayMs, delayMs: delay, ownsCallId: this.role === 'uac', attempt: attempt + 1 });
        await new Promise<void>((resolve) => this.ctx.stack.clock.setTimeout(resolve, delay));
        continue;
      }
      if (res.status === 481 || res.status === 408) this.end('dialog-lost', res.status, res.reason);
      throw new SdkError(ErrorCode.SipRequestFailed, `re-INVITE failed: ${res.status} ${res.reason}`);
    }
  }

  private async onReinvite2xxRetransmit(r: SipResponse): Promise<void> {
    if (this.lastAck && this.lastAck.cseq === r.cseq.seq) await this.sendAck(this.lastAck.ack);
  }

  /** Puts the call on hold (re-INVITE with a sendonly offer, RFC 3264 §8.4). */
  hold(): Promise<void> {
    return this.reinvite({ hold: true });
  }

  /** Takes the call off hold. */
  unhold(): Promise<void> {
    return this.reinvite({ hold: false });
  }

  /** Sends INFO (RFC 2976), e.g. `application/dtmf-relay`. Resolves with the final response. */
  async info(contentType: string, body: string): Promise<SipResponse> {
    const d = this.requireEstablished('INFO');
    return this.sendInDialog(d.createRequest('INFO', { body, contentType }));
  }

  /** Sends an in-dialog NOTIFY without subscription (e.g. `Event: talk`, as a SIP Server does in 3pcc). */
  async notify(event: string, options: { body?: string; contentType?: string } = {}): Promise<SipResponse> {
    const d = this.requireEstablished('NOTIFY');
    const headers: Record<string, string> = { Event: event, 'Subscription-State': 'active' };
    return this.sendInDialog(d.createRequest('NOTIFY', { headers, body: options.body, contentType: options.contentType }));
  }

  /**
   * Ends the call whatever its state: CANCEL while our INVITE is pending, 480 for an unanswered
   * incoming call, BYE once established. Resolves when done.
   */
  async terminate(): Promise<void> {
    switch (this._state) {
      case SessionState.Inviting:
      case SessionState.Early:
        if (this.role === 'uac') this.cancel();
        else this.reject(480, 'Temporarily Unavailable');
        return;
      case SessionState.Incoming:
        this.reject(480, 'Temporarily Unavailable');
        return;
      case SessionState.Established:
        await this.bye();
        return;
      default:
        return;
    }
  }

  /**
   * Sends BYE (RFC 3261 §15.1.1) and ends the session; resolves when the BYE transaction ends.
   *
   * @param cause how the session's end is reported locally
   * @param reason an RFC 3326 `Reason` header for the BYE (why the call ends), e.g.
   *   `{ protocol: 'SIP', cause: 408, text: 'RTP timeout' }`
   */
  async bye(cause: SessionEndCause = 'local-bye', reason?: { protocol: 'SIP' | 'Q.850'; cause: number; text?: string }): Promise<void> {
    const d = this._dialog;
    if (!d || this._state === SessionState.Terminated || this._state === SessionState.Terminating) return;
    this.ackWait?.resolve(undefined);
    this.ackWait = undefined;
    this.retransmit.clear();
    this.transition(SessionState.Terminating);
    if (d.state !== DialogState.Terminated) {
      const bye = d.createRequest('BYE');
      if (reason) {
        // RFC 3326 §2: Reason: protocol ;cause=N ;text="..."
        const params = new Map<string, string | null>([['cause', String(reason.cause)]]);
        if (reason.text !== undefined) params.set('text', `"${reason.text.replace(/["\\\r\n]/g, '')}"`);
        bye.set(H.Reason, [{ protocol: reason.protocol, params }]);
      }
      const res = await this.sendInDialog(bye).catch(() => undefined);
      this.end(cause, res?.status, res?.reason);
      return;
    }
    this.end(cause);
  }

  private async sendInDialog(req: SipRequest, onSuccess?: (r: SipResponse) => void): Promise<SipResponse> {
    const d = this._dialog;
    const res = await this.ctx.stack.sendRequest(req, onSuccess ? { onSuccess } : {}).final;
    if (d && d.state !== DialogState.Terminated && d.matchesResponse(res)) {
      try {
        d.receiveResponse(res);
      } catch (e) {
        this.ctx.logger.debug('dialog refused a response', { error: String(e) });
      }
    } else if (d && isSyntheticResponse(res) && res.status === 408) {
      d.noteRequestTimeout(req.method);
    }
    return res;
  }

  private requireEstablished(what: string): Dialog {
    const d = this._dialog;
    if (this._state !== SessionState.Established || !d) throw new InvalidStateError(`cannot send ${what}: the session is ${this._state}`, this._state);
    return d;
  }

  private watchDialog(d: Dialog): void {
    this._register(
      d.onDidChangeState((e) => {
        if (e.state !== DialogState.Terminated || this._state === SessionState.Terminated || this._state === SessionState.Terminating) return;
        if (e.cause === '481' || e.cause === '408' || e.cause === 'timeout') this.end('dialog-lost', Number(e.cause) || undefined);
      }),
    );
  }

  // ---------------------------------------------------------------- plumbing

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch((e) => this.ctx.logger.warn('session task failed', { error: String(e) }));
    return this.queue;
  }

  private run(fn: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      try {
        await fn();
      } catch (e) {
        this.ctx.logger.warn('session failed', { error: String(e) });
        this.end('request-failed');
      }
    });
  }

  /** @internal Ends the session with `cause` (used by the user agent for Replaces). */
  end(cause: SessionEndCause, statusCode?: number, reason?: string): void {
    if (this._state === SessionState.Terminated) return;
    this.endInfo = { cause, statusCode, reason };
    this.ackWait?.resolve(undefined);
    this.ackWait = undefined;
    this.retransmit.clear();
    this._dialog?.terminate(cause);
    for (const d of this.earlyDialogs.values()) d.terminate(cause);
    this.transition(SessionState.Terminated, { cause, statusCode, reason });
    try {
      this.sdh.dispose?.();
    } catch (e) {
      this.ctx.logger.warn('session description handler failed to dispose', { error: String(e) });
    }
  }

  private transition(state: SessionState, extra: { cause?: SessionEndCause; statusCode?: number | undefined; reason?: string | undefined } = {}): void {
    const previous = this._state;
    if (previous === state) return;
    if (!EDGES[previous].includes(state)) {
      this.ctx.logger.warn('session: illegal transition ignored', { from: previous, to: state });
      return;
    }
    this._state = state;
    this.ctx.logger.debug('session state', { callId: this.callId, from: previous, to: state, ...extra });
    this._onDidChangeState.fire({ session: this, previous, state, ...extra });
  }

  /** Ends the session (cause `disposed`, no BYE) and releases its dialogs. */
  override dispose(): void {
    if (this.isDisposed) return;
    this.end('disposed');
    this._dialog?.dispose();
    for (const d of this.earlyDialogs.values()) d.dispose();
    this.earlyDialogs.clear();
    super.dispose();
  }
}

/**
 * A copy of `req` for a running call to keep: the same start line, header lines and body, with
 * no typed values cached, no parser state (the received text the values were slices of) and the
 * body in its own exact-size buffer (not a slice of a socket read or pool slab). Typed values are
 * parsed again on first use.
 */
function compactRequest(req: SipRequest): SipRequest {
  const fields = req.headers.all().map((f) => ({ name: f.name, key: f.key, value: ownString(f.value) }));
  let body = req.body;
  if (body.length) {
    body = Buffer.allocUnsafeSlow(req.body.length);
    req.body.copy(body);
  }
  return new SipRequest(req.method, req.uri, new SipHeaders(fields), body, req.version);
}

/** The `q` parameter of a Contact (RFC 3261 §20.10), 1 when absent. */
function qOf(c: NameAddr): number {
  const q = Number(c.params.get('q') ?? '1');
  return Number.isFinite(q) ? q : 1;
}

function transportParam(uri: Uri): 'udp' | 'tcp' | 'tls' | undefined {
  if (uri.kind !== 'sip') return undefined;
  if (uri.scheme === 'sips') return 'tls';
  const t = uri.params.get('transport')?.toLowerCase();
  return t === 'udp' || t === 'tcp' || t === 'tls' ? t : undefined;
}

/** The status line of a `message/sipfrag` body (RFC 3420), e.g. `SIP/2.0 180 Ringing`. */
export function parseSipfrag(body: string): { status: number; reason: string } | undefined {
  const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(body.trimStart());
  if (!m) return undefined;
  return { status: Number(m[1]), reason: m[2] ?? '' };
}
