/** Debian's chromium through playwright-core (which never downloads a browser), headless. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { UI_DIST_DIR } from '../../src/host/index';

/** Chromium flags for a headless run without GPU or network (TOOLCHAIN.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Nothing resolves but the loopback (the hosts listen on 127.0.0.1, which the rule would map too).
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

/** Launches chromium (`CHROMIUM_PATH` or /usr/bin/chromium). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * Builds the UI with Vite into `dist/ui` (about a second), so a browser test never runs a stale
 * build; with `ifMissing`, only when there is none.
 */
export async function ensureUiBuilt(options: { ifMissing?: boolean } = {}): Promise<void> {
  if (options.ifMissing && existsSync(join(UI_DIST_DIR, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(UI_DIST_DIR, '../../vite.config.ts'), logLevel: 'warn' });
}
