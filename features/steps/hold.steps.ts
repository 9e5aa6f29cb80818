/** Steps of hold.feature for our endpoints (the SIP Server's steps are in sipserver.steps.ts). */
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { sleep, until } from '../support/peers';
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
