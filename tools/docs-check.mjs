#!/usr/bin/env node
// Runs the code examples of the guides, so a guide cannot drift from the code.
//
//   node tools/docs-check.mjs [file.md ...] [--only N] [--no-typecheck] [--timeout-ms N] [--verbose]
//
// Default files: docs/getting-started-signaling.md, libs/base/README.md, libs/signaling/README.md.
// Every ```ts block must be preceded (blank lines allowed) by one of two markers:
//
//   <!-- run -->                 the block is a whole program: it is run and must exit with 0
//   <!-- no-run: <why> -->       a fragment (e.g. an options object); it is not run
//
// A ```ts block without a marker fails the check, so nothing is silently left untested.
// Each runnable block is written to a temporary .mts file under tmp/ inside the repository (so
// `@sip-endpoint/*` resolve through the workspace), type-checked with the repository's strict
// settings (only errors in the examples count), then run one at a time with
// `node --conditions=@sip-endpoint/source --import tsx`, killed after the timeout (default 60 s).
// `--verbose` prints the output of passing blocks too. Exit code 1 when a block fails, 2 on a
// usage error.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const files = [];
let only;
let typecheck = true;
let timeoutMs = 60_000;
let verbose = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--only') only = Number(argv[++i]);
  else if (a === '--no-typecheck') typecheck = false;
  else if (a === '--verbose') verbose = true;
  else if (a === '--timeout-ms') timeoutMs = Number(argv[++i]);
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else files.push(resolve(a));
}
/** The files checked when none is named: the guide and the library READMEs. */
// (libs/media-native/README.md needs the addon built: tools/test-all.sh runs this after the tests, which build it.)
const DEFAULT_FILES = [
  'docs/getting-started-signaling.md',
  'libs/base/README.md',
  'libs/signaling/README.md',
  'libs/endpoint/README.md',
  'libs/media-native/README.md',
  'docs/endpoint-thick-client.md',
  'docs/endpoint-thin-client.md',
];
if (files.length === 0) files.push(...DEFAULT_FILES.map((f) => join(root, f)));
if (only !== undefined && !Number.isInteger(only)) usage('--only needs a block number');
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) usage('--timeout-ms needs a positive number');

function usage(message) {
  console.error(`docs-check: ${message}\nusage: node tools/docs-check.mjs [file.md ...] [--only N] [--no-typecheck] [--timeout-ms N] [--verbose]`);
  process.exit(2);
}

/** The ```ts blocks of a markdown file with their marker and line. */
function extract(file) {
  const lines = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').split('\n');
  const blocks = [];
  const problems = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const lang = open[2];
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    if (end >= lines.length) {
      problems.push(`${relative(root, file)}:${i + 1}: unclosed code fence`);
      break;
    }
    if (lang === 'ts' || lang === 'typescript') {
      let j = i - 1;
      while (j >= 0 && lines[j].trim() === '') j--;
      const marker = j >= 0 ? /^<!--\s*(run|no-run)(?::\s*(.*?))?\s*-->$/.exec(lines[j].trim()) : null;
      const line = i + 1;
      if (!marker) problems.push(`${relative(root, file)}:${line}: a \`\`\`ts block without <!-- run --> or <!-- no-run: why --> before it`);
      else if (marker[1] === 'no-run' && !marker[2]) problems.push(`${relative(root, file)}:${line}: <!-- no-run --> needs a reason (<!-- no-run: why -->)`);
      else blocks.push({ file, line, run: marker[1] === 'run', code: lines.slice(i + 1, end).join('\n') + '\n' });
    }
    i = end;
  }
  return { blocks, problems };
}

/** Type-checks the example files; returns the diagnostics that point into them. */
function typecheckExamples(dir, names) {
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({ extends: relative(dir, join(root, 'tsconfig.base.json')), compilerOptions: { noEmit: true, noUnusedLocals: true }, files: names }, null, 2),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', tsconfig, '--pretty', 'false'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  // Only diagnostics in the examples count: the libraries are checked by their own typecheck targets.
  return out.split('\n').filter((l) => names.some((n) => l.startsWith(n)));
}

function runOne(path) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--conditions=@sip-endpoint/source', '--import', 'tsx', path], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
      detached: process.platform !== 'win32',
    });
    let output = '';
    const keep = (b) => {
      output += b.toString('utf8');
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const killAll = (signal) => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killAll('SIGTERM');
      setTimeout(() => killAll('SIGKILL'), 2000).unref();
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, timedOut, output, ms: Date.now() - started });
    });
  });
}

let failed = 0;
const all = [];
for (const file of files) {
  if (!existsSync(file)) usage(`no such file ${file}`);
  const { blocks, problems } = extract(file);
  for (const p of problems) console.error(`FAIL ${p}`);
  failed += problems.length;
  all.push(...blocks);
}
const runnable = all.filter((b) => b.run).map((b, i) => ({ ...b, index: i + 1 }));
const selected = only === undefined ? runnable : runnable.filter((b) => b.index === only);
if (only !== undefined && selected.length === 0) usage(`there is no runnable block ${only} (there are ${runnable.length})`);
console.log(`docs-check: ${all.length} ts blocks, ${runnable.length} runnable, ${all.length - runnable.length} marked no-run`);

mkdirSync(join(root, 'tmp'), { recursive: true });
const dir = mkdtempSync(join(root, 'tmp', 'docs-check-'));
try {
  const names = selected.map((b) => {
    const name = `example-${String(b.index).padStart(2, '0')}.mts`;
    writeFileSync(join(dir, name), `// ${relative(root, b.file)}:${b.line}\n${b.code}`);
    return { ...b, name, path: join(dir, name) };
  });
  if (typecheck && names.length) {
    const diagnostics = typecheckExamples(
      dir,
      names.map((n) => n.name),
    );
    for (const n of names) {
      const mine = diagnostics.filter((d) => d.startsWith(n.name));
      if (mine.length) {
        failed++;
        n.typeFailed = true;
        console.error(`FAIL block ${n.index} (${relative(root, n.file)}:${n.line}) does not type-check:\n  ${mine.join('\n  ')}`);
      }
    }
  }
  for (const n of names) {
    const r = await runOne(n.path);
    const where = `block ${n.index} (${relative(root, n.file)}:${n.line})`;
    if (r.code === 0 && !r.timedOut) {
      console.log(`${n.typeFailed ? 'ran ' : 'ok  '} ${where} ran in ${r.ms} ms${n.typeFailed ? ' (but does not type-check, see above)' : ''}`);
      if (verbose) console.log(r.output.trimEnd().split('\n').map((l) => `  | ${l}`).join('\n'));
      continue;
    }
    failed++;
    const why = r.timedOut ? `timed out after ${timeoutMs} ms` : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
    console.error(`FAIL ${where}: ${why}\n${r.output.trimEnd().split('\n').slice(-40).map((l) => `  | ${l}`).join('\n')}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.error(`docs-check: ${failed} failure(s)`);
  process.exit(1);
}
console.log('docs-check: every runnable example ran');
