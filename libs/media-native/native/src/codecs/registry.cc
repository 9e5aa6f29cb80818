// The codec table of this build (codec.h): every codec the engine knows, available or not,
// in the engine's default priority order.
#include <algorithm>
#include <cctype>

#include "codecs/codec.h"

namespace sipmedia {

const CodecFactory& opusFactory();
const CodecFactory& g722Factory();
const CodecFactory& pcmuFactory();
const CodecFactory& pcmaFactory();
const CodecFactory& g729Factory();
const CodecFactory& ilbcFactory();
const CodecFactory& isacFactory();

const std::vector<const CodecFactory*>& codecTable() {
  // Priority order: wideband first (Opus, G.722), then G.711, then G.729; the rows not
  // implemented yet (iLBC, iSAC) last. Unavailable rows stay listed with their reason.
  static const std::vector<const CodecFactory*> table = {&opusFactory(), &g722Factory(), &pcmuFactory(), &pcmaFactory(),
                                                         &g729Factory(), &ilbcFactory(), &isacFactory()};
  return table;
}

static bool equalsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

const CodecFactory* findCodec(const std::string& name, int rtpClockRate, int channels) {
  for (const CodecFactory* f : codecTable()) {
    const CodecInfo& i = f->info();
    if (equalsIgnoreCase(i.name, name) && i.rtpClockRate == rtpClockRate && (channels == i.channels || channels == 1)) return f;
  }
  return nullptr;
}

}  // namespace sipmedia
