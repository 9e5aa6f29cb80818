// One memory measurement, in a fresh process started with --expose-gc (so fixed costs are the
// same in every run and cancel out in the differences run.mjs takes). Prints one JSON line.
//
//   lines K REGISTRAR_PORT  one endpoint with K Connectivity lines (one shared stack and UDP socket,
//                           a user agent and a registration per line: reg_timeout 3600, digest auth) registered
//                           to the registrar; measured 20 s after every line is Ready
//                           (BENCH_IDLE_WAIT_MS): the REGISTER transactions have ended (Timer K)
//                           and V8's memory reducer has given back the young generation the
//                           registration burst grew (it runs ~8 s after allocation calms down).
//   calls M[,M2,...]        two endpoints (standalone lines) in this process; A calls B M times,
//                           B auto-answers (policy.session.auto_answer), PCMU both ways (tone
//                           source on each side, null sink), measured after 2 s of media
//                           (BENCH_CALL_WAIT_MS); then more calls up to M2 (and so on), measured
//                           the same way: one JSON line per count. M = 0 measures the two idle
//                           endpoints. Differences between the counts of one process are the
//                           marginal cost of a call: the process's one-off growth under call load
//                           (V8's young generation grown to 2 x 16 MB by the setup burst, the
//                           media engine's threads and their malloc arenas) is in every count.
// Memory is taken after three forced GCs: RSS and V8 heapUsed (+ external + arrayBuffers), and
// the size of V8's new space (the young generation) to show whether it was grown.
// Usage: node --expose-gc --conditions=@sip-endpoint/source --import tsx bench/endpoint/memory.ts lines 500 5062
import { getHeapSpaceStatistics } from 'node:v8';
import { NullSink, NullSource } from '@sip-endpoint/media-native';
import { createEndpoint, ConnectionState, SessionState, type Endpoint, type Session } from '@sip-endpoint/endpoint';
import { autoAnsweringEndpoint } from './call-pair';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function settle(): Promise<{ rssKb: number; heapKb: number; externalKb: number; newSpaceKb: number }> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(100);
  }
  const m = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return { rssKb: m.rss / 1024, heapKb: m.heapUsed / 1024, externalKb: (m.external + m.arrayBuffers) / 1024, newSpaceKb: (newSpace?.space_size ?? 0) / 1024 };
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const [mode, countArg, portArg] = process.argv.slice(2);
const counts = String(countArg ?? 0)
  .split(',')
  .map(Number);
const count = counts[0]!;
const endpoints: Endpoint[] = [];

if (mode === 'lines') {
  const server = `127.0.0.1:${Number(portArg)}`;
  const endpoint = await createEndpoint(
    {
      connectivity: Array.from({ length: count }, (_, i) => ({ user: `agent${i}`, server, protocol: 'UDP' })),
      proxies: Array.from({ length: count }, () => ({ reg_timeout: 3600, password: 'pw' })),
    } as never,
    { ephemeralPorts: true, listenAddress: '127.0.0.1', mediaEngine: { rtpPortMin: 40000, rtpPortMax: 40999 }, audio: { createSource: () => new NullSource(), createSink: () => new NullSink() } },
  );
  endpoints.push(endpoint);
  await until(`${count} lines Ready`, () => endpoint.connections.every((c) => c.state === ConnectionState.Ready), 60_000);
  // RFC 3261 §17.1.2.2: the REGISTER client transactions linger in Completed for Timer K (T4 = 5 s
  // on UDP); an idle line is measured once they are gone, and once the process has been idle long
  // enough for V8's memory reducer to shrink the young generation (up to 2 x 16 MB after the
  // burst of K registrations, a one-off per process that would otherwise count as per-line).
  await sleep(Number(process.env['BENCH_IDLE_WAIT_MS'] ?? 20_000));
  const m = await settle();
  console.log(JSON.stringify({ mode, count, ready: endpoint.connections.filter((c) => c.state === ConnectionState.Ready).length, ...m }));
} else if (mode === 'calls') {
  const make = autoAnsweringEndpoint;
  const a = await make('alice', [41000, 44999]);
  const b = await make('bob', [45000, 48999]);
  endpoints.push(a, b);
  const calls: Session[] = [];
  const waitMs = Number(process.env['BENCH_CALL_WAIT_MS'] ?? 2000);
  for (const target of counts) {
    // Dial in batches of 20 so the test does not measure a setup burst.
    for (let i = calls.length; i < target; i += 20) {
      for (let j = i; j < Math.min(target, i + 20); j++) calls.push(a.dial(b.connections[0]!.contactUri!));
      await until('a batch connected', () => calls.every((c) => c.state === SessionState.Connected), 20_000);
    }
    // Media flows for waitMs (RTP counters below prove it). The INVITE transactions of the
    // calls are still there at 2 s (RFC 6026 Timer L / RFC 3261 Timer M: 64*T1 = 32 s): the
    // figure is what a call holds in its first half minute, an upper bound of a longer call's.
    await sleep(waitMs);
    const m = await settle();
    const connected = calls.filter((c) => c.state === SessionState.Connected).length;
    const sent = calls.reduce((n, c) => n + (c.statistics()?.raw.packetsSent ?? 0), 0);
    const received = calls.reduce((n, c) => n + (c.statistics()?.raw.packetsReceived ?? 0), 0);
    console.log(JSON.stringify({ mode, count: target, waitMs, connected, bSessions: b.sessions.length, packetsSent: sent, packetsReceived: received, ...m }));
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
for (const e of endpoints) e.dispose();
process.exit(0);
