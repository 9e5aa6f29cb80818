// Comfort noise. See comfort_noise.h.
#include "dsp/comfort_noise.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "dsp/level_meter.h"

namespace sipmedia {

ComfortNoiseEncoder::ComfortNoiseEncoder(int frameMs, int updateThresholdDb, int refreshMs)
    : frameMs_(frameMs > 0 ? frameMs : 20), threshold_(std::max(1, updateThresholdDb)), refreshMs_(std::max(frameMs_, refreshMs)) {}

void ComfortNoiseEncoder::reset() {
  inSilence_ = false;
  sinceSidMs_ = 0;
  lastLevel_ = 127;
}

DtxAction ComfortNoiseEncoder::process(const int16_t* pcm, std::size_t samples, bool speech, uint8_t* payload,
                                       std::size_t capacity, std::size_t& payloadSize) {
  payloadSize = 0;
  if (speech) {
    inSilence_ = false;
    return DtxAction::SendVoice;
  }
  const uint8_t level = dbovToLevelByte(rmsDbov(pcm, samples));
  sinceSidMs_ += frameMs_;
  const bool due = !inSilence_ || std::abs(static_cast<int>(level) - static_cast<int>(lastLevel_)) >= threshold_ ||
                   sinceSidMs_ >= refreshMs_;
  if (!due) return DtxAction::SendNothing;
  if (payload == nullptr || capacity < 1) return DtxAction::SendNothing;
  // RFC 3389 §3.1: the level in -dBov in the 7 low bits, the most significant bit 0.
  payload[0] = static_cast<uint8_t>(level & 0x7F);
  payloadSize = 1;
  lastLevel_ = level;
  inSilence_ = true;
  sinceSidMs_ = 0;
  return DtxAction::SendSid;
}

ComfortNoiseGenerator::ComfortNoiseGenerator(uint32_t seed) : state_(seed != 0 ? seed : 1u) { setLevel(127); }

bool ComfortNoiseGenerator::decode(const uint8_t* payload, std::size_t size) {
  if (payload == nullptr || size < 1 || (payload[0] & 0x80) != 0) return false;
  setLevel(payload[0]);
  return true;
}

void ComfortNoiseGenerator::setLevel(uint8_t level) {
  level_ = std::min<uint8_t>(level, 127);
  // Uniform noise in [-A, A] has RMS A / sqrt(3); at -127 dBov the noise is below one LSB.
  targetAmplitude_ = level_ >= 127 ? 0.0 : dbovToRms(-static_cast<double>(level_)) * std::sqrt(3.0);
}

void ComfortNoiseGenerator::generate(int16_t* pcm, std::size_t samples) {
  if (pcm == nullptr || samples == 0) return;
  const double step = (targetAmplitude_ - amplitude_) / static_cast<double>(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    // xorshift32: cheap, allocation-free, good enough for noise.
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    const double u = static_cast<double>(state_) / 2147483647.5 - 1.0;  // [-1, 1]
    amplitude_ += step;
    const double v = std::round(u * amplitude_);
    pcm[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  amplitude_ = targetAmplitude_;
}

}  // namespace sipmedia
