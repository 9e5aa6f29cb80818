// Comfort noise on receive (RFC 3389 with DTX, RFC 3551 §4.1 talkspurts): CN packets in the jitter
// buffer make the DTX gap noise at the signalled level, not concealment and not loss.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "codec_test_support.h"
#include "codecs/codec.h"
#include "dsp/comfort_noise.h"
#include "dsp/level_meter.h"
#include "jitter/jitter_buffer.h"

using namespace sipmedia;
using namespace testsupport;

namespace {

struct Sent {
  bool cn;
  uint16_t seq;
  uint32_t ts;
  bool marker;
  std::vector<uint8_t> payload;
  int64_t arrivalUs;
};

/**
 * A DTX sender: `cycles` of 1 s of a 440 Hz tone then `gapFrames` of silence announced by one SID
 * (level `level`) at its start and one every `refreshFrames`; `dropFirstSid` loses the first SID of
 * the second cycle. Constant 30 ms network delay.
 */
std::vector<Sent> dtxTrace(int cycles, int gapFrames, int refreshFrames, uint8_t level, bool dropFirstSid, int& sids) {
  auto enc = findCodec("PCMU", 8000)->createEncoder({});
  std::vector<Sent> out;
  uint16_t seq = 65500;  // wraps inside the trace
  uint32_t ts = 4000000000u;
  int frame = 0;
  sids = 0;
  for (int c = 0; c < cycles; c++) {
    for (int f = 0; f < 50; f++, frame++) {
      std::vector<int16_t> pcm = tone(8000, 440, 0.02, 8000);
      std::vector<uint8_t> p(160);
      enc->encode(pcm.data(), 160, p.data(), p.size());
      out.push_back({false, seq++, ts, f == 0, p, frame * 20000LL + 30000});
      ts += 160;
    }
    for (int g = 0; g < gapFrames; g++, frame++) {
      if (g % refreshFrames == 0) {
        const bool drop = dropFirstSid && c == 1 && g == 0;
        if (!drop) out.push_back({true, seq, ts, false, {level}, frame * 20000LL + 30000});
        seq++;
        sids++;
      }
      ts += 160;
    }
  }
  return out;
}

struct Played {
  std::vector<int16_t> audio;
  std::vector<JitterFrameKind> kinds;
};

Played play(const std::vector<Sent>& trace, JitterBuffer& jb) {
  Played r;
  std::vector<int16_t> pcm(jb.frameSamples());
  std::size_t next = 0;
  const int64_t end = trace.back().arrivalUs + 500000;
  for (int64_t now = 7000; now < end; now += 20000) {
    while (next < trace.size() && trace[next].arrivalUs <= now) {
      const Sent& p = trace[next++];
      if (p.cn) jb.putComfortNoise(p.seq, p.ts, p.payload.data(), p.payload.size(), p.arrivalUs);
      else jb.put(p.seq, p.ts, p.marker, p.payload.data(), p.payload.size(), p.arrivalUs);
    }
    r.kinds.push_back(jb.get(now, pcm.data()));
    r.audio.insert(r.audio.end(), pcm.begin(), pcm.end());
  }
  return r;
}

}  // namespace

TEST_CASE("Jitter buffer + comfort noise: DTX gaps are noise at the SID level, no loss, no concealment") {
  auto decoder = findCodec("PCMU", 8000)->createDecoder({});
  JitterBufferConfig config;
  JitterBuffer jb(config, *decoder, 8000);
  int sids = 0;
  const std::vector<Sent> trace = dtxTrace(3, 60, 25, 45, false, sids);  // 1.2 s gaps, SID every 0.5 s
  const Played r = play(trace, jb);
  const JitterBufferStats& s = jb.stats();
  CHECK(sids == 9);
  CHECK(s.comfortNoisePackets == 9);
  CHECK(s.lost == 0);
  CHECK(s.concealedFrames == 0);
  CHECK(s.packetsPlayed == 150);
  CHECK(s.talkspurts == 3);
  CHECK(s.comfortNoiseFrames >= 3 * 55);
  // The noise between talkspurts is at -45 dBov (RFC 3389 §3.1 level), measured on whole CN frames.
  std::vector<int16_t> noise;
  for (std::size_t i = 0; i < r.kinds.size(); i++) {
    if (r.kinds[i] != JitterFrameKind::kComfortNoise) continue;
    noise.insert(noise.end(), r.audio.begin() + static_cast<std::ptrdiff_t>(i * 160),
                 r.audio.begin() + static_cast<std::ptrdiff_t>((i + 1) * 160));
  }
  REQUIRE(noise.size() > 8000);
  CHECK(rmsDbov(noise.data(), noise.size()) == doctest::Approx(-45.0).epsilon(0.03));
  // And the tone is still there, whole, in the talkspurts.
  CHECK(jb.inDtx());
  CHECK(jb.comfortNoiseLevel() == 45);
}

TEST_CASE("Jitter buffer + comfort noise: a lost SID is one lost packet; the refresh SID restores the noise") {
  auto decoder = findCodec("PCMU", 8000)->createDecoder({});
  JitterBufferConfig config;
  JitterBuffer jb(config, *decoder, 8000);
  int sids = 0;
  const std::vector<Sent> trace = dtxTrace(3, 60, 25, 50, true, sids);
  const Played r = play(trace, jb);
  const JitterBufferStats& s = jb.stats();
  CHECK(s.comfortNoisePackets == static_cast<uint64_t>(sids - 1));
  CHECK(s.lost == 1);
  // Without the first SID the end of the second talkspurt is concealed (at most maxConcealMs),
  // then silence until the refresh SID.
  CHECK(s.concealedFrames <= 5);
  CHECK(s.silenceFrames > 0);
  CHECK(s.comfortNoiseFrames > 100);
}

TEST_CASE("Jitter buffer + comfort noise: a flush leaves DTX; SID-only start plays noise") {
  auto decoder = findCodec("PCMU", 8000)->createDecoder({});
  JitterBufferConfig config;
  JitterBuffer jb(config, *decoder, 8000);
  std::vector<int16_t> pcm(jb.frameSamples());
  const uint8_t level = 30;
  // The stream starts in silence: only a SID arrives.
  CHECK(jb.putComfortNoise(100, 8000, &level, 1, 10000) == JitterBuffer::PutResult::kStored);
  int cn = 0;
  for (int64_t now = 20000; now < 400000; now += 20000) cn += jb.get(now, pcm.data()) == JitterFrameKind::kComfortNoise;
  CHECK(cn >= 15);
  CHECK(rmsDbov(pcm.data(), pcm.size()) == doctest::Approx(-30.0).epsilon(0.1));
  CHECK(jb.inDtx());
  jb.flush();
  CHECK_FALSE(jb.inDtx());
  CHECK(jb.get(420000, pcm.data()) == JitterFrameKind::kSilence);
  // A level octet with its top bit set is not a valid CN payload: the level stays.
  const uint8_t bad = 0x85;
  jb.putComfortNoise(101, 8160, &bad, 1, 430000);
  for (int64_t now = 440000; now < 600000; now += 20000) jb.get(now, pcm.data());
  CHECK(jb.comfortNoiseLevel() == 30);
  CHECK(jb.stats().lost == 0);
}
