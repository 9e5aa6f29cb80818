/** Unit tests of the header value parsers (parse-values.ts) and their formatters. */
import { describe, expect, it } from 'vitest';
import {
  formatNameAddr,
  formatUri,
  formatVia,
  H,
  parseAuth,
  parseCSeq,
  parseEvent,
  parseInfoList,
  parseMediaType,
  parseMediaTypeList,
  parseNameAddr,
  parseNameAddrList,
  parseReasonList,
  parseReferToReplaces,
  parseReplaces,
  parseRetryAfter,
  parseSubscriptionState,
  parseTokenList,
  parseUri,
  parseViaList,
  parseDeltaSeconds,
  SipParseError,
  unescapeUri,
  uriEquals,
} from '../src/message/index';

function throwsParse(fn: () => unknown): void {
  expect(fn).toThrow(SipParseError);
}

describe('URIs', () => {
  it('parses a full sip URI', () => {
    const u = parseUri('sips:alice:secret@Atlanta.example.com:5061;transport=TCP;lr;Maddr=10.0.0.1?Subject=hi&Priority=urgent');
    expect(u).toEqual({
      kind: 'sip',
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: 'Atlanta.example.com',
      port: 5061,
      params: new Map([['transport', 'TCP'], ['lr', null], ['maddr', '10.0.0.1']]),
      headers: new Map([['Subject', 'hi'], ['Priority', 'urgent']]),
    });
    expect(formatUri(u)).toBe('sips:alice:secret@Atlanta.example.com:5061;transport=TCP;lr;maddr=10.0.0.1?Subject=hi&Priority=urgent');
  });

  it('parses IPv6 references', () => {
    expect(parseUri('sip:[2001:db8::10]:5070;transport=udp')).toMatchObject({ host: '[2001:db8::10]', port: 5070 });
    expect(parseUri('sip:bob@[::1]')).toMatchObject({ user: 'bob', host: '[::1]', port: undefined });
    throwsParse(() => parseUri('sip:[2001:db8::zz]'));
    throwsParse(() => parseUri('sip:[::1'));
  });

  it('parses tel URIs (RFC 3966)', () => {
    const u = parseUri('tel:+1-201-555-0123;ext=1234;Phone-Context=example.com');
    expect(u).toEqual({ kind: 'tel', scheme: 'tel', number: '+1-201-555-0123', params: new Map([['ext', '1234'], ['phone-context', 'example.com']]) });
    expect(formatUri(u)).toBe('tel:+1-201-555-0123;ext=1234;phone-context=example.com');
    throwsParse(() => parseUri('tel:'));
    throwsParse(() => parseUri('tel:12 34'));
  });

  it('keeps other schemes as absolute URIs', () => {
    expect(parseUri('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6')).toEqual({ kind: 'absolute', scheme: 'urn', value: 'uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6' });
    expect(parseUri('HTTP://www.example.com/')).toEqual({ kind: 'absolute', scheme: 'http', value: '//www.example.com/' });
  });

  it('refuses malformed URIs', () => {
    for (const bad of ['', 'sip', ':x', '1sip:a', 'sip:', 'sip:user@', 'sip:a b@host', 'sip:host:99999', 'sip:host:', 'sip:<host>', 'sip:host;=x', 'sip:host?x', 'sip:%zz@host', 'mailto:a b', 'sip:host;;lr', 'sip:ho"st']) {
      throwsParse(() => parseUri(bad));
    }
  });

  it('unescapes', () => {
    expect(unescapeUri('I%20have%20spaces')).toBe('I have spaces');
    expect(unescapeUri('%E2%82%AC and %zz and 100%')).toBe('€ and %zz and 100%');
    expect(unescapeUri('plain')).toBe('plain');
    expect(unescapeUri('null-%00')).toBe('null-\0');
  });

  it('compares per RFC 3261 §19.1.4', () => {
    const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));
    // the RFC's equal examples
    expect(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com')).toBe(true);
    expect(eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x')).toBe(true);
    // the RFC's unequal examples
    expect(eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
    expect(eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4')).toBe(false);
    expect(eq('sip:a@h', 'sips:a@h')).toBe(false);
    expect(eq('tel:+1-201-555-0123', 'tel:+12015550123')).toBe(true);
    expect(eq('tel:+1-201-555-0123', 'tel:+12015550124')).toBe(false);
    expect(eq('urn:x:y', 'urn:x:y')).toBe(true);
    expect(eq('urn:x:y', 'sip:x@y')).toBe(false);
  });
});

describe('name-addr', () => {
  it('quoted display names with escapes', () => {
    const na = parseNameAddr('"Alice \\"A\\" \\\\ Liddell" <sip:alice@example.com>;tag=1;X=2', 'From');
    expect(na.displayName).toBe('Alice "A" \\ Liddell');
    expect([...na.params]).toEqual([['tag', '1'], ['x', '2']]);
    const again = parseNameAddr(formatNameAddr(na), 'From');
    expect(again).toEqual(na);
  });

  it('token display names, with and without LWS before <', () => {
    expect(parseNameAddr('Bob  Smith <sip:bob@example.com>', 'To').displayName).toBe('Bob Smith');
    expect(parseNameAddr('caller<sip:caller@example.com>', 'To').displayName).toBe('caller');
    expect(parseNameAddr('<sip:x@example.com>', 'To').displayName).toBeUndefined();
    expect(parseNameAddr('"" <sip:x@example.com>', 'To').displayName).toBe('');
  });

  it('addr-spec form: params after the URI are header params (RFC 3261 §20.10)', () => {
    const na = parseNameAddr('sip:alice@example.com;tag=abc;transport=tcp', 'From');
    expect(na.uri).toMatchObject({ user: 'alice', host: 'example.com', params: new Map() });
    expect([...na.params]).toEqual([['tag', 'abc'], ['transport', 'tcp']]);
    expect(parseNameAddr('sip:user;par=x@example.com;tag=1', 'To').uri).toMatchObject({ user: 'user;par=x' });
  });

  it('refuses malformed values', () => {
    for (const bad of ['"unterminated <sip:a@b>', 'Bell, Alexander <sip:a@b>', '< sip:a@b >', '<sip:a@b', 'name', '"x" sip:a@b', '<sip:a@b>;', '<sip:a@b>;=1', '<sip:a@b> trailing', 'sip:a@b?x=1', '']) {
      throwsParse(() => parseNameAddr(bad, 'To'));
    }
  });

  it('lists split on commas outside quotes and <>', () => {
    const list = parseNameAddrList('"Doe, John" <sip:j,k@a.com;x=1>, <sip:b@b.com>;q=0.5 , sip:c@c.com', 'Contact');
    expect(list.map((n) => n.displayName)).toEqual(['Doe, John', undefined, undefined]);
    expect(list.map((n) => (n.uri.kind === 'sip' ? n.uri.host : ''))).toEqual(['a.com', 'b.com', 'c.com']);
    expect(list[1]!.params.get('q')).toBe('0.5');
  });

  it('Contact: star and lists over several lines', () => {
    expect(H.Contact.parse(['*'])).toEqual({ star: true });
    expect(() => H.Contact.parse(['*', '<sip:a@b>'])).toThrow(SipParseError);
    const c = H.Contact.parse(['<sip:a@b>', '<sip:c@d>, <sip:e@f>']);
    expect(c.star ? 0 : c.contacts.length).toBe(3);
  });
});

describe('Via', () => {
  it('parses lists with LWS, IPv6, rport and upper-cases the transport', () => {
    const v = parseViaList('SIP / 2.0 / udp [2001:db8::1]:5062 ; branch = z9hG4bK1 ; rport ; received=192.0.2.1, SIP/2.0/TLS host.example.com;branch=z9hG4bK2;rport=', 'Via');
    expect(v).toEqual([
      { protocol: 'SIP/2.0', transport: 'UDP', host: '[2001:db8::1]', port: 5062, params: new Map([['branch', 'z9hG4bK1'], ['rport', null], ['received', '192.0.2.1']]) },
      { protocol: 'SIP/2.0', transport: 'TLS', host: 'host.example.com', port: undefined, params: new Map([['branch', 'z9hG4bK2'], ['rport', null]]) },
    ]);
    expect(parseViaList(formatVia(v[0]!), 'Via')).toEqual([v[0]]);
  });

  it('refuses malformed values', () => {
    for (const bad of ['', 'SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP host:port', 'SIP/2.0/UDP host;;', 'SIP/2.0/UDP 192.0.2.15;;,;,,', 'SIP/2.0/UDP h:70000']) {
      throwsParse(() => parseViaList(bad, 'Via'));
    }
  });
});

describe('scalars', () => {
  it('CSeq', () => {
    expect(parseCSeq('4294967295 INVITE', 'CSeq')).toEqual({ seq: 4294967295, method: 'INVITE' });
    expect(parseCSeq(' 0009   ACK ', 'CSeq')).toEqual({ seq: 9, method: 'ACK' });
    for (const bad of ['4294967296 INVITE', '-1 INVITE', '1', 'x INVITE', '1 IN VITE', '1 <X>']) throwsParse(() => parseCSeq(bad, 'CSeq'));
  });

  it('Max-Forwards, Content-Length, delta-seconds', () => {
    expect(H.MaxForwards.parse(['0070'])).toBe(70);
    expect(() => H.MaxForwards.parse(['256'])).toThrow(SipParseError);
    expect(H.ContentLength.parse(['0'])).toBe(0);
    expect(() => H.ContentLength.parse(['-1'])).toThrow(SipParseError);
    expect(() => H.ContentLength.parse(['1', '1'])).toThrow(SipParseError);
    expect(parseDeltaSeconds('4294967295', 'Expires')).toBe(4294967295);
    throwsParse(() => parseDeltaSeconds('4294967296', 'Expires'));
    throwsParse(() => parseDeltaSeconds('1e3', 'Expires'));
  });

  it('Call-ID', () => {
    expect(H.CallId.parse(['  abc@host '])).toBe('abc@host');
    for (const bad of ['', 'a b', 'a@b@c', '@x']) expect(() => H.CallId.parse([bad])).toThrow(SipParseError);
  });
});

describe('media types', () => {
  it('Content-Type and Accept', () => {
    expect(parseMediaType('Application/SDP ; charset=UTF-8', 'Content-Type')).toEqual({ type: 'application', subtype: 'sdp', params: new Map([['charset', 'UTF-8']]) });
    expect(parseMediaType('multipart/mixed;boundary="a b"', 'Content-Type').params.get('boundary')).toBe('"a b"');
    expect(parseMediaTypeList('', 'Accept')).toEqual([]);
    expect(parseMediaTypeList('*/*, application/*;q=0.5', 'Accept').map((m) => `${m.type}/${m.subtype}`)).toEqual(['*/*', 'application/*']);
    throwsParse(() => parseMediaType('application', 'Content-Type'));
    throwsParse(() => parseMediaType('a/b c', 'Content-Type'));
  });
});

describe('auth', () => {
  it('parses a digest challenge with quoted commas', () => {
    const a = parseAuth('Digest realm="atlanta.example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", qop="auth,auth-int", algorithm=MD5, stale=FALSE, opaque=""', 'WWW-Authenticate');
    expect(a.scheme).toBe('Digest');
    expect(Object.fromEntries(a.params)).toEqual({ realm: 'atlanta.example.com', nonce: 'ea9c8e88df84f1cec4341ae6cbe5a359', qop: 'auth,auth-int', algorithm: 'MD5', stale: 'FALSE', opaque: '' });
  });

  it('keeps unknown schemes and escapes', () => {
    expect(parseAuth('NoOneKnowsThisScheme opaque-data=here', 'Authorization')).toEqual({ scheme: 'NoOneKnowsThisScheme', params: new Map([['opaque-data', 'here']]) });
    expect(parseAuth('Digest username="a\\"b"', 'Authorization').params.get('username')).toBe('a"b');
    throwsParse(() => parseAuth('Digest realm="x', 'Authorization'));
    throwsParse(() => parseAuth('', 'Authorization'));
  });

  it('round trips credentials through the codec', () => {
    const lines = ['Digest username="bob", realm="biloxi.com", nonce="n", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="c", response="r", algorithm=MD5'];
    const v = H.Authorization.parse(lines);
    expect(H.Authorization.parse(H.Authorization.format(v))).toEqual(v);
  });
});

describe('events, tokens, Replaces, info, reason, retry-after', () => {
  it('Event and Subscription-State', () => {
    expect(parseEvent('Refer;id=93809824', 'Event')).toEqual({ event: 'refer', params: new Map([['id', '93809824']]) });
    expect(parseSubscriptionState('Terminated;reason=noresource;retry-after=10', 'Subscription-State')).toEqual({ state: 'terminated', params: new Map([['reason', 'noresource'], ['retry-after', '10']]) });
    expect(H.ReferSub.parse(['FALSE'])).toBe(false);
    expect(() => H.ReferSub.parse(['maybe'])).toThrow(SipParseError);
  });

  it('token lists', () => {
    expect(parseTokenList('replaces, timer,,100rel ,', 'Supported')).toEqual(['replaces', 'timer', '100rel']);
    expect(parseTokenList('', 'Supported')).toEqual([]);
    throwsParse(() => parseTokenList('a b', 'Require'));
    expect(H.Allow.parse(['INVITE, ACK', 'BYE'])).toEqual(['INVITE', 'ACK', 'BYE']);
  });

  it('Replaces as a header and inside a Refer-To URI (RFC 3891)', () => {
    const r = parseReplaces('425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only', 'Replaces');
    expect(r).toEqual({ callId: '425928@bobster.example.org', toTag: '7743', fromTag: '6472', earlyOnly: true, params: new Map() });
    expect(H.Replaces.parse(H.Replaces.format(r))).toEqual(r);
    throwsParse(() => parseReplaces('abc;to-tag=1', 'Replaces'));
    const referTo = parseNameAddr('<sip:bob@example.com?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>', 'Refer-To');
    expect(parseReferToReplaces(referTo.uri)).toEqual({ callId: '12345@192.168.118.3', toTag: '12345', fromTag: '5FFE-3994', earlyOnly: false, params: new Map() });
    expect(parseReferToReplaces(parseUri('sip:bob@example.com'))).toBeUndefined();
    expect(() => parseReferToReplaces(parseUri('sip:bob@example.com?Replaces=abc'))).toThrow(SipParseError);
  });

  it('Call-Info / Alert-Info, Reason, Retry-After', () => {
    expect(parseInfoList('<http://www.example.com/alice/photo.jpg> ;purpose=icon, <http://e.com/x>;Answer-After=0', 'Call-Info')).toEqual([
      { uri: 'http://www.example.com/alice/photo.jpg', params: new Map([['purpose', 'icon']]) },
      { uri: 'http://e.com/x', params: new Map([['answer-after', '0']]) },
    ]);
    throwsParse(() => parseInfoList('http://x', 'Alert-Info'));
    expect(parseReasonList('SIP ;cause=200 ;text="Call completed elsewhere", Q.850;cause=16', 'Reason')).toEqual([
      { protocol: 'SIP', params: new Map([['cause', '200'], ['text', '"Call completed elsewhere"']]) },
      { protocol: 'Q.850', params: new Map([['cause', '16']]) },
    ]);
    expect(parseRetryAfter('18000 (Back (after) lunch) ;duration=3600', 'Retry-After')).toEqual({ seconds: 18000, comment: 'Back (after) lunch', params: new Map([['duration', '3600']]) });
    throwsParse(() => parseRetryAfter('120 (unterminated', 'Retry-After'));
    throwsParse(() => parseRetryAfter('949302838503028349304023988', 'Retry-After'));
  });
});
