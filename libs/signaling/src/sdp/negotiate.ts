/**
 * Pure helpers of RFC 3264 offer/answer: directions, payload type allocation, codec and
 * telephone-event matching, and building m-lines. {@link SdpSession} strings them together.
 */
import type { MediaDescription } from 'sdp-transform';
import { ErrorCode, SdkError } from '@sip-endpoint/base';
import {
  DEFAULT_TELEPHONE_EVENTS,
  DYNAMIC_PAYLOAD_TYPE_MAX,
  DYNAMIC_PAYLOAD_TYPE_MIN,
  TELEPHONE_EVENT,
  codecKey,
  formatEventList,
  isAuxiliaryFormat,
  isTelephoneEvent,
  normalizeCodec,
  parseEventList,
  staticPayloadType,
  type SdpCodec,
} from './codecs';
import type { RemoteFormat, RemoteMedia } from './parse';
import type { AudioCapabilities, SdpCodecOrder, SdpLocalDescription, MediaCapabilities, MediaDirection, SdpOfferOptions, SdpMediaKind, TelephoneEventSpec } from './types';

/** RTP profiles we can run: RFC 3551 AVP, RFC 3711 SAVP and their RFC 4585/5124 feedback variants. */
export const SUPPORTED_PROTOCOLS: ReadonlySet<string> = new Set(['RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'RTP/SAVPF']);

/** Whether `protocol` is an SRTP profile (RFC 3711 §12). */
export function isSecureProtocol(protocol: string): boolean {
  return protocol === 'RTP/SAVP' || protocol === 'RTP/SAVPF';
}

/** A direction as two flags. */
export interface DirectionFlags {
  send: boolean;
  recv: boolean;
}

/** Splits a direction attribute into send/receive flags. */
export function toFlags(d: MediaDirection): DirectionFlags {
  return { send: d === 'sendrecv' || d === 'sendonly', recv: d === 'sendrecv' || d === 'recvonly' };
}

/** Joins send/receive flags into a direction attribute. */
export function fromFlags(send: boolean, recv: boolean): MediaDirection {
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  if (recv) return 'recvonly';
  return 'inactive';
}

/** The direction we ask for in an SDP we write, with hold applied. */
export function desiredDirection(options: SdpOfferOptions): MediaDirection {
  const base = options.direction ?? 'sendrecv';
  if (!options.hold) return base;
  // RFC 3264 §8.4: "If the stream to be placed on hold was previously a sendrecv media stream, it is placed on hold by marking it sendonly. If the stream to be placed on hold was previously a recvonly media stream, it is placed on hold by marking it inactive."
  return fromFlags(toFlags(base).send, false);
}

/** Our capabilities and port for one media kind, when we have both. */
export function capabilitiesFor(local: SdpLocalDescription, type: string): { kind: SdpMediaKind; caps: MediaCapabilities; port: number } | undefined {
  if (type !== 'audio' && type !== 'video') return undefined;
  const caps = local[type];
  const port = local.ports[type];
  if (!caps || port === undefined) return undefined;
  return { kind: type, caps, port };
}

/** Throws `SdkError` (`INVALID_ARGUMENT`) when a local description cannot be used. */
export function validateLocal(local: SdpLocalDescription): void {
  const bad = (m: string): never => {
    throw new SdkError(ErrorCode.InvalidArgument, `invalid local SDP description: ${m}`);
  };
  if (typeof local.address !== 'string' || !/^[0-9A-Za-z.:-]+$/.test(local.address)) bad(`address ${JSON.stringify(local.address)}`);
  for (const kind of ['audio', 'video'] as const) {
    const port = local.ports[kind];
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) bad(`${kind} port ${port}`);
    const caps = local[kind];
    if (!caps) continue;
    if (caps.codecs.length === 0) bad(`${kind} has no codecs`);
    for (const c of caps.codecs) {
      if (!/^[A-Za-z0-9_.+-]+$/.test(c.name)) bad(`${kind} codec name ${JSON.stringify(c.name)}`);
      if (!Number.isInteger(c.clockRate) || c.clockRate <= 0) bad(`${kind} codec ${c.name} clock rate ${c.clockRate}`);
    }
    for (const s of caps.crypto ?? []) if (!/^[A-Za-z0-9_]+$/.test(s.suite) || !s.keyParams) bad(`${kind} crypto suite ${JSON.stringify(s.suite)}`);
  }
  const audio: AudioCapabilities | undefined = local.audio;
  if (audio?.ptime !== undefined && (!Number.isInteger(audio.ptime) || audio.ptime <= 0)) bad(`ptime ${audio.ptime}`);
}

/** A codec placed at a payload type in an SDP we write. */
export interface PlacedCodec {
  readonly pt: number;
  readonly codec: SdpCodec;
  readonly key: string;
}

/**
 * Gives each codec a payload type: the static one when it has one (RFC 3551 §6), else a dynamic
 * one (96-127). RFC 3264 §8.3.2: "the mapping from a particular dynamic payload type number to
 * a particular codec within that media stream MUST NOT change for the duration of a session" —
 * `known` is the stream's mapping so far (ours and the remote's); a codec it knows keeps its
 * number, and a number it maps to another codec is never reused.
 */
export function allocatePayloadTypes(codecs: readonly { codec: SdpCodec; preferred?: number }[], known: ReadonlyMap<number, string>): PlacedCodec[] {
  const taken = new Set<number>();
  const out: PlacedCodec[] = [];
  const seen = new Set<string>();
  const isDynamic = (p: number): boolean => p >= DYNAMIC_PAYLOAD_TYPE_MIN && p <= DYNAMIC_PAYLOAD_TYPE_MAX;
  const free = (p: number, key: string): boolean => !taken.has(p) && (!known.has(p) || known.get(p) === key);
  for (const { codec, preferred } of codecs) {
    const key = codecKey(codec);
    if (seen.has(key)) continue;
    seen.add(key);
    let pt = staticPayloadType(codec);
    if (pt !== undefined && taken.has(pt)) pt = undefined;
    if (pt === undefined) {
      for (const [p, k] of known) {
        if (k === key && isDynamic(p) && !taken.has(p)) {
          pt = p;
          break;
        }
      }
    }
    if (pt === undefined && preferred !== undefined && isDynamic(preferred) && free(preferred, key)) pt = preferred;
    for (let p = DYNAMIC_PAYLOAD_TYPE_MIN; pt === undefined && p <= DYNAMIC_PAYLOAD_TYPE_MAX; p++) if (free(p, key)) pt = p;
    if (pt === undefined) throw new SdkError(ErrorCode.InvalidArgument, `no free dynamic payload type (96-127) left for ${codec.name}`);
    taken.add(pt);
    out.push({ pt, codec, key });
  }
  return out;
}

/** The telephone-event spec of audio capabilities, or undefined when DTMF events are off. */
export function telephoneEventSpec(caps: MediaCapabilities, kind: SdpMediaKind): TelephoneEventSpec | undefined {
  if (kind !== 'audio') return undefined;
  const te = (caps as AudioCapabilities).telephoneEvent;
  if (!te) return undefined;
  return te === true ? {} : te;
}

/** The telephone-event codec we put in an offer: 8000 Hz, events `0-16` unless configured. */
export function offeredTelephoneEvent(spec: TelephoneEventSpec): SdpCodec {
  return { name: TELEPHONE_EVENT, clockRate: spec.clockRate ?? 8000, channels: 1, fmtp: spec.events ?? '0-16' };
}

/** A pairing of an offered format with our codec. */
export interface CodecMatch {
  readonly offered: RemoteFormat;
  readonly local: SdpCodec;
}

/**
 * Picks the codecs of an answer: only codecs present in the offer (never one it did not list),
 * each at the offer's payload type. `local` order walks our list (priority order), `remote`
 * walks the offer's.
 */
export function matchCodecs(offered: readonly RemoteFormat[], localCodecs: readonly SdpCodec[], order: SdpCodecOrder, maxCodecs: number | undefined): CodecMatch[] {
  const candidates = offered.filter((o) => !isTelephoneEvent(o.name));
  const localKeys = localCodecs.map((c) => ({ codec: c, key: codecKey(c) }));
  const matches: CodecMatch[] = [];
  const usedPt = new Set<number>();
  const usedKey = new Set<string>();
  const add = (o: RemoteFormat, l: SdpCodec, key: string): void => {
    if (usedPt.has(o.payloadType) || usedKey.has(key)) return;
    usedPt.add(o.payloadType);
    usedKey.add(key);
    matches.push({ offered: o, local: l });
  };
  if (order === 'remote') {
    for (const o of candidates) {
      const key = codecKey(o);
      const l = localKeys.find((x) => x.key === key);
      if (l) add(o, l.codec, key);
    }
  } else {
    for (const l of localKeys) {
      const o = candidates.find((x) => codecKey(x) === l.key && !usedPt.has(x.payloadType));
      if (o) add(o, l.codec, l.key);
    }
  }
  if (maxCodecs === undefined) return matches;
  let real = 0;
  return matches.filter((m) => isAuxiliaryFormat(m.offered.name) || ++real <= maxCodecs);
}

/**
 * Picks the telephone-event formats of an answer, only among the offered ones (RFC 4733 §7.1.1).
 * Prefers the ones whose clock rate matches a chosen codec (RFC 4733 §2.1: the event clock
 * rate is that of the audio it accompanies); with no such match and no configured rate, keeps
 * the first offered one. The events are the intersection of ours and the offer's, or the offer's
 * list echoed when ours is not configured; an empty intersection drops the format.
 */
export function matchTelephoneEvents(offered: readonly RemoteFormat[], chosen: readonly CodecMatch[], spec: TelephoneEventSpec): { offered: RemoteFormat; fmtp?: string }[] {
  let candidates = offered.filter((o) => isTelephoneEvent(o.name));
  if (spec.clockRate !== undefined) candidates = candidates.filter((o) => o.clockRate === spec.clockRate);
  const rates = new Set(chosen.map((c) => c.offered.clockRate));
  let picked = spec.clockRate !== undefined ? candidates : candidates.filter((o) => rates.has(o.clockRate));
  if (picked.length === 0 && spec.clockRate === undefined) picked = candidates.slice(0, 1);
  const perRate = new Map<number, RemoteFormat>();
  for (const p of picked) if (!perRate.has(p.clockRate)) perRate.set(p.clockRate, p);
  const out: { offered: RemoteFormat; fmtp?: string }[] = [];
  for (const o of perRate.values()) {
    if (spec.events === undefined) {
      out.push(o.fmtp === undefined ? { offered: o } : { offered: o, fmtp: o.fmtp });
      continue;
    }
    const ours = parseEventList(spec.events) ?? new Set<number>();
    const theirs = parseEventList(o.fmtp ?? DEFAULT_TELEPHONE_EVENTS) ?? parseEventList(DEFAULT_TELEPHONE_EVENTS) ?? new Set<number>();
    const both = new Set([...ours].filter((e) => theirs.has(e)));
    if (both.size > 0) out.push({ offered: o, fmtp: formatEventList(both) });
  }
  return out;
}

/** Everything needed to write one active RTP m-line. */
export interface MediaLineSpec {
  readonly type: string;
  readonly port: number;
  readonly protocol: string;
  readonly formats: readonly { pt: number; codec: SdpCodec; fmtp?: string }[];
  readonly direction: MediaDirection;
  readonly rtcpMux: boolean;
  readonly ptime?: number;
  readonly crypto: readonly { tag: number; suite: string; keyParams: string; sessionParams?: string }[];
  readonly mid?: string;
}

/** Builds an active m-line for sdp-transform: rtpmap for every format (static ones too, as RFC 3264 §6.1 advises). */
export function mediaLine(spec: MediaLineSpec): MediaDescription {
  const m: MediaDescription = {
    type: spec.type,
    port: spec.port,
    protocol: spec.protocol,
    payloads: spec.formats.map((f) => f.pt).join(' '),
    rtp: spec.formats.map((f) =>
      f.codec.channels > 1 ? { payload: f.pt, codec: f.codec.name, rate: f.codec.clockRate, encoding: f.codec.channels } : { payload: f.pt, codec: f.codec.name, rate: f.codec.clockRate },
    ),
    fmtp: spec.formats.filter((f) => f.fmtp !== undefined && f.fmtp !== '').map((f) => ({ payload: f.pt, config: f.fmtp as string })),
    direction: spec.direction,
  };
  if (spec.mid !== undefined) m.mid = spec.mid;
  if (spec.ptime !== undefined) m.ptime = spec.ptime;
  if (spec.rtcpMux) m.rtcpMux = 'rtcp-mux';
  if (spec.crypto.length > 0) {
    m.crypto = spec.crypto.map((c) => (c.sessionParams ? { id: c.tag, suite: c.suite, config: c.keyParams, sessionConfig: c.sessionParams } : { id: c.tag, suite: c.suite, config: c.keyParams }));
  }
  return m;
}

/** Builds a disabled m-line: port 0 and one format (RFC 3264 §6: "At least one MUST be present, as specified by SDP"). */
export function disabledMediaLine(type: string, protocol: string, format: string | undefined, mid?: string): MediaDescription {
  const m: MediaDescription = { type, port: 0, protocol, payloads: format ?? '0', rtp: [], fmtp: [] };
  if (mid !== undefined) m.mid = mid;
  return m;
}

/** Dedupes and normalizes our codec list, keeping the preferred payload types. */
export function localCodecList(caps: MediaCapabilities): { codec: SdpCodec; preferred?: number }[] {
  return caps.codecs.map((c) => (c.payloadType === undefined ? { codec: normalizeCodec(c) } : { codec: normalizeCodec(c), preferred: c.payloadType }));
}

/** Whether `m` may be negotiated as RTP by us at all (media kind aside). */
export function rtpUsable(m: RemoteMedia): boolean {
  return SUPPORTED_PROTOCOLS.has(m.protocol);
}
