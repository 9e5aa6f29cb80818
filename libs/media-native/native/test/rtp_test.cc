#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

#include "rtp/ntp_time.h"
#include "rtp/rtp_packet.h"
#include "rtp/rtp_receiver.h"
#include "rtp/rtp_sender.h"

using namespace sipmedia;

namespace {

std::vector<uint8_t> packetWithExtension(uint16_t profile, const std::vector<uint8_t>& extData, bool padding) {
  // V=2, X=1, CC=1, PT=96 with marker, seq 0x1234, ts 0xDEADBEEF, ssrc 0x01020304, csrc 0x0A0B0C0D
  std::vector<uint8_t> p = {static_cast<uint8_t>(0x91 | (padding ? 0x20 : 0)), 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF,
                            0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D};
  p.push_back(static_cast<uint8_t>(profile >> 8));
  p.push_back(static_cast<uint8_t>(profile));
  const std::size_t words = extData.size() / 4;
  p.push_back(static_cast<uint8_t>(words >> 8));
  p.push_back(static_cast<uint8_t>(words));
  p.insert(p.end(), extData.begin(), extData.end());
  for (uint8_t b : {0x11, 0x22, 0x33}) p.push_back(b);  // payload
  if (padding) {
    p.push_back(0);
    p.push_back(0);
    p.push_back(3);
  }
  return p;
}

}  // namespace

TEST_CASE("RTP: writer and parser round-trip every header field") {
  uint32_t csrcs[2] = {0x11111111, 0x22222222};
  RtpHeaderFields f;
  f.marker = true;
  f.payloadType = 111;
  f.sequence = 65535;
  f.timestamp = 0xFFFFFFF0u;
  f.ssrc = 0xCAFEBABE;
  f.csrcs = csrcs;
  f.csrcCount = 2;
  const uint8_t payload[5] = {1, 2, 3, 4, 5};
  uint8_t buf[64];
  const std::size_t n = writeRtpPacket(f, payload, sizeof payload, buf, sizeof buf);
  REQUIRE(n == 12 + 8 + 5);
  RtpPacketView v;
  REQUIRE(RtpPacketView::parse(buf, n, v) == RtpParseError::kNone);
  CHECK(v.marker());
  CHECK(v.payloadType() == 111);
  CHECK(v.sequence() == 65535);
  CHECK(v.timestamp() == 0xFFFFFFF0u);
  CHECK(v.ssrc() == 0xCAFEBABE);
  CHECK(v.csrcCount() == 2);
  CHECK(v.csrc(1) == 0x22222222);
  CHECK_FALSE(v.hasExtension());
  CHECK(v.headerSize() == 20);
  CHECK(v.payloadSize() == 5);
  CHECK(std::memcmp(v.payload(), payload, 5) == 0);
  CHECK(writeRtpPacket(f, payload, sizeof payload, buf, n - 1) == 0);  // does not fit
  f.payloadType = 128;
  CHECK(writeRtpHeader(f, buf, sizeof buf) == 0);  // out of range
}

TEST_CASE("RTP: RFC 8285 one-byte header extensions are skipped and readable") {
  // id 1 len 2 (L=1), padding 0, id 3 len 1 (L=0), then padding to 8 octets
  const std::vector<uint8_t> ext = {0x11, 0xAA, 0xBB, 0x00, 0x30, 0xCC, 0x00, 0x00};
  const auto pkt = packetWithExtension(0xBEDE, ext, true);
  RtpPacketView v;
  REQUIRE(RtpPacketView::parse(pkt.data(), pkt.size(), v) == RtpParseError::kNone);
  CHECK(v.hasExtension());
  CHECK(v.extensionProfile() == 0xBEDE);
  CHECK(v.extensionSize() == 8);
  CHECK(v.headerSize() == 16 + 4 + 8);
  CHECK(v.payloadSize() == 3);
  CHECK(v.payload()[0] == 0x11);
  CHECK(v.paddingSize() == 3);
  const uint8_t* d = nullptr;
  std::size_t len = 0;
  REQUIRE(v.findExtension(1, d, len));
  CHECK(len == 2);
  CHECK(d[0] == 0xAA);
  CHECK(d[1] == 0xBB);
  REQUIRE(v.findExtension(3, d, len));
  CHECK(len == 1);
  CHECK(d[0] == 0xCC);
  CHECK_FALSE(v.findExtension(2, d, len));
}

TEST_CASE("RTP: RFC 8285 two-byte header extensions") {
  // id 7 len 3, id 200 len 0, padding
  const std::vector<uint8_t> ext = {0x07, 0x03, 0x01, 0x02, 0x03, 0xC8, 0x00, 0x00};
  const auto pkt = packetWithExtension(0x1000, ext, false);
  RtpPacketView v;
  REQUIRE(RtpPacketView::parse(pkt.data(), pkt.size(), v) == RtpParseError::kNone);
  const uint8_t* d = nullptr;
  std::size_t len = 99;
  REQUIRE(v.findExtension(7, d, len));
  CHECK(len == 3);
  CHECK(d[2] == 0x03);
  REQUIRE(v.findExtension(200, d, len));
  CHECK(len == 0);
  CHECK(v.payloadSize() == 3);
}

TEST_CASE("RTP: an extension element whose length runs past the block is not returned") {
  const std::vector<uint8_t> ext = {0x1F, 0xAA, 0xBB, 0xCC};  // id 1 claims 16 octets
  const auto pkt = packetWithExtension(0xBEDE, ext, false);
  RtpPacketView v;
  REQUIRE(RtpPacketView::parse(pkt.data(), pkt.size(), v) == RtpParseError::kNone);
  const uint8_t* d = nullptr;
  std::size_t len = 0;
  CHECK_FALSE(v.findExtension(1, d, len));
}

TEST_CASE("RTP: malformed packets are rejected (RFC 3550 §A.1)") {
  RtpPacketView v;
  uint8_t small[11] = {0x80};
  CHECK(RtpPacketView::parse(small, sizeof small, v) == RtpParseError::kTooShort);
  uint8_t pkt[16] = {0x80, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF};
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kNone);
  pkt[0] = 0x40;  // version 1
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kBadVersion);
  pkt[0] = 0x82;  // CC = 2 needs 20 octets
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kBadCsrcCount);
  pkt[0] = 0x90;  // X with length 0xFFFF words
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kBadExtension);
  pkt[0] = 0xA0;  // padding count 0xFF > 4 octets left
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kBadPadding);
  pkt[15] = 0;  // padding count 0
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kBadPadding);
  pkt[0] = 0x80;
  pkt[1] = 0xC8;  // an SR (200) seen as RTP: PT 72 with marker
  CHECK(RtpPacketView::parse(pkt, sizeof pkt, v) == RtpParseError::kRtcpPayloadType);
}

TEST_CASE("RTP: truncations and random mutations never yield a view outside the buffer") {
  const std::vector<uint8_t> ext = {0x11, 0xAA, 0xBB, 0x00, 0x30, 0xCC, 0x00, 0x00};
  const auto good = packetWithExtension(0xBEDE, ext, true);
  RtpPacketView v;
  for (std::size_t n = 0; n < good.size(); n++) {
    // Every strict prefix: rejected, or (when the cut lands in payload/padding) consistent.
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const RtpParseError e = RtpPacketView::parse(cut.data(), cut.size(), v);
    if (e == RtpParseError::kNone) CHECK(v.headerSize() + v.payloadSize() + v.paddingSize() == n);
  }
  std::mt19937 rng(7);
  int accepted = 0;
  for (int iter = 0; iter < 20000; iter++) {
    std::vector<uint8_t> buf(good);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; k++) buf[rng() % buf.size()] = static_cast<uint8_t>(rng());
    buf.resize(rng() % (buf.size() + 1));
    if (RtpPacketView::parse(buf.data(), buf.size(), v) == RtpParseError::kNone) {
      accepted++;
      REQUIRE(v.headerSize() + v.payloadSize() + v.paddingSize() == buf.size());
      REQUIRE(v.payload() >= buf.data());
      REQUIRE(v.payload() + v.payloadSize() <= buf.data() + buf.size());
      const uint8_t* d;
      std::size_t len;
      for (uint8_t id = 1; id < 15; id++) {
        if (v.findExtension(id, d, len)) REQUIRE(d + len <= v.extensionData() + v.extensionSize());
      }
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("RTP sender: identity, sequence, timestamp, marker and SR counters") {
  const RtpStreamIdentity a = randomRtpIdentity(1);
  const RtpStreamIdentity b = randomRtpIdentity(2);
  CHECK(a.ssrc != b.ssrc);
  CHECK(randomRtpIdentity(1).ssrc == a.ssrc);
  CHECK(randomRtpIdentity(0).ssrc != 0);

  RtpSenderConfig cfg;
  cfg.identity = {0x12345678, 65534, 1000};
  cfg.payloadType = 0;
  cfg.rtpClockRate = 8000;
  RtpSender s(cfg);
  uint8_t payload[160] = {};
  uint8_t out[200];
  RtpPacketView v;

  REQUIRE(s.writeMedia(payload, 160, 160, 1'000'000, out, sizeof out) == 172);
  REQUIRE(RtpPacketView::parse(out, 172, v) == RtpParseError::kNone);
  CHECK(v.marker());  // first packet of the first talkspurt
  CHECK(v.sequence() == 65534);
  CHECK(v.timestamp() == 1000);
  CHECK(v.ssrc() == 0x12345678);

  REQUIRE(s.writeMedia(payload, 160, 160, 1'020'000, out, sizeof out) == 172);
  RtpPacketView::parse(out, 172, v);
  CHECK_FALSE(v.marker());
  CHECK(v.sequence() == 65535);
  CHECK(v.timestamp() == 1160);

  s.skipSilence(3 * 160);  // 60 ms not sent (DTX)
  REQUIRE(s.writeMedia(payload, 160, 160, 1'100'000, out, sizeof out) == 172);
  RtpPacketView::parse(out, 172, v);
  CHECK(v.marker());
  CHECK(v.sequence() == 0);  // wrapped
  CHECK(v.timestamp() == 1000 + 160 * 5);

  // RFC 4733 event packet: own PT and timestamp, shares the sequence space.
  const uint8_t ev[4] = {5, 10, 0, 160};
  REQUIRE(s.writeWith(101, true, 1800, ev, 4, 1'110'000, out, sizeof out) == 16);
  RtpPacketView::parse(out, 16, v);
  CHECK(v.payloadType() == 101);
  CHECK(v.sequence() == 1);
  CHECK(v.timestamp() == 1800);
  CHECK(s.nextTimestamp() == 1000 + 160 * 6);

  CHECK(s.packetCount() == 4);
  CHECK(s.octetCount() == 3 * 160 + 4);
  // SR timestamp: last media timestamp (1800) + 50 ms at 8 kHz after its send time (1.1 s).
  CHECK(s.rtpTimestampAt(1'150'000) == 1800 + 400);
  CHECK(s.writeMedia(payload, 160, 160, 1'120'000, out, 100) == 0);  // too small: nothing changes
  CHECK(s.packetCount() == 4);

  s.changeSsrc(0x0BADF00D);
  CHECK(s.ssrc() == 0x0BADF00D);
  CHECK(s.packetCount() == 0);
  CHECK(s.octetCount() == 0);
}

TEST_CASE("RTP receiver: probation, then loss, fraction lost and cumulative lost (§A.1, §A.3)") {
  RtpReceiverConfig cfg;
  RtpReceiverStats r(cfg);
  int64_t t = 0;
  uint16_t seq = 100;
  uint32_t ts = 5000;
  CHECK(r.onPacket(1, seq++, ts, 160, t) == RtpAcceptResult::kProbation);
  ts += 160;
  t += 20000;
  CHECK(r.onPacket(1, seq++, ts, 160, t) == RtpAcceptResult::kAccepted);
  CHECK(r.valid());
  int received = 1;
  for (int i = 0; i < 99; i++) {
    ts += 160;
    t += 20000;
    const uint16_t s = seq++;
    if (i % 20 == 5) continue;  // 5 lost
    CHECK(r.onPacket(1, s, ts, 160, t) == RtpAcceptResult::kAccepted);
    received++;
  }
  CHECK(r.expected() == 100);
  CHECK(r.packetsReceived() == 95);
  CHECK(received == 95);
  CHECK(r.cumulativeLost() == 5);
  CHECK(r.bytesReceived() == 95 * 160);
  CHECK(r.jitter() == 0);  // perfectly regular
  RtcpReportBlock b;
  REQUIRE(r.makeReportBlock(t, b));
  CHECK(b.ssrc == 1);
  CHECK(b.fractionLost == (5 * 256) / 100);
  CHECK(b.cumulativeLost == 5);
  CHECK(b.extendedHighestSequence == 200);
  CHECK(b.lastSr == 0);
  CHECK(b.delaySinceLastSr == 0);
  // Next interval without loss: fraction 0, cumulative unchanged.
  for (int i = 0; i < 10; i++) r.onPacket(1, seq++, ts += 160, 160, t += 20000);
  REQUIRE(r.makeReportBlock(t, b));
  CHECK(b.fractionLost == 0);
  CHECK(b.cumulativeLost == 5);
  // Duplicates make the cumulative loss go down (and negative is allowed, §6.4.1).
  for (int i = 0; i < 8; i++) CHECK(r.onPacket(1, static_cast<uint16_t>(seq - 2), ts, 160, t) == RtpAcceptResult::kMisordered);
  CHECK(r.cumulativeLost() == -3);
  REQUIRE(r.makeReportBlock(t, b));
  CHECK(b.cumulativeLost == -3);
  CHECK(b.fractionLost == 0);
}

TEST_CASE("RTP receiver: sequence wraparound extends the highest sequence") {
  RtpReceiverStats r({});
  uint16_t seq = 65530;
  int64_t t = 0;
  for (int i = 0; i < 20; i++) r.onPacket(7, seq++, static_cast<uint32_t>(i * 160), 160, t += 20000);
  CHECK(r.extendedHighestSequence() == (1u << 16) + 13);
  CHECK(r.expected() == 19);  // first packet was probation
  CHECK(r.cumulativeLost() == 0);
}

TEST_CASE("RTP receiver: a large jump is dropped once, then accepted as a restart (§A.1)") {
  RtpReceiverStats r({});
  uint16_t seq = 10;
  int64_t t = 0;
  for (int i = 0; i < 5; i++) r.onPacket(7, seq++, 0, 160, t += 20000);
  CHECK(r.onPacket(7, 30000, 0, 160, t += 20000) == RtpAcceptResult::kBadSequence);
  CHECK(r.onPacket(7, 30001, 0, 160, t += 20000) == RtpAcceptResult::kSourceChanged);
  CHECK(r.onPacket(7, 30002, 0, 160, t += 20000) == RtpAcceptResult::kAccepted);
  CHECK(r.restarts() == 1);
  CHECK(r.cumulativeLost() == 0);
  // A jump that is not confirmed stays dropped.
  CHECK(r.onPacket(7, 50000, 0, 160, t += 20000) == RtpAcceptResult::kBadSequence);
  CHECK(r.onPacket(7, 30003, 0, 160, t += 20000) == RtpAcceptResult::kAccepted);
}

TEST_CASE("RTP receiver: interarrival jitter converges to the alternating transit difference (§A.8)") {
  RtpReceiverStats r({});
  int64_t t = 0;
  uint32_t ts = 0;
  for (int i = 0; i < 400; i++) {
    // Arrivals alternately on time and 10 ms late: |D| = 80 timestamp units every packet.
    const int64_t arrival = t + ((i % 2) ? 10000 : 0);
    r.onPacket(3, static_cast<uint16_t>(i), ts, 160, arrival);
    t += 20000;
    ts += 160;
  }
  CHECK(r.jitter() >= 78);
  CHECK(r.jitter() <= 80);
  CHECK(r.jitterMs() == doctest::Approx(10.0).epsilon(0.03));
}

TEST_CASE("RTP receiver: LSR and DLSR from the last SR (§6.4.1)") {
  RtpReceiverStats r({});
  int64_t t = 1'000'000;
  for (int i = 0; i < 3; i++) r.onPacket(9, static_cast<uint16_t>(i), 0, 160, t += 20000);
  const uint64_t ntp = (uint64_t{0xB7052000} << 16) | 0x1234;  // middle 32 bits 0xB7052000
  r.onSenderReport(9, ntp, t);
  CHECK(r.gotSenderReport());
  r.onSenderReport(10, 0, t);  // another SSRC: ignored
  RtcpReportBlock b;
  REQUIRE(r.makeReportBlock(t + 1'500'000, b));
  CHECK(b.lastSr == 0xB7052000u);
  CHECK(b.delaySinceLastSr == 98304);  // 1.5 s in 1/65536 s
}

TEST_CASE("RTP receiver: SSRC change after probation, BYE, and collisions (§8.2)") {
  RtpReceiverConfig cfg;
  cfg.localSsrc = 0x55;
  RtpReceiverStats r(cfg);
  int64_t t = 0;
  for (int i = 0; i < 10; i++) r.onPacket(1, static_cast<uint16_t>(i), 0, 160, t += 20000);
  CHECK(r.ssrc() == 1);
  // Another source interleaved with the live one does not take over.
  CHECK(r.onPacket(2, 500, 0, 160, t += 1) == RtpAcceptResult::kOtherSource);
  r.onPacket(1, 10, 0, 160, t += 20000);
  CHECK(r.onPacket(2, 501, 0, 160, t += 1) == RtpAcceptResult::kOtherSource);
  r.onPacket(1, 11, 0, 160, t += 20000);
  CHECK(r.ssrc() == 1);
  // The old one stops; the new one sends in sequence and takes over.
  CHECK(r.onPacket(2, 502, 0, 160, t += 20000) == RtpAcceptResult::kOtherSource);
  CHECK(r.onPacket(2, 503, 0, 160, t += 20000) == RtpAcceptResult::kOtherSource);
  CHECK(r.onPacket(2, 504, 0, 160, t += 20000) == RtpAcceptResult::kSourceChanged);
  CHECK(r.ssrc() == 2);
  CHECK(r.valid());
  CHECK(r.onPacket(2, 505, 0, 160, t += 20000) == RtpAcceptResult::kAccepted);
  CHECK(r.expected() == 2);
  CHECK(r.cumulativeLost() == 0);
  // After a BYE the next SSRC is taken at once (and goes through probation).
  r.onBye(2);
  CHECK(r.onPacket(3, 7, 0, 160, t += 20000) == RtpAcceptResult::kProbation);
  CHECK(r.ssrc() == 3);
  CHECK(r.onPacket(3, 8, 0, 160, t += 20000) == RtpAcceptResult::kAccepted);
  // Our own SSRC coming back: collision.
  CHECK(r.onPacket(0x55, 1, 0, 160, t += 20000) == RtpAcceptResult::kCollision);
  CHECK(r.collisions() == 1);
  CHECK(r.ssrc() == 3);
}

TEST_CASE("NTP helpers") {
  CHECK(ntpFromUnixMicros(0) == (kNtpUnixEpochOffsetSeconds << 32));
  CHECK((ntpFromUnixMicros(500000) & 0xFFFFFFFFu) == 0x80000000u);
  CHECK(ntpMiddle32(0x0000B7108000FFFFULL << 0) == 0xB7108000u);
  CHECK(ntpShortFromMicros(5'250'000) == 0x00054000u);
  CHECK(microsFromNtpShort(0x00054000u) == 5'250'000);
}
