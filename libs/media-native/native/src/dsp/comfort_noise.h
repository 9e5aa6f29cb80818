// Comfort noise (RFC 3389) for DTX (config `dtx_mode`): the sender replaces silence by occasional
// SID packets carrying the background noise level; the receiver fills the gaps with noise at that
// level so the line does not sound dead.
//
// We send the level byte only (RFC 3389 §3: spectral information is OPTIONAL) and, when decoding,
// interpret only the level byte: RFC 3389 §2 says implementations of the level-only format stay
// compatible by ignoring the spectral bytes, and §3 lets a decoder drop coefficients. The noise is
// white, at the signalled level.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipmedia {

/** The RTP/AVP static payload type of CN at 8 kHz (RFC 3551 §6); other rates use a dynamic one. */
constexpr int kComfortNoiseStaticPayloadType = 13;

/** What the sender does with one frame under DTX. */
enum class DtxAction {
  /** Speech: encode and send it. */
  SendVoice,
  /** Silence and an SID is due: send the CN payload written by the encoder. */
  SendSid,
  /** Silence, nothing to send. */
  SendNothing,
};

/**
 * Decides per frame between voice, SID and nothing, and writes the CN payload. A new SID goes out
 * at the start of each silence period, when the noise level moved by `updateThresholdDb` or more,
 * and at least every `refreshMs` (RFC 3389 §4 leaves the update rate to the implementation).
 */
class ComfortNoiseEncoder {
 public:
  explicit ComfortNoiseEncoder(int frameMs = 20, int updateThresholdDb = 3, int refreshMs = 1000);
  /**
   * Classifies one frame (`speech` from the VAD). For SendSid, writes the payload (1 octet) into
   * `payload` and sets `payloadSize`; `capacity` must be at least 1.
   */
  DtxAction process(const int16_t* pcm, std::size_t samples, bool speech, uint8_t* payload, std::size_t capacity,
                    std::size_t& payloadSize);
  /** Level byte (0..127, -dBov) of the last SID sent. */
  uint8_t lastSidLevel() const { return lastLevel_; }
  void reset();

 private:
  int frameMs_;
  int threshold_;
  int refreshMs_;
  bool inSilence_ = false;
  int sinceSidMs_ = 0;
  uint8_t lastLevel_ = 127;
};

/** Receiver side: decodes SID payloads and generates comfort noise. Allocates nothing. */
class ComfortNoiseGenerator {
 public:
  explicit ComfortNoiseGenerator(uint32_t seed = 0x9E3779B9u);
  /**
   * Takes a CN payload (RFC 3389 §3): the first octet is the noise level (MSB must be 0), any
   * further octets are reflection coefficients and are ignored. False for an empty payload or a
   * level octet with its top bit set.
   */
  bool decode(const uint8_t* payload, std::size_t size);
  /** Sets the level directly (0..127, -dBov). */
  void setLevel(uint8_t level);
  uint8_t level() const { return level_; }
  /** Writes `samples` values of white noise at the current level (changes ramp over the call). */
  void generate(int16_t* pcm, std::size_t samples);

 private:
  uint32_t state_;
  uint8_t level_ = 127;
  double amplitude_ = 0.0;
  double targetAmplitude_ = 0.0;
};

}  // namespace sipmedia
