// Gain stage. See gain.h.
#include "dsp/gain.h"

#include <algorithm>
#include <cmath>

namespace sipmedia {

void GainStage::setGain(float linear) {
  if (!(linear > 0.0f)) linear = 0.0f;
  gain_ = std::min(linear, 16.0f);
}

void GainStage::setGainDb(double db) {
  db = std::clamp(db, -96.0, 24.0);
  setGain(static_cast<float>(std::pow(10.0, db / 20.0)));
}

void GainStage::process(int16_t* pcm, std::size_t samples) {
  if (pcm == nullptr || samples == 0) return;
  const double target = muted_ ? 0.0 : static_cast<double>(gain_);
  if (target == 1.0 && applied_ == 1.0) return;  // unity: untouched, bit-exact
  const double step = (target - applied_) / static_cast<double>(samples);
  double g = applied_;
  for (std::size_t i = 0; i < samples; ++i) {
    g += step;
    const double v = std::round(pcm[i] * g);
    pcm[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  applied_ = target;
}

}  // namespace sipmedia
