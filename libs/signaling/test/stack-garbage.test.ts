/**
 * A UserAgent over UDP, TCP and TLS (loopback, ephemeral ports) under hostile peers: random
 * bytes, truncated messages, oversize messages, header-count and line-length breakers, a
 * one-byte-every-20-ms stream peer, thousands of valid OPTIONS, and requests with malformed
 * Via/CSeq/From/To/Call-ID. Every loop is bounded in count and in time.
 *
 * What must hold: the process never crashes (no uncaught exception, no unhandled rejection);
 * every malformed request that can be addressed (a complete request line and a Via line: the
 * stack answers to where it came from) gets a 4xx (513 for a message over the parser's size
 * limit, RFC 3261 §21.5.14); the UA answers a valid OPTIONS afterwards; the transport's
 * connection count and the transaction layer's server transaction count return to 0 (Timer J
 * with a short real T1); the heap stays bounded over a long loop (measured in a child
 * `node --expose-gc` process).
 */
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite, setListenerErrorHandler, type ListenerErrorHandler } from '@sip-endpoint/base';
import { SipResponse, parseMessage } from '../src/message/index';
import type { FramingErrorEvent } from '../src/transport/index';
import { SipStack, UserAgent } from '../src/ua/index';
import { SimpleSdh } from './support/simple-sdh';

const HERE = dirname(fileURLToPath(import.meta.url));
const pem = (name: string): string => readFileSync(join(HERE, 'fixtures', 'tls', name), 'latin1');

const PARTIAL_MS = 300;
const PARSE_LIMITS = { maxMessageSize: 8192, maxHeaderCount: 64, maxLineLength: 1024 };
const TRANSPORT_LIMITS = { partialMessageTimeoutMs: PARTIAL_MS, maxMessageSize: 32768, maxHeaderBytes: 16384 };
/** A short real T1: a UDP non-INVITE server transaction lives 64*T1 = 640 ms after its final response (Timer J). */
const TIMERS = { t1Ms: 10, t2Ms: 40, t4Ms: 50 };

type Proto = 'udp' | 'tcp' | 'tls';

/** A deterministic generator, so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A valid OPTIONS from `localPort` (Via with rport, so the answer comes back to us). */
function options(proto: Proto, localPort: number, tag: string, extra: { headers?: string[]; body?: string; via?: string } = {}): Buffer {
  const body = extra.body ?? '';
  const lines = [
    `OPTIONS sip:ua@127.0.0.1 SIP/2.0`,
    'Max-Forwards: 70',
    extra.via ?? `Via: SIP/2.0/${proto.toUpperCase()} 127.0.0.1:${localPort};rport;branch=z9hG4bK${tag}`,
    `From: <sip:peer@127.0.0.1>;tag=f${tag}`,
    'To: <sip:ua@127.0.0.1>',
    `Call-ID: ${tag}@garbage`,
    'CSeq: 1 OPTIONS',
    ...(extra.headers ?? []),
    ...(body ? ['Content-Type: text/plain'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** What a peer saw come back. */
interface Seen {
  status: number;
  reason: string;
  callId: string | undefined;
  cseq: string | undefined;
  /** The first Via header value. */
  via: string | undefined;
  toTag: string | undefined;
  contact: string | undefined;
}
function readResponse(bytes: Buffer): Seen | undefined {
  try {
    const m = parseMessage(bytes);
    if (!(m instanceof SipResponse)) return undefined;
    const to = m.headers.get('To');
    return {
      status: m.status,
      reason: m.reason,
      callId: m.headers.get('Call-ID'),
      cseq: m.headers.get('CSeq'),
      via: m.headers.getAll('Via')[0],
      toTag: to ? /;\s*tag=([^;\s>]+)/.exec(to)?.[1] : undefined,
      contact: /<([^>]+)>/.exec(m.headers.get('Contact') ?? '')?.[1],
    };
  } catch {
    return undefined;
  }
}

/** Splits a stream into messages by Content-Length (our responses always carry it). */
function splitStream(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) break;
    const cl = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
    const len = end + 4 + (cl ? Number(cl[1]) : 0);
    if (buf.length < len) break;
    messages.push(buf.subarray(0, len));
    buf = buf.subarray(len);
  }
  return { messages, rest: buf };
}

/** A raw peer: a UDP socket, or a TCP/TLS connection, collecting the responses it gets. */
interface Peer {
  readonly proto: Proto;
  readonly port: number;
  readonly responses: Seen[];
  /** Resolves when a stream peer's connection closed (never for UDP). */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  /** Bytes received that were not a response (should stay 0). */
  readonly junk: number;
  send(data: Buffer): void;
  close(): void;
}

async function udpPeer(target: number): Promise<Peer> {
  const sock = dgram.createSocket('udp4');
  const responses: Seen[] = [];
  let junk = 0;
  sock.on('message', (m) => {
    const r = readResponse(m);
    if (r) responses.push(r);
    else junk++;
  });
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  let open = true;
  return {
    proto: 'udp',
    port: sock.address().port,
    responses,
    closed: new Promise<void>(() => undefined),
    get isClosed() {
      return !open;
    },
    get junk() {
      return junk;
    },
    send: (data) => sock.send(data, target, '127.0.0.1'),
    close: () => {
      if (open) sock.close();
      open = false;
    },
  };
}

async function streamPeer(proto: 'tcp' | 'tls', target: number): Promise<Peer> {
  const sock: net.Socket =
    proto === 'tcp'
      ? net.connect(target, '127.0.0.1')
      : tls.connect({ port: target, host: '127.0.0.1', servername: 'localhost', ca: pem('ca.pem') });
  sock.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${proto} connect timed out`)), 5000);
    sock.once(proto === 'tcp' ? 'connect' : 'secureConnect', () => {
      clearTimeout(t);
      resolve();
    });
  });
  const responses: Seen[] = [];
  let junk = 0;
  let buf: Buffer = Buffer.alloc(0);
  let isClosed = false;
  sock.on('data', (d: Buffer) => {
    const { messages, rest } = splitStream(Buffer.concat([buf, d]));
    buf = rest;
    for (const m of messages) {
      const r = readResponse(m);
      if (r) responses.push(r);
      else junk++;
    }
  });
  const closed = new Promise<void>((r) =>
    sock.once('close', () => {
      isClosed = true;
      r();
    }),
  );
  return {
    proto,
    port: sock.localPort!,
    responses,
    closed,
    get isClosed() {
      return isClosed;
    },
    get junk() {
      return junk + (buf.length && isClosed ? 1 : 0);
    },
    send: (data) => {
      if (!sock.destroyed) sock.write(data);
    },
    close: () => sock.destroy(),
  };
}

/** Resolves true once `cond()` holds, false after `ms` (no throw: the caller asserts). */
async function within(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

describe('SipStack under hostile peers over UDP, TCP and TLS', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const processErrors: unknown[] = [];
  const onProcessError = (e: unknown): void => {
    processErrors.push(e);
  };
  let previousListenerErrorHandler: ListenerErrorHandler | undefined;
  let acceptCalls = false;
  let ua: UserAgent;
  let ports: Record<Proto, number>;
  let framing: FramingErrorEvent[];
  const peers: Peer[] = [];

  const peer = async (proto: Proto): Promise<Peer> => {
    const p = proto === 'udp' ? await udpPeer(ports.udp) : await streamPeer(proto, ports[proto]);
    peers.push(p);
    return p;
  };

  /** The UA still answers a valid OPTIONS over `proto`. */
  const stillAnswers = async (proto: Proto): Promise<void> => {
    const p = await peer(proto);
    const tag = `alive${proto}${Date.now()}`;
    p.send(options(proto, p.port, tag));
    expect(await within(() => p.responses.some((r) => r.callId === `${tag}@garbage`), 3000), `OPTIONS over ${proto} unanswered`).toBe(true);
    expect(p.responses.find((r) => r.callId === `${tag}@garbage`)?.status).toBe(200);
    p.close();
  };

  beforeAll(() => {
    process.on('unhandledRejection', onProcessError);
    process.on('uncaughtException', onProcessError);
    // A listener of the stack or the UA that throws is swallowed by the Emitter: count it as a failure.
    previousListenerErrorHandler = setListenerErrorHandler(onProcessError);
  });
  afterAll(() => {
    process.off('unhandledRejection', onProcessError);
    process.off('uncaughtException', onProcessError);
    if (previousListenerErrorHandler) setListenerErrorHandler(previousListenerErrorHandler);
  });

  beforeEach(async () => {
    ua = await UserAgent.create({
      aor: 'sip:ua@127.0.0.1',
      stack: {
        listen: [
          { protocol: 'udp', host: '127.0.0.1', port: 0 },
          { protocol: 'tcp', host: '127.0.0.1', port: 0 },
          { protocol: 'tls', host: '127.0.0.1', port: 0, tls: { cert: pem('server.pem'), key: pem('server.key') } },
        ],
        timers: TIMERS,
        parseLimits: PARSE_LIMITS,
        transport: { limits: TRANSPORT_LIMITS },
      },
      createSessionDescriptionHandler: () => new SimpleSdh(),
      delegate: {
        onInvite: (s) => {
          if (acceptCalls) s.accept().catch(() => undefined);
          else s.reject(486);
        },
      },
    });
    acceptCalls = false;
    ports = { udp: ua.stack.pointFor('udp').port, tcp: ua.stack.pointFor('tcp').port, tls: ua.stack.pointFor('tls').port };
    framing = [];
    ua.stack.transport.onDidFramingError((e) => framing.push(e));
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    try {
      expect(processErrors).toEqual([]);
      // Every connection closes (the peers are gone) and every server transaction ends (Timer J).
      expect(await within(() => ua.stack.transport.connectionCount === 0, 5000), `connections left: ${ua.stack.transport.connectionCount}`).toBe(true);
      expect(await within(() => ua.stack.transactions.serverTransactionCount === 0, 5000), `server transactions left: ${ua.stack.transactions.serverTransactionCount}`).toBe(true);
    } finally {
      ua.dispose();
    }
  });

  it('random bytes and SIP-looking noise: no crash, the UA keeps answering', async () => {
    const rnd = prng(4475);
    const vocabulary = ['Via', 'v', 'From', 'f', 'To', 't', 'Call-ID', 'i', 'CSeq', 'Content-Length', 'l', 'Contact', ':', ';', ',', '<', '>', '"', '\\', ' ', '\t', '\r\n', '\r\n ', 'sip:', 'SIP/2.0', '/UDP', 'branch=z9hG4bK', 'tag=', '=', '@', '127.0.0.1', '5060', '-1', '4294967296', '%00', '\0', '\xff', 'INVITE', 'OPTIONS', 'ACK'];
    const noise = (): Buffer => {
      if (rnd() < 0.5) {
        const b = Buffer.alloc(1 + Math.floor(rnd() * 3000));
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
        return b;
      }
      const parts: string[] = [rnd() < 0.5 ? 'OPTIONS sip:ua@127.0.0.1 SIP/2.0\r\n' : ''];
      const n = 5 + Math.floor(rnd() * 200);
      for (let i = 0; i < n; i++) parts.push(vocabulary[Math.floor(rnd() * vocabulary.length)]!);
      return Buffer.from(parts.join(''), 'latin1');
    };
    const deadline = Date.now() + 15_000;
    // UDP: 600 datagrams from one socket, paced so the kernel buffer does not drop them.
    const u = await peer('udp');
    let sent = 0;
    for (; sent < 600 && Date.now() < deadline; sent++) {
      u.send(noise());
      if (sent % 50 === 49) await sleep(5);
    }
    let closedByServer = 0;
    // TCP and TLS: connections that send noise; the server must close each (framing error or
    // partial-message timeout), never hang on one.
    for (const proto of ['tcp', 'tls'] as const) {
      const rounds = proto === 'tcp' ? 30 : 12;
      for (let i = 0; i < rounds && Date.now() < deadline; i++) {
        const p = await peer(proto);
        p.send(noise());
        p.send(Buffer.from('\r\n\r\n'.repeat(rnd() < 0.5 ? 0 : 1)));
        // The server closes it (framing error or partial-message timeout); a noise message that
        // happened to frame as whole messages may leave it open: then we close it.
        if (await Promise.race([p.closed.then(() => true), sleep(PARTIAL_MS + 2000).then(() => false)])) closedByServer++;
        p.close();
      }
    }
    expect(sent).toBeGreaterThanOrEqual(300);
    expect(closedByServer).toBeGreaterThanOrEqual(20);
    expect(processErrors).toEqual([]);
    for (const proto of ['udp', 'tcp', 'tls'] as const) await stillAnswers(proto);
    expect(framing.length).toBeGreaterThan(0);
  }, 60_000);

  it('truncated messages: the addressable ones get a 4xx over UDP; streams time out and close', async () => {
    const rnd = prng(3261);
    const deadline = Date.now() + 20_000;
    let addressable = 0;
    let silent = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 150 && Date.now() < deadline; i++) {
      const p = await peer('udp');
      const whole = options('udp', p.port, `cut${i}`, { body: 'hello' });
      const at = 1 + Math.floor(rnd() * (whole.length - 1));
      const cut = whole.subarray(0, at);
      const text = cut.toString('latin1');
      // The stack answers when it can read a request line and a Via to put in the response.
      const canAddress = text.indexOf('\r\n') > 0 && text.includes('\r\nVia:');
      p.send(cut);
      if (canAddress) {
        addressable++;
        await within(() => p.responses.length > 0, 2000);
        const s = p.responses[0]?.status;
        if (s === undefined || s < 400 || s > 499) wrong.push(`cut at ${at} (${JSON.stringify(text.slice(-20))}): ${s ?? 'nothing'}`);
      } else {
        silent++;
        await sleep(30);
        if (p.responses.length) wrong.push(`cut at ${at}: unaddressable but answered ${p.responses[0]!.status}`);
      }
      p.close();
    }
    expect(wrong).toEqual([]);
    expect(addressable).toBeGreaterThan(50);
    expect(silent).toBeGreaterThan(0);

    // On a stream a truncated message is a partial message: closed after the timeout, unanswered.
    const streams: { p: Peer; at: number; t0: number }[] = [];
    for (const proto of ['tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'tls', 'tls', 'tls', 'tls'] as const) {
      const p = await peer(proto);
      const whole = options(proto, p.port, `scut${streams.length}`, { body: 'hello' });
      const at = 1 + Math.floor(rnd() * (whole.length - 1));
      p.send(whole.subarray(0, at));
      streams.push({ p, at, t0: Date.now() });
    }
    for (const { p, at, t0 } of streams) {
      const closed = await Promise.race([p.closed.then(() => true), sleep(PARTIAL_MS + 3000).then(() => false)]);
      expect(closed, `${p.proto} cut at ${at} not closed`).toBe(true);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(PARTIAL_MS - 50);
      expect(p.responses).toEqual([]);
    }
    expect(framing.filter((f) => f.reason === 'partial-message-timeout').length).toBeGreaterThanOrEqual(streams.length);
    for (const proto of ['udp', 'tcp', 'tls'] as const) await stillAnswers(proto);
  }, 60_000);

  it('oversize messages and header-count / line-length breakers', async () => {
    const big = (n: number): string => 'x'.repeat(n);
    const cases: { name: string; data: (proto: Proto, port: number) => Buffer; udp: number | 'dropped'; stream: number | 'closed' }[] = [
      // Over the parser's limit, within the transport's: 513 Message Too Large (RFC 3261 §21.5.14).
      { name: 'over the parser size limit', data: (pr, pt) => options(pr, pt, `big${pr}`, { body: big(PARSE_LIMITS.maxMessageSize + 100) }), udp: 513, stream: 513 },
      // Over the transport's limit: a datagram is dropped, a stream is closed (it cannot be framed).
      { name: 'over the transport size limit', data: (pr, pt) => options(pr, pt, `huge${pr}`, { body: big(TRANSPORT_LIMITS.maxMessageSize + 100) }), udp: 'dropped', stream: 'closed' },
      {
        name: 'too many header fields',
        data: (pr, pt) => options(pr, pt, `many${pr}`, { headers: Array.from({ length: PARSE_LIMITS.maxHeaderCount + 10 }, (_, i) => `X-Filler-${i}: ${i}`) }),
        udp: 400,
        stream: 400,
      },
      { name: 'a header line too long', data: (pr, pt) => options(pr, pt, `long${pr}`, { headers: [`Subject: ${big(PARSE_LIMITS.maxLineLength + 10)}`] }), udp: 400, stream: 400 },
      {
        name: 'a folded header too long once unfolded',
        data: (pr, pt) => options(pr, pt, `fold${pr}`, { headers: [`Subject: a${'\r\n b'.repeat(PARSE_LIMITS.maxLineLength / 2)}`] }),
        udp: 400,
        stream: 400,
      },
      { name: 'a header block over the transport limit', data: (pr, pt) => options(pr, pt, `hdr${pr}`, { headers: Array.from({ length: 40 }, (_, i) => `X-Wide-${i}: ${big(500)}`) }), udp: 513, stream: 'closed' },
    ];
    const wrong: string[] = [];
    for (const c of cases) {
      for (const proto of ['udp', 'tcp', 'tls'] as const) {
        const p = await peer(proto);
        const framingBefore = framing.length;
        p.send(c.data(proto, p.port));
        const want = proto === 'udp' ? c.udp : c.stream;
        if (typeof want === 'number') {
          await within(() => p.responses.length > 0, 3000);
          if (p.responses[0]?.status !== want) wrong.push(`${proto} ${c.name}: expected ${want}, got ${p.responses[0]?.status ?? 'nothing'}`);
        } else if (want === 'closed') {
          const closed = await Promise.race([p.closed.then(() => true), sleep(3000).then(() => false)]);
          if (!closed || p.responses.length) wrong.push(`${proto} ${c.name}: expected a close without answer, got ${closed ? 'closed' : 'open'} ${p.responses.map((r) => r.status).join(',')}`);
        } else {
          await within(() => framing.length > framingBefore, 2000);
          await sleep(50);
          if (p.responses.length || framing.length === framingBefore) wrong.push(`${proto} ${c.name}: expected a silent drop, got ${p.responses.map((r) => r.status).join(',') || 'no framing error'}`);
        }
        p.close();
      }
    }
    expect(wrong).toEqual([]);
    for (const proto of ['udp', 'tcp', 'tls'] as const) await stillAnswers(proto);
  }, 60_000);

  it('a stream peer sending one byte every 20 ms is cut off by the partial-message timeout', async () => {
    for (const proto of ['tcp', 'tls'] as const) {
      const p = await peer(proto);
      const data = options(proto, p.port, `loris${proto}`);
      const t0 = Date.now();
      let i = 0;
      // At most the whole message (it would take ~5 s) and at most 5 s.
      while (!p.isClosed && i < data.length && Date.now() - t0 < 5000) {
        p.send(data.subarray(i, i + 1));
        i++;
        await sleep(20);
      }
      await Promise.race([p.closed, sleep(2000)]);
      const elapsed = Date.now() - t0;
      expect(p.isClosed, `${proto}: the slow peer was not disconnected`).toBe(true);
      expect(i).toBeLessThan(data.length);
      expect(elapsed).toBeGreaterThanOrEqual(PARTIAL_MS - 50);
      expect(elapsed).toBeLessThan(PARTIAL_MS + 2500);
      expect(p.responses).toEqual([]);
      expect(framing.some((f) => f.reason === 'partial-message-timeout')).toBe(true);
    }
    await stillAnswers('tcp');
  }, 30_000);

  it('thousands of valid OPTIONS are all answered 200; the transactions end after Timer J', async () => {
    const deadline = Date.now() + 40_000;
    const counts: Record<Proto, number> = { udp: 2000, tcp: 500, tls: 300 };
    let peak = 0;
    for (const proto of ['udp', 'tcp', 'tls'] as const) {
      const p = await peer(proto);
      const n = counts[proto];
      const WINDOW = 50;
      let next = 0;
      while (next < n && Date.now() < deadline) {
        // Keep at most WINDOW requests unanswered.
        if (next - p.responses.length < WINDOW) {
          p.send(options(proto, p.port, `${proto}-${next}-${Math.random().toString(36).slice(2)}`));
          next++;
          if (next % 10 === 0) peak = Math.max(peak, ua.stack.transactions.serverTransactionCount);
        } else if (!(await within(() => next - p.responses.length < WINDOW, 2000))) break;
      }
      await within(() => p.responses.length >= n, 5000);
      expect(next).toBe(n);
      expect(p.responses.length).toBe(n);
      expect(p.responses.every((r) => r.status === 200)).toBe(true);
      expect(new Set(p.responses.map((r) => r.callId)).size).toBe(n);
      p.close();
    }
    // Over UDP the transactions linger for Timer J (RFC 3261 §17.2.2), then all end.
    expect(peak).toBeGreaterThan(0);
    expect(await within(() => ua.stack.transactions.serverTransactionCount === 0, 64 * TIMERS.t1Ms + 3000)).toBe(true);
  }, 60_000);

  it('malformed Via, CSeq, From, To, Call-ID: each is answered 4xx; the UA keeps answering', async () => {
    const variants: [string, (proto: Proto, port: number, tag: string) => Buffer][] = [];
    const replace = (name: string, value: string | null) => (proto: Proto, port: number, tag: string): Buffer => {
      const text = options(proto, port, tag).toString('latin1');
      const re = new RegExp(`\\r\\n${name}:[^\\r]*`);
      return Buffer.from(text.replace(re, value === null ? '' : `\r\n${name}: ${value}`), 'latin1');
    };
    const via = (v: string) => (proto: Proto, port: number, tag: string): Buffer => options(proto, port, tag, { via: `Via: ${v}` });
    variants.push(['Via without sent-by', via('SIP/2.0/UDP')]);
    variants.push(['Via of separators', via(';;,;,,')]);
    variants.push(['Via empty', via('')]);
    variants.push(['Via port out of range', via('SIP/2.0/UDP 127.0.0.1:99999999;rport;branch=z9hG4bKx')]);
    variants.push(['Via with an unterminated IPv6 reference', via('SIP/2.0/UDP [::1;rport;branch=z9hG4bKx')]);
    variants.push(['Via with a bad protocol', via('HTTP/1.1 127.0.0.1;branch=z9hG4bKx')]);
    variants.push(['CSeq not a number', replace('CSeq', 'abc OPTIONS')]);
    variants.push(['CSeq without method', replace('CSeq', '1')]);
    variants.push(['CSeq out of range', replace('CSeq', '4294967296 OPTIONS')]);
    variants.push(['CSeq negative', replace('CSeq', '-1 OPTIONS')]);
    variants.push(['CSeq method mismatch', replace('CSeq', '1 INVITE')]);
    variants.push(['CSeq missing', replace('CSeq', null)]);
    variants.push(['From unterminated URI', replace('From', '<sip:peer@127.0.0.1;tag=1')]);
    variants.push(['From unterminated quote', replace('From', '"peer <sip:peer@127.0.0.1>;tag=1')]);
    variants.push(['From empty', replace('From', '')]);
    variants.push(['From missing', replace('From', null)]);
    variants.push(['From twice', replace('From', '<sip:a@127.0.0.1>;tag=1\r\nFrom: <sip:b@127.0.0.1>;tag=2')]);
    variants.push(['To with spaces in the addr-spec', replace('To', 'sip:ua @127.0.0.1')]);
    variants.push(['To missing', replace('To', null)]);
    variants.push(['Call-ID missing', replace('Call-ID', null)]);
    variants.push(['Call-ID twice', replace('Call-ID', 'a@b\r\nCall-ID: c@d')]);
    variants.push(['Via with an empty branch and a bad CSeq', (pr, pt, tag) => Buffer.from(options(pr, pt, tag, { via: `Via: SIP/2.0/${pr.toUpperCase()} 127.0.0.1:${pt};rport;branch=` }).toString('latin1').replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS'), 'latin1')]);
    variants.push(['Via with rport=abc and a bad CSeq', (pr, pt, tag) => Buffer.from(options(pr, pt, tag, { via: `Via: SIP/2.0/${pr.toUpperCase()} 127.0.0.1:${pt};rport;received=not-an-ip;branch=z9hG4bK${tag}` }).toString('latin1').replace('CSeq: 1 OPTIONS', 'CSeq: 1 2 OPTIONS'), 'latin1')]);
    variants.push(['compact f: malformed', (pr, pt, tag) => Buffer.from(options(pr, pt, tag).toString('latin1').replace(/\r\nFrom:[^\r]*/, '\r\nf: <sip:'), 'latin1')]);
    variants.push(['compact t: and i: missing values', (pr, pt, tag) => Buffer.from(options(pr, pt, tag).toString('latin1').replace(/\r\nTo:[^\r]*/, '\r\nt:').replace(/\r\nCall-ID:[^\r]*/, '\r\ni:'), 'latin1')]);
    variants.push(['To tag empty and From tag empty', (pr, pt, tag) => Buffer.from(options(pr, pt, tag).toString('latin1').replace(/\r\nFrom:[^\r]*/, '\r\nFrom: <sip:p@127.0.0.1>;tag=;tag=').replace(/\r\nCSeq:[^\r]*/, '\r\nCSeq: 1 OPTIONS x'), 'latin1')]);
    variants.push(['Request-URI without host', (pr, pt, tag) => Buffer.from(options(pr, pt, tag).toString('latin1').replace('OPTIONS sip:ua@127.0.0.1 SIP/2.0', 'OPTIONS sip: SIP/2.0'), 'latin1')]);
    variants.push(['Max-Forwards not a number', replace('Max-Forwards', 'seventy')]);
    variants.push([
      'folded Via, unparseable request line',
      (pr, pt, tag) =>
        Buffer.from(
          options(pr, pt, tag, { via: `Via: SIP/2.0/${pr.toUpperCase()}\r\n 127.0.0.1:${pt};rport\r\n\t;branch=z9hG4bK${tag}` })
            .toString('latin1')
            .replace('OPTIONS sip:ua@127.0.0.1 SIP/2.0', 'OPTIONS  sip:ua@127.0.0.1  SIP/2.0'),
          'latin1',
        ),
    ]);
    variants.push(['extension method, unparseable Request-URI', (pr, pt, tag) => Buffer.from(options(pr, pt, tag).toString('latin1').replace('OPTIONS sip:ua@127.0.0.1 SIP/2.0', 'X-PING.V2 <sip:ua@127.0.0.1> SIP/2.0').replace('CSeq: 1 OPTIONS', 'CSeq: 1 X-PING.V2'), 'latin1')]);
    variants.push(['Contact unterminated', (pr, pt, tag) => options(pr, pt, tag, { headers: ['Contact: <sip:peer@127.0.0.1'] })]);
    variants.push(['Content-Type garbage', (pr, pt, tag) => options(pr, pt, tag, { headers: ['Content-Type: /;'], body: 'x' })]);
    const wrong: string[] = [];
    let answered = 0;
    for (const proto of ['udp', 'tcp', 'tls'] as const) {
      for (const [name, make] of variants) {
        const p = await peer(proto);
        const tag = `bad${proto}${answered}`;
        p.send(make(proto, p.port, tag));
        await within(() => p.responses.length > 0, 2000);
        const s = p.responses[0]?.status;
        if (s === undefined || s < 400 || s > 499) wrong.push(`${proto} ${name}: ${s ?? 'nothing'}`);
        // The client matches the answer by the branch of its top Via (RFC 3261 §17.1.3): it must be copied.
        else if (!name.startsWith('Via') && !p.responses[0]!.via?.replace(/\s+/g, '').includes(`;branch=z9hG4bK${tag}`)) wrong.push(`${proto} ${name}: Via not copied (${p.responses[0]!.via})`);
        else answered++;
        p.close();
      }
    }
    expect(wrong).toEqual([]);
    expect(answered).toBe(variants.length * 3);
    for (const proto of ['udp', 'tcp', 'tls'] as const) await stillAnswers(proto);
  }, 60_000);

  it('a malformed header the UA dispatches on (Replaces, Event, Refer-To, ...) is answered 400, leaving no transaction', async () => {
    // Without the stack's check these made the UA's request handler throw: the transaction got
    // no final response and stayed alive for ever (a leak any peer could trigger).
    const request = (proto: Proto, port: number, method: string, tag: string, headers: string[]): Buffer =>
      Buffer.from(options(proto, port, tag, { headers }).toString('latin1').replace('OPTIONS sip:', `${method} sip:`).replace('CSeq: 1 OPTIONS', `CSeq: 1 ${method}`), 'latin1');
    const cases: [method: string, headers: string[], header: string][] = [
      ['INVITE', ['Contact: <sip:peer@127.0.0.1>', 'Replaces: ;;;'], 'Replaces'],
      ['INVITE', ['Contact: <sip:peer@127.0.0.1>', 'Replaces: abc;to-tag=;from-tag='], 'Replaces'],
      ['INVITE', ['Contact: <sip:peer@127.0.0.1>', 'Referred-By: <sip:'], 'Referred-By'],
      ['SUBSCRIBE', ['Contact: <sip:peer@127.0.0.1>', 'Event: ;;;'], 'Event'],
      ['SUBSCRIBE', ['Contact: <sip:peer@127.0.0.1>', 'Event: talk', 'Expires: soon'], 'Expires'],
      ['NOTIFY', ['Contact: <sip:peer@127.0.0.1>', 'Event: refer', 'Subscription-State: ;;'], 'Subscription-State'],
      ['REFER', ['Contact: <sip:peer@127.0.0.1>', 'Refer-To: <<<'], 'Refer-To'],
      ['REFER', ['Contact: <sip:peer@127.0.0.1>', 'Refer-To: <sip:c@127.0.0.1>', 'Refer-Sub: maybe'], 'Refer-Sub'],
      ['REGISTER', ['Contact: <sip:peer@127.0.0.1>', 'Expires: -5'], 'Expires'],
    ];
    const wrong: string[] = [];
    for (const proto of ['udp', 'tcp'] as const) {
      for (const [i, [method, headers, header]] of cases.entries()) {
        const p = await peer(proto);
        p.send(request(proto, p.port, method, `disp${proto}${i}`, headers));
        await within(() => p.responses.some((r) => r.status >= 200), 2000);
        const final = p.responses.find((r) => r.status >= 200);
        if (final?.status !== 400 || final.reason !== `Bad ${header}`) wrong.push(`${proto} ${method} with a bad ${header}: ${final ? `${final.status} ${final.reason}` : 'no final response'}`);
        p.close();
      }
    }
    expect(wrong).toEqual([]);
    // The INVITE transactions end on Timer H (no ACK comes), the others on Timer J.
    expect(await within(() => ua.stack.transactions.serverTransactionCount === 0, 64 * TIMERS.t1Ms + 3000)).toBe(true);
  }, 60_000);

  it('a flood of INVITEs never ACKed, retransmission storms and stray CANCELs leave no transaction and no session', async () => {
    const p = await peer('udp');
    const sdp = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 41000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    const invite = (tag: string, method = 'INVITE'): Buffer =>
      Buffer.from(
        options('udp', p.port, tag, { headers: [`Contact: <sip:peer@127.0.0.1:${p.port}>`], body: method === 'INVITE' ? sdp : '' })
          .toString('latin1')
          .replace('OPTIONS sip:', `${method} sip:`)
          .replace('CSeq: 1 OPTIONS', `CSeq: 1 ${method}`)
          .replace('Content-Type: text/plain', 'Content-Type: application/sdp'),
        'latin1',
      );
    const finals = (): Map<string, Seen[]> => {
      const m = new Map<string, Seen[]>();
      for (const r of p.responses) if (r.status >= 200 && r.callId) m.set(r.callId, [...(m.get(r.callId) ?? []), r]);
      return m;
    };
    // 1. 300 new INVITEs, 50 in flight; the test's delegate rejects each with 486; no ACK is ever sent.
    const N = 300;
    const deadline = Date.now() + 20_000;
    let sent = 0;
    while (sent < N && Date.now() < deadline) {
      if (sent - finals().size < 50) p.send(invite(`flood${sent++}`));
      else await sleep(5);
    }
    expect(await within(() => finals().size >= N, 5000)).toBe(true);
    expect([...finals().values()].every((rs) => rs.every((r) => r.status === 486))).toBe(true);
    // 2. One INVITE retransmitted 50 times: one transaction, every answer the same 486 (same To tag).
    const storm = invite('storm');
    for (let i = 0; i < 50; i++) p.send(storm);
    await within(() => (finals().get('storm@garbage')?.length ?? 0) >= 50, 3000);
    const stormAnswers = finals().get('storm@garbage') ?? [];
    expect(stormAnswers.length).toBeGreaterThanOrEqual(50);
    expect(new Set(stormAnswers.map((r) => `${r.status} ${r.toTag}`)).size).toBe(1);
    // 3. CANCELs matching nothing: 481 (RFC 3261 §9.2).
    for (let i = 0; i < 20; i++) p.send(invite(`stray${i}`, 'CANCEL'));
    expect(await within(() => [...Array(20).keys()].every((i) => finals().get(`stray${i}@garbage`)?.[0]?.status === 481), 3000)).toBe(true);
    // Timer H (64*T1) ends every INVITE server transaction without its ACK; no session is left.
    expect(await within(() => ua.stack.transactions.serverTransactionCount === 0, 64 * TIMERS.t1Ms + 5000)).toBe(true);
    expect(ua.activeSessions).toEqual([]);
  }, 40_000);

  it('a request handler that throws before answering: the stack answers 500 and the transaction ends', async () => {
    // A bare stack whose only request listener throws before any response: the stack answers
    // 500 itself. A UA whose session-description factory fails rejects the INVITE with 500 on its
    // own (no listener error). A listener that throws after the UA answered: no second answer.
    const bare = await SipStack.create({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: TIMERS });
    const thrower = bare.onDidReceiveRequest(() => {
      throw new Error('handler failed');
    });
    const broken = await UserAgent.create({
      aor: 'sip:ua@127.0.0.1',
      stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: TIMERS },
      createSessionDescriptionHandler: () => {
        throw new Error('factory failed');
      },
    });
    const errorsBefore = processErrors.length;
    const late = broken.stack.onDidReceiveRequest(() => {
      throw new Error('late listener failed');
    });
    try {
      const p = await udpPeer(broken.stack.pointFor('udp').port);
      peers.push(p);
      const q = await udpPeer(bare.pointFor('udp').port);
      peers.push(q);
      const make = (peer: { port: number }, method: string, tag: string): Buffer =>
        Buffer.from(options('udp', peer.port, tag, { headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`] }).toString('latin1').replace('OPTIONS sip:', `${method} sip:`).replace('CSeq: 1 OPTIONS', `CSeq: 1 ${method}`), 'latin1');
      q.send(make(q, 'INVITE', 'thrower0'));
      p.send(make(p, 'INVITE', 'thrower1'));
      p.send(make(p, 'OPTIONS', 'thrower2'));
      const finalOf = (peer: { responses: Seen[] }, callId: string): Seen[] => peer.responses.filter((r) => r.callId === callId && r.status >= 200);
      expect(await within(() => finalOf(q, 'thrower0@garbage').length > 0 && finalOf(p, 'thrower1@garbage').length > 0 && finalOf(p, 'thrower2@garbage').length > 0, 3000)).toBe(true);
      expect(finalOf(q, 'thrower0@garbage')[0]).toMatchObject({ status: 500, reason: 'Server Internal Error' });
      expect(finalOf(p, 'thrower1@garbage')[0]).toMatchObject({ status: 500, reason: 'Server Internal Error' });
      await sleep(100);
      // OPTIONS: answered 200 by the UA, once (the late listener's failure changes nothing).
      expect(finalOf(p, 'thrower2@garbage').map((r) => r.status)).toEqual([200]);
      expect(broken.activeSessions).toHaveLength(0);
      expect(await within(() => broken.stack.transactions.serverTransactionCount === 0 && bare.transactions.serverTransactionCount === 0, 64 * TIMERS.t1Ms + 3000)).toBe(true);
      // Listener failures are still reported to the process-wide handler; the UA's own refusal is not one.
      const reported = processErrors.splice(errorsBefore).map((e) => (e instanceof Error ? e.message : String(e)));
      expect(reported).toContain('handler failed');
      expect(reported).not.toContain('factory failed');
      expect(reported.filter((m) => m === 'late listener failed').length).toBe(2);
    } finally {
      thrower.dispose();
      late.dispose();
      broken.dispose();
      bare.dispose();
    }
  });

  it('a forged received or rport in the top Via does not send the response to someone else', async () => {
    // A dual-stack UA, a peer on 127.0.0.1:P and a "victim" on [::1]:P (same port number).
    const dual = await UserAgent.create({
      aor: 'sip:ua@127.0.0.1',
      stack: {
        listen: [
          { protocol: 'udp', host: '127.0.0.1', port: 0 },
          { protocol: 'udp', host: '::1', port: 0 },
        ],
        timers: TIMERS,
      },
      createSessionDescriptionHandler: () => new SimpleSdh(),
    });
    const victimGot: string[] = [];
    const victim = dgram.createSocket('udp6');
    victim.on('message', (m) => victimGot.push(m.toString('latin1').split('\r\n')[0]!));
    try {
      const target = dual.stack.pointFor('udp', '127.0.0.1').port;
      const p = await udpPeer(target);
      peers.push(p);
      await new Promise<void>((resolve, reject) => {
        victim.once('error', reject);
        victim.bind(p.port, '::1', () => resolve());
      });
      const vp = await udpPeer(target);
      peers.push(vp);
      const cases: [string, string][] = [
        ['forged received', `Via: SIP/2.0/UDP 127.0.0.1:${p.port};received=::1;branch=z9hG4bKforged1`],
        ['forged received with rport', `Via: SIP/2.0/UDP 127.0.0.1:${p.port};received=::1;rport;branch=z9hG4bKforged2`],
        ['rport with a value', `Via: SIP/2.0/UDP 127.0.0.1:${p.port};rport=${vp.port};branch=z9hG4bKforged3`],
      ];
      const wrong: string[] = [];
      for (const [name, via] of cases) {
        const before = p.responses.length;
        p.send(options('udp', p.port, name.replace(/\W/g, ''), { via }));
        const ok = await within(() => p.responses.length > before, 2000);
        if (!ok || p.responses[before]?.status !== 200) wrong.push(`${name}: the sender got ${p.responses[before]?.status ?? 'nothing'}`);
      }
      await sleep(100);
      expect(wrong).toEqual([]);
      expect(victimGot).toEqual([]);
      expect(vp.responses).toEqual([]);
      expect(await within(() => dual.stack.transactions.serverTransactionCount === 0, 64 * TIMERS.t1Ms + 3000)).toBe(true);
    } finally {
      victim.close();
      dual.dispose();
    }
  });

  it('a malformed ACK is never answered', async () => {
    const ack = (proto: Proto, port: number, tag: string, mangle: (s: string) => string): Buffer =>
      Buffer.from(mangle(options(proto, port, tag).toString('latin1').replace('OPTIONS sip:', 'ACK sip:').replace('CSeq: 1 OPTIONS', 'CSeq: 1 ACK')), 'latin1');
    const mangles: [string, (s: string) => string][] = [
      ['bad CSeq', (s) => s.replace('CSeq: 1 ACK', 'CSeq: x ACK')],
      ['no From', (s) => s.replace(/\r\nFrom:[^\r]*/, '')],
      ['bad To', (s) => s.replace(/\r\nTo:[^\r]*/, '\r\nTo: "unterminated <sip:a@b>')],
      ['unparseable request line', (s) => s.replace('ACK sip:ua@127.0.0.1 SIP/2.0', 'ACK  sip:ua@127.0.0.1  SIP/2.0')],
      ['version 7', (s) => s.replace('ACK sip:ua@127.0.0.1 SIP/2.0', 'ACK sip:ua@127.0.0.1 SIP/7.0')],
    ];
    for (const proto of ['udp', 'tcp'] as const) {
      const p = await peer(proto);
      const drops = { n: 0 };
      const sub = ua.stack.onDidDropMessage(() => drops.n++);
      for (const [i, [, mangle]] of mangles.entries()) p.send(ack(proto, p.port, `ack${proto}${i}`, mangle));
      // Each is dropped (reported), none answered.
      await within(() => drops.n >= mangles.length, 2000);
      await sleep(100);
      sub.dispose();
      expect(drops.n).toBe(mangles.length);
      expect(p.responses).toEqual([]);
      p.close();
    }
    await stillAnswers('udp');
  });

  it('hostile requests inside an established call each get a final response; the call still ends cleanly', async () => {
    acceptCalls = true;
    const p = await peer('udp');
    const callId = `dlg${Date.now()}@garbage`;
    const fromTag = 'hostile1';
    const sdp = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 41000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    let branch = 0;
    const build = (o: { method: string; uri: string; cseq: string; toTag?: string; headers?: string[]; body?: string; contentType?: string }): Buffer => {
      const body = o.body ?? '';
      return Buffer.from(
        [
          `${o.method} ${o.uri} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${p.port};rport;branch=z9hG4bKdlg${branch++}`,
          'Max-Forwards: 70',
          `From: <sip:peer@127.0.0.1>;tag=${fromTag}`,
          `To: <sip:ua@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
          `Call-ID: ${callId}`,
          `CSeq: ${o.cseq}`,
          `Contact: <sip:peer@127.0.0.1:${p.port}>`,
          ...(o.headers ?? []),
          ...(body || o.contentType ? [`Content-Type: ${o.contentType ?? 'application/sdp'}`] : []),
          `Content-Length: ${Buffer.byteLength(body)}`,
          '',
          body,
        ].join('\r\n'),
        'latin1',
      );
    };
    /** The first final response to `cseq` among those that arrived after index `from`. */
    const finalFor = async (cseq: string, from = 0): Promise<Seen | undefined> => {
      const match = (r: Seen): boolean => r.cseq === cseq && r.status >= 200;
      await within(() => p.responses.slice(from).some(match), 2000);
      return p.responses.slice(from).find(match);
    };
    p.send(build({ method: 'INVITE', uri: 'sip:ua@127.0.0.1', cseq: '1 INVITE', body: sdp }));
    const ok = await finalFor('1 INVITE');
    expect(ok?.status).toBe(200);
    const toTag = ok!.toTag!;
    const target = ok!.contact!;
    expect(toTag).toBeTruthy();
    p.send(build({ method: 'ACK', uri: target, cseq: '1 ACK', toTag }));
    await sleep(50);

    const cases: { name: string; method: string; cseq: string; headers?: string[]; body?: string; contentType?: string; toTag?: string; expect: number[] }[] = [
      { name: 're-INVITE with a garbage offer', method: 'INVITE', cseq: '2 INVITE', body: 'garbage\r\n', expect: [488] },
      { name: 'INFO of an unknown type', method: 'INFO', cseq: '3 INFO', body: 'x', contentType: 'application/x-unknown', expect: [415] },
      { name: 'INFO dtmf-relay with a garbage body', method: 'INFO', cseq: '4 INFO', body: 'Signal=\r\nDuration=-1\r\n', contentType: 'application/dtmf-relay', expect: [200] },
      { name: 'NOTIFY with a malformed Subscription-State', method: 'NOTIFY', cseq: '5 NOTIFY', headers: ['Event: refer', 'Subscription-State: ;;'], expect: [400] },
      { name: 'NOTIFY with a malformed Event', method: 'NOTIFY', cseq: '6 NOTIFY', headers: ['Event: ;', 'Subscription-State: active'], expect: [400] },
      { name: 'NOTIFY refer without a subscription', method: 'NOTIFY', cseq: '7 NOTIFY', headers: ['Event: refer', 'Subscription-State: active'], body: 'SIP/2.0 200 OK\r\n', contentType: 'message/sipfrag', expect: [481, 489, 200] },
      { name: 'REFER with a malformed Refer-To', method: 'REFER', cseq: '8 REFER', headers: ['Refer-To: <<<'], expect: [400] },
      { name: 'REFER with a malformed Refer-Sub', method: 'REFER', cseq: '9 REFER', headers: ['Refer-To: <sip:c@127.0.0.1:9>', 'Refer-Sub: maybe'], expect: [400] },
      { name: 're-INVITE with a malformed Replaces', method: 'INVITE', cseq: '10 INVITE', headers: ['Replaces: ;;'], body: sdp, expect: [400] },
      { name: 'UPDATE with a garbage offer', method: 'UPDATE', cseq: '11 UPDATE', body: 'garbage\r\n', expect: [488] },
      { name: 'OPTIONS in the dialog', method: 'OPTIONS', cseq: '12 OPTIONS', expect: [200] },
      { name: 'a CSeq lower than the last one', method: 'INFO', cseq: '3 INFO', expect: [500] },
      { name: 'BYE with a wrong To tag', method: 'BYE', cseq: '13 BYE', toTag: 'not-ours', expect: [481] },
      { name: 'an unknown method in the dialog', method: 'FROBNICATE', cseq: '14 FROBNICATE', expect: [405, 501] },
      { name: 'CSeq method mismatch', method: 'INFO', cseq: '15 BYE', expect: [400] },
    ];
    const wrong: string[] = [];
    for (const c of cases) {
      const from = p.responses.length;
      p.send(build({ method: c.method, uri: target, cseq: c.cseq, toTag: c.toTag ?? toTag, headers: c.headers, body: c.body, contentType: c.contentType }));
      const r = await finalFor(c.cseq, from);
      if (!r || !c.expect.includes(r.status)) wrong.push(`${c.name}: expected ${c.expect.join('/')}, got ${r ? `${r.status} ${r.reason}` : 'no final response'}`);
      // RFC 3261 §17.1.1.3: a final non-2xx to an INVITE is acknowledged (same branch).
      if (c.method === 'INVITE' && r) {
        branch--;
        p.send(build({ method: 'ACK', uri: target, cseq: c.cseq.replace('INVITE', 'ACK'), toTag }));
      }
    }
    expect(wrong).toEqual([]);
    // The call survived all of it and ends with a BYE.
    p.send(build({ method: 'BYE', uri: target, cseq: '20 BYE', toTag }));
    expect((await finalFor('20 BYE'))?.status).toBe(200);
    expect(processErrors).toEqual([]);
  }, 30_000);

  // SIP_HEAP_EXTRA_ROUNDS=30 runs a longer loop (to see the plateau when investigating).
  it('the heap stays bounded over a long loop (child node --expose-gc)', async () => {
    const uaPath = join(HERE, '../src/ua/index.ts');
    const script = `
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { UserAgent } from ${JSON.stringify(uaPath)};
const gc = globalThis.gc;
const ua = await UserAgent.create({
  aor: 'sip:ua@127.0.0.1',
  stack: {
    listen: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
      { protocol: 'tls', host: '127.0.0.1', port: 0, tls: { cert: ${JSON.stringify(pem('server.pem'))}, key: ${JSON.stringify(pem('server.key'))} } },
    ],
    timers: ${JSON.stringify(TIMERS)},
    parseLimits: ${JSON.stringify(PARSE_LIMITS)},
    transport: { limits: ${JSON.stringify(TRANSPORT_LIMITS)} },
  },
  createSessionDescriptionHandler: () => { throw new Error('no calls here'); },
});
const ca = ${JSON.stringify(pem('ca.pem'))};
const target = ua.stack.pointFor('udp').port;
const sock = dgram.createSocket('udp4');
let answered = 0;
sock.on('message', () => answered++);
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const me = sock.address().port;
let seed = 99;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 0x100000000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const noise = () => { const b = Buffer.alloc(1 + Math.floor(rnd() * 1500)); for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256); return b; };
const opts = (tag, cseq = '1 OPTIONS', transport = 'UDP', port = me) => Buffer.from('OPTIONS sip:ua@127.0.0.1 SIP/2.0\\r\\nVia: SIP/2.0/' + transport + ' 127.0.0.1:' + port + ';rport;branch=z9hG4bK' + tag + '\\r\\nFrom: <sip:p@127.0.0.1>;tag=' + tag + '\\r\\nTo: <sip:ua@127.0.0.1>\\r\\nCall-ID: ' + tag + '\\r\\nCSeq: ' + cseq + '\\r\\nMax-Forwards: 70\\r\\nContent-Length: 0\\r\\n\\r\\n');
/** One stream connection: a valid OPTIONS (answered), then noise; the peer goes away. */
async function streamOnce(proto, tag) {
  const port = ua.stack.pointFor(proto).port;
  const s = proto === 'tcp' ? net.connect(port, '127.0.0.1') : tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
  s.on('error', () => undefined);
  let got = '';
  s.on('data', (d) => (got += d.toString('latin1')));
  await new Promise((r, j) => { s.once(proto === 'tcp' ? 'connect' : 'secureConnect', r); setTimeout(() => j(new Error('connect timeout')), 5000); });
  s.write(opts(tag, '1 OPTIONS', proto.toUpperCase(), s.localPort));
  const end = Date.now() + 3000;
  while (!got.includes('200 OK') && Date.now() < end) await sleep(5);
  s.write(noise());
  s.destroy();
  return got.includes('200 OK');
}
async function round(r) {
  const sentBefore = answered;
  let expected = 0;
  let streamsAnswered = 0;
  for (let i = 0; i < 600; i++) {
    const tag = 'r' + r + 'i' + i + 'x' + Math.floor(rnd() * 1e9);
    const k = i % 3;
    if (k === 0) { sock.send(opts(tag), target, '127.0.0.1'); expected++; }
    else if (k === 1) { sock.send(opts(tag, 'x OPTIONS'), target, '127.0.0.1'); expected++; }
    else sock.send(noise(), target, '127.0.0.1');
    if (i % 30 === 29) await sleep(3);
    if (i % 40 === 0) streamsAnswered += (await streamOnce(i % 120 === 0 ? 'tls' : 'tcp', tag + 's')) ? 1 : 0;
  }
  const end = Date.now() + 5000;
  while (answered - sentBefore < expected && Date.now() < end) await sleep(10);
  while ((ua.stack.transactions.serverTransactionCount > 0 || ua.stack.transport.connectionCount > 0) && Date.now() < end + 3000) await sleep(20);
  return { answered: answered - sentBefore, expected, streamsAnswered, streams: 15, left: ua.stack.transactions.serverTransactionCount, connections: ua.stack.transport.connectionCount };
}
const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const rounds = [];
await round(0); await round(1);
const base = heap();
const samples = [];
for (let r = 2; r < 12 + Number(process.env.SIP_HEAP_EXTRA_ROUNDS ?? 0); r++) { rounds.push(await round(r)); samples.push(heap()); }
sock.close();
ua.dispose();
console.log('RESULT ' + JSON.stringify({ base, samples, rounds }));
`;    const child = spawn(process.execPath, ['--expose-gc', '--conditions=@sip-endpoint/source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(HERE, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 100_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, err.slice(-2000)).toBe(0);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, out + err).toBeDefined();
    const result = JSON.parse(line!.slice(7)) as {
      base: number;
      samples: number[];
      rounds: { answered: number; expected: number; streamsAnswered: number; streams: number; left: number; connections: number }[];
    };
    const mb = (n: number): string => (n / 1048576).toFixed(2);
    console.log(`heap after warm-up ${mb(result.base)} MB; after each of ${result.samples.length} rounds of 600 datagrams and 15 TCP/TLS connections: ${result.samples.map(mb).join(', ')} MB`);
    // Every valid and every addressable malformed OPTIONS was answered, every transaction ended.
    for (const r of result.rounds) {
      expect(r.answered).toBeGreaterThanOrEqual(r.expected);
      expect(r.streamsAnswered).toBe(r.streams);
      expect(r.left).toBe(0);
      expect(r.connections).toBe(0);
    }
    // 6000 datagrams later the heap is within a few MB of where it was: nothing accumulates per
    // message. (A leak of one transaction or one parsed message per request would be 10+ MB.)
    const last = result.samples.at(-1)!;
    expect(last - result.base).toBeLessThan(4 * 1048576);
    // And it is flat over the second half: no steady growth.
    const half = result.samples[4]!;
    expect(last - half).toBeLessThan(2 * 1048576);
  }, 120_000);
});
