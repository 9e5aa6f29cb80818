#include "codecs/plc.h"

#include <algorithm>
#include <cmath>

namespace sipmedia {

PacketLossConcealer::PacketLossConcealer(int sampleRate) : rate_(sampleRate) {}

void PacketLossConcealer::remember(const int16_t* pcm, std::size_t samples) {
  const std::size_t keep = static_cast<std::size_t>(rate_) * 30 / 1000;
  history_.insert(history_.end(), pcm, pcm + samples);
  if (history_.size() > keep) history_.erase(history_.begin(), history_.end() - static_cast<std::ptrdiff_t>(keep));
  lostSamples_ = 0;
  phase_ = 0;
}

int PacketLossConcealer::pitchPeriod() const {
  // Autocorrelation over pitch lags 2.5-15 ms (66-400 Hz) on the last 20 ms of history.
  const int minLag = rate_ / 400;
  const int maxLag = rate_ * 15 / 1000;
  const int n = static_cast<int>(history_.size());
  const int window = rate_ * 10 / 1000;
  if (n < maxLag + window) return std::max(1, std::min(n, maxLag));
  double best = -1;
  int bestLag = minLag;
  for (int lag = minLag; lag <= maxLag; lag++) {
    double sum = 0;
    for (int i = n - window; i < n; i++) sum += static_cast<double>(history_[i]) * history_[i - lag];
    if (sum > best) {
      best = sum;
      bestLag = lag;
    }
  }
  return bestLag;
}

int PacketLossConcealer::conceal(int16_t* pcm, std::size_t samples) {
  const std::size_t fadeEnd = static_cast<std::size_t>(rate_) * 60 / 1000;
  if (history_.empty() || lostSamples_ >= fadeEnd) {
    std::fill(pcm, pcm + samples, 0);
    lostSamples_ += samples;
    return static_cast<int>(samples);
  }
  const std::size_t period = static_cast<std::size_t>(pitchPeriod());
  const std::size_t start = history_.size() - std::min(period, history_.size());
  for (std::size_t i = 0; i < samples; i++) {
    const double gain = lostSamples_ >= fadeEnd ? 0.0 : 1.0 - static_cast<double>(lostSamples_) / fadeEnd;
    const int16_t v = history_[start + (phase_ % period)];
    pcm[i] = static_cast<int16_t>(std::lround(v * gain));
    phase_++;
    lostSamples_++;
  }
  return static_cast<int>(samples);
}

}  // namespace sipmedia
