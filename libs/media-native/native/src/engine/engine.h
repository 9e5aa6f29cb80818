// The media engine: streams (RTP/RTCP sessions with codec, jitter buffer, SRTP, DTMF, a source
// and a sink), conferences (mix-minus), and the media threads that run them.
//
// Threading (issue 4 "Threading"): `EngineConfig::threads` media threads (1 by default), each an
// epoll loop over the non-blocking UDP sockets of its streams plus a timerfd tick of `tickMs`:
//   socket readable -> (SRTP unprotect) -> RTP/RTCP demux (RFC 5761 rtcp-mux aware) -> jitter buffer
//   each tick: playout -> decode -> sink; conference mixes; source -> (gain/mute) -> encode -> RTP
//              -> (SRTP) -> send; RTCP when its scheduler says; inactivity timeout; stats snapshot.
// Nothing on that path calls into JavaScript or allocates per packet. Commands (create, update,
// close, DTMF, mute, gain, conferences) are queued under a mutex, the thread is woken through an
// eventfd, and they are applied between ticks. Events (stream started, first packet, DTMF,
// inactivity, SSRC change, periodic stats, faults) are queued the same way and announced through
// ONE notify callback per engine, at most once per tick (the N-API layer turns that into one
// ThreadSafeFunction call that drains the whole batch).
//
// Faults: an exception inside one stream's work closes that stream (StreamFault event); one that
// escapes a thread's loop kills the engine (EngineDied event, every stream closed); the process
// never crashes. Plain C++ (no napi.h): the native unit tests drive it directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "devices/device.h"
#include "jitter/jitter_buffer.h"
#include "srtp/srtp_session.h"
#include "stats/stream_stats.h"

namespace sipmedia {

/** A failure of an engine operation, with where in the native code it was raised. */
class EngineError : public std::runtime_error {
 public:
  EngineError(std::string operation, const std::string& message, std::string location)
      : std::runtime_error(message), operation_(std::move(operation)), location_(std::move(location)) {}
  const std::string& operation() const { return operation_; }
  /** `file:line` of the native code that refused. */
  const std::string& location() const { return location_; }

 private:
  std::string operation_;
  std::string location_;
};

/** RFC 3264 §6.1 media direction (from our point of view). */
enum class StreamDirection { SendRecv, SendOnly, RecvOnly, Inactive };

/** The negotiated codec of a stream. */
struct CodecSpec {
  /** SDP encoding name (`PCMU`, `G722`, `opus`, `G729`). */
  std::string name;
  /** The payload type from SDP; -1 = the codec's static one. */
  int payloadType = -1;
  /** The rtpmap clock rate; 0 = the codec's. */
  int clockRate = 0;
  /** The rtpmap channels (1; 2 for opus). */
  int channels = 1;
  std::string fmtp;
  /** Packet time, ms (a multiple of the engine tick); 0 = the codec default. */
  int ptimeMs = 0;
};

/** SDES-keyed SRTP (RFC 4568): suite name and the `inline:` key parameters of each side. */
struct SrtpSpec {
  std::string suite;
  /** Our key (what we offered/answered in a=crypto), `inline:<base64>[|lifetime][|mki:len]` or bare base64. */
  std::string localKey;
  /** The peer's key. */
  std::string remoteKey;
};

struct StreamConfig {
  /** Local address to bind (IPv4 or IPv6 literal). */
  std::string localAddress = "127.0.0.1";
  /** Local RTP port; 0 = allocate an even port from the engine's range. */
  int localPort = 0;
  CodecSpec codec;
  /** RFC 4733 telephone-event payload type, -1 = none. */
  int telephoneEventPayloadType = -1;
  /** The peer; empty address = not known yet (nothing sent until set or latched). */
  std::string remoteAddress;
  int remotePort = 0;
  /** The peer's RTCP port; 0 = remotePort + 1 (RFC 3550 §11), ignored with rtcp-mux. */
  int remoteRtcpPort = 0;
  /** RFC 5761: RTP and RTCP on one port. */
  bool rtcpMux = false;
  StreamDirection direction = StreamDirection::SendRecv;
  /** Symmetric RTP: send to where the peer's packets come from (latched on the first valid packet). */
  bool latch = true;
  std::optional<SrtpSpec> srtp;
  /** Where decoded audio goes / what is sent; null = NullSink / NullSource. */
  std::shared_ptr<AudioSource> source;
  std::shared_ptr<AudioSink> sink;
  /** RTP inactivity timeout, ms (0 = off). */
  int inactivityTimeoutMs = 0;
  /** Period of Stats events, ms (0 = none; getStats() works regardless). */
  int statsIntervalMs = 0;
  /** Jitter buffer bounds, ms (0 = the engine's). */
  int jitterMinMs = 0;
  int jitterMaxMs = 0;
  /** Conference to join at creation (its thread is used), 0 = none. */
  uint32_t conference = 0;
  /** Automatic gain control on what we send (config `agc_mode`). */
  bool agc = false;
  /** Voice activity detection aggressiveness 0..3 (config `vad_level`), -1 = off. */
  int vadLevel = -1;
  /**
   * Discontinuous transmission (config `dtx_mode`): frames the VAD calls silence are not sent
   * (the timestamp keeps running; the next packet carries the marker, RFC 3551 §4.1). Needs vadLevel >= 0.
   * With a comfort noise payload type, SID packets carry the noise level during silence (RFC 3389).
   */
  bool dtx = false;
  /**
   * RFC 3389 comfort noise payload type (13 = CN/8000, RFC 3551 §6; or a dynamic one with the
   * codec's RTP clock), -1 = none negotiated. Received CN packets always drive the comfort noise
   * generator; we send SID packets only with `dtx`.
   */
  int comfortNoisePayloadType = -1;
  /**
   * Detect in-band DTMF tones in the received audio (after decode) and report them as DtmfReceived
   * events with `inband`. Unset: on when no telephone-event payload type is negotiated.
   */
  std::optional<bool> detectInbandDtmf;
};

/** A re-INVITE: what changes (unset fields stay as they are). */
struct StreamUpdate {
  std::optional<CodecSpec> codec;
  std::optional<int> telephoneEventPayloadType;
  std::optional<std::string> remoteAddress;
  std::optional<int> remotePort;
  std::optional<int> remoteRtcpPort;
  std::optional<StreamDirection> direction;
  std::optional<SrtpSpec> srtp;
  /** New CN payload type (-1 = no longer negotiated). */
  std::optional<int> comfortNoisePayloadType;
  /** In-band DTMF detection on/off (the default follows the telephone-event payload type). */
  std::optional<bool> detectInbandDtmf;
  /**
   * Live audio processing of what we send (config `agc_mode`, `vad_level`, `dtx_mode` changed
   * during a call): applied at the next frame; the VAD and AGC keep their adaptation when only
   * another setting changes.
   */
  std::optional<bool> agc;
  /** -1 = VAD off. */
  std::optional<int> vadLevel;
  std::optional<bool> dtx;
  /**
   * A new RTP inactivity timeout, ms (0 = off), e.g. `rtp_inactivity_timeout` changed during a
   * call, or the call held/retrieved: the count restarts from this update (a past timeout is
   * forgotten, so it can fire again).
   */
  std::optional<int> inactivityTimeoutMs;
};

/** Everything getStats() reports about a stream. */
struct StreamStatsSnapshot {
  StreamStatistics rtp;
  JitterBufferStats jitter;
  SrtpStats srtp;
  uint32_t localSsrc = 0;
  uint32_t remoteSsrc = 0;
  /** True while packets arrive (first packet seen, no inactivity timeout since). */
  bool receiving = false;
  uint64_t malformedPackets = 0;
  uint64_t otherPayloadPackets = 0;
  uint64_t rtcpSent = 0;
  uint64_t rtcpReceived = 0;
  uint64_t malformedRtcp = 0;
  uint64_t dtmfPacketsSent = 0;
  uint64_t dtmfEventsReceived = 0;
  uint64_t sendErrors = 0;
  uint64_t ssrcChanges = 0;
  /** Frames not sent because the VAD called them silence (DTX). */
  uint64_t dtxFrames = 0;
  /** RFC 3389 SID (comfort noise) packets sent during DTX silence. */
  uint64_t sidPacketsSent = 0;
  /** RFC 3389 CN packets received (given to the jitter buffer). */
  uint64_t sidPacketsReceived = 0;
  /** Digits found by the in-band DTMF detector in the received audio. */
  uint64_t inbandDtmfReceived = 0;
};

enum class EngineEventType {
  /** The stream runs on its media thread. */
  StreamStarted,
  /** The first valid RTP packet arrived (or packets resumed after an inactivity timeout). */
  ReceivingStarted,
  /** A digit ended (digit, durationMs): an RFC 4733 event, or an in-band tone (inband). */
  DtmfReceived,
  /** No RTP for inactivityTimeoutMs. */
  ReceivingTimeout,
  /** The remote source changed SSRC (ssrc). */
  SsrcChanged,
  /** Periodic statistics (stats). */
  Stats,
  /** The stream failed and was closed (message). */
  StreamFault,
  /** The stream is closed (after closeStream or a fault). */
  StreamClosed,
  /** The engine died (message): every stream is closed. */
  EngineDied,
};

struct EngineEvent {
  EngineEventType type = EngineEventType::StreamStarted;
  uint32_t streamId = 0;
  std::string message;
  char digit = 0;
  uint32_t durationMs = 0;
  /** DtmfReceived: found by the in-band detector (else an RFC 4733 event). */
  bool inband = false;
  uint32_t ssrc = 0;
  std::shared_ptr<StreamStatsSnapshot> stats;
};

struct EngineConfig {
  /** RTP port range (`rtp_port_min`/`rtp_port_max`); RTP gets even ports, RTCP the next odd one. */
  int portMin = 16384;
  int portMax = 32767;
  int threads = 1;
  /** Media tick, ms. */
  int tickMs = 20;
  int jitterMinMs = 20;
  int jitterMaxMs = 200;
  /** RTCP CNAME (RFC 3550 §6.5.1); empty = `sip-endpoint@<random>`. */
  std::string cname;
};

class MediaThread;
struct StreamShared;

/** The engine. Thread-safe: every public method may be called from any (non-media) thread. */
class Engine {
 public:
  /** Called from a media thread when events are waiting in drainEvents(): at most once per tick. */
  using Notify = std::function<void()>;

  /** Starts the media threads. Throws EngineError when a thread, epoll or timer cannot be created. */
  Engine(const EngineConfig& config, Notify notify);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  struct CreatedStream {
    uint32_t id = 0;
    int rtpPort = 0;
    /** The RTCP port (== rtpPort with rtcp-mux). */
    int rtcpPort = 0;
  };

  /** Creates and starts a stream. Throws EngineError (bad codec, no free port, bad key...). */
  CreatedStream createStream(const StreamConfig& config);
  /** Applies a re-INVITE. Throws EngineError for an unknown stream or a refused change. */
  void updateStream(uint32_t id, const StreamUpdate& update);
  /** Closes a stream (RTCP BYE sent). Idempotent: false when it was not open. */
  bool closeStream(uint32_t id);
  /** Queues DTMF digits: RFC 4733 events (needs a telephone-event payload type) or in-band tones. */
  void sendDtmf(uint32_t id, const std::string& digits, int durationMs, bool inband);
  /** Mutes what we send (silence is encoded and sent). */
  void setMuted(uint32_t id, bool muted);
  /** Linear gains (0..16) of what we send and what we play; a negative value keeps the current one. */
  void setGain(uint32_t id, double sendGain, double receiveGain);
  /** Changes the period of Stats events (0 = off). */
  void setStatsInterval(uint32_t id, int ms);
  /**
   * Replaces the stream's source and/or sink (null keeps the current one) while it runs: device
   * hot-plug, a removed headset falling back to the default device. Applied between ticks; throws
   * EngineError for an unknown stream or a device rate the stream cannot convert.
   */
  void setStreamDevices(uint32_t id, std::shared_ptr<AudioSource> source, std::shared_ptr<AudioSink> sink);
  /** The last snapshot (refreshed every tick). False for an unknown or closed stream. */
  bool getStats(uint32_t id, StreamStatsSnapshot& out) const;

  /** Creates a mix-minus conference (16 kHz, on one media thread); returns its id. */
  uint32_t createConference();
  /** Adds a stream: its decoded audio goes to the mix, it sends the mix of the others. */
  void addToConference(uint32_t conference, uint32_t stream);
  void removeFromConference(uint32_t conference, uint32_t stream);
  /** Closes a conference (its streams go back to their own source/sink). Idempotent. */
  bool closeConference(uint32_t conference);

  /** Takes the events queued since the last call. */
  std::vector<EngineEvent> drainEvents();
  /** Stops the threads and closes every stream. Idempotent. */
  void close();
  bool closed() const { return closed_; }
  /** True after an EngineDied event. */
  bool dead() const { return dead_; }
  const EngineConfig& config() const { return config_; }
  /** Open streams (for leak checks). */
  std::size_t streamCount() const;

  /** Test hook: makes media thread `index` throw from its loop (the engine must die cleanly). */
  void injectFault(int index);

  // Internal, for media threads.
  void pushEvents(std::vector<EngineEvent>& events);
  void died(const std::string& message);
  void forget(uint32_t id);

 private:
  std::shared_ptr<StreamShared> find(uint32_t id, const char* operation) const;
  MediaThread& threadFor(uint32_t conference);

  EngineConfig config_;
  Notify notify_;
  std::vector<std::unique_ptr<MediaThread>> threads_;
  mutable std::mutex mutex_;
  std::unordered_map<uint32_t, std::shared_ptr<StreamShared>> streams_;
  std::unordered_map<uint32_t, int> conferences_;  // id -> thread
  std::vector<EngineEvent> events_;
  std::atomic<uint32_t> nextId_{1};
  std::atomic<uint32_t> nextThread_{0};
  int nextPort_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> dead_{false};
  std::mutex closeMutex_;
};

/** Raises EngineError with this source location. */
#define SIPMEDIA_FAIL(operation, message) \
  throw ::sipmedia::EngineError((operation), (message), std::string(__FILE__) + ":" + std::to_string(__LINE__))

}  // namespace sipmedia
