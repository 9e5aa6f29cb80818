// SrtpSession over libsrtp2. See srtp_session.h.
#include "srtp/srtp_session.h"

#include <cstring>
#include <mutex>
#include <string>

#ifdef HAVE_SRTP2
#include <srtp2/srtp.h>
#endif

namespace sipmedia {

namespace {

#ifdef HAVE_SRTP2
// libsrtp's srtp_init() loads its crypto kernel and must run once per process before any other
// call; it is not itself thread-safe, so every first use goes through one std::call_once.
struct LibraryState {
  bool ok = false;
  std::string reason;
};

const LibraryState& library() {
  static LibraryState state;
  static std::once_flag once;
  std::call_once(once, [] {
    srtp_err_status_t err = srtp_init();
    state.ok = err == srtp_err_status_ok;
    if (!state.ok) state.reason = "srtp_init failed with libsrtp error " + std::to_string(static_cast<int>(err));
  });
  return state;
}

SrtpStatus mapError(srtp_err_status_t err) {
  switch (err) {
    case srtp_err_status_ok:
      return SrtpStatus::Ok;
    case srtp_err_status_auth_fail:
      return SrtpStatus::AuthFail;
    case srtp_err_status_replay_fail:
      return SrtpStatus::Replay;
    case srtp_err_status_replay_old:
      return SrtpStatus::ReplayOld;
    case srtp_err_status_bad_mki:
      return SrtpStatus::BadMki;
    case srtp_err_status_key_expired:
      return SrtpStatus::KeyExpired;
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_param:
      return SrtpStatus::BadPacket;
    default:
      return SrtpStatus::Failure;
  }
}
#endif

// RFC 3550 §5.1: fixed header, CSRC list, then the optional header extension (§5.3.1).
// Returns the header length, or 0 when `packet` is not a whole RTP header.
std::size_t rtpHeaderLength(const uint8_t* packet, std::size_t length) {
  if (length < 12 || (packet[0] >> 6) != 2) return 0;
  std::size_t header = 12 + 4u * (packet[0] & 0x0F);
  if (packet[0] & 0x10) {
    if (header + 4 > length) return 0;
    std::size_t words = (std::size_t{packet[header + 2]} << 8) | packet[header + 3];
    header += 4 + 4 * words;
  }
  return header <= length ? header : 0;
}

// RFC 3550 §6.4: every RTCP packet starts with a 4-octet header; a compound packet starts with
// an SR or RR of at least 8 octets (version 2).
bool looksLikeRtcp(const uint8_t* packet, std::size_t length) { return length >= 8 && (packet[0] >> 6) == 2; }

}  // namespace

struct SrtpSession::Direction {
  std::mutex mutex;
#ifdef HAVE_SRTP2
  srtp_t ctx = nullptr;
#endif
  bool configured = false;
  std::size_t rtpTag = 0;
  std::size_t rtcpTag = 0;
  std::size_t mkiLength = 0;
  unsigned mkiIndex = 0;
  uint64_t lifetime = 0;
  uint64_t rtpCount = 0;
  uint64_t rtcpCount = 0;
};

const char* srtpStatusName(SrtpStatus status) {
  switch (status) {
    case SrtpStatus::Ok: return "ok";
    case SrtpStatus::AuthFail: return "auth_fail";
    case SrtpStatus::Replay: return "replay";
    case SrtpStatus::ReplayOld: return "replay_old";
    case SrtpStatus::BadMki: return "bad_mki";
    case SrtpStatus::KeyExpired: return "key_expired";
    case SrtpStatus::BadKey: return "bad_key";
    case SrtpStatus::BadPacket: return "bad_packet";
    case SrtpStatus::BufferTooSmall: return "buffer_too_small";
    case SrtpStatus::NotConfigured: return "not_configured";
    case SrtpStatus::Unavailable: return "unavailable";
    case SrtpStatus::Failure: return "failure";
  }
  return "failure";
}

bool SrtpSession::available() {
#ifdef HAVE_SRTP2
  return library().ok;
#else
  return false;
#endif
}

const char* SrtpSession::unavailableReason() {
#ifdef HAVE_SRTP2
  return library().ok ? "" : library().reason.c_str();
#else
  return "libsrtp2 not found at build time (install libsrtp2-dev and rebuild)";
#endif
}

const char* SrtpSession::libraryVersion() {
#ifdef HAVE_SRTP2
  return srtp_get_version_string();
#else
  return "";
#endif
}

SrtpSession::SrtpSession() : out_(new Direction()), in_(new Direction()) {}

SrtpSession::~SrtpSession() {
  close();
  delete out_;
  delete in_;
}

void SrtpSession::close() {
  for (Direction* dir : {out_, in_}) {
    std::lock_guard<std::mutex> lock(dir->mutex);
#ifdef HAVE_SRTP2
    if (dir->ctx != nullptr) srtp_dealloc(dir->ctx);
    dir->ctx = nullptr;
#endif
    dir->configured = false;
  }
}

bool SrtpSession::hasOutbound() const {
  std::lock_guard<std::mutex> lock(out_->mutex);
  return out_->configured;
}

bool SrtpSession::hasInbound() const {
  std::lock_guard<std::mutex> lock(in_->mutex);
  return in_->configured;
}

SrtpStatus SrtpSession::configure(const SrtpDirectionKeys& outbound, const SrtpDirectionKeys& inbound) {
  SrtpStatus s = setOutboundKeys(outbound);
  if (s != SrtpStatus::Ok) return s;
  return setInboundKeys(inbound);
}

SrtpStatus SrtpSession::setOutboundKeys(const SrtpDirectionKeys& keys) { return setDirection(*out_, keys, true); }

SrtpStatus SrtpSession::setInboundKeys(const SrtpDirectionKeys& keys) { return setDirection(*in_, keys, false); }

SrtpStatus SrtpSession::setDirection(Direction& dir, const SrtpDirectionKeys& keys, bool outbound) {
  if (!available()) return SrtpStatus::Unavailable;
  auto badKey = [this] {
    counters_.badKey.fetch_add(1, std::memory_order_relaxed);
    return SrtpStatus::BadKey;
  };
  // RFC 4568 §6.1: one key, or several that all carry an MKI of the same length.
  if (keys.keys.empty() || keys.keys.size() > 16 || keys.activeKey >= keys.keys.size()) return badKey();
  const std::size_t mkiLength = keys.keys[0].mkiLength;
  if (keys.keys.size() > 1 && mkiLength == 0) return badKey();
  for (const SdesKeyParam& k : keys.keys) {
    if (!validateSdesKey(k, keys.suite).ok() || k.mkiLength != mkiLength) return badKey();
  }
  if (keys.replayWindow != 0 && (keys.replayWindow < 64 || keys.replayWindow >= 0x8000)) return badKey();
  const SrtpSuiteInfo& info = srtpSuiteInfo(keys.suite);
#ifdef HAVE_SRTP2
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  switch (keys.suite) {
    case SrtpSuite::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpSuite::AesCm128HmacSha1_32:
      // RFC 4568 §6.2.2: the 32-bit tag applies to SRTP only; SRTCP uses the 80-bit tag.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpSuite::AeadAes128Gcm:
      // RFC 7714 §14.2: AEAD_AES_128_GCM has a 16-octet authentication tag.
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
    case SrtpSuite::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
      break;
  }
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.window_size = keys.replayWindow;
  // RFC 3711 §3.3.2: a sender never reuses a packet index with the same key.
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;

  // Working copies of the key material, wiped before returning.
  std::vector<std::vector<uint8_t>> material;
  std::vector<std::vector<uint8_t>> mkis;
  std::vector<srtp_master_key_t> masterKeys(keys.keys.size());
  std::vector<srtp_master_key_t*> masterKeyPtrs(keys.keys.size());
  for (const SdesKeyParam& k : keys.keys) {
    material.push_back(k.keySalt);
    // RFC 3711 §3.1: the MKI is carried as an octet string of the signalled length; SDES gives
    // its value in decimal (RFC 4568 §6.1), sent here big-endian.
    std::vector<uint8_t> mki(k.mkiLength, 0);
    for (std::size_t b = 0; b < k.mkiLength && b < 8; ++b) {
      mki[k.mkiLength - 1 - b] = static_cast<uint8_t>(k.mkiValue >> (8 * b));
    }
    mkis.push_back(std::move(mki));
  }
  if (mkiLength == 0) {
    policy.key = material[0].data();
  } else {
    for (std::size_t i = 0; i < keys.keys.size(); ++i) {
      masterKeys[i].key = material[i].data();
      masterKeys[i].mki_id = mkis[i].data();
      masterKeys[i].mki_size = static_cast<unsigned>(mkiLength);
      masterKeyPtrs[i] = &masterKeys[i];
    }
    policy.key = nullptr;
    policy.keys = masterKeyPtrs.data();
    policy.num_master_keys = keys.keys.size();
  }
  srtp_t ctx = nullptr;
  srtp_err_status_t err = srtp_create(&ctx, &policy);
  for (auto& m : material) std::memset(m.data(), 0, m.size());
  if (err != srtp_err_status_ok) {
    if (ctx != nullptr) srtp_dealloc(ctx);
    return badKey();
  }
  std::lock_guard<std::mutex> lock(dir.mutex);
  if (dir.ctx != nullptr) {
    srtp_dealloc(dir.ctx);
    counters_.rekeys.fetch_add(1, std::memory_order_relaxed);
  }
  dir.ctx = ctx;
#else
  (void)outbound;
  std::lock_guard<std::mutex> lock(dir.mutex);
#endif
  dir.configured = true;
  dir.rtpTag = info.rtpTagLength;
  dir.rtcpTag = info.rtcpTagLength;
  dir.mkiLength = mkiLength;
  dir.mkiIndex = static_cast<unsigned>(keys.activeKey);
  dir.lifetime = keys.keys[keys.activeKey].lifetime;
  dir.rtpCount = 0;
  dir.rtcpCount = 0;
  return SrtpStatus::Ok;
}

std::size_t SrtpSession::rtpOverhead() const {
  std::lock_guard<std::mutex> lock(out_->mutex);
  return out_->rtpTag + out_->mkiLength;
}

std::size_t SrtpSession::rtcpOverhead() const {
  std::lock_guard<std::mutex> lock(out_->mutex);
  // RFC 3711 §3.4: SRTCP adds the E flag and 31-bit index, the MKI and the tag.
  return 4 + out_->rtcpTag + out_->mkiLength;
}

SrtpResult SrtpSession::count(SrtpStatus status, std::size_t length, std::atomic<uint64_t>& okCounter) {
  auto bump = [](std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); };
  switch (status) {
    case SrtpStatus::Ok: bump(okCounter); break;
    case SrtpStatus::AuthFail: bump(counters_.authFailures); break;
    case SrtpStatus::Replay:
    case SrtpStatus::ReplayOld: bump(counters_.replayFailures); break;
    case SrtpStatus::BadMki: bump(counters_.badMki); break;
    case SrtpStatus::KeyExpired: bump(counters_.keyExpired); break;
    case SrtpStatus::BadKey: bump(counters_.badKey); break;
    case SrtpStatus::BadPacket:
    case SrtpStatus::BufferTooSmall: bump(counters_.badPackets); break;
    case SrtpStatus::NotConfigured:
    case SrtpStatus::Unavailable:
    case SrtpStatus::Failure: bump(counters_.otherFailures); break;
  }
  return SrtpResult{status, status == SrtpStatus::Ok ? length : 0};
}

SrtpResult SrtpSession::protectRtp(uint8_t* packet, std::size_t length, std::size_t capacity) {
  if (!available()) return count(SrtpStatus::Unavailable, 0, counters_.rtpProtected);
  if (packet == nullptr || rtpHeaderLength(packet, length) == 0) return count(SrtpStatus::BadPacket, 0, counters_.rtpProtected);
  std::lock_guard<std::mutex> lock(out_->mutex);
  if (!out_->configured) return count(SrtpStatus::NotConfigured, 0, counters_.rtpProtected);
  if (capacity < length + out_->rtpTag + out_->mkiLength || length > 0x7FFFFFFF - kMaxOverhead) {
    return count(SrtpStatus::BufferTooSmall, 0, counters_.rtpProtected);
  }
  // RFC 4568 §6.1: the lifetime is the number of packets the key may protect.
  if (out_->lifetime != 0 && out_->rtpCount >= out_->lifetime) return count(SrtpStatus::KeyExpired, 0, counters_.rtpProtected);
#ifdef HAVE_SRTP2
  int len = static_cast<int>(length);
  srtp_err_status_t err = out_->mkiLength != 0 ? srtp_protect_mki(out_->ctx, packet, &len, 1, out_->mkiIndex)
                                                : srtp_protect(out_->ctx, packet, &len);
  SrtpStatus s = mapError(err);
  if (s == SrtpStatus::Ok) ++out_->rtpCount;
  return count(s, static_cast<std::size_t>(len), counters_.rtpProtected);
#else
  return count(SrtpStatus::Unavailable, 0, counters_.rtpProtected);
#endif
}

SrtpResult SrtpSession::unprotectRtp(uint8_t* packet, std::size_t length) {
  if (!available()) return count(SrtpStatus::Unavailable, 0, counters_.rtpUnprotected);
  if (packet == nullptr || length > 0x7FFFFFFF) return count(SrtpStatus::BadPacket, 0, counters_.rtpUnprotected);
  std::size_t header = rtpHeaderLength(packet, length);
  std::lock_guard<std::mutex> lock(in_->mutex);
  if (!in_->configured) return count(SrtpStatus::NotConfigured, 0, counters_.rtpUnprotected);
  if (header == 0 || length < header + in_->rtpTag + in_->mkiLength) {
    return count(SrtpStatus::BadPacket, 0, counters_.rtpUnprotected);
  }
#ifdef HAVE_SRTP2
  int len = static_cast<int>(length);
  srtp_err_status_t err = in_->mkiLength != 0 ? srtp_unprotect_mki(in_->ctx, packet, &len, 1)
                                               : srtp_unprotect(in_->ctx, packet, &len);
  return count(mapError(err), static_cast<std::size_t>(len), counters_.rtpUnprotected);
#else
  return count(SrtpStatus::Unavailable, 0, counters_.rtpUnprotected);
#endif
}

SrtpResult SrtpSession::protectRtcp(uint8_t* packet, std::size_t length, std::size_t capacity) {
  if (!available()) return count(SrtpStatus::Unavailable, 0, counters_.rtcpProtected);
  if (packet == nullptr || !looksLikeRtcp(packet, length)) return count(SrtpStatus::BadPacket, 0, counters_.rtcpProtected);
  std::lock_guard<std::mutex> lock(out_->mutex);
  if (!out_->configured) return count(SrtpStatus::NotConfigured, 0, counters_.rtcpProtected);
  if (capacity < length + 4 + out_->rtcpTag + out_->mkiLength || length > 0x7FFFFFFF - kMaxOverhead) {
    return count(SrtpStatus::BufferTooSmall, 0, counters_.rtcpProtected);
  }
  // RFC 3711 §9.2: SRTCP has its own 2^31 index space, so its count is kept apart from SRTP's.
  if (out_->lifetime != 0 && out_->rtcpCount >= out_->lifetime) return count(SrtpStatus::KeyExpired, 0, counters_.rtcpProtected);
#ifdef HAVE_SRTP2
  int len = static_cast<int>(length);
  srtp_err_status_t err = out_->mkiLength != 0 ? srtp_protect_rtcp_mki(out_->ctx, packet, &len, 1, out_->mkiIndex)
                                                : srtp_protect_rtcp(out_->ctx, packet, &len);
  SrtpStatus s = mapError(err);
  if (s == SrtpStatus::Ok) ++out_->rtcpCount;
  return count(s, static_cast<std::size_t>(len), counters_.rtcpProtected);
#else
  return count(SrtpStatus::Unavailable, 0, counters_.rtcpProtected);
#endif
}

SrtpResult SrtpSession::unprotectRtcp(uint8_t* packet, std::size_t length) {
  if (!available()) return count(SrtpStatus::Unavailable, 0, counters_.rtcpUnprotected);
  if (packet == nullptr || length > 0x7FFFFFFF || !looksLikeRtcp(packet, length)) {
    return count(SrtpStatus::BadPacket, 0, counters_.rtcpUnprotected);
  }
  std::lock_guard<std::mutex> lock(in_->mutex);
  if (!in_->configured) return count(SrtpStatus::NotConfigured, 0, counters_.rtcpUnprotected);
  if (length < 8 + 4 + in_->rtcpTag + in_->mkiLength) return count(SrtpStatus::BadPacket, 0, counters_.rtcpUnprotected);
#ifdef HAVE_SRTP2
  int len = static_cast<int>(length);
  srtp_err_status_t err = in_->mkiLength != 0 ? srtp_unprotect_rtcp_mki(in_->ctx, packet, &len, 1)
                                               : srtp_unprotect_rtcp(in_->ctx, packet, &len);
  return count(mapError(err), static_cast<std::size_t>(len), counters_.rtcpUnprotected);
#else
  return count(SrtpStatus::Unavailable, 0, counters_.rtcpUnprotected);
#endif
}

SrtpStats SrtpSession::stats() const {
  auto r = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  SrtpStats s;
  s.rtpProtected = r(counters_.rtpProtected);
  s.rtpUnprotected = r(counters_.rtpUnprotected);
  s.rtcpProtected = r(counters_.rtcpProtected);
  s.rtcpUnprotected = r(counters_.rtcpUnprotected);
  s.authFailures = r(counters_.authFailures);
  s.replayFailures = r(counters_.replayFailures);
  s.badMki = r(counters_.badMki);
  s.keyExpired = r(counters_.keyExpired);
  s.badKey = r(counters_.badKey);
  s.badPackets = r(counters_.badPackets);
  s.otherFailures = r(counters_.otherFailures);
  s.rekeys = r(counters_.rekeys);
  return s;
}

}  // namespace sipmedia
