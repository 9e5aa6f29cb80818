/**
 * Starts dnsmasq on 127.0.0.1 (a random high port) serving a test zone from command-line
 * records, for RFC 3263 protocol tests. Needs `/usr/sbin/dnsmasq` (Debian package `dnsmasq-base`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';

/** Where Debian installs dnsmasq. */
export const DNSMASQ_PATH = '/usr/sbin/dnsmasq';

/** A running dnsmasq; `stop()` kills it (idempotent). */
export interface DnsmasqServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, for `SipResolver` `servers`. */
  readonly server: string;
  stop(): Promise<void>;
}

/** Options of {@link startDnsmasq}. */
export interface DnsmasqOptions {
  /** Domains answered only from the records given (`--local=/d/`): other names there are NXDOMAIN. */
  localDomains: string[];
  /** `--naptr-record` values: `name,order,preference,flags,service,regexp,replacement`. */
  naptr?: string[];
  /** `--srv-host` values: `_service._proto.name,target,port,priority,weight`. */
  srv?: string[];
  /** `--host-record` values: `name,ipv4[,ipv6]`. */
  hosts?: string[];
}

/** Starts dnsmasq and resolves once it answers a query; rejects after a few failed attempts. */
export async function startDnsmasq(options: DnsmasqOptions): Promise<DnsmasqServer> {
  if (!existsSync(DNSMASQ_PATH)) throw new Error(`${DNSMASQ_PATH} is missing: apt-get install -y dnsmasq-base`);
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const args = [
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--conf-file=/dev/null',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-dhcp-interface=lo',
      '--cache-size=0',
      '--pid-file',
      ...options.localDomains.map((d) => `--local=/${d}/`),
      ...(options.naptr ?? []).map((r) => `--naptr-record=${r}`),
      ...(options.srv ?? []).map((r) => `--srv-host=${r}`),
      ...(options.hosts ?? []).map((r) => `--host-record=${r}`),
    ];
    const child = spawn(DNSMASQ_PATH, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await waitReady(port, options.localDomains[0]!, exited);
    if (ready) return makeServer(child, port, exited);
    lastError = stderr.trim();
    await stopChild(child, exited);
  }
  throw new Error(`dnsmasq did not start: ${lastError}`);
}

async function waitReady(port: number, domain: string, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 5_000;
  for (let i = 0; i < 50 && Date.now() < deadline && !gone; i++) {
    try {
      await probe.resolve4(`probe.${domain}`);
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      // NXDOMAIN / NODATA: the server is up and answering for the local domain.
      if (code === 'ENOTFOUND' || code === 'ENODATA') return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function makeServer(child: ChildProcess, port: number, exited: Promise<number | null>): DnsmasqServer {
  return { port, server: `127.0.0.1:${port}`, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
