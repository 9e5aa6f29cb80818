/**
 * @packageDocumentation
 * Foundations shared by every `@sip-endpoint/*` library: resource ownership
 * ({@link Disposable}), typed events ({@link Emitter}), cancellation, typed errors with stable
 * codes, a logging interface and an injectable clock.
 */
export {
  type IDisposable,
  Disposable,
  DisposableStore,
  MutableDisposable,
  DisposableTracker,
  setDisposableTracker,
  toDisposable,
  dispose,
  combinedDisposable,
  isDisposable,
} from './disposable';
export { Event, Emitter, type EmitterOptions, type ListenerErrorHandler, setListenerErrorHandler } from './event';
export { CancellationToken, CancellationTokenSource, CancellationError } from './cancellation';
export {
  ErrorCode,
  SdkError,
  InvalidStateError,
  TransportError,
  TransactionTimeoutError,
  ConfigError,
  type ConfigIssue,
  isSdkError,
} from './errors';
export { type Logger, type LogLevel, type LogFields, type LogRecord, type LogSink, nullLogger, SinkLogger, consoleSink, LOG_LEVEL_ORDER } from './logger';
export { type Clock, type TimerHandle, RealClock, VirtualClock, realClock } from './clock';
export { ensureNoDisposablesAreLeakedInTestSuite, type TestHooks } from './testing';
