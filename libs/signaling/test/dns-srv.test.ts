import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { orderSrvRecords, TargetBlacklist, TargetList, defaultPortFor, targetKey, type ResolvedTarget, type SrvRecord } from '../src/dns/index';

const rec = (name: string, priority: number, weight: number, port = 5060): SrvRecord => ({ name, priority, weight, port });

/** A deterministic PRNG (mulberry32) so the statistics below cannot flake. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function firstShares(records: SrvRecord[], n: number, random: () => number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const first = orderSrvRecords(records, random)[0]!.name;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / n]));
}

describe('orderSrvRecords (RFC 2782)', () => {
  it('orders by priority, lowest first, and keeps every record', () => {
    const out = orderSrvRecords([rec('c', 30, 5), rec('a', 10, 50), rec('b', 20, 0), rec('a2', 10, 50)], seeded(1));
    expect(out.map((r) => r.priority)).toEqual([10, 10, 20, 30]);
    expect(out.map((r) => r.name).slice(2)).toEqual(['b', 'c']);
    expect(out.map((r) => r.name).slice(0, 2).sort()).toEqual(['a', 'a2']);
  });

  it('drops targets of "." (service not available)', () => {
    expect(orderSrvRecords([rec('.', 10, 0), rec('x', 20, 0)]).map((r) => r.name)).toEqual(['x']);
  });

  it('picks the first record in proportion to the weights', () => {
    const shares = firstShares([rec('w10', 1, 10), rec('w30', 1, 30), rec('w60', 1, 60)], 20_000, seeded(42));
    expect(shares.get('w10')).toBeCloseTo(0.1, 1);
    expect(shares.get('w30')).toBeCloseTo(0.3, 1);
    expect(shares.get('w60')).toBeCloseTo(0.6, 1);
    expect(Math.abs(shares.get('w60')! - 0.6)).toBeLessThan(0.02);
  });

  it('gives a weight-0 record a very small chance when others have weight', () => {
    const shares = firstShares([rec('zero', 1, 0), rec('hundred', 1, 100)], 20_000, seeded(7));
    // 1 chance in 101 (the random number 0 selects the weight-0 record placed first).
    expect(shares.get('zero')!).toBeGreaterThan(0.003);
    expect(shares.get('zero')!).toBeLessThan(0.02);
  });

  it('spreads records that all have weight 0 evenly', () => {
    const shares = firstShares([rec('a', 1, 0), rec('b', 1, 0), rec('c', 1, 0)], 9_000, seeded(3));
    for (const k of ['a', 'b', 'c']) {
      expect(shares.get(k)!).toBeGreaterThan(0.28);
      expect(shares.get(k)!).toBeLessThan(0.39);
    }
  });

  it('gives the second place in proportion to the remaining weights', () => {
    const random = seeded(11);
    let secondIsW30 = 0;
    let firstW60 = 0;
    for (let i = 0; i < 20_000; i++) {
      const out = orderSrvRecords([rec('w10', 1, 10), rec('w30', 1, 30), rec('w60', 1, 60)], random);
      if (out[0]!.name !== 'w60') continue;
      firstW60++;
      if (out[1]!.name === 'w30') secondIsW30++;
    }
    // After w60 is taken, w30 has 30 of 40 (+1) of the remaining weight.
    expect(secondIsW30 / firstW60).toBeGreaterThan(0.69);
    expect(secondIsW30 / firstW60).toBeLessThan(0.8);
  });
});

const target = (address: string, port = 5060, transport: ResolvedTarget['transport'] = 'udp'): ResolvedTarget => ({
  address,
  port,
  transport,
  family: address.includes(':') ? 6 : 4,
  host: address,
});

describe('TargetBlacklist and TargetList (RFC 3263 §4.3)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('expires entries on the injected clock', () => {
    const clock = new VirtualClock();
    const bl = new TargetBlacklist({ clock, defaultMs: 1000 });
    const changes: boolean[] = [];
    const sub = bl.onDidChange((e) => changes.push(e.blacklisted));
    bl.add(target('10.0.0.1'));
    expect(bl.has(target('10.0.0.1'))).toBe(true);
    expect(bl.has(target('10.0.0.1', 5061))).toBe(false);
    expect(bl.expiresAt(target('10.0.0.1'))).toBe(1000);
    clock.advance(999);
    expect(bl.has(target('10.0.0.1'))).toBe(true);
    clock.advance(1);
    expect(bl.has(target('10.0.0.1'))).toBe(false);
    expect(bl.size).toBe(0);
    bl.add(target('10.0.0.2'));
    bl.remove(target('10.0.0.2'));
    expect(changes).toEqual([true, true, false]);
    sub.dispose();
    bl.dispose();
  });

  it('caps a long Retry-After at maxMs and keeps a longer existing entry', () => {
    const clock = new VirtualClock();
    const bl = new TargetBlacklist({ clock, defaultMs: 1000, maxMs: 60_000 });
    const list = new TargetList([target('10.0.0.1'), target('10.0.0.2')], bl);
    list.next({ kind: 'unavailable', retryAfterSeconds: 86_400 });
    expect(bl.expiresAt(target('10.0.0.1'))).toBe(60_000);
    bl.add(target('10.0.0.1'), 10);
    expect(bl.expiresAt(target('10.0.0.1'))).toBe(60_000);
    bl.dispose();
  });

  it('orders blacklisted targets last, keeping relative order', () => {
    const bl = new TargetBlacklist({ clock: new VirtualClock() });
    bl.add(target('10.0.0.1'));
    bl.add(target('10.0.0.3'));
    const ordered = bl.order([target('10.0.0.1'), target('10.0.0.2'), target('10.0.0.3'), target('10.0.0.4')]);
    expect(ordered.map((t) => t.address)).toEqual(['10.0.0.2', '10.0.0.4', '10.0.0.1', '10.0.0.3']);
    bl.dispose();
  });

  it('iterates with failover and skips a target listed twice once it failed', () => {
    const list = new TargetList([target('10.0.0.1'), target('10.0.0.2'), target('10.0.0.1'), target('::1')]);
    expect(list.remaining).toBe(4);
    expect(list.current?.address).toBe('10.0.0.1');
    expect(list.next({ kind: 'timeout' })?.address).toBe('10.0.0.2');
    expect(list.next({ kind: 'transport' })?.address).toBe('::1');
    expect(list.next({ kind: 'unavailable' })).toBeUndefined();
    expect(list.exhausted).toBe(true);
    expect(list.next({ kind: 'timeout' })).toBeUndefined();
    expect([...list].length).toBe(4);
  });

  it('has stable keys and default ports', () => {
    expect(targetKey(target('::1', 5061, 'tls'))).toBe('tls:[::1]:5061');
    expect(targetKey(target('10.0.0.1'))).toBe('udp:10.0.0.1:5060');
    expect(defaultPortFor('tls')).toBe(5061);
    expect(defaultPortFor('tcp')).toBe(5060);
  });
});
