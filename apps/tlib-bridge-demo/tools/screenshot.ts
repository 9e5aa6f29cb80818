/**
 * Takes the README's screenshot: agent 1001's thin page mid-call (1001 called 1002, 1002
 * answered, held and retrieved; a consultation to 1003 is up), into docs/images/tlib-thin-client.png.
 * Run: `npm run screenshot -w @sip-endpoint/tlib-bridge-demo`.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { startTlibDemo } from '../src/launcher';

const out = fileURLToPath(new URL('../../../docs/images/tlib-thin-client.png', import.meta.url));
mkdirSync(fileURLToPath(new URL('../../../docs/images/', import.meta.url)), { recursive: true });
const demo = await startTlibDemo({ statsIntervalMs: 200 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const pages = await Promise.all(demo.urls.map(async (u) => {
    const p = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    await p.goto(u);
    await p.waitForSelector('#status.up');
    return p;
  }));
  const [p1, p2, p3] = pages as [Page, Page, Page];
  const state = (p: Page, s: string): Promise<unknown> =>
    p.waitForFunction((x) => [...document.querySelectorAll('#calls td.state')].some((td) => td.textContent === x), s, { timeout: 10_000 });
  await p2.fill('#otherDN', '1001');
  await p2.click('#btn-TMakeCall');
  await state(p1, 'Ringing');
  await p1.click('#btn-TAnswerCall');
  await state(p1, 'Established');
  await p1.click('#btn-THoldCall');
  await state(p1, 'Held');
  await p1.click('#btn-TRetrieveCall');
  await state(p1, 'Established');
  await p1.fill('#otherDN', '1003');
  await p1.click('#btn-TInitiateTransfer');
  await state(p3, 'Ringing');
  await p3.click('#btn-TAnswerCall');
  await p1.waitForFunction(() => [...document.querySelectorAll('#calls td.packets')].some((td) => Number(td.textContent) > 100), undefined, { timeout: 10_000 });
  await p1.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await demo.dispose();
}
process.exit(0);
