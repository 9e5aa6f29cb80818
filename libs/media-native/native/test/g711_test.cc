#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "codecs/codec.h"

using namespace sipmedia;

TEST_CASE("G.711: the table lists PCMU and PCMA with their static payload types") {
  const CodecFactory* u = findCodec("pcmu", 8000);
  const CodecFactory* a = findCodec("PCMA", 8000);
  REQUIRE(u != nullptr);
  REQUIRE(a != nullptr);
  CHECK(u->info().staticPayloadType == 0);
  CHECK(a->info().staticPayloadType == 8);
  CHECK(findCodec("PCMU", 16000) == nullptr);
}

TEST_CASE("G.711: known codewords (ITU-T G.711 tables)") {
  auto enc = findCodec("PCMU", 8000)->createEncoder({});
  auto dec = findCodec("PCMU", 8000)->createDecoder({});
  int16_t zero = 0;
  uint8_t code = 0;
  enc->encode(&zero, 1, &code, 1);
  CHECK(code == 0xFF);  // µ-law silence
  auto aenc = findCodec("PCMA", 8000)->createEncoder({});
  aenc->encode(&zero, 1, &code, 1);
  CHECK(code == 0xD5);  // A-law silence
  uint8_t max = 0x80;
  int16_t out = 0;
  dec->decode(&max, 1, &out, 1);
  CHECK(out == 32124);  // µ-law 0x80 decodes to the largest positive value
}

TEST_CASE("G.711: a 1 kHz tone survives encode/decode with >35 dB SNR") {
  for (const char* name : {"PCMU", "PCMA"}) {
    const CodecFactory* f = findCodec(name, 8000);
    auto enc = f->createEncoder({});
    auto dec = f->createDecoder({});
    std::vector<int16_t> pcm(160), back(160);
    std::vector<uint8_t> payload(160);
    for (int i = 0; i < 160; i++) pcm[i] = static_cast<int16_t>(std::lround(10000 * std::sin(2 * M_PI * 1000 * i / 8000.0)));
    REQUIRE(enc->encode(pcm.data(), 160, payload.data(), payload.size()) == 160);
    REQUIRE(dec->decode(payload.data(), 160, back.data(), back.size()) == 160);
    double sig = 0, err = 0;
    for (int i = 0; i < 160; i++) {
      sig += double(pcm[i]) * pcm[i];
      err += double(pcm[i] - back[i]) * (pcm[i] - back[i]);
    }
    CHECK(10 * std::log10(sig / err) > 35.0);
  }
}

TEST_CASE("G.711: concealment repeats the signal, then fades to silence") {
  auto dec = findCodec("PCMU", 8000)->createDecoder({});
  auto enc = findCodec("PCMU", 8000)->createEncoder({});
  std::vector<int16_t> pcm(240), out(160);
  std::vector<uint8_t> payload(240);
  for (int i = 0; i < 240; i++) pcm[i] = static_cast<int16_t>(std::lround(8000 * std::sin(2 * M_PI * 250 * i / 8000.0)));
  enc->encode(pcm.data(), 240, payload.data(), 240);
  std::vector<int16_t> decoded(240);
  REQUIRE(dec->decode(payload.data(), 240, decoded.data(), decoded.size()) == 240);
  double energy1 = 0;
  dec->conceal(out.data(), 160);
  for (int16_t v : out) energy1 += double(v) * v;
  CHECK(energy1 > 1e6);
  for (int k = 0; k < 3; k++) dec->conceal(out.data(), 160);
  double energy4 = 0;
  for (int16_t v : out) energy4 += double(v) * v;
  CHECK(energy4 == 0);
}
