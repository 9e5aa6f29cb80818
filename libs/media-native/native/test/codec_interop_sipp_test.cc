// The RTP captures shipped by Debian's sip-tester package (SIPp): g711a.pcap (PCMA speech) and
// dtmf_2833_<digit>.pcap (RFC 2833/4733 telephone-events), read with a tiny pcap / IPv4 / UDP /
// RTP reader written here, decoded by our PCMA decoder and our Rfc4733Receiver.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"
#include "dtmf/inband.h"
#include "dtmf/rfc4733.h"

using namespace sipmedia;
using namespace testsupport;

namespace {

const std::string kCaptures = "/usr/share/sip-tester/";

struct RtpPacket {
  uint32_t timeMs = 0;  // capture time, from the first packet
  int payloadType = 0;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::vector<uint8_t> payload;
};

uint32_t rd32(const uint8_t* p, bool swap) {
  return swap ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]) : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
}
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

/** RTP packets (RFC 3550 §5.1) in UDP over IPv4 in a classic pcap file (Ethernet, Linux SLL or raw IP). */
std::vector<RtpPacket> readRtpPcap(const std::string& path) {
  const std::vector<uint8_t> f = readBytes(path);
  REQUIRE_MESSAGE(f.size() >= 24, path << " is not a pcap file (install Debian's sip-tester)");
  const uint32_t magic = rd32(f.data(), false);
  REQUIRE((magic == 0xA1B2C3D4u || magic == 0xD4C3B2A1u));
  const bool swap = magic == 0xD4C3B2A1u;  // file written big-endian
  const uint32_t linktype = rd32(f.data() + 20, swap);
  std::vector<RtpPacket> out;
  std::size_t off = 24;
  bool haveFirst = false;
  uint64_t firstUs = 0;
  while (off + 16 <= f.size()) {
    const uint64_t us = uint64_t(rd32(f.data() + off, swap)) * 1000000 + rd32(f.data() + off + 4, swap);
    const uint32_t caplen = rd32(f.data() + off + 8, swap);
    off += 16;
    if (off + caplen > f.size()) break;
    const uint8_t* p = f.data() + off;
    std::size_t n = caplen;
    off += caplen;
    std::size_t l2 = 0;
    if (linktype == 1) {  // Ethernet II, with an optional 802.1Q tag
      if (n < 14) continue;
      uint16_t type = be16(p + 12);
      l2 = 14;
      if (type == 0x8100 && n >= 18) {
        type = be16(p + 16);
        l2 = 18;
      }
      if (type != 0x0800) continue;
    } else if (linktype == 113) {  // Linux cooked capture
      if (n < 16 || be16(p + 14) != 0x0800) continue;
      l2 = 16;
    } else if (linktype != 101 && linktype != 12) {
      FAIL("unsupported pcap link type " << linktype);
    }
    p += l2;
    n -= l2;
    // IPv4 (RFC 791): version 4, IHL, protocol 17 (UDP), no fragments.
    if (n < 20 || (p[0] >> 4) != 4 || p[9] != 17) continue;
    const std::size_t ihl = std::size_t(p[0] & 0x0F) * 4;
    if ((be16(p + 6) & 0x3FFF) != 0 || n < ihl + 8) continue;
    const std::size_t ipLen = std::min<std::size_t>(be16(p + 2), n);
    const uint8_t* udp = p + ihl;
    const std::size_t udpLen = std::min<std::size_t>(be16(udp + 4), ipLen - ihl);
    if (udpLen < 8 + 12) continue;
    const uint8_t* r = udp + 8;
    std::size_t rn = udpLen - 8;
    if ((r[0] >> 6) != 2) continue;  // RFC 3550 §5.1: version 2
    std::size_t h = 12 + std::size_t(r[0] & 0x0F) * 4;
    if (r[0] & 0x10) {  // header extension
      if (rn < h + 4) continue;
      h += 4 + std::size_t(be16(r + h + 2)) * 4;
    }
    if (rn < h) continue;
    if (r[0] & 0x20) {  // padding: the last octet counts it
      const std::size_t pad = r[rn - 1];
      if (pad == 0 || pad > rn - h) continue;
      rn -= pad;
    }
    RtpPacket pkt;
    if (!haveFirst) {
      firstUs = us;
      haveFirst = true;
    }
    pkt.timeMs = static_cast<uint32_t>((us - firstUs) / 1000);
    pkt.marker = (r[1] & 0x80) != 0;
    pkt.payloadType = r[1] & 0x7F;
    pkt.seq = be16(r + 2);
    pkt.timestamp = be32(r + 4);
    pkt.ssrc = be32(r + 8);
    pkt.payload.assign(r + h, r + rn);
    out.push_back(std::move(pkt));
  }
  return out;
}

}  // namespace

TEST_CASE("SIPp capture g711a.pcap: the PCMA payloads decode to speech with sane energy") {
  const std::vector<RtpPacket> packets = readRtpPcap(kCaptures + "g711a.pcap");
  REQUIRE(packets.size() > 200);
  auto dec = findCodec("PCMA", 8000)->createDecoder({});
  std::vector<int16_t> speech, buf(1024);
  for (const RtpPacket& p : packets) {
    REQUIRE(p.payloadType == 8);
    const int n = dec->decode(p.payload.data(), p.payload.size(), buf.data(), buf.size());
    REQUIRE(n == static_cast<int>(p.payload.size()));
    speech.insert(speech.end(), buf.begin(), buf.begin() + n);
  }
  // 20 ms frames: speech has loud and quiet stretches (a tone or noise would be flat).
  double minRms = 1e9, maxRms = 0;
  std::size_t clipped = 0;
  for (std::size_t off = 0; off + 160 <= speech.size(); off += 160) {
    const double r = rms(speech.data() + off, 160);
    minRms = std::min(minRms, r);
    maxRms = std::max(maxRms, r);
  }
  for (int16_t v : speech) clipped += (v >= 32000 || v <= -32000) ? 1 : 0;
  const double total = rms(speech.data(), speech.size());
  MESSAGE("PCMA capture: " << speech.size() / 8 << " ms, rms " << total << ", frame rms " << minRms << ".." << maxRms);
  CHECK(speech.size() >= 8000 * 4);
  CHECK(total > 300);
  CHECK(total < 12000);
  CHECK(maxRms > 8 * (minRms + 1));
  CHECK(clipped < speech.size() / 1000);
  // Little DC offset, and a zero-crossing rate of voice (a few hundred to a few thousand per second).
  double mean = 0;
  std::size_t crossings = 0;
  for (std::size_t i = 0; i < speech.size(); i++) {
    mean += speech[i];
    if (i > 0 && ((speech[i] >= 0) != (speech[i - 1] >= 0))) crossings++;
  }
  mean /= static_cast<double>(speech.size());
  const double zcr = crossings / (speech.size() / 8000.0);
  MESSAGE("PCMA capture: mean " << mean << ", zero crossings " << zcr << "/s");
  CHECK(std::fabs(mean) < 0.1 * total);  // the capture has a small DC offset (about -145)
  CHECK(zcr > 200);
  CHECK(zcr < 3000);
}

TEST_CASE("SIPp capture g711a.pcap: no in-band DTMF is found in the speech (talk-off, both detectors)") {
  const std::vector<RtpPacket> packets = readRtpPcap(kCaptures + "g711a.pcap");
  REQUIRE(packets.size() > 200);
  auto dec = findCodec("PCMA", 8000)->createDecoder({});
  std::vector<int16_t> speech, buf(1024);
  for (const RtpPacket& p : packets) {
    const int n = dec->decode(p.payload.data(), p.payload.size(), buf.data(), buf.size());
    REQUIRE(n > 0);
    speech.insert(speech.end(), buf.begin(), buf.begin() + n);
  }
  std::vector<DtmfDetectorBackend> backends = {DtmfDetectorBackend::Goertzel};
  if (InbandDtmfDetector::spandspAvailable()) backends.push_back(DtmfDetectorBackend::Spandsp);
  for (DtmfDetectorBackend b : backends) {
    InbandDtmfDetector det(8000, b);
    std::vector<InbandDigit> found;
    for (std::size_t off = 0; off + 160 <= speech.size(); off += 160) det.process(speech.data() + off, 160, found);
    det.flush(found);
    CAPTURE(static_cast<int>(b));
    CHECK(found.empty());
  }
}

TEST_CASE("SIPp captures dtmf_2833_*.pcap: each yields exactly its digit through Rfc4733Receiver") {
  const std::vector<std::pair<std::string, char>> files = {
      {"0", '0'}, {"1", '1'}, {"2", '2'}, {"3", '3'}, {"4", '4'}, {"5", '5'}, {"6", '6'},
      {"7", '7'}, {"8", '8'}, {"9", '9'}, {"star", '*'}, {"pound", '#'},
  };
  for (const auto& [name, digit] : files) {
    CAPTURE(name);
    const std::vector<RtpPacket> packets = readRtpPcap(kCaptures + "dtmf_2833_" + name + ".pcap");
    REQUIRE(!packets.empty());
    Rfc4733Receiver rx({8000, 300});
    std::vector<DtmfEvent> events;
    uint32_t last = 0;
    for (const RtpPacket& p : packets) {
      REQUIRE(p.payloadType == 101);
      rx.onPacket(p.timestamp, p.marker, p.payload.data(), p.payload.size(), p.timeMs, events);
      last = p.timeMs;
    }
    rx.poll(last + 1000, events);
    REQUIRE(events.size() == 1);
    CHECK(events[0].digit == digit);
    CHECK(events[0].endedBy == DtmfEvent::End::EndBit);
    CHECK(events[0].durationTs == 2240);
    CHECK(events[0].volume == 10);
    CHECK(rx.stats().duplicates == 2);  // the two retransmissions of the end packet
  }
}
