/**
 * linphonec (Debian `linphone-cli`) as the far-end phone of an endpoint, on 127.0.0.1 with G.711
 * µ-law, driven through its command interface (see support/linphone.ts): a call each way with
 * audio both ways (linphonec plays a WAV tone and records what it decodes, measured with sox; our
 * ToneSource/MemorySink on the other side), RFC 4733 DTMF typed into linphonec, hold and retrieve
 * by linphonec (`pause`/`resume`: re-INVITEs that set and clear our session's `held`), and blind
 * transfer both ways (linphonec's `transfer` REFERs our endpoint to a third party; our
 * `session.transfer()` REFERs linphonec to one).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { freePort } from './support/peers';
import { SessionState, type Session } from '../src/index';
import { soxFrequency, toneWav } from './support/baresip';
import { requireLinphone, startLinphone, type Linphone } from './support/linphone';
import { dominant, nextSession, party, reach, sleep, until, type Party } from './support/endpoints';

requireLinphone();

const TONES = [400, 600, 1000, 1500];

describe('endpoint: calls with linphonec (audio both ways, DTMF, hold, blind transfer)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const phones: Linphone[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const ph of phones.splice(0)) await ph.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const make = async (name: string, hz: number): Promise<Party> => {
    const p = await party(name, hz);
    parties.push(p);
    return p;
  };
  /** A linphonec playing a `toneHz` tone and recording what it decodes to `<dir>/heard.wav`. */
  const phone = async (toneHz: number, autoAnswer: boolean): Promise<{ ph: Linphone; recording: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'linphone-wav-'));
    dirs.push(dir);
    const tone = join(dir, 'tone.wav');
    toneWav(tone, 8000, toneHz, 30);
    const ph = await startLinphone({ sipPort: await freePort(), rtpPort: await freePort(), playWav: tone, autoAnswer });
    phones.push(ph);
    const recording = join(dir, 'heard.wav');
    // In file mode `record` names the file the next call records into.
    ph.send(`record ${recording}`);
    return { ph, recording };
  };
  const heard = async (p: Party, sink: number, ms = 800): Promise<Int16Array> => {
    p.sinks[sink]!.pull();
    await sleep(ms);
    return p.sinks[sink]!.pull();
  };
  const heldChanges = (s: Session): boolean[] => {
    const seen: boolean[] = [];
    s.onDidChangeHeld((e) => seen.push(e.held));
    return seen;
  };

  it('the endpoint calls linphonec (auto-answer): audio both ways, RFC 4733 DTMF from linphonec, pause/resume hold us, we hang up', async () => {
    const { ph, recording } = await phone(600, true);
    const agent = await make('agent', 1000);
    const call = agent.endpoint.dial(ph.uri);
    await reach(call, SessionState.Connected, 10_000);
    await ph.waitFor(/Media streams established with sip:agent@127\.0\.0\.1 for call (\d+)/, 5000);
    await sleep(400);
    const atAgent = dominant(await heard(agent, 0), TONES);
    expect(atAgent.freq).toBe(600);
    expect(atAgent.ratio).toBeGreaterThan(10);
    expect(call.statistics()!.raw.codec).toMatch(/PCMU/);

    // Digits typed alone on a line are sent as RFC 4733 events (use_rfc2833=1 in the rc file).
    const digits: { digit: string; method: string }[] = [];
    call.onDidReceiveDtmf((e) => digits.push({ digit: e.digit, method: e.method }));
    for (const d of ['1', '5', '#']) {
      ph.send(d);
      await sleep(400);
    }
    await until(() => digits.length >= 3, 3000, 'three DTMF digits');
    expect(digits).toEqual(['1', '5', '#'].map((digit) => ({ digit, method: 'rfc4733' })));

    // pause: a re-INVITE with a=sendonly; our session is held and we stop hearing the tone.
    const held = heldChanges(call);
    const mark = ph.output().length;
    ph.send('pause');
    await ph.waitFor(/Call \d+ with sip:agent@127\.0\.0\.1 is now paused/, 5000, mark);
    await until(() => call.held, 3000, 'held');
    expect(call.state).toBe(SessionState.Connected);
    await sleep(300);
    // Held with a=sendonly, we answer recvonly: we send no RTP (linphonec may play its file as hold music).
    const before = call.statistics()!.raw.packetsSent;
    await sleep(600);
    expect(call.statistics()!.raw.packetsSent - before).toBeLessThan(3);
    ph.send('resume');
    await until(() => !call.held, 5000, 'retrieved');
    expect(held).toEqual([true, false]);
    await sleep(400);
    expect(dominant(await heard(agent, 0), TONES).freq).toBe(600);

    const end = ph.output().length;
    await call.hangup();
    await ph.waitFor(/Call \d+ with sip:agent@127\.0\.0\.1 ended/, 5000, end);
    expect(call.endCause).toMatchObject({ code: 200, by: 'local' });
    await until(() => existsSync(recording), 3000, `linphonec's recording ${recording}`);
    await sleep(300);
    const freq = soxFrequency(recording, 0.5);
    expect(Math.abs(freq - 1000), `sox measured ${freq} Hz in linphonec's recording`).toBeLessThan(40);
  }, 40_000);

  it('linphonec calls the endpoint; we answer; linphonec blind-transfers us (REFER) to Carol; linphonec hangs up the first call', async () => {
    const { ph } = await phone(400, false);
    const agent = await make('agent', 1000);
    const carol = await make('carol', 1500);
    const incoming = nextSession(agent.endpoint);
    ph.send(`call ${agent.uri}`);
    const s = await incoming;
    expect(s.direction).toBe('incoming');
    expect(s.state).toBe(SessionState.Alerting);
    expect(s.remote).toContain('linphone@');
    await s.answer();
    await ph.waitFor(/Call (\d+) with sip:agent@127\.0\.0\.1[:\d]* connected/, 5000);
    await sleep(400);
    expect(dominant(await heard(agent, 0), TONES).freq).toBe(400);

    // RFC 3515: linphonec REFERs us to Carol; we call her, our first call ends.
    const followed = nextSession(agent.endpoint);
    const atCarol = nextSession(carol.endpoint);
    ph.send(`transfer ${carol.uri}`);
    const carolSide = await atCarol;
    await carolSide.answer();
    const transferred = await followed;
    expect(transferred.direction).toBe('outgoing');
    await reach(transferred, SessionState.Connected, 5000);
    await reach(s, SessionState.Disconnected, 10_000);
    await sleep(400);
    // The agent now hears Carol, and Carol the agent.
    expect(dominant(await heard(carol, 0), TONES).freq).toBe(1000);
    expect(dominant(await heard(agent, 1), TONES).freq).toBe(1500);
    await transferred.hangup();
    await reach(carolSide, SessionState.Disconnected, 5000);
  }, 40_000);

  it('our session.transfer() REFERs linphonec to Carol: linphonec holds us, calls her, and they talk', async () => {
    const { ph } = await phone(400, true);
    const agent = await make('agent', 1000);
    const carol = await make('carol', 1500);
    const call = agent.endpoint.dial(ph.uri);
    await reach(call, SessionState.Connected, 10_000);
    await ph.waitFor(/Media streams established/, 5000);
    const atCarol = nextSession(carol.endpoint);
    // RFC 3515: the REFER is accepted (202) and linphonec INVITEs the Refer-To target.
    // (The final sipfrag NOTIFY is not awaited: linphonec 5.1 sends it with a malformed
    // `Subscription-State: terminated;reason=reason=noresource`, which our stack answers 400.)
    void call.transfer(carol.uri).catch(() => undefined);
    const carolSide = await atCarol;
    expect(carolSide.remote).toContain('linphone@');
    // linphonec puts the transferor on hold first.
    await until(() => call.held, 5000, 'agent leg held by linphonec');
    await carolSide.answer();
    await reach(carolSide, SessionState.Connected, 5000);
    await ph.waitFor(/Call \d+ with sip:carol@127\.0\.0\.1[:\d]* connected/, 5000);
    await sleep(600);
    expect(dominant(await heard(carol, 0), TONES).freq).toBe(400);
    await call.hangup();
    await carolSide.hangup();
    await ph.waitFor(/Call \d+ with sip:carol@127\.0\.0\.1[:\d]* ended/, 5000);
  }, 40_000);
});
