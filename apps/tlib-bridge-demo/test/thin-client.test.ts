/**
 * The thin web client in a real browser (Playwright driving Debian's chromium): three agent pages
 * click through a call, hold, retrieve, consult + transfer, and a conference; the test reads the
 * states the pages show and checks that their RTP counters grew (from the server's pushes).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { startTlibDemo, type TlibDemo } from '../src/launcher';
import { liveStates, until } from './support';

const LAUNCH = { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] };

describe('thin web client (chromium)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let demo: TlibDemo | undefined;
  let browser: Browser | undefined;

  afterEach(async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await demo?.dispose();
    demo = undefined;
  });

  /** The state cell of the row of `connId` (or of the only live row). */
  const stateOf = (page: Page, connId?: string): Promise<string> =>
    page.locator(connId ? `#calls tr[data-conn="${connId}"] td.state` : '#calls tr:not(.Released) td.state').first().innerText({ timeout: 10_000 });
  const expectState = async (page: Page, state: string, connId?: string): Promise<void> => {
    await page.waitForFunction(
      ([c, s]) => [...document.querySelectorAll(c ? `#calls tr[data-conn="${c}"] td.state` : '#calls tr td.state')].some((td) => td.textContent === s),
      [connId ?? '', state] as const,
      { timeout: 10_000 },
    );
    expect(await stateOf(page, connId).catch(() => '')).toBeTruthy();
  };
  const rowOf = (page: Page, state: string): Promise<string> =>
    page.evaluate((s) => [...document.querySelectorAll('#calls tr')].find((tr) => tr.querySelector('td.state')?.textContent === s)?.getAttribute('data-conn') ?? '', state);
  const packets = (page: Page, connId: string): Promise<number> => page.locator(`#calls tr[data-conn="${connId}"] td.packets`).innerText().then(Number);

  it('clicks through call, hold, retrieve, transfer and conference; states shown and RTP counters grow', async () => {
    demo = await startTlibDemo({ statsIntervalMs: 200 });
    browser = await chromium.launch(LAUNCH);
    const pages: Record<string, Page> = {};
    for (const [i, dn] of ['1001', '1002', '1003'].entries()) {
      const page = await browser.newPage();
      await page.goto(demo.urls[i]!);
      await page.waitForSelector('#status.up', { timeout: 10_000 });
      await page.waitForFunction(() => document.getElementById('log')!.textContent!.includes('EventRegistered'), undefined, { timeout: 10_000 });
      pages[dn] = page;
    }
    const [p1, p2, p3] = [pages['1001']!, pages['1002']!, pages['1003']!];

    // 1001 calls 1002; 1002 answers from its page.
    await p1.fill('#otherDN', '1002');
    await p1.click('#btn-TMakeCall');
    await expectState(p2, 'Ringing');
    await p2.click('#btn-TAnswerCall');
    await expectState(p1, 'Established');
    await expectState(p2, 'Established');
    const main = await rowOf(p1, 'Established');
    expect(main).toMatch(/^[0-9A-F]{16}$/);
    expect(await p1.locator(`#calls tr[data-conn="${main}"] td.other`).innerText()).toBe('1002');
    await p1.waitForFunction((c) => Number(document.querySelector(`#calls tr[data-conn="${c}"] td.packets`)?.textContent) > 30, main, { timeout: 10_000 });
    const early = await packets(p1, main);

    // Hold and retrieve from 1002's page.
    await p2.click('#btn-THoldCall');
    await expectState(p2, 'Held', main);
    await until(() => liveStates(demo!, '1002').join() === 'Connected/held', 8000, '1002 endpoint held');
    await p2.click('#btn-TRetrieveCall');
    await expectState(p2, 'Established', main);
    await until(() => liveStates(demo!, '1002').join() === 'Connected', 8000, '1002 endpoint retrieved');

    // Consult 1003 and complete the transfer.
    await p2.fill('#otherDN', '1003');
    await p2.click('#btn-TInitiateTransfer');
    await expectState(p3, 'Ringing');
    await p3.click('#btn-TAnswerCall');
    await expectState(p2, 'Held', main);
    const consult = await rowOf(p3, 'Established');
    expect(consult).not.toBe(main);
    await p2.click('#btn-TCompleteTransfer');
    await expectState(p2, 'Released', main);
    await p1.waitForFunction((c) => document.querySelector(`#calls tr[data-conn="${c}"] td.other`)?.textContent === '1003', main, { timeout: 10_000 });
    // 1003's row moved to the main ConnID (EventPartyChanged with previousConnId).
    await expectState(p3, 'Established', main);
    expect(await p3.locator(`#calls tr[data-conn="${consult}"]`).count()).toBe(0);
    expect(liveStates(demo, '1002')).toEqual([]);

    // 1003 conferences 1002 back in.
    await p3.fill('#otherDN', '1002');
    await p3.click('#btn-TInitiateConference');
    await expectState(p2, 'Ringing');
    await p2.click('#btn-TAnswerCall');
    await p3.waitForFunction(() => [...document.querySelectorAll('#calls tr td.state')].filter((td) => td.textContent === 'Established' || td.textContent === 'Held').length === 2, undefined, { timeout: 10_000 });
    await p3.click('#btn-TCompleteConference');
    for (const p of [p1, p2, p3]) {
      await p.waitForFunction((c) => document.querySelector(`#calls tr[data-conn="${c}"] td.parties`)?.textContent?.split(', ').length === 3, main, { timeout: 10_000 });
      expect(await p.locator(`#calls tr[data-conn="${main}"] td.callstate`).innerText()).toBe('Conferenced');
      expect(await stateOf(p, main)).toBe('Established');
    }
    for (const dn of ['1001', '1002', '1003']) await until(() => liveStates(demo!, dn).join() === 'Connected', 8000, `${dn} in the conference`);

    // The RTP counter shown in the pages kept growing.
    await p1.waitForFunction(([c, n]) => Number(document.querySelector(`#calls tr[data-conn="${c}"] td.packets`)?.textContent) > n + 50, [main, early] as const, { timeout: 10_000 });
    expect(await packets(p3, main)).toBeGreaterThan(early);

    // Release from 1001's page; then the rest.
    await p1.click('#btn-TReleaseCall');
    await expectState(p1, 'Released', main);
    await p3.click('#btn-TReleaseCall');
    for (const p of [p2, p3]) await expectState(p, 'Released', main);
    for (const dn of ['1001', '1002', '1003']) await until(() => liveStates(demo!, dn).length === 0, 8000, `${dn} idle`);
    // No request failed along the way.
    for (const p of [p1, p2, p3]) expect(await p.locator('#log .err').count()).toBe(0);
  });
});
