/** Steps of inbound-calls.feature: customers' real desk phones (baresip, linphonec) calling our endpoint. */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { phoneOf, startBaresipPhone, startLinphonePhone } from '../support/slice-b';
import { CallWorld, settle, TONE_OF } from '../support/world';

Given('{actor} has a {word} desk phone', async function (this: CallWorld, name: string, kind: string) {
  if (kind === 'baresip') await startBaresipPhone(this, name);
  else if (kind === 'linphone') await startLinphonePhone(this, name);
  else throw new Error(`no desk phone of kind ${kind} (baresip, linphone)`);
});

When('{actor} calls {actor} from his desk phone', async function (this: CallWorld, caller: string, callee: string) {
  const to = await this.ensure(callee);
  this.calls.delete(callee);
  await phoneOf(this, caller).call(to.uri);
});

Then('{actor} sees the call comes from {actor}', function (this: CallWorld, name: string, from: string) {
  const call = this.call(name);
  assert.match(call.remote, new RegExp(`sip:${from.toLowerCase()}@127\\.0\\.0\\.1`), `the call shows ${call.remote}`);
});

Then("{actor}'s call is connected to {actor}'s desk phone", async function (this: CallWorld, name: string, customer: string) {
  await settle(this.call(name), SessionState.Connected, 5000);
  await phoneOf(this, customer).connected(5000);
});

Then('{actor} has received at least {int} audio packets', function (this: CallWorld, name: string, n: number) {
  const got = this.call(name).statistics()?.raw.packetsReceived ?? 0;
  assert.ok(got >= n, `${name} received ${got} RTP packets`);
});

When('{actor} hangs up his desk phone', async function (this: CallWorld, name: string) {
  const phone = phoneOf(this, name);
  await phone.hangup();
  await phone.ended(5000);
});

Then("{actor}'s desk phone heard {actor}'s tone", async function (this: CallWorld, name: string, speaker: string) {
  const want = TONE_OF[speaker] ?? 0;
  const freq = await phoneOf(this, name).heardFrequency();
  // sox's estimate of a clean tone is within a few tens of Hz.
  assert.ok(Math.abs(freq - want) < 40, `${name}'s phone heard ${freq} Hz, not ${speaker}'s ${want} Hz`);
});
