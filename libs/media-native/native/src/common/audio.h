// Shared audio types of the media engine. Audio inside the engine is 16-bit signed linear PCM,
// mono, interleaved when a codec is stereo, at the codec's own sample rate; the mixer and the
// devices work at one engine rate (16 kHz by default) and resample at the edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipmedia {

/** Samples in `ms` milliseconds at `rate` Hz. */
constexpr std::size_t samplesFor(int rate, int ms) { return static_cast<std::size_t>(rate) * ms / 1000; }

/** One frame of linear PCM (mono unless `channels` says otherwise). */
struct AudioFrame {
  int sampleRate = 8000;
  int channels = 1;
  std::vector<int16_t> samples;  // sampleRate * ms / 1000 * channels values
  /** True when the frame was made up by packet-loss concealment or is comfort noise. */
  bool concealed = false;
};

}  // namespace sipmedia
