/**
 * The Genesys third-party call control provider (built into the endpoint, registered through the
 * public provider API like any other).
 */
export {
  createGenesysProvider,
  evaluateIncomingCall,
  notifyAction,
  handleGenesysNotify,
  DEFAULT_SIP_CODE_WHEN_HEADSET_NA,
  HEADSET_NA_REASON,
  type GenesysProviderOptions,
  type GenesysPolicySettings,
  type GenesysDeviceStatus,
  type GenesysCallEvaluation,
  type GenesysNotifyAction,
  type AutoAnswerReason,
} from './provider';
export {
  findAutoAnswerMarkers,
  parseCallInfoAnswerAfter,
  alertInfoAsksAutoAnswer,
  answerModeIsAuto,
  MAX_ANSWER_AFTER_SECONDS,
  type AutoAnswerMarker,
  type AutoAnswerMarkerSource,
} from './markers';
