// Sending side of one RTP stream (RFC 3550 §5.1, RFC 3551 §4.1): SSRC, sequence numbers,
// timestamps in the codec's RTP clock, the marker bit at talkspurt starts, and the counters an
// SR needs (§6.4.1). Pure state: the caller writes the packet into its own buffer and sends it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtp/rtp_packet.h"

namespace sipmedia {

/** Random starting values of a stream (RFC 3550 §5.1: SSRC, sequence and timestamp random). */
struct RtpStreamIdentity {
  uint32_t ssrc = 0;
  uint16_t initialSequence = 0;
  uint32_t initialTimestamp = 0;
};

/**
 * Draws random identity values. With `seed == 0` it uses std::random_device (what the engine
 * does); a non-zero seed gives a reproducible identity for tests.
 */
RtpStreamIdentity randomRtpIdentity(uint64_t seed = 0);

struct RtpSenderConfig {
  RtpStreamIdentity identity;
  /** Payload type of the media packets. */
  uint8_t payloadType = 0;
  /** RTP clock rate of that payload type (8000 for PCMU/G.722, 48000 for opus). */
  int rtpClockRate = 8000;
};

/**
 * One outgoing RTP stream. The media frames are written with `writeMedia`; silence that is not
 * sent (VAD/DTX) is reported with `skipSilence` so the timestamp keeps advancing and the next
 * packet carries the marker bit (RFC 3551 §4.1). Other payload types in the same stream
 * (RFC 4733 telephone-event) use `writeWith`, which shares the sequence space.
 */
class RtpSender {
 public:
  explicit RtpSender(const RtpSenderConfig& config);

  /**
   * Writes one media packet carrying `payload` that covers `timestampUnits` of the RTP clock
   * (e.g. 160 for 20 ms of PCMU), sent at monotonic time `nowUs`. The packet gets the current
   * timestamp, the next sequence number and the marker bit when it starts a talkspurt (first
   * packet, or first after `skipSilence`/`startTalkspurt`). Returns the packet size, 0 when it
   * does not fit in `capacity`.
   */
  std::size_t writeMedia(const uint8_t* payload, std::size_t payloadSize, uint32_t timestampUnits, int64_t nowUs,
                         uint8_t* out, std::size_t capacity);

  /**
   * Writes a packet with an explicit payload type, marker and timestamp (RFC 4733 events keep
   * the event's start timestamp). Uses the next sequence number; does not advance the media
   * timestamp. Returns the packet size or 0.
   */
  std::size_t writeWith(uint8_t payloadType, bool marker, uint32_t timestamp, const uint8_t* payload,
                        std::size_t payloadSize, int64_t nowUs, uint8_t* out, std::size_t capacity);

  /** Advances the timestamp by `timestampUnits` without sending (DTX, hold, muted and not sending). */
  void skipSilence(uint32_t timestampUnits);
  /** Marks the next media packet as the start of a talkspurt (RFC 3551 §4.1). */
  void startTalkspurt() { talkspurtStart_ = true; }

  /**
   * The RTP timestamp that corresponds to monotonic time `nowUs` (RFC 3550 §6.4.1: the SR's RTP
   * timestamp is for the same instant as its NTP timestamp): the last sent timestamp moved on by
   * the elapsed time in the RTP clock. Before the first packet: the initial timestamp.
   */
  uint32_t rtpTimestampAt(int64_t nowUs) const;

  /**
   * RFC 3550 §8.2: a collision or loop on our SSRC: take a new random SSRC (the caller sends a
   * BYE for the old one first). Sequence and timestamp continue; the SR counters restart (§6.4.1).
   */
  void changeSsrc(uint32_t newSsrc);

  uint32_t ssrc() const { return ssrc_; }
  uint8_t payloadType() const { return payloadType_; }
  int rtpClockRate() const { return clockRate_; }
  /** Sequence number the next packet will carry. */
  uint16_t nextSequence() const { return sequence_; }
  /** Timestamp the next media packet will carry. */
  uint32_t nextTimestamp() const { return timestamp_; }
  /** RFC 3550 §6.4.1 sender's packet count (packets since start or SSRC change, mod 2^32). */
  uint32_t packetCount() const { return packetCount_; }
  /** RFC 3550 §6.4.1 sender's octet count (payload octets only, no header or padding). */
  uint32_t octetCount() const { return octetCount_; }
  /** True once a packet was sent (decides SR vs RR, §6.4). */
  bool hasSent() const { return hasSent_; }
  /** Monotonic time of the last packet written (0 before the first). */
  int64_t lastSendUs() const { return lastSendUs_; }

 private:
  std::size_t write(uint8_t payloadType, bool marker, uint32_t timestamp, const uint8_t* payload,
                    std::size_t payloadSize, int64_t nowUs, uint8_t* out, std::size_t capacity);

  uint32_t ssrc_;
  uint32_t timestamp_;
  uint32_t lastTimestamp_;
  int64_t lastSendUs_ = 0;
  int64_t lastMediaSendUs_ = 0;
  uint32_t packetCount_ = 0;
  uint32_t octetCount_ = 0;
  int clockRate_;
  uint16_t sequence_;
  uint8_t payloadType_;
  bool talkspurtStart_ = true;
  bool hasSent_ = false;
  bool hasMediaTimestamp_ = false;
};

}  // namespace sipmedia
