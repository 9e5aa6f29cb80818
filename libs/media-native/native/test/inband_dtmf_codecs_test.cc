// In-band DTMF detection on received audio (issue 4 "in-band generation and detection"): our
// generated digits through each codec's encoder and decoder, then both detectors (ours and
// spandsp's when the build has it), as the engine's receive path does after decode; and no
// digit in a steady 1 kHz tone.
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

/** `digits` generated at the codec's rate (80 ms tones, 80 ms gaps), coded and decoded in 20 ms frames. */
std::vector<int16_t> throughCodec(const CodecFactory& f, const std::string& digits) {
  const CodecInfo& info = f.info();
  auto enc = f.createEncoder({info.defaultFmtp});
  auto dec = f.createDecoder({info.defaultFmtp});
  REQUIRE(enc);
  REQUIRE(dec);
  const int rate = info.sampleRate;
  DtmfToneOptions o;
  o.sampleRate = rate;
  o.toneMs = 80;
  o.gapMs = 80;
  DtmfToneGenerator gen(o);
  REQUIRE(gen.enqueue(digits));
  const std::size_t frame = static_cast<std::size_t>(rate / 50);
  const int ech = enc->pcmChannels();
  const int dch = dec->pcmChannels();
  std::vector<int16_t> mono(frame), in(frame * 2), out(frame * 2 * 6);
  std::vector<uint8_t> payload(4000);
  std::vector<int16_t> result;
  // 200 ms of silence first (codec start-up), then the digits (and their gaps), then 200 ms of
  // silence (generate() writes silence once the queue is empty).
  int after = 0;
  for (int i = 0; i < 400 && after < 10; i++) {
    if (i >= 10) {
      if (!gen.busy()) after++;
      gen.generate(mono.data(), frame);
    } else {
      std::fill(mono.begin(), mono.end(), int16_t{0});
    }
    for (std::size_t k = 0; k < frame; k++)
      for (int c = 0; c < ech; c++) in[k * ech + c] = mono[k];
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

}  // namespace

TEST_CASE("In-band DTMF through codecs: what the engine's receive path decodes is detected") {
  const std::string digits = "159#*0D";
  std::vector<DtmfDetectorBackend> backends = {DtmfDetectorBackend::Goertzel};
  if (InbandDtmfDetector::spandspAvailable()) backends.push_back(DtmfDetectorBackend::Spandsp);
  struct Case {
    const char* name;
    int clock;
  };
  for (const Case c : {Case{"PCMU", 8000}, Case{"PCMA", 8000}, Case{"G722", 8000}, Case{"G729", 8000}, Case{"opus", 48000}}) {
    const CodecFactory* f = findCodec(c.name, c.clock, c.clock == 48000 ? 2 : 1);
    REQUIRE(f != nullptr);
    if (!f->info().available) {
      MESSAGE(c.name << " not in this build: " << f->info().unavailableReason);
      continue;
    }
    const std::vector<int16_t> audio = throughCodec(*f, digits);
    for (DtmfDetectorBackend b : backends) {
      CAPTURE(c.name);
      CAPTURE(static_cast<int>(b));
      const std::string got = detect(audio, f->info().sampleRate, b);
      // G.729 (CS-ACELP, 8 kbit/s) models speech, not tone pairs: the digits survive it here (our
      // tones at -10/-8 dBm0), which is not guaranteed for every level or twist.
      CHECK(got == digits);
    }
  }
}

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
