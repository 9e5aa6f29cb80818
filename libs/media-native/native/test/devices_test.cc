#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/sound_devices.h"

using namespace sipmedia;

namespace {
/** Power of `hz` in `x` (Goertzel), normalised by length. */
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
std::string tmpPath(const char* name) { return std::string("/tmp/sipmedia-devtest-") + name; }
}  // namespace

TEST_CASE("devices: tone generator produces its frequency at the requested level") {
  ToneSource tone(1000, -6, 8000);
  std::vector<int16_t> x(8000);
  for (int i = 0; i < 50; i++) tone.read(x.data() + i * 160, 160);  // in 20 ms frames: phase-continuous
  CHECK(goertzel(x, 8000, 1000) > 100 * goertzel(x, 8000, 1300));
  int16_t peak = 0;
  for (int16_t v : x) peak = std::max<int16_t>(peak, static_cast<int16_t>(std::abs(v)));
  CHECK(peak == doctest::Approx(32767 * std::pow(10, -6 / 20.0)).epsilon(0.01));
}

TEST_CASE("devices: WAV recorder and player round trip, header fixed up on close") {
  const std::string path = tmpPath("roundtrip.wav");
  std::vector<int16_t> in(16000);
  for (std::size_t i = 0; i < in.size(); i++) in[i] = static_cast<int16_t>((i * 37) % 20000 - 10000);
  {
    WavFileSink sink(path, 16000);
    for (std::size_t i = 0; i < in.size(); i += 320) sink.write(in.data() + i, 320);
    sink.close();
    sink.close();  // idempotent
    sink.write(in.data(), 10);  // dropped after close
    CHECK(sink.samplesWritten() == in.size());
  }
  WavFormat fmt;
  std::vector<int16_t> out = readWavFile(path, fmt);
  CHECK(fmt.sampleRate == 16000);
  CHECK(fmt.channels == 1);
  REQUIRE(out.size() == in.size());
  CHECK(out == in);
  WavFileSource once(path, false);
  std::vector<int16_t> frame(320);
  for (int i = 0; i < 50; i++) once.read(frame.data(), frame.size());
  CHECK_FALSE(once.finished());
  once.read(frame.data(), frame.size());
  CHECK(once.finished());
  CHECK(frame[0] == 0);
  WavFileSource loop(path, true);
  for (int i = 0; i < 51; i++) loop.read(frame.data(), frame.size());
  CHECK_FALSE(loop.finished());
  CHECK(frame[0] == in[0]);  // wrapped around
  std::remove(path.c_str());
}

TEST_CASE("devices: a WAV that was never closed is still readable; garbage is refused") {
  const std::string path = tmpPath("unclosed.wav");
  std::vector<int16_t> s(800, 1234);
  {
    auto* sink = new WavFileSink(path, 8000);
    sink->write(s.data(), s.size());
    std::FILE* peek = std::fopen(path.c_str(), "rb");  // header still says 0 bytes
    REQUIRE(peek);
    std::fclose(peek);
    delete sink;  // the destructor closes
  }
  WavFormat fmt;
  CHECK(readWavFile(path, fmt).size() == 800);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("not a wav file at all", f);
  std::fclose(f);
  CHECK_THROWS_AS(WavFileSource(path, false), std::runtime_error);
  CHECK_THROWS_AS(WavFileSource("/nonexistent/x.wav", false), std::runtime_error);
  std::remove(path.c_str());
}

TEST_CASE("devices: memory source and sink are bounded rings") {
  MemorySource src(8000, 320);
  std::vector<int16_t> chunk(500, 7);
  CHECK(src.push(chunk.data(), chunk.size()) == 320);
  std::vector<int16_t> out(400);
  src.read(out.data(), out.size());
  CHECK(out[0] == 7);
  CHECK(out[319] == 7);
  CHECK(out[320] == 0);
  CHECK(src.underrunSamples() == 80);
  MemorySink sink(8000, 100);
  sink.write(chunk.data(), 150);
  CHECK(sink.overflowSamples() == 50);
  CHECK(sink.pull(out.data(), 400) == 100);
  CHECK(sink.buffered() == 0);
  // wrap-around keeps order
  PcmRing ring(5);
  int16_t a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, r[6] = {};
  ring.push(a, 3);
  ring.pop(r, 2);
  CHECK(ring.push(b, 3) == 3);
  CHECK(ring.pop(r, 6) == 4);
  CHECK(r[0] == 3);
  CHECK(r[3] == 6);
}

TEST_CASE("devices: selection by name or regex priority list, hot-plug diff") {
  std::vector<SoundDeviceInfo> devs = {
      {"default", "Default ALSA Output", true, true},
      {"hw:CARD=PCH,DEV=0", "HDA Intel PCH, ALC3246 Analog", true, true},
      {"hw:CARD=Headset,DEV=0", "Jabra EVOLVE 20 MS, USB Audio", true, true},
      {"hw:CARD=HDMI,DEV=3", "HDA Intel HDMI, HDMI 0", false, true},
  };
  SoundDeviceInfo chosen;
  CHECK(selectSoundDevice(devs, {"plantronics", "jabra", "PCH"}, true, chosen));
  CHECK(chosen.name == "hw:CARD=Headset,DEV=0");
  CHECK(selectSoundDevice(devs, {"HDMI"}, false, chosen));
  CHECK(chosen.name == "hw:CARD=HDMI,DEV=3");
  CHECK_FALSE(selectSoundDevice(devs, {"HDMI"}, true, chosen));  // HDMI has no input
  std::string error;
  CHECK(selectSoundDevice(devs, {"([", "default"}, true, chosen, &error));
  CHECK(chosen.name == "default");
  CHECK(error.find("bad pattern") != std::string::npos);
  CHECK(selectSoundDevice(devs, {}, true, chosen));
  CHECK(chosen.name == "default");
  auto later = devs;
  later.erase(later.begin() + 2);
  later.push_back({"hw:CARD=Poly,DEV=0", "Poly Blackwire", true, true});
  SoundDeviceChanges c = diffSoundDevices(devs, later);
  REQUIRE(c.added.size() == 1);
  REQUIRE(c.removed.size() == 1);
  CHECK(c.added[0].name == "hw:CARD=Poly,DEV=0");
  CHECK(c.removed[0].name == "hw:CARD=Headset,DEV=0");
}

TEST_CASE("devices: enumeration works without a sound card") {
  std::string reason;
  const bool supported = soundDevicesSupported(&reason);
  CHECK((supported || !reason.empty()));
  auto list = listSoundDevices();  // may be empty on CI; must not throw or crash
  for (const auto& d : list) CHECK_FALSE(d.name.empty());
  CHECK_THROWS(openSoundSource("hw:CARD=NoSuchCard,DEV=0", 8000));
}
