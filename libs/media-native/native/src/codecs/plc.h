// A generic packet-loss concealment for codecs without their own (G.711, G.722 here): repeats
// the last pitch period found in the recent history, fading out over successive losses
// (in the spirit of ITU-T G.711 Appendix I, written here in a simplified form).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipmedia {

class PacketLossConcealer {
 public:
  explicit PacketLossConcealer(int sampleRate);
  /** Feeds decoded audio (keeps the last 30 ms as history; ends a loss run). */
  void remember(const int16_t* pcm, std::size_t samples);
  /** Writes `samples` of concealment; returns `samples`. Silence after 60 ms of continuous loss. */
  int conceal(int16_t* pcm, std::size_t samples);

 private:
  int pitchPeriod() const;
  int rate_;
  std::vector<int16_t> history_;
  std::size_t lostSamples_ = 0;
  std::size_t phase_ = 0;
};

}  // namespace sipmedia
