#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rtcp/rtcp_interval.h"
#include "rtcp/rtcp_packet.h"
#include "rtp/ntp_time.h"
#include "rtp/rtp_receiver.h"
#include "rtp/rtp_sender.h"

using namespace sipmedia;

TEST_CASE("RTCP: SR + SDES + BYE compound round-trip (§6.4.1, §6.5.1, §6.6)") {
  uint8_t buf[1500];
  RtcpCompoundWriter w(buf, sizeof buf);
  RtcpSenderInfo info{0xB7108000ABCDEF01ULL, 123456, 500, 80000};
  RtcpReportBlock blocks[2];
  blocks[0] = {0x11, 25, 1234, 70000, 77, 0xB7052000, 0x00054000};
  blocks[1] = {0x22, 0, -5, 3, 0, 0, 0};
  CHECK_FALSE(w.addSdesCname(1, "x@y"));  // §6.1: the report comes first
  REQUIRE(w.addSenderReport(0xAABBCCDD, info, blocks, 2));
  CHECK_FALSE(w.addReceiverReport(0xAABBCCDD, nullptr, 0));  // one report per compound here
  CHECK(w.finish() == 0);                                     // no CNAME yet
  REQUIRE(w.addSdesCname(0xAABBCCDD, "alice@127.0.0.1"));
  const uint32_t byeSsrc = 0xAABBCCDD;
  REQUIRE(w.addBye(&byeSsrc, 1, "done"));
  CHECK_FALSE(w.addSdesCname(1, "late"));  // BYE is last
  const std::size_t n = w.finish();
  REQUIRE(n == 8 + 20 + 48 + 28 + 16);
  CHECK(n % 4 == 0);

  RtcpCompound c;
  REQUIRE(parseRtcpCompound(buf, n, c) == RtcpParseError::kNone);
  REQUIRE(c.reportCount == 1);
  const RtcpReport& r = c.reports[0];
  CHECK(r.hasSenderInfo);
  CHECK(r.ssrc == 0xAABBCCDD);
  CHECK(r.senderInfo.ntpTimestamp == info.ntpTimestamp);
  CHECK(r.senderInfo.rtpTimestamp == 123456);
  CHECK(r.senderInfo.packetCount == 500);
  CHECK(r.senderInfo.octetCount == 80000);
  REQUIRE(r.blockCount == 2);
  CHECK(r.blocks[0].ssrc == 0x11);
  CHECK(r.blocks[0].fractionLost == 25);
  CHECK(r.blocks[0].cumulativeLost == 1234);
  CHECK(r.blocks[0].extendedHighestSequence == 70000);
  CHECK(r.blocks[0].jitter == 77);
  CHECK(r.blocks[0].lastSr == 0xB7052000u);
  CHECK(r.blocks[0].delaySinceLastSr == 0x00054000u);
  CHECK(r.blocks[1].cumulativeLost == -5);  // 24-bit signed
  REQUIRE(c.sdesCount == 1);
  CHECK(c.sdes[0].ssrc == 0xAABBCCDD);
  CHECK(c.sdes[0].cname == "alice@127.0.0.1");
  CHECK(c.hasBye);
  REQUIRE(c.byeCount == 1);
  CHECK(c.byeSources[0] == 0xAABBCCDD);
  CHECK(c.byeReason == "done");
  CHECK(c.otherPackets == 0);
}

TEST_CASE("RTCP: empty RR + CNAME, and the padding of SDES chunks") {
  for (std::size_t len = 1; len <= 8; len++) {
    uint8_t buf[256];
    RtcpCompoundWriter w(buf, sizeof buf);
    REQUIRE(w.addReceiverReport(42, nullptr, 0));
    const std::string cname(len, 'c');
    REQUIRE(w.addSdesCname(42, cname));
    const std::size_t n = w.finish();
    REQUIRE(n > 0);
    CHECK(n % 4 == 0);
    RtcpCompound c;
    REQUIRE(parseRtcpCompound(buf, n, c) == RtcpParseError::kNone);
    CHECK_FALSE(c.reports[0].hasSenderInfo);
    CHECK(c.reports[0].blockCount == 0);
    CHECK(c.sdes[0].cname == cname);
  }
}

TEST_CASE("RTCP: the writer refuses what does not fit or breaks the rules") {
  uint8_t buf[40];
  RtcpCompoundWriter w(buf, sizeof buf);
  RtcpReportBlock blocks[2]{};
  CHECK_FALSE(w.addReceiverReport(1, blocks, 2));  // 56 > 40
  CHECK(w.size() == 0);
  REQUIRE(w.addReceiverReport(1, blocks, 1));        // 32
  CHECK_FALSE(w.addSdesCname(1, "too-long-for-8"));  // does not fit
  CHECK_FALSE(w.addSdesCname(1, ""));                // CNAME must not be empty
  CHECK(w.finish() == 0);
}

TEST_CASE("RTCP: invalid compounds are rejected (§A.2)") {
  uint8_t buf[256];
  RtcpCompoundWriter w(buf, sizeof buf);
  RtcpReportBlock b{};
  w.addReceiverReport(1, &b, 1);
  w.addSdesCname(1, "cname");
  const std::size_t n = w.finish();
  RtcpCompound c;
  REQUIRE(parseRtcpCompound(buf, n, c) == RtcpParseError::kNone);

  // Every truncation is rejected (lengths no longer add up), except the cut right after the RR,
  // which is a valid (if CNAME-less) compound that a lenient receiver accepts.
  for (std::size_t k = 0; k < n; k++) {
    if (k != 32) CHECK(parseRtcpCompound(buf, k, c) != RtcpParseError::kNone);
  }
  CHECK(parseRtcpCompound(buf, 32, c) == RtcpParseError::kNone);
  CHECK(c.sdesCount == 0);

  std::vector<uint8_t> v(buf, buf + n);
  v[0] = 0x41;  // version 1
  CHECK(parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kBadVersion);
  v.assign(buf, buf + n);
  v[0] |= 0x20;  // padding on the first (not last) packet
  CHECK(parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kBadPadding);
  v.assign(buf + 32, buf + n);  // the SDES alone
  CHECK(parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kFirstNotReport);
  v.assign(buf, buf + n);
  v[0] = 0x85;  // RR claims 5 report blocks in a 32-octet packet
  CHECK(parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kBadPacket);
  v.assign(buf, buf + n);
  v[3] = 0x40;  // length past the end
  CHECK(parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kBadLength);

  // Random mutations: never a crash, and any accepted CNAME view lies inside the buffer.
  std::mt19937 rng(3);
  for (int iter = 0; iter < 20000; iter++) {
    v.assign(buf, buf + n);
    for (int k = 0; k < 3; k++) v[rng() % v.size()] = static_cast<uint8_t>(rng());
    if (parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kNone) {
      for (std::size_t i = 0; i < c.sdesCount; i++) {
        const char* p = c.sdes[i].cname.data();
        if (!c.sdes[i].cname.empty()) {
          REQUIRE(reinterpret_cast<const uint8_t*>(p) >= v.data());
          REQUIRE(reinterpret_cast<const uint8_t*>(p) + c.sdes[i].cname.size() <= v.data() + v.size());
        }
      }
    }
  }
}

TEST_CASE("RTCP: unknown packet types in a compound are skipped by length") {
  uint8_t buf[256];
  RtcpCompoundWriter w(buf, sizeof buf);
  w.addReceiverReport(1, nullptr, 0);
  w.addSdesCname(1, "c");
  std::size_t n = w.finish();
  // APP packet (204): header + SSRC + name
  const uint8_t app[12] = {0x80, 204, 0, 2, 0, 0, 0, 1, 'T', 'E', 'S', 'T'};
  std::vector<uint8_t> v(buf, buf + n);
  v.insert(v.end(), app, app + 12);
  RtcpCompound c;
  REQUIRE(parseRtcpCompound(v.data(), v.size(), c) == RtcpParseError::kNone);
  CHECK(c.otherPackets == 1);
  CHECK(c.sdes[0].cname == "c");
}

TEST_CASE("RTCP: round-trip time from LSR/DLSR (RFC 3550 §6.4.1 example)") {
  // A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s)
  const uint64_t nowNtp = uint64_t{0xB7108000} << 16;
  CHECK(rtcpRoundTripMs(0xB7052000, 0x00054000, nowNtp) == doctest::Approx(6125.0));
  CHECK(rtcpRoundTripMs(0, 0x00054000, nowNtp) < 0);             // no SR received by the peer
  CHECK(rtcpRoundTripMs(0xB7108000, 0x00054000, nowNtp) < 0);    // negative: bogus
}

TEST_CASE("RTCP mux: payload types 64-95 are RTCP (RFC 5761 §4)") {
  uint8_t p[2] = {0x80, 0};
  for (int b = 0; b < 256; b++) {
    p[1] = static_cast<uint8_t>(b);
    const int pt = b & 0x7F;
    CHECK(isRtcpMuxPacket(p, 2) == (pt >= 64 && pt <= 95));
  }
  p[1] = 200;
  CHECK(isRtcpMuxPacket(p, 2));   // SR
  p[1] = 0;
  CHECK_FALSE(isRtcpMuxPacket(p, 2));  // PCMU
  p[1] = 0x80 | 101;
  CHECK_FALSE(isRtcpMuxPacket(p, 2));  // telephone-event with marker
  CHECK_FALSE(isRtcpMuxPacket(p, 1));
}

TEST_CASE("RTCP interval: deterministic interval per §6.3.1 / §A.7") {
  // Two parties, 500 octets/s of RTCP, 128-octet reports: far below the 5 s minimum.
  CHECK(rtcpDeterministicIntervalSec(2, 1, 500, true, 128, false, 5, 0.25) == doctest::Approx(5.0));
  CHECK(rtcpDeterministicIntervalSec(2, 1, 500, true, 128, true, 5, 0.25) == doctest::Approx(2.5));
  // 1000 members, 1 sender: receivers share 75%: 128 * 999 / 375.
  CHECK(rtcpDeterministicIntervalSec(1000, 1, 500, false, 128, false, 5, 0.25) == doctest::Approx(128.0 * 999 / 375));
  // ... the sender gets 25%: 128 * 1 / 125 -> minimum.
  CHECK(rtcpDeterministicIntervalSec(1000, 1, 500, true, 128, false, 5, 0.25) == doctest::Approx(5.0));
  // 1000 members, 500 senders (> 25%): everyone shares the whole bandwidth.
  CHECK(rtcpDeterministicIntervalSec(1000, 500, 500, false, 128, false, 5, 0.25) == doctest::Approx(256.0));
}

TEST_CASE("RTCP scheduler: randomized 5 s interval, first report at half, reconsideration") {
  RtcpIntervalConfig cfg;
  cfg.seed = 42;
  RtcpScheduler s(cfg, 0);
  const double comp = std::exp(1.0) - 1.5;
  // §6.2 first report: 2.5 s randomized in [0.5, 1.5] / (e - 3/2).
  CHECK(s.nextSendUs() >= static_cast<int64_t>(2.5e6 * 0.5 / comp) - 1);
  CHECK(s.nextSendUs() <= static_cast<int64_t>(2.5e6 * 1.5 / comp) + 1);
  CHECK_FALSE(s.due(s.nextSendUs() - 1));

  // Drive 200 reports on explicit time with a 10 ms timer; check spacing statistics.
  int64_t now = 0;
  int64_t last = 0;
  int sent = 0;
  double sum = 0, minGap = 1e18, maxGap = 0;
  while (sent < 200 && now < int64_t{3600} * 1000000) {
    now += 10000;
    if (s.due(now)) {
      if (sent > 1) {  // after the initial (halved) ones
        const double gap = static_cast<double>(now - last);
        sum += gap;
        minGap = std::min(minGap, gap);
        maxGap = std::max(maxGap, gap);
      }
      last = now;
      s.onSent(now, 100);
      sent++;
    }
  }
  REQUIRE(sent == 200);
  CHECK_FALSE(s.initial());
  const double mean = sum / 198;
  CHECK(minGap >= 5e6 * 0.5 / comp - 20000);
  CHECK(maxGap <= 5e6 * 1.5 / comp + 20000);
  // §A.7: the e - 3/2 compensation offsets what timer reconsideration adds, so the mean
  // interval comes out at the deterministic value (5 s) rather than 5 s / (e - 3/2).
  CHECK(mean == doctest::Approx(5e6).epsilon(0.06));

  // §6.3.4 reverse reconsideration: members 4 -> 2 halves the remaining time.
  s.setMembers(4, 1);
  s.onSent(now, 100);
  const int64_t before = s.nextSendUs();
  s.onMembersLeft(now, 2, 1);
  CHECK(s.nextSendUs() - now == (before - now) / 2);
  // Same seed, same schedule.
  RtcpScheduler a(cfg, 0), b(cfg, 0);
  CHECK(a.nextSendUs() == b.nextSendUs());
}

TEST_CASE("RTCP: SR from A, RR from B, RTT at A over a 40 ms one-way path (explicit time)") {
  // Both ends share one virtual clock here; wallclock NTP = 2026-01-01 + monotonic time.
  const int64_t unixBaseUs = int64_t{1767225600} * 1000000;
  auto ntpAt = [&](int64_t us) { return ntpFromUnixMicros(unixBaseUs + us); };
  RtpSenderConfig sc;
  sc.identity = randomRtpIdentity(9);
  RtpSender a(sc);
  RtpReceiverConfig rc;
  rc.localSsrc = 0x0B0B0B0B;
  RtpReceiverStats b(rc);
  uint8_t pkt[200], payload[160] = {};
  int64_t now = 0;
  for (int i = 0; i < 250; i++, now += 20000) {
    const std::size_t n = a.writeMedia(payload, 160, 160, now, pkt, sizeof pkt);
    if (i % 50 == 7) continue;  // 5 lost on the way
    RtpPacketView v;
    REQUIRE(RtpPacketView::parse(pkt, n, v) == RtpParseError::kNone);
    b.onPacket(v.ssrc(), v.sequence(), v.timestamp(), v.payloadSize(), now + 40000);
  }
  // A sends an SR at t = 5 s.
  uint8_t buf[512];
  RtcpCompoundWriter w(buf, sizeof buf);
  RtcpSenderInfo si{ntpAt(now), a.rtpTimestampAt(now), a.packetCount(), a.octetCount()};
  REQUIRE(w.addSenderReport(a.ssrc(), si, nullptr, 0));
  REQUIRE(w.addSdesCname(a.ssrc(), "a@example"));
  RtcpCompound c;
  REQUIRE(parseRtcpCompound(buf, w.finish(), c) == RtcpParseError::kNone);
  CHECK(c.reports[0].senderInfo.packetCount == 250);
  CHECK(c.reports[0].senderInfo.octetCount == 250 * 160);
  // B receives it 40 ms later and answers 300 ms after that with an RR.
  b.onSenderReport(c.reports[0].ssrc, c.reports[0].senderInfo.ntpTimestamp, now + 40000);
  RtcpReportBlock block;
  REQUIRE(b.makeReportBlock(now + 340000, block));
  RtcpCompoundWriter w2(buf, sizeof buf);
  REQUIRE(w2.addReceiverReport(0x0B0B0B0B, &block, 1));
  REQUIRE(w2.addSdesCname(0x0B0B0B0B, "b@example"));
  REQUIRE(parseRtcpCompound(buf, w2.finish(), c) == RtcpParseError::kNone);
  const RtcpReportBlock& got = c.reports[0].blocks[0];
  CHECK(got.ssrc == a.ssrc());
  CHECK(got.cumulativeLost == 5);
  CHECK(got.fractionLost == 5 * 256 / 249);  // 249 expected after probation
  // ... and the RR reaches A 40 ms later: RTT = 80 ms (to 1/65536 s).
  CHECK(rtcpRoundTripMs(got.lastSr, got.delaySinceLastSr, ntpAt(now + 380000)) == doctest::Approx(80).epsilon(0.01));
}
