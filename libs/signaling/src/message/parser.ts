/**
 * The SIP message parser (RFC 3261 §7): start line, header section (one pass, line folding,
 * compact forms, empty values), body framed by Content-Length. Header values are kept as text;
 * typed values are parsed lazily through the codecs of `H` when first read (and cached by the
 * message). Use `checkMessage` (validate.ts) to force the parse of the headers the stack relies
 * on.
 */
import { SipLimitError, SipParseError } from './errors';
import { COMPACT_FORMS, canonicalHeaderName, headerKey, internString } from './header-names';
import { SipHeaders } from './headers';
import { SipRequest, SipResponse, type SipMessage } from './message';
import { parseContentLength, parseUriAt } from './parse-values';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './types';

/** Options of {@link parseMessage}. */
export interface ParseMessageOptions {
  /** Limits to apply; missing ones take {@link DEFAULT_PARSE_LIMITS}. */
  limits?: Partial<ParseLimits> | undefined;
  /**
   * Whether `data` is one datagram (UDP; the default) or one message already framed out of a
   * stream (TCP/TLS). In a datagram, octets after Content-Length are ignored and a missing
   * Content-Length means the body runs to the end (RFC 3261 §18.3); from a stream, a missing
   * Content-Length is an error (RFC 3261 §20.14).
   */
  datagram?: boolean | undefined;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

// token chars (RFC 3261 §25.1) for header names and methods.
const TOKEN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") TOKEN[c.charCodeAt(0)] = 1;

function isToken(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Names as written -> [canonical name, key]. Bounded so hostile peers cannot grow it. */
const NAME_CACHE = new Map<string, readonly [string, string]>();
const NAME_CACHE_MAX = 512;

function headerNames(raw: string): readonly [string, string] {
  let hit = NAME_CACHE.get(raw);
  if (hit === undefined) {
    const lower = raw.toLowerCase();
    // RFC 3261 §7.3.3: compact forms are equivalent to the long names.
    const key = lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
    hit = [canonicalHeaderName(raw), internString(key)] as const;
    if (NAME_CACHE.size < NAME_CACHE_MAX) NAME_CACHE.set(raw, hit);
  }
  return hit;
}

/**
 * Frequent header names, found without slicing or hashing the name: candidates by (lower-case
 * first letter, length), then a case-insensitive compare. Entries: [lower-case spelling,
 * canonical name, key]; keys are internalized so that lookups by key compare by identity.
 */
const KNOWN: ((readonly [string, string, string])[] | undefined)[] = new Array<undefined>(128 * 64).fill(undefined);
for (const n of [
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Type', 'Content-Length', 'Record-Route',
  'Route', 'Allow', 'Supported', 'Require', 'User-Agent', 'Server', 'Session-Expires', 'Min-SE', 'Expires', 'Min-Expires',
  'Event', 'Allow-Events', 'Subscription-State', 'Authorization', 'Proxy-Authorization', 'WWW-Authenticate',
  'Proxy-Authenticate', 'Authentication-Info', 'Accept', 'Accept-Encoding', 'Accept-Language', 'Refer-To', 'Referred-By',
  'Replaces', 'Date', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Privacy', 'Reason', 'RSeq', 'RAck', 'Timestamp',
  'Warning', 'Organization', 'Subject', 'Content-Disposition', 'Content-Encoding', 'Content-Language', 'MIME-Version',
  'Proxy-Require', 'Unsupported', 'Retry-After', 'Path', 'Service-Route', 'Call-Info', 'Alert-Info', 'Refer-Sub',
  ...Object.keys(COMPACT_FORMS),
]) {
  const lower = n.toLowerCase();
  const k = lower.charCodeAt(0) * 64 + lower.length;
  const list = KNOWN[k] ?? (KNOWN[k] = []);
  list.push([lower, internString(canonicalHeaderName(n)), headerKey(n)]);
}

/** The [lower-case, canonical, key] of a frequent header name at head[from, to), or undefined. */
function knownName(head: string, from: number, to: number): readonly [string, string, string] | undefined {
  const len = to - from;
  if (len > 63 || len === 0) return undefined;
  const first = head.charCodeAt(from) | 0x20;
  if (first >= 128) return undefined;
  const list = KNOWN[first * 64 + len];
  if (list === undefined) return undefined;
  outer: for (let k = 0; k < list.length; k++) {
    const e = list[k]!;
    const lower = e[0];
    for (let i = 1; i < len; i++) {
      // `| 0x20` lower-cases letters; the known names are made of letters and "-", and no
      // other character becomes a letter or "-" that way (0x0d, CR, is refused by the caller).
      if ((head.charCodeAt(from + i) | 0x20) !== lower.charCodeAt(i)) continue outer;
    }
    return e;
  }
  return undefined;
}

function bad(message: string, offset?: number, status = 400, reason?: string): SipParseError {
  const details: { offset?: number; status: number; reason?: string } = { status };
  if (offset !== undefined) details.offset = offset;
  if (reason !== undefined) details.reason = reason;
  return new SipParseError(message, details);
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/**
 * How much of a message is decoded for the first look at its header section: heads are rarely
 * longer, and decoding all of a large body to find the end of the head would be wasted.
 */
const HEAD_WINDOW = 4096;

// Results of scanHead (module state instead of a result object on the hot path).
let HEAD_NAMES: string[] = [];
let HEAD_KEYS: string[] = [];
let HEAD_SPANS: number[] = [];
let HEAD_FOLDED: (string | undefined)[] | undefined;
let HEAD_CL: string[] | undefined;
let HEAD_START_LINE_END = 0;
let HEAD_BODY = 0;

/**
 * Reads the header section of `text` (the message from its start line on): the start line's end,
 * every header field, the Content-Length values; stops after the empty line. Returns false when
 * `text` ends before the empty line and is not `complete` (the caller decodes more and retries).
 * Offsets in errors are relative to `text`'s start; `base` is added.
 */
function scanHead(text: string, complete: boolean, crlf: boolean, datagram: boolean, limits: Readonly<ParseLimits>, base: number): boolean {
  const n = text.length;
  // --- start line
  const lineEnd = text.indexOf('\n');
  if (lineEnd < 0) {
    if (!complete) return false;
    throw bad('no empty line after the header section', base + n);
  }
  const startLineEnd = lineEnd > 0 && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
  if (startLineEnd > limits.maxLineLength) {
    throw new SipLimitError('start line too long', { name: 'maxLineLength', max: limits.maxLineLength, actual: startLineEnd });
  }
  // A bare CR inside a line is no line end (RFC 3261 §7: lines end with CRLF); refusing it
  // keeps it from turning into one in a peer that re-reads our serialization.
  let nextCr = text.indexOf('\r');
  if (nextCr < 0) nextCr = n;
  if (nextCr < startLineEnd) throw bad('bare CR in the start line', base + nextCr);
  HEAD_START_LINE_END = startLineEnd;

  // --- header lines, one pass
  // Per line: name, key, where its value is in `text` (start, end; -1, -1 for a folded value,
  // kept in `folded`). Values are not copied out here (see SipHeaders).
  const names: string[] = [];
  const keys: string[] = [];
  const spans: number[] = [];
  let folded: (string | undefined)[] | undefined;
  let clValues: string[] | undefined;
  let pendingFrom = 0;
  let pendingTo = 0;
  let pendingName = '';
  let pendingKey = '';
  let pendingValue = '';
  let havePending = false;
  let prevCrlf = startLineEnd < lineEnd;
  let pos = lineEnd + 1;
  for (;;) {
    const nl = pos < n ? text.indexOf('\n', pos) : -1;
    if (nl < 0) {
      if (!complete) return false;
      // DEVIATION(RFC 3261 §7): a datagram whose last header line ends with a line end but lacks
      // the empty line is read as a message without body (broken peers do this; RFC 4475
      // §3.1.2.15 as archived ends that way).
      if (!datagram || pos < n) throw bad('no empty line after the header section', base + n);
      HEAD_BODY = n;
      break;
    }
    let end = nl;
    const lineCrlf = end > pos && text.charCodeAt(end - 1) === CR;
    if (lineCrlf) end--;
    if (end === pos && (crlf ? lineCrlf && prevCrlf : nl === pos)) {
      // The empty line: the end of the header section.
      HEAD_BODY = nl + 1;
      break;
    }
    prevCrlf = lineCrlf;
    if (nextCr < pos) {
      nextCr = text.indexOf('\r', pos);
      if (nextCr < 0) nextCr = n;
    }
    if (nextCr < end) throw bad('bare CR in a header line', base + nextCr);
    const first = text.charCodeAt(pos);
    if (first === SP || first === HT) {
      // RFC 3261 §7.3.1: a header field value can be extended over multiple lines by preceding
      // each extra line with at least one SP or horizontal tab; that LWS is equivalent to a SP.
      if (!havePending) throw bad('continuation line without a header', base + pos);
      const cont = trimWs(text, pos, end);
      if (pendingFrom >= 0) pendingValue = text.slice(pendingFrom, pendingTo);
      if (cont.length) pendingValue = pendingValue.length ? `${pendingValue} ${cont}` : cont;
      pendingFrom = pendingTo = -1;
      if (pendingValue.length > limits.maxLineLength) {
        throw new SipLimitError('folded header too long', { name: 'maxLineLength', max: limits.maxLineLength, actual: pendingValue.length });
      }
    } else {
      if (havePending) {
        if (pendingFrom < 0) (folded ??= [])[keys.length] = pendingValue;
        pushLine(names, keys, spans, pendingName, pendingKey, pendingFrom, pendingTo, pendingValue, limits);
        if (pendingKey === 'content-length') (clValues ??= []).push(pendingFrom < 0 ? pendingValue : text.slice(pendingFrom, pendingTo));
      }
      if (end - pos > limits.maxLineLength) {
        throw new SipLimitError('header line too long', { name: 'maxLineLength', max: limits.maxLineLength, actual: end - pos });
      }
      // RFC 3261 §7.3.1: header-name HCOLON, HCOLON = *( SP / HTAB ) ":" SWS; the name is a token.
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= end) throw bad('malformed header line (expected token ":")', base + pos);
      let ne = colon;
      let c: number;
      while (ne > pos && ((c = text.charCodeAt(ne - 1)) === SP || c === HT)) ne--;
      const known = knownName(text, pos, ne);
      if (known !== undefined) {
        pendingName = known[1];
        pendingKey = known[2];
      } else {
        if (!isToken(text, pos, ne)) throw bad('malformed header line (expected token ":")', base + pos);
        const names = headerNames(text.slice(pos, ne));
        pendingName = names[0];
        pendingKey = names[1];
      }
      let vf = colon + 1;
      let vt = end;
      while (vf < vt && ((c = text.charCodeAt(vf)) === SP || c === HT)) vf++;
      while (vt > vf && ((c = text.charCodeAt(vt - 1)) === SP || c === HT)) vt--;
      pendingValue = '';
      pendingFrom = vf;
      pendingTo = vt;
      havePending = true;
    }
    pos = nl + 1;
  }
  if (havePending) {
    if (pendingFrom < 0) (folded ??= [])[keys.length] = pendingValue;
    pushLine(names, keys, spans, pendingName, pendingKey, pendingFrom, pendingTo, pendingValue, limits);
    if (pendingKey === 'content-length') (clValues ??= []).push(pendingFrom < 0 ? pendingValue : text.slice(pendingFrom, pendingTo));
  }
  HEAD_NAMES = names;
  HEAD_KEYS = keys;
  HEAD_SPANS = spans;
  HEAD_FOLDED = folded;
  HEAD_CL = clValues;
  return true;
}

/**
 * Parses one SIP message (RFC 3261 §7) from `data`.
 *
 * - Start line: `Method SP Request-URI SP SIP-Version` or `SIP-Version SP Status-Code SP
 *   Reason-Phrase`, single SPs only (RFC 4475 §3.1.2.9, §3.1.2.10); the Request-URI must be an
 *   absolute URI without LWS or `<>` and, for SIP URIs, without headers (RFC 4475 §3.1.2.7,
 *   §3.1.2.8, §3.1.2.11); status codes outside 100-699 are refused (§3.1.2.19); an unknown
 *   SIP version is a `SipParseError` with status 505 (§3.1.2.16).
 * - Headers: folded lines joined with one SP (§7.3.1), compact names expanded (§7.3.3), values
 *   trimmed, empty values kept. Leading CRLFs before the start line are skipped (§7.5). The
 *   header section is read as UTF-8.
 * - Body: by Content-Length (see {@link ParseMessageOptions.datagram}); a Content-Length larger
 *   than the data is an error (RFC 4475 §3.1.2.2). The body is a view into `data`.
 *
 * Header values are parsed lazily: malformed headers surface when read through `msg.get(H.x)`
 * or by `checkMessage`. Throws `SipParseError` on malformed input and `SipLimitError` (a
 * `SipParseError`) when a limit is exceeded; never anything else.
 */
export function parseMessage(data: Buffer, options?: ParseMessageOptions): SipMessage {
  const limits = options?.limits ? { ...DEFAULT_PARSE_LIMITS, ...options.limits } : DEFAULT_PARSE_LIMITS;
  const datagram = options?.datagram ?? true;
  const total = data.length;
  if (total > limits.maxMessageSize) {
    throw new SipLimitError(`message of ${total} bytes exceeds ${limits.maxMessageSize}`, { name: 'maxMessageSize', max: limits.maxMessageSize, actual: total });
  }
  // RFC 3261 §7.5: implementations processing SIP messages over stream-oriented transports MUST
  // ignore any CRLF appearing before the start-line.
  let start = 0;
  while (start < total && (data[start] === CR || data[start] === LF)) start++;
  if (start >= total) throw bad('empty message', start);

  // DEVIATION(RFC 3261 §7): a message whose first line ends with a bare LF is read with LF line
  // ends throughout (tolerated for hand-written peers and logs).
  const firstLf = data.indexOf(LF, start);
  const crlf = firstLf > start && data[firstLf - 1] === CR;

  // The header section is decoded once, a window of the message first (all of it when the head
  // is longer). When the text has one character per octet (ASCII, the usual case), offsets in it
  // are octet offsets and the end of the head found in it is where the body starts.
  let bodyStart = -1;
  let windowEnd = Math.min(total, start + HEAD_WINDOW);
  let text: string;
  for (;;) {
    text = data.toString('utf8', start, windowEnd);
    if (text.length !== windowEnd - start) break;
    if (scanHead(text, windowEnd === total, crlf, datagram, limits, start)) {
      bodyStart = start + HEAD_BODY;
      break;
    }
    windowEnd = total;
  }
  if (bodyStart < 0) {
    // Octets above 0x7f (UTF-8 in the head, or a body that is not ASCII): find the empty line
    // among the octets, then read the head decoded on its own.
    const headEnd = firstLf < 0 ? -1 : data.indexOf(crlf ? CRLFCRLF : LFLF, firstLf - (crlf ? 1 : 0));
    bodyStart = headEnd + (crlf ? 4 : 2);
    if (headEnd < 0) {
      // DEVIATION(RFC 3261 §7): see scanHead (a datagram without the empty line).
      if (!datagram || firstLf < 0 || data[total - 1] !== LF) throw bad('no empty line after the header section', total);
      bodyStart = total;
    }
    text = data.toString('utf8', start, bodyStart);
    scanHead(text, true, crlf, datagram, limits, start);
  }
  const names = HEAD_NAMES;
  const keys = HEAD_KEYS;
  const spans = HEAD_SPANS;
  const folded = HEAD_FOLDED;
  const clValues = HEAD_CL;
  HEAD_NAMES = [];
  HEAD_KEYS = [];
  HEAD_SPANS = [];
  HEAD_FOLDED = undefined;
  HEAD_CL = undefined;
  const startLineEnd = HEAD_START_LINE_END;
  // --- body (RFC 3261 §18.3, §20.14)
  let body: Buffer;
  let length: number | undefined;
  if (clValues !== undefined) {
    const first = clValues[0]!;
    let same = true;
    for (let k = 1; k < clValues.length; k++) if (clValues[k] !== first) same = false;
    if (same) {
      length = parseContentLength(first, 'Content-Length');
    } else if (!datagram) {
      throw bad('conflicting Content-Length values', undefined);
    }
    // RFC 4475 §3.3.9: with conflicting values in a datagram, the body runs to the end;
    // validateRequest answers 400 (each value is refused by the single-value codec).
  }
  if (length !== undefined) {
    if (bodyStart + length > data.length) {
      // RFC 3261 §18.3: If the transport packet ends before the end of the message body, this is
      // considered an error (RFC 4475 §3.1.2.2).
      throw bad(`Content-Length ${length} exceeds the ${data.length - bodyStart} octets received`, data.length);
    }
    // RFC 3261 §18.3: octets past Content-Length in a datagram are discarded (RFC 4475 §3.1.1.8).
    body = data.subarray(bodyStart, bodyStart + length);
  } else if (datagram) {
    // RFC 3261 §18.3: if there is no Content-Length over a datagram transport, the message body
    // is assumed to end at the end of the transport packet.
    body = data.subarray(bodyStart);
  } else {
    // RFC 3261 §20.14: If a stream-based protocol (such as TCP) is used as transport, the
    // header field MUST be used.
    throw bad('missing Content-Length on a stream transport');
  }

  // The lines as read; fields and raw values are made on first use (see SipHeaders).
  const headers = new SipHeaders();
  headers['store'] = undefined;
  headers['src'] = text;
  headers['spans'] = spans;
  headers['lineNames'] = names;
  headers['lineKeys'] = keys;
  headers['folded'] = folded;
  if (startLineEnd >= 4 && text.charCodeAt(3) === 0x2f /* / */ && text.slice(0, 4).toUpperCase() === 'SIP/') {
    return parseStatusLine(text.slice(0, startLineEnd), headers, body);
  }
  return parseRequestLine(text, startLineEnd, headers, body);
}

function pushLine(
  names: string[],
  keys: string[],
  spans: number[],
  name: string,
  key: string,
  from: number,
  to: number,
  folded: string,
  limits: Readonly<ParseLimits>,
): void {
  const length = name.length + 2 + (from >= 0 ? to - from : folded.length);
  if (length > limits.maxLineLength) {
    throw new SipLimitError(`header ${name} too long`, { name: 'maxLineLength', max: limits.maxLineLength, actual: length });
  }
  if (keys.length >= limits.maxHeaderCount) {
    throw new SipLimitError('too many header fields', { name: 'maxHeaderCount', max: limits.maxHeaderCount, actual: keys.length + 1 });
  }
  names.push(name);
  keys.push(key);
  spans.push(from, to);
}

function trimWs(s: string, from: number, to: number): string {
  while (from < to) {
    const c = s.charCodeAt(from);
    if (c === SP || c === HT) from++;
    else break;
  }
  while (to > from) {
    const c = s.charCodeAt(to - 1);
    if (c === SP || c === HT) to--;
    else break;
  }
  return s.slice(from, to);
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; returns the version normalised, or throws. */
function checkVersion(v: string): string {
  if (v === 'SIP/2.0') return v;
  const upper = v.toUpperCase();
  if (upper === 'SIP/2.0') return upper;
  if (!/^SIP\/[0-9]+\.[0-9]+$/.test(upper)) throw bad(`invalid SIP-Version "${v}"`, 0);
  // RFC 3261 §8.2.2.x / RFC 4475 §3.1.2.16: an unknown version earns 505.
  throw bad(`unsupported SIP-Version ${v}`, 0, 505, 'Version Not Supported');
}

/** The Request-Line at the start of `text`, `end` its end (before CRLF). */
function parseRequestLine(text: string, end: number, headers: SipHeaders, body: Buffer): SipRequest {
  // RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF; the elements are
  // separated by single SP characters (RFC 4475 §3.1.2.9, §3.1.2.10).
  const sp1 = text.indexOf(' ');
  const sp2 = end > 0 ? text.lastIndexOf(' ', end - 1) : -1;
  if (sp1 <= 0 || sp1 >= end || sp2 === sp1) throw bad('malformed Request-Line', 0);
  if (!isToken(text, 0, sp1)) throw bad('invalid method', 0);
  const version = checkVersionRequest(text.slice(sp2 + 1, end));
  if (sp2 === sp1 + 1) throw bad('empty Request-URI', sp1 + 1);
  let uri;
  try {
    uri = parseUriAt(text, sp1 + 1, sp2);
  } catch (e) {
    // RFC 4475 §3.1.2.7, §3.1.2.8: `<>` or LWS in the Request-URI is a 400.
    throw bad(`invalid Request-URI: ${e instanceof Error ? e.message : String(e)}`, sp1 + 1);
  }
  // RFC 3261 §19.1.1 Table 1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (uri.kind === 'sip' && uri.headers.size > 0) throw bad('headers in the Request-URI', sp1 + 1);
  return new SipRequest(text.slice(0, sp1), uri, headers, body, version);
}

function checkVersionRequest(v: string): string {
  if (v.length === 0) throw bad('malformed Request-Line (trailing SP)', 0);
  return checkVersion(v);
}

function parseStatusLine(line: string, headers: SipHeaders, body: Buffer): SipResponse {
  // RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
  const sp1 = line.indexOf(' ');
  if (sp1 < 0) throw bad('malformed Status-Line', 0);
  const version = checkVersion(line.slice(0, sp1));
  let sp2 = line.indexOf(' ', sp1 + 1);
  // DEVIATION(RFC 3261 §7.2): a Status-Line without the SP before an empty reason is accepted.
  if (sp2 < 0) sp2 = line.length;
  // RFC 3261 §7.2: Status-Code = 3DIGIT; RFC 4475 §3.1.2.19: above 699 the response is dropped.
  if (sp2 - sp1 - 1 !== 3) throw bad('Status-Code must be 3 digits', sp1 + 1);
  let status = 0;
  for (let i = sp1 + 1; i < sp2; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw bad('Status-Code must be 3 digits', sp1 + 1);
    status = status * 10 + d;
  }
  if (status < 100 || status > 699) throw bad(`Status-Code ${status} out of range`, sp1 + 1);
  const reason = sp2 < line.length ? line.slice(sp2 + 1) : '';
  return new SipResponse(status, reason, headers, body, version);
}
