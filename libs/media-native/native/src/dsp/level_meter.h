// Level measurement in dBov, the unit of RFC 3389 (comfort noise) and RFC 6464 (audio level):
// 0 dBov is the level of a full-scale square wave (RMS 32767 for 16-bit PCM), so a full-scale
// sine is about -3 dBov and digital silence is reported as -127 dBov, the bottom of both scales.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipmedia {

/** The lowest level reported (RFC 3389 §3.1 and RFC 6464 §3 both stop at -127 dBov). */
constexpr double kMinDbov = -127.0;

/** RMS level of `samples` values in dBov, clamped to [-127, 0]. */
double rmsDbov(const int16_t* pcm, std::size_t samples);

/** Converts a dBov level to the 7-bit "-dBov" value of RFC 3389 §3.1 / RFC 6464 §3 (0..127). */
uint8_t dbovToLevelByte(double dbov);

/** Converts a linear RMS value to dBov (clamped to [-127, 0]). */
double rmsToDbov(double rms);

/** Converts dBov back to a linear RMS value (0 dBov -> 32767). */
double dbovToRms(double dbov);

/**
 * A level meter for UI and statistics: per-frame RMS with a smoothed level (fast rise, slower
 * fall) and a peak hold that decays. Not thread-safe; one per stream.
 */
class LevelMeter {
 public:
  /** `fallDbPerSecond`: how fast the smoothed level and the peak fall; `frameMs`: frame length. */
  explicit LevelMeter(double fallDbPerSecond = 20.0, int frameMs = 20);
  /** Measures one frame; returns its RMS level in dBov. */
  double process(const int16_t* pcm, std::size_t samples);
  /** Smoothed level in dBov. */
  double levelDbov() const { return level_; }
  /** Peak sample level in dBov (decaying hold). */
  double peakDbov() const { return peak_; }
  /** RMS of the last frame in dBov. */
  double lastFrameDbov() const { return last_; }
  void reset();

 private:
  double fallPerFrame_;
  double level_ = kMinDbov;
  double peak_ = kMinDbov;
  double last_ = kMinDbov;
};

}  // namespace sipmedia
