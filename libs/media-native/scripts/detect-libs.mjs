#!/usr/bin/env node
// Finds the optional C libraries of the media engine with pkg-config (or a header check for
// libraries that ship no .pc file) and prints what the build needs:
//   --report        a table of what was found and what is left out (default)
//   --json          the same as JSON
//   --defines       -D flags (HAVE_OPUS=1 ...), one per line, for binding.gyp
//   --cflags        include flags, space separated
//   --libs          linker flags, space separated
// A missing library is never an error: the codec or feature is left out and reported.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** name -> how to find it, and what it enables. */
const LIBS = [
  { key: 'opus', define: 'HAVE_OPUS', pkg: 'opus', enables: 'Opus codec', debian: 'libopus-dev' },
  { key: 'spandsp', define: 'HAVE_SPANDSP', pkg: 'spandsp', enables: 'G.722 codec, in-band DTMF', debian: 'libspandsp-dev' },
  { key: 'bcg729', define: 'HAVE_BCG729', header: '/usr/include/bcg729/decoder.h', libs: ['-lbcg729'], enables: 'G.729 codec (Annex A/B)', debian: 'libbcg729-dev' },
  { key: 'srtp2', define: 'HAVE_SRTP2', pkg: 'libsrtp2', enables: 'SRTP (RFC 3711, SDES keys)', debian: 'libsrtp2-dev' },
  { key: 'alsa', define: 'HAVE_ALSA', pkg: 'alsa', enables: 'sound devices through ALSA', debian: 'libasound2-dev' },
];

function pkgConfig(args) {
  try {
    return execFileSync('pkg-config', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const found = LIBS.map((l) => {
  if (l.pkg) {
    const version = pkgConfig(['--modversion', l.pkg]);
    if (version === undefined) return { ...l, found: false };
    return { ...l, found: true, version, cflags: pkgConfig(['--cflags', l.pkg]) ?? '', libs: pkgConfig(['--libs', l.pkg]) ?? '' };
  }
  if (l.header && existsSync(l.header)) return { ...l, found: true, version: 'header', cflags: '', libs: l.libs.join(' ') };
  return { ...l, found: false };
});

const mode = process.argv[2] ?? '--report';
const ok = found.filter((l) => l.found);
switch (mode) {
  case '--json':
    console.log(JSON.stringify(found.map(({ key, found: f, version, enables, debian }) => ({ key, found: f, version, enables, debian })), null, 2));
    break;
  case '--defines':
    for (const l of ok) console.log(`${l.define}=1`);
    break;
  case '--cflags':
    console.log(ok.map((l) => l.cflags).filter(Boolean).join(' '));
    break;
  case '--libs':
    console.log(ok.map((l) => l.libs).filter(Boolean).join(' '));
    break;
  default:
    for (const l of found) {
      console.log(`${l.found ? 'found  ' : 'MISSING'} ${l.key.padEnd(8)} ${(l.version ?? '').padEnd(8)} ${l.enables}${l.found ? '' : `  (left out; install ${l.debian})`}`);
    }
}
