/**
 * The one table of settings. Every setting is a zod leaf created by one of the helpers below,
 * which also records its metadata (doc string, default, when a change applies, how it is spelled
 * as text in the XML file). The typed object {@link EndpointConfig}, validation, the JSON Schema
 * export, the runtime keys and `docs/config-reference.md` all come from this file.
 *
 * Naming: the Genesys containers keep the Genesys spellings (`policy.session.auto_answer`), so the
 * typed path and the runtime key are the same; the SDK's own domains (`sip`, `logging`) use
 * camelCase, as TypeScript does.
 */
import { z } from 'zod';

/** When a change of a setting takes effect in a running endpoint. */
export type ApplyMode = 'live' | 'reregister' | 'restart';

/** How a setting is written as text (XML attribute, runtime `get`/`set` string). */
export type SettingKind = 'boolean' | 'integer' | 'string' | 'enum' | 'list';

/** Metadata of one setting, as kept in the settings table. */
export interface SettingMeta {
  /** How the value is spelled as text. */
  readonly kind: SettingKind;
  /** What the setting means, for a person. */
  readonly doc: string;
  /** When a change takes effect. */
  readonly applies: ApplyMode;
  /** The default value (typed); `undefined` for required settings. */
  readonly defaultValue: boolean | number | string | readonly string[] | undefined;
  /** Allowed values of an `enum` setting (matched case-insensitively in text). */
  readonly values?: readonly string[];
  /** Lowest allowed value of an `integer` setting. */
  readonly min?: number;
  /** Highest allowed value of an `integer` setting. */
  readonly max?: number;
  /** A credential: documented as such and never logged. */
  readonly secret?: boolean;
  /** For integers: the value that empty or non-numeric text means, instead of an error. */
  readonly lenientInteger?: number;
  /** Whether the setting comes from the Genesys SDK (else it is one of this SDK's own). */
  readonly genesys: boolean;
}

const leafMeta = new WeakMap<object, SettingMeta>();

function leaf<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  leafMeta.set(schema, meta);
  return schema;
}

/** @internal the metadata of a leaf schema, or `undefined` for a group/list node. */
export function metaOf(schema: object): SettingMeta | undefined {
  return leafMeta.get(schema);
}

interface LeafOptions {
  applies: ApplyMode;
  genesys?: boolean;
  secret?: boolean;
}

function bool(defaultValue: boolean, doc: string, o: LeafOptions) {
  return leaf(z.boolean().default(defaultValue), { kind: 'boolean', doc, defaultValue, applies: o.applies, genesys: o.genesys ?? true });
}

function int(defaultValue: number, min: number, max: number, doc: string, o: LeafOptions & { lenient?: number }) {
  return leaf(z.number().int().min(min).max(max).default(defaultValue), {
    kind: 'integer',
    doc,
    defaultValue,
    min,
    max,
    applies: o.applies,
    genesys: o.genesys ?? true,
    ...(o.lenient !== undefined ? { lenientInteger: o.lenient } : {}),
  });
}

function port(defaultValue: number, doc: string, o: LeafOptions) {
  return int(defaultValue, 0, 65535, doc, o);
}

function str(defaultValue: string, doc: string, o: LeafOptions) {
  return leaf(z.string().default(defaultValue), {
    kind: 'string',
    doc,
    defaultValue,
    applies: o.applies,
    genesys: o.genesys ?? true,
    ...(o.secret ? { secret: true } : {}),
  });
}

function oneOf<const V extends readonly [string, ...string[]]>(values: V, defaultValue: V[number], doc: string, o: LeafOptions) {
  return leaf(z.enum(values).default(defaultValue as never), { kind: 'enum', doc, defaultValue, values, applies: o.applies, genesys: o.genesys ?? true });
}

function list(doc: string, o: LeafOptions) {
  return leaf(z.array(z.string().min(1, 'must not be empty')).default([]), { kind: 'list', doc, defaultValue: [], applies: o.applies, genesys: o.genesys ?? true });
}

/** A section: an object whose missing keys take their defaults, and which may itself be missing. */
function group<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).prefault({} as never);
}

// ---------------------------------------------------------------------------------------------
// Basic container: <Connectivity user server protocol/>

/** `host`, `host:port`, `[v6]` or `[v6]:port`; the port must be 1..65535. */
function checkServer(value: string, ctx: z.RefinementCtx): void {
  if (value === '') return; // reported by min(1)
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+)(?::(\d+))?$/.exec(value);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not host[:port]` });
    return;
  }
  if (m[2] !== undefined) {
    const p = Number(m[2]);
    if (p < 1 || p > 65535) ctx.addIssue({ code: 'custom', message: `port ${m[2]} is out of range 1..65535` });
  }
}

const required = (what: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? `${what} is required` : `${what} must be a string`),
});

const connectivitySchema = z.object({
  user: leaf(z.string(required('user')).min(1, 'user must not be empty'), {
    kind: 'string',
    doc: 'The DN (user part) this line registers, e.g. `5001`.',
    defaultValue: undefined,
    applies: 'reregister',
    genesys: true,
  }),
  server: leaf(z.string(required('server')).min(1, 'server must not be empty').superRefine(checkServer), {
    kind: 'string',
    doc: 'The SIP Server of this line: `host[:port]` (IPv6 in brackets). A domain name is resolved per RFC 3263.',
    defaultValue: undefined,
    applies: 'reregister',
    genesys: true,
  }),
  protocol: oneOf(['UDP', 'TCP', 'TLS'], 'UDP', 'Transport towards the SIP Server. Runtime key also spelled `transport:N`.', { applies: 'reregister' }),
});

// ---------------------------------------------------------------------------------------------
// Genesys container

const endpointSection = group({
  public_address: str('', 'Address put in Via/Contact/SDP: an IP address or FQDN; empty = the address of the interface used.', { applies: 'reregister' }),
  ip_versions: oneOf(['ipv4', 'ipv6', 'ipv4,ipv6', 'ipv6,ipv4'], 'ipv4', 'IP versions used, in order of preference.', { applies: 'restart' }),
  signaling_qos: int(0, 0, 255, 'IP Type-of-Service byte (DSCP << 2) of SIP packets.', { applies: 'restart' }),
  audio_qos: int(0, 0, 255, 'IP Type-of-Service byte of audio RTP packets.', { applies: 'live' }),
  video_qos: int(0, 0, 255, 'IP Type-of-Service byte of video RTP packets.', { applies: 'live' }),
  include_os_version_in_user_agent_header: bool(true, 'Whether the User-Agent header names the operating system version.', { applies: 'live' }),
  sip_port_min: port(5060, 'Lowest local SIP port tried when a transport port is 0.', { applies: 'restart' }),
  sip_port_max: port(5080, 'Highest local SIP port tried when a transport port is 0.', { applies: 'restart' }),
  rtp_port_min: port(9000, 'Lowest local RTP port.', { applies: 'live' }),
  rtp_port_max: port(9999, 'Highest local RTP port.', { applies: 'live' }),
  rtp_inactivity_timeout: int(0, 0, 3600, 'Seconds without received RTP after which a call is ended; 0 = never.', { applies: 'live' }),
  vq_report_publish: bool(false, 'Whether RTCP-XR voice-quality reports are sent by PUBLISH (RFC 6035) at call end.', { applies: 'live' }),
  vq_report_collector: str('', 'SIP URI of the voice-quality report collector; empty = the registrar.', { applies: 'live' }),
});

const sessionSection = group({
  agc_mode: bool(false, 'Automatic gain control of the microphone.', { applies: 'live' }),
  dtx_mode: bool(false, 'Discontinuous transmission (no packets during silence) where the codec supports it.', { applies: 'live' }),
  vad_level: int(0, 0, 3, 'Voice activity detection aggressiveness, 0 (off) .. 3.', { applies: 'live' }),
  reject_session_when_headset_na: bool(false, 'Reject incoming calls when the required headset is not present.', { applies: 'live' }),
  sip_code_when_headset_na: int(480, 400, 699, 'SIP status code of that rejection.', { applies: 'live' }),
  auto_answer: bool(false, 'Answer every incoming call automatically.', { applies: 'live' }),
  auto_accept_video: bool(false, 'Accept video offered in an incoming call.', { applies: 'live' }),
  dtmf_method: oneOf(['rfc2833', 'Info', 'InbandRtp'], 'rfc2833', 'How DTMF is sent: RTP events (RFC 4733), SIP INFO or in-band tones.', { applies: 'live' }),
});

const deviceSection = group({
  use_headset: bool(false, 'Use the first present `headset_name` device for audio.', { applies: 'live' }),
  headset_name: list('Headset device names (regular expressions), in priority order; repeat the setting for several.', { applies: 'live' }),
  audio_in_device: list('Microphone device names (regular expressions), in priority order.', { applies: 'live' }),
  audio_out_device: list('Speaker device names (regular expressions), in priority order.', { applies: 'live' }),
});

/** Codec names the Genesys configuration knows, as spelled there. */
export const KNOWN_CODECS = [
  'PCMU/8000',
  'PCMA/8000',
  'G722/16000',
  'G729/8000',
  'iLBC/8000',
  'iSAC/16000',
  'iSAC/32000',
  'opus/48000/2',
  'telephone-event',
  'ulpfec',
  'red',
  'vp8',
  'vp9',
  'h264',
] as const;

/** A codec name the configuration knows. */
export type CodecName = (typeof KNOWN_CODECS)[number];

/** Codec priorities used when the configuration names no codec at all. */
export const DEFAULT_CODEC_PRIORITIES: Readonly<Partial<Record<CodecName, number>>> = Object.freeze({
  'PCMU/8000': 3,
  'PCMA/8000': 2,
  'telephone-event': 1,
});

const codecShape = Object.fromEntries(
  KNOWN_CODECS.map((name) => [
    name,
    int(0, 0, 127, `Priority of ${name}: 1..127, higher preferred, unique among codecs; 0 or empty = disabled.`, { applies: 'live' }),
  ]),
) as Record<CodecName, z.ZodDefault<z.ZodNumber>>;

const codecsSchema = group(codecShape);

const natSection = group({
  ice_enabled: bool(false, 'Gather ICE candidates (RFC 8445) for media.', { applies: 'reregister' }),
  stun_server: str('', 'STUN server host; empty = no STUN.', { applies: 'reregister' }),
  stun_server_port: port(3478, 'STUN server port.', { applies: 'reregister' }),
  turn_server: str('', 'TURN server host; empty = no TURN.', { applies: 'reregister' }),
  turn_server_port: port(3478, 'TURN server port.', { applies: 'reregister' }),
  turn_user_name: str('', 'TURN user name.', { applies: 'reregister' }),
  turn_password: str('', 'TURN password.', { applies: 'reregister', secret: true }),
  turn_relay_type: int(0, 0, 1, 'TURN relay transport: 0 = UDP, 1 = TCP.', { applies: 'reregister' }),
});

const mailboxSection = group({
  user: str('', 'Mailbox user for the message-waiting (MWI) subscription; empty = no subscription.', { applies: 'reregister' }),
  server: str('', 'Mailbox server `host[:port]`; empty = the line\'s server.', { applies: 'reregister' }),
  transport: oneOf(['udp', 'tcp', 'tls'], 'udp', 'Transport of the MWI subscription.', { applies: 'reregister' }),
  timeout: int(1800, 0, 86400, 'Expiry (seconds) of the MWI subscription.', { applies: 'reregister' }),
  password: str('', 'Mailbox password.', { applies: 'reregister', secret: true }),
});

const proxySchema = group({
  reg_timeout: int(1800, 0, 2_147_483_647, 'Registration expiry in seconds; 0, empty or non-numeric = standalone (no REGISTER).', {
    applies: 'reregister',
    lenient: 0,
  }),
  reg_interval: int(30, 0, 86400, 'Seconds before a new registration attempt after a failure.', { applies: 'reregister' }),
  reg_match_received_rport: bool(false, 'Re-register with the address seen by the server (Via received/rport) when it differs.', { applies: 'reregister' }),
  password: str('', 'Digest password of this line.', { applies: 'reregister', secret: true }),
  display_name: str('', 'Display name in From/Contact of this line.', { applies: 'reregister' }),
  mailbox: mailboxSection,
  nat: natSection,
});

const diagnosticsSection = group({
  enable_logging: bool(false, 'The endpoint writes its own log (JSON Lines) to `log_file`, at `log_level`.', { applies: 'live' }),
  logger_type: str('file', 'Log destination type: `file` (the only type; another writes no file).', { applies: 'live' }),
  log_file: str('SipEndpoint.log', 'Log file path.', { applies: 'live' }),
  log_level: int(3, 0, 4, 'Log level: 0 fatal, 1 error, 2 warning, 3 info, 4 debug.', { applies: 'live' }),
  log_options_provider: str('', 'Extra log options of the provider (opaque string).', { applies: 'live' }),
});

const securitySection = group({
  tls_enabled: bool(false, 'Enable the TLS transport.', { applies: 'restart' }),
  cert_file: str('', 'Certificate (PEM) presented on TLS connections.', { applies: 'restart' }),
  use_srtp: oneOf(['disabled', 'optional', 'mandatory'], 'disabled', 'SRTP (RFC 3711) policy for media.', { applies: 'live' }),
});

// ---------------------------------------------------------------------------------------------
// The SDK's own settings

const sdk: LeafOptions = { applies: 'live', genesys: false };
const sdkRestart: LeafOptions = { applies: 'restart', genesys: false };

const sipSchema = group({
  timers: group({
    // RFC 3261 §17.1.1.1: T1 is an estimate of the round-trip time (RTT), and it defaults to 500 ms.
    t1Ms: int(500, 1, 60_000, 'SIP timer T1 (RTT estimate), ms (RFC 3261 §17.1.1.1).', sdk),
    // RFC 3261 Table 4: T2 = 4 s, "The maximum retransmit interval for non-INVITE requests and INVITE responses".
    t2Ms: int(4000, 1, 600_000, 'SIP timer T2 (maximum retransmit interval), ms (RFC 3261 §17.1.2.2).', sdk),
    // RFC 3261 Table 4: T4 = 5 s, "Maximum duration a message will remain in the network".
    t4Ms: int(5000, 1, 600_000, 'SIP timer T4 (maximum message lifetime in the network), ms (RFC 3261 Table 4).', sdk),
  }),
  transports: group({
    udp: group({
      enabled: bool(true, 'Listen on UDP.', sdkRestart),
      port: port(0, 'Local UDP port; 0 = first free in `sip_port_min`..`sip_port_max`.', sdkRestart),
    }),
    tcp: group({
      enabled: bool(true, 'Listen on TCP.', sdkRestart),
      port: port(0, 'Local TCP port; 0 = first free in `sip_port_min`..`sip_port_max`.', sdkRestart),
    }),
    tls: group({
      enabled: bool(false, 'Listen on TLS.', sdkRestart),
      port: port(0, 'Local TLS port; 0 = first free in `sip_port_min`..`sip_port_max`.', sdkRestart),
    }),
  }),
  tls: group({
    certFile: str('', 'PEM certificate chain of this endpoint.', sdkRestart),
    keyFile: str('', 'PEM private key of this endpoint.', sdkRestart),
    caFile: str('', 'PEM CA bundle used to verify servers; empty = the system store.', sdkRestart),
    verifyPeer: bool(true, 'Verify the server certificate and name.', sdkRestart),
  }),
  dns: group({
    servers: list('DNS servers `ip[:port]` used for RFC 3263 lookups, in order; empty = the system resolvers.', sdk),
  }),
});

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

const loggingSchema = group({
  level: oneOf(LOG_LEVELS, 'info', 'Lowest level the SDK logs.', sdk),
  console: group({
    enabled: bool(false, 'Write log lines to stderr.', sdk),
    level: oneOf(LOG_LEVELS, 'info', 'Lowest level written to stderr.', sdk),
  }),
  file: group({
    enabled: bool(false, 'Write log lines to a file.', sdk),
    path: str('sip-endpoint.log', 'Path of the log file.', sdk),
    level: oneOf(LOG_LEVELS, 'debug', 'Lowest level written to the file.', sdk),
  }),
});

// ---------------------------------------------------------------------------------------------
// Root and cross-field checks

const rootObject = z.object({
  connectivity: z.array(connectivitySchema).default([]),
  policy: group({ endpoint: endpointSection, session: sessionSection, device: deviceSection }),
  codecs: codecsSchema,
  proxies: z.array(proxySchema).default([]),
  system: group({ diagnostics: diagnosticsSection, security: securitySection }),
  sip: sipSchema,
  logging: loggingSchema,
});

/** The zod schema of the whole configuration (typed form, as in JSON). */
export const endpointConfigSchema = rootObject.superRefine((c, ctx) => {
  const byPriority = new Map<number, string>();
  for (const name of KNOWN_CODECS) {
    const prio = c.codecs[name];
    if (prio <= 0) continue;
    const first = byPriority.get(prio);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['codecs', name], message: `priority ${prio} is already used by ${first}` });
    else byPriority.set(prio, name);
  }
  const range = (section: 'endpoint', lo: 'sip_port_min' | 'rtp_port_min', hi: 'sip_port_max' | 'rtp_port_max') => {
    const e = c.policy[section];
    if (e[lo] > e[hi]) ctx.addIssue({ code: 'custom', path: ['policy', section, lo], message: `${lo} (${e[lo]}) is greater than ${hi} (${e[hi]})` });
  };
  range('endpoint', 'sip_port_min', 'sip_port_max');
  range('endpoint', 'rtp_port_min', 'rtp_port_max');
  const t = c.sip.timers;
  if (t.t1Ms > t.t2Ms) ctx.addIssue({ code: 'custom', path: ['sip', 'timers', 't1Ms'], message: `T1 (${t.t1Ms} ms) is greater than T2 (${t.t2Ms} ms)` });
});

/** The root object schema without the cross-field checks, for walking its shape. @internal */
export const rootShapeSchema: z.ZodType = rootObject;

/** The typed configuration: every setting present, defaults filled in. */
export type EndpointConfig = z.output<typeof endpointConfigSchema>;

/** What a caller may pass to {@link createConfig}: the typed form with every setting optional. */
export type EndpointConfigInput = z.input<typeof endpointConfigSchema>;

/** One SIP Server line of the Basic container. */
export type ConnectivityConfig = EndpointConfig['connectivity'][number];

/** The `proxies.proxyN` settings of one line. */
export type ProxyConfig = EndpointConfig['proxies'][number];
