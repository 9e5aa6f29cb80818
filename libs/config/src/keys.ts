/**
 * Runtime keys, as the Genesys SDK spells them, and their mapping onto the typed object.
 *
 * - Basic container: `attr:N` (`user:0`, `server:1`, `protocol:0`; `transport:N` is an alias of
 *   `protocol:N`) -> `connectivity[N].attr`.
 * - Genesys container and the SDK's own domains: `domain.section[.subsection].setting`
 *   (`proxies.proxy0.nat.ice_enabled` -> `proxies[0].nat.ice_enabled`). `codecs.<name>`,
 *   `policy.codecs.<name>` and `codecs.<name>.priority` all name the same codec priority.
 * - `.` and `:` are interchangeable everywhere.
 */
import { z } from 'zod';
import { KNOWN_CODECS, metaOf, rootShapeSchema, type SettingMeta } from './schema';

/** A step in the typed object: a property name or an array index. */
export type PathSegment = string | number;

const codecByLower = new Map<string, string>(KNOWN_CODECS.map((c) => [c.toLowerCase(), c]));

/** The Basic-container attributes the schema knows (`transport` is read as `protocol`). */
const BASIC_ALIASES: Record<string, string> = { transport: 'protocol' };

/**
 * The canonical spelling of a runtime key: `attr:N` for the Basic container, dot-separated for
 * the rest, `transport:N` -> `protocol:N`, `policy.codecs.X` and `codecs.X.priority` -> `codecs.X`
 * with the codec name spelled as in {@link KNOWN_CODECS}.
 */
export function canonicalKey(key: string): string {
  const segs = key.trim().replace(/:/g, '.').split('.');
  if (segs.length === 2 && /^\d+$/.test(segs[1] ?? '')) {
    const name = segs[0] ?? '';
    return `${BASIC_ALIASES[name] ?? name}:${Number(segs[1])}`;
  }
  let rest = segs;
  if (rest[0] === 'policy' && rest[1] === 'codecs') rest = ['codecs', ...rest.slice(2)];
  if (rest[0] === 'codecs' && rest.length === 3 && rest[2] === 'priority') rest = rest.slice(0, 2);
  if (rest[0] === 'codecs' && rest.length === 2) rest = ['codecs', codecByLower.get((rest[1] ?? '').toLowerCase()) ?? rest[1] ?? ''];
  return rest.join('.');
}

/** The path in the typed object of a canonical key. */
export function keyToPath(key: string): PathSegment[] {
  if (key === '') return [];
  const line = /^connectivity:(\d+)$/.exec(key);
  if (line) return ['connectivity', Number(line[1])];
  const basic = /^([^.:]+):(\d+)$/.exec(key);
  if (basic) return ['connectivity', Number(basic[2]), basic[1] ?? ''];
  const segs = key.split('.');
  const proxy = segs[0] === 'proxies' ? /^proxy(\d+)$/.exec(segs[1] ?? '') : null;
  if (proxy) return ['proxies', Number(proxy[1]), ...segs.slice(2)];
  return segs;
}

/** The canonical key of a path in the typed object (the inverse of {@link keyToPath}). */
export function pathToKey(path: readonly PropertyKey[]): string {
  const p = path.map((s) => (typeof s === 'symbol' ? String(s.description) : s));
  if (p[0] === 'connectivity' && typeof p[1] === 'number') return p.length >= 3 ? `${String(p[2])}:${p[1]}` : `connectivity:${p[1]}`;
  if (p[0] === 'proxies' && typeof p[1] === 'number') return ['proxies', `proxy${p[1]}`, ...p.slice(2).map(String)].join('.');
  return p.map(String).join('.');
}

/** What a node of the schema is. */
export type SchemaNode =
  | { readonly type: 'leaf'; readonly schema: z.ZodType; readonly meta: SettingMeta }
  | { readonly type: 'group'; readonly shape: Readonly<Record<string, z.ZodType>> }
  | { readonly type: 'array'; readonly element: z.ZodType };

/** Classifies a schema node (seeing through defaults). */
export function nodeOf(schema: z.ZodType): SchemaNode | undefined {
  const meta = metaOf(schema);
  if (meta) return { type: 'leaf', schema, meta };
  let s: z.ZodType = schema;
  for (let i = 0; i < 4; i++) {
    if (s instanceof z.ZodPrefault || s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else break;
  }
  if (s instanceof z.ZodObject) return { type: 'group', shape: s.shape as Record<string, z.ZodType> };
  if (s instanceof z.ZodArray) return { type: 'array', element: s.element as z.ZodType };
  return undefined;
}

/** The schema node at `path` (array indices may be any number), or `undefined` when unknown. */
export function nodeAt(path: readonly PathSegment[]): SchemaNode | undefined {
  let node = nodeOf(rootShapeSchema);
  for (const seg of path) {
    if (!node) return undefined;
    if (node.type === 'group') {
      if (typeof seg !== 'string' || !Object.prototype.hasOwnProperty.call(node.shape, seg)) return undefined;
      node = nodeOf(node.shape[seg] as z.ZodType);
    } else if (node.type === 'array') {
      if (typeof seg !== 'number') return undefined;
      node = nodeOf(node.element);
    } else return undefined;
  }
  return node;
}

/** The metadata of the setting a canonical key names, or `undefined` for an unknown key. */
export function settingAt(key: string): SettingMeta | undefined {
  const n = nodeAt(keyToPath(key));
  return n?.type === 'leaf' ? n.meta : undefined;
}

/** One setting of the table, with its key template (`proxies.proxyN.nat.ice_enabled`, `user:N`). */
export interface SettingDescriptor {
  /** The key with `N` where a line number goes. */
  readonly key: string;
  /** The path in the typed object, with 0 for the line number. */
  readonly path: readonly PathSegment[];
  readonly meta: SettingMeta;
}

/** Every setting of the table, in table order. */
export function allSettings(): SettingDescriptor[] {
  const out: SettingDescriptor[] = [];
  const walk = (schema: z.ZodType, path: PathSegment[]) => {
    const node = nodeOf(schema);
    if (!node) return;
    if (node.type === 'leaf') {
      out.push({ key: pathToKey(path).replace(/:0$/, ':N').replace(/^proxies\.proxy0\./, 'proxies.proxyN.'), path, meta: node.meta });
    } else if (node.type === 'group') {
      for (const [k, v] of Object.entries(node.shape)) walk(v, [...path, k]);
    } else walk(node.element, [...path, 0]);
  };
  walk(rootShapeSchema, []);
  return out;
}
