import { randomBytes } from 'node:crypto';
import { H } from './codecs';
import { SipHeaders } from './headers';
import { SipResponse, type SipRequest } from './message';

/** Default reason phrases (RFC 3261 §21 and later RFCs). */
export const REASON_PHRASES: Readonly<Record<number, string>> = Object.freeze({
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 204: 'No Notification',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 412: 'Conditional Request Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required',
  423: 'Interval Too Brief', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 489: 'Bad Event', 491: 'Request Pending',
  493: 'Undecipherable', 500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
});

/** A random token for tags, branches and Call-IDs (≥ 32 bits of randomness, RFC 3261 §19.3). */
export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

/** A new Via branch with the RFC 3261 magic cookie (§8.1.1.7). */
export function newBranch(): string {
  return `z9hG4bK${randomToken(10)}`;
}

/**
 * Builds a response to `request` (RFC 3261 §8.2.6.2): Via, From, Call-ID and CSeq copied; To
 * copied and given `toTag` when it has none (a 100 never gets a tag); Timestamp copied into a
 * 100 (§8.2.6.1).
 */
export function createResponse(request: SipRequest, status: number, reason?: string, options: { toTag?: string; body?: Buffer | string; contentType?: string } = {}): SipResponse {
  const headers = new SipHeaders();
  for (const v of request.headers.getAll('Via')) headers.append('Via', v);
  const from = request.headers.get('From');
  if (from !== undefined) headers.append('From', from);
  const res = new SipResponse(status, reason ?? REASON_PHRASES[status] ?? 'Unknown', headers);
  const to = request.get(H.To);
  if (to) {
    // RFC 3261 §8.2.6.2: the UAS MUST add a tag to the To header field in the response,
    // except for 100 (Trying); an existing tag (in-dialog request) is kept.
    if (status !== 100 && !to.params.has('tag') && options.toTag) {
      const params = new Map(to.params);
      params.set('tag', options.toTag);
      res.set(H.To, { ...to, params });
    } else {
      res.setHeader('To', request.headers.getAll('To'));
    }
  }
  const callId = request.headers.get('Call-ID');
  if (callId !== undefined) res.setHeader('Call-ID', callId);
  const cseq = request.headers.get('CSeq');
  if (cseq !== undefined) res.setHeader('CSeq', cseq);
  if (status === 100) {
    const ts = request.headers.get('Timestamp');
    if (ts !== undefined) res.setHeader('Timestamp', ts);
  }
  if (options.body !== undefined) {
    res.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    if (options.contentType) res.setHeader('Content-Type', options.contentType);
  }
  return res;
}
