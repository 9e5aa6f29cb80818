/**
 * One TCP or TLS connection: socket, framing, keep-alive, idle and slow-loris timers.
 * Internal to the transport layer; {@link SipTransportManager} owns every instance.
 */
import type { Socket } from 'node:net';
import { Disposable, Emitter, ErrorCode, MutableDisposable, TransportError, type Clock, type Event, type Logger } from '@sip-endpoint/base';
import { FramingError, StreamFramer } from './stream-framer';
import type { ConnectionCloseReason, ConnectionDirection, ConnectionInfo, KeepAliveOptions, StreamProtocol, TransportAddress, TransportLimits } from './types';
import { toTransportAddress } from './address';

/**
 * States of one TCP or TLS connection of the transport manager (internal `StreamConnection`).
 *
 * ```
 * Connecting --connect/handshake--> Open --close--> Closed
 *      \_______________fail/timeout/dispose_______/
 * ```
 * Inbound connections start in `Open`. `Closed` is final and disposes the connection.
 */
export enum StreamConnectionState {
  Connecting = 'connecting',
  Open = 'open',
  Closed = 'closed',
}

const EDGES: Record<StreamConnectionState, readonly StreamConnectionState[]> = {
  [StreamConnectionState.Connecting]: [StreamConnectionState.Open, StreamConnectionState.Closed],
  [StreamConnectionState.Open]: [StreamConnectionState.Closed],
  [StreamConnectionState.Closed]: [],
};

const PING = Buffer.from('\r\n\r\n', 'latin1');
const PONG = Buffer.from('\r\n', 'latin1');

/** What a connection needs from its owner. */
export interface ConnectionContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: TransportLimits;
  readonly keepAlive: KeepAliveOptions;
  readonly random: () => number;
  /** One framed message arrived. */
  onMessage(c: StreamConnection, data: Buffer): void;
  /** The stream could not be framed; the connection closes right after. */
  onFramingError(c: StreamConnection, error: FramingError): void;
  /** The connection reached `Closed`. */
  onClosed(c: StreamConnection, reason: ConnectionCloseReason, error: Error | undefined): void;
}

const VERIFY_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*|CERT_.*|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE)$/;

/** Whether a socket error is a failed verification of the peer's certificate. */
export function isTlsVerificationError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && VERIFY_CODES.test(code);
}

/** A TCP or TLS connection carrying SIP. Closing is final; use a new connection to reconnect. */
export class StreamConnection extends Disposable {
  private readonly _onDidChangeState = this._register(new Emitter<{ from: StreamConnectionState; to: StreamConnectionState; reason?: ConnectionCloseReason }>());
  /** Fires on every state change, `Closed` included. */
  readonly onDidChangeState: Event<{ from: StreamConnectionState; to: StreamConnectionState; reason?: ConnectionCloseReason }> = this._onDidChangeState.event;

  private _state = StreamConnectionState.Connecting;
  private readonly framer: StreamFramer;
  private readonly connectTimer = this._register(new MutableDisposable());
  private readonly idleTimer = this._register(new MutableDisposable());
  private readonly partialTimer = this._register(new MutableDisposable());
  private readonly pingTimer = this._register(new MutableDisposable());
  private readonly pongTimer = this._register(new MutableDisposable());
  private partialGeneration = -1;
  private lastActivity: number;
  private manualKeepAlives = 0;
  private readonly pendingWrites = new Set<(e: Error) => void>();
  private settleReady: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private _local: TransportAddress;
  /** Settles when the connection is open (resolves) or closed before that (rejects with a `TransportError`). */
  readonly ready: Promise<void>;

  constructor(
    /** Unique within the manager, e.g. `tcp-3`. */
    readonly id: string,
    readonly protocol: StreamProtocol,
    readonly direction: ConnectionDirection,
    /** The peer. */
    readonly remote: TransportAddress,
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
    /** Key under which the manager indexes this connection for reuse. */
    readonly key: string,
  ) {
    super();
    this.framer = new StreamFramer(ctx.limits);
    this.lastActivity = ctx.clock.now();
    this._local = { address: remote.family === 'IPv6' ? '::' : '0.0.0.0', port: 0, family: remote.family };
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = { resolve, reject }));
    // Nobody may be waiting: never an unhandled rejection.
    this.ready.catch(() => {});

    socket.setNoDelay(true);
    // Half-open detection below SIP: TCP keep-alive probes.
    socket.setKeepAlive(true, ctx.keepAlive.tcpKeepAliveDelayMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => this.onSocketError(err));
    socket.on('close', () => this.close('remote'));
    socket.on('end', () => this.close('remote'));

    if (direction === 'outbound') {
      this.connectTimer.value = ctx.clock.setTimeout(
        () => this.close('connect-timeout', new TransportError(`connect to ${this.describeRemote()} timed out after ${ctx.limits.connectTimeoutMs} ms`, this.details())),
        ctx.limits.connectTimeoutMs,
      );
      socket.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => this.open());
    } else {
      this.open();
    }
  }

  /** Where the connection is in its life. */
  get state(): StreamConnectionState {
    return this._state;
  }

  /** Our end of the connection (port 0 until open). */
  get local(): TransportAddress {
    return this._local;
  }

  /** A snapshot for events and listings. */
  get info(): ConnectionInfo {
    return { connectionId: this.id, protocol: this.protocol, direction: this.direction, remote: this.remote, local: this._local };
  }

  /**
   * Writes `data`. Waits for the connection to open first. Resolves when the socket accepted
   * the bytes; rejects with a `TransportError` when the connection is or gets closed first.
   */
  async write(data: Buffer): Promise<void> {
    if (this._state === StreamConnectionState.Connecting) await this.ready;
    if (this._state !== StreamConnectionState.Open) throw this.closedError();
    // Our own traffic (responses on an accepted connection) keeps the flow in use too.
    this.lastActivity = this.ctx.clock.now();
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => reject(e);
      this.pendingWrites.add(fail);
      this.socket.write(data, (err) => {
        this.pendingWrites.delete(fail);
        if (err) reject(new TransportError(`write to ${this.describeRemote()} failed: ${err.message}`, this.details(), { cause: err }));
        else resolve();
      });
    });
  }

  /**
   * Starts RFC 5626 pings on this connection even when automatic keep-alive is off; dispose the
   * result to stop them (automatic keep-alive, if on, continues).
   */
  retainKeepAlive(): () => void {
    this.manualKeepAlives++;
    this.schedulePing();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.manualKeepAlives--;
      if (!this.keepAliveActive) {
        this.pingTimer.clear();
        this.pongTimer.clear();
      }
    };
  }

  /** Closes the connection (idempotent) and reports `reason` through the owner. */
  close(reason: ConnectionCloseReason, error?: Error): void {
    if (this._state === StreamConnectionState.Closed) return;
    this.connectTimer.clear();
    this.idleTimer.clear();
    this.partialTimer.clear();
    this.pingTimer.clear();
    this.pongTimer.clear();
    this.socket.destroy();
    const closed = error instanceof TransportError ? error : this.closedError(reason, error);
    this.settleReady?.reject(closed);
    this.settleReady = undefined;
    for (const fail of this.pendingWrites) fail(closed);
    this.pendingWrites.clear();
    this.transition(StreamConnectionState.Closed, reason);
    this.ctx.logger.debug('connection closed', { connectionId: this.id, reason, error: error?.message });
    this.ctx.onClosed(this, reason, error);
    this.dispose();
  }

  override dispose(): void {
    if (this._state !== StreamConnectionState.Closed) {
      this.close('local');
      return;
    }
    super.dispose();
  }

  private transition(to: StreamConnectionState, reason?: ConnectionCloseReason): void {
    const from = this._state;
    if (!EDGES[from].includes(to)) throw new Error(`StreamConnection: illegal transition ${from} -> ${to}`);
    this._state = to;
    this.ctx.logger.trace('connection state', { connectionId: this.id, from, to, reason });
    this._onDidChangeState.fire({ from, to, reason });
  }

  private open(): void {
    if (this._state !== StreamConnectionState.Connecting) return;
    this.connectTimer.clear();
    const address = this.socket.localAddress;
    const port = this.socket.localPort;
    if (address && port !== undefined) this._local = toTransportAddress(address, port);
    this.lastActivity = this.ctx.clock.now();
    this.transition(StreamConnectionState.Open);
    this.settleReady?.resolve();
    this.settleReady = undefined;
    if (this.direction === 'inbound') this.armIdleTimer(this.ctx.limits.idleTimeoutMs);
    else this.schedulePing();
  }

  private get keepAliveActive(): boolean {
    return this.direction === 'outbound' && (this.ctx.keepAlive.enabled || this.manualKeepAlives > 0);
  }

  // RFC 5626 §4.4.1: "the UA MUST ... send keep-alives ... at an interval chosen randomly between
  // 80% and 100% of the recommended time".
  private schedulePing(): void {
    if (this._state !== StreamConnectionState.Open || !this.keepAliveActive || this.pingTimer.value) return;
    const { intervalMs, jitter } = this.ctx.keepAlive;
    const delay = jitter ? intervalMs * (0.8 + 0.2 * this.ctx.random()) : intervalMs;
    this.pingTimer.value = this.ctx.clock.setTimeout(() => {
      this.pingTimer.value = undefined;
      this.ping();
    }, delay);
  }

  private ping(): void {
    if (this._state !== StreamConnectionState.Open || !this.keepAliveActive) return;
    // RFC 5626 §4.4.1: "If a pong is not received within 10 seconds after sending a ping, the
    // flow is considered failed" (the 10 s is `pongTimeoutMs`).
    if (!this.pongTimer.value) {
      this.pongTimer.value = this.ctx.clock.setTimeout(
        () => this.close('keepalive-timeout', new TransportError(`no keep-alive pong from ${this.describeRemote()} within ${this.ctx.keepAlive.pongTimeoutMs} ms`, this.details())),
        this.ctx.keepAlive.pongTimeoutMs,
      );
    }
    this.socket.write(PING);
    this.schedulePing();
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer.value = this.ctx.clock.setTimeout(() => {
      const idle = this.ctx.clock.now() - this.lastActivity;
      const left = this.ctx.limits.idleTimeoutMs - idle;
      if (left > 0) this.armIdleTimer(left);
      else this.close('idle-timeout');
    }, ms);
  }

  private onData(chunk: Buffer): void {
    if (this._state !== StreamConnectionState.Open) return;
    this.lastActivity = this.ctx.clock.now();
    const { items, error } = this.framer.push(chunk);
    for (const item of items) {
      if (this._state !== StreamConnectionState.Open) return;
      if (item.type === 'message') {
        this.ctx.onMessage(this, item.data);
      } else if (item.type === 'pong') {
        if (this.direction === 'outbound') this.pongTimer.clear();
      } else if (this.direction === 'inbound') {
        // RFC 5626 §3.5.1: "the server ... responds to each ping with a pong" (a single CRLF).
        this.socket.write(PONG);
      }
    }
    if (this._state !== StreamConnectionState.Open) return;
    if (error) {
      this.ctx.onFramingError(this, error);
      this.close('framing-error', error);
      return;
    }
    this.updatePartialTimer();
  }

  /** Slow-loris defence: a started message must be complete within `partialMessageTimeoutMs`. */
  private updatePartialTimer(): void {
    if (!this.framer.hasPartialMessage) {
      this.partialTimer.clear();
      this.partialGeneration = -1;
      return;
    }
    const generation = this.framer.messagesStarted;
    if (generation === this.partialGeneration && this.partialTimer.value) return;
    this.partialGeneration = generation;
    this.partialTimer.value = this.ctx.clock.setTimeout(() => {
      if (this._state !== StreamConnectionState.Open) return;
      const error = new FramingError('partial-message-timeout', `message not completed within ${this.ctx.limits.partialMessageTimeoutMs} ms`);
      this.ctx.onFramingError(this, error);
      this.close('framing-error', error);
    }, this.ctx.limits.partialMessageTimeoutMs);
  }

  private onSocketError(err: Error): void {
    if (this._state === StreamConnectionState.Connecting) {
      if (this.protocol === 'tls' && isTlsVerificationError(err)) {
        this.close(
          'tls-verification',
          new TransportError(`TLS certificate of ${this.describeRemote()} failed verification: ${err.message}`, this.details(), { cause: err, code: ErrorCode.TlsVerification }),
        );
      } else {
        this.close('connect-failed', new TransportError(`cannot connect to ${this.describeRemote()}: ${err.message}`, this.details(), { cause: err }));
      }
      return;
    }
    this.close('error', new TransportError(`connection to ${this.describeRemote()} failed: ${err.message}`, this.details(), { cause: err }));
  }

  private closedError(reason?: ConnectionCloseReason, cause?: Error): TransportError {
    return new TransportError(`connection ${this.id} to ${this.describeRemote()} is closed${reason ? ` (${reason})` : ''}`, this.details(), {
      cause,
      code: reason === 'disposed' ? ErrorCode.Disposed : ErrorCode.Transport,
    });
  }

  private describeRemote(): string {
    return `${this.protocol}:${this.remote.family === 'IPv6' ? `[${this.remote.address}]` : this.remote.address}:${this.remote.port}`;
  }

  private details(): { transport: string; remote: string; local: string } {
    return { transport: this.protocol, remote: this.describeRemote(), local: `${this._local.address}:${this._local.port}` };
  }
}
