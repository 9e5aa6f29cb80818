/**
 * The parser's fast paths (see bench/parse.bench.ts): typed values parsed in place in the text
 * of the header section, fields and raw values made on first use, the decoded window, the
 * UTF-8 fallback. Each case checks the fast path against the plain string path or the text.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { H, parseMessage, SipParseError, SipRequest, type HeaderCodec } from '../src/message/index';

const here = dirname(fileURLToPath(import.meta.url));
const INVITE = readFileSync(join(here, '../../../bench/fixtures/invite.sip'));
const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');
const HEAD = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport',
  'Via: SIP/2.0/tcp [2001:db8::1]:5061;branch=z9hG4bKdef;received=192.0.2.9',
  'Max-Forwards: 70',
  'To: Bob  Smith <sip:bob@example.com>',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 63104 INVITE',
  'Contact: <sip:alice@192.0.2.1:5060;transport=udp>;expires=60, sip:alice@198.51.100.7;q=0.5',
];

/** Every codec the fast path serves, read through `get` and through `parse` on the raw lines. */
const CODECS: [string, HeaderCodec<unknown>][] = [
  ['Via', H.Via],
  ['From', H.From],
  ['To', H.To],
  ['Call-ID', H.CallId],
  ['CSeq', H.CSeq],
  ['Contact', H.Contact],
  ['Record-Route', H.RecordRoute],
  ['Max-Forwards', H.MaxForwards],
  ['Content-Type', H.ContentType],
  ['Allow', H.Allow],
  ['Supported', H.Supported],
];

function expectSameAsStringPath(buf: Buffer): void {
  const raw = parseMessage(buf);
  let seen = 0;
  for (const [name, codec] of CODECS) {
    const lines = raw.headers.getAll(name);
    // A fresh message per codec: the typed read must not depend on the fields being made.
    const typed = parseMessage(buf).get(codec);
    if (lines.length === 0) {
      expect(typed, name).toBeUndefined();
    } else {
      expect(typed, name).toEqual(codec.parse(lines));
      seen++;
    }
  }
  expect(seen).toBeGreaterThanOrEqual(6);
}

describe('typed values parsed in place', () => {
  it('equal the values parsed from the raw lines (bench fixture and a hand-made request)', () => {
    expectSameAsStringPath(INVITE);
    expectSameAsStringPath(crlf([...HEAD, 'Content-Length: 0', '', '']));
  });

  it('read the fixture fields the bench reads', () => {
    const m = parseMessage(INVITE) as SipRequest;
    expect(m).toBeInstanceOf(SipRequest);
    const via = m.get(H.Via)!;
    expect(via.map((v) => [v.transport, v.host, v.port, v.params.get('branch')])).toEqual([
      ['TCP', 'proxy.atlanta.example.com', 5060, 'z9hG4bK2d4790.1'],
      ['UDP', 'client.atlanta.example.com', 5060, 'z9hG4bK74bf9'],
    ]);
    expect(via[1]!.params.get('rport')).toBe('5060');
    const from = m.get(H.From)!;
    expect(from.displayName).toBe('Alice Liddell');
    expect(from.params.get('tag')).toBe('9fxced76sl');
    const to = m.get(H.To)!;
    expect(to.displayName).toBe('Bob');
    expect(to.uri).toMatchObject({ kind: 'sip', user: 'bob', host: 'biloxi.example.com' });
    expect(m.get(H.CSeq)).toEqual({ seq: 31862, method: 'INVITE' });
    expect(m.get(H.CallId)).toBe('3848276298220188511@atlanta.example.com');
    const contact = m.get(H.Contact)!;
    expect(contact.star).toBe(false);
    if (contact.star) return;
    expect(contact.contacts[0]!.params.get('+sip.instance')).toBe('"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"');
    expect(contact.contacts[0]!.uri).toMatchObject({ host: 'client.atlanta.example.com', port: 5060 });
    expect(m.uri).toMatchObject({ kind: 'sip', user: 'bob', host: 'biloxi.example.com' });
    expect(m.uri.kind === 'sip' && m.uri.params.get('transport')).toBe('tcp');
    expect(m.body.toString('latin1')).toMatch(/^v=0\r\n/);
    expect(m.body.length).toBe(264);
  });

  it('collapses LWS in a token display name and keeps a single SP as is', () => {
    const m = parseMessage(crlf([...HEAD, 'Content-Length: 0', '', '']));
    expect(m.get(H.To)!.displayName).toBe('Bob Smith');
    const tab = parseMessage(crlf([...HEAD.slice(0, 4), 'To: Bob\tSmith <sip:bob@example.com>', ...HEAD.slice(5), 'Content-Length: 0', '', '']));
    expect(tab.get(H.To)!.displayName).toBe('Bob Smith');
  });

  it('parses a folded value (which has no span in the text) and joins its lines with one SP', () => {
    const m = parseMessage(crlf([...HEAD.slice(0, 8), 'Contact: <sip:a@192.0.2.1>;expires=60,', '   <sip:b@192.0.2.2>', 'Content-Length: 0', '', '']));
    expect(m.headers.get('Contact')).toBe('<sip:a@192.0.2.1>;expires=60, <sip:b@192.0.2.2>');
    const c = m.get(H.Contact)!;
    expect(!c.star && c.contacts.map((a) => (a.uri.kind === 'sip' ? a.uri.user : ''))).toEqual(['a', 'b']);
  });

  it('refuses a single-value header given twice, and a malformed value, as SipParseError', () => {
    const twice = parseMessage(crlf([...HEAD, 'From: <sip:x@example.com>;tag=2', 'Content-Length: 0', '', '']));
    expect(() => twice.get(H.From)).toThrow(SipParseError);
    expect(() => twice.get(H.From)).toThrow(/From must appear exactly once/);
    const bad = parseMessage(crlf([...HEAD.slice(0, 7), 'CSeq: 12x INVITE', ...HEAD.slice(8), 'Content-Length: 0', '', '']));
    expect(() => bad.get(H.CSeq)).toThrow(SipParseError);
    // A value parsed in place stops at its own end, not at the end of the text.
    const open = parseMessage(crlf([...HEAD.slice(0, 5), 'From: "Alice" <sip:alice@example.com', ...HEAD.slice(6), 'Content-Length: 0', '', '']));
    expect(() => open.get(H.From)).toThrow(/missing >/);
  });
});

describe('URIs read in place stop at their own end', () => {
  it('a URI without userinfo does not take an "@" of a later header', () => {
    const m = parseMessage(crlf([...HEAD.slice(0, 3), 'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com:5070;lr>', 'Route: sip:p3.example.com;lr', ...HEAD.slice(3), 'Content-Length: 0', '', '']));
    const rr = m.get(H.RecordRoute)!;
    expect(rr.map((r) => (r.uri.kind === 'sip' ? [r.uri.user, r.uri.host, r.uri.port, r.uri.params.has('lr')] : []))).toEqual([
      [undefined, 'p1.example.com', undefined, true],
      [undefined, 'p2.example.com', 5070, true],
    ]);
    const route = m.get(H.Route)!;
    expect(route[0]!.uri).toMatchObject({ kind: 'sip', user: undefined, host: 'p3.example.com' });
    // RFC 3261 §20.10: after an addr-spec, parameters are header parameters.
    expect(route[0]!.params.has('lr')).toBe(true);
    expect(route[0]!.uri.kind === 'sip' && route[0]!.uri.params.size).toBe(0);
  });

  it('reads user, password, escapes and telephone-subscriber users', () => {
    const m = parseMessage(crlf([...HEAD.slice(0, 4), 'To: <sip:+1-212-555-1212:1234@gw.example.com;user=phone>', 'From: <sip:al%20ice:pw@example.com>;tag=1', ...HEAD.slice(6), 'Content-Length: 0', '', '']));
    expect(m.get(H.To)!.uri).toMatchObject({ user: '+1-212-555-1212', password: '1234', host: 'gw.example.com' });
    expect(m.get(H.From)!.uri).toMatchObject({ user: 'al%20ice', password: 'pw', host: 'example.com' });
    const bad = parseMessage(crlf([...HEAD.slice(0, 5), 'From: <sip:al%2xice@example.com>;tag=1', ...HEAD.slice(6), 'Content-Length: 0', '', '']));
    expect(() => bad.get(H.From)).toThrow(/bad escape in URI user/);
  });
});

describe('Call-ID read in place', () => {
  it('accepts every word character and refuses what the grammar refuses', () => {
    const word = "aZ9-.!%*_+`'~()<>:\\\"/[]?{}";
    const ok = parseMessage(crlf([...HEAD.slice(0, 6), `Call-ID: ${word}@${word}`, ...HEAD.slice(7), 'Content-Length: 0', '', '']));
    expect(ok.get(H.CallId)).toBe(`${word}@${word}`);
    for (const bad of ['a@b@c', '@x', 'x@', 'a;b', 'ü@x']) {
      const m = parseMessage(crlf([...HEAD.slice(0, 6), `Call-ID: ${bad}`, ...HEAD.slice(7), 'Content-Length: 0', '', '']));
      expect(() => m.get(H.CallId), bad).toThrow(SipParseError);
    }
  });
});

describe('changes after parsing', () => {
  it('typed reads follow setHeader, append, prepend and delete', () => {
    const m = parseMessage(crlf([...HEAD, 'Content-Length: 0', '', '']));
    expect(m.get(H.Via)!.length).toBe(2);
    m.setHeader('From', '<sip:carol@example.com>;tag=9');
    expect(m.get(H.From)!.params.get('tag')).toBe('9');
    // Headers not changed are read from the (now materialized) fields.
    expect(m.get(H.To)!.displayName).toBe('Bob Smith');
    m.headers.prepend('Via', 'SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKtop');
    const again = parseMessage(crlf([...HEAD, 'Content-Length: 0', '', '']));
    again.headers.prepend('Via', 'SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKtop');
    expect(again.get(H.Via)!.map((v) => v.params.get('branch'))).toEqual(['z9hG4bKtop', 'z9hG4bKabc', 'z9hG4bKdef']);
    again.headers.delete('Contact');
    expect(again.get(H.Contact)).toBeUndefined();
    again.headers.append('Record-Route', '<sip:p.example.com;lr>');
    expect(again.get(H.RecordRoute)!.map((r) => (r.uri.kind === 'sip' ? r.uri.host : ''))).toEqual(['p.example.com']);
  });

  it('a clone reads the same typed values and changes apart from the original', () => {
    const m = parseMessage(INVITE) as SipRequest;
    const c = m.clone();
    expect(c.get(H.Via)).toEqual(m.get(H.Via));
    expect(c.get(H.Contact)).toEqual(m.get(H.Contact));
    c.setHeader('Call-ID', 'other@example.com');
    expect(c.get(H.CallId)).toBe('other@example.com');
    expect(m.get(H.CallId)).toBe('3848276298220188511@atlanta.example.com');
    expect(m.headers.get('Call-ID')).toBe('3848276298220188511@atlanta.example.com');
  });

  it('raw fields made on first use keep order, names and values', () => {
    const m = parseMessage(INVITE);
    expect(m.headers.size).toBe(15);
    const all = m.headers.all();
    expect(all.length).toBe(15);
    expect(all.map((f) => f.name).slice(0, 5)).toEqual(['Via', 'Via', 'Max-Forwards', 'Record-Route', 'From']);
    expect(all[3]).toEqual({ name: 'Record-Route', key: 'record-route', value: '<sip:proxy.atlanta.example.com;lr;transport=tcp>' });
    // The serialization is the text received (same header lines, same body).
    expect(m.serialize().equals(INVITE)).toBe(true);
  });
});

describe('decoding the header section', () => {
  it('reads a UTF-8 head (slow path) with the same result as text would give', () => {
    const m = parseMessage(crlf([...HEAD.slice(0, 5), 'From: "José Müller" <sip:jose@example.com>;tag=ü1', ...HEAD.slice(6), 'Subject: ça va', 'Content-Length: 4', '', 'éé']));
    expect(m.get(H.From)!.displayName).toBe('José Müller');
    expect(m.get(H.From)!.params.get('tag')).toBe('ü1');
    expect(m.headers.get('Subject')).toBe('ça va');
    expect(m.body.toString('utf8')).toBe('éé');
    expect(m.get(H.Via)!.length).toBe(2);
  });

  it('frames a non-ASCII body after an ASCII head by octets', () => {
    const body = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x0d, 0x0a]);
    const head = Buffer.from([...HEAD, `Content-Length: ${body.length}`, '', ''].join('\r\n'), 'utf8');
    const m = parseMessage(Buffer.concat([head, body]));
    expect(m.body.equals(body)).toBe(true);
    expect(m.get(H.CSeq)).toEqual({ seq: 63104, method: 'INVITE' });
  });

  it('reads a head longer than the first decoded window', () => {
    const extra = Array.from({ length: 120 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(40)}`);
    const m = parseMessage(crlf([...HEAD, ...extra, 'Content-Length: 5', '', 'hello']));
    expect(m.headers.size).toBe(HEAD.length - 1 + extra.length + 1);
    expect(m.headers.get('X-Filler-119')).toBe('v'.repeat(40));
    expect(m.body.toString()).toBe('hello');
    expect(m.get(H.Contact)!.star).toBe(false);
  });

  it('reads LF-only messages and skips leading CRLFs', () => {
    const m = parseMessage(Buffer.from(`\r\n\r\n${[...HEAD, 'Content-Length: 2', '', 'ok'].join('\n')}`));
    expect(m.get(H.From)!.params.get('tag')).toBe('1928301774');
    expect(m.body.toString()).toBe('ok');
  });

  it('keeps refusing a bare CR inside a header line and a line without a colon', () => {
    expect(() => parseMessage(crlf([...HEAD.slice(0, 3), 'X-A: 1\rX-B: 2', ...HEAD.slice(3), 'Content-Length: 0', '', '']))).toThrow(/bare CR/);
    expect(() => parseMessage(crlf([...HEAD.slice(0, 3), 'NoColonHere', ...HEAD.slice(3), 'Content-Length: 0', '', '']))).toThrow(SipParseError);
    expect(() => parseMessage(crlf([...HEAD.slice(0, 3), 'Bad Name: x', ...HEAD.slice(3), 'Content-Length: 0', '', '']))).toThrow(/malformed header line/);
  });
});
