// Mix-minus conference mixer. See conference_mixer.h.
#include "mixer/conference_mixer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/audio.h"

namespace sipmedia {

namespace {

constexpr int32_t kUnityQ12 = 4096;

int32_t gainToQ12(float gain) {
  if (!(gain > 0.0f)) return 0;  // also maps NaN to silence
  if (gain > 16.0f) gain = 16.0f;
  return static_cast<int32_t>(std::lround(gain * static_cast<float>(kUnityQ12)));
}

}  // namespace

ConferenceMixer::ConferenceMixer(MixerConfig config)
    : config_(config), frameSamples_(samplesFor(config.sampleRate, config.frameMs)) {
  if (config_.limiterKnee < 0) config_.limiterKnee = 0;
  if (config_.limiterKnee > 32767) config_.limiterKnee = 32767;
  total_.assign(frameSamples_, 0);
}

ConferenceMixer::Participant* ConferenceMixer::find(ParticipantId id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

const ConferenceMixer::Participant* ConferenceMixer::find(ParticipantId id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

ParticipantId ConferenceMixer::addParticipant() {
  if (count_ >= kMaxParticipants) return 0;
  std::size_t slot;
  if (!freeSlots_.empty()) {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    slot = slots_.size();
    slots_.emplace_back();
  }
  Participant& p = slots_[slot];
  p = Participant{};
  p.id = nextId_++;
  p.inUse = true;
  p.input.assign(frameSamples_, 0);
  p.contribution.assign(frameSamples_, 0);
  p.output.assign(frameSamples_, 0);
  index_[p.id] = slot;
  ++count_;
  return p.id;
}

bool ConferenceMixer::removeParticipant(ParticipantId id) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  Participant& p = slots_[it->second];
  p.inUse = false;
  p.hasInput = false;
  p.active = false;
  freeSlots_.push_back(it->second);
  index_.erase(it);
  --count_;
  return true;
}

bool ConferenceMixer::setInput(ParticipantId id, const int16_t* pcm, std::size_t samples) {
  Participant* p = find(id);
  if (p == nullptr) return false;
  std::size_t n = pcm == nullptr ? 0 : std::min(samples, frameSamples_);
  if (n > 0) std::memcpy(p->input.data(), pcm, n * sizeof(int16_t));
  if (n < frameSamples_) std::fill(p->input.begin() + static_cast<std::ptrdiff_t>(n), p->input.end(), int16_t{0});
  p->hasInput = true;
  return true;
}

bool ConferenceMixer::setInputGain(ParticipantId id, float gain) {
  Participant* p = find(id);
  if (p == nullptr) return false;
  p->inputGainQ12 = gainToQ12(gain);
  return true;
}

bool ConferenceMixer::setInputMuted(ParticipantId id, bool muted) {
  Participant* p = find(id);
  if (p == nullptr) return false;
  p->inputMuted = muted;
  return true;
}

bool ConferenceMixer::setOutputGain(ParticipantId id, float gain) {
  Participant* p = find(id);
  if (p == nullptr) return false;
  p->outputGainQ12 = gainToQ12(gain);
  return true;
}

bool ConferenceMixer::setOutputMuted(ParticipantId id, bool muted) {
  Participant* p = find(id);
  if (p == nullptr) return false;
  p->outputMuted = muted;
  return true;
}

int16_t ConferenceMixer::limit(int32_t value, int32_t knee) {
  const int32_t magnitude = value < 0 ? (value == INT32_MIN ? INT32_MAX : -value) : value;
  if (magnitude <= knee) return static_cast<int16_t>(value);
  const int64_t range = 32767 - knee;
  if (range <= 0) return static_cast<int16_t>(value < 0 ? -32767 : 32767);
  // Above the knee: knee + range * d / (d + range). Slope 1 at the knee (no corner), monotonic,
  // and always below knee + range = 32767, so the output never wraps or hard-clips.
  const int64_t d = static_cast<int64_t>(magnitude) - knee;
  const int64_t bent = knee + range * d / (d + range);
  return static_cast<int16_t>(value < 0 ? -bent : bent);
}

void ConferenceMixer::mix() {
  const std::size_t n = frameSamples_;
  std::fill(total_.begin(), total_.end(), 0);
  // Pass 1: each active input scaled once, summed once (int32: at most kMaxParticipants inputs of
  // at most 32768 * 16 each).
  for (Participant& p : slots_) {
    if (!p.inUse) continue;
    p.active = p.hasInput && !p.inputMuted && p.inputGainQ12 > 0;
    if (!p.active) continue;
    const int32_t g = p.inputGainQ12;
    const int16_t* in = p.input.data();
    int32_t* c = p.contribution.data();
    int32_t* t = total_.data();
    if (g == kUnityQ12) {
      for (std::size_t i = 0; i < n; ++i) {
        c[i] = in[i];
        t[i] += c[i];
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        c[i] = (in[i] * g) >> 12;
        t[i] += c[i];
      }
    }
  }
  // Pass 2: mix-minus per participant: everything except their own contribution.
  for (Participant& p : slots_) {
    if (!p.inUse) continue;
    int16_t* out = p.output.data();
    if (p.outputMuted || p.outputGainQ12 == 0) {
      std::fill(p.output.begin(), p.output.end(), int16_t{0});
    } else {
      const int32_t* t = total_.data();
      const int32_t* own = p.contribution.data();
      const int64_t g = p.outputGainQ12;
      const int32_t knee = config_.limiterKnee;
      for (std::size_t i = 0; i < n; ++i) {
        int64_t v = static_cast<int64_t>(t[i]) - (p.active ? own[i] : 0);
        if (g != kUnityQ12) v = (v * g) >> 12;
        if (v > INT32_MAX) v = INT32_MAX;
        if (v < -INT32_MAX) v = -INT32_MAX;
        out[i] = limit(static_cast<int32_t>(v), knee);
      }
    }
  }
  // A missing frame next time is silence, not a repeat of this one.
  for (Participant& p : slots_) p.hasInput = false;
}

const int16_t* ConferenceMixer::output(ParticipantId id) const {
  const Participant* p = find(id);
  return p == nullptr ? nullptr : p->output.data();
}

bool ConferenceMixer::wasActive(ParticipantId id) const {
  const Participant* p = find(id);
  return p != nullptr && p->active;
}

}  // namespace sipmedia
