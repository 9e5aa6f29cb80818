/**
 * REFER implicit subscriptions (RFC 3515, RFC 4488) and their `message/sipfrag` bodies
 * (RFC 3420): the helpers both sides need.
 */
import { H, type SipRequest } from '../message/index';

/** RFC 3515 §2.4.5 / RFC 3420: the media type of refer NOTIFY bodies. */
export const SIPFRAG_CONTENT_TYPE = 'message/sipfrag;version=2.0';

/** The refer event package name (RFC 3515 §3). */
export const REFER_EVENT = 'refer';

/** A status line carried in a sipfrag body. */
export interface SipfragStatus {
  readonly status: number;
  readonly reason: string;
}

/**
 * The body of a refer NOTIFY reporting `status` (RFC 3515 §2.4.5: the body of a NOTIFY MUST
 * begin with a SIP Response Status-Line), e.g. `SIP/2.0 100 Trying` or `SIP/2.0 200 OK`.
 */
export function formatSipfragStatus(status: number, reason: string): string {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`not a SIP status code: ${status}`);
  return `SIP/2.0 ${status} ${reason}\r\n`;
}

/**
 * The status line at the start of a `message/sipfrag` body, or `undefined` when the body does
 * not start with a SIP Status-Line (RFC 3420 §2: a fragment may also be a request, or only
 * headers; such a body carries no status for REFER).
 */
export function parseSipfragStatus(body: Buffer | string): SipfragStatus | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const firstLine = text.replace(/^\s+/, '').split(/\r?\n/, 1)[0] ?? '';
  const m = /^SIP\/2\.0[ \t]+([1-6]\d\d)(?:[ \t]+(.*))?$/i.exec(firstLine.trimEnd());
  if (!m) return undefined;
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() };
}

/**
 * Whether a REFER asks for the implicit subscription. RFC 4488 §4: a REFER with
 * `Refer-Sub: false` asks the recipient not to create one. An unparseable header counts as absent.
 */
export function referSubscriptionRequested(refer: SipRequest): boolean {
  try {
    return refer.get(H.ReferSub) !== false;
  } catch {
    return true;
  }
}

/**
 * The `id` of the subscription a REFER creates. RFC 3515 §2.4.6: the NOTIFY for a REFER
 * carries an Event header with the id parameter set to the CSeq sequence number of the REFER.
 */
export function referEventId(refer: SipRequest): string {
  return String(refer.cseq.seq);
}
