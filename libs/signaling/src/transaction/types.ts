/**
 * Shared types of the transaction layer (RFC 3261 §17): where messages go, how they are sent,
 * the protocol timers, and the states of the four transaction state machines.
 */
import type { Clock, Logger } from '@sip-endpoint/base';
import type { SipMessage } from '../message/index';

/** A transport protocol the transaction layer can send over. */
export type TransactionProtocol = 'udp' | 'tcp' | 'tls';

/**
 * Where a message is sent, or where it came from. `address` is an IP literal without brackets
 * (`127.0.0.1`, `::1`); `connectionId` names an existing stream connection (TCP/TLS) to reuse.
 */
export interface Destination {
  protocol: TransactionProtocol;
  address: string;
  port: number;
  connectionId?: string | undefined;
}

/**
 * What the transaction layer needs from the transport layer below: send one message to one
 * destination. The promise settles when the message was handed to the socket; it rejects (a
 * `TransportError` preferably) when it could not be sent (RFC 3261 §18.4).
 */
export interface TransactionTransport {
  send(message: SipMessage, destination: Destination): Promise<void>;
  /**
   * Optional: sends bytes already serialized (a server transaction's retransmitted final
   * response once it keeps only its bytes). Without it the transaction parses the bytes back
   * into a message and calls {@link TransactionTransport.send}. Settles like `send`.
   */
  sendBytes?(data: Buffer, destination: Destination): Promise<void>;
}

/**
 * Whether the protocol is reliable in the sense of RFC 3261 §17 (no retransmissions by the
 * transaction layer, zero-length wait timers). Only UDP is unreliable here.
 */
export function isReliable(protocol: TransactionProtocol): boolean {
  return protocol !== 'udp';
}

/**
 * Protocol timer values in milliseconds (RFC 3261 §17.1.1.1, Table 4). Timers derived from them
 * (A, B, E, F, G, H, I, J, K, L, M) are computed from T1, T2 and T4 as the RFC says.
 */
export interface TransactionTimers {
  /** RTT estimate (RFC 3261 §17.1.1.1, default 500 ms). */
  t1Ms: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s). */
  t2Ms: number;
  /** Maximum duration a message remains in the network (default 5 s). */
  t4Ms: number;
  /** Timer D over unreliable transports: at least 32 s (RFC 3261 §17.1.1.2, default 32 s). */
  timerDMs: number;
  /**
   * How long an INVITE server transaction waits for the TU to answer before it sends a 100
   * (Trying) itself (RFC 3261 §17.2.1: 200 ms).
   */
  trying100Ms: number;
}

/** The default timer values of RFC 3261 Table 4. */
export const DEFAULT_TRANSACTION_TIMERS: Readonly<TransactionTimers> = Object.freeze({
  t1Ms: 500,
  t2Ms: 4000,
  t4Ms: 5000,
  timerDMs: 32_000,
  trying100Ms: 200,
});

/** Options of a {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  /** The clock every timer runs on (a `VirtualClock` in unit tests). */
  clock: Clock;
  /** Timer values; unset ones take {@link DEFAULT_TRANSACTION_TIMERS}. */
  timers?: Partial<TransactionTimers>;
  /** The transport below. */
  transport: TransactionTransport;
  /** Where the layer logs (child logger with `component: 'transaction'`). */
  logger?: Logger;
  /**
   * The sent-by (RFC 3261 §18.1.1) to put in the Via the layer adds to an outgoing request
   * that has none. Without it, requests must carry their own top Via.
   */
  viaSentBy?: (destination: Destination) => { host: string; port?: number | undefined };
}

/**
 * States of the INVITE client transaction (RFC 3261 §17.1.1.2 Figure 5 as amended by
 * RFC 6026 §7.2, which adds Accepted).
 */
export const InviteClientState = {
  Calling: 'Calling',
  Proceeding: 'Proceeding',
  Accepted: 'Accepted',
  Completed: 'Completed',
  Terminated: 'Terminated',
} as const;
/** A state of the INVITE client transaction. */
export type InviteClientState = (typeof InviteClientState)[keyof typeof InviteClientState];

/** States of the non-INVITE client transaction (RFC 3261 §17.1.2.2 Figure 6). */
export const NonInviteClientState = {
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Terminated: 'Terminated',
} as const;
/** A state of the non-INVITE client transaction. */
export type NonInviteClientState = (typeof NonInviteClientState)[keyof typeof NonInviteClientState];

/**
 * States of the INVITE server transaction (RFC 3261 §17.2.1 Figure 7 as amended by RFC 6026
 * §7.1, which adds Accepted).
 */
export const InviteServerState = {
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Confirmed: 'Confirmed',
  Accepted: 'Accepted',
  Terminated: 'Terminated',
} as const;
/** A state of the INVITE server transaction. */
export type InviteServerState = (typeof InviteServerState)[keyof typeof InviteServerState];

/** States of the non-INVITE server transaction (RFC 3261 §17.2.2 Figure 8). */
export const NonInviteServerState = {
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Terminated: 'Terminated',
} as const;
/** A state of the non-INVITE server transaction. */
export type NonInviteServerState = (typeof NonInviteServerState)[keyof typeof NonInviteServerState];
