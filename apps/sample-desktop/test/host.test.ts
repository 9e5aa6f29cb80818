import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { MemorySink, ToneSource, type AudioDeviceInfo } from '@sip-endpoint/endpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSampleDesktop, type SampleDesktop, type SampleDesktopOptions } from '../src/start';
import { TestClient } from './support/ws-client';
import { blocksWithTone, wavLevel, wavSamples } from './support/wav';

/**
 * A suite's desktop: started once before its tests (options get a fresh record folder), one
 * WebSocket client per agent in the returned record, everything stopped after the suite, with the
 * leak check spanning the whole suite (the hosts live that long). `ready` receives the desktop.
 */
function desktopForSuite(dirPrefix: string, options: (recordDir: string) => SampleDesktopOptions, ready: (desktop: SampleDesktop) => void): Record<string, TestClient> {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach: beforeAll, afterEach: afterAll });
  const ui: Record<string, TestClient> = {};
  let desktop: SampleDesktop | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), dirPrefix));
    desktop = await startSampleDesktop(options(dir));
    ready(desktop);
    for (const { agent, host } of desktop.hosts) ui[agent] = await TestClient.connect(host.url);
  }, 30_000);
  afterAll(async () => {
    for (const c of Object.values(ui)) c.close();
    await desktop?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);
  return ui;
}

/** Indexes of the 200 ms blocks of `x` that carry a tone of `hz` (the order of what was heard). */
function toneBlocks(x: Int16Array, hz: number): number[] {
  const n = 1600;
  const out: number[] = [];
  for (let i = 0; i + n <= x.length; i += n) if (blocksWithTone(x.subarray(i, i + n), hz) === 1) out.push(i / n);
  return out;
}

/** Relayed packets of the simulator's live call between `dnA` and `dnB` (0 if there is none). */
function relayedBetween(desktop: SampleDesktop, dnA: string, dnB: string): number {
  const sim = desktop.simulator!;
  const call = sim.calls().find((c) => c.parties.some((p) => p.dn === dnA) && c.parties.some((p) => p.dn === dnB));
  return call ? sim.relayedPackets(call.connId) : 0;
}

// Three agents on the embedded simulated SIP Server, each with a desktop host (no UI served:
// these tests speak the WebSocket protocol as the UI does). routing 'server' (the default):
// every call goes through the simulator's B2BUA and RTP relay, as with a real SIP Server; the
// server presents the real caller and carries out blind and attended transfers (REFER).
describe('desktop host against the simulated SIP Server (routing server)', () => {
  let desktop!: SampleDesktop;
  const ui = desktopForSuite('sample-desktop-host-', (dir) => ({ agents: ['2001', '2002', '2003'], routing: 'server', recordDir: dir, ui: 'none', statsIntervalMs: 250 }), (d) => (desktop = d));

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

  it('places a call 2001 -> 2002 through the server, audio flows both ways, hold/retrieve, DTMF, mute, then blind transfer to 2003 and a conference', async () => {
    const a = ui['2001']!;
    const b = ui['2002']!;
    const c = ui['2003']!;
    const domain = desktop.simulator!.domain;
    await a.send({ name: 'dial', target: '2002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '2002 ringing');
    expect(ringing.direction).toBe('incoming');
    // The server's leg to 2002 presents the real caller (From and P-Asserted-Identity).
    expect(ringing.remote).toBe(`sip:2001@${domain}`);
    await b.send({ name: 'answer', sessionId: ringing.id });
    const ab = await a.call((x) => x.state === 'Connected', 10_000, '2001 connected');
    expect(ab.remote).toBe(`sip:2002@${domain}`);
    // The endpoint's own errors keep their SdkError code.
    await expect(a.send({ name: 'answer', sessionId: ab.id })).rejects.toThrow(/^INVALID_STATE: cannot answer/);

    // RTP both ways: the quality stream and the counters in the snapshot, through the relay.
    await a.waitFor(() => a.samples.some((q) => q.sessionId === ab.id && q.packetsReceived > 20 && q.mos > 0), 15_000, 'quality samples with MOS');
    await b.waitFor(() => b.live.some((x) => x.packetsReceived > 20 && x.codec !== ''), 10_000, '2002 receiving RTP');
    expect(relayedBetween(desktop, '2001', '2002')).toBeGreaterThan(20);

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

    // A transfer to a party of the same call is refused by the server (403): a typed error, the call stays.
    await expect(b.send({ name: 'transfer', sessionId: b.live[0]!.id, target: '2001' })).rejects.toThrow(/SIP_REQUEST_FAILED|TRANSFER_FAILED/);
    expect(b.live[0]?.state).toBe('Connected');

    // Blind transfer: 2002 REFERs the call to 2003; the server answers 202 and REFERs 2001, whose
    // endpoint calls 2003 through the server; 2003 rings with the real caller; 2002's call ends.
    const bCall = b.live[0]!;
    const transferred = b.send({ name: 'transfer', sessionId: bCall.id, target: '2003' }, 20_000);
    const cRinging = await c.call((x) => x.state === 'Alerting', 10_000, '2003 ringing');
    expect(cRinging.remote).toBe(`sip:2001@${domain}`);
    await c.send({ name: 'answer', sessionId: cRinging.id });
    await transferred;
    await b.waitFor(() => b.live.length === 0, 10_000, "2002's call to end");
    // 2001 follows the server's REFER: its new call goes to 2003 at the server (Refer-To).
    const server = desktop.simulator!.registrarAddress;
    await a.waitFor(() => a.live.length === 1 && a.live[0]!.remote === `sip:2003@${server}` && a.live[0]!.state === 'Connected', 10_000, '2001 talking to 2003');
    const ac = a.live[0]!;
    // A second of audio 2001 <-> 2003 through the relay (checked in the recordings below).
    await c.waitFor(() => (c.live[0]?.packetsReceived ?? 0) > 50, 10_000, '2003 receiving from 2001');
    expect(relayedBetween(desktop, '2001', '2003')).toBeGreaterThan(50);
    const blindRecordingOf2003 = c.live[0]!.id;

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
    expect(cCall).toBe(blindRecordingOf2003);
    // 2001's recording of the transferred call: 2003's 700 Hz tone (and 2002's 1000 Hz, mixed in the conference).
    const acRec = a.snapshot!.recordings.find((r) => r.sessionId === ac.id);
    expect(acRec, JSON.stringify(a.snapshot!.recordings)).toBeDefined();
    expect(blocksWithTone(wavSamples(acRec!.file), 700)).toBeGreaterThan(3);
  });

  it('attended transfer through the server: 2002 consults 2003, then completes; 2001 ends up talking to 2003, audio both ways', async () => {
    const a = ui['2001']!;
    const b = ui['2002']!;
    const c = ui['2003']!;
    const domain = desktop.simulator!.domain;
    await a.send({ name: 'dial', target: '2002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '2002 ringing');
    await b.send({ name: 'answer', sessionId: ringing.id });
    const ba = await b.call((x) => x.state === 'Connected', 10_000, '2002 connected');

    await b.send({ name: 'consult', sessionId: ba.id, target: '2003' });
    const cRinging = await c.call((x) => x.state === 'Alerting', 10_000, '2003 ringing (consultation)');
    expect(cRinging.remote).toBe(`sip:2002@${domain}`);
    expect(b.live.find((x) => x.id === ba.id)?.held).toBe(true);
    await c.send({ name: 'answer', sessionId: cRinging.id });
    const consultation = await b.call((x) => x.consultationFor === ba.id && x.state === 'Connected', 10_000, 'the consultation call connected');
    expect(consultation.remote).toContain('2003');

    // Completing: REFER with Replaces (RFC 3891) through the server; 2001's endpoint calls 2003,
    // replacing 2003's consultation leg; both of 2002's calls end.
    await b.send({ name: 'completeTransfer', sessionId: ba.id }, 20_000);
    await b.waitFor(() => b.live.length === 0, 10_000, '2002 free after the transfer');
    const server = desktop.simulator!.registrarAddress;
    await a.waitFor(() => a.live.length === 1 && a.live[0]!.state === 'Connected' && a.live[0]!.remote === `sip:2003@${server}`, 10_000, '2001 talking to 2003');
    await c.waitFor(() => c.live.length === 1 && c.live[0]!.state === 'Connected' && c.live[0]!.remote === `sip:2001@${domain}`, 10_000, '2003 talking to 2001');
    const aCall = a.live[0]!.id;
    const cCall = c.live[0]!.id;
    // A second and a half of audio both ways, through the relay.
    await a.waitFor(() => (a.live[0]?.packetsReceived ?? 0) > 75, 10_000, 'RTP 2003 -> 2001');
    await c.waitFor(() => (c.live.find((x) => x.id === cCall)?.packetsReceived ?? 0) > 75, 10_000, 'RTP 2001 -> 2003');
    expect(relayedBetween(desktop, '2001', '2003')).toBeGreaterThan(75);

    await c.send({ name: 'hangup', sessionId: cCall });
    await a.waitFor(() => a.live.length === 0, 10_000, '2001 idle');
    // 2001 heard 2003's 700 Hz and nothing of 2002's 1000 Hz after the transfer; 2003 heard 2001's 440 Hz.
    await a.waitFor(() => a.snapshot!.recordings.some((r) => r.sessionId === aCall), 5000, "2001's recording");
    await c.waitFor(() => c.snapshot!.recordings.some((r) => r.sessionId === cCall), 5000, "2003's recording");
    const heardByA = wavSamples(a.snapshot!.recordings.find((r) => r.sessionId === aCall)!.file);
    expect(blocksWithTone(heardByA, 700)).toBeGreaterThanOrEqual(5);
    expect(blocksWithTone(heardByA, 1000)).toBe(0);
    const heardByC = wavSamples(c.snapshot!.recordings.find((r) => r.sessionId === cCall)!.file);
    expect(blocksWithTone(heardByC, 440)).toBeGreaterThanOrEqual(5);
  });

  it('shows a failed dial as an error of the endpoint (no such DN at the SIP Server)', async () => {
    const a = ui['2001']!;
    await a.send({ name: 'dial', target: '2999' });
    await a.waitFor(() => a.snapshot!.calls.some((x) => x.state === 'Disconnected' && x.remote.includes('2999')), 10_000, 'the call to 2999 to fail');
    const failed = a.snapshot!.calls.find((x) => x.remote.includes('2999'))!;
    expect(failed.endCause?.code).toBeGreaterThanOrEqual(400);
  });
});


// routing 'direct': the simulator is only the registrar and the directory; a DN is called at the
// contact it registered, and a transfer goes peer to peer (no B2BUA call, nothing relayed).
describe('desktop host with peer-to-peer calls (routing direct)', () => {
  let desktop!: SampleDesktop;
  const ui = desktopForSuite('sample-desktop-direct-', (dir) => ({ agents: ['3001', '3002', '3003'], routing: 'direct', recordDir: dir, ui: 'none', statsIntervalMs: 250 }), (d) => (desktop = d));

  it('calls 3002 at its registered contact, then 3002 transfers 3001 to 3003 (blind, peer to peer)', async () => {
    const a = ui['3001']!;
    const b = ui['3002']!;
    const c = ui['3003']!;
    const sim = desktop.simulator!;
    await a.send({ name: 'dial', target: '3002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '3002 ringing');
    await b.send({ name: 'answer', sessionId: ringing.id });
    const ab = await a.call((x) => x.state === 'Connected', 10_000, '3001 connected');
    // The Request-URI and To are 3002's contact (an address on this machine), not the server's domain.
    expect(ab.remote).toMatch(/^sip:3002@127\.0\.0\.1:\d+/);
    expect(sim.contactOf('3002')).toContain(ab.remote.replace(/;.*$/, ''));
    await b.waitFor(() => (b.live[0]?.packetsReceived ?? 0) > 20, 10_000, '3002 receiving RTP');
    // Nothing went through the server's B2BUA.
    expect(sim.calls()).toHaveLength(0);

    const transferred = b.send({ name: 'transfer', sessionId: b.live[0]!.id, target: '3003' }, 20_000);
    const cRinging = await c.call((x) => x.state === 'Alerting', 10_000, '3003 ringing');
    await c.send({ name: 'answer', sessionId: cRinging.id });
    await transferred;
    await b.waitFor(() => b.live.length === 0, 10_000, "3002's call to end");
    await a.waitFor(() => a.live.length === 1 && a.live[0]!.state === 'Connected' && /^sip:3003@127\.0\.0\.1:\d+/.test(a.live[0]!.remote), 10_000, '3001 talking to 3003');
    const cCall = c.live[0]!.id;
    await c.waitFor(() => (c.live[0]?.packetsReceived ?? 0) > 50, 10_000, '3003 receiving from 3001');
    expect(sim.calls()).toHaveLength(0);

    await a.send({ name: 'hangup', sessionId: a.live[0]!.id });
    await c.waitFor(() => c.live.length === 0, 10_000, '3003 idle');
    // 3003 heard 3001's 440 Hz tone.
    await c.waitFor(() => c.snapshot!.recordings.some((r) => r.sessionId === cCall), 5000, "3003's recording");
    expect(blocksWithTone(wavSamples(c.snapshot!.recordings.find((r) => r.sessionId === cCall)!.file), 440)).toBeGreaterThanOrEqual(3);
  });
});

// Sound cards follow the endpoint's device enumeration, injected here (EndpointOptions.devices):
// 4001 has a "USB Headset" whose microphone is a 1300 Hz tone and whose speaker is a memory sink.
describe('desktop host: sound cards plugged and unplugged, a selection applied to the running call', () => {
  const HEADSET: AudioDeviceInfo = { name: 'hw:CARD=Headset,DEV=0', description: 'USB Headset', input: true, output: true };
  const CARD = `card:${HEADSET.name}`;
  let present: AudioDeviceInfo[] = [HEADSET];
  const opened: { sources: number; sinks: MemorySink[] } = { sources: 0, sinks: [] };
  let desktop!: SampleDesktop;
  const ui = desktopForSuite(
    'sample-desktop-devices-',
    (dir) => ({
      agents: ['4001', '4002'],
      recordDir: dir,
      ui: 'none',
      statsIntervalMs: 250,
      devicesFor: (agent) =>
        agent === '4001'
          ? {
              enumerate: () => present,
              openSource: () => {
                opened.sources += 1;
                return new ToneSource({ frequencyHz: 1300, levelDbov: -12 });
              },
              openSink: () => {
                const s = new MemorySink({ capacitySamples: 8000 * 10 });
                opened.sinks.push(s);
                return s;
              },
              // No poll: the test rescans when it plugs or unplugs.
              pollIntervalMs: 0,
            }
          : undefined,
    }),
    (d) => (desktop = d),
  );

  it('lists the headset, moves a call onto it and off it when unplugged, and lists it again when plugged back', async () => {
    const a = ui['4001']!;
    const b = ui['4002']!;
    const endpoint = desktop.hosts[0]!.host.endpoint;
    expect(a.snapshot!.devices.inputs.find((d) => d.id === CARD)).toEqual({ id: CARD, label: 'USB Headset', kind: 'input' });
    expect(a.snapshot!.devices.outputs.find((d) => d.id === CARD)).toEqual({ id: CARD, label: 'USB Headset', kind: 'output' });
    expect(a.snapshot!.devices.lastChange).toBeUndefined();
    // 4002 has no sound card (its endpoint's enumeration is the system's: none on a build machine).
    expect(b.snapshot!.devices.inputs.some((d) => d.id.startsWith('card:'))).toBe(false);

    // The headset's microphone for the next call: the endpoint opens it for the call's stream.
    await a.send({ name: 'selectDevice', kind: 'input', deviceId: CARD });
    await a.send({ name: 'dial', target: '4002' });
    const ringing = await b.call((x) => x.state === 'Alerting', 10_000, '4002 ringing');
    await b.send({ name: 'answer', sessionId: ringing.id });
    const call = await a.call((x) => x.state === 'Connected', 10_000, '4001 connected');
    expect(opened.sources).toBe(1);
    await b.waitFor(() => (b.live[0]?.packetsReceived ?? 0) > 50, 10_000, '4002 hearing the headset');

    // The headset's speaker, selected mid-call: the host puts it on the running call.
    await a.send({ name: 'selectDevice', kind: 'output', deviceId: CARD });
    expect(a.snapshot!.devices.selectedOutput).toBe(CARD);
    expect(opened.sinks).toHaveLength(1);
    const before = a.live[0]!.packetsReceived;
    await a.waitFor(() => (a.live[0]?.packetsReceived ?? 0) > before + 50, 10_000, 'a second of audio to the headset');
    // The headset's speaker plays 4002's 1000 Hz tone.
    expect(blocksWithTone(opened.sinks[0]!.pull(), 1000)).toBeGreaterThanOrEqual(3);

    // Unplugged while in use: the lists drop it, the selection falls back to the defaults, the UI
    // gets a notice; the call goes on, its microphone moved by the endpoint (to the selection the
    // router falls back to: the 440 Hz tone) and its speaker by the host (a new recording).
    present = [];
    expect(endpoint.devices.rescan()).toBe(true);
    await a.waitFor(() => a.snapshot!.devices.lastChange !== undefined, 5000, 'the device change in the snapshot');
    const devices = a.snapshot!.devices;
    expect(devices.inputs.some((d) => d.id === CARD)).toBe(false);
    expect(devices.outputs.some((d) => d.id === CARD)).toBe(false);
    expect(devices.selectedInput).toBe('tone:440');
    expect(devices.selectedOutput).toBe('record');
    expect(devices.lastChange).toMatchObject({ added: [], removed: ['USB Headset'], inputNow: 'Tone 440 Hz', outputNow: 'Record to WAV' });
    expect(a.live.find((x) => x.id === call.id)?.state).toBe('Connected');
    await a.waitFor(() => a.snapshot!.recordings.filter((r) => r.sessionId === call.id).length === 2, 5000, "the call's second recording");
    const mid = b.live[0]!.packetsReceived;
    await b.waitFor(() => (b.live[0]?.packetsReceived ?? 0) > mid + 50, 10_000, 'a second of audio after the unplug');

    // Another microphone selected mid-call: the 1000 Hz tone, on the running call at once.
    await a.send({ name: 'selectDevice', kind: 'input', deviceId: 'tone:1000' });
    const late = b.live[0]!.packetsReceived;
    await b.waitFor(() => (b.live[0]?.packetsReceived ?? 0) > late + 50, 10_000, 'a second of the 1000 Hz tone');

    // Plugged back: listed again (not selected), with its notice.
    present = [HEADSET];
    expect(endpoint.devices.rescan()).toBe(true);
    await a.waitFor(() => a.snapshot!.devices.inputs.some((d) => d.id === CARD), 5000, 'the headset listed again');
    expect(a.snapshot!.devices.lastChange).toMatchObject({ added: ['USB Headset'], removed: [] });
    expect(a.snapshot!.devices.lastChange?.inputNow).toBeUndefined();
    expect(a.snapshot!.devices.selectedInput).toBe('tone:1000');

    const bCall = b.live[0]!.id;
    await a.send({ name: 'hangup', sessionId: call.id });
    await b.waitFor(() => b.live.length === 0, 10_000, '4002 idle');
    // What 4002 heard, in order: the headset (1300 Hz), the fallback (440 Hz), then 1000 Hz.
    await b.waitFor(() => b.snapshot!.recordings.some((r) => r.sessionId === bCall), 5000, "4002's recording");
    const heard = wavSamples(b.snapshot!.recordings.find((r) => r.sessionId === bCall)!.file);
    const t1300 = toneBlocks(heard, 1300);
    const t440 = toneBlocks(heard, 440);
    const t1000 = toneBlocks(heard, 1000);
    expect(t1300.length).toBeGreaterThanOrEqual(5);
    expect(t440.length).toBeGreaterThanOrEqual(3);
    expect(t1000.length).toBeGreaterThanOrEqual(3);
    // (a 200 ms block at a switch may hold both tones)
    expect(Math.max(...t1300)).toBeLessThanOrEqual(Math.min(...t440));
    expect(Math.max(...t440)).toBeLessThanOrEqual(Math.min(...t1000));
    // 4001's recording made at the unplug holds 4002's 1000 Hz tone.
    const second = a.snapshot!.recordings.filter((r) => r.sessionId === call.id)[1]!;
    expect(blocksWithTone(wavSamples(second.file), 1000)).toBeGreaterThanOrEqual(3);
  });
});
