// The stories as tests: every story renders and runs its `play` function (interaction test) in
// Debian's chromium, headless, through vitest browser mode with playwright's provider.
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Chromium flags for a headless run on a machine without a GPU or network (TOOLCHAIN.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost',
];

export default defineConfig({
  plugins: [storybookTest({ configDir: here('./.storybook') })],
  test: {
    name: 'storybook',
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: '../../reports/sample-desktop-storybook.json' }]],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
