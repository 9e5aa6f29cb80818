/**
 * {@link Session}: one call as an agent desktop sees it (Genesys states InProgress, Alerting,
 * Connected, Disconnected; `held` a flag), over one signaling {@link InviteSession} and the
 * {@link MediaBridge} that plays its audio.
 */
import { Disposable, Emitter, ErrorCode, InvalidStateError, SdkError, type Event, type Logger } from '@sip-endpoint/base';
import type { Conference, MediaEngine, MediaStream, MediaStreamStats, AudioSink, AudioSource } from '@sip-endpoint/media-native';
import { SessionState as SipSessionState, formatUri, type InviteSession, type ReferProgress, type SessionEndCause as SipEndCause } from '@sip-endpoint/signaling';
import type { MediaBridge } from './media-bridge';
import type { SessionControl, UnsolicitedNotify } from './providers/api';

/**
 * States of a {@link Session} (genesys-compat §2):
 * ```
 *  outgoing: InProgress --answered--> Connected --BYE--> Disconnected
 *  incoming: Alerting   --answer()--> Connected --BYE--> Disconnected
 *  InProgress/Alerting --rejected, cancelled, failed--> Disconnected
 * ```
 */
export enum SessionState {
  InProgress = 'InProgress',
  Alerting = 'Alerting',
  Connected = 'Connected',
  Disconnected = 'Disconnected',
}

const SESSION_EDGES: Readonly<Record<SessionState, readonly SessionState[]>> = {
  [SessionState.InProgress]: [SessionState.Connected, SessionState.Disconnected],
  [SessionState.Alerting]: [SessionState.Connected, SessionState.Disconnected],
  [SessionState.Connected]: [SessionState.Disconnected],
  [SessionState.Disconnected]: [],
};

/** Why a session ended: the SIP code and reason behind it, and who ended it. */
export interface SessionEndCause {
  /** SIP status (e.g. 486 busy, 487 cancelled, 200 for a BYE), 0 when there was none. */
  readonly code: number;
  /** Reason phrase, or the signaling cause (`remote-bye`, `request-failed`, ...). */
  readonly reason: string;
  /** Who ended the call. */
  readonly by: 'local' | 'remote';
}

/** Payload of {@link Session.onDidChangeState} and of the endpoint's `onDidChangeSessionState`. */
export interface SessionStateChangeEvent {
  readonly session: Session;
  readonly previous: SessionState;
  readonly state: SessionState;
  /** In Disconnected: why. */
  readonly endCause?: SessionEndCause;
}

/**
 * The end cause of a call the endpoint ended because no RTP arrived for
 * `policy.endpoint.rtp_inactivity_timeout` seconds (a BYE was sent): 408, as the SIP code for
 * "the other side did not answer in time" (RFC 3261 §21.4.9), with the reason `RTP timeout` (a
 * text a desktop can show as is; no documented Genesys code exists for it that we know of), ended by us.
 */
export const RTP_TIMEOUT_END_CAUSE: SessionEndCause = Object.freeze({ code: 408, reason: 'RTP timeout', by: 'local' });

/** DTMF method of `policy.session.dtmf_method`. */
export type DtmfMethod = 'rfc2833' | 'Info' | 'InbandRtp';

/**
 * Statistics of a session with the keys a Genesys desktop reads (genesys-compat §2), plus
 * round-trip time and MOS (ITU-T G.107 E-model) for the whole call and the last interval.
 * `raw` is the engine's full record.
 */
export interface SessionStatistics {
  readonly 'Got Local Stat': boolean;
  readonly 'Local Frac Lost': number;
  readonly 'Local Jitter': number;
  readonly 'Local Oct Count': number;
  readonly 'Local Pkt Count': number;
  readonly 'Local Total Lost': number;
  readonly 'Got Remote RR': boolean;
  readonly 'Remote Frac Lost': number;
  readonly 'Remote Jitter': number;
  readonly 'Remote Total Lost': number;
  readonly 'Got Remote SR': boolean;
  readonly 'Remote Oct Count': number;
  readonly 'Remote Pkt Count': number;
  readonly RTT: number;
  readonly MOS: number;
  readonly 'MOS Interval': number;
  readonly raw: MediaStreamStats;
}

/** Converts the engine's statistics to the Genesys keys. */
export function toSessionStatistics(s: MediaStreamStats): SessionStatistics {
  return {
    'Got Local Stat': s.gotLocalStat,
    'Local Frac Lost': s.localFracLost,
    'Local Jitter': s.localJitterMs,
    'Local Oct Count': s.localOctCount,
    'Local Pkt Count': s.localPktCount,
    'Local Total Lost': s.localTotalLost,
    'Got Remote RR': s.gotRemoteRR,
    'Remote Frac Lost': s.remoteFracLost,
    'Remote Jitter': s.remoteJitterMs,
    'Remote Total Lost': s.remoteTotalLost,
    'Got Remote SR': s.gotRemoteSR,
    'Remote Oct Count': s.remoteOctCount,
    'Remote Pkt Count': s.remotePktCount,
    RTT: s.rttMs,
    MOS: s.mosWholeCall,
    'MOS Interval': s.mosInterval,
    raw: s,
  };
}

/** What a session needs from its endpoint (internal). */
export interface SessionHost {
  readonly logger: Logger;
  engine(): MediaEngine;
  /**
   * An unsolicited in-dialog NOTIFY (e.g. `Event: talk`), for the call-control providers; the
   * NOTIFY is answered once the returned promise settles.
   */
  onNotify(session: Session, notify: Omit<UnsolicitedNotify, 'sessionId'>): Promise<unknown>;
  dtmfMethod(): DtmfMethod;
  answerHeaders(): Record<string, string>;
  /** Places a consultation call on the same connection. */
  dialFrom(session: Session, target: string): Session;
  /** Devices for the local leg of a conference. */
  createSource(): AudioSource;
  createSink(): AudioSink;
}

/** The connection a session belongs to, as the session sees it. */
export interface SessionConnectionRef {
  readonly id: string;
}

const LOCAL_CAUSES: ReadonlySet<SipEndCause> = new Set<SipEndCause>(['local-bye', 'cancelled', 'rejected', 'disposed', 'request-failed', 'ack-timeout']);

/**
 * One call. Its id is the Call-ID. Verbs document when their promise settles; the outcome is
 * always reported by {@link Session.onDidChangeState} / {@link Session.onDidChangeHeld} (and the
 * endpoint's `onDidChangeSessionState`). A Disconnected session keeps its {@link endCause} and
 * final {@link statistics}.
 */
export class Session extends Disposable implements SessionControl {
  private _state: SessionState;
  private _held = false;
  private _endCause: SessionEndCause | undefined;
  private finalStats: MediaStreamStats | undefined;
  /** Set when we end the call ourselves for a reason of our own (RTP inactivity). */
  private localEndCause: SessionEndCause | undefined;
  private consultation: Session | undefined;
  private conferenceMedia: { conference: Conference; local: MediaStream; leg: MediaStream; source: AudioSource; sink: AudioSink } | undefined;
  private readonly _onDidChangeState = this._register(new Emitter<SessionStateChangeEvent>());
  /** Every state change; Disconnected carries the end cause. */
  readonly onDidChangeState: Event<SessionStateChangeEvent> = this._onDidChangeState.event;
  private readonly _onDidChangeHeld = this._register(new Emitter<{ session: Session; held: boolean }>());
  /** The `held` flag changed (our hold, or the far end's). */
  readonly onDidChangeHeld: Event<{ session: Session; held: boolean }> = this._onDidChangeHeld.event;
  private readonly _onDidReceiveDtmf = this._register(new Emitter<{ session: Session; digit: string; method: 'rfc4733' | 'inband' | 'info' }>());
  /** A DTMF digit arrived (RFC 4733 event, or SIP INFO application/dtmf-relay / application/dtmf). */
  readonly onDidReceiveDtmf: Event<{ session: Session; digit: string; method: 'rfc4733' | 'inband' | 'info' }> = this._onDidReceiveDtmf.event;

  /** @internal created by the endpoint */
  constructor(
    /** The signaling leg. */
    readonly invite: InviteSession,
    private readonly bridge: MediaBridge,
    /** The connection (line) of the call. */
    readonly connection: SessionConnectionRef,
    private readonly host: SessionHost,
    private readonly fixedId?: string,
  ) {
    super();
    this._state = invite.role === 'uac' ? SessionState.InProgress : SessionState.Alerting;
    this._register(invite.onDidChangeState((e) => this.onSipState(e.state, e.cause, e.statusCode, e.reason)));
    this._register(invite.onDidChangeHold((e) => this.setHeld(e.localHold || e.remoteHold)));
    this._register(bridge.onDidTimeoutMedia((e) => this.onMediaTimeout(e.timeoutMs)));
    this._register(
      invite.onDidReceiveInfo((e) => {
        const digit = parseDtmfInfo(e.contentType, e.body);
        if (digit) this._onDidReceiveDtmf.fire({ session: this, digit, method: 'info' });
      }),
    );
    this._register(
      invite.onDidReceiveNotify(({ request, event, waitUntil }) => {
        const header = (n: string): string | undefined => {
          const lines = request.headers.getAll(n);
          return lines.length ? lines.join(', ') : undefined;
        };
        const handled = this.host.onNotify(this, { event: event.toLowerCase(), header, body: request.body.toString('utf8') });
        if (event.toLowerCase() === 'talk' && this._state === SessionState.Alerting) {
          // genesys-compat §1 (TAnswerCall): "200 OK with SDP, then 200 to the NOTIFY": answer the
          // NOTIFY once the call left Alerting (our 200 is out), or when the providers are done.
          waitUntil(
            Promise.race([
              handled,
              new Promise<void>((resolve) => {
                const sub = this.onDidChangeState((e) => {
                  if (e.state === SessionState.Alerting) return;
                  sub.dispose();
                  resolve();
                });
              }),
            ]),
          );
        }
      }),
    );
    this._register(
      bridge.onDidUpdateMedia(({ stream }) => {
        if (this.dtmfListened.has(stream)) return;
        this.dtmfListened.add(stream);
        this._register(stream.onDidReceiveDtmf((d) => this._onDidReceiveDtmf.fire({ session: this, digit: d.digit, method: d.method })));
      }),
    );
  }

  private readonly dtmfListened = new WeakSet<MediaStream>();

  /** The bridge's inactivity timeout runs only while the call is Connected and not held (either side). */
  private armInactivity(): void {
    this.bridge.setInactivityArmed(this._state === SessionState.Connected && !this._held);
  }

  /**
   * No RTP for `policy.endpoint.rtp_inactivity_timeout`: the far end is gone (crashed phone,
   * broken network path), so the call is ended like a hangup (BYE) with the end cause
   * {@link RTP_TIMEOUT_END_CAUSE}.
   */
  private onMediaTimeout(timeoutMs: number): void {
    if (this._state !== SessionState.Connected || this._held) return;
    this.host.logger.warn('call ended: no RTP received', { session: this.id, timeoutMs });
    this.localEndCause = RTP_TIMEOUT_END_CAUSE;
    // RFC 3326: the BYE says why (the far end's log shows an RTP timeout, not a hang-up).
    void this.invite.bye('local-bye', { protocol: 'SIP', cause: 408, text: 'RTP timeout' }).catch((e) => this.host.logger.warn('BYE after RTP timeout failed', { session: this.id, error: String(e) }));
  }

  /**
   * @internal The endpoint calls this when `policy.endpoint.rtp_inactivity_timeout` changed: the
   * running call takes the new timeout at once (its count restarts from now; 0 = never).
   */
  refreshInactivityTimeout(): void {
    this.bridge.refreshInactivityTimeout();
  }

  /**
   * @internal The endpoint calls this when `policy.session.dtx_mode` / `vad_level` / `agc_mode`
   * changed: the call's engine stream takes the new processing at once (no renegotiation).
   */
  refreshAudioProcessing(): void {
    this.bridge.refreshAudioProcessing();
  }

  /** The Call-ID. */
  get id(): string {
    return this.fixedId ?? this.invite.callId ?? '';
  }

  /** The state now. */
  get state(): SessionState {
    return this._state;
  }

  /** Whether the call is on hold (by us or by the far end). */
  get held(): boolean {
    return this._held;
  }

  /** `outgoing` for calls we placed (also those placed to follow a REFER), `incoming` otherwise. */
  get direction(): 'incoming' | 'outgoing' {
    return this.invite.role === 'uac' ? 'outgoing' : 'incoming';
  }

  /** The far end's URI. */
  get remote(): string {
    const r = this.invite.remoteIdentity;
    return r ? formatUri(r.uri) : '';
  }

  /** Why the call ended, once Disconnected. */
  get endCause(): SessionEndCause | undefined {
    return this._endCause;
  }

  /** The engine stream (after the first offer/answer). */
  get mediaStream(): MediaStream | undefined {
    return this.bridge.stream;
  }

  /**
   * The statistics now (or, once Disconnected, as they were at the end). Undefined before media
   * was set up.
   */
  statistics(): SessionStatistics | undefined {
    if (this.finalStats) return toSessionStatistics(this.finalStats);
    const s = this.bridge.stream;
    if (!s?.isOpen) return undefined;
    return toSessionStatistics(s.getStats());
  }

  /**
   * Answers an Alerting call (200 OK with our SDP). Resolves once the ACK arrived; the session
   * is Connected (reported by `onDidChangeState`) as soon as the 200 is sent. Rejects with
   * `InvalidStateError` when the call is not Alerting or ended first.
   */
  async answer(): Promise<void> {
    if (this._state !== SessionState.Alerting) throw new InvalidStateError(`cannot answer a session that is ${this._state}`, this._state);
    await this.invite.accept({ headers: this.host.answerHeaders() });
  }

  /** Rejects an Alerting call with `code` (default 486 Busy Here) and an optional reason phrase; Disconnected follows at once. */
  reject(code = 486, reason?: string): void {
    if (this._state !== SessionState.Alerting) throw new InvalidStateError(`cannot reject a session that is ${this._state}`, this._state);
    this.invite.reject(code, reason);
  }

  /**
   * Ends the call in any state: CANCEL while ringing out, 480 for an unanswered incoming call,
   * BYE once connected. Resolves when done; Disconnected is reported by `onDidChangeState`.
   */
  async hangup(): Promise<void> {
    if (this._state === SessionState.Disconnected) return;
    await this.invite.terminate();
  }

  /**
   * Puts the call on hold (RFC 3264 §8.4: re-INVITE with a sendonly offer). Resolves when the
   * exchange completed; `onDidChangeHeld` reports it. Rejects with `SIP_REQUEST_FAILED`.
   */
  async hold(): Promise<void> {
    this.requireConnected('hold');
    await this.invite.hold();
  }

  /** Takes the call off hold (re-INVITE sendrecv). Resolves when done; `onDidChangeHeld` reports it. */
  async retrieve(): Promise<void> {
    this.requireConnected('retrieve');
    await this.invite.unhold();
  }

  /**
   * Sends DTMF digits (`0-9*#A-D`) with the method of `policy.session.dtmf_method`: `rfc2833`
   * (RFC 4733 events in the RTP stream; in-band tones if telephone-event was not negotiated),
   * `Info` (one SIP INFO `application/dtmf-relay` per digit, RFC 2976), `InbandRtp` (tones in
   * the audio). Resolves when the digits are queued (INFO: when every INFO was answered).
   */
  async sendDtmf(digits: string, options: { method?: DtmfMethod; durationMs?: number } = {}): Promise<void> {
    this.requireConnected('sendDtmf');
    if (!/^[0-9*#A-Da-d]+$/.test(digits)) throw new SdkError(ErrorCode.InvalidArgument, `not DTMF digits: ${digits}`);
    const method = options.method ?? this.host.dtmfMethod();
    const durationMs = options.durationMs ?? 160;
    if (method === 'Info') {
      for (const d of digits.toUpperCase()) {
        // RFC 2976 INFO with the de-facto application/dtmf-relay body.
        const res = await this.invite.info('application/dtmf-relay', `Signal=${d}\r\nDuration=${durationMs}\r\n`);
        if (res.status >= 300) throw new SdkError(ErrorCode.SipRequestFailed, `INFO refused: ${res.status} ${res.reason}`);
      }
      return;
    }
    const stream = this.bridge.stream;
    if (!stream?.isOpen) throw new InvalidStateError('no media stream for DTMF', this._state);
    const hasEvents = this.bridge.lastResult?.audio?.telephoneEvent !== undefined;
    // RFC 4733 when negotiated; otherwise in-band tones are the only way left.
    stream.sendDtmf(digits, { durationMs, method: method === 'rfc2833' && hasEvents ? 'rfc4733' : 'inband' });
  }

  /**
   * Blind transfer (RFC 3515 REFER with Referred-By, RFC 3892). Resolves with the final sipfrag
   * progress (200 when the target answered); rejects with `SIP_REQUEST_FAILED` when the REFER is
   * refused. The call itself is then usually ended by the far end (BYE).
   */
  async transfer(target: string): Promise<ReferProgress> {
    this.requireConnected('transfer');
    return this.invite.refer(target);
  }

  /**
   * Starts an attended transfer: holds this call (if not held) and calls `target` on the same
   * connection. Returns the consultation session (InProgress) once the hold completed; it is
   * reported by the endpoint's `onDidAddSession`. Finish with {@link completeTransfer}.
   */
  async consult(target: string): Promise<Session> {
    this.requireConnected('consult');
    if (!this.invite.localHold) await this.invite.hold();
    const c = this.host.dialFrom(this, target);
    this.consultation = c;
    return c;
  }

  /**
   * Completes the attended transfer started with {@link consult}: REFER to this call's peer with
   * `Replaces` for the consultation dialog (RFC 3891) and `Referred-By` (RFC 3892). Resolves with
   * the final progress; on success this call is hung up (the consultation call is ended by the
   * transfer target, which replaces it).
   */
  async completeTransfer(): Promise<ReferProgress> {
    this.requireConnected('completeTransfer');
    const c = this.consultation;
    if (!c || c.state !== SessionState.Connected) throw new InvalidStateError('no connected consultation call', this._state);
    const progress = await this.invite.refer(c.invite);
    if (progress.statusCode >= 200 && progress.statusCode < 300) {
      this.consultation = undefined;
      await this.hangup();
    }
    return progress;
  }

  /**
   * Local three-way conference: this call, `other`, and the local microphone/speaker are mixed
   * in one engine conference (mix-minus: each party hears the other two). Both calls are taken
   * off hold first. Resolves when the media is joined; ends when either call ends.
   */
  async conference(other: Session): Promise<void> {
    this.requireConnected('conference');
    if (other.state !== SessionState.Connected) throw new InvalidStateError(`the other session is ${other.state}`, other.state);
    if (this.invite.localHold) await this.invite.unhold();
    if (other.invite.localHold) await other.invite.unhold();
    const a = this.bridge.stream;
    const b = other.bridge.stream;
    if (!a?.isOpen || !b?.isOpen) throw new InvalidStateError('a session has no media stream', this._state);
    const engine = this.host.engine();
    const conference = engine.createConference();
    conference.add(a);
    conference.add(b);
    // The local party joins through a loopback pair: `leg` sits in the mix, `local` plays the mix
    // to our speaker and sends our microphone to it.
    const source = this.host.createSource();
    const sink = this.host.createSink();
    const leg = engine.createStream({ localAddress: '127.0.0.1', codec: { name: 'PCMU' }, conference });
    const local = engine.createStream({ localAddress: '127.0.0.1', codec: { name: 'PCMU' }, source, sink, remote: { address: '127.0.0.1', port: leg.localPort } });
    leg.update({ remote: { address: '127.0.0.1', port: local.localPort } });
    this.conferenceMedia = { conference, local, leg, source, sink };
    other.conferenceMedia = undefined;
    const end = (): void => {
      this.endConference();
    };
    this._register(other.onDidChangeState((e) => e.state === SessionState.Disconnected && end()));
  }

  /** Mutes (or unmutes) our microphone on this call. */
  mute(muted: boolean): void {
    this.bridge.setMuted(muted);
  }

  /** @internal applies endpoint volume: linear gains 0..16 */
  applyGain(gain: { send?: number; receive?: number }): void {
    this.bridge.setGain(gain);
  }

  private endConference(): void {
    const m = this.conferenceMedia;
    if (!m) return;
    this.conferenceMedia = undefined;
    m.conference.dispose();
    m.leg.dispose();
    m.local.dispose();
    m.source.dispose();
    m.sink.dispose();
  }

  private requireConnected(what: string): void {
    if (this._state !== SessionState.Connected) throw new InvalidStateError(`cannot ${what}: the session is ${this._state}`, this._state);
  }

  private setHeld(held: boolean): void {
    if (held === this._held) return;
    this._held = held;
    this.armInactivity();
    this._onDidChangeHeld.fire({ session: this, held });
  }

  private onSipState(state: SipSessionState, cause: SipEndCause | undefined, statusCode: number | undefined, reason: string | undefined): void {
    if (state === SipSessionState.Established) {
      this.transition(SessionState.Connected);
      return;
    }
    if (state !== SipSessionState.Terminated) return;
    // Keep the last statistics: the stream closes right after this event.
    const s = this.bridge.stream;
    if (s?.isOpen) {
      try {
        this.finalStats = s.getStats();
      } catch {
        // stream already gone
      }
    }
    this.endConference();
    const c = cause ?? 'disposed';
    const by: 'local' | 'remote' = LOCAL_CAUSES.has(c) ? 'local' : 'remote';
    const code = statusCode ?? (c === 'local-bye' || c === 'remote-bye' ? 200 : 0);
    this._endCause = this.localEndCause ?? { code, reason: reason && c !== 'local-bye' && c !== 'remote-bye' ? reason : c, by };
    this.transition(SessionState.Disconnected);
  }

  private transition(state: SessionState): void {
    const previous = this._state;
    if (previous === state) return;
    if (!SESSION_EDGES[previous].includes(state)) {
      this.host.logger.warn('session: illegal transition ignored', { from: previous, to: state });
      return;
    }
    this._state = state;
    this.armInactivity();
    this.host.logger.info('session state', { session: this.id, from: previous, to: state, ...(this._endCause ? { endCause: this._endCause } : {}) });
    this._onDidChangeState.fire({ session: this, previous, state, ...(state === SessionState.Disconnected && this._endCause ? { endCause: this._endCause } : {}) });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.endConference();
    super.dispose();
  }
}

/** The digit of an INFO body (`application/dtmf-relay` `Signal=5`, or `application/dtmf` `5`). */
export function parseDtmfInfo(contentType: string, body: string): string | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/dtmf-relay') {
    const m = /^\s*signal\s*=\s*([0-9*#A-Da-d])/im.exec(body);
    return m?.[1]?.toUpperCase();
  }
  if (type === 'application/dtmf') {
    const m = /^\s*([0-9*#A-Da-d])\s*$/.exec(body);
    return m?.[1]?.toUpperCase();
  }
  return undefined;
}
