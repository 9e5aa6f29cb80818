/**
 * @packageDocumentation
 * `@sip-endpoint/endpoint`: the facade agent desktops use. {@link createEndpoint} builds an
 * {@link Endpoint} from a Genesys-compatible configuration: connections (lines), sessions (calls)
 * with 1pcc call control, the media bridge to the engine, and the provider (extension) model.
 */
export * from './providers/api';
export { ProviderRegistryImpl } from './providers/registry';
export * from './providers/genesys';
export { createEndpoint, Endpoint, EndpointStatus, registerBuiltinCallControlProvider, type EndpointOptions, type EndpointAudioOptions } from './endpoint';
export { Connection, ConnectionState, registrationExpires, type ConnectionStateChangeEvent } from './connection';
export {
  Session,
  SessionState,
  toSessionStatistics,
  parseDtmfInfo,
  type SessionEndCause,
  type SessionStateChangeEvent,
  type SessionStatistics,
  type DtmfMethod,
} from './session';
export { MediaBridge, configuredCodecs, type BridgeCodec, type MediaBridgeOptions, type SrtpSetting, type SessionMediaPolicy } from './media-bridge';
