/** parseMessage: framing, folding, compact forms, limits, validation, and a bounded fuzz. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkMessage,
  createResponse,
  H,
  parseMessage,
  SipLimitError,
  SipParseError,
  SipRequest,
  SipResponse,
  validateRequest,
} from '../src/message/index';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');
const OPTIONS = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport',
  'Max-Forwards: 70',
  'To: <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 63104 OPTIONS',
  'Content-Length: 0',
  '',
  '',
];

function parseError(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    return e as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('parseMessage', () => {
  it('parses a request and a response', () => {
    const m = parseMessage(crlf(OPTIONS));
    expect(m).toBeInstanceOf(SipRequest);
    const req = m as SipRequest;
    expect(req.method).toBe('OPTIONS');
    expect(req.from.displayName).toBe('Alice');
    expect(req.topVia.params.get('rport')).toBeNull();
    expect(validateRequest(req)).toBeNull();
    const res = parseMessage(createResponse(req, 200, undefined, { toTag: 'xyz' }).serialize());
    expect(res).toBeInstanceOf(SipResponse);
    expect((res as SipResponse).status).toBe(200);
    expect((res as SipResponse).to.params.get('tag')).toBe('xyz');
    expect((res as SipResponse).cseq).toEqual({ seq: 63104, method: 'OPTIONS' });
  });

  it('unfolds continuation lines and expands compact forms', () => {
    const m = parseMessage(crlf(['MESSAGE sip:b@example.com SIP/2.0', 'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'f: <sip:a@example.com>', '\t;tag=9', 't:', '  <sip:b@example.com>', 'i: x@y', 'CSeq: 1', '   MESSAGE', 'c: text/plain', 'Subject:', 'X-Long: a', ' b', '\t c', 'l: 5', '', 'hello']));
    expect(m.from.params.get('tag')).toBe('9');
    expect(m.to.uri).toMatchObject({ user: 'b' });
    expect(m.callId).toBe('x@y');
    expect(m.cseq).toEqual({ seq: 1, method: 'MESSAGE' });
    expect(m.contentType).toMatchObject({ type: 'text', subtype: 'plain' });
    expect(m.headers.get('subject')).toBe('');
    expect(m.headers.get('x-long')).toBe('a b c');
    expect(m.headers.all().map((f) => f.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Type', 'Subject', 'X-Long', 'Content-Length']);
    expect(m.body.toString()).toBe('hello');
  });

  it('frames the body by Content-Length, per transport', () => {
    const withBody = (cl: string | undefined, body: string): Buffer =>
      crlf([...OPTIONS.slice(0, 7), ...(cl === undefined ? [] : [`Content-Length: ${cl}`]), '', body]);
    expect(parseMessage(withBody('3', 'abcdef')).body.toString()).toBe('abc');
    expect(parseMessage(withBody(undefined, 'abcdef')).body.toString()).toBe('abcdef');
    expect(parseError(() => parseMessage(withBody(undefined, 'abc'), { datagram: false })).status).toBe(400);
    expect(parseMessage(withBody('6', 'abcdef'), { datagram: false }).body.toString()).toBe('abcdef');
    expect(parseError(() => parseMessage(withBody('7', 'abcdef'))).status).toBe(400);
    expect(parseError(() => parseMessage(withBody('x', ''))).status).toBe(400);
    // leading CRLFs (stream keep-alives) are skipped, RFC 3261 §7.5
    expect(parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), crlf(OPTIONS)])).headers.size).toBe(7);
  });

  it('accepts bare LF line ends', () => {
    const m = parseMessage(Buffer.from(OPTIONS.join('\n')));
    expect((m as SipRequest).cseq.seq).toBe(63104);
  });

  it('refuses malformed start lines and headers', () => {
    const cases: [string[], number][] = [
      [['OPTIONS sip:bob@example.com SIP/3.0', ''], 505],
      [['OPTIONS sip:bob@example.com SIP/2', ''], 400],
      [['OPTIONS  sip:bob@example.com SIP/2.0', ''], 400],
      [['OPTIONS sip:bob@example.com', ''], 400],
      [['OPT IONS sip:bob@example.com SIP/2.0', ''], 400],
      [['OPTIONS <sip:bob@example.com> SIP/2.0', ''], 400],
      [['SIP/2.0 99 Low', ''], 400],
      [['SIP/2.0 700 High', ''], 400],
      [['SIP/2.0 2000 OK', ''], 400],
      [['SIP/9.9 200 OK', ''], 505],
      [['OPTIONS sip:b@e SIP/2.0', 'No colon here', ''], 400],
      [['OPTIONS sip:b@e SIP/2.0', 'Bad Name: x', ''], 400],
      [['OPTIONS sip:b@e SIP/2.0', ' folded: first', ''], 400],
      [['', ''], 400],
    ];
    for (const [lines, status] of cases) {
      expect(parseError(() => parseMessage(crlf([...lines, '']))).status, lines[0]).toBe(status);
    }
    expect(parseError(() => parseMessage(Buffer.alloc(0))).status).toBe(400);
    // a bare CR inside a line is not a line end (no header smuggling through re-serialization)
    expect(parseError(() => parseMessage(crlf([...OPTIONS.slice(0, 3), 'X-A: a\rInjected: b', ...OPTIONS.slice(3)]))).status).toBe(400);
    expect(parseError(() => parseMessage(crlf(['SIP/2.0 200 O\rK', ...OPTIONS.slice(1)]))).status).toBe(400);
    expect(parseError(() => parseMessage(Buffer.from('OPTIONS sip:b@e SIP/2.0\r\nVia: x'))).status).toBe(400);
  });

  it('applies limits', () => {
    const big = crlf([...OPTIONS.slice(0, 7), `X-Pad: ${'a'.repeat(1000)}`, '', '']);
    const size = parseError(() => parseMessage(big, { limits: { maxMessageSize: 500 } }));
    expect(size).toBeInstanceOf(SipLimitError);
    expect((size as SipLimitError).limit).toEqual({ name: 'maxMessageSize', max: 500, actual: big.length });
    expect(size.status).toBe(513);
    const line = parseError(() => parseMessage(big, { limits: { maxLineLength: 200 } })) as SipLimitError;
    expect(line.limit.name).toBe('maxLineLength');
    const folded = crlf([...OPTIONS.slice(0, 7), 'X-Fold: a', ...Array.from({ length: 30 }, () => ` ${'b'.repeat(20)}`), '', '']);
    expect((parseError(() => parseMessage(folded, { limits: { maxLineLength: 300 } })) as SipLimitError).limit.name).toBe('maxLineLength');
    const many = crlf([...OPTIONS.slice(0, 7), ...Array.from({ length: 20 }, (_, i) => `X-H${i}: ${i}`), '', '']);
    const count = parseError(() => parseMessage(many, { limits: { maxHeaderCount: 10 } })) as SipLimitError;
    expect(count.limit).toMatchObject({ name: 'maxHeaderCount', max: 10 });
    expect(parseMessage(many).headers.size).toBe(26);
    const longStart = crlf([`OPTIONS sip:${'u'.repeat(300)}@example.com SIP/2.0`, ...OPTIONS.slice(1)]);
    expect((parseError(() => parseMessage(longStart, { limits: { maxLineLength: 100 } })) as SipLimitError).limit.name).toBe('maxLineLength');
  });

  it('checkMessage and validateRequest', () => {
    const noVia = parseMessage(crlf(OPTIONS.filter((l) => !l.startsWith('Via'))));
    expect(parseError(() => checkMessage(noVia)).details.header).toBe('Via');
    const req = parseMessage(crlf(OPTIONS)) as SipRequest;
    expect(validateRequest(req, { supportedMethods: ['INVITE', 'BYE'] })).toEqual({ status: 405, reason: 'Method Not Allowed', headers: [['Allow', 'INVITE, BYE']] });
    const inv = parseMessage(crlf(['INVITE sip:bob@example.com SIP/2.0', ...OPTIONS.slice(1, 6), 'CSeq: 1 INVITE', 'Accept: application/*', 'Require: 100rel', 'Proxy-Require: foo', 'Content-Type: application/sdp', 'Content-Encoding: gzip', 'Content-Length: 1', '', 'x'])) as SipRequest;
    expect(validateRequest(inv)).toMatchObject({ status: 420, headers: [['Unsupported', '100rel']] });
    expect(validateRequest(inv, { supportedExtensions: ['100REL'] })).toMatchObject({ status: 415, headers: [['Accept-Encoding', 'identity'], ['Accept', 'application/sdp']] });
    inv.setHeader('Content-Encoding', undefined);
    expect(validateRequest(inv, { supportedExtensions: ['100rel'] })).toBeNull();
    inv.setHeader('Accept', '');
    expect(validateRequest(inv, { supportedExtensions: ['100rel'] })).toMatchObject({ status: 406 });
  });

  it('typed values are cached and rewritten through the codecs', () => {
    const req = parseMessage(crlf(OPTIONS)) as SipRequest;
    expect(req.get(H.Via)).toBe(req.get(H.Via));
    req.set(H.CSeq, { seq: 63105, method: 'OPTIONS' });
    const again = parseMessage(req.serialize()) as SipRequest;
    expect(again.cseq.seq).toBe(63105);
  });
});

describe('fuzz (bounded): only SipParseError ever escapes', () => {
  const DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/rfc4475');
  const corpus = [crlf(OPTIONS), ...readdirSync(DIR).filter((f) => f.endsWith('.dat')).map((f) => readFileSync(join(DIR, f)))];
  // A small deterministic PRNG (xorshift32) so failures reproduce.
  let seed = 0x2545f491;
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const INTERESTING = Buffer.from(' \t\r\n:;,<>"\\@%=/?[]0123456789abcSIP\x00\xff');

  /** Parses, then reads every typed view the stack uses; any non-SipParseError fails. */
  function exercise(data: Buffer): void {
    try {
      const m = parseMessage(data, { datagram: rnd(2) === 0 });
      try {
        checkMessage(m);
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
      }
      for (const codec of Object.values(H)) {
        try {
          m.get(codec as typeof H.Via);
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
        }
      }
      if (m instanceof SipRequest) validateRequest(m);
      m.serialize();
    } catch (e) {
      if (!(e instanceof SipParseError)) throw new Error(`non-SipParseError for input ${JSON.stringify(data.toString('latin1'))}: ${String(e)}`, { cause: e });
    }
  }

  it('random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(rnd(300));
      for (let k = 0; k < b.length; k++) b[k] = rnd(4) === 0 ? INTERESTING[rnd(INTERESTING.length)]! : rnd(256);
      exercise(b);
    }
    expect(seed).not.toBe(0);
  });

  it('truncations and mutations of the torture messages', () => {
    let parsed = 0;
    for (let i = 0; i < 6000; i++) {
      const src = corpus[rnd(corpus.length)]!;
      let b = Buffer.from(src);
      switch (rnd(4)) {
        case 0:
          b = b.subarray(0, rnd(b.length + 1));
          break;
        case 1:
          for (let k = 0, n = 1 + rnd(8); k < n && b.length; k++) b[rnd(b.length)] = INTERESTING[rnd(INTERESTING.length)]!;
          break;
        case 2: {
          const at = rnd(b.length + 1);
          b = Buffer.concat([b.subarray(0, at), INTERESTING.subarray(rnd(INTERESTING.length)), b.subarray(at)]);
          break;
        }
        default: {
          const at = rnd(b.length + 1);
          b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(20)))]);
        }
      }
      exercise(b);
      try {
        parseMessage(b);
        parsed++;
      } catch {
        // counted below
      }
    }
    // the mutations must not be so destructive that nothing parses
    expect(parsed).toBeGreaterThan(500);
  });
});
