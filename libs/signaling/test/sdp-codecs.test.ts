import { describe, expect, it } from 'vitest';
import { ErrorCode, isSdkError } from '@sip-endpoint/base';
import { codecKey, formatEventList, normalizeCodec, parseEventList, parseFmtpParams, staticPayloadType } from '../src/sdp/codecs';
import { allocatePayloadTypes } from '../src/sdp/negotiate';
import { SDES_KEY_LENGTHS, STATIC_PAYLOAD_TYPES, createSdesCrypto } from '../src/sdp/index';

describe('sdp codec helpers', () => {
  it('knows the RFC 3551 static payload types', () => {
    expect(staticPayloadType({ name: 'pcmu', clockRate: 8000, channels: 1 })).toBe(0);
    expect(staticPayloadType({ name: 'GSM', clockRate: 8000, channels: 1 })).toBe(3);
    expect(staticPayloadType({ name: 'G723', clockRate: 8000, channels: 1 })).toBe(4);
    expect(staticPayloadType({ name: 'PCMA', clockRate: 8000, channels: 1 })).toBe(8);
    expect(staticPayloadType({ name: 'G722', clockRate: 8000, channels: 1 })).toBe(9);
    expect(staticPayloadType({ name: 'G729', clockRate: 8000, channels: 1 })).toBe(18);
    expect(staticPayloadType({ name: 'H263', clockRate: 90000, channels: 1 })).toBe(34);
    expect(staticPayloadType({ name: 'PCMU', clockRate: 16000, channels: 1 })).toBeUndefined();
    expect(staticPayloadType({ name: 'opus', clockRate: 48000, channels: 2 })).toBeUndefined();
    expect(STATIC_PAYLOAD_TYPES.get(13)?.name).toBe('CN');
  });

  it('normalises opus to 48000/2 and G722 to its 8000 RTP clock', () => {
    expect(normalizeCodec({ name: 'opus', clockRate: 16000 })).toEqual({ name: 'opus', clockRate: 48000, channels: 2 });
    expect(normalizeCodec({ name: 'G722', clockRate: 16000, fmtp: 'x=1' })).toEqual({ name: 'G722', clockRate: 8000, channels: 1, fmtp: 'x=1' });
  });

  it('tells H264 packetization modes and AMR octet-align apart, ignores other fmtp', () => {
    const h = (fmtp?: string): string => codecKey({ name: 'H264', clockRate: 90000, channels: 1, ...(fmtp ? { fmtp } : {}) });
    expect(h()).toBe(h('packetization-mode=0;profile-level-id=42e01f'));
    expect(h('packetization-mode=1')).not.toBe(h());
    expect(h('profile-level-id=42801F; packetization-mode=1')).toBe(h('packetization-mode=1'));
    const amr = (fmtp?: string): string => codecKey({ name: 'AMR', clockRate: 8000, channels: 1, ...(fmtp ? { fmtp } : {}) });
    expect(amr('octet-align=1')).not.toBe(amr());
    expect(amr('octet-align=0;mode-set=7')).toBe(amr());
    expect(codecKey({ name: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' })).toBe(codecKey({ name: 'OPUS', clockRate: 48000, channels: 2 }));
  });

  it('parses fmtp parameters', () => {
    expect([...parseFmtpParams(' minptime=10; useinbandfec=1;flag ')]).toEqual([
      ['minptime', '10'],
      ['useinbandfec', '1'],
      ['flag', ''],
    ]);
    expect(parseFmtpParams(undefined).size).toBe(0);
  });

  it('parses and formats RFC 4733 event lists', () => {
    expect([...parseEventList('0-3,10, 16')!]).toEqual([0, 1, 2, 3, 10, 16]);
    expect(parseEventList('0-300')).toBeUndefined();
    expect(parseEventList('5-1')).toBeUndefined();
    expect(parseEventList('a')).toBeUndefined();
    expect(formatEventList(new Set([16, 0, 1, 2, 3, 15, 14, 66]))).toBe('0-3,14-16,66');
    expect(formatEventList(new Set())).toBe('');
  });

  it('allocates dynamic payload types without collisions and fails when 96-127 is exhausted', () => {
    const many = Array.from({ length: 33 }, (_, i) => ({ codec: { name: `x${i}`, clockRate: 8000, channels: 1 } }));
    const ok = allocatePayloadTypes(many.slice(0, 32), new Map());
    expect(new Set(ok.map((p) => p.pt)).size).toBe(32);
    expect(Math.min(...ok.map((p) => p.pt))).toBe(96);
    expect(Math.max(...ok.map((p) => p.pt))).toBe(127);
    expect(() => allocatePayloadTypes(many, new Map())).toThrow(/no free dynamic payload type/);
    // a duplicate codec is placed once
    expect(allocatePayloadTypes([{ codec: { name: 'PCMU', clockRate: 8000, channels: 1 } }, { codec: { name: 'pcmu', clockRate: 8000, channels: 1 } }], new Map())).toHaveLength(1);
  });
});

describe('createSdesCrypto', () => {
  it('makes an inline key of the suite length from the random source', () => {
    for (const [suite, len] of Object.entries(SDES_KEY_LENGTHS)) {
      const c = createSdesCrypto(suite, (b) => b.fill(7));
      expect(c.suite).toBe(suite);
      const raw = Buffer.from(c.keyParams.replace(/^inline:/, ''), 'base64');
      expect(raw.length).toBe(len);
      expect([...raw].every((x) => x === 7)).toBe(true);
    }
  });

  it('uses fresh random keys by default and rejects unknown suites', () => {
    const a = createSdesCrypto('AES_CM_128_HMAC_SHA1_80');
    const b = createSdesCrypto('AES_CM_128_HMAC_SHA1_80');
    expect(a.keyParams).toMatch(/^inline:[A-Za-z0-9+/]{40}$/);
    expect(a.keyParams).not.toBe(b.keyParams);
    try {
      createSdesCrypto('NULL_HMAC_SHA1_80');
      expect.unreachable();
    } catch (e) {
      expect(isSdkError(e, ErrorCode.InvalidArgument)).toBe(true);
    }
  });
});
