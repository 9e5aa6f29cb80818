/**
 * {@link Connection}: one configured SIP Server line (a `Connectivity` entry with its
 * `proxies.proxyN`), with its user agent, registration and MWI subscription. Lines on the same
 * local transport share one stack (one socket) through a {@link LineStackPool}: see there how
 * incoming requests reach the right line.
 */
import { readFileSync } from 'node:fs';
import { Disposable, Emitter, ErrorCode, SdkError, isSdkError, type Event, type IDisposable, type Logger } from '@sip-endpoint/base';
import type { ConnectivityConfig, EndpointConfig, ProxyConfig } from '@sip-endpoint/config';
import {
  RegistrationState,
  SipResolver,
  SipStack,
  formatUri,
  UserAgent,
  type InviteSession,
  type MessageSummary,
  type MessageSummarySubscription,
  type Registration,
  type SessionDescriptionHandler,
  type UserAgentDelegate,
  createResponse,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
} from '@sip-endpoint/signaling';

/**
 * States of a {@link Connection} (genesys-compat §2):
 * ```
 *  PerformingNetworkDiscovery --> Registering --> Ready      (standalone: straight to Ready)
 *  Registering/Ready --failure--> Failed --retry (reg_interval)--> Registering --> Ready
 *  any --shutdown--> Unregistering --> ShuttingDown --> Disabled
 * ```
 */
export enum ConnectionState {
  PerformingNetworkDiscovery = 'PerformingNetworkDiscovery',
  Registering = 'Registering',
  Ready = 'Ready',
  Failed = 'Failed',
  Unregistering = 'Unregistering',
  ShuttingDown = 'ShuttingDown',
  Disabled = 'Disabled',
}

const S = ConnectionState;
const CONNECTION_EDGES: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  [S.PerformingNetworkDiscovery]: [S.Registering, S.Ready, S.Failed, S.Unregistering, S.ShuttingDown],
  [S.Registering]: [S.Ready, S.Failed, S.Unregistering, S.ShuttingDown],
  [S.Ready]: [S.Registering, S.Failed, S.Unregistering, S.ShuttingDown],
  [S.Failed]: [S.Registering, S.Ready, S.Unregistering, S.ShuttingDown],
  [S.Unregistering]: [S.ShuttingDown],
  [S.ShuttingDown]: [S.Disabled],
  [S.Disabled]: [],
};

/** Payload of {@link Connection.onDidChangeState} and the endpoint's `onDidChangeConnectionState`. */
export interface ConnectionStateChangeEvent {
  readonly connection: Connection;
  readonly previous: ConnectionState;
  readonly state: ConnectionState;
  /** A human-readable reason (the error text in Failed). */
  readonly reason?: string;
}

/** What a connection needs from the endpoint (internal). */
export interface ConnectionHost {
  readonly logger: Logger;
  createSessionDescriptionHandler(connection: Connection): SessionDescriptionHandler;
  onSessionCreated(connection: Connection, session: InviteSession): void;
  onIncomingInvite(connection: Connection, session: InviteSession): void;
}

/** Options of a {@link Connection} (internal: built by the endpoint). */
export interface ConnectionOptions {
  readonly index: number;
  readonly line: ConnectivityConfig;
  readonly proxy: ProxyConfig | undefined;
  readonly config: EndpointConfig;
  readonly listenAddress: string;
  /** Bind port 0 instead of searching `sip_port_min..sip_port_max`. */
  readonly ephemeralPorts: boolean;
  /** Domain of the AOR when it differs from the server (the server is then the outbound proxy). */
  readonly domain?: string;
  readonly resolver?: SipResolver;
  readonly userAgent?: string;
  /** Where the line gets its stack (shared with the other lines of the endpoint); default: a pool of its own. */
  readonly stacks?: LineStackPool;
}

/** `reg_timeout` semantics: 0, empty or non-numeric = standalone (genesys-compat §3). */
export function registrationExpires(proxy: ProxyConfig | undefined): number {
  const v = Number(proxy?.reg_timeout ?? 0);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * One SIP Server line. `start()` takes a stack from the endpoint's {@link LineStackPool} (shared
 * with the other lines of the same protocol; bound on a port of `sip.transports` or of
 * `sip_port_min..sip_port_max`), creates its user agent and registers (unless standalone); the
 * registration retries every `reg_interval` (doubling) and every change is an
 * {@link onDidChangeState} event. RFC 3263 failover between the server's targets is the stack
 * resolver's work.
 */
export class Connection extends Disposable {
  private _state = ConnectionState.PerformingNetworkDiscovery;
  private _ua: UserAgent | undefined;
  private registration: Registration | undefined;
  private mwi: MessageSummarySubscription | undefined;
  private lease: StackLease | undefined;
  private _lastError: string | undefined;
  private readonly logger: Logger;
  private readonly _onDidChangeState = this._register(new Emitter<ConnectionStateChangeEvent>());
  /** Every state change of this line. */
  readonly onDidChangeState: Event<ConnectionStateChangeEvent> = this._onDidChangeState.event;
  private readonly _onDidChangeMessageSummary = this._register(new Emitter<{ connection: Connection; summary: MessageSummary }>());
  /** A voicemail summary arrived (RFC 3842 NOTIFY of the `proxies.proxyN.mailbox` subscription). */
  readonly onDidChangeMessageSummary: Event<{ connection: Connection; summary: MessageSummary }> = this._onDidChangeMessageSummary.event;

  /** @internal created by the endpoint */
  constructor(
    private readonly options: ConnectionOptions,
    private readonly host: ConnectionHost,
  ) {
    super();
    this.logger = host.logger.child({ component: 'connection', connection: this.id });
  }

  /** `<index>:<user>@<server>`, stable for the endpoint's life. */
  get id(): string {
    return `${this.options.index}:${this.options.line.user}@${this.options.line.server}`;
  }

  /** Index of the `Connectivity` line. */
  get index(): number {
    return this.options.index;
  }

  /** The DN (user) of the line. */
  get user(): string {
    return this.options.line.user;
  }

  /** The server (`host[:port]`) of the line. */
  get server(): string {
    return this.options.line.server;
  }

  /** The state now. */
  get state(): ConnectionState {
    return this._state;
  }

  /** The last failure text (in Failed), if any. */
  get lastError(): string | undefined {
    return this._lastError;
  }

  /** Whether the line registers (false = standalone, `reg_timeout` 0/empty). */
  get registers(): boolean {
    return registrationExpires(this.options.proxy) > 0;
  }

  /** The user agent of the line (after start). */
  get userAgent(): UserAgent | undefined {
    return this._ua;
  }

  /** Our SIP address on this line: `sip:user@domain`. */
  get aor(): string {
    return `sip:${this.options.line.user}@${this.domain}`;
  }

  /** The local SIP port of the line's stack (after start). */
  get localPort(): number | undefined {
    return this._ua?.stack.listeningPoints[0]?.port;
  }

  /** A SIP URI where this line can be called directly (its stack's contact). */
  get contactUri(): string | undefined {
    const ua = this._ua;
    const p = ua?.stack.listeningPoints[0];
    if (!ua || !p) return undefined;
    // The stack's own Contact: `;transport=tcp` for TCP, `sips:` for TLS (RFC 3261 §19.1.4, §26.2.2).
    return formatUri(ua.stack.contactUri(this.options.line.user, p.protocol));
  }

  private get protocol(): 'udp' | 'tcp' | 'tls' {
    return this.options.line.protocol.toLowerCase() as 'udp' | 'tcp' | 'tls';
  }

  private get domain(): string {
    return this.options.domain ?? hostOf(this.options.line.server);
  }

  /** The URI of the line's server, used as outbound proxy (loose routing). */
  get proxyUri(): string {
    return `sip:${this.options.line.server};lr${this.protocol === 'udp' ? '' : `;transport=${this.protocol}`}`;
  }

  /**
   * Whether `target` should go through the line's server: bare numbers, and URIs whose host is
   * the line's domain or server.
   */
  routesViaServer(target: string): boolean {
    if (!target.includes('@') && !/^<?sips?:/.test(target)) return true;
    const m = /^<?(?:sips?:)?(?:[^@]*@)?([^;>?]+)/.exec(target);
    const host = m?.[1] ?? '';
    return host === this.domain || host === this.options.line.server;
  }

  /** Normalises a dial target: a bare number becomes `sip:<number>@<domain>`. */
  targetUri(target: string): string {
    if (/^sips?:/.test(target) || target.includes('<')) return target;
    return target.includes('@') ? `sip:${target}` : `sip:${target}@${this.domain}`;
  }

  /**
   * Binds the stack, creates the user agent and registers (or goes Ready at once when
   * standalone). Resolves when the stack is up; the registration outcome is reported by
   * {@link onDidChangeState}. A bind failure moves the line to Failed.
   */
  async start(): Promise<void> {
    const pool = this.options.stacks ?? this._register(new LineStackPool(this.options, this.logger));
    let lease: StackLease;
    try {
      lease = await pool.lease(this.options.line.user, this.protocol);
    } catch (e) {
      this.fail(`cannot bind a SIP port: ${String(e)}`);
      return;
    }
    if (this.isDisposed) {
      lease.dispose();
      return;
    }
    const proxy = this.options.proxy;
    const delegate: UserAgentDelegate = {
      onInvite: (session) => this.host.onIncomingInvite(this, session),
      createSessionDescriptionHandler: () => this.host.createSessionDescriptionHandler(this),
    };
    let ua: UserAgent;
    try {
      ua = await UserAgent.create({
        aor: this.aor,
        ...(proxy?.display_name ? { displayName: proxy.display_name } : {}),
        ...(proxy?.password ? { credentials: { username: this.options.line.user, password: proxy.password } } : {}),
        stack: lease.stack,
        createSessionDescriptionHandler: () => this.host.createSessionDescriptionHandler(this),
        delegate,
        transport: this.protocol,
        logger: this.logger,
        // The pool routes incoming messages of the shared stack to the line they are for.
        incoming: 'external',
      });
    } catch (e) {
      lease.dispose();
      throw e;
    }
    // Disposed in this order: the user agent (its last unsubscribes use the stack), then the lease.
    this._ua = this._register(ua);
    lease.attach(ua);
    this.lease = this._register(lease);
    this._register(ua.onDidCreateSession(({ session }) => this.host.onSessionCreated(this, session)));
    const expires = registrationExpires(proxy);
    if (expires === 0) {
      this.transition(ConnectionState.Ready, 'standalone (reg_timeout 0): no REGISTER');
    } else {
      this.register(expires);
    }
    this.subscribeMailbox();
  }

  private register(expires: number): void {
    const ua = this._ua;
    if (!ua) return;
    this.transition(ConnectionState.Registering, 'REGISTER');
    const intervalS = Number(this.options.proxy?.reg_interval ?? 30);
    const reg = ua.createRegistration({
      registrar: `sip:${this.domain}`,
      outboundProxy: this.proxyUri,
      expires,
      retryIntervalMs: Math.max(1, Number.isFinite(intervalS) && intervalS > 0 ? intervalS : 30) * 1000,
    });
    this.registration = reg;
    this._register(
      reg.onDidChangeState((e) => {
        switch (e.state) {
          case RegistrationState.Registered:
            this._lastError = undefined;
            this.transition(ConnectionState.Ready, `registered for ${e.expires ?? expires} s`);
            break;
          case RegistrationState.RetryWait:
            this._lastError = `${e.reason}${e.response ? ` (${e.response.status} ${e.response.reason})` : ''}`;
            this.transition(ConnectionState.Failed, `${this._lastError}; retry in ${e.retryInMs ?? 0} ms`);
            break;
          case RegistrationState.Registering:
            if (this._state === ConnectionState.Failed) this.transition(ConnectionState.Registering, 'retrying REGISTER');
            break;
          default:
            break;
        }
      }),
    );
    reg.register();
  }

  private subscribeMailbox(): void {
    const mb = this.options.proxy?.mailbox;
    const ua = this._ua;
    if (!ua || !mb?.user) return;
    const server = mb.server || this.options.line.server;
    const target = `sip:${mb.user}@${server}${mb.transport && mb.transport !== 'udp' ? `;transport=${mb.transport}` : ''}`;
    const mwi = ua.subscribeMessageSummary(target, { expires: mb.timeout > 0 ? mb.timeout : 3600 });
    this.mwi = mwi;
    this._register(mwi.onDidChangeMessageSummary(({ summary }) => this._onDidChangeMessageSummary.fire({ connection: this, summary })));
  }

  /** Sends a fresh REGISTER now (e.g. after a live configuration change). No-op when standalone. */
  reregister(): void {
    const reg = this.registration;
    if (!reg) return;
    reg.register();
  }

  /**
   * Ends the line: Unregistering (REGISTER Expires: 0, MWI unsubscribe) -> ShuttingDown (calls
   * ended, stack closed) -> Disabled. Resolves when Disabled. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this._state === ConnectionState.Unregistering || this._state === ConnectionState.ShuttingDown || this._state === ConnectionState.Disabled) return;
    this.transition(ConnectionState.Unregistering, 'shutdown');
    await this.mwi?.unsubscribe().catch(() => undefined);
    await this.registration?.unregister().catch(() => undefined);
    this.transition(ConnectionState.ShuttingDown, 'ending calls');
    await this._ua?.shutdown().catch(() => undefined);
    // The line leaves its stack (closed with the last line on it).
    this.lease?.dispose();
    this.transition(ConnectionState.Disabled, 'shut down');
  }

  private fail(reason: string): void {
    this._lastError = reason;
    this.logger.warn('connection failed', { reason });
    this.transition(ConnectionState.Failed, reason);
  }

  private transition(state: ConnectionState, reason?: string): void {
    const previous = this._state;
    if (previous === state) return;
    if (!CONNECTION_EDGES[previous].includes(state)) {
      this.logger.warn('connection: illegal transition ignored', { from: previous, to: state });
      return;
    }
    this._state = state;
    this.logger.info('connection state', { from: previous, to: state, reason });
    this._onDidChangeState.fire({ connection: this, previous, state, ...(reason !== undefined ? { reason } : {}) });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    if (this._state !== ConnectionState.Disabled && this._state !== ConnectionState.ShuttingDown) {
      if (this._state !== ConnectionState.Unregistering) this.transition(ConnectionState.Unregistering, 'disposed');
      this.transition(ConnectionState.ShuttingDown, 'disposed');
    }
    super.dispose();
    this.transition(ConnectionState.Disabled, 'disposed');
  }
}

function hostOf(server: string): string {
  if (server.startsWith('[')) return server.slice(0, server.indexOf(']') + 1);
  return server.split(':')[0] ?? server;
}

/** What {@link bindLineStack} needs (a subset of the options of a connection). */
export interface LineStackSettings {
  readonly config: EndpointConfig;
  readonly listenAddress: string;
  readonly ephemeralPorts: boolean;
  readonly resolver?: SipResolver;
  readonly userAgent?: string;
  /**
   * Whether SIP traces are wanted now (`system.diagnostics.log_level` 4): every message sent and
   * received is then logged at `trace` with its text, credentials redacted. Checked per message,
   * so the text is only built when someone will read it.
   */
  readonly traceSip?: () => boolean;
}

/**
 * A SIP message's text for a log, with the digest `response` of `Authorization` and
 * `Proxy-Authorization` replaced by `<redacted>` (RFC 2617 §3.2.2: it is what proves knowledge
 * of the password; the password itself never travels in SIP).
 */
export function redactSipTrace(text: string): string {
  return text.replace(/^((?:Proxy-)?Authorization:[^\r\n]*?\bresponse\s*=\s*)("[^"]*"|[^,\s\r\n]+)/gim, '$1"<redacted>"');
}

/**
 * Binds a stack for lines: the port of `sip.transports.<protocol>.port` (unless `searchRange`),
 * port 0 with `ephemeralPorts`, else the first free port of `sip_port_min..sip_port_max`. TLS
 * takes `sip.tls.certFile`/`keyFile`. Rejects with `TransportError` / `SdkError`.
 */
export async function bindLineStack(settings: LineStackSettings, protocol: 'udp' | 'tcp' | 'tls', logger: Logger, resolver: SipResolver | undefined, searchRange = false): Promise<SipStack> {
  const c = settings.config;
  const configured = searchRange ? 0 : c.sip.transports[protocol].port;
  const host = settings.listenAddress;
  const listen = (port: number) => [{ protocol, host, port, ...(protocol === 'tls' ? { tls: tlsMaterial(c) } : {}) }];
  const base = {
    logger,
    timers: { t1Ms: c.sip.timers.t1Ms, t2Ms: c.sip.timers.t2Ms, t4Ms: c.sip.timers.t4Ms },
    ...(resolver ? { resolver } : {}),
    ...(settings.userAgent ? { userAgent: settings.userAgent } : {}),
    ...(protocol === 'tls' ? { transport: { tls: tlsClientOptions(c) } } : {}),
  };
  if (settings.ephemeralPorts || configured > 0) return SipStack.create({ ...base, listen: listen(settings.ephemeralPorts ? 0 : configured) });
  const { sip_port_min: lo, sip_port_max: hi } = c.policy.endpoint;
  let last: unknown;
  for (let port = lo; port <= hi; port++) {
    try {
      return await SipStack.create({ ...base, listen: listen(port) });
    } catch (e) {
      if (!isSdkError(e, ErrorCode.Transport)) throw e;
      last = e;
    }
  }
  throw new SdkError(ErrorCode.Transport, `no free SIP port in ${lo}..${hi}: ${String(last)}`);
}

/**
 * How TLS lines verify the servers they connect to: `sip.tls.caFile` (PEM bundle; empty = Node's
 * bundled roots) and `sip.tls.verifyPeer` (false turns verification off: lab use only, logged as
 * a warning by the transport).
 */
function tlsClientOptions(c: EndpointConfig): { ca?: string; rejectUnauthorized: boolean } {
  const { caFile, verifyPeer } = c.sip.tls;
  return { ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}), rejectUnauthorized: verifyPeer };
}

function tlsMaterial(c: EndpointConfig): { cert: string; key: string } {
  const { certFile, keyFile } = c.sip.tls;
  if (!certFile || !keyFile) throw new SdkError(ErrorCode.InvalidArgument, 'a TLS connection needs sip.tls.certFile and sip.tls.keyFile');
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/**
 * A line's hold on a stack: {@link StackLease.attach} hands it the line's user agent (from then
 * on incoming requests for that line reach it); disposing it detaches the user agent and, for
 * the last line on the stack, closes the stack.
 */
export interface StackLease extends IDisposable {
  readonly stack: SipStack;
  attach(ua: UserAgent): void;
}

/**
 * One stack and the user agents of the lines on it. It listens to the stack once and routes:
 *
 * - a request without To tag (INVITE, OPTIONS, MESSAGE, ...) to the line whose user is the
 *   **user part of the Request-URI** (our Contact, registered and sent in every dialog, is
 *   `sip:<user>@<our address>`, so a proxy or a peer addresses the line by it); a Request-URI
 *   with no or an unknown user goes to the first line on the stack;
 * - a request with a To tag to the line that owns the dialog or subscription (the line of the
 *   Request-URI user is asked first), else to that line (which answers 481);
 * - ACK, CANCEL and stray 2xx to the line whose session takes them.
 *
 * Two lines with the same user never share a stack (the pool gives the second its own), so the
 * user part is unambiguous.
 */
class SharedLineStack extends Disposable {
  private readonly byUser = new Map<string, UserAgent>();
  private readonly agents: UserAgent[] = [];
  /** Users reserved on this stack (attached or still starting). */
  readonly users = new Set<string>();

  constructor(
    readonly stack: SipStack,
    private readonly logger: Logger,
  ) {
    super();
    this._register(stack);
    this._register(stack.onDidReceiveRequest((e) => this.onRequest(e.request, e.transaction)));
    this._register(stack.onDidReceiveAck(({ request }) => void this.agents.some((ua) => ua.handleAck(request))));
    this._register(stack.onDidReceiveCancel(({ inviteTransaction }) => void this.agents.some((ua) => ua.handleCancel(inviteTransaction))));
    this._register(stack.onDidReceiveStrayResponse(({ response }) => this.onStray(response)));
  }

  /** Whether the stack was closed. */
  get closed(): boolean {
    return this.isDisposed;
  }

  attach(user: string, ua: UserAgent): void {
    this.byUser.set(user, ua);
    this.agents.push(ua);
  }

  detach(user: string, ua: UserAgent | undefined): void {
    this.users.delete(user);
    if (!ua) return;
    if (this.byUser.get(user) === ua) this.byUser.delete(user);
    const i = this.agents.indexOf(ua);
    if (i >= 0) this.agents.splice(i, 1);
  }

  private onRequest(request: SipRequest, tx: ServerTransaction): void {
    const ua = this.route(request);
    if (!ua) {
      // RFC 3261 §21.4.18: 480 (Temporarily Unavailable): no line is ready on this stack yet.
      tx.respond(createResponse(request, 480, 'Temporarily Unavailable', { toTag: 'l0' }));
      return;
    }
    ua.handleRequest(request, tx);
  }

  private route(request: SipRequest): UserAgent | undefined {
    const uri = request.uri;
    const user = uri.kind === 'sip' ? uri.user : undefined;
    const named = user !== undefined ? this.byUser.get(user) : undefined;
    if (request.to.params.get('tag') !== undefined) {
      if (named?.ownsInDialogRequest(request)) return named;
      return this.agents.find((ua) => ua !== named && ua.ownsInDialogRequest(request)) ?? named ?? this.agents[0];
    }
    return named ?? this.agents[0];
  }

  private onStray(response: SipResponse): void {
    if (!this.agents.some((ua) => ua.handleStrayResponse(response))) this.logger.debug('stray response for no line', { status: response.status });
  }
}

/**
 * The stacks of an endpoint's lines: one shared {@link SipStack} (one socket) per local
 * transport protocol, bound once (the configured `sip.transports.<protocol>.port`, or the port
 * range, or port 0 with `ephemeralPorts`). A line whose user is already on the shared stack of
 * its protocol gets a stack of its own (an ephemeral port, or the first free port of the range),
 * so the Request-URI user always names one line. Disposing the pool closes every stack.
 */
export class LineStackPool extends Disposable {
  private readonly shared = new Map<string, Promise<SharedLineStack>>();
  private resolver: SipResolver | undefined;
  private resolverMade = false;

  constructor(
    private readonly settings: LineStackSettings,
    private readonly logger: Logger,
  ) {
    super();
  }

  /**
   * A stack for a line of `user` over `protocol`. Resolves once the stack is bound; rejects
   * when no port can be bound (the reservation is then released).
   */
  async lease(user: string, protocol: 'udp' | 'tcp' | 'tls'): Promise<StackLease> {
    let entry = this.shared.get(protocol);
    let dedicated = false;
    if (!entry) {
      entry = this.bind(protocol, false);
      this.shared.set(protocol, entry);
      entry.catch(() => this.shared.get(protocol) === entry && this.shared.delete(protocol));
    } else {
      const s = await entry.catch(() => undefined);
      if (!s || s.closed) {
        if (this.shared.get(protocol) === entry) this.shared.delete(protocol);
        return this.lease(user, protocol);
      }
      if (s.users.has(user)) {
        dedicated = true;
        entry = this.bind(protocol, true);
      }
    }
    const s = await entry;
    if (this.isDisposed) {
      if (dedicated) s.dispose();
      throw new SdkError(ErrorCode.InvalidState, 'the endpoint is disposed');
    }
    if (!dedicated && s.users.has(user)) return this.lease(user, protocol);
    s.users.add(user);
    let ua: UserAgent | undefined;
    let released = false;
    return {
      stack: s.stack,
      attach: (agent: UserAgent) => {
        ua = agent;
        s.attach(user, agent);
      },
      dispose: () => {
        if (released) return;
        released = true;
        s.detach(user, ua);
        if (s.users.size > 0) return;
        // The last line on the stack is gone: close it (a later line binds a fresh one).
        if (!dedicated) {
          const cur = this.shared.get(protocol);
          if (cur === entry) this.shared.delete(protocol);
        }
        this._store.delete(s);
      },
    };
  }

  private async bind(protocol: 'udp' | 'tcp' | 'tls', dedicated: boolean): Promise<SharedLineStack> {
    const stack = await bindLineStack(this.settings, protocol, this.logger, this.configuredResolver(), dedicated);
    const shared = this._register(new SharedLineStack(stack, this.logger));
    const traceSip = this.settings.traceSip;
    if (traceSip) {
      // Lives as long as the stack (its emitter goes with it).
      stack.onDidLogMessage((e) => {
        if (!traceSip()) return;
        this.logger.trace(e.direction === 'out' ? 'SIP sent' : 'SIP received', { remote: e.remote, protocol: e.protocol, message: redactSipTrace(e.message.toString()) });
      });
    }
    return shared;
  }

  /**
   * The resolver of every stack: the given one, or one asking the DNS servers of
   * `sip.dns.servers` (owned by the pool), or none (the stack uses the system's resolvers).
   */
  private configuredResolver(): SipResolver | undefined {
    if (this.settings.resolver) return this.settings.resolver;
    if (!this.resolverMade) {
      this.resolverMade = true;
      const servers = this.settings.config.sip.dns.servers;
      if (servers.length) this.resolver = this._register(new SipResolver({ servers: [...servers], logger: this.logger }));
    }
    return this.resolver;
  }
}
