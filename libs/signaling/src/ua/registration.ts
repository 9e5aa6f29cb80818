/**
 * Registration (RFC 3261 §10): REGISTER a binding, refresh it before it expires, handle 423
 * (Interval Too Brief) and digest challenges, retry every failure with a backoff, and
 * unregister. Every change is a state change, never an unhandled rejection.
 */
import { Disposable, Emitter, InvalidStateError, MutableDisposable, type Event, type TimerHandle } from '@sip-endpoint/base';
import { H, SipRequest, formatUri, parseUri, randomToken, type NameAddr, type SipResponse, type SipUri, type Uri } from '../message/index';
import { isSyntheticResponse, type SipStack } from './stack';
import type { RequestAuthenticator } from './auth-retry';
import { sendWithAuth } from './auth-retry';

/**
 * States of a {@link Registration}:
 *
 * ```
 *  Unregistered --register()--> Registering --2xx--> Registered --refresh timer--> Registering
 *       ^                         |    \--failure--> RetryWait --retry timer--> Registering
 *       |                         |                      |
 *       +--2xx-- Unregistering <--+-- unregister() ------+
 *  (any) --dispose()--> Terminated
 * ```
 */
export enum RegistrationState {
  Unregistered = 'unregistered',
  Registering = 'registering',
  Registered = 'registered',
  RetryWait = 'retry-wait',
  Unregistering = 'unregistering',
  Terminated = 'terminated',
}

const EDGES: Readonly<Record<RegistrationState, readonly RegistrationState[]>> = {
  [RegistrationState.Unregistered]: [RegistrationState.Registering, RegistrationState.Terminated],
  [RegistrationState.Registering]: [RegistrationState.Registered, RegistrationState.RetryWait, RegistrationState.Unregistering, RegistrationState.Unregistered, RegistrationState.Terminated],
  [RegistrationState.Registered]: [RegistrationState.Registering, RegistrationState.Unregistering, RegistrationState.RetryWait, RegistrationState.Terminated],
  [RegistrationState.RetryWait]: [RegistrationState.Registering, RegistrationState.Unregistering, RegistrationState.Unregistered, RegistrationState.Terminated],
  [RegistrationState.Unregistering]: [RegistrationState.Unregistered, RegistrationState.Registering, RegistrationState.Terminated],
  [RegistrationState.Terminated]: [],
};

/** Options of a {@link Registration}. */
export interface RegistrationOptions {
  /** The address-of-record (To and From of the REGISTER), e.g. `sip:1001@example.com`. */
  aor: string | SipUri;
  /** The registrar's URI (Request-URI); default: the AOR's domain (RFC 3261 §10.2). */
  registrar?: string | SipUri;
  /** Display name in From/To. */
  displayName?: string;
  /** Requested binding lifetime in seconds (default 3600). */
  expires?: number;
  /** The Contact to bind; default: the stack's contact for `aor`'s user over `transport`. */
  contact?: NameAddr;
  /** Transport for the Contact when none is given (default `udp`). */
  transport?: 'udp' | 'tcp' | 'tls';
  /** Send every REGISTER to this proxy instead of the registrar's address. */
  outboundProxy?: string | SipUri;
  /** Answers digest challenges (RFC 3261 §22). */
  authenticator?: RequestAuthenticator;
  /** First retry delay after a failure, in ms (default 30000: Genesys `reg_interval`). */
  retryIntervalMs?: number;
  /** Upper bound of the retry delay (doubling each failure), in ms (default 1800000, RFC 5626 §4.5). */
  maxRetryIntervalMs?: number;
  /** Extra headers for every REGISTER. */
  headers?: Record<string, string>;
}

/** Payload of {@link Registration.onDidChangeState}. */
export interface RegistrationStateChange {
  readonly previous: RegistrationState;
  readonly state: RegistrationState;
  /** The response behind the change, when there was one (a synthesized 408/503 for a timeout or transport failure). */
  readonly response?: SipResponse;
  /** The granted lifetime, in Registered. */
  readonly expires?: number;
  /** The delay before the next attempt, in RetryWait. */
  readonly retryInMs?: number;
  /** For a person. */
  readonly reason: string;
}

function asSipUri(u: string | SipUri, what: string): SipUri {
  const uri: Uri = typeof u === 'string' ? parseUri(u) : u;
  if (uri.kind !== 'sip') throw new InvalidStateError(`${what} must be a sip: or sips: URI`);
  return uri;
}

/**
 * One registration of one AOR with one registrar. Call {@link Registration.register} to start;
 * it keeps the binding fresh and retries failures until {@link Registration.unregister} or
 * disposal.
 */
export class Registration extends Disposable {
  private _state = RegistrationState.Unregistered;
  private readonly aor: SipUri;
  private readonly registrar: SipUri;
  private readonly callId = `${randomToken(12)}`;
  private readonly fromTag = randomToken(6);
  private cseq = 0;
  private failures = 0;
  private requestedExpires: number;
  private readonly timer = this._register(new MutableDisposable<TimerHandle>());
  private generation = 0;
  private _expires: number | undefined;

  private readonly _onDidChangeState = this._register(new Emitter<RegistrationStateChange>());
  /** Fires on every state change (registered, refreshed, failed with the retry delay, unregistered). */
  readonly onDidChangeState: Event<RegistrationStateChange> = this._onDidChangeState.event;

  constructor(
    private readonly stack: SipStack,
    private readonly options: RegistrationOptions,
  ) {
    super();
    this.aor = asSipUri(options.aor, 'aor');
    this.registrar = options.registrar ? asSipUri(options.registrar, 'registrar') : { kind: 'sip', scheme: this.aor.scheme, host: this.aor.host, port: this.aor.port, params: new Map(), headers: new Map() };
    this.requestedExpires = options.expires ?? 3600;
  }

  /** The current state. */
  get state(): RegistrationState {
    return this._state;
  }

  /** The lifetime the registrar granted, while registered. */
  get expires(): number | undefined {
    return this._expires;
  }

  /** Starts registering (no-op when already registering or registered). Settles nothing: watch {@link Registration.onDidChangeState}. */
  register(): void {
    if (this._state === RegistrationState.Terminated) throw new InvalidStateError('the registration is disposed', this._state);
    if (this._state === RegistrationState.Registering || this._state === RegistrationState.Registered) return;
    this.failures = 0;
    this.attempt();
  }

  /**
   * Removes the binding (Expires: 0, RFC 3261 §10.2.2). Resolves when the registrar answered (or
   * the attempt failed); the state ends in Unregistered either way.
   */
  async unregister(): Promise<void> {
    if (this._state === RegistrationState.Terminated || this._state === RegistrationState.Unregistered) return;
    this.timer.clear();
    const gen = ++this.generation;
    this.transition(RegistrationState.Unregistering, 'unregister requested');
    const response = await this.send(0);
    if (gen !== this.generation || this.isDisposed) return;
    this._expires = undefined;
    this.transition(RegistrationState.Unregistered, response.status < 300 ? 'unregistered' : `unregister failed: ${response.status} ${response.reason}`, { response });
  }

  private attempt(): void {
    const gen = ++this.generation;
    this.timer.clear();
    this.transition(RegistrationState.Registering, this._state === RegistrationState.Registered ? 'refreshing' : 'registering');
    void this.send(this.requestedExpires).then((response) => {
      if (gen !== this.generation || this.isDisposed) return;
      this.onResponse(response);
    });
  }

  private onResponse(response: SipResponse): void {
    if (response.status >= 200 && response.status < 300) {
      const granted = this.grantedExpires(response);
      this._expires = granted;
      this.failures = 0;
      // Refresh before expiry: at 90% of the lifetime, and at least 5 s before the end.
      const refreshS = Math.max(1, Math.min(granted * 0.9, granted - 5));
      this.timer.value = this.stack.clock.setTimeout(() => this.attempt(), refreshS * 1000);
      this.transition(RegistrationState.Registered, `registered for ${granted} s`, { response, expires: granted });
      return;
    }
    if (response.status === 423) {
      // RFC 3261 §10.2.8: the registrar rejected the interval; retry with Min-Expires.
      const min = response.get(H.MinExpires);
      if (min !== undefined && min > this.requestedExpires) {
        this.requestedExpires = min;
        this.transition(RegistrationState.RetryWait, `423 Interval Too Brief: retrying with ${min} s`, { response, retryInMs: 0 });
        this.attempt();
        return;
      }
    }
    this.failures++;
    const base = this.options.retryIntervalMs ?? 30_000;
    const max = this.options.maxRetryIntervalMs ?? 1_800_000;
    let delay = Math.min(max, base * 2 ** Math.min(this.failures - 1, 20));
    const retryAfter = response.get(H.RetryAfter);
    if (retryAfter && !isSyntheticResponse(response)) delay = Math.max(delay, Math.min(max, retryAfter.seconds * 1000));
    this._expires = undefined;
    this.timer.value = this.stack.clock.setTimeout(() => this.attempt(), delay);
    this.transition(RegistrationState.RetryWait, `${response.status} ${response.reason}`, { response, retryInMs: delay });
  }

  /** RFC 3261 §10.2.4: the expiry of our binding in the 2xx (Contact param, else Expires). */
  private grantedExpires(response: SipResponse): number {
    const contact = response.contact;
    const mine = this.contact();
    if (contact && !contact.star) {
      for (const c of contact.contacts) {
        if (c.uri.kind === 'sip' && mine.uri.kind === 'sip' && c.uri.host === mine.uri.host && c.uri.port === mine.uri.port && c.uri.user === mine.uri.user) {
          const e = Number(c.params.get('expires'));
          if (Number.isFinite(e) && e >= 0) return e;
        }
      }
    }
    return response.get(H.Expires) ?? this.requestedExpires;
  }

  private contact(): NameAddr {
    return this.options.contact ?? { uri: this.stack.contactUri(this.aor.user, this.options.transport ?? 'udp'), params: new Map() };
  }

  private build(expires: number): SipRequest {
    const req = new SipRequest('REGISTER', this.registrar);
    const aor: NameAddr = { displayName: this.options.displayName, uri: this.aor, params: new Map() };
    req.set(H.From, { ...aor, params: new Map([['tag', this.fromTag]]) });
    req.set(H.To, aor);
    req.set(H.CallId, this.callId);
    // RFC 3261 §10.2: a UA MUST increment the CSeq value by one for each REGISTER with the same Call-ID.
    req.set(H.CSeq, { seq: ++this.cseq, method: 'REGISTER' });
    req.set(H.MaxForwards, 70);
    req.set(H.Contact, { star: false, contacts: [this.contact()] });
    req.set(H.Expires, expires);
    req.setHeader('User-Agent', this.stack.userAgent);
    for (const [k, v] of Object.entries(this.options.headers ?? {})) req.appendHeader(k, v);
    return req;
  }

  private async send(expires: number): Promise<SipResponse> {
    const request = this.build(expires);
    const proxy = this.options.outboundProxy ? asSipUri(this.options.outboundProxy, 'outboundProxy') : undefined;
    return sendWithAuth(this.stack, request, {
      authenticator: this.options.authenticator,
      outboundProxy: proxy,
      preemptive: true,
      nextCSeq: () => ++this.cseq,
    });
  }

  private transition(state: RegistrationState, reason: string, extra: Partial<RegistrationStateChange> = {}): void {
    const previous = this._state;
    if (previous === state && state !== RegistrationState.Registered && state !== RegistrationState.RetryWait) return;
    if (previous !== state && !EDGES[previous].includes(state)) {
      this.stack.logger.warn('registration: illegal transition ignored', { from: previous, to: state });
      return;
    }
    this._state = state;
    this.stack.logger.info('registration state', { aor: formatUri(this.aor), from: previous, to: state, reason });
    this._onDidChangeState.fire({ previous, state, reason, ...extra });
  }

  /** Stops every timer without unregistering (call {@link Registration.unregister} first for a clean exit). */
  override dispose(): void {
    if (this.isDisposed) return;
    this.generation++;
    const previous = this._state;
    this._state = RegistrationState.Terminated;
    if (previous !== RegistrationState.Terminated) this._onDidChangeState.fire({ previous, state: RegistrationState.Terminated, reason: 'disposed' });
    super.dispose();
  }
}
