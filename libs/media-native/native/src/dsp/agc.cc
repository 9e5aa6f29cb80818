// AGC. See agc.h.
#include "dsp/agc.h"

#include <algorithm>
#include <cmath>

#include "dsp/level_meter.h"

namespace sipmedia {

Agc::Agc(AgcConfig config) : config_(config) {
  if (config_.minGainDb > config_.maxGainDb) config_.minGainDb = config_.maxGainDb;
  if (config_.frameMs <= 0) config_.frameMs = 20;
}

void Agc::reset() {
  gainDb_ = 0.0;
  appliedLinear_ = 1.0;
  speechPower_ = 0.0;
}

void Agc::process(int16_t* pcm, std::size_t samples, bool speech) {
  if (pcm == nullptr || samples == 0) return;
  double sum = 0;
  int peak = 0;
  for (std::size_t i = 0; i < samples; ++i) {
    sum += static_cast<double>(pcm[i]) * pcm[i];
    peak = std::max(peak, std::abs(static_cast<int>(pcm[i])));
  }
  const double power = sum / static_cast<double>(samples);

  if (speech && rmsToDbov(std::sqrt(power)) > config_.gateDbov) {
    // Average power (not dB) over the window: the level of the speech, not of its loudest or
    // quietest syllable.
    const double alpha = std::exp(-static_cast<double>(config_.frameMs) / std::max(config_.levelWindowMs, config_.frameMs));
    speechPower_ = speechPower_ == 0.0 ? power : alpha * speechPower_ + (1.0 - alpha) * power;
    const double level = rmsToDbov(std::sqrt(speechPower_));
    const double desired = std::clamp(config_.targetDbov - level, config_.minGainDb, config_.maxGainDb);
    const double frameSeconds = config_.frameMs / 1000.0;
    if (desired < gainDb_) {
      gainDb_ = std::max(desired, gainDb_ - config_.attackDbPerSecond * frameSeconds);
    } else {
      gainDb_ = std::min(desired, gainDb_ + config_.releaseDbPerSecond * frameSeconds);
    }
  }
  gainDb_ = std::clamp(gainDb_, config_.minGainDb, config_.maxGainDb);
  double target = std::pow(10.0, gainDb_ / 20.0);
  // Never overload: a peak that the gain would push past full scale lowers the gain at once.
  if (peak > 0 && target * peak > 32767.0) {
    target = 32767.0 / peak;
    gainDb_ = 20.0 * std::log10(target);
  }
  // A rising gain ramps from the previous one over the frame (no zipper noise at frame
  // boundaries); a falling gain applies at once, so the overload guard above always holds.
  const double start = std::min(appliedLinear_, target);
  const double step = (target - start) / static_cast<double>(samples);
  double g = start;
  for (std::size_t i = 0; i < samples; ++i) {
    g += step;
    double v = std::round(pcm[i] * g);
    pcm[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  appliedLinear_ = target;
}

}  // namespace sipmedia
