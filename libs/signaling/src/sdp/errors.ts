import { ErrorCode, SdkError } from '@sip-endpoint/base';
import type { StreamRejectReason } from './types';

/** Why an offer/answer step failed; stable values applications may switch on. */
export const SdpFailureReason = {
  /** The SDP text is not valid SDP (RFC 8866 §5 grammar, missing `o=`/`c=`/`m=` fields). */
  Malformed: 'malformed',
  /** An offer had active streams and none could be accepted: answer the offer with 488. */
  NoCommonCodec: 'no-common-codec',
  /** An answer does not fit our offer (m-line count or types, transport, codec or crypto not offered). */
  AnswerMismatch: 'answer-mismatch',
  /** A re-offer has fewer m-lines than the session (RFC 3264 §8) or changed the type of an active one. */
  MediaLineMismatch: 'm-line-mismatch',
} as const;

/** A stable reason of an {@link SdpNegotiationError}. */
export type SdpFailureReason = (typeof SdpFailureReason)[keyof typeof SdpFailureReason];

/** One stream that could not be accepted, as listed in an {@link SdpNegotiationError}. */
export interface SdpStreamFailure {
  /** 0-based m-line index. */
  readonly index: number;
  /** Media type of the m-line. */
  readonly media: string;
  /** Why it was rejected. */
  readonly reason: StreamRejectReason;
}

/**
 * SDP offer/answer failed. The code is always {@link ErrorCode.SdpNegotiation}; {@link reason}
 * says why and {@link suggestedStatus} which SIP status a UA should answer an offer with.
 */
export class SdpNegotiationError extends SdkError {
  /**
   * @param reason stable reason
   * @param message a sentence for a person
   * @param details the failing streams (for `no-common-codec`) and the 1-based line of a parse error
   */
  constructor(
    readonly reason: SdpFailureReason,
    message: string,
    readonly details: { readonly streams?: readonly SdpStreamFailure[]; readonly line?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.SdpNegotiation, message, options);
  }

  /** 400 (Bad Request) for malformed SDP, 488 (Not Acceptable Here, RFC 3261 §21.4.26) otherwise. */
  get suggestedStatus(): 400 | 488 {
    return this.reason === SdpFailureReason.Malformed ? 400 : 488;
  }
}
