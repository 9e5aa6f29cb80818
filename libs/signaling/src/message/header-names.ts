/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the registries of later RFCs) and the
 * canonical spelling used when serializing. Header names compare case-insensitively (§7.3.1).
 */

/** Compact form -> lower-cased full name. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
});

const CANONICAL: Record<string, string> = {};
for (const name of [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info',
  'Event', 'Expires', 'From', 'Identity', 'Identity-Info', 'In-Reply-To', 'Max-Forwards', 'MIME-Version',
  'Min-Expires', 'Min-SE', 'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Priority',
  'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route',
  'Refer-Sub', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition',
  'Require', 'Retry-After', 'Route', 'RSeq', 'Server', 'Service-Route', 'Session-Expires', 'SIP-ETag',
  'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported', 'Target-Dialog', 'Timestamp', 'To',
  'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate', 'Answer-Mode', 'Priv-Answer-Mode',
]) {
  CANONICAL[name.toLowerCase()] = name;
}

const KEY_CACHE = new Map<string, string>();

/**
 * The same string, internalized (the engine keeps one copy of each property name): header keys
 * are internalized so that lookups by key, which compare many keys with `===`, compare by
 * identity instead of by content.
 */
export function internString(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** The lower-cased full name of a header name as written (compact forms expanded). */
export function headerKey(name: string): string {
  const hit = KEY_CACHE.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const key = internString(lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower);
  // Bounded: names come from code and from peers.
  if (KEY_CACHE.size < 1024) KEY_CACHE.set(name, key);
  return key;
}

/** The spelling used when serializing: the registered form for known headers, else as written. */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  return CANONICAL[key] ?? (name.length === 1 ? key : name);
}
