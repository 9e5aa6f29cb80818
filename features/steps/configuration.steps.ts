/**
 * Steps of configuration.feature: getConfigSetting / setConfigSetting at run time (genesys-compat
 * §2, §3), the log level applied live (a log sink of the desktop), silence suppression switched
 * on during a call, and an endpoint started from a Genesys XML file (good and bad).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import type { LogRecord } from '@sip-endpoint/base';
import { createEndpoint, SessionState } from '@sip-endpoint/endpoint';
import { MemorySink, NullSource, ToneSource, type AudioSink } from '@sip-endpoint/media-native';
import { sleep } from '../support/peers';
import { slice } from '../support/slice-b';
import { CallWorld, settle, TONE_OF } from '../support/world';

Given("{actor}'s endpoint has started", async function (this: CallWorld, name: string) {
  await this.ensure(name);
});

When("{actor}'s desktop sets {string} to {string}", async function (this: CallWorld, name: string, key: string, value: string) {
  const p = await this.ensure(name);
  p.endpoint.setConfigSetting(key, value);
  // The log a "keeps her endpoint's log" step collects starts afresh with each change.
  const log = logs.get(this)?.get(name);
  if (log) log.length = 0;
});

When("{actor}'s desktop tries to set {string} to {string}", async function (this: CallWorld, name: string, key: string, value: string) {
  const p = await this.ensure(name);
  slice(this).configError = undefined;
  try {
    p.endpoint.setConfigSetting(key, value);
  } catch (e) {
    slice(this).configError = e instanceof Error ? e : new Error(String(e));
  }
});

Then('the change is refused with an error naming {string}', function (this: CallWorld, key: string) {
  const e = slice(this).configError;
  assert.ok(e, 'the change was accepted');
  // ConfigError (CONFIG_INVALID) carries the key it refused and a message a desktop can show.
  assert.equal(e.name, 'ConfigError', `${e.name}: ${e.message}`);
  assert.equal((e as Error & { keyPath?: string }).keyPath, key, e.message);
  assert.ok(e.message.length > 10, `an unhelpful message: "${e.message}"`);
});

Then("{actor}'s setting {string} reads {string}", async function (this: CallWorld, name: string, key: string, value: string) {
  const p = await this.ensure(name);
  assert.equal(p.endpoint.getConfigSetting(key), value);
});

Then("{actor}'s phone answers by itself", async function (this: CallWorld, name: string) {
  const call = await this.awaitCall(name);
  assert.equal(call.direction, 'incoming');
  // Nobody calls answer(): the auto_answer policy does.
  await settle(call, SessionState.Connected, 5000);
});

// ------------------------------------------------------------------ log level

/** The records each actor's log sink received since the last setting change. */
const logs = new WeakMap<CallWorld, Map<string, LogRecord[]>>();

Given("{actor}'s desktop keeps her endpoint's log", async function (this: CallWorld, name: string) {
  const p = await this.ensure(name);
  const records: LogRecord[] = [];
  const byActor = logs.get(this) ?? new Map<string, LogRecord[]>();
  byActor.set(name, records);
  logs.set(this, byActor);
  // A log sink of the extension model: every record the endpoint lets through.
  const sub = p.endpoint.registerLogSink((r) => records.push(r));
  this.cleanups.push(() => sub.dispose());
});

async function logOf(world: CallWorld, name: string): Promise<LogRecord[]> {
  const records = logs.get(world)?.get(name);
  assert.ok(records, `${name}'s log is not kept (add the Given step)`);
  // The call's last records (its end) come right after the hang-up.
  await sleep(200);
  return records;
}

const debugLevels = new Set(['debug', 'trace']);

Then("{actor}'s log shows the call's information records, but no debugging records or SIP traces", async function (this: CallWorld, name: string) {
  const records = await logOf(this, name);
  assert.ok(records.some((r) => r.level === 'info' && r.message === 'session state'), `no call state record in ${records.length} records`);
  assert.deepEqual(records.filter((r) => debugLevels.has(r.level)).map((r) => r.message), []);
});

Then("{actor}'s log shows debugging records with the SIP traces of her INVITE", async function (this: CallWorld, name: string) {
  const records = await logOf(this, name);
  assert.ok(records.some((r) => r.level === 'info'), 'no information records at level 4');
  // The SIP transactions trace each state change of the INVITE they carry.
  const traces = records.filter((r) => debugLevels.has(r.level) && r.fields['method'] === 'INVITE');
  assert.ok(traces.length > 0, `no SIP trace of the INVITE among ${records.filter((r) => debugLevels.has(r.level)).length} debugging records`);
});

Then("{actor}'s log shows nothing but errors", async function (this: CallWorld, name: string) {
  const records = await logOf(this, name);
  assert.deepEqual(records.filter((r) => r.level !== 'error').map((r) => `${r.level} ${r.message}`), []);
});

// ------------------------------------------------------------------ silence suppression (DTX)

Given("{actor}'s microphone picks up only silence", function (this: CallWorld, name: string) {
  const s = this.setup(name);
  s.options = { ...s.options, audio: { createSource: () => new NullSource() } };
});

const sentBy = (w: CallWorld, n: string): number => w.call(n).statistics()?.raw.packetsSent ?? 0;
const receivedBy = (w: CallWorld, n: string): number => w.call(n).statistics()?.raw.packetsReceived ?? 0;

Then('{actor} receives audio packets from {actor}', async function (this: CallWorld, listener: string, _speaker: string) {
  await sleep(300);
  const before = receivedBy(this, listener);
  await sleep(600);
  const got = receivedBy(this, listener) - before;
  // 20 ms packets: about 30 in 600 ms.
  assert.ok(got > 15, `${listener} received ${got} RTP packets in 600 ms`);
});

Then('{actor} still receives audio packets from {actor}', async function (this: CallWorld, listener: string, _speaker: string) {
  const before = receivedBy(this, listener);
  await sleep(400);
  const got = receivedBy(this, listener) - before;
  assert.ok(got > 10, `${listener} received ${got} RTP packets in 400 ms`);
});

Then(/^(Alice|Bob)'s endpoint stops sending (?:her|his) silence, and (Alice|Bob) receives next to nothing from (?:her|him)$/, async function (this: CallWorld, name: string, listener: string) {
  // The voice activity detector's hangover, and engine snapshots at most 100 ms old.
  await sleep(400);
  const at = { sent: sentBy(this, name), received: receivedBy(this, listener) };
  await sleep(700);
  const sent = sentBy(this, name) - at.sent;
  const received = receivedBy(this, listener) - at.received;
  assert.ok(sent <= 1, `${name} sent ${sent} RTP packets of silence in 700 ms`);
  assert.ok(received <= 2, `${listener} received ${received} RTP packets in 700 ms`);
  const dtx = this.call(name).statistics()?.raw.dtxFrames ?? 0;
  assert.ok(dtx > 20, `${name}'s engine counted only ${dtx} suppressed frames`);
});

// ------------------------------------------------------------------ configuration files

const files = new WeakMap<CallWorld, string>();
const startErrors = new WeakMap<CallWorld, Error | undefined>();

Given("{actor}'s configuration file {string} says:", function (this: CallWorld, _name: string, file: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'features-config-'));
  this.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, file);
  writeFileSync(path, `${text}\n`);
  files.set(this, path);
});

async function startFromFile(world: CallWorld, name: string): Promise<void> {
  const path = files.get(world);
  assert.ok(path, 'no configuration file was written');
  const sinks: MemorySink[] = [];
  const endpoint = await createEndpoint(path, {
    ephemeralPorts: true,
    listenAddress: '127.0.0.1',
    mediaEngine: { rtpPortMin: 40000, rtpPortMax: 49999 },
    audio: {
      createSource: () => new ToneSource({ frequencyHz: TONE_OF[name] ?? 2000, levelDbov: -12 }),
      createSink: (): AudioSink => {
        const s = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
        sinks.push(s);
        return s;
      },
    },
  });
  world.adoptActor(name, { name: name.toLowerCase(), endpoint, sinks, uri: endpoint.connections[0]?.contactUri ?? '' });
}

When("{actor}'s endpoint starts from that file", async function (this: CallWorld, name: string) {
  await startFromFile(this, name);
});

When("{actor}'s endpoint tries to start from that file", async function (this: CallWorld, name: string) {
  try {
    await startFromFile(this, name);
    startErrors.set(this, undefined);
  } catch (e) {
    startErrors.set(this, e instanceof Error ? e : new Error(String(e)));
  }
});

Then('the start is refused with an error naming {string}, line {int} and {string}', function (this: CallWorld, file: string, line: number, key: string) {
  const e = startErrors.get(this) as (Error & { file?: string; line?: number; keyPath?: string }) | undefined;
  assert.ok(e, 'the endpoint started');
  assert.equal(e.name, 'ConfigError', `${e.name}: ${e.message}`);
  assert.equal(basename(e.file ?? ''), file, e.message);
  assert.equal(e.line, line, e.message);
  assert.equal(e.keyPath, key, e.message);
  // The message a desktop shows names all three too.
  assert.ok(e.message.includes(file) && e.message.includes(`:${line}:`) && e.message.includes(key), e.message);
});
