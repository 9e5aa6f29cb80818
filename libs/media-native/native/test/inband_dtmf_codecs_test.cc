// In-band DTMF detection on received audio (issue 4 "in-band generation and detection"): our
// generated digits through each codec's encoder and decoder, then the detectors, as the engine's
// receive path does after decode; and no digit in a steady 1 kHz tone.
//
// Finding: spandsp's dtmf_rx loses or splits most digits that went through G.729 (CS-ACELP);
// our Goertzel detector finds all of them at every alignment tried. The engine uses ours.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"
#include "dtmf/inband.h"

using namespace sipmedia;
using namespace testsupport;

namespace {

/**
 * `digits` generated at the codec's rate (`toneMs` tones, 100 ms gaps) after 200 + `offsetMs` ms
 * of silence, then 200 ms of silence, coded and decoded in 20 ms frames; the decoded mono audio.
 */
std::vector<int16_t> throughCodec(const CodecFactory& f, const std::string& digits, int toneMs, int offsetMs) {
  const CodecInfo& info = f.info();
  auto enc = f.createEncoder({info.defaultFmtp});
  auto dec = f.createDecoder({info.defaultFmtp});
  REQUIRE(enc);
  REQUIRE(dec);
  const int rate = info.sampleRate;
  DtmfToneOptions o;
  o.sampleRate = rate;
  o.toneMs = toneMs;
  o.gapMs = 100;
  DtmfToneGenerator gen(o);
  REQUIRE(gen.enqueue(digits));
  std::vector<int16_t> signal(static_cast<std::size_t>(rate / 1000 * (200 + offsetMs)), 0);
  std::vector<int16_t> chunk(static_cast<std::size_t>(rate / 50));
  while (gen.busy()) {
    gen.generate(chunk.data(), chunk.size());
    signal.insert(signal.end(), chunk.begin(), chunk.end());
  }
  signal.resize(signal.size() + static_cast<std::size_t>(rate / 5), 0);
  const std::size_t frame = chunk.size();
  const int ech = enc->pcmChannels();
  const int dch = dec->pcmChannels();
  std::vector<int16_t> in(frame * 2), out(frame * 2 * 6);
  std::vector<uint8_t> payload(4000);
  std::vector<int16_t> result;
  for (std::size_t off = 0; off + frame <= signal.size(); off += frame) {
    for (std::size_t k = 0; k < frame; k++)
      for (int c = 0; c < ech; c++) in[k * static_cast<std::size_t>(ech) + static_cast<std::size_t>(c)] = signal[off + k];
    const int bytes = enc->encode(in.data(), frame * static_cast<std::size_t>(ech), payload.data(), payload.size());
    REQUIRE(bytes > 0);
    const int n = dec->decode(payload.data(), static_cast<std::size_t>(bytes), out.data(), out.size());
    REQUIRE(n > 0);
    for (int k = 0; k < n / dch; k++) result.push_back(out[static_cast<std::size_t>(k * dch)]);
  }
  return result;
}

std::string detect(const std::vector<int16_t>& audio, int rate, DtmfDetectorBackend backend) {
  InbandDtmfDetector det(rate, backend);
  std::vector<InbandDigit> found;
  const std::size_t frame = static_cast<std::size_t>(rate / 50);
  for (std::size_t off = 0; off + frame <= audio.size(); off += frame) det.process(audio.data() + off, frame, found);
  det.flush(found);
  std::string s;
  for (const InbandDigit& d : found) s += d.digit;
  return s;
}

struct Case {
  const char* name;
  int clock;
  int channels;
};
const Case kCodecs[] = {{"PCMU", 8000, 1}, {"PCMA", 8000, 1}, {"G722", 8000, 1}, {"G729", 8000, 1}, {"opus", 48000, 2}};

}  // namespace

TEST_CASE("In-band DTMF through codecs: our detector finds every digit after G.711, G.722, G.729 and Opus") {
  const std::string digits = "0123456789*#ABCD";
  for (const Case& c : kCodecs) {
    const CodecFactory* f = findCodec(c.name, c.clock, c.channels);
    REQUIRE(f != nullptr);
    if (!f->info().available) {
      MESSAGE(c.name << " not in this build: " << f->info().unavailableReason);
      continue;
    }
    for (int toneMs : {60, 100}) {
      for (int offsetMs : {0, 7, 13}) {
        CAPTURE(c.name);
        CAPTURE(toneMs);
        CAPTURE(offsetMs);
        const std::vector<int16_t> audio = throughCodec(*f, digits, toneMs, offsetMs);
        CHECK(detect(audio, f->info().sampleRate, DtmfDetectorBackend::Goertzel) == digits);
      }
    }
  }
}

#ifdef HAVE_SPANDSP
TEST_CASE("In-band DTMF through codecs: spandsp's receiver after G.711, G.722 and Opus (not G.729: see the file comment)") {
  const std::string digits = "159#*0D";
  for (const Case& c : kCodecs) {
    if (std::string(c.name) == "G729") continue;
    const CodecFactory* f = findCodec(c.name, c.clock, c.channels);
    REQUIRE(f != nullptr);
    if (!f->info().available) continue;
    CAPTURE(c.name);
    const std::vector<int16_t> audio = throughCodec(*f, digits, 80, 0);
    CHECK(detect(audio, f->info().sampleRate, DtmfDetectorBackend::Spandsp) == digits);
  }
}
#endif

TEST_CASE("In-band DTMF: a steady 1 kHz tone and silence are never digits (both detectors)") {
  std::vector<DtmfDetectorBackend> backends = {DtmfDetectorBackend::Goertzel};
  if (InbandDtmfDetector::spandspAvailable()) backends.push_back(DtmfDetectorBackend::Spandsp);
  for (int rate : {8000, 16000, 48000}) {
    std::vector<int16_t> audio = tone(rate, 1000, 3.0, 10000);
    audio.resize(audio.size() + static_cast<std::size_t>(rate), 0);
    for (DtmfDetectorBackend b : backends) {
      CAPTURE(rate);
      CAPTURE(static_cast<int>(b));
      CHECK(detect(audio, rate, b).empty());
    }
  }
}
