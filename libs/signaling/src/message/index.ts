/** The message layer: RFC 3261 §7, §20, §25. */
export * from './types';
export { SipHeaders, type HeaderField, type HeaderCodec } from './headers';
export { COMPACT_FORMS, headerKey, canonicalHeaderName } from './header-names';
export { SipMessageBase, SipRequest, SipResponse, type SipMessage } from './message';
export { H } from './codecs';
export { formatUri, formatNameAddr, formatVia, formatParams, formatCSeq, formatMediaType, formatAuth, quote, isToken } from './format';
export { SipParseError, SipLimitError } from './errors';
export { parseUri, parseNameAddr } from './parse-values';
export { createResponse, newBranch, randomToken, REASON_PHRASES } from './builders';
