/**
 * The built-in Genesys third-party call control provider (genesys-compat §1, §3): auto-answer on
 * the SIP Server's markers and on `policy.session.auto_answer`, the headset policy
 * (`policy.device.use_headset`, `policy.session.reject_session_when_headset_na`,
 * `sip_code_when_headset_na`), and the implied `talk` / `hold` NOTIFY packages.
 *
 * The SIP side that needs no policy lives in the signaling UA: `Allow-Events: talk, hold, refer,
 * conference` on INVITE/180/200, 489 to SUBSCRIBE talk, 200 to every in-dialog NOTIFY, the
 * offer-less re-INVITE answered with a fresh offer and the late ACK of RFC 3725.
 */
import type { CallControlProvider, IncomingCallDecision, IncomingCallInfo, SessionControl, UnsolicitedNotify } from '../api';
import { findAutoAnswerMarkers, type AutoAnswerMarkerSource } from './markers';

/**
 * The settings the provider reads, by their Genesys paths. `EndpointConfig` from
 * `@sip-endpoint/config` has this shape, so `() => configurationService.config` fits; every
 * field is optional and falls back to the Genesys default.
 */
export interface GenesysPolicySettings {
  readonly policy?: {
    readonly session?: {
      /** `policy.session.auto_answer`: answer every incoming call (default false). */
      readonly auto_answer?: boolean;
      /** `policy.session.reject_session_when_headset_na` (default false). */
      readonly reject_session_when_headset_na?: boolean;
      /** `policy.session.sip_code_when_headset_na` (default 480). */
      readonly sip_code_when_headset_na?: number;
    };
    readonly device?: {
      /** `policy.device.use_headset`: a headset is required (default false). */
      readonly use_headset?: boolean;
    };
  };
}

/** What the audio device layer says about the devices right now. */
export interface GenesysDeviceStatus {
  /** Whether a device matching `policy.device.headset_name` is present. */
  readonly headsetPresent: boolean;
}

/** Options of {@link createGenesysProvider}. */
export interface GenesysProviderOptions {
  /**
   * The current settings; called on every incoming call, so live changes apply to the next call
   * (the settings are `applies: 'live'`).
   */
  readonly settings: () => GenesysPolicySettings;
  /** The current device status; called on every incoming call when `use_headset` is on. */
  readonly deviceStatus: () => GenesysDeviceStatus;
  /** Provider id for logs (default `genesys`). */
  readonly id?: string;
}

/** Default of `policy.session.sip_code_when_headset_na` (genesys-compat §3). */
export const DEFAULT_SIP_CODE_WHEN_HEADSET_NA = 480;

/** Reason phrase of the rejection when the headset is missing. */
export const HEADSET_NA_REASON = 'Headset Not Available';

/** Why the provider answers a call by itself. */
export type AutoAnswerReason = AutoAnswerMarkerSource | 'policy';

/** The provider's reading of an incoming call (what {@link evaluateIncomingCall} returns). */
export interface GenesysCallEvaluation {
  /** The markers and policy that ask for auto-answer, with their delays. */
  readonly requested: readonly { readonly reason: AutoAnswerReason; readonly delayMs: number }[];
  /** True when auto-answer was requested but the headset policy blocks it. */
  readonly blockedByHeadset: boolean;
  /** The decision handed to the endpoint (`undefined`: no opinion, the call just rings). */
  readonly decision: IncomingCallDecision | undefined;
}

/**
 * Decides about one incoming call, without side effects (the provider's `onIncomingCall` is this
 * plus nothing). Rules, in order:
 * 1. headset unavailable (`use_headset` on and `deviceStatus().headsetPresent` false) and
 *    `reject_session_when_headset_na` on: reject with `sip_code_when_headset_na` (default 480);
 * 2. auto-answer requested (any marker, or `auto_answer` on) and headset unavailable: `{}` (an
 *    explicit "ring": later providers cannot auto-answer it; manual answer still works);
 * 3. auto-answer requested: answer after the smallest requested delay (markers other than
 *    `Call-Info;answer-after=N` and the policy mean 0);
 * 4. otherwise `undefined`.
 */
export function evaluateIncomingCall(call: Pick<IncomingCallInfo, 'header'>, options: Pick<GenesysProviderOptions, 'settings' | 'deviceStatus'>): GenesysCallEvaluation {
  const settings = options.settings();
  const session = settings.policy?.session ?? {};
  const useHeadset = settings.policy?.device?.use_headset === true;
  // genesys-compat §3: "When device conditions are not met, auto-answer is blocked (manual answer
  // still works); with reject_session_when_headset_na=1 an incoming call is rejected".
  // The device condition exists only when use_headset=1 (the headset is required).
  const headsetUnavailable = useHeadset && !options.deviceStatus().headsetPresent;

  const requested: { reason: AutoAnswerReason; delayMs: number }[] = findAutoAnswerMarkers((n) => call.header(n)).map((m) => ({ reason: m.source, delayMs: m.delayMs }));
  if (session.auto_answer === true) requested.push({ reason: 'policy', delayMs: 0 });

  if (headsetUnavailable && session.reject_session_when_headset_na === true) {
    const code = validRejectCode(session.sip_code_when_headset_na);
    return { requested, blockedByHeadset: requested.length > 0, decision: { rejectWith: { code, reason: HEADSET_NA_REASON } } };
  }
  if (requested.length === 0) return { requested, blockedByHeadset: false, decision: undefined };
  if (headsetUnavailable) return { requested, blockedByHeadset: true, decision: {} };
  const delayMs = Math.min(...requested.map((r) => r.delayMs));
  return { requested, blockedByHeadset: false, decision: { autoAnswerAfterMs: delayMs } };
}

function validRejectCode(code: number | undefined): number {
  // RFC 3261 §21.4-§21.6: a rejection is a 4xx, 5xx or 6xx final response.
  return code !== undefined && Number.isInteger(code) && code >= 400 && code <= 699 ? code : DEFAULT_SIP_CODE_WHEN_HEADSET_NA;
}

/** What the provider did with an unsolicited NOTIFY (see {@link handleGenesysNotify}). */
export type GenesysNotifyAction = 'answer' | 'retrieve' | 'hold' | 'none';

/**
 * Picks the action for an unsolicited in-dialog NOTIFY (genesys-compat §1):
 * `Event: talk` answers a ringing incoming call (TAnswerCall) or retrieves a held one
 * (TRetrieveCall); `Event: hold` holds a connected call (THoldCall). Anything else, or a
 * session in a state where the request means nothing (already connected and not held, already
 * held, ended), is `'none'`.
 */
export function notifyAction(event: string, session: Pick<SessionControl, 'state' | 'held' | 'direction'>): GenesysNotifyAction {
  const pkg = event.trim().toLowerCase();
  if (pkg === 'talk') {
    if (session.state === 'Alerting' && session.direction === 'incoming') return 'answer';
    if (session.state === 'Connected' && session.held) return 'retrieve';
    return 'none';
  }
  if (pkg === 'hold') {
    if (session.state === 'Connected' && !session.held) return 'hold';
    return 'none';
  }
  return 'none';
}

/**
 * Runs {@link notifyAction} on the session. Resolves with the action once the verb settled
 * (`answer()` / `hold()` / `retrieve()`; a rejection of the verb propagates: the endpoint logs it,
 * the NOTIFY was already answered 200 by the UA).
 */
export async function handleGenesysNotify(notify: Pick<UnsolicitedNotify, 'event'>, session: SessionControl): Promise<GenesysNotifyAction> {
  const action = notifyAction(notify.event, session);
  if (action === 'answer') await session.answer();
  else if (action === 'retrieve') await session.retrieve();
  else if (action === 'hold') await session.hold();
  return action;
}

/** Event packages the provider acts on. */
const PACKAGES = new Set(['talk', 'hold']);

/**
 * Creates the Genesys 3pcc call-control provider. Register it with
 * `endpoint.registerCallControlProvider(...)` (the endpoint registers it first by default).
 *
 * - `onIncomingCall`: see {@link evaluateIncomingCall}; settles at once (no I/O).
 * - `onNotify`: `talk` / `hold` as {@link notifyAction} says; resolves `true` for these two
 *   packages once the verb settled (the session's state/hold events report the outcome), `false`
 *   for other packages.
 * - `provideHeaders`: none. `Allow-Events: talk, hold, refer, conference` is already added by the
 *   signaling UA to INVITE/180/200; adding it here would duplicate the header.
 */
export function createGenesysProvider(options: GenesysProviderOptions): CallControlProvider {
  return {
    id: options.id ?? 'genesys',
    onIncomingCall(call) {
      return evaluateIncomingCall(call, options).decision;
    },
    async onNotify(notify, session) {
      if (!PACKAGES.has(notify.event.trim().toLowerCase())) return false;
      await handleGenesysNotify(notify, session);
      return true;
    },
  };
}
