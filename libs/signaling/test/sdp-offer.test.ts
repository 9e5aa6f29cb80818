import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { ErrorCode, InvalidStateError, ensureNoDisposablesAreLeakedInTestSuite, isSdkError } from '@sip-endpoint/base';
import { SdpSession, SdpSessionState, type SdpLocalDescription } from '../src/sdp/index';

const KEY80 = 'inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw';
const KEY32 = 'inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk';

const AUDIO: SdpLocalDescription = {
  address: '192.0.2.10',
  ports: { audio: 20000 },
  audio: {
    codecs: [
      { name: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
      { name: 'PCMU', clockRate: 8000 },
      { name: 'G729', clockRate: 8000, fmtp: 'annexb=no' },
      { name: 'PCMA', clockRate: 8000 },
      { name: 'speex', clockRate: 16000 },
      { name: 'G722', clockRate: 16000 },
    ],
    telephoneEvent: true,
    ptime: 20,
  },
};

const AV: SdpLocalDescription = {
  ...AUDIO,
  ports: { audio: 20000, video: 20002 },
  video: { codecs: [{ name: 'H264', clockRate: 90000, fmtp: 'packetization-mode=1' }, { name: 'VP8', clockRate: 90000 }, { name: 'H263', clockRate: 90000 }] },
};

const sdp = (...lines: string[]): string => lines.join('\r\n') + '\r\n';

/** A minimal answer accepting the first format of each m-line of `offer` (or rejecting where `ports[i]` is 0). */
function simpleAnswer(offer: string, ports: number[], extra: string[][] = []): string {
  const o = parse(offer);
  const lines = ['v=0', 'o=peer 9 9 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0'];
  o.media.forEach((m, i) => {
    const first = String(m.payloads).split(' ')[0]!;
    lines.push(`m=${m.type} ${ports[i] ?? 0} ${m.protocol} ${first}`);
    const rtpmap = m.rtp.find((r) => r.payload === Number(first));
    if (rtpmap && ports[i]) lines.push(`a=rtpmap:${first} ${rtpmap.codec}/${rtpmap.rate}${rtpmap.encoding ? `/${rtpmap.encoding}` : ''}`);
    const fmtp = m.fmtp.find((f) => f.payload === Number(first));
    if (fmtp && ports[i]) lines.push(`a=fmtp:${first} ${fmtp.config}`);
    lines.push(...(extra[i] ?? []));
  });
  return sdp(...lines);
}

describe('SdpSession.createOffer', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let session: SdpSession;
  beforeEach(() => {
    session = new SdpSession({ sessionId: '777000', initialVersion: 5 });
  });
  afterEach(() => session.dispose());

  it('writes static payload types for static codecs and 96-127 for the others, without collisions', () => {
    const offer = session.createOffer(AUDIO);
    const m = parse(offer).media[0]!;
    expect(m.protocol).toBe('RTP/AVP');
    expect(m.port).toBe(20000);
    const pts = String(m.payloads).split(' ').map(Number);
    expect(new Set(pts).size).toBe(pts.length);
    const byName = new Map(m.rtp.map((r) => [`${r.codec}/${r.rate}`, r.payload]));
    expect(byName.get('PCMU/8000')).toBe(0);
    expect(byName.get('PCMA/8000')).toBe(8);
    expect(byName.get('G729/8000')).toBe(18);
    // G722 is normalised to its RTP clock 8000 (RFC 3551 §4.5.2) and gets static 9
    expect(byName.get('G722/8000')).toBe(9);
    for (const dyn of ['opus/48000', 'speex/16000', 'telephone-event/8000']) {
      const pt = byName.get(dyn)!;
      expect(pt).toBeGreaterThanOrEqual(96);
      expect(pt).toBeLessThanOrEqual(127);
    }
    expect(byName.get('telephone-event/8000')).toBe(101);
    expect(m.rtp.find((r) => r.codec === 'opus')?.encoding).toBe(2);
    // priority order kept, telephone-event last
    expect(m.rtp.map((r) => r.codec)).toEqual(['opus', 'PCMU', 'G729', 'PCMA', 'speex', 'G722', 'telephone-event']);
    expect(m.fmtp).toEqual(
      expect.arrayContaining([
        { payload: byName.get('opus/48000')!, config: 'useinbandfec=1' },
        { payload: 18, config: 'annexb=no' },
        { payload: 101, config: '0-16' },
      ]),
    );
    expect(m.ptime).toBe(20);
    expect(m.direction).toBe('sendrecv');
    expect(offer.endsWith('\r\n')).toBe(true);
    expect(offer).not.toMatch(/[^\r]\n/);
  });

  it('honours a preferred dynamic payload type and moves a colliding one', () => {
    const local: SdpLocalDescription = {
      ...AUDIO,
      audio: { codecs: [{ name: 'opus', clockRate: 48000, payloadType: 111 }, { name: 'iLBC', clockRate: 8000, payloadType: 111 }, { name: 'PCMU', clockRate: 8000, payloadType: 97 }], telephoneEvent: { clockRate: 8000, events: '0-15' } },
    };
    const m = parse(session.createOffer(local)).media[0]!;
    expect(m.rtp.map((r) => `${r.payload} ${r.codec}`)).toEqual(['111 opus', '96 iLBC', '0 PCMU', '101 telephone-event']);
    expect(m.fmtp).toEqual([{ payload: 101, config: '0-15' }]);
  });

  it('offers audio and video with separate payload spaces', () => {
    const o = parse(session.createOffer(AV));
    expect(o.media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 20000', 'video 20002']);
    const v = o.media[1]!;
    expect(v.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual(['96 H264/90000', '97 VP8/90000', '34 H263/90000']);
    expect(v.fmtp).toEqual([{ payload: 96, config: 'packetization-mode=1' }]);
    expect(v.ptime).toBeUndefined();
  });

  it('offers SDES crypto on RTP/SAVP (mandatory) or RTP/AVP (optional), tags from 1, and rtcp-mux', () => {
    const crypto = [
      { suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: KEY80 },
      { suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: KEY32, sessionParams: 'UNENCRYPTED_SRTCP' },
    ];
    const mandatory = parse(session.createOffer({ ...AUDIO, audio: { ...AUDIO.audio!, crypto, rtcpMux: true } })).media[0]!;
    expect(mandatory.protocol).toBe('RTP/SAVP');
    expect(mandatory.rtcpMux).toBe('rtcp-mux');
    expect(mandatory.crypto).toEqual([
      { id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: KEY80 },
      { id: 2, suite: 'AES_CM_128_HMAC_SHA1_32', config: KEY32, sessionConfig: 'UNENCRYPTED_SRTCP' },
    ]);
    const s2 = new SdpSession();
    const optional = parse(s2.createOffer({ ...AUDIO, audio: { ...AUDIO.audio!, crypto, srtp: 'optional' } })).media[0]!;
    expect(optional.protocol).toBe('RTP/AVP');
    expect(optional.crypto).toHaveLength(2);
    s2.dispose();
  });

  it('writes o= with the session id, the user name and IN IP6 for an IPv6 address', () => {
    const s6 = new SdpSession({ sessionId: '12345678901234567890' });
    const offer = s6.createOffer({ ...AUDIO, address: '2001:db8::10', username: 'alice', sessionName: 'call' });
    expect(offer).toContain('\r\no=alice 12345678901234567890 1 IN IP6 2001:db8::10\r\n');
    expect(offer).toContain('\r\ns=call\r\n');
    expect(offer).toContain('\r\nc=IN IP6 2001:db8::10\r\n');
    s6.dispose();
  });

  describe('re-offers (RFC 3264 §8)', () => {
    it('keeps the o= id, keeps the version when nothing changed, bumps it by one when something did', () => {
      const o1 = session.createOffer(AUDIO);
      session.acceptAnswer(o1, simpleAnswer(o1, [30000]));
      const o2 = session.createOffer(AUDIO);
      session.acceptAnswer(o2, simpleAnswer(o2, [30000]));
      const o3 = session.createOffer(AUDIO, { hold: 'rfc3264' });
      session.acceptAnswer(o3, simpleAnswer(o3, [30000]));
      const [p1, p2, p3] = [o1, o2, o3].map((o) => parse(o).origin);
      expect([p1!.sessionId, p2!.sessionId, p3!.sessionId]).toEqual([777000, 777000, 777000]);
      expect([p1!.sessionVersion, p2!.sessionVersion, p3!.sessionVersion]).toEqual([5, 5, 6]);
      expect(o2).toBe(o1);
      expect(session.originVersion).toBe(6);
      // the origin address stays that of the first SDP even when the media address changes
      const o4 = session.createOffer({ ...AUDIO, address: '192.0.2.99' });
      expect(parse(o4).origin).toMatchObject({ sessionVersion: 7, address: '192.0.2.10' });
      expect(parse(o4).connection?.ip).toBe('192.0.2.99');
    });

    it('keeps m-line order and count; a stream we dropped gets port 0; new streams are appended', () => {
      const o1 = session.createOffer(AUDIO);
      session.acceptAnswer(o1, simpleAnswer(o1, [30000]));
      const o2 = session.createOffer(AV);
      expect(parse(o2).media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 20000', 'video 20002']);
      session.acceptAnswer(o2, simpleAnswer(o2, [30000, 30002]));
      // video removed locally: the m-line stays with port 0
      const o3 = session.createOffer(AUDIO);
      expect(parse(o3).media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 20000', 'video 0']);
      session.acceptAnswer(o3, simpleAnswer(o3, [30000, 0]));
      // audio removed too: both stay
      const o4 = session.createOffer({ ...AV, audio: undefined, ports: { video: 20002 } });
      expect(parse(o4).media.map((m) => `${m.type} ${m.port}`)).toEqual(['audio 0', 'video 20002']);
      const ans4 = session.acceptAnswer(o4, simpleAnswer(o4, [0, 30002]));
      expect(ans4.streams.map((s) => s.rejectReason)).toEqual(['disabled-locally', undefined]);
      expect(ans4.video?.accepted).toBe(true);
      expect(ans4.audio).toBeUndefined();
    });

    it('keeps the m-lines of a remote offer we answered, including the ones we rejected', () => {
      const offer = sdp(
        'v=0',
        'o=- 5 5 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=image 40000 udptl t38',
        'm=audio 40002 RTP/AVP 111 0',
        'a=rtpmap:111 opus/48000/2',
        'a=mid:a1',
      );
      session.createAnswer(offer, AUDIO);
      const reoffer = parse(session.createOffer(AUDIO));
      expect(reoffer.media.map((m) => `${m.type} ${m.port} ${m.protocol}`)).toEqual(['image 0 udptl', 'audio 20000 RTP/AVP']);
      expect(String(reoffer.media[0]!.payloads)).toBe('t38');
      expect(reoffer.media[1]!.mid).toBe('a1');
      // RFC 3264 §8.3.2: opus keeps the number the dialog already uses for it (the offerer's 111)
      expect(reoffer.media[1]!.rtp.find((r) => r.codec === 'opus')?.payload).toBe(111);
    });

    it('never reuses a dynamic number the remote mapped to another codec in the same m-line', () => {
      const offer = sdp(
        'v=0',
        'o=- 5 5 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 40002 RTP/AVP 0 96 101',
        'a=rtpmap:96 AMR/8000',
        'a=rtpmap:101 telephone-event/8000',
      );
      session.createAnswer(offer, AUDIO);
      const m = parse(session.createOffer(AUDIO)).media[0]!;
      const opus = m.rtp.find((r) => r.codec === 'opus')!.payload;
      expect(opus).not.toBe(96);
      expect(m.rtp.find((r) => r.codec === 'telephone-event')!.payload).toBe(101);
      const pts = m.rtp.map((r) => r.payload);
      expect(new Set(pts).size).toBe(pts.length);
    });

    it('keeps the answerer payload type mapping for our next offer', () => {
      const o1 = session.createOffer(AUDIO);
      const opus1 = parse(o1).media[0]!.rtp.find((r) => r.codec === 'opus')!.payload;
      session.acceptAnswer(o1, sdp('v=0', 'o=p 1 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0', 'm=audio 30000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'));
      const o2 = session.createOffer(AUDIO);
      expect(parse(o2).media[0]!.rtp.find((r) => r.codec === 'opus')!.payload).toBe(opus1);
    });
  });

  describe('state machine', () => {
    it('stable -> have-local-offer -> stable, firing onDidChangeState', () => {
      const seen: string[] = [];
      const sub = session.onDidChangeState((e) => seen.push(`${e.previous}->${e.state}`));
      expect(session.state).toBe(SdpSessionState.Stable);
      const o = session.createOffer(AUDIO);
      expect(session.state).toBe(SdpSessionState.HaveLocalOffer);
      session.acceptAnswer(o, simpleAnswer(o, [30000]));
      expect(session.state).toBe(SdpSessionState.Stable);
      expect(seen).toEqual(['stable->have-local-offer', 'have-local-offer->stable']);
      sub.dispose();
    });

    it('refuses a second offer while one is outstanding (RFC 3264 §4)', () => {
      session.createOffer(AUDIO);
      expect(() => session.createOffer(AUDIO)).toThrow(InvalidStateError);
    });

    it('rollback restores the m-lines of before the rejected offer and never reuses its version', () => {
      const o1 = session.createOffer(AUDIO);
      session.acceptAnswer(o1, simpleAnswer(o1, [30000]));
      const rejected = session.createOffer(AV);
      expect(parse(rejected).media).toHaveLength(2);
      expect(parse(rejected).origin.sessionVersion).toBe(6);
      session.rollback();
      expect(session.state).toBe(SdpSessionState.Stable);
      // the video m-line of the rejected offer is gone; a changed SDP gets a fresh version
      const o3 = session.createOffer(AUDIO, { hold: 'rfc3264' });
      expect(parse(o3).media).toHaveLength(1);
      expect(parse(o3).origin.sessionVersion).toBe(7);
      session.rollback();
      // identical to the last SDP the peer accepted: same version as that one
      const o4 = session.createOffer(AUDIO);
      expect(parse(o4).origin.sessionVersion).toBe(5);
      session.rollback();
      session.rollback(); // no offer outstanding: nothing happens
      expect(session.state).toBe(SdpSessionState.Stable);
    });

    it('throws DISPOSED after dispose', () => {
      session.dispose();
      try {
        session.createOffer(AUDIO);
        expect.unreachable();
      } catch (e) {
        expect(isSdkError(e, ErrorCode.Disposed)).toBe(true);
      }
    });
  });

  it('rejects an invalid session id', () => {
    expect(() => new SdpSession({ sessionId: 'abc' })).toThrow(/digits/);
  });
});
