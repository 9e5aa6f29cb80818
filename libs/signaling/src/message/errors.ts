import { ErrorCode, SdkError } from '@sip-endpoint/base';

/**
 * A SIP message or header could not be parsed. `status` is the response a UAS should send for
 * a request that fails this way (400 unless the RFC says otherwise, e.g. 505 for an unknown
 * SIP version, RFC 3261 §8.2.2.x / RFC 4475 §3.1.2.16).
 */
export class SipParseError extends SdkError {
  constructor(
    message: string,
    /** Where it went wrong. */
    readonly details: {
      /** Header being parsed, if any. */
      header?: string;
      /** Byte offset into the message, if known. */
      offset?: number;
      /** The response status a UAS should answer a request with (default 400). */
      status?: number;
      /** Reason phrase to send with `status`. */
      reason?: string;
    } = {},
    options?: { cause?: unknown; code?: ErrorCode },
  ) {
    super(options?.code ?? ErrorCode.SipParse, message, options);
  }

  /** The response status for a request that failed to parse this way. */
  get status(): number {
    return this.details.status ?? 400;
  }
}

/** A message exceeded a {@link ParseLimits} limit. */
export class SipLimitError extends SipParseError {
  constructor(
    message: string,
    /** Which limit and the value seen. */
    readonly limit: { name: 'maxMessageSize' | 'maxHeaderCount' | 'maxLineLength'; max: number; actual: number },
  ) {
    super(message, { status: limit.name === 'maxMessageSize' ? 513 : 400, reason: limit.name === 'maxMessageSize' ? 'Message Too Large' : 'Bad Request' }, { code: ErrorCode.SipLimitExceeded });
  }
}
