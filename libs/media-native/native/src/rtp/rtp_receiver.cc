// RTP receiver source state: RFC 3550 §A.1 (sequence validation), §A.3 (loss), §A.8 (jitter),
// §6.4.1 (LSR/DLSR), §8.2 (collisions).
#include "rtp/rtp_receiver.h"

#include <algorithm>

#include "rtp/ntp_time.h"

namespace sipmedia {

namespace {
constexpr uint32_t kSeqMod = 1u << 16;
}

RtpReceiverStats::RtpReceiverStats(const RtpReceiverConfig& config) : config_(config) {
  if (config_.rtpClockRate <= 0) config_.rtpClockRate = 8000;
  if (config_.minSequential < 1) config_.minSequential = 1;
}

void RtpReceiverStats::initSequence(uint16_t seq) {
  // RFC 3550 §A.1 init_seq()
  baseSeq_ = seq;
  maxSeq_ = seq;
  badSeq_ = kSeqMod + 1;  // so seq == bad_seq is false
  cycles_ = 0;
  received_ = 0;
  receivedPrior_ = 0;
  expectedPrior_ = 0;
  bytes_ = 0;
}

void RtpReceiverStats::reset(uint32_t ssrc, uint16_t seq) {
  ssrc_ = ssrc;
  haveSource_ = true;
  valid_ = false;
  byeReceived_ = false;
  initSequence(seq);
  // RFC 3550 §A.1: a new source is not valid until MIN_SEQUENTIAL packets with sequential
  // sequence numbers have been received.
  maxSeq_ = static_cast<uint16_t>(seq - 1);
  probation_ = config_.minSequential;
  jitterQ4_ = 0;
  haveTransit_ = false;
  lsr_ = 0;
  lastSrUs_ = 0;
  lastFraction_ = 0;
  candidateCount_ = 0;
}

void RtpReceiverStats::updateJitter(uint32_t timestamp, int64_t arrivalUs) {
  // RFC 3550 §A.8: transit = arrival (in timestamp units) - timestamp; d = |transit - last|;
  // jitter += (1/16) * (d - jitter). Integer form: jitter scaled by 16.
  const int64_t arrivalTs = arrivalUs * config_.rtpClockRate / 1000000;
  const int64_t transit = static_cast<int32_t>(static_cast<uint32_t>(arrivalTs) - timestamp);
  if (haveTransit_) {
    int64_t d = transit - lastTransit_;
    if (d < 0) d = -d;
    jitterQ4_ += d - ((jitterQ4_ + 8) >> 4);
  }
  lastTransit_ = transit;
  haveTransit_ = true;
}

RtpAcceptResult RtpReceiverStats::onPacket(uint32_t ssrc, uint16_t seq, uint32_t timestamp, std::size_t payloadSize,
                                           int64_t arrivalUs) {
  if (config_.localSsrc != 0 && ssrc == config_.localSsrc) {
    // RFC 3550 §8.2: a packet with our own SSRC from another transport address is a collision
    // (or a loop); the sender side must pick a new SSRC. Not counted as media.
    collisions_++;
    return RtpAcceptResult::kCollision;
  }
  if (!haveSource_) {
    reset(ssrc, seq);
  } else if (ssrc != ssrc_) {
    // A second SSRC. RFC 3550 §8: the SSRC may change (restart, re-INVITE through a B2BUA);
    // the new one takes over once it passes probation while the current one sent nothing in
    // between, or at once after a BYE from the current one (§6.6).
    if (byeReceived_ || !valid_) {
      reset(ssrc, seq);
      restarts_++;
    } else {
      if (candidateCount_ > 0 && ssrc == candidateSsrc_ && seq == static_cast<uint16_t>(candidateSeq_ + 1)) {
        candidateCount_++;
      } else {
        candidateSsrc_ = ssrc;
        candidateCount_ = 1;
      }
      candidateSeq_ = seq;
      if (candidateCount_ < config_.minSequential + 1) return RtpAcceptResult::kOtherSource;
      // The new source took over: restart the state with this packet, already validated.
      reset(ssrc, seq);
      restarts_++;
      initSequence(seq);
      probation_ = 0;
      valid_ = true;
      received_ = 1;
      bytes_ = payloadSize;
      lastArrivalUs_ = arrivalUs;
      updateJitter(timestamp, arrivalUs);
      return RtpAcceptResult::kSourceChanged;
    }
  }
  candidateCount_ = 0;  // the current source is alive

  // RFC 3550 §A.1 update_seq()
  const uint16_t udelta = static_cast<uint16_t>(seq - maxSeq_);
  RtpAcceptResult result = RtpAcceptResult::kAccepted;
  if (probation_ > 0) {
    // Source is not valid until MIN_SEQUENTIAL packets with sequential numbers have been received.
    if (seq == static_cast<uint16_t>(maxSeq_ + 1)) {
      probation_--;
      maxSeq_ = seq;
      if (probation_ == 0) {
        initSequence(seq);
        valid_ = true;
        received_ = 1;
        bytes_ = payloadSize;
        lastArrivalUs_ = arrivalUs;
        updateJitter(timestamp, arrivalUs);
        return RtpAcceptResult::kAccepted;
      }
    } else {
      probation_ = config_.minSequential - 1;
      maxSeq_ = seq;
    }
    return RtpAcceptResult::kProbation;
  } else if (udelta < config_.maxDropout) {
    // In order, with permissible gap.
    if (seq < maxSeq_) {
      // Sequence number wrapped: count another 64K cycle.
      cycles_ += kSeqMod;
    }
    maxSeq_ = seq;
  } else if (udelta <= kSeqMod - static_cast<uint32_t>(config_.maxMisorder)) {
    // The sequence number made a very large jump.
    if (static_cast<uint32_t>(seq) == badSeq_) {
      // Two sequential packets: assume the other side restarted without telling us, so just
      // re-sync (i.e., pretend this was the first packet).
      initSequence(seq);
      restarts_++;
      result = RtpAcceptResult::kSourceChanged;
    } else {
      badSeq_ = (static_cast<uint32_t>(seq) + 1) & (kSeqMod - 1);
      return RtpAcceptResult::kBadSequence;
    }
  } else {
    // Duplicate or reordered packet.
    result = RtpAcceptResult::kMisordered;
  }
  received_++;
  bytes_ += payloadSize;
  lastArrivalUs_ = arrivalUs;
  // §A.8: jitter uses every packet's arrival; reordered ones too (as in the RFC's code, which
  // runs per packet received).
  updateJitter(timestamp, arrivalUs);
  return result;
}

void RtpReceiverStats::onSenderReport(uint32_t ssrc, uint64_t ntp, int64_t nowUs) {
  if (!haveSource_ || ssrc != ssrc_) return;
  // RFC 3550 §6.4.1 LSR: the middle 32 bits of the NTP timestamp of the most recent SR.
  lsr_ = ntpMiddle32(ntp);
  lastSrUs_ = nowUs == 0 ? 1 : nowUs;
}

void RtpReceiverStats::onBye(uint32_t ssrc) {
  if (haveSource_ && ssrc == ssrc_) byeReceived_ = true;
}

uint32_t RtpReceiverStats::expected() const {
  if (!valid_) return 0;
  return extendedHighestSequence() - baseSeq_ + 1;
}

int64_t RtpReceiverStats::cumulativeLost() const {
  if (!valid_) return 0;
  return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_);
}

double RtpReceiverStats::jitterMs() const {
  return static_cast<double>(jitterQ4_) / 16.0 * 1000.0 / config_.rtpClockRate;
}

bool RtpReceiverStats::makeReportBlock(int64_t nowUs, RtcpReportBlock& block) {
  if (!valid_) return false;
  // RFC 3550 §A.3
  const uint32_t exp = expected();
  const uint32_t expectedInterval = exp - expectedPrior_;
  expectedPrior_ = exp;
  const uint32_t receivedInterval = received_ - receivedPrior_;
  receivedPrior_ = received_;
  const int64_t lostInterval = static_cast<int64_t>(expectedInterval) - static_cast<int64_t>(receivedInterval);
  uint8_t fraction = 0;
  if (expectedInterval != 0 && lostInterval > 0) {
    fraction = static_cast<uint8_t>(std::min<int64_t>(255, (lostInterval << 8) / expectedInterval));
  }
  lastFraction_ = fraction;
  // §6.4.1: cumulative number lost is a 24-bit signed value; clamp at the limits.
  const int64_t lost = std::clamp<int64_t>(cumulativeLost(), -0x800000, 0x7FFFFF);
  block.ssrc = ssrc_;
  block.fractionLost = fraction;
  block.cumulativeLost = static_cast<int32_t>(lost);
  block.extendedHighestSequence = extendedHighestSequence();
  block.jitter = jitter();
  // §6.4.1 LSR / DLSR: 0 when no SR has been received yet.
  block.lastSr = lsr_;
  block.delaySinceLastSr = lastSrUs_ != 0 ? ntpShortFromMicros(nowUs - lastSrUs_) : 0;
  return true;
}

}  // namespace sipmedia
