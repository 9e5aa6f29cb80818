/**
 * RFC 4475 torture tests, driven by fixtures/rfc4475/manifest.json: every case is checked, with
 * the behaviour the RFC notes (fixtures/rfc4475/notes/*.txt) ask for.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkMessage,
  H,
  parseMessage,
  parseReferToReplaces,
  SipParseError,
  SipRequest,
  SipResponse,
  unescapeUri,
  validateRequest,
  type SipMessage,
} from '../src/message/index';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/rfc4475');

interface Case {
  file: string;
  notes: string;
  section: string;
  title: string;
  kind: 'valid' | 'invalid' | 'semantic';
  expect: string | null;
}
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { cases: Case[] };
const load = (file: string): Buffer => readFileSync(join(DIR, file));
const req = (m: SipMessage): SipRequest => {
  expect(m).toBeInstanceOf(SipRequest);
  return m as SipRequest;
};
const res = (m: SipMessage): SipResponse => {
  expect(m).toBeInstanceOf(SipResponse);
  return m as SipResponse;
};

/** The typed meaning of the headers the stack uses, plus the raw lines of every other header. */
function meaning(m: SipMessage): Record<string, unknown> {
  const known = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'content-length', 'content-type', 'max-forwards', 'route', 'record-route']);
  const others = m.headers
    .all()
    .filter((f) => !known.has(f.key))
    .map((f) => [f.name, f.value]);
  return {
    start: m instanceof SipRequest ? { method: m.method, uri: m.uri, version: m.version } : { status: m.status, reason: m.reason },
    via: m.get(H.Via),
    from: m.get(H.From),
    to: m.get(H.To),
    callId: m.get(H.CallId),
    cseq: m.get(H.CSeq),
    contact: m.get(H.Contact),
    contentType: m.get(H.ContentType),
    contentLength: m.get(H.ContentLength),
    maxForwards: m.get(H.MaxForwards),
    route: m.get(H.Route),
    recordRoute: m.get(H.RecordRoute),
    others,
    body: m.body.toString('latin1'),
  };
}

/** Parse -> serialize -> parse keeps the meaning, both with raw lines and with typed rewrites. */
function roundTrips(m: SipMessage): void {
  const before = meaning(m);
  // 1. raw header lines re-emitted (folding removed, compact forms expanded)
  const again = parseMessage(m.serialize());
  expect(meaning(again)).toEqual({ ...before, contentLength: m.body.length });
  // 2. every typed header rewritten through its formatter
  const typed = parseMessage(m.serialize());
  for (const codec of [H.Via, H.From, H.To, H.CallId, H.CSeq, H.Contact, H.ContentType, H.MaxForwards, H.Route, H.RecordRoute]) {
    const v = typed.get(codec as typeof H.Via);
    if (v !== undefined) typed.set(codec as typeof H.Via, v);
  }
  expect(meaning(parseMessage(typed.serialize()))).toEqual({ ...before, contentLength: m.body.length });
}

function expectParseError(fn: () => unknown, status = 400): SipParseError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SipParseError);
  expect((caught as SipParseError).status).toBe(status);
  return caught as SipParseError;
}

/** Per-case assertions beyond the kind's generic ones. */
const checks: Record<string, (data: Buffer, c: Case) => void> = {
  // --- 3.1.1 valid messages
  'wsinv.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.method).toBe('INVITE');
    expect(m.to.params.get('tag')).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.from.params.get('tag')).toBe('98asjd8');
    expect(m.get(H.MaxForwards)).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.via.map((v) => [v.transport, v.host, v.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.headers.get('Subject')).toBe('');
    expect(m.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const contact = m.contact;
    expect(contact?.star).toBe(false);
    if (contact && !contact.star) {
      expect(contact.contacts[0]!.displayName).toBe('Quoted string ""');
      expect([...contact.contacts[0]!.params]).toEqual([['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
    }
    expect(m.get(H.Route)![0]!.uri).toMatchObject({ host: 'services.example.com', params: new Map([['lr', null], ['unknownwith', 'value'], ['unknown-no-value', null]]) });
    expect(m.body.length).toBe(150);
  },
  'intmeth.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.uri).toMatchObject({ kind: 'sip', user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", password: "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", host: 'example.com' });
    expect(m.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(m.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.from.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(m.from.params.get('tag')).toBe("_token~1'+`*%!-.");
    expect(m.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.cseq.method).toBe(m.method);
    expect(m.headers.get("extensionHeader-!.%*+_`'~")).toBe('\u{FEFF}大停電');
    expect(validateRequest(m)).toBeNull();
  },
  'esc01.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.uri).toMatchObject({ user: 'sips%3Auser%40example.com', host: 'example.net' });
    expect(unescapeUri((m.uri as { user: string }).user)).toBe('sips:user@example.com');
    expect(unescapeUri((m.to.uri as { user: string }).user)).toBe('user');
    expect(unescapeUri((m.from.uri as { user: string }).user)).toBe('I have spaces');
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts[0]!.uri).toMatchObject({ user: 'cal%6Cer', params: new Map([['%6c%72', null], ['n%61me', 'v%61lue%25%34%31']]) });
  },
  'escnull.dat': (d) => {
    const m = req(parseMessage(d));
    expect(unescapeUri((m.to.uri as { user: string }).user)).toBe('null-\0-null');
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts.map((x) => unescapeUri((x.uri as { user: string }).user))).toEqual(['\0', '\0\0']);
  },
  'esc02.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.to.displayName).toBe('%Z%45');
    expect(m.topVia.params.get('branch')).toBe('z9hG4bK209%fzsnel234');
    // "C%6Fntact" is an unknown header, not Contact: two Contact values remain.
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts).toHaveLength(2);
    expect(m.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  },
  'lwsdisp.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.from.displayName).toBe('caller');
    expect(m.from.uri).toMatchObject({ user: 'caller', host: 'example.com' });
  },
  'longreq.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.to.uri).toMatchObject({ port: 6000 });
    expect(m.via).toHaveLength(34);
    expect(m.from.params.get('tag')!.length).toBeGreaterThan(150);
    expect(m.body.length).toBe(150);
  },
  'dblreq.dat': (d) => {
    const m = req(parseMessage(d, { datagram: true }));
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(m.toString()).not.toContain('INVITE');
  },
  'semiuri.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.uri).toMatchObject({ user: 'user;par=u%40example.net', host: 'example.com' });
    expect((m.uri as { params: Map<string, unknown> }).params.size).toBe(0);
    expect(m.get(H.Accept)!.map((a) => `${a.type}/${a.subtype}`)).toEqual(['application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag']);
  },
  'transports.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  },
  'mpart01.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.contentType).toMatchObject({ type: 'multipart', subtype: 'mixed', params: new Map([['boundary', '7a9cbec02ceef655']]) });
    expect(m.body.length).toBe(553);
    expect(m.body.subarray(m.body.length - 22).toString('latin1')).toContain('--7a9cbec02ceef655--');
    expect(validateRequest(m, { acceptedContentTypes: ['multipart/mixed'], supportedMethods: ['MESSAGE'] })).toBeNull();
  },
  'unreason.dat': (d) => {
    const m = res(parseMessage(d));
    expect(m.status).toBe(200);
    expect(m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
  },
  'noreason.dat': (d) => {
    const m = res(parseMessage(d));
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  },
  // --- 3.1.2 invalid messages
  'badinv01.dat': (d) => {
    const m = parseMessage(d);
    expectParseError(() => m.get(H.Via));
    expectParseError(() => m.get(H.Contact));
  },
  'clerr.dat': (d) => {
    expectParseError(() => parseMessage(d, { datagram: true }));
    expectParseError(() => parseMessage(d, { datagram: false }));
  },
  'ncl.dat': (d) => {
    expectParseError(() => parseMessage(d, { datagram: false }));
  },
  'scalar02.dat': (d) => {
    const m = req(parseMessage(d));
    expectParseError(() => m.cseq);
    expectParseError(() => m.get(H.MaxForwards));
    // RFC 4475 §3.1.2.4: an overlarge expiry is out of range (RFC 3261 §20.19: 0..2**32-1); the
    // parser refuses it and a registrar may fall back to its default (3600).
    expectParseError(() => m.get(H.Expires));
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts[0]!.params.get('expires')).toBe('280297596632815');
  },
  'scalarlg.dat': (d) => {
    // A response: the parser reads the framing; checkMessage refuses the CSeq, so the
    // transport drops the response (no response is ever sent to a response).
    const m = res(parseMessage(d));
    expect(m.status).toBe(503);
    expectParseError(() => checkMessage(m));
    expectParseError(() => m.get(H.RetryAfter));
  },
  'quotbal.dat': (d) => {
    const m = parseMessage(d);
    expectParseError(() => m.to);
  },
  'baddate.dat': (d) => {
    // May be accepted: the stack ignores Date; it is kept verbatim.
    const m = req(parseMessage(d));
    expect(m.headers.get('Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
    expect(validateRequest(m)).toBeNull();
  },
  'regbadct.dat': (d) => {
    // We take the strict reading: a URI with headers outside <> is a 400 (RFC 3261 §20.10).
    const m = parseMessage(d);
    expectParseError(() => m.contact);
  },
  'badaspec.dat': (d) => {
    const m = parseMessage(d);
    expectParseError(() => m.to);
    expect(m.from.displayName).toBe('Bell, Alexander');
  },
  'baddn.dat': (d) => {
    const m = parseMessage(d);
    expectParseError(() => m.from);
    expectParseError(() => m.to);
  },
  'badvers.dat': (d) => {
    const e = expectParseError(() => parseMessage(d), 505);
    expect(e.details.reason).toBe('Version Not Supported');
  },
  'bigcode.dat': (d) => {
    // A response code above 699: the parser refuses it, so the transport drops the datagram.
    expectParseError(() => parseMessage(d));
  },
  // --- 3.2 transaction oddities
  'badbranch.dat': (d) => {
    // Parses; the branch is only the magic cookie. The transaction layer may answer 400 or
    // fall back to RFC 2543 matching (RFC 4475 §3.2.1).
    const m = req(parseMessage(d));
    expect(m.branch).toBe('z9hG4bK');
  },
  // --- 3.3 semantic
  'unkscm.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.uri).toEqual({ kind: 'absolute', scheme: 'nobodyknowsthisscheme', value: 'totallyopaquecontent' });
  },
  'novelsc.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.uri).toEqual({ kind: 'absolute', scheme: 'soap.beep', value: '//192.0.2.103:3002' });
    expect(validateRequest(m, { supportedSchemes: ['sip', 'soap.beep'] })).toBeNull();
  },
  'unksm2.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.to.uri).toEqual({ kind: 'absolute', scheme: 'isbn', value: '2983792873' });
    expect(m.from.uri).toEqual({ kind: 'absolute', scheme: 'http', value: '//www.example.com' });
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts[0]!.uri).toEqual({ kind: 'absolute', scheme: 'name', value: 'John_Smith' });
  },
  'bext01.dat': (d) => {
    const m = req(parseMessage(d));
    expect(validateRequest(m, { supportedExtensions: ['nothingSupportsThis'] })).toEqual({ status: 420, reason: 'Bad Extension', headers: [['Unsupported', 'nothingSupportsThisEither']] });
  },
  'regaut01.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.get(H.Authorization)).toEqual([{ scheme: 'NoOneKnowsThisScheme', params: new Map([['opaque-data', 'here']]) }]);
  },
  'bcast.dat': (d) => {
    // Parses; the layer above drops it: a UAC discards a response with more than one Via
    // (RFC 3261 §8.1.3.3), and the second Via is a broadcast address.
    const m = res(parseMessage(d));
    checkMessage(m);
    expect(m.via).toHaveLength(2);
    expect(m.via[1]!.host).toBe('255.255.255.255');
  },
  'zeromf.dat': (d) => {
    const m = req(parseMessage(d));
    expect(m.get(H.MaxForwards)).toBe(0);
  },
  'cparam01.dat': (d) => {
    // addr-spec form: ;unknownparam is a Contact header parameter (RFC 3261 §20.10).
    const m = req(parseMessage(d));
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts[0]!.params.has('unknownparam')).toBe(true);
    expect(c.contacts[0]!.uri).toMatchObject({ user: '+19725552222', host: 'gw1.example.net', params: new Map() });
  },
  'cparam02.dat': (d) => {
    const m = req(parseMessage(d));
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    expect(c.contacts[0]!.params.size).toBe(0);
    expect(c.contacts[0]!.uri).toMatchObject({ params: new Map([['unknownparam', null]]) });
  },
  'regescrt.dat': (d) => {
    const m = req(parseMessage(d));
    const c = m.contact;
    if (!c || c.star) throw new Error('contact expected');
    const uri = c.contacts[0]!.uri;
    expect(uri.kind).toBe('sip');
    if (uri.kind === 'sip') expect(unescapeUri(uri.headers.get('Route')!)).toBe('<sip:sip.example.com>');
    expect(parseReferToReplaces(uri)).toBeUndefined();
  },
  'inv2543.dat': (d) => {
    // RFC 2543 syntax: no branch, no Max-Forwards, no Content-Length (body to the datagram end).
    const m = req(parseMessage(d));
    expect(m.branch).toBeUndefined();
    expect(m.get(H.MaxForwards)).toBeUndefined();
    expect(m.body.toString('latin1')).toMatch(/^v=0\r\n[\s\S]*m=audio 49217 RTP\/AVP 0\r\n$/);
    // addr-spec form: ";user=phone" after the URI is a header parameter (RFC 3261 §20.10).
    expect(m.to.params.get('user')).toBe('phone');
    expect(m.to.uri).toMatchObject({ user: '+16505552222', params: new Map() });
    expect(m.get(H.RecordRoute)![0]!.uri).toMatchObject({ params: new Map([['maddr', 'ss1.example.com']]) });
    expect(validateRequest(m)).toBeNull();
  },
};

/** What validateRequest answers for each semantic (and request-level invalid) case. */
const VALIDATION: Record<string, { status: number; headers?: [string, string][] } | null> = {
  'insuf.dat': { status: 400 },
  'unkscm.dat': { status: 416 },
  'novelsc.dat': { status: 416 },
  'unksm2.dat': null,
  'bext01.dat': { status: 420, headers: [['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither']] },
  'invut.dat': { status: 415, headers: [['Accept', 'application/sdp']] },
  'regaut01.dat': null,
  'multi01.dat': { status: 400 },
  'mcl01.dat': { status: 400 },
  'zeromf.dat': null,
  'cparam01.dat': null,
  'cparam02.dat': null,
  'regescrt.dat': null,
  'sdp01.dat': { status: 406 },
  // invalid requests that parse (lazily) and are refused by validation
  'badinv01.dat': { status: 400 },
  'scalar02.dat': { status: 400 },
  'quotbal.dat': { status: 400 },
  'regbadct.dat': { status: 400 },
  'badaspec.dat': { status: 400 },
  'baddn.dat': { status: 400 },
  'mismatch01.dat': { status: 400 },
  'mismatch02.dat': { status: 400 },
};

/** Invalid cases the parser itself refuses, with the status named by the manifest. */
const PARSE_FAILS: Record<string, number> = {
  'clerr.dat': 400,
  'ncl.dat': 400,
  'ltgtruri.dat': 400,
  'lwsruri.dat': 400,
  'lwsstart.dat': 400,
  'trws.dat': 400,
  'escruri.dat': 400,
  'badvers.dat': 505,
  'bigcode.dat': 400,
};

describe('RFC 4475 torture tests', () => {
  it('the manifest lists all 49 cases', () => {
    expect(manifest.cases).toHaveLength(49);
    for (const c of manifest.cases) expect(readFileSync(join(DIR, c.notes), 'utf8').length).toBeGreaterThan(0);
  });

  for (const c of manifest.cases) {
    it(`§${c.section} ${c.file} (${c.kind}): ${c.title}`, () => {
      const data = load(c.file);
      if (c.kind === 'valid') {
        const m = parseMessage(data);
        checkMessage(m);
        roundTrips(m);
      } else if (c.kind === 'invalid') {
        const status = PARSE_FAILS[c.file];
        if (status !== undefined) {
          expectParseError(() => parseMessage(data), status);
        } else if (c.file === 'scalarlg.dat' || c.file === 'baddate.dat') {
          // handled by the per-case check (a response to drop / a request that may be accepted)
        } else {
          const m = parseMessage(data);
          expect(VALIDATION).toHaveProperty([c.file]);
          expect(validateRequest(req(m))).toMatchObject(VALIDATION[c.file]!);
          if (!['mismatch01.dat', 'mismatch02.dat'].includes(c.file)) expectParseError(() => checkMessage(m));
        }
      } else {
        const m = parseMessage(data);
        if (m instanceof SipRequest) {
          expect(VALIDATION).toHaveProperty([c.file]);
          const expected = VALIDATION[c.file];
          const got = validateRequest(m);
          if (expected === null) {
            expect(got).toBeNull();
            roundTrips(m);
          } else {
            expect(got).toMatchObject(expected);
          }
        }
      }
      const check = checks[c.file];
      if (check) check(data, c);
      // every case is covered by a generic or a specific assertion
      expect(check !== undefined || c.file in VALIDATION || c.file in PARSE_FAILS || c.kind === 'valid').toBe(true);
    });
  }
});
