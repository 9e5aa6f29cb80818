// Audio devices of the media engine: where a stream's decoded audio goes (AudioSink) and where
// the audio it sends comes from (AudioSource). Every device works at one sample rate of its own
// (mono 16-bit PCM); the stream resamples at the edge. Devices are called on a media thread
// once per packet time and must not block or allocate there; the ones JavaScript feeds or drains
// (MemorySource/MemorySink) are ring buffers guarded by a mutex held only for a copy.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sipmedia {

/** Something that produces mono PCM at `sampleRate()`. */
class AudioSource {
 public:
  virtual ~AudioSource() = default;
  virtual int sampleRate() const = 0;
  /** Writes exactly `n` samples (silence when it has nothing). Called on a media thread. */
  virtual void read(int16_t* out, std::size_t n) = 0;
  /** A short name for logs ("tone", "wav", "memory", "null", "alsa"). */
  virtual const char* kind() const = 0;
};

/** Something that consumes mono PCM at `sampleRate()`. */
class AudioSink {
 public:
  virtual ~AudioSink() = default;
  virtual int sampleRate() const = 0;
  /** Takes `n` samples. Called on a media thread. */
  virtual void write(const int16_t* in, std::size_t n) = 0;
  virtual const char* kind() const = 0;
};

/** Silence out, nothing kept. */
class NullSource final : public AudioSource {
 public:
  explicit NullSource(int rate = 8000) : rate_(rate) {}
  int sampleRate() const override { return rate_; }
  void read(int16_t* out, std::size_t n) override;
  const char* kind() const override { return "null"; }

 private:
  int rate_;
};

class NullSink final : public AudioSink {
 public:
  explicit NullSink(int rate = 8000) : rate_(rate) {}
  int sampleRate() const override { return rate_; }
  void write(const int16_t*, std::size_t n) override { samples_ += n; }
  const char* kind() const override { return "null"; }
  uint64_t samplesWritten() const { return samples_; }

 private:
  int rate_;
  std::atomic<uint64_t> samples_{0};
};

/** dBov (dB relative to a full-scale sine, 0 dBov = peak 32767) to a peak amplitude. */
double amplitudeForDbov(double dbov);

/** A continuous sine of `frequencyHz` at `levelDbov` (phase-continuous across reads). */
class ToneSource final : public AudioSource {
 public:
  ToneSource(double frequencyHz, double levelDbov, int rate = 8000);
  int sampleRate() const override { return rate_; }
  void read(int16_t* out, std::size_t n) override;
  const char* kind() const override { return "tone"; }

 private:
  int rate_;
  double amplitude_;
  double phase_ = 0;
  double step_;
};

/** The format of a PCM WAV file. */
struct WavFormat {
  int sampleRate = 8000;
  int channels = 1;
  int bitsPerSample = 16;
};

/**
 * Reads a RIFF/WAVE file with 16-bit PCM (or 8-bit unsigned) and any channel count; returns the
 * samples as mono 16-bit (channels averaged). Throws std::runtime_error with the reason.
 */
std::vector<int16_t> readWavFile(const std::string& path, WavFormat& format);

/** Plays a WAV file (loaded into memory when created), once (then silence) or in a loop. */
class WavFileSource final : public AudioSource {
 public:
  /** Throws std::runtime_error when the file cannot be read or is not 16/8-bit PCM WAV. */
  WavFileSource(const std::string& path, bool loop);
  int sampleRate() const override { return format_.sampleRate; }
  void read(int16_t* out, std::size_t n) override;
  const char* kind() const override { return "wav"; }
  /** True once a non-looping file has been played to its end. */
  bool finished() const { return finished_; }
  std::size_t totalSamples() const { return samples_.size(); }

 private:
  WavFormat format_;
  std::vector<int16_t> samples_;
  std::size_t pos_ = 0;
  bool loop_;
  std::atomic<bool> finished_{false};
};

/**
 * Records mono 16-bit PCM WAV. The header is written with a zero size when opened and fixed up
 * by close() (also from the destructor), so a recording that was never closed is still readable
 * by tools that trust the file size. Writes go through stdio's buffer (no syscall per frame).
 */
class WavFileSink final : public AudioSink {
 public:
  /** Throws std::runtime_error when the file cannot be created. */
  WavFileSink(const std::string& path, int rate);
  ~WavFileSink() override;
  int sampleRate() const override { return rate_; }
  void write(const int16_t* in, std::size_t n) override;
  const char* kind() const override { return "wav"; }
  /** Flushes and fixes the RIFF and data sizes. Idempotent; later writes are dropped. */
  void close();
  uint64_t samplesWritten() const { return samples_; }

 private:
  std::mutex mutex_;
  std::FILE* file_;
  int rate_;
  std::atomic<uint64_t> samples_{0};
};

/** Writes a whole mono 16-bit WAV file (tests, tools). Returns false on an I/O error. */
bool writeWavFile(const std::string& path, int rate, const int16_t* samples, std::size_t n);

/** A fixed-capacity ring of samples shared by a producer and a consumer on different threads. */
class PcmRing {
 public:
  explicit PcmRing(std::size_t capacity);
  /** Appends up to `n` samples; returns how many fit. */
  std::size_t push(const int16_t* in, std::size_t n);
  /** Takes up to `n` samples; returns how many there were. */
  std::size_t pop(int16_t* out, std::size_t n);
  std::size_t size() const;
  std::size_t capacity() const { return buf_.size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<int16_t> buf_;
  std::size_t head_ = 0;  // next read
  std::size_t count_ = 0;
};

/** PCM that the application pushes in chunks (JavaScript Buffers); underruns play silence. */
class MemorySource final : public AudioSource {
 public:
  MemorySource(int rate, std::size_t capacitySamples) : rate_(rate), ring_(capacitySamples) {}
  int sampleRate() const override { return rate_; }
  void read(int16_t* out, std::size_t n) override;
  const char* kind() const override { return "memory"; }
  /** Appends samples; returns how many were accepted (the rest did not fit). */
  std::size_t push(const int16_t* in, std::size_t n) { return ring_.push(in, n); }
  std::size_t buffered() const { return ring_.size(); }
  uint64_t underrunSamples() const { return underrun_; }

 private:
  int rate_;
  PcmRing ring_;
  std::atomic<uint64_t> underrun_{0};
};

/** PCM that the application drains in chunks; when full, the newest audio is dropped and counted. */
class MemorySink final : public AudioSink {
 public:
  MemorySink(int rate, std::size_t capacitySamples) : rate_(rate), ring_(capacitySamples) {}
  int sampleRate() const override { return rate_; }
  void write(const int16_t* in, std::size_t n) override;
  const char* kind() const override { return "memory"; }
  /** Takes up to `n` samples. */
  std::size_t pull(int16_t* out, std::size_t n) { return ring_.pop(out, n); }
  std::size_t buffered() const { return ring_.size(); }
  uint64_t overflowSamples() const { return overflow_; }

 private:
  int rate_;
  PcmRing ring_;
  std::atomic<uint64_t> overflow_{0};
};

}  // namespace sipmedia
