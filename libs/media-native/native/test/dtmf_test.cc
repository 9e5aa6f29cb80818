#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec_test_support.h"
#include "dtmf/inband.h"
#include "dtmf/rfc4733.h"

using namespace sipmedia;
using namespace testsupport;

namespace {
std::vector<DtmfEvent> feed(Rfc4733Receiver& rx, const std::vector<DtmfPacket>& packets, uint32_t baseMs = 0) {
  std::vector<DtmfEvent> events;
  for (const DtmfPacket& p : packets) rx.onPacket(p.timestamp, p.marker, p.payload.data(), p.payload.size(), baseMs + p.sendAtMs, events);
  return events;
}
}  // namespace

TEST_CASE("RFC 4733 sender: marker, start timestamp, 50 ms updates, three end packets") {
  Rfc4733SenderOptions o;
  o.payloadType = 96;
  o.volume = 7;
  Rfc4733Sender tx(o);
  std::vector<DtmfPacket> p;
  REQUIRE(tx.packetsForEvent(dtmfEventCode('5'), 180, 1000, p));
  // 180 ms at 8 kHz = 1440: updates at 400, 800, 1200, then 1440 (E) three times.
  REQUIRE(p.size() == 6);
  CHECK(p[0].marker);
  for (std::size_t i = 1; i < p.size(); i++) CHECK_FALSE(p[i].marker);
  for (const DtmfPacket& x : p) {
    CHECK(x.timestamp == 1000);
    CHECK(x.payloadType == 96);
    CHECK(x.event == 5);
    CHECK(x.volume == 7);
  }
  CHECK(p[0].duration == 400);
  CHECK(p[1].duration == 800);
  CHECK(p[2].duration == 1200);
  for (int i = 3; i < 6; i++) {
    CHECK(p[static_cast<std::size_t>(i)].end);
    CHECK(p[static_cast<std::size_t>(i)].duration == 1440);
  }
  CHECK(p[3].sendAtMs == 150);
  CHECK(p[4].sendAtMs == 200);
  CHECK(p[5].sendAtMs == 250);
  // Wire format (§2.3): event, E|R|volume, duration big-endian.
  CHECK(p[3].payload == std::array<uint8_t, 4>{5, 0x87, 0x05, 0xA0});
  CHECK(p[0].payload == std::array<uint8_t, 4>{5, 0x07, 0x01, 0x90});
  CHECK_FALSE(tx.packetsForEvent(300, 100, 0, p));
}

TEST_CASE("RFC 4733 sender: other clock rates and packet times") {
  Rfc4733SenderOptions o;
  o.clockRate = 48000;
  o.updateIntervalMs = 20;
  Rfc4733Sender tx(o);
  std::vector<DtmfPacket> p;
  tx.packetsForEvent(11, 60, 0xFFFFFF00u, p);  // timestamps wrap fine
  REQUIRE(p.size() == 5);  // 960, 1920, then 2880 x3
  CHECK(p[0].duration == 960);
  CHECK(p[1].duration == 1920);
  CHECK(p[2].duration == 2880);
  CHECK(p[4].end);
  CHECK(p[4].timestamp == 0xFFFFFF00u);
}

TEST_CASE("RFC 4733 sender: a long event is split into segments of at most 0xFFFF (§2.5.1.3)") {
  Rfc4733SenderOptions o;
  o.clockRate = 48000;  // 0xFFFF is only 1.365 s at 48 kHz
  Rfc4733Sender tx(o);
  std::vector<DtmfPacket> p;
  tx.packetsForEvent(1, 3000, 5000, p);  // 144000 units: segments 65535, 65535, 12930
  std::vector<uint32_t> segmentEnds;
  uint32_t maxDur = 0;
  int ends = 0, markers = 0;
  for (const DtmfPacket& x : p) {
    maxDur = std::max<uint32_t>(maxDur, x.duration);
    if (x.marker) markers++;
    if (x.end) ends++;
    if (!x.end && x.duration == 0xFFFF) segmentEnds.push_back(x.timestamp);
  }
  CHECK(markers == 1);
  CHECK(ends == 3);
  CHECK(maxDur == 0xFFFF);
  CHECK(segmentEnds == std::vector<uint32_t>{5000, 5000, 5000, 5000 + 0xFFFF, 5000 + 0xFFFF, 5000 + 0xFFFF});
  CHECK(p.back().timestamp == 5000 + 2 * 0xFFFF);
  CHECK(p.back().duration == 144000 - 2 * 0xFFFF);
  for (std::size_t i = 1; i < p.size(); i++) CHECK(p[i - 1].sendAtMs <= p[i].sendAtMs);
  // The receiver merges the segments back into one event.
  Rfc4733Receiver rx({48000, 300});
  const auto events = feed(rx, p);
  REQUIRE(events.size() == 1);
  CHECK(events[0].durationTs == 144000);
  CHECK(events[0].durationMs == 3000);
  CHECK(events[0].timestamp == 5000);
}

TEST_CASE("RFC 4733 sender: a queue of digits with gaps, driven by time") {
  Rfc4733SenderOptions o;
  o.toneMs = 100;
  o.gapMs = 60;
  Rfc4733Sender tx(o);
  CHECK_FALSE(tx.enqueue("1x"));
  REQUIRE(tx.enqueue("12#"));
  std::vector<DtmfPacket> out;
  uint32_t ts = 0;
  std::vector<uint32_t> starts;
  for (uint32_t now = 0; now < 2000 && tx.busy(); now += 10, ts += 80) {
    const std::size_t before = out.size();
    tx.poll(now, ts, out);
    for (std::size_t i = before; i < out.size(); i++)
      if (out[i].marker) starts.push_back(now);
  }
  CHECK_FALSE(tx.busy());
  REQUIRE(starts.size() == 3);
  // 100 ms tone: packets at 0, 50 (E) and its repeats at 100, 150; next event after + 50 + 60.
  CHECK(starts[1] - starts[0] == 260);
  Rfc4733Receiver rx;
  std::vector<DtmfEvent> events;
  for (const DtmfPacket& p : out) rx.onPacket(p.timestamp, p.marker, p.payload.data(), 4, 0, events);
  REQUIRE(events.size() == 3);
  CHECK(events[0].digit == '1');
  CHECK(events[1].digit == '2');
  CHECK(events[2].digit == '#');
  CHECK(events[0].durationMs == 100);
  CHECK(events[1].timestamp - events[0].timestamp == 260 * 8);  // the stream's timestamp at start
}

TEST_CASE("RFC 4733 receiver: one report per event despite duplicates and three ends") {
  Rfc4733Sender tx;
  std::vector<DtmfPacket> p;
  tx.packetsForEvent(9, 200, 100, p);
  std::vector<DtmfPacket> doubled;
  for (const DtmfPacket& x : p) {
    doubled.push_back(x);
    doubled.push_back(x);
  }
  Rfc4733Receiver rx;
  const auto events = feed(rx, doubled);
  REQUIRE(events.size() == 1);
  CHECK(events[0].digit == '9');
  CHECK(events[0].durationMs == 200);
  CHECK(events[0].volume == 10);
  CHECK(events[0].endedBy == DtmfEvent::End::EndBit);
  CHECK(rx.stats().duplicates >= p.size());
  CHECK_FALSE(rx.active());
}

TEST_CASE("RFC 4733 receiver: lost start packet and marker-less senders still give the digit") {
  Rfc4733Sender tx;
  std::vector<DtmfPacket> p;
  tx.packetsForEvent(3, 200, 100, p);
  std::vector<DtmfPacket> lossy(p.begin() + 1, p.end());
  Rfc4733Receiver rx;
  auto events = feed(rx, lossy);
  REQUIRE(events.size() == 1);
  CHECK(events[0].digit == '3');
  CHECK(events[0].durationMs == 200);
  for (DtmfPacket& x : p) x.marker = false;
  Rfc4733Receiver rx2;
  events = feed(rx2, p);
  REQUIRE(events.size() == 1);
  CHECK(events[0].digit == '3');
}

TEST_CASE("RFC 4733 receiver: lost end packets: ended by a new event or by timeout") {
  Rfc4733Sender tx;
  std::vector<DtmfPacket> a, b;
  tx.packetsForEvent(1, 200, 1000, a);
  tx.packetsForEvent(2, 100, 4000, b);
  std::vector<DtmfPacket> noEnd;
  for (const DtmfPacket& x : a)
    if (!x.end) noEnd.push_back(x);
  Rfc4733Receiver rx;
  auto events = feed(rx, noEnd);
  CHECK(events.empty());
  CHECK(rx.active());
  CHECK(rx.activeEvent() == 1);
  const auto second = feed(rx, b, 1000);
  REQUIRE(second.size() == 2);
  CHECK(second[0].digit == '1');
  CHECK(second[0].endedBy == DtmfEvent::End::NewEvent);
  CHECK(second[0].durationTs == 1200);  // the last update seen
  CHECK(second[1].digit == '2');
  // Timeout: 300 ms without packets.
  Rfc4733Receiver rx2;
  feed(rx2, noEnd);
  std::vector<DtmfEvent> out;
  CHECK(rx2.poll(noEnd.back().sendAtMs + 100, out) == 0);
  CHECK(rx2.poll(noEnd.back().sendAtMs + 300, out) == 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].endedBy == DtmfEvent::End::Timeout);
  CHECK(rx2.stats().endLost == 1);
  // Late end packets of the timed-out event are not a new event.
  for (const DtmfPacket& x : a)
    if (x.end) rx2.onPacket(x.timestamp, x.marker, x.payload.data(), 4, 2000, out);
  CHECK(out.size() == 1);
  CHECK_FALSE(rx2.active());
}

TEST_CASE("RFC 4733 receiver: overlapping retransmitted ends of consecutive events, reordering, malformed") {
  Rfc4733Sender tx;
  std::vector<DtmfPacket> a, b;
  tx.packetsForEvent(4, 100, 100, a);
  tx.packetsForEvent(4, 100, 2000, b);  // the same digit twice
  // b starts while a's end retransmissions are still arriving.
  std::vector<DtmfPacket> mixed = {a[0], a[1], b[0], a[2], b[1], a[3], b[2], b[3]};
  Rfc4733Receiver rx;
  std::vector<DtmfEvent> events;
  for (const DtmfPacket& x : mixed) rx.onPacket(x.timestamp, x.marker, x.payload.data(), 4, 0, events);
  REQUIRE(events.size() == 2);
  CHECK(events[0].timestamp == 100);
  CHECK(events[1].timestamp == 2000);
  CHECK(events[0].digit == '4');
  CHECK(events[1].digit == '4');
  uint8_t shortPayload[2] = {1, 2};
  CHECK(rx.onPacket(5000, true, shortPayload, 2, 0, events) == 0);
  CHECK(rx.stats().malformed == 1);
}

TEST_CASE("In-band DTMF: Q.23 frequencies; generated digits are detected (Goertzel, all rates)") {
  int lo = 0, hi = 0;
  REQUIRE(dtmfFrequencies('5', lo, hi));
  CHECK(lo == 770);
  CHECK(hi == 1336);
  REQUIRE(dtmfFrequencies('#', lo, hi));
  CHECK(lo == 941);
  CHECK(hi == 1477);
  CHECK_FALSE(dtmfFrequencies('x', lo, hi));
  for (int rate : {8000, 16000, 48000}) {
    DtmfToneOptions o;
    o.sampleRate = rate;
    o.toneMs = 60;
    o.gapMs = 60;
    DtmfToneGenerator gen(o);
    REQUIRE(gen.enqueue("0123456789*#ABCD"));
    std::vector<int16_t> audio;
    std::vector<int16_t> frame(static_cast<std::size_t>(rate / 50));
    while (gen.busy()) {
      gen.generate(frame.data(), frame.size());
      audio.insert(audio.end(), frame.begin(), frame.end());
    }
    InbandDtmfDetector det(rate);
    CHECK(det.backend() == DtmfDetectorBackend::Goertzel);
    std::vector<InbandDigit> found;
    for (std::size_t off = 0; off < audio.size(); off += frame.size()) det.process(audio.data() + off, frame.size(), found);
    det.flush(found);
    std::string digits;
    for (const InbandDigit& d : found) digits += d.digit;
    CAPTURE(rate);
    CHECK(digits == "0123456789*#ABCD");
    for (const InbandDigit& d : found) {
      CHECK(d.durationMs >= 30);
      CHECK(d.durationMs <= 90);
    }
  }
}

TEST_CASE("In-band DTMF: levels; speech-like audio and single tones are not digits") {
  DtmfToneGenerator gen;
  gen.enqueue("1", 200);
  std::vector<int16_t> audio(1600);
  gen.generate(audio.data(), audio.size());
  // -10 dBm0 at 697 Hz and -8 dBm0 at 1209 Hz (full scale +3.14 dBm0).
  CHECK(20 * std::log10(goertzelAmplitude(audio.data(), 1600, 8000, 697) / 32767) == doctest::Approx(-13.14).epsilon(0.02));
  CHECK(20 * std::log10(goertzelAmplitude(audio.data(), 1600, 8000, 1209) / 32767) == doctest::Approx(-11.14).epsilon(0.02));
  InbandDtmfDetector det(8000);
  std::vector<InbandDigit> found;
  const std::vector<int16_t> speech = speechLike(8000, 3.0);
  det.process(speech.data(), speech.size(), found);
  const std::vector<int16_t> single = tone(8000, 941, 1.0, 8000);
  det.process(single.data(), single.size(), found);
  det.flush(found);
  CHECK(found.empty());
}

#ifdef HAVE_SPANDSP
TEST_CASE("In-band DTMF: spandsp's receiver detects our generated digits (8 and 16 kHz)") {
  for (int rate : {8000, 16000}) {
    DtmfToneOptions o;
    o.sampleRate = rate;
    DtmfToneGenerator gen(o);
    REQUIRE(gen.enqueue("159*#0"));
    InbandDtmfDetector det(rate, DtmfDetectorBackend::Spandsp);
    REQUIRE(det.backend() == DtmfDetectorBackend::Spandsp);
    std::vector<int16_t> frame(static_cast<std::size_t>(rate / 50));
    std::vector<InbandDigit> found;
    for (int i = 0; i < 100; i++) {
      gen.generate(frame.data(), frame.size());
      det.process(frame.data(), frame.size(), found);
    }
    det.flush(found);
    std::string digits;
    for (const InbandDigit& d : found) digits += d.digit;
    CAPTURE(rate);
    CHECK(digits == "159*#0");
  }
}
#endif
