import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { ErrorCode, InvalidStateError, ensureNoDisposablesAreLeakedInTestSuite, isSdkError } from '@sip-endpoint/base';
import { SdpNegotiationError, SdpSession, type SdpLocalDescription } from '../src/sdp/index';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/sdp/${name}`, import.meta.url), 'utf8');

const KEY80 = 'inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw';
const KEY32 = 'inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk';

const LOCAL: SdpLocalDescription = {
  address: '192.0.2.10',
  ports: { audio: 20000, video: 20002 },
  audio: {
    codecs: [
      { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
      { name: 'G722', clockRate: 8000 },
      { name: 'PCMU', clockRate: 8000 },
      { name: 'PCMA', clockRate: 8000 },
    ],
    telephoneEvent: true,
    ptime: 20,
    rtcpMux: true,
  },
  video: {
    codecs: [
      { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' },
      { name: 'VP8', clockRate: 90000 },
    ],
  },
};

const AUDIO_ONLY: SdpLocalDescription = { ...LOCAL, video: undefined, ports: { audio: 20000 } };

/** An offer built from lines, CRLF joined. */
const sdp = (...lines: string[]): string => lines.join('\r\n') + '\r\n';

const BASIC_OFFER_HEAD = ['v=0', 'o=- 100 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0'];

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

describe('SdpSession.createAnswer', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let session: SdpSession;
  beforeEach(() => {
    session = new SdpSession({ sessionId: '424242' });
  });
  afterEach(() => session.dispose());

  it('answers SIPp uac (PCMU only) with PCMU, our address and port, CRLF line ends', () => {
    const { sdp: answer, result } = session.createAnswer(fixture('sipp-uac.sdp'), AUDIO_ONLY);
    expect(answer).toMatch(/^v=0\r\n/);
    expect(answer.split('\n').slice(0, -1).every((l) => l.endsWith('\r'))).toBe(true);
    const a = parse(answer);
    expect(a.origin.sessionId).toBe(424242);
    expect(a.connection?.ip).toBe('192.0.2.10');
    expect(a.media).toHaveLength(1);
    expect(a.media[0]!.port).toBe(20000);
    expect(String(a.media[0]!.payloads)).toBe('0');
    expect(a.media[0]!.rtp).toEqual([{ payload: 0, codec: 'PCMU', rate: 8000 }]);
    // telephone-event was not offered: never invented
    expect(answer).not.toMatch(/telephone-event/);
    expect(result.audio?.codecs.map((c) => c.name)).toEqual(['PCMU']);
    expect(result.audio?.remoteAddress).toBe('127.0.0.1');
    expect(result.audio?.remotePort).toBe(6000);
    expect(result.audio?.remoteRtcpPort).toBe(6001);
    expect(result.audio?.telephoneEvent).toBeUndefined();
    expect(result.role).toBe('answerer');
  });

  it('answers SIPp uac_pcap (PCMA + telephone-event 101) echoing the event list', () => {
    const { sdp: answer, result } = session.createAnswer(fixture('sipp-uac-pcap.sdp'), AUDIO_ONLY);
    const m = parse(answer).media[0]!;
    expect(String(m.payloads)).toBe('8 101');
    expect(m.fmtp).toEqual([{ payload: 101, config: '0-11,16' }]);
    expect(result.audio?.telephoneEvent).toEqual({ payloadType: 101, receivePayloadType: 101, clockRate: 8000, events: '0-11,16' });
  });

  it('answers baresip: opus at the offer payload type 111, telephone-event 101, our fmtp and ptime', () => {
    const { sdp: answer, result } = session.createAnswer(fixture('baresip-offer.sdp'), AUDIO_ONLY);
    const m = parse(answer).media[0]!;
    // our priority order: opus, G722, PCMU, PCMA, then telephone-event; numbers from the offer
    expect(String(m.payloads)).toBe('111 9 0 8 101');
    expect(m.rtp.find((r) => r.payload === 111)).toEqual({ payload: 111, codec: 'opus', rate: 48000, encoding: 2 });
    expect(m.rtp.find((r) => r.payload === 101)).toEqual({ payload: 101, codec: 'telephone-event', rate: 8000 });
    expect(m.fmtp.find((f) => f.payload === 111)?.config).toBe('useinbandfec=1');
    expect(m.ptime).toBe(20);
    expect(m.direction).toBe('sendrecv');
    // rtcp-mux was not offered: not answered
    expect(m.rtcpMux).toBeUndefined();
    const audio = result.audio!;
    expect(audio.codecs[0]).toMatchObject({ name: 'opus', payloadType: 111, receivePayloadType: 111, channels: 2, fmtp: 'stereo=1;sprop-stereo=1;useinbandfec=1', localFmtp: 'useinbandfec=1' });
    expect(audio.telephoneEvent).toMatchObject({ payloadType: 101, clockRate: 8000 });
    expect(audio.ptime).toBe(20);
    expect(audio.localPtime).toBe(20);
    expect(audio.rtcpMux).toBe(false);
    expect(audio.remoteRtcpPort).toBe(10775);
  });

  it('follows the offerer order with codecOrder remote, and maxCodecs limits the list', () => {
    const local: SdpLocalDescription = { ...AUDIO_ONLY, audio: { ...AUDIO_ONLY.audio!, codecs: [{ name: 'PCMA', clockRate: 8000 }, { name: 'PCMU', clockRate: 8000 }, { name: 'opus', clockRate: 48000 }] } };
    const remoteOrder = session.createAnswer(fixture('baresip-offer.sdp'), local, { codecOrder: 'remote' });
    expect(String(parse(remoteOrder.sdp).media[0]!.payloads)).toBe('111 0 8 101');
    const s2 = new SdpSession();
    const localOrder = s2.createAnswer(fixture('baresip-offer.sdp'), local, { maxCodecs: 1 });
    expect(String(parse(localOrder.sdp).media[0]!.payloads)).toBe('8 101');
    expect(localOrder.result.audio?.codecs.map((c) => c.name)).toEqual(['PCMA']);
    s2.dispose();
  });

  it('answers Asterisk: PCMU first by our priority, GSM left out, ptime from the offer reported', () => {
    const { sdp: answer, result } = session.createAnswer(fixture('asterisk-offer.sdp'), AUDIO_ONLY);
    const m = parse(answer).media[0]!;
    expect(String(m.payloads)).toBe('0 8 101');
    expect(m.fmtp).toEqual([{ payload: 101, config: '0-16' }]);
    expect(result.audio?.codecs.map((c) => c.payloadType)).toEqual([0, 8]);
    expect(result.audio?.ptime).toBe(20);
    expect(result.remoteOrigin).toEqual({ username: '-', sessionId: '1804289383', sessionVersion: '1804289383' });
  });

  it('answers Genesys SIP Server with G729 annexb=no kept when we have G729 without fmtp', () => {
    const local: SdpLocalDescription = { ...AUDIO_ONLY, audio: { codecs: [{ name: 'G729', clockRate: 8000 }, { name: 'PCMA', clockRate: 8000 }], telephoneEvent: true } };
    const { sdp: answer, result } = session.createAnswer(fixture('genesys-offer.sdp'), local);
    const m = parse(answer).media[0]!;
    expect(String(m.payloads)).toBe('18 8 101');
    expect(m.fmtp.find((f) => f.payload === 18)?.config).toBe('annexb=no');
    expect(result.audio?.codecs[0]).toMatchObject({ name: 'G729', payloadType: 18, fmtp: 'annexb=no' });
    expect(result.audio?.onHold).toBe(false);
  });

  it('answers linphone audio + video: dynamic numbers per m-line, telephone-event at the codec clock rate', () => {
    const { sdp: answer, result } = session.createAnswer(fixture('linphone-audio-video.sdp'), LOCAL);
    const a = parse(answer);
    expect(a.media.map((m) => m.type)).toEqual(['audio', 'video']);
    const audio = a.media[0]!;
    // opus is 96 in the audio m-line; PCMU/PCMA are static; telephone-event/48000 (101) matches opus, /8000 (100) matches G.711
    expect(String(audio.payloads)).toBe('96 0 8 101 100');
    expect(audio.rtp.find((r) => r.payload === 96)?.codec).toBe('opus');
    expect(result.audio?.telephoneEvent).toMatchObject({ payloadType: 101, clockRate: 48000 });
    const video = a.media[1]!;
    // H264 offered without packetization-mode (0) does not match our packetization-mode=1 H264: only VP8 (96 in the video m-line)
    expect(String(video.payloads)).toBe('96');
    expect(video.rtp).toEqual([{ payload: 96, codec: 'VP8', rate: 90000 }]);
    expect(video.port).toBe(20002);
    expect(result.video?.codecs.map((c) => `${c.name}/${c.payloadType}`)).toEqual(['VP8/96']);
    expect(result.video?.remotePort).toBe(9078);
    expect(result.streams).toHaveLength(2);
  });

  it('rejects video with port 0 when we have no video, and keeps the m-line', () => {
    const { sdp: answer, result } = session.createAnswer(fixture('linphone-audio-video.sdp'), AUDIO_ONLY);
    const a = parse(answer);
    expect(a.media).toHaveLength(2);
    expect(a.media[1]).toMatchObject({ type: 'video', port: 0, protocol: 'RTP/AVP' });
    expect(result.streams[1]).toMatchObject({ accepted: false, rejectReason: 'unsupported-media', localPort: 0 });
    expect(result.video).toBeUndefined();
  });

  it('maps telephone-event 101 and opus 111 to the offer numbers even when we prefer others', () => {
    const local: SdpLocalDescription = {
      ...AUDIO_ONLY,
      audio: { codecs: [{ name: 'opus', clockRate: 48000, channels: 2, payloadType: 120 }, { name: 'PCMU', clockRate: 8000 }], telephoneEvent: { clockRate: 8000 } },
    };
    const offer = sdp(
      ...BASIC_OFFER_HEAD,
      'm=audio 30000 RTP/AVP 111 0 101 96',
      'a=rtpmap:111 opus/48000/2',
      'a=fmtp:111 minptime=10;useinbandfec=1',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=rtpmap:96 telephone-event/48000',
    );
    const { sdp: answer, result } = session.createAnswer(offer, local);
    const m = parse(answer).media[0]!;
    expect(String(m.payloads)).toBe('111 0 101');
    expect(m.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual(['111 opus/48000', '0 PCMU/8000', '101 telephone-event/8000']);
    // opus: our codec has no fmtp, so the offer's is echoed
    expect(m.fmtp.find((f) => f.payload === 111)?.config).toBe('minptime=10;useinbandfec=1');
    expect(result.audio?.codecs[0]).toMatchObject({ payloadType: 111, receivePayloadType: 111 });
    expect(result.audio?.telephoneEvent).toMatchObject({ payloadType: 101, clockRate: 8000, events: '0-16' });
  });

  it('intersects the telephone-event list when ours is configured, and drops it when empty', () => {
    const local: SdpLocalDescription = { ...AUDIO_ONLY, audio: { codecs: [{ name: 'PCMU', clockRate: 8000 }], telephoneEvent: { events: '0-15' } } };
    const offer = (events: string): string => sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000', `a=fmtp:101 ${events}`);
    const a1 = session.createAnswer(offer('0-16,32'), local);
    expect(parse(a1.sdp).media[0]!.fmtp).toEqual([{ payload: 101, config: '0-15' }]);
    const a2 = session.createAnswer(offer('32-40'), local);
    expect(String(parse(a2.sdp).media[0]!.payloads)).toBe('0');
    expect(a2.result.audio?.telephoneEvent).toBeUndefined();
  });

  it('does not answer telephone-event when we do not support it', () => {
    const local: SdpLocalDescription = { ...AUDIO_ONLY, audio: { codecs: [{ name: 'PCMA', clockRate: 8000 }] } };
    const { sdp: answer } = session.createAnswer(fixture('sipp-uac-pcap.sdp'), local);
    expect(String(parse(answer).media[0]!.payloads)).toBe('8');
  });

  it('reads static payload types without rtpmap (RFC 3551) and matches names case-insensitively', () => {
    const offer = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 18 8 97', 'a=rtpmap:97 OPUS/48000/2');
    const local: SdpLocalDescription = { ...AUDIO_ONLY, audio: { codecs: [{ name: 'pcma', clockRate: 8000 }, { name: 'Opus', clockRate: 48000 }] } };
    const { result } = session.createAnswer(offer, local);
    expect(result.audio?.codecs.map((c) => `${c.name}/${c.payloadType}`)).toEqual(['PCMA/8', 'OPUS/97']);
  });

  describe('directions (RFC 3264 §6.1)', () => {
    const offerWith = (dir: string | undefined): string =>
      sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0', ...(dir ? [`a=${dir}`] : []));
    const cases: [string | undefined, Record<string, unknown>, string, boolean][] = [
      [undefined, {}, 'sendrecv', false],
      ['sendrecv', {}, 'sendrecv', false],
      ['sendonly', {}, 'recvonly', true],
      ['recvonly', {}, 'sendonly', false],
      ['inactive', {}, 'inactive', true],
      ['sendrecv', { hold: 'rfc3264' }, 'sendonly', false],
      ['sendonly', { hold: 'rfc3264' }, 'inactive', true],
      ['sendrecv', { direction: 'recvonly' }, 'recvonly', false],
      ['recvonly', { direction: 'recvonly' }, 'inactive', false],
    ];
    for (const [offered, options, expected, onHold] of cases) {
      it(`offer ${offered ?? '(none)'} with ${JSON.stringify(options)} -> ${expected}`, () => {
        const { sdp: answer, result } = session.createAnswer(offerWith(offered), AUDIO_ONLY, options);
        expect(parse(answer).media[0]!.direction).toBe(expected);
        expect(result.audio?.localDirection).toBe(expected);
        expect(result.audio?.onHold).toBe(onHold);
      });
    }

    it('session-level direction applies to media without their own', () => {
      const offer = sdp(...BASIC_OFFER_HEAD, 'a=sendonly', 'm=audio 30000 RTP/AVP 0');
      const { result } = session.createAnswer(offer, AUDIO_ONLY);
      expect(result.audio).toMatchObject({ remoteDirection: 'sendonly', localDirection: 'recvonly', onHold: true });
    });
  });

  it('detects c=0.0.0.0 (RFC 2543) in an offer as hold and answers recvonly', () => {
    session.createAnswer(fixture('genesys-offer.sdp'), AUDIO_ONLY);
    const { sdp: answer, result } = session.createAnswer(fixture('genesys-hold-legacy.sdp'), AUDIO_ONLY);
    expect(parse(answer).media[0]!.direction).toBe('recvonly');
    expect(result.audio).toMatchObject({ onHold: true, legacyHold: true, remoteAddress: '0.0.0.0', remoteDirection: 'sendonly', localDirection: 'recvonly' });
    expect(result.remoteChanged).toBe(true);
  });

  it('answers rtcp-mux only when offered and supported; remote RTCP port follows it', () => {
    const offer = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0', 'a=rtcp-mux', 'a=rtcp:30001');
    const muxed = session.createAnswer(offer, AUDIO_ONLY);
    expect(parse(muxed.sdp).media[0]!.rtcpMux).toBe('rtcp-mux');
    expect(muxed.result.audio).toMatchObject({ rtcpMux: true, remoteRtcpPort: 30000 });
    const noMux: SdpLocalDescription = { ...AUDIO_ONLY, audio: { ...AUDIO_ONLY.audio!, rtcpMux: false } };
    const plain = session.createAnswer(offer, noMux);
    expect(parse(plain.sdp).media[0]!.rtcpMux).toBeUndefined();
    expect(plain.result.audio).toMatchObject({ rtcpMux: false, remoteRtcpPort: 30001 });
  });

  it('uses a=rtcp with an address for the remote RTCP destination', () => {
    const offer = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0', 'a=rtcp:40001 IN IP4 198.51.100.9');
    const { result } = session.createAnswer(offer, AUDIO_ONLY);
    expect(result.audio).toMatchObject({ remoteRtcpAddress: '198.51.100.9', remoteRtcpPort: 40001, remoteAddress: '198.51.100.7' });
  });

  describe('SDES crypto (RFC 4568)', () => {
    const SRTP_LOCAL: SdpLocalDescription = {
      ...AUDIO_ONLY,
      audio: { ...AUDIO_ONLY.audio!, crypto: [{ suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: KEY80 }] },
    };

    it('answers baresip RTP/SAVP with the first offered suite we support, our key, the offer tag', () => {
      const { sdp: answer, result } = session.createAnswer(fixture('baresip-srtp.sdp'), SRTP_LOCAL);
      const m = parse(answer).media[0]!;
      expect(m.protocol).toBe('RTP/SAVP');
      expect(m.crypto).toEqual([{ id: 2, suite: 'AES_CM_128_HMAC_SHA1_80', config: KEY80 }]);
      expect(m.rtcpMux).toBe('rtcp-mux');
      expect(result.audio?.crypto).toEqual({
        tag: 2,
        suite: 'AES_CM_128_HMAC_SHA1_80',
        localKeyParams: KEY80,
        remoteKeyParams: 'inline:wQyyRy8Q3ZS6SX8k0+KgqOw9ubyGXx3yPx9XBNjc',
      });
    });

    it('picks the offerer preference when we support several suites', () => {
      const both: SdpLocalDescription = {
        ...AUDIO_ONLY,
        audio: { ...AUDIO_ONLY.audio!, crypto: [{ suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: KEY80 }, { suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: KEY32 }] },
      };
      const { result } = session.createAnswer(fixture('baresip-srtp.sdp'), both);
      expect(result.audio?.crypto).toMatchObject({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_32', localKeyParams: KEY32 });
    });

    it('rejects RTP/SAVP without a common suite: no stream left -> no-common-codec, 488', () => {
      const e = expectSdpError(() => session.createAnswer(fixture('baresip-srtp.sdp'), AUDIO_ONLY), 'no-common-codec');
      expect(e.details.streams).toEqual([{ index: 0, media: 'audio', reason: 'no-common-crypto' }]);
      expect(e.suggestedStatus).toBe(488);
    });

    it('answers best-effort a=crypto in RTP/AVP, and plain RTP/AVP only when SRTP is optional', () => {
      const bestEffort = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0', `a=crypto:5 AES_CM_128_HMAC_SHA1_80 ${KEY32}`);
      const r1 = session.createAnswer(bestEffort, SRTP_LOCAL);
      expect(parse(r1.sdp).media[0]!.crypto).toEqual([{ id: 5, suite: 'AES_CM_128_HMAC_SHA1_80', config: KEY80 }]);
      expect(r1.result.audio?.crypto?.remoteKeyParams).toBe(KEY32);
      const plain = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0');
      const e = expectSdpError(() => session.createAnswer(plain, SRTP_LOCAL), 'no-common-codec');
      expect(e.details.streams?.[0]?.reason).toBe('srtp-required');
      const optional: SdpLocalDescription = { ...SRTP_LOCAL, audio: { ...SRTP_LOCAL.audio!, srtp: 'optional' } };
      const r2 = session.createAnswer(plain, optional);
      expect(r2.result.audio?.crypto).toBeUndefined();
      expect(parse(r2.sdp).media[0]!.crypto).toBeUndefined();
    });
  });

  it('rejects a browser (DTLS-SRTP, ICE, BUNDLE) offer with per-stream reasons for a 488', () => {
    const e = expectSdpError(() => session.createAnswer(fixture('chrome-offer.sdp'), LOCAL), 'no-common-codec');
    expect(e.details.streams).toEqual([
      { index: 0, media: 'audio', reason: 'unsupported-transport' },
      { index: 1, media: 'video', reason: 'unsupported-transport' },
    ]);
    expect(e.message).toMatch(/unsupported-transport/);
    // nothing was committed: the session still writes version 1 next
    const { sdp: answer } = session.createAnswer(fixture('sipp-uac.sdp'), AUDIO_ONLY);
    expect(parse(answer).origin.sessionVersion).toBe(1);
  });

  it('throws no-common-codec when no offered codec is ours', () => {
    const offer = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 3 101', 'a=rtpmap:101 telephone-event/8000');
    const e = expectSdpError(() => session.createAnswer(offer, AUDIO_ONLY), 'no-common-codec');
    expect(e.details.streams).toEqual([{ index: 0, media: 'audio', reason: 'no-common-codec' }]);
    expect(e.code).toBe(ErrorCode.SdpNegotiation);
  });

  it('accepts an offer with no media or only disabled streams (nothing to reject)', () => {
    const none = session.createAnswer(sdp(...BASIC_OFFER_HEAD), AUDIO_ONLY);
    expect(parse(none.sdp).media).toHaveLength(0);
    const s2 = new SdpSession();
    const disabled = s2.createAnswer(sdp(...BASIC_OFFER_HEAD, 'm=audio 0 RTP/AVP 0'), AUDIO_ONLY);
    expect(parse(disabled.sdp).media[0]).toMatchObject({ port: 0 });
    expect(disabled.result.streams[0]).toMatchObject({ accepted: false, rejectReason: 'disabled-in-offer' });
    s2.dispose();
  });

  it('rejects a second audio stream and media we do not know (T.38 image) with port 0', () => {
    const offer = sdp(
      ...BASIC_OFFER_HEAD,
      'm=audio 30000 RTP/AVP 0',
      'm=audio 30002 RTP/AVP 8',
      'm=image 30004 udptl t38',
      'a=T38FaxVersion:0',
    );
    const { sdp: answer, result } = session.createAnswer(offer, AUDIO_ONLY);
    const a = parse(answer);
    expect(a.media.map((m) => `${m.type} ${m.port} ${m.protocol} ${m.payloads}`)).toEqual(['audio 20000 RTP/AVP 0', 'audio 0 RTP/AVP 8', 'image 0 udptl t38']);
    expect(result.streams.map((s) => s.rejectReason)).toEqual([undefined, 'duplicate-media', 'unsupported-media']);
  });

  it('echoes a=mid of each m-line', () => {
    const offer = sdp(...BASIC_OFFER_HEAD, 'm=audio 30000 RTP/AVP 0', 'a=mid:audio1');
    const { sdp: answer, result } = session.createAnswer(offer, AUDIO_ONLY);
    expect(parse(answer).media[0]!.mid).toBe('audio1');
    expect(result.audio?.mid).toBe('audio1');
  });

  it('repeats the t= line of the offer', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=3034423619 3042462419', 'm=audio 30000 RTP/AVP 0');
    const { sdp: answer } = session.createAnswer(offer, AUDIO_ONLY);
    expect(answer).toContain('\r\nt=3034423619 3042462419\r\n');
  });

  describe('malformed SDP -> SDP_NEGOTIATION malformed (400)', () => {
    const bad: [string, string][] = [
      ['empty', ''],
      ['not SDP', 'hello world\r\n'],
      ['no v=0 first', sdp('o=- 1 1 IN IP4 1.2.3.4', 'v=0', 's=-', 't=0 0')],
      ['no o=', sdp('v=0', 's=-', 'c=IN IP4 1.2.3.4', 't=0 0', 'm=audio 1 RTP/AVP 0')],
      ['bad o=', sdp('v=0', 'o=- abc 1 IN IP4 1.2.3.4', 's=-', 't=0 0')],
      ['bad m= port', sdp(...BASIC_OFFER_HEAD, 'm=audio 70000 RTP/AVP 0')],
      ['m= without formats', sdp(...BASIC_OFFER_HEAD, 'm=audio 3000 RTP/AVP')],
      ['no c= anywhere', sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=audio 3000 RTP/AVP 0')],
      ['bad c=', sdp('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IPX 1.2.3.4', 't=0 0', 'm=audio 3000 RTP/AVP 0')],
      ['blank line inside', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n\r\ns=-\r\nt=0 0\r\n'],
    ];
    for (const [name, text] of bad) {
      it(name, () => {
        const e = expectSdpError(() => session.createAnswer(text, AUDIO_ONLY), 'malformed');
        expect(e.suggestedStatus).toBe(400);
      });
    }
  });

  describe('invariants over every peer fixture (RFC 3264 §6)', () => {
    const SRTP_AV: SdpLocalDescription = { ...LOCAL, audio: { ...LOCAL.audio!, crypto: [{ suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: KEY80 }], srtp: 'optional' } };
    const files = ['sipp-uac.sdp', 'sipp-uac-pcap.sdp', 'baresip-offer.sdp', 'baresip-srtp.sdp', 'linphone-audio-video.sdp', 'asterisk-offer.sdp', 'asterisk-hold.sdp', 'genesys-offer.sdp', 'genesys-hold-legacy.sdp'];
    for (const file of files) {
      it(`${file}: same m-lines, types, transports; only offered formats; offered numbers`, () => {
        const offerText = fixture(file);
        const offer = parse(offerText);
        const { sdp: answerText, result } = session.createAnswer(offerText, SRTP_AV);
        const answer = parse(answerText);
        expect(answer.media.map((m) => m.type)).toEqual(offer.media.map((m) => m.type));
        expect(answer.media.map((m) => m.protocol)).toEqual(offer.media.map((m) => m.protocol));
        expect(result.streams).toHaveLength(offer.media.length);
        answer.media.forEach((m, i) => {
          const o = offer.media[i]!;
          const offered = new Set(String(o.payloads).split(' '));
          for (const pt of String(m.payloads).split(' ')) expect(offered.has(pt)).toBe(true);
          for (const r of m.rtp) {
            const or = o.rtp.find((x) => x.payload === r.payload);
            if (or) expect(r.codec.toLowerCase()).toBe(or.codec.toLowerCase());
          }
          expect(m.port === 0).toBe(!result.streams[i]!.accepted);
        });
        expect(result.streams.some((x) => x.accepted)).toBe(true);
      });
    }
  });

  it('refuses to answer while our own offer is outstanding (glare, 491)', () => {
    session.createOffer(AUDIO_ONLY);
    expect(() => session.createAnswer(fixture('sipp-uac.sdp'), AUDIO_ONLY)).toThrow(InvalidStateError);
  });

  it('rejects an invalid local description with INVALID_ARGUMENT', () => {
    const bad: SdpLocalDescription = { ...AUDIO_ONLY, ports: { audio: 70000 } };
    try {
      session.createAnswer(fixture('sipp-uac.sdp'), bad);
      expect.unreachable();
    } catch (e) {
      expect(isSdkError(e, ErrorCode.InvalidArgument)).toBe(true);
    }
    expect(() => session.createAnswer(fixture('sipp-uac.sdp'), { ...AUDIO_ONLY, audio: { codecs: [] } })).toThrow(/no codecs/);
  });
});
