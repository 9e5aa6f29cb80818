// Adaptive jitter buffer of one received audio stream: packets in (sequence, timestamp, arrival
// time, marker, payload), fixed-size PCM frames out on the engine's playout clock.
//
// Model. For every packet the buffer measures its transit `arrival - timestamp/clock`; the
// smallest transit of the recent window is the "fastest path", and a packet's jitter is how
// much later than that it arrived. The target delay is a percentile (98% by default) of the
// recent jitter plus a margin, bounded by [minDelayMs, maxDelayMs]. The current delay is how far
// the playout point is behind the fastest path. It is set to the target at every talkspurt start
// (first packet, or a timestamp jump ahead of the playout point: RFC 3551 §4.1 silence
// suppression; the jump is what is used, the marker bit is stored but not trusted, as some
// senders omit or misuse it), and corrected during speech by removing or repeating small chunks
// of decoded audio with a short cross-fade (this is also how sender/receiver clock drift is
// absorbed). Packets are decoded on the frame grid, so what is steered is the delay a packet has
// when it is decoded (never below the target) while the play delay is brought down as far as
// that allows. Missing packets are recovered with the codec's FEC from the next packet when the
// decoder has FEC (Opus; set `codecFec`), else concealed by the decoder's PLC; a packet that
// arrives after its playout time is late (dropped, counted). An empty buffer is concealed for
// up to `maxConcealMs` without consuming a sequence number (the packet may just be late), then
// turns to silence until the next talkspurt.
//
// Comfort noise (RFC 3389). CN packets (`putComfortNoise`) take their place in the sequence
// like media packets; when one is due, its level drives a noise generator and the buffer enters
// DTX: until the next media packet is decoded, the frames that would be silence (the gap, and the
// wait for the next talkspurt's target delay) are comfort noise at the signalled level. A CN
// packet consumes its sequence number, so the gap it announces is never counted as loss and is
// never concealed.
//
// Memory is sized for the negotiated packet time and the configured maximum delay; it grows
// once (an allocation, counted in `storageGrowths`) only when the peer sends longer packets than
// that. Scratch space for decoding and the percentile is shared by the buffers of one thread.
// No clock reads (every call gets `nowUs`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codecs/codec.h"
#include "common/audio.h"
#include "dsp/comfort_noise.h"

namespace sipmedia {

struct JitterBufferConfig {
  /** Output frame duration (the playout clock's period), ms. */
  int frameMs = 20;
  /** Bounds of the target delay, ms (issue 4 default 20..200). */
  int minDelayMs = 20;
  int maxDelayMs = 200;
  /** Target = this percentile of the recent jitter (0..1) + `marginMs` (about 1 - percentile of the packets come late). */
  double jitterPercentile = 0.98;
  int marginMs = 0;
  /** Packets in the jitter history (about 10 s at 50 packets/s). */
  int historyPackets = 500;
  /** Packets in the window of the fastest-path (minimum transit) estimate (about 1 s). */
  int transitWindowPackets = 50;
  /**
   * Packet slots (640 ms of 20 ms packets); a packet further ahead than this restarts the buffer.
   * Memory per stream is about capacityPackets * maxPayloadBytes.
   */
  int capacityPackets = 32;
  /**
   * Largest payload stored, octets (bigger packets are dropped and counted as discarded). The
   * default fits any Opus packet (RFC 6716 §3.4: 1275 octets per frame); the engine should set
   * it from the codec and ptime (160 octets for 20 ms of G.711) to keep streams small.
   */
  int maxPayloadBytes = 1280;
  /**
   * Payload room per slot allocated up front, octets (0 = `maxPayloadBytes`). The engine sizes it
   * for the negotiated packet time (memory per call); the first packet that does not fit (a peer
   * sending longer packets than negotiated, up to `maxPayloadBytes`) grows every slot to
   * `maxPayloadBytes` once (counted in `storageGrowths`), the only allocation after construction.
   */
  int initialPayloadBytes = 0;
  /** Chunk removed or repeated per delay correction, ms. */
  int chunkMs = 5;
  /**
   * During speech the play delay is brought down to [target, target + hysteresisMs] (as far as
   * the frame grid allows without decoding any packet below the target) by removing chunks,
   * and chunks are repeated when a packet would be decoded below the target.
   */
  int hysteresisMs = 10;
  /**
   * The decoder has in-band FEC in use (Opus with useinbandfec=1): the minimum delay grows by one
   * frame so that the next packet is usually there when one is lost.
   */
  bool codecFec = false;
  /** Continuous concealment on an empty buffer before the output turns to silence, ms. */
  int maxConcealMs = 100;
};

/** Counters and gauges of the buffer; all counts since construction or `reset()`. */
struct JitterBufferStats {
  /** Packets given to `put` (all, including duplicates and late ones). */
  uint64_t packetsReceived = 0;
  /** Packets decoded and played. */
  uint64_t packetsPlayed = 0;
  /** Sequence numbers that were due and missing (concealed or FEC-recovered). */
  uint64_t lost = 0;
  /** Packets that arrived after their playout time (dropped). */
  uint64_t late = 0;
  /** Frames produced by the decoder's PLC. */
  uint64_t concealedFrames = 0;
  /** Lost packets recovered from the next packet's FEC. */
  uint64_t fecRecovered = 0;
  /** Packets dropped without being played: overflow, oversize, flushes, excess delay. */
  uint64_t discarded = 0;
  /** Packets that arrived after a packet with a higher sequence number (but in time). */
  uint64_t reordered = 0;
  /** Packets received twice. */
  uint64_t duplicated = 0;
  /** Delay corrections: chunks removed (delay shrunk) and repeated (delay grown). */
  uint64_t chunksRemoved = 0;
  uint64_t chunksInserted = 0;
  /** Frames of silence output (before the first packet, in DTX gaps, after long loss). */
  uint64_t silenceFrames = 0;
  /** Talkspurts started (first packet, marker, gap after silence). */
  uint64_t talkspurts = 0;
  /** Comfort noise (RFC 3389 SID) packets played: each set the noise level of a DTX gap. */
  uint64_t comfortNoisePackets = 0;
  /** Frames of comfort noise output (DTX gaps announced by a CN packet). */
  uint64_t comfortNoiseFrames = 0;
  /** The playout delay behind the fastest path, ms (what the E-model uses as jitter-buffer delay). */
  double currentDelayMs = 0;
  /** The delay the buffer is steering to, ms. */
  double targetDelayMs = 0;
  /** The largest jitter measured for one packet, ms. */
  double maxJitterMs = 0;
  /** Packets stored now. */
  uint32_t bufferedPackets = 0;
  /** Times the slot storage or the decoded-audio buffer grew past its initial size (longer packets than negotiated). */
  uint32_t storageGrowths = 0;
};

/** What `get` produced. */
enum class JitterFrameKind { kAudio, kConcealed, kSilence, kComfortNoise };

class JitterBuffer {
 public:
  /**
   * `decoder` decodes the stream's media payload type (kept by reference: it must outlive the
   * buffer). `rtpClockRate` is that payload type's RTP clock (8000 for G.722).
   */
  JitterBuffer(const JitterBufferConfig& config, Decoder& decoder, int rtpClockRate);

  /** What happened to a packet given to `put`. */
  enum class PutResult { kStored, kDuplicate, kLate, kDiscarded };

  /**
   * Stores a packet that arrived at `arrivalUs`. The payload is copied. Cost: O(1) except a
   * percentile update every few packets.
   */
  PutResult put(uint16_t sequence, uint32_t timestamp, bool marker, const uint8_t* payload, std::size_t size,
                int64_t arrivalUs);

  /**
   * Stores a comfort noise packet (RFC 3389 payload, the stream's CN payload type) that shares
   * the media packets' sequence and timestamp space. When it is due, its level is taken and the
   * buffer outputs comfort noise instead of silence until the next media packet plays.
   */
  PutResult putComfortNoise(uint16_t sequence, uint32_t timestamp, const uint8_t* payload, std::size_t size,
                            int64_t arrivalUs);

  /** True between a played CN packet and the next decoded media packet. */
  bool inDtx() const { return dtx_; }
  /** The level (0..127, -dBov) of the last CN packet played. */
  uint8_t comfortNoiseLevel() const { return cng_.level(); }

  /**
   * Produces the next `frameMs` of audio at the decoder's sample rate (channels interleaved)
   * into `pcm` (capacity >= frameSamples()), for playout at `nowUs`. Call it once per frame on
   * the playout clock. Never fails: missing audio is concealed or silence.
   */
  JitterFrameKind get(int64_t nowUs, int16_t* pcm);

  /** Samples (all channels) per output frame. */
  std::size_t frameSamples() const { return frameSamples_; }
  const JitterBufferStats& stats() const { return stats_; }
  /** Drops every packet and the timing history (SSRC change, seek); counters are kept. */
  void flush();

 private:
  struct Slot {
    int64_t seq = -1;  // extended sequence, -1 = empty
    int64_t ts = 0;    // extended timestamp
    int64_t arrivalUs = 0;
    bool marker = false;
    bool cn = false;  // an RFC 3389 comfort noise payload
    std::size_t size = 0;
  };

  Slot& slotAt(int64_t seq) { return slots_[static_cast<std::size_t>(seq % capacity_)]; }
  Slot* find(int64_t seq);
  Slot* earliestFrom(int64_t seq);
  uint8_t* payloadOf(int64_t seq);
  void growSlotStorage();
  int64_t extendSeq(uint16_t seq);
  int64_t extendTs(uint32_t ts);
  void recordTransit(int64_t ts, int64_t arrivalUs);
  void updateTarget();
  double playDelayMs(int64_t ts, int64_t nowUs) const;
  int64_t playPositionTs() const;
  std::size_t carrySize() const { return carryEnd_ - carryStart_; }
  int16_t* carryAppendPtr(std::size_t samples);
  PutResult store(uint16_t sequence, uint32_t timestamp, bool marker, bool cn, const uint8_t* payload, std::size_t size,
                  int64_t arrivalUs);
  void decodeSlot(Slot& s);
  void playComfortNoise(Slot& s);
  void concealMissing(int64_t nextSeqAfter);
  void concealUnderrun();
  void removeChunk();
  void insertChunk();
  void dropSlot(Slot& s);

  JitterBufferConfig config_;
  Decoder& decoder_;
  int clockRate_;
  int sampleRate_;
  int channels_;
  std::size_t frameSamples_;
  std::size_t chunkSamples_;
  int64_t frameTs_;
  int64_t capacity_;
  std::vector<Slot> slots_;
  std::size_t slotBytes_ = 0;       // payload room per slot now (grows once to maxPayloadBytes)
  std::vector<uint8_t> payloads_;
  std::vector<int64_t> playedSeq_;  // ring: sequences decoded recently (duplicate vs late)
  std::vector<int16_t> carry_;      // decoded audio not yet output
  std::size_t carryStart_ = 0;
  std::size_t carryEnd_ = 0;
  std::size_t maxPacketSamples_ = 0;  // decoded samples of the longest packet (scratch size)
  // timing history
  std::vector<double> transit_;    // ring of recent transits, ms
  std::vector<float> jitterHist_;  // ring of recent jitters, ms (float: 0.1 us resolution is plenty)
  std::size_t transitCount_ = 0, transitPos_ = 0;
  std::size_t jitterCount_ = 0, jitterPos_ = 0;
  double minTransitMs_ = 0;
  int packetsSinceTarget_ = 0;
  // sequence / timestamp extension
  bool haveExt_ = false;
  int64_t maxSeq_ = 0;
  int64_t maxTs_ = 0;
  // playout state
  bool started_ = false;   // first packet seen
  bool playing_ = false;   // inside a talkspurt (not waiting for the target delay)
  int64_t nextSeq_ = 0;    // next sequence to decode
  int64_t nextTs_ = 0;     // timestamp right after the decoded audio
  int64_t lastPacketTs_ = 0;  // RTP units covered by the last decoded packet
  std::size_t concealRunSamples_ = 0;
  int framesSinceCorrection_ = 0;
  // comfort noise (RFC 3389)
  ComfortNoiseGenerator cng_;
  bool dtx_ = false;
  JitterBufferStats stats_;
};

}  // namespace sipmedia
