import { ErrorCode, SdkError } from '@sip-endpoint/base';

/**
 * RFC 3263 resolution found no usable target: no record of any type tried, only records of
 * transports we do not support, or the DNS server failed. The message names the host and every
 * query made (`NAPTR example.com`, `SRV _sip._udp.example.com`, `A example.com`, ...).
 */
export class DnsResolutionError extends SdkError {
  constructor(
    message: string,
    /** The name resolved and the queries tried, each `TYPE name` or `TYPE name: CODE`. */
    readonly details: { readonly name: string; readonly tried: readonly string[] },
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.DnsResolution, message, options);
  }
}
