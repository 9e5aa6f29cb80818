#include <doctest/doctest.h>

#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"

using namespace sipmedia;
using namespace testsupport;

#ifdef HAVE_OPUS
namespace {
constexpr std::size_t kFrame = 960;  // 20 ms at 48 kHz

std::vector<std::vector<uint8_t>> encodeAll(Encoder& enc, const std::vector<int16_t>& src) {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> buf(1500);
  for (std::size_t off = 0; off + kFrame <= src.size(); off += kFrame) {
    const int n = enc.encode(src.data() + off, kFrame, buf.data(), buf.size());
    REQUIRE(n >= 0);
    packets.emplace_back(buf.begin(), buf.begin() + n);
  }
  return packets;
}

double errorEnergy(const int16_t* a, const int16_t* b, std::size_t n) {
  double e = 0;
  for (std::size_t i = 0; i < n; i++) e += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return e;
}
}  // namespace

TEST_CASE("Opus: mono round trip at 48 kHz correlates > 0.9 with the source") {
  const CodecFactory* f = findCodec("opus", 48000, 2);
  auto enc = f->createEncoder({});
  auto dec = f->createDecoder({});
  REQUIRE(enc);
  REQUIRE(dec);
  CHECK(enc->pcmChannels() == 1);
  CHECK(dec->pcmChannels() == 1);
  const std::vector<int16_t> src = speechLike(48000, 2.0, 7000);
  std::vector<int16_t> out, pcm(5760);
  for (const auto& p : encodeAll(*enc, src)) {
    REQUIRE(!p.empty());
    const int n = dec->decode(p.data(), p.size(), pcm.data(), pcm.size());
    REQUIRE(n == static_cast<int>(kFrame));
    out.insert(out.end(), pcm.begin(), pcm.begin() + n);
  }
  int lag = 0;
  const double c = alignedCorrelation(src, out, 960, lag, 4800);
  MESSAGE("Opus round trip correlation " << c << " at lag " << lag);
  CHECK(c > 0.9);
  CHECK(enc->encode(src.data(), 1000, pcm.empty() ? nullptr : reinterpret_cast<uint8_t*>(pcm.data()), 100) == -1);  // not an Opus frame size
}

TEST_CASE("Opus: in-band FEC recovers a lost packet better than PLC") {
  CodecOptions o;
  o.fmtp = "useinbandfec=1; maxaveragebitrate=24000";
  const CodecFactory* f = findCodec("opus", 48000);
  auto enc = f->createEncoder(o);
  const std::vector<int16_t> src = speechLike(48000, 2.0, 7000);
  const auto packets = encodeAll(*enc, src);
  auto reference = f->createDecoder({});
  auto withPlc = f->createDecoder({});
  auto withFec = f->createDecoder({});
  std::vector<int16_t> ref(kFrame), plc(kFrame), fec(kFrame);
  double plcError = 0, fecError = 0;
  int trials = 0;
  // Lose every 10th packet (after warm-up): PLC conceals it, FEC decodes it from the next one.
  for (std::size_t i = 0; i + 1 < packets.size(); i++) {
    reference->decode(packets[i].data(), packets[i].size(), ref.data(), kFrame);
    if (i >= 10 && i % 10 == 0) {
      REQUIRE(withPlc->conceal(plc.data(), kFrame) == static_cast<int>(kFrame));
      REQUIRE(withFec->decodeFec(packets[i + 1].data(), packets[i + 1].size(), fec.data(), kFrame) == static_cast<int>(kFrame));
      plcError += errorEnergy(ref.data(), plc.data(), kFrame);
      fecError += errorEnergy(ref.data(), fec.data(), kFrame);
      trials++;
    } else {
      withPlc->decode(packets[i].data(), packets[i].size(), plc.data(), kFrame);
      withFec->decode(packets[i].data(), packets[i].size(), fec.data(), kFrame);
    }
  }
  REQUIRE(trials >= 5);
  MESSAGE("Opus loss error energy: PLC " << plcError << ", FEC " << fecError);
  CHECK(fecError < plcError * 0.5);
}

TEST_CASE("Opus: DTX sends nothing during silence; maxaveragebitrate caps the size") {
  CodecOptions dtx;
  dtx.dtx = true;
  auto enc = findCodec("opus", 48000)->createEncoder(dtx);
  std::vector<int16_t> src = speechLike(48000, 0.5, 7000);
  src.resize(48000 * 2, 0);
  int empty = 0;
  for (const auto& p : encodeAll(*enc, src)) empty += p.empty() ? 1 : 0;
  CHECK(empty > 40);

  CodecOptions low;
  low.fmtp = "maxaveragebitrate=10000";
  auto small = findCodec("opus", 48000)->createEncoder(low);
  auto big = findCodec("opus", 48000)->createEncoder(CodecOptions{"", false, false, 64000});
  const std::vector<int16_t> speech = speechLike(48000, 1.0, 7000);
  std::size_t smallBytes = 0, bigBytes = 0;
  for (const auto& p : encodeAll(*small, speech)) smallBytes += p.size();
  for (const auto& p : encodeAll(*big, speech)) bigBytes += p.size();
  CHECK(smallBytes * 8 < 10000 * 1.3);  // about 10 kbit/s over 1 s
  CHECK(bigBytes > smallBytes * 3);
}

TEST_CASE("Opus: stereo when fmtp asks for it") {
  CodecOptions o;
  o.fmtp = "stereo=1; sprop-stereo=1";
  auto enc = findCodec("opus", 48000)->createEncoder(o);
  auto dec = findCodec("opus", 48000)->createDecoder(o);
  CHECK(enc->pcmChannels() == 2);
  CHECK(dec->pcmChannels() == 2);
  std::vector<int16_t> pcm(2 * kFrame, 0), out(2 * 5760);
  std::vector<uint8_t> buf(1500);
  const int n = enc->encode(pcm.data(), pcm.size(), buf.data(), buf.size());
  REQUIRE(n > 0);
  CHECK(dec->decode(buf.data(), static_cast<std::size_t>(n), out.data(), out.size()) == static_cast<int>(2 * kFrame));
}
#else
TEST_CASE("Opus: unavailable without libopus") { CHECK_FALSE(findCodec("opus", 48000)->info().available); }
#endif
