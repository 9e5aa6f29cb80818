import { ErrorCode, SdkError } from '@sip-endpoint/base';
import { canonicalHeaderName, headerKey } from './header-names';

/** One header field line as received or set: canonical name, lower-cased key, raw value. */
export interface HeaderField {
  /** Name as it is serialized (canonical spelling, compact forms expanded). */
  readonly name: string;
  /** Lower-cased full name, for lookups. */
  readonly key: string;
  /** The value as written, with line folding already replaced by a single space. */
  readonly value: string;
}

/**
 * The header section of a message: ordered, case-insensitive, compact forms expanded. Several
 * lines of one header stay separate lines; splitting comma-separated values is the job of the
 * typed codecs (see {@link HeaderCodec}). Unknown headers are kept verbatim.
 */
export class SipHeaders {
  /** The fields, or `undefined` until first needed in a parsed message (see `fields`). */
  private store: HeaderField[] | undefined;
  /**
   * Set by the parser, in parallel: per line its name, key and, in `spans`, the start and end
   * of its value in `src`, the text of the header section (-1 for a folded value, then in
   * `folded`). Typed values of `H` are parsed there in place (see `parseLines` in message.ts):
   * no value is copied out unless asked for, and a value sliced out of a larger string is
   * slower to read character by character. `spans` is dropped on the first change.
   */
  private src = '';
  private spans: number[] | undefined = undefined;
  private lineNames: readonly string[] = [];
  private lineKeys: readonly string[] = [];
  private folded: readonly (string | undefined)[] | undefined = undefined;

  constructor(fields: HeaderField[] = []) {
    this.store = fields;
  }

  /** The fields, made from the parser's lines on first use. */
  private get fields(): HeaderField[] {
    let f = this.store;
    if (f === undefined) {
      f = [];
      const spans = this.spans!;
      for (let i = 0; i < this.lineKeys.length; i++) {
        const from = spans[2 * i]!;
        f.push({ name: this.lineNames[i]!, key: this.lineKeys[i]!, value: from >= 0 ? this.src.slice(from, spans[2 * i + 1]) : this.folded![i]! });
      }
      this.store = f;
    }
    return f;
  }

  private set fields(fields: HeaderField[]) {
    this.store = fields;
  }

  /** The fields, about to change: the parser's spans no longer match them. */
  private changing(): HeaderField[] {
    const f = this.fields;
    this.spans = undefined;
    return f;
  }

  /** A field from a name as written and a raw value. */
  static field(name: string, value: string): HeaderField {
    checkHeaderText(name, value);
    return { name: canonicalHeaderName(name), key: headerKey(name), value };
  }

  /** The first value of `name`, or `undefined`. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every line of `name`, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (f.key === key) out.push(f.value);
    return out;
  }

  /** Whether at least one line of `name` is present. */
  has(name: string): boolean {
    const key = headerKey(name);
    return this.fields.some((f) => f.key === key);
  }

  /** How many lines of `name` are present. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.fields) if (f.key === key) n++;
    return n;
  }

  /**
   * Replaces every line of `name` by `values` (one line each), at the position of the first
   * existing line, or at the end.
   */
  set(name: string, values: string | readonly string[]): void {
    const list = typeof values === 'string' ? [values] : values;
    const key = headerKey(name);
    const canonical = canonicalHeaderName(name);
    for (const v of list) checkHeaderText(name, v);
    const fields = this.changing();
    const idx = fields.findIndex((f) => f.key === key);
    const rest = fields.filter((f) => f.key !== key);
    const added = list.map((value) => ({ name: canonical, key, value }));
    if (idx < 0) {
      this.fields = [...rest, ...added];
    } else {
      const before = fields.slice(0, idx).filter((f) => f.key !== key);
      this.fields = [...before, ...added, ...rest.slice(before.length)];
    }
  }

  /** Adds a line of `name` after the existing ones (at the end when none). */
  append(name: string, value: string): void {
    const f = SipHeaders.field(name, value);
    this.changing().push(f);
  }

  /** Adds a line of `name` before every other line of it (as a proxy adds its Via). */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const f = SipHeaders.field(name, value);
    const fields = this.changing();
    const idx = fields.findIndex((g) => g.key === key);
    if (idx < 0) fields.push(f);
    else fields.splice(idx, 0, f);
  }

  /** Removes every line of `name`; returns whether any was present. */
  delete(name: string): boolean {
    const key = headerKey(name);
    const fields = this.changing();
    const before = fields.length;
    this.fields = fields.filter((f) => f.key !== key);
    return this.fields.length !== before;
  }

  /** Every field in order. */
  all(): readonly HeaderField[] {
    return this.fields;
  }

  /** How many header lines there are. */
  get size(): number {
    return this.store === undefined ? this.lineKeys.length : this.store.length;
  }

  /** A deep copy. */
  clone(): SipHeaders {
    const copy = new SipHeaders([...this.fields]);
    // The parser's arrays are never changed in place, only dropped: the copy may share them.
    copy.src = this.src;
    copy.spans = this.spans;
    copy.lineNames = this.lineNames;
    copy.lineKeys = this.lineKeys;
    copy.folded = this.folded;
    return copy;
  }
}

const NAME_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Refuses a header name that is not a token and a value with CR or LF: written out, they would
 * end the header early and let text inject headers or a body (RFC 3261 §7.3.1: folding is
 * replaced by a single space when parsing, so a value never needs a line break; §25.1: a
 * quoted-pair may carry any other control character, NUL included).
 */
function checkHeaderText(name: string, value: string): void {
  if (!NAME_RE.test(name)) throw new SdkError(ErrorCode.InvalidArgument, `invalid header name ${JSON.stringify(name)}`);
  if (/[\r\n]/.test(value)) throw new SdkError(ErrorCode.InvalidArgument, `header ${name}: the value must not contain CR or LF`);
}

/**
 * How one header is read and written as a typed value. `parse` receives every line of the
 * header (a header may be spread over several lines and comma-separated within each) and throws
 * a `SipParseError` on malformed input; `format` returns the lines to write.
 */
export interface HeaderCodec<T> {
  /** Canonical header name. */
  readonly name: string;
  parse(lines: readonly string[]): T;
  format(value: T): string[];
}
