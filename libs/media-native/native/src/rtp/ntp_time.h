// Time values used by RTP/RTCP. The engine passes time explicitly (no clock is read inside
// rtp/, rtcp/, jitter/, stats/):
//   - `nowUs`: a monotonic clock in microseconds (any origin, e.g. steady_clock), for arrival
//     times, intervals and playout;
//   - `nowNtp`: the wallclock as a 64-bit NTP timestamp (RFC 3550 §4: seconds since 1900 in the
//     high 32 bits, fraction in the low 32), only where RTCP puts it on the wire (SR, LSR/DLSR).
#pragma once

#include <cstdint>

namespace sipmedia {

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
constexpr uint64_t kNtpUnixEpochOffsetSeconds = 2208988800ULL;

/** NTP 64-bit timestamp from Unix time in microseconds (e.g. system_clock since epoch). */
constexpr uint64_t ntpFromUnixMicros(int64_t unixUs) {
  const uint64_t secs = static_cast<uint64_t>(unixUs / 1000000) + kNtpUnixEpochOffsetSeconds;
  const uint64_t frac = (static_cast<uint64_t>(unixUs % 1000000) << 32) / 1000000;
  return (secs << 32) | frac;
}

/** RFC 3550 §4: the middle 32 bits of an NTP timestamp (the "compact" form used by LSR/DLSR). */
constexpr uint32_t ntpMiddle32(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }

/** Duration in 1/65536 s units (DLSR, RFC 3550 §6.4.1) from microseconds. */
constexpr uint32_t ntpShortFromMicros(int64_t us) {
  return us <= 0 ? 0u : static_cast<uint32_t>((static_cast<uint64_t>(us) << 16) / 1000000);
}

/** Microseconds from a duration in 1/65536 s units. */
constexpr int64_t microsFromNtpShort(uint32_t v) {
  return static_cast<int64_t>((static_cast<uint64_t>(v) * 1000000) >> 16);
}

}  // namespace sipmedia
