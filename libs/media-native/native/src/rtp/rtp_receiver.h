// Receiving side of one RTP stream: source state per RFC 3550 §A.1 (sequence validation with
// probation, wraparound, restarts), §A.3 (expected, lost, fraction lost), §A.8 (interarrival
// jitter), the LSR/DLSR bookkeeping of §6.4.1, and SSRC change / collision handling (§8.2).
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtcp/rtcp_packet.h"

namespace sipmedia {

struct RtpReceiverConfig {
  /** RTP clock rate of the stream's media payload type (jitter is in these units, §A.8). */
  int rtpClockRate = 8000;
  /** §A.1 MIN_SEQUENTIAL: packets in sequence before a new source is valid. */
  int minSequential = 2;
  /** §A.1 MAX_DROPOUT: a forward jump up to this is accepted as loss. */
  int maxDropout = 3000;
  /** §A.1 MAX_MISORDER: a backward jump up to this is a late/duplicate packet. */
  int maxMisorder = 100;
  /** Our own SSRC on this session (to detect a collision, §8.2); 0 = none. */
  uint32_t localSsrc = 0;
};

/** What the receiver made of a packet. */
enum class RtpAcceptResult {
  /** Valid packet of the current source: give it to the jitter buffer. */
  kAccepted,
  /** First packets of a (new) source still in probation (§A.1): not played yet. */
  kProbation,
  /** Old or duplicate packet within MAX_MISORDER (§A.1): counted, hand it on (the jitter buffer drops it if late). */
  kMisordered,
  /** Large sequence jump, dropped until the next packet confirms a restart (§A.1 bad_seq). */
  kBadSequence,
  /** A packet from another SSRC while the current one is still active: ignored. */
  kOtherSource,
  /**
   * The stream switched to a new SSRC (the old one went silent or sent BYE, and the new one
   * passed probation): statistics restarted; this packet is valid; reset the jitter buffer.
   */
  kSourceChanged,
  /** The packet carries our own SSRC (§8.2 collision or loop): not accepted; see RtpSender::changeSsrc. */
  kCollision,
};

/**
 * State and statistics of the remote source of one stream. Feed every RTP packet that parsed
 * (`onPacket`) and every SR from that source (`onSenderReport`); call `makeReportBlock` when
 * building RTCP (it closes the "interval" used for the fraction lost).
 */
class RtpReceiverStats {
 public:
  explicit RtpReceiverStats(const RtpReceiverConfig& config);

  /**
   * Updates the state with one packet (`payloadSize` octets of payload) that arrived at
   * monotonic time `arrivalUs`.
   */
  RtpAcceptResult onPacket(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, std::size_t payloadSize,
                           int64_t arrivalUs);

  /** Records an SR from the source (its NTP time at `ntp`), received at `nowUs` (for LSR/DLSR). */
  void onSenderReport(uint32_t ssrc, uint64_t ntp, int64_t nowUs);
  /** RFC 3550 §6.6: a BYE from the source: the next SSRC is accepted without waiting for the old one to time out. */
  void onBye(uint32_t ssrc);

  /**
   * The report block about this source for an SR/RR sent at `nowUs` (§6.4.1, §A.3): fraction lost
   * since the previous call, cumulative lost (clamped to 24 bits signed), extended highest
   * sequence, jitter, LSR and DLSR. Returns false (block untouched) when no valid packet yet.
   */
  bool makeReportBlock(int64_t nowUs, RtcpReportBlock& block);

  /** True once the source passed probation. */
  bool valid() const { return valid_; }
  uint32_t ssrc() const { return ssrc_; }
  /** §A.3 extended highest sequence number received (cycles << 16 | max_seq). */
  uint32_t extendedHighestSequence() const { return cycles_ + maxSeq_; }
  /** §A.3 expected = extended max - base_seq + 1. */
  uint32_t expected() const;
  /** §A.3 cumulative lost (expected - received; negative with duplicates). */
  int64_t cumulativeLost() const;
  /** Packets received since the source became valid (duplicates included, as in §A.3). */
  uint32_t packetsReceived() const { return received_; }
  /** Payload octets received from the current source. */
  uint64_t bytesReceived() const { return bytes_; }
  /** §A.8 interarrival jitter, in RTP timestamp units. */
  uint32_t jitter() const { return static_cast<uint32_t>(jitterQ4_ >> 4); }
  /** Interarrival jitter in milliseconds. */
  double jitterMs() const;
  /** The last fraction lost computed by makeReportBlock (0..255 = 0..1). */
  uint8_t lastFractionLost() const { return lastFraction_; }
  /** Times the source restarted (sequence restart §A.1) or changed SSRC. */
  uint32_t restarts() const { return restarts_; }
  /** Packets seen with our own SSRC (§8.2). */
  uint32_t collisions() const { return collisions_; }
  /** Monotonic arrival time of the last accepted packet (0 if none): for the inactivity timeout. */
  int64_t lastPacketUs() const { return lastArrivalUs_; }
  /** True once an SR arrived from the current source. */
  bool gotSenderReport() const { return lastSrUs_ != 0 || lsr_ != 0; }

 private:
  void initSequence(uint16_t seq);
  void reset(uint32_t ssrc, uint16_t seq);
  void updateJitter(uint32_t timestamp, int64_t arrivalUs);

  RtpReceiverConfig config_;
  uint32_t ssrc_ = 0;
  bool haveSource_ = false;
  bool valid_ = false;
  bool byeReceived_ = false;
  // §A.1 source state
  uint16_t maxSeq_ = 0;
  uint32_t cycles_ = 0;
  uint32_t baseSeq_ = 0;
  uint32_t badSeq_ = 0;
  int probation_ = 0;
  uint32_t received_ = 0;
  uint32_t expectedPrior_ = 0;
  uint32_t receivedPrior_ = 0;
  uint64_t bytes_ = 0;
  // §A.8 jitter (scaled by 16 as in the RFC's integer form)
  int64_t jitterQ4_ = 0;
  int64_t lastTransit_ = 0;
  bool haveTransit_ = false;
  int64_t lastArrivalUs_ = 0;
  // SR bookkeeping for LSR/DLSR
  uint32_t lsr_ = 0;
  int64_t lastSrUs_ = 0;
  uint8_t lastFraction_ = 0;
  uint32_t restarts_ = 0;
  uint32_t collisions_ = 0;
  // a different SSRC trying to take over (§A.1 probation for the new source)
  uint32_t candidateSsrc_ = 0;
  uint16_t candidateSeq_ = 0;
  int candidateCount_ = 0;
};

}  // namespace sipmedia
