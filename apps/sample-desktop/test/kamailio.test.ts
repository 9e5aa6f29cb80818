import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasProgram, startKamailio, type PeerProcess } from '../../../libs/signaling/test/support/peers';
import { startSampleDesktop, type SampleDesktop } from '../src/start';
import { TestClient } from './support/ws-client';

// Real-registrar mode: the hosts load Genesys XML files made from config/kamailio.example.xml
// and register with Kamailio (digest, password "secret"); no simulator runs.
describe('sample desktop against Kamailio (config files)', () => {
  // The hosts live for the whole suite: everything created from its start must be disposed by its end.
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach: beforeAll, afterEach: afterAll });
  let kamailio: PeerProcess | undefined;
  let desktop: SampleDesktop | undefined;
  let dir: string;
  const ui: Record<string, TestClient> = {};

  beforeAll(async () => {
    if (!hasProgram('/usr/sbin/kamailio')) throw new Error('kamailio is missing: apt-get install -y kamailio');
    const port = await freePort();
    kamailio = await startKamailio(port);
    dir = mkdtempSync(join(tmpdir(), 'sample-desktop-kamailio-'));
    const example = readFileSync(new URL('../config/kamailio.example.xml', import.meta.url), 'utf8');
    expect(example).toContain('server="127.0.0.1:5060"');
    const file = (user: string, password: string): string => {
      const f = join(dir, `${user}.xml`);
      writeFileSync(f, example.replace('user="2001"', `user="${user}"`).replace('127.0.0.1:5060', `127.0.0.1:${port}`).replace('value="secret"', `value="${password}"`));
      return f;
    };
    desktop = await startSampleDesktop({ configFiles: [file('2001', 'secret'), file('2002', 'secret'), file('2009', 'wrong')], recordDir: dir, ui: 'none', statsIntervalMs: 250 });
    for (const { agent, host } of desktop.hosts) ui[agent] = await TestClient.connect(host.url);
  }, 40_000);

  afterAll(async () => {
    for (const c of Object.values(ui)) c.close();
    await desktop?.dispose();
    await kamailio?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('registers the agents, shows the wrong password as a Failed line, and calls through Kamailio', async () => {
    expect(desktop!.simulator).toBeUndefined();
    for (const agent of ['2001', '2002']) {
      await ui[agent]!.waitFor(() => ui[agent]!.snapshot?.lines[0]?.state === 'Ready', 15_000, `${agent} registered`);
      expect(ui[agent]!.snapshot!.lines[0]!.registers).toBe(true);
    }
    const bad = ui['2009']!;
    await bad.waitFor(() => bad.snapshot?.lines[0]?.state === 'Failed', 15_000, '2009 Failed');
    expect(bad.snapshot!.lines[0]!.lastError ?? '').toMatch(/40[13]|auth|credential/i);
    expect(bad.snapshot!.status).toBe('Inactive');

    const a = ui['2001']!;
    const b = ui['2002']!;
    await a.send({ name: 'dial', target: '2002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '2002 ringing');
    expect(ringing.remote).toContain('2001');
    await b.send({ name: 'answer', sessionId: ringing.id });
    await a.call((x) => x.state === 'Connected', 10_000, '2001 connected');
    await a.waitFor(() => (a.live[0]?.packetsReceived ?? 0) > 20, 10_000, 'RTP from 2002');
    await a.send({ name: 'hangup', sessionId: a.live[0]!.id });
    await b.waitFor(() => b.live.length === 0, 10_000, '2002 idle');
  });
});
