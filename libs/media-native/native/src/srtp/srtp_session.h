// SRTP/SRTCP protection of one media stream (RFC 3711) with libsrtp2, keyed by SDES (RFC 4568).
//
// One SrtpSession holds two independent libsrtp contexts: outbound (our key, any SSRC we send)
// and inbound (the peer's key, any SSRC it sends; one replay window per SSRC). Packets are
// protected and unprotected in place in the caller's buffer; nothing is allocated per packet
// (libsrtp clones its stream template once, on the first packet of a new SSRC).
//
// Threading: the outbound path (protect*) and the inbound path (unprotect*) each take their own
// mutex, so a send thread and a receive thread can work at the same time; rekeying one direction
// waits for a packet in flight in that direction. stats() may be read from any thread.
//
// Without libsrtp2 at build time (no HAVE_SRTP2) the class still exists: available() is false,
// unavailableReason() says why, and every operation returns SrtpStatus::Unavailable, so nothing is
// ever sent unprotected by mistake.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "srtp/sdes.h"

namespace sipmedia {

/** Outcome of an SRTP operation; every failure kind is counted in SrtpStats. */
enum class SrtpStatus {
  Ok = 0,
  /** The authentication tag did not verify (tampered packet or wrong key). */
  AuthFail,
  /** A packet index already seen (RFC 3711 §3.3.2 replay list). */
  Replay,
  /** A packet index older than the replay window. */
  ReplayOld,
  /** The packet's MKI matches none of the configured keys. */
  BadMki,
  /** The key reached its lifetime: rekey before sending more. */
  KeyExpired,
  /** Key material refused (length, lifetime, MKI) at configuration. */
  BadKey,
  /** Not an RTP/RTCP packet (too short, bad version, header longer than the packet). */
  BadPacket,
  /** The caller's buffer cannot hold the packet plus the SRTP trailer. */
  BufferTooSmall,
  /** This direction has no key yet. */
  NotConfigured,
  /** The build has no libsrtp2. */
  Unavailable,
  /** Any other libsrtp error. */
  Failure,
};

/** Stable name of a status (`auth_fail`, `replay`...), for logs and stats keys. */
const char* srtpStatusName(SrtpStatus status);

/** Result of protect/unprotect: on Ok, `length` is the new packet length in the buffer. */
struct SrtpResult {
  SrtpStatus status = SrtpStatus::Failure;
  std::size_t length = 0;
  bool ok() const { return status == SrtpStatus::Ok; }
};

/** Key material for one direction. */
struct SrtpDirectionKeys {
  SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  /** One key, or several with distinct MKIs of one length (RFC 4568 §6.1). */
  std::vector<SdesKeyParam> keys;
  /** Outbound: index in `keys` of the key used to protect. */
  std::size_t activeKey = 0;
  /** Inbound: replay window in packets (libsrtp accepts 64..32767); 0 = libsrtp default (128). */
  uint32_t replayWindow = 0;
};

/** Counters of one session (monotonic; a rekey does not reset them). */
struct SrtpStats {
  uint64_t rtpProtected = 0;
  uint64_t rtpUnprotected = 0;
  uint64_t rtcpProtected = 0;
  uint64_t rtcpUnprotected = 0;
  uint64_t authFailures = 0;
  uint64_t replayFailures = 0;
  uint64_t badMki = 0;
  uint64_t keyExpired = 0;
  uint64_t badKey = 0;
  uint64_t badPackets = 0;
  uint64_t otherFailures = 0;
  uint64_t rekeys = 0;
};

/** SRTP for one media stream (RTP and RTCP, both directions). */
class SrtpSession {
 public:
  /** Whether this build can protect (libsrtp2 found at build time and initialised). */
  static bool available();
  /** Why not, when available() is false; empty otherwise. */
  static const char* unavailableReason();
  /** libsrtp's version string, or "" without it. */
  static const char* libraryVersion();

  SrtpSession();
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  /** Sets both directions (first keying, or a rekey after a new offer/answer). */
  SrtpStatus configure(const SrtpDirectionKeys& outbound, const SrtpDirectionKeys& inbound);
  /**
   * (Re)keys the outbound direction: new contexts, sequence/ROC state starts over. Returns BadKey
   * (and keeps the previous key) when the material does not fit the suite.
   */
  SrtpStatus setOutboundKeys(const SrtpDirectionKeys& keys);
  /** (Re)keys the inbound direction (fresh replay windows). BadKey keeps the previous key. */
  SrtpStatus setInboundKeys(const SrtpDirectionKeys& keys);
  /** Drops both contexts; later operations return NotConfigured. Idempotent. */
  void close();

  /** Octets protectRtp adds with the current outbound key (tag + MKI). */
  std::size_t rtpOverhead() const;
  /** Octets protectRtcp adds with the current outbound key (E+index + tag + MKI). */
  std::size_t rtcpOverhead() const;
  /** Largest overhead of any suite/MKI: a buffer with this much room always suffices. */
  static constexpr std::size_t kMaxOverhead = 4 + 16 + 128;

  /**
   * Protects the RTP packet in `packet[0..length)` in place; `capacity` is the buffer size
   * (at least length + rtpOverhead()). The buffer should be 4-byte aligned.
   */
  SrtpResult protectRtp(uint8_t* packet, std::size_t length, std::size_t capacity);
  /** Verifies and decrypts an SRTP packet in place (replay-checked per SSRC). */
  SrtpResult unprotectRtp(uint8_t* packet, std::size_t length);
  /** Protects a (compound) RTCP packet in place; `capacity` >= length + rtcpOverhead(). */
  SrtpResult protectRtcp(uint8_t* packet, std::size_t length, std::size_t capacity);
  /** Verifies and decrypts an SRTCP packet in place. */
  SrtpResult unprotectRtcp(uint8_t* packet, std::size_t length);

  /** A snapshot of the counters. */
  SrtpStats stats() const;
  /** Whether the outbound / inbound direction has a key. */
  bool hasOutbound() const;
  bool hasInbound() const;

 private:
  struct Direction;
  SrtpStatus setDirection(Direction& dir, const SrtpDirectionKeys& keys, bool outbound);
  SrtpResult count(SrtpStatus status, std::size_t length, std::atomic<uint64_t>& okCounter);

  Direction* out_;
  Direction* in_;
  struct Counters {
    std::atomic<uint64_t> rtpProtected{0}, rtpUnprotected{0}, rtcpProtected{0}, rtcpUnprotected{0};
    std::atomic<uint64_t> authFailures{0}, replayFailures{0}, badMki{0}, keyExpired{0}, badKey{0};
    std::atomic<uint64_t> badPackets{0}, otherFailures{0}, rekeys{0};
  } counters_;
};

}  // namespace sipmedia
