/** The auth layer: SIP digest authentication (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760). */
export {
  type DigestAlgorithm,
  type DigestHash,
  type DigestQop,
  type DigestSecret,
  type DigestInput,
  DIGEST_ALGORITHMS,
  parseDigestAlgorithm,
  digestHashOf,
  digestStrength,
  isSessionAlgorithm,
  digestHash,
  digestHa1,
  computeDigestResponse,
  formatNonceCount,
} from './digest';
export { DigestCredentials, type DigestCredentialsInit, computeHa1 } from './credentials';
export { AuthenticationError, type AuthenticationFailure } from './errors';
export { DigestClient, type DigestClientOptions, type DigestAuthorization, type DigestAuthorizationResult } from './client';
export {
  createDigestChallenge,
  verifyDigest,
  type DigestChallengeOptions,
  type DigestCredentialsLookup,
  type NonceState,
  type VerifyDigestOptions,
  type DigestRejection,
  type DigestVerification,
} from './server';
