import { Emitter, Event } from './event';
import type { IDisposable } from './disposable';
import { SdkError, ErrorCode } from './errors';

/** Tells an operation that its result is no longer wanted. */
export interface CancellationToken {
  /** Whether cancellation was requested. */
  readonly isCancellationRequested: boolean;
  /** Fires once when cancellation is requested. */
  readonly onCancellationRequested: Event<void>;
}

const shortcutEvent: Event<void> = (listener, thisArgs) => {
  const handle = setTimeout(() => listener.call(thisArgs, undefined), 0);
  return { dispose: () => clearTimeout(handle) };
};

/** Ready-made tokens. */
export namespace CancellationToken {
  /** A token that is never cancelled. */
  export const None: CancellationToken = Object.freeze({ isCancellationRequested: false, onCancellationRequested: Event.None });
  /** A token that is already cancelled. */
  export const Cancelled: CancellationToken = Object.freeze({ isCancellationRequested: true, onCancellationRequested: shortcutEvent });
}

class MutableToken implements CancellationToken {
  private cancelled = false;
  private emitter: Emitter<void> | undefined;

  get isCancellationRequested(): boolean {
    return this.cancelled;
  }

  get onCancellationRequested(): Event<void> {
    if (this.cancelled) return shortcutEvent;
    this.emitter ??= new Emitter<void>();
    return this.emitter.event;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emitter?.fire();
    this.emitter?.dispose();
    this.emitter = undefined;
  }

  dispose(): void {
    this.emitter?.dispose();
    this.emitter = undefined;
  }
}

/** Creates and controls a {@link CancellationToken}. */
export class CancellationTokenSource implements IDisposable {
  private _token: MutableToken | CancellationToken | undefined;
  private readonly parentSub: IDisposable | undefined;

  /** @param parent cancelling the parent cancels this source too. */
  constructor(parent?: CancellationToken) {
    this.parentSub = parent?.onCancellationRequested(() => this.cancel());
  }

  /** The token to hand to the operation. */
  get token(): CancellationToken {
    this._token ??= new MutableToken();
    return this._token;
  }

  /** Requests cancellation. */
  cancel(): void {
    if (!this._token) this._token = CancellationToken.Cancelled;
    else if (this._token instanceof MutableToken) this._token.cancel();
  }

  /** Releases listeners; with `cancel` true, cancels first. */
  dispose(cancel = false): void {
    if (cancel) this.cancel();
    this.parentSub?.dispose();
    if (this._token instanceof MutableToken) this._token.dispose();
    else if (!this._token) this._token = CancellationToken.None;
  }
}

/** The error an operation rejects with when its token was cancelled. */
export class CancellationError extends SdkError {
  constructor(message = 'the operation was cancelled') {
    super(ErrorCode.Cancelled, message);
  }
}
