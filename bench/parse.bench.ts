/**
 * SIP parser benchmark: the same INVITE with SDP (bench/fixtures/invite.sip) parsed by our
 * parser and by the parsers of four npm SIP stacks. Every parser must deliver Via (all values),
 * From, To, CSeq, Contact and the Request-URI fully parsed; lazily-parsing libraries are forced
 * to parse by reading those fields.
 *
 * Run from the repo root:
 *   node --conditions=@sip-endpoint/source --import tsx bench/parse.bench.ts
 * Options (env): BENCH_MS (measured time per parser over all rounds, default 2000), BENCH_ROUNDS
 * (interleaved rounds, default 7; each parser is reported by its median round), BENCH_WARMUP_MS
 * (default 1000; the grammar-based peers need a long JIT warm-up).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The message layer only: the bench must not depend on layers that are still being written.
import { H, parseMessage, SipRequest } from '../libs/signaling/src/message/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const FIXTURE = readFileSync(join(here, 'fixtures/invite.sip'));
const FIXTURE_TEXT = FIXTURE.toString('utf8');

const MEASURE_MS = Number(process.env.BENCH_MS ?? 2000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const ROUNDS = Math.max(1, Math.round(Number(process.env.BENCH_ROUNDS ?? 7)));
const MAX_ITERATIONS = 50_000_000;

/** A parse that returns a number derived from the parsed fields (so nothing is optimised away). */
type ParseFn = () => number;

const len = (s: unknown): number => (typeof s === 'string' ? s.length : 0);

// --- ours ----------------------------------------------------------------------------------
const ours: ParseFn = () => {
  const m = parseMessage(FIXTURE);
  if (!(m instanceof SipRequest)) throw new Error('expected a request');
  const via = m.get(H.Via)!;
  const from = m.get(H.From)!;
  const to = m.get(H.To)!;
  const cseq = m.get(H.CSeq)!;
  const contact = m.get(H.Contact)!;
  const c = contact.star ? 0 : contact.contacts.length;
  return via.length + len(via[1]!.params.get('branch')) + len(from.params.get('tag')) + (to.uri.kind === 'sip' ? to.uri.host.length : 0) + cseq.seq + c + (m.uri.kind === 'sip' ? m.uri.host.length : 0) + len(m.get(H.CallId));
};

// --- sip (kirm/sip.js, npm "sip") -----------------------------------------------------------
interface KirmAor { name?: string; uri: string; params: Record<string, string | undefined> }
interface KirmMessage {
  uri: string;
  headers: { via: { host: string; params: Record<string, string> }[]; from: KirmAor; to: KirmAor; cseq: { seq: number; method: string }; contact: KirmAor[]; 'call-id': string };
}
interface KirmUri { host: string; user?: string }
const kirm = require('sip') as { parse(s: string | Buffer): KirmMessage | undefined; parseUri(s: string): KirmUri | undefined };
const sipParse: ParseFn = () => {
  const m = kirm.parse(FIXTURE)!;
  const h = m.headers;
  // Its URIs stay strings: parse them as ours does.
  const ruri = kirm.parseUri(m.uri)!;
  const from = kirm.parseUri(h.from.uri)!;
  const to = kirm.parseUri(h.to.uri)!;
  const contact = kirm.parseUri(h.contact[0]!.uri)!;
  return h.via.length + len(h.via[1]!.params.branch) + len(h.from.params.tag) + to.host.length + h.cseq.seq + contact.host.length + ruri.host.length + from.host.length + len(h['call-id']);
};

// --- drachtio-sip --------------------------------------------------------------------------
interface DrachtioMessage {
  uri: string;
  headers: { via: { host: string; params: Record<string, string> }[]; from: KirmAor; to: KirmAor; cseq: { seq: number; method: string }; contact: KirmAor[]; 'call-id': string };
}
const drachtio = require('drachtio-sip') as { parser: { parseSipMessage(s: string, lazy?: boolean): DrachtioMessage | undefined; parseUri(s: string): KirmUri | undefined } };
const drachtioParse: ParseFn = () => {
  const m = drachtio.parser.parseSipMessage(FIXTURE_TEXT, false)!;
  const h = m.headers;
  const ruri = drachtio.parser.parseUri(m.uri)!;
  const from = drachtio.parser.parseUri(h.from.uri)!;
  const to = drachtio.parser.parseUri(h.to.uri)!;
  const contact = drachtio.parser.parseUri(h.contact[0]!.uri)!;
  return h.via.length + len(h.via[1]!.params.branch) + len(h.from.params.tag) + to.host.length + h.cseq.seq + contact.host.length + ruri.host.length + from.host.length + len(h['call-id']);
};

// --- JsSIP ----------------------------------------------------------------------------------
// JsSIP.js does not re-export its Parser; lib/Parser.js is the module behind it.
// Parser.parseMessage(data, ua) only stores `ua` on the IncomingRequest, so `undefined` works.
interface GrammarUri { host: string; user?: string }
interface GrammarNameAddr { uri: GrammarUri; getParam(n: string): string | undefined }
interface JssipRequest {
  ruri: GrammarUri;
  from: GrammarNameAddr;
  to: GrammarNameAddr;
  cseq: number;
  call_id: string;
  getHeaders(n: string): string[];
  parseHeader(n: string, idx?: number): unknown;
}
const jssip = require('jssip/lib/Parser.js') as { parseMessage(data: string, ua: undefined): JssipRequest | undefined };
const jssipParse: ParseFn = () => {
  const m = jssip.parseMessage(FIXTURE_TEXT, undefined)!;
  // Via beyond the first and Contact are parsed on demand: force them.
  const vias = m.getHeaders('via').length;
  let b = 0;
  for (let i = 0; i < vias; i++) b += len((m.parseHeader('via', i) as { branch?: string }).branch);
  const contact = m.parseHeader('contact') as GrammarNameAddr;
  return vias + b + len(m.from.getParam('tag')) + m.to.uri.host.length + m.cseq + contact.uri.host.length + m.ruri.host.length + len(m.call_id);
};

// --- SIP.js ---------------------------------------------------------------------------------
interface SipJsRequest {
  ruri: GrammarUri;
  from: GrammarNameAddr;
  to: GrammarNameAddr;
  cseq: number;
  callId: string;
  getHeaders(n: string): string[];
  parseHeader(n: string, idx?: number): unknown;
}
const sipjsCore = (await import('sip.js/lib/core/index.js')) as unknown as { Parser: { parseMessage(data: string, logger: unknown): SipJsRequest | undefined } };
const quietLogger = { error: () => undefined, warn: () => undefined, log: () => undefined, debug: () => undefined };
const sipjsParse: ParseFn = () => {
  const m = sipjsCore.Parser.parseMessage(FIXTURE_TEXT, quietLogger)!;
  const vias = m.getHeaders('via').length;
  let b = 0;
  for (let i = 0; i < vias; i++) b += len((m.parseHeader('via', i) as { branch?: string }).branch);
  const contact = m.parseHeader('contact') as GrammarNameAddr;
  return vias + b + len(m.from.getParam('tag')) + m.to.uri.host.length + m.cseq + contact.uri.host.length + m.ruri.host.length + len(m.callId);
};

// --- runner ---------------------------------------------------------------------------------
const parsers: { name: string; fn: ParseFn }[] = [
  { name: 'ours (@sip-endpoint/signaling)', fn: ours },
  { name: 'sip 0.0.6', fn: sipParse },
  { name: 'drachtio-sip 0.6.3', fn: drachtioParse },
  { name: 'jssip 3.13.8', fn: jssipParse },
  { name: 'sip.js 0.21.2', fn: sipjsParse },
];

/** Runs `fn` in batches of `batch` calls for about `ms` milliseconds (bounded in calls). */
function run(fn: ParseFn, ms: number, batch: number): { ops: number; calls: number; checksum: number } {
  let n = 0;
  let checksum = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < deadline && n < MAX_ITERATIONS) {
    for (let i = 0; i < batch; i++) checksum += fn();
    n += batch;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return { ops: n / seconds, calls: n, checksum };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// Warm-up, and a batch size per parser of about 1 ms of calls (the clock is read between
// batches: small enough batches keep a slow parser from overrunning its time slice).
const batches: number[] = [];
for (const p of parsers) {
  p.fn();
  const w = run(p.fn, WARMUP_MS, 1);
  if (!Number.isFinite(w.checksum)) throw new Error(`${p.name}: bad checksum`);
  batches.push(Math.max(1, Math.min(1000, Math.round(w.ops / 1000))));
}

// Interleaved rounds: in each round every parser runs for MEASURE_MS / ROUNDS, starting from a
// different parser each round, so a load change on the shared machine hits every parser alike.
// Each parser is reported by its median round; the ratio is also taken within each round.
const samples: number[][] = parsers.map(() => []);
const roundRatios: number[] = [];
const slice = MEASURE_MS / ROUNDS;
for (let r = 0; r < ROUNDS; r++) {
  const ops: number[] = new Array<number>(parsers.length).fill(0);
  for (let k = 0; k < parsers.length; k++) {
    const idx = (r + k) % parsers.length;
    const res = run(parsers[idx]!.fn, slice, batches[idx]!);
    if (!Number.isFinite(res.checksum)) throw new Error(`${parsers[idx]!.name}: bad checksum`);
    ops[idx] = res.ops;
    samples[idx]!.push(res.ops);
  }
  roundRatios.push(ops[0]! / Math.max(...ops.slice(1)));
}
const results = parsers.map((p, i) => ({ name: p.name, ops: median(samples[i]!), min: Math.min(...samples[i]!), max: Math.max(...samples[i]!) }));

const ourOps = results[0]!.ops;
const peers = results.slice(1);
const fastest = peers.reduce((a, b) => (b.ops > a.ops ? b : a));
const ratio = ourOps / fastest.ops;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`SIP parse benchmark: ${FIXTURE.length}-byte INVITE with SDP, ${ROUNDS} interleaved rounds, ${MEASURE_MS} ms per parser in all (node ${process.version})`);
console.log('');
console.log(`${'parser'.padEnd(32)} ${'median ops/s'.padStart(13)} ${'min..max of rounds'.padStart(22)} ${'ours / this'.padStart(12)}`);
console.log(`${'-'.repeat(32)} ${'-'.repeat(13)} ${'-'.repeat(22)} ${'-'.repeat(12)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(32)} ${fmt(r.ops).padStart(13)} ${`${fmt(r.min)}..${fmt(r.max)}`.padStart(22)} ${(ourOps / r.ops).toFixed(2).padStart(11)}x`);
}
console.log('');
const sortedRatios = [...roundRatios].sort((a, b) => a - b);
console.log(`ours / fastest peer within each round: median ${median(roundRatios).toFixed(2)}, min ${sortedRatios[0]!.toFixed(2)}, max ${sortedRatios[sortedRatios.length - 1]!.toFixed(2)}`);
console.log(`fastest peer: ${fastest.name} (${fmt(fastest.ops)} ops/s); target ours >= 2.00x fastest peer: ${ratio >= 2 ? 'met' : 'NOT met'}`);
console.log(`parse-bench: ours/fastest = ${ratio.toFixed(2)}`);
