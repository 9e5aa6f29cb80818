import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SipTransportManager } from '../src/transport/index';
import { closed, collect, rawConnect, rawServer, sipRequest, sleep, until } from './transport-helpers';

/** Connection timers on a VirtualClock: real loopback sockets, time moved by the test. */
describe('SipTransportManager timers on an injected clock', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const owned: SipTransportManager[] = [];
  afterEach(() => {
    for (const m of owned.splice(0)) m.dispose();
  });

  it('idle timeout counts from the last traffic, in virtual time', async () => {
    const clock = new VirtualClock();
    const server = new SipTransportManager({ clock, limits: { idleTimeoutMs: 10_000 } });
    owned.push(server);
    const lp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
    const s = await rawConnect(lp.port);
    try {
      await until(() => server.connectionCount === 1);
      clock.advance(9_000);
      s.write('\r\n\r\n');
      await new Promise<void>((r) => s.once('data', () => r())); // the pong: traffic was seen
      clock.advance(9_000); // 18 s since open, 9 s since traffic
      expect(server.connectionCount).toBe(1);
      const closes = collect(server.onDidCloseConnection);
      clock.advance(1_000);
      expect(closes.items.map((c) => c.reason)).toEqual(['idle-timeout']);
      closes.dispose();
      await closed(s);
      expect(server.connectionCount).toBe(0);
      expect(clock.pendingCount).toBe(0);
    } finally {
      s.destroy();
    }
  });

  it('pings at 80-100% of the interval and declares the flow dead pongTimeoutMs after an unanswered ping', async () => {
    const clock = new VirtualClock();
    const received: string[] = [];
    const deaf = await rawServer((s) => s.on('data', (d: Buffer) => received.push(d.toString('latin1'))));
    try {
      const client = new SipTransportManager({ clock, random: () => 0, keepAlive: { intervalMs: 30_000, pongTimeoutMs: 10_000 } });
      owned.push(client);
      await client.send({ protocol: 'tcp', host: '127.0.0.1', port: deaf.port }, sipRequest('k'));
      await until(() => received.join('').length === sipRequest('k').length);
      clock.advance(23_999);
      await sleep(30);
      expect(received.join('').endsWith('\r\n\r\n')).toBe(true); // only the request's header end
      expect(received.join('').length).toBe(sipRequest('k').length);
      clock.advance(1); // 80% of 30 s
      await until(() => received.join('').length === sipRequest('k').length + 4);
      const closes = collect(client.onDidCloseConnection);
      clock.advance(9_999);
      expect(closes.items).toEqual([]);
      clock.advance(1);
      expect(closes.items.map((c) => c.reason)).toEqual(['keepalive-timeout']);
      closes.dispose();
      expect(client.connectionCount).toBe(0);
      expect(clock.pendingCount).toBe(0);
    } finally {
      await deaf.close();
    }
  });
});
