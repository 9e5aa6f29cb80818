import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { NullSink, NullSource, type AudioDeviceInfo } from '@sip-endpoint/endpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSampleDesktop, type SampleDesktop } from '../src/start';
import { ensureUiBuilt, launchChromium } from './support/browser';
import { wavLevel } from './support/wav';

// End to end in a real browser: the simulated SIP Server, three desktop hosts serving the built
// UI, and one chromium page per agent, clicked through as an agent would. 2001's endpoint has an
// injected sound card enumeration (a headset the test unplugs).
describe('sample desktop in chromium (e2e)', () => {
  const HEADSET: AudioDeviceInfo = { name: 'hw:CARD=Headset,DEV=0', description: 'USB Headset', input: true, output: true };
  let present: AudioDeviceInfo[] = [HEADSET];
  // The hosts live for the whole suite: everything created from its start must be disposed by its end.
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach: beforeAll, afterEach: afterAll });
  let desktop: SampleDesktop;
  let browser: Browser;
  let dir: string;
  const page: Record<string, Page> = {};

  beforeAll(async () => {
    await ensureUiBuilt();
    dir = mkdtempSync(join(tmpdir(), 'sample-desktop-e2e-'));
    desktop = await startSampleDesktop({
      agents: ['2001', '2002', '2003'],
      recordDir: dir,
      ui: 'dist',
      statsIntervalMs: 500,
      devicesFor: (agent) => (agent === '2001' ? { enumerate: () => present, openSource: () => new NullSource(), openSink: () => new NullSink(), pollIntervalMs: 0 } : undefined),
    });
    browser = await launchChromium();
    for (const { agent, host } of desktop.hosts) {
      const p = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      p.setDefaultTimeout(15_000);
      await p.goto(host.url);
      await p.getByTestId('agent').filter({ hasText: agent }).waitFor();
      page[agent] = p;
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await desktop?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** The card of the live call with `party` on `agent`'s page. */
  const card = (agent: string, party: string): Locator => page[agent]!.locator(`.session-list > [data-testid="call"][data-remote="${party}"]`);
  const liveCards = (agent: string): Locator => page[agent]!.locator('.session-list > [data-testid="call"]');
  const number = async (l: Locator): Promise<number> => Number(await l.textContent());

  it('shows each agent registered at the simulator', async () => {
    for (const agent of ['2001', '2002', '2003']) {
      await expect.poll(() => page[agent]!.getByTestId('line').getAttribute('data-line-state')).toBe('Ready');
      await expect.poll(() => page[agent]!.getByTestId('endpoint-status').textContent()).toBe('Active');
    }
  });

  it('calls, answers, audio flows, hold/retrieve, a refused transfer in the error banner, blind transfer to 2003, conference, hang up', async () => {
    const a = page['2001']!;
    const b = page['2002']!;
    const c = page['2003']!;

    // 2001 dials 2002; 2002 answers in its browser.
    await a.getByRole('textbox', { name: 'Number' }).fill('2002');
    await a.getByRole('button', { name: 'Call' }).click();
    await card('2002', '2001').and(b.locator('[data-state="Alerting"]')).waitFor();
    await card('2002', '2001').getByRole('button', { name: 'Answer' }).click();
    await card('2001', '2002').and(a.locator('[data-state="Connected"]')).waitFor();

    // Audio flows: RTP counters and the quality graph fill in, on both sides.
    await expect.poll(() => number(card('2001', '2002').getByTestId('packets-received')), { timeout: 15_000 }).toBeGreaterThan(50);
    await expect.poll(() => number(card('2002', '2001').getByTestId('packets-received')), { timeout: 15_000 }).toBeGreaterThan(50);
    await expect.poll(async () => Number(await card('2001', '2002').getByTestId('quality-graph').getAttribute('data-samples')), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => card('2001', '2002').getByTestId('legend-mos').textContent(), { timeout: 15_000 }).toMatch(/MOS [1-4]\.\d\d/);
    expect(await card('2001', '2002').locator('polyline').count()).toBe(3);

    // Hold and retrieve: both sides show it.
    await card('2001', '2002').getByRole('button', { name: 'Hold' }).click();
    await expect.poll(() => card('2001', '2002').getAttribute('data-held')).toBe('true');
    await expect.poll(() => card('2002', '2001').getAttribute('data-held')).toBe('true');
    await expect.poll(() => card('2001', '2002').getByTestId('call-state').textContent()).toBe('Held');
    await card('2001', '2002').getByRole('button', { name: 'Retrieve' }).click();
    await expect.poll(() => card('2002', '2001').getAttribute('data-held')).toBe('false');

    // A transfer to a target that is no SIP URI: the transferee (2001's endpoint) refuses the
    // REFER (400 Bad Refer-To), the host answers with a typed error, the UI shows it in the
    // banner; the call goes on.
    await card('2002', '2001').getByRole('button', { name: 'Transfer' }).click();
    await b.getByRole('textbox', { name: 'Transfer target' }).fill('sip:no host');
    await b.getByRole('button', { name: 'Blind transfer' }).click();
    await expect.poll(() => b.getByTestId('error').count()).toBe(1);
    expect(await b.getByTestId('error').textContent()).toMatch(/transfer failed SIP_REQUEST_FAILED .*400/);
    await b.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => b.getByTestId('error').count()).toBe(0);
    expect(await card('2002', '2001').getAttribute('data-state')).toBe('Connected');

    // 2002 transfers 2001 to 2003 (blind): 2003 rings, answers; 2002 is free.
    await card('2002', '2001').getByRole('button', { name: 'Transfer' }).click();
    await b.getByRole('textbox', { name: 'Transfer target' }).fill('2003');
    await b.getByRole('button', { name: 'Blind transfer' }).click();
    await card('2003', '2001').and(c.locator('[data-state="Alerting"]')).waitFor();
    await card('2003', '2001').getByRole('button', { name: 'Answer' }).click();
    await card('2001', '2003').and(a.locator('[data-state="Connected"]')).waitFor();
    await expect.poll(() => liveCards('2002').count()).toBe(0);
    await expect.poll(() => liveCards('2001').count()).toBe(1);

    // Conference: 2001 holds 2003, calls 2002 again, joins the two calls.
    await card('2001', '2003').getByRole('button', { name: 'Hold' }).click();
    await expect.poll(() => card('2001', '2003').getAttribute('data-held')).toBe('true');
    await a.getByRole('textbox', { name: 'Number' }).fill('2002');
    await a.getByRole('button', { name: 'Call' }).click();
    await card('2002', '2001').and(b.locator('[data-state="Alerting"]')).waitFor();
    await card('2002', '2001').getByRole('button', { name: 'Answer' }).click();
    await card('2001', '2002').and(a.locator('[data-state="Connected"]')).waitFor();
    await card('2001', '2002').getByRole('button', { name: 'Conference with 2003' }).click();
    await expect.poll(() => a.getByTestId('conference').count()).toBe(2);
    await expect.poll(() => card('2001', '2003').getAttribute('data-held')).toBe('false');
    // 2003 hears the conference: its counters keep going.
    const before = await number(card('2003', '2001').getByTestId('packets-received'));
    await expect.poll(() => number(card('2003', '2001').getByTestId('packets-received')), { timeout: 10_000 }).toBeGreaterThan(before + 20);

    // Hang up both calls of 2001; everyone is idle, the ended calls are listed.
    await card('2001', '2002').getByRole('button', { name: 'Hang up' }).click();
    await card('2001', '2003').getByRole('button', { name: 'Hang up' }).click();
    for (const agent of ['2001', '2002', '2003']) await expect.poll(() => liveCards(agent).count()).toBe(0);
    expect(await a.getByText('No call.').isVisible()).toBe(true);
    await expect.poll(() => a.locator('.ended summary').textContent()).toMatch(/Recent calls \([2-5]\)/);
    expect(await a.getByTestId('error').count()).toBe(0);
    expect(await b.getByTestId('error').count()).toBe(0);

    // The UI offers each ended call's recording as a player served by the host.
    const src = await a.locator('[data-testid="recording"] audio').first().getAttribute('src');
    expect(src).toMatch(/^api\/recordings\/2001-.*\.wav$/);
    const wav = await fetch(new URL(src!, desktop.hosts[0]!.host.url));
    expect(wav.status).toBe(200);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await wav.arrayBuffer()).toString('ascii', 0, 4)).toBe('RIFF');

    // The received audio of 2001's first call is in a WAV that is not silent.
    const snap = desktop.hosts[0]!.host.snapshot();
    expect(snap.recordings.length).toBeGreaterThanOrEqual(3);
    const levels = snap.recordings.map((r) => wavLevel(r.file));
    expect(levels[0]!.samples).toBeGreaterThan(8000);
    expect(levels[0]!.rms).toBeGreaterThan(300);
  });

  it('follows the sound cards live: an unplugged headset leaves the lists with a notice, plugged back it returns', async () => {
    const a = page['2001']!;
    const mic = a.getByRole('combobox', { name: 'Microphone' });
    const headsetOption = mic.locator('option', { hasText: 'USB Headset' });
    await expect.poll(() => headsetOption.count()).toBe(1);
    await mic.selectOption({ label: 'USB Headset' });
    await expect.poll(() => mic.inputValue()).toBe(`card:${HEADSET.name}`);

    present = [];
    expect(desktop.hosts[0]!.host.endpoint.devices.rescan()).toBe(true);
    // Pushed by the host (no reload): the option is gone, the selection fell back, the notice says so.
    await expect.poll(() => headsetOption.count()).toBe(0);
    await expect.poll(() => mic.inputValue()).toBe('tone:440');
    await expect.poll(() => a.getByTestId('device-change').textContent()).toBe('USB Headset removed: microphone now Tone 440 Hz.');

    present = [HEADSET];
    expect(desktop.hosts[0]!.host.endpoint.devices.rescan()).toBe(true);
    await expect.poll(() => headsetOption.count()).toBe(1);
    await expect.poll(() => a.getByTestId('device-change').textContent()).toBe('USB Headset added.');
    expect(await a.getByTestId('error').count()).toBe(0);
  });
});
