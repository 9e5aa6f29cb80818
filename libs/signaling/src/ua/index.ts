/** The UA layer: the stack core, registration, INVITE sessions, the user agent. */
export {
  SipStack,
  DEFAULT_UAS_CAPABILITIES,
  isSyntheticResponse,
  type SipStackOptions,
  type IncomingRequestEvent as StackRequestEvent,
  type OutgoingRequest,
  type OutgoingRequestHandlers,
} from './stack';
export { Registration, RegistrationState, type RegistrationOptions, type RegistrationStateChange } from './registration';
export { type RequestAuthenticator, sendWithAuth, type SendWithAuthOptions } from './auth-retry';
export {
  InviteSession,
  SessionState,
  parseSipfrag,
  type SessionEndCause,
  type SessionStateChange,
  type SessionContext,
  type IncomingRefer,
  type ReferProgress,
  type InviteOptions,
} from './invite-session';
export { type SessionDescriptionHandler } from './sdh';
export { UserAgent, DEFAULT_ALLOW_EVENTS, ALLOWED_METHODS, type UserAgentDelegate, type UserAgentOptions } from './user-agent';
export { Registrar, type RegistrarOptions, type Binding } from './registrar';
