import { ErrorCode, SdkError } from '@sip-endpoint/base';

/** Why digest authentication could not go on. */
export type AuthenticationFailure =
  /** The server challenged the retried request again without `stale=true`: wrong credentials. */
  | 'rejected'
  /** No credentials for any realm challenged. */
  | 'no-credentials'
  /** Only algorithms, qop values or schemes this stack cannot answer were offered. */
  | 'unsupported'
  /** The response is not a usable 401/407 challenge. */
  | 'not-a-challenge';

/**
 * Digest authentication failed or could not be attempted. The message names the realm, never
 * the user name or any secret.
 */
export class AuthenticationError extends SdkError {
  constructor(
    message: string,
    /** The failure kind and the realm(s) concerned. */
    readonly details: { readonly reason: AuthenticationFailure; readonly realms: readonly string[] },
  ) {
    super(ErrorCode.Authentication, message);
  }
}
