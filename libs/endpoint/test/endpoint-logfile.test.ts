/**
 * The endpoint's own log file: `system.diagnostics.enable_logging` on writes every record that
 * passes `log_level` to `log_file` (JSON Lines), SIP traces at level 4 with the digest response
 * redacted; changing `enable_logging` / `log_file` at run time closes / reopens it; a file that
 * cannot be opened gives a warning record and the endpoint goes on; shutdown flushes it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite, SinkLogger, type LogRecord } from '@sip-endpoint/base';
import { Registrar, SipStack } from '@sip-endpoint/signaling';
import { ConnectionState, createEndpoint, SessionState } from '../src/index';
import { connect, party, reach, sleep, until, type Party } from './support/endpoints';

interface Line {
  time: string;
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** Every line of the file parsed (each must be one JSON object). */
function readLines(path: string): Line[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
}

describe('endpoint: log file (system.diagnostics.enable_logging, log_file)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ep-logfile-'));
  });
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the records at log_level as JSON lines, a call included; shutdown flushes and closes it', async () => {
    const file = join(dir, 'alice.log');
    const alice = await party('alice', 1000, { system: { diagnostics: { enable_logging: true, log_file: file, log_level: 3 } } });
    parties.push(alice);
    const bob = await party('bob', 500);
    parties.push(bob);
    expect(alice.endpoint.logFile).toBe(file);
    const { out } = await connect(alice, bob);
    await out.hangup();
    await reach(out, SessionState.Disconnected);
    await alice.endpoint.shutdown();
    const lines = readLines(file);
    expect(lines[0]).toMatchObject({ level: 'info', message: 'log file opened', fields: { file } });
    for (const l of lines) {
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['info', 'warn', 'error']).toContain(l.level); // log_level 3: no debug, no trace
    }
    const states = lines.filter((l) => l.message === 'session state').map((l) => l.fields['to']);
    expect(states).toEqual(['Connected', 'Disconnected']);
    expect(lines.filter((l) => l.fields['session'] === out.id).length).toBeGreaterThanOrEqual(2);
    // Bob writes no file: enable_logging is off by default.
    expect(bob.endpoint.logFile).toBeUndefined();
  });

  it('at log_level 4 the file has every SIP message, the digest response redacted', async () => {
    const registrarStack = await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] });
    const registrar = new Registrar(registrarStack, { domain: '127.0.0.1', credentials: (user) => ({ username: user, password: `pw-${user}` }) });
    const file = join(dir, 'agent.log');
    try {
      const endpoint = await createEndpoint(
        {
          connectivity: [{ user: 'agent', server: `127.0.0.1:${registrarStack.listeningPoints[0]!.port}`, protocol: 'UDP' }],
          proxies: [{ reg_timeout: 3600, password: 'pw-agent' }],
          system: { diagnostics: { enable_logging: true, log_file: file, log_level: 4 } },
        } as never,
        { ephemeralPorts: true, listenAddress: '127.0.0.1', media: false },
      );
      try {
        await until(() => endpoint.connections[0]!.state === ConnectionState.Ready, 5000, 'registered');
      } finally {
        await endpoint.shutdown();
      }
      const lines = readLines(file);
      const traces = lines.filter((l) => l.message === 'SIP sent' || l.message === 'SIP received').map((l) => String(l.fields['message']));
      expect(traces.some((t) => t.startsWith('REGISTER sip:') && /^Authorization: Digest /m.test(t))).toBe(true);
      expect(traces.some((t) => t.startsWith('SIP/2.0 401'))).toBe(true);
      const withAuth = traces.filter((t) => /^Authorization:/m.test(t));
      expect(withAuth.length).toBeGreaterThan(0);
      for (const t of withAuth) {
        expect(t).toMatch(/response="<redacted>"/);
        expect(t).not.toMatch(/response="[0-9a-f]{32}"/);
      }
      // The unregister at shutdown is in the file too (flushed before shutdown() resolved).
      expect(traces.some((t) => t.startsWith('REGISTER sip:') && /^Expires: 0/im.test(t))).toBe(true);
      expect(readFileSync(file, 'utf8')).not.toMatch(/response="[0-9a-f]{32}"/);
      expect(lines.some((l) => l.level === 'trace')).toBe(true);
    } finally {
      registrar.dispose();
      registrarStack.dispose();
    }
  });

  it('live: enable_logging on opens the file, a new log_file moves to it, off closes it', async () => {
    const first = join(dir, 'first.log');
    const second = join(dir, 'second.log');
    const alice = await party('alice', 1000, { system: { diagnostics: { log_file: first, log_level: 3 } } });
    parties.push(alice);
    const bob = await party('bob', 500);
    parties.push(bob);
    expect(alice.endpoint.logFile).toBeUndefined();
    const c1 = await connect(alice, bob);
    await c1.out.hangup();
    expect(existsSync(first)).toBe(false); // off: nothing written
    alice.endpoint.setConfigSetting('system.diagnostics.enable_logging', true);
    expect(alice.endpoint.logFile).toBe(first);
    const c2 = await connect(alice, bob);
    await until(() => readLines(first).some((l) => l.message === 'session state' && l.fields['session'] === c2.out.id), 5000, 'first file has the call');
    alice.endpoint.setConfigSetting('system.diagnostics.log_file', second);
    expect(alice.endpoint.logFile).toBe(second);
    await c2.out.hangup();
    await reach(c2.out, SessionState.Disconnected);
    await until(() => readLines(second).some((l) => l.message === 'session state' && l.fields['to'] === 'Disconnected'), 5000, 'second file has the hangup');
    const firstLines = readLines(first);
    expect(firstLines.some((l) => l.fields['to'] === 'Disconnected')).toBe(false); // the hangup went to the new file only
    expect(firstLines.at(-1)).toMatchObject({ message: 'log file closed', fields: { file: first } });
    alice.endpoint.setConfigSetting('system.diagnostics.enable_logging', false);
    expect(alice.endpoint.logFile).toBeUndefined();
    await sleep(100);
    const before = readFileSync(second, 'utf8').length;
    const c3 = await connect(alice, bob);
    await c3.out.hangup();
    await reach(c3.out, SessionState.Disconnected);
    await sleep(200);
    expect(readFileSync(second, 'utf8').length).toBe(before); // closed: nothing more
  });

  it('a file that cannot be opened: a warning record, no file, and the endpoint goes on', async () => {
    const bad = join(dir, 'no-such-dir', 'x.log');
    const records: LogRecord[] = [];
    // The desktop's logger sees every record from the start (the open fails in the background, maybe before createEndpoint resolves).
    const alice = await party('alice', 1000, { system: { diagnostics: { enable_logging: true, log_file: bad } } }, { logger: new SinkLogger((r) => records.push(r), 'trace') });
    parties.push(alice);
    const bob = await party('bob', 500);
    parties.push(bob);
    // The open fails in the background: a warning names the file and the error.
    await until(() => records.some((r) => r.message.startsWith('log file cannot be opened')), 5000, 'the warning');
    const warning = records.find((r) => r.message.startsWith('log file cannot be opened'))!;
    expect(warning.level).toBe('warn');
    expect(warning.fields).toMatchObject({ file: bad });
    expect(String(warning.fields['error'])).toMatch(/ENOENT/);
    expect(alice.endpoint.logFile).toBeUndefined();
    expect(existsSync(bad)).toBe(false);
    // Calls still work.
    const { out } = await connect(alice, bob);
    expect(out.state).toBe(SessionState.Connected);
    await out.hangup();
    // A good file set live is opened.
    const good = join(dir, 'good.log');
    alice.endpoint.setConfigSetting('system.diagnostics.log_file', good);
    expect(alice.endpoint.logFile).toBe(good);
    await alice.endpoint.shutdown();
    expect(readLines(good)[0]).toMatchObject({ message: 'log file opened' });
  });

  it('dispose() ends the file: what was logged before is flushed', async () => {
    const file = join(dir, 'dispose.log');
    const alice = await party('alice', 1000, { system: { diagnostics: { enable_logging: true, log_file: file, log_level: 4 } } });
    alice.endpoint.dispose();
    await until(() => readLines(file).some((l) => l.message === 'log file opened'), 5000, 'flushed after dispose');
    // Records after dispose are not written (and do not throw).
    expect(alice.endpoint.logFile).toBeUndefined();
  });
});
