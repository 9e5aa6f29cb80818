/**
 * Small helpers of the dialog layer: copies of URIs and addresses (message values are mutable
 * maps, so a dialog never shares them with a message it built or consumed), tags, Contact.
 */
import { H, type NameAddr, type SipMessage, type Uri } from '../message/index';

/** A deep copy of a URI. */
export function cloneUri(u: Uri): Uri {
  switch (u.kind) {
    case 'sip':
      return { ...u, params: new Map(u.params), headers: new Map(u.headers) };
    case 'tel':
      return { ...u, params: new Map(u.params) };
    case 'absolute':
      return { ...u };
  }
}

/** A deep copy of a name-addr. */
export function cloneNameAddr(na: NameAddr): NameAddr {
  return { displayName: na.displayName, uri: cloneUri(na.uri), params: new Map(na.params) };
}

/** The `tag` parameter of a From/To value, or `undefined` when absent or empty. */
export function tagOf(na: NameAddr | undefined): string | undefined {
  const t = na?.params.get('tag');
  return t === null || t === undefined || t === '' ? undefined : t;
}

/** `na` without a tag, then with `tag` when given (RFC 3261 §19.3). */
export function withTag(na: NameAddr, tag: string | undefined): NameAddr {
  const copy = cloneNameAddr(na);
  copy.params.delete('tag');
  if (tag !== undefined && tag !== '') copy.params.set('tag', tag);
  return copy;
}

/** The URI of the first Contact of `msg`, or `undefined` (absent, or `*`). */
export function contactUri(msg: SipMessage): Uri | undefined {
  const c = msg.get(H.Contact);
  if (!c || c.star) return undefined;
  const first = c.contacts[0];
  return first ? cloneUri(first.uri) : undefined;
}

/** Whether `uri` is a SIP/SIPS URI carrying the loose-routing flag `lr` (RFC 3261 §19.1.1). */
export function isLooseRoute(uri: Uri): boolean {
  return uri.kind === 'sip' && uri.params.has('lr');
}

/**
 * `uri` reduced to what may appear in a Request-URI.
 * RFC 3261 §19.1.1 (Table 1): the `method` parameter and URI headers are not allowed in a
 * Request-URI; every other component is.
 */
export function toRequestUri(uri: Uri): Uri {
  const u = cloneUri(uri);
  if (u.kind === 'sip') {
    u.params.delete('method');
    u.headers.clear();
  }
  return u;
}

/** Extra header lines callers may add: name to one value or several lines. */
export type ExtraHeaders = Readonly<Record<string, string | readonly string[]>>;

/** Sets `headers` on `msg` as raw lines (each replaces any earlier line of the same name). */
export function applyExtraHeaders(msg: SipMessage, headers: ExtraHeaders | undefined): void {
  if (!headers) return;
  for (const [name, value] of Object.entries(headers)) msg.setHeader(name, value);
}
