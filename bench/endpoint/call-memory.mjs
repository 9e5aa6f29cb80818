#!/usr/bin/env node
// Memory per active audio call (issue 5: under 300 KB per call; we hold both ends of a call to
// it, i.e. under 150 KB per end). Used by run.mjs as its step [5/5]; runs alone too:
//   node bench/endpoint/call-memory.mjs [--calls 100] [--settled]
//
// Both ends of every call are in one process (two endpoints, A calls B, B auto-answers, PCMU
// both ways; memory.ts calls). The figure is the marginal cost of a call: one fresh process
// measures M, 2M, 3M and 4M calls (2 s of media after each batch, three forced GCs); per call =
// the least-squares slope of RSS over the four counts, with the three steps printed. RSS grows
// in steps (V8 commits old-space pages ahead of use, malloc arenas grow and shrink): one step
// between two counts read alone varied from 40 to 130 KB per call in runs of the same code,
// while the slope over 3M calls stays within a few percent.
// Why marginal and not "0 calls vs M calls": the first burst of calls grows V8's young
// generation to 2 x 16 MB and starts the media engine's threads (their stacks and malloc arenas)
// once per process; over M = 100 that one-off is ~300 KB "per call" that a 101st call does not
// cost. memory.ts reports the young generation's size at each count: equal sizes mean it is not
// in the difference (a warning is printed otherwise). Each count is measured at 2 s, with the
// calls' INVITE transactions still alive (RFC 6026 Timer L / RFC 3261 Timer M: 32 s), so the
// figure is what a call holds in its first half minute: an upper bound of a longer call's.
// The fresh-process 0 vs M figure (one-offs included) is printed too, for comparison.
// --settled (alone only, about 2.5 minutes) adds a steady-state view: one process measures 0, M
// and 2M calls each after 40 s of media, as an idle line is measured after 20 s: the INVITE
// transactions have ended and V8's memory reducer has shrunk the young generation again, so
// 0 -> M is what M long calls cost with the process's one-off call costs (engine threads) spread
// over them, and M -> 2M the steady marginal cost.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A function running memory.ts (with --expose-gc) in a fresh process: returns its JSON lines
 * (one per measured count), or undefined when it failed.
 */
export function memoryRunner(root, tsxNode, env = {}, timeoutMs = 90_000) {
  return (args, flags = []) => {
    const r = spawnSync(process.execPath, tsxNode(['--expose-gc', ...flags], 'memory.ts', args.map(String)), { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
    try {
      const out = (r.stdout ?? '')
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      if (out.length === 0) throw new Error('no result');
      return out;
    } catch {
      console.error(`memory.ts ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
      return undefined;
    }
  };
}

/**
 * Measures and prints the memory per active call; returns `{ rss, heap, steps, connected, fresh }`
 * (KB per call for both ends: `rss`, `heap` = JS heap + external, marginal over M -> 3M), or
 * undefined when the M/2M/3M run failed.
 */
export function measureCallMemory(callsM, run) {
  const steps = run(['calls', [callsM, 2 * callsM, 3 * callsM, 4 * callsM].join(',')]);
  const c0 = run(['calls', 0])?.at(-1);
  const cM = run(['calls', callsM])?.at(-1);
  const marginal = (x, y) => ({ rss: (y.rssKb - x.rssKb) / (y.count - x.count), heap: (y.heapKb + y.externalKb - x.heapKb - x.externalKb) / (y.count - x.count) });
  const fresh = c0 && cM ? { rss: (cM.rssKb - c0.rssKb) / callsM, heap: (cM.heapKb + cM.externalKb - c0.heapKb - c0.externalKb) / callsM } : undefined;
  if (steps?.length !== 4) return undefined;
  const slope = (value) => {
    const mx = steps.reduce((t, x) => t + x.count, 0) / steps.length;
    const my = steps.reduce((t, x) => t + value(x), 0) / steps.length;
    const num = steps.reduce((t, x) => t + (x.count - mx) * (value(x) - my), 0);
    const den = steps.reduce((t, x) => t + (x.count - mx) ** 2, 0);
    return num / den;
  };
  const perCall = {
    rss: slope((x) => x.rssKb),
    heap: slope((x) => x.heapKb + x.externalKb),
    steps: steps.slice(1).map((y, i) => marginal(steps[i], y)),
    connected: steps[3].connected,
    fresh,
  };
  const last = steps[3];
  const expected = last.count * 50 * 2; // what the callers received: 50 pps for >= 2 s
  const young = steps.map((x) => (x.newSpaceKb / 1024).toFixed(0)).join('/');
  console.log(`  ${perCall.connected}/${last.count} connected, ${last.packetsReceived} RTP packets received (>= ${expected} expected); RSS ${steps.map((x) => x.rssKb.toFixed(0)).join(' -> ')} KiB; young generation ${young} MiB`);
  console.log(`  marginal per call (both ends): ${perCall.steps.map((m, i) => `${steps[i].count}->${steps[i + 1].count}: ${m.rss.toFixed(1)} KB RSS, ${m.heap.toFixed(1)} KB heap + external`).join('; ')}`);
  if (steps.some((x) => x.newSpaceKb !== steps[0].newSpaceKb)) console.log('  WARNING: the young generation changed size between the counts: the marginal figure includes that change');
  console.log(`  => slope ${callsM}..${4 * callsM}: ${perCall.rss.toFixed(1)} KB RSS per call for both ends, ${(perCall.rss / 2).toFixed(1)} KB per end; ${perCall.heap.toFixed(1)} KB heap + external for both ends`);
  if (fresh) console.log(`  0 vs ${callsM} calls in fresh processes (one-off growth included): ${fresh.rss.toFixed(1)} KB RSS per call (both ends), ${fresh.heap.toFixed(1)} KB heap + external; RSS ${c0.rssKb.toFixed(0)} -> ${cM.rssKb.toFixed(0)} KiB`);
  return perCall;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = join(here, '..', '..');
  const i = process.argv.indexOf('--calls');
  const callsM = Number(i > 0 ? process.argv[i + 1] : '100');
  const tsxNode = (extra, script, args = []) => [...extra, '--conditions=@sip-endpoint/source', '--import', 'tsx', join(here, script), ...args];
  const r = measureCallMemory(callsM, memoryRunner(root, tsxNode));
  if (process.argv.includes('--settled')) {
    const s = memoryRunner(root, tsxNode, { BENCH_CALL_WAIT_MS: '40000' }, 240_000)(['calls', [0, callsM, 2 * callsM].join(',')]);
    if (s?.length === 3) {
      const per = (x, y) => `${((y.rssKb - x.rssKb) / (y.count - x.count)).toFixed(1)} KB RSS, ${((y.heapKb + y.externalKb - x.heapKb - x.externalKb) / (y.count - x.count)).toFixed(1)} KB heap + external`;
      console.log(`  settled (40 s of media before each count; young generation ${s.map((x) => (x.newSpaceKb / 1024).toFixed(0)).join('/')} MiB; RSS ${s.map((x) => x.rssKb.toFixed(0)).join(' -> ')} KiB), per call for both ends:`);
      console.log(`    0->${callsM}: ${per(s[0], s[1])}; ${callsM}->${2 * callsM}: ${per(s[1], s[2])}`);
    } else console.log('  settled: NOT MEASURED');
  }
  const verdict = (ok) => (ok ? 'MET' : 'NOT MET');
  if (r) console.log(`call-memory: both ends ${r.rss.toFixed(1)} KB ${verdict(r.rss < 300)} (< 300 KB); per end ${(r.rss / 2).toFixed(1)} KB ${verdict(r.rss / 2 < 150)} (< 150 KB)`);
  else console.log('call-memory: NOT MEASURED');
}
