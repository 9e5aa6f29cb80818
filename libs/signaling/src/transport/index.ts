/** The transport layer: RFC 3261 §18 (UDP, TCP, TLS), stream framing, RFC 5626 keep-alive. */
export { SipTransportManager, ListeningPoint, DEFAULT_TRANSPORT_LIMITS, DEFAULT_KEEPALIVE_OPTIONS } from './manager';
export { StreamFramer, FramingError, readContentLength, type FramingErrorReason, type FramerItem, type FramerResult, type StreamFramerLimits } from './stream-framer';
export { StreamConnectionState } from './connection';
export type {
  TransportProtocol,
  StreamProtocol,
  AddressFamily,
  TransportAddress,
  PemInput,
  TlsServerOptions,
  TlsClientOptions,
  ListenSpec,
  SendTarget,
  SendOptions,
  SendInfo,
  TransportLimits,
  KeepAliveOptions,
  SipTransportManagerOptions,
  ConnectionDirection,
  ConnectionCloseReason,
  ConnectionInfo,
  MessageReceivedEvent,
  ConnectionClosedEvent,
  FramingErrorEvent,
} from './types';
