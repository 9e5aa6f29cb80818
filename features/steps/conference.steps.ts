/**
 * Steps of conference.feature on the agent's desktop (first-party call control): a local
 * three-way conference mixed in the agent's media engine (mix-minus: each person hears the other
 * two). The SIP Server's conference (TInitiateConference / TCompleteConference) is in
 * 3pcc-consult.steps.ts.
 */
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { goertzel, sleep } from '../support/peers';
import { settle, TONE_OF, TONES, type CallWorld } from '../support/world';

When('{actor} joins her two calls in a conference', async function (this: CallWorld, name: string) {
  const [first, second] = this.history.get(name) ?? [];
  assert.ok(first && second, `${name} does not have two calls`);
  await settle(first, SessionState.Connected);
  await settle(second, SessionState.Connected);
  // Takes the held call off hold and mixes both calls with the agent's own microphone.
  await first.conference(second);
  // Let the mix and the re-INVITE taking the first call off hold settle.
  await sleep(700);
});

Then('{actor} hears both {actor} and {actor}', async function (this: CallWorld, listener: string, a: string, b: string) {
  // The listener's newest sink: for the agent the conference's local leg, for the others their call.
  const sink = this.actor(listener).sinks.at(-1);
  assert.ok(sink, `${listener} has no audio`);
  sink.pull();
  await sleep(800);
  const pcm = sink.pull();
  assert.ok(pcm.length > 4000, `${listener} received only ${pcm.length} samples`);
  const power = new Map(TONES.map((f) => [f, goertzel(pcm, 8000, f)]));
  const want = [TONE_OF[a], TONE_OF[b]].map(Number);
  const others = TONES.filter((f) => !want.includes(f));
  const loudestOther = Math.max(...others.map((f) => power.get(f) ?? 0), 1);
  for (const f of want) {
    const ratio = (power.get(f) ?? 0) / loudestOther;
    assert.ok(ratio > 5, `${listener} hears ${f} Hz only ${ratio.toFixed(1)}x above the loudest other tone (${[...power].map(([k, v]) => `${k}: ${v.toExponential(1)}`).join(', ')})`);
  }
});

When('{actor} hangs up both calls', async function (this: CallWorld, name: string) {
  for (const call of this.history.get(name) ?? []) {
    if (call.state !== SessionState.Disconnected) await call.hangup();
  }
});
