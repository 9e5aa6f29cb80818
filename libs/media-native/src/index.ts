/**
 * @packageDocumentation
 * `@sip-endpoint/media-native`: the media engine of the SIP endpoint SDK, in C++17 behind
 * node-addon-api. Media runs on native threads; JavaScript sees options, promises and events.
 */
import { loadNative } from './load-native';

/** A codec the engine knows, with what the endpoint needs to offer it in SDP. */
export interface CodecDescription {
  /** SDP encoding name (`PCMU`, `opus`, ...). */
  readonly name: string;
  /** Clock rate written in a=rtpmap. */
  readonly rtpClockRate: number;
  /** PCM rate the codec works at. */
  readonly sampleRate: number;
  readonly channels: number;
  /** Static payload type (RFC 3551), or undefined for a dynamic one. */
  readonly staticPayloadType: number | undefined;
  /** Default fmtp, or undefined. */
  readonly defaultFmtp: string | undefined;
  /** Default packetization in ms. */
  readonly frameMs: number;
  /** Whether this build can use it. */
  readonly available: boolean;
  /** Why not, when it is unavailable (e.g. its library was missing at build time). */
  readonly unavailableReason: string | undefined;
}

/** The codec table of this build, in the engine's default priority order, unavailable ones included. */
export function listCodecs(): CodecDescription[] {
  return loadNative()
    .codecs()
    .map((c) => ({
      name: c.name,
      rtpClockRate: c.rtpClockRate,
      sampleRate: c.sampleRate,
      channels: c.channels,
      staticPayloadType: c.staticPayloadType >= 0 ? c.staticPayloadType : undefined,
      defaultFmtp: c.defaultFmtp || undefined,
      frameMs: c.frameMs,
      available: c.available,
      unavailableReason: c.unavailableReason || undefined,
    }));
}

/** Which optional libraries this build was linked with (`opus`, `spandsp`, `bcg729`, `srtp2`, `alsa`). */
export function buildFeatures(): Readonly<Record<string, boolean>> {
  return Object.freeze({ ...loadNative().buildInfo().features });
}

export { NativeEngineError } from './errors';
export {
  AudioDevice,
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
  AudioDeviceWatcher,
  type AudioDeviceInfo,
  audioDeviceSupport,
  listAudioDevices,
  selectAudioDevice,
} from './devices';
export {
  MediaEngine,
  type MediaEngineOptions,
  MediaStream,
  type MediaStreamOptions,
  type MediaStreamUpdate,
  type MediaCodec,
  type MediaSrtp,
  type MediaComfortNoise,
  type MediaAudioProcessing,
  type MediaRemote,
  type MediaDirection,
  type DtmfReceivedEvent,
  Conference,
  generateSrtpKey,
} from './engine';
export type { MediaStreamStats, JitterBufferStats, SrtpStats } from './stats';
