import type * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SipTransportManager, type ListeningPoint, type SipTransportManagerOptions } from '../src/transport/index';
import { CountingClock, closed, collect, next, rawConnect, sipRequest, sleep, until } from './transport-helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** A deterministic byte generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe('SipTransportManager against hostile stream peers', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const owned: SipTransportManager[] = [];
  let clock: CountingClock;
  const serverOn = async (options: SipTransportManagerOptions = {}): Promise<{ m: SipTransportManager; lp: ListeningPoint }> => {
    const m = new SipTransportManager({ clock, ...options });
    owned.push(m);
    const lp = await m.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
    return { m, lp };
  };
  beforeEach(() => {
    clock = new CountingClock();
  });
  afterEach(() => {
    for (const m of owned.splice(0)) m.dispose();
    expect(clock.pending).toBe(0);
  });

  it('random bytes: framing errors close the connection; nothing is left behind', async () => {
    const { m, lp } = await serverOn({ limits: { maxHeaderBytes: 2048, maxMessageSize: 4096, partialMessageTimeoutMs: 300 } });
    const errors = collect(m.onDidFramingError);
    const rnd = prng(7);
    try {
      for (let round = 0; round < 30; round++) {
        const s = await rawConnect(lp.port);
        s.on('error', () => {});
        const bytes = Buffer.alloc(3000 + Math.floor(rnd() * 3000));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
        s.write(bytes);
        // Either a framing error closes it, or (bytes that end in a partial message) the
        // partial-message timeout does.
        await closed(s, 3000);
      }
      await until(() => m.connectionCount === 0);
      expect(errors.items.length).toBe(30);
      expect(new Set(errors.items.map((e) => e.reason)).size).toBeGreaterThanOrEqual(1);
      // Only the listening point remains: no connection timers.
      expect(clock.pending).toBe(0);
    } finally {
      errors.dispose();
    }
  });

  it('a truncated message times out as partial; a whole message before it is delivered', async () => {
    const { m, lp } = await serverOn({ limits: { partialMessageTimeoutMs: 200 } });
    const got = collect(m.onDidReceiveMessage);
    try {
      const s = await rawConnect(lp.port);
      const whole = sipRequest('whole', 'abc');
      s.write(Buffer.concat([whole, sipRequest('cut', 'body that never ends').subarray(0, 120)]));
      const err = await next(m.onDidFramingError, () => true, 3000);
      expect(err.reason).toBe('partial-message-timeout');
      await closed(s);
      expect(got.items.map((e) => e.data.toString())).toEqual([whole.toString()]);
      await until(() => m.connectionCount === 0);
      expect(clock.pending).toBe(0);
    } finally {
      got.dispose();
    }
  });

  it('an oversize message and a bad Content-Length close the connection with the reason', async () => {
    const { m, lp } = await serverOn({ limits: { maxMessageSize: 2000, maxHeaderBytes: 1000 } });
    const cases: [Buffer, string][] = [
      [sipRequest('big', 'x'.repeat(3000)), 'message-too-large'],
      [Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'h'.repeat(2500)}`), 'header-too-large'],
      [Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n'), 'invalid-content-length'],
      [Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab'), 'conflicting-content-length'],
      [Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'), 'missing-content-length'],
    ];
    for (const [bytes, reason] of cases) {
      const s = await rawConnect(lp.port);
      s.on('error', () => {});
      const err = next(m.onDidFramingError, () => true, 3000);
      s.write(bytes);
      expect((await err).reason).toBe(reason);
      await closed(s);
    }
    await until(() => m.connectionCount === 0);
  });

  it('slow-loris: a peer sending one byte every 50 ms is cut off by partialMessageTimeoutMs', async () => {
    const { m, lp } = await serverOn({ limits: { partialMessageTimeoutMs: 400 } });
    const s = await rawConnect(lp.port);
    s.on('error', () => {});
    const bytes = sipRequest('slow', 'x'.repeat(200));
    let i = 0;
    const t = setInterval(() => {
      if (i < bytes.length && !s.destroyed) s.write(bytes.subarray(i, ++i));
    }, 50);
    try {
      const started = Date.now();
      const err = await next(m.onDidFramingError, () => true, 3000);
      expect(err.reason).toBe('partial-message-timeout');
      await closed(s);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(300);
      expect(took).toBeLessThan(2000);
      expect(i).toBeLessThan(bytes.length);
      await until(() => m.connectionCount === 0);
    } finally {
      clearInterval(t);
      s.destroy();
    }
  });

  it('memory and connections stay bounded over many abusive connections', async () => {
    const { m, lp } = await serverOn({ limits: { maxMessageSize: 8192, maxHeaderBytes: 4096, partialMessageTimeoutMs: 200 } });
    const got = collect(m.onDidReceiveMessage);
    let expected = 0;
    const oneRound = async (round: number): Promise<void> => {
      const sockets: net.Socket[] = [];
      for (let k = 0; k < 10; k++) {
        const s = await rawConnect(lp.port);
        s.on('error', () => {});
        sockets.push(s);
        const mode = (round + k) % 3;
        if (mode === 0) s.write(Buffer.alloc(6000, 0x61)); // no header end: header-too-large
        else if (mode === 1 && ++expected) s.write(Buffer.concat([sipRequest(`r${round}-${k}`), Buffer.from('INVITE sip:x SIP/2.0\r\n')])); // truncated
        else s.write(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\n')); // oversize
      }
      await Promise.all(sockets.map((s) => closed(s, 3000)));
    };
    const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    await oneRound(0);
    await until(() => m.connectionCount === 0);
    await until(() => tcpHandles() === 0);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let round = 1; round <= 15; round++) await oneRound(round);
    await until(() => m.connectionCount === 0);
    await sleep(20);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    try {
      expect(m.connectionCount).toBe(0);
      expect(clock.pending).toBe(0);
      // No socket handle is left open on either side (the server's listening socket is a TCPServerWrap).
      await until(() => tcpHandles() === 0);
      // 150 connections of up to 8 KB each were buffered; a leak of connections or their buffers would keep them (>2 MB).
      expect(growth).toBeLessThan(2 * 1024 * 1024);
      expect(got.items.length).toBe(expected);
      expect(expected).toBeGreaterThan(40);
    } finally {
      got.dispose();
    }
  });
});
