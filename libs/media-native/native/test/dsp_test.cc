// Audio processing switches: level meter (dBov), VAD, AGC, comfort noise (RFC 3389), gain/mute.
// Signals are synthetic and deterministic: "speech" is tone bursts with a syllable-rate envelope
// over a noise floor.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "dsp/agc.h"
#include "dsp/comfort_noise.h"
#include "dsp/gain.h"
#include "dsp/level_meter.h"
#include "dsp/vad.h"

using namespace sipmedia;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kRate = 16000;
constexpr std::size_t kFrame = 320;  // 20 ms

// Deterministic noise and "speech" source.
struct Signal {
  uint32_t rng = 12345;
  std::size_t n = 0;
  double noise() {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return static_cast<double>(rng) / 2147483647.5 - 1.0;
  }
  // One frame: white noise with RMS at `noiseDbov`, plus (when `speech`) a vowel-like sum of
  // 200/450/900 Hz with a 4 Hz syllable envelope whose RMS averages `speechDbov`.
  std::vector<int16_t> frame(bool speech, double speechDbov, double noiseDbov) {
    std::vector<int16_t> f(kFrame);
    const double noiseAmp = dbovToRms(noiseDbov) * std::sqrt(3.0);
    // Three equal partials (mean square 1.5 a^2) under a raised-sine envelope (mean square 3/8),
    // scaled so the long-term RMS is the requested level.
    const double target = dbovToRms(speechDbov);
    const double a = target / std::sqrt(1.5) / std::sqrt(0.5 * 0.5 + 0.5 * 0.5 * 0.5);
    for (std::size_t i = 0; i < kFrame; ++i, ++n) {
      const double t = static_cast<double>(n) / kRate;
      double v = noiseAmp * noise();
      if (speech) {
        const double env = 0.5 + 0.5 * std::sin(2 * kPi * 4.0 * t);
        v += a * env * (std::sin(2 * kPi * 200 * t) + std::sin(2 * kPi * 450 * t) + std::sin(2 * kPi * 900 * t));
      }
      f[i] = static_cast<int16_t>(std::lround(std::max(-32768.0, std::min(32767.0, v))));
    }
    return f;
  }
};

double levelOf(const std::vector<int16_t>& x) { return rmsDbov(x.data(), x.size()); }

}  // namespace

TEST_CASE("DSP level: dBov against full-scale square wave (RFC 3389 §3.1)") {
  std::vector<int16_t> square(kFrame);
  for (std::size_t i = 0; i < kFrame; ++i) square[i] = (i / 8) % 2 ? 32767 : -32767;
  CHECK(levelOf(square) == doctest::Approx(0.0).epsilon(0.001));
  std::vector<int16_t> sine(16000);
  for (std::size_t i = 0; i < sine.size(); ++i) sine[i] = static_cast<int16_t>(std::lround(32767 * std::sin(2 * kPi * 1000 * i / kRate)));
  CHECK(levelOf(sine) == doctest::Approx(-3.01).epsilon(0.01));
  for (auto& v : square) v = v > 0 ? 3277 : -3277;
  CHECK(levelOf(square) == doctest::Approx(-20.0).epsilon(0.01));
  std::vector<int16_t> silence(kFrame, 0);
  CHECK(levelOf(silence) == kMinDbov);
  CHECK(dbovToLevelByte(-20.4) == 20);
  CHECK(dbovToLevelByte(3.0) == 0);
  CHECK(dbovToLevelByte(-200.0) == 127);

  LevelMeter meter(20.0, 20);
  for (auto& v : square) v = v > 0 ? 32767 : -32767;
  CHECK(meter.process(square.data(), kFrame) == doctest::Approx(0.0).epsilon(0.001));
  CHECK(meter.peakDbov() == doctest::Approx(0.0).epsilon(0.001));
  meter.process(silence.data(), kFrame);
  CHECK(meter.lastFrameDbov() == kMinDbov);
  CHECK(meter.levelDbov() == doctest::Approx(-0.4));  // falls 20 dB/s = 0.4 dB per frame
  for (int i = 0; i < 400; ++i) meter.process(silence.data(), kFrame);
  CHECK(meter.levelDbov() == kMinDbov);
}

TEST_CASE("DSP VAD: detects tone bursts over noise, holds a hangover, then releases") {
  for (int level = 0; level <= 3; ++level) {
    CAPTURE(level);
    Vad vad({level, 20});
    Signal sig;
    int speechFrames = 0;
    int speechDetected = 0;
    int pauseFramesAfterHangover = 0;
    int falseAlarms = 0;
    int hangoverFramesSeen = 0;
    const int hangoverFrames = level == 0 ? 20 : level == 1 ? 15 : level == 2 ? 10 : 5;
    // 1 s of noise, then 5 x (600 ms burst, 800 ms pause).
    for (int i = 0; i < 50; ++i) {
      auto f = sig.frame(false, 0, -55);
      CHECK_FALSE(vad.process(f.data(), f.size()));
    }
    for (int burst = 0; burst < 5; ++burst) {
      int sinceRaw = 0;
      for (int i = 0; i < 30; ++i) {
        auto f = sig.frame(true, -22, -55);
        ++speechFrames;
        if (vad.process(f.data(), f.size())) ++speechDetected;
        sinceRaw = vad.lastRawDecision() ? 0 : sinceRaw + 1;
      }
      for (int i = 0; i < 40; ++i) {
        auto f = sig.frame(false, 0, -55);
        bool d = vad.process(f.data(), f.size());
        // Noise alone is never speech; the first pause frame still holds the transient of the
        // burst's abrupt cut-off, which is real energy.
        if (i > 0) CHECK_FALSE(vad.lastRawDecision());
        sinceRaw = vad.lastRawDecision() ? 0 : sinceRaw + 1;
        if (sinceRaw <= hangoverFrames) {
          CHECK(d);  // the hangover holds the decision after the last speech frame...
          ++hangoverFramesSeen;
        } else {
          ++pauseFramesAfterHangover;  // ...and then releases it
          if (d) ++falseAlarms;
        }
      }
    }
    CHECK(hangoverFramesSeen > 0);
    CHECK(speechDetected >= speechFrames * 90 / 100);
    CHECK(falseAlarms == 0);
    CHECK(pauseFramesAfterHangover > 0);
    CHECK(vad.noiseFloorDbov() == doctest::Approx(-55.0).epsilon(0.1));
  }
}

TEST_CASE("DSP VAD: aggressiveness orders what counts as speech; the floor learns new noise") {
  // A weak talker 10 dB above the noise: kept by level 0, dropped by level 3.
  int detected[4] = {0, 0, 0, 0};  // raw speech frames
  int held[4] = {0, 0, 0, 0};      // frames with the decision (hangover included)
  for (int level = 0; level <= 3; ++level) {
    Vad vad({level, 20});
    Signal sig;
    for (int i = 0; i < 50; ++i) {
      auto f = sig.frame(false, 0, -50);
      vad.process(f.data(), f.size());
    }
    for (int i = 0; i < 50; ++i) {
      auto f = sig.frame(true, -40, -50);
      if (vad.process(f.data(), f.size())) ++held[level];
      if (vad.lastRawDecision()) ++detected[level];
    }
  }
  // The syllable envelope dips into the noise, so raw detection is partial; the hangover bridges it.
  CHECK(detected[0] > 25);
  CHECK(held[0] >= 45);
  CHECK(detected[3] < 5);
  CHECK(held[3] < 10);
  CHECK(detected[0] >= detected[1]);
  CHECK(detected[1] >= detected[2]);
  CHECK(detected[2] >= detected[3]);

  // Background noise steps up by 20 dB and stays: within 10 s it is no longer "speech".
  Vad vad({2, 20});
  Signal sig;
  for (int i = 0; i < 50; ++i) {
    auto f = sig.frame(false, 0, -60);
    vad.process(f.data(), f.size());
  }
  bool lastDecision = true;
  for (int i = 0; i < 500; ++i) {
    auto f = sig.frame(false, 0, -40);
    lastDecision = vad.process(f.data(), f.size());
  }
  CHECK_FALSE(lastDecision);
  CHECK(vad.noiseFloorDbov() == doctest::Approx(-40.0).epsilon(0.1));
  vad.reset();
  CHECK(vad.lastLevelDbov() == kMinDbov);
}

TEST_CASE("DSP AGC: converges to the target within bounds, respects max gain, never clips") {
  struct Case {
    double inputDbov;
    double expectedOutDbov;
  };
  // Quiet talker (-40: +22 dB needed), loud talker (-14: -4 dB), very quiet (-55: capped at +24).
  for (Case c : {Case{-40, -18}, Case{-14, -18}, Case{-55, -31}}) {
    CAPTURE(c.inputDbov);
    Agc agc;
    Signal sig;
    std::vector<int16_t> tail;
    bool clipped = false;
    for (int i = 0; i < 750; ++i) {  // 15 s
      auto f = sig.frame(true, c.inputDbov, -70);
      agc.process(f.data(), f.size(), true);
      CHECK(agc.gainDb() <= agc.config().maxGainDb + 1e-9);
      CHECK(agc.gainDb() >= agc.config().minGainDb - 1e-9);
      for (int16_t v : f) clipped = clipped || v == 32767 || v == -32768;
      if (i >= 650) tail.insert(tail.end(), f.begin(), f.end());  // last 2 s
    }
    CHECK_FALSE(clipped);
    CHECK(levelOf(tail) == doctest::Approx(c.expectedOutDbov).epsilon(2.0 / 31.0));
  }
}

TEST_CASE("DSP AGC: moves slowly and never adapts on non-speech frames") {
  Agc agc;
  Signal sig;
  // One second of quiet speech: the gain rises at most releaseDbPerSecond.
  for (int i = 0; i < 50; ++i) {
    auto f = sig.frame(true, -40, -70);
    agc.process(f.data(), f.size(), true);
  }
  // (frames in the envelope's troughs fall under the gate and do not count)
  CHECK(agc.gainDb() <= agc.config().releaseDbPerSecond + 1e-9);
  CHECK(agc.gainDb() >= agc.config().releaseDbPerSecond * 0.75);
  const double held = agc.gainDb();
  for (int i = 0; i < 100; ++i) {
    auto f = sig.frame(false, 0, -50);
    agc.process(f.data(), f.size(), false);
  }
  CHECK(agc.gainDb() == held);  // noise is not pumped up
  // A sudden full-scale burst is not allowed to overload.
  std::vector<int16_t> loud(kFrame);
  for (std::size_t i = 0; i < kFrame; ++i) loud[i] = static_cast<int16_t>(30000 * std::sin(2 * kPi * 300 * i / kRate));
  agc.process(loud.data(), loud.size(), true);
  int peak = 0;
  for (int16_t v : loud) peak = std::max(peak, std::abs(static_cast<int>(v)));
  CHECK(peak <= 32767);
  CHECK(agc.gainDb() <= 20.0 * std::log10(32767.0 / 30000.0) + 1e-9);
}

TEST_CASE("DSP comfort noise: SID decisions, RFC 3389 level byte, and generation at that level") {
  ComfortNoiseEncoder enc(20, 3, 1000);
  Signal sig;
  uint8_t payload[4] = {0};
  std::size_t size = 0;
  auto speech = sig.frame(true, -20, -50);
  CHECK(enc.process(speech.data(), speech.size(), true, payload, sizeof payload, size) == DtxAction::SendVoice);
  CHECK(size == 0);
  auto quiet = sig.frame(false, 0, -50);
  REQUIRE(enc.process(quiet.data(), quiet.size(), false, payload, sizeof payload, size) == DtxAction::SendSid);
  REQUIRE(size == 1);
  CHECK((payload[0] & 0x80) == 0);
  CHECK(std::abs(static_cast<int>(payload[0]) - 50) <= 1);
  int sids = 0;
  int nothing = 0;
  for (int i = 0; i < 50; ++i) {  // 1 s more of steady noise
    auto f = sig.frame(false, 0, -50);
    DtxAction a = enc.process(f.data(), f.size(), false, payload, sizeof payload, size);
    if (a == DtxAction::SendSid) ++sids;
    if (a == DtxAction::SendNothing) ++nothing;
  }
  CHECK(sids == 1);  // the 1 s refresh
  CHECK(nothing == 49);
  auto louder = sig.frame(false, 0, -40);
  CHECK(enc.process(louder.data(), louder.size(), false, payload, sizeof payload, size) == DtxAction::SendSid);
  CHECK(std::abs(static_cast<int>(payload[0]) - 40) <= 1);

  // Receiver: decode the SID (spectral octets ignored) and generate noise at that level.
  ComfortNoiseGenerator gen;
  const uint8_t sid[] = {45, 0x80, 0x7F, 0x10};  // level 45 + three reflection coefficients
  REQUIRE(gen.decode(sid, sizeof sid));
  CHECK(gen.level() == 45);
  std::vector<int16_t> noise(kFrame);
  gen.generate(noise.data(), noise.size());  // ramps up from silence
  std::vector<int16_t> second(16000);
  gen.generate(second.data(), second.size());
  CHECK(levelOf(second) == doctest::Approx(-45.0).epsilon(0.5 / 45.0));
  const uint8_t bad[] = {0x85};
  CHECK_FALSE(gen.decode(bad, 1));
  CHECK_FALSE(gen.decode(sid, 0));
  CHECK(gen.level() == 45);
  gen.setLevel(127);
  std::vector<int16_t> off(kFrame);
  gen.generate(off.data(), off.size());
  gen.generate(off.data(), off.size());
  CHECK(levelOf(off) == kMinDbov);
}

TEST_CASE("DSP gain: volume, mute with ramps, saturation, unity is bit-exact") {
  GainStage g;
  std::vector<int16_t> frame(kFrame, 10000);
  g.process(frame.data(), frame.size());
  CHECK(frame[100] == 10000);  // unity untouched
  g.setGain(0.5f);
  g.process(frame.data(), frame.size());
  CHECK(frame[0] < 10000);
  CHECK(frame[0] > 9900);  // ramp starts near the old gain: no click
  CHECK(frame[kFrame - 1] == 5000);
  frame.assign(kFrame, 10000);
  g.process(frame.data(), frame.size());
  CHECK(frame[0] == 5000);
  g.setMuted(true);
  frame.assign(kFrame, 10000);
  g.process(frame.data(), frame.size());
  CHECK(frame[kFrame - 1] == 0);
  frame.assign(kFrame, 10000);
  g.process(frame.data(), frame.size());
  bool silent = true;
  for (int16_t v : frame) silent = silent && v == 0;
  CHECK(silent);
  g.setMuted(false);
  g.setGain(4.0f);
  frame.assign(kFrame, 20000);
  g.process(frame.data(), frame.size());
  frame.assign(kFrame, -20000);
  g.process(frame.data(), frame.size());
  CHECK(frame[10] == -32768);  // saturates, no wrap
  g.setGainDb(-6.0206);
  CHECK(g.gain() == doctest::Approx(0.5f).epsilon(0.001));
  g.setGain(-1.0f);
  CHECK(g.gain() == 0.0f);
  g.setGain(100.0f);
  CHECK(g.gain() == 16.0f);
}
