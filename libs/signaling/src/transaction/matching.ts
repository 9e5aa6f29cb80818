/**
 * Transaction matching (RFC 3261 §17.1.3 for responses, §17.2.3 for requests, including the
 * RFC 2543 rules for branches without the magic cookie).
 */
import { uriEquals, type SipRequest, type Via } from '../message/index';

/** RFC 3261 §8.1.1.7: The branch ID inserted by an element compliant with this specification MUST always begin with the characters "z9hG4bK". */
export const MAGIC_COOKIE = 'z9hG4bK';

/** Whether a branch carries the RFC 3261 magic cookie. */
export function hasMagicCookie(branch: string | null | undefined): branch is string {
  return typeof branch === 'string' && branch.startsWith(MAGIC_COOKIE);
}

/** The sent-by of a Via as a comparable string (host compared case-insensitively). */
export function sentByKey(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

/**
 * The key of a client transaction (RFC 3261 §17.1.3): the branch of the top Via and the CSeq
 * method (a CANCEL shares the INVITE's branch but is its own transaction).
 */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

/**
 * The key of a server transaction for a magic-cookie branch (RFC 3261 §17.2.3): branch,
 * sent-by and method, where an ACK counts as INVITE.
 */
export function serverKey(branch: string, via: Via, method: string): string {
  return `${branch}|${sentByKey(via)}|${method === 'ACK' ? 'INVITE' : method}`;
}

/** Two Via values are equal for RFC 2543 matching: the parameters we stamp ourselves ignored. */
export function viaEquals(a: Via, b: Via): boolean {
  if (a.transport.toUpperCase() !== b.transport.toUpperCase() || sentByKey(a) !== sentByKey(b)) return false;
  const params = (v: Via): string =>
    [...v.params]
      .filter(([k]) => k !== 'received' && k !== 'rport')
      .map(([k, val]) => `${k}=${val ?? ''}`)
      .sort()
      .join(';');
  return params(a) === params(b);
}

function tagOf(params: Map<string, string | null>): string {
  return params.get('tag') ?? '';
}

/**
 * RFC 2543 matching of `request` against the request that created a server transaction
 * (RFC 3261 §17.2.3), for branches without the magic cookie.
 *
 * - `target` 'same': a retransmission of the request: Request-URI, To tag, From tag, Call-ID,
 *   CSeq and top Via all equal.
 * - `target` 'ack': an ACK for the INVITE: the same minus the To tag, which must equal
 *   `responseToTag` (the tag of the response the server transaction sent), and CSeq number only.
 * - `target` 'cancel': a CANCEL for the INVITE: the same as 'same' but CSeq number only.
 */
export function legacyMatches(original: SipRequest, request: SipRequest, target: 'same' | 'ack' | 'cancel', responseToTag?: string): boolean {
  // RFC 3261 §17.2.3: The INVITE request matches a transaction if the Request-URI, To tag,
  // From tag, Call-ID, CSeq, and top Via header field match those of the INVITE request which
  // created the transaction. ... The ACK request matches a transaction if the Request-URI,
  // From tag, Call-ID, CSeq number (not the method), and top Via header field match those of
  // the INVITE request which created the transaction, and the To tag of the ACK matches the To
  // tag of the response sent by the server transaction.
  // Request-URIs compare by the rules of RFC 3261 §19.1.4.
  if (!uriEquals(original.uri, request.uri)) return false;
  if (tagOf(original.from.params) !== tagOf(request.from.params)) return false;
  if (original.callId !== request.callId) return false;
  const a = original.cseq;
  const b = request.cseq;
  if (a.seq !== b.seq) return false;
  if (target === 'same' && (a.method !== b.method || original.method !== request.method)) return false;
  if (!viaEquals(original.topVia, request.topVia)) return false;
  if (target === 'ack') return tagOf(request.to.params) === (responseToTag ?? '');
  return tagOf(original.to.params) === tagOf(request.to.params);
}

/**
 * The key RFC 3261 §8.2.2.2 compares to detect a merged request: From tag, Call-ID and CSeq.
 * `undefined` for requests with a To tag (in-dialog requests are never checked).
 */
export function mergeKey(request: SipRequest): string | undefined {
  if (request.to.params.get('tag')) return undefined;
  const cseq = request.cseq;
  return `${tagOf(request.from.params)}|${request.callId}|${cseq.seq}|${cseq.method}`;
}
