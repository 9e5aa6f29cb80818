import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSampleDesktop, type SampleDesktop } from '../src/start';
import { TestClient } from './support/ws-client';
import { blocksWithTone, wavLevel, wavSamples } from './support/wav';

// Three agents on the embedded simulated SIP Server, each with a desktop host (no UI served:
// these tests speak the WebSocket protocol as the UI does).
describe('desktop host against the simulated SIP Server', () => {
  // The hosts live for the whole suite: everything created from its start must be disposed by its end.
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach: beforeAll, afterEach: afterAll });
  let desktop: SampleDesktop;
  let dir: string;
  const ui: Record<string, TestClient> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sample-desktop-host-'));
    desktop = await startSampleDesktop({ agents: ['2001', '2002', '2003'], recordDir: dir, ui: 'none', statsIntervalMs: 250 });
    for (const { agent, host } of desktop.hosts) ui[agent] = await TestClient.connect(host.url);
  }, 30_000);

  afterAll(async () => {
    for (const c of Object.values(ui)) c.close();
    await desktop?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('reports each agent registered on its line at the simulator', () => {
    for (const agent of ['2001', '2002', '2003']) {
      const snap = ui[agent]!.snapshot!;
      expect(snap.agent).toBe(agent);
      expect(snap.status).toBe('Active');
      expect(snap.lines).toHaveLength(1);
      expect(snap.lines[0]).toMatchObject({ user: agent, state: 'Ready', registers: true, server: desktop.simulator!.registrarAddress });
      expect(snap.devices.inputs.length).toBeGreaterThan(0);
      expect(snap.devices.selectedOutput).toBe('record');
    }
    expect(ui['2001']!.messages[0]).toEqual({ type: 'hello', protocol: 1, agent: '2001' });
  });

  it('answers a malformed message and a command on an unknown call with typed errors', async () => {
    const a = ui['2001']!;
    a.raw('{"type":"command","requestId":"bad1","command":{"name":"hold"}}');
    await a.waitFor(() => a.messages.some((m) => m.type === 'error' && m.requestId === 'bad1'), 5000, 'BAD_REQUEST');
    expect(a.messages.find((m) => m.type === 'error' && m.requestId === 'bad1')).toMatchObject({ code: 'BAD_REQUEST' });
    await expect(a.send({ name: 'hold', sessionId: 'no-such-call' })).rejects.toThrow(/^UNKNOWN_SESSION/);
    await expect(a.send({ name: 'selectDevice', kind: 'input', deviceId: 'nope' })).rejects.toThrow(/^UNKNOWN_DEVICE/);
  });

  it('refuses a WebSocket from a foreign web page (Origin check)', async () => {
    const ws = new WebSocket(`${desktop.hosts[0]!.host.url.replace('http', 'ws')}ws`, { headers: { Origin: 'http://evil.example' } });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(403);
  });

  it('places a call 2001 -> 2002, audio flows both ways, hold/retrieve, DTMF, mute, then blind transfer to 2003 and a conference', async () => {
    const a = ui['2001']!;
    const b = ui['2002']!;
    const c = ui['2003']!;
    await a.send({ name: 'dial', target: '2002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '2002 ringing');
    expect(ringing.direction).toBe('incoming');
    await b.send({ name: 'answer', sessionId: ringing.id });
    const ab = await a.call((x) => x.state === 'Connected', 10_000, '2001 connected');
    expect(ab.remote).toContain('2002');
    // The endpoint's own errors keep their SdkError code.
    await expect(a.send({ name: 'answer', sessionId: ab.id })).rejects.toThrow(/^INVALID_STATE: cannot answer/);

    // RTP both ways: the quality stream and the counters in the snapshot.
    await a.waitFor(() => a.samples.some((q) => q.sessionId === ab.id && q.packetsReceived > 20 && q.mos > 0), 15_000, 'quality samples with MOS');
    await b.waitFor(() => b.live.some((x) => x.packetsReceived > 20 && x.codec !== ''), 10_000, '2002 receiving RTP');

    await a.send({ name: 'hold', sessionId: ab.id });
    await b.waitFor(() => b.live[0]?.held === true, 10_000, '2002 sees the hold');
    expect(a.live.find((x) => x.id === ab.id)?.held).toBe(true);
    await a.send({ name: 'retrieve', sessionId: ab.id });
    await b.waitFor(() => b.live[0]?.held === false, 10_000, '2002 sees the retrieve');

    await a.send({ name: 'sendDtmf', sessionId: ab.id, digits: '12#' });
    await b.waitFor(() => b.messages.filter((m) => m.type === 'dtmf').length >= 3, 10_000, 'three DTMF digits at 2002');
    expect(b.messages.filter((m) => m.type === 'dtmf').map((m) => (m.type === 'dtmf' ? m.digit : ''))).toEqual(['1', '2', '#']);

    await a.send({ name: 'mute', sessionId: ab.id, muted: true });
    await a.waitFor(() => a.live.find((x) => x.id === ab.id)?.muted === true, 5000, 'muted in the snapshot');
    await a.send({ name: 'mute', sessionId: ab.id, muted: false });

    // 2002 transfers 2001 to 2003 (REFER): 2001 calls 2003, 2003 answers, 2002's call ends.
    const bCall = b.live[0]!;
    const transferred = b.send({ name: 'transfer', sessionId: bCall.id, target: '2003' }, 20_000);
    const cRinging = await c.call((x) => x.state === 'Alerting', 10_000, '2003 ringing');
    await c.send({ name: 'answer', sessionId: cRinging.id });
    await transferred;
    await b.waitFor(() => b.live.length === 0, 10_000, "2002's call to end");
    await a.waitFor(() => a.live.length === 1 && a.live[0]!.remote.includes('2003') && a.live[0]!.state === 'Connected', 10_000, '2001 talking to 2003');
    const ac = a.live[0]!;

    // Conference: 2001 calls 2002 again and joins both calls.
    await a.send({ name: 'hold', sessionId: ac.id });
    await a.send({ name: 'dial', target: '2002' });
    const again = await b.call((x) => x.state === 'Alerting', 10_000, '2002 ringing again');
    await b.send({ name: 'answer', sessionId: again.id });
    const ab2 = await a.call((x) => x.state === 'Connected' && x.remote.includes('2002'), 10_000, '2001 connected to 2002 again');
    await a.send({ name: 'conference', sessionId: ab2.id, otherSessionId: ac.id });
    await a.waitFor(() => a.live.filter((x) => x.conferencedWith).length === 2 && a.live.every((x) => !x.held), 10_000, 'conference in the snapshot');
    // Two seconds of conference (2003 receives ~100 packets from 2001's mix).
    const before = c.live[0]!.packetsReceived;
    const cCall = c.live[0]!.id;
    await c.waitFor(() => (c.live[0]?.packetsReceived ?? 0) > before + 100, 10_000, '2003 receiving in the conference');

    for (const x of a.live) await a.send({ name: 'hangup', sessionId: x.id });
    await a.waitFor(() => a.live.length === 0, 10_000, '2001 idle');
    await b.waitFor(() => b.live.length === 0, 10_000, '2002 idle');
    await c.waitFor(() => c.live.length === 0, 10_000, '2003 idle');
    const ended = a.snapshot!.calls.filter((x) => x.state === 'Disconnected');
    expect(ended.length).toBeGreaterThanOrEqual(2);
    expect(ended[0]!.endCause?.by).toBe('local');

    // Every call's received audio was recorded, and is not silence (the far end's tone).
    await a.waitFor(() => a.snapshot!.recordings.length >= 3, 5000, 'recordings');
    const rec = a.snapshot!.recordings.find((r) => r.sessionId === ab.id);
    expect(rec, JSON.stringify(a.snapshot!.recordings)).toBeDefined();
    const level = wavLevel(rec!.file);
    expect(level.samples).toBeGreaterThan(8000);
    expect(level.rms).toBeGreaterThan(300);
    // 2001 heard 2002's tone (1000 Hz) on that first call.
    expect(blocksWithTone(wavSamples(rec!.file), 1000)).toBeGreaterThan(3);
    // In the conference 2003 heard 2002 (1000 Hz), mixed by 2001's engine, though 2003 never
    // called 2002: at least a second of it in 2003's recording of its call with 2001.
    await c.waitFor(() => c.snapshot!.recordings.some((r) => r.sessionId === cCall), 5000, "2003's recording");
    const cRec = c.snapshot!.recordings.find((r) => r.sessionId === cCall)!;
    const cAudio = wavSamples(cRec.file);
    expect(blocksWithTone(cAudio, 1000)).toBeGreaterThanOrEqual(5);
    expect(blocksWithTone(cAudio, 440)).toBeGreaterThan(3);
    expect(blocksWithTone(cAudio, 1300)).toBe(0); // no agent plays 1300 Hz here
  });

  it('attended transfer: 2002 consults 2003, then completes; 2001 ends up talking to 2003', async () => {
    const a = ui['2001']!;
    const b = ui['2002']!;
    const c = ui['2003']!;
    await a.send({ name: 'dial', target: '2002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '2002 ringing');
    await b.send({ name: 'answer', sessionId: ringing.id });
    const ba = await b.call((x) => x.state === 'Connected', 10_000, '2002 connected');

    await b.send({ name: 'consult', sessionId: ba.id, target: '2003' });
    const cRinging = await c.call((x) => x.state === 'Alerting', 10_000, '2003 ringing (consultation)');
    expect(b.live.find((x) => x.id === ba.id)?.held).toBe(true);
    await c.send({ name: 'answer', sessionId: cRinging.id });
    const consultation = await b.call((x) => x.consultationFor === ba.id && x.state === 'Connected', 10_000, 'the consultation call connected');
    expect(consultation.remote).toContain('2003');

    await b.send({ name: 'completeTransfer', sessionId: ba.id }, 20_000);
    await b.waitFor(() => b.live.length === 0, 10_000, '2002 free after the transfer');
    await a.waitFor(() => a.live.length === 1 && a.live[0]!.state === 'Connected' && a.live[0]!.remote.includes('2003'), 10_000, '2001 talking to 2003');
    await c.waitFor(() => c.live.length === 1 && c.live[0]!.state === 'Connected' && c.live[0]!.remote.includes('2001'), 10_000, '2003 talking to 2001');
    const before = a.live[0]!.packetsReceived;
    await a.waitFor(() => (a.live[0]?.packetsReceived ?? 0) > before + 20, 10_000, 'RTP between 2001 and 2003');

    await c.send({ name: 'hangup', sessionId: c.live[0]!.id });
    await a.waitFor(() => a.live.length === 0, 10_000, '2001 idle');
  });

  it('shows a failed dial as an error of the endpoint (no such DN at the SIP Server)', async () => {
    const a = ui['2001']!;
    await a.send({ name: 'dial', target: '2999' });
    await a.waitFor(() => a.snapshot!.calls.some((x) => x.state === 'Disconnected' && x.remote.includes('2999')), 10_000, 'the call to 2999 to fail');
    const failed = a.snapshot!.calls.find((x) => x.remote.includes('2999'))!;
    expect(failed.endCause?.code).toBeGreaterThanOrEqual(400);
  });
});

// routing 'server': calls go through the simulator's B2BUA and RTP relay.
describe('desktop host with calls through the simulated SIP Server (B2BUA)', () => {
  // The hosts live for the whole suite: everything created from its start must be disposed by its end.
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach: beforeAll, afterEach: afterAll });
  let desktop: SampleDesktop;
  const ui: Record<string, TestClient> = {};

  beforeAll(async () => {
    desktop = await startSampleDesktop({ agents: ['3001', '3002'], routing: 'server', ui: 'none', statsIntervalMs: 250 });
    for (const { agent, host } of desktop.hosts) ui[agent] = await TestClient.connect(host.url);
  }, 30_000);

  afterAll(async () => {
    for (const c of Object.values(ui)) c.close();
    await desktop?.dispose();
  }, 30_000);

  it('calls by DN through the server, RTP is relayed, a refused REFER comes back as a typed error', async () => {
    const a = ui['3001']!;
    const b = ui['3002']!;
    await a.send({ name: 'dial', target: '3002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '3002 ringing');
    // The far end is the SIP Server's leg (this B2BUA presents itself, not the caller).
    expect(ringing.remote).toContain(`@${desktop.simulator!.domain}`);
    await b.send({ name: 'answer', sessionId: ringing.id });
    await a.call((x) => x.state === 'Connected', 10_000, '3001 connected');
    await a.waitFor(() => (a.live[0]?.packetsReceived ?? 0) > 20, 10_000, 'RTP through the relay');
    const relayed = desktop.simulator!.calls().reduce((n, c) => n + desktop.simulator!.relayedPackets(c.connId), 0);
    expect(relayed).toBeGreaterThan(20);
    // This demo server does not relay an agent's REFER: the transfer fails, the call stays.
    await expect(b.send({ name: 'transfer', sessionId: b.live[0]!.id, target: '3001' })).rejects.toThrow(/SIP_REQUEST_FAILED|TRANSFER_FAILED/);
    expect(b.live[0]?.state).toBe('Connected');
    await a.send({ name: 'hangup', sessionId: a.live[0]!.id });
    await b.waitFor(() => b.live.length === 0, 10_000, '3002 idle');
  });
});
