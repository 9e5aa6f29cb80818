import { ErrorCode, SdkError } from '@sip-endpoint/base';

/**
 * A failure reported by the native media engine: what it was doing (`operation`, e.g.
 * `createStream`) and where in the native code it refused (`location`, `file:line`).
 * Code `NATIVE_ENGINE`.
 */
export class NativeEngineError extends SdkError {
  constructor(
    message: string,
    /** The engine operation that failed (`createStream`, `updateStream`, `engine`...). */
    readonly operation: string,
    /** Where in the native code (`engine/stream.cc:123`), when known. */
    readonly location: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.NativeEngine, message, options);
  }
}

/** Runs a native call and turns what it throws into a {@link NativeEngineError}. */
export function callNative<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NativeEngineError) throw e;
    const shape = e as { message?: unknown; operation?: unknown; location?: unknown };
    const message = typeof shape?.message === 'string' ? shape.message : String(e);
    throw new NativeEngineError(
      `${operation}: ${message}`,
      typeof shape?.operation === 'string' ? shape.operation : operation,
      typeof shape?.location === 'string' ? shape.location : undefined,
      { cause: e },
    );
  }
}
