// In-band DTMF: generation of the ITU-T Q.23 tone pairs, and detection (a Goertzel detector of
// ours, always available; spandsp's DTMF receiver when the build has spandsp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace sipmedia {

/** ITU-T Q.23 frequencies of a digit ("0-9*#A-D"): false for another character. */
bool dtmfFrequencies(char digit, int& lowHz, int& highHz);

struct DtmfToneOptions {
  int sampleRate = 8000;
  /**
   * Levels of the low- and high-group tone in dBm0 (0 dBm0 is a sine 3.14 dB below full scale,
   * the G.711 A-law reference). The high group slightly stronger ("pre-emphasis", a positive
   * twist) as telephone sets send it.
   */
  double lowDbm0 = -10.0;
  double highDbm0 = -8.0;
  /** Tone and pause lengths for queued digits (Q.24 asks receivers to accept >= 40 ms). */
  int toneMs = 100;
  int gapMs = 100;
};

/** Produces in-band DTMF for queued digits, phase-continuous across calls of generate(). */
class DtmfToneGenerator {
 public:
  explicit DtmfToneGenerator(DtmfToneOptions options = {});
  /** Queues digits; false (nothing queued) if one is not a DTMF digit. toneMs <= 0: options'. */
  bool enqueue(const std::string& digits, int toneMs = 0);
  /** Writes `n` samples: tone, pause or silence. */
  void generate(int16_t* out, std::size_t n);
  /** True while a tone or pause is being played or digits wait. */
  bool busy() const { return remaining_ > 0 || !queue_.empty(); }

 private:
  DtmfToneOptions options_;
  struct Item {
    char digit;  // '\0' for a pause
    std::size_t samples;
  };
  std::deque<Item> queue_;
  char digit_ = '\0';
  std::size_t remaining_ = 0;
  double phaseLow_ = 0, phaseHigh_ = 0, stepLow_ = 0, stepHigh_ = 0, ampLow_ = 0, ampHigh_ = 0;
};

/** A digit found in audio. */
struct InbandDigit {
  char digit = '\0';
  /** Sample index (from the detector's start) where the tone was first seen, and its length. */
  uint64_t startSample = 0;
  uint32_t durationMs = 0;
};

enum class DtmfDetectorBackend { Goertzel, Spandsp };

/** Finds DTMF digits in a stream of PCM, each reported once, when its tone ends. */
class InbandDtmfDetector {
 public:
  /** True when this build has spandsp (HAVE_SPANDSP). */
  static bool spandspAvailable();
  /**
   * A detector for `sampleRate` (8000, 16000, 32000 or 48000) audio; the Spandsp backend needs
   * spandspAvailable() (else it falls back to Goertzel: see backend()).
   */
  explicit InbandDtmfDetector(int sampleRate, DtmfDetectorBackend backend = DtmfDetectorBackend::Goertzel);
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;

  DtmfDetectorBackend backend() const;
  /** Feeds audio; appends the digits whose tone ended in it. Returns how many. */
  std::size_t process(const int16_t* pcm, std::size_t n, std::vector<InbandDigit>& out);
  /** Ends a tone still in progress (end of stream); appends it. Returns how many (0 or 1). */
  std::size_t flush(std::vector<InbandDigit>& out);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipmedia
