import { SipHeaders, type HeaderCodec } from './headers';
import { headerKey } from './header-names';
import { H } from './codecs';
import { formatUri } from './format';
import { SipParseError } from './errors';
import type { ContactValue, CSeq, MediaType, NameAddr, Uri, Via } from './types';

const CRLF = '\r\n';

type ParseAt<T> = (s: string, from: number, to: number, acc: T | undefined, count: number) => T;

/** What the codecs of `H` (codecs.ts) carry besides {@link HeaderCodec}: see {@link parseLines}. */
interface OwnCodec<T> extends HeaderCodec<T> {
  readonly key: string;
  readonly parseAt?: ParseAt<T>;
}

/**
 * The typed value of the lines of `key` through `parseAt` (called once per line, in order, with
 * the value so far and the number of lines), or `undefined` when there is none. A line the
 * parser read is parsed in place in the text of the header section (a value sliced out of a
 * larger string is slower to read character by character); the private fields of `SipHeaders`
 * are read here, in the same layer, to keep its public surface unchanged.
 */
function parseLines<T>(headers: SipHeaders, key: string, parseAt: ParseAt<T>): T | undefined {
  const spans = headers['spans'];
  if (spans === undefined) {
    const fields = headers.all();
    let count = 0;
    for (let i = 0; i < fields.length; i++) if (fields[i]!.key === key) count++;
    if (count === 0) return undefined;
    let acc: T | undefined;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.key === key) acc = parseAt(f.value, 0, f.value.length, acc, count);
    }
    return acc;
  }
  // As parsed: lines by key, values in place in the text of the header section.
  const keys = headers['lineKeys'];
  let count = 0;
  let first = 0;
  let last = 0;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === key) {
      if (count++ === 0) first = i;
      last = i;
    }
  }
  if (count === 0) return undefined;
  const src = headers['src'];
  let acc: T | undefined;
  for (let i = first; i <= last; i++) {
    if (keys[i] !== key) continue;
    const from = spans[2 * i]!;
    if (from >= 0) {
      acc = parseAt(src, from, spans[2 * i + 1]!, acc, count);
    } else {
      const v = headers['folded']![i]!;
      acc = parseAt(v, 0, v.length, acc, count);
    }
  }
  return acc;
}
const EMPTY = Buffer.alloc(0);
const EMPTY_VALUES: unknown[] = [];

/**
 * What both requests and responses have: headers (raw, with typed views through codecs) and a
 * body. Typed values are parsed on first access and cached; setting a typed value updates the
 * raw header lines. Mutate typed values through {@link SipMessageBase.set}, not in place.
 */
export abstract class SipMessageBase {
  /**
   * The header section. Prefer the typed accessors, or `setHeader`/`appendHeader`: changes made
   * directly here do not clear the typed values already read through `get`.
   */
  readonly headers: SipHeaders;
  /** The body bytes (empty when none). */
  body: Buffer;
  // Typed values by codec: a message caches a handful, so parallel arrays beat a Map here.
  private cacheCodecs: HeaderCodec<unknown>[] | undefined = undefined;
  private cacheValues: unknown[] = EMPTY_VALUES;

  constructor(headers?: SipHeaders, body?: Buffer | string) {
    this.headers = headers ?? new SipHeaders();
    this.body = body === undefined ? EMPTY : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  }

  /**
   * The typed value of a header through its codec (see `H`), parsed once and cached.
   * Throws `SipParseError` when the header is malformed; `undefined` when it is absent.
   */
  get<T>(codec: HeaderCodec<T>): T | undefined {
    const idx = this.cacheCodecs === undefined ? -1 : this.cacheCodecs.indexOf(codec as HeaderCodec<unknown>);
    if (idx >= 0) return this.cacheValues[idx] as T;
    let v: T | undefined;
    const own = codec as OwnCodec<T>;
    if (own.parseAt !== undefined) {
      // A codec of `H`: parsed in place in the text the message was read from.
      v = parseLines(this.headers, own.key, own.parseAt);
      if (v === undefined) return undefined;
    } else {
      const lines = this.headers.getAll(codec.name);
      if (lines.length === 0) return undefined;
      v = codec.parse(lines);
    }
    this.remember(codec, v);
    return v;
  }

  /** Like {@link SipMessageBase.get}, but a missing header is a `SipParseError` naming it. */
  require<T>(codec: HeaderCodec<T>): T {
    const v = this.get(codec);
    if (v === undefined) throw missingHeader(codec.name);
    return v;
  }

  /** Sets a header from a typed value (replacing its lines), or removes it with `undefined`. */
  set<T>(codec: HeaderCodec<T>, value: T | undefined): this {
    this.invalidate(codec.name);
    if (value === undefined) {
      this.headers.delete(codec.name);
      return this;
    }
    this.headers.set(codec.name, codec.format(value));
    this.remember(codec, value);
    return this;
  }

  /** Sets raw header lines (or removes the header with `undefined`). */
  setHeader(name: string, value: string | readonly string[] | undefined): this {
    this.invalidate(name);
    if (value === undefined) this.headers.delete(name);
    else this.headers.set(name, value);
    return this;
  }

  /** Appends one raw header line. */
  appendHeader(name: string, value: string): this {
    this.invalidate(name);
    this.headers.append(name, value);
    return this;
  }

  /** Adds one Via on top (as a UAC or proxy does when sending, RFC 3261 §8.1.1.7, §16.6). */
  pushVia(via: Via): this {
    const current = this.get(H.Via) ?? [];
    return this.set(H.Via, [via, ...current]);
  }

  private remember(codec: HeaderCodec<unknown>, value: unknown): void {
    if (this.cacheCodecs === undefined) {
      // Allocated on the first typed read: many messages are only forwarded or dropped.
      this.cacheCodecs = [];
      this.cacheValues = [];
    }
    this.cacheCodecs.push(codec);
    this.cacheValues.push(value);
  }

  private invalidate(name: string): void {
    const codecs = this.cacheCodecs;
    if (codecs === undefined) return;
    const key = headerKey(name);
    for (let i = codecs.length - 1; i >= 0; i--) {
      if (headerKey(codecs[i]!.name) === key) {
        codecs.splice(i, 1);
        this.cacheValues.splice(i, 1);
      }
    }
  }

  /** Every Via, top first (RFC 3261 §20.42). */
  get via(): Via[] {
    return this.require(H.Via);
  }
  /** The topmost Via. */
  get topVia(): Via {
    const v = this.via[0];
    if (!v) throw missingHeader('Via');
    return v;
  }
  /** From (RFC 3261 §20.20). */
  get from(): NameAddr {
    return this.require(H.From);
  }
  /** To (RFC 3261 §20.39). */
  get to(): NameAddr {
    return this.require(H.To);
  }
  /** Call-ID (RFC 3261 §20.8). */
  get callId(): string {
    return this.require(H.CallId);
  }
  /** CSeq (RFC 3261 §20.16). */
  get cseq(): CSeq {
    return this.require(H.CSeq);
  }
  /** Contact (RFC 3261 §20.10), or `undefined` when absent. */
  get contact(): ContactValue | undefined {
    return this.get(H.Contact);
  }
  /** Content-Type, or `undefined`. */
  get contentType(): MediaType | undefined {
    return this.get(H.ContentType);
  }
  /** The branch parameter of the top Via, or `undefined`. */
  get branch(): string | undefined {
    return this.via[0]?.params.get('branch') ?? undefined;
  }

  /** The start line without CRLF. */
  abstract startLine(): string;

  /** The message as bytes, with Content-Length set to the body size (RFC 3261 §20.14). */
  serialize(): Buffer {
    const parts: string[] = [this.startLine()];
    let wroteLength = false;
    for (const f of this.headers.all()) {
      if (f.key === 'content-length') {
        if (wroteLength) continue;
        wroteLength = true;
        parts.push(`Content-Length: ${this.body.length}`);
        continue;
      }
      parts.push(`${f.name}: ${f.value}`);
    }
    if (!wroteLength) parts.push(`Content-Length: ${this.body.length}`);
    const head = Buffer.from(parts.join(CRLF) + CRLF + CRLF, 'utf8');
    return this.body.length ? Buffer.concat([head, this.body]) : head;
  }

  /** The message as text (body decoded as UTF-8), for logs and tests. */
  toString(): string {
    return this.serialize().toString('utf8');
  }
}

/** A SIP request (RFC 3261 §7.1). */
export class SipRequest extends SipMessageBase {
  readonly isRequest = true as const;
  /**
   * @param method the method token, case-sensitive (RFC 3261 §7.1)
   * @param uri the Request-URI
   */
  constructor(
    public method: string,
    public uri: Uri,
    headers?: SipHeaders,
    body?: Buffer | string,
    /** The SIP-Version of the start line. */
    public version = 'SIP/2.0',
  ) {
    super(headers, body);
  }

  startLine(): string {
    return `${this.method} ${formatUri(this.uri)} ${this.version}`;
  }

  /** A copy with its own headers and body buffer reference. */
  clone(): SipRequest {
    return new SipRequest(this.method, this.uri, this.headers.clone(), this.body, this.version);
  }
}

/** A SIP response (RFC 3261 §7.2). */
export class SipResponse extends SipMessageBase {
  readonly isRequest = false as const;
  constructor(
    public status: number,
    public reason: string,
    headers?: SipHeaders,
    body?: Buffer | string,
    public version = 'SIP/2.0',
  ) {
    super(headers, body);
  }

  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }

  clone(): SipResponse {
    return new SipResponse(this.status, this.reason, this.headers.clone(), this.body, this.version);
  }
}

/** A request or a response. */
export type SipMessage = SipRequest | SipResponse;

function missingHeader(name: string): SipParseError {
  return new SipParseError(`missing mandatory header ${name}`, { header: name, status: 400, reason: `Missing ${name}` });
}
