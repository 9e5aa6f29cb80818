/**
 * Real SIP peers for the protocol tests (Debian packages): SIPp, Kamailio, baresip. Each runner
 * starts the program on 127.0.0.1, waits until it is ready, and stops it on `stop()` (tests call
 * it in `finally`/`afterAll`). Output is kept so a failing test can print it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Folder of the peers' scenario and config files. */
export const PEERS_DIR = join(here, '..', 'peers');

/** Whether an executable exists (peers come from Debian packages installed by .ci/run). */
export function hasProgram(path: string): boolean {
  return existsSync(path);
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port found');
}

/** A running peer process. */
export interface PeerProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  /** Stops the process (SIGTERM, then SIGKILL after 2 s) and waits for it. */
  stop(): Promise<void>;
}

function runProcess(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): PeerProcess {
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString('utf8');
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (e) => {
      out += `\nspawn error: ${e.message}`;
      resolve(-1);
    });
  });
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Options of a SIPp run. */
export interface SippOptions {
  /** Scenario file name under peers/sipp/. */
  scenario: string;
  /** Local SIP port of SIPp. */
  port: number;
  /** Remote `host:port` for a UAC scenario. */
  remote?: string;
  /** Request-URI user part (`-s`). */
  service?: string;
  /** `u1` (UDP, default) or `t1` (one TCP connection). */
  transport?: 'u1' | 't1';
  /** Calls to run (default 1). */
  calls?: number;
  /** Digest credentials (`-au`, `-ap`). */
  auth?: { username: string; password: string };
  /** Give up after this many seconds (default 20). */
  timeoutSec?: number;
  /** Local media port (`-mp`). */
  mediaPort?: number;
}

/** A SIPp process with its result. */
export interface SippRun extends PeerProcess {
  /** Resolves when SIPp ends: `ok` when its scenario completed with every call successful. */
  readonly result: Promise<{ ok: boolean; code: number | null; errors: string; output: string }>;
}

/** Starts SIPp with a scenario; for a UAS scenario, wait a moment for it to bind (use `waitForUdpPort`). */
export function startSipp(o: SippOptions): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const errFile = join(dir, 'errors.log');
  const args = [
    '-sf', join(PEERS_DIR, 'sipp', o.scenario),
    '-i', '127.0.0.1',
    '-p', String(o.port),
    '-m', String(o.calls ?? 1),
    '-t', o.transport ?? 'u1',
    '-nostdin',
    '-timeout', `${o.timeoutSec ?? 20}s`,
    '-timeout_error',
    '-trace_err', '-error_file', errFile,
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-mp', String(o.mediaPort ?? 0),
  ];
  if (o.mediaPort === undefined) args.splice(args.indexOf('-mp'), 2);
  if (o.service) args.push('-s', o.service);
  if (o.auth) args.push('-au', o.auth.username, '-ap', o.auth.password);
  if (o.remote) args.push(o.remote);
  const p = runProcess('sipp', args, { cwd: dir });
  const result = p.exited.then(async (code) => {
    const { readFileSync } = await import('node:fs');
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    return { ok: code === 0, code, errors: read(errFile), output: `${p.output()}\n--- messages ---\n${read(join(dir, 'messages.log')).slice(-20000)}` };
  });
  return Object.assign(p, { result });
}

/** Resolves once something answers on `host:port` over TCP, or after `timeoutMs` (rejects). */
export async function waitForTcpPort(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/** Resolves once a UDP port on 127.0.0.1 is taken by another process (bind fails), or rejects. */
export async function waitForUdpPort(port: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const taken = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(true));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (taken) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP ${port} after ${timeoutMs} ms`);
}

/** A running Kamailio registrar/proxy (peers/kamailio/kamailio.cfg), realm `test.local`, password `secret`. */
export async function startKamailio(port: number): Promise<PeerProcess> {
  const runDir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const p = runProcess('/usr/sbin/kamailio', ['-f', join(PEERS_DIR, 'kamailio', 'kamailio.cfg'), '-DD', '-E', '-Y', runDir, '-A', `SIP_PORT=${port}`, '-m', '64', '-M', '8']);
  try {
    await waitForTcpPort(port, '127.0.0.1', 10_000);
  } catch (e) {
    await p.stop();
    throw new Error(`kamailio did not start: ${String(e)}\n${p.output()}`, { cause: e });
  }
  return p;
}

/** Options of a baresip instance. */
export interface BaresipOptions {
  /** SIP port (baresip also opens TLS on port + 1: space instances apart). */
  port: number;
  /** Account line, e.g. `<sip:bob@127.0.0.1:PORT>;regint=0`. */
  account: string;
  /** TCP port of the ctrl_tcp control interface. */
  ctrlPort: number;
  /** Answer incoming calls automatically (`;answermode=auto`). */
  autoAnswer?: boolean;
}

/** A baresip UA controlled through ctrl_tcp (netstring-framed JSON). */
export interface BaresipProcess extends PeerProcess {
  /** Sends a ctrl_tcp command (`dial`, `accept`, `hangup`, ...) and resolves with its response. */
  command(command: string, params?: string): Promise<{ response: boolean; ok: boolean; data: string }>;
  /** Resolves with the first event whose `type` equals `type` (e.g. `CALL_ESTABLISHED`). */
  waitForEvent(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Starts baresip with a throwaway config folder: no audio device (aubridge/aufile), net on 127.0.0.1. */
export async function startBaresip(o: BaresipOptions): Promise<BaresipProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const wav = join(dir, 'silence.wav');
  toneWav(wav, 8000, 0, 2);
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${o.port}`,
      'sip_trans_def udp',
      'net_interface lo',
      'net_prefer_ipv6 no',
      'audio_player aubridge,nil',
      `audio_source aufile,${wav}`,
      'audio_alert aubridge,nil',
      'audio_srate 8000',
      'audio_channels 1',
      'rtp_timeout 0',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module account.so',
      'module menu.so',
      'module ctrl_tcp.so',
      'module_app account.so',
      'module_app menu.so',
      `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `${o.account}${o.autoAnswer ? ';answermode=auto' : ''}\n`);
  const p = runProcess('baresip', ['-f', dir, '-n', '127.0.0.1']);
  try {
    await waitForTcpPort(o.ctrlPort, '127.0.0.1', 10_000);
  } catch (e) {
    await p.stop();
    throw new Error(`baresip did not start: ${String(e)}\n${p.output()}`, { cause: e });
  }
  let ctrl: BaresipControl;
  try {
    ctrl = await connectBaresipControl(o.ctrlPort, p.output);
  } catch (e) {
    await p.stop();
    throw e;
  }
  const stopProcess = p.stop;
  return Object.assign(p, {
    async command(command: string, params?: string) {
      return { response: true, ...(await ctrl.command(command, params)) };
    },
    waitForEvent(type: string, timeoutMs = 10_000) {
      return ctrl.event(type, timeoutMs);
    },
    async stop() {
      ctrl.close();
      await stopProcess();
    },
  });
}

/** A client of baresip's ctrl_tcp interface (netstring-framed JSON: `<len>:<json>,`). */
export interface BaresipControl {
  /** Sends a command (`dial`, `accept`, `hangup`, `sndcode`, ...) and resolves with its response. */
  command(command: string, params?: string): Promise<{ ok: boolean; data: string }>;
  /** Resolves with the first event (already seen or coming) whose `type` is `type`. */
  event(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
}

/** Connects to baresip's ctrl_tcp on 127.0.0.1:`port`; `output` goes into timeout errors. */
export async function connectBaresipControl(port: number, output: () => string): Promise<BaresipControl> {
  const sock = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  const messages: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (let i = 0; i < 1000; i++) {
      const colon = buf.indexOf(0x3a);
      if (colon < 0) break;
      const len = Number(buf.subarray(0, colon).toString());
      if (!Number.isFinite(len) || buf.length < colon + 2 + len) break;
      const json = buf.subarray(colon + 1, colon + 1 + len).toString();
      buf = buf.subarray(colon + 2 + len);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      messages.push(msg);
      for (const w of [...waiters]) {
        if (w.match(msg)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    }
  });
  sock.on('error', () => undefined);
  const waitFor = (match: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = messages.find(match);
      if (seen) return resolve(seen);
      const w = {
        match,
        resolve: (m: Record<string, unknown>) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`baresip: no ${what} within ${timeoutMs} ms\n${output().slice(-4000)}`));
      }, timeoutMs);
      waiters.push(w);
    });
  let seq = 0;
  return {
    async command(command, params) {
      const token = `t${++seq}`;
      const body = JSON.stringify({ command, params: params ?? '', token });
      sock.write(`${Buffer.byteLength(body)}:${body},`);
      const r = await waitFor((m) => m['response'] === true && m['token'] === token, 5000, `response to ${command}`);
      return { ok: r['ok'] === true, data: String(r['data'] ?? '') };
    },
    event: (type, timeoutMs = 10_000) => waitFor((m) => m['event'] === true && m['type'] === type, timeoutMs, `event ${type}`),
    close: () => sock.destroy(),
  };
}

/**
 * Writes a mono 16-bit PCM WAV of a sine at `hz` (0 for silence): the audio file the peers
 * play (baresip's aufile source, linphonec's file player) in the tests.
 */
export function toneWav(path: string, rate: number, hz: number, seconds: number): void {
  const n = rate * seconds;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  if (hz > 0) for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + 2 * i);
  writeFileSync(path, b);
}
