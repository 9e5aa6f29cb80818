// The codec interface of the media engine and the codec table. Each codec lives in its own
// file (g711.cc, g722.cc, opus.cc, g729.cc, ...) and registers a CodecFactory; a codec whose
// library was not found at build time is still listed, with `available == false` and the reason,
// so the endpoint can report it and leave it out of offers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sipmedia {

/** What the endpoint needs to offer a codec in SDP and what the engine needs to run it. */
struct CodecInfo {
  /** SDP encoding name as in a=rtpmap (`PCMU`, `PCMA`, `G722`, `opus`, `G729`, `iLBC`). */
  std::string name;
  /** The RTP clock rate written in a=rtpmap (8000 for G.722, RFC 3551 §4.5.2). */
  int rtpClockRate = 8000;
  /** The PCM sample rate the codec works at (16000 for G.722, 48000 for Opus). */
  int sampleRate = 8000;
  /**
   * Channels written in a=rtpmap: 1, or 2 for Opus, whose rtpmap is always `opus/48000/2`
   * (RFC 7587 §7) even when the stream is mono; the PCM layout an encoder or decoder uses is
   * its `pcmChannels()`.
   */
  int channels = 1;
  /** Static payload type (RFC 3551), or -1 for a dynamic one. */
  int staticPayloadType = -1;
  /** fmtp the engine proposes by default (`annexb=no`, `useinbandfec=1; usedtx=0`, ...). */
  std::string defaultFmtp;
  /** Default packetization in ms. */
  int frameMs = 20;
  /** Whether this build can encode and decode it. */
  bool available = false;
  /** Why not, when it is not (`libbcg729 not found at build time`). */
  std::string unavailableReason;
};

/** Options that come from SDP fmtp and from config. */
struct CodecOptions {
  std::string fmtp;
  /** Opus: in-band FEC (RFC 7587 useinbandfec). */
  bool fec = false;
  /** Opus / G.729 Annex B: discontinuous transmission. */
  bool dtx = false;
  /** Target bitrate in bit/s where the codec has one (0 = codec default). */
  int bitrate = 0;
};

/** Encodes PCM frames at `info().sampleRate` into RTP payloads. Not thread-safe: one per stream. */
class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual const CodecInfo& info() const = 0;
  /** Interleaved channels of the PCM this encoder takes (1 unless stereo was negotiated). */
  virtual int pcmChannels() const { return 1; }
  /**
   * Encodes `samples` PCM values (a whole number of codec frames, e.g. 20 ms) into `out`.
   * Returns the payload size, 0 for "nothing to send" (DTX), or -1 on error.
   */
  virtual int encode(const int16_t* pcm, std::size_t samples, uint8_t* out, std::size_t outCapacity) = 0;
};

/** Decodes RTP payloads into PCM at `info().sampleRate`. Not thread-safe: one per stream. */
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual const CodecInfo& info() const = 0;
  /** Interleaved channels of the PCM this decoder produces (1 unless stereo was negotiated). */
  virtual int pcmChannels() const { return 1; }
  /** Decodes one payload into `pcm`; returns the number of samples written, or -1 on error. */
  virtual int decode(const uint8_t* payload, std::size_t size, int16_t* pcm, std::size_t capacity) = 0;
  /**
   * Produces `samples` of concealment for a lost packet (the codec's own PLC where it has one,
   * else a generic one). Returns the samples written.
   */
  virtual int conceal(int16_t* pcm, std::size_t samples) = 0;
  /**
   * Decodes the in-band FEC of `nextPayload` to recover the lost packet before it (Opus);
   * returns -1 when the codec has no FEC.
   */
  virtual int decodeFec(const uint8_t* /*nextPayload*/, std::size_t /*size*/, int16_t* /*pcm*/, std::size_t /*samples*/) { return -1; }
};

/** Creates encoders and decoders of one codec. */
class CodecFactory {
 public:
  virtual ~CodecFactory() = default;
  virtual const CodecInfo& info() const = 0;
  /** nullptr when the codec is unavailable or the options are refused. */
  virtual std::unique_ptr<Encoder> createEncoder(const CodecOptions& options) const = 0;
  virtual std::unique_ptr<Decoder> createDecoder(const CodecOptions& options) const = 0;
};

/** The codec table of this build, in the engine's default priority order. */
const std::vector<const CodecFactory*>& codecTable();

/**
 * The factory for an SDP name, RTP clock rate and rtpmap channel count (case-insensitive name),
 * or nullptr. `channels` 1 (the rtpmap default when omitted, RFC 4566 §6) also matches a codec
 * whose rtpmap states 2 channels (Opus); 2 never matches a mono-only codec.
 */
const CodecFactory* findCodec(const std::string& name, int rtpClockRate, int channels = 1);

}  // namespace sipmedia
