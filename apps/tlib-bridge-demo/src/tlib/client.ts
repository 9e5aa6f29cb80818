/**
 * A small T-Lib WebSocket client (Node): sends requests with increasing referenceIds and keeps
 * every event; used by the scripted demo and the tests.
 */
import { WebSocket } from 'ws';
import type { TlibMessage, TlibRequest } from './protocol';

/** A connected T-Lib client. */
export class TlibClient {
  /** Every message received, in order. */
  readonly events: TlibMessage[] = [];
  private nextRef = 1;
  private waiters: { pred: (m: TlibMessage) => boolean; resolve: (m: TlibMessage) => void }[] = [];
  /** Called for every message (printing, UI). */
  onMessage: ((m: TlibMessage) => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as TlibMessage;
      this.events.push(m);
      this.onMessage?.(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  /** Connects to `url` (e.g. `ws://127.0.0.1:8080/tlib`); rejects when it cannot (bounded by 10 s). */
  static connect(url: string): Promise<TlibClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
      ws.once('open', () => resolve(new TlibClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a request; returns its referenceId. */
  send(req: Omit<TlibRequest, 'referenceId'>): number {
    const referenceId = this.nextRef++;
    this.ws.send(JSON.stringify({ ...req, referenceId }));
    return referenceId;
  }

  /** Sends raw text (tests of bad requests). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Resolves with the first message (already received or coming) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (m: TlibMessage) => boolean, timeoutMs = 15_000, what = 'event'): Promise<TlibMessage> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timeout waiting for ${what}; got: ${this.events.map((e) => e.event).join(', ')}`));
      }, timeoutMs);
      const done = (m: TlibMessage): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** Closes the socket. */
  close(): void {
    this.ws.close();
  }
}
