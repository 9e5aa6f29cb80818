#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/udp.h"
#include "srtp/sdes.h"

using namespace sipmedia;

namespace {
double goertzel(const std::vector<int16_t>& x, int rate, double hz) {
  const double w = 2 * M_PI * hz / rate, c = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (int16_t v : x) {
    const double s = v + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (double(x.size()) * x.size());
}

EngineConfig testConfig() {
  EngineConfig c;
  c.portMin = 41000;
  c.portMax = 41999;
  return c;
}

StreamConfig pcmu(std::shared_ptr<AudioSource> src, std::shared_ptr<AudioSink> sink) {
  StreamConfig s;
  s.codec.name = "PCMU";
  s.telephoneEventPayloadType = 101;
  s.source = std::move(src);
  s.sink = std::move(sink);
  return s;
}

void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
}  // namespace

TEST_CASE("engine: two PCMU streams exchange a 1 kHz tone on loopback") {
  std::atomic<int> notifications{0};
  Engine engine(testConfig(), [&] { notifications++; });
  auto sinkB = std::make_shared<MemorySink>(8000, 8000 * 4);
  StreamConfig a = pcmu(std::make_shared<ToneSource>(1000, -10, 8000), nullptr);
  StreamConfig b = pcmu(nullptr, sinkB);
  auto sa = engine.createStream(a);
  auto sb = engine.createStream(b);
  CHECK(sa.rtpPort % 2 == 0);
  CHECK(sa.rtcpPort == sa.rtpPort + 1);
  engine.updateStream(sa.id, [&] {
    StreamUpdate u;
    u.remoteAddress = "127.0.0.1";
    u.remotePort = sb.rtpPort;
    return u;
  }());
  sleepMs(1200);
  std::vector<int16_t> got(8000 * 4);
  got.resize(sinkB->pull(got.data(), got.size()));
  REQUIRE(got.size() > 4000);
  std::vector<int16_t> tail(got.end() - 4000, got.end());
  CHECK(goertzel(tail, 8000, 1000) > 50 * goertzel(tail, 8000, 700));
  StreamStatsSnapshot st;
  REQUIRE(engine.getStats(sb.id, st));
  CHECK(st.rtp.packetsReceived > 40);
  CHECK(st.receiving);
  CHECK(notifications > 0);
  auto events = engine.drainEvents();
  bool sawReceiving = false;
  for (auto& e : events) sawReceiving |= e.type == EngineEventType::ReceivingStarted && e.streamId == sb.id;
  CHECK(sawReceiving);
  CHECK(engine.closeStream(sa.id));
  CHECK_FALSE(engine.closeStream(sa.id));  // idempotent
  engine.close();
  engine.close();
}

TEST_CASE("engine: RFC 4733 digits arrive once each, with the right digits") {
  Engine engine(testConfig(), nullptr);
  auto sa = engine.createStream(pcmu(std::make_shared<ToneSource>(440, -20, 8000), nullptr));
  StreamConfig b = pcmu(nullptr, nullptr);
  b.remoteAddress = "127.0.0.1";
  b.remotePort = sa.rtpPort;
  auto sb = engine.createStream(b);
  StreamUpdate u;
  u.remoteAddress = "127.0.0.1";
  u.remotePort = sb.rtpPort;
  engine.updateStream(sa.id, u);
  sleepMs(200);
  engine.sendDtmf(sa.id, "1#9", 80, false);
  std::string digits;
  for (int i = 0; i < 40 && digits.size() < 3; i++) {
    sleepMs(50);
    for (auto& e : engine.drainEvents())
      if (e.type == EngineEventType::DtmfReceived && e.streamId == sb.id) digits += e.digit;
  }
  CHECK(digits == "1#9");
  CHECK_THROWS_AS(engine.sendDtmf(sa.id, "1x", 80, false), EngineError);
}

TEST_CASE("engine: garbage on the sockets is counted, not fatal") {
  Engine engine(testConfig(), nullptr);
  auto s = engine.createStream(pcmu(nullptr, nullptr));
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  UdpAddress to;
  makeUdpAddress("127.0.0.1", s.rtpPort, to);
  UdpAddress rtcp;
  makeUdpAddress("127.0.0.1", s.rtcpPort, rtcp);
  uint8_t junk[300];
  for (int i = 0; i < 500; i++) {
    for (auto& b : junk) b = static_cast<uint8_t>(rand());
    const std::size_t len = static_cast<std::size_t>(rand()) % sizeof junk;
    sendto(fd, junk, len, 0, reinterpret_cast<sockaddr*>(&to.storage), to.length);
    sendto(fd, junk, len, 0, reinterpret_cast<sockaddr*>(&rtcp.storage), rtcp.length);
  }
  ::close(fd);
  sleepMs(200);
  StreamStatsSnapshot st;
  REQUIRE(engine.getStats(s.id, st));
  CHECK(st.malformedPackets + st.malformedRtcp + st.otherPayloadPackets > 100);
  CHECK_FALSE(engine.dead());
}

TEST_CASE("engine: refused configurations throw EngineError with a location") {
  Engine engine(testConfig(), nullptr);
  StreamConfig bad = pcmu(nullptr, nullptr);
  bad.codec.name = "NOPE";
  try {
    engine.createStream(bad);
    FAIL("no throw");
  } catch (const EngineError& e) {
    CHECK(e.operation() == "createStream");
    CHECK(e.location().find("stream.cc") != std::string::npos);
  }
  StreamConfig srtp = pcmu(nullptr, nullptr);
  srtp.srtp = SrtpSpec{"AES_CM_128_HMAC_SHA1_80", "inline:short", "inline:short"};
  CHECK_THROWS_AS(engine.createStream(srtp), EngineError);
  CHECK_THROWS_AS(engine.updateStream(999, StreamUpdate{}), EngineError);
  CHECK(engine.streamCount() == 0);
}

TEST_CASE("engine: an injected thread fault kills the engine cleanly with an event") {
  Engine engine(testConfig(), nullptr);
  auto s = engine.createStream(pcmu(nullptr, nullptr));
  engine.injectFault(0);
  for (int i = 0; i < 50 && !engine.dead(); i++) sleepMs(10);
  CHECK(engine.dead());
  bool died = false, closed = false;
  for (auto& e : engine.drainEvents()) {
    died |= e.type == EngineEventType::EngineDied;
    closed |= e.type == EngineEventType::StreamClosed && e.streamId == s.id;
  }
  CHECK(died);
  CHECK(closed);
  CHECK_THROWS_AS(engine.createStream(pcmu(nullptr, nullptr)), EngineError);
  engine.close();
}

TEST_CASE("engine: create/close 200 streams leaves no descriptor behind") {
  auto fds = [] {
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
      if (fcntl(fd, F_GETFD) != -1) n++;
    return n;
  };
  Engine engine(testConfig(), nullptr);
  const int before = fds();
  for (int i = 0; i < 200; i++) {
    auto s = engine.createStream(pcmu(nullptr, nullptr));
    engine.closeStream(s.id);
  }
  CHECK(fds() == before);
  CHECK(engine.streamCount() == 0);
}

TEST_CASE("engine: audio processing changes on a running stream (DTX on: nothing sent in silence; off: sent again)") {
  Engine engine(testConfig(), [] {});
  // A silent source: with DTX and a VAD every frame is silence.
  StreamConfig a = pcmu(std::make_shared<NullSource>(8000), nullptr);
  StreamConfig b = pcmu(nullptr, nullptr);
  auto sb = engine.createStream(b);
  a.remoteAddress = "127.0.0.1";
  a.remotePort = sb.rtpPort;
  auto sa = engine.createStream(a);
  auto sent = [&] {
    StreamStatsSnapshot s;
    REQUIRE(engine.getStats(sa.id, s));
    return s;
  };
  sleepMs(400);
  const uint64_t before = sent().rtp.packetsSent;
  CHECK(before >= 10);
  CHECK(sent().dtxFrames == 0);
  StreamUpdate on;
  on.vadLevel = 1;
  on.dtx = true;
  engine.updateStream(sa.id, on);
  sleepMs(300);  // the VAD's hangover ends within a few frames; snapshots are 100 ms old at most
  const uint64_t atDtx = sent().rtp.packetsSent;
  sleepMs(500);
  CHECK(sent().rtp.packetsSent - atDtx <= 1);
  CHECK(sent().dtxFrames >= 15);
  StreamUpdate off;
  off.dtx = false;
  engine.updateStream(sa.id, off);
  sleepMs(200);
  const uint64_t resumed = sent().rtp.packetsSent;
  sleepMs(400);
  CHECK(sent().rtp.packetsSent - resumed >= 10);
  engine.close();
}
