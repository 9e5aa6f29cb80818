/**
 * The simulated SIP Server: a registrar and back-to-back user agent (B2BUA) on one UDP+TCP port
 * of 127.0.0.1, with an RTP relay anchoring every call's media, and a third-party call control
 * (3pcc) driver that turns T-Lib requests into the SIP flows of genesys-compat §1.
 *
 * Transfers through the server: an endpoint's REFER on its leg (blind, or attended with
 * `Replaces` naming its consultation dialog here) is answered 202 and carried out by the server,
 * which passes it on to the party being transferred as a REFER of its own (as for
 * TSingleStepTransfer), rings the target with that party's identity (attended: INVITE with
 * Replaces for the target's consultation leg) and reports progress to the referrer by sipfrag.
 *
 * Party state machine (one per DN in a call):
 * ```
 *  Dialing --180--> Ringing --200/NOTIFY talk--> Established <--hold/retrieve--> Held
 *  Dialing --200--> Established
 *  any --BYE/CANCEL/final non-2xx--> Released
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Disposable, Emitter, ErrorCode, SdkError, nullLogger, realClock, type Clock, type Event, type IDisposable, type Logger } from '@sip-endpoint/base';
import {
  H,
  InviteSession,
  createResponse,
  parseReferToReplaces,
  randomToken,
  Registrar,
  SessionState,
  SipStack,
  UserAgent,
  formatUri,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type NameAddr,
  type ServerTransaction,
  type StackRequestEvent,
} from '@sip-endpoint/signaling';
import { RtpRelay } from './relay';
import { LegSdh } from './sdp';
import { PartyState, type CallEvent, type CallSnapshot, type SipTrace, type TlibCallState, type TlibEventName, type TlibPartyRole } from './types';

/** Options of {@link startSimulatedSipServer}. */
export interface SimulatorOptions {
  /** SIP port for UDP and TCP (0 or absent: an ephemeral port). */
  sipPort?: number;
  /** The served domain and digest realm (default `demo.local`). */
  domain?: string;
  /** DN -> password; when given, REGISTER is digest-challenged (RFC 3261 §22). */
  users?: Record<string, string>;
  logger?: Logger;
  clock?: Clock;
  /** How long a 3pcc step waits for an endpoint (answer, re-INVITE, BYE) before failing (default 15 s). */
  stepTimeoutMs?: number;
}

/** Extra attributes of one driver request. */
export interface DriverRequestOptions {
  /** Copied into every event the request causes directly. */
  referenceId?: number;
}

/** The simulated SIP Server: registrar, B2BUA, RTP relay and 3pcc driver. Dispose it to stop everything. */
export interface SimulatedSipServer extends IDisposable {
  readonly sipPort: number;
  readonly host: '127.0.0.1';
  /** `127.0.0.1:<port>`, for `Connectivity server=`. */
  readonly registrarAddress: string;
  readonly domain: string;
  /** A DN registered or unregistered (also on expiry). */
  readonly onDidRegister: Event<{ dn: string; contact: string; registered: boolean }>;
  /** A T-Lib event about a call party, fired only after the SIP response it depends on. */
  readonly onDidEmitCallEvent: Event<CallEvent>;
  /** Every SIP message sent or received by the server. */
  readonly onDidTraceSip: Event<SipTrace>;
  /** The contact a DN registered, if any. */
  contactOf(dn: string): string | undefined;
  /** The calls now. */
  calls(): CallSnapshot[];
  /** Packets relayed so far for a call (0 for an unknown ConnID). */
  relayedPackets(connId: string): number;
  /**
   * TMakeCall: an auto-answer INVITE to `thisDN` (`Call-Info: ...;answer-after=0`), then an
   * INVITE to `otherDN`; once it answers, a media re-INVITE to `thisDN` (RFC3725=2 behaviour).
   * Resolves with the ConnID after EventDialing (the caller's 200 OK); rejects with an
   * `SdkError` when a DN is not registered or the caller's endpoint does not answer.
   */
  makeCall(thisDN: string, otherDN: string, options?: DriverRequestOptions): Promise<string>;
  /** TAnswerCall: `NOTIFY Event: talk` in the ringing dialog; resolves after EventEstablished. */
  answerCall(thisDN: string, connId: string, options?: DriverRequestOptions): Promise<void>;
  /** THoldCall: a hold re-INVITE to `thisDN`; resolves after EventHeld (the 200 OK). */
  holdCall(thisDN: string, connId: string, options?: DriverRequestOptions): Promise<void>;
  /** TRetrieveCall: an offer-less re-INVITE to `thisDN`; resolves after EventRetrieved. */
  retrieveCall(thisDN: string, connId: string, options?: DriverRequestOptions): Promise<void>;
  /** TReleaseCall: BYE (or CANCEL while ringing) to `thisDN`; resolves after EventReleased. */
  releaseCall(thisDN: string, connId: string, options?: DriverRequestOptions): Promise<void>;
  /**
   * TInitiateTransfer / TInitiateConference: hold `thisDN` on `connId`, then a consult call (new
   * ConnID, auto-answer INVITE to `thisDN`, INVITE to `otherDN`). Resolves with the consult ConnID
   * after its EventDialing.
   */
  initiateConsult(thisDN: string, connId: string, otherDN: string, options?: DriverRequestOptions): Promise<string>;
  /**
   * TCompleteTransfer: the held party and the consult target are joined on `connId`, both legs of
   * `thisDN` get BYE. Resolves after EventReleased (x2) and EventPartyChanged.
   */
  completeTransfer(thisDN: string, connId?: string, consultConnId?: string, options?: DriverRequestOptions): Promise<void>;
  /**
   * TCompleteConference: the consult target joins `connId`; the consult leg of `thisDN` ends (BYE)
   * and its held leg is re-INVITEd (offer-less) towards the conference relay. Resolves after
   * EventPartyAdded to every party.
   */
  completeConference(thisDN: string, connId?: string, consultConnId?: string, options?: DriverRequestOptions): Promise<void>;
  /**
   * TSingleStepTransfer (genesys-compat §1): the server sends a REFER (RFC 3515) to the remaining
   * party, whose endpoint calls `otherDN` through the server (a new leg on the same ConnID; the
   * server rings `otherDN` with that party's identity); `thisDN` gets BYE as soon as the REFER is
   * followed; the remaining party's old leg gets BYE once `otherDN` answered (then
   * EventEstablished to `otherDN`, EventPartyChanged to the remaining party). Resolves after
   * EventReleased and EventRinging; rejects with `SIP_REQUEST_FAILED` when the REFER is refused
   * or the target refuses before ringing (the remaining party, left alone, is then released).
   */
  singleStepTransfer(thisDN: string, connId: string, otherDN: string, options?: DriverRequestOptions): Promise<void>;
  /** TSendDTMF: INFO `application/dtmf-relay` (RFC 2976) per digit to every other party; resolves after EventDTMFSent. */
  sendDtmf(thisDN: string, connId: string, digits: string, options?: DriverRequestOptions): Promise<void>;
}

/** Errors of the driver: an unknown DN or call, or a request the call's state does not allow. */
export class TlibRequestError extends SdkError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

const PARTY_EDGES: Readonly<Record<PartyState, readonly PartyState[]>> = {
  [PartyState.Dialing]: [PartyState.Ringing, PartyState.Established, PartyState.Released],
  [PartyState.Ringing]: [PartyState.Established, PartyState.Released],
  [PartyState.Established]: [PartyState.Held, PartyState.Released],
  [PartyState.Held]: [PartyState.Established, PartyState.Released],
  [PartyState.Released]: [],
};

class SimCall {
  readonly parties: SimParty[] = [];
  callState: TlibCallState = 'Ok';
  /** While > 0, a party leaving does not release or notify the others (transfer in progress). */
  suppress = 0;
  constructor(readonly connId: string) {}
  live(): SimParty[] {
    return this.parties.filter((p) => p.state !== PartyState.Released);
  }
  party(dn: string): SimParty | undefined {
    return this.live().find((p) => p.dn === dn);
  }
}

class SimParty {
  state = PartyState.Dialing;
  dialingSent = false;
  /** The referenceId for the next event caused by a request on this party. */
  pendingRef: number | undefined;
  /** A hold relayed from the other side of a 1pcc call: no EventHeld for it. */
  silentHold = false;
  held = false;
  /** Leaves without any event and without touching the call (a leg replaced during a transfer). */
  quiet = false;
  /** Leaving reports its own release but does not release or notify the others (a transferor). */
  detached = false;
  onRinging: (() => void) | undefined;
  onAnswered: (() => Promise<void>) | undefined;
  /** Called once the leg has ended (after the party's own events). */
  onGone: (() => void) | undefined;
  readonly subs: IDisposable[] = [];
  constructor(
    public call: SimCall,
    readonly dn: string,
    public role: TlibPartyRole,
    readonly leg: InviteSession,
    readonly sdh: LegSdh,
  ) {}
  takeRef(): number | undefined {
    const r = this.pendingRef;
    this.pendingRef = undefined;
    return r;
  }
}

/** A transfer by REFER waiting for the transferee's INVITE (matched by DN pair). */
interface PendingTransfer {
  readonly call: SimCall;
  arrived(session: InviteSession, sdh: LegSdh): void;
}

/** The outcome of {@link SimulatedSipServerImpl.transferByRefer}, as a SIP status. */
interface TransferOutcome {
  readonly status: number;
  readonly reason: string;
  /** On success: the target's new leg and the transferee's new leg, both in the call. */
  readonly target?: SimParty;
  readonly transferee?: SimParty;
}

const STACK_USER = 'sipserver';

/**
 * A view of `stack` whose `onDidReceiveRequest` only passes the requests `accept` keeps, so that
 * the registrar sees REGISTER only and the user agent everything else (each would otherwise
 * answer the other's requests: 405 to REGISTER, 302 to INVITE).
 */
function stackView(stack: SipStack, accept: (e: StackRequestEvent) => boolean, owner: Disposable & { add<T extends IDisposable>(d: T): T }): SipStack {
  const emitter = owner.add(new Emitter<StackRequestEvent>());
  owner.add(stack.onDidReceiveRequest((e) => accept(e) && emitter.fire(e)));
  return new Proxy(stack, {
    get(target, prop) {
      if (prop === 'onDidReceiveRequest') return emitter.event;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

class SimulatedSipServerImpl extends Disposable implements SimulatedSipServer {
  readonly host = '127.0.0.1' as const;
  private readonly relay: RtpRelay;
  private readonly callsById = new Map<string, SimCall>();
  private readonly contacts = new Map<string, string>();
  private readonly logger: Logger;
  private readonly stepTimeoutMs: number;
  private ua!: UserAgent;
  private pendingSdh: LegSdh | undefined;
  /** Transfers waiting for the transferee's INVITE, by `<transferee DN>><target DN>`. */
  private readonly pendingTransfers = new Map<string, PendingTransfer>();
  private readonly _onDidRegister = this._register(new Emitter<{ dn: string; contact: string; registered: boolean }>());
  readonly onDidRegister = this._onDidRegister.event;
  private readonly _onDidEmitCallEvent = this._register(new Emitter<CallEvent>());
  readonly onDidEmitCallEvent = this._onDidEmitCallEvent.event;
  private readonly _onDidTraceSip = this._register(new Emitter<SipTrace>());
  readonly onDidTraceSip = this._onDidTraceSip.event;

  constructor(
    readonly stack: SipStack,
    readonly domain: string,
    private readonly options: SimulatorOptions,
  ) {
    super();
    this._register(stack);
    this.relay = this._register(new RtpRelay('127.0.0.1', options.clock));
    this.logger = (options.logger ?? nullLogger).child({ component: 'sip-server' });
    this.stepTimeoutMs = options.stepTimeoutMs ?? 15_000;
  }

  add<T extends IDisposable>(d: T): T {
    return this._register(d);
  }

  async init(): Promise<void> {
    const users = this.options.users;
    const registrar = this._register(
      new Registrar(stackView(this.stack, (e) => e.request.method === 'REGISTER', this), {
        domain: this.domain,
        minExpires: 10,
        ...(users
          ? { credentials: (username: string) => (users[username] !== undefined ? { username, password: users[username] } : undefined) }
          : {}),
      }),
    );
    this._register(
      registrar.onDidChangeBindings(({ aor, bindings }) => {
        const dn = /^sips?:([^@]*)@/.exec(aor)?.[1] ?? aor;
        const first = bindings[0];
        if (first) this.contacts.set(dn, formatUri(first.contact.uri));
        else this.contacts.delete(dn);
        this.logger.info(first ? 'registered' : 'unregistered', { dn });
        this._onDidRegister.fire({ dn, contact: first ? formatUri(first.contact.uri) : '', registered: !!first });
      }),
    );
    this.ua = this._register(
      await UserAgent.create({
        aor: `sip:${STACK_USER}@${this.domain}`,
        displayName: 'SIP Server',
        // REFERs in our legs are handled here (relayed as a transfer), not by the user agent.
        stack: stackView(this.stack, (e) => e.request.method !== 'REGISTER' && !this.interceptRefer(e), this),
        logger: this.logger,
        createSessionDescriptionHandler: () => {
          // The call (ConnID) of an incoming leg is known only in onInvite: it is re-grouped there.
          const sdh = new LegSdh(this.relay, 'pending');
          this.pendingSdh = sdh;
          return sdh;
        },
        delegate: {
          onInvite: (session) => this.onIncomingInvite(session),
          // A REFER outside the calls this server tracks (interceptRefer takes the others): refused.
          onRefer: () => false,
        },
      }),
    );
    this._register(this.stack.onDidLogMessage((e) => this.trace(e.direction, e.message, e.remote)));
  }

  get sipPort(): number {
    return this.stack.listeningPoints[0]?.port ?? 0;
  }

  get registrarAddress(): string {
    return `${this.host}:${this.sipPort}`;
  }

  contactOf(dn: string): string | undefined {
    return this.contacts.get(dn);
  }

  calls(): CallSnapshot[] {
    return [...this.callsById.values()].map((c) => this.snapshot(c));
  }

  relayedPackets(connId: string): number {
    return this.relay.packets(connId);
  }

  // ------------------------------------------------------------------ T-Lib driver

  async makeCall(thisDN: string, otherDN: string, options: DriverRequestOptions = {}): Promise<string> {
    this.requireRegistered(thisDN);
    this.requireRegistered(otherDN);
    if (thisDN === otherDN) throw new TlibRequestError(ErrorCode.InvalidArgument, 'TMakeCall: thisDN and otherDN are the same DN');
    const call = this.newCall();
    const caller = await this.autoAnswerLeg(call, thisDN, 'Origination');
    caller.pendingRef = options.referenceId;
    await this.dialingStep(call, caller, otherDN);
    return call.connId;
  }

  async answerCall(thisDN: string, connId: string, options: DriverRequestOptions = {}): Promise<void> {
    const { party } = this.find(thisDN, connId);
    if (party.state !== PartyState.Ringing) throw new TlibRequestError(ErrorCode.InvalidState, `TAnswerCall: ${thisDN} is ${party.state} on ${connId}, not Ringing`);
    const dialog = party.leg.dialog;
    if (!dialog) throw new TlibRequestError(ErrorCode.InvalidState, `TAnswerCall: no early dialog with ${thisDN}`);
    party.pendingRef = options.referenceId;
    const established = this.waitLeg(party.leg, 'answer');
    // genesys-compat §1: TAnswerCall is an in-dialog NOTIFY Event: talk in the early dialog
    // (no body, no SUBSCRIBE: the endpoint's Allow-Events: talk implies the subscription).
    const notify = dialog.createRequest('NOTIFY', { headers: { Event: 'talk', 'Subscription-State': 'active' } });
    const res = await this.stack.sendRequest(notify).final;
    if (res.status >= 300) throw new TlibRequestError(ErrorCode.SipRequestFailed, `TAnswerCall: the endpoint of ${thisDN} answered the NOTIFY talk with ${res.status} ${res.reason}`);
    const state = await established;
    if (state !== SessionState.Established) throw new TlibRequestError(ErrorCode.SipRequestFailed, `TAnswerCall: the call to ${thisDN} ended instead of being answered`);
    await this.until(() => party.state !== PartyState.Ringing && party.state !== PartyState.Dialing, 'EventEstablished');
  }

  async holdCall(thisDN: string, connId: string, options: DriverRequestOptions = {}): Promise<void> {
    const { party } = this.find(thisDN, connId);
    if (party.state !== PartyState.Established) throw new TlibRequestError(ErrorCode.InvalidState, `THoldCall: ${thisDN} is ${party.state} on ${connId}, not Established`);
    party.pendingRef = options.referenceId;
    // genesys-compat §1 THoldCall: a re-INVITE with hold SDP (a=sendonly).
    await this.sip(`THoldCall ${thisDN}`, party.leg.hold());
    await this.until(() => party.state === PartyState.Held, 'EventHeld');
  }

  async retrieveCall(thisDN: string, connId: string, options: DriverRequestOptions = {}): Promise<void> {
    const { party } = this.find(thisDN, connId);
    if (party.state !== PartyState.Held) throw new TlibRequestError(ErrorCode.InvalidState, `TRetrieveCall: ${thisDN} is ${party.state} on ${connId}, not Held`);
    party.pendingRef = options.referenceId;
    // genesys-compat §1 TRetrieveCall: a re-INVITE without SDP; the endpoint offers, we answer in the ACK.
    await this.sip(`TRetrieveCall ${thisDN}`, party.leg.reinvite({ withoutSdp: true, hold: false }));
    await this.until(() => party.state === PartyState.Established, 'EventRetrieved');
  }

  async releaseCall(thisDN: string, connId: string, options: DriverRequestOptions = {}): Promise<void> {
    const { party } = this.find(thisDN, connId);
    party.pendingRef = options.referenceId;
    await this.releaseParty(party);
  }

  async initiateConsult(thisDN: string, connId: string, otherDN: string, options: DriverRequestOptions = {}): Promise<string> {
    const { party } = this.find(thisDN, connId);
    this.requireRegistered(otherDN);
    if (party.state === PartyState.Established) await this.holdCall(thisDN, connId, options);
    else if (party.state !== PartyState.Held) throw new TlibRequestError(ErrorCode.InvalidState, `consultation: ${thisDN} is ${party.state} on ${connId}`);
    // genesys-compat §1: after the hold, an auto-answer INVITE for the consult call.
    const consult = this.newCall();
    const agent = await this.autoAnswerLeg(consult, thisDN, 'Origination');
    agent.pendingRef = options.referenceId;
    await this.dialingStep(consult, agent, otherDN);
    return consult.connId;
  }

  async completeTransfer(thisDN: string, connId?: string, consultConnId?: string, options: DriverRequestOptions = {}): Promise<void> {
    const { main, consult, heldParty, consultParty, target } = this.consultPair('TCompleteTransfer', thisDN, connId, consultConnId);
    const others = main.live().filter((p) => p !== heldParty);
    main.suppress++;
    consult.suppress++;
    try {
      heldParty.pendingRef = options.referenceId;
      consultParty.pendingRef = options.referenceId;
      this.moveParty(target, consult, main);
      main.callState = 'Transferred';
      // genesys-compat §1 TCompleteTransfer: BYE on both of the transferring endpoint's legs.
      await Promise.all([this.releaseParty(heldParty), this.releaseParty(consultParty)]);
    } finally {
      main.suppress--;
      consult.suppress--;
    }
    this.callsById.delete(consult.connId);
    for (const p of others) this.emit('EventPartyChanged', p, { otherDN: target.dn, referenceId: options.referenceId });
    this.emit('EventPartyChanged', target, { otherDN: others[0]?.dn, previousConnId: consult.connId, referenceId: options.referenceId });
    if (main.live().length < 2) for (const p of main.live()) await this.releaseParty(p);
  }

  async completeConference(thisDN: string, connId?: string, consultConnId?: string, options: DriverRequestOptions = {}): Promise<void> {
    const { main, consult, heldParty, consultParty, target } = this.consultPair('TCompleteConference', thisDN, connId, consultConnId);
    consult.suppress++;
    try {
      consultParty.pendingRef = options.referenceId;
      this.moveParty(target, consult, main);
      main.callState = 'Conferenced';
      // genesys-compat §1 TCompleteConference: the consult leg ends ...
      await this.releaseParty(consultParty);
    } finally {
      consult.suppress--;
    }
    this.callsById.delete(consult.connId);
    // ... and the held leg is re-INVITEd (offer-less) towards the conference bridge (our relay).
    heldParty.pendingRef = options.referenceId;
    await this.sip(`TCompleteConference ${thisDN}`, heldParty.leg.reinvite({ withoutSdp: true, hold: false }));
    await this.until(() => heldParty.state === PartyState.Established, 'EventRetrieved');
    for (const p of main.live()) p.role = 'ConferenceMember';
    this.emit('EventPartyChanged', target, { otherDN: thisDN, previousConnId: consult.connId, referenceId: options.referenceId });
    for (const p of main.live()) this.emit('EventPartyAdded', p, { otherDN: p === target ? thisDN : target.dn, referenceId: options.referenceId });
  }

  async singleStepTransfer(thisDN: string, connId: string, otherDN: string, options: DriverRequestOptions = {}): Promise<void> {
    const { call, party } = this.find(thisDN, connId);
    this.requireRegistered(otherDN);
    if (party.state !== PartyState.Established && party.state !== PartyState.Held) throw new TlibRequestError(ErrorCode.InvalidState, `TSingleStepTransfer: ${thisDN} is ${party.state}`);
    const remaining = call.live().filter((p) => p !== party);
    if (remaining.length !== 1 || call.suppress > 0) throw new TlibRequestError(ErrorCode.InvalidState, 'TSingleStepTransfer needs a call with exactly one other party');
    const [other] = remaining;
    if (!other) throw new TlibRequestError(ErrorCode.InvalidState, 'TSingleStepTransfer needs a call with exactly one other party');
    if (otherDN === thisDN || otherDN === other.dn) throw new TlibRequestError(ErrorCode.InvalidArgument, `TSingleStepTransfer: ${otherDN} is already a party of ${connId}`);
    if (other.leg.state !== SessionState.Established) throw new TlibRequestError(ErrorCode.InvalidState, `TSingleStepTransfer: the call with ${other.dn} is not connected`);
    party.pendingRef = options.referenceId;
    let rang!: () => void;
    let failed!: (e: unknown) => void;
    const ringing = new Promise<void>((resolve, reject) => {
      rang = resolve;
      failed = reject;
    });
    // genesys-compat §1 TSingleStepTransfer: the SIP Server sends the REFER itself, to the party
    // being transferred (its endpoint then calls the target through this server); the
    // transferring endpoint gets a BYE once the REFER is being followed.
    void this.transferByRefer({
      call,
      transferee: other,
      targetDN: otherDN,
      onArrived: async () => {
        party.detached = true;
        await this.releaseParty(party);
      },
      onRinging: (target) => {
        this.emit('EventRinging', target, { otherDN: other.dn, referenceId: options.referenceId });
        rang();
      },
    })
      .then(async (outcome) => {
        if (outcome.status === 200 && outcome.target && outcome.transferee) {
          this.emit('EventEstablished', outcome.target, { otherDN: other.dn });
          this.emit('EventPartyChanged', outcome.transferee, { otherDN: outcome.target.dn, referenceId: options.referenceId });
          rang();
          return;
        }
        failed(new TlibRequestError(ErrorCode.SipRequestFailed, `TSingleStepTransfer: the transfer of ${other.dn} to ${otherDN} failed: ${outcome.status} ${outcome.reason}`));
        // Whoever is left alone in the call is released.
        if (this.callsById.get(call.connId) === call && call.live().length < 2) for (const p of call.live()) await this.releaseParty(p);
      })
      .catch((e: unknown) => {
        failed(e);
        this.logger.warn('single-step transfer failed', { error: String(e) });
      });
    await ringing;
  }

  async sendDtmf(thisDN: string, connId: string, digits: string, options: DriverRequestOptions = {}): Promise<void> {
    const { call, party } = this.find(thisDN, connId);
    if (!/^[0-9*#A-D]{1,32}$/i.test(digits)) throw new TlibRequestError(ErrorCode.InvalidArgument, `TSendDTMF: "${digits}" is not 1-32 DTMF digits (0-9, *, #, A-D)`);
    if (party.state !== PartyState.Established) throw new TlibRequestError(ErrorCode.InvalidState, `TSendDTMF: ${thisDN} is ${party.state}`);
    const targets = call.live().filter((p) => p !== party && p.leg.state === SessionState.Established);
    for (const d of digits.toUpperCase()) {
      for (const t of targets) {
        // RFC 2976 INFO with application/dtmf-relay (the body the endpoints accept).
        const res = await this.sip(`TSendDTMF ${thisDN}`, t.leg.info('application/dtmf-relay', `Signal=${d}\r\nDuration=160\r\n`));
        if (res.status >= 300) throw new TlibRequestError(ErrorCode.SipRequestFailed, `TSendDTMF: INFO to ${t.dn} got ${res.status} ${res.reason}`);
      }
    }
    this.emit('EventDTMFSent', party, { otherDN: targets[0]?.dn, dtmfDigits: digits, referenceId: options.referenceId });
  }

  // ------------------------------------------------------------------ flows

  /** The caller's first leg: an INVITE marked for auto-answer; resolves once it is answered (200/ACK). */
  private async autoAnswerLeg(call: SimCall, dn: string, role: TlibPartyRole): Promise<SimParty> {
    const party = await this.inviteLeg(call, dn, role, true);
    const state = await this.waitLeg(party.leg, 'auto-answer');
    if (state !== SessionState.Established) {
      this.callsById.delete(call.connId);
      throw new TlibRequestError(ErrorCode.SipRequestFailed, `the endpoint of ${dn} did not auto-answer (${party.leg.ended?.statusCode ?? 'no'} response)`);
    }
    party.state = PartyState.Established;
    return party;
  }

  /** EventDialing for an answered caller leg, then rings `otherDN` in the same call. */
  private async dialingStep(call: SimCall, caller: SimParty, otherDN: string): Promise<void> {
    // The caller's 200 OK is in: EventDialing (genesys-compat §5).
    this.emit('EventDialing', caller, { otherDN, referenceId: caller.takeRef() });
    caller.dialingSent = true;
    const callee = await this.inviteLeg(call, otherDN, 'Destination', false, { caller: { dn: caller.dn } });
    this.wireCallee(caller, callee);
  }

  /** Links the callee's progress to the caller: Ringing, then Established with a media re-INVITE (or 200 for a 1pcc caller). */
  private wireCallee(caller: SimParty, callee: SimParty): void {
    callee.onRinging = () => {
      if (caller.leg.role === 'uas' && caller.leg.state === SessionState.Incoming) caller.leg.progress(180);
      if (!caller.dialingSent) {
        caller.dialingSent = true;
        this.emit('EventDialing', caller, { otherDN: callee.dn });
      }
      this.emit('EventRinging', callee, { otherDN: caller.dn });
    };
    callee.onAnswered = async () => {
      if (!caller.dialingSent) {
        caller.dialingSent = true;
        this.emit('EventDialing', caller, { otherDN: callee.dn });
      }
      this.emit('EventEstablished', callee, { otherDN: caller.dn, referenceId: callee.takeRef() });
      if (caller.state === PartyState.Released) return;
      if (caller.leg.role === 'uas' && caller.leg.state !== SessionState.Established) {
        // 1pcc: the caller's own INVITE gets its 200 now.
        await caller.leg.accept();
      } else if (caller.leg.state === SessionState.Established) {
        // RFC 3725 flow III / SIP Server option RFC3725=2: a media re-INVITE to the caller.
        await this.sip(`media re-INVITE ${caller.dn}`, caller.leg.reinvite({ hold: false }));
      }
      if (caller.state === PartyState.Dialing) this.transition(caller, PartyState.Established);
      this.emit('EventEstablished', caller, { otherDN: callee.dn, referenceId: caller.takeRef() });
    };
  }

  /**
   * An INVITE from the simulator to a DN's contact, with the leg's relay port in the SDP. With
   * `caller`, the leg presents the original caller (From and P-Asserted-Identity), not the server;
   * with `replaces`, it replaces that leg's dialog at the endpoint (RFC 3891).
   */
  private async inviteLeg(
    call: SimCall,
    dn: string,
    role: TlibPartyRole,
    autoAnswer: boolean,
    extra: { caller?: { dn: string; displayName?: string | undefined }; replaces?: SimParty } = {},
  ): Promise<SimParty> {
    const contact = this.requireRegistered(dn);
    const sdh = new LegSdh(this.relay, call.connId);
    await sdh.ensurePort();
    const headers: Record<string, string> = { 'X-Genesys-ConnID': call.connId };
    // genesys-compat §1 TMakeCall: the first leg is marked for auto-answer.
    if (autoAnswer) headers['Call-Info'] = `<sip:${this.registrarAddress}>;answer-after=0`;
    if (extra.caller) {
      // RFC 3325 §9.1 / RFC 3261 §8.1.1.3: a B2BUA's outgoing leg shows the calling party, so
      // the callee sees `2001`, not the server. The From tag is ours (the dialog takes it from
      // the request as sent).
      const name = (extra.caller.displayName ?? extra.caller.dn).replace(/["\\]/g, '');
      const identity = `"${name}" <sip:${extra.caller.dn}@${this.domain}>`;
      headers['From'] = `${identity};tag=${randomToken(8)}`;
      headers['P-Asserted-Identity'] = identity;
    }
    const replacedDialog = extra.replaces?.leg.dialog;
    if (replacedDialog) {
      // RFC 3891 §3: to-tag is the tag of the endpoint's side of the dialog (our remote tag), from-tag ours.
      headers['Replaces'] = `${replacedDialog.id.callId};to-tag=${replacedDialog.id.remoteTag};from-tag=${replacedDialog.id.localTag}`;
    }
    const leg = this.ua.invite(contact, { sdh, headers });
    const party = new SimParty(call, dn, role, leg, sdh);
    call.parties.push(party);
    this.watch(party);
    return party;
  }

  /** 1pcc: an endpoint calls `sip:<dn>@<domain or 127.0.0.1>`; the server rings that DN and bridges. */
  private onIncomingInvite(session: InviteSession): void {
    const sdh = this.pendingSdh;
    this.pendingSdh = undefined;
    const req = session.request;
    if (!req) {
      session.reject(500);
      return;
    }
    const target = req.uri.kind === 'sip' ? (req.uri.user ?? '') : '';
    const from = req.from.uri.kind === 'sip' ? (req.from.uri.user ?? '') : '';
    if (!sdh || !target || !this.contacts.has(target) || !this.contacts.has(from)) {
      session.reject(404, 'Not Found');
      if (sdh && target && this.contacts.has(from)) {
        // genesys-compat §5: the caller's DN is told why (the INVITE got 404).
        this._onDidEmitCallEvent.fire({
          event: 'EventError',
          connId: randomBytes(8).toString('hex').toUpperCase(),
          thisDN: from,
          otherDN: target,
          callState: 'Dropped',
          cause: 'rejected 404',
          errorCode: ErrorCode.InvalidArgument,
          errorMessage: `DN ${target} is not registered at the SIP Server (404 Not Found)`,
        });
      }
      return;
    }
    const pending = this.pendingTransfers.get(`${from}>${target}`);
    // RFC 3892 §3: the INVITE that follows our REFER carries its Referred-By (a plain call does not).
    if (pending && req.headers.get('Referred-By') !== undefined) {
      // The transferee follows our REFER: its new leg joins the call being transferred.
      this.pendingTransfers.delete(`${from}>${target}`);
      sdh.moveTo(pending.call.connId);
      pending.arrived(session, sdh);
      return;
    }
    const call = this.newCall();
    sdh.moveTo(call.connId);
    const caller = new SimParty(call, from, 'Origination', session, sdh);
    call.parties.push(caller);
    this.watch(caller);
    void this.inviteLeg(call, target, 'Destination', false, { caller: { dn: from, displayName: req.from.displayName } }).then(
      (callee) => this.wireCallee(caller, callee),
      (e: unknown) => {
        this.logger.warn('cannot route the call', { error: String(e) });
        if (session.state === SessionState.Incoming) session.reject(480, 'Temporarily Unavailable');
      },
    );
  }

  // ------------------------------------------------------------------ transfers through the server

  /**
   * An in-dialog REFER on one of our legs: taken here (returns true) and handled as a transfer
   * through this server; anything else is left to the user agent.
   */
  private interceptRefer(e: StackRequestEvent): boolean {
    const req = e.request;
    if (req.method !== 'REFER' || !this.ua || !req.to.params.get('tag')) return false;
    const dialog = this.ua.registry.findForRequest(req);
    const party = dialog && this.partyWithDialog((d) => d === dialog);
    if (!party) return false;
    void this.onRefer(party, req, e.transaction).catch((err: unknown) => this.logger.warn('REFER handling failed', { error: String(err) }));
    return true;
  }

  /**
   * 1pcc transfer by an endpoint (RFC 3515): blind (`Refer-To: <sip:2003@...>`) or attended
   * (`Refer-To: <...?Replaces=...>` naming the referrer's consultation dialog at this server,
   * RFC 3891). Answers 202, reports progress to the referrer by sipfrag NOTIFY (RFC 3420: 100,
   * 180, then 200 or the failure), joins the target with the other party, and expects the
   * referrer's BYE (its consultation leg, if any, is ended here).
   */
  private async onRefer(referrer: SimParty, req: SipRequest, tx: ServerTransaction): Promise<void> {
    let referTo: NameAddr;
    try {
      referTo = req.require(H.ReferTo);
    } catch {
      tx.respond(createResponse(req, 400, 'Bad Refer-To'));
      return;
    }
    const call = referrer.call;
    const others = call.live().filter((p) => p !== referrer);
    const transferee = others.length === 1 ? others[0] : undefined;
    const connected = (p: SimParty): boolean => p.state === PartyState.Established || p.state === PartyState.Held;
    if (!transferee || !connected(referrer) || !connected(transferee) || transferee.leg.state !== SessionState.Established || call.suppress > 0) {
      // RFC 3515 §2.4.2: a REFER the server cannot act on gets an error response (not a connected two-party call).
      tx.respond(createResponse(req, 403, 'Forbidden'));
      return;
    }
    const replaces = parseReferToReplaces(referTo.uri);
    let consult: { call: SimCall; agentLeg: SimParty; target: SimParty } | undefined;
    let targetDN: string | undefined;
    if (replaces) {
      // RFC 3891 §3: to-tag is the tag of the dialog at its recipient (this server), from-tag the referrer's.
      const agentLeg = this.partyWithDialog((d) => d.id.callId === replaces.callId && d.id.localTag === replaces.toTag && d.id.remoteTag === replaces.fromTag);
      const target = agentLeg?.call.live().find((p) => p !== agentLeg);
      if (agentLeg && target && agentLeg.call !== call && agentLeg.dn === referrer.dn && connected(target) && agentLeg.call.suppress === 0) consult = { call: agentLeg.call, agentLeg, target };
      targetDN = target?.dn ?? '';
    } else {
      targetDN = referTo.uri.kind === 'sip' ? referTo.uri.user : undefined;
      if (!targetDN) {
        tx.respond(createResponse(req, 400, 'Bad Refer-To'));
        return;
      }
    }
    if (targetDN === referrer.dn || targetDN === transferee.dn) {
      // A party of this very call cannot be its transfer target.
      tx.respond(createResponse(req, 403, 'Forbidden'));
      return;
    }
    // RFC 3515 §2.4.2 / §2.4.4: accept with 202, then a NOTIFY at once.
    tx.respond(createResponse(req, 202, 'Accepted'));
    const cseq = req.cseq.seq;
    const notify = (status: number, reason: string, final: boolean): Promise<void> => referrer.leg.notifyReferProgress(cseq, status, reason, final);
    await notify(100, 'Trying', false);
    if (replaces && !consult) {
      // RFC 3891 §3: no such dialog (or not the referrer's consultation): 481.
      await notify(481, 'Call/Transaction Does Not Exist', true);
      return;
    }
    if (!this.contacts.has(targetDN)) {
      this.emit('EventError', referrer, { otherDN: targetDN, errorCode: ErrorCode.InvalidArgument, errorMessage: `transfer: DN ${targetDN} is not registered at the SIP Server (404 Not Found)` });
      await notify(404, 'Not Found', true);
      return;
    }
    // While the target is reached, the referrer's media leaves the call and its BYE releases only itself.
    referrer.detached = true;
    referrer.sdh.moveTo(`${call.connId}/referrer`);
    if (consult) consult.call.suppress++;
    let outcome: TransferOutcome;
    try {
      outcome = await this.transferByRefer({
        call,
        transferee,
        targetDN,
        replacing: consult?.target,
        onRinging: (target) => {
          void notify(180, 'Ringing', false);
          this.emit('EventRinging', target, { otherDN: transferee.dn });
        },
      });
    } finally {
      if (consult) consult.call.suppress--;
    }
    if (outcome.status !== 200 || !outcome.target || !outcome.transferee) {
      referrer.detached = false;
      if (referrer.state !== PartyState.Released) referrer.sdh.moveTo(referrer.call.connId);
      await notify(outcome.status, outcome.reason, true);
      return;
    }
    const { target, transferee: joined } = outcome;
    if (consult) {
      this.relay.merge(consult.call.connId, call.connId);
      this.emit('EventPartyChanged', joined, { otherDN: target.dn });
      this.emit('EventPartyChanged', target, { otherDN: joined.dn, previousConnId: consult.call.connId });
    } else {
      this.emit('EventEstablished', target, { otherDN: joined.dn });
      this.emit('EventPartyChanged', joined, { otherDN: target.dn });
    }
    await notify(200, 'OK', true);
    if (consult) {
      // The referrer's consultation leg lost its peer (replaced at the target): this server ends it.
      consult.call.suppress++;
      try {
        await this.releaseParty(consult.agentLeg);
      } finally {
        consult.call.suppress--;
      }
      this.callsById.delete(consult.call.connId);
      this.expectBye(consult.target);
    }
    // RFC 5589 §6.1: after the success NOTIFY the transferor sends BYE; if it does not, the server ends its leg.
    this.expectBye(referrer);
  }

  /**
   * Transfers `transferee` to `targetDN` by a REFER (RFC 3515) on the transferee's leg: its
   * endpoint calls the target through this server (its INVITE is matched by DN pair), and the
   * server rings the target with the transferee's identity, or, for an attended transfer,
   * INVITEs it with Replaces for its consultation leg (RFC 3891), so that each endpoint's dialog
   * names its real peer. Both new legs join `call` (the relay pairs them); once the target
   * answered, the transferee's old leg gets BYE. Resolves with the outcome (200, the target's
   * final status, or the transferee's refusal); never rejects.
   */
  private async transferByRefer(o: {
    call: SimCall;
    transferee: SimParty;
    targetDN: string;
    /** Attended: the target's leg in the consultation call, replaced by its new leg. */
    replacing?: SimParty | undefined;
    /** The transferee's INVITE arrived (the REFER is being followed). */
    onArrived?: () => Promise<void>;
    onRinging?: (target: SimParty) => void;
  }): Promise<TransferOutcome> {
    const { call, transferee: old, targetDN } = o;
    const key = `${old.dn}>${targetDN}`;
    if (this.pendingTransfers.has(key)) return { status: 491, reason: 'Request Pending' };
    call.suppress++;
    try {
      const arrival = new Promise<{ kind: 'arrived'; session: InviteSession; sdh: LegSdh }>((resolve) =>
        this.pendingTransfers.set(key, { call, arrived: (session, sdh) => resolve({ kind: 'arrived', session, sdh }) }),
      );
      const refer = old.leg.refer(`sip:${targetDN}@${this.registrarAddress}`).then(
        (p) => ({ kind: 'progress' as const, status: p.statusCode, reason: p.reason }),
        (e: unknown) => {
          const message = e instanceof Error ? e.message : String(e);
          return { kind: 'refused' as const, status: Number(/(\d{3})/.exec(message)?.[1] ?? 603), reason: message };
        },
      );
      const first = await Promise.race([arrival, refer]);
      this.pendingTransfers.delete(key);
      if (first.kind !== 'arrived') return { status: first.status >= 300 ? first.status : 503, reason: first.reason };
      // The transferee's new leg joins the call (quiet until the outcome is known); the old one is set aside.
      const joined = new SimParty(call, old.dn, old.role, first.session, first.sdh);
      joined.quiet = true;
      call.parties.push(joined);
      this.watch(joined);
      this.setAside(old);
      if (o.replacing) o.replacing.quiet = true;
      const fail = (status: number, reason: string): TransferOutcome => {
        if (joined.leg.state !== SessionState.Terminated) {
          if (joined.leg.state === SessionState.Established) void joined.leg.terminate().catch(() => undefined);
          else joined.leg.reject(status >= 400 && status < 700 ? status : 480, reason);
        }
        this.restore(old, call);
        if (o.replacing) o.replacing.quiet = false;
        return { status, reason };
      };
      await o.onArrived?.();
      let target: SimParty;
      try {
        target = await this.inviteLeg(call, targetDN, o.replacing?.role ?? 'Destination', false, { caller: { dn: old.dn }, ...(o.replacing ? { replaces: o.replacing } : {}) });
      } catch (e) {
        return fail(480, e instanceof Error ? e.message : String(e));
      }
      const outcome = await new Promise<{ status: number; reason: string }>((resolve) => {
        target.onRinging = () => {
          if (joined.leg.state === SessionState.Incoming) joined.leg.progress(180);
          o.onRinging?.(target);
        };
        target.onAnswered = () => {
          resolve({ status: 200, reason: 'OK' });
          return Promise.resolve();
        };
        target.onGone = () => resolve({ status: target.leg.ended?.statusCode ?? 480, reason: target.leg.ended?.reason ?? 'Temporarily Unavailable' });
        joined.onGone = () => resolve({ status: 487, reason: 'Request Terminated' });
      });
      target.onGone = undefined;
      joined.onGone = undefined;
      if (outcome.status !== 200) {
        if (target.state !== PartyState.Released) void this.releaseParty(target).catch(() => undefined);
        return fail(outcome.status, outcome.reason);
      }
      joined.quiet = false;
      if (joined.leg.state !== SessionState.Established) await this.sip('transfer: answering the transferee', joined.leg.accept());
      this.transition(joined, PartyState.Established);
      call.callState = 'Transferred';
      // RFC 3515 §2.4.5: the transferee reports the outcome on its old dialog; then the
      // transferor (this server) ends that dialog (RFC 5589 §6.1).
      old.quiet = true;
      let grace: IDisposable | undefined;
      await Promise.race([refer, new Promise<void>((r) => (grace = (this.options.clock ?? realClock).setTimeout(r, 2000)))]);
      grace?.dispose();
      void this.releaseParty(old).catch((e: unknown) => this.logger.warn('ending the transferee old leg failed', { error: String(e) }));
      return { status: 200, reason: 'OK', target, transferee: joined };
    } finally {
      if (this.pendingTransfers.get(key)?.call === call) this.pendingTransfers.delete(key);
      call.suppress--;
    }
  }

  /** Takes a party out of its call (media and events) while a transfer decides its fate. */
  private setAside(party: SimParty): void {
    const call = party.call;
    call.parties.splice(call.parties.indexOf(party), 1);
    party.call = new SimCall(call.connId);
    party.call.parties.push(party);
    party.sdh.moveTo(`${call.connId}/aside/${party.dn}`);
  }

  /** Puts a party set aside back into `call`. */
  private restore(party: SimParty, call: SimCall): void {
    if (party.state === PartyState.Released || party.call === call) return;
    party.call.parties.splice(party.call.parties.indexOf(party), 1);
    call.parties.push(party);
    party.call = call;
    party.sdh.moveTo(call.connId);
  }

  /** Waits (bounded) for the endpoint to end `party`'s leg; ends it from here otherwise. */
  private expectBye(party: SimParty): void {
    if (party.state === PartyState.Released) return;
    void this.waitLeg(party.leg, 'BYE', false, [SessionState.Terminated])
      .catch(() => this.releaseParty(party))
      .catch((e: unknown) => this.logger.warn('ending a transferred leg failed', { error: String(e) }));
  }

  /** The live party whose leg's dialog matches. */
  private partyWithDialog(match: (d: NonNullable<InviteSession['dialog']>) => boolean): SimParty | undefined {
    for (const c of this.callsById.values()) {
      for (const p of c.live()) {
        const d = p.leg.dialog;
        if (d && match(d)) return p;
      }
    }
    return undefined;
  }

  private watch(party: SimParty): void {
    const leg = party.leg;
    party.subs.push(
      leg.onDidChangeState((e) => {
        if (e.state === SessionState.Early && party.state === PartyState.Dialing && leg.role === 'uac') {
          this.transition(party, PartyState.Ringing);
          party.onRinging?.();
        } else if (e.state === SessionState.Established && (party.state === PartyState.Ringing || party.state === PartyState.Dialing) && party.onAnswered) {
          this.transition(party, PartyState.Established);
          const answered = party.onAnswered;
          party.onAnswered = undefined;
          answered().catch((err: unknown) => this.logger.warn('answer step failed', { error: String(err) }));
        } else if (e.state === SessionState.Terminated) {
          this.partyGone(party, e.cause, e.statusCode);
        }
      }),
      leg.onDidChangeHold(({ localHold, remoteHold }) => this.onHoldChange(party, localHold, remoteHold)),
      leg.onDidReceiveInfo(({ contentType, body }) => {
        // DTMF by INFO passes through to the other parties of the call.
        for (const p of party.call.live()) if (p !== party && p.leg.state === SessionState.Established) void p.leg.info(contentType, body).catch(() => undefined);
      }),
    );
  }

  private onHoldChange(party: SimParty, localHold: boolean, remoteHold: boolean): void {
    const held = localHold || remoteHold;
    if (held === party.held) return;
    party.held = held;
    if (party.silentHold) {
      if (!held) party.silentHold = false;
      return;
    }
    if (party.state !== PartyState.Established && party.state !== PartyState.Held) return;
    this.transition(party, held ? PartyState.Held : PartyState.Established);
    this.emit(held ? 'EventHeld' : 'EventRetrieved', party, { otherDN: this.otherOf(party)?.dn, referenceId: party.takeRef() });
    if (remoteHold && !localHold) {
      // 1pcc hold from the endpoint passes through: the other side gets a hold re-INVITE.
      for (const p of party.call.live()) {
        if (p === party || p.leg.state !== SessionState.Established) continue;
        p.silentHold = true;
        void p.leg.hold().catch(() => undefined);
      }
    } else if (!held) {
      for (const p of party.call.live()) if (p !== party && p.silentHold && p.leg.state === SessionState.Established) void p.leg.unhold().catch(() => undefined);
    }
  }

  private partyGone(party: SimParty, cause: string | undefined, statusCode: number | undefined): void {
    if (party.state === PartyState.Released) return;
    const call = party.call;
    const previous = party.state;
    this.transition(party, PartyState.Released);
    for (const s of party.subs.splice(0)) s.dispose();
    const gone = party.onGone;
    party.onGone = undefined;
    if (party.quiet) {
      gone?.();
      return;
    }
    // The destination refused before answering (ringing or not): a final non-2xx to our INVITE.
    const refused = (previous === PartyState.Dialing || previous === PartyState.Ringing) && party.leg.role === 'uac' && (cause === 'rejected-by-remote' || cause === 'request-failed');
    const busy = refused && (statusCode === 486 || statusCode === 600 || statusCode === 603);
    const other = this.otherOf(party);
    const detail = { otherDN: other?.dn, referenceId: party.takeRef(), cause: `${cause ?? 'ended'}${statusCode ? ` ${statusCode}` : ''}` };
    if (busy) {
      // genesys-compat §5: 486 Busy Here / 600 Busy Everywhere / 603 Decline from the destination:
      // the other parties get EventDestinationBusy (CallState Busy).
      call.callState = 'Busy';
      for (const p of call.live()) this.emit('EventDestinationBusy', p, { otherDN: party.dn, cause: String(statusCode) });
    } else if (refused) {
      // Any other failure (404, 480, 408 ...): EventError to the other parties, EventReleased to the destination.
      for (const p of call.live()) {
        this.emit('EventError', p, {
          otherDN: party.dn,
          cause: detail.cause,
          errorCode: ErrorCode.SipRequestFailed,
          errorMessage: `the call to ${party.dn} failed: ${statusCode ?? ''} ${party.leg.ended?.reason ?? cause ?? ''}`.replace(/\s+/g, ' ').trim(),
        });
      }
      this.emit('EventReleased', party, detail);
    } else {
      // A ringing party whose call went away was abandoned; everyone else is released.
      this.emit(previous === PartyState.Ringing && cause === 'cancelled' ? 'EventAbandoned' : 'EventReleased', party, detail);
    }
    gone?.();
    if (call.suppress > 0 || party.detached || this.callsById.get(call.connId) !== call) return;
    const live = call.live();
    if (live.length === 0) {
      this.callsById.delete(call.connId);
    } else if (live.length === 1) {
      // The last party does not stay alone in a call: it is released too; a 1pcc caller's INVITE
      // gets the destination's own final status (RFC 3261 §16.7 style: the best response is forwarded).
      const [last] = live;
      if (last) void this.releaseParty(last, refused ? statusCode : undefined).catch((e: unknown) => this.logger.warn('release failed', { error: String(e) }));
    } else {
      for (const p of live) this.emit('EventPartyDeleted', p, { otherDN: party.dn });
    }
  }

  /** Ends a party's leg (BYE, CANCEL, or a final response to a 1pcc INVITE) and waits for EventReleased. */
  private async releaseParty(party: SimParty, code?: number): Promise<void> {
    if (party.state === PartyState.Released) return;
    const leg = party.leg;
    const done = this.waitLeg(leg, 'release', false, [SessionState.Terminated]);
    if (leg.role === 'uas' && leg.state !== SessionState.Established) leg.reject(code ?? 480);
    else await leg.terminate();
    await done;
    await this.until(() => party.state === PartyState.Released, 'EventReleased');
  }

  private moveParty(party: SimParty, from: SimCall, to: SimCall): void {
    from.parties.splice(from.parties.indexOf(party), 1);
    to.parties.push(party);
    party.call = to;
    party.sdh.moveTo(to.connId);
    this.relay.merge(from.connId, to.connId);
  }

  private consultPair(
    what: string,
    thisDN: string,
    connId: string | undefined,
    consultConnId: string | undefined,
  ): { main: SimCall; consult: SimCall; heldParty: SimParty; consultParty: SimParty; target: SimParty } {
    const mine = [...this.callsById.values()].filter((c) => c.party(thisDN));
    const main = connId ? this.callsById.get(connId) : mine.find((c) => c.party(thisDN)?.state === PartyState.Held);
    const consult = consultConnId ? this.callsById.get(consultConnId) : mine.find((c) => c !== main && c.party(thisDN)?.state === PartyState.Established);
    if (!main || !consult || main === consult) throw new TlibRequestError(ErrorCode.InvalidArgument, `${what}: ${thisDN} needs a held call and a consultation call (give connId and transferConnId)`);
    const heldParty = main.party(thisDN);
    const consultParty = consult.party(thisDN);
    if (!heldParty || !consultParty) throw new TlibRequestError(ErrorCode.InvalidArgument, `${what}: ${thisDN} is not a party of both calls`);
    if (heldParty.state !== PartyState.Held) throw new TlibRequestError(ErrorCode.InvalidState, `${what}: ${thisDN} is ${heldParty.state} on ${main.connId}, not Held`);
    const target = consult.live().find((p) => p !== consultParty);
    if (!target || target.state !== PartyState.Established) throw new TlibRequestError(ErrorCode.InvalidState, `${what}: the consultation target has not answered`);
    return { main, consult, heldParty, consultParty, target };
  }

  // ------------------------------------------------------------------ plumbing

  private newCall(): SimCall {
    const call = new SimCall(randomBytes(8).toString('hex').toUpperCase());
    this.callsById.set(call.connId, call);
    return call;
  }

  private find(thisDN: string, connId: string): { call: SimCall; party: SimParty } {
    const call = this.callsById.get(connId);
    if (!call) throw new TlibRequestError(ErrorCode.InvalidArgument, `no call with ConnID ${connId}`);
    const party = call.party(thisDN);
    if (!party) throw new TlibRequestError(ErrorCode.InvalidArgument, `${thisDN} is not a party of call ${connId}`);
    return { call, party };
  }

  private requireRegistered(dn: string): string {
    const c = this.contacts.get(dn);
    if (!c) throw new TlibRequestError(ErrorCode.InvalidArgument, `DN ${dn} is not registered at the SIP Server`);
    return c;
  }

  private otherOf(party: SimParty): SimParty | undefined {
    return party.call.live().find((p) => p !== party) ?? party.call.parties.find((p) => p !== party);
  }

  private transition(party: SimParty, state: PartyState): void {
    if (party.state === state) return;
    if (!PARTY_EDGES[party.state].includes(state)) {
      this.logger.warn('party: illegal transition ignored', { dn: party.dn, from: party.state, to: state });
      return;
    }
    this.logger.debug('party state', { dn: party.dn, connId: party.call.connId, from: party.state, to: state });
    party.state = state;
  }

  private emit(event: TlibEventName, party: SimParty, extra: Partial<Omit<CallEvent, 'event' | 'connId' | 'thisDN'>> = {}): void {
    const call = party.call;
    const e: CallEvent = {
      event,
      connId: call.connId,
      thisDN: party.dn,
      callState: call.callState,
      thisDNRole: party.role,
      parties: call.live().map((p) => p.dn),
      relayedPackets: this.relay.packets(call.connId),
      ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
    };
    this.logger.info('event', { event, connId: e.connId, thisDN: e.thisDN, otherDN: e.otherDN });
    this._onDidEmitCallEvent.fire(e);
  }

  private snapshot(c: SimCall): CallSnapshot {
    return {
      connId: c.connId,
      parties: c.live().map((p) => ({ dn: p.dn, state: p.state, role: p.role, callId: p.leg.callId })),
      relayedPackets: this.relay.packets(c.connId),
    };
  }

  /** Waits until `leg` is Established or Terminated (or `states`), bounded by the step timeout. */
  private waitLeg(leg: InviteSession, what: string, early = false, states: SessionState[] = [SessionState.Established, SessionState.Terminated]): Promise<SessionState> {
    const wanted = early ? [...states, SessionState.Early] : states;
    if (wanted.includes(leg.state)) return Promise.resolve(leg.state);
    return new Promise((resolve, reject) => {
      const timer = (this.options.clock ?? realClock).setTimeout(() => {
        sub.dispose();
        reject(new TlibRequestError(ErrorCode.Timeout, `${what}: no answer from the endpoint within ${this.stepTimeoutMs} ms`));
      }, this.stepTimeoutMs);
      const sub = leg.onDidChangeState((e) => {
        if (!wanted.includes(e.state)) return;
        sub.dispose();
        timer.dispose();
        resolve(e.state);
      });
    });
  }

  /** Waits (bounded) until a state the listeners set: events fire from SIP callbacks, not from here. */
  private async until(cond: () => boolean, what: string): Promise<void> {
    const clock = this.options.clock ?? realClock;
    const end = clock.now() + this.stepTimeoutMs;
    while (!cond()) {
      if (clock.now() > end) throw new TlibRequestError(ErrorCode.Timeout, `no ${what} within ${this.stepTimeoutMs} ms`);
      await new Promise<void>((r) => clock.setTimeout(r, 10));
    }
  }

  /** Awaits a SIP step, turning its failure into a clear request error. */
  private async sip<T>(what: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      throw new TlibRequestError(ErrorCode.SipRequestFailed, `${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private trace(direction: 'in' | 'out', m: SipMessage, remote: string): void {
    const isReq = 'method' in m;
    const start = isReq ? `${(m as SipRequest).method} ${formatUri((m as SipRequest).uri)}` : `${(m as SipResponse).status} ${(m as SipResponse).reason} (${m.cseq.method})`;
    const extras: string[] = [];
    for (const h of ['Event', 'Call-Info']) {
      const v = m.headers.get(h);
      if (v) extras.push(`${h}: ${v}`);
    }
    const sdp = m.body.length ? /a=(sendonly|recvonly|inactive|sendrecv)/.exec(m.body.toString('utf8'))?.[1] : undefined;
    if (sdp) extras.push(`SDP ${sdp}`);
    else if (isReq && ((m as SipRequest).method === 'INVITE' || (m as SipRequest).method === 'ACK') && m.body.length === 0 && (m as SipRequest).method === 'INVITE') extras.push('no SDP');
    let dn: string | undefined;
    for (const [d, c] of this.contacts) if (c.includes(`@${remote}`) || c.includes(`@${remote.replace(/^\[|\]$/g, '')}`)) dn = d;
    this._onDidTraceSip.fire({ direction, dn, summary: `${start}${extras.length ? ` [${extras.join('; ')}]` : ''}`, callId: m.get(H.CallId) ?? '' });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const c of this.callsById.values()) for (const p of c.parties) for (const s of p.subs.splice(0)) s.dispose();
    this.callsById.clear();
    super.dispose();
  }
}

/**
 * Starts the simulated SIP Server on 127.0.0.1 (UDP and TCP on the same port). Resolves once it
 * listens; rejects with a `TransportError` when the port cannot be bound.
 */
export async function startSimulatedSipServer(options: SimulatorOptions = {}): Promise<SimulatedSipServer> {
  const domain = options.domain ?? 'demo.local';
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.sipPort || (await freeUdpPort());
    let stack: SipStack;
    try {
      stack = await SipStack.create({
        listen: [
          { protocol: 'udp', host: '127.0.0.1', port },
          { protocol: 'tcp', host: '127.0.0.1', port },
        ],
        logger: options.logger,
        clock: options.clock,
        userAgent: 'sip-endpoint simulated SIP Server',
      });
    } catch (e) {
      lastError = e;
      if (options.sipPort) break;
      continue;
    }
    const server = new SimulatedSipServerImpl(stack, domain, options);
    try {
      await server.init();
    } catch (e) {
      server.dispose();
      throw e;
    }
    return server;
  }
  throw lastError instanceof Error ? lastError : new SdkError(ErrorCode.Transport, 'cannot bind the simulated SIP Server');
}
