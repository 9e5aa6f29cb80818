/**
 * Requests the transaction layer builds itself: the ACK for a non-2xx final response
 * (RFC 3261 §17.1.1.3) and CANCEL (RFC 3261 §9.1).
 */
import { H, SipRequest, type SipResponse } from '../message/index';

/** Copies the raw lines of `name` from `from` to `to` (no parsing needed). */
function copyHeader(from: SipRequest | SipResponse, to: SipRequest, name: string): void {
  const lines = from.headers.getAll(name);
  if (lines.length) to.setHeader(name, lines);
}

/**
 * The ACK a client transaction sends for a 300-699 response to its INVITE
 * (RFC 3261 §17.1.1.3): same Request-URI, Call-ID, From, CSeq number and Route headers as the
 * INVITE, To of the response (with its tag), CSeq method ACK, and one Via equal to the top Via
 * of the INVITE (so the same branch).
 */
export function buildAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  // RFC 3261 §17.1.1.3: The Request-URI of the ACK request MUST match the Request-URI of the
  // original request being acknowledged.
  const ack = new SipRequest('ACK', invite.uri);
  // RFC 3261 §17.1.1.3: The ACK MUST contain a single Via header field, and this MUST be equal
  // to the top Via header field of the original request.
  ack.set(H.Via, [invite.topVia]);
  // RFC 3261 §17.1.1.3: The Call-ID, From, and Request-URI header fields in the ACK MUST equal
  // the values of the same header fields in the original request ... However, the To header
  // field in the ACK MUST equal the To header field in the response being acknowledged.
  copyHeader(response, ack, 'To');
  copyHeader(invite, ack, 'From');
  copyHeader(invite, ack, 'Call-ID');
  // RFC 3261 §17.1.1.3: The CSeq header field in the ACK MUST contain the same value for the
  // sequence number as was present in the original request, but the method parameter MUST be
  // equal to "ACK".
  ack.set(H.CSeq, { seq: invite.cseq.seq, method: 'ACK' });
  // RFC 3261 §17.1.1.3: If the INVITE request whose response is being acknowledged had Route
  // header fields, those header fields MUST appear in the ACK.
  copyHeader(invite, ack, 'Route');
  copyHeader(invite, ack, 'Max-Forwards');
  if (!ack.headers.has('Max-Forwards')) ack.set(H.MaxForwards, 70);
  return ack;
}

/**
 * The CANCEL of a request (RFC 3261 §9.1): same Request-URI, Call-ID, To, From and CSeq number
 * as the request, CSeq method CANCEL, one Via equal to the request's top Via (same branch), and
 * the request's Route headers.
 */
export function buildCancel(request: SipRequest): SipRequest {
  // RFC 3261 §9.1: The Request-URI, Call-ID, To, the numeric part of CSeq, and From header
  // fields in the CANCEL request MUST be identical to those in the request being cancelled,
  // including tags.
  const cancel = new SipRequest('CANCEL', request.uri);
  // RFC 3261 §9.1: A CANCEL constructed by a client MUST have only a single Via header field
  // value matching the top Via value in the request being cancelled.
  cancel.set(H.Via, [request.topVia]);
  copyHeader(request, cancel, 'To');
  copyHeader(request, cancel, 'From');
  copyHeader(request, cancel, 'Call-ID');
  cancel.set(H.CSeq, { seq: request.cseq.seq, method: 'CANCEL' });
  // RFC 3261 §9.1: If the request being cancelled contains a Route header field, the CANCEL
  // request MUST include that Route header field's values.
  copyHeader(request, cancel, 'Route');
  copyHeader(request, cancel, 'Max-Forwards');
  if (!cancel.headers.has('Max-Forwards')) cancel.set(H.MaxForwards, 70);
  return cancel;
}
