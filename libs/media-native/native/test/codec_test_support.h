// Helpers shared by the codec, resampler and DTMF tests (signals, measures, files, tools).
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace testsupport {

constexpr double kPi = 3.14159265358979323846;

inline std::vector<int16_t> tone(int rate, double hz, double seconds, double amp) {
  std::vector<int16_t> v(static_cast<std::size_t>(rate * seconds));
  for (std::size_t i = 0; i < v.size(); i++) v[i] = static_cast<int16_t>(std::lround(amp * std::sin(2 * kPi * hz * i / rate)));
  return v;
}

/**
 * A voiced-speech-like test signal: harmonics of a fundamental gliding by +-`glideHz` around 155 Hz,
 * shaped by two formant-like resonances, with a slow syllable envelope. Band-limited to
 * `maxHz` (keep it under the codec's audio band).
 */
inline std::vector<int16_t> speechLike(int rate, double seconds, double maxHz = 3400, double peak = 9000, double glideHz = 45) {
  const std::size_t n = static_cast<std::size_t>(rate * seconds);
  std::vector<double> x(n, 0.0);
  double phase = 0;
  for (std::size_t i = 0; i < n; i++) {
    const double t = static_cast<double>(i) / rate;
    const double f0 = 155 + glideHz * std::sin(2 * kPi * 0.7 * t);
    phase += 2 * kPi * f0 / rate;
    double s = 0;
    for (int h = 1; f0 * h < maxHz; h++) {
      const double f = f0 * h;
      const double formant = 1.0 / (1 + std::pow((f - 600) / 250, 2)) + 0.6 / (1 + std::pow((f - 1500) / 400, 2)) + 0.15;
      s += formant / std::sqrt(h) * std::sin(h * phase);
    }
    const double env = 0.6 + 0.4 * std::sin(2 * kPi * 2.5 * t);
    x[i] = s * env;
  }
  double m = 1e-9;
  for (double v : x) m = std::max(m, std::fabs(v));
  std::vector<int16_t> out(n);
  for (std::size_t i = 0; i < n; i++) out[i] = static_cast<int16_t>(std::lround(x[i] / m * peak));
  return out;
}

/** Amplitude of the `hz` component of x (Goertzel over the whole block, no window). */
inline double goertzelAmplitude(const int16_t* x, std::size_t n, int rate, double hz) {
  const double c = 2 * std::cos(2 * kPi * hz / rate);
  double s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < n; i++) {
    const double s = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return 2 * std::sqrt(std::max(0.0, s1 * s1 + s2 * s2 - c * s1 * s2)) / static_cast<double>(n);
}

inline double rms(const int16_t* x, std::size_t n) {
  double e = 0;
  for (std::size_t i = 0; i < n; i++) e += static_cast<double>(x[i]) * x[i];
  return n ? std::sqrt(e / static_cast<double>(n)) : 0;
}

/**
 * Normalized cross-correlation between ref[i] and x[i + lag] for the best lag in [0, maxLag],
 * over `ref` from `skip` on (skips the codecs' start-up). Returns it; `bestLag` gets the lag.
 */
inline double alignedCorrelation(const std::vector<int16_t>& ref, const std::vector<int16_t>& x, int maxLag, int& bestLag, std::size_t skip = 0) {
  double best = -2;
  bestLag = 0;
  for (int lag = 0; lag <= maxLag; lag++) {
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = skip; i < ref.size() && i + static_cast<std::size_t>(lag) < x.size(); i++) {
      const double a = ref[i], b = x[i + static_cast<std::size_t>(lag)];
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
    }
    if (sxx <= 0 || syy <= 0) continue;
    const double c = sxy / std::sqrt(sxx * syy);
    if (c > best) {
      best = c;
      bestLag = lag;
    }
  }
  return best;
}

/** A fresh temporary directory (removed by the Temp destructor). */
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sipmedia-test-XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE_MESSAGE(p != nullptr, "cannot create a temporary directory");
    path = p;
  }
  ~TempDir() {
    const std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", path.c_str());
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

/** Fails the test with a clear message when `tool` is not on PATH. */
inline void requireTool(const std::string& tool, const std::string& debianPackage) {
  const std::string cmd = "command -v " + tool + " >/dev/null 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, tool << " is missing: install the Debian package " << debianPackage << " (apt-get install -y " << debianPackage << ")");
}

/** Runs a shell command (stdout/stderr to `log`); fails the test, showing the log, if it fails. */
inline void run(const std::string& cmd, const std::string& log) {
  const std::string full = cmd + " >'" + log + "' 2>&1";
  const int rc = std::system(full.c_str());
  if (rc != 0) {
    std::ifstream f(log);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    FAIL("command failed (" << rc << "): " << cmd << "\n" << text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
  }
}

inline void writeBytes(const std::string& path, const void* data, std::size_t size) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  REQUIRE_MESSAGE(f.good(), "cannot write " << path);
}

inline std::vector<uint8_t> readBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot read " << path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline void writePcm(const std::string& path, const std::vector<int16_t>& pcm) { writeBytes(path, pcm.data(), pcm.size() * 2); }

inline std::vector<int16_t> readPcm(const std::string& path) {
  const std::vector<uint8_t> b = readBytes(path);
  std::vector<int16_t> pcm(b.size() / 2);
  for (std::size_t i = 0; i < pcm.size(); i++) pcm[i] = static_cast<int16_t>(b[2 * i] | (b[2 * i + 1] << 8));  // s16le
  return pcm;
}

}  // namespace testsupport
