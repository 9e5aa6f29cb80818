/**
 * The typed JSON protocol between the desktop host (Node, `src/host`) and its browser UI
 * (`src/ui`) over a local WebSocket (`ws://127.0.0.1:<port>/ws`). One JSON object per WebSocket
 * text message. The host pushes {@link ServerMessage}s (a full {@link Snapshot} after every
 * change, quality samples once a second, command results and typed errors); the UI sends
 * {@link ClientMessage}s (one {@link Command} each, with a `requestId` the answer echoes).
 *
 * This module is pure (no Node or DOM imports): host and UI both import it.
 */

/** Protocol version; the `hello` message carries it, a UI refuses a host that speaks another. */
export const PROTOCOL_VERSION = 1;

/** The WebSocket path on the host's HTTP server. */
export const WS_PATH = '/ws';

/** Line (connection) states, as the endpoint's `ConnectionState` strings. */
export type LineState = 'PerformingNetworkDiscovery' | 'Registering' | 'Ready' | 'Failed' | 'Unregistering' | 'ShuttingDown' | 'Disabled';

/** Call (session) states, as the endpoint's `SessionState` strings. */
export type CallState = 'InProgress' | 'Alerting' | 'Connected' | 'Disconnected';

/** One line (a `Connectivity` entry: one SIP Server site). */
export interface LineView {
  readonly id: string;
  readonly index: number;
  /** The DN (`user` of the line). */
  readonly user: string;
  /** The SIP Server / registrar (`host:port`). */
  readonly server: string;
  readonly state: LineState;
  /** False for a standalone line (`reg_timeout` 0). */
  readonly registers: boolean;
  /** Why the line is Failed (the last registration error). */
  readonly lastError?: string;
}

/** Why a call ended. */
export interface EndCauseView {
  readonly code: number;
  readonly reason: string;
  readonly by: 'local' | 'remote';
}

/** One call (session). */
export interface CallView {
  /** The Call-ID. */
  readonly id: string;
  readonly lineId: string;
  readonly state: CallState;
  readonly direction: 'incoming' | 'outgoing';
  /** The remote party (URI or display). */
  readonly remote: string;
  readonly held: boolean;
  readonly muted: boolean;
  /** When the call appeared (ms since the epoch, host clock). */
  readonly startedAt: number;
  /** When it became Connected. */
  readonly connectedAt?: number;
  readonly endCause?: EndCauseView;
  /** The other call of a local three-way conference this call is in. */
  readonly conferencedWith?: string;
  /** For a consultation call: the held call it consults for (attended transfer). */
  readonly consultationFor?: string;
  /** RTP packets sent / received so far (from the endpoint's statistics). */
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** The negotiated codec (`PCMU/8000`), empty before media. */
  readonly codec: string;
}

/** An audio device the host can use: a sound card, or a virtual one (tone, WAV file, recorder). */
export interface DeviceView {
  readonly id: string;
  readonly label: string;
  readonly kind: 'input' | 'output';
}

/**
 * The last change of the sound cards (hot-plug, seen by the endpoint's device poll), for a notice
 * in the UI. Labels, not ids: the removed devices are no longer in the lists.
 */
export interface DeviceChangeView {
  /** When the host saw it (ms since the epoch, host clock). */
  readonly t: number;
  /** Labels of the sound cards that appeared. */
  readonly added: readonly string[];
  /** Labels of the sound cards that disappeared. */
  readonly removed: readonly string[];
  /** The selected microphone was removed: the label of the one that replaced it (calls moved to it). */
  readonly inputNow?: string;
  /** The selected speaker was removed: the label of the one that replaced it (calls moved to it). */
  readonly outputNow?: string;
}

/** Devices and volumes. */
export interface DevicesView {
  readonly inputs: readonly DeviceView[];
  readonly outputs: readonly DeviceView[];
  /** The selection: used by new calls and applied to the running calls when it changes. */
  readonly selectedInput: string;
  readonly selectedOutput: string;
  /** Linear gains (1 = unity). */
  readonly speakerVolume: number;
  readonly micVolume: number;
  readonly micMuted: boolean;
  /** The last hot-plug change of the sound cards, if any since the host started. */
  readonly lastChange?: DeviceChangeView;
}

/** A recorded WAV of the received audio of one call. */
export interface RecordingView {
  readonly file: string;
  readonly sessionId?: string;
}

/** Everything the UI shows, pushed after every change. */
export interface Snapshot {
  /** The agent (DN of the first line). */
  readonly agent: string;
  readonly status: 'Active' | 'Inactive';
  readonly lines: readonly LineView[];
  /** Live calls, then the last few ended ones (Disconnected, with their end cause). */
  readonly calls: readonly CallView[];
  readonly devices: DevicesView;
  readonly recordings: readonly RecordingView[];
}

/** One point of the quality graph of a call. */
export interface QualitySample {
  readonly sessionId: string;
  /** ms since the epoch (host clock). */
  readonly t: number;
  /** E-model MOS (1..4.5; 0 until computed). */
  readonly mos: number;
  /** Interarrival jitter of the received stream, ms (RFC 3550 §A.8). */
  readonly jitterMs: number;
  /** Fraction lost of the received stream, percent. */
  readonly lossPct: number;
  readonly packetsSent: number;
  readonly packetsReceived: number;
}

/** Stable error codes of a failed command. */
export type CommandErrorCode =
  /** The message is not a valid command. */
  | 'BAD_REQUEST'
  /** No call with that id. */
  | 'UNKNOWN_SESSION'
  /** No device with that id. */
  | 'UNKNOWN_DEVICE'
  /** The endpoint refused (its `SdkError` code, e.g. `INVALID_STATE`, `SIP_REQUEST_FAILED`). */
  | (string & {});

/** Commands of the UI; each maps to one endpoint verb. */
export type Command =
  | { readonly name: 'dial'; readonly target: string; readonly lineId?: string }
  | { readonly name: 'answer'; readonly sessionId: string }
  | { readonly name: 'reject'; readonly sessionId: string; readonly code?: number }
  | { readonly name: 'hangup'; readonly sessionId: string }
  | { readonly name: 'hold'; readonly sessionId: string }
  | { readonly name: 'retrieve'; readonly sessionId: string }
  | { readonly name: 'sendDtmf'; readonly sessionId: string; readonly digits: string }
  | { readonly name: 'transfer'; readonly sessionId: string; readonly target: string }
  | { readonly name: 'consult'; readonly sessionId: string; readonly target: string }
  | { readonly name: 'completeTransfer'; readonly sessionId: string }
  | { readonly name: 'conference'; readonly sessionId: string; readonly otherSessionId: string }
  /** Mute one call, or (without `sessionId`) the microphone on every call. */
  | { readonly name: 'mute'; readonly sessionId?: string; readonly muted: boolean }
  /** The microphone or speaker of the next calls and of the running ones (not of a local conference). */
  | { readonly name: 'selectDevice'; readonly kind: 'input' | 'output'; readonly deviceId: string }
  | { readonly name: 'setVolume'; readonly kind: 'speaker' | 'mic'; readonly volume: number };

/** The name of a command. */
export type CommandName = Command['name'];

/** UI -> host. */
export interface ClientMessage {
  readonly type: 'command';
  /** Echoed by the `result` or `error` answer. */
  readonly requestId: string;
  readonly command: Command;
}

/** Host -> UI. */
export type ServerMessage =
  | { readonly type: 'hello'; readonly protocol: number; readonly agent: string }
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot }
  /** New quality samples (on connect: the history of the live calls). */
  | { readonly type: 'stats'; readonly samples: readonly QualitySample[] }
  /** A command succeeded (its promise settled). */
  | { readonly type: 'result'; readonly requestId: string; readonly command: CommandName }
  /** A command failed: shown in the UI's error banner. */
  | { readonly type: 'error'; readonly requestId?: string; readonly command?: CommandName; readonly code: CommandErrorCode; readonly message: string }
  /** A DTMF digit arrived on a call. */
  | { readonly type: 'dtmf'; readonly sessionId: string; readonly digit: string };

/** The reason a message was refused by {@link parseClientMessage}. */
export class ProtocolError extends Error {
  readonly code = 'BAD_REQUEST';
  constructor(
    message: string,
    /** The request id, when the message had one. */
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

type Field = 'string' | 'number' | 'boolean' | 'string?' | 'number?' | 'kind-io' | 'kind-volume';

/** The fields of each command (besides `name`), checked by {@link parseClientMessage}. */
const COMMAND_FIELDS: { readonly [K in CommandName]: Readonly<Record<string, Field>> } = {
  dial: { target: 'string', lineId: 'string?' },
  answer: { sessionId: 'string' },
  reject: { sessionId: 'string', code: 'number?' },
  hangup: { sessionId: 'string' },
  hold: { sessionId: 'string' },
  retrieve: { sessionId: 'string' },
  sendDtmf: { sessionId: 'string', digits: 'string' },
  transfer: { sessionId: 'string', target: 'string' },
  consult: { sessionId: 'string', target: 'string' },
  completeTransfer: { sessionId: 'string' },
  conference: { sessionId: 'string', otherSessionId: 'string' },
  mute: { sessionId: 'string?', muted: 'boolean' },
  selectDevice: { kind: 'kind-io', deviceId: 'string' },
  setVolume: { kind: 'kind-volume', volume: 'number' },
};

/** The command names, in protocol order. */
export const COMMAND_NAMES = Object.keys(COMMAND_FIELDS) as readonly CommandName[];

function checkField(value: unknown, type: Field): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string' && value.length > 0;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string?':
      return value === undefined || (typeof value === 'string' && value.length > 0);
    case 'number?':
      return value === undefined || (typeof value === 'number' && Number.isFinite(value));
    case 'kind-io':
      return value === 'input' || value === 'output';
    case 'kind-volume':
      return value === 'speaker' || value === 'mic';
  }
}

/**
 * Parses and validates one UI message (the text of a WebSocket frame). Returns the typed
 * message; throws {@link ProtocolError} (with the request id when there was one) when the JSON
 * is malformed, the command unknown, a field missing or of the wrong type, or an unknown field
 * is present.
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new ProtocolError('not an object');
  const msg = raw as Record<string, unknown>;
  const requestId = typeof msg['requestId'] === 'string' ? msg['requestId'] : undefined;
  if (msg['type'] !== 'command') throw new ProtocolError(`unknown message type ${JSON.stringify(msg['type'])}`, requestId);
  if (!requestId) throw new ProtocolError('requestId missing');
  const cmd = msg['command'];
  if (typeof cmd !== 'object' || cmd === null) throw new ProtocolError('command missing', requestId);
  const c = cmd as Record<string, unknown>;
  const name = c['name'];
  if (typeof name !== 'string' || !(name in COMMAND_FIELDS)) throw new ProtocolError(`unknown command ${JSON.stringify(name)}`, requestId);
  const fields = COMMAND_FIELDS[name as CommandName];
  for (const [key, type] of Object.entries(fields)) {
    if (!checkField(c[key], type)) throw new ProtocolError(`${name}: field ${key} must be ${type}`, requestId);
  }
  for (const key of Object.keys(c)) {
    if (key !== 'name' && !(key in fields)) throw new ProtocolError(`${name}: unknown field ${key}`, requestId);
  }
  return { type: 'command', requestId, command: c as unknown as Command };
}

/** Serializes a host message (one WebSocket text frame). */
export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}
