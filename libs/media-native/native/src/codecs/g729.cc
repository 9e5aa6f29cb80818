// G.729 Annex A (CS-ACELP, 8 kbit/s) with optional Annex B (VAD/DTX/CNG) through bcg729's public
// API (bcg729 implements the Annex A encoder and decoder). RFC 3551 §4.5.6: 8000 Hz, static
// payload type 18, 10 ms frames of 10 octets; a packet holds zero or more 10-octet frames
// followed by at most one 2-octet Annex B SID frame. We send 20 ms packets of two frames.
// RFC 4856 / RFC 3551 §4.5.6: fmtp `annexb=yes|no`; we offer `annexb=no` and only run VAD/DTX
// when asked (`annexb=yes` or CodecOptions::dtx). The decoder always accepts SID frames.
#include <algorithm>
#include <memory>

#include "codecs/codec.h"
#include "codecs/fmtp.h"
#include "codecs/unavailable.h"

#ifdef HAVE_BCG729
extern "C" {
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}
#endif

namespace sipmedia {
namespace {

CodecInfo g729Info() {
  CodecInfo i;
  i.name = "G729";
  i.rtpClockRate = 8000;
  i.sampleRate = 8000;
  i.channels = 1;
  i.staticPayloadType = 18;  // RFC 3551 Table 4
  i.defaultFmtp = "annexb=no";
  i.frameMs = 20;
  i.available = true;
  return i;
}

#ifdef HAVE_BCG729
constexpr std::size_t kFrameSamples = 80;  // 10 ms at 8 kHz
constexpr std::size_t kFrameBytes = 10;    // RFC 3551 §4.5.6: 80 bits per 10 ms frame
constexpr std::size_t kSidBytes = 2;       // RFC 3551 §4.5.6: Annex B SID frame, 15 bits in 2 octets

class G729Encoder final : public Encoder {
 public:
  G729Encoder(const CodecInfo& info, bool vad) : info_(info), ctx_(initBcg729EncoderChannel(vad ? 1 : 0)) {}
  ~G729Encoder() override {
    if (ctx_ != nullptr) closeBcg729EncoderChannel(ctx_);
  }
  G729Encoder(const G729Encoder&) = delete;
  G729Encoder& operator=(const G729Encoder&) = delete;
  bool ok() const { return ctx_ != nullptr; }
  const CodecInfo& info() const override { return info_; }
  int encode(const int16_t* pcm, std::size_t samples, uint8_t* out, std::size_t cap) override {
    if (samples == 0 || samples % kFrameSamples != 0) return -1;
    const std::size_t frames = samples / kFrameSamples;
    std::size_t size = 0;
    bool sidPending = false;
    uint8_t sid[kSidBytes] = {0, 0};
    for (std::size_t f = 0; f < frames; f++) {
      uint8_t bits[kFrameBytes];
      uint8_t len = 0;
      bcg729Encoder(ctx_, pcm + f * kFrameSamples, bits, &len);
      if (len == kFrameBytes) {
        // RFC 3551 §4.5.6: a SID frame may only be the last frame of a packet. A SID followed by
        // speech in the same 20 ms is dropped: the decoder keeps its previous noise estimate.
        sidPending = false;
        if (size + kFrameBytes > cap) return -1;
        std::copy(bits, bits + kFrameBytes, out + size);
        size += kFrameBytes;
      } else if (len == kSidBytes) {
        sidPending = true;
        sid[0] = bits[0];
        sid[1] = bits[1];
      }  // len 0: Annex B untransmitted frame
    }
    if (sidPending) {
      if (size + kSidBytes > cap) return -1;
      out[size++] = sid[0];
      out[size++] = sid[1];
    }
    return static_cast<int>(size);  // 0: nothing to send (DTX)
  }

 private:
  const CodecInfo& info_;
  bcg729EncoderChannelContextStruct* ctx_;
};

class G729Decoder final : public Decoder {
 public:
  explicit G729Decoder(const CodecInfo& info) : info_(info), ctx_(initBcg729DecoderChannel()) {}
  ~G729Decoder() override {
    if (ctx_ != nullptr) closeBcg729DecoderChannel(ctx_);
  }
  G729Decoder(const G729Decoder&) = delete;
  G729Decoder& operator=(const G729Decoder&) = delete;
  bool ok() const { return ctx_ != nullptr; }
  const CodecInfo& info() const override { return info_; }
  int decode(const uint8_t* payload, std::size_t size, int16_t* pcm, std::size_t cap) override {
    const std::size_t frames = size / kFrameBytes;
    const std::size_t rest = size % kFrameBytes;
    // RFC 3551 §4.5.6: N 10-octet frames, optionally followed by one 2-octet SID frame.
    if (size == 0 || (rest != 0 && rest != kSidBytes)) return -1;
    const std::size_t total = (frames + (rest != 0 ? 1 : 0)) * kFrameSamples;
    if (total > cap) return -1;
    for (std::size_t f = 0; f < frames; f++) {
      bcg729Decoder(ctx_, payload + f * kFrameBytes, static_cast<uint8_t>(kFrameBytes), 0, 0, 0, pcm + f * kFrameSamples);
    }
    if (rest == kSidBytes) {
      bcg729Decoder(ctx_, payload + frames * kFrameBytes, static_cast<uint8_t>(kSidBytes), 0, 1, 0, pcm + frames * kFrameSamples);
    }
    return static_cast<int>(total);
  }
  int conceal(int16_t* pcm, std::size_t samples) override {
    // G.729 §4.4 frame erasure concealment (or Annex B comfort noise after a SID), by bcg729.
    const std::size_t frames = samples / kFrameSamples;
    for (std::size_t f = 0; f < frames; f++) bcg729Decoder(ctx_, nullptr, 0, 1, 0, 0, pcm + f * kFrameSamples);
    for (std::size_t i = frames * kFrameSamples; i < samples; i++) pcm[i] = 0;
    return static_cast<int>(samples);
  }

 private:
  const CodecInfo& info_;
  bcg729DecoderChannelContextStruct* ctx_;
};

class G729Factory final : public CodecFactory {
 public:
  const CodecInfo& info() const override { return info_; }
  std::unique_ptr<Encoder> createEncoder(const CodecOptions& o) const override {
    // RFC 4856: annexb=yes allows Annex B; we use it only when asked (fmtp or options.dtx).
    const bool vad = o.dtx || fmtpIsSet(o.fmtp, "annexb");
    auto e = std::make_unique<G729Encoder>(info_, vad);
    return e->ok() ? std::move(e) : nullptr;
  }
  std::unique_ptr<Decoder> createDecoder(const CodecOptions&) const override {
    auto d = std::make_unique<G729Decoder>(info_);
    return d->ok() ? std::move(d) : nullptr;
  }

 private:
  CodecInfo info_ = g729Info();
};
#endif

}  // namespace

const CodecFactory& g729Factory() {
#ifdef HAVE_BCG729
  static const G729Factory f;
#else
  static const UnavailableCodecFactory f(g729Info(), "libbcg729 not found at build time (install libbcg729-dev)");
#endif
  return f;
}

}  // namespace sipmedia
