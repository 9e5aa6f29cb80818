/** Helpers of the transport tests (not a test file itself). */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, Event, TimerHandle } from '@sip-endpoint/base';
import { realClock } from '@sip-endpoint/base';

const TLS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tls');

/** PEM text of a fixture under test/fixtures/tls. */
export function pem(name: string): string {
  return readFileSync(join(TLS_DIR, name), 'latin1');
}

/** A small SIP request with a correct Content-Length. */
export function sipRequest(tag: string, body = ''): Buffer {
  return Buffer.from(
    `OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK${tag}\r\nCall-ID: ${tag}@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    'latin1',
  );
}

/**
 * Resolves with the next payload of `event` passing `filter`; rejects after `ms` of real time.
 * The subscription is always disposed.
 */
export function next<T>(event: Event<T>, filter: (e: T) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`event not fired within ${ms} ms`));
    }, ms);
    const sub = event((e) => {
      if (!filter(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

/** Collects every payload of `event` until disposed. */
export function collect<T>(event: Event<T>): { items: T[]; dispose(): void } {
  const items: T[] = [];
  const sub = event((e) => items.push(e));
  return { items, dispose: () => sub.dispose() };
}

/** Waits until `cond()` is true, polling every 10 ms, at most `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Real-time sleep, only for tests that must let real sockets idle. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A real clock that counts the timers still pending, to prove nothing is left behind. */
export class CountingClock implements Clock {
  private readonly handles = new Set<TimerHandle>();
  now(): number {
    return realClock.now();
  }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.track(realClock.setTimeout(callback, ms));
  }
  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.track(realClock.setInterval(callback, ms));
  }
  /** Timers neither fired (one-shot) nor cancelled. */
  get pending(): number {
    let n = 0;
    for (const h of this.handles) {
      if (h.isPending) n++;
      else this.handles.delete(h);
    }
    return n;
  }
  private track(h: TimerHandle): TimerHandle {
    this.handles.add(h);
    return h;
  }
}

/** A raw TCP client on loopback; resolves once connected. */
export function rawConnect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Resolves when `socket` is closed (by either side), rejects after `ms`. */
export function closed(socket: net.Socket, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const t = setTimeout(() => reject(new Error('socket not closed in time')), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A raw TCP server (a peer that never answers pings, etc.). Close it with `close()`. */
export async function rawServer(onSocket: (s: net.Socket) => void = () => {}): Promise<{ port: number; sockets: net.Socket[]; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
