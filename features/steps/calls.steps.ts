/** Steps of calls.feature (and the call steps the other features share). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AfterAll, Given, Then, When } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { sleep, until } from '../support/peers';
import { CallWorld, settle, TONE_OF } from '../support/world';

const BY = { 'the other side': 'remote', herself: 'local', himself: 'local' } as const;

Given('{actor} is on a standalone line', function (this: CallWorld, name: string) {
  this.setup(name);
});

/** A self-signed certificate for 127.0.0.1 made once per run by openssl (removed after the run). */
let tlsFiles: { dir: string; certFile: string; keyFile: string } | undefined;

function tlsCertificate(): { certFile: string; keyFile: string } {
  if (tlsFiles) return tlsFiles;
  const dir = mkdtempSync(join(tmpdir(), 'features-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore', timeout: 20_000 },
  );
  tlsFiles = { dir, certFile, keyFile };
  return tlsFiles;
}

AfterAll(function () {
  if (tlsFiles) rmSync(tlsFiles.dir, { recursive: true, force: true });
  tlsFiles = undefined;
});

Given('{actor} and {actor} use {word} lines offering only {word}', function (this: CallWorld, a: string, b: string, transport: string, codec: string) {
  assert.ok(transport === 'UDP' || transport === 'TCP' || transport === 'TLS', `transport ${transport}`);
  for (const n of [a, b]) {
    const s = this.setup(n);
    s.protocol = transport;
    if (transport === 'TLS') {
      // RFC 3261 §26.2: each side presents the certificate and trusts it (it is its own CA here).
      const { certFile, keyFile } = tlsCertificate();
      s.config = { ...s.config, sip: { tls: { certFile, keyFile, caFile: certFile } } };
    }
    // telephone-event stays offered as on a real desk phone; the voice codec is the only one.
    s.codecs = { [codec]: 100, 'telephone-event': 50 };
  }
});

Given("{actor}'s desktop gives up on unanswered calls after {int} seconds", function (this: CallWorld, name: string, seconds: number) {
  this.noAnswer.set(name, seconds * 1000);
});

When('{actor} calls {actor}', async function (this: CallWorld, caller: string, callee: string) {
  const from = await this.ensure(caller);
  const to = await this.ensure(callee);
  this.calls.delete(callee);
  // The callee's line address carries its transport (`;transport=tcp` for a TCP line, `sips:` for TLS).
  const call = from.endpoint.dial(to.uri);
  this.dialledAt.set(caller, Date.now());
  const giveUp = this.noAnswer.get(caller);
  if (giveUp !== undefined) {
    // The desktop's own no-answer timer: the endpoint has no ring timeout of its own.
    const t = setTimeout(() => {
      if (call.state === SessionState.InProgress) void call.hangup();
    }, giveUp);
    this.cleanups.push(() => clearTimeout(t));
  }
});

Then("{actor}'s phone rings", async function (this: CallWorld, name: string) {
  const call = await this.awaitCall(name);
  await settle(call, SessionState.Alerting, 5000);
  assert.equal(call.direction, 'incoming');
});

When('{actor} answers', async function (this: CallWorld, name: string) {
  const call = await this.awaitCall(name);
  await settle(call, SessionState.Alerting, 5000);
  await call.answer();
});

When('{actor} rejects the call as busy', function (this: CallWorld, name: string) {
  this.call(name).reject(486);
});

When('{actor} hangs up', async function (this: CallWorld, name: string) {
  await this.call(name).hangup();
});

Then('{actor} and {actor} are connected on the same call', async function (this: CallWorld, a: string, b: string) {
  const ca = this.call(a);
  const cb = this.call(b);
  await settle(ca, SessionState.Connected);
  await settle(cb, SessionState.Connected);
  assert.equal(ca.id, cb.id, 'both legs share the Call-ID');
});

Then('{actor} hears {actor}', async function (this: CallWorld, listener: string, speaker: string) {
  await sleep(300);
  const h = await this.heard(listener);
  assert.ok(h.samples > 2000, `${listener} received only ${h.samples} samples`);
  assert.equal(h.freq, TONE_OF[speaker], `${listener} hears ${h.freq} Hz, not ${speaker}'s ${TONE_OF[speaker]} Hz`);
  assert.ok(h.ratio > 5, `${speaker}'s tone is not clear at ${listener} (ratio ${h.ratio.toFixed(1)})`);
  this.levels.set(`${listener}>${speaker}`, h.levelDb);
});

Then('{actor} hears {actor} again', async function (this: CallWorld, listener: string, speaker: string) {
  await sleep(300);
  const h = await this.heard(listener);
  assert.equal(h.freq, TONE_OF[speaker], `${listener} hears ${h.freq} Hz, not ${speaker}'s tone`);
});

Then('{actor} has sent at least {int} audio packets', function (this: CallWorld, name: string, n: number) {
  const sent = this.call(name).statistics()?.raw.packetsSent ?? 0;
  assert.ok(sent >= n, `${name} sent ${sent} RTP packets`);
});

Then('the call uses {word}', async function (this: CallWorld, codec: string) {
  const want = new RegExp(`^${(codec.split('/')[0] ?? codec).toLowerCase()}`);
  for (const name of ['Alice', 'Bob']) {
    const call = this.call(name);
    // The statistics are a snapshot of the engine taken every ~100 ms: right after the answer the
    // offerer's may still name its first offered codec. Wait (bounded) for the negotiated one.
    const used = (): string => String(call.statistics()?.raw.codec ?? '').toLowerCase();
    await until(() => want.test(used()), 3000, `${name}'s codec in the statistics`).catch(() => undefined);
    assert.match(used(), want, `${name}'s call uses ${used()}`);
  }
});

Then(/^(Alice|Bob|Carol)'s call ends, ended by (the other side|herself|himself)$/, async function (this: CallWorld, name: string, by: keyof typeof BY) {
  const call = this.call(name);
  await settle(call, SessionState.Disconnected);
  assert.equal(call.endCause?.by, BY[by], `end cause ${JSON.stringify(call.endCause)}`);
});

Then(/^(Alice|Bob|Carol)'s call ends with SIP code (\d+), ended by (the other side|herself|himself)$/, async function (this: CallWorld, name: string, code: string, by: keyof typeof BY) {
  const call = this.call(name);
  await settle(call, SessionState.Disconnected);
  assert.equal(call.endCause?.code, Number(code), `end cause ${JSON.stringify(call.endCause)}`);
  assert.equal(call.endCause?.by, BY[by], `end cause ${JSON.stringify(call.endCause)}`);
});

Then(
  /^(Alice|Bob|Carol)'s call ends between (\d+) and (\d+) seconds after dialling, ended by (the other side|herself|himself)$/,
  async function (this: CallWorld, name: string, min: string, max: string, by: keyof typeof BY) {
    const call = this.call(name);
    await settle(call, SessionState.Disconnected, Number(max) * 1000 + 1000);
    const took = Date.now() - (this.dialledAt.get(name) ?? 0);
    assert.ok(took >= Number(min) * 1000 - 100 && took <= Number(max) * 1000, `ended after ${took} ms`);
    assert.equal(call.endCause?.by, BY[by], `end cause ${JSON.stringify(call.endCause)}`);
  },
);

Then("their call's signaling went over {word}", function (this: CallWorld, transport: string) {
  // The callee's INVITE names the transport it came over in its top Via (RFC 3261 §18.2.1).
  const callee = [...this.calls.values()].find((s) => s.direction === 'incoming');
  assert.ok(callee, 'nobody received a call');
  const via = callee.invite.request?.headers.get('Via') ?? '';
  assert.match(via, new RegExp(`^SIP/2\\.0/${transport} `, 'i'), `the INVITE came with Via: ${via}`);
});

Then("the call's id on both sides is the Call-ID of {actor}'s INVITE", function (this: CallWorld, callee: string) {
  const callId = this.call(callee).invite.request?.headers.get('Call-ID');
  assert.ok(callId, `${callee}'s call has no INVITE`);
  for (const [name, s] of this.calls) assert.equal(s.id, callId, `${name}'s call id`);
});

Then(/^(Alice|Bob|Carol)'s call went ((?:\w+)(?:, \w+)*)$/, function (this: CallWorld, name: string, list: string) {
  const timeline = this.timelines.get(this.call(name));
  assert.deepEqual(timeline, list.split(', '));
});

When('{actor} rejects the call with {int} {string}', function (this: CallWorld, name: string, code: number, reason: string) {
  this.call(name).reject(code, reason);
});

Then(/^(Alice|Bob|Carol)'s call ends with SIP code (\d+) "([^"]+)", ended by (the other side|herself|himself)$/, async function (this: CallWorld, name: string, code: string, reason: string, by: keyof typeof BY) {
  const call = this.call(name);
  await settle(call, SessionState.Disconnected);
  assert.deepEqual(call.endCause, { code: Number(code), reason, by: BY[by] });
});

Given("{actor}'s desktop adds {string} to her calls", async function (this: CallWorld, name: string, header: string) {
  const [field = '', value = ''] = header.split(/:\s*/, 2);
  const p = await this.ensure(name);
  // A header provider of the extension model: headers for the endpoint's outgoing requests.
  const sub = p.endpoint.registerHeaderProvider({ id: 'desk', provideHeaders: ({ method }) => (method === 'INVITE' ? { [field]: value } : undefined) });
  this.cleanups.push(() => sub.dispose());
});

Then("{actor}'s call came with {string}", function (this: CallWorld, name: string, header: string) {
  const [field = '', value = ''] = header.split(/:\s*/, 2);
  assert.deepEqual(this.call(name).invite.request?.headers.getAll(field), [value]);
});

When("{actor}'s desktop closes abruptly", function (this: CallWorld, name: string) {
  // dispose(): no BYE, no un-REGISTER; the media engine closes at once.
  this.actor(name).endpoint.dispose();
});

Then('{actor} receives no more audio from {actor}', async function (this: CallWorld, listener: string, speaker: string) {
  const call = this.call(listener);
  await sleep(200);
  const before = call.statistics()?.raw.packetsReceived ?? 0;
  await sleep(600);
  const got = (call.statistics()?.raw.packetsReceived ?? 0) - before;
  assert.ok(got === 0, `${listener} still received ${got} RTP packets from ${speaker}`);
});
