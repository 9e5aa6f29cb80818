#!/usr/bin/env node
// Lists the engine's C++ sources for binding.gyp and the native test Makefile:
//   (default)   every native/src/**/*.cc, addon bindings included
//   --core      the same without native/src/napi (what the native unit tests link)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const core = process.argv.includes('--core');
const out = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (core && name === 'napi') continue;
      walk(p);
    } else if (name.endsWith('.cc')) out.push(relative(root, p));
  }
})(join(root, 'native', 'src'));
console.log(out.join('\n'));
