/**
 * Kamailio sites for the failover tests: the signaling tests' registrar/proxy configuration
 * (realm `test.local`, password `secret`, alias `test.local`) with a shorter minimum expiry, so a
 * registration can refresh every few seconds and a dead site is noticed within a test's time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEERS_DIR, hasProgram, waitForTcpPort } from './peers';

/** Fails (does not skip) when Kamailio is missing: CI installs it. */
export function requireKamailio(): void {
  if (!hasProgram('/usr/sbin/kamailio')) throw new Error('kamailio is missing: apt-get install -y kamailio');
}

/** A running Kamailio. */
export interface KamailioSite {
  readonly port: number;
  /** Everything it logged so far. */
  output(): string;
  /** Whether it still runs. */
  readonly running: boolean;
  /** Stops it (SIGTERM, SIGKILL after 2 s); idempotent. */
  stop(): Promise<void>;
}

/** Starts Kamailio on 127.0.0.1:`port` (UDP and TCP) accepting Expires down to `minExpires` s. */
export async function startKamailioSite(port: number, minExpires = 2): Promise<KamailioSite> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-site-'));
  const cfg = readFileSync(join(PEERS_DIR, 'kamailio', 'kamailio.cfg'), 'utf8').replace(/modparam\("registrar", "min_expires", \d+\)/, `modparam("registrar", "min_expires", ${minExpires})`);
  if (!cfg.includes(`"min_expires", ${minExpires})`)) throw new Error('kamailio.cfg changed: no registrar min_expires to lower');
  const cfgPath = join(dir, 'kamailio.cfg');
  writeFileSync(cfgPath, cfg);
  let out = '';
  const child = spawn('/usr/sbin/kamailio', ['-f', cfgPath, '-DD', '-E', '-Y', dir, '-A', `SIP_PORT=${port}`, '-m', '32', '-M', '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForTcpPort(port, '127.0.0.1', 10_000);
  } catch (e) {
    await stop();
    throw new Error(`kamailio did not start on ${port}: ${String(e)}\n${out}`, { cause: e });
  }
  return {
    port,
    output: () => out,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    stop,
  };
}
