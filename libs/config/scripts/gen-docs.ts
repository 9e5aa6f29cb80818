/**
 * Writes the generated files of @sip-endpoint/config from the settings table:
 *   docs/config-reference.md                    (every setting: key, type, default, applies, meaning)
 *   libs/config/endpoint.config.schema.json     (JSON Schema of the JSON format, for editors)
 *
 * Usage (from libs/config): node --conditions=@sip-endpoint/source --import tsx scripts/gen-docs.ts [--check]
 * With --check nothing is written; the exit code is 1 when a checked-in file is stale.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles, staleFiles } from './generated';

const libRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const stale = staleFiles(generatedFiles(libRoot));
for (const f of stale) {
  if (check) process.stderr.write(`stale: ${f.path} (run: npx nx run config:docs)\n`);
  else {
    writeFileSync(f.path, f.content);
    process.stdout.write(`wrote ${f.path}\n`);
  }
}
if (stale.length === 0) process.stdout.write('generated config files are current\n');
process.exitCode = check && stale.length > 0 ? 1 : 0;
