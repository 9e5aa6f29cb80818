// RTP packet parsing and writing, RFC 3550 §5.1 / §5.3.1 / §A.1, RFC 8285 header extensions.
#include "rtp/rtp_packet.h"

#include <cstring>

#include "rtp/byte_order.h"

namespace sipmedia {

const char* describe(RtpParseError error) {
  switch (error) {
    case RtpParseError::kNone: return "ok";
    case RtpParseError::kTooShort: return "too short";
    case RtpParseError::kBadVersion: return "bad version";
    case RtpParseError::kBadCsrcCount: return "CSRC list past the end";
    case RtpParseError::kBadExtension: return "header extension past the end";
    case RtpParseError::kBadPadding: return "bad padding";
    case RtpParseError::kRtcpPayloadType: return "RTCP payload type";
  }
  return "unknown";
}

RtpParseError RtpPacketView::parse(const uint8_t* data, std::size_t size, RtpPacketView& out) {
  if (data == nullptr || size < kRtpFixedHeaderSize) return RtpParseError::kTooShort;
  // RFC 3550 §A.1: RTP version field must equal 2.
  if ((data[0] >> 6) != 2) return RtpParseError::kBadVersion;
  const bool padding = (data[0] & 0x20) != 0;
  const bool extension = (data[0] & 0x10) != 0;
  const std::size_t cc = data[0] & 0x0F;
  const uint8_t pt = data[1] & 0x7F;
  // RFC 3550 §A.1: the payload type must be known, and in particular it must not be equal to
  // SR or RR (with the marker bit these are 72..76 in the 7-bit field).
  if (pt >= 72 && pt <= 76) return RtpParseError::kRtcpPayloadType;
  std::size_t pos = kRtpFixedHeaderSize + 4 * cc;
  // RFC 3550 §A.1: the length of the packet must be consistent with CC and payload type.
  if (pos > size) return RtpParseError::kBadCsrcCount;
  const uint8_t* ext = nullptr;
  std::size_t extSize = 0;
  uint16_t profile = 0;
  if (extension) {
    // RFC 3550 §5.3.1: 16 bits defined by profile, 16 bits length in 32-bit words (excluding
    // the 4-octet extension header), then the data.
    if (pos + 4 > size) return RtpParseError::kBadExtension;
    profile = load16(data + pos);
    extSize = static_cast<std::size_t>(load16(data + pos + 2)) * 4;
    pos += 4;
    if (extSize > size - pos) return RtpParseError::kBadExtension;
    ext = data + pos;
    pos += extSize;
  }
  std::size_t pad = 0;
  if (padding) {
    // RFC 3550 §5.1: the last octet of the padding contains a count of how many padding octets
    // should be ignored, including itself. §A.1: if P is set, the last octet must be less than
    // the total packet length minus the header size.
    pad = data[size - 1];
    if (pad == 0 || pad > size - pos) return RtpParseError::kBadPadding;
  }
  out.data_ = data;
  out.size_ = size;
  out.marker_ = (data[1] & 0x80) != 0;
  out.payloadType_ = pt;
  out.sequence_ = load16(data + 2);
  out.timestamp_ = load32(data + 4);
  out.ssrc_ = load32(data + 8);
  out.csrcCount_ = cc;
  out.extension_ = ext;
  out.extensionSize_ = extSize;
  out.extensionProfile_ = profile;
  out.headerSize_ = pos;
  out.paddingSize_ = pad;
  out.payload_ = data + pos;
  out.payloadSize_ = size - pos - pad;
  return RtpParseError::kNone;
}

uint32_t RtpPacketView::csrc(std::size_t i) const {
  if (i >= csrcCount_) return 0;
  return load32(data_ + kRtpFixedHeaderSize + 4 * i);
}

bool RtpPacketView::findExtension(uint8_t id, const uint8_t*& value, std::size_t& valueSize) const {
  if (extension_ == nullptr) return false;
  const bool oneByte = extensionProfile_ == 0xBEDE;
  // RFC 8285 §4.3: two-byte header: "defined by profile" is 0x100 followed by 4 app bits.
  const bool twoByte = (extensionProfile_ & 0xFFF0) == 0x1000;
  if (!oneByte && !twoByte) return false;
  std::size_t pos = 0;
  const std::size_t end = extensionSize_;
  while (pos < end) {
    const uint8_t b = extension_[pos];
    if (b == 0) {  // RFC 8285 §4.2/§4.3: padding octets between elements
      pos++;
      continue;
    }
    std::size_t len;
    uint8_t elementId;
    if (oneByte) {
      elementId = b >> 4;
      // RFC 8285 §4.2: ID 15 is reserved: stop processing the extension.
      if (elementId == 15) return false;
      len = static_cast<std::size_t>(b & 0x0F) + 1;  // length field is length - 1
      pos += 1;
    } else {
      if (pos + 2 > end) return false;
      elementId = b;
      len = extension_[pos + 1];
      pos += 2;
    }
    if (len > end - pos) return false;
    if (elementId == id) {
      value = extension_ + pos;
      valueSize = len;
      return true;
    }
    pos += len;
  }
  return false;
}

std::size_t writeRtpHeader(const RtpHeaderFields& f, uint8_t* out, std::size_t capacity) {
  if (f.payloadType > 127 || f.csrcCount > kRtpMaxCsrc) return 0;
  if (f.csrcCount > 0 && f.csrcs == nullptr) return 0;
  const std::size_t size = kRtpFixedHeaderSize + 4 * f.csrcCount;
  if (out == nullptr || capacity < size) return 0;
  out[0] = static_cast<uint8_t>(0x80 | f.csrcCount);  // V=2, P=0, X=0
  out[1] = static_cast<uint8_t>((f.marker ? 0x80 : 0) | f.payloadType);
  store16(out + 2, f.sequence);
  store32(out + 4, f.timestamp);
  store32(out + 8, f.ssrc);
  for (std::size_t i = 0; i < f.csrcCount; i++) store32(out + 12 + 4 * i, f.csrcs[i]);
  return size;
}

std::size_t writeRtpPacket(const RtpHeaderFields& f, const uint8_t* payload, std::size_t payloadSize, uint8_t* out,
                           std::size_t capacity) {
  const std::size_t header = kRtpFixedHeaderSize + 4 * f.csrcCount;
  if (out == nullptr || capacity < header || payloadSize > capacity - header) return 0;
  if (payloadSize > 0 && payload == nullptr) return 0;
  if (writeRtpHeader(f, out, capacity) == 0) return 0;
  if (payloadSize > 0 && payload != out + header) std::memmove(out + header, payload, payloadSize);
  return header + payloadSize;
}

}  // namespace sipmedia
