import { markAsDisposed, trackDisposable, type IDisposable } from './disposable';

/** A scheduled callback; dispose it to cancel. */
export interface TimerHandle extends IDisposable {
  /** Whether the callback has neither run nor been cancelled. */
  readonly isPending: boolean;
}

/**
 * The source of time for everything that has a timer. Protocol code takes a Clock instead of
 * calling `setTimeout`, so its tests run in virtual time ({@link VirtualClock}).
 */
export interface Clock {
  /** Milliseconds, monotonic (not wall time). */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Runs `callback` every `ms` milliseconds until disposed. */
  setInterval(callback: () => void, ms: number): TimerHandle;
}

class RealTimer implements TimerHandle {
  private pending = true;
  constructor(
    private readonly handle: NodeJS.Timeout,
    private readonly repeat: boolean,
  ) {
    trackDisposable(this);
    // Protocol timers must not keep the process alive on their own.
    handle.unref?.();
  }
  get isPending(): boolean {
    return this.pending;
  }
  fired(): void {
    if (!this.repeat) {
      this.pending = false;
      markAsDisposed(this);
    }
  }
  dispose(): void {
    if (!this.pending) return;
    this.pending = false;
    markAsDisposed(this);
    if (this.repeat) clearInterval(this.handle);
    else clearTimeout(this.handle);
  }
}

/** The clock of the real world: `performance.now()` and Node's timers (unref'd). */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    let timer: RealTimer | undefined = undefined;
    const handle = setTimeout(() => {
      timer?.fired();
      callback();
    }, Math.max(0, ms));
    timer = new RealTimer(handle, false);
    return timer;
  }
  setInterval(callback: () => void, ms: number): TimerHandle {
    const handle = setInterval(callback, Math.max(1, ms));
    return new RealTimer(handle, true);
  }
}

/** The process-wide real clock. */
export const realClock: Clock = new RealClock();

interface VirtualEntry {
  id: number;
  due: number;
  period: number | undefined;
  callback: () => void;
  timer: VirtualTimer;
}

class VirtualTimer implements TimerHandle {
  pending = true;
  constructor(private readonly clock: VirtualClock, readonly id: number) {
    trackDisposable(this);
  }
  get isPending(): boolean {
    return this.pending;
  }
  dispose(): void {
    if (!this.pending) return;
    this.pending = false;
    markAsDisposed(this);
    this.clock.cancel(this.id);
  }
}

/**
 * A clock that moves only when told to. {@link VirtualClock.advance} runs every timer that falls
 * due, in order of due time (ties in order of scheduling), including timers scheduled by them.
 */
export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly entries = new Map<number, VirtualEntry>();

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.schedule(callback, Math.max(0, ms), undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    const period = Math.max(1, ms);
    return this.schedule(callback, period, period);
  }

  private schedule(callback: () => void, delay: number, period: number | undefined): TimerHandle {
    const id = this.nextId++;
    const timer = new VirtualTimer(this, id);
    this.entries.set(id, { id, due: this.time + delay, period, callback, timer });
    return timer;
  }

  /** @internal */
  cancel(id: number): void {
    this.entries.delete(id);
  }

  /** How many timers are scheduled. */
  get pendingCount(): number {
    return this.entries.size;
  }

  /** Due time of the earliest timer, or `undefined` when none is scheduled. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const e of this.entries.values()) if (min === undefined || e.due < min) min = e.due;
    return min;
  }

  private popDue(limit: number): VirtualEntry | undefined {
    let best: VirtualEntry | undefined;
    for (const e of this.entries.values()) {
      if (e.due > limit) continue;
      if (!best || e.due < best.due || (e.due === best.due && e.id < best.id)) best = e;
    }
    return best;
  }

  /** Moves time forward by `ms`, running every timer due on the way. */
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      const e = this.popDue(target);
      if (!e) break;
      this.time = Math.max(this.time, e.due);
      if (e.period !== undefined) {
        e.due += e.period;
      } else {
        this.entries.delete(e.id);
        e.timer.pending = false;
        markAsDisposed(e.timer);
      }
      e.callback();
    }
    this.time = target;
  }

  /**
   * Runs timers until none is left or `maxMs` of virtual time has passed (intervals would
   * otherwise run forever). Returns the virtual time spent.
   */
  runAll(maxMs = 3_600_000): number {
    const start = this.time;
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due - start > maxMs) break;
      this.advance(due - this.time);
    }
    return this.time - start;
  }
}
