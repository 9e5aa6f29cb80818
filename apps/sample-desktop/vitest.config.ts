// Node tests of the sample desktop: the protocol, the host against the embedded simulated SIP
// Server and Kamailio, and the end-to-end browser test (playwright-core driving Debian's
// chromium). The Storybook story tests run from vitest.storybook.config.ts (their own report).
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../tools/vitest.shared.ts';

export default defineConfig(
  mergeConfig(sharedTestConfig('sample-desktop', { testTimeout: 90_000, include: ['test/**/*.test.ts'] }), {
    // expect.poll waits for the browser and the peers: generous on a loaded machine (default 1 s).
    test: { expect: { poll: { timeout: 15_000, interval: 100 } } },
  }),
);
