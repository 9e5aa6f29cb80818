import { DisposableTracker, setDisposableTracker } from './disposable';

/** The hooks of a test framework that {@link ensureNoDisposablesAreLeakedInTestSuite} needs. */
export interface TestHooks {
  beforeEach(fn: () => void): void;
  afterEach(fn: () => void): void;
}

/**
 * Makes every test of the calling suite fail when it leaves a disposable undisposed. Pass the
 * framework's hooks (`{ beforeEach, afterEach }` from vitest or node:test).
 */
export function ensureNoDisposablesAreLeakedInTestSuite(hooks: TestHooks): void {
  let tracker: DisposableTracker | undefined;
  let previous: DisposableTracker | undefined;
  hooks.beforeEach(() => {
    tracker = new DisposableTracker();
    previous = setDisposableTracker(tracker);
  });
  hooks.afterEach(() => {
    setDisposableTracker(previous);
    const t = tracker;
    tracker = undefined;
    t?.assertNoLeaks();
  });
}
