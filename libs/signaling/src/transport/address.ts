/** Address helpers of the transport layer. */
import { isIP } from 'node:net';
import type { AddressFamily, TransportAddress, TransportProtocol } from './types';

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** The family of an IP literal, or `undefined` when `host` is not one. */
export function ipFamily(host: string): AddressFamily | undefined {
  const v = isIP(host);
  return v === 4 ? 'IPv4' : v === 6 ? 'IPv6' : undefined;
}

/** Normalises an address from a socket: IPv4-mapped IPv6 becomes IPv4, IPv6 is lower-cased. */
export function toTransportAddress(address: string, port: number): TransportAddress {
  const mapped = MAPPED_V4.exec(address);
  if (mapped?.[1]) return { address: mapped[1], port, family: 'IPv4' };
  const family = ipFamily(address) ?? 'IPv4';
  return { address: family === 'IPv6' ? address.toLowerCase() : address, port, family };
}

/** The key connections are indexed by for reuse (RFC 3261 §18: same address, port and transport). */
export function flowKey(protocol: TransportProtocol, address: string, port: number): string {
  const a = toTransportAddress(address, port);
  return `${protocol}|${a.address}|${port}`;
}
