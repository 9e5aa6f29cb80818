/**
 * The extension API of the endpoint (VS Code style): providers are registered on the
 * {@link Endpoint} with `register*Provider(...)`, each returning a Disposable that unregisters it.
 * A provider that throws is isolated (logged, skipped), never breaks a call. The Genesys 3pcc
 * behaviour is one call-control provider, built in, registered through this same API.
 */
import type { IDisposable, LogRecord } from '@sip-endpoint/base';

/** What a call-control provider sees of an incoming call before it is presented. */
export interface IncomingCallInfo {
  /** The session (not answered yet). */
  readonly sessionId: string;
  /** The connection it arrived on. */
  readonly connectionId: string;
  /** Header values of the INVITE, by lower-cased name (several lines joined by ', '). */
  header(name: string): string | undefined;
  /** The caller's address. */
  readonly from: string;
}

/** A provider's decision about an incoming call. Several providers: the first non-undefined wins. */
export interface IncomingCallDecision {
  /** Answer automatically after this many ms (0 = at once). */
  readonly autoAnswerAfterMs?: number;
  /** Reject with this SIP code instead of ringing. */
  readonly rejectWith?: { readonly code: number; readonly reason?: string };
}

/** An in-dialog NOTIFY outside any subscription (e.g. `Event: talk`), offered to providers. */
export interface UnsolicitedNotify {
  readonly sessionId: string;
  /** The Event package, lower-cased (`talk`, `hold`, ...). */
  readonly event: string;
  header(name: string): string | undefined;
  readonly body: string;
}

/** What providers may do to a session (a narrow facade over the endpoint's Session). */
export interface SessionControl {
  readonly id: string;
  readonly state: 'InProgress' | 'Alerting' | 'Connected' | 'Disconnected';
  readonly held: boolean;
  readonly direction: 'incoming' | 'outgoing';
  answer(): Promise<void>;
  hold(): Promise<void>;
  retrieve(): Promise<void>;
  hangup(): Promise<void>;
}

/**
 * Call-control policy. Every hook is optional. Hooks run in registration order; the built-in
 * Genesys provider is registered first unless the endpoint was created without it.
 */
export interface CallControlProvider {
  /** A name for logs. */
  readonly id: string;
  /** Extra headers for outgoing INVITEs and for our 180/200 (e.g. `Allow-Events`). */
  provideHeaders?(context: { readonly kind: 'invite' | 'provisional' | 'answer' }): Record<string, string> | undefined;
  /** Decide auto-answer or rejection of an incoming call. */
  onIncomingCall?(call: IncomingCallInfo, session: SessionControl): IncomingCallDecision | undefined | Promise<IncomingCallDecision | undefined>;
  /**
   * An unsolicited in-dialog NOTIFY. Return true when handled (the endpoint answers it 200 either
   * way; an unhandled one is only reported).
   */
  onNotify?(notify: UnsolicitedNotify, session: SessionControl): boolean | Promise<boolean>;
}

/** Chooses and orders codecs (SDP names with clock rate, e.g. `opus/48000/2`, `PCMU/8000`). */
export interface CodecProvider {
  readonly id: string;
  /** Returns the codec list to offer, in priority order, from the configured and available ones. */
  orderCodecs(available: readonly string[]): readonly string[];
}

/** Chooses audio devices (names as the engine lists them). */
export interface DeviceProvider {
  readonly id: string;
  selectInput?(devices: readonly string[]): string | undefined;
  selectOutput?(devices: readonly string[]): string | undefined;
}

/** Adds or rewrites headers of outgoing requests (e.g. `X-Genesys-*`, `User-Agent`). */
export interface HeaderProvider {
  readonly id: string;
  provideHeaders(request: { readonly method: string; readonly target: string }): Record<string, string> | undefined;
}

/** Receives every log record of the endpoint (SIP traces with credentials redacted included). */
export type LogSinkProvider = (record: LogRecord) => void;

/** The registration surface (implemented by the Endpoint). */
export interface ProviderRegistry {
  registerCallControlProvider(provider: CallControlProvider): IDisposable;
  registerCodecProvider(provider: CodecProvider): IDisposable;
  registerDeviceProvider(provider: DeviceProvider): IDisposable;
  registerHeaderProvider(provider: HeaderProvider): IDisposable;
  registerLogSink(sink: LogSinkProvider): IDisposable;
}
