#include "dtmf/rfc4733.h"

#include <algorithm>
#include <cctype>

namespace sipmedia {

int dtmfEventCode(char digit) {
  const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(digit)));
  if (c >= '0' && c <= '9') return c - '0';
  if (c == '*') return 10;
  if (c == '#') return 11;
  if (c >= 'A' && c <= 'D') return 12 + (c - 'A');
  return -1;
}

char dtmfDigit(int code) {
  static const char kDigits[] = "0123456789*#ABCD";
  return code >= 0 && code < 16 ? kDigits[code] : '\0';
}

namespace {

constexpr uint32_t kMaxDuration = 0xFFFF;  // RFC 4733 §2.3.5: 16-bit unsigned duration

DtmfPacket makePacket(const Rfc4733SenderOptions& o, int event, uint32_t ts, bool marker, uint32_t atMs, bool end, uint32_t duration) {
  DtmfPacket p;
  p.payloadType = o.payloadType;
  p.timestamp = ts;
  p.marker = marker;
  p.sendAtMs = atMs;
  p.event = static_cast<uint8_t>(event);
  p.end = end;
  p.volume = static_cast<uint8_t>(std::clamp(o.volume, 0, 63));
  p.duration = static_cast<uint16_t>(duration);
  // RFC 4733 §2.3: event (8 bits) | E (1) R (1) volume (6) | duration (16, network order).
  p.payload[0] = p.event;
  p.payload[1] = static_cast<uint8_t>((end ? 0x80 : 0) | p.volume);  // R bit: MUST be zero (§2.3.3)
  p.payload[2] = static_cast<uint8_t>(duration >> 8);
  p.payload[3] = static_cast<uint8_t>(duration & 0xFF);
  return p;
}

}  // namespace

Rfc4733Sender::Rfc4733Sender(Rfc4733SenderOptions options) : options_(options) {
  if (options_.updateIntervalMs <= 0) options_.updateIntervalMs = 50;
  if (options_.clockRate <= 0) options_.clockRate = 8000;
  current_.reserve(64);
}

bool Rfc4733Sender::packetsForEvent(int event, int durationMs, uint32_t start, std::vector<DtmfPacket>& out) const {
  if (event < 0 || event > 255) return false;
  const uint32_t intervalMs = static_cast<uint32_t>(options_.updateIntervalMs);
  const uint64_t intervalTs = std::max<uint64_t>(1, static_cast<uint64_t>(intervalMs) * options_.clockRate / 1000);
  const uint64_t total = std::max<uint64_t>(1, static_cast<uint64_t>(std::max(durationMs, 1)) * options_.clockRate / 1000);
  const std::size_t first = out.size();
  uint64_t segmentOffset = 0;  // timestamp units from the event start to the current segment
  bool marker = true;
  for (uint64_t k = 0;; k++) {
    const uint32_t at = static_cast<uint32_t>(k * intervalMs);
    const uint64_t cumulative = std::min((k + 1) * intervalTs, total);
    // RFC 4733 §2.5.1.3: an event longer than the 16-bit duration field can express is sent
    // in segments: the segment ends at duration 0xFFFF (without the E bit), the next one has
    // the timestamp of the previous plus 0xFFFF; the final packet of each segment is sent
    // three times (§2.5.1.4).
    while (cumulative - segmentOffset > kMaxDuration) {
      const uint32_t ts = start + static_cast<uint32_t>(segmentOffset);
      for (uint32_t r = 0; r < 3; r++) out.push_back(makePacket(options_, event, ts, marker && r == 0, at + r * intervalMs, false, kMaxDuration));
      marker = false;
      segmentOffset += kMaxDuration;
    }
    const uint32_t ts = start + static_cast<uint32_t>(segmentOffset);
    const uint32_t duration = static_cast<uint32_t>(cumulative - segmentOffset);
    if (cumulative >= total) {
      // RFC 4733 §2.5.1.4: the final packet (E bit, final duration) SHOULD be sent a total of
      // three times at the interval used for updates, all with the same duration.
      for (uint32_t r = 0; r < 3; r++) out.push_back(makePacket(options_, event, ts, marker && r == 0, at + r * intervalMs, true, duration));
      break;
    }
    // RFC 4733 §2.5.1.2: all packets of an event carry its start timestamp; the marker is set
    // on the first packet only; updates carry the duration since the start.
    out.push_back(makePacket(options_, event, ts, marker, at, false, duration));
    marker = false;
  }
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), [](const DtmfPacket& a, const DtmfPacket& b) { return a.sendAtMs < b.sendAtMs; });
  return true;
}

bool Rfc4733Sender::enqueue(const std::string& digits, int durationMs) {
  for (char c : digits) {
    if (dtmfEventCode(c) < 0) return false;
  }
  for (char c : digits) queue_.push_back({dtmfEventCode(c), durationMs > 0 ? durationMs : options_.toneMs});
  return true;
}

std::size_t Rfc4733Sender::poll(uint32_t nowMs, uint32_t streamTimestamp, std::vector<DtmfPacket>& out) {
  std::size_t n = 0;
  for (;;) {
    if (current_.empty()) {
      if (queue_.empty()) return n;
      if (idleFromSet_ && static_cast<int32_t>(nowMs - idleFromMs_) < 0) return n;
      const Queued q = queue_.front();
      queue_.pop_front();
      packetsForEvent(q.event, q.durationMs, streamTimestamp, current_);
      next_ = 0;
      eventStartMs_ = nowMs;
    }
    while (next_ < current_.size() && nowMs - eventStartMs_ >= current_[next_].sendAtMs) {
      out.push_back(current_[next_++]);
      n++;
    }
    if (next_ < current_.size()) return n;
    idleFromMs_ = eventStartMs_ + current_.back().sendAtMs + static_cast<uint32_t>(options_.updateIntervalMs) + static_cast<uint32_t>(std::max(options_.gapMs, 0));
    idleFromSet_ = true;
    current_.clear();
  }
}

Rfc4733Receiver::Rfc4733Receiver(Rfc4733ReceiverOptions options) : options_(options) {
  if (options_.clockRate <= 0) options_.clockRate = 8000;
}

bool Rfc4733Receiver::recentlyEnded(uint32_t ts) const {
  for (std::size_t i = 0; i < endedCount_; i++) {
    if (ended_[i] == ts) return true;
  }
  return false;
}

void Rfc4733Receiver::finish(DtmfEvent::End how, std::vector<DtmfEvent>& out) {
  cur_.durationTs = earlierTs_ + segmentDur_;
  cur_.durationMs = static_cast<uint32_t>(static_cast<uint64_t>(cur_.durationTs) * 1000 / static_cast<uint64_t>(options_.clockRate));
  cur_.endedBy = how;
  out.push_back(cur_);
  stats_.events++;
  if (how != DtmfEvent::End::EndBit) stats_.endLost++;
  auto remember = [this](uint32_t ts) {
    ended_[endedNext_] = ts;
    endedNext_ = (endedNext_ + 1) % ended_.size();
    endedCount_ = std::min(endedCount_ + 1, ended_.size());
  };
  remember(cur_.timestamp);
  if (segmentTs_ != cur_.timestamp) remember(segmentTs_);
  active_ = false;
}

std::size_t Rfc4733Receiver::onPacket(uint32_t ts, bool marker, const uint8_t* p, std::size_t size, uint32_t nowMs, std::vector<DtmfEvent>& out) {
  stats_.packets++;
  // RFC 4733 §2.3: the payload is at least one 4-octet event block.
  if (p == nullptr || size < 4) {
    stats_.malformed++;
    return 0;
  }
  const uint8_t event = p[0];
  const bool end = (p[1] & 0x80) != 0;
  const uint8_t volume = p[1] & 0x3F;
  const uint32_t duration = (static_cast<uint32_t>(p[2]) << 8) | p[3];
  const std::size_t before = out.size();

  if (active_) {
    const uint32_t diff = ts - segmentTs_;
    if (diff == 0 && event == cur_.event) {
      // RFC 4733 §2.5.2.1: packets with the same timestamp belong to the same event; a duration
      // update extends it; §2.5.2.2: retransmissions (same state) are ignored.
      lastPacketMs_ = nowMs;
      if (duration > segmentDur_) {
        segmentDur_ = duration;
      } else if (!end) {
        stats_.duplicates++;
        return 0;
      }
      cur_.volume = volume;
      if (end) finish(DtmfEvent::End::EndBit, out);
      return out.size() - before;
    }
    if (static_cast<int32_t>(diff) < 0 || recentlyEnded(ts)) {
      // A late packet of an event already over (a reordered retransmission of its end).
      stats_.duplicates++;
      return 0;
    }
    if (event == cur_.event && !marker && (diff == kMaxDuration || diff == segmentDur_)) {
      // RFC 4733 §2.5.2.3 (long-duration events): a new segment of the same event starts at
      // the previous segment's timestamp plus its duration; it continues the event.
      earlierTs_ += diff;
      segmentTs_ = ts;
      segmentDur_ = duration;
      cur_.volume = volume;
      lastPacketMs_ = nowMs;
      if (end) finish(DtmfEvent::End::EndBit, out);
      return out.size() - before;
    }
    // RFC 4733 §2.5.2.2: a packet with a new timestamp starts a new event; if the previous
    // one's end packets were lost, it ends now.
    finish(DtmfEvent::End::NewEvent, out);
  } else if (recentlyEnded(ts)) {
    // §2.5.1.4 retransmissions of the final packet of an event already reported.
    stats_.duplicates++;
    return 0;
  }
  // A new event: with or without the marker (a lost first packet, or a sender that never sets
  // it), from whatever packet of the event arrives first.
  active_ = true;
  cur_ = DtmfEvent{};
  cur_.event = event;
  cur_.digit = dtmfDigit(event);
  cur_.timestamp = ts;
  cur_.volume = volume;
  segmentTs_ = ts;
  segmentDur_ = duration;
  earlierTs_ = 0;
  lastPacketMs_ = nowMs;
  if (end) finish(DtmfEvent::End::EndBit, out);
  return out.size() - before;
}

std::size_t Rfc4733Receiver::poll(uint32_t nowMs, std::vector<DtmfEvent>& out) {
  if (!active_ || nowMs - lastPacketMs_ < options_.timeoutMs) return 0;
  // RFC 4733 §2.5.2.2: when the end packets are lost, the receiver ends the event itself when
  // no update arrives for a while: here `timeoutMs` (default 300 ms, several update intervals).
  finish(DtmfEvent::End::Timeout, out);
  return 1;
}

}  // namespace sipmedia
