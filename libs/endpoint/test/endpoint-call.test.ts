/**
 * Two (and three) of our endpoints on 127.0.0.1, standalone (reg_timeout 0), calling each other
 * with real audio: tone sources and memory sinks, the dominant frequency checked by Goertzel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { ConnectionState, EndpointStatus, SessionState, type Session } from '../src/index';
import { connect, dominant, nextSession, party, reach, sleep, until, type Party } from './support/endpoints';

const TONES = [500, 1000, 1500, 2000];

describe('endpoint: calls between our endpoints', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const p of parties) for (const s of p.sinks) s.dispose();
  });
  const make = async (name: string, hz: number, config: Record<string, unknown> = {}, options = {}): Promise<Party> => {
    const p = await party(name, hz, config, options);
    parties.push(p);
    return p;
  };
  const heard = async (p: Party, sinkIndex: number, ms = 600): Promise<Int16Array> => {
    const sink = p.sinks[sinkIndex]!;
    sink.pull();
    await sleep(ms);
    return sink.pull();
  };

  it('standalone lines are Ready without REGISTER; a call carries audio both ways; hangup ends both legs with causes', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    expect(alice.endpoint.status).toBe(EndpointStatus.Active);
    expect(alice.endpoint.connections[0]!.state).toBe(ConnectionState.Ready);
    expect(alice.endpoint.connections[0]!.registers).toBe(false);

    const states: string[] = [];
    alice.endpoint.onDidChangeSessionState((e) => states.push(e.state));
    const { out, inc } = await connect(alice, bob);
    expect(out.id).toBe(inc.id);
    expect(out.direction).toBe('outgoing');
    expect(inc.direction).toBe('incoming');
    expect(alice.endpoint.sessions).toContain(out);
    await sleep(400);
    // Bob hears Alice's 1 kHz tone, Alice hears Bob's 500 Hz tone.
    const atBob = dominant(await heard(bob, 0), TONES);
    const atAlice = dominant(await heard(alice, 0), TONES);
    expect(atBob.freq).toBe(1000);
    expect(atBob.ratio).toBeGreaterThan(10);
    expect(atAlice.freq).toBe(500);
    const stats = out.statistics();
    expect(stats?.raw.packetsSent ?? 0).toBeGreaterThan(10);
    expect(stats).toHaveProperty('Local Pkt Count');
    expect(stats).toHaveProperty('MOS');
    expect(stats?.raw.codec).toMatch(/PCMU/);

    const removed = new Promise<Session>((r) => bob.endpoint.onDidRemoveSession((e) => r(e.session)));
    await out.hangup();
    await reach(inc, SessionState.Disconnected);
    expect(out.endCause).toEqual({ code: 200, reason: 'local-bye', by: 'local' });
    expect(inc.endCause?.by).toBe('remote');
    expect(await removed).toBe(inc);
    expect(inc.statistics()?.raw.packetsReceived ?? 0).toBeGreaterThan(10);
    expect(states).toEqual([SessionState.Connected, SessionState.Disconnected]);
  });

  it('hold and retrieve: held flag on both sides, audio stops and resumes', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    const { out, inc } = await connect(alice, bob);
    await sleep(300);
    await out.hold();
    expect(out.held).toBe(true);
    await until(() => inc.held, 3000, 'bob sees hold');
    const before = inc.statistics()!.raw.packetsReceived;
    await sleep(500);
    // RFC 3264 §8.4: Alice's hold offer is sendonly, so Bob (recvonly) stops sending to her.
    const bobReceived = inc.statistics()!.raw.packetsReceived - before;
    const aliceBefore = out.statistics()!.raw.packetsReceived;
    await sleep(500);
    expect(out.statistics()!.raw.packetsReceived - aliceBefore).toBeLessThan(5);
    // Alice offered sendonly but, holding a customer with no music on hold, sends nothing (media-bridge.ts); one packet may be in flight.
    expect(bobReceived).toBeLessThanOrEqual(1);
    await out.retrieve();
    expect(out.held).toBe(false);
    await until(() => !inc.held, 3000, 'bob sees retrieve');
    const again = out.statistics()!.raw.packetsReceived;
    await sleep(500);
    expect(out.statistics()!.raw.packetsReceived - again).toBeGreaterThan(10);
    await out.hangup();
  });

  it.each(['rfc2833', 'Info'] as const)('DTMF by %s reaches the other side', async (method) => {
    const alice = await make('alice', 1000, { policy: { session: { dtmf_method: method } } });
    const bob = await make('bob', 500);
    const { out, inc } = await connect(alice, bob);
    const got: string[] = [];
    inc.onDidReceiveDtmf((e) => got.push(`${e.digit}:${e.method}`));
    await sleep(200);
    await out.sendDtmf('12#');
    await until(() => got.length >= 3, 5000, 'three digits');
    expect(got.map((g) => g.split(':')[0]).join('')).toBe('12#');
    expect(got[0]!.split(':')[1]).toBe(method === 'Info' ? 'info' : 'rfc4733');
    await out.hangup();
  });

  it('DTMF in-band: the digit frequencies are in the audio', async () => {
    const alice = await make('alice', 1000, { policy: { session: { dtmf_method: 'InbandRtp' } } });
    const bob = await make('bob', 500);
    const { out, inc } = await connect(alice, bob);
    expect(inc.state).toBe(SessionState.Connected);
    await sleep(300);
    bob.sinks[0]!.pull();
    await out.sendDtmf('5', { durationMs: 400 });
    await sleep(500);
    const pcm = bob.sinks[0]!.pull();
    // '5' = 770 Hz + 1336 Hz (ITU-T Q.23)
    const d = dominant(pcm, [697, 770, 852, 941]);
    expect(d.freq).toBe(770);
    await out.hangup();
  });

  it('multi-line: a limit of two answers the third call 486; holding one to answer another', async () => {
    const bob = await make('bob', 500, {}, { maxSessions: 2 });
    const alice = await make('alice', 1000);
    const carol = await make('carol', 1500);
    const dave = await make('dave', 2000);
    const first = await connect(alice, bob);
    await first.inc.hold();
    const second = await connect(carol, bob);
    expect(bob.endpoint.sessions.filter((s) => s.state === SessionState.Connected)).toHaveLength(2);
    expect(first.inc.held).toBe(true);
    const third = dave.endpoint.dial(bob.uri);
    await reach(third, SessionState.Disconnected);
    expect(third.endCause).toMatchObject({ code: 486, by: 'remote' });
    await first.out.hangup();
    await second.out.hangup();
  });

  it('blind transfer: Bob transfers Alice to Carol (REFER); the new call is a session of Alice', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    const carol = await make('carol', 1500);
    const { out, inc } = await connect(alice, bob);
    const aliceNew = nextSession(alice.endpoint);
    const carolCall = nextSession(carol.endpoint);
    const progress = inc.transfer(carol.uri);
    const atCarol = await carolCall;
    await atCarol.answer();
    expect((await progress).statusCode).toBe(200);
    const transferred = await aliceNew;
    await reach(transferred, SessionState.Connected);
    expect(transferred.direction).toBe('outgoing');
    await inc.hangup();
    await reach(out, SessionState.Disconnected);
    await sleep(400);
    carol.sinks[0]!.pull();
    await sleep(500);
    expect(dominant(carol.sinks[0]!.pull(), TONES).freq).toBe(1000);
    await transferred.hangup();
  });

  it('attended transfer: consult, then REFER with Replaces; Carol talks to Alice, both of Bob\'s calls end', async () => {
    const alice = await make('alice', 1000);
    const bob = await make('bob', 500);
    const carol = await make('carol', 1500);
    const { out, inc } = await connect(alice, bob);
    const carolFirst = nextSession(carol.endpoint);
    const consult = await inc.consult(carol.uri);
    expect(inc.held).toBe(true);
    const c1 = await carolFirst;
    await c1.answer();
    await reach(consult, SessionState.Connected);
    const carolSecond = nextSession(carol.endpoint);
    const progress = await inc.completeTransfer();
    expect(progress.statusCode).toBe(200);
    const c2 = await carolSecond;
    await reach(c2, SessionState.Connected);
    await reach(c1, SessionState.Disconnected);
    await reach(inc, SessionState.Disconnected);
    await reach(consult, SessionState.Disconnected);
    expect(c2.invite.request?.headers.get('Referred-By')).toBeTruthy();
    expect(out.state).toBe(SessionState.Disconnected);
    const aliceCalls = alice.endpoint.sessions.filter((s) => s.state === SessionState.Connected);
    expect(aliceCalls).toHaveLength(1);
    await aliceCalls[0]!.hangup();
  });

  it('local conference of three: each party hears the other two', async () => {
    const alice = await make('alice', 500);
    const bob = await make('bob', 1000);
    const carol = await make('carol', 1500);
    const ab = await connect(alice, bob);
    await ab.out.hold();
    const ac = await connect(alice, carol);
    await ab.out.conference(ac.out);
    await sleep(700);
    // Alice's local leg is the third sink she created (one per call, then the conference's).
    const atAlice = await heard(alice, 2, 800);
    const atBob = await heard(bob, 0, 800);
    const atCarol = await heard(carol, 0, 800);
    const top2 = (pcm: Int16Array): number[] =>
      TONES.map((f) => ({ f, p: dominant(pcm, [f, 3000]).ratio })).sort((a, b) => b.p - a.p).slice(0, 2).map((x) => x.f).sort((a, b) => a - b);
    expect(top2(atAlice)).toEqual([1000, 1500]);
    expect(top2(atBob)).toEqual([500, 1500]);
    expect(top2(atCarol)).toEqual([500, 1000]);
    await ab.out.hangup();
    await ac.out.hangup();
  });
});
