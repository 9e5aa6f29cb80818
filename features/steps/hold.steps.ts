/** Steps of hold.feature for our endpoints (the SIP Server's steps are in sipserver.steps.ts). */
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { sleep, until } from '../support/peers';
import type { Session } from '@sip-endpoint/endpoint';
import type { CallWorld } from '../support/world';

When('{actor} puts the call on hold', async function (this: CallWorld, name: string) {
  await this.call(name).hold();
});

When('{actor} retrieves the call', async function (this: CallWorld, name: string) {
  await this.call(name).retrieve();
});

Then("{actor}'s call is on hold", async function (this: CallWorld, name: string) {
  const call = this.call(name);
  await until(() => call.held, 3000, `${name}'s call held`);
});

Then("{actor}'s call is no longer on hold", async function (this: CallWorld, name: string) {
  const call = this.call(name);
  await until(() => !call.held, 3000, `${name}'s call retrieved`);
});

Then('{actor} no longer receives audio from {actor}', async function (this: CallWorld, listener: string, _speaker: string) {
  const call = this.call(listener);
  // RFC 3264 §8.4: the hold offer is sendonly, so the held side (recvonly) stops sending.
  await sleep(200);
  const before = call.statistics()?.raw.packetsReceived ?? 0;
  await sleep(500);
  const got = (call.statistics()?.raw.packetsReceived ?? 0) - before;
  assert.ok(got < 5, `${listener} still received ${got} RTP packets in 500 ms while on hold`);
});

/** The call `name` holds: her own endpoint's call, or (SIP Server scenarios) the agent's first call. */
function heldCall(world: CallWorld, name: string): Session {
  if (!world.actors.has(name) && world.host && name === 'Alice') return world.agentCall(0).session;
  return world.call(name);
}

Then('{actor} sends no audio while on hold', async function (this: CallWorld, name: string) {
  const call = heldCall(this, name);
  const sent = (): number => call.statistics()?.raw.packetsSent ?? Number.NaN;
  assert.equal(call.held, true, `${name}'s call is not on hold`);
  // genesys-compat §1 THoldCall: "stop sending RTP". Whoever held, the held party hears nothing
  // of the agent (our hold offer is sendonly, the engine sends nothing). Engine snapshots are at
  // most 100 ms old: count over a window once the hold has settled.
  await sleep(150);
  const before = sent();
  await sleep(500);
  const during = sent() - before;
  assert.ok(Number.isFinite(during), `${name}'s call has no media statistics`);
  assert.ok(during <= 1, `${name} sent ${during} RTP packets in 500 ms on hold`);
});
