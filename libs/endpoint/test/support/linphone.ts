/**
 * linphonec (Debian `linphone-cli`) as a far-end phone for the endpoint tests, driven through its
 * command interface on stdin (`call`, `answer`, `terminate`, `pause`, `resume`, `transfer`, DTMF
 * digits typed alone on a line). Audio comes from files: `soundcard use files`, `play <wav>` is its
 * microphone and `record <wav>` keeps what it decodes.
 *
 * Gotchas handled here: linphonec opens no SIP port without a `[storage]` section in its rc file;
 * it rewrites that rc file, so every run starts from a fresh copy in its own folder (also its HOME,
 * where it keeps call history and ZRTP caches); G.729 and speex/opus are on by default, so the rc
 * enables PCMU/PCMA only (codec payloads by `[audio_codec_N]`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForUdpPort } from './peers';

/** Fails (does not skip) when linphonec or sox is missing: CI installs them. */
export function requireLinphone(): void {
  const missing = ['/usr/bin/linphonec', '/usr/bin/sox'].filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`missing for the linphonec tests: ${missing.join(', ')} (apt-get install -y linphone-cli sox)`);
}

/** Options of {@link startLinphone}. */
export interface LinphoneOptions {
  /** SIP port (UDP) on 127.0.0.1. */
  readonly sipPort: number;
  /** Its RTP port (UDP). */
  readonly rtpPort: number;
  /** User part of its identity (`sip:<user>@127.0.0.1:<port>`). */
  readonly user?: string;
  /** A WAV file it plays as its microphone. */
  readonly playWav?: string;
  /** Answer incoming calls automatically (`-a`). */
  readonly autoAnswer?: boolean;
}

/** A running linphonec. */
export interface Linphone {
  /** Its SIP URI. */
  readonly uri: string;
  /** Its folder (rc file, HOME, recordings). */
  readonly dir: string;
  /** Everything it printed so far. */
  output(): string;
  /** Sends one command line. */
  send(line: string): void;
  /**
   * Waits until its output after `from` (an offset of {@link output}) matches `re`; rejects after
   * `timeoutMs` with the tail of its output.
   */
  waitFor(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpExecArray>;
  /** `quit`, then SIGKILL if it lingers; removes its folder. */
  stop(): Promise<void>;
}

function rcFile(o: LinphoneOptions, dir: string): string {
  return [
    '[sip]',
    `sip_port=${o.sipPort}`,
    'sip_tcp_port=0',
    'sip_tls_port=0',
    'bind_address=127.0.0.1',
    'guess_hostname=0',
    'contact=sip:' + (o.user ?? 'linphone') + '@127.0.0.1',
    'default_proxy=-1',
    // IPv4 only: otherwise its SDP names the host's own (non-loopback) IPv6 address.
    'use_ipv6=0',
    'register_only_when_network_is_up=0',
    // Media address 127.0.0.1 in every SDP (without it, calls it places to follow a REFER name the
    // host's own IPv6 address): firewall policy 1 = use nat_address.
    '[net]',
    'nat_address=127.0.0.1',
    'firewall_policy=1',
    '[rtp]',
    `audio_rtp_port=${o.rtpPort}`,
    'audio_jitt_comp=60',
    '[sound]',
    'echocancellation=0',
    // RFC 4733 telephone-event, not SIP INFO, for typed digits.
    '[misc]',
    'use_info=0',
    'use_rfc2833=1',
    // linphonec opens no SIP port without a [storage] section.
    '[storage]',
    `uri=${join(dir, 'linphone.db')}`,
    '[audio_codec_0]',
    'mime=PCMU',
    'rate=8000',
    'channels=1',
    'enabled=1',
    '[audio_codec_1]',
    'mime=PCMA',
    'rate=8000',
    'channels=1',
    'enabled=1',
    '[audio_codec_2]',
    'mime=opus',
    'rate=48000',
    'channels=2',
    'enabled=0',
    '[audio_codec_3]',
    'mime=G729',
    'rate=8000',
    'channels=1',
    'enabled=0',
    '[audio_codec_4]',
    'mime=speex',
    'rate=16000',
    'channels=1',
    'enabled=0',
    '[audio_codec_5]',
    'mime=speex',
    'rate=8000',
    'channels=1',
    'enabled=0',
    '',
  ].join('\n');
}

/** Starts linphonec with a fresh rc file, switches it to file audio, and waits for its SIP port. */
export async function startLinphone(o: LinphoneOptions): Promise<Linphone> {
  const dir = mkdtempSync(join(tmpdir(), 'linphonec-'));
  const rc = join(dir, 'linphonerc');
  writeFileSync(rc, rcFile(o, dir));
  const args = ['-c', rc, '-d', '0', ...(o.autoAnswer ? ['-a'] : [])];
  const child: ChildProcess = spawn('linphonec', args, { cwd: dir, env: { ...process.env, HOME: dir, LANG: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const send = (line: string): void => {
    child.stdin?.write(`${line}\n`);
  };
  const waitFor = (re: RegExp, timeoutMs = 5000, from = 0): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = (): void => {
        const m = re.exec(out.slice(from));
        if (m) return resolve(m);
        if (child.exitCode !== null) return reject(new Error(`linphonec exited (${child.exitCode}) before ${re}:\n${out.slice(-2000)}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`linphonec: no ${re} within ${timeoutMs} ms:\n${out.slice(-2000)}`));
        setTimeout(tick, 50);
      };
      tick();
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      send('terminate all');
      send('quit');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForUdpPort(o.sipPort, 10_000);
    send('soundcard use files');
    if (o.playWav) send(`play ${o.playWav}`);
    await waitFor(/linphonec> /, 5000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { uri: `sip:${o.user ?? 'linphone'}@127.0.0.1:${o.sipPort}`, dir, output: () => out, send, waitFor, stop };
}
