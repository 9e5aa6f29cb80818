/**
 * The UAC side of digest authentication (RFC 3261 §22.2, §22.3, RFC 8760): answering 401/407
 * challenges, nonce counts, and the retry-once policy.
 */
import { randomBytes } from 'node:crypto';
import { nullLogger, type Logger } from '@sip-endpoint/base';
import { formatUri, H, type AuthValue, type SipRequest, type SipResponse } from '../message/index';
import { DigestCredentials, secretOf, type DigestCredentialsInit } from './credentials';
import {
  computeDigestResponse,
  digestStrength,
  formatNonceCount,
  isSessionAlgorithm,
  parseDigestAlgorithm,
  type DigestAlgorithm,
  type DigestQop,
} from './digest';
import { AuthenticationError } from './errors';

/** Options of a {@link DigestClient}. */
export interface DigestClientOptions {
  /** The credentials, one per realm (or one without realm that answers any realm). */
  credentials: DigestCredentials | DigestCredentialsInit | readonly (DigestCredentials | DigestCredentialsInit)[];
  /** Where decisions are logged (debug level; never a secret, never a user name). */
  logger?: Logger;
  /** The qop to use when the server offers both `auth` and `auth-int` (default `auth`). */
  qop?: DigestQop;
  /**
   * Which of several challenges of one realm to answer: the `strongest` algorithm we support
   * (default), or the topmost one we support (`server-order`, RFC 8760 §2.4).
   */
  algorithmSelection?: 'strongest' | 'server-order';
  /** How many `stale=true` challenges in a row are answered for one request (default 2). */
  maxStaleRetries?: number;
  /** Makes client nonces (default: 16 random bytes as hex); injectable for tests. */
  cnonce?: () => string;
}

/** The header values to put on the retried request, by header. */
export interface DigestAuthorization {
  /** Values for `Authorization` (answers to `WWW-Authenticate`, RFC 3261 §22.2). */
  readonly authorization: readonly AuthValue[];
  /** Values for `Proxy-Authorization` (answers to `Proxy-Authenticate`, RFC 3261 §22.3). */
  readonly proxyAuthorization: readonly AuthValue[];
}

/** The outcome of {@link DigestClient.authorize}. */
export type DigestAuthorizationResult = ({ readonly ok: true } & DigestAuthorization) | { readonly ok: false; readonly error: AuthenticationError };

type Kind = 'www' | 'proxy';

interface CachedChallenge {
  readonly kind: Kind;
  readonly realm: string;
  readonly challenge: AuthValue;
  readonly algorithm: DigestAlgorithm;
  readonly credentials: DigestCredentials;
}

/** What we remember about credentials we sent in answer to a challenge. */
interface Issued {
  readonly nonce: string;
  /** How many `stale=true` challenges in a row led to these credentials. */
  readonly staleChain: number;
}

const MAX_REMEMBERED = 512;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

function isDigest(v: AuthValue): boolean {
  return v.scheme.toLowerCase() === 'digest';
}

/**
 * Answers digest challenges for a set of credentials. Use one per account (registration and the
 * calls made with it): it keeps the nonce counts and the challenges it answered.
 *
 * Policy (RFC 3261 §22.2: a UAC that gets a 401/407 to a request it retried with credentials
 * knows they were rejected): each challenged request is retried once per challenge; when the
 * retry is challenged again for the same realm, the result is a failure with code
 * `AUTHENTICATION` ("credentials rejected") unless the new challenge says `stale=true` with a
 * new nonce (RFC 7616 §3.3: the credentials were good, the nonce was old), which is answered
 * again without counting as a failure (up to `maxStaleRetries` in a row).
 *
 * The caller builds the retried request: same Call-ID, CSeq incremented (RFC 3261 §22.2: "it
 * MUST increment the CSeq header field value as it would normally when sending an updated
 * request"), a new branch, and the values returned here (see {@link DigestClient.applyTo}).
 */
export class DigestClient {
  private readonly credentials: readonly DigestCredentials[];
  private readonly logger: Logger;
  private readonly qopPreference: DigestQop;
  private readonly selection: 'strongest' | 'server-order';
  private readonly maxStaleRetries: number;
  private readonly makeCnonce: () => string;
  /** nonce counts by `realm \0 nonce` (RFC 7616 §3.4: nc counts the requests sent with a nonce). */
  private readonly nonceCounts = new Map<string, number>();
  /** Credentials sent in answer to a challenge, by their `response` value. */
  private readonly issued = new Map<string, Issued>();
  /** The last challenge answered per header kind and realm, for {@link DigestClient.authorizeFromCache}. */
  private readonly cache = new Map<string, CachedChallenge>();

  constructor(options: DigestClientOptions) {
    const list = Array.isArray(options.credentials) ? options.credentials : [options.credentials];
    this.credentials = (list as readonly (DigestCredentials | DigestCredentialsInit)[]).map((c) => DigestCredentials.from(c));
    this.logger = (options.logger ?? nullLogger).child({ component: 'auth' });
    this.qopPreference = options.qop ?? 'auth';
    this.selection = options.algorithmSelection ?? 'strongest';
    this.maxStaleRetries = options.maxStaleRetries ?? 2;
    this.makeCnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
  }

  /**
   * Answers the challenges of `response` (a 401 or 407) to `request` (the request that was
   * challenged, as sent). Returns the values for the retried request: one per challenged realm
   * we have credentials for. Returns `{ ok: false }` with an {@link AuthenticationError} when
   * the credentials were rejected (see the class policy), when no challenge can be answered
   * (no credentials for its realm, unsupported algorithm or qop), or when `response` is no
   * challenge.
   */
  authorize(request: SipRequest, response: SipResponse): DigestAuthorizationResult {
    if (response.status !== 401 && response.status !== 407) {
      return fail(`a ${response.status} response is not an authentication challenge`, 'not-a-challenge', []);
    }
    const www = (response.get(H.WWWAuthenticate) ?? []).filter(isDigest);
    const proxy = (response.get(H.ProxyAuthenticate) ?? []).filter(isDigest);
    if (www.length === 0 && proxy.length === 0) {
      // RFC 3261 §21.4.2 / §21.4.8: a 401 carries WWW-Authenticate, a 407 Proxy-Authenticate.
      return fail(`the ${response.status} response carries no Digest challenge`, 'not-a-challenge', []);
    }
    const out: Record<Kind, AuthValue[]> = { www: [], proxy: [] };
    const unanswered: { realm: string; reason: 'no-credentials' | 'unsupported' }[] = [];
    for (const [kind, challenges] of [
      ['www', www],
      ['proxy', proxy],
    ] as const) {
      for (const [realm, group] of groupByRealm(challenges)) {
        const previous = this.previousCredentials(request, kind, realm);
        const rejected = this.checkRetry(previous, group);
        if (rejected) {
          this.cache.delete(cacheKey(kind, realm));
          this.logger.debug('credentials rejected', { realm, kind });
          return fail(`credentials rejected by realm "${realm}"`, 'rejected', [realm]);
        }
        const picked = this.pick(group);
        if (!picked.ok) {
          unanswered.push({ realm, reason: picked.reason });
          continue;
        }
        const value = this.answer(request, picked.challenge, picked.algorithm, picked.credentials, realm);
        if (!value.ok) {
          unanswered.push({ realm, reason: 'unsupported' });
          continue;
        }
        const stale = isStale(picked.challenge);
        const previousIssued = previous ? this.issued.get(previous.params.get('response') ?? '') : undefined;
        remember(this.issued, value.response, {
          nonce: picked.challenge.params.get('nonce') ?? '',
          staleChain: stale && previousIssued ? previousIssued.staleChain + 1 : 0,
        });
        remember(this.cache, cacheKey(kind, realm), { kind, realm, challenge: picked.challenge, algorithm: picked.algorithm, credentials: picked.credentials });
        out[kind].push(value.value);
        this.logger.debug('answering challenge', { realm, kind, algorithm: picked.algorithm, stale });
      }
    }
    if (out.www.length === 0 && out.proxy.length === 0) {
      const realms = unanswered.map((u) => u.realm);
      const reason = unanswered.some((u) => u.reason === 'no-credentials') ? 'no-credentials' : 'unsupported';
      return fail(
        reason === 'no-credentials'
          ? `no credentials for realm ${realms.map((r) => `"${r}"`).join(', ')}`
          : `no supported digest algorithm or qop offered by realm ${realms.map((r) => `"${r}"`).join(', ')}`,
        reason,
        realms,
      );
    }
    return { ok: true, authorization: out.www, proxyAuthorization: out.proxy };
  }

  /**
   * {@link DigestClient.authorize} then {@link DigestClient.applyTo} on the same request: for
   * callers that retry with a clone of the challenged request (its old credentials included),
   * as `sendWithAuth` of the ua layer does. `request` is changed only when the result is ok.
   */
  answerChallenge(request: SipRequest, response: SipResponse): DigestAuthorizationResult {
    const result = this.authorize(request, response);
    if (result.ok) this.applyTo(request, result);
    return result;
  }

  /**
   * Credentials for a new request from the challenges answered before (RFC 3261 §22.3: a UAC
   * MAY pre-emptively send credentials for a realm it has been challenged by), each with the
   * next nonce count of its nonce. Empty when nothing was answered yet.
   */
  authorizeFromCache(request: SipRequest): DigestAuthorization {
    const out: Record<Kind, AuthValue[]> = { www: [], proxy: [] };
    for (const c of this.cache.values()) {
      const value = this.answer(request, c.challenge, c.algorithm, c.credentials, c.realm);
      if (value.ok) out[c.kind].push(value.value);
    }
    return { authorization: out.www, proxyAuthorization: out.proxy };
  }

  /**
   * Puts `auth` on `request`: each value replaces a value of the same realm already there;
   * values of other realms stay (RFC 3261 §22.3: credentials for several proxies travel
   * together). Returns `request`.
   */
  applyTo(request: SipRequest, auth: DigestAuthorization): SipRequest {
    const merge = (existing: readonly AuthValue[] | undefined, added: readonly AuthValue[]): AuthValue[] | undefined => {
      if (added.length === 0) return existing ? [...existing] : undefined;
      const realms = new Set(added.map((a) => a.params.get('realm')));
      return [...(existing ?? []).filter((e) => !isDigest(e) || !realms.has(e.params.get('realm'))), ...added];
    };
    const www = merge(request.get(H.Authorization), auth.authorization);
    const proxy = merge(request.get(H.ProxyAuthorization), auth.proxyAuthorization);
    if (auth.authorization.length) request.set(H.Authorization, www);
    if (auth.proxyAuthorization.length) request.set(H.ProxyAuthorization, proxy);
    return request;
  }

  /** Forgets the cached challenges (all, or those of `realm`); nonce counts go with them. */
  forget(realm?: string): void {
    for (const [k, c] of this.cache) if (realm === undefined || c.realm === realm) this.cache.delete(k);
    if (realm === undefined) this.nonceCounts.clear();
    else for (const k of this.nonceCounts.keys()) if (k.startsWith(`${realm}\0`)) this.nonceCounts.delete(k);
  }

  /** Shows no credentials. */
  toJSON(): { realms: string[] } {
    return { realms: this.credentials.map((c) => c.realm ?? '*') };
  }

  /** Shows no credentials. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DigestClient { realms: ${this.toJSON().realms.join(', ')} }`;
  }

  private previousCredentials(request: SipRequest, kind: Kind, realm: string): AuthValue | undefined {
    const values = request.get(kind === 'www' ? H.Authorization : H.ProxyAuthorization) ?? [];
    return values.find((v) => isDigest(v) && v.params.get('realm') === realm);
  }

  /** Whether a new challenge to a request that carried our retry credentials means rejection. */
  private checkRetry(previous: AuthValue | undefined, group: readonly AuthValue[]): boolean {
    if (!previous) return false;
    const issued = this.issued.get(previous.params.get('response') ?? '');
    // Credentials sent pre-emptively (not in answer to a challenge) may meet a new challenge
    // once: that is the first challenge of this request.
    if (!issued) return false;
    const staleWithNewNonce = group.some((c) => isStale(c) && c.params.get('nonce') !== issued.nonce);
    // RFC 7616 §3.3 (stale): the client may wish to simply retry the request with a new
    // encrypted response, without re-prompting the user for a new username and password.
    if (staleWithNewNonce && issued.staleChain < this.maxStaleRetries) return false;
    return true;
  }

  private pick(
    group: readonly AuthValue[],
  ): { ok: true; challenge: AuthValue; algorithm: DigestAlgorithm; credentials: DigestCredentials } | { ok: false; reason: 'no-credentials' | 'unsupported' } {
    const realm = group[0]?.params.get('realm') ?? '';
    const creds = this.credentials.filter((c) => c.matchesRealm(realm));
    if (creds.length === 0) return { ok: false, reason: 'no-credentials' };
    const candidates: { challenge: AuthValue; algorithm: DigestAlgorithm; credentials: DigestCredentials; index: number }[] = [];
    group.forEach((challenge, index) => {
      const algorithm = parseDigestAlgorithm(challenge.params.get('algorithm'));
      // RFC 8760 §2.4: The UAC MUST ignore any header field that uses an algorithm it does
      // not support.
      if (algorithm === undefined || this.chooseQop(challenge) === null) return;
      const credentials = creds.find((c) => c.supports(algorithm) && secretOf(c, algorithm, realm) !== undefined);
      if (credentials) candidates.push({ challenge, algorithm, credentials, index });
    });
    if (candidates.length === 0) return { ok: false, reason: 'unsupported' };
    if (this.selection === 'strongest') {
      // RFC 8760 §2.4: the UAC SHOULD use the topmost header field that it supports unless a
      // local policy dictates otherwise. Our default local policy is the strongest hash; equal
      // strength keeps the server's order, and a plain algorithm beats its -sess variant.
      candidates.sort(
        (a, b) =>
          digestStrength(b.algorithm) - digestStrength(a.algorithm) ||
          Number(isSessionAlgorithm(a.algorithm)) - Number(isSessionAlgorithm(b.algorithm)) ||
          a.index - b.index,
      );
    }
    const best = candidates[0];
    return best ? { ok: true, challenge: best.challenge, algorithm: best.algorithm, credentials: best.credentials } : { ok: false, reason: 'unsupported' };
  }

  /** The qop to answer with: `undefined` for none (RFC 2069 form), `null` when none is usable. */
  private chooseQop(challenge: AuthValue): DigestQop | undefined | null {
    const raw = challenge.params.get('qop');
    if (raw === undefined) return undefined;
    const offered = raw.split(',').map((q) => q.trim().toLowerCase());
    if (offered.includes(this.qopPreference)) return this.qopPreference;
    if (offered.includes('auth')) return 'auth';
    if (offered.includes('auth-int')) return 'auth-int';
    return null;
  }

  private answer(
    request: SipRequest,
    challenge: AuthValue,
    algorithm: DigestAlgorithm,
    credentials: DigestCredentials,
    realm: string,
  ): { ok: true; value: AuthValue; response: string } | { ok: false } {
    const secret = secretOf(credentials, algorithm, realm);
    const qop = this.chooseQop(challenge);
    const nonce = challenge.params.get('nonce');
    if (!secret || qop === null || nonce === undefined) return { ok: false };
    const uri = formatUri(request.uri);
    // RFC 2617 §3.2.2.3: A2 = Method ":" digest-uri-value, with the method of this request.
    const method = request.method;
    const needsCnonce = qop !== undefined || isSessionAlgorithm(algorithm);
    const cnonce = needsCnonce ? this.makeCnonce() : undefined;
    let nc: string | undefined;
    if (qop !== undefined) {
      // RFC 7616 §3.4: nc is the hexadecimal count of the number of requests (including the
      // current request) that the client has sent with the nonce value in this request.
      const key = `${realm}\0${nonce}`;
      const count = (this.nonceCounts.get(key) ?? 0) + 1;
      remember(this.nonceCounts, key, count);
      nc = formatNonceCount(count);
    }
    const response = computeDigestResponse({ algorithm, username: credentials.username, realm, nonce, method, uri, qop, nc, cnonce, body: request.body }, secret);
    const params = new Map<string, string>();
    params.set('username', credentials.username);
    params.set('realm', realm);
    params.set('nonce', nonce);
    params.set('uri', uri);
    params.set('response', response);
    if (challenge.params.has('algorithm')) params.set('algorithm', algorithm);
    if (cnonce !== undefined) params.set('cnonce', cnonce);
    // RFC 7616 §3.4: opaque ... MUST be returned by the client unchanged.
    const opaque = challenge.params.get('opaque');
    if (opaque !== undefined) params.set('opaque', opaque);
    if (qop !== undefined && nc !== undefined) {
      params.set('qop', qop);
      params.set('nc', nc);
    }
    return { ok: true, value: { scheme: 'Digest', params }, response };
  }
}

function fail(message: string, reason: AuthenticationError['details']['reason'], realms: string[]): DigestAuthorizationResult {
  return { ok: false, error: new AuthenticationError(message, { reason, realms }) };
}

function cacheKey(kind: Kind, realm: string): string {
  return `${kind}\0${realm}`;
}

function isStale(challenge: AuthValue): boolean {
  return (challenge.params.get('stale') ?? '').toLowerCase() === 'true';
}

/** Challenges grouped by realm, realms in order of first appearance. */
function groupByRealm(challenges: readonly AuthValue[]): Map<string, AuthValue[]> {
  const groups = new Map<string, AuthValue[]>();
  for (const c of challenges) {
    const realm = c.params.get('realm') ?? '';
    const g = groups.get(realm);
    if (g) g.push(c);
    else groups.set(realm, [c]);
  }
  return groups;
}
