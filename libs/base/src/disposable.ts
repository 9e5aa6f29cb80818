/**
 * Resource ownership, VS Code style: everything that holds a timer, socket, listener or native
 * handle is an {@link IDisposable}; children are registered with their owner; disposal is
 * idempotent. A {@link DisposableTracker} lets test suites fail on leaked disposables.
 */

/** Something that holds a resource and releases it when {@link IDisposable.dispose} is called. */
export interface IDisposable {
  /** Releases the resource. Calling it again does nothing. */
  dispose(): void;
}

/** Whether `value` looks like an {@link IDisposable}. */
export function isDisposable(value: unknown): value is IDisposable {
  return typeof value === 'object' && value !== null && typeof (value as IDisposable).dispose === 'function';
}

/**
 * Records every tracked disposable that is created and not yet disposed, so a test can assert
 * that nothing leaked. Install one with {@link setDisposableTracker}.
 */
export class DisposableTracker {
  private readonly live = new Map<IDisposable, { stack: string; parent: IDisposable | undefined }>();

  /** @internal called when a tracked disposable is created. */
  trackCreated(d: IDisposable): void {
    const stack = new Error('created here').stack ?? '';
    this.live.set(d, { stack, parent: undefined });
  }

  /** @internal called when a tracked disposable is disposed. */
  trackDisposed(d: IDisposable): void {
    this.live.delete(d);
  }

  /** @internal called when `child` is handed to `parent` (a store or an owner). */
  setParent(child: IDisposable, parent: IDisposable | undefined): void {
    const entry = this.live.get(child);
    if (entry) entry.parent = parent;
  }

  /**
   * The disposables created since this tracker was installed, not disposed, and not owned by a
   * parent that is itself still alive (owned children are reported through their root).
   */
  leaks(): { disposable: IDisposable; stack: string }[] {
    const out: { disposable: IDisposable; stack: string }[] = [];
    for (const [d, { stack, parent }] of this.live) {
      if (parent !== undefined && this.live.has(parent)) continue;
      out.push({ disposable: d, stack });
    }
    return out;
  }

  /** Throws an `Error` listing the leaked disposables with the stack where each was created. */
  assertNoLeaks(): void {
    const leaks = this.leaks();
    if (leaks.length === 0) return;
    const detail = leaks
      .slice(0, 10)
      .map((l, i) => `#${i + 1} ${l.disposable.constructor?.name ?? 'object'}\n${l.stack.split('\n').slice(2, 8).join('\n')}`)
      .join('\n\n');
    throw new Error(`${leaks.length} disposable(s) leaked:\n${detail}`);
  }
}

let tracker: DisposableTracker | undefined;

/** Installs (or removes, with `undefined`) the global tracker; returns the previous one. */
export function setDisposableTracker(t: DisposableTracker | undefined): DisposableTracker | undefined {
  const prev = tracker;
  tracker = t;
  return prev;
}

/** @internal */
export function trackDisposable<T extends IDisposable>(d: T): T {
  tracker?.trackCreated(d);
  return d;
}

/** @internal */
export function markAsDisposed(d: IDisposable): void {
  tracker?.trackDisposed(d);
}

/** @internal */
export function setParentOfDisposable(child: IDisposable, parent: IDisposable | undefined): void {
  tracker?.setParent(child, parent);
}

class FunctionDisposable implements IDisposable {
  private fn: (() => void) | undefined;
  constructor(fn: () => void) {
    this.fn = fn;
    trackDisposable(this);
  }
  dispose(): void {
    const fn = this.fn;
    if (!fn) return;
    this.fn = undefined;
    markAsDisposed(this);
    fn();
  }
}

/** Wraps a cleanup function in an {@link IDisposable} that runs it once. */
export function toDisposable(fn: () => void): IDisposable {
  return new FunctionDisposable(fn);
}

/**
 * Disposes every given disposable, even when some throw; rethrows the first error
 * (an `AggregateError` when several failed).
 */
export function dispose(items: Iterable<IDisposable | undefined>): void {
  const errors: unknown[] = [];
  for (const d of items) {
    if (!d) continue;
    try {
      d.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed to dispose');
}

/** Groups disposables into one: disposing it disposes all of them. */
export function combinedDisposable(...items: IDisposable[]): IDisposable {
  const parent = toDisposable(() => dispose(items));
  for (const d of items) setParentOfDisposable(d, parent);
  return parent;
}

/**
 * A bag of disposables owned together. Adding to a disposed store disposes the item at once
 * (and logs nothing: the owner is gone, so is the resource).
 */
export class DisposableStore implements IDisposable {
  private readonly items = new Set<IDisposable>();
  private disposed = false;

  constructor() {
    trackDisposable(this);
  }

  /** Whether {@link DisposableStore.dispose} has been called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership of `d` and returns it. */
  add<T extends IDisposable>(d: T): T {
    if ((d as unknown) === this) throw new Error('cannot add a DisposableStore to itself');
    setParentOfDisposable(d, this);
    if (this.disposed) {
      d.dispose();
      return d;
    }
    this.items.add(d);
    return d;
  }

  /** Disposes `d` and forgets it. */
  delete(d: IDisposable): void {
    if (this.items.delete(d)) d.dispose();
  }

  /** Forgets `d` without disposing it (ownership goes back to the caller). */
  deleteAndLeak(d: IDisposable): void {
    if (this.items.delete(d)) setParentOfDisposable(d, undefined);
  }

  /** Disposes everything held so far; the store stays usable. */
  clear(): void {
    const items = [...this.items];
    this.items.clear();
    dispose(items);
  }

  /** Disposes everything held and every later addition. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    markAsDisposed(this);
    this.clear();
  }

  /** How many disposables the store holds now. */
  get size(): number {
    return this.items.size;
  }
}

/**
 * Base class for objects that own resources: register children with {@link Disposable._register};
 * override {@link Disposable.dispose} only to add work, and call `super.dispose()`.
 */
export abstract class Disposable implements IDisposable {
  /** A disposable that does nothing. */
  static readonly None: IDisposable = Object.freeze({ dispose() {} });

  protected readonly _store = new DisposableStore();

  constructor() {
    trackDisposable(this);
    setParentOfDisposable(this._store, this);
  }

  /** Whether this object has been disposed. */
  protected get isDisposed(): boolean {
    return this._store.isDisposed;
  }

  /** Takes ownership of a child disposable and returns it. */
  protected _register<T extends IDisposable>(d: T): T {
    return this._store.add(d);
  }

  dispose(): void {
    if (this._store.isDisposed) return;
    markAsDisposed(this);
    this._store.dispose();
  }
}

/** Holds at most one disposable; setting a new value disposes the old one. */
export class MutableDisposable<T extends IDisposable> implements IDisposable {
  private current: T | undefined;
  private disposed = false;

  constructor() {
    trackDisposable(this);
  }

  get value(): T | undefined {
    return this.disposed ? undefined : this.current;
  }

  set value(v: T | undefined) {
    if (this.disposed || v === this.current) {
      if (this.disposed) v?.dispose();
      return;
    }
    const old = this.current;
    this.current = v;
    if (v) setParentOfDisposable(v, this);
    old?.dispose();
  }

  /** Disposes the current value and holds nothing. */
  clear(): void {
    this.value = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    markAsDisposed(this);
    const old = this.current;
    this.current = undefined;
    old?.dispose();
  }
}
