// Interop with ffmpeg (Debian package ffmpeg): ffmpeg decodes what our G.722 and G.729 encoders
// produce, and our decoders decode what ffmpeg encodes (G.722; ffmpeg has no G.729 encoder, so
// for G.729 our decoder is checked against ffmpeg's decoder on the same bitstream). Raw streams:
// `-f g722` (one octet per two 16 kHz samples) and `-f g729` (10-octet frames, 8 kbit/s).
// Source audio is generated with sox at test time.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"

using namespace sipmedia;
using namespace testsupport;

#if defined(HAVE_SPANDSP) || defined(HAVE_BCG729)
namespace {

/** Test audio made by sox (no dither, so runs are reproducible), s16le mono. */
std::vector<int16_t> soxSource(const TempDir& dir, int rate, const std::string& synth) {
  requireTool("sox", "sox");
  const std::string path = dir.file("src-" + std::to_string(rate) + ".raw");
  run("sox -D -n -r " + std::to_string(rate) + " -c 1 -b 16 -e signed-integer -t raw '" + path + "' " + synth, dir.file("sox.log"));
  std::vector<int16_t> pcm = readPcm(path);
  REQUIRE(pcm.size() > static_cast<std::size_t>(rate));
  return pcm;
}

std::vector<uint8_t> encodeStream(Encoder& enc, const std::vector<int16_t>& pcm, std::size_t frame) {
  std::vector<uint8_t> stream, buf(1500);
  for (std::size_t off = 0; off + frame <= pcm.size(); off += frame) {
    const int n = enc.encode(pcm.data() + off, frame, buf.data(), buf.size());
    REQUIRE(n > 0);
    stream.insert(stream.end(), buf.begin(), buf.begin() + n);
  }
  return stream;
}

std::vector<int16_t> decodeStream(Decoder& dec, const std::vector<uint8_t>& stream, std::size_t payload) {
  std::vector<int16_t> pcm, buf(4096);
  for (std::size_t off = 0; off + payload <= stream.size(); off += payload) {
    const int n = dec.decode(stream.data() + off, payload, buf.data(), buf.size());
    REQUIRE(n > 0);
    pcm.insert(pcm.end(), buf.begin(), buf.begin() + n);
  }
  return pcm;
}

}  // namespace
#endif

#ifdef HAVE_SPANDSP
TEST_CASE("interop G.722: ffmpeg decodes our stream; we decode ffmpeg's stream (correlation > 0.9)") {
  requireTool("ffmpeg", "ffmpeg");
  TempDir dir;
  const std::vector<int16_t> src = soxSource(dir, 16000, "synth 3 sine 440 sine 2500 remix 1-2 gain -n -6 fade 0.1 3 0.1");
  const CodecFactory* f = findCodec("G722", 8000);

  // Ours -> ffmpeg.
  auto enc = f->createEncoder({});
  const std::vector<uint8_t> ours = encodeStream(*enc, src, 320);
  writeBytes(dir.file("ours.g722"), ours.data(), ours.size());
  run("ffmpeg -hide_banner -nostdin -y -f g722 -i '" + dir.file("ours.g722") + "' -f s16le -ar 16000 -ac 1 '" + dir.file("ffdec.raw") + "'", dir.file("ff1.log"));
  const std::vector<int16_t> ffdec = readPcm(dir.file("ffdec.raw"));
  int lag = 0;
  const double c1 = alignedCorrelation(src, ffdec, 400, lag, 1600);
  MESSAGE("G.722 ours -> ffmpeg: correlation " << c1 << " at lag " << lag);
  CHECK(c1 > 0.9);
  // Same level (no 6 dB scaling mistakes in either implementation).
  CHECK(rms(ffdec.data() + 1600, 16000) == doctest::Approx(rms(src.data() + 1600, 16000)).epsilon(0.15));

  // ffmpeg -> ours.
  run("ffmpeg -hide_banner -nostdin -y -f s16le -ar 16000 -ac 1 -i '" + dir.file("src-16000.raw") + "' -c:a g722 -f g722 '" + dir.file("ff.g722") + "'", dir.file("ff2.log"));
  const std::vector<uint8_t> theirs = readBytes(dir.file("ff.g722"));
  REQUIRE(theirs.size() >= src.size() / 2 - 160);
  auto dec = f->createDecoder({});
  const std::vector<int16_t> ourdec = decodeStream(*dec, theirs, 160);
  const double c2 = alignedCorrelation(src, ourdec, 400, lag, 1600);
  MESSAGE("G.722 ffmpeg -> ours: correlation " << c2 << " at lag " << lag);
  CHECK(c2 > 0.9);
}
#endif

#ifdef HAVE_BCG729
TEST_CASE("interop G.729: ffmpeg decodes our stream (correlation > 0.9); our decoder matches ffmpeg's") {
  requireTool("ffmpeg", "ffmpeg");
  TempDir dir;
  const std::vector<int16_t> src = soxSource(dir, 8000, "synth 3 sine 450 sine 600 remix 1v0.6,2v0.4 gain -n -9 fade 0.1 3 0.1");
  const CodecFactory* f = findCodec("G729", 8000);
  auto enc = f->createEncoder({});
  const std::vector<uint8_t> ours = encodeStream(*enc, src, 160);
  REQUIRE(ours.size() == src.size() / 160 * 20);
  writeBytes(dir.file("ours.g729"), ours.data(), ours.size());
  run("ffmpeg -hide_banner -nostdin -y -f g729 -i '" + dir.file("ours.g729") + "' -f s16le -ar 8000 -ac 1 '" + dir.file("ffdec.raw") + "'", dir.file("ff.log"));
  const std::vector<int16_t> ffdec = readPcm(dir.file("ffdec.raw"));
  REQUIRE(ffdec.size() >= src.size() - 160);
  int lag = 0;
  const double c1 = alignedCorrelation(src, ffdec, 200, lag, 800);
  MESSAGE("G.729 ours -> ffmpeg: correlation " << c1 << " at lag " << lag);
  CHECK(c1 > 0.9);

  // bcg729 round trip and ffmpeg's decoder on the same bitstream agree.
  auto dec = f->createDecoder({});
  const std::vector<int16_t> ourdec = decodeStream(*dec, ours, 20);
  const double c2 = alignedCorrelation(src, ourdec, 200, lag, 800);
  MESSAGE("G.729 ours -> ours: correlation " << c2 << " at lag " << lag);
  CHECK(c2 > 0.9);
  const double c3 = alignedCorrelation(ourdec, ffdec, 40, lag, 800);
  MESSAGE("G.729 our decoder vs ffmpeg's: correlation " << c3 << " at lag " << lag);
  CHECK(c3 > 0.9);
}
#endif

#if !defined(HAVE_SPANDSP) || !defined(HAVE_BCG729)
TEST_CASE("interop: a codec library is missing from this build") {
  FAIL("ffmpeg interop needs spandsp (G.722) and bcg729 (G.729): install libspandsp-dev libbcg729-dev and rebuild");
}
#endif
