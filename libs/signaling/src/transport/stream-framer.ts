/**
 * Framing of SIP messages on a byte stream (TCP, TLS): RFC 3261 §18.3. Pure, no sockets, no
 * timers: bytes go in with {@link StreamFramer.push}, complete messages come out. The message
 * is not parsed here (that is the message layer's job); only the header block end and the
 * Content-Length are read.
 */
import { ErrorCode, SdkError } from '@sip-endpoint/base';

/** Why a stream could not be framed. Every reason closes the connection it happened on. */
export type FramingErrorReason =
  /** No CRLFCRLF within `maxHeaderBytes`, or a header block longer than that. */
  | 'header-too-large'
  /** Header block plus Content-Length exceed `maxMessageSize` (also: an over-limit UDP datagram). */
  | 'message-too-large'
  /** A message on a stream has no Content-Length header. */
  | 'missing-content-length'
  /** A Content-Length value that is not a non-negative decimal integer (negative, empty, garbage). */
  | 'invalid-content-length'
  /** Several Content-Length headers with different values. */
  | 'conflicting-content-length'
  /** A peer started a message and did not finish it within `partialMessageTimeoutMs`. */
  | 'partial-message-timeout';

/** A stream could not be framed; the connection it came from must be closed. */
export class FramingError extends SdkError {
  constructor(
    /** What was wrong, stable for programs. */
    readonly reason: FramingErrorReason,
    message: string,
  ) {
    super(reason === 'message-too-large' || reason === 'header-too-large' ? ErrorCode.SipLimitExceeded : ErrorCode.SipParse, message);
  }
}

/** Size limits applied by a {@link StreamFramer}. */
export interface StreamFramerLimits {
  /** Largest message (header block + body) in bytes. */
  readonly maxMessageSize: number;
  /** Largest header block (start line to the closing CRLFCRLF included) in bytes. */
  readonly maxHeaderBytes: number;
}

/**
 * One thing found on the stream, in order:
 * - `message`: one complete SIP message (start line, headers, CRLF, body), a copy owned by the caller;
 * - `pong`: a CRLF seen between messages (RFC 5626 §3.5.1 pong; also every line of a ping);
 * - `ping`: a second consecutive CRLF between messages, i.e. a CRLFCRLF (RFC 5626 §3.5.1 ping).
 */
export type FramerItem = { readonly type: 'message'; readonly data: Buffer } | { readonly type: 'ping' } | { readonly type: 'pong' };

/** The result of one {@link StreamFramer.push}. */
export interface FramerResult {
  /** What was completed by this push, in stream order (items before an error are kept). */
  readonly items: FramerItem[];
  /** Set when the stream cannot be framed any more; later pushes return the same error. */
  readonly error?: FramingError;
}

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const INITIAL_CAPACITY = 4096;
/** An empty buffer larger than this is dropped, so an idle connection holds little memory. */
const SHRINK_ABOVE = 65536;

const enum Mode {
  /** Between messages: skipping CRLFs. */
  Boundary,
  /** Inside a header block, looking for CRLFCRLF. */
  Header,
  /** Header block read; waiting for `need` bytes from `start`. */
  Body,
  /** A framing error happened; nothing more is framed. */
  Failed,
}

/**
 * Turns a byte stream into SIP messages.
 *
 * RFC 3261 §18.3: "In the case of stream-oriented transports such as TCP, the Content-Length
 * header field indicates the size of the body. All SIP implementations MUST use it with
 * stream-oriented transports."
 * RFC 3261 §7.5: "implementations processing SIP messages over stream-oriented transports MUST
 * ignore any CRLF appearing before the start-line".
 *
 * Buffering is amortised (one growing buffer, no per-push concatenation), so a peer sending one
 * byte at a time costs O(n) work overall. Memory is bounded by the limits.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  private mode = Mode.Boundary;
  /** Where the CRLFCRLF search resumes (absolute index into `buf`). */
  private scanFrom = 0;
  /** Total length of the message being framed, once its header block is read. */
  private need = 0;
  /** Consecutive line ends seen between messages. */
  private lineEnds = 0;
  private failure: FramingError | undefined;
  private started = 0;

  constructor(private readonly limits: StreamFramerLimits) {}

  /** Whether part of a message (at least its first byte) has been received and not completed. */
  get hasPartialMessage(): boolean {
    return this.mode === Mode.Header || this.mode === Mode.Body;
  }

  /** How many messages have been started so far (a message starts with its first non-CRLF byte). */
  get messagesStarted(): number {
    return this.started;
  }

  /** Bytes held, waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** The error that stopped framing, if any. */
  get error(): FramingError | undefined {
    return this.failure;
  }

  /**
   * Adds bytes received from the stream and returns every item they complete. After an error
   * the buffered bytes are dropped and each later push returns the same error.
   */
  push(chunk: Uint8Array): FramerResult {
    const items: FramerItem[] = [];
    if (this.failure) return { items, error: this.failure };
    if (chunk.length > 0) this.append(chunk);
    const error = this.drain(items);
    if (error) {
      this.failure = error;
      this.mode = Mode.Failed;
      this.buf = Buffer.alloc(0);
      this.start = this.end = this.scanFrom = 0;
      return { items, error };
    }
    return { items };
  }

  private append(chunk: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (live + chunk.length <= this.buf.length) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, (live + chunk.length) * 2));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.scanFrom = Math.max(0, this.scanFrom - this.start);
      this.end = live;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private drain(items: FramerItem[]): FramingError | undefined {
    for (;;) {
      switch (this.mode) {
        case Mode.Boundary: {
          while (this.start < this.end) {
            const b = this.buf[this.start];
            if (b === CR) {
              this.start++;
            } else if (b === LF) {
              this.start++;
              items.push({ type: 'pong' });
              if (++this.lineEnds === 2) {
                // RFC 5626 §3.5.1: a ping is a double CRLF.
                items.push({ type: 'ping' });
                this.lineEnds = 0;
              }
            } else {
              break;
            }
          }
          if (this.start >= this.end) {
            this.compactWhenEmpty();
            return undefined;
          }
          this.lineEnds = 0;
          this.started++;
          this.mode = Mode.Header;
          this.scanFrom = this.start;
          break;
        }
        case Mode.Header: {
          const idx = this.buf.subarray(this.scanFrom, this.end).indexOf(CRLFCRLF);
          if (idx < 0) {
            const held = this.end - this.start;
            if (held > this.limits.maxHeaderBytes) {
              return new FramingError('header-too-large', `no end of header block within ${this.limits.maxHeaderBytes} bytes`);
            }
            if (held > this.limits.maxMessageSize) {
              return new FramingError('message-too-large', `message exceeds ${this.limits.maxMessageSize} bytes`);
            }
            this.scanFrom = Math.max(this.start, this.end - 3);
            return undefined;
          }
          const headEnd = this.scanFrom + idx + 4;
          const headLen = headEnd - this.start;
          if (headLen > this.limits.maxHeaderBytes) {
            return new FramingError('header-too-large', `header block of ${headLen} bytes exceeds ${this.limits.maxHeaderBytes}`);
          }
          const length = readContentLength(this.buf.subarray(this.start, headEnd - 4));
          if (typeof length !== 'number') return length;
          if (headLen + length > this.limits.maxMessageSize) {
            return new FramingError('message-too-large', `message of ${headLen + length} bytes exceeds ${this.limits.maxMessageSize}`);
          }
          this.need = headLen + length;
          this.mode = Mode.Body;
          break;
        }
        case Mode.Body: {
          if (this.end - this.start < this.need) return undefined;
          // A copy: the internal buffer is reused for later bytes.
          const data = Buffer.from(this.buf.subarray(this.start, this.start + this.need));
          this.start += this.need;
          this.need = 0;
          this.mode = Mode.Boundary;
          items.push({ type: 'message', data });
          break;
        }
        case Mode.Failed:
          return this.failure;
      }
    }
  }

  private compactWhenEmpty(): void {
    this.start = this.end = this.scanFrom = 0;
    if (this.buf.length > SHRINK_ABOVE) this.buf = Buffer.alloc(0);
  }
}

const DIGITS = /^[0-9]+$/;

/**
 * Reads Content-Length (or its compact form `l`, RFC 3261 §7.3.3) from a header block without
 * its closing CRLFCRLF. Header names are case-insensitive (RFC 3261 §7.3.1) and folded lines
 * (a line starting with SP or HTAB continues the previous one, §7.3.1) are unfolded.
 */
export function readContentLength(head: Uint8Array): number | FramingError {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  const lines = text.split('\r\n');
  const fields: string[] = [];
  // lines[0] is the start line.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const first = line.charCodeAt(0);
    if ((first === 0x20 || first === 0x09) && fields.length > 0) fields[fields.length - 1] += ` ${line.trim()}`;
    else fields.push(line);
  }
  let value: number | undefined;
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon < 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    const raw = field.slice(colon + 1).trim();
    if (!DIGITS.test(raw)) {
      const what = raw.startsWith('-') ? 'negative' : 'invalid';
      return new FramingError('invalid-content-length', `${what} Content-Length '${raw.slice(0, 40)}'`);
    }
    // Leading zeros are allowed by the grammar (1*DIGIT); the value is bounded by the limits later.
    const n = raw.length > 15 ? Number.MAX_SAFE_INTEGER : Number(raw);
    if (value !== undefined && value !== n) {
      return new FramingError('conflicting-content-length', `Content-Length given twice with different values (${value}, ${n})`);
    }
    value = n;
  }
  if (value === undefined) {
    // RFC 3261 §18.3: "All SIP implementations MUST use it with stream-oriented transports."
    return new FramingError('missing-content-length', 'message on a stream without Content-Length');
  }
  return value;
}
