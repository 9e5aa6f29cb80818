/** Steps of transfer.feature: blind (REFER) and attended (consult, REFER with Replaces) transfer. */
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { withTimeout } from '../support/peers';
import { settle, type CallWorld } from '../support/world';

function first(world: CallWorld, name: string) {
  const s = world.history.get(name)?.[0];
  if (!s) throw new Error(`${name} had no call`);
  return s;
}

When('{actor} transfers the call to {actor}', async function (this: CallWorld, name: string, target: string) {
  const to = await this.ensure(target);
  this.calls.delete(target);
  // The REFER's progress settles when the transfer target answered (NOTIFY sipfrag 200).
  const progress = this.call(name).transfer(to.uri);
  progress.catch(() => undefined);
  this.transfers.set(name, progress);
});

When('{actor} consults {actor}', async function (this: CallWorld, name: string, target: string) {
  const to = await this.ensure(target);
  this.calls.delete(target);
  await this.call(name).consult(to.uri);
});

When('{actor} completes the transfer', function (this: CallWorld, name: string) {
  const progress = first(this, name).completeTransfer();
  progress.catch(() => undefined);
  this.transfers.set(name, progress);
});

Then("{actor}'s transfer is reported successful", async function (this: CallWorld, name: string) {
  const progress = this.transfers.get(name);
  assert.ok(progress, `${name} started no transfer`);
  assert.equal((await withTimeout(progress, 10_000, 'transfer progress')).statusCode, 200);
});

Then('{actor} and {actor} are connected on a new call placed by {actor}', async function (this: CallWorld, a: string, b: string, caller: string) {
  const ca = await this.awaitCall(a);
  const cb = await this.awaitCall(b);
  await settle(ca, SessionState.Connected);
  await settle(cb, SessionState.Connected);
  assert.equal(ca.id, cb.id);
  assert.notEqual(this.call(caller), first(this, caller), `${caller} is still on the first call`);
  assert.equal(this.call(caller).direction, 'outgoing');
});

Then("{actor}'s first call ends, ended by the other side", async function (this: CallWorld, name: string) {
  const call = first(this, name);
  await settle(call, SessionState.Disconnected);
  assert.equal(call.endCause?.by, 'remote', JSON.stringify(call.endCause));
});

Then("{actor}'s call with {actor} is on hold", function (this: CallWorld, name: string, _other: string) {
  assert.equal(first(this, name).held, true);
});

Then('{actor} is connected to {actor} on the consult call', async function (this: CallWorld, a: string, b: string) {
  const consult = this.call(a);
  assert.notEqual(consult, first(this, a));
  await settle(consult, SessionState.Connected);
  await settle(this.call(b), SessionState.Connected);
  assert.equal(consult.id, this.call(b).id);
});

Then('{actor} is connected to {actor} on a call that replaces the consult call', async function (this: CallWorld, a: string, b: string) {
  const consultAtA = first(this, a);
  const replacing = this.call(a);
  assert.notEqual(replacing, consultAtA, `${a} got no new call`);
  await settle(replacing, SessionState.Connected);
  await settle(consultAtA, SessionState.Disconnected);
  // RFC 3891 / RFC 3892: the new INVITE names the dialog it replaces and who referred it.
  const invite = replacing.invite.request;
  assert.ok(invite?.headers.get('Replaces'), 'the INVITE has a Replaces header');
  assert.ok(invite?.headers.get('Referred-By'), 'the INVITE has a Referred-By header');
  const atB = this.call(b);
  await settle(atB, SessionState.Connected);
  assert.equal(atB.id, replacing.id);
});

Then("both of {actor}'s calls have ended", async function (this: CallWorld, name: string) {
  const calls = this.history.get(name) ?? [];
  assert.equal(calls.length, 2);
  for (const c of calls) await settle(c, SessionState.Disconnected);
});

Then('{actor} has one connected call', function (this: CallWorld, name: string) {
  const connected = this.actor(name).endpoint.sessions.filter((s) => s.state === SessionState.Connected);
  assert.equal(connected.length, 1);
});
