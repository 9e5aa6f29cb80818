import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SdpSession, createSdesCrypto, type SdpLocalDescription } from '../src/sdp/index';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/sdp/${name}`, import.meta.url), 'utf8');

const ALICE: SdpLocalDescription = {
  address: '192.0.2.1',
  ports: { audio: 10000, video: 10002 },
  username: 'alice',
  audio: { codecs: [{ name: 'opus', clockRate: 48000, payloadType: 111 }, { name: 'PCMU', clockRate: 8000 }], telephoneEvent: true, rtcpMux: true, ptime: 20 },
  video: { codecs: [{ name: 'VP8', clockRate: 90000 }] },
};
const BOB: SdpLocalDescription = {
  address: '192.0.2.2',
  ports: { audio: 20000 },
  username: 'bob',
  audio: { codecs: [{ name: 'PCMA', clockRate: 8000 }, { name: 'PCMU', clockRate: 8000 }, { name: 'opus', clockRate: 48000, payloadType: 107 }], telephoneEvent: { events: '0-15' }, rtcpMux: true },
};
const AUDIO_ONLY: SdpLocalDescription = { address: '192.0.2.10', ports: { audio: 20000 }, audio: { codecs: [{ name: 'PCMU', clockRate: 8000 }, { name: 'PCMA', clockRate: 8000 }], telephoneEvent: true } };

describe('SDP between two sessions and hold/unhold round trips', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let alice: SdpSession;
  let bob: SdpSession;
  beforeEach(() => {
    alice = new SdpSession({ sessionId: '1111' });
    bob = new SdpSession({ sessionId: '2222' });
  });
  afterEach(() => {
    alice.dispose();
    bob.dispose();
  });

  /** Alice offers, Bob answers, Alice accepts. */
  function exchange(aliceLocal: SdpLocalDescription, aliceOpts = {}, bobLocal: SdpLocalDescription = BOB, bobOpts = {}) {
    const offer = alice.createOffer(aliceLocal, aliceOpts);
    const answered = bob.createAnswer(offer, bobLocal, bobOpts);
    const accepted = alice.acceptAnswer(offer, answered.sdp);
    return { offer, answer: answered.sdp, bob: answered.result, alice: accepted };
  }

  it('Alice (audio + video) calls Bob (audio only): both sides agree on codec, payload types and ports', () => {
    const x = exchange(ALICE);
    // Bob's priority order: PCMA is not offered, so PCMU then opus (at Alice's 111)
    expect(x.bob.audio?.codecs.map((c) => `${c.name}/${c.payloadType}`)).toEqual(['PCMU/0', 'opus/111']);
    expect(x.alice.audio?.codecs.map((c) => `${c.name}/${c.payloadType}/${c.receivePayloadType}`)).toEqual(['PCMU/0/0', 'opus/111/111']);
    expect(x.alice.audio).toMatchObject({ remoteAddress: '192.0.2.2', remotePort: 20000, rtcpMux: true, remoteRtcpPort: 20000 });
    expect(x.bob.audio).toMatchObject({ remoteAddress: '192.0.2.1', remotePort: 10000, rtcpMux: true, remoteRtcpPort: 10000 });
    expect(x.alice.audio?.telephoneEvent).toMatchObject({ payloadType: 101, events: '0-15' });
    expect(x.bob.audio?.telephoneEvent).toMatchObject({ payloadType: 101, events: '0-16' });
    expect(x.alice.streams[1]).toMatchObject({ media: 'video', accepted: false, rejectReason: 'rejected-by-remote' });
    expect(x.bob.streams[1]).toMatchObject({ media: 'video', accepted: false, rejectReason: 'unsupported-media' });
  });

  it('RFC 3264 hold by Alice and unhold, then Bob re-offers keeping the video m-line at port 0', () => {
    const x1 = exchange(ALICE);
    const hold = exchange(ALICE, { hold: 'rfc3264' });
    expect(parse(hold.offer).media[0]!.direction).toBe('sendonly');
    expect(parse(hold.answer).media[0]!.direction).toBe('recvonly');
    expect(hold.bob.audio).toMatchObject({ onHold: true, localDirection: 'recvonly' });
    expect(hold.alice.audio).toMatchObject({ onHold: false, localDirection: 'sendonly' });
    const unhold = exchange(ALICE);
    expect(unhold.bob.audio).toMatchObject({ onHold: false, localDirection: 'sendrecv' });
    expect(unhold.alice.audio).toMatchObject({ onHold: false, localDirection: 'sendrecv' });
    // o= id stable, version +1 per changed SDP on both sides; Bob's answers changed too
    const versions = (s: string): [number | string, number] => [parse(s).origin.sessionId, parse(s).origin.sessionVersion];
    expect([x1.offer, hold.offer, unhold.offer].map(versions)).toEqual([
      [1111, 1],
      [1111, 2],
      [1111, 3],
    ]);
    expect([x1.answer, hold.answer, unhold.answer].map(versions)).toEqual([
      [2222, 1],
      [2222, 2],
      [2222, 3],
    ]);
    // Bob now offers (e.g. a session refresh): two m-lines, video disabled; audio keeps Alice's numbers
    const reoffer = bob.createOffer(BOB);
    const m = parse(reoffer).media;
    expect(m.map((l) => `${l.type} ${l.port}`)).toEqual(['audio 20000', 'video 0']);
    expect(m[0]!.rtp.find((r) => r.codec === 'opus')?.payload).toBe(111);
    expect(parse(reoffer).origin.sessionVersion).toBe(4);
    const back = alice.createAnswer(reoffer, ALICE);
    expect(parse(back.sdp).media.map((l) => `${l.type} ${l.port}`)).toEqual(['audio 10000', 'video 0']);
    const done = bob.acceptAnswer(reoffer, back.sdp);
    expect(done.audio?.accepted).toBe(true);
  });

  it('legacy (c=0.0.0.0) hold by Alice and unhold', () => {
    exchange(ALICE);
    const hold = exchange(ALICE, { hold: 'legacy' });
    expect(parse(hold.offer).connection?.ip).toBe('0.0.0.0');
    expect(parse(hold.offer).origin.address).toBe('192.0.2.1');
    expect(hold.bob.audio).toMatchObject({ onHold: true, legacyHold: true, remoteAddress: '0.0.0.0', localDirection: 'recvonly' });
    expect(hold.alice.audio?.onHold).toBe(false);
    const unhold = exchange(ALICE);
    expect(parse(unhold.offer).connection?.ip).toBe('192.0.2.1');
    expect(unhold.bob.audio).toMatchObject({ onHold: false, legacyHold: false, remoteAddress: '192.0.2.1', localDirection: 'sendrecv' });
  });

  it('both hold: Bob holds while held, answers inactive; Alice resumes and Bob is still holding', () => {
    exchange(ALICE);
    exchange(ALICE, { hold: 'rfc3264' });
    // Bob holds too: his offer is inactive (he was only receiving)
    const bOffer = bob.createOffer(BOB, { hold: 'rfc3264', direction: 'recvonly' });
    expect(parse(bOffer).media[0]!.direction).toBe('inactive');
    const aAns = alice.createAnswer(bOffer, ALICE, { hold: 'rfc3264' });
    expect(parse(aAns.sdp).media[0]!.direction).toBe('inactive');
    bob.acceptAnswer(bOffer, aAns.sdp);
    // Alice resumes; Bob still holds: he answers sendonly, Alice is on hold
    const resume = exchange(ALICE, {}, BOB, { hold: 'rfc3264' });
    expect(parse(resume.answer).media[0]!.direction).toBe('sendonly');
    expect(resume.alice.audio).toMatchObject({ onHold: true, localDirection: 'recvonly' });
  });

  it('SRTP end to end with fresh SDES keys', () => {
    const aKey = createSdesCrypto('AES_CM_128_HMAC_SHA1_80');
    const bKey = createSdesCrypto('AES_CM_128_HMAC_SHA1_80');
    const x = exchange({ ...ALICE, audio: { ...ALICE.audio!, crypto: [aKey] } }, {}, { ...BOB, audio: { ...BOB.audio!, crypto: [bKey] } });
    expect(parse(x.offer).media[0]!.protocol).toBe('RTP/SAVP');
    expect(x.alice.audio?.crypto).toMatchObject({ tag: 1, localKeyParams: aKey.keyParams, remoteKeyParams: bKey.keyParams });
    expect(x.bob.audio?.crypto).toMatchObject({ tag: 1, localKeyParams: bKey.keyParams, remoteKeyParams: aKey.keyParams });
  });
});

describe('peer hold sequences from fixtures', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let session: SdpSession;
  beforeEach(() => {
    session = new SdpSession({ sessionId: '5555' });
  });
  afterEach(() => session.dispose());

  it('Asterisk: offer, a=sendonly hold, a=sendrecv resume', () => {
    const a1 = session.createAnswer(fixture('asterisk-offer.sdp'), AUDIO_ONLY);
    const a2 = session.createAnswer(fixture('asterisk-hold.sdp'), AUDIO_ONLY);
    const a3 = session.createAnswer(fixture('asterisk-unhold.sdp'), AUDIO_ONLY);
    expect([a1, a2, a3].map((a) => a.result.audio?.onHold)).toEqual([false, true, false]);
    expect([a1, a2, a3].map((a) => parse(a.sdp).media[0]!.direction)).toEqual(['sendrecv', 'recvonly', 'sendrecv']);
    expect([a1, a2, a3].map((a) => parse(a.sdp).origin.sessionVersion)).toEqual([1, 2, 3]);
    expect([a1, a2, a3].map((a) => a.result.remoteOrigin.sessionVersion)).toEqual(['1804289383', '1804289384', '1804289385']);
  });

  it('Genesys SIP Server: offer, c=0.0.0.0 hold, resume; a repeated version is reported unchanged', () => {
    const a1 = session.createAnswer(fixture('genesys-offer.sdp'), AUDIO_ONLY);
    const a2 = session.createAnswer(fixture('genesys-hold-legacy.sdp'), AUDIO_ONLY);
    const a3 = session.createAnswer(fixture('genesys-resume.sdp'), AUDIO_ONLY);
    expect(a1.result.audio).toMatchObject({ onHold: false, legacyHold: false, remoteAddress: '10.10.1.20' });
    expect(a2.result.audio).toMatchObject({ onHold: true, legacyHold: true, remoteAddress: '0.0.0.0' });
    expect(a3.result.audio).toMatchObject({ onHold: false, legacyHold: false, remoteAddress: '10.10.1.20' });
    // same offer again (a session refresh re-INVITE): no change on either side
    const a4 = session.createAnswer(fixture('genesys-resume.sdp'), AUDIO_ONLY);
    expect(a4.result.remoteChanged).toBe(false);
    expect(a4.sdp).toBe(a3.sdp);
  });

  it('Asterisk T.38 re-offer: audio disabled by the offer and image rejected; the m-lines are kept', () => {
    session.createAnswer(fixture('asterisk-offer.sdp'), AUDIO_ONLY);
    // every stream is disabled or unsupported: 488
    expect(() => session.createAnswer(fixture('asterisk-t38-reoffer.sdp'), AUDIO_ONLY)).toThrow(/no stream of the offer can be accepted/);
  });

  it('rejects a re-offer with fewer m-lines than the session (RFC 3264 §8)', () => {
    session.createAnswer(fixture('linphone-audio-video.sdp'), AUDIO_ONLY);
    expect(() => session.createAnswer(fixture('asterisk-offer.sdp'), AUDIO_ONLY)).toThrow(expect.objectContaining({ reason: 'm-line-mismatch' }));
  });

  it('rejects a re-offer that turns an active m-line into another media type', () => {
    session.createAnswer(fixture('asterisk-offer.sdp'), AUDIO_ONLY);
    const reoffer = ['v=0', 'o=- 1804289383 1804289390 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', 'm=video 14582 RTP/AVP 31', ''].join('\r\n');
    expect(() => session.createAnswer(reoffer, AUDIO_ONLY)).toThrow(expect.objectContaining({ reason: 'm-line-mismatch' }));
  });
});
