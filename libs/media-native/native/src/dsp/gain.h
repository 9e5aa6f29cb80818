// Microphone and speaker gain and mute, with changes ramped over one frame so a volume step or a
// mute never clicks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipmedia {

/** A gain stage (mic volume + mic mute, or speaker volume + speaker mute). Allocates nothing. */
class GainStage {
 public:
  /** Linear gain, clamped to 0..16 (NaN counts as 0). */
  void setGain(float linear);
  /** Gain in dB (clamped to -96..+24). */
  void setGainDb(double db);
  float gain() const { return gain_; }
  void setMuted(bool muted) { muted_ = muted; }
  bool muted() const { return muted_; }
  /**
   * Applies the gain in place with saturation; a change since the last call ramps linearly over
   * this frame. Thread-safety: set* and process() from one thread (the engine's media thread).
   */
  void process(int16_t* pcm, std::size_t samples);

 private:
  float gain_ = 1.0f;
  bool muted_ = false;
  double applied_ = 1.0;
};

}  // namespace sipmedia
