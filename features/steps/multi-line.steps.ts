/** Steps of multi-line.feature: several calls of one agent, each with its own audio, and a line limit. */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SessionState, type Session } from '@sip-endpoint/endpoint';
import { dominant, sleep, until } from '../support/peers';
import { answerAndTrack, slice } from '../support/slice-b';
import { CallWorld, settle, TONE_OF, TONES } from '../support/world';

/** `name`'s session on the call `other` placed or received last (same Call-ID); waits for it up to 5 s. */
async function callBetween(world: CallWorld, name: string, other: string): Promise<Session> {
  const id = world.call(other).id;
  let found: Session | undefined;
  await until(() => (found = (world.history.get(name) ?? []).find((s) => s.id === id)) !== undefined, 5000, `${name}'s call with ${other}`);
  return found as Session;
}

Given('{actor} takes at most {int} call(s) at a time', async function (this: CallWorld, name: string, max: number) {
  assert.ok(!this.actors.has(name), `${name} already started`);
  // EndpointOptions.maxSessions: an incoming call beyond it is answered 486 Busy Here.
  await this.start(name, { options: { maxSessions: max } });
});

When('{actor} answers her call from {actor}', async function (this: CallWorld, name: string, caller: string) {
  const call = await callBetween(this, name, caller);
  await settle(call, SessionState.Alerting, 5000);
  await answerAndTrack(this, name, call);
  await settle(call, SessionState.Connected, 5000);
});

When('{actor} puts her call with {actor} on hold', async function (this: CallWorld, name: string, other: string) {
  const call = await callBetween(this, name, other);
  await call.hold();
  assert.equal(call.held, true);
});

When('{actor} takes her call with {actor} off hold', async function (this: CallWorld, name: string, other: string) {
  const call = await callBetween(this, name, other);
  await call.retrieve();
  assert.equal(call.held, false);
});

Then(/^(Alice|Bob|Carol) hears (Alice|Bob|Carol) on her call with (?:him|her)$/, async function (this: CallWorld, listener: string, speaker: string) {
  const call = await callBetween(this, listener, speaker);
  const sink = slice(this).sinkOf.get(call.id);
  assert.ok(sink, `${listener}'s call with ${speaker} has no audio sink`);
  await sleep(300);
  sink.pull();
  await sleep(600);
  const pcm = sink.pull();
  assert.ok(pcm.length > 2000, `${listener} received only ${pcm.length} samples from ${speaker}`);
  const d = dominant(pcm, TONES);
  assert.equal(d.freq, TONE_OF[speaker], `${listener} hears ${d.freq} Hz on the call with ${speaker}, not ${TONE_OF[speaker]} Hz`);
  assert.ok(d.ratio > 5, `${speaker}'s tone is not clear (ratio ${d.ratio.toFixed(1)})`);
});

Then('{actor} receives no audio on her call with {actor}', async function (this: CallWorld, name: string, other: string) {
  const call = await callBetween(this, name, other);
  // RFC 3264 §8.4: the hold offer is sendonly, so the held party (recvonly) stops sending.
  await sleep(200);
  const before = call.statistics()?.raw.packetsReceived ?? 0;
  await sleep(500);
  const got = (call.statistics()?.raw.packetsReceived ?? 0) - before;
  assert.ok(got < 5, `${name} still received ${got} RTP packets in 500 ms from ${other}`);
});

Then('{actor} has {int} calls, the one with {actor} on hold', async function (this: CallWorld, name: string, n: number, other: string) {
  const live = this.actor(name).endpoint.sessions.filter((s) => s.state === SessionState.Connected);
  assert.equal(live.length, n, `${name} has ${live.length} connected calls`);
  const held = await callBetween(this, name, other);
  assert.equal(held.held, true, `the call with ${other} is not on hold`);
  assert.deepEqual(live.filter((s) => s.held).map((s) => s.id), [held.id], 'only that call is on hold');
});

Then(/^(Alice|Bob|Carol)'s call with (Alice|Bob|Carol) ends, ended by the other side$/, async function (this: CallWorld, name: string, other: string) {
  const call = await callBetween(this, name, other);
  await settle(call, SessionState.Disconnected, 5000);
  assert.equal(call.endCause?.by, 'remote', JSON.stringify(call.endCause));
});

Then("{actor}'s call with {actor} is still on hold", async function (this: CallWorld, name: string, other: string) {
  const call = await callBetween(this, name, other);
  assert.equal(call.state, SessionState.Connected);
  assert.equal(call.held, true);
});

Then('{actor}\'s phone never rang for {actor}', async function (this: CallWorld, name: string, caller: string) {
  const id = this.call(caller).id;
  await sleep(200);
  const rang = (this.history.get(name) ?? []).some((s) => s.id === id);
  assert.equal(rang, false, `${name} got a session for ${caller}'s call`);
  assert.equal(this.actor(name).endpoint.sessions.length, 1, `${name} has ${this.actor(name).endpoint.sessions.length} calls`);
});
