// Node tests of the sample desktop: the protocol, the host against the embedded simulated SIP
// Server, and the end-to-end browser test (playwright-core driving Debian's chromium).
// The Storybook story tests run from vitest.storybook.config.ts (their own report).
import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../tools/vitest.shared.ts';

export default defineConfig(sharedTestConfig('sample-desktop', { testTimeout: 90_000, include: ['test/**/*.test.ts'] }));
