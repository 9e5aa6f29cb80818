/**
 * Sending a request and answering digest challenges (RFC 3261 §22.2, §22.3): a 401/407 is
 * answered once per challenge with credentials; a second rejection without `stale=true` ends it.
 */
import { H, type SipRequest, type SipResponse, type Uri } from '../message/index';
import type { DigestAuthorization } from '../auth/index';
import type { OutgoingRequestHandlers, SipStack } from './stack';

/**
 * Adds credentials to a request that was challenged; `ok` is false when it cannot (no
 * credentials for the realm, or the same credentials were already rejected). The auth layer's
 * `DigestClient` is one.
 */
export interface RequestAuthenticator {
  answerChallenge(request: SipRequest, challenge: SipResponse): { readonly ok: boolean };
  /**
   * Credentials for a new request from challenges answered before (RFC 3261 §22.3), put on
   * `request`; optional.
   */
  authorizeFromCache?(request: SipRequest): DigestAuthorization;
  /** Puts credentials from {@link RequestAuthenticator.authorizeFromCache} on a request; optional. */
  applyTo?(request: SipRequest, auth: DigestAuthorization): SipRequest;
}

/** Options of {@link sendWithAuth}. */
export interface SendWithAuthOptions extends OutgoingRequestHandlers {
  authenticator?: RequestAuthenticator | undefined;
  outboundProxy?: Uri | undefined;
  /** Next CSeq number for the retried request (RFC 3261 §22.2: the retry has a new CSeq). */
  nextCSeq: () => number;
  /**
   * Send the credentials of the last answered challenge right away (RFC 3261 §22.3), as a
   * registration refresh does; a stale nonce then costs one more challenge.
   */
  preemptive?: boolean;
  /** Called with each request as it is sent (the retry is a new request). */
  onRequest?: (request: SipRequest, cancel: () => void) => void;
}

/** Sends `request`, answering up to a few challenges; resolves with the final response. */
export async function sendWithAuth(stack: SipStack, request: SipRequest, o: SendWithAuthOptions): Promise<SipResponse> {
  let req = request;
  const auth = o.authenticator;
  if (o.preemptive && auth?.authorizeFromCache && auth.applyTo) {
    const cached = auth.authorizeFromCache(req);
    if (cached.authorization.length || cached.proxyAuthorization.length) auth.applyTo(req, cached);
  }
  for (let attempt = 0; attempt < 4; attempt++) {
    const out = stack.sendRequest(req, { onProvisional: o.onProvisional, onSuccess: o.onSuccess }, { outboundProxy: o.outboundProxy });
    o.onRequest?.(out.request, () => out.cancel());
    const response = await out.final;
    if ((response.status !== 401 && response.status !== 407) || !o.authenticator) return response;
    const retry = req.clone();
    retry.headers.delete('Via');
    retry.set(H.CSeq, { seq: o.nextCSeq(), method: req.method });
    if (!o.authenticator.answerChallenge(retry, response).ok) return response;
    req = retry;
  }
  return stack.sendRequest(req, {}, { outboundProxy: o.outboundProxy }).final;
}
