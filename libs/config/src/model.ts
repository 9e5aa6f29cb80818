/**
 * The common core of every loader: settings arrive as (key, value, position) entries; this module
 * decodes text values, keeps unknown settings, fills defaults, validates with the zod schema, and
 * turns every problem into one {@link ConfigError} carrying all issues.
 */
import { ConfigError, type ConfigIssue } from '@sip-endpoint/base';
import type { z } from 'zod';
import { DEFAULT_CODEC_PRIORITIES, endpointConfigSchema, type EndpointConfig, type SettingMeta } from './schema';
import { keyToPath, nodeAt, pathToKey, settingAt, type PathSegment } from './keys';

/** Where something is in a file. */
export interface SourcePosition {
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

/** A value of a setting the schema does not know, kept as found. */
export type UnknownValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

/** A setting the schema does not know. It is kept (and written back), and reported as a warning. */
export interface UnknownSetting extends SourcePosition {
  /** Canonical runtime key, e.g. `policy.endpoint.my_flag` or `color:0`. */
  readonly key: string;
  readonly value: UnknownValue;
}

/** Where the codec priorities were found in an XML file (and where they are written back). */
export type CodecsLocation = 'domain' | 'policy';

/** The result of a loader: a valid configuration plus what was kept aside. */
export interface ParsedConfig {
  /** The typed configuration, every setting present, deeply frozen. */
  readonly config: EndpointConfig;
  /** Settings the schema does not know, in the order found. */
  readonly unknown: readonly UnknownSetting[];
  /** Non-fatal findings (unknown settings, ignored elements), each with its position. */
  readonly warnings: readonly ConfigIssue[];
  /** The file the configuration came from, if any. */
  readonly file?: string;
  /** `codecs` as its own domain (default) or as a section of `policy`. */
  readonly codecsLocation: CodecsLocation;
}

/** A value a caller may give a setting: text (decoded as in the XML file) or the typed value. */
export type SettingValue = string | number | boolean | readonly string[];

type DecodeResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Decodes the text form of a setting (XML attribute, runtime `set` string). */
export function decodeText(meta: SettingMeta, text: string): DecodeResult {
  const t = text.trim();
  switch (meta.kind) {
    case 'string':
      return { ok: true, value: text };
    case 'boolean': {
      const v = t.toLowerCase();
      if (v === '1' || v === 'true' || v === 'yes' || v === 'on') return { ok: true, value: true };
      if (v === '0' || v === 'false' || v === 'no' || v === 'off') return { ok: true, value: false };
      if (v === '') return { ok: true, value: meta.defaultValue };
      return { ok: false, message: `'${text}' is not a boolean (0 or 1)` };
    }
    case 'integer': {
      if (/^[+-]?\d+$/.test(t)) return { ok: true, value: Number(t) };
      if (meta.lenientInteger !== undefined) return { ok: true, value: meta.lenientInteger };
      if (t === '') return { ok: true, value: meta.defaultValue };
      return { ok: false, message: `'${text}' is not an integer` };
    }
    case 'enum': {
      const found = meta.values?.find((v) => v.toLowerCase() === t.toLowerCase().replace(/\s+/g, ''));
      if (found !== undefined) return { ok: true, value: found };
      if (t === '') return { ok: true, value: meta.defaultValue };
      return { ok: false, message: `'${text}' is not one of ${meta.values?.join(', ')}` };
    }
    case 'list':
      // Text of a list: items separated by ','; an XML file repeats the setting instead.
      return { ok: true, value: t === '' ? [] : t.split(',').map((s) => s.trim()) };
  }
}

/** The text form of a typed value (runtime `get`, XML attribute; lists joined with `,`). */
export function encodeText(meta: SettingMeta, value: unknown): string {
  if (meta.kind === 'boolean') return value ? '1' : '0';
  if (Array.isArray(value)) return value.map(String).join(',');
  return value === undefined || value === null ? '' : String(value);
}

/** Whether `v` is a plain object (not an array, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Writes `value` at `path` in `root`, creating objects and arrays on the way. */
export function setAtPath(root: Record<string, unknown>, path: readonly PathSegment[], value: unknown): boolean {
  let cur: Record<string | number, unknown> | unknown[] = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as PathSegment;
    const nextIsIndex = typeof path[i + 1] === 'number';
    const c = cur as Record<string | number, unknown>;
    let next = c[seg];
    if (next === undefined) {
      next = nextIsIndex ? [] : {};
      c[seg] = next;
    }
    if (typeof next !== 'object' || next === null) return false;
    cur = next as Record<string | number, unknown>;
  }
  (cur as Record<string | number, unknown>)[path[path.length - 1] as PathSegment] = value;
  return true;
}

/** Reads the value at `path`, or `undefined`. */
export function getAtPath(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const c of Object.values(v)) deepFreeze(c);
  }
  return v;
}

/** Every known setting of a typed configuration as `key -> { meta, value }`, in table order. */
export function flattenConfig(config: EndpointConfig): Map<string, { meta: SettingMeta; value: unknown }> {
  const out = new Map<string, { meta: SettingMeta; value: unknown }>();
  const walk = (value: unknown, path: PathSegment[]) => {
    const node = nodeAt(path);
    if (!node) return;
    if (node.type === 'leaf') out.set(pathToKey(path), { meta: node.meta, value });
    else if (node.type === 'group' && isPlainObject(value)) for (const k of Object.keys(node.shape)) walk(value[k], [...path, k]);
    else if (node.type === 'array' && Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
  };
  walk(config, []);
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Turns a zod issue into a readable message, using the setting's metadata where it helps. */
export function issueMessage(iss: z.core.$ZodIssue, meta: SettingMeta | undefined): string {
  const input = (iss as { input?: unknown }).input;
  switch (iss.code) {
    case 'invalid_type':
      if (input === undefined) return iss.message.includes('required') ? iss.message : 'is required';
      return `expected ${iss.expected}, got ${describe(input)}`;
    case 'too_big':
    case 'too_small':
      if (meta?.kind === 'integer' && typeof input === 'number') return `${input} is out of range ${meta.min}..${meta.max}`;
      return iss.message;
    case 'invalid_value':
      return `${describe(input)} is not one of ${iss.values.map(String).join(', ')}`;
    default:
      return iss.message;
  }
}

/**
 * Validates a raw (typed-form) object with the schema; returns the config or the issues.
 * zod skips the cross-field checks (duplicate codec priorities, port ranges, T1 <= T2) while any
 * setting is invalid; so that a file's errors are all reported together, a second pass runs them
 * with every invalid setting replaced by its default (or a placeholder when it has none).
 */
export function validateRaw(raw: unknown, where: (key: string) => SourcePosition | undefined): { config?: EndpointConfig; issues: ConfigIssue[] } {
  const r = endpointConfigSchema.safeParse(raw, { reportInput: true });
  if (r.success) return { config: deepFreeze(r.data), issues: [] };
  const toIssue = (iss: z.core.$ZodIssue): ConfigIssue => {
    const keyPath = pathToKey(iss.path);
    return { keyPath, message: issueMessage(iss, settingAt(keyPath)), ...where(keyPath) };
  };
  const issues = r.error.issues.map(toIssue);
  if (isPlainObject(raw)) {
    const sanitized = structuredClone(raw);
    for (const iss of r.error.issues) {
      const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
      const node = nodeAt(path);
      if (node?.type === 'leaf' && node.meta.defaultValue === undefined) setAtPath(sanitized, path, 'placeholder.invalid');
      else deleteAtPath(sanitized, path);
    }
    const second = endpointConfigSchema.safeParse(sanitized, { reportInput: true });
    if (!second.success) {
      for (const iss of second.error.issues.map(toIssue)) {
        if (!issues.some((i) => i.keyPath === iss.keyPath)) issues.push(iss);
      }
    }
  }
  return { issues };
}

function deleteAtPath(root: Record<string, unknown>, path: readonly PathSegment[]): void {
  const parent = getAtPath(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last === undefined || typeof parent !== 'object' || parent === null) return;
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = undefined;
  else delete (parent as Record<string | number, unknown>)[last];
}

/**
 * Collects entries from a loader and builds a {@link ParsedConfig}, or throws one
 * {@link ConfigError} listing every problem.
 */
export class ConfigAssembler {
  private readonly raw: Record<string, unknown> = {};
  private readonly issues: ConfigIssue[] = [];
  private readonly warnings: ConfigIssue[] = [];
  private readonly unknown: UnknownSetting[] = [];
  private readonly positions = new Map<string, SourcePosition>();
  private readonly seen = new Map<string, SourcePosition | undefined>();
  private sawCodec = false;
  /** Where the codecs were found. */
  codecsLocation: CodecsLocation = 'domain';

  constructor(private readonly file: string | undefined) {}

  private at(pos: SourcePosition | undefined): SourcePosition {
    const p: { file?: string; line?: number; column?: number } = {};
    if (this.file !== undefined) p.file = this.file;
    if (pos?.line !== undefined) p.line = pos.line;
    if (pos?.column !== undefined) p.column = pos.column;
    return p;
  }

  /** Records an error. */
  error(keyPath: string, message: string, pos?: SourcePosition): void {
    this.issues.push({ keyPath, message, ...this.at(pos) });
  }

  /** Records a warning. */
  warn(keyPath: string, message: string, pos?: SourcePosition): void {
    this.warnings.push({ keyPath, message, ...this.at(pos) });
  }

  /** Makes sure the container at `path` exists (so a `Connectivity` without attributes is seen). */
  touch(path: readonly PathSegment[], key: string, pos?: SourcePosition): void {
    if (getAtPath(this.raw, path) === undefined) setAtPath(this.raw, path, {});
    if (pos) this.positions.set(key, this.at(pos));
  }

  private firstTime(key: string, meta: SettingMeta, pos: SourcePosition | undefined): boolean {
    if (key.startsWith('codecs.')) this.sawCodec = true;
    if (!this.seen.has(key)) {
      this.seen.set(key, pos);
      if (pos) this.positions.set(key, this.at(pos));
      return true;
    }
    if (meta.kind === 'list') return false;
    const first = this.seen.get(key);
    this.error(key, `is given twice${first?.line !== undefined ? ` (first at line ${first.line})` : ''}`, pos);
    return false;
  }

  /** A setting given as text (XML). A list setting given several times collects every value. */
  setText(key: string, text: string, pos?: SourcePosition): void {
    const meta = settingAt(key);
    if (!meta) return this.addUnknown(key, text, pos);
    const first = this.firstTime(key, meta, pos);
    const path = keyToPath(key);
    if (meta.kind === 'list') {
      const prev = getAtPath(this.raw, path);
      const items = Array.isArray(prev) && !first ? prev : [];
      if (text.trim() !== '') items.push(text.trim());
      setAtPath(this.raw, path, items);
      return;
    }
    if (!first) return;
    const d = decodeText(meta, text);
    if (!d.ok) return this.error(key, d.message, pos);
    setAtPath(this.raw, path, d.value);
  }

  /** A setting given as a typed value (JSON, object); the schema checks its type. */
  setValue(key: string, value: unknown, pos?: SourcePosition): void {
    const meta = settingAt(key);
    if (!meta) return this.addUnknown(key, toUnknownValue(value), pos);
    if (!this.firstTime(key, meta, pos)) return;
    setAtPath(this.raw, keyToPath(key), value);
  }

  /** Keeps a setting the schema does not know, and warns about it. */
  addUnknown(key: string, value: UnknownValue, pos?: SourcePosition): void {
    const p = this.at(pos);
    const i = this.unknown.findIndex((u) => u.key === key);
    const prev = this.unknown[i];
    if (prev) {
      // An unknown setting repeated in XML is a list (as known list settings are).
      const items = (v: UnknownValue) => (Array.isArray(v) ? v : [v]) as (string | number | boolean | null)[];
      this.unknown[i] = { ...prev, value: [...items(prev.value), ...items(value)] };
      this.warn(key, 'unknown setting (kept, repeated)', pos);
      return;
    }
    this.unknown.push({ key, value, ...p });
    this.warn(key, 'unknown setting (kept)', pos);
  }

  /** Validates everything collected; throws a {@link ConfigError} with every issue found. */
  finish(): ParsedConfig {
    if (!this.sawCodec) for (const [name, prio] of Object.entries(DEFAULT_CODEC_PRIORITIES)) setAtPath(this.raw, ['codecs', name], prio);
    const conn = Array.isArray(this.raw['connectivity']) ? (this.raw['connectivity'] as unknown[]) : [];
    const proxies = Array.isArray(this.raw['proxies']) ? (this.raw['proxies'] as unknown[]) : [];
    const count = Math.max(conn.length, proxies.length);
    if (count > 0) this.raw['proxies'] = Array.from({ length: count }, (_, i) => proxies[i]);
    for (let i = 0; i < conn.length; i++) if (conn[i] === undefined) this.error(`connectivity:${i}`, 'Connectivity line is missing');
    const { config, issues } = validateRaw(this.raw, (key) => this.positions.get(key) ?? this.lineOf(key));
    const all = [...this.issues, ...issues];
    if (all.length > 0 || !config) throw new ConfigError(sortIssues(all));
    const parsed: ParsedConfig = {
      config,
      unknown: Object.freeze([...this.unknown]),
      warnings: Object.freeze([...this.warnings]),
      codecsLocation: this.codecsLocation,
      ...(this.file !== undefined ? { file: this.file } : {}),
    };
    return parsed;
  }

  /** The position of the Connectivity line or proxy a key belongs to, if known. */
  private lineOf(key: string): SourcePosition | undefined {
    const basic = /:(\d+)$/.exec(key);
    if (basic) return this.positions.get(`connectivity:${basic[1]}`);
    return this.at(undefined);
  }
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((iss, i) => ({ iss, i }))
    .sort((a, b) => (a.iss.line ?? Infinity) - (b.iss.line ?? Infinity) || (a.iss.column ?? 0) - (b.iss.column ?? 0) || a.i - b.i)
    .map((x) => x.iss);
}

/** Narrows an arbitrary JSON value to what an unknown setting keeps. */
export function toUnknownValue(v: unknown): UnknownValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? x : JSON.stringify(x)));
  return JSON.stringify(v);
}
