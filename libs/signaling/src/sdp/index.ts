/** The sdp layer: RFC 3264 offer/answer with RFC 8866 SDP, on top of sdp-transform. */
export * from './types';
export { SdpSession, SdpSessionState, type SdpSessionOptions } from './session';
export { SdpNegotiationError, SdpFailureReason, type SdpStreamFailure } from './errors';
export { createSdesCrypto, SDES_KEY_LENGTHS } from './crypto';
export { STATIC_PAYLOAD_TYPES, DYNAMIC_PAYLOAD_TYPE_MIN, DYNAMIC_PAYLOAD_TYPE_MAX } from './codecs';
export { SdpOfferAnswerHandler, type SdpOfferAnswerHandlerOptions } from './handler';
