import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SinkLogger, type LogRecord } from '@sip-endpoint/base';
import { H, createResponse, parseMessage, SipRequest, SipResponse, type AuthValue, type SipUri } from '../src/message/index';
import {
  AuthenticationError,
  DigestClient,
  DigestCredentials,
  computeDigestResponse,
  computeHa1,
  createDigestChallenge,
  formatNonceCount,
  parseDigestAlgorithm,
  verifyDigest,
  type DigestAlgorithm,
  type DigestAuthorizationResult,
} from '../src/auth/index';

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const sha = (alg: string, s: string | Buffer) => createHash(alg).update(s).digest('hex');

// --- fixtures ---------------------------------------------------------------------------------

const PASSWORD = 'Sup3r-Secret-Pa55';
const uri = (host = 'example.com', user?: string): SipUri => ({ kind: 'sip', scheme: 'sip', user, host, params: new Map(), headers: new Map() });

let cseq = 1;
function makeRequest(method = 'REGISTER', body?: string): SipRequest {
  const req = new SipRequest(method, method === 'REGISTER' ? uri() : uri('example.com', 'bob'));
  req.setHeader('Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-${cseq}`);
  req.setHeader('Max-Forwards', '70');
  req.setHeader('From', '<sip:alice@example.com>;tag=abc');
  req.setHeader('To', method === 'REGISTER' ? '<sip:alice@example.com>' : '<sip:bob@example.com>');
  req.setHeader('Call-ID', 'call-1@127.0.0.1');
  req.setHeader('CSeq', `${cseq++} ${method}`);
  if (body !== undefined) {
    req.setHeader('Content-Type', 'application/sdp');
    req.body = Buffer.from(body);
  }
  return req;
}

/** The request as a server receives it: serialized and parsed back. */
function onTheWire(req: SipRequest): SipRequest {
  const parsed = parseMessage(req.serialize());
  if (!parsed.isRequest) throw new Error('expected a request');
  return parsed;
}

function challenge(req: SipRequest, values: AuthValue[], status: 401 | 407 = 401): SipResponse {
  const res = createResponse(req, status);
  res.set(status === 401 ? H.WWWAuthenticate : H.ProxyAuthenticate, values);
  // Through the wire too, so the client reads the challenge as parsed text.
  const parsed = parseMessage(res.serialize());
  if (parsed.isRequest) throw new Error('expected a response');
  return parsed;
}

/** The retried request: a new CSeq, with the credentials of `result`. */
function retry(client: DigestClient, req: SipRequest, result: DigestAuthorizationResult): SipRequest {
  if (!result.ok) throw result.error;
  const next = makeRequest(req.method, req.body.length ? req.body.toString() : undefined);
  for (const v of req.headers.getAll('Authorization')) next.appendHeader('Authorization', v);
  for (const v of req.headers.getAll('Proxy-Authorization')) next.appendHeader('Proxy-Authorization', v);
  return onTheWire(client.applyTo(next, result));
}

const users = (password = PASSWORD) => (username: string, realm: string) =>
  username === 'alice' ? { username, password, realm } : undefined;

const ok = (r: DigestAuthorizationResult) => {
  if (!r.ok) throw r.error;
  return r;
};

// --- RFC test vectors -------------------------------------------------------------------------

describe('digest computation: RFC test vectors', () => {
  // RFC 7616 §3.9.1 ("Mufasa"): the same computation SIP uses, with an HTTP method and URI.
  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth' as const,
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('RFC 7616 §3.9.1 MD5', () => {
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'MD5' }, { password: 'Circle of Life' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 7616 §3.9.1 SHA-256', () => {
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'SHA-256' }, { password: 'Circle of Life' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('RFC 2617 §3.5', () => {
    const input = {
      algorithm: 'MD5' as const,
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth' as const,
      nc: '00000001',
      cnonce: '0a4f113b',
    };
    expect(computeDigestResponse(input, { password: 'Circle Of Life' })).toBe('6629fae49393a05397450978507c4ef1');
    // The same from a stored HA1.
    expect(computeDigestResponse(input, { ha1: computeHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life') })).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 2069 form when there is no qop: H(HA1:nonce:HA2)', () => {
    const ha1 = md5('alice:sip.test:pw');
    const ha2 = md5('REGISTER:sip:sip.test');
    const got = computeDigestResponse({ algorithm: 'MD5', username: 'alice', realm: 'sip.test', nonce: 'n1', method: 'REGISTER', uri: 'sip:sip.test' }, { password: 'pw' });
    expect(got).toBe(md5(`${ha1}:n1:${ha2}`));
  });

  it('SHA-512-256 and the -sess variants follow RFC 7616 §3.4.2', () => {
    const base = { username: 'alice', realm: 'r', nonce: 'n', method: 'INVITE', uri: 'sip:bob@r', qop: 'auth' as const, nc: '00000002', cnonce: 'c' };
    const h = (s: string) => sha('sha512-256', s);
    const ha2 = h('INVITE:sip:bob@r');
    expect(computeDigestResponse({ ...base, algorithm: 'SHA-512-256' }, { password: 'pw' })).toBe(h(`${h('alice:r:pw')}:n:00000002:c:auth:${ha2}`));
    const sessHa1 = h(`${h('alice:r:pw')}:n:c`);
    expect(computeDigestResponse({ ...base, algorithm: 'SHA-512-256-sess' }, { password: 'pw' })).toBe(h(`${sessHa1}:n:00000002:c:auth:${ha2}`));
    const m = md5;
    expect(computeDigestResponse({ ...base, algorithm: 'MD5-sess' }, { password: 'pw' })).toBe(m(`${m(`${m('alice:r:pw')}:n:c`)}:n:00000002:c:auth:${m('INVITE:sip:bob@r')}`));
  });

  it('auth-int hashes the body into A2', () => {
    const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
    const input = { algorithm: 'SHA-256' as const, username: 'alice', realm: 'r', nonce: 'n', method: 'INVITE', uri: 'sip:bob@r', qop: 'auth-int' as const, nc: '00000001', cnonce: 'c' };
    const h = (s: string) => sha('sha256', s);
    const expected = h(`${h('alice:r:pw')}:n:00000001:c:auth-int:${h(`INVITE:sip:bob@r:${h(body)}`)}`);
    expect(computeDigestResponse({ ...input, body }, { password: 'pw' })).toBe(expected);
    expect(computeDigestResponse({ ...input, body: body + ' ' }, { password: 'pw' })).not.toBe(expected);
  });

  it('parses algorithm tokens case-insensitively, MD5 when absent, undefined when unknown', () => {
    expect(parseDigestAlgorithm(undefined)).toBe('MD5');
    expect(parseDigestAlgorithm('sha-256-SESS')).toBe('SHA-256-sess');
    expect(parseDigestAlgorithm('AKAv1-MD5')).toBeUndefined();
    expect(formatNonceCount(1)).toBe('00000001');
    expect(formatNonceCount(255)).toBe('000000ff');
  });
});

// --- client -----------------------------------------------------------------------------------

describe('DigestClient', () => {
  const cnonces = () => {
    let n = 0;
    return () => `cn${++n}`;
  };

  it('answers a 401 with Authorization that verifyDigest accepts (round trip over the wire)', async () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD }, cnonce: cnonces() });
    const req = onTheWire(makeRequest());
    const ch = createDigestChallenge({ realm: 'example.com', nonce: 'abc123', opaque: 'op-1', qop: ['auth', 'auth-int'] });
    const res = ok(client.authorize(req, challenge(req, [ch])));
    expect(res.proxyAuthorization).toEqual([]);
    const cred = res.authorization[0]!.params;
    expect(cred.get('username')).toBe('alice');
    expect(cred.get('realm')).toBe('example.com');
    expect(cred.get('uri')).toBe('sip:example.com');
    expect(cred.get('nc')).toBe('00000001');
    expect(cred.get('qop')).toBe('auth');
    expect(cred.get('cnonce')).toBe('cn1');
    expect(cred.get('opaque')).toBe('op-1');
    expect(cred.get('algorithm')).toBe('MD5');
    const ha1 = md5(`alice:example.com:${PASSWORD}`);
    expect(cred.get('response')).toBe(md5(`${ha1}:abc123:00000001:cn1:auth:${md5('REGISTER:sip:example.com')}`));
    const retried = retry(client, req, res);
    expect(retried.headers.get('Authorization')).toMatch(/^Digest username="alice", realm="example.com", nonce="abc123"/);
    expect(retried.headers.get('Authorization')).toContain('qop=auth, nc=00000001');
    await expect(verifyDigest(retried, users(), { realm: 'example.com' })).resolves.toMatchObject({ ok: true, username: 'alice', qop: 'auth', nc: 1 });
  });

  it('uses auth-int with the body when preferred or when it is the only qop offered', async () => {
    const body = 'v=0\r\ns=-\r\n';
    for (const [options, qop] of [
      [{ qop: 'auth-int' as const }, ['auth', 'auth-int'] as const],
      [{}, ['auth-int'] as const],
    ] as const) {
      const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD }, ...options });
      const req = onTheWire(makeRequest('INVITE', body));
      const res = ok(client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', qop, algorithm: 'SHA-256' })])));
      expect(res.authorization[0]!.params.get('qop')).toBe('auth-int');
      const retried = retry(client, req, res);
      await expect(verifyDigest(retried, users())).resolves.toMatchObject({ ok: true, qop: 'auth-int', algorithm: 'SHA-256' });
      // A body changed on the way no longer matches.
      const tampered = onTheWire(retried);
      tampered.body = Buffer.from(body.replace('s=-', 's=x'));
      await expect(verifyDigest(tampered, users())).resolves.toMatchObject({ ok: false, reason: 'wrong-response' });
    }
  });

  it('answers a challenge without qop in the RFC 2069 form (no nc, no cnonce)', async () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD } });
    const req = onTheWire(makeRequest());
    const res = ok(client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'n0', qop: [], writeAlgorithm: false })])));
    const p = res.authorization[0]!.params;
    expect([p.has('nc'), p.has('cnonce'), p.has('qop'), p.has('algorithm')]).toEqual([false, false, false, false]);
    expect(p.get('response')).toBe(md5(`${md5(`alice:example.com:${PASSWORD}`)}:n0:${md5('REGISTER:sip:example.com')}`));
    await expect(verifyDigest(retry(client, req, res), users())).resolves.toMatchObject({ ok: true, qop: undefined });
  });

  it('counts nonce uses: nc 00000001, then 00000002 on reuse, and 00000001 for a new nonce', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD } });
    const req = onTheWire(makeRequest());
    const first = ok(client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'N1' })])));
    expect(first.authorization[0]!.params.get('nc')).toBe('00000001');
    const refresh = client.authorizeFromCache(makeRequest());
    expect(refresh.authorization[0]!.params.get('nc')).toBe('00000002');
    expect(refresh.authorization[0]!.params.get('nonce')).toBe('N1');
    expect(client.authorizeFromCache(makeRequest()).authorization[0]!.params.get('nc')).toBe('00000003');
    // A new nonce (preemptive credentials challenged: a first challenge, not a rejection).
    const req2 = onTheWire(client.applyTo(makeRequest(), client.authorizeFromCache(makeRequest())));
    const again = ok(client.authorize(req2, challenge(req2, [createDigestChallenge({ realm: 'example.com', nonce: 'N2' })])));
    expect(again.authorization[0]!.params.get('nc')).toBe('00000001');
    client.forget();
    expect(client.authorizeFromCache(makeRequest()).authorization).toEqual([]);
  });

  it('fails with "credentials rejected" when the retry is challenged again without stale', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: 'wrong' } });
    const req = onTheWire(makeRequest());
    const first = client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'N1' })]));
    const retried = retry(client, req, first);
    // Same nonce again, then a new nonce without stale: both are a rejection.
    for (const nonce of ['N1', 'N9']) {
      const second = client.authorize(retried, challenge(retried, [createDigestChallenge({ realm: 'example.com', nonce })]));
      expect(second.ok).toBe(false);
      if (second.ok) return;
      expect(second.error).toBeInstanceOf(AuthenticationError);
      expect(second.error.code).toBe(ErrorCode.Authentication);
      expect(second.error.message).toContain('credentials rejected');
      expect(second.error.details).toEqual({ reason: 'rejected', realms: ['example.com'] });
    }
    // The rejected realm is no longer used pre-emptively.
    expect(client.authorizeFromCache(makeRequest()).authorization).toEqual([]);
  });

  it('answers stale=true with the new nonce without counting a failure, up to maxStaleRetries in a row', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD }, maxStaleRetries: 2 });
    let req = onTheWire(makeRequest());
    let res = client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'N1' })]));
    for (const nonce of ['N2', 'N3']) {
      req = retry(client, req, res);
      res = client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce, stale: true })]));
      expect(ok(res).authorization[0]!.params.get('nonce')).toBe(nonce);
      expect(ok(res).authorization[0]!.params.get('nc')).toBe('00000001');
    }
    req = retry(client, req, res);
    const third = client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'N4', stale: true })]));
    expect(third.ok).toBe(false);
  });

  it('treats stale=true with the same nonce as a rejection', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD } });
    const req = onTheWire(makeRequest());
    const retried = retry(client, req, client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'N1' })])));
    const res = client.authorize(retried, challenge(retried, [createDigestChallenge({ realm: 'example.com', nonce: 'N1', stale: true })]));
    expect(res.ok).toBe(false);
  });

  it('chooses the strongest algorithm offered for a realm (RFC 8760), or the topmost with server-order', () => {
    const offered = (['MD5', 'SHA-256', 'SHA-512-256', 'SHA-256-sess'] as DigestAlgorithm[]).map((algorithm) =>
      createDigestChallenge({ realm: 'example.com', nonce: `n-${algorithm}`, algorithm }),
    );
    const unknown: AuthValue = { scheme: 'Digest', params: new Map([['realm', 'example.com'], ['nonce', 'x'], ['algorithm', 'SHA3-512'], ['qop', 'auth']]) };
    const req = onTheWire(makeRequest());
    const strongest = ok(new DigestClient({ credentials: { username: 'alice', password: PASSWORD } }).authorize(req, challenge(req, [unknown, ...offered])));
    expect(strongest.authorization).toHaveLength(1);
    expect(strongest.authorization[0]!.params.get('algorithm')).toBe('SHA-512-256');
    const topmost = ok(new DigestClient({ credentials: { username: 'alice', password: PASSWORD }, algorithmSelection: 'server-order' }).authorize(req, challenge(req, [unknown, ...offered])));
    expect(topmost.authorization[0]!.params.get('algorithm')).toBe('MD5');
    // An MD5 HA1 can only answer MD5, whatever else is offered.
    const ha1Client = new DigestClient({ credentials: { username: 'alice', realm: 'example.com', ha1: computeHa1('alice', 'example.com', PASSWORD) } });
    expect(ok(ha1Client.authorize(req, challenge(req, offered))).authorization[0]!.params.get('algorithm')).toBe('MD5');
    const sha256Ha1 = new DigestClient({ credentials: { username: 'alice', realm: 'example.com', ha1: computeHa1('alice', 'example.com', PASSWORD, 'SHA-256'), ha1Algorithm: 'SHA-256' } });
    expect(ok(sha256Ha1.authorize(req, challenge(req, offered))).authorization[0]!.params.get('algorithm')).toBe('SHA-256');
  });

  it('answers every realm of a 407 it has credentials for, and keeps other credentials on the retry', async () => {
    const client = new DigestClient({
      credentials: [
        { username: 'alice', password: 'pw-one', realm: 'proxy1.example.com' },
        { username: 'alice', password: 'pw-two', realm: 'proxy2.example.com' },
      ],
    });
    const req = onTheWire(makeRequest('INVITE'));
    const res = ok(
      client.authorize(
        req,
        challenge(
          req,
          [createDigestChallenge({ realm: 'proxy1.example.com' }), createDigestChallenge({ realm: 'proxy2.example.com' }), createDigestChallenge({ realm: 'other.example.com' })],
          407,
        ),
      ),
    );
    expect(res.authorization).toEqual([]);
    expect(res.proxyAuthorization.map((v) => v.params.get('realm'))).toEqual(['proxy1.example.com', 'proxy2.example.com']);
    const retried = retry(client, req, res);
    const lookup = (pw: string) => (username: string, realm: string) => ({ username, realm, password: pw });
    await expect(verifyDigest(retried, lookup('pw-one'), { header: 'Proxy-Authorization', realm: 'proxy1.example.com' })).resolves.toMatchObject({ ok: true });
    await expect(verifyDigest(retried, lookup('pw-two'), { header: 'Proxy-Authorization', realm: 'proxy2.example.com' })).resolves.toMatchObject({ ok: true });
    await expect(verifyDigest(retried, lookup('pw-one'), { header: 'Proxy-Authorization', realm: 'proxy2.example.com' })).resolves.toMatchObject({ ok: false, reason: 'wrong-response' });
    // Then a third proxy challenges: the credentials for the first two stay on the request.
    const third = new DigestClient({ credentials: { username: 'alice', password: 'pw-3' } });
    const res3 = ok(third.authorize(retried, challenge(retried, [createDigestChallenge({ realm: 'proxy3.example.com' })], 407)));
    const again = retry(third, retried, res3);
    expect(again.get(H.ProxyAuthorization)!.map((v) => v.params.get('realm'))).toEqual(['proxy1.example.com', 'proxy2.example.com', 'proxy3.example.com']);
  });

  it('answerChallenge updates a clone of the challenged request in place, and rejects the second time', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD } });
    const req = onTheWire(makeRequest());
    const clone = req.clone();
    expect(client.answerChallenge(clone, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'A' })])).ok).toBe(true);
    expect(clone.get(H.Authorization)).toHaveLength(1);
    const sent = onTheWire(clone);
    const again = sent.clone();
    const second = client.answerChallenge(again, challenge(sent, [createDigestChallenge({ realm: 'example.com', nonce: 'B' })]));
    expect(second.ok).toBe(false);
    expect(again.headers.get('Authorization')).toBe(sent.headers.get('Authorization'));
  });

  it('fails with a typed error when it has no credentials for the realm, only unsupported choices, or no challenge', () => {
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD, realm: 'example.com' } });
    const req = onTheWire(makeRequest());
    const noCreds = client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'elsewhere.example.com' })]));
    expect(noCreds.ok || noCreds.error.details.reason).toBe('no-credentials');
    const unsupported: AuthValue = { scheme: 'Digest', params: new Map([['realm', 'example.com'], ['nonce', 'x'], ['qop', 'auth-conf']]) };
    const bad = client.authorize(req, challenge(req, [unsupported]));
    expect(bad.ok || bad.error.details.reason).toBe('unsupported');
    const notChallenge = client.authorize(req, createResponse(req, 200));
    expect(notChallenge.ok || notChallenge.error.details.reason).toBe('not-a-challenge');
    const basic = client.authorize(req, challenge(req, [{ scheme: 'Basic', params: new Map([['realm', 'example.com']]) }]));
    expect(basic.ok || basic.error.code).toBe(ErrorCode.Authentication);
  });
});

// --- server -----------------------------------------------------------------------------------

describe('verifyDigest', () => {
  async function signed(algorithm: DigestAlgorithm, password = PASSWORD) {
    const client = new DigestClient({ credentials: { username: 'alice', password } });
    const req = onTheWire(makeRequest());
    return retry(client, req, client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com', nonce: 'srv-nonce', algorithm })])));
  }

  it('accepts our own responses for every algorithm, from a password or a stored HA1', async () => {
    for (const algorithm of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'] as const) {
      const req = await signed(algorithm);
      await expect(verifyDigest(req, users(), { realm: 'example.com' })).resolves.toMatchObject({ ok: true, algorithm, username: 'alice', realm: 'example.com' });
    }
    const md5Req = await signed('MD5');
    const byHa1 = () => ({ username: 'alice', realm: 'example.com', ha1: computeHa1('alice', 'example.com', PASSWORD) });
    await expect(verifyDigest(md5Req, byHa1)).resolves.toMatchObject({ ok: true });
    // An MD5 HA1 cannot check a SHA-256 response.
    await expect(verifyDigest(await signed('SHA-256'), byHa1)).resolves.toMatchObject({ ok: false, reason: 'unsupported-algorithm' });
  });

  it('rejects a wrong password, an unknown user, another realm, a changed URI or method, and no credentials', async () => {
    const wrong = await signed('SHA-256', 'not-the-password');
    await expect(verifyDigest(wrong, users())).resolves.toMatchObject({ ok: false, reason: 'wrong-response', stale: false });
    const good = await signed('SHA-256');
    await expect(verifyDigest(good, () => undefined)).resolves.toMatchObject({ ok: false, reason: 'unknown-user' });
    await expect(verifyDigest(good, users(), { realm: 'other.example.com' })).resolves.toMatchObject({ ok: false, reason: 'wrong-realm' });
    await expect(verifyDigest(good, users(), { algorithms: ['SHA-512-256'] })).resolves.toMatchObject({ ok: false, reason: 'unsupported-algorithm' });
    const moved = onTheWire(good);
    moved.uri = uri('evil.example.com');
    await expect(verifyDigest(moved, users())).resolves.toMatchObject({ ok: false, reason: 'uri-mismatch' });
    const otherMethod = onTheWire(good);
    otherMethod.method = 'INVITE';
    await expect(verifyDigest(otherMethod, users())).resolves.toMatchObject({ ok: false, reason: 'wrong-response' });
    await expect(verifyDigest(makeRequest(), users())).resolves.toMatchObject({ ok: false, reason: 'missing' });
  });

  it('reports a stale nonce only when the digest is right, and passes nc to the nonce check', async () => {
    const good = await signed('MD5');
    const seen: (number | undefined)[] = [];
    const stale = await verifyDigest(good, users(), { checkNonce: (nonce, nc) => (seen.push(nc), nonce === 'srv-nonce' ? 'stale' : 'valid') });
    expect(stale).toMatchObject({ ok: false, reason: 'stale', stale: true });
    expect(seen).toEqual([1]);
    const wrong = await signed('MD5', 'bad');
    await expect(verifyDigest(wrong, users(), { checkNonce: () => 'stale' })).resolves.toMatchObject({ ok: false, reason: 'wrong-response', stale: false });
    await expect(verifyDigest(good, users(), { checkNonce: () => 'invalid' })).resolves.toMatchObject({ ok: false, reason: 'invalid-nonce' });
  });

  it('parses credentials written by another client (text on the wire)', async () => {
    const ha1 = md5(`alice:example.com:${PASSWORD}`);
    const resp = md5(`${ha1}:xyz:0000000a:deadbeef:auth:${md5('REGISTER:sip:example.com')}`);
    const req = makeRequest();
    req.setHeader('Authorization', `Digest username="alice",realm="example.com",nonce="xyz",uri="sip:example.com",response="${resp}",qop=auth,nc=0000000a,cnonce="deadbeef",algorithm=MD5`);
    await expect(verifyDigest(onTheWire(req), users())).resolves.toMatchObject({ ok: true, nc: 10 });
  });
});

// --- secrets ----------------------------------------------------------------------------------

describe('credentials never leak', () => {
  it('JSON.stringify, util.inspect, String, Object.keys and spreading show no secret', () => {
    const creds = new DigestCredentials({ username: 'alice', password: PASSWORD, realm: 'example.com' });
    const ha1 = computeHa1('alice', 'example.com', PASSWORD);
    const byHa1 = new DigestCredentials({ username: 'alice', realm: 'example.com', ha1 });
    const client = new DigestClient({ credentials: [creds, byHa1] });
    for (const text of [
      JSON.stringify(creds),
      JSON.stringify({ nested: [creds, byHa1] }),
      inspect(creds, { showHidden: true, depth: 5 }),
      inspect(byHa1, { showHidden: true, depth: 5 }),
      inspect({ creds }, { depth: 5 }),
      String(creds),
      `${byHa1}`,
      JSON.stringify({ ...creds }),
      Object.keys(creds).join(','),
      JSON.stringify(client),
      inspect(client, { showHidden: true, depth: 10 }),
    ]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(ha1);
    }
    expect(JSON.parse(JSON.stringify(creds))).toEqual({ username: 'alice', realm: 'example.com', secret: '<redacted>' });
  });

  it('errors and logs carry no secret', () => {
    const records: LogRecord[] = [];
    const logger = new SinkLogger((r) => records.push(r), 'trace');
    const client = new DigestClient({ credentials: { username: 'alice', password: PASSWORD }, logger });
    const req = onTheWire(makeRequest());
    const first = client.authorize(req, challenge(req, [createDigestChallenge({ realm: 'example.com' })]));
    const retried = retry(client, req, first);
    const second = client.authorize(retried, challenge(retried, [createDigestChallenge({ realm: 'example.com' })]));
    expect(second.ok).toBe(false);
    if (second.ok) return;
    const everything = [second.error.message, second.error.stack ?? '', JSON.stringify(second.error), inspect(second.error, { depth: 5 }), JSON.stringify(records)].join('\n');
    expect(records.length).toBeGreaterThan(0);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(md5(`alice:example.com:${PASSWORD}`));
    expect(() => new DigestCredentials({ username: 'alice' })).toThrow(/password or an ha1/);
  });
});
