#include <doctest/doctest.h>

#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"

using namespace sipmedia;
using namespace testsupport;

#ifdef HAVE_SPANDSP
TEST_CASE("G.722: 20 ms of 16 kHz audio is 160 octets; a wideband tone survives the round trip") {
  const CodecFactory* f = findCodec("G722", 8000);
  auto enc = f->createEncoder({});
  auto dec = f->createDecoder({});
  REQUIRE(enc);
  REQUIRE(dec);
  // 5 kHz is above the narrowband limit: only a wideband codec keeps it.
  const std::vector<int16_t> src = tone(16000, 5000, 0.5, 8000);
  std::vector<int16_t> out;
  std::vector<uint8_t> payload(400);
  std::vector<int16_t> pcm(640);
  for (std::size_t off = 0; off + 320 <= src.size(); off += 320) {
    const int n = enc->encode(src.data() + off, 320, payload.data(), payload.size());
    REQUIRE(n == 160);
    const int m = dec->decode(payload.data(), static_cast<std::size_t>(n), pcm.data(), pcm.size());
    REQUIRE(m == 320);
    out.insert(out.end(), pcm.begin(), pcm.begin() + m);
  }
  const std::size_t tail = out.size() - 3200;
  const double amp = goertzelAmplitude(out.data() + tail, 3200, 16000, 5000);
  CHECK(amp > 8000 * 0.7);
  CHECK(amp < 8000 * 1.3);
  CHECK(enc->encode(src.data(), 319, payload.data(), payload.size()) == -1);  // odd sample count
}

TEST_CASE("G.722: loss is concealed, then fades") {
  auto enc = findCodec("G722", 8000)->createEncoder({});
  auto dec = findCodec("G722", 8000)->createDecoder({});
  const std::vector<int16_t> src = tone(16000, 300, 0.1, 8000);
  std::vector<uint8_t> payload(160);
  std::vector<int16_t> pcm(320);
  for (std::size_t off = 0; off + 320 <= src.size(); off += 320) {
    enc->encode(src.data() + off, 320, payload.data(), 160);
    dec->decode(payload.data(), 160, pcm.data(), 320);
  }
  REQUIRE(dec->conceal(pcm.data(), 320) == 320);
  CHECK(rms(pcm.data(), 320) > 1000);
  for (int i = 0; i < 3; i++) dec->conceal(pcm.data(), 320);
  CHECK(rms(pcm.data(), 320) == 0);
  CHECK(dec->decodeFec(payload.data(), 160, pcm.data(), 320) == -1);  // no FEC in G.722
}
#else
TEST_CASE("G.722: unavailable without spandsp") { CHECK_FALSE(findCodec("G722", 8000)->info().available); }
#endif
