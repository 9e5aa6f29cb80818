/** The T-Lib vocabulary the simulated SIP Server speaks (genesys-compat §5). */

/** T-Lib requests the simulator understands. */
export const TLIB_REQUESTS = [
  'TRegisterAddress',
  'TMakeCall',
  'TAnswerCall',
  'THoldCall',
  'TRetrieveCall',
  'TReleaseCall',
  'TInitiateTransfer',
  'TCompleteTransfer',
  'TSingleStepTransfer',
  'TInitiateConference',
  'TCompleteConference',
  'TSendDTMF',
] as const;

/** A T-Lib request name. */
export type TlibRequestName = (typeof TLIB_REQUESTS)[number];

/** A T-Lib event name (plus `EventRtpStats`, this demo's statistics push). */
export type TlibEventName =
  | 'EventRegistered'
  | 'EventDialing'
  | 'EventRinging'
  | 'EventEstablished'
  | 'EventHeld'
  | 'EventRetrieved'
  | 'EventReleased'
  | 'EventAbandoned'
  | 'EventDestinationBusy'
  | 'EventPartyChanged'
  | 'EventPartyAdded'
  | 'EventPartyDeleted'
  | 'EventDTMFSent'
  | 'EventError'
  | 'EventRtpStats';

/**
 * The T-Lib `CallState` attribute: `Ok` for a plain call, `Transferred` / `Conferenced` after a
 * completed transfer or conference, `Busy` when the destination refused, `Dropped` when a party
 * left because the other did.
 */
export type TlibCallState = 'Ok' | 'Transferred' | 'Conferenced' | 'Busy' | 'NoAnswer' | 'Dropped';

/** The role of ThisDN in the call (T-Lib `ThisDNRole`). */
export type TlibPartyRole = 'Origination' | 'Destination' | 'ConferenceMember';

/** One event the simulator emits about a call party. */
export interface CallEvent {
  readonly event: TlibEventName;
  /** The T-Lib ConnID of the call (16 hex digits). */
  readonly connId: string;
  /** The DN the event is for. */
  readonly thisDN: string;
  /** The other party (the added/deleted party for PartyAdded/PartyDeleted). */
  readonly otherDN?: string | undefined;
  readonly callState: TlibCallState;
  readonly thisDNRole?: TlibPartyRole | undefined;
  /** For EventPartyChanged: the ConnID the party had before the calls merged. */
  readonly previousConnId?: string | undefined;
  /** Every live party of the call after the change. */
  readonly parties?: readonly string[] | undefined;
  /** For EventDTMFSent. */
  readonly dtmfDigits?: string | undefined;
  /** The request that caused the event, when one did. */
  readonly referenceId?: number | undefined;
  /** The SIP status / end cause behind a release, when known. */
  readonly cause?: string | undefined;
  /** Packets relayed for the call so far. */
  readonly relayedPackets?: number | undefined;
  /** For an `EventError` about the call (e.g. the destination answered 404): an `ErrorCode`. */
  readonly errorCode?: string | undefined;
  /** For an `EventError` about the call: what failed, with the SIP status. */
  readonly errorMessage?: string | undefined;
}

/** The state of a party of a call, as the thin client shows it. */
export enum PartyState {
  Dialing = 'Dialing',
  Ringing = 'Ringing',
  Established = 'Established',
  Held = 'Held',
  Released = 'Released',
}

/** A call as the simulator sees it now. */
export interface CallSnapshot {
  readonly connId: string;
  readonly parties: readonly { readonly dn: string; readonly state: PartyState; readonly role: TlibPartyRole; readonly callId: string | undefined }[];
  readonly relayedPackets: number;
}

/** One SIP message the simulator sent or received (for the demo's trace). */
export interface SipTrace {
  readonly direction: 'in' | 'out';
  /** The DN whose endpoint is the peer, when known. */
  readonly dn: string | undefined;
  /** Start line plus Event / Call-Info when present, e.g. `INVITE sip:1001@... (Call-Info: ...)`. */
  readonly summary: string;
  readonly callId: string;
}
