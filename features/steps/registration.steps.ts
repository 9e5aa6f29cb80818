/** Steps of registration.feature: our endpoints registering with Kamailio (digest, realm test.local). */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SinkLogger } from '@sip-endpoint/base';
import { ConnectionState, EndpointStatus } from '@sip-endpoint/endpoint';
import { freePort, hasProgram, startKamailio, until } from '../support/peers';
import type { CallWorld } from '../support/world';

Given('the registrar is running', async function (this: CallWorld) {
  if (!hasProgram('/usr/sbin/kamailio')) throw new Error('kamailio is missing: apt-get install -y kamailio');
  this.kamailioPort = await freePort();
  // A fresh Kamailio per scenario: its in-memory location table must not keep stale bindings.
  const k = await startKamailio(this.kamailioPort);
  this.kamailio = k;
  this.cleanups.push(() => k.stop());
});

When('{actor} signs in as {int} with password {string}', async function (this: CallWorld, name: string, user: number, password: string) {
  const states: string[] = [];
  this.lineStates.set(name, states);
  // The first transitions happen inside createEndpoint: read them from the log.
  const logger = new SinkLogger((r) => {
    if (r.message === 'connection state') states.push(String(r.fields['to']));
  }, 'info');
  this.numbers.set(name, String(user));
  await this.start(name, {
    config: { connectivity: [{ user: String(user), server: `127.0.0.1:${this.kamailioPort}`, protocol: 'UDP' }], proxies: [{ reg_timeout: 60, reg_interval: 30, password }] },
    options: { domain: 'test.local', logger },
  });
});

Then(/^(Alice|Bob|Carol)'s line goes (\w+(?:, then \w+)*)$/, async function (this: CallWorld, name: string, list: string) {
  const want = list.split(', then ');
  const states = this.lineStates.get(name) ?? [];
  const tail = (): string[] => states.slice(-want.length);
  await until(() => tail().join() === want.join(), 10_000, `${name}'s line to go ${want.join(' -> ')} (saw ${states.join(' -> ')})`).catch(() => undefined);
  assert.deepEqual(tail(), want, `${name}'s line went ${states.join(' -> ')}`);
  assert.equal(this.actor(name).endpoint.connections[0]?.state, want.at(-1));
});

Then("{actor}'s endpoint is Active", function (this: CallWorld, name: string) {
  assert.equal(this.actor(name).endpoint.status, EndpointStatus.Active);
});

Then("{actor}'s endpoint is Inactive", function (this: CallWorld, name: string) {
  assert.equal(this.actor(name).endpoint.status, EndpointStatus.Inactive);
});

Then("{actor}'s line error mentions the registrar's rejection", function (this: CallWorld, name: string) {
  const conn = this.actor(name).endpoint.connections[0];
  assert.equal(conn?.state, ConnectionState.Failed);
  // Kamailio answers the wrong digest with 401 (or 403): the desktop shows that text.
  assert.match(conn?.lastError ?? '', /40[13]/);
});

When('{actor} signs in as {int} to a server address where nothing answers', async function (this: CallWorld, name: string, user: number) {
  const states: string[] = [];
  this.lineStates.set(name, states);
  const logger = new SinkLogger((r) => {
    if (r.message === 'connection state') states.push(String(r.fields['to']));
  }, 'info');
  this.numbers.set(name, String(user));
  // A port free right now: nothing listens there. Timer F (64 x T1) is 3.2 s with T1 = 50 ms;
  // reg_interval 1 s: the line retries every second.
  const port = await freePort();
  await this.start(name, {
    config: {
      connectivity: [{ user: String(user), server: `127.0.0.1:${port}`, protocol: 'UDP' }],
      proxies: [{ reg_timeout: 60, reg_interval: 1, password: 'secret' }],
      sip: { timers: { t1Ms: 50, t2Ms: 400 } },
    },
    options: { domain: 'test.local', logger },
  });
});

Then("{actor}'s line error says the server did not answer", function (this: CallWorld, name: string) {
  const conn = this.actor(name).endpoint.connections[0];
  assert.equal(conn?.state, ConnectionState.Failed);
  // RFC 3261 §8.1.3.1: a transaction timeout is reported as a 408 (Request Timeout).
  assert.match(conn?.lastError ?? '', /^408 Request Timeout/, `error text: ${conn?.lastError}`);
});

Then("{actor}'s line tries again and fails again, by itself", async function (this: CallWorld, name: string) {
  const states = this.lineStates.get(name) ?? [];
  const first = states.indexOf(ConnectionState.Failed);
  assert.ok(first >= 0, `${name}'s line has not failed (went ${states.join(' -> ')})`);
  const again = (): string[] => states.slice(first + 1);
  await until(() => again().includes(ConnectionState.Registering) && again().includes(ConnectionState.Failed), 10_000, `${name}'s line to retry and fail again (went ${states.join(' -> ')})`);
});

When('{actor} dials {string}', async function (this: CallWorld, name: string, number: string) {
  const callee = [...this.numbers].find(([, n]) => n === number)?.[0];
  if (callee) this.calls.delete(callee);
  this.actor(name).endpoint.dial(number);
});

When('{actor} signs out', async function (this: CallWorld, name: string) {
  await this.actor(name).endpoint.shutdown();
});
