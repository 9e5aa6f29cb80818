import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SdpOfferAnswerHandler, type NegotiationResult, type SdpLocalDescription } from '../src/sdp/index';

const A: SdpLocalDescription = { address: '192.0.2.1', ports: { audio: 10000 }, audio: { codecs: [{ name: 'PCMU', clockRate: 8000 }], telephoneEvent: true } };
const B: SdpLocalDescription = { address: '192.0.2.2', ports: { audio: 20000 }, audio: { codecs: [{ name: 'PCMA', clockRate: 8000 }, { name: 'PCMU', clockRate: 8000 }] } };

describe('SdpOfferAnswerHandler', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let a: SdpOfferAnswerHandler;
  let b: SdpOfferAnswerHandler;
  beforeEach(() => {
    a = new SdpOfferAnswerHandler(A, { holdStyle: 'legacy' });
    b = new SdpOfferAnswerHandler(B);
  });
  afterEach(() => {
    a.dispose();
    b.dispose();
  });

  it('runs offer/answer between two handlers and reports each result', () => {
    const seen: NegotiationResult[] = [];
    const sub = a.onDidNegotiate((r) => seen.push(r));
    const offer = a.createOffer({ hold: false });
    a.setAnswer(b.createAnswer(offer, { hold: false }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.audio?.codecs.map((c) => c.name)).toEqual(['PCMU']);
    expect(b.lastResult?.audio?.remotePort).toBe(10000);
    // hold in the configured legacy style: the peer sees c=0.0.0.0 and reports remoteHold
    const hold = a.createOffer({ hold: true });
    expect(parse(hold).connection?.ip).toBe('0.0.0.0');
    a.setAnswer(b.createAnswer(hold, { hold: false }));
    expect(b.remoteHold).toBe(true);
    expect(a.remoteHold).toBe(false);
    sub.dispose();
  });

  it('rolls back an offer that never got an answer before the next one', () => {
    const first = a.createOffer({ hold: false });
    const second = a.createOffer({ hold: true });
    expect(parse(second).origin.sessionVersion).toBe(parse(first).origin.sessionVersion + 1);
    // and an incoming offer after a failed re-INVITE is answered, not refused as glare
    const answer = a.createAnswer(b.createOffer({ hold: false }), { hold: false });
    expect(parse(answer).media[0]!.port).toBe(10000);
  });

  it('uses the local description set later for the next SDP', () => {
    a.local = { ...A, ports: { audio: 10500 } };
    expect(parse(a.createOffer({ hold: false })).media[0]!.port).toBe(10500);
  });
});
