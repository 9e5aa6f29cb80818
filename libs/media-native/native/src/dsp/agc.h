// A simple automatic gain control for the microphone path (config `agc_mode`): it measures the
// level of speech frames (a power average over a few hundred ms, so syllables average out) and moves a gain, slowly, towards the one that brings speech to a
// target level; it never exceeds a maximum gain, never adapts on silence (so it does not pump
// background noise up), and never clips (a frame whose peak would overload gets less gain at once).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipmedia {

struct AgcConfig {
  /** Speech level to reach, dBov (-18 dBov leaves ~15 dB of headroom for peaks). */
  double targetDbov = -18.0;
  /** Largest gain, dB. */
  double maxGainDb = 24.0;
  /** Smallest gain (attenuation of loud talkers), dB. */
  double minGainDb = -12.0;
  /** How fast the gain may fall, dB per second (attack: a loud talker is tamed in ~1 s). */
  double attackDbPerSecond = 12.0;
  /** How fast the gain may rise, dB per second (release: slow, to avoid pumping). */
  double releaseDbPerSecond = 4.0;
  /** Frames quieter than this are never taken as speech for adaptation, dBov. */
  double gateDbov = -60.0;
  /** Time constant of the speech level estimate, ms (syllables average out, words do not). */
  int levelWindowMs = 400;
  /** Frame length, ms. */
  int frameMs = 20;
};

/** Automatic gain control. Not thread-safe; one per stream. Allocates nothing. */
class Agc {
 public:
  explicit Agc(AgcConfig config = {});
  /**
   * Applies the gain to one frame in place. `speech` is the VAD's decision for the frame (pass
   * true when there is no VAD): only speech frames move the gain.
   */
  void process(int16_t* pcm, std::size_t samples, bool speech = true);
  /** Current gain, dB. */
  double gainDb() const { return gainDb_; }
  const AgcConfig& config() const { return config_; }
  void reset();

 private:
  AgcConfig config_;
  double gainDb_ = 0.0;
  double appliedLinear_ = 1.0;
  /** Smoothed mean square of speech frames (linear), 0 before the first one. */
  double speechPower_ = 0.0;
};

}  // namespace sipmedia
