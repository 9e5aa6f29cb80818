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
  type GlareRetry,
  type UnsolicitedNotifyEvent,
  NOTIFY_RESPONSE_WAIT_MS,
  REFER_PROGRESS_TIMEOUT_MS,
} from './invite-session';
export { type SessionDescriptionHandler } from './sdh';
export { UserAgent, DEFAULT_ALLOW_EVENTS, ALLOWED_METHODS, type UserAgentDelegate, type UserAgentOptions } from './user-agent';
export { Registrar, type RegistrarOptions, type Binding } from './registrar';
export { UaSubscription, type UaSubscribeOptions, type UaSubscriptionContext, type UaNotifyEvent, type UaSubscriptionStateChange } from './subscriber';
export {
  parseMessageSummary,
  formatMessageSummary,
  MessageSummaryParseError,
  MessageSummarySubscription,
  MESSAGE_SUMMARY_CONTENT_TYPE,
  MESSAGE_SUMMARY_EVENT,
  type MessageSummary,
  type MessageCounts,
  type MessageSummaryChange,
} from './message-summary';
