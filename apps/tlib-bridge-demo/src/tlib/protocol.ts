/**
 * The JSON protocol of the T-Lib WebSocket API (see the app README): requests from a thin client,
 * events from the simulated SIP Server.
 */
import type { CallEvent, CallSnapshot, TlibRequestName } from '../simulator/index';

/** A request from a thin client. `referenceId` comes back in the events the request causes. */
export interface TlibRequest {
  readonly request: TlibRequestName;
  readonly referenceId?: number;
  readonly thisDN: string;
  readonly otherDN?: string;
  readonly connId?: string;
  /** TCompleteTransfer / TCompleteConference: the consultation call (the held call is `connId`). */
  readonly transferConnId?: string;
  /** TSendDTMF. */
  readonly dtmfDigits?: string;
}

/** EventRegistered: the answer to TRegisterAddress, with the DN's calls now. */
export interface RegisteredEvent {
  readonly event: 'EventRegistered';
  readonly referenceId?: number | undefined;
  readonly thisDN: string;
  /** Whether the DN's endpoint is registered at the SIP Server (its SIP REGISTER). */
  readonly sipRegistered: boolean;
  readonly calls: readonly CallSnapshot[];
}

/** EventError: a request that could not be done, with a sentence saying why. */
export interface ErrorEvent {
  readonly event: 'EventError';
  readonly referenceId?: number | undefined;
  readonly thisDN?: string | undefined;
  readonly connId?: string | undefined;
  /** The request that failed, when it could be read. */
  readonly request?: string | undefined;
  /** A stable code (`INVALID_ARGUMENT`, `INVALID_STATE`, `SIP_REQUEST_FAILED`, `TIMEOUT`, `BAD_REQUEST`). */
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** EventRtpStats (demo extension): packets the server's relay moved for a call so far. */
export interface RtpStatsEvent {
  readonly event: 'EventRtpStats';
  readonly connId: string;
  readonly thisDN: string;
  readonly relayedPackets: number;
  readonly parties: readonly string[];
}

/** Everything the server sends. */
export type TlibMessage = (CallEvent & { readonly event: Exclude<CallEvent['event'], 'EventRegistered' | 'EventError' | 'EventRtpStats'> }) | RegisteredEvent | ErrorEvent | RtpStatsEvent;
