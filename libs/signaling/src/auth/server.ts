/**
 * The UAS / registrar side of digest authentication (RFC 3261 §22.1, §22.4, RFC 7616 §3.3,
 * RFC 8760): building challenges and checking the credentials of a request.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { formatUri, H, type AuthValue, type SipRequest } from '../message/index';
import { DigestCredentials, secretOf, type DigestCredentialsInit } from './credentials';
import { computeDigestResponse, parseDigestAlgorithm, type DigestAlgorithm, type DigestQop } from './digest';

/** Options of {@link createDigestChallenge}. */
export interface DigestChallengeOptions {
  /** The protection realm (RFC 3261 §22.1: a globally unique string, e.g. the domain). */
  realm: string;
  /** The nonce (default: 24 random bytes, base64url). */
  nonce?: string;
  /** The algorithm (default `MD5`). */
  algorithm?: DigestAlgorithm;
  /** Write `algorithm=MD5` explicitly (default true); `false` leaves it out, as old servers do. */
  writeAlgorithm?: boolean;
  /** qop values offered (default `['auth']`); an empty list offers none (RFC 2069 form). */
  qop?: readonly DigestQop[];
  /** Opaque data the client must echo. */
  opaque?: string;
  /** `stale=true`: the credentials were right but the nonce had expired (RFC 7616 §3.3). */
  stale?: boolean;
}

/**
 * A `Digest` challenge for a WWW-Authenticate (401) or Proxy-Authenticate (407) header field
 * (RFC 3261 §22.1, §20.44). Several, one per algorithm, may be put in one response, most
 * preferred first (RFC 8760 §2.4).
 */
export function createDigestChallenge(options: DigestChallengeOptions): AuthValue {
  const params = new Map<string, string>();
  params.set('realm', options.realm);
  params.set('nonce', options.nonce ?? randomBytes(24).toString('base64url'));
  const qop = options.qop ?? ['auth'];
  if (qop.length > 0) params.set('qop', qop.join(','));
  const algorithm = options.algorithm ?? 'MD5';
  if (algorithm !== 'MD5' || options.writeAlgorithm !== false) params.set('algorithm', algorithm);
  if (options.opaque !== undefined) params.set('opaque', options.opaque);
  if (options.stale) params.set('stale', 'true');
  return { scheme: 'Digest', params };
}

/** Finds the secret of a user in a realm; `undefined` when the user is unknown. */
export type DigestCredentialsLookup = (
  username: string,
  realm: string,
) => DigestCredentials | DigestCredentialsInit | undefined | Promise<DigestCredentials | DigestCredentialsInit | undefined>;

/** What a nonce check says: the nonce is ours and fresh, ours but expired, or not ours. */
export type NonceState = 'valid' | 'stale' | 'invalid';

/** Options of {@link verifyDigest}. */
export interface VerifyDigestOptions {
  /** Realms accepted (default: any realm the lookup knows the user in). */
  realm?: string | readonly string[];
  /** The header to read (default `Authorization`; a proxy reads `Proxy-Authorization`). */
  header?: 'Authorization' | 'Proxy-Authorization';
  /**
   * Checks the nonce (and nonce count, for replay protection) the client used. Default: every
   * nonce is valid. Return `stale` for a nonce this server issued but has expired.
   */
  checkNonce?: (nonce: string, nc: number | undefined) => NonceState;
  /** Algorithms accepted (default: all). */
  algorithms?: readonly DigestAlgorithm[];
}

/** Why {@link verifyDigest} refused. */
export type DigestRejection =
  | 'missing'
  | 'malformed'
  | 'unsupported-algorithm'
  | 'wrong-realm'
  | 'unknown-user'
  | 'uri-mismatch'
  | 'invalid-nonce'
  | 'wrong-response'
  | 'stale';

/** The outcome of {@link verifyDigest}. */
export type DigestVerification =
  | {
      readonly ok: true;
      readonly username: string;
      readonly realm: string;
      readonly algorithm: DigestAlgorithm;
      readonly qop: DigestQop | undefined;
      readonly nonce: string;
      readonly nc: number | undefined;
    }
  | {
      readonly ok: false;
      readonly reason: DigestRejection;
      /** `true` when the digest was right but the nonce is stale: challenge again with `stale=true`. */
      readonly stale: boolean;
      /** The realm of the credentials looked at, when there were any. */
      readonly realm?: string | undefined;
    };

type DigestRefusal = Extract<DigestVerification, { ok: false }>;

function refuse(reason: DigestRejection, realm?: string): DigestRefusal {
  return { ok: false, reason, stale: reason === 'stale', realm };
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks the Digest credentials of `request` (RFC 3261 §22.4, RFC 7616 §3.4): settles with
 * `{ ok: true, username, ... }` when one credentials value of an accepted realm carries the
 * right response for a known user; otherwise `{ ok: false, reason }` (with `stale: true` when
 * only the nonce was too old, so the server challenges again with `stale=true`). Never
 * rejects unless `lookup` does.
 */
export async function verifyDigest(request: SipRequest, lookup: DigestCredentialsLookup, options: VerifyDigestOptions = {}): Promise<DigestVerification> {
  const values = request.get(options.header === 'Proxy-Authorization' ? H.ProxyAuthorization : H.Authorization) ?? [];
  const digests = values.filter((v) => v.scheme.toLowerCase() === 'digest');
  if (digests.length === 0) return refuse('missing');
  const realms = options.realm === undefined ? undefined : typeof options.realm === 'string' ? [options.realm] : options.realm;
  // RFC 3261 §22.3: a server MUST look through the values for one with its realm; values for
  // other realms belong to other servers. The best refusal seen is reported.
  let refusal: DigestRefusal = refuse('wrong-realm');
  const rank: Record<DigestRejection, number> = {
    missing: 0,
    'wrong-realm': 1,
    malformed: 2,
    'unsupported-algorithm': 3,
    'unknown-user': 4,
    'uri-mismatch': 5,
    'invalid-nonce': 6,
    'wrong-response': 7,
    stale: 8,
  };
  for (const cred of digests) {
    const result = await verifyOne(request, cred, lookup, realms, options);
    if (result.ok) return result;
    if (rank[result.reason] > rank[refusal.reason]) refusal = result;
  }
  return refusal;
}

async function verifyOne(
  request: SipRequest,
  cred: AuthValue,
  lookup: DigestCredentialsLookup,
  realms: readonly string[] | undefined,
  options: VerifyDigestOptions,
): Promise<DigestVerification> {
  const p = cred.params;
  const realm = p.get('realm');
  if (realm === undefined) return refuse('malformed');
  if (realms && !realms.includes(realm)) return refuse('wrong-realm', realm);
  const username = p.get('username');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (username === undefined || nonce === undefined || uri === undefined || response === undefined) return refuse('malformed', realm);
  const algorithm = parseDigestAlgorithm(p.get('algorithm'));
  if (algorithm === undefined || (options.algorithms && !options.algorithms.includes(algorithm))) return refuse('unsupported-algorithm', realm);
  const qopRaw = p.get('qop')?.toLowerCase();
  if (qopRaw !== undefined && qopRaw !== 'auth' && qopRaw !== 'auth-int') return refuse('malformed', realm);
  const qop = qopRaw as DigestQop | undefined;
  const ncRaw = p.get('nc');
  const cnonce = p.get('cnonce');
  if (qop !== undefined && (ncRaw === undefined || !/^[0-9a-fA-F]{8}$/.test(ncRaw) || cnonce === undefined)) return refuse('malformed', realm);
  const nc = ncRaw !== undefined && /^[0-9a-fA-F]{8}$/.test(ncRaw) ? parseInt(ncRaw, 16) : undefined;
  // RFC 2617 §3.2.2.5: the server SHOULD check that the resource named by the uri directive
  // is the same as the resource specified in the Request-Line (compared as text here: our
  // clients send the Request-URI as written).
  const requestUri = formatUri(request.uri);
  if (uri !== requestUri && uri.toLowerCase() !== requestUri.toLowerCase()) return refuse('uri-mismatch', realm);
  const found = await lookup(username, realm);
  if (found === undefined) return refuse('unknown-user', realm);
  const credentials = DigestCredentials.from(found);
  const secret = secretOf(credentials, algorithm, realm);
  if (!secret) return refuse('unsupported-algorithm', realm);
  let expected: string;
  try {
    expected = computeDigestResponse({ algorithm, username, realm, nonce, method: request.method, uri, qop, nc: ncRaw, cnonce, body: request.body }, secret);
  } catch {
    return refuse('malformed', realm);
  }
  if (!safeEqualHex(expected, response)) return refuse('wrong-response', realm);
  const state = options.checkNonce?.(nonce, nc) ?? 'valid';
  if (state === 'invalid') return refuse('invalid-nonce', realm);
  // RFC 7616 §3.3 (stale): the previous request from the client was rejected because the
  // nonce value was stale ... the client may wish to simply retry the request.
  if (state === 'stale') return refuse('stale', realm);
  return { ok: true, username, realm, algorithm, qop, nonce, nc };
}
