/**
 * A small session description handler for signaling tests: offers PCMU + telephone-event on a
 * given port, answers any offer that has PCMU, records every SDP it saw, and reads hold from
 * the remote description (a=sendonly / a=inactive, or c=0.0.0.0).
 */
import type { SessionDescriptionHandler } from '@sip-endpoint/signaling';

export class SimpleSdh implements SessionDescriptionHandler {
  readonly seen: { kind: 'offer' | 'answer'; sdp: string }[] = [];
  remoteHold = false;
  disposed = false;
  private version = 1;

  constructor(
    private readonly address = '127.0.0.1',
    private readonly port = 40000,
  ) {}

  private sdp(direction: string): string {
    return [
      'v=0',
      `o=test 1234 ${this.version++} IN IP4 ${this.address}`,
      's=-',
      `c=IN IP4 ${this.address}`,
      't=0 0',
      `m=audio ${this.port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      `a=${direction}`,
      '',
    ].join('\r\n');
  }

  createOffer(options: { hold: boolean }): string {
    return this.sdp(options.hold ? 'sendonly' : 'sendrecv');
  }

  createAnswer(offer: string, options: { hold: boolean }): string {
    this.seen.push({ kind: 'offer', sdp: offer });
    if (!/m=audio \d+ RTP\/AVP[ 0-9]* 0( |\r|\n|$)/.test(offer)) throw new Error('no PCMU in the offer');
    this.remoteHold = isHold(offer);
    const dir = this.remoteHold ? (/a=inactive/.test(offer) ? 'inactive' : 'recvonly') : options.hold ? 'sendonly' : 'sendrecv';
    return this.sdp(dir);
  }

  setAnswer(answer: string): void {
    this.seen.push({ kind: 'answer', sdp: answer });
    if (!/^v=0/m.test(answer)) throw new Error('not an SDP answer');
    this.remoteHold = /a=inactive/.test(answer);
  }

  dispose(): void {
    this.disposed = true;
  }
}

function isHold(sdp: string): boolean {
  return /a=(sendonly|inactive)/.test(sdp) || /c=IN IP4 0\.0\.0\.0/.test(sdp);
}
