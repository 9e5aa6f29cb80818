// SRTP: SDES key parameters (RFC 4568), SrtpSession round trips, failures and known vectors.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "srtp/sdes.h"
#include "srtp/srtp_session.h"

#ifdef HAVE_SRTP2
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>
// Exported by libsrtp2 (crypto_kernel.h is not installed): the kernel's factory for its ciphers
// and authenticators, used here to compute reference values apart from the SRTP packet code.
extern "C" srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id, srtp_cipher_pointer_t* cp,
                                                             int key_len, int tag_len);
extern "C" srtp_err_status_t srtp_crypto_kernel_alloc_auth(srtp_auth_type_id_t id, srtp_auth_pointer_t* ap,
                                                           int key_len, int tag_len);
#endif

using namespace sipmedia;

namespace {

[[maybe_unused]] std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

// An RTP packet (RFC 3550 §5.1) in a buffer with room for the SRTP trailer.
std::vector<uint8_t> rtpPacket(uint16_t seq, uint32_t ssrc, std::size_t payload, uint8_t fill = 0x5A) {
  std::vector<uint8_t> p(12 + payload + SrtpSession::kMaxOverhead, 0);
  p[0] = 0x80;
  p[1] = 0;  // PCMU
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  uint32_t ts = seq * 160u;
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (std::size_t i = 0; i < payload; ++i) p[12 + i] = static_cast<uint8_t>(fill + i);
  return p;
}

// An RTCP receiver report with one report block (RFC 3550 §6.4.2), 32 octets.
[[maybe_unused]] std::vector<uint8_t> rtcpPacket(uint32_t ssrc) {
  std::vector<uint8_t> p(32 + SrtpSession::kMaxOverhead, 0);
  p[0] = 0x81;
  p[1] = 201;
  p[3] = 7;  // length in 32-bit words minus one
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 8; i < 32; ++i) p[i] = static_cast<uint8_t>(i * 3);
  return p;
}

SrtpDirectionKeys keysOf(SrtpSuite suite, const SdesKeyParam& key) {
  SrtpDirectionKeys k;
  k.suite = suite;
  k.keys.push_back(key);
  return k;
}

}  // namespace

TEST_CASE("SRTP SDES: base64 per RFC 4648 §10 test vectors") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& v : vectors) {
    std::string in = v.first;
    CHECK(base64Encode(reinterpret_cast<const uint8_t*>(in.data()), in.size()) == v.second);
    std::vector<uint8_t> out;
    REQUIRE(base64Decode(v.second, out));
    CHECK(std::string(out.begin(), out.end()) == in);
  }
  std::vector<uint8_t> out;
  CHECK(base64Decode("Zm8", out));  // padding left out is accepted
  CHECK(std::string(out.begin(), out.end()) == "fo");
  CHECK_FALSE(base64Decode("Zm9v!", out));
  CHECK_FALSE(base64Decode("Z===", out));
  CHECK_FALSE(base64Decode("Zm9vY", out));
}

TEST_CASE("SRTP SDES: key parameters with lifetime and MKI (RFC 4568 §9.2)") {
  // RFC 4568 §4's example key (30 octets for AES_CM_128_HMAC_SHA1_80).
  const std::string b64 = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
  SdesKeyParam key;
  SdesError err = parseSdesKeyParam("inline:" + b64 + "|2^20|1:32", SrtpSuite::AesCm128HmacSha1_80, key);
  REQUIRE(err.ok());
  CHECK(key.keySalt.size() == 30);
  CHECK(key.lifetime == (uint64_t{1} << 20));
  CHECK(key.mkiValue == 1);
  CHECK(key.mkiLength == 32);
  CHECK(formatSdesKeyParam(key) == "inline:" + b64 + "|2^20|1:32");

  CHECK(parseSdesKeyParam("inline:" + b64, SrtpSuite::AesCm128HmacSha1_32, key).ok());
  CHECK(key.lifetime == 0);
  CHECK(key.mkiLength == 0);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|1048576", SrtpSuite::AesCm128HmacSha1_80, key).ok());
  CHECK(key.lifetime == 1048576);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|7:4", SrtpSuite::AesCm128HmacSha1_80, key).ok());
  CHECK(key.mkiValue == 7);

  CHECK(parseSdesKeyParam("uri:" + b64, SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadKeyMethod);
  CHECK(parseSdesKeyParam("inline:" + b64 + "*", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadBase64);
  CHECK(parseSdesKeyParam("inline:", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadBase64);
  // 30 octets are not a GCM key||salt (28 or 44).
  CHECK(parseSdesKeyParam("inline:" + b64, SrtpSuite::AeadAes128Gcm, key).code == SdesErrorCode::BadKeyLength);
  CHECK(parseSdesKeyParam("inline:" + b64, SrtpSuite::AeadAes256Gcm, key).code == SdesErrorCode::BadKeyLength);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|2^49", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadLifetime);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|0", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadLifetime);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|2^x", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadLifetime);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|1:0", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadMki);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|1:129", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadMki);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|256:1", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadMki);
  CHECK(parseSdesKeyParam("inline:" + b64 + "|1:4|2^20", SrtpSuite::AesCm128HmacSha1_80, key).code == SdesErrorCode::BadLifetime);
}

TEST_CASE("SRTP SDES: whole a=crypto values, several keys, session parameters") {
  const std::string k1 = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
  const std::string k2 = "inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|2^20|2:4";
  SdesCrypto c;
  REQUIRE(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 " + k1 + ";" + k2 + " WSH=128", c).ok());
  CHECK(c.tag == 1);
  CHECK(c.suite == SrtpSuite::AesCm128HmacSha1_80);
  REQUIRE(c.keys.size() == 2);
  CHECK(c.keys[1].mkiValue == 2);
  CHECK(c.windowSizeHint == 128);
  CHECK(formatSdesCrypto(c) == "1 AES_CM_128_HMAC_SHA1_80 " + k1 + ";" + k2 + " WSH=128");

  CHECK(parseSdesCrypto("2 AES_CM_128_HMAC_SHA1_80 " + k1 + " KDR=0", c).ok());
  CHECK(parseSdesCrypto("1 F8_128_HMAC_SHA1_80 " + k1, c).code == SdesErrorCode::UnknownSuite);
  CHECK(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80", c).code == SdesErrorCode::BadSyntax);
  CHECK(parseSdesCrypto("x AES_CM_128_HMAC_SHA1_80 " + k1, c).code == SdesErrorCode::BadSyntax);
  CHECK(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 " + k1 + ";" + k1, c).code == SdesErrorCode::BadMki);
  CHECK(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR;" + k2, c).code ==
        SdesErrorCode::BadMki);
  CHECK(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 " + k1 + " UNENCRYPTED_SRTP", c).code ==
        SdesErrorCode::UnsupportedSessionParam);
  CHECK(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 " + k1 + " KDR=24", c).code == SdesErrorCode::UnsupportedSessionParam);
  CHECK(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 " + k1 + " WSH=10", c).code == SdesErrorCode::BadSyntax);
}

TEST_CASE("SRTP SDES: generated keys are random, of the suite's length, and parse back") {
  for (SrtpSuite suite : srtpSuites()) {
    const SrtpSuiteInfo& info = srtpSuiteInfo(suite);
    SdesCrypto a = generateSdesCrypto(1, suite);
    SdesCrypto b = generateSdesCrypto(1, suite);
    REQUIRE(a.keys.size() == 1);
    CHECK(a.keys[0].keySalt.size() == info.keyLength + info.saltLength);
    CHECK(a.keys[0].keySalt != b.keys[0].keySalt);
    SdesCrypto parsed;
    REQUIRE(parseSdesCrypto(formatSdesCrypto(a), parsed).ok());
    CHECK(parsed.suite == suite);
    CHECK(parsed.keys[0].keySalt == a.keys[0].keySalt);
    CHECK(findSrtpSuite(info.name) == &info);
  }
  CHECK(srtpSuiteInfo(SrtpSuite::AeadAes256Gcm).keyLength == 32);
  CHECK(srtpSuiteInfo(SrtpSuite::AeadAes128Gcm).saltLength == 12);
  CHECK(srtpSuiteInfo(SrtpSuite::AesCm128HmacSha1_32).rtpTagLength == 4);
  CHECK(srtpSuiteInfo(SrtpSuite::AesCm128HmacSha1_32).rtcpTagLength == 10);
}

#ifndef HAVE_SRTP2
TEST_CASE("SRTP: without libsrtp2 the session reports itself unavailable and refuses to protect") {
  CHECK_FALSE(SrtpSession::available());
  CHECK(std::string(SrtpSession::unavailableReason()).find("libsrtp2") != std::string::npos);
  SrtpSession s;
  SdesKeyParam k = generateSdesKey(SrtpSuite::AesCm128HmacSha1_80);
  CHECK(s.configure(keysOf(SrtpSuite::AesCm128HmacSha1_80, k), keysOf(SrtpSuite::AesCm128HmacSha1_80, k)) ==
        SrtpStatus::Unavailable);
  auto p = rtpPacket(1, 1, 160);
  CHECK(s.protectRtp(p.data(), 172, p.size()).status == SrtpStatus::Unavailable);
}
#else

TEST_CASE("SRTP: the library is initialised once and available") {
  CHECK(SrtpSession::available());
  CHECK(std::string(SrtpSession::unavailableReason()).empty());
  CHECK(std::string(SrtpSession::libraryVersion()).find("libsrtp") != std::string::npos);
}

TEST_CASE("SRTP: RTP and RTCP round trips for every suite") {
  for (SrtpSuite suite : srtpSuites()) {
    const SrtpSuiteInfo& info = srtpSuiteInfo(suite);
    CAPTURE(info.name);
    SdesKeyParam aliceKey = generateSdesKey(suite);
    SdesKeyParam bobKey = generateSdesKey(suite);
    SrtpSession alice;
    SrtpSession bob;
    REQUIRE(alice.configure(keysOf(suite, aliceKey), keysOf(suite, bobKey)) == SrtpStatus::Ok);
    REQUIRE(bob.configure(keysOf(suite, bobKey), keysOf(suite, aliceKey)) == SrtpStatus::Ok);
    CHECK(alice.rtpOverhead() == info.rtpTagLength);
    CHECK(alice.rtcpOverhead() == 4 + info.rtcpTagLength);

    for (uint16_t seq = 100; seq < 110; ++seq) {
      auto plain = rtpPacket(seq, 0x11223344, 160);
      auto p = plain;
      SrtpResult r = alice.protectRtp(p.data(), 172, p.size());
      REQUIRE(r.ok());
      CHECK(r.length == 172 + info.rtpTagLength);
      CHECK(std::memcmp(p.data(), plain.data(), 12) == 0);        // header stays clear
      CHECK(std::memcmp(p.data() + 12, plain.data() + 12, 160) != 0);  // payload does not
      SrtpResult u = bob.unprotectRtp(p.data(), r.length);
      REQUIRE(u.ok());
      CHECK(u.length == 172);
      CHECK(std::memcmp(p.data(), plain.data(), 172) == 0);
    }
    // The other direction, and RTCP both ways.
    auto q = rtpPacket(7, 0x55667788, 80);
    auto qPlain = q;
    SrtpResult r = bob.protectRtp(q.data(), 92, q.size());
    REQUIRE(r.ok());
    REQUIRE(alice.unprotectRtp(q.data(), r.length).ok());
    CHECK(std::memcmp(q.data(), qPlain.data(), 92) == 0);

    auto c = rtcpPacket(0x11223344);
    auto cPlain = c;
    SrtpResult rc = alice.protectRtcp(c.data(), 32, c.size());
    REQUIRE(rc.ok());
    CHECK(rc.length == 32 + 4 + info.rtcpTagLength);
    CHECK(std::memcmp(c.data() + 8, cPlain.data() + 8, 24) != 0);  // RTCP body is encrypted
    SrtpResult uc = bob.unprotectRtcp(c.data(), rc.length);
    REQUIRE(uc.ok());
    CHECK(uc.length == 32);
    CHECK(std::memcmp(c.data(), cPlain.data(), 32) == 0);

    SrtpStats s = bob.stats();
    CHECK(s.rtpUnprotected == 10);
    CHECK(s.rtpProtected == 1);
    CHECK(s.rtcpUnprotected == 1);
    CHECK(s.authFailures == 0);
  }
}

TEST_CASE("SRTP: a tampered packet fails authentication and is counted") {
  for (SrtpSuite suite : srtpSuites()) {
    CAPTURE(srtpSuiteInfo(suite).name);
    SdesKeyParam key = generateSdesKey(suite);
    SrtpSession tx;
    SrtpSession rx;
    REQUIRE(tx.setOutboundKeys(keysOf(suite, key)) == SrtpStatus::Ok);
    REQUIRE(rx.setInboundKeys(keysOf(suite, key)) == SrtpStatus::Ok);
    auto p = rtpPacket(1, 42, 160);
    SrtpResult r = tx.protectRtp(p.data(), 172, p.size());
    REQUIRE(r.ok());
    auto payloadFlip = p;
    payloadFlip[40] ^= 0x01;
    CHECK(rx.unprotectRtp(payloadFlip.data(), r.length).status == SrtpStatus::AuthFail);
    auto headerFlip = p;
    headerFlip[1] ^= 0x01;  // payload type is authenticated too
    CHECK(rx.unprotectRtp(headerFlip.data(), r.length).status == SrtpStatus::AuthFail);
    auto tagFlip = p;
    tagFlip[r.length - 1] ^= 0x80;
    CHECK(rx.unprotectRtp(tagFlip.data(), r.length).status == SrtpStatus::AuthFail);
    // The untouched packet still passes: failures do not poison the replay window.
    CHECK(rx.unprotectRtp(p.data(), r.length).ok());

    auto c = rtcpPacket(42);
    SrtpResult rc = tx.protectRtcp(c.data(), 32, c.size());
    REQUIRE(rc.ok());
    c[20] ^= 0x04;
    CHECK(rx.unprotectRtcp(c.data(), rc.length).status == SrtpStatus::AuthFail);
    CHECK(rx.stats().authFailures == 4);
  }
}

TEST_CASE("SRTP: replayed and too old packets are rejected (RFC 3711 §3.3.2)") {
  const SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  SdesKeyParam key = generateSdesKey(suite);
  SrtpSession tx;
  SrtpSession rx;
  REQUIRE(tx.setOutboundKeys(keysOf(suite, key)) == SrtpStatus::Ok);
  REQUIRE(rx.setInboundKeys(keysOf(suite, key)) == SrtpStatus::Ok);
  std::vector<std::vector<uint8_t>> sent;
  std::vector<std::size_t> lengths;
  for (uint16_t seq = 1; seq <= 300; ++seq) {
    auto p = rtpPacket(seq, 7, 20);
    SrtpResult r = tx.protectRtp(p.data(), 32, p.size());
    REQUIRE(r.ok());
    sent.push_back(p);
    lengths.push_back(r.length);
  }
  // Out of order inside the window is fine.
  auto a = sent[10];
  auto b = sent[5];
  CHECK(rx.unprotectRtp(a.data(), lengths[10]).ok());
  CHECK(rx.unprotectRtp(b.data(), lengths[5]).ok());
  auto again = sent[10];
  CHECK(rx.unprotectRtp(again.data(), lengths[10]).status == SrtpStatus::Replay);
  auto late = sent[299];
  CHECK(rx.unprotectRtp(late.data(), lengths[299]).ok());
  // seq 6 is now 294 packets behind: outside the default 128-packet window.
  auto old = sent[5];
  SrtpStatus st = rx.unprotectRtp(old.data(), lengths[5]).status;
  CHECK((st == SrtpStatus::ReplayOld || st == SrtpStatus::Replay));
  CHECK(rx.stats().replayFailures == 2);

  // RTCP replay.
  auto c = rtcpPacket(7);
  SrtpResult rc = tx.protectRtcp(c.data(), 32, c.size());
  REQUIRE(rc.ok());
  auto c2 = c;
  CHECK(rx.unprotectRtcp(c.data(), rc.length).ok());
  CHECK(rx.unprotectRtcp(c2.data(), rc.length).status == SrtpStatus::Replay);

  // A sender never protects the same sequence number twice (no index reuse).
  auto dup = rtpPacket(300, 7, 20);
  CHECK(tx.protectRtp(dup.data(), 32, dup.size()).status == SrtpStatus::Replay);
}

TEST_CASE("SRTP: a wrong key fails authentication; bad key material is refused") {
  const SrtpSuite suite = SrtpSuite::AeadAes128Gcm;
  SrtpSession tx;
  SrtpSession rx;
  REQUIRE(tx.setOutboundKeys(keysOf(suite, generateSdesKey(suite))) == SrtpStatus::Ok);
  REQUIRE(rx.setInboundKeys(keysOf(suite, generateSdesKey(suite))) == SrtpStatus::Ok);
  auto p = rtpPacket(1, 1, 160);
  SrtpResult r = tx.protectRtp(p.data(), 172, p.size());
  REQUIRE(r.ok());
  CHECK(rx.unprotectRtp(p.data(), r.length).status == SrtpStatus::AuthFail);

  SdesKeyParam shortKey = generateSdesKey(SrtpSuite::AesCm128HmacSha1_80);  // 30 octets, GCM needs 28
  CHECK(rx.setInboundKeys(keysOf(suite, shortKey)) == SrtpStatus::BadKey);
  SrtpDirectionKeys none;
  CHECK(rx.setInboundKeys(none) == SrtpStatus::BadKey);
  SrtpDirectionKeys badWindow = keysOf(suite, generateSdesKey(suite));
  badWindow.replayWindow = 10;
  CHECK(rx.setInboundKeys(badWindow) == SrtpStatus::BadKey);
  CHECK(rx.stats().badKey == 3);
  CHECK(rx.hasInbound());  // the previous key stays in place
}

TEST_CASE("SRTP: malformed packets, small buffers and unconfigured directions") {
  const SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  SrtpSession s;
  auto p = rtpPacket(1, 1, 20);
  CHECK(s.protectRtp(p.data(), 32, p.size()).status == SrtpStatus::NotConfigured);
  CHECK(s.unprotectRtp(p.data(), 42).status == SrtpStatus::NotConfigured);
  SdesKeyParam key = generateSdesKey(suite);
  REQUIRE(s.configure(keysOf(suite, key), keysOf(suite, key)) == SrtpStatus::Ok);
  CHECK(s.protectRtp(p.data(), 32, 35).status == SrtpStatus::BufferTooSmall);
  CHECK(s.protectRtp(p.data(), 8, p.size()).status == SrtpStatus::BadPacket);
  auto v1 = p;
  v1[0] = 0x40;  // version 1
  CHECK(s.protectRtp(v1.data(), 32, v1.size()).status == SrtpStatus::BadPacket);
  auto csrc = p;
  csrc[0] = 0x8F;  // 15 CSRCs do not fit in 32 octets
  CHECK(s.protectRtp(csrc.data(), 32, csrc.size()).status == SrtpStatus::BadPacket);
  CHECK(s.unprotectRtp(p.data(), 20).status == SrtpStatus::BadPacket);  // shorter than header + tag
  auto c = rtcpPacket(1);
  CHECK(s.protectRtcp(c.data(), 4, c.size()).status == SrtpStatus::BadPacket);
  CHECK(s.protectRtcp(c.data(), 32, 40).status == SrtpStatus::BufferTooSmall);
  CHECK(s.stats().badPackets == 7);
  s.close();
  s.close();
  CHECK_FALSE(s.hasOutbound());
  CHECK(s.protectRtp(p.data(), 32, p.size()).status == SrtpStatus::NotConfigured);
}

TEST_CASE("SRTP: rekey switches keys per direction; counters survive") {
  const SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_32;
  SdesKeyParam k1 = generateSdesKey(suite);
  SdesKeyParam k2 = generateSdesKey(suite);
  SrtpSession tx;
  SrtpSession rx;
  REQUIRE(tx.setOutboundKeys(keysOf(suite, k1)) == SrtpStatus::Ok);
  REQUIRE(rx.setInboundKeys(keysOf(suite, k1)) == SrtpStatus::Ok);
  auto p = rtpPacket(10, 9, 40);
  SrtpResult r = tx.protectRtp(p.data(), 52, p.size());
  REQUIRE(r.ok());
  CHECK(r.length == 56);  // 32-bit tag
  REQUIRE(rx.unprotectRtp(p.data(), r.length).ok());

  REQUIRE(tx.setOutboundKeys(keysOf(suite, k2)) == SrtpStatus::Ok);
  auto q = rtpPacket(11, 9, 40);
  r = tx.protectRtp(q.data(), 52, q.size());
  REQUIRE(r.ok());
  auto q2 = q;
  CHECK(rx.unprotectRtp(q.data(), r.length).status == SrtpStatus::AuthFail);  // still on k1
  REQUIRE(rx.setInboundKeys(keysOf(suite, k2)) == SrtpStatus::Ok);
  CHECK(rx.unprotectRtp(q2.data(), r.length).ok());
  CHECK(tx.stats().rekeys == 1);
  CHECK(rx.stats().rekeys == 1);
  CHECK(rx.stats().rtpUnprotected == 2);
}

TEST_CASE("SRTP: MKI selects among several keys (RFC 3711 §3.1, RFC 4568 §6.1)") {
  const SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  SdesCrypto offer;
  REQUIRE(parseSdesCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                          "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;"
                          "inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|2^20|2:4",
                          offer)
              .ok());
  SrtpDirectionKeys txKeys;
  txKeys.suite = suite;
  txKeys.keys = offer.keys;
  txKeys.activeKey = 1;
  SrtpDirectionKeys rxKeys = txKeys;
  rxKeys.activeKey = 0;
  SrtpSession tx;
  SrtpSession rx;
  REQUIRE(tx.setOutboundKeys(txKeys) == SrtpStatus::Ok);
  REQUIRE(rx.setInboundKeys(rxKeys) == SrtpStatus::Ok);
  CHECK(tx.rtpOverhead() == 14);
  auto p = rtpPacket(1, 3, 40);
  auto plain = p;
  SrtpResult r = tx.protectRtp(p.data(), 52, p.size());
  REQUIRE(r.ok());
  REQUIRE(r.length == 52 + 4 + 10);
  // The MKI (value 2 in 4 octets) sits between the payload and the tag.
  CHECK(std::vector<uint8_t>(p.begin() + 52, p.begin() + 56) == std::vector<uint8_t>{0, 0, 0, 2});
  auto p2 = p;
  REQUIRE(rx.unprotectRtp(p.data(), r.length).ok());
  CHECK(std::memcmp(p.data(), plain.data(), 52) == 0);

  SrtpSession onlyFirst;
  SrtpDirectionKeys first = rxKeys;
  first.keys.resize(1);
  REQUIRE(onlyFirst.setInboundKeys(first) == SrtpStatus::Ok);
  CHECK(onlyFirst.unprotectRtp(p2.data(), r.length).status == SrtpStatus::BadMki);
  CHECK(onlyFirst.stats().badMki == 1);

  auto c = rtcpPacket(3);
  SrtpResult rc = tx.protectRtcp(c.data(), 32, c.size());
  REQUIRE(rc.ok());
  CHECK(rc.length == 32 + 4 + 4 + 10);
  CHECK(rx.unprotectRtcp(c.data(), rc.length).ok());
}

TEST_CASE("SRTP: the key lifetime is enforced on the sender") {
  const SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  SdesKeyParam key = generateSdesKey(suite);
  key.lifetime = 3;
  SrtpSession tx;
  REQUIRE(tx.setOutboundKeys(keysOf(suite, key)) == SrtpStatus::Ok);
  for (uint16_t seq = 1; seq <= 3; ++seq) {
    auto p = rtpPacket(seq, 1, 20);
    CHECK(tx.protectRtp(p.data(), 32, p.size()).ok());
  }
  auto p = rtpPacket(4, 1, 20);
  CHECK(tx.protectRtp(p.data(), 32, p.size()).status == SrtpStatus::KeyExpired);
  CHECK(tx.stats().keyExpired == 1);
  key.lifetime = 0;
  REQUIRE(tx.setOutboundKeys(keysOf(suite, key)) == SrtpStatus::Ok);  // rekey lifts it
  CHECK(tx.protectRtp(p.data(), 32, p.size()).ok());
}

TEST_CASE("SRTP: a send thread and a receive thread use one session at once; several inbound SSRCs") {
  const SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  SdesKeyParam ours = generateSdesKey(suite);
  SdesKeyParam theirs = generateSdesKey(suite);
  SrtpSession session;
  SrtpSession peer;
  REQUIRE(session.configure(keysOf(suite, ours), keysOf(suite, theirs)) == SrtpStatus::Ok);
  REQUIRE(peer.setOutboundKeys(keysOf(suite, theirs)) == SrtpStatus::Ok);
  // The peer sends two streams (two SSRCs), interleaved.
  const int count = 2000;
  std::vector<std::vector<uint8_t>> incoming;
  std::vector<std::size_t> incomingLen;
  for (int i = 0; i < count; ++i) {
    auto p = rtpPacket(static_cast<uint16_t>(i / 2 + 1), i % 2 == 0 ? 0xA1u : 0xB2u, 160, static_cast<uint8_t>(i));
    SrtpResult r = peer.protectRtp(p.data(), 172, p.size());
    REQUIRE(r.ok());
    incoming.push_back(std::move(p));
    incomingLen.push_back(r.length);
  }
  std::vector<std::vector<uint8_t>> outgoing;
  for (int i = 0; i < count; ++i) outgoing.push_back(rtpPacket(static_cast<uint16_t>(i + 1), 0xC3u, 160));
  int sentOk = 0;
  int receivedOk = 0;
  std::thread sender([&] {
    for (auto& p : outgoing) sentOk += session.protectRtp(p.data(), 172, p.size()).ok() ? 1 : 0;
  });
  std::thread receiver([&] {
    for (std::size_t i = 0; i < incoming.size(); ++i) {
      receivedOk += session.unprotectRtp(incoming[i].data(), incomingLen[i]).ok() ? 1 : 0;
    }
  });
  sender.join();
  receiver.join();
  CHECK(sentOk == count);
  CHECK(receivedOk == count);
  SrtpStats st = session.stats();
  CHECK(st.rtpProtected == static_cast<uint64_t>(count));
  CHECK(st.rtpUnprotected == static_cast<uint64_t>(count));
}

TEST_CASE("SRTP: RFC 3711 Appendix B.2 AES-CM keystream through libsrtp's cipher API") {
  REQUIRE(SrtpSession::available());  // srtp_init done
  srtp_cipher_t* cipher = nullptr;
  REQUIRE(srtp_crypto_kernel_alloc_cipher(SRTP_AES_ICM_128, &cipher, SRTP_AES_ICM_128_KEY_LEN_WSALT, 0) ==
          srtp_err_status_ok);
  // libsrtp's AES-ICM key is session key || 14-octet salt; the counter is salt XOR iv.
  std::vector<uint8_t> key = hex("2B7E151628AED2A6ABF7158809CF4F3C" "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  REQUIRE(srtp_cipher_init(cipher, key.data()) == srtp_err_status_ok);
  uint8_t iv[16] = {0};
  REQUIRE(srtp_cipher_set_iv(cipher, iv, srtp_direction_encrypt) == srtp_err_status_ok);
  std::vector<uint8_t> stream(0xFF02 * 16, 0);
  uint32_t n = static_cast<uint32_t>(stream.size());
  REQUIRE(srtp_cipher_encrypt(cipher, stream.data(), &n) == srtp_err_status_ok);
  CHECK(std::vector<uint8_t>(stream.begin(), stream.begin() + 48) ==
        hex("E03EAD0935C95E80E166B16DD92B4EB4" "D23513162B02D0F72A43A2FE4A5F97AB" "41E95B3BB0A2E8DD477901E4FCA894C0"));
  CHECK(std::vector<uint8_t>(stream.begin() + 0xFEFF * 16, stream.end()) ==
        hex("EC8CDF7398607CB0F2D21675EA9EA1E4" "362B7C3C6773516318A077D7FC5073AE" "6A2CC3787889374FBEB4C81B17BA6C44"));
  srtp_cipher_dealloc(cipher);
}

TEST_CASE("SRTP: our packet matches RFC 3711 B.3 session keys recomputed independently") {
  // RFC 3711 Appendix B.3: master key/salt and the session keys the KDF must give.
  std::vector<uint8_t> master = hex("E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6");
  std::vector<uint8_t> cipherKeySalt = hex("C61E7A93744F39EE10734AFE3FF7A087" "30CBBC08863D8C85D49DB34A9AE1");
  std::vector<uint8_t> authKey = hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
  SdesKeyParam key;
  key.keySalt = master;
  SrtpSession tx;
  REQUIRE(tx.setOutboundKeys(keysOf(SrtpSuite::AesCm128HmacSha1_80, key)) == SrtpStatus::Ok);
  // SSRC 0, sequence 0, ROC 0: RFC 3711 §4.1.1 IV = session salt * 2^16.
  auto p = rtpPacket(0, 0, 32, 0);
  for (std::size_t i = 12; i < 44; ++i) p[i] = 0;
  auto header = std::vector<uint8_t>(p.begin(), p.begin() + 12);
  SrtpResult r = tx.protectRtp(p.data(), 44, p.size());
  REQUIRE(r.ok());
  REQUIRE(r.length == 54);

  // Expected ciphertext: the AES-CM keystream of the B.3 session key and salt (payload is zero).
  srtp_cipher_t* cipher = nullptr;
  REQUIRE(srtp_crypto_kernel_alloc_cipher(SRTP_AES_ICM_128, &cipher, SRTP_AES_ICM_128_KEY_LEN_WSALT, 0) ==
          srtp_err_status_ok);
  REQUIRE(srtp_cipher_init(cipher, cipherKeySalt.data()) == srtp_err_status_ok);
  uint8_t iv[16] = {0};
  REQUIRE(srtp_cipher_set_iv(cipher, iv, srtp_direction_encrypt) == srtp_err_status_ok);
  std::vector<uint8_t> stream(32, 0);
  uint32_t n = 32;
  REQUIRE(srtp_cipher_encrypt(cipher, stream.data(), &n) == srtp_err_status_ok);
  srtp_cipher_dealloc(cipher);
  CHECK(std::vector<uint8_t>(p.begin() + 12, p.begin() + 44) == stream);

  // Expected tag: RFC 3711 §4.2: HMAC-SHA1(auth key, header || ciphertext || ROC), 80 bits.
  srtp_auth_t* auth = nullptr;
  REQUIRE(srtp_crypto_kernel_alloc_auth(SRTP_HMAC_SHA1, &auth, 20, 10) == srtp_err_status_ok);
  REQUIRE(auth->type->init(auth->state, authKey.data(), 20) == srtp_err_status_ok);
  REQUIRE(auth->type->start(auth->state) == srtp_err_status_ok);
  std::vector<uint8_t> message = header;
  message.insert(message.end(), stream.begin(), stream.end());
  message.insert(message.end(), {0, 0, 0, 0});  // ROC
  uint8_t tag[20] = {0};
  REQUIRE(auth->type->compute(auth->state, message.data(), static_cast<int>(message.size()), 10, tag) ==
          srtp_err_status_ok);
  auth->type->dealloc(auth);
  CHECK(std::vector<uint8_t>(p.begin() + 44, p.begin() + 54) == std::vector<uint8_t>(tag, tag + 10));
}

TEST_CASE("SRTP: interop with a second, independently configured libsrtp context (GCM, profile API)") {
  // The peer side is set up here straight from libsrtp's profile API, not through SrtpSession.
  SdesKeyParam key = generateSdesKey(SrtpSuite::AeadAes128Gcm);
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  REQUIRE(srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, srtp_profile_aead_aes_128_gcm) == srtp_err_status_ok);
  REQUIRE(srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, srtp_profile_aead_aes_128_gcm) == srtp_err_status_ok);
  policy.ssrc.type = ssrc_any_inbound;
  policy.key = key.keySalt.data();
  srtp_t peerIn = nullptr;
  REQUIRE(srtp_create(&peerIn, &policy) == srtp_err_status_ok);
  policy.ssrc.type = ssrc_any_outbound;
  srtp_t peerOut = nullptr;
  REQUIRE(srtp_create(&peerOut, &policy) == srtp_err_status_ok);

  SrtpSession ours;
  REQUIRE(ours.configure(keysOf(SrtpSuite::AeadAes128Gcm, key), keysOf(SrtpSuite::AeadAes128Gcm, key)) == SrtpStatus::Ok);
  // ours -> peer
  auto p = rtpPacket(500, 0xCAFEBABE, 160);
  auto plain = p;
  SrtpResult r = ours.protectRtp(p.data(), 172, p.size());
  REQUIRE(r.ok());
  int len = static_cast<int>(r.length);
  CHECK(srtp_unprotect(peerIn, p.data(), &len) == srtp_err_status_ok);
  CHECK(len == 172);
  CHECK(std::memcmp(p.data(), plain.data(), 172) == 0);
  // peer -> ours
  auto q = rtpPacket(900, 0x0BADF00D, 160);
  auto qPlain = q;
  len = 172;
  REQUIRE(srtp_protect(peerOut, q.data(), &len) == srtp_err_status_ok);
  SrtpResult u = ours.unprotectRtp(q.data(), static_cast<std::size_t>(len));
  REQUIRE(u.ok());
  CHECK(std::memcmp(q.data(), qPlain.data(), 172) == 0);
  // RTCP ours -> peer
  auto c = rtcpPacket(0xCAFEBABE);
  auto cPlain = c;
  SrtpResult rc = ours.protectRtcp(c.data(), 32, c.size());
  REQUIRE(rc.ok());
  len = static_cast<int>(rc.length);
  CHECK(srtp_unprotect_rtcp(peerIn, c.data(), &len) == srtp_err_status_ok);
  CHECK(std::memcmp(c.data(), cPlain.data(), 32) == 0);
  srtp_dealloc(peerIn);
  srtp_dealloc(peerOut);
}
#endif
