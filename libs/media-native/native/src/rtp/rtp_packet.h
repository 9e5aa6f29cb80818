// RTP packet view (parser) and writer, RFC 3550 §5.1 and §5.3.1, with the RFC 8285 header
// extension formats (one-byte and two-byte). No allocation: a view points into the caller's
// buffer and is valid as long as that buffer is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipmedia {

/** RFC 3550 §5.1: the fixed header is 12 octets. */
constexpr std::size_t kRtpFixedHeaderSize = 12;
/** RFC 3550 §5.1: at most 15 CSRC identifiers. */
constexpr std::size_t kRtpMaxCsrc = 15;

/** Why a datagram was rejected as an RTP packet (RFC 3550 §A.1 validity checks). */
enum class RtpParseError {
  kNone = 0,
  kTooShort,        // shorter than the fixed header
  kBadVersion,      // version field is not 2
  kBadCsrcCount,    // CSRC list runs past the end of the datagram
  kBadExtension,    // extension header or its length runs past the end
  kBadPadding,      // padding count is 0 or larger than what is left after the header
  kRtcpPayloadType  // payload type 72..76 (SR/RR/SDES/BYE/APP with the marker bit): RFC 3550 §A.1
};

/** Short text for logs ("too short", "bad version", ...). */
const char* describe(RtpParseError error);

/**
 * A parsed RTP packet: header fields plus pointers into the original datagram. Parse with
 * `RtpPacketView::parse`; every accessor is valid only after a successful parse.
 */
class RtpPacketView {
 public:
  /**
   * Parses `size` bytes at `data`. Never reads outside [data, data + size). On failure `out`
   * is left in an unspecified state and the reason is returned.
   */
  static RtpParseError parse(const uint8_t* data, std::size_t size, RtpPacketView& out);

  bool marker() const { return marker_; }
  uint8_t payloadType() const { return payloadType_; }
  uint16_t sequence() const { return sequence_; }
  uint32_t timestamp() const { return timestamp_; }
  uint32_t ssrc() const { return ssrc_; }
  bool hasPadding() const { return paddingSize_ > 0; }
  /** Padding octets at the end, including the count octet itself (0 when P is clear). */
  std::size_t paddingSize() const { return paddingSize_; }
  std::size_t csrcCount() const { return csrcCount_; }
  /** CSRC `i` (0 <= i < csrcCount()). */
  uint32_t csrc(std::size_t i) const;

  bool hasExtension() const { return extension_ != nullptr; }
  /** The 16-bit "defined by profile" field (0xBEDE = one-byte, 0x100x = two-byte, RFC 8285 §4). */
  uint16_t extensionProfile() const { return extensionProfile_; }
  /** Extension data after the 4-octet extension header (length = 4 * length field). */
  const uint8_t* extensionData() const { return extension_; }
  std::size_t extensionSize() const { return extensionSize_; }
  /**
   * Finds the RFC 8285 element with `id` (one-byte or two-byte form; other profiles: not found).
   * On success sets `data`/`size` to the element's value and returns true.
   */
  bool findExtension(uint8_t id, const uint8_t*& data, std::size_t& size) const;

  /** Header length: 12 + 4 * CC + extension (if any). */
  std::size_t headerSize() const { return headerSize_; }
  const uint8_t* payload() const { return payload_; }
  /** Payload size without header and padding. */
  std::size_t payloadSize() const { return payloadSize_; }
  /** The whole datagram. */
  const uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  const uint8_t* payload_ = nullptr;
  std::size_t payloadSize_ = 0;
  const uint8_t* extension_ = nullptr;
  std::size_t extensionSize_ = 0;
  std::size_t headerSize_ = 0;
  std::size_t paddingSize_ = 0;
  std::size_t csrcCount_ = 0;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  uint16_t sequence_ = 0;
  uint16_t extensionProfile_ = 0;
  uint8_t payloadType_ = 0;
  bool marker_ = false;
};

/** The header fields the writer puts on the wire. */
struct RtpHeaderFields {
  bool marker = false;
  uint8_t payloadType = 0;  // 0..127
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  const uint32_t* csrcs = nullptr;  // csrcCount values (mixer output), may be null when 0
  std::size_t csrcCount = 0;        // <= kRtpMaxCsrc
};

/**
 * Writes the RTP header (no extension, no padding) for `fields` into `out`. Returns the header
 * size, or 0 when `capacity` is too small or a field is out of range.
 */
std::size_t writeRtpHeader(const RtpHeaderFields& fields, uint8_t* out, std::size_t capacity);

/**
 * Writes header + payload into `out`. Returns the packet size, or 0 when it does not fit or a
 * field is out of range. `payload` may alias `out + headerSize` (the payload is then kept as is).
 */
std::size_t writeRtpPacket(const RtpHeaderFields& fields, const uint8_t* payload, std::size_t payloadSize,
                           uint8_t* out, std::size_t capacity);

}  // namespace sipmedia
