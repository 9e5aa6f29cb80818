/**
 * Codec identity for SDP negotiation: the RFC 3551 static payload types, how two rtpmap entries
 * are "the same codec", fmtp parameter helpers and RFC 4733 event lists.
 */
import type { CodecSpec } from './types';

/** A codec as it is written in SDP: encoding name, clock rate, channels, fmtp. */
export interface SdpCodec {
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp?: string;
}

/**
 * RFC 3551 §6 Tables 4 and 5: the static payload types, by number. Payload types 1, 2, 19 and
 * 20-24 are reserved or unassigned and are left out.
 */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, { readonly media: 'audio' | 'video'; readonly name: string; readonly clockRate: number; readonly channels: number }> = new Map([
  [0, { media: 'audio', name: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { media: 'audio', name: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { media: 'audio', name: 'G723', clockRate: 8000, channels: 1 }],
  [5, { media: 'audio', name: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { media: 'audio', name: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { media: 'audio', name: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { media: 'audio', name: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { media: 'audio', name: 'G722', clockRate: 8000, channels: 1 }],
  [10, { media: 'audio', name: 'L16', clockRate: 44100, channels: 2 }],
  [11, { media: 'audio', name: 'L16', clockRate: 44100, channels: 1 }],
  [12, { media: 'audio', name: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { media: 'audio', name: 'CN', clockRate: 8000, channels: 1 }],
  [14, { media: 'audio', name: 'MPA', clockRate: 90000, channels: 1 }],
  [15, { media: 'audio', name: 'G728', clockRate: 8000, channels: 1 }],
  [16, { media: 'audio', name: 'DVI4', clockRate: 11025, channels: 1 }],
  [17, { media: 'audio', name: 'DVI4', clockRate: 22050, channels: 1 }],
  [18, { media: 'audio', name: 'G729', clockRate: 8000, channels: 1 }],
  [25, { media: 'video', name: 'CelB', clockRate: 90000, channels: 1 }],
  [26, { media: 'video', name: 'JPEG', clockRate: 90000, channels: 1 }],
  [28, { media: 'video', name: 'nv', clockRate: 90000, channels: 1 }],
  [31, { media: 'video', name: 'H261', clockRate: 90000, channels: 1 }],
  [32, { media: 'video', name: 'MPV', clockRate: 90000, channels: 1 }],
  [33, { media: 'video', name: 'MP2T', clockRate: 90000, channels: 1 }],
  [34, { media: 'video', name: 'H263', clockRate: 90000, channels: 1 }],
]);

/** RFC 3551 §3: the dynamic payload type range. */
export const DYNAMIC_PAYLOAD_TYPE_MIN = 96;
/** RFC 3551 §3: the dynamic payload type range. */
export const DYNAMIC_PAYLOAD_TYPE_MAX = 127;

/** The encoding name of RFC 4733 DTMF events. */
export const TELEPHONE_EVENT = 'telephone-event';

/**
 * Brings a codec to the form SDP uses: opus is always `opus/48000/2` (RFC 7587 §7: "the media
 * subtype is opus, the clock rate 48000 and the channel count 2"); G722 is `G722/8000`
 * (RFC 3551 §4.5.2: the RTP clock rate is 8000 although it samples at 16000).
 */
export function normalizeCodec(spec: CodecSpec): SdpCodec {
  const lower = spec.name.toLowerCase();
  let clockRate = spec.clockRate;
  let channels = spec.channels ?? 1;
  if (lower === 'opus') {
    clockRate = 48000;
    channels = 2;
  } else if (lower === 'g722') {
    clockRate = 8000;
  }
  return spec.fmtp === undefined ? { name: spec.name, clockRate, channels } : { name: spec.name, clockRate, channels, fmtp: spec.fmtp };
}

/** The static payload type of `codec` (RFC 3551 §6), if it has one. */
export function staticPayloadType(codec: SdpCodec): number | undefined {
  for (const [pt, s] of STATIC_PAYLOAD_TYPES) {
    if (s.name.toLowerCase() === codec.name.toLowerCase() && s.clockRate === codec.clockRate && s.channels === codec.channels) return pt;
  }
  return undefined;
}

/** Parses `a=b;c=d` (RFC 8866 §6.15 format-specific parameters, the common `;`-separated form) into lower-cased keys. */
export function parseFmtpParams(fmtp: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!fmtp) return out;
  for (const part of fmtp.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out.set(p.toLowerCase(), '');
    else out.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return out;
}

/**
 * fmtp parameters that make two entries of the same encoding different payload formats, with
 * their default value:
 * - H264: RFC 6184 §8.2.2, "the packetization-mode ... MUST be the same" for a format to match (default 0);
 * - AMR, AMR-WB: RFC 4867 §8.3.1, octet-aligned and bandwidth-efficient modes do not interoperate (default 0).
 */
const DISTINGUISHING_PARAMS: Record<string, readonly (readonly [string, string])[]> = {
  h264: [['packetization-mode', '0']],
  amr: [['octet-align', '0']],
  'amr-wb': [['octet-align', '0']],
};

/**
 * The identity of a codec for matching an offer against our list and for payload type
 * mappings: name (case-insensitive), clock rate, channels and the distinguishing fmtp parameters.
 */
export function codecKey(codec: SdpCodec): string {
  const lower = codec.name.toLowerCase();
  let key = `${lower}/${codec.clockRate}/${codec.channels}`;
  const distinguishing = DISTINGUISHING_PARAMS[lower];
  if (distinguishing) {
    const params = parseFmtpParams(codec.fmtp);
    for (const [name, def] of distinguishing) key += `;${name}=${params.get(name) ?? def}`;
  }
  return key;
}

/** Whether `name` is RFC 4733 telephone-event. */
export function isTelephoneEvent(name: string): boolean {
  return name.toLowerCase() === TELEPHONE_EVENT;
}

/** Formats that are no codec by themselves (DTMF events, comfort noise): a stream with only these has no common codec. */
export function isAuxiliaryFormat(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === TELEPHONE_EVENT || lower === 'cn';
}

/** RFC 4733 §7.1.1: events 0-15 are implied when the fmtp is absent. */
export const DEFAULT_TELEPHONE_EVENTS = '0-15';

/**
 * Parses an RFC 4733 §7.1.1 event list (`0-15,66,70`) into a set of event codes (0-255).
 * Returns `undefined` when the list is not valid.
 */
export function parseEventList(list: string): Set<number> | undefined {
  const out = new Set<number>();
  for (const raw of list.split(',')) {
    const item = raw.trim();
    const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(item);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 255 || to > 255 || to < from) return undefined;
    for (let e = from; e <= to; e++) out.add(e);
  }
  return out;
}

/** Formats a set of event codes as an RFC 4733 list with ranges (`0-15,66`). */
export function formatEventList(events: ReadonlySet<number>): string {
  const sorted = [...events].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      end += 1;
      i += 1;
    }
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i += 1;
  }
  return parts.join(',');
}
