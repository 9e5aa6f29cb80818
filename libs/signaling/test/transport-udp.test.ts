import * as dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, VirtualClock, ensureNoDisposablesAreLeakedInTestSuite, isSdkError } from '@sip-endpoint/base';
import { SipTransportManager } from '../src/transport/index';
import { collect, next, sipRequest, until } from './transport-helpers';

describe('SipTransportManager over UDP', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const owned: SipTransportManager[] = [];
  const manager = (...args: ConstructorParameters<typeof SipTransportManager>): SipTransportManager => {
    const m = new SipTransportManager(...args);
    owned.push(m);
    return m;
  };
  afterEach(() => {
    for (const m of owned.splice(0)) m.dispose();
  });

  it.each([
    ['IPv4', '127.0.0.1'],
    ['IPv6', '::1'],
  ])('sends and receives datagrams over %s from the listening port', async (family, host) => {
    const a = manager();
    const b = manager();
    const lpA = await a.listen({ protocol: 'udp', host, port: 0 });
    const lpB = await b.listen({ protocol: 'udp', host, port: 0 });
    expect(lpA.family).toBe(family);
    expect(lpA.port).toBeGreaterThan(0);

    const got = next(b.onDidReceiveMessage);
    const info = await a.send({ protocol: 'udp', host, port: lpB.port }, sipRequest('u1'));
    expect(info.local.port).toBe(lpA.port);
    const e = await got;
    expect(e.data.toString()).toBe(sipRequest('u1').toString());
    expect(e.protocol).toBe('udp');
    // The true source (RFC 3581 needs it): our listening port, not an ephemeral one.
    expect(e.remote).toEqual({ address: host, port: lpA.port, family });
    expect(e.local.port).toBe(lpB.port);
    expect(e.connectionId).toBeUndefined();

    // And back to where it came from.
    const back = next(a.onDidReceiveMessage);
    await b.send({ protocol: 'udp', host: e.remote.address, port: e.remote.port }, sipRequest('u2'));
    expect((await back).data.toString()).toContain('branch=z9hG4bKu2');
  });

  it('drops an over-limit datagram with an event and ignores CRLF keep-alives', async () => {
    const b = manager({ limits: { maxMessageSize: 1000 } });
    const lp = await b.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    const messages = collect(b.onDidReceiveMessage);
    const errors = collect(b.onDidFramingError);
    const raw = dgram.createSocket('udp4');
    try {
      const send = (buf: Buffer): Promise<void> => new Promise((r, j) => raw.send(buf, lp.port, '127.0.0.1', (e) => (e ? j(e) : r())));
      await send(Buffer.alloc(1500, 0x41));
      await send(Buffer.from('\r\n\r\n'));
      await send(sipRequest('ok'));
      await until(() => messages.items.length === 1 && errors.items.length === 1);
      expect(errors.items[0]?.reason).toBe('message-too-large');
      expect(errors.items[0]?.connectionId).toBeUndefined();
      expect(messages.items[0]?.data.toString()).toContain('z9hG4bKok');
    } finally {
      messages.dispose();
      errors.dispose();
      raw.close();
    }
  });

  it('rejects a send without a listening point of that family, and a non-IP host', async () => {
    const a = manager();
    await a.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    await expect(a.send({ protocol: 'udp', host: '::1', port: 5060 }, sipRequest('x'))).rejects.toMatchObject({ code: ErrorCode.Transport });
    const e = await a.send({ protocol: 'udp', host: 'example.com', port: 5060 }, sipRequest('x')).catch((x: unknown) => x);
    expect(isSdkError(e, ErrorCode.InvalidArgument)).toBe(true);
    await expect(a.listen({ protocol: 'udp', host: 'localhost', port: 0 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });

  it('rejects listening on a port in use with a TransportError', async () => {
    const a = manager();
    const lp = await a.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    await expect(a.listen({ protocol: 'udp', host: '127.0.0.1', port: lp.port })).rejects.toMatchObject({ code: ErrorCode.Transport });
  });

  it('sends CRLFCRLF keep-alives on the injected clock until disposed', async () => {
    const clock = new VirtualClock();
    const a = manager({ clock });
    await a.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    const raw = dgram.createSocket('udp4');
    const got: string[] = [];
    raw.on('message', (m) => got.push(m.toString('latin1')));
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r));
    try {
      const ka = a.startKeepAlive({ protocol: 'udp', host: '127.0.0.1', port: raw.address().port }, { intervalMs: 1000 });
      clock.advance(999);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([]);
      clock.advance(1);
      clock.advance(1000);
      await until(() => got.length === 2);
      expect(got).toEqual(['\r\n\r\n', '\r\n\r\n']);
      ka.dispose();
      expect(clock.pendingCount).toBe(0);
    } finally {
      raw.close();
    }
  });

  it('disposing the manager closes UDP sockets and rejects later calls', async () => {
    const a = manager();
    const lp = await a.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    a.dispose();
    expect(lp.isClosed).toBe(true);
    await expect(a.send({ protocol: 'udp', host: '127.0.0.1', port: lp.port }, sipRequest('x'))).rejects.toMatchObject({ code: ErrorCode.Disposed });
    // The port is free again.
    const b = manager();
    const again = await b.listen({ protocol: 'udp', host: '127.0.0.1', port: lp.port });
    expect(again.port).toBe(lp.port);
  });
});
