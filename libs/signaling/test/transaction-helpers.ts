/**
 * Test helpers of the transaction-layer suites: a fake transport that records every send and
 * can fail, builders of requests and responses through the typed model (no parser needed),
 * and a harness with a VirtualClock that checks for leaks and unhandled rejections.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { DisposableStore, ensureNoDisposablesAreLeakedInTestSuite, TransportError, VirtualClock, type Event } from '@sip-endpoint/base';
import { H, SipRequest, SipResponse, type NameAddr, type SipMessage, type SipUri, type Via } from '../src/message/index';
import { TransactionLayer, type AnyServerTransaction, type Destination, type TransactionTimers, type TransactionTransport } from '../src/transaction/index';

/** One recorded send. */
export interface SentRecord {
  message: SipMessage;
  destination: Destination;
  /** Virtual time of the send. */
  at: number;
}

/** A transport that records sends; `fail` decides which sends reject. */
export class FakeTransport implements TransactionTransport {
  readonly sent: SentRecord[] = [];
  /** Return true to make this send reject with a TransportError. */
  fail: (message: SipMessage, destination: Destination) => boolean = () => false;

  constructor(private readonly clock: VirtualClock) {}

  send(message: SipMessage, destination: Destination): Promise<void> {
    this.sent.push({ message, destination, at: this.clock.now() });
    if (this.fail(message, destination)) return Promise.reject(new TransportError('fake transport failure', { transport: destination.protocol }));
    return Promise.resolve();
  }

  /** Sent requests with the given method. */
  requests(method?: string): SipRequest[] {
    return this.sent.map((s) => s.message).filter((m): m is SipRequest => m.isRequest && (method === undefined || m.method === method));
  }

  /** Sent responses (optionally with the given status). */
  responses(status?: number): SipResponse[] {
    return this.sent.map((s) => s.message).filter((m): m is SipResponse => !m.isRequest && (status === undefined || m.status === status));
  }

  /** Virtual times at which requests of `method` were sent. */
  timesOf(method: string): number[] {
    return this.sent.filter((s) => s.message.isRequest && s.message.method === method).map((s) => s.at);
  }

  /** Virtual times at which responses with `status` were sent. */
  responseTimes(status: number): number[] {
    return this.sent.filter((s) => !s.message.isRequest && s.message.status === status).map((s) => s.at);
  }
}

export function sipUri(user: string | undefined, host: string, port?: number): SipUri {
  return { kind: 'sip', scheme: 'sip', user, host, port, params: new Map(), headers: new Map() };
}

export function nameAddr(uri: SipUri, tag?: string): NameAddr {
  const params = new Map<string, string | null>();
  if (tag !== undefined) params.set('tag', tag);
  return { displayName: undefined, uri, params };
}

export function via(branch: string | undefined, options: { transport?: string; host?: string; port?: number; params?: [string, string | null][] } = {}): Via {
  const params = new Map<string, string | null>();
  if (branch !== undefined) params.set('branch', branch);
  for (const [k, v] of options.params ?? []) params.set(k, v);
  return { protocol: 'SIP/2.0', transport: options.transport ?? 'UDP', host: options.host ?? '192.0.2.10', port: options.port ?? 5060, params };
}

export interface RequestSpec {
  method?: string;
  branch?: string;
  transport?: string;
  viaHost?: string;
  viaPort?: number;
  viaParams?: [string, string | null][];
  fromTag?: string;
  toTag?: string;
  callId?: string;
  seq?: number;
  cseqMethod?: string;
  uri?: SipUri;
  routes?: NameAddr[];
}

let branchCounter = 0;
/** A unique magic-cookie branch. */
export function branch(): string {
  return `z9hG4bK-test-${++branchCounter}`;
}

/** A request built through the typed model. */
export function request(spec: RequestSpec = {}): SipRequest {
  const method = spec.method ?? 'INVITE';
  const req = new SipRequest(method, spec.uri ?? sipUri('bob', 'example.com'));
  req.set(H.Via, [via(spec.branch ?? branch(), { transport: spec.transport, host: spec.viaHost, port: spec.viaPort, params: spec.viaParams })]);
  req.set(H.MaxForwards, 70);
  req.set(H.From, nameAddr(sipUri('alice', 'example.org'), spec.fromTag ?? 'alice-tag'));
  req.set(H.To, nameAddr(sipUri('bob', 'example.com'), spec.toTag));
  req.set(H.CallId, spec.callId ?? 'call-1@example.org');
  req.set(H.CSeq, { seq: spec.seq ?? 1, method: spec.cseqMethod ?? method });
  if (spec.routes) req.set(H.Route, spec.routes);
  return req;
}

/** A response to `req` built through the typed model (To gets `toTag` when given). */
export function response(req: SipRequest, status: number, toTag?: string): SipResponse {
  const res = new SipResponse(status, 'Reason');
  res.set(H.Via, req.via);
  res.set(H.From, req.from);
  const to = req.to;
  const params = new Map(to.params);
  if (toTag !== undefined) params.set('tag', toTag);
  res.set(H.To, { ...to, params });
  res.set(H.CallId, req.callId);
  res.set(H.CSeq, req.cseq);
  return res;
}

export const UDP: Destination = { protocol: 'udp', address: '192.0.2.1', port: 5060 };
export const TCP: Destination = { protocol: 'tcp', address: '192.0.2.1', port: 5060, connectionId: 'conn-1' };
export const SRC_UDP: Destination = { protocol: 'udp', address: '192.0.2.10', port: 5060 };
export const SRC_TCP: Destination = { protocol: 'tcp', address: '192.0.2.10', port: 40000, connectionId: 'in-1' };

let subscriptions: DisposableStore | undefined;

/** Subscribes `fn` to `event` for the rest of the current test (unsubscribed after it). */
export function on<T>(event: Event<T>, fn: (e: T) => unknown): void {
  if (!subscriptions) throw new Error('on() used outside a test');
  event(fn, undefined, subscriptions);
}

/** Delivers `req` to `layer` and returns the server transaction the layer created for it. */
export function receiveRequest(layer: TransactionLayer, req: SipRequest, source: Destination = SRC_UDP): AnyServerTransaction {
  let tx: AnyServerTransaction | undefined;
  const sub = layer.onDidReceiveRequest((e) => (tx = e.transaction));
  layer.receive(req, source);
  sub.dispose();
  if (!tx) throw new Error(`no server transaction for ${req.method}`);
  return tx;
}

/** What every test of a transaction suite gets. */
export interface Harness {
  clock: VirtualClock;
  transport: FakeTransport;
  layer: TransactionLayer;
  /** Makes another layer on the same clock and transport (disposed after the test). */
  makeLayer(timers?: Partial<TransactionTimers>): TransactionLayer;
  /** Lets pending promise callbacks (transport settlements) run. */
  flush(): Promise<void>;
}

/**
 * Installs the suite hooks: leak check, unhandled-rejection check, and a fresh harness per test
 * (disposed after the test, before the leak check). Returns a getter of the current harness.
 */
export function useHarness(timers?: Partial<TransactionTimers>): () => Harness {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let current: Harness | undefined;
  let layers: TransactionLayer[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  beforeEach(() => {
    rejections.length = 0;
    subscriptions = new DisposableStore();
    process.on('unhandledRejection', onRejection);
    const clock = new VirtualClock();
    const transport = new FakeTransport(clock);
    layers = [];
    const makeLayer = (t?: Partial<TransactionTimers>): TransactionLayer => {
      const l = new TransactionLayer({ clock, transport, timers: t ?? timers, viaSentBy: () => ({ host: '192.0.2.99', port: 5070 }) });
      layers.push(l);
      return l;
    };
    current = {
      clock,
      transport,
      layer: makeLayer(),
      makeLayer,
      flush: async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
      },
    };
  });
  // Registered after the leak check: vitest runs afterEach hooks in reverse order, so layers are
  // disposed first.
  afterEach(async () => {
    for (const l of layers) l.dispose();
    subscriptions?.dispose();
    subscriptions = undefined;
    // Let every settled promise report an unhandled rejection, if any.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onRejection);
    expect(rejections, 'unhandled rejections').toEqual([]);
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('harness used outside a test');
    return current;
  };
}
