/** Helpers of the endpoint tests: standalone endpoints on 127.0.0.1 with test audio, and a tone detector. */
import { Event } from '@sip-endpoint/base';
import { MemorySink, ToneSource, type AudioSink } from '@sip-endpoint/media-native';
import { createEndpoint, SessionState, type Endpoint, type EndpointOptions, type Session } from '../../src/index';

/** Goertzel power of `freq` in `x` (8 kHz mono PCM). */
export function goertzel(x: Int16Array, rate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/** A test party: an endpoint whose calls send a tone of `toneHz` and record into MemorySinks. */
export interface Party {
  readonly name: string;
  readonly endpoint: Endpoint;
  /** Every sink created for this party's streams, in order. */
  readonly sinks: MemorySink[];
  /** `sip:name@127.0.0.1:port` of its first line. */
  readonly uri: string;
}

/** Creates a standalone endpoint (reg_timeout 0) on 127.0.0.1 with an ephemeral SIP port. */
export async function party(name: string, toneHz: number, config: Record<string, unknown> = {}, options: EndpointOptions = {}): Promise<Party> {
  const sinks: MemorySink[] = [];
  const endpoint = await createEndpoint(
    {
      connectivity: [{ user: name, server: '127.0.0.1:5', protocol: 'UDP' }],
      proxies: [{ reg_timeout: 0 }],
      ...config,
    } as never,
    {
      ephemeralPorts: true,
      listenAddress: '127.0.0.1',
      mediaEngine: { rtpPortMin: 40000, rtpPortMax: 49999 },
      audio: {
        createSource: () => new ToneSource({ frequencyHz: toneHz, levelDbov: -12 }),
        createSink: (): AudioSink => {
          const s = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
          sinks.push(s);
          return s;
        },
      },
      ...options,
    },
  );
  const uri = endpoint.connections[0]?.contactUri ?? '';
  return { name, endpoint, sinks, uri };
}

/** Resolves when `session` reaches `state` (rejects after `timeoutMs`). */
export function reach(session: Session, state: SessionState, timeoutMs = 10_000): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sub.dispose();
      reject(new Error(`session ${session.id} stayed ${session.state}, wanted ${state}`));
    }, timeoutMs);
    const sub = session.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

/** The next session added to `endpoint` (rejects after `timeoutMs`). */
export function nextSession(endpoint: Endpoint, timeoutMs = 10_000): Promise<Session> {
  return withTimeout(
    Event.toPromise(endpoint.onDidAddSession).then((e) => e.session),
    timeoutMs,
    'no session added',
  );
}

/** Rejects when `p` takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until true (rejects after `timeoutMs`). */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await sleep(20);
  }
}

/** The frequency among `candidates` with the most power in `pcm`, and its ratio over the runner-up. */
export function dominant(pcm: Int16Array, candidates: readonly number[]): { freq: number; ratio: number } {
  const p = candidates.map((f) => ({ f, p: goertzel(pcm, 8000, f) })).sort((a, b) => b.p - a.p);
  return { freq: p[0]!.f, ratio: p[0]!.p / Math.max(1, p[1]!.p) };
}

/** Places a call from `a` to `b`, answers at b; returns both legs once Connected. */
export async function connect(a: Party, b: Party, target = b.uri): Promise<{ out: Session; inc: Session }> {
  const incoming = nextSession(b.endpoint);
  const out = a.endpoint.dial(target);
  const inc = await incoming;
  await inc.answer();
  await reach(out, SessionState.Connected);
  return { out, inc };
}
