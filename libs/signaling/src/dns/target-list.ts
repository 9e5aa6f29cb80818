/**
 * Failover over resolved targets (RFC 3263 §4.3) and the memory of targets that failed.
 */
import { Disposable, Emitter, realClock, type Clock, type Event } from '@sip-endpoint/base';
import { targetKey, type ResolvedTarget } from './types';

/** Why a target is being left (RFC 3263 §4.3). */
export type TargetFailure =
  /** The transaction timed out (Timer B / Timer F, RFC 3261 §17.1). */
  | { readonly kind: 'timeout' }
  /** The transport could not connect or send (RFC 3261 §18.4). */
  | { readonly kind: 'transport'; readonly error?: unknown }
  /**
   * The server answered 503 (Service Unavailable). `retryAfterSeconds` is the Retry-After value
   * of the response, when it had one.
   */
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds?: number | undefined };

/** Options of a {@link TargetBlacklist}. */
export interface TargetBlacklistOptions {
  /** Time source of the expiry (default: the real clock). */
  clock?: Clock;
  /** How long a failed target stays blacklisted when nothing better is known (default 32 000 ms). */
  defaultMs?: number;
  /** Upper bound of a Retry-After hint (default 3 600 000 ms: one hour). */
  maxMs?: number;
}

/**
 * Remembers targets that failed, each until an expiry on the injected clock. Lookups order
 * blacklisted targets last, so a new transaction tries healthy servers first. Holds no timer:
 * expiry is checked against `clock.now()` when asked. Dispose it to release the listeners of
 * {@link TargetBlacklist.onDidChange}.
 */
export class TargetBlacklist extends Disposable {
  private readonly clock: Clock;
  private readonly entries = new Map<string, number>();
  private readonly onDidChangeEmitter = this._register(new Emitter<{ key: string; blacklisted: boolean; until?: number }>());
  /** Default duration of an entry, in milliseconds. */
  readonly defaultMs: number;
  /** Upper bound of an entry's duration, in milliseconds. */
  readonly maxMs: number;

  /** Fires when a target is added to (or explicitly removed from) the blacklist. */
  readonly onDidChange: Event<{ key: string; blacklisted: boolean; until?: number }> = this.onDidChangeEmitter.event;

  constructor(options: TargetBlacklistOptions = {}) {
    super();
    this.clock = options.clock ?? realClock;
    this.defaultMs = options.defaultMs ?? 32_000;
    this.maxMs = options.maxMs ?? 3_600_000;
  }

  /**
   * Blacklists `target` for `ms` milliseconds (default {@link TargetBlacklist.defaultMs}, capped
   * at {@link TargetBlacklist.maxMs}). An existing longer entry is kept.
   */
  add(target: Pick<ResolvedTarget, 'address' | 'port' | 'transport'>, ms = this.defaultMs): void {
    const key = targetKey(target);
    const until = this.clock.now() + Math.max(0, Math.min(ms, this.maxMs));
    const current = this.entries.get(key);
    if (current !== undefined && current >= until) return;
    this.entries.set(key, until);
    this.onDidChangeEmitter.fire({ key, blacklisted: true, until });
  }

  /** Forgets `target` (it answered after all). */
  remove(target: Pick<ResolvedTarget, 'address' | 'port' | 'transport'>): void {
    const key = targetKey(target);
    if (this.entries.delete(key)) this.onDidChangeEmitter.fire({ key, blacklisted: false });
  }

  /** Whether `target` is blacklisted now. */
  has(target: Pick<ResolvedTarget, 'address' | 'port' | 'transport'>): boolean {
    return this.expiresAt(target) !== undefined;
  }

  /** When the entry of `target` expires (clock time), or `undefined` when it is not blacklisted. */
  expiresAt(target: Pick<ResolvedTarget, 'address' | 'port' | 'transport'>): number | undefined {
    const key = targetKey(target);
    const until = this.entries.get(key);
    if (until === undefined) return undefined;
    if (until <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return until;
  }

  /** How many entries are live now. */
  get size(): number {
    const now = this.clock.now();
    for (const [k, until] of this.entries) if (until <= now) this.entries.delete(k);
    return this.entries.size;
  }

  /** `targets` with the blacklisted ones moved to the end (relative order kept in both parts). */
  order<T extends Pick<ResolvedTarget, 'address' | 'port' | 'transport'>>(targets: readonly T[]): T[] {
    const healthy: T[] = [];
    const failed: T[] = [];
    for (const t of targets) (this.has(t) ? failed : healthy).push(t);
    return [...healthy, ...failed];
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * The resolved targets of one request, tried in order with failover (RFC 3263 §4.3). Start
 * with {@link TargetList.current}; when the transaction to it times out, fails at the
 * transport, or is answered 503, call {@link TargetList.next} with the reason: the target is
 * blacklisted (so later lookups order it last) and the next usable one is returned.
 *
 * ```ts
 * const targets = await resolver.lookup({ host: 'example.com' });
 * for (let t = targets.current; t; t = targets.next({ kind: 'timeout' })) { ... }
 * ```
 */
export class TargetList implements Iterable<ResolvedTarget> {
  private index = 0;
  private readonly tried = new Set<string>();

  /**
   * @param targets the ordered targets (as returned by `SipResolver.resolve`)
   * @param blacklist where failures are remembered; without one failures are only skipped here
   */
  constructor(
    readonly targets: readonly ResolvedTarget[],
    private readonly blacklist?: TargetBlacklist,
  ) {}

  /** The target to use now, or `undefined` when every target has been tried. */
  get current(): ResolvedTarget | undefined {
    return this.targets[this.index];
  }

  /** Whether every target has been tried and failed. */
  get exhausted(): boolean {
    return this.index >= this.targets.length;
  }

  /** How many targets are left, the current one included. */
  get remaining(): number {
    return Math.max(0, this.targets.length - this.index);
  }

  /**
   * Reports that the current target failed and moves on. Returns the next target, or
   * `undefined` when none is left (the request then fails with the last error seen).
   *
   * RFC 3263 §4.3 says to try the next element after a timeout or transport failure; for a
   * 503 RFC 3261 §21.5.4 says to try an alternate server and not to send to that server for the
   * Retry-After duration.
   */
  next(failure: TargetFailure): ResolvedTarget | undefined {
    const failed = this.current;
    if (!failed) return undefined;
    this.tried.add(targetKey(failed));
    if (this.blacklist) {
      if (failure.kind === 'unavailable' && failure.retryAfterSeconds !== undefined && failure.retryAfterSeconds > 0) {
        // RFC 3261 §21.5.4: It SHOULD NOT forward any other requests to that server for the
        // duration specified in the Retry-After header field, if present. Taken as a hint only:
        // the blacklist caps it at its maxMs.
        this.blacklist.add(failed, failure.retryAfterSeconds * 1000);
      } else {
        this.blacklist.add(failed);
      }
    }
    this.index++;
    // A target listed twice (same transport, address and port) that already failed is skipped.
    for (let t = this.current; t && this.tried.has(targetKey(t)); t = this.current) this.index++;
    return this.current;
  }

  /** Reports that the current target answered: it leaves the blacklist if it was on it. */
  succeeded(): void {
    const t = this.current;
    if (t && this.blacklist) this.blacklist.remove(t);
  }

  [Symbol.iterator](): Iterator<ResolvedTarget> {
    return this.targets[Symbol.iterator]();
  }
}
