import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { ErrorCode, InvalidStateError, ensureNoDisposablesAreLeakedInTestSuite, isSdkError } from '@sip-endpoint/base';
import { SdpNegotiationError, SdpSession, type SdpLocalDescription } from '../src/sdp/index';

const KEY80 = 'inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw';
const KEY32 = 'inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk';
const PEER_KEY = 'inline:d0RmdkVkZ2RmZ2RmZ2RmZ2RmZ2RmZ2RmZ2RmZ2Rm';

const LOCAL: SdpLocalDescription = {
  address: '192.0.2.10',
  ports: { audio: 20000, video: 20002 },
  audio: {
    codecs: [
      { name: 'opus', clockRate: 48000, channels: 2, payloadType: 111, fmtp: 'useinbandfec=1' },
      { name: 'PCMU', clockRate: 8000 },
      { name: 'PCMA', clockRate: 8000 },
    ],
    telephoneEvent: true,
    ptime: 20,
    rtcpMux: true,
  },
  video: { codecs: [{ name: 'VP8', clockRate: 90000 }] },
};
const AUDIO_ONLY: SdpLocalDescription = { ...LOCAL, video: undefined, ports: { audio: 20000 } };

const sdp = (...lines: string[]): string => lines.join('\r\n') + '\r\n';
const HEAD = ['v=0', 'o=peer 3000 3000 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0'];

function expectSdpError(fn: () => unknown, reason: string): SdpNegotiationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SdpNegotiationError);
    expect(isSdkError(e, ErrorCode.SdpNegotiation)).toBe(true);
    expect((e as SdpNegotiationError).reason).toBe(reason);
    return e as SdpNegotiationError;
  }
  throw new Error('expected an SdpNegotiationError');
}

describe('SdpSession.acceptAnswer', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let session: SdpSession;
  beforeEach(() => {
    session = new SdpSession({ sessionId: '9000' });
  });
  afterEach(() => session.dispose());

  it('reads an Asterisk-style answer: first codec to send, telephone-event, ptime, RTCP on port + 1', () => {
    const offer = session.createOffer(AUDIO_ONLY);
    const answer = sdp(...HEAD, 'm=audio 14582 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:30', 'a=sendrecv');
    const r = session.acceptAnswer(offer, answer);
    expect(r.role).toBe('offerer');
    expect(r.audio).toMatchObject({
      accepted: true,
      localPort: 20000,
      remoteAddress: '203.0.113.5',
      remotePort: 14582,
      remoteRtcpAddress: '203.0.113.5',
      remoteRtcpPort: 14583,
      rtcpMux: false,
      ptime: 30,
      localPtime: 20,
      localDirection: 'sendrecv',
      remoteDirection: 'sendrecv',
      onHold: false,
      legacyHold: false,
    });
    expect(r.audio?.codecs).toEqual([{ payloadType: 0, receivePayloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1 }]);
    expect(r.audio?.telephoneEvent).toEqual({ payloadType: 101, receivePayloadType: 101, clockRate: 8000, events: '0-16' });
    expect(r.remoteOrigin).toEqual({ username: 'peer', sessionId: '3000', sessionVersion: '3000' });
  });

  it('sends with the answer payload types and receives with ours when the answerer renumbers (RFC 3264 §6.1)', () => {
    const offer = session.createOffer(AUDIO_ONLY);
    const m = parse(offer).media[0]!;
    expect(m.rtp.find((r) => r.codec === 'opus')?.payload).toBe(111);
    expect(m.rtp.find((r) => r.codec === 'telephone-event')?.payload).toBe(101);
    const answer = sdp(...HEAD, 'm=audio 30000 RTP/AVP 98 97', 'a=rtpmap:98 OPUS/48000/2', 'a=fmtp:98 stereo=0', 'a=rtpmap:97 telephone-event/8000');
    const r = session.acceptAnswer(offer, answer);
    expect(r.audio?.codecs).toEqual([{ payloadType: 98, receivePayloadType: 111, name: 'OPUS', clockRate: 48000, channels: 2, fmtp: 'stereo=0', localFmtp: 'useinbandfec=1' }]);
    expect(r.audio?.telephoneEvent).toMatchObject({ payloadType: 97, receivePayloadType: 101, clockRate: 8000 });
  });

  it('reads a dynamic payload type the answer left without rtpmap as the codec we offered with it', () => {
    const offer = session.createOffer(AUDIO_ONLY);
    const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 111 101'));
    expect(r.audio?.codecs.map((c) => `${c.name}/${c.payloadType}`)).toEqual(['opus/111']);
    expect(r.audio?.telephoneEvent?.payloadType).toBe(101);
  });

  it('ignores formats the answer adds that were not offered, but fails when none was offered', () => {
    const offer = session.createOffer(AUDIO_ONLY);
    const extra = sdp(...HEAD, 'm=audio 30000 RTP/AVP 18 8', 'a=rtpmap:18 G729/8000');
    const r = session.acceptAnswer(offer, extra);
    expect(r.audio?.codecs.map((c) => c.name)).toEqual(['PCMA']);
    const s2 = new SdpSession();
    const o2 = s2.createOffer(AUDIO_ONLY);
    const e = expectSdpError(() => s2.acceptAnswer(o2, sdp(...HEAD, 'm=audio 30000 RTP/AVP 18 3', 'a=rtpmap:18 G729/8000')), 'answer-mismatch');
    expect(e.message).toMatch(/no codec that was offered/);
    expect(e.suggestedStatus).toBe(488);
    s2.dispose();
  });

  it('fails on an m-line count or media type that does not match the offer', () => {
    const offer = session.createOffer(LOCAL);
    expectSdpError(() => session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0')), 'answer-mismatch');
    expectSdpError(() => session.acceptAnswer(offer, sdp(...HEAD, 'm=video 30000 RTP/AVP 0', 'm=audio 30002 RTP/AVP 0')), 'answer-mismatch');
    expectSdpError(() => session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/SAVP 0', 'm=video 0 RTP/AVP 96')), 'answer-mismatch');
    expectSdpError(() => session.acceptAnswer(offer, 'not sdp'), 'malformed');
    // still waiting for a good answer
    expect(session.state).toBe('have-local-offer');
    const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0', 'm=video 0 RTP/AVP 96'));
    expect(r.streams.map((s) => [s.media, s.accepted, s.rejectReason])).toEqual([
      ['audio', true, undefined],
      ['video', false, 'rejected-by-remote'],
    ]);
    expect(r.video).toBeUndefined();
  });

  it('accepts audio + video answered with rtcp-mux and a=rtcp', () => {
    const offer = session.createOffer(LOCAL);
    const answer = sdp(
      ...HEAD,
      'm=audio 30000 RTP/AVP 0',
      'a=rtcp-mux',
      'm=video 30002 RTP/AVP 120',
      'c=IN IP4 203.0.113.6',
      'a=rtpmap:120 VP8/90000',
      'a=rtcp:30010 IN IP4 203.0.113.7',
    );
    const r = session.acceptAnswer(offer, answer);
    expect(r.audio).toMatchObject({ rtcpMux: true, remoteRtcpPort: 30000, remoteRtcpAddress: '203.0.113.5' });
    expect(r.video).toMatchObject({ remoteAddress: '203.0.113.6', remotePort: 30002, rtcpMux: false, remoteRtcpAddress: '203.0.113.7', remoteRtcpPort: 30010, localPort: 20002 });
    expect(r.video?.codecs[0]).toMatchObject({ name: 'VP8', payloadType: 120, receivePayloadType: 96 });
  });

  it('does not use rtcp-mux when the answer has it but we did not offer it', () => {
    const offer = session.createOffer({ ...AUDIO_ONLY, audio: { ...AUDIO_ONLY.audio!, rtcpMux: false } });
    const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0', 'a=rtcp-mux'));
    expect(r.audio).toMatchObject({ rtcpMux: false, remoteRtcpPort: 30001 });
  });

  describe('SDES crypto', () => {
    const SRTP: SdpLocalDescription = {
      ...AUDIO_ONLY,
      audio: { ...AUDIO_ONLY.audio!, crypto: [{ suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: KEY80 }, { suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: KEY32 }] },
    };

    it('takes the answered tag and suite with both keys', () => {
      const offer = session.createOffer(SRTP);
      const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/SAVP 0', `a=crypto:2 AES_CM_128_HMAC_SHA1_32 ${PEER_KEY}`));
      expect(r.audio?.crypto).toEqual({ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', localKeyParams: KEY32, remoteKeyParams: PEER_KEY });
    });

    it('fails on a crypto answer that matches no offered tag and suite, or RTP/SAVP without crypto', () => {
      const offer = session.createOffer(SRTP);
      expectSdpError(() => session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${PEER_KEY}`)), 'answer-mismatch');
      expectSdpError(() => session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/SAVP 0')), 'answer-mismatch');
    });

    it('falls back to plain RTP when a best-effort (RTP/AVP) crypto offer is answered without crypto', () => {
      const offer = session.createOffer({ ...SRTP, audio: { ...SRTP.audio!, srtp: 'optional' } });
      expect(parse(offer).media[0]!.protocol).toBe('RTP/AVP');
      const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0'));
      expect(r.audio?.accepted).toBe(true);
      expect(r.audio?.crypto).toBeUndefined();
    });
  });

  it('accepts the same offer answered again (18x then 200) and reports whether the answer changed', () => {
    const offer = session.createOffer(AUDIO_ONLY);
    const early = sdp(...HEAD, 'm=audio 30000 RTP/AVP 0');
    const r1 = session.acceptAnswer(offer, early);
    expect(r1.remoteChanged).toBe(true);
    const r2 = session.acceptAnswer(offer, early);
    expect(r2.remoteChanged).toBe(false);
    const final = sdp('v=0', 'o=peer 3000 3001 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 30000 RTP/AVP 8');
    const r3 = session.acceptAnswer(offer, final);
    expect(r3.remoteChanged).toBe(true);
    expect(r3.audio?.codecs[0]?.name).toBe('PCMA');
  });

  it('refuses an answer when no offer was made, or for an offer this session did not write', () => {
    expect(() => session.acceptAnswer('v=0\r\n', sdp(...HEAD, 'm=audio 30000 RTP/AVP 0'))).toThrow(InvalidStateError);
    session.createOffer(AUDIO_ONLY);
    try {
      session.acceptAnswer('something else', sdp(...HEAD, 'm=audio 30000 RTP/AVP 0'));
      expect.unreachable();
    } catch (e) {
      expect(isSdkError(e, ErrorCode.InvalidArgument)).toBe(true);
    }
  });

  describe('directions in the answer', () => {
    it('answer sendonly to our sendrecv: the remote holds us, we only receive', () => {
      const offer = session.createOffer(AUDIO_ONLY);
      const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0', 'a=sendonly'));
      expect(r.audio).toMatchObject({ localDirection: 'recvonly', remoteDirection: 'sendonly', onHold: true });
    });

    it('answer recvonly to our sendonly (our hold): not on hold, we only send', () => {
      const offer = session.createOffer(AUDIO_ONLY, { hold: 'rfc3264' });
      const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0', 'a=recvonly'));
      expect(r.audio).toMatchObject({ localDirection: 'sendonly', remoteDirection: 'recvonly', onHold: false });
    });

    it('a direction the offer did not allow is clamped, not fatal', () => {
      const offer = session.createOffer(AUDIO_ONLY, { direction: 'recvonly' });
      const r = session.acceptAnswer(offer, sdp(...HEAD, 'm=audio 30000 RTP/AVP 0', 'a=sendrecv'));
      expect(r.audio).toMatchObject({ localDirection: 'recvonly', onHold: false });
    });

    it('an answer with c=0.0.0.0 is a legacy hold', () => {
      const offer = session.createOffer(AUDIO_ONLY);
      const r = session.acceptAnswer(offer, sdp('v=0', 'o=peer 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0', 'm=audio 30000 RTP/AVP 0'));
      expect(r.audio).toMatchObject({ legacyHold: true, onHold: true, localDirection: 'recvonly', remoteAddress: '0.0.0.0' });
    });
  });
});
