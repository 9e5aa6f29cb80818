/**
 * The JSON format (`endpoint.config.json`) and plain objects in code: the typed form of
 * {@link EndpointConfig}, every setting optional. `policy.codecs` is accepted for `codecs`, and
 * `proxies` may be an array or an object `{ "proxy0": {...} }`.
 */
import { ConfigError } from '@sip-endpoint/base';
import { canonicalKey, keyToPath, nodeAt, pathToKey, type PathSegment } from './keys';
import { ConfigAssembler, flattenConfig, isPlainObject, setAtPath, getAtPath, type ParsedConfig, type SourcePosition } from './model';
import type { EndpointConfigInput } from './schema';
import type { ParseOptions, SerializeOptions } from './xml';

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A JSON parser that also records where every value starts (JSON.parse does not say). */
class PositionalJson {
  private i = 0;
  readonly positions = new Map<string, number>();
  constructor(private readonly text: string) {}

  parse(): unknown {
    this.ws();
    const v = this.value([]);
    this.ws();
    if (this.i < this.text.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.i);
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\r\n\uFEFF'.includes(this.text[this.i] as string)) this.i++;
  }

  private value(path: PathSegment[]): unknown {
    this.positions.set(JSON.stringify(path), this.i);
    const c = this.text[this.i];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return this.string();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.i, this.i + 64));
    if (!lit) this.fail(c === undefined ? 'unexpected end of JSON' : `unexpected character '${c}'`);
    this.i += lit[0].length;
    return JSON.parse(lit[0]) as unknown;
  }

  private string(): string {
    let j = this.i + 1;
    while (j < this.text.length && this.text[j] !== '"') j += this.text[j] === '\\' ? 2 : 1;
    if (j >= this.text.length) this.fail('unterminated string');
    let s: string;
    try {
      s = JSON.parse(this.text.slice(this.i, j + 1)) as string;
    } catch {
      this.fail('invalid string');
    }
    this.i = j + 1;
    return s;
  }

  private object(path: PathSegment[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail("expected a property name in double quotes");
      const key = this.string();
      this.ws();
      if (this.text[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      out[key] = this.value([...path, key]);
      this.ws();
      const c = this.text[this.i];
      this.i++;
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private array(path: PathSegment[]): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value([...path, out.length]));
      this.ws();
      const c = this.text[this.i];
      this.i++;
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or ']'");
      }
    }
  }
}

function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Walks a typed-form object into the assembler, keeping what the schema does not know. */
function walkObject(asm: ConfigAssembler, input: unknown, where: (jsonPath: PathSegment[]) => SourcePosition | undefined): void {
  if (!isPlainObject(input)) {
    asm.error('', `a configuration must be an object, got ${Array.isArray(input) ? 'an array' : typeof input}`, where([]));
    return;
  }
  // `path` is the typed path (after aliases), `jsonPath` where the value is in the input.
  const walk = (value: unknown, path: PathSegment[], jsonPath: PathSegment[]) => {
    if (value === undefined) return;
    const pos = where(jsonPath);
    const key = canonicalKey(pathToKey(path));
    const typedPath = keyToPath(key);
    const node = nodeAt(typedPath);
    if (node?.type === 'leaf') return asm.setValue(key, value, pos);
    if (node?.type === 'group') {
      if (!isPlainObject(value)) return asm.error(key, `expected an object, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`, pos);
      if (typedPath[0] === 'connectivity') asm.touch(typedPath, key, pos);
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 0 && k === '$schema') continue;
        if (path.length === 1 && path[0] === 'policy' && k === 'codecs') {
          if (isPlainObject(v)) for (const [c, p] of Object.entries(v)) walk(p, ['codecs', c], [...jsonPath, k, c]);
          else asm.error('policy.codecs', 'expected an object of codec priorities', where([...jsonPath, k]));
          continue;
        }
        walk(v, [...typedPath, k], [...jsonPath, k]);
      }
      return;
    }
    if (node?.type === 'array') {
      if (Array.isArray(value)) return value.forEach((v, i) => walk(v, [...typedPath, i], [...jsonPath, i]));
      if (typedPath[0] === 'proxies' && isPlainObject(value)) {
        for (const [k, v] of Object.entries(value)) {
          const m = /^proxy(\d+)$/.exec(k);
          if (m) walk(v, ['proxies', Number(m[1])], [...jsonPath, k]);
          else asm.error(`proxies.${k}`, "expected 'proxyN'", where([...jsonPath, k]));
        }
        return;
      }
      return asm.error(key, 'expected a list', pos);
    }
    // Unknown: keep every leaf under its own key.
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...typedPath, k], [...jsonPath, k]);
      return;
    }
    asm.setValue(key, value, pos);
  };
  walk(input, [], []);
}

/**
 * Parses the text of an `endpoint.config.json` file.
 *
 * @throws ConfigError listing every problem, with file, line, column and key path.
 */
export function parseJsonConfig(text: string, options: ParseOptions = {}): ParsedConfig {
  const file = options.file;
  const p = new PositionalJson(text);
  let value: unknown;
  try {
    value = p.parse();
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new ConfigError({ keyPath: '', message: `malformed JSON: ${e.message}`, ...(file !== undefined ? { file } : {}), ...positionAt(text, e.offset) });
  }
  const asm = new ConfigAssembler(file);
  walkObject(asm, value, (jsonPath) => {
    const off = p.positions.get(JSON.stringify(jsonPath));
    return off === undefined ? undefined : positionAt(text, off);
  });
  return asm.finish();
}

/**
 * Builds a configuration from a plain object in code (the typed form, every setting optional).
 *
 * @throws ConfigError listing every problem with its key path.
 */
export function createConfig(input: EndpointConfigInput | Record<string, unknown> = {}, options: ParseOptions = {}): ParsedConfig {
  const asm = new ConfigAssembler(options.file);
  walkObject(asm, input, () => undefined);
  return asm.finish();
}

/**
 * The typed-form object of a configuration with the unknown settings put back where they were
 * found; `JSON.stringify` of it is the JSON format.
 */
export function toPlainObject(parsed: ParsedConfig, options: SerializeOptions = {}): Record<string, unknown> {
  const includeDefaults = options.includeDefaults ?? true;
  const out: Record<string, unknown> = {};
  for (const [key, { meta, value }] of flattenConfig(parsed.config)) {
    const path = keyToPath(key);
    const required = meta.defaultValue === undefined;
    if (!includeDefaults && !required && JSON.stringify(meta.defaultValue) === JSON.stringify(value)) {
      // Keep array elements (lines, proxies) present even when every setting is a default.
      if (typeof path[1] === 'number' && getAtPath(out, path.slice(0, 2)) === undefined) setAtPath(out, path.slice(0, 2), {});
      continue;
    }
    setAtPath(out, path, Array.isArray(value) ? [...(value as unknown[])] : value);
  }
  for (const u of parsed.unknown) {
    const path = keyToPath(u.key);
    const parent = getAtPath(out, path.slice(0, -1));
    // DEVIATION: an unknown key below a known leaf (e.g. `policy.session.auto_answer.x`) has no
    // place in the JSON form; only XML can keep it.
    if (parent !== undefined && (typeof parent !== 'object' || parent === null)) continue;
    setAtPath(out, path, Array.isArray(u.value) ? [...u.value] : u.value);
  }
  return out;
}

/** Writes a configuration as JSON (2-space indented, trailing newline), unknown settings kept. */
export function toJson(parsed: ParsedConfig, options: SerializeOptions = {}): string {
  return `${JSON.stringify(toPlainObject(parsed, options), null, 2)}\n`;
}
