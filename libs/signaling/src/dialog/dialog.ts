/**
 * Dialogs: RFC 3261 §12 (creation, in-dialog requests, termination), §13.2.2.4 (2xx to INVITE
 * in an early dialog), §14 (re-INVITE glare). Transport-agnostic: a dialog builds requests and
 * consumes messages; the UA sends them through transactions (which add the Via).
 */
import { Disposable, Emitter, ErrorCode, InvalidStateError, SdkError, nullLogger, type Event, type Logger } from '@sip-endpoint/base';
import { H, SipRequest, type NameAddr, type SipResponse, type Uri } from '../message/index';
import { applyExtraHeaders, cloneNameAddr, cloneUri, contactUri, isLooseRoute, tagOf, toRequestUri, withTag, type ExtraHeaders } from './util';

/**
 * The states of a dialog (RFC 3261 §12).
 *
 * ```
 *  Early ----(2xx to the INVITE)----> Confirmed
 *    |                                   |
 *    +--(non-2xx final, 481/408, BYE)----+--> Terminated
 * ```
 * A dialog created by a 2xx starts in Confirmed. Terminated is final and disposes the dialog.
 */
export enum DialogState {
  Early = 'early',
  Confirmed = 'confirmed',
  Terminated = 'terminated',
}

const DIALOG_EDGES: Readonly<Record<DialogState, readonly DialogState[]>> = {
  [DialogState.Early]: [DialogState.Confirmed, DialogState.Terminated],
  [DialogState.Confirmed]: [DialogState.Terminated],
  [DialogState.Terminated]: [],
};

/** RFC 3261 §12: a dialog is identified by Call-ID, local tag and remote tag. */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  /** Empty when the peer sent no tag (RFC 3261 §12.1.2: a missing tag is a null tag). */
  readonly remoteTag: string;
}

/** A string key for a {@link DialogId}, usable in maps. */
export function dialogIdKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** Which side of the dialog-creating request we were. */
export type DialogRole = 'uac' | 'uas';

/** Payload of {@link Dialog.onDidChangeState}. */
export interface DialogStateChange {
  readonly dialog: Dialog;
  readonly previous: DialogState;
  readonly state: DialogState;
  /** Why the dialog moved (e.g. `2xx`, `481`, `408`, `timeout`, `final-response`, `bye`, `disposed`). */
  readonly cause: string;
}

/**
 * A request the dialog layer refuses, and the response the UA should send for it
 * (RFC 3261 §12.2.2: 500 for an out-of-order CSeq; §14.2: 491 / 500 for INVITE glare).
 */
export interface DialogRejection {
  readonly status: number;
  readonly reason: string;
  /** Seconds for a Retry-After header, when the RFC asks for one (§14.2). */
  readonly retryAfter?: number;
}

/** Options every dialog takes. */
export interface DialogOptions {
  /** Our Contact (RFC 3261 §12.2.1.1: put in target-refresh requests). */
  readonly localContact: NameAddr;
  /** Logger; defaults to nothing. */
  readonly logger?: Logger;
  /** Randomness in [0, 1), for the initial CSeq and the glare interval; defaults to `Math.random`. */
  readonly random?: () => number;
}

/** Options of {@link Dialog.createRequest}. */
export interface DialogRequestOptions {
  /** The body. */
  readonly body?: Buffer | string;
  /** The Content-Type of the body, as header text (e.g. `application/sdp`). */
  readonly contentType?: string;
  /** Extra header lines. */
  readonly headers?: ExtraHeaders;
}

/**
 * Methods that are target refresh requests: they carry our Contact, and their Contact (or the
 * Contact of their 2xx) replaces the remote target. RFC 3261 §12.2: re-INVITE; RFC 3311:
 * UPDATE; RFC 6665 §4.1.2.2/§4.2.2: SUBSCRIBE, NOTIFY; RFC 3515: REFER.
 */
export const TARGET_REFRESH_METHODS: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/** RFC 3261 §8.1.1.6: a UAC MUST insert a Max-Forwards header field with value 70. */
const MAX_FORWARDS = 70;

/** What a dialog is built from. */
interface DialogInit {
  id: DialogId;
  role: DialogRole;
  state: DialogState;
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  secure: boolean;
  isCallIdOwner: boolean;
  inviteOutgoing: number | undefined;
  inviteIncoming: number | undefined;
}

/** `r` forced into [0, 1), so a bad random source cannot produce out-of-range values. */
function clampUnit(r: number): number {
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999_999_999) : 0;
}

function invalidArgument(message: string): SdkError {
  return new SdkError(ErrorCode.InvalidArgument, message);
}

/**
 * The §14.1 interval a UAC waits before retrying a re-INVITE that got 491, in milliseconds.
 * RFC 3261 §14.1: If the UAC is the owner of the Call-ID of the dialog ID (meaning it generated
 * the value), T has a randomly chosen value between 2.1 and 4 seconds in units of 10 ms. If the
 * UAC is not the owner of the Call-ID of the dialog ID, T has a randomly chosen value of between
 * 0 and 2 seconds in units of 10 ms.
 *
 * @param ownsCallId whether we generated the Call-ID (we sent the dialog-creating request)
 * @param random a source in [0, 1); defaults to `Math.random`
 */
export function glareRetryDelayMs(ownsCallId: boolean, random: () => number = Math.random): number {
  const r = clampUnit(random());
  // 2100..4000 ms is 191 steps of 10 ms; 0..2000 ms is 201 steps.
  return ownsCallId ? 2100 + 10 * Math.floor(r * 191) : 10 * Math.floor(r * 201);
}

/**
 * One dialog (RFC 3261 §12): its ID, sequence numbers, route set and remote target, and the
 * rules for building requests in it and accepting requests and responses in it.
 *
 * Create one with {@link Dialog.createUac} (from the request we sent and a response with a To
 * tag), {@link Dialog.createUas} (from a request we received and the response we send with our
 * tag) or {@link Dialog.createFromNotify} (RFC 6665 §4.1.2.4). Every message of the dialog is
 * handed to it exactly once: requests received through {@link Dialog.receiveRequest}, responses
 * received through {@link Dialog.receiveResponse}, responses we send through
 * {@link Dialog.noteResponseSent}, transaction timeouts through {@link Dialog.noteRequestTimeout}.
 * State changes are reported by {@link Dialog.onDidChangeState}; reaching Terminated disposes the
 * dialog, and disposing a live dialog terminates it (cause `disposed`).
 */
export class Dialog extends Disposable {
  /** RFC 3261 §12: Call-ID, local tag, remote tag. */
  readonly id: DialogId;
  /** Whether we sent (uac) or received (uas) the dialog-creating request. */
  readonly role: DialogRole;
  /** Whether we generated the Call-ID (we sent the dialog-creating request); see §14.1. */
  readonly isCallIdOwner: boolean;
  /** RFC 3261 §12.1.1/§12.1.2: the secure flag (sips Request-URI over TLS). */
  readonly secure: boolean;
  /** Our URI and display name, as in the From of our requests (no tag). */
  readonly localUri: NameAddr;
  /** The peer's URI and display name, as in the To of our requests (no tag). */
  readonly remoteUri: NameAddr;

  private _state: DialogState;
  private _remoteTarget: Uri;
  private _routeSet: NameAddr[];
  private _localSeq: number | undefined;
  private _remoteSeq: number | undefined;
  /** CSeq of our INVITE whose final response has not arrived. */
  private inviteOutgoing: number | undefined;
  /** CSeq of the peer's INVITE we have not sent a final response for. */
  private inviteIncoming: number | undefined;
  private readonly localContact: NameAddr;
  private readonly logger: Logger;
  private readonly random: () => number;

  private readonly _onDidChangeState = this._register(new Emitter<DialogStateChange>());
  /** Fires on every state change, Terminated included (just before the dialog is disposed). */
  readonly onDidChangeState: Event<DialogStateChange> = this._onDidChangeState.event;

  private constructor(init: DialogInit, options: DialogOptions) {
    super();
    this.id = init.id;
    this.role = init.role;
    this._state = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this._remoteTarget = init.remoteTarget;
    this._routeSet = init.routeSet;
    this._localSeq = init.localSeq;
    this._remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.isCallIdOwner = init.isCallIdOwner;
    this.inviteOutgoing = init.inviteOutgoing;
    this.inviteIncoming = init.inviteIncoming;
    this.localContact = cloneNameAddr(options.localContact);
    this.logger = (options.logger ?? nullLogger).child({ component: 'dialog', callId: init.id.callId });
    this.random = options.random ?? Math.random;
  }

  /**
   * The UAC side: a dialog from the request we sent and a 1xx (Early) or 2xx (Confirmed)
   * response carrying a To tag (RFC 3261 §12.1.2).
   * @param options `localContact`, logger, random; `sentOverTls`: whether the request went over TLS (for the secure flag)
   * @throws SdkError(INVALID_ARGUMENT) when the response is not a 101-299 or has another Call-ID
   */
  static createUac(request: SipRequest, response: SipResponse, options: DialogOptions & { sentOverTls?: boolean }): Dialog {
    if (response.status <= 100 || response.status >= 300) throw invalidArgument(`a ${response.status} response does not create a dialog`);
    const callId = request.callId;
    if (response.callId !== callId) throw invalidArgument('the response belongs to another Call-ID');
    const localTag = tagOf(request.from);
    if (localTag === undefined) throw invalidArgument('the request has no From tag');
    const remoteTag = tagOf(response.to) ?? '';
    // RFC 3261 §12.1.2: The route set MUST be set to the list of URIs in the Record-Route header
    // field from the response, taken in reverse order and preserving all URI parameters.
    const routeSet = [...(response.get(H.RecordRoute) ?? [])].reverse().map(cloneNameAddr);
    const isInvite = request.method === 'INVITE';
    const early = response.status < 200;
    return new Dialog(
      {
        id: { callId, localTag, remoteTag },
        role: 'uac',
        state: early ? DialogState.Early : DialogState.Confirmed,
        localUri: withTag(request.from, undefined),
        remoteUri: withTag(request.to, undefined),
        // RFC 3261 §12.1.2: The remote target MUST be set to the URI from the Contact header
        // field of the response. (Without one we keep the Request-URI we used.)
        remoteTarget: contactUri(response) ?? toRequestUri(request.uri),
        routeSet,
        // RFC 3261 §12.1.2: The local sequence number MUST be set to the value of the sequence
        // number in the CSeq header field of the request. The remote sequence number MUST be empty.
        localSeq: request.cseq.seq,
        remoteSeq: undefined,
        // RFC 3261 §12.1.2: If the request was sent over TLS, and the Request-URI contained a SIPS
        // URI, the "secure" flag is set to TRUE.
        secure: options.sentOverTls === true && request.uri.scheme === 'sips',
        isCallIdOwner: true,
        // An early dialog of our INVITE: that INVITE is still in progress (§14.1).
        inviteOutgoing: isInvite && early ? request.cseq.seq : undefined,
        inviteIncoming: undefined,
      },
      options,
    );
  }

  /**
   * The UAS side: a dialog from the request we received and the 1xx (Early) or 2xx
   * (Confirmed) response we send with our To tag (RFC 3261 §12.1.1).
   * @param options `localContact`, logger, random; `receivedOverTls`: whether the request arrived over TLS (for the secure flag)
   * @throws SdkError(INVALID_ARGUMENT) when the response is not a 101-299 or has no To tag
   */
  static createUas(request: SipRequest, response: SipResponse, options: DialogOptions & { receivedOverTls?: boolean }): Dialog {
    if (response.status <= 100 || response.status >= 300) throw invalidArgument(`a ${response.status} response does not create a dialog`);
    const localTag = tagOf(response.to);
    // RFC 3261 §12.1.1: the UAS MUST add a To tag to a response that establishes a dialog.
    if (localTag === undefined) throw invalidArgument('the response establishing a dialog needs a To tag');
    const isInvite = request.method === 'INVITE';
    const early = response.status < 200;
    return new Dialog(
      {
        id: { callId: request.callId, localTag, remoteTag: tagOf(request.from) ?? '' },
        role: 'uas',
        state: early ? DialogState.Early : DialogState.Confirmed,
        localUri: withTag(request.to, undefined),
        remoteUri: withTag(request.from, undefined),
        // RFC 3261 §12.1.1: The remote target MUST be set to the URI from the Contact header
        // field of the request. (Without one, the From URI is the best we have.)
        remoteTarget: contactUri(request) ?? toRequestUri(request.from.uri),
        // RFC 3261 §12.1.1: The route set MUST be set to the list of URIs in the Record-Route
        // header field from the request, taken in order and preserving all URI parameters.
        routeSet: (request.get(H.RecordRoute) ?? []).map(cloneNameAddr),
        // RFC 3261 §12.1.1: The remote sequence number MUST be set to the value of the sequence
        // number in the CSeq header field of the request. The local sequence number MUST be empty.
        localSeq: undefined,
        remoteSeq: request.cseq.seq,
        // RFC 3261 §12.1.1: If the request arrived over TLS, and the Request-URI contained a SIPS
        // URI, the "secure" flag is set to TRUE.
        secure: options.receivedOverTls === true && request.uri.scheme === 'sips',
        isCallIdOwner: false,
        inviteOutgoing: undefined,
        // The INVITE stays in progress until we send its final response (§14.2).
        inviteIncoming: isInvite && response.status < 200 ? request.cseq.seq : undefined,
      },
      options,
    );
  }

  /**
   * The subscriber side of a dialog created by a NOTIFY that arrived before the 2xx to our
   * SUBSCRIBE (or REFER). RFC 6665 §4.1.2.4: such a NOTIFY creates the dialog; its fields are
   * taken from the NOTIFY as a UAS would (§12.1.1: route set from Record-Route in order, remote
   * target from Contact, remote sequence number from CSeq), and our side from the request we sent
   * (local tag = its From tag, local sequence number = its CSeq).
   * @throws SdkError(INVALID_ARGUMENT) when the NOTIFY does not belong to `subscribe`
   */
  static createFromNotify(subscribe: SipRequest, notify: SipRequest, options: DialogOptions & { receivedOverTls?: boolean }): Dialog {
    const localTag = tagOf(subscribe.from);
    if (localTag === undefined) throw invalidArgument('the SUBSCRIBE has no From tag');
    if (notify.callId !== subscribe.callId || tagOf(notify.to) !== localTag) throw invalidArgument('the NOTIFY does not match the subscription request');
    return new Dialog(
      {
        id: { callId: subscribe.callId, localTag, remoteTag: tagOf(notify.from) ?? '' },
        role: 'uac',
        state: DialogState.Confirmed,
        localUri: withTag(subscribe.from, undefined),
        remoteUri: withTag(subscribe.to, undefined),
        remoteTarget: contactUri(notify) ?? toRequestUri(subscribe.uri),
        routeSet: (notify.get(H.RecordRoute) ?? []).map(cloneNameAddr),
        localSeq: subscribe.cseq.seq,
        remoteSeq: notify.cseq.seq,
        secure: options.receivedOverTls === true && subscribe.uri.scheme === 'sips',
        isCallIdOwner: true,
        inviteOutgoing: undefined,
        inviteIncoming: undefined,
      },
      options,
    );
  }

  /** The current state. */
  get state(): DialogState {
    return this._state;
  }

  /** The URI requests in this dialog are sent to (RFC 3261 §12: remote target). A copy. */
  get remoteTarget(): Uri {
    return cloneUri(this._remoteTarget);
  }

  /** The route set, in the order of the Route header of our requests. A copy. */
  get routeSet(): NameAddr[] {
    return this._routeSet.map(cloneNameAddr);
  }

  /** Our last CSeq number, or `undefined` while we have sent nothing in the dialog. */
  get localSeq(): number | undefined {
    return this._localSeq;
  }

  /** The peer's last CSeq number, or `undefined` while it has sent nothing in the dialog. */
  get remoteSeq(): number | undefined {
    return this._remoteSeq;
  }

  /**
   * RFC 3261 §14.1 glare support: whether an INVITE transaction is in progress in this dialog,
   * ours (`outgoing`: no final response yet) or the peer's (`incoming`: we sent no final
   * response yet). While either is true a new INVITE must not be sent, and a received INVITE is
   * refused by {@link Dialog.receiveRequest} (491 / 500).
   */
  get inviteInProgress(): { readonly outgoing: boolean; readonly incoming: boolean } {
    return { outgoing: this.inviteOutgoing !== undefined, incoming: this.inviteIncoming !== undefined };
  }

  /**
   * The interval to wait before retrying a re-INVITE answered with 491 (RFC 3261 §14.1), from
   * whether we own the Call-ID. See {@link glareRetryDelayMs}.
   */
  glareRetryDelayMs(): number {
    return glareRetryDelayMs(this.isCallIdOwner, this.random);
  }

  /** Whether `request` (received) belongs to this dialog: To tag = local tag, From tag = remote tag. */
  matchesRequest(request: SipRequest): boolean {
    return request.callId === this.id.callId && (tagOf(request.to) ?? '') === this.id.localTag && (tagOf(request.from) ?? '') === this.id.remoteTag;
  }

  /** Whether `response` (to a request of ours) belongs to this dialog: From tag = local, To tag = remote. */
  matchesResponse(response: SipResponse): boolean {
    return response.callId === this.id.callId && (tagOf(response.from) ?? '') === this.id.localTag && (tagOf(response.to) ?? '') === this.id.remoteTag;
  }

  /**
   * Builds a request within the dialog (RFC 3261 §12.2.1.1): To with the remote tag, From with
   * the local tag, the Call-ID, CSeq = local sequence number + 1 (a random initial value below
   * 2^31 when empty), Request-URI and Route from the remote target and route set (loose or
   * strict routing), Max-Forwards 70, our Contact on target refresh requests. No Via: the
   * transaction layer adds it. ACK is {@link Dialog.createAck}; CANCEL is not a dialog request.
   * @throws InvalidStateError when the dialog is terminated, or for an INVITE while another
   *   INVITE is in progress in either direction (§14.1)
   * @throws SdkError(INVALID_ARGUMENT) for ACK or CANCEL
   */
  createRequest(method: string, options: DialogRequestOptions = {}): SipRequest {
    this.assertUsable(method);
    if (method === 'ACK') throw invalidArgument('an ACK for a 2xx is built with createAck(inviteCseq)');
    // RFC 3261 §9.1: CANCEL is built from the request it cancels (same CSeq number, Via, tags),
    // by the transaction user, not as a new request in the dialog.
    if (method === 'CANCEL') throw invalidArgument('CANCEL is not a dialog request: build it from the INVITE it cancels');
    if (method === 'INVITE' && (this.inviteOutgoing !== undefined || this.inviteIncoming !== undefined)) {
      // RFC 3261 §14.1: a UAC MUST NOT initiate a new INVITE transaction within a dialog while
      // another INVITE transaction is in progress in either direction.
      throw new InvalidStateError('an INVITE transaction is already in progress in this dialog', this._state);
    }
    // RFC 3261 §12.2.1.1: Requests within a dialog MUST contain strictly monotonically
    // increasing and contiguous CSeq sequence numbers (increasing-by-one) in each direction.
    // If the local sequence number is empty, an initial value MUST be chosen using the
    // guidelines of Section 8.1.1.5 (less than 2**31).
    const seq = this._localSeq === undefined ? this.initialSeq() : this._localSeq + 1;
    this._localSeq = seq;
    const request = this.buildRequest(method, seq, options);
    if (TARGET_REFRESH_METHODS.has(method)) {
      // RFC 3261 §12.2.1.1: A UAC SHOULD include a Contact header field in any target refresh
      // requests within a dialog.
      request.set(H.Contact, { star: false, contacts: [cloneNameAddr(this.localContact)] });
    }
    if (method === 'INVITE') this.inviteOutgoing = seq;
    this.logger.debug('request built', { method, cseq: seq });
    return request;
  }

  /**
   * Builds the ACK for a 2xx to an INVITE of this dialog (RFC 3261 §13.2.2.4): built like any
   * request of the dialog, but the CSeq sequence number MUST be the same as the INVITE being
   * acknowledged, and the CSeq method MUST be ACK. The local sequence number is not changed.
   * @param inviteCseq the CSeq number of the INVITE being acknowledged
   */
  createAck(inviteCseq: number, options: { body?: Buffer | string; contentType?: string; headers?: ExtraHeaders } = {}): SipRequest {
    this.assertUsable('ACK');
    return this.buildRequest('ACK', inviteCseq, options);
  }

  /**
   * Processes a request received in this dialog (RFC 3261 §12.2.2): checks the CSeq order,
   * updates the remote sequence number and, for an accepted target refresh request with a
   * Contact, the remote target. Returns `undefined` when the request may proceed, or the
   * response the UA must send instead: 481 when it does not belong to this live dialog, 500 for
   * an out-of-order CSeq, 491 / 500 (+ Retry-After) for INVITE glare (§14.2). ACK and CANCEL
   * skip the order check (they repeat the CSeq number of their INVITE).
   */
  receiveRequest(request: SipRequest): DialogRejection | undefined {
    if (this._state === DialogState.Terminated || !this.matchesRequest(request)) {
      return { status: 481, reason: 'Call/Transaction Does Not Exist' };
    }
    const method = request.method;
    const seq = request.cseq.seq;
    if (method === 'ACK' || method === 'CANCEL') {
      // RFC 3261 §13.2.2.4 / §9.1: ACK and CANCEL reuse the CSeq number of the INVITE.
      return undefined;
    }
    if (this._remoteSeq !== undefined) {
      // RFC 3261 §12.2.2: If the remote sequence number was not empty, but the sequence number of
      // the request is lower than the remote sequence number, the request is out of order and
      // MUST be rejected with a 500 (Server Internal Error) response.
      // DEVIATION(RFC 3261 §12.2.2): an equal number is refused too. The transaction layer
      // absorbs retransmissions, so an equal number here is a new request reusing a CSeq,
      // which §12.2.1.1 forbids ("increasing-by-one").
      if (seq <= this._remoteSeq) {
        this.logger.debug('out-of-order request', { method, cseq: seq, remoteSeq: this._remoteSeq });
        return { status: 500, reason: 'CSeq Out of Order' };
      }
    }
    // RFC 3261 §12.2.2: If the remote sequence number is empty, it MUST be set to the value of
    // the sequence number in the CSeq header field value in the request.
    this._remoteSeq = seq;
    if (method === 'INVITE') {
      if (this.inviteOutgoing !== undefined) {
        // RFC 3261 §14.2: A UAS that receives an INVITE on a dialog while an INVITE it had sent on
        // that dialog is in progress MUST return a 491 (Request Pending) response to the received INVITE.
        return { status: 491, reason: 'Request Pending' };
      }
      if (this.inviteIncoming !== undefined) {
        // RFC 3261 §14.2: A UAS that receives a second INVITE before it sends the final response to
        // a first INVITE with a lower CSeq sequence number on the same dialog MUST return a 500
        // (Server Internal Error) response to the second INVITE and MUST include a Retry-After
        // header field with a randomly chosen value of between 0 and 10 seconds.
        return { status: 500, reason: 'Server Internal Error', retryAfter: Math.floor(clampUnit(this.random()) * 11) };
      }
      this.inviteIncoming = seq;
    }
    if (TARGET_REFRESH_METHODS.has(method)) {
      // RFC 3261 §12.2.2: When a UAS receives a target refresh request, it MUST replace the
      // dialog's remote target URI with the URI from the Contact header field in that request,
      // if present.
      const target = contactUri(request);
      if (target) this._remoteTarget = target;
    }
    if (method === 'BYE') this.transition(DialogState.Terminated, 'bye');
    return undefined;
  }

  /**
   * Processes a response to a request we sent in this dialog (or to the dialog-creating
   * INVITE): 2xx to the INVITE confirms an early dialog and recomputes its route set
   * (§13.2.2.4); 2xx to a target refresh request replaces the remote target (§12.2.1.2); 481 or
   * 408 terminates the dialog (§12.2.1.2); a non-2xx final response to the INVITE of an early
   * dialog terminates it (§12.3). Changes are reported by {@link Dialog.onDidChangeState}.
   * @throws SdkError(INVALID_ARGUMENT) when the response belongs to another dialog
   */
  receiveResponse(response: SipResponse): void {
    if (this._state === DialogState.Terminated) return;
    if (!this.matchesResponse(response)) throw invalidArgument('the response belongs to another dialog');
    const { method, seq } = response.cseq;
    const status = response.status;
    if (status < 200) return;
    if (method === 'INVITE' && this.inviteOutgoing === seq) this.inviteOutgoing = undefined;
    if (status >= 200 && status < 300) {
      if (method === 'INVITE' && this._state === DialogState.Early) {
        // RFC 3261 §13.2.2.4: If the dialog identifier in the 2xx response matches the dialog
        // identifier of an existing dialog, the dialog MUST be transitioned to the "confirmed"
        // state, and the route set for the dialog MUST be recomputed based on the 2xx response
        // using the procedures of Section 12.2.1.2.
        if (this.role === 'uac') this._routeSet = [...(response.get(H.RecordRoute) ?? [])].reverse().map(cloneNameAddr);
        const target = contactUri(response);
        if (target) this._remoteTarget = target;
        this.transition(DialogState.Confirmed, '2xx');
        return;
      }
      if (TARGET_REFRESH_METHODS.has(method)) {
        // RFC 3261 §12.2.1.2: When a UAC receives a 2xx response to a target refresh request, it
        // MUST replace the dialog's remote target URI with the URI from the Contact header field
        // in that response, if present.
        const target = contactUri(response);
        if (target) this._remoteTarget = target;
      }
      if (method === 'BYE') this.transition(DialogState.Terminated, 'bye');
      return;
    }
    if (status === 481 || status === 408) {
      // RFC 3261 §12.2.1.2: If the response for a request within a dialog is a 481
      // (Call/Transaction Does Not Exist) or a 408 (Request Timeout), the UAC SHOULD terminate the dialog.
      this.transition(DialogState.Terminated, String(status));
      return;
    }
    if (method === 'INVITE' && this._state === DialogState.Early) {
      // RFC 3261 §12.3: Independent of the method, if a request outside of a dialog generates a
      // non-2xx final response, any early dialogs created through provisional responses to that
      // request are terminated.
      this.transition(DialogState.Terminated, 'final-response');
      return;
    }
    // RFC 3261 §15.1.1: the UAC considers the session terminated once the BYE is sent, whatever
    // the response. A 401/407 challenge keeps the dialog so the BYE can be resent with credentials.
    if (method === 'BYE' && status !== 401 && status !== 407) this.transition(DialogState.Terminated, 'bye');
  }

  /**
   * Tells the dialog about a response we send to a request of the dialog (UAS side). A final
   * response to the peer's INVITE ends its "in progress" state (§14.2); a 2xx to the INVITE of an
   * early dialog confirms it; a non-2xx final response to it terminates the early dialog (§12.3).
   */
  noteResponseSent(response: SipResponse): void {
    if (this._state === DialogState.Terminated) return;
    const { method, seq } = response.cseq;
    if (method !== 'INVITE' || response.status < 200 || this.inviteIncoming !== seq) return;
    this.inviteIncoming = undefined;
    if (this._state !== DialogState.Early) return;
    if (response.status < 300) this.transition(DialogState.Confirmed, '2xx');
    else this.transition(DialogState.Terminated, 'final-response');
  }

  /**
   * Tells the dialog that a request of ours got no response at all (the client transaction
   * timed out). RFC 3261 §12.2.1.2: A UAC SHOULD also terminate a dialog if no response at all
   * is received for the request.
   */
  noteRequestTimeout(_method: string): void {
    if (this._state === DialogState.Terminated) return;
    this.transition(DialogState.Terminated, 'timeout');
  }

  /** Terminates the dialog (e.g. after a BYE transaction, or when its last usage ends). */
  terminate(cause = 'local'): void {
    if (this._state === DialogState.Terminated) return;
    this.transition(DialogState.Terminated, cause);
  }

  /** Terminates the dialog if it is live (cause `disposed`) and releases its listeners. */
  override dispose(): void {
    if (this.isDisposed) return;
    if (this._state !== DialogState.Terminated) {
      this.transition(DialogState.Terminated, 'disposed');
      return;
    }
    super.dispose();
  }

  private transition(to: DialogState, cause: string): void {
    const from = this._state;
    if (!DIALOG_EDGES[from].includes(to)) throw new InvalidStateError(`dialog cannot go from ${from} to ${to}`, from);
    this._state = to;
    this.logger.debug('dialog state', { from, to, cause });
    this._onDidChangeState.fire({ dialog: this, previous: from, state: to, cause });
    if (to === DialogState.Terminated) {
      this.inviteOutgoing = undefined;
      this.inviteIncoming = undefined;
      this.dispose();
    }
  }

  private assertUsable(method: string): void {
    if (this._state === DialogState.Terminated) throw new InvalidStateError(`cannot build ${method}: the dialog is terminated`, this._state);
  }

  private initialSeq(): number {
    return 1 + Math.floor(clampUnit(this.random()) * (2 ** 31 - 1));
  }

  private buildRequest(method: string, seq: number, options: DialogRequestOptions): SipRequest {
    const { uri, routes } = this.requestTarget();
    const req = new SipRequest(method, uri);
    if (routes.length) req.set(H.Route, routes);
    req.set(H.MaxForwards, MAX_FORWARDS);
    // RFC 3261 §12.2.1.1: The URI in the To field of the request MUST be set to the remote URI
    // from the dialog state. The tag in the To header field of the request MUST be set to the
    // remote tag of the dialog ID. The From URI of the request MUST be set to the local URI from
    // the dialog state. The tag in the From header field of the request MUST be set to the local
    // tag of the dialog ID. The Call-ID of the request MUST be set to the Call-ID of the dialog.
    req.set(H.To, withTag(this.remoteUri, this.id.remoteTag));
    req.set(H.From, withTag(this.localUri, this.id.localTag));
    req.set(H.CallId, this.id.callId);
    req.set(H.CSeq, { seq, method });
    applyExtraHeaders(req, options.headers);
    if (options.body !== undefined) {
      req.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
      if (options.contentType) req.setHeader('Content-Type', options.contentType);
    }
    return req;
  }

  /** Request-URI and Route values from the remote target and route set (RFC 3261 §12.2.1.1). */
  private requestTarget(): { uri: Uri; routes: NameAddr[] } {
    const first = this._routeSet[0];
    if (!first) {
      // RFC 3261 §12.2.1.1: If the route set is empty, the UAC MUST place the remote target URI
      // into the Request-URI. The UAC MUST NOT add a Route header field to the request.
      return { uri: toRequestUri(this._remoteTarget), routes: [] };
    }
    if (isLooseRoute(first.uri)) {
      // RFC 3261 §12.2.1.1: If the route set is not empty, and the first URI in the route set
      // contains the lr parameter, the UAC MUST place the remote target URI into the Request-URI
      // and MUST include a Route header field containing the route set values in order,
      // including all parameters.
      return { uri: toRequestUri(this._remoteTarget), routes: this._routeSet.map(cloneNameAddr) };
    }
    // RFC 3261 §12.2.1.1: If the route set is not empty, and its first URI does not contain the
    // lr parameter, the UAC MUST place the first URI from the route set into the Request-URI,
    // stripping any parameters that are not allowed in a Request-URI. The UAC MUST add a Route
    // header field containing the remainder of the route set values in order, including all
    // parameters. The UAC MUST then place the remote target URI into the Route header field as
    // the last value.
    const routes = this._routeSet.slice(1).map(cloneNameAddr);
    routes.push({ displayName: undefined, uri: cloneUri(this._remoteTarget), params: new Map() });
    return { uri: toRequestUri(first.uri), routes };
  }
}
