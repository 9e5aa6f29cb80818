/** Steps of dtmf.feature: each DTMF method, received at the far side. */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { dominant, sleep, until } from '../support/peers';
import type { CallWorld } from '../support/world';

const METHOD_SEEN = { 'RFC 4733 events': 'rfc4733', 'SIP INFO requests': 'info' } as const;

Given('{actor} is on a standalone line sending DTMF by {string}', function (this: CallWorld, name: string, method: string) {
  this.setup(name).config = { ...this.setup(name).config, policy: { session: { dtmf_method: method } } };
});

When('{actor} presses {string}', async function (this: CallWorld, name: string, digits: string) {
  const peer = [...this.calls.entries()].find(([n, s]) => n !== name && s.id === this.call(name).id);
  assert.ok(peer, 'nobody is on the call with the presser');
  const got: { digit: string; method: string }[] = [];
  this.received.set(peer[0], got);
  const sub = peer[1].onDidReceiveDtmf((e) => got.push({ digit: e.digit, method: e.method }));
  this.cleanups.push(() => sub.dispose());
  await sleep(200);
  await this.call(name).sendDtmf(digits);
});

Then(/^(Alice|Bob|Carol) receives the digits "([^"]*)" as (RFC 4733 events|SIP INFO requests)$/, async function (this: CallWorld, name: string, digits: string, how: keyof typeof METHOD_SEEN) {
  const got = this.received.get(name) ?? [];
  await until(() => got.length >= digits.length, 5000, `${digits.length} digits at ${name}`);
  assert.equal(got.map((g) => g.digit).join(''), digits);
  for (const g of got) assert.equal(g.method, METHOD_SEEN[how]);
});

When('{actor} presses {string} for {int} ms while {actor} listens', async function (this: CallWorld, name: string, digits: string, ms: number, listener: string) {
  await sleep(300);
  const sink = this.actor(listener).sinks.at(-1);
  assert.ok(sink, `${listener} has no audio`);
  sink.pull();
  await this.call(name).sendDtmf(digits, { durationMs: ms });
  await sleep(ms + 100);
  this.recorded.set(listener, sink.pull());
});

Then('{actor} hears {int} Hz and {int} Hz, the tones of digit {word}', function (this: CallWorld, name: string, low: number, high: number, _digit: string) {
  const pcm = this.recorded.get(name);
  assert.ok(pcm && pcm.length > 2000, `${name} recorded too little audio`);
  // ITU-T Q.23: one frequency of the low group and one of the high group.
  assert.equal(dominant(pcm, [697, 770, 852, 941]).freq, low);
  assert.equal(dominant(pcm, [1209, 1336, 1477, 1633]).freq, high);
});

When(/^(Alice|Bob|Carol)'s phone sends the digit "([0-9*#A-D])" in a SIP INFO with an (application\/dtmf-relay|application\/dtmf) body$/, async function (this: CallWorld, name: string, digit: string, type: string) {
  const call = this.call(name);
  const peer = [...this.calls.entries()].find(([n, s]) => n !== name && s.id === call.id);
  assert.ok(peer, 'nobody is on the call with the sender');
  const got: { digit: string; method: string }[] = [];
  this.received.set(peer[0], got);
  const sub = peer[1].onDidReceiveDtmf((e) => got.push({ digit: e.digit, method: e.method }));
  this.cleanups.push(() => sub.dispose());
  // The INFO is written by hand, as a desk phone would: RFC 2976 with the body of its kind.
  const body = type === 'application/dtmf' ? `${digit}\r\n` : `Signal=${digit}\r\nDuration=160\r\n`;
  const res = await call.invite.info(type, body);
  assert.equal(res.status, 200, `the INFO was answered ${res.status}`);
});
