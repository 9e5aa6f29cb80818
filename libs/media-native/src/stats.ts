/** Jitter buffer counters of a stream (since the stream started). */
export interface JitterBufferStats {
  /** Packets given to the buffer (duplicates and late ones included). */
  readonly packetsReceived: number;
  /** Packets decoded and played. */
  readonly packetsPlayed: number;
  /** Sequence numbers that were due and missing (concealed or FEC-recovered). */
  readonly lost: number;
  /** Packets that arrived after their playout time (dropped). */
  readonly late: number;
  /** Frames produced by packet-loss concealment. */
  readonly concealedFrames: number;
  /** Lost packets recovered from the next packet's in-band FEC (Opus). */
  readonly fecRecovered: number;
  /** Packets dropped unplayed (overflow, oversize, flush, excess delay). */
  readonly discarded: number;
  readonly reordered: number;
  readonly duplicated: number;
  /** Frames of silence output (before the first packet, DTX without comfort noise, long loss). */
  readonly silenceFrames: number;
  /** Talkspurts started (first packet, and each resumption after a DTX gap, RFC 3551 §4.1). */
  readonly talkspurts: number;
  /** RFC 3389 comfort noise packets played (each sets the noise level of a DTX gap). */
  readonly comfortNoisePackets: number;
  /** Frames of comfort noise output in DTX gaps (neither loss nor concealment). */
  readonly comfortNoiseFrames: number;
  /** Playout delay behind the fastest path, ms. */
  readonly currentDelayMs: number;
  /** The delay the buffer steers to, ms. */
  readonly targetDelayMs: number;
  /** Largest jitter measured for one packet, ms. */
  readonly maxJitterMs: number;
}

/** SRTP counters of a stream (zero without SRTP). */
export interface SrtpStats {
  readonly rtpProtected: number;
  readonly rtpUnprotected: number;
  /** Packets whose authentication tag did not verify (tampering or a wrong key). */
  readonly authFailures: number;
  readonly replayFailures: number;
  readonly otherFailures: number;
}

/**
 * Statistics of a stream, published by the media thread every 100 ms. The first thirteen are
 * the Genesys keys (shared/spec/genesys-compat.md §2): `local*` is what our RTCP reports (our
 * reception of the peer and our sender counters), `remote*` what the peer's RTCP reported.
 * Fractions lost are percentages, jitter in ms. MOS is the ITU-T G.107 E-model estimate (0
 * until computed, after about a second of received audio).
 */
export interface MediaStreamStats {
  readonly gotLocalStat: boolean;
  readonly localFracLost: number;
  readonly localJitterMs: number;
  readonly localOctCount: number;
  readonly localPktCount: number;
  readonly localTotalLost: number;
  readonly gotRemoteRR: boolean;
  readonly remoteFracLost: number;
  readonly remoteJitterMs: number;
  readonly remoteTotalLost: number;
  readonly gotRemoteSR: boolean;
  readonly remoteOctCount: number;
  readonly remotePktCount: number;
  readonly packetsSent: number;
  /** Payload octets sent. */
  readonly bytesSent: number;
  readonly packetsReceived: number;
  /** Payload octets received. */
  readonly bytesReceived: number;
  /** RFC 3550 §A.3 cumulative lost of the received stream. */
  readonly packetsLost: number;
  /** RFC 3550 §A.8 interarrival jitter, ms. */
  readonly jitterMs: number;
  /** RFC 3550 §6.4.1 round-trip time, ms; -1 until known. */
  readonly rttMs: number;
  /** `PCMU/8000`, ... */
  readonly codec: string;
  readonly jitterBufferDelayMs: number;
  readonly jitterBufferLate: number;
  readonly jitterBufferConcealed: number;
  readonly rWholeCall: number;
  readonly mosWholeCall: number;
  readonly rInterval: number;
  readonly mosInterval: number;
  readonly jitterBuffer: JitterBufferStats;
  readonly srtp: SrtpStats;
  readonly localSsrc: number;
  readonly remoteSsrc: number;
  /** True while RTP arrives (first packet seen, no inactivity timeout since). */
  readonly receiving: boolean;
  /** Datagrams that were not valid RTP (RFC 3550 §A.1 checks). */
  readonly malformedPackets: number;
  /** RTP with a payload type that is neither the codec's nor telephone-event nor CN. */
  readonly otherPayloadPackets: number;
  readonly rtcpSent: number;
  readonly rtcpReceived: number;
  readonly malformedRtcp: number;
  readonly dtmfPacketsSent: number;
  readonly dtmfEventsReceived: number;
  readonly sendErrors: number;
  readonly ssrcChanges: number;
  /** Frames not sent because the VAD called them silence (DTX). */
  readonly dtxFrames: number;
  /** RFC 3389 SID (comfort noise) packets sent in DTX silence (with `cn` and `audioProcessing.dtx`). */
  readonly sidPacketsSent: number;
  /** RFC 3389 comfort noise packets received (with `cn`). */
  readonly sidPacketsReceived: number;
  /** Digits found in the received audio by the in-band DTMF detector. */
  readonly inbandDtmfReceived: number;
}
