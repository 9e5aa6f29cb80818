// Energy VAD. See vad.h.
#include "dsp/vad.h"

#include <algorithm>
#include <cmath>

#include "dsp/level_meter.h"

namespace sipmedia {

namespace {

struct Profile {
  double aboveFloorDb;    // speech is at least this far above the noise floor
  double absoluteDbov;    // and above this absolute level
  int hangoverMs;         // decision held this long after the last speech frame
};

const Profile kProfiles[4] = {
    {6.0, -62.0, 400},
    {9.0, -56.0, 300},
    {12.0, -50.0, 200},
    {15.0, -45.0, 100},
};

}  // namespace

Vad::Vad(VadConfig config) : frameMs_(config.frameMs > 0 ? config.frameMs : 20) { setAggressiveness(config.aggressiveness); }

void Vad::setAggressiveness(int level) { aggressiveness_ = std::clamp(level, 0, 3); }

void Vad::reset() {
  started_ = false;
  floor_ = -70.0;
  level_ = kMinDbov;
  raw_ = false;
  decision_ = false;
  hangoverLeft_ = 0;
  x1_ = 0;
  y1_ = 0;
}

bool Vad::process(const int16_t* pcm, std::size_t samples) {
  const Profile& p = kProfiles[aggressiveness_];
  // First-order DC blocker (pole at 0.995) so offsets and hum below ~20 Hz do not count as energy.
  double sum = 0;
  for (std::size_t i = 0; pcm != nullptr && i < samples; ++i) {
    double x = pcm[i];
    double y = x - x1_ + 0.995 * y1_;
    x1_ = x;
    y1_ = y;
    sum += y * y;
  }
  level_ = samples == 0 ? kMinDbov : rmsToDbov(std::sqrt(sum / static_cast<double>(samples)));
  if (!started_) {
    // Start from the first frame, but never believe a loud first frame is the noise.
    floor_ = std::min(level_, -45.0);
    started_ = true;
  }
  raw_ = level_ > floor_ + p.aboveFloorDb && level_ > p.absoluteDbov;
  // Noise floor: follows drops quickly, rises slowly (faster in what looks like a pause), so a
  // steady new background noise is learned within seconds while speech barely moves it.
  const double frameSeconds = frameMs_ / 1000.0;
  if (level_ < floor_) {
    floor_ += (level_ - floor_) * 0.5;
  } else if (!raw_) {
    floor_ += std::min(level_ - floor_, 10.0 * frameSeconds);
  } else {
    floor_ += 2.0 * frameSeconds;
  }
  if (raw_) {
    hangoverLeft_ = p.hangoverMs / frameMs_;
    decision_ = true;
  } else if (hangoverLeft_ > 0) {
    --hangoverLeft_;
    decision_ = true;
  } else {
    decision_ = false;
  }
  return decision_;
}

}  // namespace sipmedia
