/**
 * How an INVITE session gets and takes session descriptions: the media side of the endpoint
 * implements {@link SessionDescriptionHandler}; the signaling layer only moves the SDP text and
 * follows RFC 3264's offer/answer rules (one offer, one answer, per transaction).
 */

/** Offer/answer hooks of one session. Methods may be synchronous or return promises. */
export interface SessionDescriptionHandler {
  /**
   * An offer: for the initial INVITE, a re-INVITE, or the 2xx to an INVITE without SDP.
   * `hold` asks for a hold offer (`a=sendonly`, RFC 3264 §8.4).
   */
  createOffer(options: { hold: boolean }): string | Promise<string>;
  /**
   * An answer to the remote `offer`. Throw (an `SdkError` with code `SDP_NEGOTIATION`) when it
   * cannot be answered: the session replies 488 Not Acceptable Here.
   */
  createAnswer(offer: string, options: { hold: boolean }): string | Promise<string>;
  /** The remote answer to our last offer. Throw when it is unacceptable: the session ends with BYE. */
  setAnswer(answer: string): void | Promise<void>;
  /** Whether the remote side's last description puts us on hold (sendonly/inactive, or `c=0.0.0.0`). */
  readonly remoteHold?: boolean;
  /** Releases media resources when the session ends. */
  dispose?(): void;
}
