// G.722 (ITU-T G.722, 7 kHz audio at 64 kbit/s) through spandsp's public g722_encode/g722_decode
// API. RFC 3551 §4.5.2: the sampling rate is 16 000 Hz but the RTP clock rate is 8000 Hz "for
// historical reasons", static payload type 9; one octet carries two 16 kHz samples, so a 20 ms
// packet is 320 samples -> 160 octets. Loss is concealed with the generic PLC (plc.h).
#include <cstring>
#include <memory>

#include "codecs/codec.h"
#include "codecs/plc.h"
#include "codecs/unavailable.h"

#ifdef HAVE_SPANDSP
#include <spandsp.h>
#endif

namespace sipmedia {
namespace {

CodecInfo g722Info() {
  CodecInfo i;
  i.name = "G722";
  i.rtpClockRate = 8000;  // RFC 3551 §4.5.2: the RTP clock rate is 8000 Hz although audio is 16 kHz
  i.sampleRate = 16000;
  i.channels = 1;
  i.staticPayloadType = 9;  // RFC 3551 Table 4
  i.frameMs = 20;
  i.available = true;
  return i;
}

#ifdef HAVE_SPANDSP
constexpr int kBitRate = 64000;  // G.722 mode 1; RFC 3551 §4.5.2 uses the 64 kbit/s mode

class G722Encoder final : public Encoder {
 public:
  explicit G722Encoder(const CodecInfo& info) : info_(info), state_(g722_encode_init(nullptr, kBitRate, 0)) {}
  ~G722Encoder() override {
    if (state_ != nullptr) g722_encode_free(state_);
  }
  G722Encoder(const G722Encoder&) = delete;
  G722Encoder& operator=(const G722Encoder&) = delete;
  bool ok() const { return state_ != nullptr; }
  const CodecInfo& info() const override { return info_; }
  int encode(const int16_t* pcm, std::size_t samples, uint8_t* out, std::size_t cap) override {
    // Two samples per octet at 64 kbit/s; an odd sample count cannot be coded.
    if (samples % 2 != 0 || samples / 2 > cap) return -1;
    return g722_encode(state_, out, pcm, static_cast<int>(samples));
  }

 private:
  const CodecInfo& info_;
  g722_encode_state_t* state_;
};

class G722Decoder final : public Decoder {
 public:
  explicit G722Decoder(const CodecInfo& info) : info_(info), state_(g722_decode_init(nullptr, kBitRate, 0)), plc_(16000) {}
  ~G722Decoder() override {
    if (state_ != nullptr) g722_decode_free(state_);
  }
  G722Decoder(const G722Decoder&) = delete;
  G722Decoder& operator=(const G722Decoder&) = delete;
  bool ok() const { return state_ != nullptr; }
  const CodecInfo& info() const override { return info_; }
  int decode(const uint8_t* payload, std::size_t size, int16_t* pcm, std::size_t cap) override {
    if (size * 2 > cap) return -1;
    const int n = g722_decode(state_, pcm, payload, static_cast<int>(size));
    if (n > 0) plc_.remember(pcm, static_cast<std::size_t>(n));
    return n;
  }
  int conceal(int16_t* pcm, std::size_t samples) override { return plc_.conceal(pcm, samples); }

 private:
  const CodecInfo& info_;
  g722_decode_state_t* state_;
  PacketLossConcealer plc_;
};

class G722Factory final : public CodecFactory {
 public:
  const CodecInfo& info() const override { return info_; }
  std::unique_ptr<Encoder> createEncoder(const CodecOptions&) const override {
    auto e = std::make_unique<G722Encoder>(info_);
    return e->ok() ? std::move(e) : nullptr;
  }
  std::unique_ptr<Decoder> createDecoder(const CodecOptions&) const override {
    auto d = std::make_unique<G722Decoder>(info_);
    return d->ok() ? std::move(d) : nullptr;
  }

 private:
  CodecInfo info_ = g722Info();
};
#endif

}  // namespace

const CodecFactory& g722Factory() {
#ifdef HAVE_SPANDSP
  static const G722Factory f;
#else
  static const UnavailableCodecFactory f(g722Info(), "spandsp not found at build time (install libspandsp-dev)");
#endif
  return f;
}

}  // namespace sipmedia
