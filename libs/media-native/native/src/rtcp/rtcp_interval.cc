// RTCP transmission interval, RFC 3550 §6.2, §6.3, §A.7 (written from the RFC's description).
#include "rtcp/rtcp_interval.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace sipmedia {

namespace {
// RFC 3550 §A.7: to compensate for "timer reconsideration" converging to a value below the
// intended average: e - 3/2.
constexpr double kCompensation = 2.71828182845904523536 - 1.5;
}  // namespace

double rtcpDeterministicIntervalSec(int members, int senders, double rtcpBandwidth, bool weSent, double avgRtcpSize,
                                    bool initial, double minIntervalSec, double senderFraction) {
  // RFC 3550 §6.2: the initial minimum is half the minimum "for faster notification that the
  // new participant is present".
  const double minTime = initial ? minIntervalSec / 2 : minIntervalSec;
  double n = std::max(members, 1);
  double bw = rtcpBandwidth;
  // §6.3.1: if the number of senders is less than or equal to 25% of the membership, the
  // interval depends on whether we are a sender: senders share 25% of the RTCP bandwidth,
  // receivers the other 75%.
  if (senders > 0 && senders <= members * senderFraction) {
    if (weSent) {
      bw *= senderFraction;
      n = senders;
    } else {
      bw *= 1 - senderFraction;
      n -= senders;
    }
  }
  if (bw <= 0) return minTime;
  // §6.3.1: t = avg_rtcp_size * n / rtcp_bw, at least Tmin.
  double t = avgRtcpSize * n / bw;
  return std::max(t, minTime);
}

RtcpScheduler::RtcpScheduler(const RtcpIntervalConfig& config, int64_t nowUs)
    : config_(config), tp_(nowUs), tn_(nowUs), avgRtcpSize_(config.initialAvgRtcpSize) {
  rng_ = config.seed;
  if (rng_ == 0) {
    std::random_device rd;
    rng_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9E3779B97F4A7C15ULL;
  }
  // §6.3.2 initialization: tp = 0 (our tp_ = start), tn = T (first computed interval), pmembers = 1
  // in the RFC; a two-party session starts with members = 2 here (setMembers to change).
  tn_ = nowUs + currentIntervalUs();
}

double RtcpScheduler::randomFactor() {
  // splitmix64 -> uniform in [0.5, 1.5)
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return 0.5 + static_cast<double>(z >> 11) / 9007199254740992.0;
}

double RtcpScheduler::intervalSec() {
  const double rtcpBw = config_.sessionBandwidthBytesPerSec * config_.rtcpFraction;
  double t = rtcpDeterministicIntervalSec(members_, senders_, rtcpBw, weSent_, avgRtcpSize_, initial_,
                                          config_.minIntervalSec, config_.senderFraction);
  // §6.3.1: the interval is multiplied by a random number uniformly distributed between 0.5
  // and 1.5, then divided by e - 3/2 (§A.7).
  t = t * randomFactor() / kCompensation;
  return t;
}

int64_t RtcpScheduler::currentIntervalUs() { return static_cast<int64_t>(std::llround(intervalSec() * 1e6)); }

bool RtcpScheduler::due(int64_t nowUs) {
  if (nowUs < tn_) return false;
  // §6.3.6 / §A.7 OnExpire: recompute the interval with the current state (timer
  // reconsideration); send only if tp + T <= tc, else reschedule at tp + T.
  const int64_t t = currentIntervalUs();
  if (tp_ + t <= nowUs) return true;
  tn_ = tp_ + t;
  return false;
}

void RtcpScheduler::onSent(int64_t nowUs, double sizeOctets) {
  // §6.3.6: avg_rtcp_size = 1/16 * packet_size + 15/16 * avg_rtcp_size; tp = tc; redraw T.
  avgRtcpSize_ = sizeOctets / 16.0 + avgRtcpSize_ * 15.0 / 16.0;
  tp_ = nowUs;
  tn_ = nowUs + currentIntervalUs();
  // §A.7: "initial" is cleared after the interval that follows the first report is drawn.
  initial_ = false;
  pmembers_ = members_;
}

void RtcpScheduler::onReceived(double sizeOctets) {
  // §6.3.3: avg_rtcp_size is updated with every received compound too.
  avgRtcpSize_ = sizeOctets / 16.0 + avgRtcpSize_ * 15.0 / 16.0;
}

void RtcpScheduler::setMembers(int members, int senders) {
  members_ = std::max(members, 1);
  senders_ = std::clamp(senders, 0, members_);
  // Forward reconsideration (§6.3.3) happens in due(), which recomputes the interval.
}

void RtcpScheduler::onMembersLeft(int64_t nowUs, int members, int senders) {
  members = std::max(members, 1);
  // §6.3.4: tn = tc + (members/pmembers) * (tn - tc); tp = tc - (members/pmembers) * (tc - tp);
  // pmembers = members. Only when the group shrank.
  if (members < pmembers_) {
    const double ratio = static_cast<double>(members) / pmembers_;
    tn_ = nowUs + static_cast<int64_t>(ratio * static_cast<double>(tn_ - nowUs));
    tp_ = nowUs - static_cast<int64_t>(ratio * static_cast<double>(nowUs - tp_));
    pmembers_ = members;
  }
  members_ = members;
  senders_ = std::clamp(senders, 0, members_);
}

}  // namespace sipmedia
