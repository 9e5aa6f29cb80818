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
export { type ExtraHeaders } from './util';
