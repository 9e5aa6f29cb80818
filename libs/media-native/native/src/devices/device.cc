#include "devices/device.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace sipmedia {

namespace {
constexpr double kTwoPi = 6.283185307179586476925286766559;

void putLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void putLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

/** The 44-octet canonical header of a mono 16-bit PCM WAV with `dataBytes` of samples. */
void wavHeader(uint8_t* h, int rate, uint32_t dataBytes) {
  std::memcpy(h, "RIFF", 4);
  putLe32(h + 4, 36 + dataBytes);
  std::memcpy(h + 8, "WAVEfmt ", 8);
  putLe32(h + 16, 16);
  putLe16(h + 20, 1);  // PCM
  putLe16(h + 22, 1);  // mono
  putLe32(h + 24, static_cast<uint32_t>(rate));
  putLe32(h + 28, static_cast<uint32_t>(rate) * 2);
  putLe16(h + 32, 2);
  putLe16(h + 34, 16);
  std::memcpy(h + 36, "data", 4);
  putLe32(h + 40, dataBytes);
}
}  // namespace

void NullSource::read(int16_t* out, std::size_t n) { std::fill(out, out + n, int16_t{0}); }

double amplitudeForDbov(double dbov) { return 32767.0 * std::pow(10.0, dbov / 20.0); }

ToneSource::ToneSource(double frequencyHz, double levelDbov, int rate)
    : rate_(rate), amplitude_(std::min(32767.0, amplitudeForDbov(levelDbov))), step_(kTwoPi * frequencyHz / rate) {}

void ToneSource::read(int16_t* out, std::size_t n) {
  // A rotating phasor (one complex multiply per sample instead of a sin()), renormalised and
  // re-anchored to the exact phase at the end of every read so that error cannot accumulate.
  double re = std::cos(phase_), im = std::sin(phase_);
  const double c = std::cos(step_), s = std::sin(step_);
  for (std::size_t i = 0; i < n; i++) {
    out[i] = static_cast<int16_t>(std::lround(amplitude_ * im));
    const double r = re * c - im * s;
    im = re * s + im * c;
    re = r;
  }
  phase_ = std::fmod(phase_ + step_ * static_cast<double>(n), kTwoPi);
}

std::vector<int16_t> readWavFile(const std::string& path, WavFormat& format) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[65536];
  std::size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  std::fclose(f);
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    throw std::runtime_error(path + " is not a RIFF/WAVE file");
  std::size_t pos = 12;
  bool haveFmt = false;
  int audioFormat = 0;
  const uint8_t* data = nullptr;
  std::size_t dataSize = 0;
  while (pos + 8 <= bytes.size()) {
    const uint8_t* c = bytes.data() + pos;
    std::size_t size = le32(c + 4);
    std::size_t avail = bytes.size() - pos - 8;
    if (std::memcmp(c, "fmt ", 4) == 0 && size >= 16 && size <= avail) {
      audioFormat = le16(c + 8);
      format.channels = le16(c + 10);
      format.sampleRate = static_cast<int>(le32(c + 12));
      format.bitsPerSample = le16(c + 22);
      if (audioFormat == 0xFFFE && size >= 40) audioFormat = le16(c + 8 + 24);  // WAVE_FORMAT_EXTENSIBLE subformat
      haveFmt = true;
    } else if (std::memcmp(c, "data", 4) == 0) {
      data = c + 8;
      // A recorder that was never closed leaves 0 (or 0xFFFFFFFF) here: take what is in the file.
      dataSize = (size == 0 || size > avail) ? avail : size;
      break;
    }
    pos += 8 + size + (size & 1);
  }
  if (!haveFmt || !data) throw std::runtime_error(path + ": no fmt or data chunk");
  if (audioFormat != 1 || (format.bitsPerSample != 16 && format.bitsPerSample != 8) || format.channels < 1)
    throw std::runtime_error(path + ": only 8/16-bit integer PCM WAV is supported");
  const int ch = format.channels;
  const std::size_t bytesPerFrame = static_cast<std::size_t>(ch) * (format.bitsPerSample / 8);
  const std::size_t frames = dataSize / bytesPerFrame;
  std::vector<int16_t> out(frames);
  for (std::size_t i = 0; i < frames; i++) {
    long sum = 0;
    for (int c = 0; c < ch; c++) {
      const uint8_t* p = data + i * bytesPerFrame + static_cast<std::size_t>(c) * (format.bitsPerSample / 8);
      sum += format.bitsPerSample == 16 ? static_cast<int16_t>(le16(p)) : (static_cast<int>(p[0]) - 128) << 8;
    }
    out[i] = static_cast<int16_t>(sum / ch);
  }
  return out;
}

WavFileSource::WavFileSource(const std::string& path, bool loop) : loop_(loop) { samples_ = readWavFile(path, format_); }

void WavFileSource::read(int16_t* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    if (pos_ >= samples_.size()) {
      if (loop_ && !samples_.empty()) {
        pos_ = 0;
      } else {
        finished_ = true;
        std::fill(out + i, out + n, int16_t{0});
        return;
      }
    }
    const std::size_t take = std::min(n - i, samples_.size() - pos_);
    std::memcpy(out + i, samples_.data() + pos_, take * sizeof(int16_t));
    pos_ += take;
    i += take;
  }
}

WavFileSink::WavFileSink(const std::string& path, int rate) : rate_(rate) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  uint8_t h[44];
  wavHeader(h, rate, 0);
  std::fwrite(h, 1, sizeof h, file_);
}

WavFileSink::~WavFileSink() { close(); }

void WavFileSink::write(const int16_t* in, std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!file_) return;
  // WAV samples are little-endian; the engine targets little-endian hosts (x86-64, arm64).
  std::fwrite(in, sizeof(int16_t), n, file_);
  samples_ += n;
}

void WavFileSink::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!file_) return;
  uint8_t h[44];
  const uint64_t bytes = std::min<uint64_t>(samples_ * 2, 0xFFFFFFFFull - 36);
  wavHeader(h, rate_, static_cast<uint32_t>(bytes));
  std::fflush(file_);
  std::fseek(file_, 0, SEEK_SET);
  std::fwrite(h, 1, sizeof h, file_);
  std::fclose(file_);
  file_ = nullptr;
}

bool writeWavFile(const std::string& path, int rate, const int16_t* samples, std::size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  uint8_t h[44];
  wavHeader(h, rate, static_cast<uint32_t>(n * 2));
  bool ok = std::fwrite(h, 1, sizeof h, f) == sizeof h && std::fwrite(samples, 2, n, f) == n;
  return std::fclose(f) == 0 && ok;
}

PcmRing::PcmRing(std::size_t capacity) : buf_(std::max<std::size_t>(capacity, 1)) {}

std::size_t PcmRing::push(const int16_t* in, std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t cap = buf_.size();
  const std::size_t take = std::min(n, cap - count_);
  std::size_t tail = (head_ + count_) % cap;
  for (std::size_t done = 0; done < take;) {
    const std::size_t run = std::min(take - done, cap - tail);
    std::memcpy(buf_.data() + tail, in + done, run * sizeof(int16_t));
    done += run;
    tail = (tail + run) % cap;
  }
  count_ += take;
  return take;
}

std::size_t PcmRing::pop(int16_t* out, std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t cap = buf_.size();
  const std::size_t take = std::min(n, count_);
  for (std::size_t done = 0; done < take;) {
    const std::size_t run = std::min(take - done, cap - head_);
    std::memcpy(out + done, buf_.data() + head_, run * sizeof(int16_t));
    done += run;
    head_ = (head_ + run) % cap;
  }
  count_ -= take;
  return take;
}

std::size_t PcmRing::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

void MemorySource::read(int16_t* out, std::size_t n) {
  const std::size_t got = ring_.pop(out, n);
  if (got < n) {
    std::fill(out + got, out + n, int16_t{0});
    underrun_ += n - got;
  }
}

void MemorySink::write(const int16_t* in, std::size_t n) {
  const std::size_t put = ring_.push(in, n);
  if (put < n) overflow_ += n - put;
}

}  // namespace sipmedia
