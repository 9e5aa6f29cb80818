#include "dtmf/inband.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "resample/resampler.h"

#ifdef HAVE_SPANDSP
#include <spandsp.h>
#endif

namespace sipmedia {
namespace {

constexpr double kPi = 3.14159265358979323846;
// ITU-T Q.23: low group 697, 770, 852, 941 Hz (rows); high group 1209, 1336, 1477, 1633 Hz (columns).
constexpr std::array<int, 4> kLow = {697, 770, 852, 941};
constexpr std::array<int, 4> kHigh = {1209, 1336, 1477, 1633};
constexpr char kKeypad[4][5] = {"123A", "456B", "789C", "*0#D"};
// A full-scale sine is +3.14 dBm0 (ITU-T G.711 A-law; µ-law is +3.17).
constexpr double kFullScaleDbm0 = 3.14;

double amplitudeForDbm0(double dbm0) { return 32767.0 * std::pow(10.0, (dbm0 - kFullScaleDbm0) / 20.0); }

}  // namespace

bool dtmfFrequencies(char digit, int& lowHz, int& highHz) {
  const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(digit)));
  for (int r = 0; r < 4; r++) {
    for (int k = 0; k < 4; k++) {
      if (kKeypad[r][k] == c) {
        lowHz = kLow[static_cast<std::size_t>(r)];
        highHz = kHigh[static_cast<std::size_t>(k)];
        return true;
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Generator

DtmfToneGenerator::DtmfToneGenerator(DtmfToneOptions options) : options_(options) {
  if (options_.sampleRate <= 0) options_.sampleRate = 8000;
}

bool DtmfToneGenerator::enqueue(const std::string& digits, int toneMs) {
  int lo = 0, hi = 0;
  for (char c : digits) {
    if (!dtmfFrequencies(c, lo, hi)) return false;
  }
  const std::size_t tone = static_cast<std::size_t>(options_.sampleRate) * static_cast<std::size_t>(toneMs > 0 ? toneMs : options_.toneMs) / 1000;
  const std::size_t gap = static_cast<std::size_t>(options_.sampleRate) * static_cast<std::size_t>(std::max(options_.gapMs, 0)) / 1000;
  for (char c : digits) {
    queue_.push_back({c, tone});
    if (gap > 0) queue_.push_back({'\0', gap});
  }
  return true;
}

void DtmfToneGenerator::generate(int16_t* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    if (remaining_ == 0) {
      if (queue_.empty()) {
        std::fill(out + i, out + n, 0);
        return;
      }
      const Item item = queue_.front();
      queue_.pop_front();
      digit_ = item.digit;
      remaining_ = item.samples;
      int lo = 0, hi = 0;
      if (digit_ != '\0' && dtmfFrequencies(digit_, lo, hi)) {
        stepLow_ = 2 * kPi * lo / options_.sampleRate;
        stepHigh_ = 2 * kPi * hi / options_.sampleRate;
        ampLow_ = amplitudeForDbm0(options_.lowDbm0);
        ampHigh_ = amplitudeForDbm0(options_.highDbm0);
        phaseLow_ = phaseHigh_ = 0;
      } else {
        digit_ = '\0';
      }
      continue;
    }
    const std::size_t take = std::min(remaining_, n - i);
    if (digit_ == '\0') {
      std::fill(out + i, out + i + take, 0);
    } else {
      for (std::size_t k = 0; k < take; k++) {
        const double v = ampLow_ * std::sin(phaseLow_) + ampHigh_ * std::sin(phaseHigh_);
        out[i + k] = static_cast<int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
        phaseLow_ = std::fmod(phaseLow_ + stepLow_, 2 * kPi);
        phaseHigh_ = std::fmod(phaseHigh_ + stepHigh_, 2 * kPi);
      }
    }
    remaining_ -= take;
    i += take;
  }
}

// ---------------------------------------------------------------------------------------------
// Detectors

class InbandDtmfDetector::Impl {
 public:
  virtual ~Impl() = default;
  virtual DtmfDetectorBackend backend() const = 0;
  virtual std::size_t process(const int16_t* pcm, std::size_t n, std::vector<InbandDigit>& out) = 0;
  virtual std::size_t flush(std::vector<InbandDigit>& out) = 0;
};

namespace {

/**
 * Goertzel detector of ours: every `hop` samples, the power at the eight Q.23 frequencies over
 * the last `block` samples (Hann window, 25.6 ms: 205 samples at 8 kHz). A block is a hit for a
 * digit when the strongest low and high tones are above -32 dBm0, each stands 8 dB above the
 * others of its group, the twist is within 8 dB either way, and the pair carries most of the
 * block's energy (not speech). Two consecutive hits start a digit; two misses end it. A block too
 * quiet to hold two tones above the minimum is rejected before the filters run.
 */
class GoertzelDetector final : public InbandDtmfDetector::Impl {
 public:
  explicit GoertzelDetector(int rate) : rate_(rate) {
    block_ = static_cast<std::size_t>(std::lround(rate * 0.025625));
    hop_ = block_ / 2;
    ring_.assign(block_, 0.0f);
    window_.resize(block_);
    work_.resize(block_);
    double wsum = 0;
    for (std::size_t i = 0; i < block_; i++) {
      window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2 * kPi * (i + 0.5) / block_));
      wsum += window_[i];
    }
    // A sine of amplitude A gives |X| = A * sum(w) / 2 at its frequency.
    ampScale_ = 2.0 / wsum;
    for (std::size_t f = 0; f < 4; f++) {
      coef_[f] = 2 * std::cos(2 * kPi * kLow[f] / rate);
      coef_[4 + f] = 2 * std::cos(2 * kPi * kHigh[f] / rate);
    }
    for (std::size_t f = 0; f < 8; f++) {
      coefF_[f] = static_cast<float>(coef_[f]);
      coef2F_[f] = static_cast<float>(coef_[f] * coef_[f] - 1);
    }
    minAmp_ = amplitudeForDbm0(-32.0);
  }
  DtmfDetectorBackend backend() const override { return DtmfDetectorBackend::Goertzel; }

  std::size_t process(const int16_t* pcm, std::size_t n, std::vector<InbandDigit>& out) override {
    const std::size_t before = out.size();
    for (std::size_t i = 0; i < n; i++) {
      ring_[head_] = pcm[i];
      if (++head_ == block_) head_ = 0;
      if (filled_ < block_) filled_++;
      samples_++;
      if (++sinceHop_ >= hop_ && filled_ == block_) {
        sinceHop_ = 0;
        onBlock(classify(), out);
      }
    }
    return out.size() - before;
  }

  std::size_t flush(std::vector<InbandDigit>& out) override {
    if (current_ == '\0') return 0;
    emit(out);
    return 1;
  }

 private:
  char classify() {
    // The block in time order (the ring from head_ on), windowed; its energy.
    // (two straight copies instead of a wrap test per sample; four partial sums of the energy.)
    const std::size_t tail = block_ - head_;
    std::copy(ring_.begin() + static_cast<std::ptrdiff_t>(head_), ring_.end(), work_.begin());
    std::copy(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(head_), work_.begin() + static_cast<std::ptrdiff_t>(tail));
    float e[4] = {0, 0, 0, 0};
    for (std::size_t i = 0; i < block_; i++) {
      const float x = work_[i];
      e[i & 3] += x * x;
      work_[i] = x * window_[i];
    }
    const double meanSquare = (static_cast<double>(e[0]) + e[1] + e[2] + e[3]) / static_cast<double>(block_);
    // Silence or a very quiet signal cannot hold two tones above the minimum level: no filters.
    if (meanSquare < 0.5 * minAmp_ * minAmp_) return '\0';
    std::array<double, 8> amp{};
    goertzel(amp);
    const std::size_t lo = static_cast<std::size_t>(std::max_element(amp.begin(), amp.begin() + 4) - amp.begin());
    constexpr double kOthers = 0.398;  // -8 dB
    for (std::size_t f = 0; f < 4; f++) {
      if (f != lo && amp[f] > kOthers * amp[lo]) return '\0';
    }
    const std::size_t hi = 4 + static_cast<std::size_t>(std::max_element(amp.begin() + 4, amp.end()) - (amp.begin() + 4));
    if (amp[lo] < minAmp_ || amp[hi] < minAmp_) return '\0';
    const double twistDb = 20 * std::log10(amp[hi] / amp[lo]);
    if (twistDb > 8.0 || twistDb < -8.0) return '\0';
    for (std::size_t f = 0; f < 4; f++) {
      if (4 + f != hi && amp[4 + f] > kOthers * amp[hi]) return '\0';
    }
    // The tone pair must carry most of the signal power (a sine of amplitude A has power A²/2).
    const double pairPower = (amp[lo] * amp[lo] + amp[hi] * amp[hi]) / 2;
    if (pairPower < 0.6 * meanSquare) return '\0';
    return kKeypad[lo][hi - 4];
  }

  /**
   * Amplitudes at the eight Q.23 frequencies over work_: the Goertzel recurrence
   * s[n] = x[n] + c s[n-1] - s[n-2], eight side by side (GCC/Clang vector extension: one
   * register per group), two samples per step from (s[n-2], s[n-3]) so that the two halves of a
   * step do not wait for each other:
   *   s[n-1] = x[n-1] + c s[n-2] - s[n-3],  s[n] = x[n] + c x[n-1] + (c^2 - 1) s[n-2] - c s[n-3].
   */
  void goertzel(std::array<double, 8>& amp) const {
    typedef float Lanes __attribute__((vector_size(16)));
    const Lanes cL = {coefF_[0], coefF_[1], coefF_[2], coefF_[3]};
    const Lanes cH = {coefF_[4], coefF_[5], coefF_[6], coefF_[7]};
    const Lanes dL = {coef2F_[0], coef2F_[1], coef2F_[2], coef2F_[3]};
    const Lanes dH = {coef2F_[4], coef2F_[5], coef2F_[6], coef2F_[7]};
    Lanes l1 = {0, 0, 0, 0}, l2 = l1, h1 = l1, h2 = l1;  // s[n-1], s[n-2] of each group
    std::size_t i = 0;
    for (; i + 1 < block_; i += 2) {
      const float x0 = work_[i], x1 = work_[i + 1];
      const Lanes la = x0 + cL * l1 - l2;
      const Lanes lb = x1 + cL * x0 + dL * l1 - cL * l2;
      const Lanes ha = x0 + cH * h1 - h2;
      const Lanes hb = x1 + cH * x0 + dH * h1 - cH * h2;
      l2 = la;
      l1 = lb;
      h2 = ha;
      h1 = hb;
    }
    for (; i < block_; i++) {
      const Lanes la = work_[i] + cL * l1 - l2;
      const Lanes ha = work_[i] + cH * h1 - h2;
      l2 = l1;
      l1 = la;
      h2 = h1;
      h1 = ha;
    }
    for (std::size_t f = 0; f < 8; f++) {
      const double a = f < 4 ? l1[f] : h1[f - 4], b = f < 4 ? l2[f] : h2[f - 4];
      const double power = a * a + b * b - coef_[f] * a * b;
      amp[f] = std::sqrt(std::max(0.0, power)) * ampScale_;
    }
  }

  void onBlock(char d, std::vector<InbandDigit>& out) {
    if (current_ != '\0') {
      if (d == current_) {
        misses_ = 0;
        lastHitSample_ = samples_;
      } else if (++misses_ >= 2) {
        emit(out);
      }
    }
    if (current_ == '\0') {
      if (d != '\0' && d == candidate_) {
        current_ = d;
        misses_ = 0;
        lastHitSample_ = samples_;
      } else {
        candidate_ = d;
        candidateStart_ = samples_ >= block_ ? samples_ - block_ : 0;
      }
    }
  }

  void emit(std::vector<InbandDigit>& out) {
    InbandDigit digit;
    digit.digit = current_;
    digit.startSample = candidateStart_;
    digit.durationMs = static_cast<uint32_t>((lastHitSample_ - candidateStart_) * 1000 / static_cast<uint64_t>(rate_));
    out.push_back(digit);
    current_ = '\0';
    candidate_ = '\0';
    misses_ = 0;
  }

  int rate_;
  std::size_t block_ = 205, hop_ = 102;
  std::vector<float> ring_, window_, work_;
  std::size_t head_ = 0, filled_ = 0, sinceHop_ = 0;
  uint64_t samples_ = 0;
  std::array<double, 8> coef_{};
  std::array<float, 8> coefF_{}, coef2F_{};
  double ampScale_ = 1, minAmp_ = 0;
  char current_ = '\0', candidate_ = '\0';
  int misses_ = 0;
  uint64_t candidateStart_ = 0, lastHitSample_ = 0;
};

#ifdef HAVE_SPANDSP
/** spandsp's DTMF receiver through its public API (8 kHz: other rates are resampled first). */
class SpandspDetector final : public InbandDtmfDetector::Impl {
 public:
  explicit SpandspDetector(int rate) : rate_(rate) {
    rx_ = dtmf_rx_init(nullptr, nullptr, nullptr);
    if (rx_ != nullptr) dtmf_rx_set_realtime_callback(rx_, &SpandspDetector::onTone, this);
    if (rate != 8000) resampler_ = std::make_unique<Resampler>(rate, 8000, kChunk);
    buf_.resize(resampler_ ? resampler_->maxOutput(kChunk) : kChunk);
  }
  ~SpandspDetector() override {
    if (rx_ != nullptr) dtmf_rx_free(rx_);
  }
  SpandspDetector(const SpandspDetector&) = delete;
  SpandspDetector& operator=(const SpandspDetector&) = delete;
  bool ok() const { return rx_ != nullptr; }
  DtmfDetectorBackend backend() const override { return DtmfDetectorBackend::Spandsp; }

  std::size_t process(const int16_t* pcm, std::size_t n, std::vector<InbandDigit>& out) override {
    const std::size_t before = out.size();
    out_ = &out;
    while (n > 0) {
      const std::size_t take = std::min(n, kChunk);
      if (resampler_) {
        const int m = resampler_->process(pcm, take, buf_.data(), buf_.size());
        feed(buf_.data(), static_cast<std::size_t>(std::max(m, 0)));
      } else {
        feed(pcm, take);
      }
      pcm += take;
      n -= take;
    }
    out_ = nullptr;
    return out.size() - before;
  }

  std::size_t flush(std::vector<InbandDigit>& out) override {
    if (current_ == '\0') return 0;
    out_ = &out;
    emit(samples8k_);
    out_ = nullptr;
    return 1;
  }

 private:
  static constexpr std::size_t kChunk = 960;

  void feed(const int16_t* pcm, std::size_t n) {
    // dtmf_rx reports through the callback, during this call.
    dtmf_rx(rx_, pcm, static_cast<int>(n));
    samples8k_ += n;
  }

  static void onTone(void* user, int code, int /*level*/, int /*delay*/) {
    auto* self = static_cast<SpandspDetector*>(user);
    if (code != 0) {
      if (self->current_ != '\0') self->emit(self->samples8k_);
      self->current_ = static_cast<char>(code);
      self->start8k_ = self->samples8k_;
    } else if (self->current_ != '\0') {
      self->emit(self->samples8k_);
    }
  }

  void emit(uint64_t end8k) {
    InbandDigit d;
    d.digit = current_;
    d.startSample = start8k_ * static_cast<uint64_t>(rate_) / 8000;
    d.durationMs = static_cast<uint32_t>((end8k - start8k_) / 8);
    if (out_ != nullptr) out_->push_back(d);
    current_ = '\0';
  }

  int rate_;
  dtmf_rx_state_t* rx_ = nullptr;
  std::unique_ptr<Resampler> resampler_;
  std::vector<int16_t> buf_;
  std::vector<InbandDigit>* out_ = nullptr;
  uint64_t samples8k_ = 0, start8k_ = 0;
  char current_ = '\0';
};
#endif

}  // namespace

bool InbandDtmfDetector::spandspAvailable() {
#ifdef HAVE_SPANDSP
  return true;
#else
  return false;
#endif
}

InbandDtmfDetector::InbandDtmfDetector(int sampleRate, DtmfDetectorBackend backend) {
#ifdef HAVE_SPANDSP
  if (backend == DtmfDetectorBackend::Spandsp) {
    auto s = std::make_unique<SpandspDetector>(sampleRate);
    if (s->ok()) impl_ = std::move(s);
  }
#else
  (void)backend;
#endif
  if (!impl_) impl_ = std::make_unique<GoertzelDetector>(sampleRate);
}

InbandDtmfDetector::~InbandDtmfDetector() = default;

DtmfDetectorBackend InbandDtmfDetector::backend() const { return impl_->backend(); }

std::size_t InbandDtmfDetector::process(const int16_t* pcm, std::size_t n, std::vector<InbandDigit>& out) { return impl_->process(pcm, n, out); }

std::size_t InbandDtmfDetector::flush(std::vector<InbandDigit>& out) { return impl_->flush(out); }

}  // namespace sipmedia
