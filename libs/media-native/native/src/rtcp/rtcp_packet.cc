// RTCP compound packets, RFC 3550 §6.1, §6.4-§6.6, §A.2; RTT per §6.4.1.
#include "rtcp/rtcp_packet.h"

#include <cstring>

#include "rtp/byte_order.h"
#include "rtp/ntp_time.h"

namespace sipmedia {

namespace {

constexpr std::size_t kReportBlockSize = 24;
constexpr std::size_t kSenderInfoSize = 20;
constexpr uint8_t kSdesEnd = 0;
constexpr uint8_t kSdesCname = 1;

void writeCommonHeader(uint8_t* p, uint8_t count, RtcpType type, std::size_t totalSize) {
  // RFC 3550 §6.4.1: version 2, padding 0, count; length in 32-bit words minus one.
  p[0] = static_cast<uint8_t>(0x80 | (count & 0x1F));
  p[1] = static_cast<uint8_t>(type);
  store16(p + 2, static_cast<uint16_t>(totalSize / 4 - 1));
}

void writeBlock(uint8_t* p, const RtcpReportBlock& b) {
  store32(p, b.ssrc);
  p[4] = b.fractionLost;
  // §6.4.1: cumulative number of packets lost: 24 bits, signed.
  int32_t lost = b.cumulativeLost;
  if (lost > 0x7FFFFF) lost = 0x7FFFFF;
  if (lost < -0x800000) lost = -0x800000;
  store24(p + 5, static_cast<uint32_t>(lost) & 0xFFFFFF);
  store32(p + 8, b.extendedHighestSequence);
  store32(p + 12, b.jitter);
  store32(p + 16, b.lastSr);
  store32(p + 20, b.delaySinceLastSr);
}

void readBlock(const uint8_t* p, RtcpReportBlock& b) {
  b.ssrc = load32(p);
  b.fractionLost = p[4];
  uint32_t lost = load24(p + 5);
  if (lost & 0x800000) lost |= 0xFF000000;  // sign-extend the 24-bit value
  b.cumulativeLost = static_cast<int32_t>(lost);
  b.extendedHighestSequence = load32(p + 8);
  b.jitter = load32(p + 12);
  b.lastSr = load32(p + 16);
  b.delaySinceLastSr = load32(p + 20);
}

bool parseReport(const uint8_t* p, std::size_t len, uint8_t count, bool sr, RtcpReport& r) {
  const std::size_t need = 8 + (sr ? kSenderInfoSize : 0) + count * kReportBlockSize;
  if (len < need) return false;
  r.ssrc = load32(p + 4);
  r.hasSenderInfo = sr;
  std::size_t pos = 8;
  if (sr) {
    r.senderInfo.ntpTimestamp = (static_cast<uint64_t>(load32(p + 8)) << 32) | load32(p + 12);
    r.senderInfo.rtpTimestamp = load32(p + 16);
    r.senderInfo.packetCount = load32(p + 20);
    r.senderInfo.octetCount = load32(p + 24);
    pos += kSenderInfoSize;
  }
  r.blockCount = count;
  for (std::size_t i = 0; i < count; i++, pos += kReportBlockSize) readBlock(p + pos, r.blocks[i]);
  return true;
}

bool parseSdes(const uint8_t* p, std::size_t len, uint8_t count, RtcpCompound& out) {
  // RFC 3550 §6.5: chunks of SSRC + items, each chunk ends with a null item and is padded to
  // a 32-bit boundary.
  std::size_t pos = 4;
  for (uint8_t c = 0; c < count; c++) {
    if (pos + 4 > len) return false;
    RtcpSdesChunk chunk;
    chunk.ssrc = load32(p + pos);
    pos += 4;
    bool ended = false;
    while (pos < len) {
      const uint8_t type = p[pos];
      if (type == kSdesEnd) {
        pos++;
        ended = true;
        break;
      }
      if (pos + 2 > len) return false;
      const std::size_t itemLen = p[pos + 1];
      if (pos + 2 + itemLen > len) return false;
      if (type == kSdesCname) {
        chunk.cname = std::string_view(reinterpret_cast<const char*>(p + pos + 2), itemLen);
      }
      pos += 2 + itemLen;
    }
    if (!ended) return false;
    pos = (pos + 3) & ~static_cast<std::size_t>(3);  // to the next 32-bit boundary
    if (pos > len) return false;
    if (out.sdesCount < out.sdes.size()) out.sdes[out.sdesCount++] = chunk;
  }
  return true;
}

bool parseBye(const uint8_t* p, std::size_t len, uint8_t count, RtcpCompound& out) {
  // RFC 3550 §6.6: SC SSRC/CSRC identifiers, then an optional length-prefixed reason.
  std::size_t pos = 4;
  if (pos + 4 * static_cast<std::size_t>(count) > len) return false;
  out.hasBye = true;
  for (uint8_t i = 0; i < count; i++, pos += 4) {
    if (out.byeCount < out.byeSources.size()) out.byeSources[out.byeCount++] = load32(p + pos);
  }
  if (pos < len) {
    const std::size_t reasonLen = p[pos];
    if (pos + 1 + reasonLen > len) return false;
    out.byeReason = std::string_view(reinterpret_cast<const char*>(p + pos + 1), reasonLen);
  }
  return true;
}

}  // namespace

const char* describe(RtcpParseError error) {
  switch (error) {
    case RtcpParseError::kNone: return "ok";
    case RtcpParseError::kTooShort: return "too short";
    case RtcpParseError::kBadVersion: return "bad version";
    case RtcpParseError::kFirstNotReport: return "first packet is not SR or RR";
    case RtcpParseError::kBadPadding: return "bad padding";
    case RtcpParseError::kBadLength: return "lengths do not match the datagram";
    case RtcpParseError::kBadPacket: return "malformed packet";
  }
  return "unknown";
}

void RtcpCompound::clear() {
  reportCount = 0;
  sdesCount = 0;
  hasBye = false;
  byeCount = 0;
  byeReason = {};
  otherPackets = 0;
}

RtcpParseError parseRtcpCompound(const uint8_t* data, std::size_t size, RtcpCompound& out) {
  out.clear();
  if (data == nullptr || size < 8) return RtcpParseError::kTooShort;
  // RFC 3550 §A.2: the payload type of the first packet must be SR or RR.
  if (data[1] != static_cast<uint8_t>(RtcpType::kSR) && data[1] != static_cast<uint8_t>(RtcpType::kRR)) {
    if ((data[0] >> 6) != 2) return RtcpParseError::kBadVersion;
    return RtcpParseError::kFirstNotReport;
  }
  std::size_t pos = 0;
  while (pos < size) {
    if (size - pos < 4) return RtcpParseError::kBadLength;
    const uint8_t* p = data + pos;
    // §A.2: version 2 in every packet of the compound.
    if ((p[0] >> 6) != 2) return RtcpParseError::kBadVersion;
    const std::size_t len = (static_cast<std::size_t>(load16(p + 2)) + 1) * 4;
    if (len > size - pos) return RtcpParseError::kBadLength;
    const bool last = pos + len == size;
    std::size_t contentLen = len;
    if (p[0] & 0x20) {
      // §A.2: the padding bit should be zero for all but the last packet.
      if (!last) return RtcpParseError::kBadPadding;
      const std::size_t pad = p[len - 1];
      if (pad == 0 || pad > len - 4) return RtcpParseError::kBadPadding;
      contentLen = len - pad;
    }
    const uint8_t count = p[0] & 0x1F;
    switch (p[1]) {
      case static_cast<uint8_t>(RtcpType::kSR):
      case static_cast<uint8_t>(RtcpType::kRR): {
        const bool sr = p[1] == static_cast<uint8_t>(RtcpType::kSR);
        if (out.reportCount < out.reports.size()) {
          if (!parseReport(p, contentLen, count, sr, out.reports[out.reportCount])) return RtcpParseError::kBadPacket;
          out.reportCount++;
        } else {
          RtcpReport scratch;
          if (!parseReport(p, contentLen, count, sr, scratch)) return RtcpParseError::kBadPacket;
          out.otherPackets++;
        }
        break;
      }
      case static_cast<uint8_t>(RtcpType::kSDES):
        if (!parseSdes(p, contentLen, count, out)) return RtcpParseError::kBadPacket;
        break;
      case static_cast<uint8_t>(RtcpType::kBYE):
        if (!parseBye(p, contentLen, count, out)) return RtcpParseError::kBadPacket;
        break;
      default:
        out.otherPackets++;  // APP, XR, feedback...: skipped by length
        break;
    }
    pos += len;
  }
  return RtcpParseError::kNone;
}

bool RtcpCompoundWriter::addReport(RtcpType type, uint32_t ssrc, const RtcpSenderInfo* info,
                                   const RtcpReportBlock* blocks, std::size_t blockCount) {
  // RFC 3550 §6.1: the first RTCP packet in the compound packet must always be a report packet.
  // (Additional RRs would follow when more than 31 sources are reported; we report at most 31.)
  if (haveReport_ || blockCount > kRtcpMaxReportBlocks || (blockCount > 0 && blocks == nullptr)) return false;
  const std::size_t size = 8 + (info ? kSenderInfoSize : 0) + blockCount * kReportBlockSize;
  if (buf_ == nullptr || size > cap_ - used_) return false;
  uint8_t* p = buf_ + used_;
  writeCommonHeader(p, static_cast<uint8_t>(blockCount), type, size);
  store32(p + 4, ssrc);
  std::size_t pos = 8;
  if (info) {
    store32(p + 8, static_cast<uint32_t>(info->ntpTimestamp >> 32));
    store32(p + 12, static_cast<uint32_t>(info->ntpTimestamp));
    store32(p + 16, info->rtpTimestamp);
    store32(p + 20, info->packetCount);
    store32(p + 24, info->octetCount);
    pos += kSenderInfoSize;
  }
  for (std::size_t i = 0; i < blockCount; i++, pos += kReportBlockSize) writeBlock(p + pos, blocks[i]);
  used_ += size;
  haveReport_ = true;
  return true;
}

bool RtcpCompoundWriter::addSenderReport(uint32_t ssrc, const RtcpSenderInfo& info, const RtcpReportBlock* blocks,
                                         std::size_t blockCount) {
  return addReport(RtcpType::kSR, ssrc, &info, blocks, blockCount);
}

bool RtcpCompoundWriter::addReceiverReport(uint32_t ssrc, const RtcpReportBlock* blocks, std::size_t blockCount) {
  return addReport(RtcpType::kRR, ssrc, nullptr, blocks, blockCount);
}

bool RtcpCompoundWriter::addSdesCname(uint32_t ssrc, std::string_view cname) {
  // §6.1: SDES follows the report; BYE, when present, is last.
  if (!haveReport_ || haveBye_ || cname.empty() || cname.size() > 255) return false;
  // header 4 + SSRC 4 + item (2 + len) + end 1, padded to 32 bits (§6.5: null-terminated chunk).
  const std::size_t raw = 8 + 2 + cname.size() + 1;
  const std::size_t size = (raw + 3) & ~static_cast<std::size_t>(3);
  if (size > cap_ - used_) return false;
  uint8_t* p = buf_ + used_;
  writeCommonHeader(p, 1, RtcpType::kSDES, size);
  store32(p + 4, ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<uint8_t>(cname.size());
  std::memcpy(p + 10, cname.data(), cname.size());
  std::memset(p + 10 + cname.size(), 0, size - 10 - cname.size());  // end item + padding
  used_ += size;
  haveCname_ = true;
  return true;
}

bool RtcpCompoundWriter::addBye(const uint32_t* ssrcs, std::size_t count, std::string_view reason) {
  // §6.1: BYE should be the last packet sent with a given SSRC; it follows the report and SDES.
  if (!haveReport_ || haveBye_ || count == 0 || count > 31 || ssrcs == nullptr || reason.size() > 255) return false;
  std::size_t raw = 4 + 4 * count + (reason.empty() ? 0 : 1 + reason.size());
  const std::size_t size = (raw + 3) & ~static_cast<std::size_t>(3);
  if (size > cap_ - used_) return false;
  uint8_t* p = buf_ + used_;
  writeCommonHeader(p, static_cast<uint8_t>(count), RtcpType::kBYE, size);
  for (std::size_t i = 0; i < count; i++) store32(p + 4 + 4 * i, ssrcs[i]);
  std::size_t pos = 4 + 4 * count;
  if (!reason.empty()) {
    p[pos] = static_cast<uint8_t>(reason.size());
    std::memcpy(p + pos + 1, reason.data(), reason.size());
    pos += 1 + reason.size();
  }
  // §6.6: the reason is padded with null octets to the next 32-bit boundary.
  std::memset(p + pos, 0, size - pos);
  used_ += size;
  haveBye_ = true;
  return true;
}

double rtcpRoundTripMs(uint32_t lastSr, uint32_t delaySinceLastSr, uint64_t nowNtp) {
  if (lastSr == 0) return -1;
  // RFC 3550 §6.4.1: round-trip propagation delay = A - LSR - DLSR, all in the compact
  // (middle 32 bits) NTP form, units of 1/65536 s.
  const uint32_t a = ntpMiddle32(nowNtp);
  const int32_t rtt = static_cast<int32_t>(a - lastSr - delaySinceLastSr);
  if (rtt < 0) return -1;
  return static_cast<double>(rtt) * 1000.0 / 65536.0;
}

}  // namespace sipmedia
