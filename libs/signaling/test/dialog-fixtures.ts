/**
 * Message builders for the dialog-layer tests. Messages are built with typed values
 * (`msg.set(H.X, ...)`), which read back without the parser.
 */
import { H, SipRequest, SipResponse, REASON_PHRASES, type NameAddr, type SipUri } from '../src/message/index';

/** A sip: URI. */
export function sip(user: string | undefined, host: string, params: Record<string, string | null> = {}, port?: number): SipUri {
  return { kind: 'sip', scheme: 'sip', user, host, port, params: new Map(Object.entries(params)), headers: new Map() };
}

/** A name-addr with an optional tag. */
export function addr(uri: SipUri, tag?: string, displayName?: string): NameAddr {
  const params = new Map<string, string | null>();
  if (tag !== undefined) params.set('tag', tag);
  return { displayName, uri, params };
}

export const ALICE = sip('alice', 'atlanta.example.com');
export const BOB = sip('bob', 'biloxi.example.com');
export const ALICE_CONTACT = addr(sip('alice', '192.0.2.101', {}, 5060));
export const BOB_CONTACT = addr(sip('bob', '192.0.2.4', {}, 5060));

/** An out-of-dialog request from Alice to Bob. */
export function request(
  method: string,
  opts: { callId?: string; fromTag?: string; toTag?: string; cseq?: number; contact?: NameAddr | null; recordRoute?: NameAddr[]; uri?: SipUri } = {},
): SipRequest {
  const req = new SipRequest(method, opts.uri ?? BOB);
  req.set(H.To, addr(BOB, opts.toTag, 'Bob'));
  req.set(H.From, addr(ALICE, opts.fromTag ?? 'alicetag', 'Alice'));
  req.set(H.CallId, opts.callId ?? 'call-1@atlanta');
  req.set(H.CSeq, { seq: opts.cseq ?? 314159, method });
  req.set(H.MaxForwards, 70);
  if (opts.contact !== null) req.set(H.Contact, { star: false, contacts: [opts.contact ?? ALICE_CONTACT] });
  if (opts.recordRoute) req.set(H.RecordRoute, opts.recordRoute);
  return req;
}

/** A response to `req` with From/To/Call-ID/CSeq copied as typed values, To tag added. */
export function responseTo(
  req: SipRequest,
  status: number,
  opts: { toTag?: string; contact?: NameAddr | null; recordRoute?: NameAddr[]; headers?: Record<string, string> } = {},
): SipResponse {
  const res = new SipResponse(status, REASON_PHRASES[status] ?? 'Unknown');
  res.set(H.From, req.from);
  const to = req.to;
  const params = new Map(to.params);
  if (opts.toTag !== undefined) params.set('tag', opts.toTag);
  res.set(H.To, { ...to, params });
  res.set(H.CallId, req.callId);
  res.set(H.CSeq, { ...req.cseq });
  if (opts.recordRoute) res.set(H.RecordRoute, opts.recordRoute);
  if (opts.contact !== null && opts.contact !== undefined) res.set(H.Contact, { star: false, contacts: [opts.contact] });
  for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v);
  return res;
}

/** A request from Bob to Alice inside the dialog `callId`/`aliceTag`/`bobTag` (Bob's side sends). */
export function fromBob(
  method: string,
  cseq: number,
  opts: { callId?: string; aliceTag?: string; bobTag?: string; contact?: NameAddr | null } = {},
): SipRequest {
  const req = new SipRequest(method, ALICE_CONTACT.uri);
  req.set(H.To, addr(ALICE, opts.aliceTag ?? 'alicetag'));
  req.set(H.From, addr(BOB, opts.bobTag ?? 'bobtag'));
  req.set(H.CallId, opts.callId ?? 'call-1@atlanta');
  req.set(H.CSeq, { seq: cseq, method });
  if (opts.contact !== null && opts.contact !== undefined) req.set(H.Contact, { star: false, contacts: [opts.contact] });
  return req;
}

/** The URI of a name-addr as text, for compact assertions. */
export function uriText(u: { uri: SipUri | NameAddr['uri'] } | NameAddr['uri']): string {
  const uri = 'kind' in u ? u : u.uri;
  if (uri.kind !== 'sip') return uri.kind;
  const params = [...uri.params].map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
  return `${uri.scheme}:${uri.user ? `${uri.user}@` : ''}${uri.host}${uri.port !== undefined ? `:${uri.port}` : ''}${params}`;
}
