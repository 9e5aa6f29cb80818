// RTP sender state, RFC 3550 §5.1 and §6.4.1, RFC 3551 §4.1.
#include "rtp/rtp_sender.h"

#include <random>

namespace sipmedia {

RtpStreamIdentity randomRtpIdentity(uint64_t seed) {
  // RFC 3550 §5.1: the initial value of the sequence number SHOULD be random (unpredictable);
  // the initial value of the timestamp SHOULD be random; the SSRC SHOULD be chosen randomly.
  std::mt19937_64 rng;
  if (seed == 0) {
    std::random_device rd;
    rng.seed((static_cast<uint64_t>(rd()) << 32) ^ rd());
  } else {
    rng.seed(seed);
  }
  RtpStreamIdentity id;
  do {
    id.ssrc = static_cast<uint32_t>(rng());
  } while (id.ssrc == 0);  // 0 is our "none" marker in configs
  id.initialSequence = static_cast<uint16_t>(rng());
  id.initialTimestamp = static_cast<uint32_t>(rng());
  return id;
}

RtpSender::RtpSender(const RtpSenderConfig& config)
    : ssrc_(config.identity.ssrc),
      timestamp_(config.identity.initialTimestamp),
      lastTimestamp_(config.identity.initialTimestamp),
      clockRate_(config.rtpClockRate > 0 ? config.rtpClockRate : 8000),
      sequence_(config.identity.initialSequence),
      payloadType_(config.payloadType) {}

std::size_t RtpSender::write(uint8_t payloadType, bool marker, uint32_t timestamp, const uint8_t* payload,
                             std::size_t payloadSize, int64_t nowUs, uint8_t* out, std::size_t capacity) {
  RtpHeaderFields f;
  f.marker = marker;
  f.payloadType = payloadType;
  f.sequence = sequence_;
  f.timestamp = timestamp;
  f.ssrc = ssrc_;
  const std::size_t n = writeRtpPacket(f, payload, payloadSize, out, capacity);
  if (n == 0) return 0;
  // RFC 3550 §5.1: the sequence number increments by one for each RTP data packet sent.
  sequence_ = static_cast<uint16_t>(sequence_ + 1);
  // RFC 3550 §6.4.1: sender's packet count / octet count (payload octets, not header or padding).
  packetCount_++;
  octetCount_ += static_cast<uint32_t>(payloadSize);
  lastSendUs_ = nowUs;
  hasSent_ = true;
  return n;
}

std::size_t RtpSender::writeMedia(const uint8_t* payload, std::size_t payloadSize, uint32_t timestampUnits,
                                  int64_t nowUs, uint8_t* out, std::size_t capacity) {
  // RFC 3551 §4.1: the marker bit is set in the first packet of a talkspurt (after silence
  // during which no packets were sent).
  const bool marker = talkspurtStart_;
  const std::size_t n = write(payloadType_, marker, timestamp_, payload, payloadSize, nowUs, out, capacity);
  if (n == 0) return 0;
  talkspurtStart_ = false;
  lastTimestamp_ = timestamp_;
  lastMediaSendUs_ = nowUs;
  hasMediaTimestamp_ = true;
  // RFC 3550 §5.1: the timestamp reflects the sampling instant of the first octet; it advances
  // by the number of RTP clock ticks the packet covers.
  timestamp_ += timestampUnits;
  return n;
}

std::size_t RtpSender::writeWith(uint8_t payloadType, bool marker, uint32_t timestamp, const uint8_t* payload,
                                 std::size_t payloadSize, int64_t nowUs, uint8_t* out, std::size_t capacity) {
  return write(payloadType, marker, timestamp, payload, payloadSize, nowUs, out, capacity);
}

void RtpSender::skipSilence(uint32_t timestampUnits) {
  timestamp_ += timestampUnits;
  talkspurtStart_ = true;
}

uint32_t RtpSender::rtpTimestampAt(int64_t nowUs) const {
  if (!hasMediaTimestamp_) return timestamp_;
  // RFC 3550 §6.4.1: the RTP timestamp corresponds to the same time as the NTP timestamp, but
  // in the same units and with the same random offset as the RTP timestamps in data packets.
  const int64_t elapsedUs = nowUs - lastMediaSendUs_;
  const int64_t ticks = elapsedUs * clockRate_ / 1000000;
  return lastTimestamp_ + static_cast<uint32_t>(ticks);
}

void RtpSender::changeSsrc(uint32_t newSsrc) {
  ssrc_ = newSsrc;
  // RFC 3550 §6.4.1: the packet and octet counts are reset if the sender changes its SSRC.
  packetCount_ = 0;
  octetCount_ = 0;
  hasSent_ = false;
  talkspurtStart_ = true;
}

}  // namespace sipmedia
