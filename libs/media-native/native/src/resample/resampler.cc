#include "resample/resampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace sipmedia {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Zero crossings of the sinc on each side, counted at the lower of the two rates: sets the
// transition band (~lowRate/ (kZeroCrossings) wide) and the cost per output sample.
constexpr int kZeroCrossings = 24;
// Kaiser window beta for about 80 dB of stopband attenuation (Kaiser's formula:
// beta = 0.1102 (A - 8.7) for A > 50 dB).
constexpr double kKaiserBeta = 0.1102 * (80.0 - 8.7);
// Cutoff as a fraction of the lower Nyquist frequency: the transition band sits just below it,
// so nothing above the lower Nyquist survives into the band where it would alias.
constexpr double kCutoff = 0.90;

bool supportedRate(int r) { return r == 8000 || r == 16000 || r == 32000 || r == 48000; }

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
double besselI0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

}  // namespace

bool Resampler::supports(int inRate, int outRate) { return supportedRate(inRate) && supportedRate(outRate); }

Resampler::Resampler(int inRate, int outRate, std::size_t maxInput) : inRate_(inRate), outRate_(outRate), maxInput_(std::max<std::size_t>(maxInput, 1)) {
  if (!supports(inRate, outRate)) throw std::invalid_argument("Resampler: unsupported rate pair");
  const int g = std::gcd(inRate, outRate);
  up_ = outRate / g;
  down_ = inRate / g;
  if (up_ == 1 && down_ == 1) {
    taps_ = 1;
    coeffs_.assign(1, 1.0f);
  } else {
    // Prototype low-pass at the upsampled rate Fu = inRate * L, cutoff fc (Hz) below min/2.
    const double fu = static_cast<double>(inRate) * up_;
    const double fc = kCutoff * 0.5 * std::min(inRate, outRate);
    const double halfLen = kZeroCrossings * fu / (2 * fc);  // in upsampled samples
    int len = 2 * static_cast<int>(std::ceil(halfLen)) + 1;
    taps_ = (len + up_ - 1) / up_;
    len = taps_ * up_;  // pad to whole phases; the extra taps are zero
    const double centre = (2 * std::ceil(halfLen)) / 2.0;
    std::vector<double> h(static_cast<std::size_t>(len), 0.0);
    const double i0b = besselI0(kKaiserBeta);
    for (int i = 0; i < len; i++) {
      const double t = i - centre;
      if (std::fabs(t) > halfLen) continue;
      const double x = 2 * fc / fu * t;
      const double sinc = x == 0 ? 1.0 : std::sin(kPi * x) / (kPi * x);
      const double r = t / halfLen;
      const double w = besselI0(kKaiserBeta * std::sqrt(std::max(0.0, 1 - r * r))) / i0b;
      // Gain 2 fc / Fu for unity passband gain at Fu, times L for the zeros of the upsampling.
      h[static_cast<std::size_t>(i)] = 2 * fc / fu * sinc * w * up_;
    }
    coeffs_.assign(static_cast<std::size_t>(len), 0.0f);
    // Phase p uses h[p + k L], k = 0..taps-1, applied to x[i - k]; store it reversed so the dot
    // product runs forward over the buffer (oldest sample first).
    for (int p = 0; p < up_; p++) {
      for (int k = 0; k < taps_; k++) coeffs_[static_cast<std::size_t>(p * taps_ + (taps_ - 1 - k))] = static_cast<float>(h[static_cast<std::size_t>(p + k * up_)]);
    }
    delay_ = centre / down_;
  }
  buf_.assign(static_cast<std::size_t>(taps_ - 1) + maxInput_, 0.0f);
}

std::size_t Resampler::maxOutput(std::size_t inSamples) const {
  return (inSamples * static_cast<std::size_t>(up_) + static_cast<std::size_t>(down_) - 1) / static_cast<std::size_t>(down_) + 1;
}

void Resampler::reset() {
  std::fill(buf_.begin(), buf_.end(), 0.0f);
  pos_ = 0;
}

double Resampler::delayOutputSamples() const { return delay_; }

int Resampler::process(const int16_t* in, std::size_t n, int16_t* out, std::size_t capacity) {
  if (capacity < maxOutput(n)) return -1;
  if (up_ == 1 && down_ == 1) {
    std::copy(in, in + n, out);
    return static_cast<int>(n);
  }
  int written = 0;
  while (n > 0) {
    const std::size_t chunk = std::min(n, maxInput_);
    written += processChunk(in, chunk, out + written);
    in += chunk;
    n -= chunk;
  }
  return written;
}

int Resampler::processChunk(const int16_t* in, std::size_t n, int16_t* out) {
  const std::size_t hist = static_cast<std::size_t>(taps_ - 1);
  float* b = buf_.data();
  for (std::size_t i = 0; i < n; i++) b[hist + i] = in[i];
  const long end = static_cast<long>(n) * up_;
  int written = 0;
  // Output at upsampled position p uses input i = floor(p / L) (newest) and phase p mod L.
  for (; pos_ < end; pos_ += down_) {
    const long i = pos_ / up_;
    const int phase = static_cast<int>(pos_ - i * up_);
    const float* c = coeffs_.data() + static_cast<std::size_t>(phase) * static_cast<std::size_t>(taps_);
    const float* x = b + i;  // x[0] is input i - (taps-1), x[taps-1] is input i
    float acc = 0;
    for (int k = 0; k < taps_; k++) acc += c[k] * x[k];
    const long v = std::lround(acc);
    out[written++] = static_cast<int16_t>(std::clamp(v, -32768L, 32767L));
  }
  pos_ -= end;
  // Keep the last taps-1 samples (in order) as history for the next chunk.
  std::copy(b + n, b + n + hist, b);
  return written;
}

}  // namespace sipmedia
