/** The dialog layer: RFC 3261 §12-§14 dialogs; RFC 6665 subscriptions; RFC 3515 REFER subscriptions. */
export {
  Dialog,
  DialogState,
  dialogIdKey,
  glareRetryDelayMs,
  TARGET_REFRESH_METHODS,
  type DialogId,
  type DialogRole,
  type DialogStateChange,
  type DialogRejection,
  type DialogOptions,
  type DialogRequestOptions,
} from './dialog';
export { DialogRegistry, type DialogRegistryChange } from './registry';
export { type ExtraHeaders as DialogExtraHeaders } from './util';
export {
  Subscription,
  SubscriptionState,
  type SubscriptionOptions,
  type SubscriptionTarget,
  type SubscriptionTermination,
  type SubscriptionRetry,
  type SubscriptionStateInfo,
  type SubscriptionNotifyEvent,
  type SubscriptionStateChange,
  type SubscriptionRefreshEvent,
  type NotifyVerdict,
} from './subscription';
export {
  Notifier,
  NotifierState,
  type NotifierOptions,
  type EventPackagePolicy,
  type NotifyBody,
  type NotifierStateChange,
  type NotifierNotifyEvent,
  type SubscribeVerdict,
  type SubscribeRefreshResult,
} from './notifier';
export {
  SIPFRAG_CONTENT_TYPE,
  REFER_EVENT,
  formatSipfragStatus,
  parseSipfragStatus,
  referSubscriptionRequested,
  referEventId,
  type SipfragStatus,
} from './sipfrag';
