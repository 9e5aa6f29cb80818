/**
 * Reading a remote SDP: a strict check of the RFC 8866 §5 line structure, then sdp-transform for
 * the attributes, then a typed view of what negotiation needs.
 */
import { parse as parseSdpText, type MediaDescription } from 'sdp-transform';
import { STATIC_PAYLOAD_TYPES, type SdpCodec } from './codecs';
import { SdpFailureReason, SdpNegotiationError } from './errors';
import type { MediaDirection } from './types';

/** One payload format of a remote m-line, resolved from `a=rtpmap` or the static table. */
export interface RemoteFormat extends SdpCodec {
  readonly payloadType: number;
}

/** One `a=crypto` line (RFC 4568 §9.1). */
export interface RemoteCrypto {
  readonly tag: number;
  readonly suite: string;
  readonly keyParams: string;
  readonly sessionParams?: string;
}

/** One m-line of a remote SDP, with session-level defaults applied. */
export interface RemoteMedia {
  readonly index: number;
  readonly type: string;
  readonly port: number;
  readonly protocol: string;
  /** The format tokens of the m= line, in order. */
  readonly formats: readonly string[];
  /** RTP formats we could resolve, in m= line order (dynamic types without rtpmap are left out). */
  readonly codecs: readonly RemoteFormat[];
  /** Connection address (`c=` of the media, else of the session); undefined only for port 0 streams. */
  readonly address: string | undefined;
  /** The direction attribute (media level, else session level, else sendrecv: RFC 3264 §5.1). */
  readonly direction: MediaDirection;
  /** RFC 2543 hold: connection address 0.0.0.0 without ICE. */
  readonly legacyHold: boolean;
  readonly rtcp?: { readonly port: number; readonly address?: string };
  readonly rtcpMux: boolean;
  readonly ptime?: number;
  readonly crypto: readonly RemoteCrypto[];
  readonly mid?: string;
}

/** A remote SDP as negotiation sees it. */
export interface RemoteDescription {
  readonly origin: { readonly username: string; readonly sessionId: string; readonly sessionVersion: string };
  readonly media: readonly RemoteMedia[];
  /** The `t=` line (RFC 3264 §6: the answer repeats it). */
  readonly timing: { readonly start: number; readonly stop: number };
}

function malformed(message: string, line?: number): SdpNegotiationError {
  return new SdpNegotiationError(SdpFailureReason.Malformed, `malformed SDP: ${message}`, line === undefined ? {} : { line });
}

const ORIGIN_RE = /^o=(\S+) (\d+) (\d+) IN IP[46] (\S+)$/;
const CONNECTION_RE = /^c=IN IP([46]) (\S+)$/;
const MEDIA_RE = /^m=([A-Za-z0-9_.+-]+) (\d+)(?:\/\d+)? (\S+)((?: \S+)+)$/;

/**
 * Parses and checks a remote SDP. Throws {@link SdpNegotiationError} (`malformed`) when the text
 * breaks the RFC 8866 grammar in a way negotiation cannot work around.
 */
export function parseRemoteSdp(text: string): RemoteDescription {
  if (typeof text !== 'string' || text.trim() === '') throw malformed('empty body');
  const lines = text.split(/\r?\n/);
  // Trailing empty lines (the final CRLF) are fine; a blank line inside is not.
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  let origin: RemoteDescription['origin'] | undefined;
  let mediaCount = 0;
  const mediaHasConnection: boolean[] = [];
  let sessionConnection = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\s+$/, '');
    const n = i + 1;
    // RFC 8866 §5: "An SDP description consists of a number of lines of text of the form <type>=<value>, where <type> MUST be exactly one case-significant character".
    if (!/^[a-z]=/.test(line)) throw malformed(`line ${n} is not <type>=<value>: ${JSON.stringify(line.slice(0, 60))}`, n);
    if (i === 0 && line !== 'v=0') throw malformed('the first line must be v=0', n);
    const type = line[0];
    if (type === 'o') {
      const m = ORIGIN_RE.exec(line);
      if (!m) throw malformed(`bad o= line: ${JSON.stringify(line)}`, n);
      origin = { username: m[1] as string, sessionId: m[2] as string, sessionVersion: m[3] as string };
    } else if (type === 'c') {
      if (!CONNECTION_RE.test(line)) throw malformed(`bad c= line: ${JSON.stringify(line)}`, n);
      if (mediaCount === 0) sessionConnection = true;
      else mediaHasConnection[mediaCount - 1] = true;
    } else if (type === 'm') {
      const m = MEDIA_RE.exec(line);
      if (!m || Number(m[2]) > 65535) throw malformed(`bad m= line: ${JSON.stringify(line)}`, n);
      mediaCount += 1;
      mediaHasConnection.push(false);
    }
  }
  if (!origin) throw malformed('no o= line');

  const parsed = parseSdpText(lines.join('\r\n') + '\r\n');
  if (parsed.media.length !== mediaCount) throw malformed('m= lines could not be read');
  const sessionDirection = parsed.direction;
  const sessionAddress = parsed.connection?.ip;

  const media = parsed.media.map((m, index): RemoteMedia => {
    const hasConnection = mediaHasConnection[index] === true || sessionConnection;
    // RFC 8866 §5.7: "A session description MUST contain either at least one "c=" line in each media description or a single "c=" line at the session level."
    if (!hasConnection && m.port !== 0) throw malformed(`m-line ${index + 1} (${m.type}) has no c= line and the session has none`);
    const address = m.connection?.ip ?? sessionAddress;
    const formats = String(m.payloads ?? '')
      .split(' ')
      .filter((t) => t !== '');
    const hasIce = (m.candidates?.length ?? 0) > 0 || m.iceUfrag !== undefined || parsed.iceUfrag !== undefined;
    const out: RemoteMedia = {
      index,
      type: m.type,
      port: m.port,
      protocol: m.protocol,
      formats,
      codecs: resolveFormats(m, formats),
      address,
      direction: m.direction ?? sessionDirection ?? 'sendrecv',
      // RFC 3264 §8.4: "RFC 2543 [10] specified that placing a user on hold was accomplished by setting the connection address to 0.0.0.0."
      // JSEP (RFC 8829) writes c=IN IP4 0.0.0.0 as a placeholder when ICE is used: that is not a hold.
      legacyHold: address === '0.0.0.0' && !hasIce,
      rtcpMux: m.rtcpMux !== undefined,
      crypto: (m.crypto ?? []).map((c) =>
        c.sessionConfig === undefined
          ? { tag: c.id, suite: c.suite, keyParams: c.config }
          : { tag: c.id, suite: c.suite, keyParams: c.config, sessionParams: c.sessionConfig },
      ),
      ...(m.rtcp && Number.isInteger(m.rtcp.port) ? { rtcp: m.rtcp.address ? { port: m.rtcp.port, address: m.rtcp.address } : { port: m.rtcp.port } } : {}),
      ...(m.ptime !== undefined && Number.isFinite(Number(m.ptime)) ? { ptime: Number(m.ptime) } : {}),
      ...(m.mid !== undefined ? { mid: String(m.mid) } : {}),
    };
    return out;
  });
  const start = Number(parsed.timing?.start ?? 0);
  const stop = Number(parsed.timing?.stop ?? 0);
  return { origin, media, timing: { start: Number.isFinite(start) ? start : 0, stop: Number.isFinite(stop) ? stop : 0 } };
}

/** RFC 8866 §6.6: rtpmap gives each dynamic payload type its codec; static ones default to RFC 3551 §6. */
function resolveFormats(m: MediaDescription, formats: readonly string[]): RemoteFormat[] {
  if (!m.protocol.includes('RTP/')) return [];
  const out: RemoteFormat[] = [];
  for (const token of formats) {
    if (!/^\d{1,3}$/.test(token)) continue;
    const pt = Number(token);
    if (pt > 127) continue;
    const fmtp = m.fmtp.find((f) => f.payload === pt)?.config;
    const rtpmap = m.rtp.find((r) => r.payload === pt);
    let codec: SdpCodec | undefined;
    if (rtpmap && rtpmap.rate !== undefined) {
      codec = { name: rtpmap.codec, clockRate: rtpmap.rate, channels: Number(rtpmap.encoding ?? 1) || 1 };
    } else {
      const s = STATIC_PAYLOAD_TYPES.get(pt);
      if (s) codec = { name: s.name, clockRate: s.clockRate, channels: s.channels };
    }
    if (!codec) continue;
    out.push(fmtp === undefined ? { payloadType: pt, ...codec } : { payloadType: pt, ...codec, fmtp });
  }
  return out;
}
