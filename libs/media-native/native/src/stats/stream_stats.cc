// Stream statistics record and the ITU-T G.107 E-model (simplified: default values for every
// parameter except delay, packet loss and codec).
#include "stats/stream_stats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace sipmedia {

namespace {

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
std::string num(int64_t v) { return std::to_string(v); }
std::string num(uint64_t v) { return std::to_string(v); }

std::string lower(const std::string& s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// G.107 default rating with every parameter at its default value (Table 3) and no delay:
// Ro = 15 - 1.5 (SLR + No) = 94.77, Is = 1.41, Idte + Idle at T = 0 ~ 0.15, so R = 93.2.
constexpr double kDefaultR = 93.2;

}  // namespace

std::vector<std::pair<std::string, std::string>> StreamStatistics::toKeyValues() const {
  std::vector<std::pair<std::string, std::string>> kv;
  kv.reserve(32);
  // genesys-compat.md §2 keys, in that order.
  kv.emplace_back("Got Local Stat", gotLocalStat ? "1" : "0");
  kv.emplace_back("Local Frac Lost", num(localFracLost, 2));
  kv.emplace_back("Local Jitter", num(localJitterMs, 2));
  kv.emplace_back("Local Oct Count", num(static_cast<uint64_t>(localOctCount)));
  kv.emplace_back("Local Pkt Count", num(static_cast<uint64_t>(localPktCount)));
  kv.emplace_back("Local Total Lost", num(localTotalLost));
  kv.emplace_back("Got Remote RR", gotRemoteRR ? "1" : "0");
  kv.emplace_back("Remote Frac Lost", num(remoteFracLost, 2));
  kv.emplace_back("Remote Jitter", num(remoteJitterMs, 2));
  kv.emplace_back("Remote Total Lost", num(remoteTotalLost));
  kv.emplace_back("Got Remote SR", gotRemoteSR ? "1" : "0");
  kv.emplace_back("Remote Oct Count", num(static_cast<uint64_t>(remoteOctCount)));
  kv.emplace_back("Remote Pkt Count", num(static_cast<uint64_t>(remotePktCount)));
  // Ours.
  kv.emplace_back("RTT", rttMs < 0 ? "" : num(rttMs, 1));
  kv.emplace_back("MOS", mosWholeCall > 0 ? num(mosWholeCall, 2) : "");
  kv.emplace_back("MOS Interval", mosInterval > 0 ? num(mosInterval, 2) : "");
  kv.emplace_back("R", rWholeCall > 0 ? num(rWholeCall, 1) : "");
  kv.emplace_back("R Interval", rInterval > 0 ? num(rInterval, 1) : "");
  kv.emplace_back("Codec", codec);
  kv.emplace_back("Packets Sent", num(packetsSent));
  kv.emplace_back("Bytes Sent", num(bytesSent));
  kv.emplace_back("Packets Received", num(packetsReceived));
  kv.emplace_back("Bytes Received", num(bytesReceived));
  kv.emplace_back("Packets Lost", num(packetsLost));
  kv.emplace_back("Jitter", num(jitterMs, 2));
  kv.emplace_back("Jitter Buffer Delay", num(jitterBufferDelayMs, 1));
  kv.emplace_back("Jitter Buffer Late", num(jitterBufferLate));
  kv.emplace_back("Jitter Buffer Concealed", num(jitterBufferConcealed));
  return kv;
}

EModelCodec eModelCodecFor(const std::string& sdpName, bool withPlc) {
  const std::string n = lower(sdpName);
  // ITU-T G.113 Appendix I, Table I.1 / I.3: G.711 Ie = 0; Bpl = 4.3 without PLC (random loss),
  // 25.1 with the G.711 Appendix I PLC.
  if (n == "pcmu" || n == "pcma") return {0, withPlc ? 25.1 : 4.3};
  // G.113 Appendix I: G.729A + VAD: Ie = 11, Bpl = 19 (used for G.729 and G.729A alike).
  if (n == "g729") return {11, 19};
  // DEVIATION(ITU-T G.113): G.722 and Opus are wideband; their G.113 values are defined on the
  // wideband R scale of G.107.1 (Rmax 129), which this narrowband E-model does not use. We
  // take narrowband equivalents: Ie = 0 (at least as good as G.711 in the narrowband band)
  // and Bpl = 25.1 (both decoders conceal loss, like G.711 with PLC). MOS is therefore capped
  // at the narrowband 4.41, as most SIP endpoints report.
  if (n == "g722" || n == "opus") return {0, 25.1};
  return {0, withPlc ? 25.1 : 4.3};
}

double eModelIdd(double delayMs) {
  // ITU-T G.107 §7.3 (2015): Idd = 0 for Ta <= mT (100 ms); otherwise
  // Idd = 25 { (1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2 }, X = log10(Ta/mT) / log10(2).
  constexpr double mT = 100;
  if (!(delayMs > mT)) return 0;
  const double x = std::log10(delayMs / mT) / std::log10(2.0);
  return 25.0 * (std::pow(1 + std::pow(x, 6), 1.0 / 6) - 3 * std::pow(1 + std::pow(x / 3, 6), 1.0 / 6) + 2);
}

double eModelIeEff(const EModelCodec& codec, double packetLossPercent, double burstRatio) {
  // ITU-T G.107 §7.4: Ie-eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl).
  const double ppl = std::clamp(packetLossPercent, 0.0, 100.0);
  const double burst = burstRatio > 0 ? burstRatio : 1;
  if (ppl <= 0) return codec.ie;
  return codec.ie + (95 - codec.ie) * ppl / (ppl / burst + codec.bpl);
}

double eModelR(const EModelInput& in) {
  // ITU-T G.107 §7.1: R = Ro - Is - Id - Ie-eff + A, with Ro - Is and the echo terms at their
  // defaults (kDefaultR) and Id reduced to Idd of the absolute delay.
  return kDefaultR - eModelIdd(in.delayMs) - eModelIeEff(in.codec, in.packetLossPercent, in.burstRatio) + in.advantage;
}

double eModelMos(double r) {
  // ITU-T G.107 Annex B (B.4): MOS_CQE from R.
  if (r < 0) return 1.0;
  if (r > 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

double mouthToEarDelayMs(double rttMs, double jitterBufferMs, double frameMs, double lookaheadMs) {
  const double network = rttMs > 0 ? rttMs / 2 : 0;
  // Packetization (one frame collected before sending) + decode/playout (about one frame).
  return network + std::max(0.0, jitterBufferMs) + 2 * frameMs + lookaheadMs;
}

void QualityEstimator::update(uint64_t expected, int64_t lost, double delayMs) {
  if (lost < 0) lost = 0;
  updates_++;
  delaySum_ += delayMs;
  const double callLoss = expected > 0 ? 100.0 * static_cast<double>(lost) / static_cast<double>(expected) : 0;
  EModelInput call;
  call.codec = codec_;
  call.packetLossPercent = callLoss;
  call.delayMs = delaySum_ / static_cast<double>(updates_);
  rCall_ = eModelR(call);

  const uint64_t dExpected = expected > prevExpected_ ? expected - prevExpected_ : 0;
  const int64_t dLost = std::max<int64_t>(0, lost - prevLost_);
  EModelInput interval;
  interval.codec = codec_;
  interval.packetLossPercent =
      dExpected > 0 ? std::min(100.0, 100.0 * static_cast<double>(dLost) / static_cast<double>(dExpected)) : 0;
  interval.delayMs = delayMs;
  rInterval_ = eModelR(interval);
  prevExpected_ = expected;
  prevLost_ = lost;
}

}  // namespace sipmedia
