// RTCP compound packets (RFC 3550 §6): SR, RR with report blocks, SDES (CNAME), BYE; the
// compound rules (§6.1), the validity checks of §A.2, round-trip time from LSR/DLSR (§6.4.1) and
// the rtcp-mux demultiplexing rule (RFC 5761 §4). No allocation: parsed strings are views into
// the datagram, and every list has a fixed capacity.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sipmedia {

/** RTCP packet types (RFC 3550 §12.1). */
enum class RtcpType : uint8_t { kSR = 200, kRR = 201, kSDES = 202, kBYE = 203, kAPP = 204 };

/** RFC 3550 §6.4.1 report block: reception statistics about one source. */
struct RtcpReportBlock {
  uint32_t ssrc = 0;
  /** Fraction lost since the previous report, fixed point /256. */
  uint8_t fractionLost = 0;
  /** Cumulative number of packets lost (24-bit signed on the wire). */
  int32_t cumulativeLost = 0;
  uint32_t extendedHighestSequence = 0;
  /** Interarrival jitter in RTP timestamp units. */
  uint32_t jitter = 0;
  /** Middle 32 bits of the NTP time of the last SR from this source (0 = none). */
  uint32_t lastSr = 0;
  /** Delay since that SR, 1/65536 s. */
  uint32_t delaySinceLastSr = 0;
};

/** RFC 3550 §6.4.1 sender info of an SR. */
struct RtcpSenderInfo {
  uint64_t ntpTimestamp = 0;
  uint32_t rtpTimestamp = 0;
  uint32_t packetCount = 0;
  uint32_t octetCount = 0;
};

/** RFC 3550 §6.4: at most 31 report blocks per SR/RR (5-bit count). */
constexpr std::size_t kRtcpMaxReportBlocks = 31;
/** Capacity of SDES chunks kept by the parser (more are validated and skipped). */
constexpr std::size_t kRtcpMaxSdesChunks = 8;
/** Capacity of SSRCs kept from a BYE (more are validated and skipped). */
constexpr std::size_t kRtcpMaxByeSources = 31;

/** An SR or RR: `hasSenderInfo` tells which. */
struct RtcpReport {
  uint32_t ssrc = 0;
  bool hasSenderInfo = false;
  RtcpSenderInfo senderInfo;
  std::array<RtcpReportBlock, kRtcpMaxReportBlocks> blocks{};
  std::size_t blockCount = 0;
};

/** One SDES chunk: its SSRC and the CNAME item (other items skipped). */
struct RtcpSdesChunk {
  uint32_t ssrc = 0;
  /** View into the datagram; empty when the chunk had no CNAME. */
  std::string_view cname;
};

/** Why a datagram was rejected as an RTCP compound packet (RFC 3550 §A.2). */
enum class RtcpParseError {
  kNone = 0,
  kTooShort,
  kBadVersion,
  kFirstNotReport,   // §6.1 / §A.2: first packet must be SR or RR
  kBadPadding,       // padding on a packet that is not the last (§A.2), or bad count
  kBadLength,        // lengths do not add up to the datagram size
  kBadPacket,        // a packet's content does not fit its length (report count, SDES items)
};

const char* describe(RtcpParseError error);

/**
 * The content of one compound packet. Reports (SR or RR) in order; the SDES chunks; the BYE
 * sources; counts of packets of other types (APP, XR, RTPFB, PSFB...) that were skipped.
 */
struct RtcpCompound {
  std::array<RtcpReport, 2> reports{};
  std::size_t reportCount = 0;
  std::array<RtcpSdesChunk, kRtcpMaxSdesChunks> sdes{};
  std::size_t sdesCount = 0;
  bool hasBye = false;
  std::array<uint32_t, kRtcpMaxByeSources> byeSources{};
  std::size_t byeCount = 0;
  std::string_view byeReason;
  std::size_t otherPackets = 0;

  /** Clears everything (the parser calls it first). */
  void clear();
};

/**
 * Parses a compound RTCP datagram (RFC 3550 §6.1, validity checks of §A.2). Never reads outside
 * the buffer. `out`'s views point into `data`. Reports beyond the 2 kept (rare: several SSRCs in
 * one compound) are validated and counted in `otherPackets`.
 */
RtcpParseError parseRtcpCompound(const uint8_t* data, std::size_t size, RtcpCompound& out);

/**
 * Builds one compound packet in a caller buffer, in the order RFC 3550 §6.1 requires: first an
 * SR or RR, then SDES with CNAME, then an optional BYE last. Each add returns false (and writes
 * nothing) when the order is wrong or the buffer is full. `finish()` returns the size, or 0 when
 * the compound is incomplete (no report, or no CNAME).
 */
class RtcpCompoundWriter {
 public:
  RtcpCompoundWriter(uint8_t* buffer, std::size_t capacity) : buf_(buffer), cap_(capacity) {}

  /** RFC 3550 §6.4.1: an SR (we sent RTP since the last-but-one report) with up to 31 blocks. */
  bool addSenderReport(uint32_t ssrc, const RtcpSenderInfo& info, const RtcpReportBlock* blocks,
                       std::size_t blockCount);
  /** RFC 3550 §6.4.2: an RR (blockCount may be 0: empty RR). */
  bool addReceiverReport(uint32_t ssrc, const RtcpReportBlock* blocks, std::size_t blockCount);
  /** RFC 3550 §6.5.1: an SDES packet with one chunk carrying the CNAME (1..255 octets). */
  bool addSdesCname(uint32_t ssrc, std::string_view cname);
  /** RFC 3550 §6.6: a BYE for `count` SSRCs (1..31) with an optional reason (<= 255 octets). */
  bool addBye(const uint32_t* ssrcs, std::size_t count, std::string_view reason = {});

  /** Size of the compound so far. */
  std::size_t size() const { return used_; }
  /** The compound's size when it is complete per §6.1 (report first, CNAME present), else 0. */
  std::size_t finish() const { return (haveReport_ && haveCname_) ? used_ : 0; }

 private:
  bool addReport(RtcpType type, uint32_t ssrc, const RtcpSenderInfo* info, const RtcpReportBlock* blocks,
                 std::size_t blockCount);
  uint8_t* buf_;
  std::size_t cap_;
  std::size_t used_ = 0;
  bool haveReport_ = false;
  bool haveCname_ = false;
  bool haveBye_ = false;
};

/**
 * RFC 3550 §6.4.1 round-trip time from a report block received at `nowNtp`: A - LSR - DLSR, in
 * milliseconds. Returns a negative value when the block has no LSR (0) or the result is negative
 * (clock skew, bogus block).
 */
double rtcpRoundTripMs(uint32_t lastSr, uint32_t delaySinceLastSr, uint64_t nowNtp);

/**
 * RFC 5761 §4: with rtcp-mux, a datagram whose second octet has a payload-type value in 64..95
 * (i.e. octet 1 in 192..223) is RTCP; anything else is RTP. Needs at least 2 octets (false otherwise).
 */
inline bool isRtcpMuxPacket(const uint8_t* data, std::size_t size) {
  if (size < 2) return false;
  const uint8_t pt = data[1] & 0x7F;
  return pt >= 64 && pt <= 95;
}

}  // namespace sipmedia
