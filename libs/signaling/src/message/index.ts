/** The message layer: RFC 3261 §7, §20, §25. */
export * from './types';
export { SipHeaders, type HeaderField, type HeaderCodec } from './headers';
export { COMPACT_FORMS, headerKey, canonicalHeaderName } from './header-names';
export { SipMessageBase, SipRequest, SipResponse, type SipMessage } from './message';
export { H } from './codecs';
export { formatUri, formatNameAddr, formatVia, formatParams, formatCSeq, formatMediaType, formatAuth, quote, isToken } from './format';
export { SipParseError, SipLimitError } from './errors';
export {
  parseUri,
  parseNameAddr,
  parseNameAddrList,
  parseViaList,
  parseCSeq,
  parseMediaType,
  parseMediaTypeList,
  parseAuth,
  parseEvent,
  parseTokenList,
  parseSubscriptionState,
  parseReplaces,
  parseReferToReplaces,
  parseInfoList,
  parseReasonList,
  parseRetryAfter,
  parseDeltaSeconds,
  uriEquals,
  unescapeUri,
} from './parse-values';
export { parseMessage, type ParseMessageOptions } from './parser';
export { validateRequest, checkMessage, type UasCapabilities, type ValidationFailure } from './validate';
export { createResponse, newBranch, randomToken, REASON_PHRASES } from './builders';
