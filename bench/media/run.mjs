#!/usr/bin/env node
// The media benchmark (issue 4): N simultaneous bidirectional G.711 streams of ours with jitter
// buffer and RTCP on one media thread, next to a floor measured in the same run (floor.c: the
// same UDP sends and receives, same sizes and rates, epoll, nothing else), and the codec cost
// per 20 ms frame against the raw libraries. Prints honest numbers and whether the goals are met:
//   - 1000 concurrent streams on one core (engine CPU < 1 core at N = 1000)
//   - within 2x of the floor's CPU per stream
// Usage: npm run bench:media [-- --seconds 10 --counts 100,500,1000]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const lib = join(root, 'libs', 'media-native');
const out = join(root, 'build', 'bench-media');
mkdirSync(out, { recursive: true });

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const seconds = Number(arg('seconds', '10'));
const counts = arg('counts', '100,500,1000').split(',').map(Number);

// 1. Build the floor and the codec bench with the engine's flags.
execFileSync('cc', ['-O2', '-o', join(out, 'floor'), join(here, 'floor.c')], { stdio: 'inherit' });
const detect = (flag) => execFileSync('node', [join(lib, 'scripts', 'detect-libs.mjs'), flag], { encoding: 'utf8' }).trim();
const core = execFileSync('node', [join(lib, 'scripts', 'list-sources.mjs'), '--core'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .filter((f) => f.includes('/codecs/') || f.includes('/resample/'))
  .map((f) => join(lib, f));
const defines = detect('--defines').split('\n').filter(Boolean).map((d) => `-D${d}`);
const cflags = detect('--cflags').split(/\s+/).filter(Boolean);
const libs = detect('--libs').split(/\s+/).filter(Boolean);
execFileSync('g++', ['-std=c++17', '-O2', `-I${join(lib, 'native', 'src')}`, ...defines, ...cflags, '-o', join(out, 'codec-bench'), join(here, 'codec_bench.cc'), ...core, ...libs, '-lpthread'], {
  stdio: 'inherit',
});

// 2. Streams vs floor for each N, each in its own process (clean RSS and CPU accounting).
const rows = [];
for (const n of counts) {
  const engine = spawnSync(process.execPath, ['--expose-gc', '--conditions=@sip-endpoint/source', '--import', 'tsx', join(here, 'streams.ts'), String(n), String(seconds)], {
    cwd: root,
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
  });
  if (engine.status !== 0) {
    console.error(engine.stdout, engine.stderr);
    throw new Error(`engine run with N=${n} failed`);
  }
  const e = JSON.parse(engine.stdout.trim().split('\n').at(-1));
  const f = JSON.parse(execFileSync(join(out, 'floor'), [String(n), String(seconds)], { encoding: 'utf8', timeout: (seconds + 30) * 1000 }).trim());
  rows.push({ n, e, f });
}

const pct = (x) => `${(x * 100).toFixed(2)}%`;
console.log(`\nMedia streams: PCMU 20 ms, jitter buffer, RTCP, one media thread, ${seconds} s per run, ${process.arch}, node ${process.version}`);
console.log('N     | engine CPU/stream | floor CPU/stream | ratio | engine CPU total | engine RSS/stream | floor RSS/stream | rx/expected');
let oneCore = true;
let within2x = true;
for (const { n, e, f } of rows) {
  const ec = e.cpuSeconds / e.seconds / n;
  const fc = f.cpuSeconds / f.seconds / n;
  const ratio = ec / fc;
  const expected = 50 * e.seconds * n;
  if (n >= 1000 && e.cpuSeconds / e.seconds >= 1) oneCore = false;
  if (ratio > 2) within2x = false;
  console.log(
    `${String(n).padEnd(5)} | ${pct(ec).padStart(17)} | ${pct(fc).padStart(16)} | ${ratio.toFixed(2).padStart(5)} | ${pct(e.cpuSeconds / e.seconds).padStart(16)} | ${(e.rssDeltaKb / n).toFixed(1).padStart(13)} KiB | ${(f.rssDeltaKb / n).toFixed(1).padStart(12)} KiB | ${(e.received / expected).toFixed(3)}`,
  );
}

// 3. Codec cost.
const codecRows = execFileSync(join(out, 'codec-bench'), ['2000'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
console.log('\nCodec cost per 20 ms frame (median ns): ours (engine codec table) vs the raw library');
console.log('codec | ours enc | raw enc | ours dec | raw dec | raw library');
const ns = (v) => (v < 0 ? 'n/a' : String(v));
for (const c of codecRows) {
  console.log(`${c.codec.padEnd(5)} | ${ns(c.oursEncodeNs).padStart(8)} | ${ns(c.rawEncodeNs).padStart(7)} | ${ns(c.oursDecodeNs).padStart(8)} | ${ns(c.rawDecodeNs).padStart(7)} | ${c.raw || 'not built'}`);
}

const largest = rows.find((r) => r.n >= 1000);
console.log('\nGoals (issue 4):');
console.log(`  1000 concurrent streams on one core: ${largest ? (oneCore ? 'MET' : 'NOT MET') : 'not measured (N=1000 not in --counts)'}`);
console.log(`  within 2x of the floor's CPU:        ${within2x ? 'MET' : 'NOT MET'} (worst ratio ${Math.max(...rows.map(({ n, e, f }) => e.cpuSeconds / e.seconds / n / (f.cpuSeconds / f.seconds / n))).toFixed(2)})`);
