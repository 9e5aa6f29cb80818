/**
 * Writes the generated files of @sip-endpoint/config from the settings table:
 *   docs/config-reference.md                    (every setting: key, type, default, applies, meaning)
 *   libs/config/endpoint.config.schema.json     (JSON Schema of the JSON format, for editors)
 *
 * Usage (from libs/config): node --conditions=@sip-endpoint/source --import tsx scripts/gen-docs.ts [--check]
 * With --check nothing is written; the exit code is 1 when a checked-in file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './generated';

const libRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const { path, content } of generatedFiles(libRoot)) {
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (check) {
    stale++;
    process.stderr.write(`stale: ${path} (run: npx nx run config:docs)\n`);
  } else {
    writeFileSync(path, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
if (check && stale === 0) process.stdout.write('generated config files are current\n');
process.exitCode = stale > 0 ? 1 : 0;
