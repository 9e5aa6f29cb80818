/**
 * Public types of the SDP offer/answer layer (RFC 3264 on RFC 8866 SDP): what we can do (the
 * local capability description), how an offer or answer is made (options), and what came out
 * of a negotiation (the typed result the endpoint hands to the media engine).
 */

/** A media stream direction attribute (RFC 8866 §6.7), always from the point of view of the side that wrote it. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/**
 * How we put the remote on hold in an SDP we send:
 * - `rfc3264`: RFC 3264 §8.4, the direction becomes `sendonly` (or `inactive` when we were not sending);
 * - `legacy`: the RFC 2543 style, `c=IN IP4 0.0.0.0`, plus the same direction attribute as `rfc3264`.
 */
export type SdpHoldStyle = 'rfc3264' | 'legacy';

/**
 * The order of codecs in an answer: `local` is our priority order (the default), `remote` is
 * the offerer's order (what RFC 3264 §6.1 recommends when there is no reason to prefer ours).
 */
export type SdpCodecOrder = 'local' | 'remote';

/** A media kind this layer negotiates. Other media types (`image`, `application`, ...) are always rejected. */
export type SdpMediaKind = 'audio' | 'video';

/**
 * One codec we can use, as it appears in an `a=rtpmap` line (RFC 8866 §6.6).
 * Codecs with a static payload type (RFC 3551 §6: PCMU 0, GSM 3, G723 4, PCMA 8, G722 9, CN 13,
 * G729 18, H261 31, H263 34, ...) get that number; the others get a dynamic one (96-127).
 */
export interface CodecSpec {
  /** Encoding name, matched case-insensitively: `PCMU`, `opus`, `H264`. */
  readonly name: string;
  /** RTP clock rate in Hz (G722 is 8000 by RFC 3551 §4.5.2; opus is always 48000). */
  readonly clockRate: number;
  /** Audio channels; 1 when absent (opus is always 2 by RFC 7587 §7). */
  readonly channels?: number;
  /** Our `a=fmtp` parameters for this codec, e.g. `useinbandfec=1` or `packetization-mode=1;profile-level-id=42e01f`. */
  readonly fmtp?: string;
  /** Preferred dynamic payload type (96-127) for offers; ignored for static codecs or when already taken. */
  readonly payloadType?: number;
}

/** RFC 4733 telephone-event (DTMF) support. */
export interface TelephoneEventSpec {
  /** Clock rate; offers use 8000 when absent; answers then accept any offered rate. */
  readonly clockRate?: number;
  /** Events we handle, RFC 4733 §7.1.1 list syntax (`0-16`); offers use `0-16` when absent; answers then echo the offer's list. */
  readonly events?: string;
}

/** One RFC 4568 SDES crypto suite we support, with our key for it. */
export interface SdesCrypto {
  /** Crypto suite name, e.g. `AES_CM_128_HMAC_SHA1_80`. */
  readonly suite: string;
  /** Our key parameters, e.g. `inline:<base64 key||salt>` (optionally `|2^31|1:1`); see {@link createSdesCrypto}. */
  readonly keyParams: string;
  /** Session parameters (RFC 4568 §6.3), e.g. `UNENCRYPTED_SRTCP`; absent for none. */
  readonly sessionParams?: string;
}

/**
 * When SRTP is used, given {@link MediaCapabilities.crypto}:
 * - `mandatory` (default): offers use `RTP/SAVP`; answers reject a plain `RTP/AVP` stream without a usable `a=crypto`;
 * - `optional`: offers use `RTP/AVP` with `a=crypto` ("best effort SRTP"); answers accept plain RTP too.
 */
export type SrtpPolicy = 'mandatory' | 'optional';

/** What we can do for one media kind. */
export interface MediaCapabilities {
  /** Codecs in priority order, most preferred first. Must not be empty. */
  readonly codecs: readonly CodecSpec[];
  /** Whether we can multiplex RTP and RTCP on one port (RFC 5761); offered when true, answered only if offered. */
  readonly rtcpMux?: boolean;
  /** SDES suites we support, most preferred first, each with our key (RFC 4568); none means plain RTP only. */
  readonly crypto?: readonly SdesCrypto[];
  /** How SRTP is required when {@link MediaCapabilities.crypto} is set. */
  readonly srtp?: SrtpPolicy;
}

/** What we can do for audio. */
export interface AudioCapabilities extends MediaCapabilities {
  /** RFC 4733 DTMF: `true` for the defaults, an object to restrict the clock rate or the events. */
  readonly telephoneEvent?: boolean | TelephoneEventSpec;
  /** Packetization time in ms we want to receive (`a=ptime`, RFC 8866 §6.4). */
  readonly ptime?: number;
}

/** What we can do for video. */
export type VideoCapabilities = MediaCapabilities;

/** The local side of a session: where we receive media and what we can do. */
export interface SdpLocalDescription {
  /** Our media address, written in `c=` (and in `o=` of the first SDP of the session). */
  readonly address: string;
  /** Our RTP port per media kind; a kind with capabilities but no port is not offered (and rejected in answers). */
  readonly ports: { readonly audio?: number; readonly video?: number };
  /** Audio capabilities; absent means no audio. */
  readonly audio?: AudioCapabilities;
  /** Video capabilities; absent means no video. */
  readonly video?: VideoCapabilities;
  /** `s=` line; `-` when absent. */
  readonly sessionName?: string;
  /** `o=` user name; `-` when absent. Fixed by the first SDP of the session. */
  readonly username?: string;
}

/** Options of {@link SdpSession.createOffer}. */
export interface SdpOfferOptions {
  /** The direction we want before hold is applied; `sendrecv` when absent. */
  readonly direction?: MediaDirection;
  /** Put the remote on hold, in this style. */
  readonly hold?: SdpHoldStyle;
}

/** Options of {@link SdpSession.createAnswer}. */
export interface SdpAnswerOptions extends SdpOfferOptions {
  /** Codec order in the answer; `local` (our priority order) when absent. */
  readonly codecOrder?: SdpCodecOrder;
  /** Answer at most this many codecs per stream (telephone-event not counted); all common codecs when absent. */
  readonly maxCodecs?: number;
}

/** A codec both sides agreed on. */
export interface NegotiatedCodec {
  /** Payload type to send this codec with (the number the remote's SDP uses). */
  readonly payloadType: number;
  /** Payload type we receive this codec with (the number our SDP uses). Equal to `payloadType` when we answered. */
  readonly receivePayloadType: number;
  /** Encoding name as the remote wrote it. */
  readonly name: string;
  /** RTP clock rate. */
  readonly clockRate: number;
  /** Channels (1 unless stated). */
  readonly channels: number;
  /** The remote's `a=fmtp` for it (how the remote wants to receive it), if any. */
  readonly fmtp?: string;
  /** Our `a=fmtp` for it, if any. */
  readonly localFmtp?: string;
}

/** The negotiated RFC 4733 telephone-event format. */
export interface NegotiatedTelephoneEvent {
  /** Payload type to send DTMF with. */
  readonly payloadType: number;
  /** Payload type we receive DTMF on. */
  readonly receivePayloadType: number;
  /** Clock rate. */
  readonly clockRate: number;
  /** Events the remote accepts (its fmtp); `0-15` is implied when absent (RFC 4733 §7.1.1). */
  readonly events?: string;
}

/** The negotiated RFC 4568 SDES choice of a stream. */
export interface NegotiatedCrypto {
  /** The `a=crypto` tag both sides used. */
  readonly tag: number;
  /** The suite, e.g. `AES_CM_128_HMAC_SHA1_80`. */
  readonly suite: string;
  /** Our key parameters (we encrypt what we send with them). */
  readonly localKeyParams: string;
  /** Our session parameters, if any. */
  readonly localSessionParams?: string;
  /** The remote's key parameters (we decrypt what we receive with them). */
  readonly remoteKeyParams: string;
  /** The remote's session parameters, if any. */
  readonly remoteSessionParams?: string;
}

/** Why a stream ended up with port 0. */
export type StreamRejectReason =
  /** The offer itself had port 0 for it. */
  | 'disabled-in-offer'
  /** We have no capabilities (or no port) for this media type. */
  | 'unsupported-media'
  /** The transport protocol is not RTP/AVP, RTP/SAVP, RTP/AVPF or RTP/SAVPF (e.g. DTLS `UDP/TLS/RTP/SAVPF`). */
  | 'unsupported-transport'
  /** No offered codec is one of ours. */
  | 'no-common-codec'
  /** `RTP/SAVP(F)` offered but no `a=crypto` suite we support. */
  | 'no-common-crypto'
  /** Plain RTP offered but our SRTP policy is `mandatory`. */
  | 'srtp-required'
  /** A second stream of a media type we already accepted in this SDP (we run one stream per type). */
  | 'duplicate-media'
  /** We disabled it in our offer (no capabilities or port for it any more). */
  | 'disabled-locally'
  /** The answerer set port 0. */
  | 'rejected-by-remote';

/** The outcome for one m-line, in SDP order. */
export interface NegotiatedStream {
  /** 0-based m-line index. */
  readonly index: number;
  /** Media type of the m-line (`audio`, `video`, or whatever else was offered). */
  readonly media: string;
  /** `a=mid` of the m-line, if any. */
  readonly mid?: string;
  /** Whether media flows on it: port not 0 on both sides. */
  readonly accepted: boolean;
  /** Why it is not accepted. */
  readonly rejectReason?: StreamRejectReason;
  /** Transport protocol, e.g. `RTP/AVP`. */
  readonly protocol: string;
  /** Our RTP port (0 when rejected). */
  readonly localPort: number;
  /** Where to send RTP (the remote's `c=`; `0.0.0.0` under legacy hold). */
  readonly remoteAddress: string;
  /** The remote's RTP port. */
  readonly remotePort: number;
  /** Where to send RTCP: the RTP address with rtcp-mux, else the `a=rtcp` address, else the RTP address. */
  readonly remoteRtcpAddress: string;
  /** The remote's RTCP port: the RTP port with rtcp-mux (RFC 5761), else `a=rtcp` (RFC 3605), else RTP port + 1. */
  readonly remoteRtcpPort: number;
  /** Whether RTP and RTCP share one port. */
  readonly rtcpMux: boolean;
  /** Agreed codecs, the one to send first (RFC 3264 §6.1/§7: the first in the remote's list). Telephone-event is not in it. */
  readonly codecs: readonly NegotiatedCodec[];
  /** The telephone-event format matching the first codec's clock rate (else the first agreed one), if agreed. */
  readonly telephoneEvent?: NegotiatedTelephoneEvent;
  /** Packetization the remote asked for (`a=ptime`): use it when sending. */
  readonly ptime?: number;
  /** Packetization we asked for. */
  readonly localPtime?: number;
  /** Our effective direction: may we send (`send*`), do we receive (`*recv`). */
  readonly localDirection: MediaDirection;
  /** The remote's effective direction (legacy hold removes its `recv`). */
  readonly remoteDirection: MediaDirection;
  /** The remote put us on hold: it does not want to receive from us although our SDP offered to send. */
  readonly onHold: boolean;
  /** The remote used `c=0.0.0.0` (RFC 2543 hold). */
  readonly legacyHold: boolean;
  /** The SDES choice, when the stream uses SRTP with SDES keys. */
  readonly crypto?: NegotiatedCrypto;
}

/** The outcome of one offer/answer exchange. */
export interface NegotiationResult {
  /** Whether we answered a remote offer or got the answer to ours. */
  readonly role: 'answerer' | 'offerer';
  /** One entry per m-line, in SDP order. */
  readonly streams: readonly NegotiatedStream[];
  /** The first accepted audio stream, if any. */
  readonly audio?: NegotiatedStream;
  /** The first accepted video stream, if any. */
  readonly video?: NegotiatedStream;
  /** The remote's `o=` line fields (ids kept as text: they may exceed 2^53). */
  readonly remoteOrigin: { readonly username: string; readonly sessionId: string; readonly sessionVersion: string };
  /**
   * False when the remote's `o=` id and version equal those of its previous SDP in this session,
   * which RFC 3264 §8 says means an identical SDP (a no-op for media).
   */
  readonly remoteChanged: boolean;
}

/** What {@link SdpSession.createAnswer} returns. */
export interface SdpAnswerResult {
  /** The answer SDP, CRLF line ends. */
  readonly sdp: string;
  /** The negotiated streams. */
  readonly result: NegotiationResult;
}
