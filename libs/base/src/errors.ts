/**
 * Typed errors with stable codes. Applications switch on {@link SdkError.code}, never on the
 * message text. Call endings are not errors: they are a cause plus a SIP status code.
 */

/** Every stable error code the SDK uses. The string values never change once released. */
export const ErrorCode = {
  /** An operation was cancelled through its token. */
  Cancelled: 'CANCELLED',
  /** An argument was out of range or of the wrong shape. */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** The object is not in a state that allows the operation. */
  InvalidState: 'INVALID_STATE',
  /** The object was disposed. */
  Disposed: 'DISPOSED',
  /** A bounded wait ran out. */
  Timeout: 'TIMEOUT',
  /** A configuration value or file is invalid. */
  ConfigInvalid: 'CONFIG_INVALID',
  /** A SIP message could not be parsed. */
  SipParse: 'SIP_PARSE',
  /** A SIP message exceeded a configured limit (size, header count, line length). */
  SipLimitExceeded: 'SIP_LIMIT_EXCEEDED',
  /** A transport could not send, connect or listen. */
  Transport: 'TRANSPORT',
  /** A TLS peer's certificate failed verification. */
  TlsVerification: 'TLS_VERIFICATION',
  /** A client transaction timed out (RFC 3261 Timer B/F). */
  TransactionTimeout: 'TRANSACTION_TIMEOUT',
  /** RFC 3263 resolution found no usable target. */
  DnsResolution: 'DNS_RESOLUTION',
  /** Digest authentication failed or could not be attempted. */
  Authentication: 'AUTHENTICATION',
  /** SDP offer/answer failed (no common codec, malformed SDP). */
  SdpNegotiation: 'SDP_NEGOTIATION',
  /** A request failed with a final SIP response. */
  SipRequestFailed: 'SIP_REQUEST_FAILED',
  /** The native media engine failed. */
  NativeEngine: 'NATIVE_ENGINE',
} as const;

/** A stable error code. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base of every error the SDK throws or rejects with. */
export class SdkError extends Error {
  /**
   * @param code stable code applications can switch on
   * @param message a sentence for a person: what failed and, where known, what to do
   * @param options `cause` is the underlying error, if any
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The object is not in a state that allows the operation. */
export class InvalidStateError extends SdkError {
  constructor(
    message: string,
    /** The state the object was in. */
    readonly state?: string,
  ) {
    super(ErrorCode.InvalidState, message);
  }
}

/** A transport failed to listen, connect or send. */
export class TransportError extends SdkError {
  constructor(
    message: string,
    /** Extra facts: transport protocol and peer address, where known. */
    readonly details: { transport?: string; remote?: string; local?: string } = {},
    options?: { cause?: unknown; code?: ErrorCode },
  ) {
    super(options?.code ?? ErrorCode.Transport, message, options);
  }
}

/** A client transaction got no final response in time (RFC 3261 §17.1.1.2 Timer B, §17.1.2.2 Timer F). */
export class TransactionTimeoutError extends SdkError {
  constructor(
    message: string,
    /** The request method and the transaction branch. */
    readonly details: { method?: string; branch?: string; timer?: string } = {},
  ) {
    super(ErrorCode.TransactionTimeout, message);
  }
}

/** One problem found in a configuration. */
export interface ConfigIssue {
  /** Key path of the setting, e.g. `proxies.proxy0.nat.ice_enabled` or `server:0`. */
  readonly keyPath: string;
  /** What is wrong, for a person. */
  readonly message: string;
  /** The file, when the configuration came from one. */
  readonly file?: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
}

function formatIssue(i: ConfigIssue): string {
  const where = i.file ? `${i.file}${i.line !== undefined ? `:${i.line}${i.column !== undefined ? `:${i.column}` : ''}` : ''}: ` : '';
  return `${where}${i.keyPath ? `${i.keyPath}: ` : ''}${i.message}`;
}

/** A configuration is invalid. Lists every problem found, each with its key path and position. */
export class ConfigError extends SdkError {
  /** Every problem found; the first is also in the message. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[] | ConfigIssue, options?: { cause?: unknown }) {
    const list = Array.isArray(issues) ? issues : [issues];
    const first = list[0];
    const head = list.length === 1 && first ? formatIssue(first) : `${list.length} configuration errors:\n  ${list.map(formatIssue).join('\n  ')}`;
    super(ErrorCode.ConfigInvalid, head, options);
    this.issues = list;
  }

  /** Key path of the first problem. */
  get keyPath(): string {
    return this.issues[0]?.keyPath ?? '';
  }

  /** File of the first problem, if any. */
  get file(): string | undefined {
    return this.issues[0]?.file;
  }

  /** Line of the first problem, if known. */
  get line(): number | undefined {
    return this.issues[0]?.line;
  }
}

/** Whether `e` is an {@link SdkError}, optionally with the given code. */
export function isSdkError(e: unknown, code?: ErrorCode): e is SdkError {
  return e instanceof SdkError && (code === undefined || e.code === code);
}
