// baresip 1.0 (Debian `baresip-core`) as the peer UAS of the call-rate runs: auto-answer
// (`answermode=auto`), PCMU only, a WAV tone as microphone (aufile) and aubridge as speaker (no
// sound card), no registration, `call_max_calls` raised so the load is not refused with 486.
// Its output is discarded (printing every call to a pipe would slow it down); readiness is its
// ctrl_tcp port answering.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mono 16-bit PCM WAV of a 1 kHz sine (baresip's microphone). */
function toneWav(path, rate, seconds) {
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
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / rate)), 44 + 2 * i);
  writeFileSync(path, b);
}

async function waitForTcp(port, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** CPU time (user + system, ms) of a process from /proc. */
export function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** RSS of a process in KiB from /proc. */
export function processRssKb(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Starts baresip on 127.0.0.1:sipPort; resolves with { pid, uri, stop() } once ready. */
export async function startBaresip({ sipPort, ctrlPort, maxCalls = 20000 }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-baresip-'));
  const wav = join(dir, 'tone.wav');
  toneWav(wav, 8000, 5);
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'sip_trans_def udp',
      'net_interface lo',
      'net_prefer_ipv6 no',
      `call_max_calls ${maxCalls}`,
      'audio_player aubridge,nil',
      `audio_source aufile,${wav}`,
      'audio_alert aubridge,nil',
      'audio_srate 8000',
      'audio_channels 1',
      'rtp_timeout 0',
      'rtp_ports 20000-29998',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module account.so',
      'module menu.so',
      'module ctrl_tcp.so',
      'module_app account.so',
      'module_app menu.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `<sip:agent@127.0.0.1:${sipPort}>;regint=0;audio_codecs=PCMU;answermode=auto\n`);
  const child = spawn('baresip', ['-f', dir, '-n', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForTcp(ctrlPort, 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: child.pid, port: sipPort, alive: () => child.exitCode === null && child.signalCode === null, stop };
}
