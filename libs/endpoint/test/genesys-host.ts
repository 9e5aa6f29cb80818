/**
 * Test support for the Genesys SIPp suite: a minimal stand-in for the endpoint core that wires a
 * {@link CallControlProvider} to the signaling `UserAgent` the same way the endpoint does (the
 * provider API of `src/providers/api.ts`): ring every incoming INVITE (180), ask the provider,
 * auto-answer/reject as it decides, offer unsolicited NOTIFYs to it, and expose each call as a
 * `SessionControl` with the endpoint's states (InProgress/Alerting/Connected/Disconnected),
 * `held` flag and end cause. Every change is recorded in a timeline the tests assert on.
 *
 * It exists because `createEndpoint` was not there yet when the suite was written; once it is,
 * `startGenesysHost` can create a real endpoint instead and the scenarios stay the same.
 */
import { Disposable, Emitter, type Event, type TimerHandle } from '@sip-endpoint/base';
import { SessionState, UserAgent, type InviteSession, type SipMessage } from '@sip-endpoint/signaling';
import { SimpleSdh } from '../../signaling/test/support/simple-sdh';
import type { CallControlProvider, IncomingCallInfo, SessionControl } from '../src/providers/api';

/** The endpoint's session states (issue 5). */
export type HostSessionState = SessionControl['state'];

/** One entry of a session's timeline. */
export interface HostSnapshot {
  readonly state: HostSessionState;
  readonly held: boolean;
}

function mapState(s: SessionState): HostSessionState {
  switch (s) {
    case SessionState.Initial:
    case SessionState.Inviting:
      return 'InProgress';
    case SessionState.Incoming:
    case SessionState.Early:
      return 'Alerting';
    case SessionState.Established:
      return 'Connected';
    default:
      return 'Disconnected';
  }
}

/** A call as the provider sees it, plus what the tests read. */
export class HostSession implements SessionControl {
  /** Every (state, held) the session went through, deduplicated. */
  readonly timeline: HostSnapshot[] = [];

  constructor(
    readonly invite: InviteSession,
    readonly sdh: SimpleSdh,
    private readonly onChange: () => void,
  ) {
    this.record();
    invite.onDidChangeState(() => this.record());
    invite.onDidChangeHold(() => this.record());
  }

  get id(): string {
    return this.invite.callId ?? '';
  }
  get state(): HostSessionState {
    return mapState(this.invite.state);
  }
  /** Held by us (hold()) or by the far end / SIP Server (hold SDP). */
  get held(): boolean {
    return this.invite.localHold || this.invite.remoteHold;
  }
  get direction(): 'incoming' | 'outgoing' {
    return 'incoming';
  }
  /** Why the call ended (cause, SIP code, reason), once Disconnected. */
  get ended(): InviteSession['ended'] {
    return this.invite.ended;
  }

  answer(): Promise<void> {
    return this.invite.accept();
  }
  hold(): Promise<void> {
    return this.invite.hold();
  }
  retrieve(): Promise<void> {
    return this.invite.unhold();
  }
  async hangup(): Promise<void> {
    if (this.invite.state === SessionState.Established) await this.invite.bye();
    else if (this.invite.state === SessionState.Incoming || this.invite.state === SessionState.Early) this.invite.reject(486);
  }

  private record(): void {
    const snap = { state: this.state, held: this.held };
    const last = this.timeline[this.timeline.length - 1];
    if (!last || last.state !== snap.state || last.held !== snap.held) {
      this.timeline.push(snap);
      this.onChange();
    }
  }
}

/** The stand-in endpoint. */
export class GenesysHost extends Disposable {
  /** Every session, in arrival order. */
  readonly sessions: HostSession[] = [];
  /** Every SIP message sent / received (from the stack's message log). */
  readonly sent: SipMessage[] = [];
  readonly received: SipMessage[] = [];
  /** Errors of provider hooks or verbs (isolated, as the endpoint does). */
  readonly errors: string[] = [];
  private readonly _onDidChange = this._register(new Emitter<void>());
  /** Fires after any session changed state or hold. */
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private readonly timers = new Set<TimerHandle>();
  private lastSdh: SimpleSdh | undefined;
  ua!: UserAgent;

  private constructor(private readonly provider: CallControlProvider) {
    super();
  }

  /** Starts a UA on 127.0.0.1 (UDP, ephemeral port) with `provider` registered. */
  static async create(provider: CallControlProvider, options: { t1Ms?: number } = {}): Promise<GenesysHost> {
    const host = new GenesysHost(provider);
    try {
      host.ua = host._register(
        await UserAgent.create({
          aor: 'sip:agent@127.0.0.1',
          stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: options.t1Ms ?? 100, t2Ms: 400 } },
          createSessionDescriptionHandler: () => (host.lastSdh = new SimpleSdh('127.0.0.1', 40000 + 2 * host.sessions.length)),
          delegate: { onInvite: (s) => host.onInvite(s) },
        }),
      );
    } catch (e) {
      host.dispose();
      throw e;
    }
    host._register(host.ua.stack.onDidLogMessage((m) => (m.direction === 'out' ? host.sent : host.received).push(m.message)));
    host._register({ dispose: () => host.timers.forEach((t) => t.dispose()) });
    return host;
  }

  /** Our SIP port. */
  get port(): number {
    const lp = this.ua.stack.listeningPoints[0];
    if (!lp) throw new Error('no listening point');
    return lp.port;
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

  private onInvite(invite: InviteSession): void {
    // The UA created the session's SDH just before handing it over: keep it for the SDP checks.
    const sdh = this.lastSdh ?? new SimpleSdh();
    this.lastSdh = undefined;
    const session = new HostSession(invite, sdh, () => this._onDidChange.fire());
    this.sessions.push(session);
    const request = invite.request;
    const info: IncomingCallInfo = {
      sessionId: session.id,
      connectionId: 'line0',
      from: request ? String(request.headers.get('From') ?? '') : '',
      header: (name) => {
        const all = request?.headers.getAll(name) ?? [];
        return all.length > 0 ? all.join(', ') : undefined;
      },
    };
    invite.onDidReceiveNotify((e) => {
      const notify = { sessionId: session.id, event: e.event.toLowerCase(), header: (n: string) => e.request.headers.get(n), body: e.request.body.toString('utf8') };
      Promise.resolve()
        .then(() => this.provider.onNotify?.(notify, session))
        .catch((err: unknown) => this.errors.push(`onNotify: ${String(err)}`));
    });
    invite.progress(180);
    Promise.resolve()
      .then(() => this.provider.onIncomingCall?.(info, session))
      .then((decision) => {
        if (decision?.rejectWith) {
          invite.reject(decision.rejectWith.code, decision.rejectWith.reason);
        } else if (decision?.autoAnswerAfterMs !== undefined) {
          const t = this.ua.stack.clock.setTimeout(() => {
            this.timers.delete(t);
            if (session.state === 'Alerting') session.answer().catch((err: unknown) => this.errors.push(`auto-answer: ${String(err)}`));
          }, decision.autoAnswerAfterMs);
          this.timers.add(t);
        }
      })
      .catch((err: unknown) => this.errors.push(`onIncomingCall: ${String(err)}`));
  }
}
