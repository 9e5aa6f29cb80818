/**
 * Types of the RFC 3263 resolver: what is looked up ({@link SipTarget}) and what comes back
 * ({@link ResolvedTarget}).
 */

/** A transport a resolved target can be contacted over (RFC 3263 §4.1). `tls` is TLS over TCP. */
export type TargetTransport = 'udp' | 'tcp' | 'tls';

/** Every transport, in the order a client prefers them when it has no other information. */
export const TARGET_TRANSPORTS: readonly TargetTransport[] = Object.freeze(['udp', 'tcp', 'tls'] as const);

/**
 * What to resolve: the host, port and transport of a SIP or SIPS URI (the Request-URI, or the
 * top Route / outbound proxy when there is one, RFC 3261 §8.1.2).
 */
export interface SipTarget {
  /** A domain name, an IPv4 address, or an IPv6 address with or without brackets. */
  host: string;
  /** The port of the URI, when it has one. */
  port?: number | undefined;
  /** The `transport` URI parameter, when it has one (`tls` is accepted for legacy URIs). */
  transport?: TargetTransport | undefined;
  /** Whether the URI is a `sips:` URI: only TLS targets are then acceptable (RFC 3261 §26.2.2). */
  secure?: boolean | undefined;
}

/** One address to send to, in the order RFC 3263 §4 says to try it. */
export interface ResolvedTarget {
  /** IPv4 or IPv6 address (without brackets). */
  readonly address: string;
  readonly port: number;
  readonly transport: TargetTransport;
  /** 4 or 6. */
  readonly family: 4 | 6;
  /**
   * The name the address was found for: the SRV target, or the URI host when no SRV record was
   * used (the numeric address itself for a numeric host). This is the TLS servername to check
   * the certificate against (RFC 5922 §4).
   */
  readonly host: string;
}

/** The default port of a transport (RFC 3261 §19.1.2: 5060, or 5061 for TLS). */
export function defaultPortFor(transport: TargetTransport): number {
  return transport === 'tls' ? 5061 : 5060;
}

/** A stable key for a target: `transport:address:port` (IPv6 in brackets). */
export function targetKey(t: Pick<ResolvedTarget, 'address' | 'port' | 'transport'>): string {
  const addr = t.address.includes(':') ? `[${t.address}]` : t.address;
  return `${t.transport}:${addr}:${t.port}`;
}
