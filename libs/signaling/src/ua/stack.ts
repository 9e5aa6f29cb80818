/**
 * The SIP stack core: the transport manager, the parser, the RFC 3261 §18 receive rules
 * (RFC 3581 `received`/`rport`), the transaction layer, RFC 3263 target resolution with
 * failover, and the sending of requests outside and inside dialogs. The user agent
 * ({@link UserAgent}) sits on top of it.
 */
import {
  Disposable,
  Emitter,
  ErrorCode,
  SdkError,
  TransactionTimeoutError,
  TransportError,
  nullLogger,
  realClock,
  setListenerErrorHandler,
  type Clock,
  type Event,
  type Logger,
} from '@sip-endpoint/base';
import {
  H,
  SipParseError,
  SipRequest,
  SipResponse,
  createResponse,
  newBranch,
  parseMessage,
  validateRequest,
  type HeaderCodec,
  type ParseLimits,
  type SipMessage,
  type SipUri,
  type UasCapabilities,
  type Uri,
  type ValidationFailure,
  type Via,
} from '../message/index';
import {
  SipTransportManager,
  type ListenSpec,
  type ListeningPoint,
  type MessageReceivedEvent,
  type SipTransportManagerOptions,
  type TransportProtocol,
} from '../transport/index';
import { SipResolver, TargetList, type ResolvedTarget, type TargetTransport } from '../dns/index';
import {
  TransactionLayer,
  type ClientTransaction,
  type Destination,
  type ServerTransaction,
  type TransactionTimers,
} from '../transaction/index';

/** Options of a {@link SipStack}. */
export interface SipStackOptions {
  /** Where to listen: one entry per transport (`{ protocol: 'udp', host: '127.0.0.1', port: 5060 }`). */
  listen: ListenSpec[];
  /** Time source of every timer (default: the real clock). */
  clock?: Clock;
  logger?: Logger;
  /** SIP timers T1, T2, T4 (RFC 3261 §17.1.1.1). */
  timers?: Partial<TransactionTimers>;
  /** Transport settings: limits, keep-alive, TLS client material. */
  transport?: Omit<SipTransportManagerOptions, 'clock' | 'logger'>;
  /** Parser limits (message size, header count, line length). */
  parseLimits?: Partial<ParseLimits>;
  /** RFC 3263 resolver for host names (default: one using the system's DNS servers). */
  resolver?: SipResolver;
  /**
   * The host written in Via sent-by and Contact (default: the address of the listening point;
   * set it when listening on a wildcard address or behind NAT).
   */
  publicHost?: string;
  /** What this UAS supports, for the RFC 3261 §8.2 request checks (default {@link DEFAULT_UAS_CAPABILITIES}). */
  capabilities?: UasCapabilities;
  /** The value of User-Agent / Server headers. */
  userAgent?: string;
}

/** Payload of {@link SipStack.onDidReceiveRequest}. */
export interface IncomingRequestEvent {
  readonly request: SipRequest;
  /** The server transaction: answer through it. */
  readonly transaction: ServerTransaction;
  /** Where it came from. */
  readonly source: Destination;
}

/** Handlers of the responses to one outgoing request. */
export interface OutgoingRequestHandlers {
  /** A provisional response (1xx) arrived. */
  onProvisional?(response: SipResponse): void;
  /** A 2xx arrived (for INVITE, every 2xx, including other forks). */
  onSuccess?(response: SipResponse): void;
}

/**
 * One request sent outside the transaction layer's retry logic: it resolves the next hop
 * (RFC 3263), tries each target in turn on timeout, transport error or 503 (RFC 3263 §4.3),
 * and settles with the final response.
 */
export interface OutgoingRequest {
  /** The request as last sent (its top Via changes with each target). */
  readonly request: SipRequest;
  /**
   * The final response. A timeout of every target resolves as a synthesized 408 and a
   * transport failure of every target as a synthesized 503 (RFC 3261 §8.1.3.1), so callers
   * see one kind of outcome; `synthetic` on the result tells them apart.
   */
  readonly final: Promise<SipResponse>;
  /** The client transaction in use now. */
  readonly transaction: ClientTransaction | undefined;
  /** The destination in use now. */
  readonly destination: Destination | undefined;
  /** Cancels an INVITE (RFC 3261 §9.1): sends CANCEL once a provisional response arrived. */
  cancel(): void;
}

/** Whether a response was made up locally (timeout or transport failure) rather than received. */
export function isSyntheticResponse(r: SipResponse): boolean {
  return synthetic.has(r);
}
const synthetic = new WeakSet<SipResponse>();

/**
 * What the stack's UAS accepts by default (RFC 3261 §8.2.2-§8.2.3): the option tags it
 * implements and the bodies it understands (SDP, DTMF over INFO, picture-refresh requests
 * (RFC 5168), REFER progress sipfrag, message-summary (RFC 3842), plain text).
 */
export const DEFAULT_UAS_CAPABILITIES: Readonly<UasCapabilities> = Object.freeze({
  supportedSchemes: ['sip', 'sips'],
  supportedExtensions: ['replaces', 'norefersub'],
  acceptedContentTypes: [
    'application/sdp',
    'application/dtmf-relay',
    'application/dtmf',
    'application/media_control+xml',
    'message/sipfrag',
    'application/simple-message-summary',
    'text/plain',
  ],
});

const VIA_TRANSPORT: Record<TransportProtocol, string> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS' };

/**
 * The SIP stack. Create it with {@link SipStack.create}; dispose it to close every socket,
 * transaction and timer.
 */
export class SipStack extends Disposable {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly transport: SipTransportManager;
  readonly transactions: TransactionLayer;
  readonly resolver: SipResolver;
  private readonly options: SipStackOptions;
  private readonly points: ListeningPoint[] = [];

  /** The request {@link SipStack.onRequest} is handing to the TU now, and whether a listener threw on it. */
  private dispatching: { failed: boolean; error: unknown } | undefined;
  private readonly _onDidReceiveRequest = this._register(
    new Emitter<IncomingRequestEvent>({
      onListenerError: (error) => {
        if (this.dispatching && !this.dispatching.failed) this.dispatching = { failed: true, error };
        reportListenerError(error);
      },
    }),
  );
  /** A new request arrived and passed the RFC 3261 §8.2 checks (answer it through its transaction). */
  readonly onDidReceiveRequest: Event<IncomingRequestEvent> = this._onDidReceiveRequest.event;

  private readonly _onDidReceiveAck = this._register(new Emitter<{ request: SipRequest; source: Destination }>());
  /** An ACK matching no transaction: the ACK for a 2xx (RFC 3261 §13.2.2.4, §17.2.3). */
  readonly onDidReceiveAck: Event<{ request: SipRequest; source: Destination }> = this._onDidReceiveAck.event;

  private readonly _onDidReceiveCancel = this._register(new Emitter<{ cancel: SipRequest; inviteTransaction: ServerTransaction }>());
  /** A CANCEL matched a pending INVITE (already answered 200 by the transaction layer, RFC 3261 §9.2). */
  readonly onDidReceiveCancel: Event<{ cancel: SipRequest; inviteTransaction: ServerTransaction }> = this._onDidReceiveCancel.event;

  private readonly _onDidReceiveStrayResponse = this._register(new Emitter<{ response: SipResponse }>());
  /** A response that matched no transaction, e.g. a retransmitted 2xx to an INVITE (RFC 3261 §13.2.2.4). */
  readonly onDidReceiveStrayResponse: Event<{ response: SipResponse }> = this._onDidReceiveStrayResponse.event;

  private readonly _onDidLogMessage = this._register(new Emitter<{ direction: 'in' | 'out'; message: SipMessage; remote: string; protocol: TransportProtocol }>());
  /** Every SIP message sent or received (for traces such as the demo's). */
  readonly onDidLogMessage: Event<{ direction: 'in' | 'out'; message: SipMessage; remote: string; protocol: TransportProtocol }> = this._onDidLogMessage.event;

  private readonly _onDidDropMessage = this._register(new Emitter<{ reason: string; remote: string; protocol: TransportProtocol; error?: Error }>());
  /** A message was dropped (malformed, or a response not for us, RFC 3261 §18.1.2). */
  readonly onDidDropMessage: Event<{ reason: string; remote: string; protocol: TransportProtocol; error?: Error }> = this._onDidDropMessage.event;

  private constructor(options: SipStackOptions) {
    super();
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? nullLogger).child({ component: 'stack' });
    // DEVIATION(RFC 5626 §4.4.1): CRLF keep-alive pings are off unless asked for: a server that
    // does not implement RFC 5626 never answers the pong, and the flow would be declared dead.
    this.transport = this._register(
      new SipTransportManager({ ...options.transport, keepAlive: { enabled: false, ...options.transport?.keepAlive }, clock: this.clock, logger: options.logger }),
    );
    this.resolver = options.resolver ?? this._register(new SipResolver({ clock: this.clock, logger: options.logger }));
    this.transactions = this._register(
      new TransactionLayer({
        clock: this.clock,
        timers: options.timers,
        logger: options.logger,
        transport: { send: (message, destination) => this.sendRaw(message, destination) },
      }),
    );
    this._register(this.transport.onDidReceiveMessage((e) => this.onData(e)));
    this._register(this.transactions.onDidReceiveRequest((e) => this.onRequest(e.request, e.transaction)));
    this._register(this.transactions.onDidReceiveAck((e) => this._onDidReceiveAck.fire({ request: e.request, source: e.source })));
    this._register(this.transactions.onDidReceiveCancel((e) => this._onDidReceiveCancel.fire({ cancel: e.cancel, inviteTransaction: e.inviteTransaction })));
    this._register(this.transactions.onDidReceiveStrayResponse((e) => this._onDidReceiveStrayResponse.fire({ response: e.response })));
    this._register(
      this.transactions.onDidDropMessage((e) =>
        this._onDidDropMessage.fire({
          reason: e.reason,
          remote: `${e.source.address}:${e.source.port}`,
          protocol: e.source.protocol,
          ...(e.error !== undefined ? { error: e.error instanceof Error ? e.error : new Error(String(e.error)) } : {}),
        }),
      ),
    );
  }

  /** Creates a stack and opens its listening points. Rejects with a `TransportError` if one cannot bind. */
  static async create(options: SipStackOptions): Promise<SipStack> {
    const stack = new SipStack(options);
    try {
      for (const spec of options.listen) stack.points.push(await stack.transport.listen(spec));
    } catch (e) {
      stack.dispose();
      throw e;
    }
    return stack;
  }

  /** The listening points, in the order of `options.listen`. */
  get listeningPoints(): readonly ListeningPoint[] {
    return this.points;
  }

  /** The value for User-Agent / Server headers. */
  get userAgent(): string {
    return this.options.userAgent ?? 'sip-endpoint/0.1';
  }

  /** The listening point for `protocol` (and the family of `remoteAddress`, when given). */
  pointFor(protocol: TransportProtocol, remoteAddress?: string): ListeningPoint {
    const v6 = remoteAddress?.includes(':') ?? false;
    const match = this.points.find((p) => p.protocol === protocol && (remoteAddress === undefined || (p.family === 'IPv6') === v6)) ?? this.points.find((p) => p.protocol === protocol);
    if (!match) throw new TransportError(`no ${protocol.toUpperCase()} listening point`, { transport: protocol });
    return match;
  }

  /** Whether the stack listens on `protocol`. */
  supports(protocol: TransportProtocol): boolean {
    return this.points.some((p) => p.protocol === protocol);
  }

  /** Our host and port as written in Via sent-by and Contact for `protocol`. */
  sentBy(protocol: TransportProtocol, remoteAddress?: string): { host: string; port: number } {
    const p = this.pointFor(protocol, remoteAddress);
    const host = this.options.publicHost ?? p.address;
    return { host: host.includes(':') && !host.startsWith('[') ? `[${host}]` : host, port: p.port };
  }

  /** A Contact URI for `user` reachable over `protocol` (RFC 3261 §8.1.1.8). */
  contactUri(user: string | undefined, protocol: TransportProtocol): SipUri {
    const { host, port } = this.sentBy(protocol);
    const params = new Map<string, string | null>();
    // RFC 3261 §26.2.2: a sips URI means TLS; `transport=tls` is deprecated, so it is not written.
    if (protocol === 'tcp') params.set('transport', 'tcp');
    return { kind: 'sip', scheme: protocol === 'tls' ? 'sips' : 'sip', user, host, port, params, headers: new Map() };
  }

  /** A new top Via for a request sent over `protocol` (RFC 3261 §8.1.1.7, with `rport` of RFC 3581 §3). */
  newVia(protocol: TransportProtocol, remoteAddress?: string): Via {
    const { host, port } = this.sentBy(protocol, remoteAddress);
    return {
      protocol: 'SIP/2.0',
      transport: VIA_TRANSPORT[protocol],
      host,
      port,
      params: new Map<string, string | null>([
        ['branch', newBranch()],
        ['rport', null],
      ]),
    };
  }

  /**
   * The targets for a request (RFC 3261 §8.1.2, RFC 3263): the top Route when it is a loose
   * router, else the Request-URI; `outboundProxy` overrides both for requests outside a dialog.
   */
  async resolveNextHop(request: SipRequest, outboundProxy?: Uri): Promise<TargetList> {
    const route = request.get(H.Route)?.[0];
    let hop: Uri = request.uri;
    if (outboundProxy) hop = outboundProxy;
    else if (route && route.uri.kind === 'sip' && route.uri.params.has('lr')) hop = route.uri;
    if (hop.kind !== 'sip') throw new SdkError(ErrorCode.InvalidArgument, `cannot route a request to a ${hop.scheme}: URI`);
    const transportParam = hop.params.get('transport')?.toLowerCase();
    const transport: TargetTransport | undefined = transportParam === 'udp' || transportParam === 'tcp' || transportParam === 'tls' ? transportParam : undefined;
    const list = await this.resolver.lookup({ host: hop.host, port: hop.port, transport, secure: hop.scheme === 'sips' });
    return list;
  }

  /**
   * Sends a request outside the dialog layer's control of the next hop: resolves it, adds a
   * fresh top Via per target, and fails over to the next target on timeout, transport error
   * or 503 (RFC 3263 §4.3). The request must carry every other header (From, To, Call-ID, CSeq,
   * Max-Forwards, Contact where needed).
   */
  sendRequest(request: SipRequest, handlers: OutgoingRequestHandlers = {}, options: { outboundProxy?: Uri; destination?: Destination } = {}): OutgoingRequest {
    const base = request.clone();
    let current: SipRequest = request;
    let tx: ClientTransaction | undefined;
    let dest: Destination | undefined;
    let cancelled = false;
    const final = (async (): Promise<SipResponse> => {
      const targets: ResolvedTarget[] = options.destination
        ? [{ address: options.destination.address, port: options.destination.port, transport: options.destination.protocol, family: options.destination.address.includes(':') ? 6 : 4, host: options.destination.address }]
        : [];
      let list: TargetList | undefined;
      if (!options.destination) {
        try {
          list = await this.resolveNextHop(base, options.outboundProxy);
        } catch (e) {
          this.logger.warn('next hop resolution failed', { error: String(e) });
          return this.synthesize(base, 503, 'Service Unavailable (DNS)');
        }
      }
      let target = list ? list.current : targets[0];
      let last: SipResponse | undefined;
      while (target && !this.isDisposed) {
        if (!this.supports(target.transport)) {
          target = list?.next({ kind: 'transport' });
          continue;
        }
        current = base.clone();
        current.pushVia(this.newVia(target.transport, target.address));
        dest = { protocol: target.transport, address: target.address, port: target.port };
        tx = this.transactions.sendRequest(current, dest);
        const thisTx = tx;
        const sub = tx.onDidReceiveResponse(({ response }) => {
          if (response.status < 200) handlers.onProvisional?.(response);
          else if (response.status < 300) handlers.onSuccess?.(response);
        });
        if (cancelled) this.cancelWhenPossible(thisTx);
        try {
          const response = await thisTx.finalResponse;
          sub.dispose();
          if (response.status === 503 && list && !cancelled) {
            // RFC 3263 §4.3 / RFC 3261 §21.5.4: try the next server.
            last = response;
            const ra = response.get(H.RetryAfter);
            const next = list.next({ kind: 'unavailable', retryAfterSeconds: ra?.seconds });
            if (next) {
              target = next;
              continue;
            }
            return response;
          }
          list?.succeeded();
          return response;
        } catch (e) {
          sub.dispose();
          const timeout = e instanceof TransactionTimeoutError;
          this.logger.info('request failed at a target', { method: base.method, target: `${dest.protocol}:${dest.address}:${dest.port}`, error: String(e) });
          last = this.synthesize(base, timeout ? 408 : 503, timeout ? 'Request Timeout' : 'Service Unavailable');
          if (cancelled) return last;
          target = list?.next(timeout ? { kind: 'timeout' } : { kind: 'transport', error: e });
        }
      }
      return last ?? this.synthesize(base, 503, 'Service Unavailable (no target)');
    })();
    return {
      get request() {
        return current;
      },
      final,
      get transaction() {
        return tx;
      },
      get destination() {
        return dest;
      },
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        if (tx) this.cancelWhenPossible(tx);
      },
    };
  }

  private cancelWhenPossible(tx: ClientTransaction): void {
    const invite = tx as ClientTransaction & { cancel?: () => void };
    if (typeof invite.cancel === 'function') invite.cancel();
  }

  private synthesize(request: SipRequest, status: number, reason: string): SipResponse {
    const r = createResponse(request, status, reason);
    synthetic.add(r);
    return r;
  }

  /**
   * Sends a message without a transaction (the ACK for a 2xx, RFC 3261 §13.2.2.4, and 2xx
   * retransmissions by the UAS core, §13.3.1.4) to a resolved destination.
   */
  async sendStateless(message: SipMessage, destination: Destination): Promise<void> {
    await this.sendRaw(message, destination);
  }

  /** Resolves the destination of a request built by the dialog layer (route set or remote target). */
  async destinationFor(request: SipRequest): Promise<Destination> {
    const list = await this.resolveNextHop(request);
    const t = list.current;
    if (!t) throw new SdkError(ErrorCode.DnsResolution, `no target for ${request.method}`);
    return { protocol: t.transport, address: t.address, port: t.port };
  }

  private async sendRaw(message: SipMessage, destination: Destination): Promise<void> {
    const data = message.serialize();
    this._onDidLogMessage.fire({ direction: 'out', message, remote: `${destination.address}:${destination.port}`, protocol: destination.protocol });
    await this.transport.send({ protocol: destination.protocol, host: destination.address, port: destination.port }, data, destination.connectionId ? { connectionId: destination.connectionId } : {});
  }

  private onData(e: MessageReceivedEvent): void {
    const remote = `${e.remote.address}:${e.remote.port}`;
    let msg: SipMessage;
    try {
      msg = parseMessage(e.data, { datagram: e.protocol === 'udp', limits: this.options.parseLimits });
    } catch (error) {
      this.onUnparseable(e, error);
      return;
    }
    const source: Destination = { protocol: e.protocol, address: e.remote.address, port: e.remote.port, connectionId: e.connectionId };
    this._onDidLogMessage.fire({ direction: 'in', message: msg, remote, protocol: e.protocol });
    try {
      if (msg instanceof SipRequest) {
        this.stampVia(msg, e.remote.address, e.remote.port);
        // The transaction layer matches and creates transactions from Via, CSeq, Call-ID, From
        // and To (RFC 3261 §17.2.3, §8.2.2.2) and drops, unanswered, a request whose ones it
        // cannot read. Check them here so such a request gets its 400 (RFC 4475 §3.1.2.4,
        // §3.1.2.6, §3.1.2.14, §3.1.2.15, §3.3.1, §3.3.8) through the catch below.
        msg.require(H.Via);
        msg.require(H.CSeq);
        msg.require(H.CallId);
        msg.require(H.From);
        msg.require(H.To);
      } else if (!this.isOurs(msg)) {
        this._onDidDropMessage.fire({ reason: 'response whose top Via is not ours (RFC 3261 §18.1.2)', remote, protocol: e.protocol });
        return;
      }
      this.transactions.receive(msg, source);
    } catch (error) {
      // A header we needed was malformed: answer a request with 400, drop a response.
      if (msg instanceof SipRequest && msg.method !== 'ACK') this.replyStateless(msg, error, source, e.data);
      this._onDidDropMessage.fire({ reason: 'malformed', remote, protocol: e.protocol, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /** RFC 3261 §18.2.1 and RFC 3581 §4: record where a request really came from. */
  private stampVia(req: SipRequest, address: string, port: number): void {
    const vias = req.via;
    const top = vias[0];
    if (!top) throw new SipParseError('request without Via', { header: 'Via' });
    let changed = false;
    const host = top.host.startsWith('[') ? top.host.slice(1, -1) : top.host;
    const received = top.params.get('received');
    if (host !== address || (received !== undefined && received !== address)) {
      // RFC 3261 §18.2.1: if the host portion of the "sent-by" ... contains a domain name, or if
      // it contains an IP address that differs from the packet source address, the server MUST
      // add a "received" parameter to that Via header field value.
      // DEVIATION(RFC 3261 §18.2.1): the RFC says when to add "received", not what to do with
      // one the request arrived with. Only the receiver puts it there, so one in an incoming top
      // Via is forged; kept, it would send our responses to a third party. It is replaced.
      top.params.set('received', address);
      changed = true;
    }
    if (top.params.has('rport') && top.params.get('rport') !== String(port)) {
      // RFC 3581 §4: the server MUST insert an "rport" parameter with the source port.
      // DEVIATION(RFC 3581 §4): a client MUST NOT give rport a value (§3); one that does is
      // answered where the request came from, like one that does not, not at the port it names.
      top.params.set('rport', String(port));
      if (!top.params.has('received')) top.params.set('received', address);
      changed = true;
    }
    if (changed) req.set(H.Via, vias);
  }

  /** RFC 3261 §18.1.2: a response whose top Via sent-by is not ours is discarded. */
  private isOurs(res: SipResponse): boolean {
    const top = res.via[0];
    if (!top) return false;
    const protocol = top.transport.toLowerCase();
    if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls') return false;
    if (!this.supports(protocol)) return false;
    const ours = this.sentBy(protocol);
    const port = top.port ?? (protocol === 'tls' ? 5061 : 5060);
    return top.host.toLowerCase() === ours.host.toLowerCase() && port === ours.port;
  }

  private onUnparseable(e: MessageReceivedEvent, error: unknown): void {
    const remote = `${e.remote.address}:${e.remote.port}`;
    const err = error instanceof Error ? error : new Error(String(error));
    this._onDidDropMessage.fire({ reason: 'unparseable', remote, protocol: e.protocol, error: err });
    this.logger.debug('dropped an unparseable message', { remote, error: err.message });
    // A request we cannot parse fully still gets its 400/505 when enough of it is readable
    // to address a response (RFC 3261 §8.2, RFC 4475 §3.1.2).
    const reply = bestEffortErrorResponse(e.data, error);
    if (!reply) return;
    const source: Destination = { protocol: e.protocol, address: e.remote.address, port: e.remote.port, connectionId: e.connectionId };
    void this.sendRaw(reply, source).catch(() => undefined);
  }

  /**
   * Answers a request that parsed but whose headers the stack needs are malformed, without a
   * transaction, to where it came from. When even the typed headers a response copies cannot be
   * read (a malformed To), the response is built from the raw header lines instead.
   * DEVIATION(RFC 3261 §18.2.2): the response goes to the packet source (the connection it came
   * on), not where the top Via says: the Via may be what is malformed, and without a transaction
   * there is no fallback (§17.2.4) anyway.
   */
  private replyStateless(req: SipRequest, error: unknown, source: Destination, data: Buffer): void {
    const status = error instanceof SipParseError ? error.status : 400;
    let res: SipResponse | undefined;
    try {
      // RFC 3261 §8.2.6.2: the UAS MUST add a tag to the To header field in the response.
      res = createResponse(req, status, error instanceof SipParseError && error.details.reason ? error.details.reason : undefined, { toTag: newBranch().slice(7) });
    } catch {
      res = bestEffortErrorResponse(data, error);
    }
    // Not even a Via to answer to: drop.
    if (res) void this.sendRaw(res, source).catch(() => undefined);
  }

  private onRequest(request: SipRequest, transaction: ServerTransaction): void {
    // RFC 3261 §8.2.1-§8.2.3: the checks before processing (scheme, extensions, content).
    let failure: ValidationFailure | null;
    try {
      failure = request.method === 'ACK' ? null : validateRequest(request, this.options.capabilities ?? DEFAULT_UAS_CAPABILITIES);
      failure ??= malformedDispatchHeader(request);
    } catch (e) {
      failure = { status: e instanceof SipParseError ? e.status : 400, reason: e instanceof SipParseError && e.details.reason ? e.details.reason : 'Bad Request' };
    }
    if (failure) {
      const res = createResponse(request, failure.status, failure.reason, { toTag: newBranch().slice(7) });
      for (const [name, value] of failure.headers ?? []) res.appendHeader(name, value);
      transaction.respond(res);
      return;
    }
    const outer = this.dispatching;
    this.dispatching = { failed: false, error: undefined };
    try {
      this._onDidReceiveRequest.fire({ request, transaction, source: transaction.responseDestination });
    } finally {
      const result = this.dispatching;
      this.dispatching = outer;
      if (result.failed) this.answerAfterTuFailure(request, transaction, result.error);
    }
  }

  /**
   * A listener of {@link SipStack.onDidReceiveRequest} threw while handling `request`. If it left
   * the transaction without a final response, the stack sends one: otherwise nothing ever would
   * (an INVITE server transaction waits in Proceeding for the TU without a timer, RFC 3261
   * §17.2.1, and a non-INVITE one in Trying, §17.2.2).
   */
  private answerAfterTuFailure(request: SipRequest, transaction: ServerTransaction, error: unknown): void {
    const last = transaction.lastResponse;
    if (request.method === 'ACK' || transaction.isTerminated || (last && last.status >= 200)) return;
    this.logger.warn('a request handler threw before answering: the stack answers', { method: request.method, error: String(error) });
    try {
      // RFC 3261 §21.4.1: 400 when the request could not be understood (a header failed to parse);
      // §21.5.1: 500 (Server Internal Error) for an unexpected condition.
      const parse = error instanceof SipParseError;
      const res = createResponse(request, parse ? error.status : 500, parse ? (error.details.reason ?? 'Bad Request') : 'Server Internal Error', { toTag: transaction.toTag ?? newBranch().slice(7) });
      transaction.respond(res);
    } catch (e) {
      this.logger.warn('could not answer after the handler failure', { error: String(e) });
    }
  }
}

/** Hands a listener error to the process-wide handler of `@sip-endpoint/base` (reported, never rethrown). */
function reportListenerError(error: unknown): void {
  const handler = setListenerErrorHandler(() => undefined);
  setListenerErrorHandler(handler);
  handler(error);
}

/**
 * The headers the UA core reads to dispatch a request, per method: Replaces (RFC 3891) on
 * INVITE, Event / Subscription-State / Expires on SUBSCRIBE and NOTIFY (RFC 6665), Refer-To /
 * Referred-By / Refer-Sub on REFER (RFC 3515, RFC 3892, RFC 4488), Expires on REGISTER.
 */
const DISPATCH_HEADERS: Readonly<Record<string, readonly HeaderCodec<unknown>[]>> = {
  INVITE: [H.Replaces, H.ReferredBy],
  SUBSCRIBE: [H.Event, H.Expires],
  NOTIFY: [H.Event, H.SubscriptionState],
  REFER: [H.ReferTo, H.ReferredBy, H.ReferSub],
  REGISTER: [H.Expires],
};

/**
 * RFC 3261 §21.4.1: 400 (Bad Request): the request could not be understood due to malformed
 * syntax; the Reason-Phrase SHOULD identify the syntax problem. A malformed header the UA core
 * dispatches on (see {@link DISPATCH_HEADERS}) is answered here, so that no handler throws on
 * it later and leaves the transaction without a final response.
 */
function malformedDispatchHeader(request: SipRequest): ValidationFailure | null {
  for (const codec of DISPATCH_HEADERS[request.method] ?? []) {
    try {
      request.get(codec);
    } catch {
      return { status: 400, reason: `Bad ${codec.name}` };
    }
  }
  return null;
}

/**
 * For a request that failed to parse (or whose typed headers cannot be copied): a response
 * built from the raw header lines when a Via line can be found, else `undefined` (dropped).
 * Responses and ACKs are never answered.
 */
function bestEffortErrorResponse(data: Buffer, error: unknown): SipResponse | undefined {
  const text = data.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd >= 0 ? text.slice(0, headEnd) : text;
  // RFC 3261 §7.3.1: a line starting with SP or HT continues the header field above it.
  const lines: string[] = [];
  for (const l of head.split(/\r?\n/)) {
    if (lines.length > 1 && (l.startsWith(' ') || l.startsWith('\t'))) lines[lines.length - 1] += ' ' + l.trim();
    else lines.push(l);
  }
  const start = lines[0] ?? '';
  if (start.startsWith('SIP/')) return undefined;
  // RFC 3261 §25.1: Method = INVITEm / ... / extension-method; extension-method = token.
  if (!/^[A-Za-z0-9.!%*_+`'~-]+ /.test(start)) return undefined;
  // RFC 3261 §17.2.3 / §8.2: an ACK is never answered.
  if (start.startsWith('ACK ')) return undefined;
  const pick = (names: string[]) => {
    const out: string[] = [];
    for (const l of lines.slice(1)) {
      const idx = l.indexOf(':');
      if (idx <= 0) continue;
      const name = l.slice(0, idx).trim().toLowerCase();
      if (names.includes(name)) out.push(l.slice(idx + 1).trim());
    }
    return out;
  };
  const via = pick(['via', 'v']);
  const from = pick(['from', 'f']);
  const to = pick(['to', 't']);
  const callId = pick(['call-id', 'i']);
  const cseq = pick(['cseq']);
  // The Via is what the client matches a response with (RFC 3261 §17.1.3): without one the
  // request cannot be answered. The other headers are copied when present, the first value of
  // each when repeated (RFC 4475 §3.3.1 missing, §3.3.8 repeated: both still get their 400).
  // DEVIATION(RFC 3261 §8.2.6.2): no To tag is added; the To value may be what failed to parse.
  if (!via.length) return undefined;
  const status = error instanceof SipParseError ? error.status : 400;
  const reason = error instanceof SipParseError && error.details.reason ? error.details.reason : status === 505 ? 'Version Not Supported' : 'Bad Request';
  const res = new SipResponse(status, reason);
  for (const v of via) res.appendHeader('Via', v);
  for (const [name, values] of [['From', from], ['To', to], ['Call-ID', callId], ['CSeq', cseq]] as const) {
    if (values[0] !== undefined) res.appendHeader(name, values[0]);
  }
  return res;
}
