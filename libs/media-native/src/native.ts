// The raw shape of the addon (native/src/napi). Private to this package (ARCHITECTURE.md
// convention 5: "a private native.d.ts for the raw binding"): types only, nothing at run time; the
// public API is the typed wrapper in index.ts. A .ts file rather than a hand-written .d.ts so that
// tsc emits it next to the declarations that import it (dist/, the API report).
import type { MediaStreamStats } from './stats';

/** One row of the native codec table. */
export interface NativeCodecInfo {
  name: string;
  rtpClockRate: number;
  sampleRate: number;
  channels: number;
  staticPayloadType: number;
  defaultFmtp: string;
  frameMs: number;
  available: boolean;
  unavailableReason: string;
}

/** A thrown native failure: a plain Error with where it came from. */
export interface NativeErrorShape {
  message: string;
  operation?: string;
  location?: string;
}

export interface NativeEngineOptions {
  portMin?: number;
  portMax?: number;
  threads?: number;
  tickMs?: number;
  jitterMinMs?: number;
  jitterMaxMs?: number;
  cname?: string;
}

export interface NativeCodecSpec {
  name: string;
  payloadType?: number;
  clockRate?: number;
  channels?: number;
  fmtp?: string;
  ptimeMs?: number;
}

export interface NativeSrtpSpec {
  suite: string;
  localKey: string;
  remoteKey: string;
}

export type NativeDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface NativeStreamOptions {
  localAddress?: string;
  localPort?: number;
  codec: NativeCodecSpec;
  telephoneEventPayloadType?: number;
  remoteAddress?: string;
  remotePort?: number;
  remoteRtcpPort?: number;
  rtcpMux?: boolean;
  direction?: NativeDirection;
  latch?: boolean;
  srtp?: NativeSrtpSpec;
  source?: NativeDevice;
  sink?: NativeDevice;
  inactivityTimeoutMs?: number;
  statsIntervalMs?: number;
  jitterMinMs?: number;
  jitterMaxMs?: number;
  conference?: number;
  agc?: boolean;
  vadLevel?: number;
  dtx?: boolean;
  comfortNoisePayloadType?: number;
  detectInbandDtmf?: boolean;
}

export interface NativeStreamUpdate {
  codec?: NativeCodecSpec;
  telephoneEventPayloadType?: number;
  remoteAddress?: string;
  remotePort?: number;
  remoteRtcpPort?: number;
  direction?: NativeDirection;
  srtp?: NativeSrtpSpec;
  /** -1 = no CN any more. */
  comfortNoisePayloadType?: number;
  detectInbandDtmf?: boolean;
  agc?: boolean;
  /** -1 = VAD off. */
  vadLevel?: number;
  dtx?: boolean;
  /** New RTP inactivity timeout in ms (0 = off); the count restarts. */
  inactivityTimeoutMs?: number;
}

/** The stats object the addon builds (its shape is the public MediaStreamStats). */
export type NativeStats = MediaStreamStats;

export interface NativeEvent {
  type: 'started' | 'receiving' | 'dtmf' | 'timeout' | 'ssrc' | 'stats' | 'fault' | 'closed' | 'died';
  streamId: number;
  message?: string;
  digit?: string;
  durationMs?: number;
  /** dtmf events: how the digit came. */
  method?: 'rfc4733' | 'inband';
  ssrc?: number;
  stats?: NativeStats;
}

export interface NativeEngine {
  createStream(options: NativeStreamOptions): { id: number; rtpPort: number; rtcpPort: number };
  updateStream(id: number, update: NativeStreamUpdate): void;
  closeStream(id: number): boolean;
  sendDtmf(id: number, digits: string, durationMs: number, inband: boolean): void;
  setMuted(id: number, muted: boolean): void;
  setDevices(id: number, source: NativeDevice | null, sink: NativeDevice | null): void;
  setGain(id: number, send: number, receive: number): void;
  setStatsInterval(id: number, ms: number): void;
  getStats(id: number): NativeStats | undefined;
  createConference(): number;
  addToConference(conference: number, stream: number): void;
  removeFromConference(conference: number, stream: number): void;
  closeConference(conference: number): boolean;
  /** Stops the threads; returns the events still queued. */
  close(): NativeEvent[];
  drainEvents(): NativeEvent[];
  injectFault(thread: number): void;
  streamCount(): number;
}

export type NativeDeviceKind =
  | 'null-source'
  | 'null-sink'
  | 'tone'
  | 'wav-source'
  | 'wav-sink'
  | 'memory-source'
  | 'memory-sink'
  | 'sound-source'
  | 'sound-sink';

export interface NativeDeviceOptions {
  sampleRate?: number;
  frequencyHz?: number;
  levelDbov?: number;
  path?: string;
  loop?: boolean;
  capacitySamples?: number;
  name?: string;
}

export interface NativeDeviceInfo {
  kind: NativeDeviceKind;
  sampleRate: number;
  buffered?: number;
  underrunSamples?: number;
  overflowSamples?: number;
  samplesWritten?: number;
  finished?: boolean;
  totalSamples?: number;
}

export interface NativeDevice {
  push(samples: Int16Array): number;
  pull(maxSamples?: number): Int16Array;
  close(): void;
  info(): NativeDeviceInfo;
}

export interface NativeSoundDevice {
  name: string;
  description: string;
  input: boolean;
  output: boolean;
}

/** The addon's exports. */
export interface NativeBinding {
  codecs(): NativeCodecInfo[];
  buildInfo(): { features: Record<string, boolean>; napiVersion: number };
  NativeEngine: new (options: NativeEngineOptions, onEvents: (events: NativeEvent[]) => void) => NativeEngine;
  NativeDevice: new (kind: NativeDeviceKind, options: NativeDeviceOptions) => NativeDevice;
  listSoundDevices(): NativeSoundDevice[];
  soundSupport(): { supported: boolean; reason: string };
  generateSrtpKey(suite: string): string;
}
