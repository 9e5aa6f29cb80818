/**
 * Checks a UAS makes before processing a request (RFC 3261 §8.2.1-§8.2.3), and the forced parse
 * of the headers the stack relies on.
 */
import { H } from './codecs';
import { SipParseError } from './errors';
import type { SipMessage, SipRequest } from './message';
import type { MediaType } from './types';

/** What the UAS supports, for {@link validateRequest}. */
export interface UasCapabilities {
  /** Request-URI schemes served (default `['sip', 'sips']`), lower-case. */
  supportedSchemes?: string[] | undefined;
  /** Option tags this UAS implements (default none), compared case-insensitively. */
  supportedExtensions?: string[] | undefined;
  /** Body types understood (default `['application/sdp']`), `type/subtype` lower-case. */
  acceptedContentTypes?: string[] | undefined;
  /** Methods served; when given, others earn 405 with `Allow` (RFC 3261 §8.2.1). */
  supportedMethods?: string[] | undefined;
}

/** The response a UAS should send instead of processing the request. */
export interface ValidationFailure {
  status: number;
  reason: string;
  /** Header lines to add to the response (`Unsupported`, `Accept`, `Allow`, ...). */
  headers?: [string, string][];
}

/**
 * Forces the typed parse of the headers the stack relies on: Via, From, To, Call-ID, CSeq
 * (each single-valued one exactly once, RFC 4475 §3.3.8), and when present Max-Forwards,
 * Contact, Content-Length, Content-Type, Route, Record-Route. Throws `SipParseError` (status 400)
 * for the first one that is missing or malformed; returns normally otherwise. The transport or
 * transaction layer calls it on every received message: a request failing it is answered 400
 * (when its Via allows), a response failing it is dropped (RFC 4475 §3.1.2.5).
 */
export function checkMessage(msg: SipMessage): void {
  // RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards, and Via are mandatory in all SIP
  // requests; Max-Forwards is not required here (RFC 2543 peers, RFC 4475 §3.4.1).
  const via = msg.require(H.Via);
  msg.require(H.From);
  msg.require(H.To);
  msg.require(H.CallId);
  msg.require(H.CSeq);
  if (via.length === 0) throw new SipParseError('empty Via', { header: 'Via', status: 400 });
  msg.get(H.MaxForwards);
  msg.get(H.Contact);
  msg.get(H.ContentLength);
  msg.get(H.ContentType);
  msg.get(H.Route);
  msg.get(H.RecordRoute);
}

function matchesMediaRange(range: MediaType, type: string, subtype: string): boolean {
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}

/**
 * The checks a UAS makes before processing `req` (RFC 3261 §8.2), in the RFC's order:
 * 1. syntax of the mandatory headers and single-valued headers present once, CSeq method equal
 *    to the request method (RFC 4475 §3.1.2.17/18) -> 400;
 * 2. method inspection (§8.2.1) -> 405 with `Allow`, when `supportedMethods` is given;
 * 3. Request-URI scheme (§8.2.2.1) -> 416;
 * 4. Require (§8.2.2.3) -> 420 with `Unsupported` (Proxy-Require is for proxies and ignored;
 *    Require is ignored in ACK and CANCEL);
 * 5. content processing (§8.2.3): Content-Type not understood -> 415 with `Accept`, an unknown
 *    Content-Encoding -> 415 with `Accept-Encoding`;
 * 6. an INVITE whose `Accept` excludes `application/sdp` -> 406 (we can only answer with SDP,
 *    RFC 3261 §21.4.7; RFC 4475 §3.3.15).
 *
 * Max-Forwards 0 is not an error at a UAS (RFC 4475 §3.3.11): it is answered normally.
 * Returns `null` when the request may be processed.
 */
export function validateRequest(req: SipRequest, caps: UasCapabilities = {}): ValidationFailure | null {
  try {
    checkMessage(req);
  } catch (e) {
    if (e instanceof SipParseError) return { status: e.status, reason: e.details.reason ?? 'Bad Request' };
    throw e;
  }
  // RFC 4475 §3.1.2.17: a CSeq method that does not match the Request-Line is a 400.
  if (req.cseq.method !== req.method) return { status: 400, reason: 'CSeq Method Mismatch' };

  // RFC 3261 §8.2.1: If a UAS does not support the method, it MUST generate a 405 (Method Not
  // Allowed) response ... The UAS MUST also add an Allow header field to the 405.
  if (caps.supportedMethods && !caps.supportedMethods.includes(req.method) && req.method !== 'ACK') {
    return { status: 405, reason: 'Method Not Allowed', headers: [['Allow', caps.supportedMethods.join(', ')]] };
  }

  // RFC 3261 §8.2.2.1: If the Request-URI uses a scheme not supported by the UAS, it SHOULD
  // reject the request with a 416 (Unsupported URI Scheme) response.
  const schemes = caps.supportedSchemes ?? ['sip', 'sips'];
  if (!schemes.includes(req.uri.scheme)) return { status: 416, reason: 'Unsupported URI Scheme' };

  // RFC 3261 §8.2.2.3: If a UAS does not understand an option-tag listed in a Require header
  // field, it MUST respond by generating a response with status code 420 (Bad Extension). The
  // UAS MUST add an Unsupported header field ... ACK and CANCEL are excepted.
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    let required: string[];
    try {
      required = req.get(H.Require) ?? [];
    } catch {
      return { status: 400, reason: 'Bad Require' };
    }
    const supported = new Set((caps.supportedExtensions ?? []).map((t) => t.toLowerCase()));
    const unknown = required.filter((t) => !supported.has(t.toLowerCase()));
    if (unknown.length) return { status: 420, reason: 'Bad Extension', headers: [['Unsupported', unknown.join(', ')]] };
  }

  // RFC 3261 §8.2.3: If a UAS does not understand ... the body type (Content-Type) ... it MUST
  // reject the request with a 415 (Unsupported Media Type) response. The response MUST contain
  // an Accept header field listing the types of all bodies it understands.
  const accepted = caps.acceptedContentTypes ?? ['application/sdp'];
  const ct = req.contentType;
  if (ct && (req.body.length > 0 || req.method === 'INVITE')) {
    if (!accepted.includes(`${ct.type}/${ct.subtype}`)) {
      return { status: 415, reason: 'Unsupported Media Type', headers: [['Accept', accepted.join(', ')]] };
    }
  }
  const encoding = req.headers.get('Content-Encoding');
  if (encoding !== undefined && req.body.length > 0) {
    const codings = encoding.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t.length);
    if (codings.some((c) => c !== 'identity')) {
      return { status: 415, reason: 'Unsupported Media Type', headers: [['Accept-Encoding', 'identity'], ['Accept', accepted.join(', ')]] };
    }
  }

  // RFC 3261 §20.1: An empty Accept header field means that no formats are acceptable.
  // An INVITE is answered with SDP (an answer, or an offer when it had none), so an Accept that
  // excludes application/sdp cannot be honoured: 406 (RFC 4475 §3.3.15).
  if (req.method === 'INVITE' && req.headers.has('Accept')) {
    let ranges: MediaType[];
    try {
      ranges = req.get(H.Accept) ?? [];
    } catch {
      return { status: 400, reason: 'Bad Accept' };
    }
    if (!ranges.some((r) => matchesMediaRange(r, 'application', 'sdp'))) return { status: 406, reason: 'Not Acceptable' };
  }
  return null;
}
