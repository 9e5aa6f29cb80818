import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@sip-endpoint/base';
import { StreamFramer, readContentLength, FramingError, type FramerItem } from '../src/transport/index';

const LIMITS = { maxMessageSize: 65535, maxHeaderBytes: 32768 };

function msg(body: string, extraHeaders = '', lengthHeader = `Content-Length: ${Buffer.byteLength(body)}\r\n`): string {
  return `INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\nCall-ID: a@b\r\n${extraHeaders}${lengthHeader}\r\n${body}`;
}

function messages(items: FramerItem[]): string[] {
  return items.flatMap((i) => (i.type === 'message' ? [i.data.toString('latin1')] : []));
}

describe('StreamFramer', () => {
  it('frames a message split at every byte position', () => {
    const a = msg('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    const b = msg('', '', 'Content-Length: 0\r\n');
    const all = Buffer.from(a + b, 'latin1');
    for (let cut = 0; cut <= all.length; cut++) {
      const f = new StreamFramer(LIMITS);
      const r1 = f.push(all.subarray(0, cut));
      const r2 = f.push(all.subarray(cut));
      expect(r1.error).toBeUndefined();
      expect(r2.error).toBeUndefined();
      expect([...messages(r1.items), ...messages(r2.items)]).toEqual([a, b]);
      expect(f.hasPartialMessage).toBe(false);
      expect(f.bufferedBytes).toBe(0);
    }
  });

  it('frames byte by byte', () => {
    const a = msg('hello body');
    const f = new StreamFramer(LIMITS);
    const out: string[] = [];
    for (const byte of Buffer.from(a + a, 'latin1')) out.push(...messages(f.push(Buffer.from([byte])).items));
    expect(out).toEqual([a, a]);
  });

  it('frames several messages in one chunk and reports the partial rest', () => {
    const a = msg('one');
    const b = msg('two!');
    const f = new StreamFramer(LIMITS);
    const r = f.push(Buffer.from(a + b + a.slice(0, 20), 'latin1'));
    expect(messages(r.items)).toEqual([a, b]);
    expect(f.hasPartialMessage).toBe(true);
    expect(f.messagesStarted).toBe(3);
    expect(messages(f.push(Buffer.from(a.slice(20), 'latin1')).items)).toEqual([a]);
  });

  it('reads folded and compact Content-Length, case-insensitively', () => {
    const f = new StreamFramer(LIMITS);
    const folded = msg('12345', '', 'content-LENGTH  :\r\n   5\r\n');
    const compact = msg('123', '', 'l: 3\r\n');
    const compactUpper = msg('1234', '', 'L:4\r\n');
    expect(messages(f.push(Buffer.from(folded + compact + compactUpper, 'latin1')).items)).toEqual([folded, compact, compactUpper]);
  });

  it('accepts repeated equal Content-Length and a body containing CRLFCRLF', () => {
    const body = '\r\n\r\nx\r\n\r\n';
    const m = msg(body, `Content-Length: ${body.length}\r\n`);
    const r = new StreamFramer(LIMITS).push(Buffer.from(m, 'latin1'));
    expect(r.error).toBeUndefined();
    expect(messages(r.items)).toEqual([m]);
  });

  it('skips CRLF keep-alives between messages and reports pings and pongs', () => {
    const a = msg('x');
    const f = new StreamFramer(LIMITS);
    const r = f.push(Buffer.from(`\r\n\r\n${a}\r\n\r\n\r\n${a}\r\n`, 'latin1'));
    expect(messages(r.items)).toEqual([a, a]);
    expect(r.items.map((i) => i.type)).toEqual(['pong', 'pong', 'ping', 'message', 'pong', 'pong', 'ping', 'pong', 'message', 'pong']);
    expect(f.hasPartialMessage).toBe(false);
    // A ping split over two chunks is still a ping.
    const g = new StreamFramer(LIMITS);
    expect(g.push(Buffer.from('\r\n')).items.map((i) => i.type)).toEqual(['pong']);
    expect(g.push(Buffer.from('\r\n')).items.map((i) => i.type)).toEqual(['pong', 'ping']);
    expect(g.hasPartialMessage).toBe(false);
  });

  it.each([
    ['negative', 'Content-Length: -5\r\n', 'invalid-content-length'],
    ['garbage', 'Content-Length: 5x\r\n', 'invalid-content-length'],
    ['empty', 'Content-Length:\r\n', 'invalid-content-length'],
    ['conflicting', 'Content-Length: 5\r\nl: 6\r\n', 'conflicting-content-length'],
    ['missing', '', 'missing-content-length'],
    ['oversize', 'Content-Length: 70000\r\n', 'message-too-large'],
    ['huge', 'Content-Length: 99999999999999999999999\r\n', 'message-too-large'],
  ])('rejects a %s Content-Length', (_name, header, reason) => {
    const f = new StreamFramer(LIMITS);
    const before = msg('ok');
    const r = f.push(Buffer.from(before + msg('12345', '', header), 'latin1'));
    expect(messages(r.items)).toEqual([before]);
    expect(r.error).toBeInstanceOf(FramingError);
    expect(r.error?.reason).toBe(reason);
    // The framer stays failed and holds nothing.
    const again = f.push(Buffer.from(before, 'latin1'));
    expect(again.items).toEqual([]);
    expect(again.error).toBe(r.error);
    expect(f.bufferedBytes).toBe(0);
  });

  it('rejects a header block over maxHeaderBytes before seeing its end', () => {
    const f = new StreamFramer({ maxMessageSize: 4096, maxHeaderBytes: 200 });
    const r1 = f.push(Buffer.from(`INVITE sip:a@b SIP/2.0\r\nX: ${'a'.repeat(150)}`, 'latin1'));
    expect(r1.error).toBeUndefined();
    const r2 = f.push(Buffer.from('b'.repeat(100), 'latin1'));
    expect(r2.error?.reason).toBe('header-too-large');
    expect(r2.error?.code).toBe(ErrorCode.SipLimitExceeded);
  });

  it('rejects a complete header block over maxHeaderBytes and a body over maxMessageSize', () => {
    const small = { maxMessageSize: 300, maxHeaderBytes: 150 };
    expect(new StreamFramer(small).push(Buffer.from(msg('', `X: ${'a'.repeat(60)}\r\n`), 'latin1')).error?.reason).toBe('header-too-large');
    expect(new StreamFramer(small).push(Buffer.from(msg('b'.repeat(250)), 'latin1')).error?.reason).toBe('message-too-large');
    expect(new StreamFramer(small).push(Buffer.from(msg('b'.repeat(100)), 'latin1')).error).toBeUndefined();
  });

  it('survives random bytes without throwing and without unbounded buffering', () => {
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    let errors = 0;
    for (let round = 0; round < 200; round++) {
      const f = new StreamFramer({ maxMessageSize: 2048, maxHeaderBytes: 1024 });
      for (let k = 0; k < 20 && !f.error; k++) {
        const chunk = Buffer.alloc(Math.floor(rnd() * 300));
        for (let i = 0; i < chunk.length; i++) chunk[i] = rnd() < 0.1 ? 0x0d + (rnd() < 0.5 ? 0 : -3) : Math.floor(rnd() * 256);
        f.push(chunk);
        expect(f.bufferedBytes).toBeLessThanOrEqual(2048 + 300);
      }
      if (f.error) errors++;
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('readContentLength reports missing and parses leading zeros', () => {
    expect(readContentLength(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 007'))).toBe(7);
    expect(readContentLength(Buffer.from('SIP/2.0 200 OK\r\nX: 1'))).toBeInstanceOf(FramingError);
  });
});
