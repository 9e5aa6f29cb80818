import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CancellationTokenSource,
  ConfigError,
  Disposable,
  DisposableStore,
  DisposableTracker,
  Emitter,
  ErrorCode,
  Event,
  MutableDisposable,
  SdkError,
  SinkLogger,
  VirtualClock,
  ensureNoDisposablesAreLeakedInTestSuite,
  isSdkError,
  setDisposableTracker,
  toDisposable,
  type LogRecord,
} from '@sip-endpoint/base';

describe('Disposable', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('runs a cleanup once', () => {
    let n = 0;
    const d = toDisposable(() => n++);
    d.dispose();
    d.dispose();
    expect(n).toBe(1);
  });

  it('store disposes children, and late additions at once', () => {
    const store = new DisposableStore();
    const log: string[] = [];
    store.add(toDisposable(() => log.push('a')));
    store.add(toDisposable(() => log.push('b')));
    expect(store.size).toBe(2);
    store.dispose();
    expect(log).toEqual(['a', 'b']);
    store.add(toDisposable(() => log.push('late')));
    expect(log).toEqual(['a', 'b', 'late']);
  });

  it('store disposes every child even when one throws', () => {
    const store = new DisposableStore();
    let second = false;
    store.add(toDisposable(() => { throw new Error('boom'); }));
    store.add(toDisposable(() => { second = true; }));
    expect(() => store.dispose()).toThrow('boom');
    expect(second).toBe(true);
  });

  it('Disposable subclass owns registered children', () => {
    let cleaned = false;
    class Owner extends Disposable {
      constructor() {
        super();
        this._register(toDisposable(() => { cleaned = true; }));
      }
    }
    const o = new Owner();
    o.dispose();
    expect(cleaned).toBe(true);
  });

  it('MutableDisposable disposes the replaced value', () => {
    const m = new MutableDisposable();
    let a = 0;
    m.value = toDisposable(() => a++);
    m.value = toDisposable(() => a++);
    expect(a).toBe(1);
    m.dispose();
    expect(a).toBe(2);
  });
});

describe('DisposableTracker', () => {
  it('reports a leaked disposable and not an owned or disposed one', () => {
    const tracker = new DisposableTracker();
    const prev = setDisposableTracker(tracker);
    try {
      const leaked = toDisposable(() => {});
      const store = new DisposableStore();
      store.add(toDisposable(() => {}));
      toDisposable(() => {}).dispose();
      expect(tracker.leaks().map((l) => l.disposable)).toEqual([leaked, store]);
      expect(() => tracker.assertNoLeaks()).toThrow(/2 disposable\(s\) leaked/);
      store.dispose();
      leaked.dispose();
      expect(tracker.leaks()).toEqual([]);
    } finally {
      setDisposableTracker(prev);
    }
  });
});

describe('Emitter', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('isolates a throwing listener', () => {
    const errors: unknown[] = [];
    const e = new Emitter<number>({ onListenerError: (err) => errors.push(err) });
    const got: number[] = [];
    const s1 = e.event(() => { throw new Error('bad listener'); });
    const s2 = e.event((n) => got.push(n));
    e.fire(1);
    e.fire(2);
    expect(got).toEqual([1, 2]);
    expect(errors).toHaveLength(2);
    s1.dispose();
    s2.dispose();
    e.dispose();
  });

  it('unsubscribes, and once fires once', () => {
    const e = new Emitter<string>();
    const got: string[] = [];
    const sub = e.event((s) => got.push(s));
    const onceSub = Event.once(e.event)((s) => got.push(`once:${s}`));
    e.fire('a');
    sub.dispose();
    e.fire('b');
    expect(got).toEqual(['a', 'once:a']);
    onceSub.dispose();
    e.dispose();
  });

  it('a listener added during fire does not see that fire', () => {
    const e = new Emitter<number>();
    const got: number[] = [];
    const subs = new DisposableStore();
    subs.add(e.event(() => { subs.add(e.event((n) => got.push(n))); }));
    e.fire(1);
    expect(got).toEqual([]);
    e.fire(2);
    expect(got).toEqual([2]);
    subs.dispose();
    e.dispose();
  });
});

describe('CancellationTokenSource', () => {
  it('fires on cancel and follows a parent', () => {
    const parent = new CancellationTokenSource();
    const child = new CancellationTokenSource(parent.token);
    let fired = 0;
    const sub = child.token.onCancellationRequested(() => fired++);
    expect(child.token.isCancellationRequested).toBe(false);
    parent.cancel();
    expect(child.token.isCancellationRequested).toBe(true);
    expect(fired).toBe(1);
    sub.dispose();
    child.dispose();
    parent.dispose();
  });
});

describe('SdkError', () => {
  it('keeps code and name; ConfigError lists every issue with position', () => {
    const e = new ConfigError([
      { keyPath: 'server:0', message: 'missing', file: 'a.config', line: 3, column: 5 },
      { keyPath: 'proxies.proxy0.port', message: 'out of range', file: 'a.config', line: 9 },
    ]);
    expect(e).toBeInstanceOf(SdkError);
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.name).toBe('ConfigError');
    expect(e.message).toContain('a.config:3:5: server:0: missing');
    expect(e.message).toContain('a.config:9: proxies.proxy0.port: out of range');
    expect(e.line).toBe(3);
    expect(isSdkError(e, ErrorCode.ConfigInvalid)).toBe(true);
    expect(isSdkError(new Error('x'))).toBe(false);
  });
});

describe('SinkLogger', () => {
  it('filters by level and merges child fields', () => {
    const got: LogRecord[] = [];
    const log = new SinkLogger((r) => got.push(r), 'info', { app: 'x' }).child({ component: 'tx' });
    log.debug('hidden');
    log.warn('shown', { branch: 'z9hG4bK1' });
    expect(got).toHaveLength(1);
    expect(got[0]!.fields).toEqual({ app: 'x', component: 'tx', branch: 'z9hG4bK1' });
  });
});

describe('VirtualClock', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('runs timers in due order, including ones scheduled while advancing', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => {
      log.push(`a@${clock.now()}`);
      clock.setTimeout(() => log.push(`c@${clock.now()}`), 50);
    }, 100);
    const cancelled = clock.setTimeout(() => log.push('never'), 120);
    cancelled.dispose();
    clock.advance(149);
    expect(log).toEqual(['a@100']);
    clock.advance(1);
    expect(log).toEqual(['a@100', 'c@150']);
    clock.advance(1000);
    expect(log).toEqual(['a@100', 'c@150', 'b@200']);
    expect(clock.now()).toBe(1150);
  });

  it('repeats an interval until disposed', () => {
    const clock = new VirtualClock();
    let n = 0;
    const t = clock.setInterval(() => n++, 10);
    clock.advance(35);
    expect(n).toBe(3);
    t.dispose();
    clock.advance(100);
    expect(n).toBe(3);
    expect(clock.pendingCount).toBe(0);
  });
});

describe('Emitter disposal', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('disposes the subscriptions of its listeners, so they are not reported as leaks', () => {
    const e = new Emitter<number>();
    const got: number[] = [];
    e.event((n) => got.push(n));
    e.fire(1);
    e.dispose();
    e.fire(2);
    expect(got).toEqual([1]);
    expect(e.hasListeners).toBe(false);
  });
});
