// RTCP transmission interval and scheduling, RFC 3550 §6.3 and §A.7, on explicit time:
// bandwidth share (5% of the session, 25% of that for senders when they are few), the 5 s
// minimum (halved before the first report, §6.2), randomization in [0.5, 1.5] with the
// e - 3/2 compensation, timer reconsideration (§6.3.3, §6.3.6) and reverse reconsideration on
// BYE/timeouts (§6.3.4). Randomness comes from a seeded internal generator (deterministic tests).
#pragma once

#include <cstdint>

namespace sipmedia {

struct RtcpIntervalConfig {
  /** Session bandwidth in octets per second (e.g. 64 kbit/s + headers for G.711 -> 10000). */
  double sessionBandwidthBytesPerSec = 10000;
  /** RFC 3550 §6.2: RTCP is 5% of the session bandwidth. */
  double rtcpFraction = 0.05;
  /** RFC 3550 §6.2: senders get 25% of the RTCP bandwidth when they are <= 25% of members. */
  double senderFraction = 0.25;
  /** RFC 3550 §6.2: minimum interval, seconds (5 s; RFC 3550 allows a smaller reduced minimum). */
  double minIntervalSec = 5.0;
  /** Estimated size of the first compound we send, octets (incl. UDP/IP headers, §6.2). */
  double initialAvgRtcpSize = 128;
  /** Seed of the randomization; 0 = from std::random_device. */
  uint64_t seed = 0;
};

/**
 * The §A.7 interval computation: the deterministic interval before randomization, for the given
 * group state. Exposed for tests and for the engine's diagnostics.
 */
double rtcpDeterministicIntervalSec(int members, int senders, double rtcpBandwidth, bool weSent,
                                    double avgRtcpSize, bool initial, double minIntervalSec,
                                    double senderFraction);

/**
 * Scheduler of one RTP session's RTCP. The engine calls `due(nowUs)` from its timer loop: when
 * it returns true it sends a compound and calls `onSent`. Members/senders are tracked by the
 * engine (two-party calls: members 2) and told with `setMembers`.
 */
class RtcpScheduler {
 public:
  /** Starts the session at `nowUs` and schedules the first report (§6.3.2). */
  RtcpScheduler(const RtcpIntervalConfig& config, int64_t nowUs);

  /**
   * §6.3.6 timer expiry with reconsideration: true when a report should be sent now; otherwise
   * (not yet time, or reconsideration moved it later) false and `nextSendUs()` is updated.
   */
  bool due(int64_t nowUs);
  /** A compound of `sizeOctets` (incl. UDP/IP headers) was sent at `nowUs`: §6.3.6 updates, next time. */
  void onSent(int64_t nowUs, double sizeOctets);
  /** §6.3.3: a compound of `sizeOctets` arrived: updates avg_rtcp_size. */
  void onReceived(double sizeOctets);
  /** Group size: members (including us) and senders (including us when weSent). */
  void setMembers(int members, int senders);
  /** Whether we sent RTP since the second-to-last report (§6.3.8: we_sent). */
  void setWeSent(bool weSent) { weSent_ = weSent; }
  /**
   * §6.3.4 reverse reconsideration: members dropped (BYE or timeout) at `nowUs`: moves the
   * next report earlier in proportion.
   */
  void onMembersLeft(int64_t nowUs, int members, int senders);

  /** When the next report is scheduled (monotonic microseconds). */
  int64_t nextSendUs() const { return tn_; }
  /** The current randomized interval in microseconds (what `onSent` would use now). */
  int64_t currentIntervalUs();
  double avgRtcpSize() const { return avgRtcpSize_; }
  bool initial() const { return initial_; }

 private:
  double randomFactor();
  double intervalSec();

  RtcpIntervalConfig config_;
  uint64_t rng_;
  int64_t tp_;
  int64_t tn_;
  int members_ = 2;
  int pmembers_ = 2;
  int senders_ = 1;
  double avgRtcpSize_;
  bool weSent_ = false;
  bool initial_ = true;
};

}  // namespace sipmedia
