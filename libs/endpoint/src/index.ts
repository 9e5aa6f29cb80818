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
  RTP_TIMEOUT_END_CAUSE,
  parseDtmfInfo,
  type SessionEndCause,
  type SessionStateChangeEvent,
  type SessionStatistics,
  type DtmfMethod,
} from './session';
export {
  MediaBridge,
  configuredCodecs,
  SIGNALING_ONLY_RTP_PORT,
  type BridgeCodec,
  type MediaBridgeOptions,
  type SrtpSetting,
  type SessionMediaPolicy,
} from './media-bridge';
export { EndpointDevices, DEFAULT_DEVICE_POLL_MS, type EndpointDeviceOptions, type DevicesChangeEvent } from './devices';
/**
 * The audio sources and sinks an endpoint takes in {@link EndpointAudioOptions} (files, tones,
 * memory, null devices, sound cards), re-exported from `@sip-endpoint/media-native` so an
 * application needs only this package.
 */
export {
  AudioSource,
  AudioSink,
  NullSource,
  NullSink,
  ToneSource,
  WavFileSource,
  WavFileSink,
  MemorySource,
  MemorySink,
  SoundSource,
  SoundSink,
  listAudioDevices,
  type AudioDeviceInfo,
} from '@sip-endpoint/media-native';
