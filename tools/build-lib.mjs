#!/usr/bin/env node
// Builds one workspace library: ESM bundle of src/index.ts with esbuild (dependencies stay
// external) and .d.ts files with tsc. Run from the library's folder (Nx sets the cwd).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const cwd = process.cwd();
const pkg = JSON.parse(readFileSync(resolve(cwd, 'package.json'), 'utf8'));
rmSync(resolve(cwd, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [resolve(cwd, 'src/index.ts')],
  outfile: resolve(cwd, 'dist/index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
});
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.lib.json'], { stdio: 'inherit', cwd });
console.log(`built ${pkg.name}@${pkg.version} -> dist/`);
