/**
 * The world of one scenario: the actors (our endpoints, named Alice, Bob, Carol), the call each
 * actor is on, the SIP Server (SIPp) runs, Kamailio, and everything to stop afterwards. Every
 * scenario starts from nothing and the After hook stops every peer it started, even on failure.
 */
import { join } from 'node:path';
import { After, Before, defineParameterType, setDefaultTimeout, setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import { SessionState, type Session } from '@sip-endpoint/endpoint';
import { dominant, GenesysHost, hasProgram, party, sleep, startSipp, withTimeout, type DnsmasqServer, type HostSession, type KamailioSite, type Party, type PeerProcess, type SippRun } from './peers';

// Every step is bounded: no step may wait longer than this (peers start within 10 s).
setDefaultTimeout(25_000);

/** The tone each actor's microphone plays, so the far side can tell who it hears. */
export const TONE_OF: Readonly<Record<string, number>> = { Alice: 1000, Bob: 500, Carol: 1500 };
export const TONES = [500, 1000, 1500, 2000];

defineParameterType({
  name: 'actor',
  // "Agent Alice", "Customer Bob", "Customer Carol", or just the first name.
  regexp: /(?:Agent |Customer |Supervisor )?(Alice|Bob|Carol)/,
  transformer: (name: string) => name,
});

/** How an actor's line is set up before it starts. */
export interface LineSetup {
  protocol: 'UDP' | 'TCP' | 'TLS';
  codecs?: Record<string, number>;
  config: Record<string, unknown>;
  /** Endpoint options (devices, audio, ...) chosen by Given steps; merged over the test party's. */
  options?: Record<string, unknown>;
}

export class CallWorld extends World {
  /** The started actors by first name. */
  readonly actors = new Map<string, Party>();
  /** Each actor's current call (the newest session it placed or received). */
  readonly calls = new Map<string, Session>();
  /** Every session each actor ever had, in order. */
  readonly history = new Map<string, Session[]>();
  /** Settings an actor gets when it starts (policies chosen in Given steps). */
  readonly setups = new Map<string, LineSetup>();
  /** The agent's endpoint driven by the SIP Server (SIPp), when the scenario has one. */
  host: GenesysHost | undefined;
  /** The SIP Server's (SIPp's) current flow. */
  sipp: SippRun | undefined;
  /** Every SIP Server (SIPp) run of the scenario, in start order (a consultation runs two at once). */
  readonly sippRuns: SippRun[] = [];
  kamailio: PeerProcess | undefined;
  kamailioPort = 0;
  /** Registrar sites by name ("primary", "secondary") for the failover scenarios. */
  readonly sites = new Map<string, KamailioSite>();
  /** The DNS server publishing the sites (SRV), when the scenario has one. */
  dns: DnsmasqServer | undefined;
  /** No-answer timeouts of the actors' desktops (ms). */
  readonly noAnswer = new Map<string, number>();
  /** When each actor last dialled (Date.now()). */
  readonly dialledAt = new Map<string, number>();
  /** Whether the agent's headset is present for the SIP Server scenarios (undefined: the built-in provider, which sees none). */
  headsetPresent: boolean | undefined;
  /** The pending result of a transfer an actor started (REFER progress). */
  readonly transfers = new Map<string, Promise<{ statusCode: number }>>();
  /** DTMF each actor received on its current call. */
  readonly received = new Map<string, { digit: string; method: string }[]>();
  /** Audio each actor recorded in a step, for a later check. */
  readonly recorded = new Map<string, Int16Array>();
  /** Each actor's line states as the log reported them. */
  readonly lineStates = new Map<string, string[]>();
  /** The number (SIP user) each actor signed in with. */
  readonly numbers = new Map<string, string>();
  /** The level (dBFS) each listener last heard each speaker at, by "listener>speaker". */
  readonly levels = new Map<string, number>();
  /** The states each of our sessions went through, by session (its first state included). */
  readonly timelines = new Map<Session, string[]>();
  /** Log records each actor's desktop received through `registerLogSink` (steps that watch the log fill it). */
  readonly logs = new Map<string, { level: string; message: string; fields: Record<string, unknown> }[]>();
  /** Work to undo after the scenario, newest first. */
  readonly cleanups: (() => Promise<void> | void)[] = [];

  constructor(options: IWorldOptions) {
    super(options);
  }

  setup(name: string): LineSetup {
    let s = this.setups.get(name);
    if (!s) {
      s = { protocol: 'UDP', config: {} };
      this.setups.set(name, s);
    }
    return s;
  }

  /** Starts `name` as one of our endpoints on a standalone line (reg_timeout 0), 127.0.0.1, ephemeral ports. */
  async start(name: string, extra: { config?: Record<string, unknown>; options?: Record<string, unknown> } = {}): Promise<Party> {
    const s = this.setup(name);
    const config: Record<string, unknown> = {
      connectivity: [{ user: name.toLowerCase(), server: '127.0.0.1:5', protocol: s.protocol }],
      proxies: [{ reg_timeout: 0 }],
      ...s.config,
      ...(s.codecs ? { codecs: s.codecs } : {}),
      ...extra.config,
    };
    const p = await party(name.toLowerCase(), TONE_OF[name] ?? 2000, config, { ...(s.options ?? {}), ...(extra.options ?? {}) });
    this.adoptActor(name, p);
    return p;
  }

  /** Makes `p` the actor `name`: its calls are tracked, and it is shut down after the scenario. */
  adoptActor(name: string, p: Party): void {
    this.actors.set(name, p);
    this.cleanups.push(async () => {
      await p.endpoint.shutdown();
      for (const sink of p.sinks) sink.dispose();
    });
    p.endpoint.onDidAddSession(({ session }) => {
      const timeline = [String(session.state)];
      this.timelines.set(session, timeline);
      session.onDidChangeState((e) => timeline.push(String(e.state)));
      this.calls.set(name, session);
      const list = this.history.get(name) ?? [];
      list.push(session);
      this.history.set(name, list);
    });
  }

  /** The started actor `name`, starting it first (with the settings of the Given steps) if needed. */
  async ensure(name: string): Promise<Party> {
    return this.actors.get(name) ?? this.start(name);
  }

  actor(name: string): Party {
    const p = this.actors.get(name);
    if (!p) throw new Error(`${name} has not started (add a Given step for ${name})`);
    return p;
  }

  call(name: string): Session {
    const s = this.calls.get(name);
    if (!s) throw new Error(`${name} has no call`);
    return s;
  }

  /** Waits up to `ms` for `name` to have a call (an incoming one arrives asynchronously). */
  async awaitCall(name: string, ms = 5000): Promise<Session> {
    const end = Date.now() + ms;
    while (!this.calls.get(name)) {
      if (Date.now() > end) throw new Error(`${name} got no call within ${ms} ms`);
      await sleep(20);
    }
    return this.call(name);
  }

  /**
   * Agent Alice's endpoint as the SIP Server (SIPp) sees it: our endpoint with the built-in Genesys
   * provider (the endpoint tests' GenesysHost), started on first use with Alice's Given settings.
   */
  async agentHost(): Promise<GenesysHost> {
    if (this.host) return this.host;
    if (!hasProgram('/usr/bin/sipp')) throw new Error('SIPp is missing: apt-get install -y sip-tester');
    const h = await GenesysHost.create({ config: this.setup('Alice').config, ...(this.headsetPresent !== undefined ? { headsetPresent: this.headsetPresent } : {}) });
    this.host = h;
    this.cleanups.push(async () => {
      // A failed flow can leave a call whose BYE nobody answers: bound the graceful shutdown.
      try {
        await withTimeout(h.shutdown(), 5000, 'agent shutdown');
      } catch {
        h.endpoint.dispose();
        h.dispose();
      }
    });
    return h;
  }

  /** The agent's `index`-th call as the SIP Server placed it (0: the first). */
  agentCall(index = 0): HostSession {
    const s = this.host?.sessions[index];
    if (!s) throw new Error(`the SIP Server has not placed call ${index + 1} to Alice yet`);
    return s;
  }

  /**
   * Starts the SIP Server's side of a flow: the SIPp scenario `name` (a file under
   * libs/endpoint/test/peers/sipp, or `signaling:<file>` under libs/signaling/test/peers/sipp)
   * against Agent Alice's endpoint. The run is the world's current `sipp` and is stopped afterwards.
   */
  async playSipServer(name: string, timeoutSec = 20): Promise<SippRun> {
    const h = await this.agentHost();
    // startSipp resolves scenario names under the signaling peers folder.
    const file = name.startsWith('signaling:') ? `${name.slice('signaling:'.length)}.xml` : join('..', '..', '..', '..', 'endpoint', 'test', 'peers', 'sipp', `${name}.xml`);
    const run = startSipp({ scenario: file, port: 0, remote: `127.0.0.1:${h.port}`, service: 'agent', timeoutSec });
    this.sipp = run;
    this.sippRuns.push(run);
    this.cleanups.push(() => run.stop());
    return run;
  }

  /** What `listener` hears on its current call over `ms`: the dominant tone among the actors' tones. */
  async heard(listener: string, ms = 600): Promise<{ freq: number; ratio: number; samples: number; levelDb: number }> {
    const p = this.actor(listener);
    const sink = p.sinks.at(-1);
    if (!sink) throw new Error(`${listener} has no audio sink (no call media yet)`);
    sink.pull();
    await sleep(ms);
    const pcm = sink.pull();
    return { ...dominant(pcm, TONES), samples: pcm.length, levelDb: levelDb(pcm) };
  }
}

setWorldConstructor(CallWorld);

Before(function (this: CallWorld) {
  this.cleanups.length = 0;
});

After({ timeout: 30_000 }, async function (this: CallWorld) {
  const errors: unknown[] = [];
  for (const c of this.cleanups.splice(0).reverse()) {
    try {
      await withTimeout(Promise.resolve(c()), 10_000, 'cleanup');
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw new Error(`cleanup failed: ${errors.map(String).join('; ')}`);
});

/** RMS level of `pcm` in dB relative to full scale (-120 for nothing). */
export function levelDb(pcm: Int16Array): number {
  let sum = 0;
  for (const v of pcm) sum += v * v;
  const rms = Math.sqrt(sum / Math.max(1, pcm.length));
  return rms > 0 ? 20 * Math.log10(rms / 32768) : -120;
}

/** Resolves when `session` is in `state`, rejecting after `ms` with what it is instead. */
export async function settle(session: Session, state: SessionState, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (session.state !== state) {
    if (Date.now() > end) throw new Error(`the call stayed ${session.state}, expected ${state}`);
    await sleep(20);
  }
}
