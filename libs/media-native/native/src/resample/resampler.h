// Streaming sample-rate conversion of mono int16 PCM between 8, 16, 32 and 48 kHz: a polyphase
// FIR whose prototype is a Kaiser-windowed sinc low-pass designed here (cutoff just under the
// lower Nyquist frequency, ~80 dB stopband), so downsampling rejects aliases and upsampling
// rejects images. State (the last input samples and the phase) carries across calls, so audio
// cut into frames of any size comes out identical to audio converted in one go: no clicks at
// frame boundaries. Coefficients and buffers are allocated in the constructor; process()
// allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipmedia {

class Resampler {
 public:
  /** True for the rate pairs supported (each of 8000, 16000, 32000, 48000 to each). */
  static bool supports(int inRate, int outRate);

  /**
   * A converter from `inRate` to `outRate`; throws std::invalid_argument for an unsupported pair.
   * `maxInput` is the largest block process() takes in one piece (larger input is processed in
   * pieces of that size, still without allocating).
   */
  Resampler(int inRate, int outRate, std::size_t maxInput = 2880);

  int inRate() const { return inRate_; }
  int outRate() const { return outRate_; }

  /** An upper bound of the samples process() writes for `inSamples` input samples. */
  std::size_t maxOutput(std::size_t inSamples) const;

  /**
   * Converts `n` input samples; writes the output samples available so far to `out` and returns
   * their count, or -1 when `capacity < maxOutput(n)` (nothing consumed then). Over a stream the
   * output count follows n * outRate / inRate exactly (up to one sample at any moment).
   */
  int process(const int16_t* in, std::size_t n, int16_t* out, std::size_t capacity);

  /** Forgets the stream (history and phase), as for a new talkspurt or a new call. */
  void reset();

  /** The group delay the filter adds, in output samples (for aligning in tests and mixes). */
  double delayOutputSamples() const;

 private:
  int processChunk(const int16_t* in, std::size_t n, int16_t* out);

  int inRate_;
  int outRate_;
  int up_ = 1;    // L: interpolation factor (reduced ratio outRate/inRate = L/M)
  int down_ = 1;  // M: decimation factor
  int taps_ = 1;  // coefficients per phase
  std::size_t maxInput_;
  std::vector<float> coeffs_;  // up_ phases x taps_, each phase reversed for a forward dot product
  std::vector<float> buf_;     // taps_-1 history samples followed by up to maxInput_ new ones
  long pos_ = 0;               // next output position, in upsampled units, relative to the chunk
  double delay_ = 0;
};

}  // namespace sipmedia
