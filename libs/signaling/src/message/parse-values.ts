/**
 * Parsers of header values (RFC 3261 §25 grammar). Each throws `SipParseError` (with the header
 * name and the status a UAS should answer) on malformed input and never anything else.
 *
 * The values given to these parsers are header values as the message parser stores them: line
 * folding already replaced by a single SP (RFC 3261 §7.3.1), so "LWS" here is SP / HTAB.
 *
 * Conventions of the values produced:
 * - parameter names are lower-cased; parameter values are kept as written (a quoted value keeps
 *   its quotes, so it serializes back unchanged); a flag parameter (`;lr`) is `null`;
 * - URI user, password and header values are kept as written (escaped): see {@link unescapeUri};
 * - auth-param values are unquoted (RFC 3261 §25.1 quoted-pair resolved).
 */
import { SipParseError } from './errors';
import type {
  AuthValue,
  ContactValue,
  CSeq,
  EventValue,
  InfoValue,
  MediaType,
  NameAddr,
  Params,
  ReasonValue,
  ReplacesValue,
  RetryAfterValue,
  SipUri,
  SubscriptionStateValue,
  TelUri,
  Uri,
  Via,
} from './types';

// ---------------------------------------------------------------------------------------------
// Character classes (RFC 3261 §25.1), as lookup tables over ASCII.

const SP = 0x20;
const HT = 0x09;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

const F_TOKEN = 1; // token chars: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
const F_ALNUM = 2;
const F_HEX = 4;
const F_UNRESERVED = 8; // alphanum / mark
const F_USER = 16; // unreserved / user-unreserved ("&" / "=" / "+" / "$" / "," / ";" / "?" / "/")
const F_PASSWORD = 32; // unreserved / "&" / "=" / "+" / "$" / ","
const F_PARAMCHAR = 64; // unreserved / param-unreserved ("[" / "]" / "/" / ":" / "&" / "+" / "$")
const F_HOST = 128; // hostname / IPv4 chars (alphanum / "-" / "." ; "_" tolerated)
const F_SCHEME = 256; // ALPHA / DIGIT / "+" / "-" / "."
const F_WORD = 512; // Call-ID word chars (§25.1 word)
const F_HNV = 1024; // unreserved / hnv-unreserved ("[" / "]" / "/" / "?" / ":" / "+" / "$")
const F_GENVALUE = 2048; // gen-value without quotes: token / host (":" "[" "]" for IPv6)

const CLASS = new Uint16Array(128);
function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) CLASS[chars.charCodeAt(i)]! |= flag;
}
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
mark(ALNUM, F_ALNUM | F_TOKEN | F_UNRESERVED | F_USER | F_PASSWORD | F_PARAMCHAR | F_HOST | F_SCHEME | F_WORD | F_HNV);
mark('0123456789abcdefABCDEF', F_HEX);
mark("-.!%*_+`'~", F_TOKEN);
mark("-_.!~*'()", F_UNRESERVED | F_USER | F_PASSWORD | F_PARAMCHAR | F_HNV);
mark('&=+$,;?/', F_USER);
mark('&=+$,', F_PASSWORD);
mark('[]/:&+$', F_PARAMCHAR);
mark('[]/?:+$', F_HNV);
mark('-._', F_HOST);
mark('+-.', F_SCHEME);
mark('-.!%*_+`\'~()<>:\\"/[]?{}', F_WORD);
mark(ALNUM + "-.!%*_+`'~:[]", F_GENVALUE);

const has = (c: number, flag: number): boolean => c < 128 && (CLASS[c]! & flag) !== 0;
const isWs = (c: number): boolean => c === SP || c === HT || c === 0x0d || c === 0x0a;

function fail(what: string, header: string | undefined, status = 400): never {
  throw new SipParseError(header ? `${header}: ${what}` : what, header ? { header, status } : { status });
}

function skipWs(s: string, i: number, n: number): number {
  let c: number;
  while (i < n && ((c = s.charCodeAt(i)) === SP || c === HT || c === 0x0d || c === 0x0a)) i++;
  return i;
}

function isTokenString(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!has(s.charCodeAt(i), F_TOKEN)) return false;
  return true;
}

/** End of a token starting at `i` (== i when there is none), before `n`. */
function tokenEnd(s: string, i: number, n: number): number {
  let c: number;
  while (i < n && (c = s.charCodeAt(i)) < 128 && (CLASS[c]! & F_TOKEN) !== 0) i++;
  return i;
}

/*
 * The readers below take the text, a start index and an end index `n` (exclusive): header
 * values are read in place inside the text of the whole header section, without a copy. Where a
 * reader stops is left in `END`: no tuple to allocate on the hot path.
 */
let END = 0;

/** Reads a token at `i` (after SWS) or fails; the index after it is left in `END`. */
function readToken(s: string, i: number, n: number, header: string, what: string): string {
  i = skipWs(s, i, n);
  const end = tokenEnd(s, i, n);
  if (end === i) fail(`expected ${what}`, header);
  END = end;
  return s.slice(i, end);
}

/**
 * A quoted-string starting at `s[i] === '"'` (RFC 3261 §25.1). Returns the unescaped content; the
 * index after the closing quote is left in `END`.
 */
function readQuoted(s: string, i: number, n: number, header: string): string {
  let out = '';
  let start = i + 1;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) {
      // RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
      if (j + 1 >= n) break;
      const q = s.charCodeAt(j + 1);
      if (q === 0x0a || q === 0x0d || q > 0x7f) fail('invalid quoted-pair', header);
      out += s.slice(start, j) + s[j + 1];
      j++;
      start = j + 1;
    } else if (c === DQUOTE) {
      END = j + 1;
      return out + s.slice(start, j);
    }
  }
  return fail('unterminated quoted-string', header);
}

/** Index after a quoted-string starting at `i`, kept as written. */
function skipQuoted(s: string, i: number, n: number, header: string): number {
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === DQUOTE) return j + 1;
    if (c === BACKSLASH) {
      const q = s.charCodeAt(j + 1);
      if (j + 1 >= n || q === 0x0a || q === 0x0d || q > 0x7f) break;
      j++;
    }
  }
  readQuoted(s, i, n, header);
  return END;
}

/**
 * `*( SEMI generic-param )` starting at `i` (which is at `;` or at the end / a stop char), before
 * `n`. generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
 * Stops (without consuming) at `,` when `stopAtComma`, or at `n`. Returns the index after.
 */
function readParams(s: string, i: number, n: number, params: Params, header: string, stopAtComma: boolean): number {
  for (;;) {
    let c = 0;
    while (i < n && ((c = s.charCodeAt(i)) === SP || c === HT || c === 0x0d || c === 0x0a)) i++;
    if (i >= n) return i;
    if (c === 0x2c /* , */ && stopAtComma) return i;
    if (c !== 0x3b /* ; */) fail(`unexpected "${s[i]}" where a parameter was expected`, header);
    i++;
    while (i < n && ((c = s.charCodeAt(i)) === SP || c === HT || c === 0x0d || c === 0x0a)) i++;
    const ns = i;
    let upper = false;
    while (i < n && (c = s.charCodeAt(i)) < 128 && (CLASS[c]! & F_TOKEN) !== 0) {
      if (c <= 0x5a && c >= 0x41) upper = true;
      i++;
    }
    if (i === ns) fail('empty parameter name', header);
    const name = upper ? s.slice(ns, i).toLowerCase() : s.slice(ns, i);
    while (i < n && ((c = s.charCodeAt(i)) === SP || c === HT || c === 0x0d || c === 0x0a)) i++;
    if (i < n && c === 0x3d /* = */) {
      i++;
      while (i < n && ((c = s.charCodeAt(i)) === SP || c === HT || c === 0x0d || c === 0x0a)) i++;
      if (i < n && c === DQUOTE) {
        const e = skipQuoted(s, i, n, header);
        params.set(name, s.slice(i, e));
        i = e;
      } else {
        const vs = i;
        // token / host (IPv6 reference included)
        while (i < n && ((c = s.charCodeAt(i)) >= 0x80 || (CLASS[c]! & F_GENVALUE) !== 0)) i++;
        params.set(name, s.slice(vs, i));
      }
    } else {
      params.set(name, null);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// URIs


/** The one value of a header that must appear once (RFC 4475 §3.3.8: several is a 400). */
export function singleValue(lines: readonly string[], header: string): string {
  if (lines.length !== 1) throw new SipParseError(`${header} must appear exactly once`, { header, status: 400 });
  return lines[0]!;
}

/**
 * Percent-decodes `s` (RFC 3261 §19.1.2, RFC 3986 §2.1): `%HH` sequences become the octets they
 * stand for, read as UTF-8. A `%` not followed by two hex digits is kept as written.
 */
export function unescapeUri(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && has(s.charCodeAt(i + 1), F_HEX) && has(s.charCodeAt(i + 2), F_HEX)) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function checkEscapedRun(s: string, from: number, to: number, flag: number, what: string): void {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      // RFC 3261 §25.1: escaped = "%" HEXDIG HEXDIG
      if (i + 2 >= to || !has(s.charCodeAt(i + 1), F_HEX) || !has(s.charCodeAt(i + 2), F_HEX)) fail(`bad escape in ${what}`, undefined);
      i += 2;
    } else if (!has(c, flag)) {
      fail(`invalid character "${s[i]}" in ${what}`, undefined);
    }
  }
}

function parsePort(s: string, from: number, to: number): number {
  if (to === from || to - from > 5) fail('invalid port', undefined);
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) fail('invalid port', undefined);
    n = n * 10 + c;
  }
  if (n > 65535) fail('port out of range', undefined);
  return n;
}


/**
 * The index of the character `ch` in `s[from, to)`, or -1. Values are read inside the text of the
 * whole header section: `indexOf` would run past the value, up to the end of that text, each time
 * the character is missing from the value.
 */
function indexIn(s: string, ch: number, from: number, to: number): number {
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === ch) return k;
  return -1;
}

/** Reads a host (hostname, IPv4, or `[IPv6]`) at `i`, before `n`; returns its end. */
function hostEnd(s: string, i: number, n: number): number {
  if (i < n && s.charCodeAt(i) === 0x5b /* [ */) {
    const close = indexIn(s, 0x5d /* ] */, i, n);
    if (close < 0) fail('unterminated IPv6 reference', undefined);
    for (let j = i + 1; j < close; j++) {
      const c = s.charCodeAt(j);
      if (!(has(c, F_HEX) || c === 0x3a || c === 0x2e)) fail('invalid IPv6 reference', undefined);
    }
    if (close === i + 1) fail('empty IPv6 reference', undefined);
    return close + 1;
  }
  let j = i;
  let c: number;
  while (j < n && (c = s.charCodeAt(j)) < 128 && (CLASS[c]! & F_HOST) !== 0) j++;
  if (j === i) fail('missing host', undefined);
  return j;
}

/** The SIP URI in `s[start, end)`, `start` just after `scheme:`. */
function parseSipUri(s: string, scheme: 'sip' | 'sips', start: number, end: number): SipUri {
  let i = start;
  let user: string | undefined;
  let password: string | undefined;
  // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". The user characters are
  // read up to "@" (userinfo) or to ":" then the password characters up to "@"; anything else
  // means there is no userinfo ("@" only appears in the userinfo: RFC 3261 §25.1 escapes it
  // elsewhere). No search runs past the URI.
  let k = i;
  let c = 0;
  let escaped = false;
  while (k < end && ((c = s.charCodeAt(k)) === 0x25 || (c < 128 && (CLASS[c]! & F_USER) !== 0))) {
    if (c === 0x25) escaped = true;
    k++;
  }
  let at = -1;
  let colon = -1;
  if (k < end && c === 0x40 /* @ */) {
    at = k;
  } else if (k < end && c === 0x3a /* : */) {
    let p = k + 1;
    while (p < end && ((c = s.charCodeAt(p)) === 0x25 || (c < 128 && (CLASS[c]! & F_PASSWORD) !== 0))) {
      if (c === 0x25) escaped = true;
      p++;
    }
    if (p < end && c === 0x40) {
      colon = k;
      at = p;
    }
  }
  if (at >= 0) {
    const userEnd = colon >= 0 ? colon : at;
    if (userEnd === i) fail('empty user part', undefined);
    if (escaped) checkEscapedRun(s, i, userEnd, F_USER, 'URI user');
    user = s.slice(i, userEnd);
    if (colon >= 0) {
      if (escaped) checkEscapedRun(s, colon + 1, at, F_PASSWORD, 'URI password');
      password = s.slice(colon + 1, at);
    }
    i = at + 1;
  }
  const he = hostEnd(s, i, end);
  const host = s.slice(i, he);
  i = he;
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 0x3a /* : */) {
    let pe = i + 1;
    let c: number;
    while (pe < end && (c = s.charCodeAt(pe)) >= 48 && c <= 57) pe++;
    port = parsePort(s, i + 1, pe);
    i = pe;
  }
  const params: Params = new Map();
  while (i < end && s.charCodeAt(i) === 0x3b /* ; */) {
    // uri-parameter = pname [ "=" pvalue ]; pname, pvalue = 1*paramchar (RFC 3261 §25.1)
    const ns = i + 1;
    let eq = -1;
    let e = ns;
    let upper = false;
    for (; e < end; e++) {
      const c = s.charCodeAt(e);
      if (c === 0x3b || c === 0x3f) break;
      if (c <= 0x5a && c >= 0x41 && eq < 0) upper = true;
      if (c === 0x3d && eq < 0) eq = e;
      else if (c === 0x25) {
        if (e + 2 >= end || !has(s.charCodeAt(e + 1), F_HEX) || !has(s.charCodeAt(e + 2), F_HEX)) fail('bad escape in URI parameter', undefined);
        // The hex digits of an escape in a name are lower-cased with the rest of the name
        // (RFC 3261 §19.1.4 compares escapes case-insensitively anyway).
        if (eq < 0 && (s.charCodeAt(e + 1) >= 0x41 || s.charCodeAt(e + 2) >= 0x41)) upper = true;
        e += 2;
      } else if (c >= 128 || (CLASS[c]! & F_PARAMCHAR) === 0) fail(`invalid character "${s[e]}" in URI parameter`, undefined);
    }
    if (eq === ns || e === ns) fail('empty URI parameter name', undefined);
    // Parameter names compare case-insensitively (RFC 3261 §19.1.4): stored lower-cased.
    const name = s.slice(ns, eq >= 0 ? eq : e);
    params.set(upper ? name.toLowerCase() : name, eq >= 0 ? s.slice(eq + 1, e) : null);
    i = e;
  }
  const headers = new Map<string, string>();
  if (i < end && s.charCodeAt(i) === 0x3f /* ? */) {
    i++;
    while (i <= end) {
      let e = indexIn(s, 0x26 /* & */, i, end);
      if (e < 0) e = end;
      const eq = indexIn(s, 0x3d /* = */, i, e);
      if (eq < 0 || eq === i) fail('invalid URI header', undefined);
      checkEscapedRun(s, i, eq, F_HNV, 'URI header');
      checkEscapedRun(s, eq + 1, e, F_HNV, 'URI header');
      headers.set(s.slice(i, eq), s.slice(eq + 1, e));
      i = e + 1;
    }
  } else if (i < end) {
    fail(`unexpected "${s[i]}" in SIP URI`, undefined);
  }
  return { kind: 'sip', scheme, user, password, host, port, params, headers };
}

function parseTelUri(s: string, start: number): TelUri {
  // RFC 3966 §3: telephone-subscriber = global-number / local-number, then ;par
  let e = s.indexOf(';', start);
  if (e < 0) e = s.length;
  if (e === start) fail('empty tel number', undefined);
  for (let i = start; i < e; i++) {
    const c = s.charCodeAt(i);
    if (!(has(c, F_HEX) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29 || c === 0x2a || c === 0x23)) {
      fail(`invalid character "${s[i]}" in tel number`, undefined);
    }
  }
  const params: Params = new Map();
  let i = e;
  while (i < s.length) {
    let pe = s.indexOf(';', i + 1);
    if (pe < 0) pe = s.length;
    const eq = s.indexOf('=', i + 1);
    if (pe === i + 1 || eq === i + 1) fail('empty tel parameter', undefined);
    if (eq >= 0 && eq < pe) params.set(s.slice(i + 1, eq).toLowerCase(), s.slice(eq + 1, pe));
    else params.set(s.slice(i + 1, pe).toLowerCase(), null);
    i = pe;
  }
  return { kind: 'tel', scheme: 'tel', number: s.slice(start, e), params };
}

/** {@link parseUri} on `s[start, end)`. */
export function parseUriAt(s: string, start: number, end: number): Uri {
  // (Native search: every header line of the text has a ":" after its name, so the search stops
  // within the next line at worst.)
  let colon = s.indexOf(':', start);
  if (colon >= end) colon = -1;
  if (colon <= start) fail('URI without a scheme', undefined);
  const c0 = s.charCodeAt(start);
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) fail('invalid URI scheme', undefined);
  for (let i = start + 1; i < colon; i++) if (!has(s.charCodeAt(i), F_SCHEME)) fail('invalid URI scheme', undefined);
  if (colon - start === 3 && (s.charCodeAt(start) | 0x20) === 0x73 && (s.charCodeAt(start + 1) | 0x20) === 0x69 && (s.charCodeAt(start + 2) | 0x20) === 0x70) {
    // parseSipUri checks every character against the grammar itself.
    return parseSipUri(s, 'sip', colon + 1, end);
  }
  if (colon - start === 4 && (s.charCodeAt(start) | 0x20) === 0x73 && (s.charCodeAt(start + 1) | 0x20) === 0x69 && (s.charCodeAt(start + 2) | 0x20) === 0x70 && (s.charCodeAt(start + 3) | 0x20) === 0x73) {
    return parseSipUri(s, 'sips', colon + 1, end);
  }
  const text = start === 0 && end === s.length ? s : s.slice(start, end);
  colon -= start;
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= SP || c === 0x3c || c === 0x3e || c === DQUOTE || c === 0x7f) fail('invalid character in URI', undefined);
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'tel') return parseTelUri(text, colon + 1);
  if (colon + 1 >= text.length) fail('empty URI', undefined);
  return { kind: 'absolute', scheme, value: text.slice(colon + 1) };
}

/**
 * Parses an absolute URI: `sip:`/`sips:` (RFC 3261 §19.1: user, password, host incl. IPv6
 * references, port, parameters, headers), `tel:` (RFC 3966), any other scheme as an
 * {@link AbsoluteUri}. No LWS, `<`, `>` or `"` may appear. Throws `SipParseError` (400).
 */
export function parseUri(text: string): Uri {
  return parseUriAt(text, 0, text.length);
}

function parseUriIn(s: string, start: number, end: number, header: string): Uri {
  try {
    return parseUriAt(s, start, end);
  } catch (e) {
    if (e instanceof SipParseError) fail(e.message, header);
    throw e;
  }
}

const TEL_VISUAL = /[-.()]/g;

function paramsEqualCi(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return unescapeUri(a).toLowerCase() === unescapeUri(b).toLowerCase();
}

/**
 * Whether two URIs are equivalent (RFC 3261 §19.1.4): user and password compared
 * case-sensitively after unescaping, host case-insensitively, port/transport/user/ttl/method/maddr
 * parameters must appear in both or neither, other parameters only compared when in both, URI
 * headers must all match. `tel:` URIs compare per RFC 3966 §4 (visual separators ignored), other
 * schemes by scheme and exact text.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind !== b.kind || a.scheme !== b.scheme) return false;
  if (a.kind === 'absolute' && b.kind === 'absolute') return a.value === b.value;
  if (a.kind === 'tel' && b.kind === 'tel') {
    // RFC 3966 §4: phone numbers compare digit by digit, ignoring visual separators; parameters
    // compare as sets with case-insensitive names and values.
    if (a.number.replace(TEL_VISUAL, '').toLowerCase() !== b.number.replace(TEL_VISUAL, '').toLowerCase()) return false;
    if (a.params.size !== b.params.size) return false;
    for (const [k, v] of a.params) if (!b.params.has(k) || !paramsEqualCi(v, b.params.get(k))) return false;
    return true;
  }
  if (a.kind !== 'sip' || b.kind !== 'sip') return false;
  // RFC 3261 §19.1.4: Comparison of the userinfo of SIP and SIPS URIs is case-sensitive.
  const ua = a.user === undefined ? undefined : unescapeUri(a.user);
  const ub = b.user === undefined ? undefined : unescapeUri(b.user);
  if (ua !== ub) return false;
  const pa = a.password === undefined ? undefined : unescapeUri(a.password);
  const pb = b.password === undefined ? undefined : unescapeUri(b.password);
  if (pa !== pb) return false;
  // RFC 3261 §19.1.4: Comparison of all other components of the URI is case-insensitive
  // unless explicitly defined otherwise.
  if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
  // RFC 3261 §19.1.4: A URI omitting any component with a default value will not match a URI
  // explicitly containing that component with its default value.
  if (a.port !== b.port) return false;
  const decode = (p: Params): Map<string, string | null> => {
    const m = new Map<string, string | null>();
    for (const [k, v] of p) m.set(unescapeUri(k).toLowerCase(), v);
    return m;
  };
  const ap = decode(a.params);
  const bp = decode(b.params);
  // RFC 3261 §19.1.4: A URI that includes an maddr, ttl, user, method or transport parameter
  // will not match a URI without it ... Any uri-parameter appearing in both URIs must match.
  for (const k of ['user', 'ttl', 'method', 'maddr', 'transport']) if (ap.has(k) !== bp.has(k)) return false;
  for (const [k, v] of ap) if (bp.has(k) && !paramsEqualCi(v, bp.get(k))) return false;
  // RFC 3261 §19.1.4: URI header components are never ignored. Any present header component
  // MUST be present in both URIs and match for the URIs to match.
  if (a.headers.size !== b.headers.size) return false;
  const bh = new Map<string, string>();
  for (const [k, v] of b.headers) bh.set(unescapeUri(k).toLowerCase(), unescapeUri(v));
  for (const [k, v] of a.headers) {
    const other = bh.get(unescapeUri(k).toLowerCase());
    if (other === undefined || other !== unescapeUri(v)) return false;
  }
  return true;
}


// ---------------------------------------------------------------------------------------------
// name-addr / addr-spec

/** A token display name in `s[from, to)` (`*(token LWS)`, no trailing LWS): LWS runs become one SP. */
function tokenDisplayName(s: string, from: number, to: number): string {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c === HT || (c === SP && s.charCodeAt(k + 1) === SP)) return s.slice(from, to).split(/[ \t]+/).join(' ');
  }
  return s.slice(from, to);
}

/**
 * Reads one `( name-addr / addr-spec ) *( SEMI param )` at `i`, before `n`. Stops at `,` (when
 * `inList`) or at `n`. Returns the value; the index after it is left in `END`.
 */
function readNameAddr(s: string, i: number, n: number, header: string, inList: boolean): NameAddr {
  i = skipWs(s, i, n);
  if (i >= n) fail('empty address', header);
  let displayName: string | undefined;
  let uriStart: number;
  let uriEnd: number;
  let c = s.charCodeAt(i);
  if (c === DQUOTE) {
    displayName = readQuoted(s, i, n, header);
    i = skipWs(s, END, n);
    if (i >= n || s.charCodeAt(i) !== 0x3c) fail('display name not followed by <', header);
    c = 0x3c;
  } else if (c !== 0x3c) {
    // A token display name (*(token LWS)), with or without LWS before "<" (RFC 4475 §3.1.1.6),
    // or an addr-spec.
    let j = i;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (has(d, F_TOKEN) || d === SP || d === HT) j++;
      else break;
    }
    if (j < n && s.charCodeAt(j) === 0x3c) {
      let e = j;
      let d: number;
      while (e > i && ((d = s.charCodeAt(e - 1)) === SP || d === HT)) e--;
      displayName = tokenDisplayName(s, i, e);
      i = j;
      c = 0x3c;
    }
  }
  if (c === 0x3c) {
    const close = s.indexOf('>', i + 1);
    if (close < 0 || close >= n) fail('missing >', header);
    // RFC 3261 §25.1: LAQUOT = SWS "<" and RAQUOT = ">" SWS: no LWS inside the brackets
    // (RFC 4475 §3.1.2.14).
    uriStart = i + 1;
    uriEnd = close;
    i = close + 1;
  } else {
    // RFC 3261 §20.10: in addr-spec form, parameters after the URI are header parameters.
    let end = i;
    while (end < n) {
      const d = s.charCodeAt(end);
      if (isWs(d) || (d === 0x2c && inList)) break;
      end++;
    }
    const at = indexIn(s, 0x40 /* @ */, i, end);
    let from = at >= 0 ? at : indexIn(s, 0x3a /* : */, i, end);
    if (from < 0) from = i;
    let ue = from;
    while (ue < end) {
      const d = s.charCodeAt(ue);
      if (d === 0x3b) break;
      if (d === 0x3f /* ? */ || d === 0x2c /* , */) {
        // RFC 3261 §20.10: a URI containing a comma, question mark or semicolon MUST be
        // enclosed in angle brackets (RFC 4475 §3.1.2.13).
        fail('an addr-spec whose URI contains "," or "?" must be enclosed in <>', header);
      }
      ue++;
    }
    uriStart = i;
    uriEnd = ue;
    i = ue;
  }
  const uri = parseUriIn(s, uriStart, uriEnd, header);
  const params: Params = new Map();
  END = readParams(s, i, n, params, header, inList);
  return { displayName, uri, params };
}

/** {@link parseNameAddr} on `s[from, to)`. */
export function parseNameAddrAt(s: string, from: number, to: number, header: string): NameAddr {
  const na = readNameAddr(s, from, to, header, false);
  if (skipWs(s, END, to) !== to) fail('trailing characters after address', header);
  return na;
}

/**
 * One name-addr or addr-spec with header parameters (From, To, Refer-To, Referred-By, ...;
 * RFC 3261 §20.10, §25.1). Quoted display names are unescaped; token display names have their
 * LWS collapsed to one SP. Throws `SipParseError` (400).
 */
export function parseNameAddr(value: string, header: string): NameAddr {
  return parseNameAddrAt(value, 0, value.length, header);
}

/** {@link parseNameAddrList} on `s[from, to)`, appending to `out`. */
export function parseNameAddrListAt(s: string, from: number, to: number, header: string, out: NameAddr[]): NameAddr[] {
  let i = from;
  for (;;) {
    out.push(readNameAddr(s, i, to, header, true));
    i = skipWs(s, END, to);
    if (i >= to) return out;
    // Here s[i] is ","
    i++;
  }
}

/**
 * A comma-separated list of name-addr / addr-spec values (Route, Record-Route, Contact, ...).
 * Commas inside quotes and `<>` do not split. Throws `SipParseError` (400).
 */
export function parseNameAddrList(value: string, header: string): NameAddr[] {
  return parseNameAddrListAt(value, 0, value.length, header, []);
}

/** Whether `s[from, to)` is `*` with optional LWS around it. */
function isStar(s: string, from: number, to: number): boolean {
  const i = skipWs(s, from, to);
  return i < to && s.charCodeAt(i) === 0x2a && skipWs(s, i + 1, to) === to;
}

/**
 * One line of Contact in `s[from, to)` added to `acc` (the value of the lines before it, or
 * `undefined` for the first line); see {@link parseContact}.
 */
export function parseContactAt(s: string, from: number, to: number, header: string, acc: ContactValue | undefined, onlyLine: boolean): ContactValue {
  if (isStar(s, from, to)) {
    if (onlyLine) return { star: true };
    fail('"*" must be the only Contact value', header);
  }
  const out = acc === undefined || acc.star ? { star: false as const, contacts: [] as NameAddr[] } : acc;
  if (skipWs(s, from, to) >= to) return out;
  parseNameAddrListAt(s, from, to, header, out.contacts);
  return out;
}

/**
 * Contact (RFC 3261 §20.10): `*` (only alone, §10.2.2) or a list of addresses over every line.
 */
export function parseContact(lines: readonly string[], header: string): ContactValue {
  let acc: ContactValue | undefined;
  for (const line of lines) acc = parseContactAt(line, 0, line.length, header, acc, lines.length === 1);
  return acc ?? { star: false, contacts: [] };
}

// ---------------------------------------------------------------------------------------------
// Via

/** Reads `SWS ch SWS` at i, before `n`. */
function expectChar(s: string, i: number, n: number, ch: number, header: string, what: string): number {
  i = skipWs(s, i, n);
  if (i >= n || s.charCodeAt(i) !== ch) fail(`expected ${what}`, header);
  return skipWs(s, i + 1, n);
}

/** The transport token at `s[from, to)`, upper-cased (constants for the usual ones). */
function transportAt(s: string, from: number, to: number): string {
  const len = to - from;
  if (len === 3) {
    const a = s.charCodeAt(from) | 0x20;
    const b = s.charCodeAt(from + 1) | 0x20;
    const c = s.charCodeAt(from + 2) | 0x20;
    if (a === 0x75 && b === 0x64 && c === 0x70) return 'UDP';
    if (a === 0x74 && b === 0x63 && c === 0x70) return 'TCP';
    if (a === 0x74 && b === 0x6c && c === 0x73) return 'TLS';
  }
  return s.slice(from, to).toUpperCase();
}

/** Whether `s[i, n)` starts with `SIP/2.0/` (the usual sent-protocol, written without LWS). */
function isSip20(s: string, i: number, n: number): boolean {
  return (
    i + 8 <= n &&
    s.charCodeAt(i) === 0x53 &&
    s.charCodeAt(i + 1) === 0x49 &&
    s.charCodeAt(i + 2) === 0x50 &&
    s.charCodeAt(i + 3) === 0x2f &&
    s.charCodeAt(i + 4) === 0x32 &&
    s.charCodeAt(i + 5) === 0x2e &&
    s.charCodeAt(i + 6) === 0x30 &&
    s.charCodeAt(i + 7) === 0x2f
  );
}

/** {@link parseViaList} on `s[from, to)`, appending to `out`. */
export function parseViaListAt(s: string, from: number, to: number, header: string, out: Via[]): Via[] {
  let i = from;
  for (;;) {
    i = skipWs(s, i, to);
    let protocol: string;
    if (isSip20(s, i, to)) {
      protocol = 'SIP/2.0';
      i = skipWs(s, i + 8, to);
    } else {
      const name = readToken(s, i, to, header, 'protocol name');
      i = expectChar(s, END, to, 0x2f, header, '/');
      const version = readToken(s, i, to, header, 'protocol version');
      i = expectChar(s, END, to, 0x2f, header, '/');
      protocol = `${name.toUpperCase()}/${version}`;
    }
    const te = tokenEnd(s, i, to);
    if (te === i) fail('expected transport', header);
    const transport = transportAt(s, i, te);
    i = skipWs(s, te, to);
    if (i >= to) fail('missing sent-by', header);
    let he: number;
    try {
      he = hostEnd(s, i, to);
    } catch {
      return fail('invalid sent-by host', header);
    }
    const host = s.slice(i, he);
    i = skipWs(s, he, to);
    let port: number | undefined;
    if (i < to && s.charCodeAt(i) === 0x3a) {
      i = skipWs(s, i + 1, to);
      let pe = i;
      let c: number;
      while (pe < to && (c = s.charCodeAt(pe)) >= 48 && c <= 57) pe++;
      try {
        port = parsePort(s, i, pe);
      } catch {
        fail('invalid sent-by port', header);
      }
      i = pe;
    }
    const params: Params = new Map();
    i = readParams(s, i, to, params, header, true);
    // RFC 3581 §3: the rport parameter is empty in a request ("rport" with no value).
    if (params.get('rport') === '') params.set('rport', null);
    out.push({ protocol, transport, host, port, params });
    i = skipWs(s, i, to);
    if (i >= to) return out;
    i++; // the ","
  }
}

/**
 * A Via header line: comma-separated via-parms (RFC 3261 §20.42, §25.1): sent-protocol with LWS
 * around the slashes, sent-by (IPv6 references included), parameters. The transport is
 * upper-cased; `rport` without a value (RFC 3581 §3) is `null`. Throws `SipParseError` (400).
 */
export function parseViaList(value: string, header: string): Via[] {
  return parseViaListAt(value, 0, value.length, header, []);
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** {@link parseCallId} on `s[from, to)`. */
export function parseCallIdAt(s: string, from: number, to: number, header: string): string {
  from = skipWs(s, from, to);
  while (to > from && isWs(s.charCodeAt(to - 1))) to--;
  if (to === from) fail('empty Call-ID', header);
  const v = from === 0 && to === s.length ? s : s.slice(from, to);
  // The usual case in one native pass; the loop below names what is wrong otherwise.
  if (CALL_ID.test(v)) return v;
  let at = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x40) {
      if (at || i === from || i === to - 1) fail('invalid Call-ID', header);
      at = true;
    } else if (c >= 128 || (CLASS[c]! & F_WORD) === 0) {
      fail(`invalid character in Call-ID`, header);
    }
  }
  return v;
}

/** RFC 3261 §25.1: callid = word [ "@" word ]; word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}"). */
const CALL_ID = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;

/** Call-ID (RFC 3261 §20.8): `word [ "@" word ]`, compared case-sensitively. */
export function parseCallId(value: string, header: string): string {
  return parseCallIdAt(value, 0, value.length, header);
}

/** A decimal integer of 1*DIGIT in [0, max] in `s[from, to)` (LWS around it allowed), or fails. */
function parseDecimalAt(s: string, from: number, to: number, header: string, max: number, what: string): number {
  from = skipWs(s, from, to);
  while (to > from && isWs(s.charCodeAt(to - 1))) to--;
  if (to === from) fail(`empty ${what}`, header);
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) fail(`invalid ${what}`, header);
    n = n * 10 + c;
    if (n > max) fail(`${what} out of range`, header);
  }
  return n;
}

/** A decimal integer of 1*DIGIT in [0, max], or fails. */
function parseDecimal(s: string, header: string, max: number, what: string): number {
  return parseDecimalAt(s, 0, s.length, header, max, what);
}

const UINT32_MAX = 0xffff_ffff;

/** {@link parseCSeq} on `s[from, to)`. */
export function parseCSeqAt(s: string, from: number, to: number, header: string): CSeq {
  from = skipWs(s, from, to);
  while (to > from && isWs(s.charCodeAt(to - 1))) to--;
  let i = from;
  while (i < to && !isWs(s.charCodeAt(i))) i++;
  const seq = parseDecimalAt(s, from, i, header, UINT32_MAX, 'CSeq number');
  i = skipWs(s, i, to);
  if (i === to) fail('invalid CSeq method', header);
  for (let k = i; k < to; k++) if (!has(s.charCodeAt(k), F_TOKEN)) fail('invalid CSeq method', header);
  return { seq, method: s.slice(i, to) };
}

/**
 * CSeq (RFC 3261 §20.16): sequence number < 2**31 per §8.1.1.5 for what we send, and any 32-bit
 * unsigned value accepted (§25.1: 1*DIGIT; RFC 4475 §3.1.2.4: >2**32-1 is a 400).
 */
export function parseCSeq(value: string, header: string): CSeq {
  return parseCSeqAt(value, 0, value.length, header);
}

/** Max-Forwards (RFC 3261 §20.22): 0-255 (leading zeros allowed, RFC 4475 §3.1.1.1). */
export function parseMaxForwards(value: string, header: string): number {
  return parseDecimal(value, header, 255, 'Max-Forwards');
}

/** Content-Length (RFC 3261 §20.14): a non-negative decimal (RFC 4475 §3.1.2.3: negative is 400). */
export function parseContentLength(value: string, header: string): number {
  return parseDecimal(value, header, Number.MAX_SAFE_INTEGER, 'Content-Length');
}

/**
 * delta-seconds (Expires, Min-Expires; RFC 3261 §20.19: "between 0 and (2**32)-1"). An overlarge
 * value is a `SipParseError`: RFC 3261 defines no saturation for it, and RFC 4475 §3.1.2.4 says a
 * receiver "could treat them as if they contained the default values" — that choice belongs to
 * the layer applying the expiry, which catches the error.
 */
export function parseDeltaSeconds(value: string, header: string): number {
  return parseDecimal(value, header, UINT32_MAX, 'delta-seconds');
}

// ---------------------------------------------------------------------------------------------
// Media types

function readMediaType(s: string, i: number, header: string, inList: boolean): [MediaType, number] {
  i = skipWs(s, i, s.length);
  const type = readToken(s, i, s.length, header, 'media type');
  i = expectChar(s, END, s.length, 0x2f, header, '/');
  const subtype = readToken(s, i, s.length, header, 'media subtype');
  i = END;
  const params: Params = new Map();
  i = readParams(s, i, s.length, params, header, inList);
  return [{ type: type.toLowerCase(), subtype: subtype.toLowerCase(), params }, i];
}

/** Content-Type (RFC 3261 §20.15): `type/subtype *(;param)`, type and subtype lower-cased. */
export function parseMediaType(value: string, header: string): MediaType {
  const [m, end] = readMediaType(value, 0, header, false);
  if (skipWs(value, end, value.length) !== value.length) fail('trailing characters after media type', header);
  return m;
}

/**
 * Accept (RFC 3261 §20.1): comma-separated media ranges (`*\/*`, `application/*`). An empty value
 * is an empty list (no body acceptable).
 */
export function parseMediaTypeList(value: string, header: string): MediaType[] {
  const out: MediaType[] = [];
  let i = skipWs(value, 0, value.length);
  while (i < value.length) {
    if (value.charCodeAt(i) === 0x2c) {
      i = skipWs(value, i + 1, value.length);
      continue;
    }
    const [m, end] = readMediaType(value, i, header, true);
    out.push(m);
    i = skipWs(value, end, value.length);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Authentication

/**
 * A challenge or credentials (RFC 3261 §20.7, §20.27, §20.28, §20.44, §25.1; RFC 7616):
 * `scheme` then comma-separated auth-params with quoted values unquoted. Unknown schemes are kept
 * (RFC 4475 §3.3.7); a param without `=` (token68 style) is kept with an empty value.
 */
export function parseAuth(value: string, header: string): AuthValue {
  let i = skipWs(value, 0, value.length);
  const scheme = readToken(value, i, value.length, header, 'auth scheme');
  i = END;
  const params = new Map<string, string>();
  for (;;) {
    i = skipWs(value, i, value.length);
    if (i >= value.length) break;
    if (value.charCodeAt(i) === 0x2c) {
      i++;
      continue;
    }
    const ne = tokenEnd(value, i, value.length);
    if (ne === i) {
      // token68 (e.g. Basic credentials): keep it as a value-less parameter.
      let e = i;
      while (e < value.length && value.charCodeAt(e) !== 0x2c && !isWs(value.charCodeAt(e))) e++;
      params.set(value.slice(i, e), '');
      i = e;
      continue;
    }
    const name = value.slice(i, ne).toLowerCase();
    i = skipWs(value, ne, value.length);
    if (i < value.length && value.charCodeAt(i) === 0x3d) {
      i = skipWs(value, i + 1, value.length);
      if (i < value.length && value.charCodeAt(i) === DQUOTE) {
        const v = readQuoted(value, i, value.length, header);
        i = END;
        params.set(name, v);
      } else {
        let e = i;
        while (e < value.length && value.charCodeAt(e) !== 0x2c && !isWs(value.charCodeAt(e))) e++;
        params.set(name, value.slice(i, e));
        i = e;
      }
    } else {
      params.set(name, '');
    }
    i = skipWs(value, i, value.length);
    if (i < value.length && value.charCodeAt(i) !== 0x2c) fail('expected "," between auth-params', header);
  }
  return { scheme, params };
}

// ---------------------------------------------------------------------------------------------
// Events, tokens, RFC 3891/4488/3326 values

/** A token followed by header parameters, nothing else. */
function tokenWithParams(value: string, header: string, what: string): [string, Params] {
  const token = readToken(value, 0, value.length, header, what);
  const params: Params = new Map();
  readParams(value, END, value.length, params, header, false);
  return [token, params];
}

/** Event (RFC 6665 §8.2.1): package (lower-cased) with parameters (`id`). */
export function parseEvent(value: string, header: string): EventValue {
  const [event, params] = tokenWithParams(value, header, 'event package');
  return { event: event.toLowerCase(), params };
}

/**
 * A comma-separated list of tokens (Require, Supported, Allow, Allow-Events, ...); empty
 * elements are skipped (RFC 3261 §7.3.1 list syntax); an element that is not a token is a 400.
 */
export function parseTokenList(value: string, header: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= value.length) {
    let e = value.indexOf(',', i);
    if (e < 0) e = value.length;
    const t = value.slice(i, e).trim();
    if (t.length) {
      if (!isTokenString(t)) fail(`"${t}" is not a token`, header);
      out.push(t);
    }
    i = e + 1;
  }
  return out;
}

/** Subscription-State (RFC 6665 §8.2.3): state (lower-cased) and `expires`, `reason`, ... */
export function parseSubscriptionState(value: string, header: string): SubscriptionStateValue {
  try {
    const [state, params] = tokenWithParams(value, header, 'substate-value');
    return { state: state.toLowerCase(), params };
  } catch (e) {
    // DEVIATION(RFC 6665 §8.2.3): a parameter value that is not a token (linphone 5.1 sends
    // `terminated;reason=reason=noresource`) is read leniently, splitting each parameter at its
    // first "=": losing the NOTIFY that ends a subscription would leave it hanging.
    const parts = value.split(';').map((p) => p.trim());
    const state = parts.shift() ?? '';
    if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(state)) throw e;
    const params: Params = new Map();
    for (const p of parts) {
      if (!p) continue;
      const eq = p.indexOf('=');
      const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name)) throw e;
      params.set(name, eq < 0 ? null : p.slice(eq + 1).trim());
    }
    return { state: state.toLowerCase(), params };
  }
}

/** Refer-Sub (RFC 4488 §7.2): `true` or `false`, case-insensitive, parameters ignored. */
export function parseReferSub(value: string, header: string): boolean {
  const [v] = tokenWithParams(value, header, 'Refer-Sub value');
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return fail('Refer-Sub must be true or false', header);
}

/**
 * Replaces (RFC 3891 §6.1): `callid *(SEMI replaces-param)`; `to-tag` and `from-tag` are
 * required, `early-only` is a flag. Other parameters are kept in `params`.
 */
export function parseReplaces(value: string, header: string): ReplacesValue {
  let i = skipWs(value, 0, value.length);
  let e = i;
  while (e < value.length && value.charCodeAt(e) !== 0x3b && !isWs(value.charCodeAt(e))) e++;
  const callId = parseCallId(value.slice(i, e), header);
  i = e;
  const params: Params = new Map();
  readParams(value, i, value.length, params, header, false);
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (typeof toTag !== 'string' || typeof fromTag !== 'string' || !toTag || !fromTag) {
    fail('Replaces needs to-tag and from-tag', header);
  }
  const earlyOnly = params.has('early-only');
  params.delete('to-tag');
  params.delete('from-tag');
  params.delete('early-only');
  return { callId, toTag, fromTag, earlyOnly, params };
}

/**
 * The Replaces carried escaped in the headers of a Refer-To URI (RFC 3891 §7:
 * `<sip:bob@example.com?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>`), or `undefined` when the
 * URI has none. Throws `SipParseError` when it is present but malformed.
 */
export function parseReferToReplaces(uri: Uri): ReplacesValue | undefined {
  if (uri.kind !== 'sip') return undefined;
  for (const [k, v] of uri.headers) {
    if (k.toLowerCase() === 'replaces' || unescapeUri(k).toLowerCase() === 'replaces') {
      return parseReplaces(unescapeUri(v), 'Replaces');
    }
  }
  return undefined;
}

/** Call-Info / Alert-Info (RFC 3261 §20.9, §20.4): comma-separated `<uri> *(;param)`. */
export function parseInfoList(value: string, header: string): InfoValue[] {
  const out: InfoValue[] = [];
  let i = skipWs(value, 0, value.length);
  while (i < value.length) {
    if (value.charCodeAt(i) === 0x2c) {
      i = skipWs(value, i + 1, value.length);
      continue;
    }
    if (value.charCodeAt(i) !== 0x3c) fail('expected <', header);
    const close = value.indexOf('>', i);
    if (close < 0) fail('missing >', header);
    const uri = value.slice(i + 1, close);
    if (uri.length === 0 || /[\s<"]/.test(uri)) fail('invalid URI', header);
    const params: Params = new Map();
    i = readParams(value, close + 1, value.length, params, header, true);
    out.push({ uri, params });
    i = skipWs(value, i, value.length);
  }
  return out;
}

/** Reason (RFC 3326 §2): comma-separated `protocol *(;reason-params)` (`SIP;cause=200;text="..."`). */
export function parseReasonList(value: string, header: string): ReasonValue[] {
  const out: ReasonValue[] = [];
  let i = skipWs(value, 0, value.length);
  while (i < value.length) {
    if (value.charCodeAt(i) === 0x2c) {
      i = skipWs(value, i + 1, value.length);
      continue;
    }
    const protocol = readToken(value, i, value.length, header, 'protocol');
    i = END;
    const params: Params = new Map();
    i = readParams(value, i, value.length, params, header, true);
    out.push({ protocol, params });
    i = skipWs(value, i, value.length);
  }
  return out;
}

/** Retry-After (RFC 3261 §20.33): `delta-seconds [ comment ] *( SEMI retry-param )`. */
export function parseRetryAfter(value: string, header: string): RetryAfterValue {
  let i = skipWs(value, 0, value.length);
  let e = i;
  while (e < value.length && value.charCodeAt(e) >= 48 && value.charCodeAt(e) <= 57) e++;
  const seconds = parseDeltaSeconds(value.slice(i, e), header);
  i = skipWs(value, e, value.length);
  let comment: string | undefined;
  if (i < value.length && value.charCodeAt(i) === 0x28 /* ( */) {
    // RFC 3261 §25.1: comment = LPAREN *(ctext / quoted-pair / comment) RPAREN
    let depth = 0;
    let j = i;
    for (; j < value.length; j++) {
      const c = value.charCodeAt(j);
      if (c === BACKSLASH) j++;
      else if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) break;
    }
    if (j >= value.length) fail('unterminated comment', header);
    comment = value.slice(i + 1, j).trim();
    i = j + 1;
  }
  const params: Params = new Map();
  readParams(value, i, value.length, params, header, false);
  return { seconds, comment, params };
}
