#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "codec_test_support.h"
#include "resample/resampler.h"

using namespace sipmedia;
using namespace testsupport;

namespace {
std::vector<int16_t> convert(Resampler& r, const std::vector<int16_t>& in, std::size_t frame) {
  std::vector<int16_t> out, buf(r.maxOutput(frame));
  for (std::size_t off = 0; off < in.size(); off += frame) {
    const std::size_t n = std::min(frame, in.size() - off);
    const int m = r.process(in.data() + off, n, buf.data(), buf.size());
    REQUIRE(m >= 0);
    out.insert(out.end(), buf.begin(), buf.begin() + m);
  }
  return out;
}
}  // namespace

TEST_CASE("Resampler: supported pairs; output length follows the ratio") {
  CHECK(Resampler::supports(8000, 48000));
  CHECK_FALSE(Resampler::supports(8000, 44100));
  CHECK_THROWS_AS(Resampler(11025, 8000), std::invalid_argument);
  for (int a : {8000, 16000, 32000, 48000}) {
    for (int b : {8000, 16000, 32000, 48000}) {
      Resampler r(a, b);
      const std::vector<int16_t> in = tone(a, 440, 1.0, 8000);
      const std::vector<int16_t> out = convert(r, in, static_cast<std::size_t>(a / 50));
      CHECK(std::labs(static_cast<long>(out.size()) - b) <= 1);
    }
  }
  Resampler r(16000, 8000);
  std::vector<int16_t> in(320), out(10);
  CHECK(r.process(in.data(), in.size(), out.data(), out.size()) == -1);  // capacity too small
}

TEST_CASE("Resampler: a tone keeps its frequency and level in every direction") {
  for (int a : {8000, 16000, 32000, 48000}) {
    for (int b : {8000, 16000, 32000, 48000}) {
      Resampler r(a, b);
      const std::vector<int16_t> out = convert(r, tone(a, 1000, 0.5, 10000), static_cast<std::size_t>(a / 50));
      // Skip the filter's start-up; measure 1 kHz and its neighbours over 0.2 s.
      const std::size_t from = out.size() / 2, n = static_cast<std::size_t>(b / 5);
      REQUIRE(from + n <= out.size());
      const double at = goertzelAmplitude(out.data() + from, n, b, 1000);
      CAPTURE(a);
      CAPTURE(b);
      CHECK(at == doctest::Approx(10000).epsilon(0.02));
      CHECK(goertzelAmplitude(out.data() + from, n, b, 1100) < 100);
      CHECK(goertzelAmplitude(out.data() + from, n, b, 900) < 100);
    }
  }
}

TEST_CASE("Resampler: aliasing rejected: 6 kHz at 16 kHz to 8 kHz is attenuated by more than 40 dB") {
  Resampler r(16000, 8000);
  const std::vector<int16_t> out = convert(r, tone(16000, 6000, 0.5, 16000), 320);
  const std::size_t from = 800, n = 2400;
  // 6 kHz would alias to 2 kHz at 8 kHz.
  const double alias = std::max(goertzelAmplitude(out.data() + from, n, 8000, 2000), rms(out.data() + from, n) * std::sqrt(2.0));
  const double db = 20 * std::log10(16000 / std::max(alias, 1e-3));
  MESSAGE("alias attenuation " << db << " dB");
  CHECK(db > 40);
  // The same from 48 kHz: 5 kHz would alias to 3 kHz at 8 kHz.
  Resampler r48(48000, 8000);
  const std::vector<int16_t> out48 = convert(r48, tone(48000, 5000, 0.5, 16000), 960);
  CHECK(20 * std::log10(16000 / std::max(rms(out48.data() + 800, 2400) * std::sqrt(2.0), 1e-3)) > 40);
  // Upsampling: no image of a 3 kHz tone at 8000 - 3000 = 5 kHz.
  Resampler up(8000, 16000);
  const std::vector<int16_t> outUp = convert(up, tone(8000, 3000, 0.5, 16000), 160);
  CHECK(20 * std::log10(16000 / std::max(goertzelAmplitude(outUp.data() + 1600, 4800, 16000, 5000), 1e-3)) > 40);
}

TEST_CASE("Resampler: no clicks at frame boundaries: any framing gives the same samples") {
  for (int b : {8000, 32000, 48000}) {
    Resampler whole(16000, b), framed(16000, b), odd(16000, b);
    const std::vector<int16_t> in = speechLike(16000, 0.5, 7000);
    const std::vector<int16_t> a = convert(whole, in, in.size());
    const std::vector<int16_t> c = convert(framed, in, 320);
    const std::vector<int16_t> d = convert(odd, in, 37);
    CHECK(a == c);
    CHECK(a == d);
    // And no sample-to-sample jump larger than the signal's own largest one (scaled for the rate).
    int maxIn = 0, maxOut = 0;
    for (std::size_t i = 1; i < in.size(); i++) maxIn = std::max(maxIn, std::abs(in[i] - in[i - 1]));
    for (std::size_t i = 1; i < c.size(); i++) maxOut = std::max(maxOut, std::abs(c[i] - c[i - 1]));
    CHECK(maxOut < maxIn * 1.3 * std::max(1.0, 16000.0 / b));
  }
}

TEST_CASE("Resampler: reset forgets the history; delay is reported") {
  Resampler r(8000, 48000);
  std::vector<int16_t> in = tone(8000, 500, 0.1, 8000), out(r.maxOutput(in.size()));
  const int first = r.process(in.data(), in.size(), out.data(), out.size());
  const std::vector<int16_t> firstOut(out.begin(), out.begin() + first);
  r.reset();
  const int again = r.process(in.data(), in.size(), out.data(), out.size());
  CHECK(std::vector<int16_t>(out.begin(), out.begin() + again) == firstOut);
  CHECK(r.delayOutputSamples() > 0);
  CHECK(r.delayOutputSamples() < 48000 * 0.01);  // under 10 ms
}
