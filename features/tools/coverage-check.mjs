#!/usr/bin/env node
// Keeps the coverage table of docs/living-spec.md ("## Coverage") and the feature files in step:
// every `@verb:...` / `@spec:...` tag the table lists must tag at least one scenario (or its
// Feature / Examples), and every such tag used in a feature file must be listed in the table.
// Rows marked "not covered" carry no tag. Exits 1 (listing what drifted) when they disagree.
// Run by the features test target before Cucumber: `node tools/coverage-check.mjs`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const featuresDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const specFile = join(featuresDir, '..', 'docs', 'living-spec.md');
const TAG = /@(?:verb|spec):[A-Za-z0-9_.-]+/g;

const spec = readFileSync(specFile, 'utf8');
const start = spec.indexOf('\n## Coverage');
if (start < 0) {
  console.error(`coverage-check: no "## Coverage" section in ${specFile}`);
  process.exit(1);
}
const next = spec.indexOf('\n## ', start + 1);
const section = spec.slice(start, next < 0 ? undefined : next);
const listed = new Map(); // tag -> row text
for (const line of section.split('\n')) {
  if (!line.startsWith('|')) continue;
  for (const tag of line.match(TAG) ?? []) listed.set(tag, line.split('|')[1]?.trim() ?? '');
}

const used = new Map(); // tag -> files
for (const f of readdirSync(featuresDir).filter((n) => n.endsWith('.feature'))) {
  for (const line of readFileSync(join(featuresDir, f), 'utf8').split('\n')) {
    if (!line.trim().startsWith('@')) continue;
    for (const tag of line.match(TAG) ?? []) used.set(tag, [...(used.get(tag) ?? []), f]);
  }
}

const missing = [...listed.keys()].filter((t) => !used.has(t));
const unlisted = [...used.keys()].filter((t) => !listed.has(t));
for (const t of missing) console.error(`coverage-check: ${t} (${listed.get(t)}) is in the Coverage table but tags no scenario`);
for (const t of unlisted) console.error(`coverage-check: ${t} tags a scenario in ${[...new Set(used.get(t))].join(', ')} but is not in the Coverage table`);
if (listed.size === 0) console.error('coverage-check: the Coverage table lists no tag');
if (missing.length || unlisted.length || listed.size === 0) process.exit(1);
console.log(`coverage-check: ${listed.size} tags of the Coverage table each tag at least one scenario`);
