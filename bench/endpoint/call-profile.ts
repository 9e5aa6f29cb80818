// Where the memory of an active call goes (a profile aid for run.mjs's "per active call" figure):
// two endpoints in this process (as memory.ts calls), A calls B M times, then M more; after each
// batch (2 s of media, forced GCs) it writes a V8 heap snapshot and reads RSS, heap, external and
// the V8 heap spaces. Prints the marginal cost of the second M calls (per call, both ends) and the
// heap objects that grew most (self size per call, grouped by constructor / string / array /
// closure name), and the objects new since the first snapshot by retainer chain, so a change can be
// checked against what a running call keeps. RSS after the first snapshot is not meaningful
// (writing a snapshot grows it); memory.ts is the RSS measurement.
// WAIT_MS (default 2000): media time before each measurement (40000: the INVITE transactions'
// Timers L and M, 32 s, have ended). OWNER_DEPTH=n (default 2): how many owner hops name an object in the last table.
// Usage: node --expose-gc --conditions=@sip-endpoint/source --import tsx bench/endpoint/call-profile.ts 100 [top]
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { SessionState, type Session } from '@sip-endpoint/endpoint';
import { autoAnsweringEndpoint } from './call-pair';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const count = Number(process.argv[2] ?? 100);
const top = Number(process.argv[3] ?? 40);

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Snapshot {
  rssKb: number;
  heapKb: number;
  externalKb: number;
  spaces: Record<string, number>;
  file: string;
}

interface Parsed {
  ids: Set<number>;
  groups: Map<string, { n: number; size: number }>;
  /** For objects not in `before`: self size per "group <- edge of retainer group <- ..." chain. */
  retainers: Map<string, { n: number; size: number }>;
  /** For objects not in `before`: self size per owner field (`Owner.field`, the nearest retainer of a class of ours). */
  owners: Map<string, { n: number; size: number }>;
}

/** Objects of these constructors are containers, not owners, in the `owners` attribution. */
const GENERIC = new Set(['Object', 'Array', 'Map', 'Set', 'WeakMap', 'WeakSet', 'system / Context', 'Emitter', 'DisposableStore', 'FunctionDisposable', 'MutableDisposable', 'Promise', 'Buffer', 'ArrayBuffer', 'Uint8Array', '']);

/**
 * Self size per group of a heap snapshot (nodes grouped by type and name); with `before` (the ids
 * of an earlier snapshot of this process: V8 keeps an object's id across snapshots), the new
 * objects are also grouped by their retainer chain (first strong retainer, `depth` levels).
 */
function parse(file: string, before?: Set<number>, depth = 3, ownerDepth = 1): Parsed {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iId = fields.indexOf('id');
  const iSize = fields.indexOf('self_size');
  const iEdges = fields.indexOf('edge_count');
  const eWidth = meta.edge_fields.length;
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[0];
  const nodes = snap.nodes;
  const count = nodes.length / width;
  const keyOf = (n: number): string => {
    const type = types[nodes[n * width + iType]!]!;
    const name = snap.strings[nodes[n * width + iName]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return `(${type})`;
    if (type === 'object' || type === 'native' || type === 'hidden' || type === 'array' || type === 'closure' || type === 'code') return `(${type}) ${name.slice(0, 60)}`;
    return `(${type})`;
  };
  const ids = new Set<number>();
  const groups = new Map<string, { n: number; size: number }>();
  const add = (m: Map<string, { n: number; size: number }>, k: string, size: number): void => {
    const g = m.get(k) ?? { n: 0, size: 0 };
    g.n++;
    g.size += size;
    m.set(k, g);
  };
  for (let n = 0; n < count; n++) {
    ids.add(nodes[n * width + iId]!);
    add(groups, keyOf(n), nodes[n * width + iSize]!);
  }
  const retainers = new Map<string, { n: number; size: number }>();
  const owners = new Map<string, { n: number; size: number }>();
  if (before) {
    // First strong retainer of every node (edge name included).
    const firstRetainer = new Int32Array(count).fill(-1);
    const retainerEdge = new Array<string>(count);
    let e = 0;
    for (let n = 0; n < count; n++) {
      const edges = nodes[n * width + iEdges]!;
      for (let k = 0; k < edges; k++, e += eWidth) {
        const et = edgeTypes[snap.edges[e + eType]!]!;
        if (et === 'weak' || et === 'shortcut') continue;
        const to = snap.edges[e + eTo]! / width;
        if (firstRetainer[to] !== -1) continue;
        firstRetainer[to] = n;
        const nameOrIndex = snap.edges[e + eName]!;
        retainerEdge[to] = et === 'element' || et === 'hidden' ? `[${et}]` : String(snap.strings[nameOrIndex]).slice(0, 30);
      }
    }
    for (let n = 0; n < count; n++) {
      if (before.has(nodes[n * width + iId]!)) continue;
      let chain = keyOf(n);
      let at = n;
      for (let d = 0; d < depth && firstRetainer[at] !== -1; d++) {
        chain += ` <-${retainerEdge[at]}- ${keyOf(firstRetainer[at]!)}`;
        at = firstRetainer[at]!;
      }
      add(retainers, chain, nodes[n * width + iSize]!);
      // Owner: walk up first retainers until an object of a class of ours; name it by the field
      // the path left it through.
      const hops: string[] = [];
      at = n;
      for (let d = 0; d < 24 && hops.length < ownerDepth && firstRetainer[at] !== -1; d++) {
        const r = firstRetainer[at]!;
        const rType = types[nodes[r * width + iType]!]!;
        const rName = snap.strings[nodes[r * width + iName]!]!;
        if ((rType === 'object' && !GENERIC.has(rName)) || rType === 'synthetic' || rType === 'native') hops.push(`${rName.slice(0, 40)}.${retainerEdge[at]}`);
        at = r;
      }
      const owner = hops.length ? hops.join(' <- ') : '(no owner found)';
      add(owners, owner, nodes[n * width + iSize]!);
    }
  }
  return { ids, groups, retainers, owners };
}

/** Forced GCs, memory figures, then a heap snapshot on disk (parsed once both are written: no profile data in the heap while measuring). */
async function measure(tag: string): Promise<Snapshot> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(100);
  }
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = Math.round(s.space_size / 1024);
  const file = writeHeapSnapshot(join(tmpdir(), `call-profile-${process.pid}-${tag}.heapsnapshot`));
  return { rssKb: m.rss / 1024, heapKb: m.heapUsed / 1024, externalKb: (m.external + m.arrayBuffers) / 1024, spaces, file };
}

const make = autoAnsweringEndpoint;
const a = await make('alice', [41000, 44999]);
const b = await make('bob', [45000, 48999]);
const calls: Session[] = [];
async function dial(n: number): Promise<void> {
  const start = calls.length;
  for (let i = 0; i < n; i += 20) {
    for (let j = i; j < Math.min(n, i + 20); j++) calls.push(a.dial(b.connections[0]!.contactUri!));
    await until('a batch connected', () => calls.every((c) => c.state === SessionState.Connected), 20_000);
  }
  await sleep(Number(process.env['WAIT_MS'] ?? 2000));
  if (calls.slice(start).some((c) => c.state !== SessionState.Connected)) throw new Error('a call ended');
}
await dial(count);
const s1 = await measure('1');
await dial(count);
const s2 = await measure('2');
a.dispose();
b.dispose();
const p1 = parse(s1.file);
const p2 = parse(s2.file, p1.ids, 3, Number(process.env['OWNER_DEPTH'] ?? 2));
rmSync(s1.file, { force: true });
rmSync(s2.file, { force: true });

const per = (x: number, y: number): string => ((y - x) / count).toFixed(1);
console.log(`M = ${count}: marginal per call (both ends), M -> 2M calls:`);
console.log(`  RSS ${per(s1.rssKb, s2.rssKb)} KB, JS heap ${per(s1.heapKb, s2.heapKb)} KB, external + array buffers ${per(s1.externalKb, s2.externalKb)} KB`);
console.log(`  V8 spaces (KB, M -> 2M): ${Object.keys(s2.spaces).map((k) => `${k} ${s1.spaces[k]} -> ${s2.spaces[k]}`).join(', ')}`);
const rows = [...p2.groups.entries()]
  .map(([k, g]) => {
    const g1 = p1.groups.get(k) ?? { n: 0, size: 0 };
    return { k, n: (g.n - g1.n) / count, bytes: (g.size - g1.size) / count };
  })
  .sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((t, r) => t + r.bytes, 0);
console.log(`  heap snapshot: ${(total / 1024).toFixed(1)} KB self size per call (both ends); top groups (bytes and objects per call):`);
for (const r of rows.slice(0, top)) console.log(`  ${r.bytes.toFixed(0).padStart(7)} B ${r.n.toFixed(1).padStart(6)}  ${r.k}`);
const chains = [...p2.retainers.entries()].map(([k, g]) => ({ k, n: g.n / count, bytes: g.size / count })).sort((x, y) => y.bytes - x.bytes);
const newTotal = chains.reduce((t, r) => t + r.bytes, 0);
console.log(`  objects new since M calls: ${(newTotal / 1024).toFixed(1)} KB per call; top retainer chains (object <-edge- retainer ...):`);
for (const r of chains.slice(0, top)) console.log(`  ${r.bytes.toFixed(0).padStart(7)} B ${r.n.toFixed(1).padStart(6)}  ${r.k}`);
const byOwner = [...p2.owners.entries()].map(([k, g]) => ({ k, n: g.n / count, bytes: g.size / count })).sort((x, y) => y.bytes - x.bytes);
console.log(`  objects new since M calls by owner field (nearest retainer of a class of ours):`);
for (const r of byOwner.slice(0, top)) console.log(`  ${r.bytes.toFixed(0).padStart(7)} B ${r.n.toFixed(1).padStart(6)}  ${r.k}`);
process.exit(0);
