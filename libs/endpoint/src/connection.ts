/**
 * {@link Connection}: one configured SIP Server line (a `Connectivity` entry with its
 * `proxies.proxyN`), with its own stack, user agent, registration and MWI subscription.
 */
import { readFileSync } from 'node:fs';
import { Disposable, Emitter, ErrorCode, SdkError, isSdkError, type Event, type Logger } from '@sip-endpoint/base';
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
}

/** `reg_timeout` semantics: 0, empty or non-numeric = standalone (genesys-compat §3). */
export function registrationExpires(proxy: ProxyConfig | undefined): number {
  const v = Number(proxy?.reg_timeout ?? 0);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * One SIP Server line. `start()` binds its stack (a port of `sip.transports` or of
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
    let stack: SipStack;
    try {
      stack = await this.bindStack();
    } catch (e) {
      this.fail(`cannot bind a SIP port: ${String(e)}`);
      return;
    }
    if (this.isDisposed) {
      stack.dispose();
      return;
    }
    const proxy = this.options.proxy;
    const delegate: UserAgentDelegate = {
      onInvite: (session) => this.host.onIncomingInvite(this, session),
      createSessionDescriptionHandler: () => this.host.createSessionDescriptionHandler(this),
    };
    this._ua = this._register(
      await UserAgent.create({
        aor: this.aor,
        ...(proxy?.display_name ? { displayName: proxy.display_name } : {}),
        ...(proxy?.password ? { credentials: { username: this.options.line.user, password: proxy.password } } : {}),
        stack,
        createSessionDescriptionHandler: () => this.host.createSessionDescriptionHandler(this),
        delegate,
        transport: this.protocol,
        logger: this.logger,
      }),
    );
    this._register(stack);
    this._register(this._ua.onDidCreateSession(({ session }) => this.host.onSessionCreated(this, session)));
    const expires = registrationExpires(proxy);
    if (expires === 0) {
      this.transition(ConnectionState.Ready, 'standalone (reg_timeout 0): no REGISTER');
    } else {
      this.register(expires);
    }
    this.subscribeMailbox();
  }

  private async bindStack(): Promise<SipStack> {
    const c = this.options.config;
    const transports = c.sip.transports;
    const configured = transports[this.protocol].port;
    const host = this.options.listenAddress;
    const listen = (port: number) => [{ protocol: this.protocol, host, port, ...(this.protocol === 'tls' ? { tls: this.tlsMaterial() } : {}) }];
    const resolver = this.options.resolver ?? this.configuredResolver();
    const base = {
      logger: this.logger,
      timers: { t1Ms: c.sip.timers.t1Ms, t2Ms: c.sip.timers.t2Ms, t4Ms: c.sip.timers.t4Ms },
      ...(resolver ? { resolver } : {}),
      ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
    };
    if (this.options.ephemeralPorts || configured > 0) return SipStack.create({ ...base, listen: listen(this.options.ephemeralPorts ? 0 : configured) });
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
   * An RFC 3263 resolver asking the DNS servers of `sip.dns.servers` (owned by the line), or
   * undefined to let the stack use the system's resolvers.
   */
  private configuredResolver(): SipResolver | undefined {
    const servers = this.options.config.sip.dns.servers;
    if (!servers.length) return undefined;
    return this._register(new SipResolver({ servers: [...servers], logger: this.logger }));
  }

  private tlsMaterial(): { cert: string; key: string } {
    const { certFile, keyFile } = this.options.config.sip.tls;
    if (!certFile || !keyFile) throw new SdkError(ErrorCode.InvalidArgument, 'a TLS connection needs sip.tls.certFile and sip.tls.keyFile');
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
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
