#!/usr/bin/env node
// Sums vitest JSON reports (reports/*.json) into one closing line: `N passed, N failed`.
// Exits non-zero when a test failed, a suite failed to load, or no test ran at all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'reports';
let passed = 0;
let failed = 0;
let skipped = 0;
let suiteErrors = 0;
const perProject = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const p = r.numPassedTests ?? 0;
  const fl = r.numFailedTests ?? 0;
  const sk = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const broken = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  passed += p;
  failed += fl;
  skipped += sk;
  suiteErrors += broken;
  perProject.push(`${f.replace(/\.json$/, '')}: ${p} passed, ${fl} failed${sk ? `, ${sk} skipped` : ''}${broken ? `, ${broken} suite(s) failed to run` : ''}`);
}
console.log(perProject.map((l) => `  ${l}`).join('\n'));
failed += suiteErrors;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
