// Conference mixer: mix-minus correctness (Goertzel energy per tone), gains, mute, limiter,
// joins/leaves, missing frames, and a 100-party performance sanity check.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "mixer/conference_mixer.h"

using namespace sipmedia;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Amplitude of the component at `freq` (Goertzel, any frequency, not only bin centres).
double toneAmplitude(const std::vector<int16_t>& x, double freq, int rate) {
  const double w = 2.0 * kPi * freq / rate;
  const double coeff = 2.0 * std::cos(w);
  double s1 = 0;
  double s2 = 0;
  for (int16_t v : x) {
    double s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return 2.0 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(x.size());
}

// Generates tone frames with continuous phase.
struct Tone {
  double freq;
  double amplitude;
  std::size_t n = 0;
  std::vector<int16_t> frame(std::size_t samples, int rate) {
    std::vector<int16_t> f(samples);
    for (auto& v : f) v = static_cast<int16_t>(std::lround(amplitude * std::sin(2.0 * kPi * freq * static_cast<double>(n++) / rate)));
    return f;
  }
};

// Runs `frames` mixes with the given tones feeding participants (nullptr tone = no input) and
// collects each participant's output.
std::vector<std::vector<int16_t>> run(ConferenceMixer& m, const std::vector<ParticipantId>& ids,
                                      std::vector<Tone*> tones, int frames) {
  std::vector<std::vector<int16_t>> outs(ids.size());
  const std::size_t n = m.frameSamples();
  for (int f = 0; f < frames; ++f) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (tones[i] != nullptr) {
        auto frame = tones[i]->frame(n, m.config().sampleRate);
        REQUIRE(m.setInput(ids[i], frame.data(), frame.size()));
      }
    }
    m.mix();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const int16_t* o = m.output(ids[i]);
      REQUIRE(o != nullptr);
      outs[i].insert(outs[i].end(), o, o + n);
    }
  }
  return outs;
}

}  // namespace

TEST_CASE("Mixer: 3-party mix-minus: each hears exactly the other two (Goertzel per tone)") {
  ConferenceMixer m;
  CHECK(m.frameSamples() == 320);
  std::vector<ParticipantId> ids = {m.addParticipant(), m.addParticipant(), m.addParticipant()};
  Tone a{400, 8000};
  Tone b{1000, 8000};
  Tone c{2300, 8000};
  auto outs = run(m, ids, {&a, &b, &c}, 10);
  const double freqs[3] = {400, 1000, 2300};
  for (int who = 0; who < 3; ++who) {
    for (int tone = 0; tone < 3; ++tone) {
      double amp = toneAmplitude(outs[static_cast<std::size_t>(who)], freqs[tone], 16000);
      CAPTURE(who);
      CAPTURE(tone);
      if (who == tone) {
        CHECK(amp < 8000 * 0.01);  // own voice absent
      } else {
        CHECK(amp == doctest::Approx(8000).epsilon(0.02));
      }
    }
  }
  CHECK(m.wasActive(ids[0]));
}

TEST_CASE("Mixer: input gain, input mute, output gain and output mute") {
  ConferenceMixer m;
  std::vector<ParticipantId> ids = {m.addParticipant(), m.addParticipant(), m.addParticipant()};
  Tone a{400, 4000};
  Tone b{1000, 4000};
  Tone c{2300, 4000};
  REQUIRE(m.setInputGain(ids[1], 0.5f));     // B's microphone at half
  REQUIRE(m.setInputMuted(ids[2], true));    // C muted
  REQUIRE(m.setOutputGain(ids[0], 2.0f));    // A's speaker at double
  auto outs = run(m, ids, {&a, &b, &c}, 10);
  CHECK(toneAmplitude(outs[0], 1000, 16000) == doctest::Approx(4000).epsilon(0.02));  // 4000 * 0.5 * 2
  CHECK(toneAmplitude(outs[0], 2300, 16000) < 40);                                   // C muted
  CHECK(toneAmplitude(outs[2], 400, 16000) == doctest::Approx(4000).epsilon(0.02));  // C still hears A
  CHECK(toneAmplitude(outs[2], 1000, 16000) == doctest::Approx(2000).epsilon(0.02));
  CHECK(toneAmplitude(outs[1], 2300, 16000) < 40);
  CHECK_FALSE(m.wasActive(ids[2]));

  REQUIRE(m.setOutputMuted(ids[1], true));
  outs = run(m, ids, {&a, &b, &c}, 2);
  bool allZero = true;
  for (int16_t v : outs[1]) allZero = allZero && v == 0;
  CHECK(allZero);
  CHECK(toneAmplitude(outs[2], 400, 16000) > 3000);
  CHECK_FALSE(m.setInputGain(9999, 1.0f));
  CHECK_FALSE(m.setOutputMuted(9999, true));
}

TEST_CASE("Mixer: the limiter is smooth, monotonic and never wraps") {
  const int32_t knee = 24576;
  CHECK(ConferenceMixer::limit(1000, knee) == 1000);
  CHECK(ConferenceMixer::limit(-24576, knee) == -24576);
  CHECK(ConferenceMixer::limit(INT32_MAX, knee) <= 32767);
  CHECK(ConferenceMixer::limit(INT32_MAX, knee) > 32700);
  CHECK(ConferenceMixer::limit(-INT32_MAX, knee) >= -32767);
  CHECK(ConferenceMixer::limit(INT32_MIN, knee) >= -32767);
  int16_t prev = ConferenceMixer::limit(-400000, knee);
  for (int32_t x = -400000; x <= 400000; x += 37) {
    int16_t y = ConferenceMixer::limit(x, knee);
    CHECK_MESSAGE(y >= prev, x);
    CHECK(ConferenceMixer::limit(-x, knee) == -y);
    prev = y;
  }
  // Just above the knee the slope is still close to 1 (no audible corner).
  CHECK(ConferenceMixer::limit(knee + 100, knee) >= knee + 98);
  CHECK(ConferenceMixer::limit(40000, 32767) == 32767);  // knee at full scale: hard clip
}

TEST_CASE("Mixer: ten loud talkers saturate safely") {
  ConferenceMixer m;
  std::vector<ParticipantId> ids;
  for (int i = 0; i < 11; ++i) ids.push_back(m.addParticipant());
  std::vector<int16_t> loud(m.frameSamples());
  for (std::size_t i = 0; i < loud.size(); ++i) loud[i] = (i / 20) % 2 == 0 ? 30000 : -30000;  // square wave
  for (int i = 0; i < 10; ++i) REQUIRE(m.setInput(ids[static_cast<std::size_t>(i)], loud.data(), loud.size()));
  REQUIRE(m.setOutputGain(ids[10], 16.0f));
  m.mix();
  const int16_t* listener = m.output(ids[10]);  // hears 10 x 30000 x 16
  const int16_t* talker = m.output(ids[0]);     // hears 9 x 30000
  for (std::size_t i = 0; i < loud.size(); ++i) {
    CHECK((loud[i] > 0 ? listener[i] > 32000 : listener[i] < -32000));  // sign kept: no wrap-around
    CHECK((loud[i] > 0 ? talker[i] > 30000 : talker[i] < -30000));
  }
}

TEST_CASE("Mixer: a missing frame is silence; joins and leaves between frames") {
  ConferenceMixer m;
  ParticipantId a = m.addParticipant();
  ParticipantId b = m.addParticipant();
  Tone tb{1000, 8000};
  auto frame = tb.frame(m.frameSamples(), 16000);
  REQUIRE(m.setInput(b, frame.data(), frame.size()));
  m.mix();
  std::vector<int16_t> heard(m.output(a), m.output(a) + m.frameSamples());
  CHECK(toneAmplitude(heard, 1000, 16000) > 7000);
  m.mix();  // b sent nothing this time
  heard.assign(m.output(a), m.output(a) + m.frameSamples());
  CHECK(toneAmplitude(heard, 1000, 16000) < 1);
  CHECK_FALSE(m.wasActive(b));

  // A short frame is padded with silence.
  REQUIRE(m.setInput(b, frame.data(), 100));
  m.mix();
  CHECK(m.output(a)[99] == frame[99]);
  CHECK(m.output(a)[100] == 0);

  // Carol joins; Bob leaves.
  ParticipantId c = m.addParticipant();
  CHECK(m.participantCount() == 3);
  Tone ta{400, 6000};
  Tone tc{2300, 6000};
  std::vector<ParticipantId> ids = {a, b, c};
  auto outs = run(m, ids, {&ta, &tb, &tc}, 5);
  CHECK(toneAmplitude(outs[0], 2300, 16000) == doctest::Approx(6000).epsilon(0.02));
  CHECK(toneAmplitude(outs[2], 1000, 16000) == doctest::Approx(8000).epsilon(0.02));
  REQUIRE(m.removeParticipant(b));
  CHECK_FALSE(m.removeParticipant(b));
  CHECK(m.output(b) == nullptr);
  CHECK_FALSE(m.setInput(b, frame.data(), frame.size()));
  ids = {a, c};
  outs = run(m, ids, {&ta, &tc}, 5);
  CHECK(toneAmplitude(outs[0], 1000, 16000) < 40);
  CHECK(toneAmplitude(outs[0], 2300, 16000) == doctest::Approx(6000).epsilon(0.02));
  ParticipantId d = m.addParticipant();  // reuses Bob's slot, not his id
  CHECK(d != b);
  CHECK(m.participantCount() == 3);
}

TEST_CASE("Mixer: 100 participants mix within a bounded time and stay exact") {
  ConferenceMixer m;
  std::vector<ParticipantId> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(m.addParticipant());
  const std::size_t n = m.frameSamples();
  std::vector<std::vector<int16_t>> inputs(100, std::vector<int16_t>(n));
  std::srand(7);
  for (auto& in : inputs) {
    for (auto& v : in) v = static_cast<int16_t>(std::rand() % 401 - 200);  // quiet: no limiting
  }
  const int frames = 250;  // 5 s of audio
  auto start = std::chrono::steady_clock::now();
  for (int f = 0; f < frames; ++f) {
    for (std::size_t i = 0; i < ids.size(); ++i) m.setInput(ids[i], inputs[i].data(), n);
    m.mix();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("100-party mix: " << seconds * 1000.0 / frames << " ms per 20 ms frame");
  // 5 s of 100-party audio in well under a second even on a loaded shared core.
  CHECK(seconds < 1.0);
  // Exactness: participant 17 hears the plain sum of the 99 others.
  for (std::size_t s = 0; s < n; s += 13) {
    int32_t expected = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i != 17) expected += inputs[i][s];
    }
    CHECK(m.output(ids[17])[s] == ConferenceMixer::limit(expected, m.config().limiterKnee));
  }
}
