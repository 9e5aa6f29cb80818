#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codecs/codec.h"
#include "codecs/fmtp.h"

using namespace sipmedia;

TEST_CASE("codec table: priority order opus, G722, PCMU, PCMA, G729, iLBC, iSAC") {
  std::vector<std::string> names;
  for (const CodecFactory* f : codecTable()) names.push_back(f->info().name);
  CHECK(names == std::vector<std::string>{"opus", "G722", "PCMU", "PCMA", "G729", "iLBC", "iSAC"});
}

TEST_CASE("codec table: SDP facts of each row") {
  const CodecInfo& opus = findCodec("OPUS", 48000, 2)->info();
  CHECK(opus.rtpClockRate == 48000);
  CHECK(opus.sampleRate == 48000);
  CHECK(opus.channels == 2);  // RFC 7587: opus/48000/2
  CHECK(opus.staticPayloadType == -1);
  CHECK(opus.defaultFmtp == "useinbandfec=1");
  CHECK(findCodec("opus", 48000) == findCodec("opus", 48000, 2));  // rtpmap without channels

  const CodecInfo& g722 = findCodec("g722", 8000)->info();
  CHECK(g722.rtpClockRate == 8000);  // RFC 3551 §4.5.2
  CHECK(g722.sampleRate == 16000);
  CHECK(g722.staticPayloadType == 9);
  CHECK(findCodec("G722", 16000) == nullptr);

  const CodecInfo& g729 = findCodec("G729", 8000)->info();
  CHECK(g729.staticPayloadType == 18);
  CHECK(g729.defaultFmtp == "annexb=no");
  CHECK(g729.frameMs == 20);
  CHECK(findCodec("G729", 8000, 2) == nullptr);

  for (const char* name : {"iLBC", "iSAC"}) {
    const CodecFactory* f = nullptr;
    for (const CodecFactory* c : codecTable())
      if (c->info().name == name) f = c;
    REQUIRE(f != nullptr);
    CHECK_FALSE(f->info().available);
    CHECK(f->info().unavailableReason == "not implemented in this build");
    CHECK(f->createEncoder({}) == nullptr);
    CHECK(f->createDecoder({}) == nullptr);
  }
}

TEST_CASE("codec table: availability follows the libraries of the build") {
#ifdef HAVE_OPUS
  CHECK(findCodec("opus", 48000)->info().available);
#else
  CHECK_FALSE(findCodec("opus", 48000)->info().available);
  CHECK(findCodec("opus", 48000)->info().unavailableReason.find("libopus") != std::string::npos);
#endif
#ifdef HAVE_SPANDSP
  CHECK(findCodec("G722", 8000)->info().available);
#else
  CHECK(findCodec("G722", 8000)->info().unavailableReason.find("spandsp") != std::string::npos);
#endif
#ifdef HAVE_BCG729
  CHECK(findCodec("G729", 8000)->info().available);
#else
  CHECK(findCodec("G729", 8000)->info().unavailableReason.find("bcg729") != std::string::npos);
#endif
  for (const CodecFactory* f : codecTable()) {
    if (f->info().available) {
      CHECK(f->createEncoder({}) != nullptr);
      CHECK(f->createDecoder({}) != nullptr);
    } else {
      CHECK_FALSE(f->info().unavailableReason.empty());
    }
  }
}

TEST_CASE("fmtp helpers: parameters, case, spaces, flags and numbers") {
  const std::string f = "useinbandfec=1; USEDTX=0;maxaveragebitrate = 20000 ; annexb=yes; flag";
  CHECK(fmtpValue(f, "maxaveragebitrate") == "20000");
  CHECK(fmtpIsSet(f, "useinbandfec"));
  CHECK_FALSE(fmtpIsSet(f, "usedtx"));
  CHECK(fmtpIsSet(f, "AnnexB"));
  CHECK_FALSE(fmtpIsSet(f, "stereo"));
  CHECK(fmtpInt(f, "maxaveragebitrate", 0) == 20000);
  CHECK(fmtpInt(f, "absent", 7) == 7);
  CHECK(fmtpValue(f, "flag", "x").empty());
  CHECK(fmtpValue("", "a", "d") == "d");
}
