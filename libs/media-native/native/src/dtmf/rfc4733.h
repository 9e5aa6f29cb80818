// RFC 4733 telephone-events (DTMF named events) at the packet level: what to send for a digit
// and what a stream of event packets means. No sockets and no clock reads: the caller passes
// the stream's RTP timestamp and its own time in milliseconds, so the engine can drive many
// streams from one thread and tests run in virtual time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace sipmedia {

/** RFC 4733 §3.2: event codes 0-9 are the digits, 10 is '*', 11 is '#', 12-15 are A-D. */
int dtmfEventCode(char digit);
/** The digit of an event code 0-15 ('0'-'9', '*', '#', 'A'-'D'), '\0' for other events. */
char dtmfDigit(int eventCode);

/** One telephone-event RTP packet to send (the RTP header fields the sender decides, and the payload). */
struct DtmfPacket {
  int payloadType = 101;
  /** RTP timestamp: the start of the event (segment), the same for all its packets (§2.5.1.2). */
  uint32_t timestamp = 0;
  /** RTP marker: set on the first packet of an event only (§2.5.1.2). */
  bool marker = false;
  /** When to send it, in ms from the start of the event. */
  uint32_t sendAtMs = 0;
  uint8_t event = 0;
  bool end = false;
  /** Power level in -dBm0 (0..63, §2.3.4). */
  uint8_t volume = 10;
  /** Duration so far in RTP timestamp units (§2.3.5). */
  uint16_t duration = 0;
  /** The 4-octet payload of §2.3: event, E|R|volume, duration (network order). */
  std::array<uint8_t, 4> payload{};
};

struct Rfc4733SenderOptions {
  /** The negotiated telephone-event payload type (any dynamic value, 96-127 usually). */
  int payloadType = 101;
  /** The RTP clock rate of the stream (telephone-event/8000, /16000, /48000...). */
  int clockRate = 8000;
  /** Interval of duration updates (§2.5.1.2: the audio packet time, or 50 ms). */
  int updateIntervalMs = 50;
  /** Power level in -dBm0 (RFC 4733 §2.3.4: 0..63). */
  int volume = 10;
  /** Default tone duration and the silence between queued digits. */
  int toneMs = 100;
  int gapMs = 100;
};

/**
 * Produces the packets of RFC 4733 events. Either build the packets of one event directly
 * (`packetsForEvent`), or queue digits and `poll` as time goes by: poll returns the packets due,
 * one event after the other, separated by `gapMs`.
 */
class Rfc4733Sender {
 public:
  explicit Rfc4733Sender(Rfc4733SenderOptions options = {});

  const Rfc4733SenderOptions& options() const { return options_; }

  /**
   * Appends to `out` every packet of one event of `durationMs` starting at RTP timestamp
   * `startTimestamp`, in send order: first packet with the marker, updates every
   * updateIntervalMs with the growing duration, then the final packet with the E bit sent three
   * times (§2.5.1.4) at the update interval. A duration beyond 0xFFFF timestamp units is split
   * into segments (§2.5.1.3). Returns false (and appends nothing) for an event code > 255.
   */
  bool packetsForEvent(int event, int durationMs, uint32_t startTimestamp, std::vector<DtmfPacket>& out) const;

  /** Queues digits ("0-9*#A-D", case-insensitive) of `durationMs` (toneMs when <= 0); false if one is invalid (nothing queued). */
  bool enqueue(const std::string& digits, int durationMs = 0);

  /**
   * Appends the packets due at `nowMs`. `streamTimestamp` is the RTP timestamp the stream would
   * give a packet now; it becomes the timestamp of an event that starts now. Returns how many
   * packets were appended.
   */
  std::size_t poll(uint32_t nowMs, uint32_t streamTimestamp, std::vector<DtmfPacket>& out);

  /** True while an event is being sent or digits wait in the queue. */
  bool busy() const { return !current_.empty() || !queue_.empty(); }
  /** True while the packets of an event are being sent (the audio of the stream should pause). */
  bool sendingEvent() const { return !current_.empty(); }

 private:
  struct Queued {
    int event;
    int durationMs;
  };
  Rfc4733SenderOptions options_;
  std::deque<Queued> queue_;
  std::vector<DtmfPacket> current_;  // the planned packets of the event in progress
  std::size_t next_ = 0;             // the first unsent one
  uint32_t eventStartMs_ = 0;
  uint32_t idleFromMs_ = 0;  // the next event may start at or after this time
  bool idleFromSet_ = false;
};

/** One received event, reported once when it ends. */
struct DtmfEvent {
  uint8_t event = 0;
  /** '0'-'9', '*', '#', 'A'-'D', or '\0' for non-DTMF events. */
  char digit = '\0';
  /** RTP timestamp of the event's first segment. */
  uint32_t timestamp = 0;
  /** Total duration in RTP timestamp units (all segments) and in milliseconds. */
  uint32_t durationTs = 0;
  uint32_t durationMs = 0;
  /** Power level in -dBm0, from the last packet. */
  uint8_t volume = 0;
  /** How the end was known. */
  enum class End { EndBit, NewEvent, Timeout } endedBy = End::EndBit;
};

struct Rfc4733ReceiverOptions {
  int clockRate = 8000;
  /** An event with no packet for this long is ended (its end packets were lost). */
  uint32_t timeoutMs = 300;
};

/** Counters of a receiver. */
struct Rfc4733ReceiverStats {
  uint64_t packets = 0;
  uint64_t malformed = 0;
  uint64_t duplicates = 0;   // retransmissions and repeats of a known state (incl. late ends)
  uint64_t events = 0;       // events reported
  uint64_t endLost = 0;      // events ended by timeout or by a new event, not by the E bit
};

/**
 * Turns telephone-event packets into events, robustly: duplicates and the three end
 * retransmissions are reported once; a lost first packet or a sender without the marker still
 * starts the event; lost end packets end it after a timeout or when a new event (a new
 * timestamp) begins; long events arriving in segments (§2.5.1.3) are merged; ends arriving after
 * their event was reported are ignored.
 */
class Rfc4733Receiver {
 public:
  explicit Rfc4733Receiver(Rfc4733ReceiverOptions options = {});

  /**
   * One telephone-event packet of the stream (payload type already checked by the caller).
   * Appends the events this packet completes to `out`; returns how many.
   */
  std::size_t onPacket(uint32_t timestamp, bool marker, const uint8_t* payload, std::size_t size, uint32_t nowMs, std::vector<DtmfEvent>& out);

  /** Ends an event whose packets stopped `timeoutMs` ago; call periodically. Returns events appended. */
  std::size_t poll(uint32_t nowMs, std::vector<DtmfEvent>& out);

  /** True while an event is in progress (a digit is being pressed). */
  bool active() const { return active_; }
  /** The event in progress (meaningful while active()). */
  uint8_t activeEvent() const { return cur_.event; }

  const Rfc4733ReceiverStats& stats() const { return stats_; }

 private:
  void finish(DtmfEvent::End how, std::vector<DtmfEvent>& out);
  bool recentlyEnded(uint32_t timestamp) const;

  Rfc4733ReceiverOptions options_;
  Rfc4733ReceiverStats stats_;
  bool active_ = false;
  DtmfEvent cur_;
  uint32_t segmentTs_ = 0;    // timestamp of the current segment
  uint32_t segmentDur_ = 0;   // largest duration seen in it
  uint32_t earlierTs_ = 0;    // duration of the completed segments before it
  uint32_t lastPacketMs_ = 0;
  std::array<uint32_t, 8> ended_{};  // timestamps of recently reported events (and their segments)
  std::size_t endedCount_ = 0;
  std::size_t endedNext_ = 0;
};

}  // namespace sipmedia
