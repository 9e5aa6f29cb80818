/**
 * Test support for the Genesys SIPp suite: a real endpoint (`createEndpoint`, standalone line on
 * 127.0.0.1, ephemeral ports, tone source / memory sinks) with the Genesys provider, plus what the
 * tests read: every session it ever had (the endpoint forgets Disconnected ones), each with a
 * timeline of (state, held), the remote media of every offer/answer, and the SIP messages the
 * line's stack sent and received.
 */
import { Disposable, Emitter, type Event } from '@sip-endpoint/base';
import type { SipMessage } from '@sip-endpoint/signaling';
import { createGenesysProvider, MediaBridge, type Endpoint, type Session, type SessionState } from '../src/index';
import { party } from './support/endpoints';

/** One entry of a session's timeline. */
export interface HostSnapshot {
  readonly state: `${SessionState}`;
  readonly held: boolean;
}

/** The remote media of one negotiation (`address:port`, the remote `o=` user and version, our role). */
export interface HostMedia {
  readonly remote: string;
  readonly origin: string;
  readonly role: 'answerer' | 'offerer';
}

/** A session of the endpoint, with what the tests assert on. */
export class HostSession {
  /** Every (state, held) the session went through, deduplicated. */
  readonly timeline: HostSnapshot[] = [];
  /** Every negotiation's remote media, in order. */
  readonly media: HostMedia[] = [];
  /** When (Date.now()) each state was first reached. */
  readonly reachedAt: Partial<Record<`${SessionState}`, number>> = {};

  constructor(
    readonly session: Session,
    private readonly onChange: () => void,
  ) {
    this.record();
    session.onDidChangeState(() => this.record());
    session.onDidChangeHeld(() => this.record());
    const bridge = session.invite.sdh;
    if (bridge instanceof MediaBridge) {
      bridge.onDidUpdateMedia(({ result }) => {
        const a = result.audio;
        this.media.push({ remote: a ? `${a.remoteAddress}:${a.remotePort}` : '-', origin: `${result.remoteOrigin.username} ${result.remoteOrigin.sessionVersion}`, role: result.role });
        this.onChange();
      });
    }
  }

  get state(): `${SessionState}` {
    return this.session.state;
  }
  get held(): boolean {
    return this.session.held;
  }

  private record(): void {
    const snap = { state: this.session.state, held: this.session.held };
    this.reachedAt[snap.state] ??= Date.now();
    const last = this.timeline[this.timeline.length - 1];
    if (!last || last.state !== snap.state || last.held !== snap.held) {
      this.timeline.push(snap);
      this.onChange();
    }
  }
}

/** Options of {@link GenesysHost.create}. */
export interface GenesysHostOptions {
  /** Extra configuration (typed form), e.g. `{ policy: { session: { auto_answer: true } } }`. */
  readonly config?: Record<string, unknown>;
  /**
   * Replace the built-in provider by one whose device status is this (the machine has no audio
   * devices, so the built-in one always sees the headset missing).
   */
  readonly headsetPresent?: boolean;
}

/** The endpoint under test. */
export class GenesysHost extends Disposable {
  /** Every session, in arrival order (kept after the endpoint removed it). */
  readonly sessions: HostSession[] = [];
  /** SIP messages sent / received by the line's stack. */
  readonly sent: SipMessage[] = [];
  readonly received: SipMessage[] = [];
  private readonly _onDidChange = this._register(new Emitter<void>());
  /** Fires after any session changed state, hold or media. */
  readonly onDidChange: Event<void> = this._onDidChange.event;

  private constructor(
    readonly endpoint: Endpoint,
    private readonly sinks: { dispose(): void }[],
  ) {
    super();
  }

  /** Creates the endpoint (line `agent`, standalone) and starts recording. */
  static async create(options: GenesysHostOptions = {}): Promise<GenesysHost> {
    const p = await party('agent', 1000, options.config ?? {}, options.headsetPresent !== undefined ? { withoutGenesysProvider: true } : {});
    const host = new GenesysHost(p.endpoint, p.sinks);
    const ep = p.endpoint;
    if (options.headsetPresent !== undefined) {
      const present = options.headsetPresent;
      host._register(ep.registerCallControlProvider(createGenesysProvider({ settings: () => ep.configuration.config, deviceStatus: () => ({ headsetPresent: present }) })));
    }
    host._register(ep.onDidAddSession(({ session }) => host.sessions.push(new HostSession(session, () => host._onDidChange.fire()))));
    const ua = ep.connections[0]?.userAgent;
    if (!ua) throw new Error('the line has no user agent');
    host._register(ua.stack.onDidLogMessage((m) => (m.direction === 'out' ? host.sent : host.received).push(m.message)));
    return host;
  }

  /** Our SIP port. */
  get port(): number {
    const port = this.endpoint.connections[0]?.localPort;
    if (port === undefined) throw new Error('no SIP port');
    return port;
  }

  /** Resolves when `predicate` holds (checked on every change), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sub = this.onDidChange(() => {
        if (!predicate()) return;
        clearTimeout(t);
        sub.dispose();
        resolve();
      });
      const t = setTimeout(() => {
        sub.dispose();
        reject(new Error(`timed out waiting for ${what}; sessions: ${JSON.stringify(this.sessions.map((s) => s.timeline))}`));
      }, timeoutMs);
    });
  }

  /** Shuts the endpoint down (hangs up what is left) and releases the test sinks. */
  async shutdown(): Promise<void> {
    await this.endpoint.shutdown();
    for (const s of this.sinks) s.dispose();
    this.dispose();
  }
}
