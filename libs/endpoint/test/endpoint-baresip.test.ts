/**
 * baresip as the far-end phone of an endpoint, on 127.0.0.1 with G.711 µ-law: a call each way
 * with audio both ways (our ToneSource recorded by baresip's sndfile dump and measured with
 * sox; baresip's WAV tone reaching our MemorySink / WavFileSink at its frequency), and RFC 4733
 * DTMF sent by baresip (ctrl_tcp `sndcode`) reported by our session's `onDidReceiveDtmf`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { ToneSource, WavFileSink } from '@sip-endpoint/media-native';
import { after, freePort, readWav } from './support/peers';
import { SessionState, type Session } from '../src/index';
import { requireBaresip, soxFrequency, startPhone, type Phone } from './support/baresip';
import { dominant, nextSession, party, reach, sleep, until, type Party } from './support/endpoints';

requireBaresip();

const TONES = [400, 600, 1000, 1500];

describe('endpoint: calls with baresip (audio both ways, RFC 4733 DTMF)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const phones: Phone[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const ph of phones.splice(0)) await ph.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const phone = async (toneHz: number, autoAnswer: boolean): Promise<Phone> => {
    const ph = await startPhone({ sipPort: await freePort(), ctrlPort: await freePort(), toneHz, autoAnswer });
    phones.push(ph);
    return ph;
  };

  /** Hangs up `s` and returns what baresip decoded from us, measured by sox. */
  const hangupAndMeasure = async (s: Session, ph: Phone): Promise<number> => {
    await s.hangup();
    // sndfile closes its dump when the call ends.
    await ph.event('CALL_CLOSED', 5000);
    await until(() => ph.decodedDumps().length > 0, 3000, `a sndfile dump in ${ph.dir}`);
    await sleep(200);
    const dump = ph.decodedDumps()[0]!;
    return soxFrequency(dump);
  };

  it('the endpoint calls baresip (auto-answer): our 1 kHz tone is decoded by baresip at 1 kHz (sox); its 600 Hz reaches our MemorySink', async () => {
    const ph = await phone(600, true);
    const agent = await party('agent', 1000);
    parties.push(agent);
    const call = agent.endpoint.dial(ph.uri);
    await reach(call, SessionState.Connected, 10_000);
    await ph.event('CALL_ESTABLISHED', 5000);
    await sleep(500);
    agent.sinks[0]!.pull();
    await sleep(1500);
    const heard = agent.sinks[0]!.pull();
    expect(heard.length).toBeGreaterThan(8000);
    const d = dominant(heard, TONES);
    expect(d.freq).toBe(600);
    expect(d.ratio).toBeGreaterThan(10);
    const st = call.statistics()!.raw;
    expect(st.codec).toMatch(/PCMU/);
    expect(st.packetsSent).toBeGreaterThan(50);
    expect(st.packetsReceived).toBeGreaterThan(50);
    const freq = await hangupAndMeasure(call, ph);
    expect(Math.abs(freq - 1000), `sox measured ${freq} Hz`).toBeLessThan(30);
    expect(call.endCause).toMatchObject({ code: 200, by: 'local' });
  }, 30_000);

  it('baresip calls the endpoint; we answer; audio both ways into a WavFileSink; its DTMF (sndcode) arrives as RFC 4733 events; baresip hangs up', async () => {
    const ph = await phone(400, false);
    const dir = mkdtempSync(join(tmpdir(), 'endpoint-wav-'));
    dirs.push(dir);
    const wavPath = join(dir, 'heard.wav');
    const agent = await party('agent', 1500, {}, {
      ephemeralPorts: true,
      listenAddress: '127.0.0.1',
      mediaEngine: { rtpPortMin: 40000, rtpPortMax: 49999 },
      audio: {
        createSource: () => new ToneSource({ frequencyHz: 1500, levelDbov: -12 }),
        createSink: () => new WavFileSink({ path: wavPath, sampleRate: 8000 }),
      },
    });
    parties.push(agent);
    const incoming = nextSession(agent.endpoint);
    const dialed = await ph.command('dial', agent.uri);
    expect(dialed.ok, dialed.data).toBe(true);
    const s = await incoming;
    expect(s.direction).toBe('incoming');
    expect(s.state).toBe(SessionState.Alerting);
    expect(s.remote).toContain('bob@127.0.0.1');
    await s.answer();
    await ph.event('CALL_ESTABLISHED', 5000);
    await sleep(800);

    const digits: { digit: string; method: string }[] = [];
    s.onDidReceiveDtmf((e) => digits.push({ digit: e.digit, method: e.method }));
    for (const d of ['1', '5', '9', '#']) {
      const r = await ph.command('sndcode', d);
      expect(r.ok, r.data).toBe(true);
      await sleep(300);
    }
    await until(() => digits.length >= 4, 3000, 'four DTMF digits');
    expect(digits).toEqual(['1', '5', '9', '#'].map((digit) => ({ digit, method: 'rfc4733' })));
    await sleep(500);

    const r = await ph.command('hangup');
    expect(r.ok, r.data).toBe(true);
    await reach(s, SessionState.Disconnected, 5000);
    expect(s.endCause).toMatchObject({ code: 200, by: 'remote' });
    await ph.event('CALL_CLOSED', 5000);
    await until(() => ph.decodedDumps().length > 0, 3000, `a sndfile dump in ${ph.dir}`);
    await sleep(200);
    const freq = soxFrequency(ph.decodedDumps()[0]!);
    expect(Math.abs(freq - 1500), `sox measured ${freq} Hz`).toBeLessThan(40);
    // The WAV sink is closed with the session's media.
    await until(() => agent.endpoint.sessions.length === 0, 3000, 'session removed');
    const wav = readWav(wavPath);
    expect(wav.rate).toBe(8000);
    expect(wav.samples.length).toBeGreaterThan(8000);
    expect(dominant(after(wav.samples, 8000, 500), TONES).freq).toBe(400);
  }, 30_000);
});
