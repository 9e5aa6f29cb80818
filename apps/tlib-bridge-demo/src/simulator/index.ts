/**
 * @packageDocumentation
 * The simulated SIP Server of the T-Lib bridge demo: registrar + B2BUA + RTP relay + 3pcc driver
 * on 127.0.0.1. Other apps (sample-desktop) embed it as their SIP Server.
 */
export {
  startSimulatedSipServer,
  TlibRequestError,
  type SimulatorOptions,
  type SimulatedSipServer,
  type DriverRequestOptions,
} from './server';
export {
  TLIB_REQUESTS,
  PartyState,
  type TlibRequestName,
  type TlibEventName,
  type TlibCallState,
  type TlibPartyRole,
  type CallEvent,
  type CallSnapshot,
  type SipTrace,
} from './types';
export { RtpRelay, RelayPort } from './relay';
