// Per-stream statistics record (the Genesys keys of shared/spec/genesys-compat.md §2 plus
// packet/byte counters, RTT and codec) and call quality from the ITU-T G.107 E-model.
//
// Meaning of the Genesys keys here (the SDK reports them from RTCP):
//   Local*  = what this endpoint reports in its own RTCP: our reception statistics of the remote
//             stream (Frac Lost, Jitter, Total Lost: the report block we send) and our sender
//             counters (Oct Count, Pkt Count: our SR's sender info). `Got Local Stat` = we built one.
//   Remote* = what the peer reported: its RR block about our stream (`Got Remote RR`: Frac Lost,
//             Jitter, Total Lost) and its SR sender info (`Got Remote SR`: Oct Count, Pkt Count).
// Fraction lost is given as a percentage (0..100), jitter in milliseconds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sipmedia {

struct StreamStatistics {
  // Genesys keys (genesys-compat.md §2)
  bool gotLocalStat = false;
  double localFracLost = 0;      // percent, our last report block about the remote stream
  double localJitterMs = 0;
  uint32_t localOctCount = 0;    // our SR octet count
  uint32_t localPktCount = 0;    // our SR packet count
  int64_t localTotalLost = 0;
  bool gotRemoteRR = false;
  double remoteFracLost = 0;     // percent, the peer's report block about our stream
  double remoteJitterMs = 0;
  int64_t remoteTotalLost = 0;
  bool gotRemoteSR = false;
  uint32_t remoteOctCount = 0;   // the peer's SR octet count
  uint32_t remotePktCount = 0;   // the peer's SR packet count
  // Counters of this endpoint
  uint64_t packetsSent = 0;
  uint64_t bytesSent = 0;        // payload octets
  uint64_t packetsReceived = 0;
  uint64_t bytesReceived = 0;    // payload octets
  int64_t packetsLost = 0;       // RFC 3550 §A.3 cumulative lost of the received stream
  double jitterMs = 0;           // RFC 3550 §A.8 interarrival jitter of the received stream
  double rttMs = -1;             // RFC 3550 §6.4.1, -1 = unknown
  std::string codec;             // SDP name/rate, e.g. "PCMU/8000"
  // Jitter buffer
  double jitterBufferDelayMs = 0;
  uint64_t jitterBufferLate = 0;
  uint64_t jitterBufferConcealed = 0;
  // Quality (E-model, G.107), 0 = not computed yet
  double rWholeCall = 0;
  double mosWholeCall = 0;
  double rInterval = 0;
  double mosInterval = 0;

  /**
   * The record as name/value text pairs, Genesys names first (`Got Local Stat` "1"/"0",
   * `Local Frac Lost`, ..., `Remote Pkt Count`), then `RTT`, `MOS`, `MOS Interval`, `Codec`,
   * `Packets Sent`, ... Not for the hot path (allocates).
   */
  std::vector<std::pair<std::string, std::string>> toKeyValues() const;
};

/** E-model equipment impairment of a codec: Ie and the packet-loss robustness Bpl (ITU-T G.113 App. I). */
struct EModelCodec {
  double ie = 0;
  double bpl = 4.3;
};

/**
 * Ie/Bpl for an SDP codec name (case-insensitive): PCMU/PCMA Ie 0 with Bpl 25.1 when `withPlc`
 * (G.113 App. I, G.711 with PLC) else 4.3; G729 Ie 11 Bpl 19 (G.113 App. I, G.729A+VAD);
 * G722 and opus: narrowband equivalents Ie 0 Bpl 25.1 (see stream_stats.cc); unknown: G.711 values.
 */
EModelCodec eModelCodecFor(const std::string& sdpName, bool withPlc = true);

/** Inputs of one E-model computation. */
struct EModelInput {
  /** One-way mouth-to-ear delay Ta, ms (see mouthToEarDelayMs). */
  double delayMs = 0;
  /** Packet loss, percent (0..100), as the listener perceives it (network loss + late). */
  double packetLossPercent = 0;
  /** Burst ratio BurstR (1 = random loss). */
  double burstRatio = 1;
  EModelCodec codec;
  /** Advantage factor A (0 for wired, G.107 Table 1). */
  double advantage = 0;
};

/** G.107 §3.2 delay impairment Idd for an absolute one-way delay Ta in ms (0 for Ta <= 100 ms). */
double eModelIdd(double delayMs);
/** G.107 §3.6 effective equipment impairment Ie-eff. */
double eModelIeEff(const EModelCodec& codec, double packetLossPercent, double burstRatio);
/**
 * G.107 rating R with default values for everything but delay, loss and codec:
 * R = 93.2 - Idd(Ta) - Ie-eff + A (93.2 = Ro - Is - Idte - Idle at the defaults).
 */
double eModelR(const EModelInput& input);
/** G.107 Annex B: R to MOS-CQE (1 for R < 0, 4.5 for R > 100). */
double eModelMos(double r);

/**
 * Mouth-to-ear delay estimate: network one-way (RTT/2, 0 when unknown) + jitter-buffer delay +
 * codec framing (one frame of packetization + one frame of processing) + codec look-ahead.
 */
double mouthToEarDelayMs(double rttMs, double jitterBufferMs, double frameMs, double lookaheadMs = 0);

/**
 * E-model over a call: fed with cumulative counters at each stats period (`update`), it gives
 * R/MOS for the whole call (total loss, mean delay) and for the last interval (the counters'
 * deltas since the previous update, the delay now).
 */
class QualityEstimator {
 public:
  explicit QualityEstimator(const EModelCodec& codec) : codec_(codec) {}

  /**
   * Adds a period: `expected` and `lost` are cumulative counts of the received stream (RFC 3550
   * §A.3, lost including packets the jitter buffer dropped as late if the caller adds them),
   * `delayMs` the current mouth-to-ear estimate.
   */
  void update(uint64_t expected, int64_t lost, double delayMs);

  double rWholeCall() const { return rCall_; }
  double mosWholeCall() const { return eModelMos(rCall_); }
  double rInterval() const { return rInterval_; }
  double mosInterval() const { return eModelMos(rInterval_); }
  bool hasValue() const { return updates_ > 0; }

 private:
  EModelCodec codec_;
  uint64_t prevExpected_ = 0;
  int64_t prevLost_ = 0;
  double delaySum_ = 0;
  uint64_t updates_ = 0;
  double rCall_ = 0;
  double rInterval_ = 0;
};

}  // namespace sipmedia
