/**
 * The typed headers the stack interprets, each a {@link HeaderCodec}: `msg.get(H.Via)`,
 * `msg.set(H.CSeq, { seq: 1, method: 'INVITE' })`. Parsing lives in `parse-values.ts`,
 * serializing in `format.ts`.
 */
import type { HeaderCodec } from './headers';
import { SipParseError } from './errors';
import { headerKey } from './header-names';
import { formatAuth, formatCSeq, formatMediaType, formatNameAddr, formatParams, formatVia } from './format';
import * as P from './parse-values';
import type {
  AuthValue,
  ContactValue,
  CSeq,
  EventValue,
  InfoValue,
  MediaType,
  NameAddr,
  ReasonValue,
  ReplacesValue,
  RetryAfterValue,
  SubscriptionStateValue,
  Via,
} from './types';

/**
 * A codec of this module also reads a line in place (`s[from, to)`, inside the text of the
 * header section) and adds it to the value of the lines before it: `SipMessageBase.get` uses that
 * to parse without copying each value out. Not part of {@link HeaderCodec}: codecs written
 * elsewhere go through `parse`.
 */
type ParseAt<T> = (s: string, from: number, to: number, acc: T | undefined, count: number) => T;

function codec<T>(name: string, parse: (lines: readonly string[]) => T, format: (v: T) => string[], parseAt: ParseAt<T>): HeaderCodec<T> {
  return Object.freeze({ name, parse, format, key: headerKey(name), parseAt });
}

const part = (s: string, from: number, to: number): string => (from === 0 && to === s.length ? s : s.slice(from, to));

/** The error of a header that must appear once and does not (RFC 4475 §3.3.8: a 400). */
const notOnce = (name: string): never => {
  throw new SipParseError(`${name} must appear exactly once`, { header: name, status: 400 });
};

const single = <T>(
  name: string,
  parse: (value: string, header: string) => T,
  format: (v: T) => string,
  parseAt: (s: string, from: number, to: number, header: string) => T = (s, from, to, header) => parse(part(s, from, to), header),
): HeaderCodec<T> =>
  codec(
    name,
    (lines) => parse(P.singleValue(lines, name), name),
    (v) => [format(v)],
    (s, from, to, _acc, count) => (count === 1 ? parseAt(s, from, to, name) : notOnce(name)),
  );

const list = <T>(
  name: string,
  parse: (value: string, header: string) => T[],
  format: (v: T) => string,
  parseAt: (s: string, from: number, to: number, header: string, out: T[]) => T[] = (s, from, to, header, out) => {
    for (const v of parse(part(s, from, to), header)) out.push(v);
    return out;
  },
): HeaderCodec<T[]> =>
  codec(
    name,
    (lines) => {
      if (lines.length === 1) return parse(lines[0]!, name);
      const out: T[] = [];
      for (const l of lines) for (const v of parse(l, name)) out.push(v);
      return out;
    },
    (v) => (v.length ? [v.map(format).join(', ')] : []),
    (s, from, to, acc) => parseAt(s, from, to, name, acc ?? []),
  );

const nameAddrList = (name: string): HeaderCodec<NameAddr[]> => list(name, P.parseNameAddrList, formatNameAddr, P.parseNameAddrListAt);
const tokenList = (name: string): HeaderCodec<string[]> => list(name, P.parseTokenList, (t) => t);
const authList = (name: string): HeaderCodec<AuthValue[]> =>
  // Challenges and credentials are one per line: their params are comma-separated too.
  codec(
    name,
    (lines) => lines.map((l) => P.parseAuth(l, name)),
    (v) => v.map(formatAuth),
    (s, from, to, acc) => {
      const out = acc ?? [];
      out.push(P.parseAuth(part(s, from, to), name));
      return out;
    },
  );

/** Typed header codecs, by header. */
export const H = {
  /** RFC 3261 §20.42 */
  Via: list<Via>('Via', P.parseViaList, formatVia, P.parseViaListAt),
  /** RFC 3261 §20.20 */
  From: single<NameAddr>('From', P.parseNameAddr, formatNameAddr, P.parseNameAddrAt),
  /** RFC 3261 §20.39 */
  To: single<NameAddr>('To', P.parseNameAddr, formatNameAddr, P.parseNameAddrAt),
  /** RFC 3261 §20.8 */
  CallId: single<string>('Call-ID', P.parseCallId, (v) => v, P.parseCallIdAt),
  /** RFC 3261 §20.16 */
  CSeq: single<CSeq>('CSeq', P.parseCSeq, formatCSeq, P.parseCSeqAt),
  /** RFC 3261 §20.10 */
  Contact: codec<ContactValue>(
    'Contact',
    (lines) => P.parseContact(lines, 'Contact'),
    (v) => (v.star ? ['*'] : v.contacts.length ? [v.contacts.map(formatNameAddr).join(', ')] : []),
    (s, from, to, acc, count) => P.parseContactAt(s, from, to, 'Contact', acc, count === 1),
  ),
  /** RFC 3261 §20.34 */
  Route: nameAddrList('Route'),
  /** RFC 3261 §20.30 */
  RecordRoute: nameAddrList('Record-Route'),
  /** RFC 3327 */
  Path: nameAddrList('Path'),
  /** RFC 3608 */
  ServiceRoute: nameAddrList('Service-Route'),
  /** RFC 3261 §20.22 */
  MaxForwards: single<number>('Max-Forwards', P.parseMaxForwards, String),
  /** RFC 3261 §20.14 */
  ContentLength: single<number>('Content-Length', P.parseContentLength, String),
  /** RFC 3261 §20.15 */
  ContentType: single<MediaType>('Content-Type', P.parseMediaType, formatMediaType),
  /** RFC 3261 §20.19 */
  Expires: single<number>('Expires', P.parseDeltaSeconds, String),
  /** RFC 3261 §20.23 */
  MinExpires: single<number>('Min-Expires', P.parseDeltaSeconds, String),
  /** RFC 3261 §20.44 */
  WWWAuthenticate: authList('WWW-Authenticate'),
  /** RFC 3261 §20.27 */
  ProxyAuthenticate: authList('Proxy-Authenticate'),
  /** RFC 3261 §20.7 */
  Authorization: authList('Authorization'),
  /** RFC 3261 §20.28 */
  ProxyAuthorization: authList('Proxy-Authorization'),
  /** RFC 6665 §8.2.1 */
  Event: single<EventValue>('Event', P.parseEvent, (e) => `${e.event}${formatParams(e.params)}`),
  /** RFC 6665 §8.2.2 */
  AllowEvents: tokenList('Allow-Events'),
  /** RFC 6665 §8.2.3 */
  SubscriptionState: single<SubscriptionStateValue>('Subscription-State', P.parseSubscriptionState, (s) => `${s.state}${formatParams(s.params)}`),
  /** RFC 3515 §2.1; a Replaces inside the URI headers is read with `parseReplaces`. */
  ReferTo: single<NameAddr>('Refer-To', P.parseNameAddr, formatNameAddr),
  /** RFC 3892 */
  ReferredBy: single<NameAddr>('Referred-By', P.parseNameAddr, formatNameAddr),
  /** RFC 4488 */
  ReferSub: single<boolean>('Refer-Sub', P.parseReferSub, (b) => (b ? 'true' : 'false')),
  /** RFC 3891 §6.1 */
  Replaces: single<ReplacesValue>('Replaces', P.parseReplaces, (r) => {
    const params = new Map(r.params);
    params.set('to-tag', r.toTag);
    params.set('from-tag', r.fromTag);
    if (r.earlyOnly) params.set('early-only', null);
    return `${r.callId}${formatParams(params)}`;
  }),
  /** RFC 3261 §20.9 */
  CallInfo: list<InfoValue>('Call-Info', P.parseInfoList, (i) => `<${i.uri}>${formatParams(i.params)}`),
  /** RFC 3261 §20.4 */
  AlertInfo: list<InfoValue>('Alert-Info', P.parseInfoList, (i) => `<${i.uri}>${formatParams(i.params)}`),
  /** RFC 3261 §20.32 */
  Require: tokenList('Require'),
  /** RFC 3261 §20.29 */
  ProxyRequire: tokenList('Proxy-Require'),
  /** RFC 3261 §20.37 */
  Supported: tokenList('Supported'),
  /** RFC 3261 §20.40 */
  Unsupported: tokenList('Unsupported'),
  /** RFC 3261 §20.5 */
  Allow: tokenList('Allow'),
  /** RFC 3261 §20.1 */
  Accept: list<MediaType>('Accept', P.parseMediaTypeList, formatMediaType),
  /** RFC 3326 */
  Reason: list<ReasonValue>('Reason', P.parseReasonList, (r) => `${r.protocol}${formatParams(r.params)}`),
  /** RFC 3261 §20.33 */
  RetryAfter: single<RetryAfterValue>('Retry-After', P.parseRetryAfter, (r) => `${r.seconds}${r.comment !== undefined ? ` (${r.comment})` : ''}${formatParams(r.params)}`),
} as const;
