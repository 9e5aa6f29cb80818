import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CancellationTokenSource, ErrorCode, SdkError, VirtualClock, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { DnsResolutionError, SipResolver, targetKey, type ResolvedTarget, type SipResolverOptions } from '../src/dns/index';
import { startDnsmasq, type DnsmasqServer } from './support/dnsmasq';

// The test zone, under the reserved `.test` TLD (RFC 2606), served by dnsmasq on loopback.
const ZONE = {
  localDomains: ['test'],
  naptr: [
    // order 10 first; within order 20, preference 5 (UDP) before 10 (TCP); E2U is not SIP.
    'naptr.test,20,10,s,SIP+D2T,,_sip._tcp.naptr.test',
    'naptr.test,10,50,s,SIPS+D2T,,_sips._tcp.naptr.test',
    'naptr.test,20,5,s,SIP+D2U,,_sip._udp.naptr.test',
    'naptr.test,5,5,u,E2U+sip,!^.*$!sip:info@example.com!,',
    // sips.test offers UDP first and TLS last: a SIPS lookup keeps only TLS.
    'sips.test,10,10,s,SIP+D2U,,_sip._udp.sips.test',
    'sips.test,30,10,s,SIPS+D2T,,_sips._tcp.sips.test',
  ],
  srv: [
    '_sips._tcp.naptr.test,tls1.naptr.test,5061,10,10',
    '_sip._udp.naptr.test,udp1.naptr.test,5062,10,10',
    '_sip._tcp.naptr.test,tcp1.naptr.test,5063,10,10',
    '_sip._udp.sips.test,u.sips.test,5060,10,10',
    '_sips._tcp.sips.test,t.sips.test,5071,10,10',
    // srv.test: no NAPTR. UDP: priority 10 (two weighted), priority 20; TCP: one record.
    '_sip._udp.srv.test,s1.srv.test,5060,10,60',
    '_sip._udp.srv.test,s2.srv.test,5060,10,40',
    '_sip._udp.srv.test,s3.srv.test,5090,20,0',
    '_sip._tcp.srv.test,s4.srv.test,5070,10,0',
    // weights.test: one priority, weights 10/30/60.
    '_sip._udp.weights.test,w1.weights.test,5060,1,10',
    '_sip._udp.weights.test,w2.weights.test,5060,1,30',
    '_sip._udp.weights.test,w3.weights.test,5060,1,60',
    // fail.test: three priorities, for failover.
    '_sip._udp.fail.test,f1.fail.test,5060,10,0',
    '_sip._udp.fail.test,f2.fail.test,5060,20,0',
    '_sip._udp.fail.test,f3.fail.test,5060,30,0',
    // dup.test: two SRV targets with the same address.
    '_sip._udp.dup.test,d1.dup.test,5060,10,10',
    '_sip._udp.dup.test,d2.dup.test,5060,20,10',
  ],
  hosts: [
    'tls1.naptr.test,127.0.1.1',
    'udp1.naptr.test,127.0.1.2',
    'tcp1.naptr.test,127.0.1.3,fd00::13',
    'u.sips.test,127.0.5.1',
    't.sips.test,127.0.5.2',
    'srv.test,127.0.2.9',
    's1.srv.test,127.0.2.1',
    's2.srv.test,127.0.2.2',
    's3.srv.test,127.0.2.3',
    's4.srv.test,127.0.2.4',
    'w1.weights.test,127.0.4.1',
    'w2.weights.test,127.0.4.2',
    'w3.weights.test,127.0.4.3',
    'aonly.test,127.0.3.1,fd00::31',
    'f1.fail.test,127.0.6.1',
    'f2.fail.test,127.0.6.2',
    'f3.fail.test,127.0.6.3',
    'd1.dup.test,127.0.7.1',
    'd2.dup.test,127.0.7.1',
  ],
};

let dns: DnsmasqServer;

beforeAll(async () => {
  dns = await startDnsmasq(ZONE);
}, 20_000);

afterAll(async () => {
  await dns?.stop();
});

const brief = (ts: readonly ResolvedTarget[]) => ts.map((t) => `${t.transport} ${t.address}:${t.port} ${t.host}`);

describe('SipResolver against dnsmasq (RFC 3263 §4)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const created: SipResolver[] = [];
  const make = (options: SipResolverOptions = {}) => {
    const r = new SipResolver({ servers: [dns.server], timeoutMs: 1000, tries: 2, ...options });
    created.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of created.splice(0)) r.dispose();
  });

  it('follows NAPTR -> SRV -> A/AAAA, NAPTR order then preference, skipping non-SIP services', async () => {
    const targets = await make().resolve({ host: 'naptr.test' });
    expect(brief(targets)).toEqual([
      'tls 127.0.1.1:5061 tls1.naptr.test',
      'udp 127.0.1.2:5062 udp1.naptr.test',
      'tcp 127.0.1.3:5063 tcp1.naptr.test',
      'tcp fd00::13:5063 tcp1.naptr.test',
    ]);
    expect(targets[3]!.family).toBe(6);
    expect(targets[0]!.family).toBe(4);
  });

  it('keeps only the transports it supports from NAPTR', async () => {
    const targets = await make({ supportedTransports: ['tcp', 'udp'] }).resolve({ host: 'naptr.test' });
    expect(brief(targets)).toEqual(['udp 127.0.1.2:5062 udp1.naptr.test', 'tcp 127.0.1.3:5063 tcp1.naptr.test', 'tcp fd00::13:5063 tcp1.naptr.test']);
  });

  it('puts IPv6 first with preferIPv6 and filters families', async () => {
    const v6 = await make({ preferIPv6: true }).resolve({ host: 'aonly.test' });
    expect(v6.map((t) => t.address)).toEqual(['fd00::31', '127.0.3.1']);
    const only4 = await make({ families: [4] }).resolve({ host: 'aonly.test' });
    expect(only4.map((t) => t.address)).toEqual(['127.0.3.1']);
  });

  it('uses SRV when there is no NAPTR: UDP by priority, then TCP', async () => {
    const targets = await make().resolve({ host: 'srv.test' });
    const keys = brief(targets);
    expect(keys.slice(0, 2).sort()).toEqual(['udp 127.0.2.1:5060 s1.srv.test', 'udp 127.0.2.2:5060 s2.srv.test']);
    expect(keys.slice(2)).toEqual(['udp 127.0.2.3:5090 s3.srv.test', 'tcp 127.0.2.4:5070 s4.srv.test']);
  });

  it('queries SRV only for the transport given in the URI', async () => {
    const r = make();
    expect(brief(await r.resolve({ host: 'srv.test', transport: 'tcp' }))).toEqual(['tcp 127.0.2.4:5070 s4.srv.test']);
    // No _sip._tcp record for aonly.test: A/AAAA at the default port of that transport.
    expect(brief(await r.resolve({ host: 'aonly.test', transport: 'tcp' }))).toEqual(['tcp 127.0.3.1:5060 aonly.test', 'tcp fd00::31:5060 aonly.test']);
    expect(brief(await r.resolve({ host: 'aonly.test', transport: 'tls' }))).toEqual(['tls 127.0.3.1:5061 aonly.test', 'tls fd00::31:5061 aonly.test']);
  });

  it('falls back to A/AAAA with UDP when there is no NAPTR and no SRV', async () => {
    const targets = await make().resolve({ host: 'aonly.test' });
    expect(brief(targets)).toEqual(['udp 127.0.3.1:5060 aonly.test', 'udp fd00::31:5060 aonly.test']);
  });

  it('uses only A/AAAA when the URI has a port (no NAPTR/SRV although srv.test has SRV)', async () => {
    const targets = await make().resolve({ host: 'srv.test', port: 5080 });
    expect(brief(targets)).toEqual(['udp 127.0.2.9:5080 srv.test']);
    const tcp = await make().resolve({ host: 'srv.test', port: 5080, transport: 'tcp' });
    expect(brief(tcp)).toEqual(['tcp 127.0.2.9:5080 srv.test']);
  });

  it('takes a numeric address as it is, with the default port of the transport', async () => {
    const r = make({ servers: ['127.0.0.1:9'] }); // never asked
    expect(brief(await r.resolve({ host: '192.0.2.7' }))).toEqual(['udp 192.0.2.7:5060 192.0.2.7']);
    expect(brief(await r.resolve({ host: '192.0.2.7', transport: 'tls' }))).toEqual(['tls 192.0.2.7:5061 192.0.2.7']);
    expect(brief(await r.resolve({ host: '192.0.2.7', secure: true }))).toEqual(['tls 192.0.2.7:5061 192.0.2.7']);
    const v6 = await r.resolve({ host: '[2001:db8::1]', port: 5080, transport: 'tcp' });
    expect(v6).toEqual([{ address: '2001:db8::1', port: 5080, transport: 'tcp', family: 6, host: '2001:db8::1' }]);
  });

  it('resolves a SIPS URI to TLS only (NAPTR, SRV and A fallback)', async () => {
    const r = make();
    expect(brief(await r.resolve({ host: 'sips.test', secure: true }))).toEqual(['tls 127.0.5.2:5071 t.sips.test']);
    // The same domain as a SIP URI: NAPTR order puts UDP first.
    expect(brief(await r.resolve({ host: 'sips.test' }))).toEqual(['udp 127.0.5.1:5060 u.sips.test', 'tls 127.0.5.2:5071 t.sips.test']);
    expect(brief(await r.resolve({ host: 'aonly.test', secure: true }))).toEqual(['tls 127.0.3.1:5061 aonly.test', 'tls fd00::31:5061 aonly.test']);
    // transport=tcp in a SIPS URI means TLS over TCP.
    expect(brief(await r.resolve({ host: 'srv.test', port: 5099, secure: true, transport: 'tcp' }))).toEqual(['tls 127.0.2.9:5099 srv.test']);
    await expect(r.resolve({ host: 'aonly.test', secure: true, transport: 'udp' })).rejects.toBeInstanceOf(DnsResolutionError);
  });

  it('orders by SRV priority whatever the weights', async () => {
    const r = make();
    for (let i = 0; i < 10; i++) {
      const targets = await r.resolve({ host: 'fail.test' });
      expect(targets.map((t) => t.host)).toEqual(['f1.fail.test', 'f2.fail.test', 'f3.fail.test']);
    }
  });

  it('spreads the first choice by SRV weight (bounded sample through dnsmasq)', async () => {
    const r = make();
    const counts = new Map<string, number>();
    const n = 300;
    for (let i = 0; i < n; i++) {
      const first = (await r.resolve({ host: 'weights.test', transport: 'udp' }))[0]!;
      counts.set(first.host, (counts.get(first.host) ?? 0) + 1);
    }
    // Expected shares 10 %, 30 %, 60 %; bounds are more than 4 standard deviations wide.
    const share = (h: string) => (counts.get(h) ?? 0) / n;
    expect(share('w1.weights.test')).toBeGreaterThan(0.02);
    expect(share('w1.weights.test')).toBeLessThan(0.2);
    expect(share('w2.weights.test')).toBeGreaterThan(0.19);
    expect(share('w2.weights.test')).toBeLessThan(0.42);
    expect(share('w3.weights.test')).toBeGreaterThan(0.47);
    expect(share('w3.weights.test')).toBeLessThan(0.73);
  }, 30_000);

  it('fails over and remembers failed targets in virtual time', async () => {
    const clock = new VirtualClock();
    const r = make({ clock, blacklistMs: 32_000 });
    const list = await r.lookup({ host: 'fail.test' });
    expect(list.current?.host).toBe('f1.fail.test');
    expect(list.next({ kind: 'timeout' })?.host).toBe('f2.fail.test');
    // A new lookup orders the failed target last.
    expect((await r.resolve({ host: 'fail.test' })).map((t) => t.host)).toEqual(['f2.fail.test', 'f3.fail.test', 'f1.fail.test']);
    // 503 with Retry-After: 120 s: f2 stays blacklisted longer than the default.
    expect(list.next({ kind: 'unavailable', retryAfterSeconds: 120 })?.host).toBe('f3.fail.test');
    expect((await r.resolve({ host: 'fail.test' })).map((t) => t.host)).toEqual(['f3.fail.test', 'f1.fail.test', 'f2.fail.test']);
    clock.advance(32_001);
    expect((await r.resolve({ host: 'fail.test' })).map((t) => t.host)).toEqual(['f1.fail.test', 'f3.fail.test', 'f2.fail.test']);
    clock.advance(90_000);
    expect((await r.resolve({ host: 'fail.test' })).map((t) => t.host)).toEqual(['f1.fail.test', 'f2.fail.test', 'f3.fail.test']);
    // Transport failure of the last target: the list is exhausted.
    expect(list.next({ kind: 'transport', error: new Error('ECONNREFUSED') })).toBeUndefined();
    expect(list.exhausted).toBe(true);
    expect(r.blacklist.has({ address: '127.0.6.3', port: 5060, transport: 'udp' })).toBe(true);
  });

  it('skips blacklisted targets with blacklistPolicy skip, unless all are blacklisted', async () => {
    const clock = new VirtualClock();
    const r = make({ clock, blacklistPolicy: 'skip' });
    const list = await r.lookup({ host: 'fail.test' });
    list.next({ kind: 'timeout' });
    expect((await r.resolve({ host: 'fail.test' })).map((t) => t.host)).toEqual(['f2.fail.test', 'f3.fail.test']);
    list.next({ kind: 'timeout' });
    list.next({ kind: 'timeout' });
    expect((await r.resolve({ host: 'fail.test' })).map((t) => t.host)).toEqual(['f1.fail.test', 'f2.fail.test', 'f3.fail.test']);
    // A target that answers leaves the blacklist.
    const again = await r.lookup({ host: 'fail.test' });
    again.succeeded();
    expect(r.blacklist.has(again.current!)).toBe(false);
    expect(r.blacklist.size).toBe(2);
  });

  it('rejects an unknown name with a DnsResolutionError naming the records tried', async () => {
    const err = await make()
      .resolve({ host: 'missing.test' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(DnsResolutionError);
    const e = err as DnsResolutionError;
    expect(e.code).toBe(ErrorCode.DnsResolution);
    expect(e.message).toContain("'missing.test'");
    expect(e.message).toContain('NXDOMAIN');
    expect(e.details.name).toBe('missing.test');
    for (const q of ['NAPTR missing.test', 'SRV _sip._udp.missing.test', 'SRV _sip._tcp.missing.test', 'SRV _sips._tcp.missing.test', 'A missing.test', 'AAAA missing.test']) {
      expect(e.details.tried.some((t) => t.startsWith(q))).toBe(true);
    }
  });

  it('rejects an unsupported explicit transport and a SIPS target without TLS support', async () => {
    const r = make({ supportedTransports: ['udp'] });
    await expect(r.resolve({ host: 'srv.test', transport: 'tcp' })).rejects.toMatchObject({ code: ErrorCode.DnsResolution });
    await expect(r.resolve({ host: 'srv.test', secure: true })).rejects.toMatchObject({ code: ErrorCode.DnsResolution });
  });

  it('reports an unreachable DNS server as a DnsResolutionError (bounded by timeout and tries)', async () => {
    const r = make({ servers: ['127.0.0.1:9'], timeoutMs: 100, tries: 1 });
    const started = Date.now();
    await expect(r.resolve({ host: 'aonly.test' })).rejects.toBeInstanceOf(DnsResolutionError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects with CancellationError when cancelled, and with DISPOSED when disposed', async () => {
    const r = make();
    const cts = new CancellationTokenSource();
    const p = r.resolve({ host: 'naptr.test' }, cts.token);
    cts.cancel();
    await expect(p).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    cts.dispose();
    const p2 = r.resolve({ host: 'naptr.test' });
    r.dispose();
    await expect(p2).rejects.toMatchObject({ code: ErrorCode.Disposed });
    await expect(r.resolve({ host: 'naptr.test' })).rejects.toBeInstanceOf(SdkError);
  });

  it('returns each transport/address/port once', async () => {
    const targets = await make().resolve({ host: 'dup.test' });
    expect(targets.map(targetKey)).toEqual(['udp:127.0.7.1:5060']);
    expect(targets[0]!.host).toBe('d1.dup.test');
  });
});
