import { DisposableStore, toDisposable, type IDisposable } from './disposable';

/**
 * A typed event: call it with a listener to subscribe; dispose the result to unsubscribe.
 * Named `onDid<Verb><Subject>` / `onWill<Verb><Subject>`; the payload is a single object.
 */
export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: IDisposable[] | DisposableStore) => IDisposable;

/** How an {@link Emitter} reports a listener that threw. */
export type ListenerErrorHandler = (error: unknown) => void;

let globalListenerErrorHandler: ListenerErrorHandler = (error) => {
  // A listener's fault must not break the emitter or the stack; report it without rethrowing.
  queueMicrotask(() => {
    process.emitWarning(`listener threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 'ListenerError');
  });
};

/**
 * Sets where listener errors go when an emitter has no handler of its own (the default reports
 * them as a process warning). Returns the previous handler.
 */
export function setListenerErrorHandler(handler: ListenerErrorHandler): ListenerErrorHandler {
  const prev = globalListenerErrorHandler;
  globalListenerErrorHandler = handler;
  return prev;
}

/** Options of an {@link Emitter}. */
export interface EmitterOptions {
  /** Called with each error a listener throws; the other listeners still run. */
  onListenerError?: ListenerErrorHandler;
  /** Called when the first listener subscribes. */
  onWillAddFirstListener?: () => void;
  /** Called after the last listener unsubscribed. */
  onDidRemoveLastListener?: () => void;
}

/** Helpers on events. */
export namespace Event {
  /** An event that never fires. */
  export const None: Event<never> = () => toDisposable(() => {});

  /** Fires once, then unsubscribes itself. */
  export function once<T>(event: Event<T>): Event<T> {
    return (listener, thisArgs, disposables) => {
      let fired = false;
      const sub: IDisposable = event(
        (e) => {
          if (fired) return;
          fired = true;
          sub?.dispose();
          return listener.call(thisArgs, e);
        },
        undefined,
        disposables,
      );
      if (fired) sub.dispose();
      return sub;
    };
  }

  /** An event that fires `map(e)` whenever `event` fires `e`. */
  export function map<I, O>(event: Event<I>, map: (i: I) => O): Event<O> {
    return (listener, thisArgs, disposables) => event((i) => listener.call(thisArgs, map(i)), undefined, disposables);
  }

  /** An event that fires only for payloads passing `filter`. */
  export function filter<T>(event: Event<T>, filter: (e: T) => boolean): Event<T> {
    return (listener, thisArgs, disposables) =>
      event((e) => (filter(e) ? listener.call(thisArgs, e) : undefined), undefined, disposables);
  }

  /** A promise that resolves with the next payload of `event`. */
  export function toPromise<T>(event: Event<T>): Promise<T> {
    return new Promise((resolve) => once(event)(resolve));
  }
}

interface Listener<T> {
  fn: (e: T) => unknown;
  thisArgs: unknown;
  subscription?: IDisposable;
}

/**
 * The source of an {@link Event}. Listeners run synchronously in subscription order; a listener
 * that throws is reported to the error handler and the others still run.
 */
export class Emitter<T> implements IDisposable {
  private listeners: Listener<T>[] = [];
  private disposed = false;
  private _event: Event<T> | undefined;

  constructor(private readonly options: EmitterOptions = {}) {}

  /** The event listeners subscribe to. */
  get event(): Event<T> {
    this._event ??= (fn, thisArgs, disposables) => {
      if (this.disposed) return toDisposable(() => {});
      if (this.listeners.length === 0) this.options.onWillAddFirstListener?.();
      const entry: Listener<T> = { fn, thisArgs };
      // Copy on write: a fire in progress keeps iterating its own array.
      this.listeners = [...this.listeners, entry];
      const sub = toDisposable(() => {
        const before = this.listeners.length;
        this.listeners = this.listeners.filter((l) => l !== entry);
        if (before > 0 && this.listeners.length === 0 && !this.disposed) this.options.onDidRemoveLastListener?.();
      });
      entry.subscription = sub;
      if (disposables instanceof DisposableStore) disposables.add(sub);
      else if (Array.isArray(disposables)) disposables.push(sub);
      return sub;
    };
    return this._event;
  }

  /** Delivers `e` to every listener subscribed now. */
  fire(e: T): void {
    const listeners = this.listeners;
    for (const l of listeners) {
      try {
        l.fn.call(l.thisArgs, e);
      } catch (error) {
        (this.options.onListenerError ?? globalListenerErrorHandler)(error);
      }
    }
  }

  /** Whether anyone listens. */
  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  /**
   * Drops every listener (their subscriptions count as disposed: a listener of a disposed
   * object is not a leak); later subscriptions are ignored. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l.subscription?.dispose();
  }
}
