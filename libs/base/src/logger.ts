/**
 * A small structured logging interface. The SDK logs through it and never to the console
 * directly; applications plug in their own sink (pino, winston, a file) by implementing it.
 * Credentials are never passed to a logger: callers redact before logging.
 */

/** Severity, lowest first. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** The levels in order, lowest first: a record passes a threshold level when its number is at least the threshold's. */
export const LOG_LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Where the SDK writes what it does. */
export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` (typically `{ component: 'transaction' }`) to every line. */
  child(fields: LogFields): Logger;
}

/** One log record as handed to a {@link LogSink}. */
export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: LogFields;
  /** Milliseconds since the epoch. */
  time: number;
}

/** Receives log records from a {@link SinkLogger}. */
export type LogSink = (record: LogRecord) => void;

/** A logger that drops everything. */
export const nullLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};

/** A logger that filters by level and hands records to a sink. */
export class SinkLogger implements Logger {
  /**
   * @param sink receives each record at or above `level`
   * @param level the lowest level passed on
   * @param fields fields added to every record
   */
  constructor(
    private readonly sink: LogSink,
    private readonly level: LogLevel = 'info',
    private readonly fields: LogFields = {},
  ) {}

  private log(level: LogLevel, message: string, fields?: LogFields): void {
    if (LOG_LEVEL_ORDER[level] < LOG_LEVEL_ORDER[this.level]) return;
    try {
      this.sink({ level, message, fields: fields ? { ...this.fields, ...fields } : this.fields, time: Date.now() });
    } catch {
      // A failing sink must not break the stack.
    }
  }

  trace(m: string, f?: LogFields): void {
    this.log('trace', m, f);
  }
  debug(m: string, f?: LogFields): void {
    this.log('debug', m, f);
  }
  info(m: string, f?: LogFields): void {
    this.log('info', m, f);
  }
  warn(m: string, f?: LogFields): void {
    this.log('warn', m, f);
  }
  error(m: string, f?: LogFields): void {
    this.log('error', m, f);
  }
  child(fields: LogFields): Logger {
    return new SinkLogger(this.sink, this.level, { ...this.fields, ...fields });
  }

  /** Whether records at `level` reach the sink. */
  isEnabled(level: LogLevel): boolean {
    return LOG_LEVEL_ORDER[level] >= LOG_LEVEL_ORDER[this.level];
  }
}

/** A sink writing one line per record to stderr: `time level [component] message {fields}`. */
export const consoleSink: LogSink = (r) => {
  const { component, ...rest } = r.fields as { component?: unknown };
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  process.stderr.write(`${new Date(r.time).toISOString()} ${r.level.toUpperCase().padEnd(5)} ${component ? `[${String(component)}] ` : ''}${r.message}${extra}\n`);
};
