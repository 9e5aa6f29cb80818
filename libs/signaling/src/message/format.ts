/**
 * Serializing typed values back to header text (RFC 3261 §25 grammar). The output is the
 * canonical form: it need not match the input byte for byte, but it parses to the same meaning.
 */
import type { AuthValue, CSeq, MediaType, NameAddr, Params, SipUri, TelUri, Uri, Via } from './types';

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Whether `s` is a `token` (RFC 3261 §25.1) and so needs no quotes. */
export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/**
 * `s` as a quoted-string (RFC 3261 §25.1): `"`, `\` and control characters other than HTAB
 * are written as quoted-pairs; CR and LF, which no quoted-pair can carry, become SP (so a value
 * can never break the header line).
 */
export function quote(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/[\r\n]/g, ' ').replace(/["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => `\\${c}`)}"`;
}

/** `;name=value;flag` for header or URI parameters (names as stored). */
export function formatParams(params: Params | undefined): string {
  if (!params || params.size === 0) return '';
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

function formatSipUri(u: SipUri): string {
  let s = `${u.scheme}:`;
  if (u.user !== undefined) {
    s += u.user;
    if (u.password !== undefined) s += `:${u.password}`;
    s += '@';
  }
  s += u.host;
  if (u.port !== undefined) s += `:${u.port}`;
  s += formatParams(u.params);
  if (u.headers.size) {
    const hs: string[] = [];
    for (const [k, v] of u.headers) hs.push(`${k}=${v}`);
    s += `?${hs.join('&')}`;
  }
  return s;
}

function formatTelUri(u: TelUri): string {
  return `tel:${u.number}${formatParams(u.params)}`;
}

/** A URI as text. */
export function formatUri(u: Uri): string {
  switch (u.kind) {
    case 'sip':
      return formatSipUri(u);
    case 'tel':
      return formatTelUri(u);
    case 'absolute':
      return `${u.scheme}:${u.value}`;
  }
}

/**
 * A name-addr. Angle brackets are always written (RFC 3261 §20.10: required when the URI has
 * parameters or headers, and harmless otherwise).
 */
export function formatNameAddr(na: NameAddr): string {
  let s = '';
  if (na.displayName !== undefined && na.displayName !== '') {
    s += isDisplayToken(na.displayName) ? `${na.displayName} ` : `${quote(na.displayName)} `;
  }
  s += `<${formatUri(na.uri)}>`;
  return s + formatParams(na.params);
}

function isDisplayToken(s: string): boolean {
  // *(token LWS): write bare only if every word is a token.
  return s.split(' ').every((w) => w !== '' && isToken(w));
}

/** One Via value. */
export function formatVia(v: Via): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

/** CSeq value. */
export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}

/** A media type with parameters. */
export function formatMediaType(m: MediaType): string {
  return `${m.type}/${m.subtype}${formatParams(m.params)}`;
}

/**
 * A challenge or credentials. Values that RFC 3261 §25.1 / RFC 7616 define as tokens
 * (algorithm, qop in credentials, nc, stale) stay bare; the rest are quoted.
 */
export function formatAuth(a: AuthValue): string {
  const BARE = new Set(['algorithm', 'nc', 'stale']);
  const parts: string[] = [];
  for (const [k, v] of a.params) {
    const bare = BARE.has(k) || (k === 'qop' && !v.includes(',') && a.params.has('nc'));
    parts.push(`${k}=${bare && isToken(v) ? v : quote(v)}`);
  }
  return parts.length ? `${a.scheme} ${parts.join(', ')}` : a.scheme;
}
