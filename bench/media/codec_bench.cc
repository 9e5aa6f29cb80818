// Codec cost per 20 ms frame: our Encoder/Decoder (the engine's codec table) against calling the
// raw library directly with the same frame (spandsp's G.711 and G.722, libopus, bcg729). Prints
// one JSON line per codec: ns per 20 ms frame, ours and raw, encode and decode.
// Built by bench/media/run.mjs with the engine's core sources and detect-libs flags.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "codecs/codec.h"
#include "common/audio.h"

#ifdef HAVE_SPANDSP
#include <spandsp.h>
#endif
#ifdef HAVE_OPUS
#include <opus/opus.h>
#endif
#ifdef HAVE_BCG729
extern "C" {  // bcg729's headers have no C++ guards
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}
#endif

using namespace sipmedia;

namespace {

/** Median ns per call of `fn` over several rounds of `iters` calls. */
double nsPerCall(const std::function<void()>& fn, int iters) {
  std::vector<double> rounds;
  for (int r = 0; r < 5; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; i++) fn();
    const auto t1 = std::chrono::steady_clock::now();
    rounds.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / iters);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

std::vector<int16_t> speechLike(int rate, int channels, std::size_t samples) {
  std::vector<int16_t> x(samples * static_cast<std::size_t>(channels));
  uint32_t seed = 1;
  for (std::size_t i = 0; i < samples; i++) {
    seed = seed * 1664525u + 1013904223u;
    const double t = static_cast<double>(i) / rate;
    const double v = 6000 * std::sin(2 * M_PI * 220 * t) * (0.6 + 0.4 * std::sin(2 * M_PI * 3 * t)) + 2000 * std::sin(2 * M_PI * 1250 * t) +
                     ((seed >> 16) % 1000) - 500;
    for (int c = 0; c < channels; c++) x[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = static_cast<int16_t>(v);
  }
  return x;
}

struct Row {
  std::string name;
  double oursEnc = -1, oursDec = -1, rawEnc = -1, rawDec = -1;
  std::string raw;
};

Row benchOurs(const std::string& name, int clock, int iters) {
  Row row;
  row.name = name;
  const CodecFactory* f = findCodec(name, clock, name == "opus" ? 2 : 1);
  if (!f || !f->info().available) return row;
  CodecOptions o;
  o.fmtp = f->info().defaultFmtp;
  auto enc = f->createEncoder(o);
  auto dec = f->createDecoder(o);
  const int rate = f->info().sampleRate;
  const int ch = enc->pcmChannels();
  const std::size_t n = samplesFor(rate, 20);
  auto pcm = speechLike(rate, ch, n);
  std::vector<uint8_t> payload(4000);
  std::vector<int16_t> out(n * 2 + 64);
  int size = 0;
  row.oursEnc = nsPerCall([&] { size = enc->encode(pcm.data(), n * static_cast<std::size_t>(ch), payload.data(), payload.size()); }, iters);
  size = enc->encode(pcm.data(), n * static_cast<std::size_t>(ch), payload.data(), payload.size());
  row.oursDec = nsPerCall([&] { dec->decode(payload.data(), static_cast<std::size_t>(size), out.data(), out.size()); }, iters);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::vector<Row> rows;
  for (const char* name : {"PCMU", "PCMA"}) {
    Row r = benchOurs(name, 8000, iters);
#ifdef HAVE_SPANDSP
    g711_state_t* s = g711_init(nullptr, std::string(name) == "PCMU" ? G711_ULAW : G711_ALAW);
    auto pcm = speechLike(8000, 1, 160);
    uint8_t buf[160];
    int16_t out[160];
    r.rawEnc = nsPerCall([&] { g711_encode(s, buf, pcm.data(), 160); }, iters);
    r.rawDec = nsPerCall([&] { g711_decode(s, out, buf, 160); }, iters);
    r.raw = "spandsp g711";
    g711_free(s);
#endif
    rows.push_back(r);
  }
  {
    Row r = benchOurs("G722", 8000, iters);
#ifdef HAVE_SPANDSP
    g722_encode_state_t* e = g722_encode_init(nullptr, 64000, 0);
    g722_decode_state_t* d = g722_decode_init(nullptr, 64000, 0);
    auto pcm = speechLike(16000, 1, 320);
    uint8_t buf[160];
    int16_t out[320];
    r.rawEnc = nsPerCall([&] { g722_encode(e, buf, pcm.data(), 320); }, iters);
    r.rawDec = nsPerCall([&] { g722_decode(d, out, buf, 160); }, iters);
    r.raw = "spandsp g722";
    g722_encode_free(e);
    g722_decode_free(d);
#endif
    rows.push_back(r);
  }
  {
    Row r = benchOurs("opus", 48000, iters / 10);
#ifdef HAVE_OPUS
    int err = 0;
    OpusEncoder* e = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    OpusDecoder* d = opus_decoder_create(48000, 1, &err);
    auto pcm = speechLike(48000, 1, 960);
    uint8_t buf[1500];
    int16_t out[960 * 2];
    int size = 0;
    r.rawEnc = nsPerCall([&] { size = opus_encode(e, pcm.data(), 960, buf, sizeof buf); }, iters / 10);
    int decoded = 0;
    r.rawDec = nsPerCall([&] { decoded = opus_decode(d, buf, size, out, 960, 0); }, iters / 10);
    if (decoded != 960) r.rawDec = -1;
    r.raw = "libopus (mono, VOIP, default bitrate)";
    opus_encoder_destroy(e);
    opus_decoder_destroy(d);
#endif
    rows.push_back(r);
  }
  {
    Row r = benchOurs("G729", 8000, iters / 10);
#ifdef HAVE_BCG729
    bcg729EncoderChannelContextStruct* e = initBcg729EncoderChannel(0);
    bcg729DecoderChannelContextStruct* d = initBcg729DecoderChannel();
    auto pcm = speechLike(8000, 1, 160);
    uint8_t buf[20];
    uint8_t len = 0;
    int16_t out[160];
    r.rawEnc = nsPerCall([&] {
      bcg729Encoder(e, pcm.data(), buf, &len);
      bcg729Encoder(e, pcm.data() + 80, buf + 10, &len);
    }, iters / 10);
    r.rawDec = nsPerCall([&] {
      bcg729Decoder(d, buf, 10, 0, 0, 0, out);
      bcg729Decoder(d, buf + 10, 10, 0, 0, 0, out + 80);
    }, iters / 10);
    r.raw = "bcg729 (2 x 10 ms)";
    closeBcg729EncoderChannel(e);
    closeBcg729DecoderChannel(d);
#endif
    rows.push_back(r);
  }
  for (const Row& r : rows)
    std::printf("{\"codec\":\"%s\",\"oursEncodeNs\":%.0f,\"oursDecodeNs\":%.0f,\"rawEncodeNs\":%.0f,\"rawDecodeNs\":%.0f,\"raw\":\"%s\"}\n",
                r.name.c_str(), r.oursEnc, r.oursDec, r.rawEnc, r.rawDec, r.raw.c_str());
  return 0;
}
