#!/usr/bin/env node
// Runs the feature files with Cucumber (TypeScript steps through tsx, sources through the
// `@sip-endpoint/source` export condition), then turns Cucumber's JSON report into
// `reports/features.json` in the shape tools/summarize-reports.mjs sums (one test = one scenario)
// and prints a plain `N passed, N failed` line. Extra arguments go to Cucumber, e.g.
// `node tools/run-features.mjs calls.feature --name "hear each other"`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const featuresDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(featuresDir, '..');
const reports = join(root, 'reports');
mkdirSync(join(reports, 'features'), { recursive: true });
const cucumberJson = join(reports, 'features', 'cucumber.json');

const args = process.argv.slice(2);
const hasPaths = args.some((a) => /\.feature(:\d+)*$/.test(a));
const cli = join(root, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js');
const run = spawnSync(process.execPath, ['--conditions=@sip-endpoint/source', '--import', 'tsx', cli, '--config', 'cucumber.mjs', ...(hasPaths ? [] : ['*.feature']), ...args], {
  cwd: featuresDir,
  stdio: 'inherit',
  // The whole run is bounded: ~3 minutes expected, killed after 8.
  timeout: 8 * 60_000,
  env: { ...process.env, FORCE_COLOR: '0' },
});

let passed = 0;
let failed = 0;
let pending = 0;
const assertionResults = [];
const byFile = new Map();
if (existsSync(cucumberJson)) {
  for (const feature of JSON.parse(readFileSync(cucumberJson, 'utf8'))) {
    for (const el of feature.elements ?? []) {
      if (el.type !== 'scenario') continue;
      const steps = [...(el.before ?? []), ...(el.steps ?? []), ...(el.after ?? [])];
      const statuses = steps.map((s) => s.result?.status ?? 'undefined');
      const status = statuses.includes('failed') ? 'failed' : statuses.some((s) => s === 'undefined' || s === 'ambiguous') ? 'failed' : statuses.some((s) => s === 'pending' || s === 'skipped') ? 'pending' : 'passed';
      const durationNs = steps.reduce((t, s) => t + (s.result?.duration ?? 0), 0);
      const failure = steps.find((s) => s.result?.error_message)?.result?.error_message;
      if (status === 'passed') passed++;
      else if (status === 'failed') failed++;
      else pending++;
      const result = { ancestorTitles: [feature.name], title: el.name, fullName: `${feature.name} > ${el.name}`, status, duration: Math.round(durationNs / 1e6), failureMessages: failure ? [failure] : [] };
      assertionResults.push(result);
      const list = byFile.get(feature.uri) ?? [];
      list.push(result);
      byFile.set(feature.uri, list);
    }
  }
}
// Cucumber itself failed to start or load the steps: count it as a failed suite, not a silent zero.
const broken = run.status !== 0 && failed === 0;
const testResults = [...byFile].map(([uri, results]) => ({ name: join(featuresDir, uri), status: results.some((r) => r.status === 'failed') ? 'failed' : 'passed', assertionResults: results }));
if (broken) testResults.push({ name: 'cucumber', status: 'failed', assertionResults: [], message: run.error ? String(run.error) : `cucumber exited ${run.status ?? run.signal}` });
writeFileSync(
  join(reports, 'features.json'),
  JSON.stringify({ numTotalTests: passed + failed + pending, numPassedTests: passed, numFailedTests: failed, numPendingTests: pending, numTodoTests: 0, success: failed === 0 && !broken, testResults }, null, 1),
);
console.log(`features: ${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}${broken ? ' (cucumber did not finish: see above)' : ''}`);
console.log(`${passed} passed, ${failed} failed`);
console.log(`living documentation: reports/features/index.html (JSON: reports/features/cucumber.json, JUnit: reports/features/junit.xml)`);
process.exit(failed > 0 || broken || passed === 0 ? 1 : 0);
