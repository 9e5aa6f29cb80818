// Level meter (dBov). See level_meter.h.
#include "dsp/level_meter.h"

#include <algorithm>
#include <cmath>

namespace sipmedia {

double rmsToDbov(double rms) {
  if (!(rms > 0.0)) return kMinDbov;
  // RFC 3389 §3.1: dBov is relative to the overload point of the system; the reference is a
  // full-scale square wave, RMS 32767 for 16-bit linear PCM.
  double db = 20.0 * std::log10(rms / 32767.0);
  return std::clamp(db, kMinDbov, 0.0);
}

double dbovToRms(double dbov) { return 32767.0 * std::pow(10.0, std::clamp(dbov, kMinDbov, 0.0) / 20.0); }

double rmsDbov(const int16_t* pcm, std::size_t samples) {
  if (pcm == nullptr || samples == 0) return kMinDbov;
  double sum = 0;
  for (std::size_t i = 0; i < samples; ++i) sum += static_cast<double>(pcm[i]) * pcm[i];
  return rmsToDbov(std::sqrt(sum / static_cast<double>(samples)));
}

uint8_t dbovToLevelByte(double dbov) {
  // RFC 3389 §3.1: values 0 to 127 represent 0 to -127 dBov; the most significant bit is 0.
  double v = std::round(-std::clamp(dbov, kMinDbov, 0.0));
  return static_cast<uint8_t>(std::clamp(v, 0.0, 127.0));
}

LevelMeter::LevelMeter(double fallDbPerSecond, int frameMs) : fallPerFrame_(fallDbPerSecond * frameMs / 1000.0) {}

double LevelMeter::process(const int16_t* pcm, std::size_t samples) {
  last_ = rmsDbov(pcm, samples);
  int peakSample = 0;
  for (std::size_t i = 0; pcm != nullptr && i < samples; ++i) peakSample = std::max(peakSample, std::abs(static_cast<int>(pcm[i])));
  double peak = rmsToDbov(static_cast<double>(peakSample));
  // Fast rise, bounded fall: what a VU-style meter shows.
  level_ = last_ >= level_ ? last_ : std::max(last_, level_ - fallPerFrame_);
  peak_ = peak >= peak_ ? peak : std::max(peak, peak_ - fallPerFrame_);
  return last_;
}

void LevelMeter::reset() {
  level_ = kMinDbov;
  peak_ = kMinDbov;
  last_ = kMinDbov;
}

}  // namespace sipmedia
