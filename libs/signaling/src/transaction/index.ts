/**
 * The transaction layer: RFC 3261 §17 (client and server transactions, INVITE and non-INVITE)
 * as amended by RFC 6026 (Accepted states, Timers L and M), with CANCEL (§9), merged-request
 * detection (§8.2.2.2) and response routing (§18.2.2).
 */
export {
  type Destination,
  type TransactionProtocol,
  type TransactionTransport,
  type TransactionTimers,
  type TransactionLayerOptions,
  DEFAULT_TRANSACTION_TIMERS,
  isReliable,
  InviteClientState,
  NonInviteClientState,
  InviteServerState,
  NonInviteServerState,
} from './types';
export { responseDestination, responseDestinations, protocolOfVia, defaultPort } from './destination';
export { buildAckForNon2xx, buildCancel } from './requests';
export { MAGIC_COOKIE, hasMagicCookie } from './matching';
export { Transaction, type TransactionStateChangeEvent, type TransactionTransportErrorEvent } from './transaction';
export {
  ClientTransaction,
  InviteClientTransaction,
  NonInviteClientTransaction,
  type ClientResponseEvent,
  type ClientTimeoutEvent,
} from './client';
export { ServerTransaction, InviteServerTransaction, NonInviteServerTransaction, type ServerTimeoutEvent, type AckDisposition } from './server';
export {
  TransactionLayer,
  type AnyClientTransaction,
  type AnyServerTransaction,
  type IncomingRequestEvent,
  type IncomingAckEvent,
  type IncomingCancelEvent,
  type StrayResponseEvent,
  type DroppedMessageEvent,
  type TransactionTimeoutEvent,
} from './layer';
