/**
 * Steps of diagnostics.feature: RTP inactivity ending a call (`policy.endpoint.rtp_inactivity_timeout`)
 * and the endpoint's own log file (`system.diagnostics.enable_logging`, `log_file`). Per-scenario
 * state (the log folder, the desktop's log records) is kept next to the world in WeakMaps, and
 * everything made is removed by the world's cleanups.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { SinkLogger, type LogRecord } from '@sip-endpoint/base';
import { sleep } from '../support/peers';
import type { CallWorld } from '../support/world';

/** Merges `patch` into the actor's starting configuration (one level of domains and sections). */
function configure(world: CallWorld, name: string, domain: string, section: string, patch: Record<string, unknown>): void {
  const config = world.setup(name).config;
  const d = (config[domain] ??= {}) as Record<string, Record<string, unknown>>;
  d[section] = { ...(d[section] ?? {}), ...patch };
}

// ------------------------------------------------------------------ RTP inactivity

Given("{actor}'s endpoint ends a call after {int} seconds without audio", function (this: CallWorld, name: string, seconds: number) {
  configure(this, name, 'policy', 'endpoint', { rtp_inactivity_timeout: seconds });
});

Given(/^(Alice|Bob|Carol)'s phone sends no audio at all$/, function (this: CallWorld, name: string) {
  // Signaling only: the phone answers with SDP (port 9) and never sends RTP, like a phone whose
  // media path broke.
  const s = this.setup(name);
  s.options = { ...(s.options ?? {}), media: false };
});

When('{int} seconds pass', async function (this: CallWorld, seconds: number) {
  await sleep(seconds * 1000);
});

// "<actor>'s call ends within N seconds with SIP code C "reason", ended by herself" is bad-input.steps.ts's.

// ------------------------------------------------------------------ log file

/** The scenario's folder for log files (made on first use, removed afterwards). */
const folders = new WeakMap<CallWorld, string>();
/** Every record each actor's desktop logger received, from the endpoint's start. */
const desktopLogs = new WeakMap<CallWorld, Map<string, LogRecord[]>>();
/** Call-IDs each actor had when a step looked at a log file (to tell calls apart). */
const seenCalls = new WeakMap<CallWorld, string[]>();

function folder(world: CallWorld): string {
  let dir = folders.get(world);
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), 'features-log-'));
    dir = made;
    folders.set(world, made);
    world.cleanups.push(() => rmSync(made, { recursive: true, force: true }));
  }
  return dir;
}

interface FileLine {
  time: string;
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** The lines of a log file, each parsed (a line that is not one JSON object fails the step). */
async function fileLines(world: CallWorld, file: string): Promise<FileLine[]> {
  await sleep(300); // the endpoint's writes are buffered: give them a moment
  const path = join(folder(world), file);
  assert.ok(existsSync(path), `no log file ${file}`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as FileLine;
      } catch {
        throw new Error(`line ${i + 1} of ${file} is not one JSON object: ${l.slice(0, 120)}`);
      }
    });
}

Given("{actor}'s settings turn logging on, to the file {string}", function (this: CallWorld, name: string, file: string) {
  configure(this, name, 'system', 'diagnostics', { enable_logging: true, log_file: join(folder(this), file) });
  // The desktop's own logger too, from the very start (a file that cannot be opened is reported at once).
  const records: LogRecord[] = [];
  const byActor = desktopLogs.get(this) ?? new Map<string, LogRecord[]>();
  byActor.set(name, records);
  desktopLogs.set(this, byActor);
  const s = this.setup(name);
  s.options = { ...(s.options ?? {}), logger: new SinkLogger((r) => records.push(r), 'trace') };
});

When("{actor}'s desktop moves her log to the file {string}", async function (this: CallWorld, name: string, file: string) {
  const p = await this.ensure(name);
  p.endpoint.setConfigSetting('system.diagnostics.log_file', join(folder(this), file));
  assert.equal(p.endpoint.logFile, join(folder(this), file));
});

Then(
  "{actor}'s log file {string} has the call's information records, one JSON object per line, and no SIP traces",
  async function (this: CallWorld, name: string, file: string) {
    const call = this.call(name);
    const lines = await fileLines(this, file);
    for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `a line without its time: ${JSON.stringify(l)}`);
    const states = lines.filter((l) => l.message === 'session state' && l.fields['session'] === call.id).map((l) => l.fields['to']);
    assert.deepEqual(states, ['Connected', 'Disconnected'], `the call's states in ${file}`);
    assert.deepEqual(lines.filter((l) => l.level === 'debug' || l.level === 'trace').map((l) => l.message), [], 'records below log_level 3');
    seenCalls.set(this, [...(seenCalls.get(this) ?? []), call.id]);
  },
);

Then("{actor}'s log file {string} has the SIP traces of her INVITE and of the BYE", async function (this: CallWorld, name: string, file: string) {
  const call = this.call(name);
  const lines = await fileLines(this, file);
  const traces = lines.filter((l) => l.message === 'SIP sent' || l.message === 'SIP received').map((l) => String(l.fields['message'] ?? ''));
  const ofCall = traces.filter((t) => t.includes(`Call-ID: ${call.id}`));
  assert.ok(ofCall.some((t) => t.startsWith('INVITE sip:')), `no trace of the INVITE among ${traces.length} SIP traces`);
  assert.ok(ofCall.some((t) => t.startsWith('SIP/2.0 200')), 'no trace of the 200 OK');
  assert.ok(ofCall.some((t) => t.startsWith('BYE sip:')), 'no trace of the BYE');
});

Then("{actor}'s log file {string} ends with the line closing it, and has no call", async function (this: CallWorld, _name: string, file: string) {
  const lines = await fileLines(this, file);
  assert.equal(lines.at(-1)?.message, 'log file closed');
  assert.deepEqual(lines.filter((l) => l.message === 'session state'), []);
});

Then("{actor}'s log file {string} has nothing of the second call", async function (this: CallWorld, name: string, file: string) {
  const call = this.call(name);
  const seen = seenCalls.get(this) ?? [];
  assert.ok(!seen.includes(call.id), 'the second call is the one already checked');
  const lines = await fileLines(this, file);
  assert.deepEqual(lines.filter((l) => JSON.stringify(l).includes(call.id)).map((l) => l.message), []);
  assert.equal(lines.at(-1)?.message, 'log file closed');
});

Then("{actor}'s desktop was warned that the log file {string} cannot be opened", function (this: CallWorld, name: string, file: string) {
  const records = desktopLogs.get(this)?.get(name);
  assert.ok(records, `${name}'s desktop logger is not set (add the Given step)`);
  const warning = records.find((r) => r.message.startsWith('log file cannot be opened'));
  assert.ok(warning, 'no warning about the log file');
  assert.equal(warning.level, 'warn');
  assert.equal(warning.fields['file'], join(folder(this), file));
  assert.match(String(warning.fields['error']), /ENOENT|no such file/i);
  assert.equal(this.actor(name).endpoint.logFile, undefined);
});

Then('there is no log file {string}', function (this: CallWorld, file: string) {
  assert.equal(existsSync(join(folder(this), file)), false);
});
