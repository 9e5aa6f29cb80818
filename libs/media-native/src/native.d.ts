// The raw shape of the addon (native/src/napi). Private to this package: the public API is the
// typed wrapper in index.ts.

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

/** The addon's exports. */
export interface NativeBinding {
  codecs(): NativeCodecInfo[];
  buildInfo(): { features: Record<string, boolean>; napiVersion: number };
}
