// Opus (RFC 6716) through libopus's public API, with the RTP payload format of RFC 7587:
// RFC 7587 §4.1: the RTP timestamp clock is always 48000 Hz; §7: a=rtpmap is `opus/48000/2`
// whatever the stream's channel count. Mono by default; stereo PCM when fmtp says `stereo=1`
// (encoder: the remote wants stereo) or `sprop-stereo=1` (decoder: the remote sends stereo).
// FEC (`useinbandfec`), DTX (`usedtx`), `maxaveragebitrate`, `maxplaybackrate` and `cbr` are
// read from fmtp and from CodecOptions. Loss: the decoder's own PLC (opus_decode with no data)
// and in-band FEC of the next packet (decodeFec).
#include <algorithm>
#include <memory>

#include "codecs/codec.h"
#include "codecs/fmtp.h"
#include "codecs/unavailable.h"

#ifdef HAVE_OPUS
#include <opus.h>
#endif

namespace sipmedia {
namespace {

CodecInfo opusInfo() {
  CodecInfo i;
  i.name = "opus";
  i.rtpClockRate = 48000;  // RFC 7587 §4.1
  i.sampleRate = 48000;
  i.channels = 2;  // RFC 7587 §7: "the number of channels MUST be 2" in a=rtpmap
  i.staticPayloadType = -1;
  // RFC 7587 §6.1: useinbandfec=1 tells the sender that we can use its in-band FEC.
  i.defaultFmtp = "useinbandfec=1";
  i.frameMs = 20;
  i.available = true;
  return i;
}

#ifdef HAVE_OPUS
constexpr int kRate = 48000;
constexpr int kFecExpectedLossPercent = 10;

/** Opus frame sizes at 48 kHz (RFC 6716 §2.1.4: 2.5, 5, 10, 20, 40 or 60 ms). */
bool validFrame(std::size_t perChannel) {
  switch (perChannel) {
    case 120: case 240: case 480: case 960: case 1920: case 2880: return true;
    default: return false;
  }
}

class OpusEnc final : public Encoder {
 public:
  OpusEnc(const CodecInfo& info, const CodecOptions& o) : info_(info) {
    channels_ = fmtpIsSet(o.fmtp, "stereo") ? 2 : 1;
    int err = OPUS_OK;
    enc_ = opus_encoder_create(kRate, channels_, OPUS_APPLICATION_VOIP, &err);
    if (err != OPUS_OK) enc_ = nullptr;
    if (enc_ == nullptr) return;
    // RFC 7587 §6.1: maxaveragebitrate is the receiver's cap on the average bitrate (6000..510000).
    long bitrate = o.bitrate > 0 ? o.bitrate : 0;
    const long cap = fmtpInt(o.fmtp, "maxaveragebitrate", 0);
    if (cap > 0) bitrate = bitrate > 0 ? std::min(bitrate, cap) : cap;
    if (bitrate > 0) opus_encoder_ctl(enc_, OPUS_SET_BITRATE(static_cast<opus_int32>(std::clamp(bitrate, 6000L, 510000L))));
    // RFC 7587 §6.1: useinbandfec=1 means the receiver can take advantage of in-band FEC.
    if (o.fec || fmtpIsSet(o.fmtp, "useinbandfec")) {
      opus_encoder_ctl(enc_, OPUS_SET_INBAND_FEC(1));
      // libopus only spends bits on FEC when it expects some loss.
      opus_encoder_ctl(enc_, OPUS_SET_PACKET_LOSS_PERC(kFecExpectedLossPercent));
    }
    // RFC 7587 §6.1: usedtx=1: the receiver prefers discontinuous transmission.
    dtx_ = o.dtx || fmtpIsSet(o.fmtp, "usedtx");
    if (dtx_) opus_encoder_ctl(enc_, OPUS_SET_DTX(1));
    // RFC 7587 §6.1: cbr=1: the receiver prefers constant bitrate.
    if (fmtpIsSet(o.fmtp, "cbr")) opus_encoder_ctl(enc_, OPUS_SET_VBR(0));
    // RFC 7587 §6.1: maxplaybackrate: no point encoding a wider band than the receiver renders.
    const long playback = fmtpInt(o.fmtp, "maxplaybackrate", 48000);
    const int bw = playback <= 8000 ? OPUS_BANDWIDTH_NARROWBAND
                   : playback <= 12000 ? OPUS_BANDWIDTH_MEDIUMBAND
                   : playback <= 16000 ? OPUS_BANDWIDTH_WIDEBAND
                   : playback <= 24000 ? OPUS_BANDWIDTH_SUPERWIDEBAND
                                       : OPUS_BANDWIDTH_FULLBAND;
    opus_encoder_ctl(enc_, OPUS_SET_MAX_BANDWIDTH(bw));
  }
  ~OpusEnc() override {
    if (enc_ != nullptr) opus_encoder_destroy(enc_);
  }
  OpusEnc(const OpusEnc&) = delete;
  OpusEnc& operator=(const OpusEnc&) = delete;
  bool ok() const { return enc_ != nullptr; }
  const CodecInfo& info() const override { return info_; }
  int pcmChannels() const override { return channels_; }
  int encode(const int16_t* pcm, std::size_t samples, uint8_t* out, std::size_t cap) override {
    const std::size_t frame = samples / static_cast<std::size_t>(channels_);
    if (samples % static_cast<std::size_t>(channels_) != 0 || !validFrame(frame)) return -1;
    const opus_int32 n = opus_encode(enc_, pcm, static_cast<int>(frame), out, static_cast<opus_int32>(std::min<std::size_t>(cap, 1275 * 3)));
    if (n < 0) return -1;
    // libopus in DTX returns packets of 1-2 octets for frames it need not transmit.
    if (dtx_ && n <= 2) return 0;
    return n;
  }

 private:
  const CodecInfo& info_;
  OpusEncoder* enc_ = nullptr;
  int channels_ = 1;
  bool dtx_ = false;
};

class OpusDec final : public Decoder {
 public:
  OpusDec(const CodecInfo& info, const CodecOptions& o) : info_(info) {
    channels_ = fmtpIsSet(o.fmtp, "sprop-stereo") || fmtpIsSet(o.fmtp, "stereo") ? 2 : 1;
    int err = OPUS_OK;
    dec_ = opus_decoder_create(kRate, channels_, &err);
    if (err != OPUS_OK) dec_ = nullptr;
  }
  ~OpusDec() override {
    if (dec_ != nullptr) opus_decoder_destroy(dec_);
  }
  OpusDec(const OpusDec&) = delete;
  OpusDec& operator=(const OpusDec&) = delete;
  bool ok() const { return dec_ != nullptr; }
  const CodecInfo& info() const override { return info_; }
  int pcmChannels() const override { return channels_; }
  int decode(const uint8_t* payload, std::size_t size, int16_t* pcm, std::size_t cap) override {
    if (size == 0) return -1;
    const int n = opus_decode(dec_, payload, static_cast<opus_int32>(size), pcm, static_cast<int>(cap / channels_), 0);
    return n < 0 ? -1 : n * channels_;
  }
  int conceal(int16_t* pcm, std::size_t samples) override {
    // RFC 6716 §4.4 / libopus: decoding with no data runs the decoder's own concealment.
    const int n = opus_decode(dec_, nullptr, 0, pcm, static_cast<int>(samples / channels_), 0);
    return n < 0 ? -1 : n * channels_;
  }
  int decodeFec(const uint8_t* next, std::size_t size, int16_t* pcm, std::size_t samples) override {
    // RFC 7587 §3.2 / libopus: decode_fec=1 recovers the previous (lost) frame from the LBRR
    // data of `next`; the frame size must be the lost packet's duration.
    if (next == nullptr || size == 0) return conceal(pcm, samples);
    const int n = opus_decode(dec_, next, static_cast<opus_int32>(size), pcm, static_cast<int>(samples / channels_), 1);
    return n < 0 ? -1 : n * channels_;
  }

 private:
  const CodecInfo& info_;
  OpusDecoder* dec_ = nullptr;
  int channels_ = 1;
};

class OpusFactory final : public CodecFactory {
 public:
  const CodecInfo& info() const override { return info_; }
  std::unique_ptr<Encoder> createEncoder(const CodecOptions& o) const override {
    auto e = std::make_unique<OpusEnc>(info_, o);
    return e->ok() ? std::move(e) : nullptr;
  }
  std::unique_ptr<Decoder> createDecoder(const CodecOptions& o) const override {
    auto d = std::make_unique<OpusDec>(info_, o);
    return d->ok() ? std::move(d) : nullptr;
  }

 private:
  CodecInfo info_ = opusInfo();
};
#endif

}  // namespace

const CodecFactory& opusFactory() {
#ifdef HAVE_OPUS
  static const OpusFactory f;
#else
  static const UnavailableCodecFactory f(opusInfo(), "libopus not found at build time (install libopus-dev)");
#endif
  return f;
}

}  // namespace sipmedia
