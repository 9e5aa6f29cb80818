/**
 * The simulator's side of offer/answer (RFC 3264) for one leg: it always offers and answers
 * PCMU with telephone-event on its relay port, so both legs of a call carry the same codec and
 * the relay never transcodes.
 */
import { ErrorCode, SdkError } from '@sip-endpoint/base';
import type { SessionDescriptionHandler } from '@sip-endpoint/signaling';
import type { RelayPort, RtpRelay } from './relay';

type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What the simulator reads from a remote SDP. */
export interface RemoteMedia {
  readonly address: string;
  readonly port: number;
  readonly direction: Direction;
  /** The payload type of telephone-event (RFC 4733), if offered. */
  readonly telephoneEventPt: number | undefined;
  readonly hasPcmu: boolean;
}

/** Parses the first audio stream of `sdp` (enough for the endpoints this server drives). */
export function readRemoteMedia(sdp: string): RemoteMedia {
  const lines = sdp.split(/\r?\n/);
  let address = '';
  let port = -1;
  let direction: Direction = 'sendrecv';
  let te: number | undefined;
  let pts: string[] = [];
  let inAudio = false;
  for (const l of lines) {
    if (l.startsWith('m=')) {
      if (inAudio) break;
      const m = /^m=audio (\d+) \S+ ?(.*)$/.exec(l);
      if (m) {
        inAudio = true;
        port = Number(m[1]);
        pts = (m[2] ?? '').trim().split(/\s+/);
      }
      continue;
    }
    if (l.startsWith('c=')) {
      // RFC 4566 §5.7: a media-level c= overrides the session-level one.
      const c = /^c=IN IP[46] (\S+)/.exec(l);
      if (c?.[1] && (inAudio || !address)) address = c[1];
      continue;
    }
    if (!inAudio) continue;
    const d = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(l);
    if (d) direction = d[1] as Direction;
    const r = /^a=rtpmap:(\d+) telephone-event\/8000/i.exec(l);
    if (r) te = Number(r[1]);
  }
  if (port < 0) throw new SdkError(ErrorCode.SdpNegotiation, 'no audio stream in the SDP');
  return { address, port, direction, telephoneEventPt: te, hasPcmu: pts.includes('0') };
}

/** The SDP of the simulator for one leg. */
export function simulatorSdp(o: { sessionId: number; version: number; port: number; direction: Direction; telephoneEventPt?: number | undefined }): string {
  const te = o.telephoneEventPt ?? 101;
  return (
    [
      'v=0',
      `o=sipserver ${o.sessionId} ${o.version} IN IP4 127.0.0.1`,
      's=simulated SIP Server',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${o.port} RTP/AVP 0 ${te}`,
      'a=rtpmap:0 PCMU/8000',
      `a=rtpmap:${te} telephone-event/8000`,
      `a=fmtp:${te} 0-15`,
      'a=ptime:20',
      `a=${o.direction}`,
    ].join('\r\n') + '\r\n'
  );
}

const ANSWER_DIRECTION: Record<Direction, Direction> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

/**
 * The session description handler of one leg: a port of the relay, allocated on first use and
 * closed when the session ends.
 */
export class LegSdh implements SessionDescriptionHandler {
  private port: RelayPort | undefined;
  private allocating: Promise<RelayPort> | undefined;
  private readonly sessionId = Math.floor(Math.random() * 1e9);
  private version = 0;
  private remote: RemoteMedia | undefined;
  private disposed = false;

  constructor(
    private readonly relay: RtpRelay,
    /** The call (ConnID) this leg belongs to now; it may move (transfer, conference). */
    private group: string,
  ) {}

  /** The relay port, once allocated. */
  get relayPort(): RelayPort | undefined {
    return this.port;
  }

  /** Allocates the relay port now (idempotent). */
  ensurePort(): Promise<RelayPort> {
    this.allocating ??= this.relay.allocate(this.group).then((p) => {
      if (this.disposed) p.dispose();
      this.port = p;
      return p;
    });
    return this.allocating;
  }

  /** Moves this leg into another call's media group. */
  moveTo(group: string): void {
    this.group = group;
    if (this.port) this.port.group = group;
  }

  get remoteHold(): boolean {
    const r = this.remote;
    return !!r && (r.direction === 'sendonly' || r.direction === 'inactive' || r.address === '0.0.0.0');
  }

  async createOffer(options: { hold: boolean }): Promise<string> {
    const port = await this.ensurePort();
    return simulatorSdp({ sessionId: this.sessionId, version: ++this.version, port: port.port, direction: options.hold ? 'sendonly' : 'sendrecv', telephoneEventPt: this.remote?.telephoneEventPt });
  }

  async createAnswer(offer: string, options: { hold: boolean }): Promise<string> {
    const remote = readRemoteMedia(offer);
    // RFC 3264 §6: the answerer must pick among the offered formats; we relay PCMU only.
    if (!remote.hasPcmu) throw new SdkError(ErrorCode.SdpNegotiation, 'the simulated SIP Server relays PCMU only, and the offer has none');
    const port = await this.ensurePort();
    this.take(remote, port);
    let direction = ANSWER_DIRECTION[remote.direction];
    if (options.hold && direction === 'sendrecv') direction = 'sendonly';
    return simulatorSdp({ sessionId: this.sessionId, version: ++this.version, port: port.port, direction, telephoneEventPt: remote.telephoneEventPt });
  }

  async setAnswer(answer: string): Promise<void> {
    const remote = readRemoteMedia(answer);
    const port = await this.ensurePort();
    this.take(remote, port);
  }

  private take(remote: RemoteMedia, port: RelayPort): void {
    this.remote = remote;
    if (remote.port > 0 && remote.address && remote.address !== '0.0.0.0') port.remote = { address: remote.address, port: remote.port };
  }

  dispose(): void {
    this.disposed = true;
    this.port?.dispose();
  }
}
