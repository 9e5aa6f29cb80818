/**
 * The SIP message model (RFC 3261 §7, §20, §25): typed values of the headers the stack
 * interprets. Header and URI parameter names are stored lower-cased (they compare
 * case-insensitively, RFC 3261 §7.3.1, §19.1.4); values keep their case. A parameter without a
 * value (`;lr`) is stored as `null`.
 */

/** Ordered `name -> value` parameters; `null` for a flag parameter such as `;lr`. */
export type Params = Map<string, string | null>;

/** A `sip:` or `sips:` URI (RFC 3261 §19.1). User and password are kept as written (escaped). */
export interface SipUri {
  readonly kind: 'sip';
  scheme: 'sip' | 'sips';
  user?: string | undefined;
  password?: string | undefined;
  /** Hostname, IPv4 address, or IPv6 reference with its brackets (`[::1]`). */
  host: string;
  port?: number | undefined;
  /** uri-parameters (`;transport=tcp;lr`), names lower-cased. */
  params: Params;
  /** URI headers (`?Replaces=...&X=y`), names as written, values as written (escaped). */
  headers: Map<string, string>;
}

/** A `tel:` URI (RFC 3966): the number with its visual separators as written, and parameters. */
export interface TelUri {
  readonly kind: 'tel';
  scheme: 'tel';
  number: string;
  params: Params;
}

/**
 * Any other absolute URI (`http:`, `mailto:`, `urn:`, unknown schemes): kept as written. Legal in
 * To/From/Contact (RFC 4475 §3.3.4); a Request-URI with such a scheme earns 416.
 */
export interface AbsoluteUri {
  readonly kind: 'absolute';
  /** Lower-cased scheme. */
  scheme: string;
  /** Everything after `scheme:`, as written. */
  value: string;
}

/** Any URI a SIP message can carry. */
export type Uri = SipUri | TelUri | AbsoluteUri;

/**
 * A name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route,
 * Refer-To, Referred-By, Reply-To, ...). `tag` is `params.get('tag')`.
 */
export interface NameAddr {
  /** The display name, unquoted and unescaped; `undefined` when absent. */
  displayName?: string | undefined;
  uri: Uri;
  /** Header parameters after the address (`;tag=...;expires=...`), names lower-cased. */
  params: Params;
}

/** One Via value (RFC 3261 §20.42). */
export interface Via {
  /** Protocol name and version, normally `SIP/2.0`. */
  protocol: string;
  /** Transport token upper-cased: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or an unknown token. */
  transport: string;
  host: string;
  port?: number | undefined;
  /** `branch`, `received`, `rport` (null when empty), `maddr`, `ttl`, ... names lower-cased. */
  params: Params;
}

/** CSeq (RFC 3261 §20.16). */
export interface CSeq {
  /** 32-bit unsigned sequence number. */
  seq: number;
  method: string;
}

/** A Contact header: either `*` (REGISTER removal, §10.2.2) or a list of addresses. */
export type ContactValue = { star: true } | { star: false; contacts: NameAddr[] };

/** A digest or other authentication challenge or credentials (RFC 3261 §20.27, §20.44, §22). */
export interface AuthValue {
  /** The scheme as written (`Digest`, `Basic`, `NoOneKnowsThisScheme`). */
  scheme: string;
  /** auth-params with names lower-cased and quoted values unquoted. */
  params: Map<string, string>;
}

/** Event / Allow-Events package with parameters (RFC 6665 §8.2.1). */
export interface EventValue {
  /** Event package name, lower-cased (`talk`, `refer`, `message-summary`). */
  event: string;
  params: Params;
}

/** Subscription-State (RFC 6665 §8.2.3). */
export interface SubscriptionStateValue {
  state: string;
  params: Params;
}

/** Replaces header (RFC 3891 §6.1). */
export interface ReplacesValue {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
  params: Params;
}

/** Content-Type / Accept media type (RFC 3261 §20.15, §20.1). */
export interface MediaType {
  /** `application`, lower-cased. */
  type: string;
  /** `sdp`, lower-cased. */
  subtype: string;
  params: Params;
}

/** Call-Info / Alert-Info value: `<uri>;params` (RFC 3261 §20.9, §20.4). */
export interface InfoValue {
  /** The URI between angle brackets, as written. */
  uri: string;
  params: Params;
}

/** Reason header value (RFC 3326). */
export interface ReasonValue {
  protocol: string;
  params: Params;
}

/** Retry-After (RFC 3261 §20.33). */
export interface RetryAfterValue {
  seconds: number;
  comment?: string | undefined;
  params: Params;
}

/** Limits applied while parsing; exceeding one is a `SipLimitError`. */
export interface ParseLimits {
  /** Largest message in bytes, headers and body (default 65535). */
  maxMessageSize: number;
  /** Most header fields (default 256). */
  maxHeaderCount: number;
  /** Longest line in the header section, after unfolding (default 8192). */
  maxLineLength: number;
}

/** The defaults of {@link ParseLimits}. */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageSize: 65_535,
  maxHeaderCount: 256,
  maxLineLength: 8_192,
});
