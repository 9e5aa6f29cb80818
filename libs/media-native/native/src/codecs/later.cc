// Codecs that have their place in the table for a later issue but no implementation in this
// build: listed (so the endpoint can report them) and never offered.
#include "codecs/codec.h"
#include "codecs/unavailable.h"

namespace sipmedia {
namespace {

CodecInfo row(const char* name, int clock, int frameMs, const char* fmtp) {
  CodecInfo i;
  i.name = name;
  i.rtpClockRate = clock;
  i.sampleRate = clock;
  i.channels = 1;
  i.staticPayloadType = -1;
  i.defaultFmtp = fmtp;
  i.frameMs = frameMs;
  return i;
}

}  // namespace

const CodecFactory& ilbcFactory() {
  // RFC 3952 §4.2: iLBC, 8000 Hz, dynamic payload type, fmtp mode=20|30.
  static const UnavailableCodecFactory f(row("iLBC", 8000, 30, "mode=30"), "not implemented in this build");
  return f;
}

const CodecFactory& isacFactory() {
  // iSAC (draft-ietf-avt-rtp-isac): 16000 Hz wideband, dynamic payload type, 30 ms frames.
  static const UnavailableCodecFactory f(row("iSAC", 16000, 30, ""), "not implemented in this build");
  return f;
}

}  // namespace sipmedia
