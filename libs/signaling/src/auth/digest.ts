/**
 * The digest computation of RFC 2617 §3.2.2 and RFC 7616 §3.4, as SIP uses it (RFC 3261 §22.4,
 * RFC 8760): algorithms MD5, SHA-256 and SHA-512-256, each also in its `-sess` variant, qop
 * `auth` / `auth-int`, and the RFC 2069 form when the challenge has no qop.
 */
import { createHash } from 'node:crypto';

/** A digest algorithm token (RFC 7616 §3.3, RFC 8760 §2.1). */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

/** The hash function under a {@link DigestAlgorithm}. */
export type DigestHash = 'MD5' | 'SHA-256' | 'SHA-512-256';

/** A quality of protection (RFC 7616 §3.3). */
export type DigestQop = 'auth' | 'auth-int';

/** Every algorithm this stack computes, strongest first. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze([
  'SHA-512-256',
  'SHA-512-256-sess',
  'SHA-256',
  'SHA-256-sess',
  'MD5',
  'MD5-sess',
] as const);

const NODE_HASH: Readonly<Record<DigestHash, string>> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };
const STRENGTH: Readonly<Record<DigestHash, number>> = { MD5: 1, 'SHA-256': 2, 'SHA-512-256': 3 };

/**
 * The algorithm named by an `algorithm` parameter (case-insensitive), `MD5` when it is absent
 * (RFC 7616 §3.3: "If this is not present, it is assumed to be MD5"), `undefined` when it is
 * one this stack does not know.
 */
export function parseDigestAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined || value === '') return 'MD5';
  const upper = value.trim().toUpperCase();
  return DIGEST_ALGORITHMS.find((a) => a.toUpperCase() === upper);
}

/** The hash function of `algorithm` (`SHA-256-sess` -> `SHA-256`). */
export function digestHashOf(algorithm: DigestAlgorithm): DigestHash {
  return (algorithm.endsWith('-sess') ? algorithm.slice(0, -5) : algorithm) as DigestHash;
}

/** Whether `algorithm` is a session variant (`-sess`, RFC 7616 §3.4.2). */
export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** 1 for MD5, 2 for SHA-256, 3 for SHA-512-256 (session variants rank with their hash). */
export function digestStrength(algorithm: DigestAlgorithm): number {
  return STRENGTH[digestHashOf(algorithm)];
}

/** `H(data)` as lower-case hex (RFC 7616 §3.4). */
export function digestHash(hash: DigestHash, data: string | Buffer): string {
  return createHash(NODE_HASH[hash]).update(data).digest('hex');
}

/** The secret side of a digest: the password, or `H(username:realm:password)` computed beforehand. */
export type DigestSecret = { readonly password: string } | { readonly ha1: string };

/** Everything but the secret that goes into a digest response. */
export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  nonce: string;
  /** The request method (`REGISTER`, `INVITE`; `ACK` and `CANCEL` per RFC 3261 §22.1). */
  method: string;
  /** The `uri` parameter: the Request-URI as sent (RFC 3261 §22.4). */
  uri: string;
  /** Absent for the RFC 2069 form (challenge without qop, RFC 3261 §22.4). */
  qop?: DigestQop | undefined;
  /** 8 hex digits (`00000001`), required with qop. */
  nc?: string | undefined;
  /** Client nonce, required with qop and for `-sess` algorithms. */
  cnonce?: string | undefined;
  /** The message body, for `auth-int` (RFC 7616 §3.4.3: H(entity-body)). */
  body?: Buffer | string | undefined;
}

/** `H(A1)` (RFC 7616 §3.4.2), from the password or a stored `H(username:realm:password)`. */
export function digestHa1(input: Pick<DigestInput, 'algorithm' | 'username' | 'realm' | 'nonce' | 'cnonce'>, secret: DigestSecret): string {
  const hash = digestHashOf(input.algorithm);
  // RFC 7616 §3.4.2: A1 = unq(username) ":" unq(realm) ":" passwd
  const base = 'ha1' in secret ? secret.ha1.toLowerCase() : digestHash(hash, `${input.username}:${input.realm}:${secret.password}`);
  if (!isSessionAlgorithm(input.algorithm)) return base;
  // RFC 7616 §3.4.2: for "-sess" algorithms, A1 = H( unq(username) ":" unq(realm) ":" passwd )
  // ":" unq(nonce-prime) ":" unq(cnonce-prime)
  if (input.cnonce === undefined) throw new TypeError(`${input.algorithm} needs a cnonce`);
  return digestHash(hash, `${base}:${input.nonce}:${input.cnonce}`);
}

/** The `response` parameter: the request-digest of RFC 2617 §3.2.2.1 / RFC 7616 §3.4.1. */
export function computeDigestResponse(input: DigestInput, secret: DigestSecret): string {
  const hash = digestHashOf(input.algorithm);
  const ha1 = digestHa1(input, secret);
  // RFC 7616 §3.4.3: If the qop value is "auth" or unspecified, A2 = Method ":" request-uri;
  // if the qop value is "auth-int", A2 = Method ":" request-uri ":" H(entity-body)
  const a2 =
    input.qop === 'auth-int' ? `${input.method}:${input.uri}:${digestHash(hash, input.body ?? '')}` : `${input.method}:${input.uri}`;
  const ha2 = digestHash(hash, a2);
  if (input.qop === undefined) {
    // RFC 2617 §3.2.2.1 (RFC 2069 compatibility, kept by RFC 3261 §22.4): without qop,
    // request-digest = KD(H(A1), unq(nonce-value) ":" H(A2))
    return digestHash(hash, `${ha1}:${input.nonce}:${ha2}`);
  }
  if (input.nc === undefined || input.cnonce === undefined) throw new TypeError('qop needs nc and cnonce');
  // RFC 7616 §3.4.1: response = <"> < KD ( H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop)
  // ":" H(A2) ) <">, where KD(secret, data) = H(concat(secret, ":", data))
  return digestHash(hash, `${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/** `n` as the 8-hex-digit nonce-count of RFC 7616 §3.4 (`1` -> `00000001`). */
export function formatNonceCount(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
