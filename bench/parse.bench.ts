/**
 * SIP parser benchmark: the same INVITE with SDP (bench/fixtures/invite.sip) parsed by our
 * parser and by the parsers of four npm SIP stacks. Every parser must deliver Via (all values),
 * From, To, CSeq, Contact and the Request-URI fully parsed; lazily-parsing libraries are forced
 * to parse by reading those fields.
 *
 * Run from the repo root:
 *   node --conditions=@sip-endpoint/source --import tsx bench/parse.bench.ts
 * Options (env): BENCH_MS (measured time per parser, default 1000), BENCH_WARMUP_MS (default 1000; the grammar-based peers need a long JIT warm-up).
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

const MEASURE_MS = Number(process.env.BENCH_MS ?? 1000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
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

function run(fn: ParseFn, ms: number): { ops: number; checksum: number } {
  let n = 0;
  let checksum = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline && n < MAX_ITERATIONS) {
    for (let i = 0; i < 200; i++) checksum += fn();
    n += 200;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return { ops: n / seconds, checksum };
}

// Sanity: every parser reads the same fields (same checksum per call up to URI-host details).
const results: { name: string; ops: number }[] = [];
for (const p of parsers) {
  p.fn();
  run(p.fn, WARMUP_MS);
}
for (const p of parsers) {
  const r = run(p.fn, MEASURE_MS);
  if (!Number.isFinite(r.checksum)) throw new Error(`${p.name}: bad checksum`);
  results.push({ name: p.name, ops: r.ops });
}

const ourOps = results[0]!.ops;
const peers = results.slice(1);
const fastest = peers.reduce((a, b) => (b.ops > a.ops ? b : a));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`SIP parse benchmark: ${FIXTURE.length}-byte INVITE with SDP, ${MEASURE_MS} ms per parser (node ${process.version})`);
console.log('');
console.log(`${'parser'.padEnd(32)} ${'ops/s'.padStart(12)} ${'ours / this'.padStart(12)}`);
console.log(`${'-'.repeat(32)} ${'-'.repeat(12)} ${'-'.repeat(12)}`);
for (const r of results) console.log(`${r.name.padEnd(32)} ${fmt(r.ops).padStart(12)} ${(ourOps / r.ops).toFixed(2).padStart(11)}x`);
console.log('');
console.log(`fastest peer: ${fastest.name} (${fmt(fastest.ops)} ops/s); target ours >= 2.00x fastest peer: ${ourOps / fastest.ops >= 2 ? 'met' : 'NOT met'}`);
console.log(`parse-bench: ours/fastest = ${(ourOps / fastest.ops).toFixed(2)}`);
