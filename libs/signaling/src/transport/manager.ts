/**
 * The SIP transport layer, RFC 3261 §18: listening points for UDP, TCP and TLS, sending with
 * connection reuse, framing of streams, keep-alive (RFC 5626), and limits against abusive peers.
 * Messages are delivered as bytes; the message layer above parses them and does RFC 3581
 * (`received`/`rport`) from the remote address reported here.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  ConfigError,
  Disposable,
  Emitter,
  ErrorCode,
  TransportError,
  nullLogger,
  realClock,
  toDisposable,
  type Clock,
  type Event,
  type IDisposable,
  type Logger,
} from '@sip-endpoint/base';
import { flowKey, ipFamily, toTransportAddress } from './address';
import { StreamConnectionState, StreamConnection, type ConnectionContext } from './connection';
import type { FramingError } from './stream-framer';
import type {
  AddressFamily,
  ConnectionClosedEvent,
  ConnectionCloseReason,
  ConnectionInfo,
  FramingErrorEvent,
  KeepAliveOptions,
  ListenSpec,
  MessageReceivedEvent,
  SendInfo,
  SendOptions,
  SendTarget,
  SipTransportManagerOptions,
  StreamProtocol,
  TlsClientOptions,
  TransportAddress,
  TransportLimits,
  TransportProtocol,
} from './types';

/** Default {@link TransportLimits}. */
export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = Object.freeze({
  maxMessageSize: 65535,
  maxHeaderBytes: 32768,
  idleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  partialMessageTimeoutMs: 30_000,
  maxConnections: 1000,
});

/** Default {@link KeepAliveOptions}. */
export const DEFAULT_KEEPALIVE_OPTIONS: KeepAliveOptions = Object.freeze({
  enabled: true,
  intervalMs: 30_000,
  pongTimeoutMs: 10_000,
  jitter: true,
  tcpKeepAliveDelayMs: 60_000,
});

const CRLF_ONLY = /^[\r\n]*$/;
const KEEPALIVE = Buffer.from('\r\n\r\n', 'latin1');

/**
 * A socket we listen on. Dispose it to stop listening; connections accepted through it close
 * too (reason `local`).
 */
export class ListeningPoint extends Disposable {
  constructor(
    readonly protocol: TransportProtocol,
    /** The bound address (as given, or as the OS reports it). */
    readonly address: string,
    /** The bound port (the ephemeral port picked when 0 was asked). */
    readonly port: number,
    readonly family: AddressFamily,
    private readonly onDispose: (lp: ListeningPoint) => void,
  ) {
    super();
  }

  /** Our address as a {@link TransportAddress}. */
  get local(): TransportAddress {
    return { address: this.address, port: this.port, family: this.family };
  }

  /** Whether it was disposed (no longer listening). */
  get isClosed(): boolean {
    return this.isDisposed;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.onDispose(this);
  }
}

interface UdpPoint {
  readonly lp: ListeningPoint;
  readonly socket: dgram.Socket;
}

interface StreamPoint {
  readonly lp: ListeningPoint;
  readonly server: net.Server;
}

function positive(path: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError({ keyPath: path, message: `must be a positive number, got ${String(value)}` });
}

/**
 * Owns every socket of the SIP stack: listening points and connections.
 *
 * - {@link SipTransportManager.listen} opens a listening point (UDP socket or TCP/TLS server).
 * - {@link SipTransportManager.send} sends one message; for TCP/TLS it reuses a connection to the
 *   same address, port and protocol in either direction, or opens one.
 * - {@link SipTransportManager.onDidReceiveMessage} fires once per received SIP message.
 *
 * Disposing it closes every socket; pending sends reject with a `TransportError` (code `DISPOSED`).
 */
export class SipTransportManager extends Disposable {
  private readonly _onDidReceiveMessage = this._register(new Emitter<MessageReceivedEvent>());
  /** One event per SIP message: a UDP datagram, or one message framed from a stream. */
  readonly onDidReceiveMessage: Event<MessageReceivedEvent> = this._onDidReceiveMessage.event;

  private readonly _onDidOpenConnection = this._register(new Emitter<ConnectionInfo>());
  /** A connection opened: ours once connected (and TLS handshaken), the peer's once accepted. */
  readonly onDidOpenConnection: Event<ConnectionInfo> = this._onDidOpenConnection.event;

  private readonly _onDidCloseConnection = this._register(new Emitter<ConnectionClosedEvent>());
  /** A connection closed (or failed to open), with the reason. Fires once per connection. */
  readonly onDidCloseConnection: Event<ConnectionClosedEvent> = this._onDidCloseConnection.event;

  private readonly _onDidFramingError = this._register(new Emitter<FramingErrorEvent>());
  /**
   * Bytes that could not be framed: on a stream the connection is closed right after
   * (RFC 4475 §3.1.2.x: a stream with a broken Content-Length cannot be resynchronised); an
   * over-limit UDP datagram is dropped.
   */
  readonly onDidFramingError: Event<FramingErrorEvent> = this._onDidFramingError.event;

  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limits: TransportLimits;
  private readonly keepAlive: KeepAliveOptions;
  private readonly tlsClient: TlsClientOptions;
  private readonly connectionContext: ConnectionContext;
  private readonly udpPoints: UdpPoint[] = [];
  private readonly streamPoints: StreamPoint[] = [];
  private readonly connections = new Map<string, StreamConnection>();
  /** Flow key -> connection ids, oldest first. */
  private readonly byKey = new Map<string, string[]>();
  /** Listening point of each accepted connection. */
  private readonly acceptedBy = new Map<string, ListeningPoint>();
  private readonly keepAlives = new Set<IDisposable>();
  private nextId = 1;
  private disposing = false;

  constructor(options: SipTransportManagerOptions = {}) {
    super();
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? nullLogger).child({ component: 'transport' });
    this.limits = { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits };
    this.keepAlive = { ...DEFAULT_KEEPALIVE_OPTIONS, ...options.keepAlive };
    this.tlsClient = options.tls ?? {};
    for (const [k, v] of Object.entries(this.limits)) positive(`limits.${k}`, v as number);
    for (const k of ['intervalMs', 'pongTimeoutMs', 'tcpKeepAliveDelayMs'] as const) positive(`keepAlive.${k}`, this.keepAlive[k]);
    if (this.tlsClient.rejectUnauthorized === false) this.logger.warn('TLS certificate verification is OFF for outgoing connections');
    const random = options.random ?? Math.random;
    this.connectionContext = {
      clock: this.clock,
      logger: this.logger,
      limits: this.limits,
      keepAlive: this.keepAlive,
      random,
      onMessage: (c, data) => this._onDidReceiveMessage.fire({ data, protocol: c.protocol, remote: c.remote, local: c.local, connectionId: c.id }),
      onFramingError: (c, e) => this.reportFramingError(c, e),
      onClosed: (c, reason, error) => this.onConnectionClosed(c, reason, error),
    };
  }

  /** Open connections (TCP and TLS, both directions, connecting ones included). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** A snapshot of every connection. */
  get openConnections(): readonly ConnectionInfo[] {
    return [...this.connections.values()].map((c) => c.info);
  }

  /** Every listening point, in the order they were opened. */
  get listeningPoints(): readonly ListeningPoint[] {
    return [...this.udpPoints.map((p) => p.lp), ...this.streamPoints.map((p) => p.lp)];
  }

  /**
   * Starts listening. Resolves with the listening point once bound; rejects with a
   * `TransportError` when the address cannot be bound (in use, not local) or the spec is invalid.
   * IPv6 sockets are bound v6-only, so `::` and `0.0.0.0` can share a port.
   */
  async listen(spec: ListenSpec): Promise<ListeningPoint> {
    this.assertAlive();
    const family = ipFamily(spec.host);
    if (!family) throw new TransportError(`listen: host must be an IP literal, got '${spec.host}'`, { transport: spec.protocol }, { code: ErrorCode.InvalidArgument });
    if (!Number.isInteger(spec.port) || spec.port < 0 || spec.port > 65535) {
      throw new TransportError(`listen: invalid port ${spec.port}`, { transport: spec.protocol }, { code: ErrorCode.InvalidArgument });
    }
    if (spec.protocol === 'udp') return this.listenUdp(spec.host, spec.port, family);
    if (spec.protocol === 'tls' && !spec.tls) {
      throw new TransportError('listen: a TLS listening point needs `tls` (cert and key)', { transport: 'tls' }, { code: ErrorCode.InvalidArgument });
    }
    return this.listenStream(spec, family);
  }

  /**
   * Sends one SIP message.
   *
   * - UDP: one datagram from the listening socket of the target's family, so the peer sees our
   *   listening port (RFC 3261 §18.1.1).
   * - TCP/TLS: on `options.connectionId` if given; else on an open connection to the same
   *   address, port and protocol, whoever opened it (RFC 3261 §18.2.2); else on a new connection.
   *
   * Resolves once the bytes are handed to the socket, with what was used. Rejects with a
   * `TransportError`: code `TLS_VERIFICATION` when the server's certificate fails verification,
   * `DISPOSED` when the manager is disposed meanwhile, `TRANSPORT` otherwise (connect failed or
   * timed out, connection closed, no UDP listening point of that family, ...).
   */
  async send(target: SendTarget, data: Buffer, options: SendOptions = {}): Promise<SendInfo> {
    this.assertAlive();
    const family = ipFamily(target.host);
    if (!family) throw new TransportError(`send: host must be an IP literal, got '${target.host}'`, { transport: target.protocol }, { code: ErrorCode.InvalidArgument });
    if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) {
      throw new TransportError(`send: invalid port ${target.port}`, { transport: target.protocol }, { code: ErrorCode.InvalidArgument });
    }
    if (target.protocol === 'udp') return this.sendUdp(target, family, data);
    let conn: StreamConnection | undefined;
    if (options.connectionId !== undefined) {
      conn = this.connections.get(options.connectionId);
      if (!conn || conn.state === StreamConnectionState.Closed) {
        throw new TransportError(`connection ${options.connectionId} is closed`, { transport: target.protocol, remote: `${target.host}:${target.port}` });
      }
      if (conn.protocol !== target.protocol) {
        throw new TransportError(`connection ${options.connectionId} is ${conn.protocol}, not ${target.protocol}`, { transport: target.protocol }, { code: ErrorCode.InvalidArgument });
      }
    } else {
      conn = this.findConnection(flowKey(target.protocol, target.host, target.port)) ?? this.connect(target);
    }
    await conn.write(data);
    return { protocol: conn.protocol, local: conn.local, remote: conn.remote, connectionId: conn.id };
  }

  /**
   * Keeps a flow to `target` alive (RFC 5626 §3.5.1): for UDP a CRLFCRLF every `intervalMs`
   * from the listening socket (no pong is expected); for TCP/TLS pings with pong check on the
   * open connection to `target` even when automatic keep-alive is off (a missing pong closes it
   * with reason `keepalive-timeout`). Dispose the result to stop. Throws a `TransportError` when
   * a stream target has no open connection.
   */
  startKeepAlive(target: SendTarget, options: { intervalMs?: number } = {}): IDisposable {
    this.assertAlive();
    if (target.protocol !== 'udp') {
      const conn = this.findConnection(flowKey(target.protocol, target.host, target.port));
      if (!conn) throw new TransportError(`no open ${target.protocol} connection to ${target.host}:${target.port}`, { transport: target.protocol });
      const release = conn.retainKeepAlive();
      const d: IDisposable = toDisposable(() => {
        this.keepAlives.delete(d);
        release();
      });
      this.keepAlives.add(d);
      return d;
    }
    const interval = options.intervalMs ?? this.keepAlive.intervalMs;
    positive('keepAlive.intervalMs', interval);
    const timer = this.clock.setInterval(() => {
      this.sendUdp(target, ipFamily(target.host) ?? 'IPv4', KEEPALIVE).catch((e: unknown) =>
        this.logger.debug('UDP keep-alive failed', { target: `${target.host}:${target.port}`, error: (e as Error).message }),
      );
    }, interval);
    const d: IDisposable = toDisposable(() => {
      this.keepAlives.delete(d);
      timer.dispose();
    });
    this.keepAlives.add(d);
    return d;
  }

  /** Closes a connection (reason `local`). Returns whether it was open. */
  closeConnection(connectionId: string): boolean {
    const c = this.connections.get(connectionId);
    if (!c) return false;
    c.close('local');
    return true;
  }

  override dispose(): void {
    if (this.isDisposed || this.disposing) return;
    this.disposing = true;
    for (const d of [...this.keepAlives]) d.dispose();
    for (const c of [...this.connections.values()]) c.close('disposed');
    for (const lp of this.listeningPoints) lp.dispose();
    super.dispose();
  }

  // ---- UDP ------------------------------------------------------------------------------

  private listenUdp(host: string, port: number, family: AddressFamily): Promise<ListeningPoint> {
    const socket = dgram.createSocket({ type: family === 'IPv6' ? 'udp6' : 'udp4', ipv6Only: family === 'IPv6' });
    return new Promise<ListeningPoint>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(new TransportError(`cannot bind udp ${host}:${port}: ${err.message}`, { transport: 'udp', local: `${host}:${port}` }, { cause: err }));
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        if (this.disposing || this.isDisposed) {
          socket.close();
          reject(this.disposedError('udp'));
          return;
        }
        const bound = socket.address();
        const lp = new ListeningPoint('udp', bound.address, bound.port, family, (p) => this.closeUdp(p));
        const point: UdpPoint = { lp, socket };
        this.udpPoints.push(point);
        socket.on('error', (err) => this.logger.warn('UDP socket error', { local: `${bound.address}:${bound.port}`, error: err.message }));
        socket.on('message', (msg, rinfo) => this.onDatagram(point, msg, rinfo));
        this.logger.info('listening', { protocol: 'udp', address: bound.address, port: bound.port });
        resolve(lp);
      });
    });
  }

  private onDatagram(point: UdpPoint, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const remote = toTransportAddress(rinfo.address, rinfo.port);
    if (msg.length > this.limits.maxMessageSize) {
      this._onDidFramingError.fire({
        protocol: 'udp',
        reason: 'message-too-large',
        detail: `datagram of ${msg.length} bytes exceeds ${this.limits.maxMessageSize}; dropped`,
        remote,
        local: point.lp.local,
      });
      return;
    }
    // Keep-alives (RFC 5626 §3.5.1 CRLFCRLF, or lone CRLFs) carry no message.
    if (msg.length <= 4 && CRLF_ONLY.test(msg.toString('latin1'))) return;
    this._onDidReceiveMessage.fire({ data: msg, protocol: 'udp', remote, local: point.lp.local });
  }

  private sendUdp(target: SendTarget, family: AddressFamily, data: Buffer): Promise<SendInfo> {
    const point = this.udpPoints.find((p) => p.lp.family === family);
    if (!point) {
      return Promise.reject(new TransportError(`no ${family} UDP listening point to send from`, { transport: 'udp', remote: `${target.host}:${target.port}` }));
    }
    return new Promise<SendInfo>((resolve, reject) => {
      point.socket.send(data, target.port, target.host, (err) => {
        if (err) reject(new TransportError(`UDP send to ${target.host}:${target.port} failed: ${err.message}`, { transport: 'udp', remote: `${target.host}:${target.port}` }, { cause: err }));
        else resolve({ protocol: 'udp', local: point.lp.local, remote: toTransportAddress(target.host, target.port) });
      });
    });
  }

  private closeUdp(lp: ListeningPoint): void {
    const i = this.udpPoints.findIndex((p) => p.lp === lp);
    if (i < 0) return;
    const [point] = this.udpPoints.splice(i, 1);
    try {
      point?.socket.close();
    } catch {
      // Already closed.
    }
  }

  // ---- TCP / TLS -------------------------------------------------------------------------

  private listenStream(spec: ListenSpec, family: AddressFamily): Promise<ListeningPoint> {
    const protocol = spec.protocol as StreamProtocol;
    let server: net.Server;
    if (protocol === 'tls' && spec.tls) {
      const t = spec.tls;
      server = tls.createServer({
        cert: t.cert,
        key: t.key,
        passphrase: t.passphrase,
        ca: t.ca,
        requestCert: t.requestCert ?? false,
        rejectUnauthorized: t.rejectUnauthorized ?? true,
        minVersion: t.minVersion ?? 'TLSv1.2',
        handshakeTimeout: this.limits.connectTimeoutMs,
      });
    } else {
      server = net.createServer();
    }
    server.maxConnections = this.limits.maxConnections;
    return new Promise<ListeningPoint>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(new TransportError(`cannot listen on ${protocol} ${spec.host}:${spec.port}: ${err.message}`, { transport: protocol, local: `${spec.host}:${spec.port}` }, { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: spec.host, port: spec.port, ipv6Only: family === 'IPv6', exclusive: true }, () => {
        server.off('error', onError);
        if (this.disposing || this.isDisposed) {
          server.close();
          reject(this.disposedError(protocol));
          return;
        }
        const bound = server.address() as net.AddressInfo;
        const lp = new ListeningPoint(protocol, bound.address, bound.port, family, (p) => this.closeStreamPoint(p));
        this.streamPoints.push({ lp, server });
        server.on('error', (err) => this.logger.warn('server error', { protocol, error: err.message }));
        if (protocol === 'tls') {
          server.on('secureConnection', (socket: tls.TLSSocket) => this.accept(lp, socket));
          server.on('tlsClientError', (err: Error) => this.logger.debug('TLS client failed the handshake', { error: err.message }));
        } else {
          server.on('connection', (socket: net.Socket) => this.accept(lp, socket));
        }
        this.logger.info('listening', { protocol, address: bound.address, port: bound.port });
        resolve(lp);
      });
    });
  }

  private accept(lp: ListeningPoint, socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.disposing || this.isDisposed || lp.isClosed) {
      socket.destroy();
      return;
    }
    if (socket.remoteAddress === undefined || socket.remotePort === undefined) {
      socket.destroy();
      return;
    }
    const remote = toTransportAddress(socket.remoteAddress, socket.remotePort);
    if (this.connections.size >= this.limits.maxConnections) {
      this.logger.warn('connection refused: maxConnections reached', { remote: `${remote.address}:${remote.port}`, max: this.limits.maxConnections });
      socket.destroy();
      return;
    }
    const protocol = lp.protocol as StreamProtocol;
    const id = `${protocol}-${this.nextId++}`;
    const key = flowKey(protocol, remote.address, remote.port);
    this.acceptedBy.set(id, lp);
    const conn = this.addConnection(new StreamConnection(id, protocol, 'inbound', remote, socket, this.connectionContext, key));
    this._onDidOpenConnection.fire(conn.info);
  }

  private connect(target: SendTarget): StreamConnection {
    if (this.connections.size >= this.limits.maxConnections) {
      throw new TransportError(`cannot open a connection: maxConnections (${this.limits.maxConnections}) reached`, { transport: target.protocol, remote: `${target.host}:${target.port}` });
    }
    const protocol = target.protocol as StreamProtocol;
    let socket: net.Socket;
    if (protocol === 'tls') {
      const t = this.tlsClient;
      const servername = target.servername ?? target.host;
      socket = tls.connect({
        host: target.host,
        port: target.port,
        // SNI carries host names only (RFC 6066 §3); the identity check still uses `servername`.
        servername: ipFamily(servername) ? undefined : servername,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        passphrase: t.passphrase,
        rejectUnauthorized: t.rejectUnauthorized ?? true,
        minVersion: t.minVersion ?? 'TLSv1.2',
      });
    } else {
      socket = net.connect({ host: target.host, port: target.port });
    }
    const id = `${protocol}-${this.nextId++}`;
    const remote: TransportAddress = toTransportAddress(target.host, target.port);
    const key = flowKey(protocol, target.host, target.port);
    const conn = this.addConnection(new StreamConnection(id, protocol, 'outbound', remote, socket, this.connectionContext, key));
    this.logger.debug('connecting', { connectionId: id, remote: `${remote.address}:${remote.port}`, protocol });
    conn.ready.then(
      () => this._onDidOpenConnection.fire(conn.info),
      () => {},
    );
    return conn;
  }

  private addConnection(conn: StreamConnection): StreamConnection {
    this.connections.set(conn.id, conn);
    const ids = this.byKey.get(conn.key);
    if (ids) ids.push(conn.id);
    else this.byKey.set(conn.key, [conn.id]);
    this._register(conn);
    return conn;
  }

  private findConnection(key: string): StreamConnection | undefined {
    const ids = this.byKey.get(key);
    if (!ids) return undefined;
    // Prefer the newest open connection, then one still connecting.
    let connecting: StreamConnection | undefined;
    for (let i = ids.length - 1; i >= 0; i--) {
      const c = this.connections.get(ids[i] ?? '');
      if (c?.state === StreamConnectionState.Open) return c;
      if (c?.state === StreamConnectionState.Connecting) connecting ??= c;
    }
    return connecting;
  }

  private onConnectionClosed(c: StreamConnection, reason: ConnectionCloseReason, error: Error | undefined): void {
    this.connections.delete(c.id);
    this.acceptedBy.delete(c.id);
    const ids = this.byKey.get(c.key);
    if (ids) {
      const rest = ids.filter((id) => id !== c.id);
      if (rest.length) this.byKey.set(c.key, rest);
      else this.byKey.delete(c.key);
    }
    this._store.deleteAndLeak(c);
    this._onDidCloseConnection.fire({ ...c.info, reason, error });
  }

  private reportFramingError(c: StreamConnection, e: FramingError): void {
    this.logger.debug('framing error', { connectionId: c.id, reason: e.reason, detail: e.message });
    this._onDidFramingError.fire({ protocol: c.protocol, reason: e.reason, detail: e.message, remote: c.remote, local: c.local, connectionId: c.id });
  }

  private closeStreamPoint(lp: ListeningPoint): void {
    const i = this.streamPoints.findIndex((p) => p.lp === lp);
    if (i < 0) return;
    const [point] = this.streamPoints.splice(i, 1);
    point?.server.close();
    for (const [id, owner] of [...this.acceptedBy]) {
      if (owner === lp) this.connections.get(id)?.close(this.disposing ? 'disposed' : 'local');
    }
  }

  private assertAlive(): void {
    if (this.disposing || this.isDisposed) throw this.disposedError();
  }

  private disposedError(transport?: string): TransportError {
    return new TransportError('the transport manager is disposed', { transport }, { code: ErrorCode.Disposed });
  }
}
