import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, TransportError, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SipTransportManager, type SipTransportManagerOptions } from '../src/transport/index';
import { closed, collect, next, pem, rawConnect, rawServer, sipRequest, sleep, until } from './transport-helpers';

const serverTls = { cert: pem('server.pem'), key: pem('server.key') };

describe('SipTransportManager over TCP and TLS', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const owned: SipTransportManager[] = [];
  const manager = (options?: SipTransportManagerOptions): SipTransportManager => {
    const m = new SipTransportManager(options);
    owned.push(m);
    return m;
  };
  afterEach(() => {
    for (const m of owned.splice(0)) m.dispose();
  });

  it.each([
    ['tcp', '127.0.0.1'],
    ['tcp', '::1'],
    ['tls', '127.0.0.1'],
    ['tls', '::1'],
  ] as const)('round trip over %s %s: one connection for many messages, the answer reuses it', async (protocol, host) => {
    const client = manager({ tls: { ca: pem('ca.pem') } });
    const server = manager();
    const lp = await server.listen({ protocol, host, port: 0, tls: serverTls });
    const serverGot = collect(server.onDidReceiveMessage);
    const clientGot = collect(client.onDidReceiveMessage);
    try {
      const sends = await Promise.all([1, 2, 3, 4, 5].map((i) => client.send({ protocol, host, port: lp.port }, sipRequest(`m${i}`, `body ${i}`))));
      // Concurrent sends to one target share one connection.
      expect(new Set(sends.map((s) => s.connectionId)).size).toBe(1);
      await until(() => serverGot.items.length === 5);
      expect(serverGot.items.map((e) => e.data.toString())).toEqual([1, 2, 3, 4, 5].map((i) => sipRequest(`m${i}`, `body ${i}`).toString()));
      expect(client.connectionCount).toBe(1);
      expect(server.connectionCount).toBe(1);
      const first = serverGot.items[0]!;
      expect(first.protocol).toBe(protocol);
      expect(first.remote.port).toBe(sends[0]!.local.port);
      expect(first.remote.address).toBe(host);

      // RFC 3261 §18.2.2: the response goes back on the connection the request came on.
      const reply = await server.send({ protocol, host: first.remote.address, port: first.remote.port }, sipRequest('r1'), { connectionId: first.connectionId });
      expect(reply.connectionId).toBe(first.connectionId);
      // Without the id, the open connection to that address/port is found too.
      const reply2 = await server.send({ protocol, host: first.remote.address, port: first.remote.port }, sipRequest('r2'));
      expect(reply2.connectionId).toBe(first.connectionId);
      await until(() => clientGot.items.length === 2);
      expect(clientGot.items.map((e) => e.connectionId)).toEqual([sends[0]!.connectionId, sends[0]!.connectionId]);
      expect(server.connectionCount).toBe(1);
      expect(client.connectionCount).toBe(1);
    } finally {
      serverGot.dispose();
      clientGot.dispose();
    }
  });

  it('reports open and close events; sending on a dead connection rejects with TransportError', async () => {
    const client = manager();
    const server = manager();
    const lp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
    const opened = next(server.onDidOpenConnection);
    const clientOpened = next(client.onDidOpenConnection);
    const info = await client.send({ protocol: 'tcp', host: '127.0.0.1', port: lp.port }, sipRequest('a'));
    const inbound = await opened;
    expect(inbound.direction).toBe('inbound');
    expect((await clientOpened).direction).toBe('outbound');
    const serverSawClose = next(server.onDidCloseConnection);
    const clientSawClose = next(client.onDidCloseConnection);
    expect(client.closeConnection(info.connectionId!)).toBe(true);
    expect((await clientSawClose).reason).toBe('local');
    expect((await serverSawClose).reason).toBe('remote');
    expect(server.connectionCount).toBe(0);
    const err = await server.send({ protocol: 'tcp', host: '127.0.0.1', port: inbound.remote.port }, sipRequest('b'), { connectionId: inbound.connectionId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(ErrorCode.Transport);
  });

  it('rejects a connect to a closed port, and times out a peer that never completes the handshake', async () => {
    const client = manager({ limits: { connectTimeoutMs: 200 } });
    const silent = await rawServer(); // accepts TCP but never speaks TLS
    try {
      const port = silent.port;
      await silent.close();
      await expect(client.send({ protocol: 'tcp', host: '127.0.0.1', port }, sipRequest('x'))).rejects.toMatchObject({ code: ErrorCode.Transport });
      const mute = await rawServer();
      try {
        const closes = next(client.onDidCloseConnection);
        await expect(client.send({ protocol: 'tls', host: '127.0.0.1', port: mute.port }, sipRequest('x'))).rejects.toBeInstanceOf(TransportError);
        expect((await closes).reason).toBe('connect-timeout');
      } finally {
        await mute.close();
      }
      expect(client.connectionCount).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('TLS: an untrusted server certificate rejects with TLS_VERIFICATION; the test CA succeeds', async () => {
    const server = manager();
    const lpUntrusted = await server.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { cert: pem('untrusted.pem'), key: pem('untrusted.key') } });
    const lpGood = await server.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: serverTls });
    const strict = manager({ tls: { ca: pem('ca.pem') } });
    const closes = next(strict.onDidCloseConnection);
    const e = await strict.send({ protocol: 'tls', host: '127.0.0.1', port: lpUntrusted.port }, sipRequest('x')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code).toBe(ErrorCode.TlsVerification);
    expect((await closes).reason).toBe('tls-verification');
    // Default trust store (no test CA): our CA is unknown too.
    const defaults = manager();
    await expect(defaults.send({ protocol: 'tls', host: '127.0.0.1', port: lpGood.port }, sipRequest('x'))).rejects.toMatchObject({ code: ErrorCode.TlsVerification });
    // Name check: the certificate does not carry this name.
    await expect(strict.send({ protocol: 'tls', host: '127.0.0.1', port: lpGood.port, servername: 'sip.example.com' }, sipRequest('x'))).rejects.toMatchObject({
      code: ErrorCode.TlsVerification,
    });
    // The right CA and a matching name (IP SAN, then DNS SAN) succeed.
    const got = next(server.onDidReceiveMessage);
    await strict.send({ protocol: 'tls', host: '127.0.0.1', port: lpGood.port }, sipRequest('ok'));
    expect((await got).data.toString()).toContain('z9hG4bKok');
    const byName = manager({ tls: { ca: pem('ca.pem') } });
    const got2 = next(server.onDidReceiveMessage);
    await byName.send({ protocol: 'tls', host: '127.0.0.1', port: lpGood.port, servername: 'localhost' }, sipRequest('named'));
    expect((await got2).data.toString()).toContain('z9hG4bKnamed');
    expect(strict.connectionCount).toBe(1);
  });

  it('mutual TLS: a client with a certificate from the CA gets in, one without is dropped', async () => {
    const server = manager();
    const lp = await server.listen({ protocol: 'tls', host: '127.0.0.1', port: 0, tls: { ...serverTls, ca: pem('ca.pem'), requestCert: true } });
    const withCert = manager({ tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') } });
    const got = next(server.onDidReceiveMessage);
    await withCert.send({ protocol: 'tls', host: '127.0.0.1', port: lp.port }, sipRequest('mtls'));
    expect((await got).data.toString()).toContain('z9hG4bKmtls');
    expect(server.connectionCount).toBe(1);

    const noCert = manager({ tls: { ca: pem('ca.pem') } });
    const messages = collect(server.onDidReceiveMessage);
    try {
      // TLS 1.3 finishes the client side before the server checks the client certificate, so
      // the send may resolve; the server must still drop the connection unseen.
      const closedOnClient = next(noCert.onDidCloseConnection, () => true, 5000);
      await noCert.send({ protocol: 'tls', host: '127.0.0.1', port: lp.port }, sipRequest('intruder')).catch(() => undefined);
      await closedOnClient;
      await sleep(50);
      expect(messages.items).toEqual([]);
      expect(server.connectionCount).toBe(1);
      expect(noCert.connectionCount).toBe(0);
    } finally {
      messages.dispose();
    }
  });

  it('keep-alive: pings on our connection are answered with pongs; the flow stays up', async () => {
    const server = manager();
    const lp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
    const client = manager({ keepAlive: { intervalMs: 40, pongTimeoutMs: 100, jitter: false } });
    const closes = collect(client.onDidCloseConnection);
    try {
      await client.send({ protocol: 'tcp', host: '127.0.0.1', port: lp.port }, sipRequest('ka'));
      await sleep(500); // about 12 pings, each must be ponged within 100 ms
      expect(closes.items).toEqual([]);
      expect(client.connectionCount).toBe(1);
    } finally {
      closes.dispose();
    }
    // And the server answers a raw CRLFCRLF ping with exactly one CRLF.
    const raw = await rawConnect(lp.port);
    try {
      const pong = new Promise<string>((r) => raw.once('data', (d: Buffer) => r(d.toString('latin1'))));
      raw.write('\r\n\r\n');
      expect(await pong).toBe('\r\n');
    } finally {
      raw.destroy();
    }
  });

  it('keep-alive: a peer that never pongs is declared dead', async () => {
    const received: Buffer[] = [];
    const deaf = await rawServer((s) => s.on('data', (d: Buffer) => received.push(d)));
    try {
      const client = manager({ keepAlive: { intervalMs: 50, pongTimeoutMs: 150, jitter: false } });
      const info = await client.send({ protocol: 'tcp', host: '127.0.0.1', port: deaf.port }, sipRequest('dead'));
      const closeEvent = await next(client.onDidCloseConnection, () => true, 3000);
      expect(closeEvent.reason).toBe('keepalive-timeout');
      expect(closeEvent.connectionId).toBe(info.connectionId);
      expect(client.connectionCount).toBe(0);
      expect(Buffer.concat(received).toString('latin1')).toContain('\r\n\r\n');
      await until(() => deaf.sockets.every((s) => s.destroyed || s.readableEnded));
    } finally {
      await deaf.close();
    }
  });

  it('keep-alive off: startKeepAlive turns pings on for one flow until disposed', async () => {
    const received: string[] = [];
    const deaf = await rawServer((s) => s.on('data', (d: Buffer) => received.push(d.toString('latin1'))));
    try {
      const client = manager({ keepAlive: { enabled: false, intervalMs: 30, pongTimeoutMs: 5000, jitter: false } });
      await client.send({ protocol: 'tcp', host: '127.0.0.1', port: deaf.port }, sipRequest('m'));
      await sleep(120);
      // No automatic pings: only the request went out.
      expect(received.join('')).toBe(sipRequest('m').toString('latin1'));
      const before = received.join('').split('\r\n\r\n').length;
      const ka = client.startKeepAlive({ protocol: 'tcp', host: '127.0.0.1', port: deaf.port });
      await until(() => received.join('').split('\r\n\r\n').length >= before + 2, 2000);
      ka.dispose();
      const count = received.join('').length;
      await sleep(120);
      expect(received.join('').length).toBe(count);
      expect(() => client.startKeepAlive({ protocol: 'tcp', host: '127.0.0.1', port: 1 })).toThrow(TransportError);
    } finally {
      await deaf.close();
    }
  });

  it('closes accepted connections idle beyond idleTimeoutMs; traffic keeps them open', async () => {
    const server = manager({ limits: { idleTimeoutMs: 200 } });
    const lp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
    const busy = await rawConnect(lp.port);
    const idle = await rawConnect(lp.port);
    try {
      await until(() => server.connectionCount === 2);
      const closeEvent = next(server.onDidCloseConnection, () => true, 3000);
      // Keep one busy with pings every 50 ms.
      const t = setInterval(() => busy.write('\r\n\r\n'), 50);
      try {
        await closed(idle, 3000);
        expect((await closeEvent).reason).toBe('idle-timeout');
        await sleep(150);
        expect(busy.destroyed).toBe(false);
        expect(server.connectionCount).toBe(1);
      } finally {
        clearInterval(t);
      }
    } finally {
      busy.destroy();
      idle.destroy();
    }
  });

  it('refuses connections over maxConnections', async () => {
    const server = manager({ limits: { maxConnections: 2 } });
    const lp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
    const sockets = await Promise.all([rawConnect(lp.port), rawConnect(lp.port)]);
    try {
      await until(() => server.connectionCount === 2);
      const third = await rawConnect(lp.port).catch(() => undefined);
      if (third) {
        sockets.push(third);
        await closed(third, 3000);
      }
      expect(server.connectionCount).toBe(2);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('disposing the manager rejects pending sends and closes every connection', async () => {
    const mute = await rawServer();
    try {
      const client = manager({ limits: { connectTimeoutMs: 5000 } });
      const server = manager();
      const lp = await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
      await client.send({ protocol: 'tcp', host: '127.0.0.1', port: lp.port }, sipRequest('a'));
      const pending = client.send({ protocol: 'tls', host: '127.0.0.1', port: mute.port }, sipRequest('b'));
      const closes = collect(client.onDidCloseConnection);
      client.dispose();
      await expect(pending).rejects.toMatchObject({ code: ErrorCode.Disposed });
      expect(closes.items.map((c) => c.reason).sort()).toEqual(['disposed', 'disposed']);
      closes.dispose();
      expect(client.connectionCount).toBe(0);
      await until(() => server.connectionCount === 0);
    } finally {
      await mute.close();
    }
  });
});
