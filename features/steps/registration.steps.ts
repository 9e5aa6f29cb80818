/** Steps of registration.feature: our endpoints registering with Kamailio (digest, realm test.local). */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SinkLogger } from '@sip-endpoint/base';
import { ConnectionState, EndpointStatus } from '@sip-endpoint/endpoint';
import { freePort, hasProgram, startKamailio, until } from '../support/peers';
import type { SipMessage } from '@sip-endpoint/signaling';
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
  const p = await this.start(name, {
    config: { connectivity: [{ user: String(user), server: `127.0.0.1:${this.kamailioPort}`, protocol: 'UDP' }], proxies: [{ reg_timeout: 60, reg_interval: 30, password }] },
    options: { domain: 'test.local', logger },
  });
  // What the line says to the registrar and hears back (REGISTER and its answers).
  const seen: SipMessage[] = [];
  registerTraffic.set(name, seen);
  const stack = p.endpoint.connections[0]?.userAgent?.stack;
  stack?.onDidLogMessage(({ message }) => {
    const cseq = message.headers.get('CSeq') ?? '';
    if (cseq.endsWith(' REGISTER')) seen.push(message);
  });
});

const registerTraffic = new Map<string, SipMessage[]>();

Then("the registrar accepted {actor}'s sign-out and lists no address for her any more", function (this: CallWorld, name: string) {
  const seen = registerTraffic.get(name) ?? [];
  const isRequest = (m: SipMessage): boolean => m.startLine().startsWith('REGISTER ');
  // RFC 3261 §10.2.2: removing a binding is a REGISTER with expires 0 for the contact.
  const unregister = [...seen].reverse().find((m) => isRequest(m) && (m.headers.get('Expires') === '0' || /;\s*expires=0\b/.test(m.headers.get('Contact') ?? '')));
  assert.ok(unregister, `${name} sent no REGISTER with expires 0 (${seen.filter(isRequest).length} REGISTERs)`);
  const cseq = unregister.headers.get('CSeq');
  const answer = seen.find((m) => !isRequest(m) && m.headers.get('CSeq') === cseq && / 200 /.test(m.startLine()));
  assert.ok(answer, `the registrar did not answer ${name}'s un-REGISTER (${cseq}) with 200`);
  // RFC 3261 §10.3: the 200 lists the bindings the registrar still has: none.
  assert.deepEqual(answer.headers.getAll('Contact'), [], 'the registrar still lists an address');
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
