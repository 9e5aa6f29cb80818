#include <doctest/doctest.h>

#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"

using namespace sipmedia;
using namespace testsupport;

#ifdef HAVE_BCG729
namespace {
std::vector<int16_t> roundTrip(Encoder& enc, Decoder& dec, const std::vector<int16_t>& src, std::vector<int>* sizes = nullptr) {
  std::vector<int16_t> out;
  std::vector<uint8_t> payload(64);
  std::vector<int16_t> pcm(160);
  for (std::size_t off = 0; off + 160 <= src.size(); off += 160) {
    const int n = enc.encode(src.data() + off, 160, payload.data(), payload.size());
    REQUIRE(n >= 0);
    if (sizes) sizes->push_back(n);
    const int m = n > 0 ? dec.decode(payload.data(), static_cast<std::size_t>(n), pcm.data(), pcm.size()) : dec.conceal(pcm.data(), 160);
    REQUIRE(m == (n == 12 || n == 20 ? 160 : n == 2 || n == 10 ? 80 : 160));
    out.insert(out.end(), pcm.begin(), pcm.begin() + m);
  }
  return out;
}
}  // namespace

TEST_CASE("G.729: a 20 ms packet is two 10-octet frames; audio comes back correlated") {
  auto enc = findCodec("G729", 8000)->createEncoder({});
  auto dec = findCodec("G729", 8000)->createDecoder({});
  REQUIRE(enc);
  std::vector<int> sizes;
  // A two-tone signal: CS-ACELP with its postfilter keeps it close to the waveform.
  std::vector<int16_t> src = tone(8000, 450, 2.0, 5000);
  const std::vector<int16_t> t2 = tone(8000, 600, 2.0, 3300);
  for (std::size_t i = 0; i < src.size(); i++) src[i] = static_cast<int16_t>(src[i] + t2[i]);
  const std::vector<int16_t> out = roundTrip(*enc, *dec, src, &sizes);
  for (int s : sizes) CHECK(s == 20);
  int lag = 0;
  const double c = alignedCorrelation(src, out, 200, lag, 800);
  MESSAGE("G.729 two-tone round trip correlation " << c << " at lag " << lag);
  CHECK(c > 0.9);
  // Harmonic speech-like audio: G.729 is not a waveform coder (perceptual weighting and the
  // postfilter reshape the harmonics), so the waveform match is lower but still clear.
  auto enc2 = findCodec("G729", 8000)->createEncoder({});
  auto dec2 = findCodec("G729", 8000)->createDecoder({});
  const std::vector<int16_t> speech = speechLike(8000, 2.0);
  const double cs = alignedCorrelation(speech, roundTrip(*enc2, *dec2, speech), 200, lag, 800);
  MESSAGE("G.729 speech-like round trip correlation " << cs);
  CHECK(cs > 0.75);
  uint8_t bad[7] = {};
  std::vector<int16_t> pcm(160);
  CHECK(dec->decode(bad, 7, pcm.data(), pcm.size()) == -1);
  CHECK(enc->encode(src.data(), 100, bad, 7) == -1);
}

TEST_CASE("G.729 Annex B: annexb=yes sends SID frames of 2 octets and nothing during silence") {
  CodecOptions o;
  o.fmtp = "annexb=yes";
  auto enc = findCodec("G729", 8000)->createEncoder(o);
  auto dec = findCodec("G729", 8000)->createDecoder({});
  std::vector<int16_t> src = speechLike(8000, 1.0);
  src.resize(8000 * 3, 0);  // then 2 s of silence
  std::vector<int> sizes;
  roundTrip(*enc, *dec, src, &sizes);
  int sid = 0, empty = 0, speech = 0;
  for (int s : sizes) {
    if (s == 0) empty++;
    if (s % 10 == 2) sid++;
    if (s >= 10) speech++;
  }
  CHECK(speech > 20);
  CHECK(sid >= 1);
  CHECK(empty > 50);  // DTX: most silent packets are not sent at all

  auto plain = findCodec("G729", 8000)->createEncoder({});  // default: annexb=no, no DTX
  std::vector<int> plainSizes;
  auto dec2 = findCodec("G729", 8000)->createDecoder({});
  roundTrip(*plain, *dec2, src, &plainSizes);
  for (int s : plainSizes) CHECK(s == 20);
}

TEST_CASE("G.729: erasures are concealed by the codec") {
  auto enc = findCodec("G729", 8000)->createEncoder({});
  auto dec = findCodec("G729", 8000)->createDecoder({});
  const std::vector<int16_t> src = speechLike(8000, 0.5);
  roundTrip(*enc, *dec, src);
  std::vector<int16_t> pcm(160);
  REQUIRE(dec->conceal(pcm.data(), 160) == 160);
  CHECK(rms(pcm.data(), 160) > 100);
}
#else
TEST_CASE("G.729: unavailable without bcg729") { CHECK_FALSE(findCodec("G729", 8000)->info().available); }
#endif
