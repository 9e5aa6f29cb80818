/**
 * Where a response goes (RFC 3261 §18.2.2 with RFC 3581 §4 for `rport`).
 */
import type { Via } from '../message/index';
import type { Destination, TransactionProtocol } from './types';

/** The protocol named by a Via transport token, or `fallback` for one we do not send over. */
export function protocolOfVia(via: Via, fallback: TransactionProtocol): TransactionProtocol {
  switch (via.transport.toUpperCase()) {
    case 'UDP':
      return 'udp';
    case 'TCP':
      return 'tcp';
    case 'TLS':
      return 'tls';
    default:
      return fallback;
  }
}

/** The default port of a protocol (RFC 3261 §19.1.2: 5060, 5061 for TLS). */
export function defaultPort(protocol: TransactionProtocol): number {
  return protocol === 'tls' ? 5061 : 5060;
}

/** A host as an address: IPv6 references lose their brackets. */
function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function numericParam(via: Via, name: string): number | undefined {
  const v = via.params.get(name);
  if (v === undefined || v === null || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 && n < 65536 ? n : undefined;
}

/**
 * Every destination a response to a request with top Via `via`, received from `source`, may be
 * sent to, in order of preference (RFC 3261 §18.2.2). The first is {@link responseDestination};
 * the later ones are what §17.2.4 asks to try when sending to the first fails.
 */
export function responseDestinations(via: Via, source: Destination): Destination[] {
  const protocol = protocolOfVia(via, source.protocol);
  const sentByPort = via.port ?? defaultPort(protocol);
  const received = via.params.get('received') ?? undefined;
  const rportParam = via.params.get('rport');
  // RFC 3581 §4: the response goes to the port in rport; an rport without a value that nobody
  // stamped means the source port of the request.
  const rport = numericParam(via, 'rport') ?? (rportParam === null ? source.port : undefined);
  const maddr = via.params.get('maddr') ?? undefined;
  const out: Destination[] = [];
  const push = (d: Destination): void => {
    if (!out.some((o) => o.protocol === d.protocol && o.address === d.address && o.port === d.port && o.connectionId === d.connectionId)) out.push(d);
  };
  if (protocol !== 'udp') {
    // RFC 3261 §18.2.2: If the "sent-protocol" is a reliable transport protocol such as TCP or
    // SCTP, or TLS over those, the response MUST be sent using the existing connection to the
    // source of the original request that created the transaction, if that connection is still open.
    if (source.connectionId !== undefined) push({ protocol, address: source.address, port: source.port, connectionId: source.connectionId });
    // RFC 3261 §18.2.2: If that connection is no longer open, the server SHOULD open a
    // connection to the IP address in the "received" parameter, if present, using the port in
    // the "sent-by" value, or the default port for that transport, if no port is specified.
    push({ protocol, address: unbracket(received ?? via.host), port: rport ?? sentByPort });
    // RFC 3261 §17.2.4 / RFC 3263 §5: then the address in sent-by itself.
    push({ protocol, address: unbracket(via.host), port: sentByPort });
    return out;
  }
  if (maddr !== undefined) {
    // RFC 3261 §18.2.2: if the top Via has a "maddr" parameter, the response MUST be forwarded
    // to the address listed there, using the port indicated in "sent-by", or port 5060 if none
    // is present.
    push({ protocol, address: unbracket(maddr), port: sentByPort });
    return out;
  }
  if (received !== undefined) {
    // RFC 3261 §18.2.2: if the top Via has a "received" parameter, the response MUST be sent to
    // the address in the "received" parameter, using the port indicated in the "sent-by" value,
    // or using port 5060 if none is specified explicitly.
    // RFC 3581 §4: ... with rport, the response goes to the port in the "rport" parameter.
    push({ protocol, address: unbracket(received), port: rport ?? sentByPort });
  } else {
    // RFC 3261 §18.2.2: Otherwise, ... the response MUST be sent to the address indicated by
    // the "sent-by" value, using the procedures in Section 5 of [4] (RFC 3263).
    push({ protocol, address: unbracket(via.host), port: rport ?? sentByPort });
  }
  // RFC 3261 §17.2.4 / RFC 3263 §5: fall back to sent-by when the first choice fails.
  push({ protocol, address: unbracket(via.host), port: sentByPort });
  return out;
}

/**
 * Where a response to a request with top Via `via`, received from `source`, is sent
 * (RFC 3261 §18.2.2, RFC 3581 §4): over a reliable transport the connection the request came
 * on (`source.connectionId`), else `received` (or the sent-by host) with `rport` or the sent-by
 * port (default 5060, 5061 for TLS); with `maddr` over UDP, the maddr address. A host name in
 * sent-by is returned as is: resolving it (RFC 3263 §5) is the caller's job.
 */
export function responseDestination(via: Via, source: Destination): Destination {
  // responseDestinations always returns at least one destination; the fallback is for the types.
  return responseDestinations(via, source)[0] ?? source;
}
