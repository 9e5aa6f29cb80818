// G.711 µ-law (PCMU) and A-law (PCMA), ITU-T G.711 (1988) §2-§3, written here: segment
// encoding of 14-bit (µ-law) / 13-bit (A-law) linear samples into 8-bit codewords. RTP static
// payload types 0 and 8 (RFC 3551 §4.5.14), 8 kHz, 20 ms frames of 160 samples.
#include <array>
#include <cstring>

#include "codecs/codec.h"
#include "codecs/plc.h"

namespace sipmedia {
namespace {

constexpr int kUlawBias = 0x84;  // 132: added before the segment search (G.711 µ-law)
constexpr int kUlawClip = 32635;

uint8_t linearToUlaw(int16_t pcm) {
  int sample = pcm;
  const int sign = (sample >> 8) & 0x80;
  if (sign) sample = -sample;
  if (sample > kUlawClip) sample = kUlawClip;
  sample += kUlawBias;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) exponent--;
  const int mantissa = (sample >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

int16_t ulawToLinear(uint8_t code) {
  code = static_cast<uint8_t>(~code);
  const int sign = code & 0x80;
  const int exponent = (code >> 4) & 0x07;
  const int mantissa = code & 0x0F;
  int sample = ((mantissa << 3) + kUlawBias) << exponent;
  sample -= kUlawBias;
  return static_cast<int16_t>(sign ? -sample : sample);
}

uint8_t linearToAlaw(int16_t pcm) {
  int sample = pcm >> 3;  // 13-bit magnitude
  int sign = 0x80;
  if (sample < 0) {
    sign = 0;
    sample = -sample - 1;
  }
  int code;
  if (sample < 32) {
    code = sample >> 1;
  } else {
    int exponent = 1;
    for (int v = sample >> 5; v > 1 && exponent < 7; v >>= 1) exponent++;
    if (sample >= 4096) {
      exponent = 7;
      sample = 4095;
    }
    code = (exponent << 4) | ((sample >> exponent) & 0x0F);
  }
  return static_cast<uint8_t>((code | sign) ^ 0x55);  // even bits inverted (G.711 §3)
}

int16_t alawToLinear(uint8_t code) {
  code ^= 0x55;
  const int sign = code & 0x80;
  const int exponent = (code >> 4) & 0x07;
  const int mantissa = code & 0x0F;
  int sample = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return static_cast<int16_t>(sign ? sample : -sample);
}

struct Tables {
  std::array<int16_t, 256> ulawDecode{};
  std::array<int16_t, 256> alawDecode{};
  Tables() {
    for (int i = 0; i < 256; i++) {
      ulawDecode[i] = ulawToLinear(static_cast<uint8_t>(i));
      alawDecode[i] = alawToLinear(static_cast<uint8_t>(i));
    }
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

CodecInfo makeInfo(const char* name, int pt) {
  CodecInfo i;
  i.name = name;
  i.rtpClockRate = 8000;
  i.sampleRate = 8000;
  i.channels = 1;
  i.staticPayloadType = pt;
  i.frameMs = 20;
  i.available = true;
  return i;
}

class G711Encoder final : public Encoder {
 public:
  G711Encoder(const CodecInfo& info, bool ulaw) : info_(info), ulaw_(ulaw) {}
  const CodecInfo& info() const override { return info_; }
  int encode(const int16_t* pcm, std::size_t samples, uint8_t* out, std::size_t cap) override {
    if (samples > cap) return -1;
    for (std::size_t i = 0; i < samples; i++) out[i] = ulaw_ ? linearToUlaw(pcm[i]) : linearToAlaw(pcm[i]);
    return static_cast<int>(samples);
  }

 private:
  const CodecInfo& info_;
  bool ulaw_;
};

class G711Decoder final : public Decoder {
 public:
  G711Decoder(const CodecInfo& info, bool ulaw) : info_(info), table_(ulaw ? tables().ulawDecode.data() : tables().alawDecode.data()), plc_(8000) {}
  const CodecInfo& info() const override { return info_; }
  int decode(const uint8_t* payload, std::size_t size, int16_t* pcm, std::size_t cap) override {
    if (size > cap) return -1;
    for (std::size_t i = 0; i < size; i++) pcm[i] = table_[payload[i]];
    plc_.remember(pcm, size);
    return static_cast<int>(size);
  }
  int conceal(int16_t* pcm, std::size_t samples) override { return plc_.conceal(pcm, samples); }

 private:
  const CodecInfo& info_;
  const int16_t* table_;
  PacketLossConcealer plc_;
};

class G711Factory final : public CodecFactory {
 public:
  G711Factory(const char* name, int pt, bool ulaw) : info_(makeInfo(name, pt)), ulaw_(ulaw) {}
  const CodecInfo& info() const override { return info_; }
  std::unique_ptr<Encoder> createEncoder(const CodecOptions&) const override { return std::make_unique<G711Encoder>(info_, ulaw_); }
  std::unique_ptr<Decoder> createDecoder(const CodecOptions&) const override { return std::make_unique<G711Decoder>(info_, ulaw_); }

 private:
  CodecInfo info_;
  bool ulaw_;
};

}  // namespace

const CodecFactory& pcmuFactory() {
  static const G711Factory f("PCMU", 0, true);
  return f;
}

const CodecFactory& pcmaFactory() {
  static const G711Factory f("PCMA", 8, false);
  return f;
}

}  // namespace sipmedia
