/**
 * baresip 1.0 (Debian `baresip-core`) as a far-end phone for the endpoint tests: it plays a WAV
 * tone as its microphone (aufile), dumps what it decodes to WAV files (sndfile), answers
 * automatically if asked, and is driven through ctrl_tcp (netstring-framed JSON commands:
 * `dial`, `hangup`, `sndcode`, ...). `soxFrequency` measures a dump with sox.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBaresipControl, toneWav, waitForTcpPort, type BaresipControl } from './peers';

/** Fails (does not skip) when baresip, its sndfile module or sox is missing: CI installs them. */
export function requireBaresip(): void {
  const missing = ['/usr/bin/baresip', '/usr/lib/baresip/modules/sndfile.so', '/usr/lib/baresip/modules/ctrl_tcp.so', '/usr/bin/sox'].filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`missing for the baresip tests: ${missing.join(', ')} (apt-get install -y baresip-core sox)`);
}

/** A mono 16-bit PCM WAV of a sine at `hz` (shared with the signaling tests' peer harness). */
export { toneWav };

/**
 * The frequency of a sine in a WAV, from sox's "Rough frequency" after the first `skipS` seconds
 * (`sox f -n trim S stat`). sox estimates it as rate/(2π) · rms(diff)/rms(x), which for a sine of
 * f is rate/π · sin(πf/rate): biased low at higher frequencies (1500 Hz reads 1414 at 8 kHz), so
 * the estimate is inverted here.
 */
export function soxFrequency(path: string, skipS = 0.5): number {
  const r = spawnSync('sox', [path, '-n', 'trim', String(skipS), 'stat'], { encoding: 'utf8', timeout: 10_000 });
  const rough = Number(/Rough\s+frequency:\s+(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const rate = readFileSync(path).readUInt32LE(24);
  const x = (Math.PI * rough) / rate;
  return x >= 0 && x <= 1 ? Math.round((rate / Math.PI) * Math.asin(x)) : NaN;
}

/** Options of {@link startPhone}. */
export interface PhoneOptions {
  /** SIP port (UDP) on 127.0.0.1. */
  sipPort: number;
  /** ctrl_tcp port on 127.0.0.1. */
  ctrlPort: number;
  /** Frequency of the tone baresip sends. */
  toneHz: number;
  /** Answer incoming calls at once. */
  autoAnswer: boolean;
  /** The account user (default `bob`). */
  user?: string;
}

/** A running baresip. */
export interface Phone {
  /** `sip:<user>@127.0.0.1:<port>`. */
  readonly uri: string;
  /** Its config and dump folder. */
  readonly dir: string;
  /** stdout + stderr so far. */
  output(): string;
  /** Sends a ctrl_tcp command; resolves with its response (rejects after 5 s). */
  command(command: string, params?: string): Promise<{ ok: boolean; data: string }>;
  /** Resolves with the first event of `type` (seen before or after the call); rejects after `timeoutMs`. */
  event(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The sndfile dumps (`dump-*-dec.wav`: what baresip decoded from the far end). */
  decodedDumps(): string[];
  /** Stops baresip (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

/** Starts baresip with a throwaway config folder; resolves once ctrl_tcp answers. */
export async function startPhone(o: PhoneOptions): Promise<Phone> {
  const dir = mkdtempSync(join(tmpdir(), 'endpoint-baresip-'));
  const wav = join(dir, `tone${o.toneHz}.wav`);
  toneWav(wav, 8000, o.toneHz, 20);
  const user = o.user ?? 'bob';
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${o.sipPort}`,
      'sip_trans_def udp',
      'net_interface lo',
      'net_prefer_ipv6 no',
      'audio_player aubridge,nil',
      `audio_source aufile,${wav}`,
      'audio_alert aubridge,nil',
      'audio_srate 8000',
      'audio_channels 1',
      'rtp_timeout 0',
      `snd_path ${dir}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      'module account.so',
      'module menu.so',
      'module ctrl_tcp.so',
      'module_app account.so',
      'module_app menu.so',
      `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `<sip:${user}@127.0.0.1:${o.sipPort}>;regint=0;audio_codecs=PCMU${o.autoAnswer ? ';answermode=auto' : ''}\n`);
  let out = '';
  const child: ChildProcess = spawn('baresip', ['-f', dir, '-n', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
  };
  let ctrl: BaresipControl;
  try {
    await waitForTcpPort(o.ctrlPort, '127.0.0.1', 10_000);
    ctrl = await connectBaresipControl(o.ctrlPort, () => out);
  } catch (e) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`baresip did not start: ${String(e)}\n${out}`, { cause: e });
  }
  return {
    uri: `sip:${user}@127.0.0.1:${o.sipPort}`,
    dir,
    output: () => out,
    command: (command, params) => ctrl.command(command, params),
    event: (type, timeoutMs = 10_000) => ctrl.event(type, timeoutMs),
    decodedDumps: () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('dump-') && f.endsWith('.wav') && f.includes('dec'))
        .map((f) => join(dir, f)),
    async stop() {
      ctrl.close();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
