/**
 * The user agent: one identity (AOR) on one {@link SipStack}, with its registrations, its
 * INVITE sessions, its out-of-dialog subscriptions (RFC 6665, e.g. RFC 3842 message-summary),
 * and the UAS core's answers to everything else (OPTIONS, stray in-dialog requests, SUBSCRIBE
 * to the implied `talk` package).
 */
import { Disposable, Emitter, ErrorCode, SdkError, type Event, type Logger } from '@sip-endpoint/base';
import {
  H,
  createResponse,
  formatUri,
  parseNameAddr,
  parseReferToReplaces,
  parseUri,
  randomToken,
  SipRequest,
  type NameAddr,
  type SipResponse,
  type SipUri,
  type Uri,
} from '../message/index';
import { DialogRegistry } from '../dialog/index';
import { DigestClient, type DigestCredentialsInit } from '../auth/index';
import type { InviteServerTransaction, ServerTransaction } from '../transaction/index';
import type { RequestAuthenticator } from './auth-retry';
import { InviteSession, SessionState, type IncomingRefer, type InviteOptions, type SessionContext } from './invite-session';
import { MESSAGE_SUMMARY_CONTENT_TYPE, MESSAGE_SUMMARY_EVENT, MessageSummarySubscription } from './message-summary';
import { Registration, type RegistrationOptions } from './registration';
import { SubscriptionState } from '../dialog/index';
import { UaSubscription, type UaSubscribeOptions } from './subscriber';
import type { SessionDescriptionHandler } from './sdh';
import { SipStack, type SipStackOptions } from './stack';

/** The Allow-Events every INVITE and its 180/200 carry (genesys-compat §1). */
export const DEFAULT_ALLOW_EVENTS = 'talk, hold, refer, conference';

/** Methods this user agent handles (RFC 3261 §20.5). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REFER', 'NOTIFY', 'UPDATE'];

/** Answers from the application to questions the stack cannot decide (delegates, not events). */
export interface UserAgentDelegate {
  /**
   * A new incoming call. Call `session.progress()`, `session.accept()` or `session.reject()`.
   * Without a delegate, incoming calls are rejected with 480.
   */
  onInvite?(session: InviteSession): void;
  /**
   * A REFER in an established session (RFC 3515): return true to accept (202, then the user agent
   * calls the target and reports progress by NOTIFY), false to decline (603). Default: accept.
   */
  onRefer?(session: InviteSession, refer: IncomingRefer): boolean | Promise<boolean>;
  /** The session to use for a call the user agent places to follow an accepted REFER; defaults to `createSessionDescriptionHandler`. */
  createSessionDescriptionHandler?(): SessionDescriptionHandler;
}

/** Options of a {@link UserAgent}. */
export interface UserAgentOptions {
  /** Our address-of-record, e.g. `sip:1001@example.com`. */
  aor: string;
  /** Display name in From and Contact. */
  displayName?: string;
  /** Digest credentials (RFC 3261 §22): user name and password (or HA1), optionally per realm. */
  credentials?: DigestCredentialsInit | readonly DigestCredentialsInit[];
  /** Answers challenges instead of `credentials` (e.g. a `DigestClient` configured by the caller). */
  authenticator?: RequestAuthenticator;
  /** The stack to use; or options to create one (then owned by the user agent). */
  stack: SipStack | SipStackOptions;
  /** Creates the offer/answer handler of each new session. */
  createSessionDescriptionHandler: () => SessionDescriptionHandler;
  delegate?: UserAgentDelegate;
  /** Every out-of-dialog request goes to this proxy first. */
  outboundProxy?: string;
  /** Default transport for Contact and calls (default `udp`). */
  transport?: 'udp' | 'tcp' | 'tls';
  /**
   * Scales the RFC 3261 §14.1 re-INVITE glare backoff (2.1-4 s when we own the Call-ID, else
   * 0-2 s). Default 1 (the RFC ranges); tests use small values to keep glare runs short.
   */
  glareRetryScale?: number;
  logger?: Logger;
  /**
   * Who hands incoming messages to this user agent. `stack` (default): it listens to the stack's
   * events itself (one user agent per stack). `external`: it does not; the owner of a stack shared
   * by several user agents routes each message with {@link UserAgent.handleRequest},
   * {@link UserAgent.handleAck}, {@link UserAgent.handleCancel} and
   * {@link UserAgent.handleStrayResponse} (see {@link UserAgent.ownsInDialogRequest}).
   */
  incoming?: 'stack' | 'external';
}

/** A user agent: place and receive calls, register, answer OPTIONS. Dispose it to end everything. */
export class UserAgent extends Disposable {
  readonly stack: SipStack;
  readonly aor: SipUri;
  readonly registry: DialogRegistry;
  private readonly sessions = new Set<InviteSession>();
  private readonly registrations = new Set<Registration>();
  private readonly subscriptions = new Set<UaSubscription>();
  private readonly outboundProxy: Uri | undefined;
  private readonly logger: Logger;
  private readonly ctx: SessionContext;

  private readonly _onDidCreateSession = this._register(new Emitter<{ session: InviteSession }>());
  /** A session was created (incoming or outgoing). */
  readonly onDidCreateSession: Event<{ session: InviteSession }> = this._onDidCreateSession.event;

  private constructor(
    stack: SipStack,
    ownsStack: boolean,
    private readonly options: UserAgentOptions,
  ) {
    super();
    this.stack = stack;
    if (ownsStack) this._register(stack);
    const aor = parseUri(options.aor);
    if (aor.kind !== 'sip') throw new SdkError(ErrorCode.InvalidArgument, `aor must be a sip: or sips: URI, not ${options.aor}`);
    this.aor = aor;
    this.logger = (options.logger ?? stack.logger).child({ component: 'ua', aor: options.aor });
    this.outboundProxy = options.outboundProxy ? parseUri(options.outboundProxy) : undefined;
    this.registry = this._register(new DialogRegistry());
    const authenticator = options.authenticator ?? (options.credentials ? new DigestClient({ credentials: options.credentials, logger: this.logger }) : undefined);
    const identity: NameAddr = { displayName: options.displayName, uri: aor, params: new Map() };
    const timers = { t1Ms: 500, t2Ms: 4000, ...(isStackOptions(options.stack) ? options.stack.timers : {}) };
    this.ctx = {
      stack,
      registry: this.registry,
      logger: this.logger,
      localContact: (protocol) => ({ displayName: options.displayName, uri: stack.contactUri(aor.user, protocol), params: new Map() }),
      localIdentity: identity,
      authenticator,
      timers: { t1Ms: timers.t1Ms ?? 500, t2Ms: timers.t2Ms ?? 4000 },
      capabilityHeaders: {
        Allow: ALLOWED_METHODS.join(', '),
        Supported: 'replaces, norefersub',
        'Allow-Events': DEFAULT_ALLOW_EVENTS,
      },
      onRefer: (session, refer) => this.onRefer(session, refer),
      glareRetryScale: options.glareRetryScale ?? 1,
    };
    if ((options.incoming ?? 'stack') === 'stack') {
      this._register(stack.onDidReceiveRequest((e) => this.handleRequest(e.request, e.transaction)));
      this._register(stack.onDidReceiveAck(({ request }) => void this.handleAck(request)));
      this._register(stack.onDidReceiveCancel(({ inviteTransaction }) => void this.handleCancel(inviteTransaction)));
      this._register(stack.onDidReceiveStrayResponse(({ response }) => void this.handleStrayResponse(response)));
    }
  }

  /**
   * Whether a request with a To tag belongs to this user agent: a NOTIFY of one of its
   * subscriptions (RFC 6665 §4.1.3) or a request in one of its dialogs (RFC 3261 §12.2.2). For
   * the owner of a shared stack (`incoming: 'external'`).
   */
  ownsInDialogRequest(request: SipRequest): boolean {
    for (const sub of this.subscriptions) if (sub.matchesRequest(request)) return true;
    const dialog = this.registry.findForRequest(request);
    return !!dialog && [...this.sessions].some((s) => s.dialog === dialog);
  }

  /**
   * Handles a new incoming request and its server transaction (what the stack's
   * `onDidReceiveRequest` delivers). Always answers, possibly later (through the delegate).
   */
  handleRequest(request: SipRequest, tx: ServerTransaction): void {
    this.onRequest(request, tx);
  }

  /** Handles an ACK for a 2xx (RFC 3261 §13.3.1.4). Returns whether one of our sessions took it. */
  handleAck(request: SipRequest): boolean {
    const dialog = this.registry.findForRequest(request);
    const session = dialog && [...this.sessions].find((s) => s.dialog === dialog);
    session?.receiveAck(request);
    return !!session;
  }

  /** Handles a CANCEL of an incoming INVITE (RFC 3261 §9.2). Returns whether one of our sessions took it. */
  handleCancel(inviteTransaction: ServerTransaction): boolean {
    const session = [...this.sessions].find((s) => s.role === 'uas' && s.request === inviteTransaction.request);
    session?.receiveCancel();
    return !!session;
  }

  /**
   * Handles a response that matched no transaction: a retransmitted 2xx after our INVITE
   * transaction ended, which the session ACKs again (RFC 3261 §13.2.2.4). Returns whether one
   * of our sessions took it.
   */
  handleStrayResponse(response: SipResponse): boolean {
    if (response.cseq.method !== 'INVITE' || response.status < 200 || response.status >= 300) return false;
    const dialog = this.registry.findForResponse(response);
    const session = dialog && [...this.sessions].find((s) => s.dialog === dialog);
    session?.receiveStray2xx(response);
    return !!session;
  }

  /**
   * Creates a user agent; with stack options, the stack is created, listens, and is owned
   * (disposed with the user agent). Rejects with a `TransportError` when a port cannot be bound.
   */
  static async create(options: UserAgentOptions): Promise<UserAgent> {
    if (isStackOptions(options.stack)) {
      const stack = await SipStack.create({ logger: options.logger, ...options.stack });
      return new UserAgent(stack, true, options);
    }
    return new UserAgent(options.stack, false, options);
  }

  /** The live sessions. */
  get activeSessions(): readonly InviteSession[] {
    return [...this.sessions];
  }

  /**
   * Creates a registration of our AOR (not started: call `register()` on it). It is disposed with
   * the user agent.
   */
  createRegistration(options: Partial<RegistrationOptions> = {}): Registration {
    const reg = new Registration(this.stack, {
      aor: this.aor,
      displayName: this.options.displayName,
      authenticator: this.ctx.authenticator,
      outboundProxy: this.options.outboundProxy,
      transport: this.options.transport,
      ...options,
    });
    this.registrations.add(reg);
    this._register(reg);
    return reg;
  }

  /**
   * Places a call to `target` (a SIP URI or a name-addr). Returns the session at once; watch
   * `onDidChangeState` for Early / Established / Terminated (with the SIP status).
   */
  invite(target: string | Uri, options: InviteOptions & { sdh?: SessionDescriptionHandler } = {}): InviteSession {
    const to: NameAddr = typeof target === 'string' ? parseNameAddr(target.includes('<') ? target : `<${target}>`, 'To') : { uri: target, params: new Map() };
    const sdh = options.sdh ?? this.options.createSessionDescriptionHandler();
    const session = new InviteSession(this.ctx, 'uac', sdh, { uri: to.uri, to: { ...to, params: new Map() }, options: { transport: this.options.transport, outboundProxy: this.outboundProxy, ...options } });
    this.track(session);
    session.start();
    return session;
  }

  /**
   * Subscribes to `event` at `target` outside any dialog (RFC 6665 §4.1): sends SUBSCRIBE
   * (answering digest challenges and 423), builds the dialog from the 2xx or from a NOTIFY that
   * comes first, answers NOTIFYs, refreshes before expiry. Returns at once; NOTIFYs are reported
   * by `onDidReceiveNotify`, the states (and the end, with its cause) by `onDidChangeState`.
   * `unsubscribe()` or `dispose()` ends it with a SUBSCRIBE Expires: 0.
   */
  subscribe(target: string | Uri, event: string, options: UaSubscribeOptions = {}): UaSubscription {
    const uri = typeof target === 'string' ? parseNameAddr(target.includes('<') ? target : `<${target}>`, 'To').uri : target;
    const sub = new UaSubscription(
      {
        stack: this.stack,
        logger: this.logger,
        localIdentity: this.ctx.localIdentity,
        localContact: this.ctx.localContact,
        authenticator: this.ctx.authenticator,
        outboundProxy: this.outboundProxy,
        transport: this.options.transport,
        t1Ms: this.ctx.timers.t1Ms,
      },
      uri,
      event,
      options,
    );
    this.subscriptions.add(sub);
    const l = sub.onDidChangeState((e) => {
      if (e.state !== SubscriptionState.Terminated) return;
      l.dispose();
      this.subscriptions.delete(sub);
    });
    sub.start();
    return sub;
  }

  /**
   * Subscribes to the message waiting indication of `mailboxUri` (RFC 3842 `message-summary`,
   * Accept: application/simple-message-summary). Parsed summaries are reported by
   * `onDidChangeMessageSummary` of the result; disposing it unsubscribes.
   */
  subscribeMessageSummary(mailboxUri: string | Uri, options: Omit<UaSubscribeOptions, 'accept'> = {}): MessageSummarySubscription {
    return new MessageSummarySubscription(this.subscribe(mailboxUri, MESSAGE_SUMMARY_EVENT, { ...options, accept: MESSAGE_SUMMARY_CONTENT_TYPE }));
  }

  /** The live out-of-dialog subscriptions. */
  get activeSubscriptions(): readonly UaSubscription[] {
    return [...this.subscriptions];
  }

  /** Sends OPTIONS to `target` (RFC 3261 §11); resolves with the final response. */
  sendOptions(target: string): Promise<SipResponse> {
    const uri = parseUri(target);
    const req = new SipRequest('OPTIONS', uri);
    req.set(H.From, { uri: this.aor, params: new Map([['tag', randomToken(6)]]) });
    req.set(H.To, { uri, params: new Map() });
    req.set(H.CallId, randomToken(12));
    req.set(H.CSeq, { seq: 1, method: 'OPTIONS' });
    req.set(H.MaxForwards, 70);
    req.setHeader('Accept', 'application/sdp');
    return this.stack.sendRequest(req, {}, { outboundProxy: this.outboundProxy }).final;
  }

  private track(session: InviteSession): void {
    this.sessions.add(session);
    const sub = session.onDidChangeState((e) => {
      if (e.state !== SessionState.Terminated) return;
      sub.dispose();
      this.sessions.delete(session);
      // Let the application's own state listeners run first, then release the session.
      queueMicrotask(() => session.dispose());
    });
    this._onDidCreateSession.fire({ session });
  }

  private onRequest(request: SipRequest, tx: ServerTransaction): void {
    const toTag = request.to.params.get('tag');
    if (toTag) {
      // RFC 6665 §4.1.3: NOTIFYs of our subscriptions (also before the 2xx made the dialog, §4.1.2.4).
      for (const sub of this.subscriptions) {
        if (sub.matchesRequest(request)) {
          sub.handleRequest(request, tx);
          return;
        }
      }
      // RFC 3261 §12.2.2: a request inside a dialog.
      const dialog = this.registry.findForRequest(request);
      const session = dialog && [...this.sessions].find((s) => s.dialog === dialog);
      if (!session) {
        tx.respond(createResponse(request, 481));
        return;
      }
      session.handleRequest(request, tx);
      return;
    }
    switch (request.method) {
      case 'INVITE':
        this.onInvite(request, tx as InviteServerTransaction);
        return;
      case 'OPTIONS': {
        // RFC 3261 §11.2: answer with our capabilities.
        const res = createResponse(request, 200, 'OK', { toTag: request.branch?.slice(-10) ?? 'o' });
        for (const [k, v] of Object.entries(this.ctx.capabilityHeaders)) res.setHeader(k, v);
        res.setHeader('Accept', 'application/sdp');
        tx.respond(res);
        return;
      }
      case 'SUBSCRIBE': {
        const event = request.get(H.Event)?.event;
        // genesys-compat §1: the talk/hold packages are implicit; an explicit SUBSCRIBE is refused.
        const res = createResponse(request, 489, 'Bad Event', { toTag: 'x' });
        res.setHeader('Allow-Events', DEFAULT_ALLOW_EVENTS);
        this.logger.info('SUBSCRIBE refused', { event });
        tx.respond(res);
        return;
      }
      case 'BYE':
      case 'NOTIFY':
      case 'INFO':
      case 'REFER':
      case 'UPDATE':
        tx.respond(createResponse(request, 481));
        return;
      default:
        tx.respond(createResponse(request, 405, 'Method Not Allowed'));
    }
  }

  private onInvite(request: SipRequest, tx: InviteServerTransaction): void {
    let sdh: SessionDescriptionHandler;
    try {
      sdh = this.options.createSessionDescriptionHandler();
    } catch (e) {
      // The application could not provide media for the call: refuse it without keeping state.
      this.logger.warn('createSessionDescriptionHandler threw: rejecting the call', { error: String(e) });
      tx.respond(createResponse(request, 500, 'Server Internal Error', { toTag: randomToken(6) }));
      return;
    }
    const session = new InviteSession(this.ctx, 'uas', sdh, { request, transaction: tx });
    const replaces = request.get(H.Replaces);
    if (replaces) {
      // RFC 3891 §3: find the dialog to replace: its local tag is the to-tag, its remote tag the from-tag.
      const target = [...this.sessions].find((s) => {
        const d = s.dialog;
        return d && d.id.callId === replaces.callId && d.id.localTag === replaces.toTag && d.id.remoteTag === replaces.fromTag;
      });
      if (!target || target.state === SessionState.Terminated || (replaces.earlyOnly && target.state === SessionState.Established)) {
        tx.respond(createResponse(request, 481, 'Call/Transaction Does Not Exist', { toTag: 'r' }));
        sdh.dispose?.();
        session.dispose();
        return;
      }
      session.replaces = target;
      // RFC 3891 §3: once the new dialog is confirmed, the replaced one is ended with BYE.
      const sub = session.onDidChangeState((e) => {
        if (e.state === SessionState.Established) {
          sub.dispose();
          void target.bye('replaced');
        } else if (e.state === SessionState.Terminated) sub.dispose();
      });
    }
    this.track(session);
    session.receiveInitialInvite();
    const delegate = this.options.delegate;
    if (!delegate?.onInvite) {
      session.reject(480, 'Temporarily Unavailable');
      return;
    }
    try {
      delegate.onInvite(session);
    } catch (e) {
      this.logger.warn('onInvite delegate threw: rejecting the call', { error: String(e) });
      if (session.state === SessionState.Incoming || session.state === SessionState.Early) session.reject(500, 'Server Internal Error');
    }
  }

  private async onRefer(session: InviteSession, refer: IncomingRefer): Promise<boolean> {
    const accept = this.options.delegate?.onRefer ? await this.options.delegate.onRefer(session, refer) : true;
    if (!accept) return false;
    const referCseq = refer.request.cseq.seq;
    const target = refer.target.uri;
    const headers: Record<string, string> = {};
    const replaces = parseReferToReplaces(target);
    if (replaces) headers['Replaces'] = `${replaces.callId};to-tag=${replaces.toTag};from-tag=${replaces.fromTag}${replaces.earlyOnly ? ';early-only' : ''}`;
    if (refer.referredBy) headers['Referred-By'] = refer.request.headers.get('Referred-By') ?? '';
    const clean: Uri = target.kind === 'sip' ? { ...target, headers: new Map() } : target;
    // Call the target once the 202 is out (the session sends 202 and the first NOTIFY after we return).
    queueMicrotask(() => {
      const sdh = this.options.delegate?.createSessionDescriptionHandler?.() ?? this.options.createSessionDescriptionHandler();
      const call = this.invite(clean, { headers, sdh });
      const sub = call.onDidChangeState((e) => {
        if (e.state === SessionState.Early && e.statusCode) void session.notifyReferProgress(referCseq, e.statusCode, e.reason ?? '', false);
        if (e.state === SessionState.Established) {
          sub.dispose();
          void session.notifyReferProgress(referCseq, 200, 'OK', true);
        } else if (e.state === SessionState.Terminated) {
          sub.dispose();
          void session.notifyReferProgress(referCseq, e.statusCode ?? 503, e.reason ?? 'Service Unavailable', true);
        }
      });
    });
    this.logger.info('following REFER', { target: formatUri(target) });
    return true;
  }

  /** Unregisters every registration, ends every session (BYE/CANCEL), then disposes. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.terminate().catch(() => undefined)));
    await Promise.all([...this.registrations].map((r) => r.unregister().catch(() => undefined)));
    await Promise.all([...this.subscriptions].map((s) => s.unsubscribe().catch(() => undefined)));
    this.dispose();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const s of [...this.sessions]) s.dispose();
    this.sessions.clear();
    // Before the stack goes: each live subscription sends its unsubscribe (best effort).
    for (const s of [...this.subscriptions]) s.dispose();
    this.subscriptions.clear();
    super.dispose();
  }
}

function isStackOptions(s: SipStack | SipStackOptions): s is SipStackOptions {
  return !(s instanceof SipStack);
}
