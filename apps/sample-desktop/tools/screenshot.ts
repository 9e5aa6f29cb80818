/**
 * Screenshots of the sample desktop for the docs: starts the simulator and two agents, opens
 * each agent's UI in Debian's chromium (headless), has 2002 ring (`sample-desktop-ringing.png`),
 * answers, and shoots 2001 mid-call with the quality graph filled (`sample-desktop-call.png`).
 *
 *   npx nx run sample-desktop:screenshot      (builds the UI first)
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSampleDesktop } from '../src/start';
import { ensureUiBuilt, launchChromium } from '../test/support/browser';

const out = fileURLToPath(new URL('../../../docs/images/', import.meta.url));
mkdirSync(out, { recursive: true });
await ensureUiBuilt();
const desktop = await startSampleDesktop({ agents: ['2001', '2002'], ui: 'dist', statsIntervalMs: 500 });
const browser = await launchChromium();
try {
  const [a, b] = await Promise.all(desktop.hosts.map(async ({ host }) => {
    const p = await browser.newPage({ viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 });
    p.setDefaultTimeout(15_000);
    await p.goto(host.url);
    await p.getByTestId('agent').waitFor();
    return p;
  }));
  if (!a || !b) throw new Error('two pages expected');
  await a.getByRole('textbox', { name: 'Number' }).fill('2002');
  await a.getByRole('button', { name: 'Call' }).click();
  await b.locator('[data-testid="call"][data-state="Alerting"]').waitFor();
  await b.screenshot({ path: `${out}sample-desktop-ringing.png` });
  await b.getByRole('button', { name: 'Answer' }).click();
  await a.locator('[data-testid="call"][data-state="Connected"]').waitFor();
  // Let the graph fill (about 20 samples), open the keypad, send a digit.
  await a.getByRole('button', { name: 'Keypad' }).click();
  await a.getByRole('button', { name: 'DTMF 5' }).click();
  await a.waitForFunction(() => Number(document.querySelector('[data-testid="quality-graph"]')?.getAttribute('data-samples') ?? 0) >= 20, undefined, { timeout: 30_000 });
  await a.screenshot({ path: `${out}sample-desktop-call.png` });
  console.log(`wrote ${out}sample-desktop-call.png and sample-desktop-ringing.png`);
} finally {
  await browser.close();
  await desktop.dispose();
}
