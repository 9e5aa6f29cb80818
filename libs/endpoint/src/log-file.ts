/**
 * The endpoint's own log file (`system.diagnostics.enable_logging`, `log_file`): one JSON object
 * per line, appended through a Node `fs` write stream. Internal to the endpoint (not exported).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { Disposable, type LogRecord } from '@sip-endpoint/base';

/**
 * Records buffered in memory while the disk is slower than the log (bytes); beyond it records
 * are dropped and counted (a line says how many once the file caught up).
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * One line of the log file for `r`: `{"time":"<ISO 8601 UTC>","level":"info","message":"...",
 * "fields":{...}}` (JSON Lines; a SIP trace's CRLFs are escaped, so every record is one line).
 */
export function formatLogLine(r: LogRecord): string {
  return `${JSON.stringify({ time: new Date(r.time).toISOString(), level: r.level, message: r.message, fields: r.fields }, jsonSafe)}\n`;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return value;
}

/**
 * Appends log records to a file. Opening happens in the background: a file that cannot be opened
 * (or written) calls `onError` once, and every record after that is dropped (the endpoint goes
 * on). {@link close} ends the stream and resolves once everything written is flushed and the
 * file closed; `dispose()` ends it without waiting.
 */
export class LogFileWriter extends Disposable {
  /** The absolute path written. */
  readonly path: string;
  private readonly stream: WriteStream;
  private failed = false;
  private dropped = 0;
  private readonly closed: Promise<void>;

  constructor(path: string, onError: (error: Error) => void) {
    super();
    this.path = resolve(path);
    this.stream = createWriteStream(this.path, { flags: 'a', encoding: 'utf8' });
    this.closed = new Promise<void>((done) => {
      this.stream.once('close', () => done());
    });
    this.stream.on('error', (e: Error) => {
      if (this.failed) return;
      this.failed = true;
      this.stream.destroy();
      onError(e);
    });
  }

  /** Whether the file failed (could not be opened or written): records are dropped. */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** Appends one record (buffered; dropped and counted when the buffer is full or the file failed). */
  write(r: LogRecord): void {
    if (this.failed || this.isDisposed || this.stream.writableEnded) return;
    if (this.stream.writableLength > MAX_BUFFERED_BYTES) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      this.stream.write(formatLogLine({ level: 'warn', message: 'log file: records dropped (the disk was slower than the log)', fields: { component: 'endpoint', dropped: this.dropped }, time: Date.now() }));
      this.dropped = 0;
    }
    this.stream.write(formatLogLine(r));
  }

  /** Ends the file: resolves once every buffered record is written and the file is closed. */
  close(): Promise<void> {
    this.dispose();
    return this.closed;
  }

  /** Ends the stream (what is buffered is still flushed, in the background). Idempotent. */
  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    if (!this.stream.destroyed) this.stream.end();
  }
}
