/** RFC 4568 SDES keys: the suites we know and a helper that makes a fresh `inline:` key. */
import { ErrorCode, SdkError } from '@sip-endpoint/base';
import type { SdesCrypto } from './types';

/**
 * Master key + master salt length in bytes of each SDES suite this layer can create keys for:
 * RFC 4568 §6.2 (AES_CM_128_*, F8_128_*: 16 + 14), RFC 6188 §7.1 (AES_192_CM_*: 24 + 14,
 * AES_256_CM_*: 32 + 14), RFC 7714 §12 (AEAD_AES_128_GCM: 16 + 12, AEAD_AES_256_GCM: 32 + 12).
 */
export const SDES_KEY_LENGTHS: Readonly<Record<string, number>> = {
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
  F8_128_HMAC_SHA1_80: 30,
  AES_192_CM_HMAC_SHA1_80: 38,
  AES_192_CM_HMAC_SHA1_32: 38,
  AES_256_CM_HMAC_SHA1_80: 46,
  AES_256_CM_HMAC_SHA1_32: 46,
  AEAD_AES_128_GCM: 28,
  AEAD_AES_256_GCM: 44,
};

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * Creates our SDES entry for `suite` with a fresh random master key and salt, as
 * `inline:<base64>` (RFC 4568 §6.1 key-params, no lifetime, no MKI).
 * Throws `SdkError` ({@link ErrorCode.InvalidArgument}) for a suite not in {@link SDES_KEY_LENGTHS}.
 *
 * @param random fills a buffer with random bytes; the Web Crypto `getRandomValues` when absent
 */
export function createSdesCrypto(suite: string, random: (bytes: Uint8Array) => void = (b) => globalThis.crypto.getRandomValues(b)): SdesCrypto {
  const len = SDES_KEY_LENGTHS[suite];
  if (len === undefined) throw new SdkError(ErrorCode.InvalidArgument, `unknown SDES crypto suite ${suite}`);
  const bytes = new Uint8Array(len);
  random(bytes);
  return { suite, keyParams: `inline:${base64(bytes)}` };
}
