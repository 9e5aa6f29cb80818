/**
 * Shared types of the transport layer (RFC 3261 §18): addresses, options, limits and event
 * payloads of {@link SipTransportManager}.
 */
import type { SecureVersion } from 'node:tls';
import type { Clock, Logger } from '@sip-endpoint/base';
import type { FramingErrorReason } from './stream-framer';

/** A SIP transport protocol handled by this layer. */
export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** A stream (connection-oriented) protocol. */
export type StreamProtocol = 'tcp' | 'tls';

/** IP family of an address. */
export type AddressFamily = 'IPv4' | 'IPv6';

/** One end of a flow: an IP literal, a port and the family. */
export interface TransportAddress {
  /** IP literal; IPv4-mapped IPv6 addresses are reported as plain IPv4. */
  readonly address: string;
  readonly port: number;
  readonly family: AddressFamily;
}

/** Certificate material: PEM text or buffers (node:tls formats). */
export type PemInput = string | Buffer | Array<string | Buffer>;

/** TLS settings of a TLS listening point (the server side). */
export interface TlsServerOptions {
  /** Our certificate chain (PEM). */
  readonly cert: PemInput;
  /** Our private key (PEM). */
  readonly key: PemInput;
  /** Passphrase of the key, if it is encrypted. */
  readonly passphrase?: string;
  /** CAs trusted for client certificates (mutual TLS); default: Node's bundled roots. */
  readonly ca?: PemInput;
  /** Ask the client for a certificate (mutual TLS). Default false. */
  readonly requestCert?: boolean;
  /** With `requestCert`, drop clients whose certificate does not verify. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Lowest TLS version accepted. Default `TLSv1.2`. */
  readonly minVersion?: SecureVersion;
}

/** TLS settings for connections we open (the client side). */
export interface TlsClientOptions {
  /** CAs trusted for server certificates; default: Node's bundled roots. */
  readonly ca?: PemInput;
  /** Our client certificate, for mutual TLS. */
  readonly cert?: PemInput;
  /** The key of {@link TlsClientOptions.cert}. */
  readonly key?: PemInput;
  /** Passphrase of the key, if it is encrypted. */
  readonly passphrase?: string;
  /**
   * Verify the server's certificate and name. Default true; turning it off is for lab use only
   * and is logged as a warning.
   */
  readonly rejectUnauthorized?: boolean;
  /** Lowest TLS version offered. Default `TLSv1.2`. */
  readonly minVersion?: SecureVersion;
}

/** Where and how to listen. */
export interface ListenSpec {
  readonly protocol: TransportProtocol;
  /** IP literal to bind (`0.0.0.0`, `::`, `127.0.0.1`, `::1`, ...). */
  readonly host: string;
  /** Port to bind; 0 picks an ephemeral port (read it from {@link ListeningPoint.port}). */
  readonly port: number;
  /** Required for `tls`. */
  readonly tls?: TlsServerOptions;
}

/** Where to send. */
export interface SendTarget {
  readonly protocol: TransportProtocol;
  /** IP literal (name resolution is the DNS layer's job, RFC 3263). */
  readonly host: string;
  readonly port: number;
  /**
   * TLS only: the name the server certificate must match and the SNI sent. Default: `host`
   * (the certificate must then carry the IP address in its subjectAltName).
   */
  readonly servername?: string;
}

/** Options of one {@link SipTransportManager.send}. */
export interface SendOptions {
  /**
   * Send on this connection (TCP/TLS), e.g. the one a request came in on (RFC 3261 §18.2.2).
   * The promise rejects with a `TransportError` when it is closed; no new connection is opened.
   */
  readonly connectionId?: string;
}

/** What a successful send used. */
export interface SendInfo {
  readonly protocol: TransportProtocol;
  /** Our address and port the bytes left from. */
  readonly local: TransportAddress;
  /** Where they went. */
  readonly remote: TransportAddress;
  /** The connection used (TCP/TLS only). */
  readonly connectionId?: string;
}

/** Limits that protect the process from peers. */
export interface TransportLimits {
  /** Largest message accepted (datagram, or header block + body on a stream). Default 65535. */
  readonly maxMessageSize: number;
  /** Largest header block on a stream. Default 32768. */
  readonly maxHeaderBytes: number;
  /** An accepted connection with no traffic for this long is closed. Default 300000. */
  readonly idleTimeoutMs: number;
  /** Connecting (TCP connect + TLS handshake) must finish within this. Default 10000. */
  readonly connectTimeoutMs: number;
  /** A stream peer that started a message must finish it within this (slow-loris). Default 30000. */
  readonly partialMessageTimeoutMs: number;
  /** Open connections, both directions together. Default 1000. */
  readonly maxConnections: number;
}

/** Keep-alive settings (RFC 5626 §3.5.1, §4.4.1). */
export interface KeepAliveOptions {
  /** Ping (CRLFCRLF) connections we open. Default true. */
  readonly enabled: boolean;
  /** Time between pings. Default 30000. */
  readonly intervalMs: number;
  /** A ping not answered by a CRLF pong within this declares the connection dead. Default 10000. */
  readonly pongTimeoutMs: number;
  /**
   * RFC 5626 §4.4.1: pick each interval at random between 80% and 100% of `intervalMs`.
   * Default true.
   */
  readonly jitter: boolean;
  /** Initial delay of the TCP (SO_KEEPALIVE) probes on every stream socket. Default 60000. */
  readonly tcpKeepAliveDelayMs: number;
}

/** Options of a {@link SipTransportManager}. */
export interface SipTransportManagerOptions {
  /** Where timers run. Default: the real clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly limits?: Partial<TransportLimits>;
  readonly keepAlive?: Partial<KeepAliveOptions>;
  /** Settings of outgoing TLS connections. */
  readonly tls?: TlsClientOptions;
  /** Random source in [0, 1) for keep-alive jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** Who opened a connection. */
export type ConnectionDirection = 'outbound' | 'inbound';

/** Why a connection closed. */
export type ConnectionCloseReason =
  /** Closed by {@link SipTransportManager.closeConnection} or its listening point's disposal. */
  | 'local'
  /** The manager was disposed. */
  | 'disposed'
  /** The peer closed it. */
  | 'remote'
  /** A socket error. */
  | 'error'
  /** Connect or handshake failed (not a verification failure). */
  | 'connect-failed'
  /** Connect or handshake took longer than `connectTimeoutMs`. */
  | 'connect-timeout'
  /** The peer's TLS certificate did not verify. */
  | 'tls-verification'
  /** An accepted connection saw no traffic for `idleTimeoutMs`. */
  | 'idle-timeout'
  /** No pong came within `pongTimeoutMs` of a ping (RFC 5626 §4.4.1). */
  | 'keepalive-timeout'
  /** The stream could not be framed (see {@link FramingErrorEvent}). */
  | 'framing-error'
  /** `maxConnections` was reached. */
  | 'limit';

/** Facts about one connection. */
export interface ConnectionInfo {
  readonly connectionId: string;
  readonly protocol: StreamProtocol;
  readonly direction: ConnectionDirection;
  readonly remote: TransportAddress;
  /** Our end; for an outbound connection not yet open, port 0. */
  readonly local: TransportAddress;
}

/** Payload of {@link SipTransportManager.onDidReceiveMessage}. */
export interface MessageReceivedEvent {
  /** One whole SIP message: a datagram, or one framed message of a stream. Not parsed. */
  readonly data: Buffer;
  readonly protocol: TransportProtocol;
  /** The true source address and port (for RFC 3581 `received`/`rport`). */
  readonly remote: TransportAddress;
  readonly local: TransportAddress;
  /** The connection it came on (TCP/TLS). */
  readonly connectionId?: string;
}

/** Payload of {@link SipTransportManager.onDidCloseConnection}. */
export interface ConnectionClosedEvent extends ConnectionInfo {
  readonly reason: ConnectionCloseReason;
  /** The error behind `error`, `connect-*`, `tls-verification` and `framing-error` closes. */
  readonly error?: Error;
}

/** Payload of {@link SipTransportManager.onDidFramingError}. */
export interface FramingErrorEvent {
  readonly protocol: TransportProtocol;
  readonly reason: FramingErrorReason;
  /** For a person. */
  readonly detail: string;
  readonly remote: TransportAddress;
  readonly local: TransportAddress;
  /** The connection, closed right after this event (absent for a dropped UDP datagram). */
  readonly connectionId?: string;
}
