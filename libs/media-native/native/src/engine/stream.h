// One media stream as its media thread runs it (internal to the engine).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codecs/codec.h"
#include "devices/device.h"
#include "dsp/agc.h"
#include "dsp/comfort_noise.h"
#include "dsp/vad.h"
#include "dtmf/inband.h"
#include "dtmf/rfc4733.h"
#include "engine/engine.h"
#include "engine/udp.h"
#include "jitter/jitter_buffer.h"
#include "resample/resampler.h"
#include "rtcp/rtcp_interval.h"
#include "rtp/rtp_receiver.h"
#include "rtp/rtp_sender.h"
#include "srtp/srtp_session.h"
#include "stats/stream_stats.h"

namespace sipmedia {

/** What the JavaScript thread and the media thread share about a stream. */
struct StreamShared {
  uint32_t id = 0;
  int thread = 0;
  std::mutex mutex;
  StreamStatsSnapshot snapshot;  // guarded by mutex
  std::atomic<bool> closed{false};
};

/**
 * Converts between a device rate and the codec rate, producing or taking whole frames. Buffers
 * are sized once; pull()/push() allocate nothing.
 */
class RateAdapter {
 public:
  void configure(int deviceRate, int codecRate, std::size_t maxFrame);
  /** Fills `out` with exactly `n` samples at the codec rate from `source`. */
  void pull(AudioSource& source, int16_t* out, std::size_t n);
  /** Gives `n` codec-rate samples to `sink` (converted to its rate). */
  void push(AudioSink& sink, const int16_t* in, std::size_t n);

 private:
  int deviceRate_ = 0;
  int codecRate_ = 0;
  std::unique_ptr<Resampler> toCodec_;
  std::unique_ptr<Resampler> toDevice_;
  std::vector<int16_t> in_;
  std::vector<int16_t> carry_;
  std::size_t carryCount_ = 0;
  std::vector<int16_t> out_;
};

/** Resolved codec state of a stream (encoder, decoder, framing). */
struct StreamCodec {
  const CodecFactory* factory = nullptr;
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Decoder> decoder;
  int payloadType = 0;
  int rtpClockRate = 8000;
  int sampleRate = 8000;
  int ptimeMs = 20;
  std::size_t frameSamples = 160;  // mono samples per packet at sampleRate
  uint32_t timestampUnits = 160;   // RTP clock units per packet
  std::string label;               // "PCMU/8000"
};

/** Resolves a CodecSpec into encoder/decoder; throws EngineError. */
StreamCodec makeStreamCodec(const CodecSpec& spec, int tickMs, const char* operation);
/**
 * Checks a comfort noise payload type against the stream's codec (RFC 3551 §6: 13 is CN/8000; a
 * dynamic one runs at the codec's RTP clock); -1 (none) passes. Throws EngineError.
 */
void checkComfortNoisePayloadType(int payloadType, const StreamCodec& codec, int telephoneEventPayloadType,
                                  const char* operation);
/** Builds SRTP keys from a spec; throws EngineError on bad material. */
void configureSrtp(SrtpSession& session, const SrtpSpec& spec, const char* operation);

class Stream {
 public:
  Stream(uint32_t id, const StreamConfig& config, const EngineConfig& engine, StreamCodec codec, int rtpFd, int rtcpFd,
         std::unique_ptr<SrtpSession> srtp, std::shared_ptr<StreamShared> shared);
  ~Stream();

  uint32_t id() const { return id_; }
  int rtpFd() const { return rtpFd_; }
  int rtcpFd() const { return rtcpFd_; }
  StreamShared& shared() { return *shared_; }

  /** Drains a readable socket (bounded per call). */
  void onReadable(bool rtcpSocket, int64_t nowUs, std::vector<EngineEvent>& events);
  /**
   * First half of a tick: playout into the sink (or the conference input); in-band DTMF found in
   * the received audio is reported as DtmfReceived events.
   */
  void playout(int64_t nowUs, std::vector<EngineEvent>& events);
  /** Second half: send media, DTMF, RTCP; timers; snapshot. */
  void send(int64_t nowUs, std::vector<EngineEvent>& events);
  /** Whether this tick is a frame boundary of the stream (ptime a multiple of the tick). */
  bool frameDue();

  void update(const StreamUpdate& update, StreamCodec* codec, std::unique_ptr<SrtpSession> srtp);
  void sendDtmf(const std::string& digits, int durationMs, bool inband);
  void setMuted(bool muted) { muted_ = muted; }
  void setGain(double send, double receive);
  void setStatsInterval(int ms) { statsIntervalMs_ = ms; }
  /** Replaces the stream's own source and/or sink (null keeps it); throws EngineError for a rate it cannot convert. */
  void setDevices(std::shared_ptr<AudioSource> source, std::shared_ptr<AudioSink> sink);
  /** Overrides source/sink (conference ports); null restores the configured ones. */
  void setConferencePorts(std::shared_ptr<AudioSource> source, std::shared_ptr<AudioSink> sink);
  /** Sends an RTCP BYE (RFC 3550 §6.6) and closes the sockets. */
  void shutdown(int64_t nowUs);

 private:
  void applyCodec(StreamCodec codec);
  void setRemote(const std::string& host, int port, int rtcpPort);
  void configureDevices();
  void configureInbandDetection();
  /**
   * Creates or frees the VAD, AGC and comfort noise encoder for the current settings; `rebuild`
   * (a codec change: another frame length) recreates the ones kept.
   */
  void configureAudioProcessing(bool rebuild);
  void handleRtp(uint8_t* data, std::size_t size, const UdpAddress& from, int64_t nowUs, std::vector<EngineEvent>& events);
  void handleRtcp(uint8_t* data, std::size_t size, int64_t nowUs);
  void sendPacket(int fd, const UdpAddress& to, uint8_t* data, std::size_t size, bool rtcp);
  void sendRtcp(int64_t nowUs, bool bye);
  void snapshot(int64_t nowUs, std::vector<EngineEvent>& events);
  bool sending() const;
  bool receiving() const;

  uint32_t id_;
  StreamConfig config_;
  const EngineConfig& engine_;
  StreamCodec codec_;
  int rtpFd_;
  int rtcpFd_;
  std::unique_ptr<SrtpSession> srtp_;
  std::shared_ptr<StreamShared> shared_;
  std::string cname_;

  UdpAddress remoteRtp_;
  UdpAddress remoteRtcp_;
  UdpAddress previousRemote_;
  bool latched_ = false;

  std::unique_ptr<RtpSender> sender_;
  std::unique_ptr<RtpReceiverStats> receiver_;
  int receiverClockRate_ = 0;
  /** Packets and octets sent by earlier senders of this SSRC (before codec changes). */
  uint64_t sentPacketsBase_ = 0;
  uint64_t sentOctetsBase_ = 0;
  std::unique_ptr<JitterBuffer> jitter_;
  std::unique_ptr<RtcpScheduler> rtcp_;
  std::unique_ptr<QualityEstimator> quality_;
  // DTMF generators exist only once digits are sent (most calls never send any).
  Rfc4733SenderOptions dtmfSenderOptions_;
  std::unique_ptr<Rfc4733Sender> dtmfSender_;
  Rfc4733Receiver dtmfReceiver_;
  std::unique_ptr<DtmfToneGenerator> inbandDtmf_;
  std::unique_ptr<Vad> vad_;
  std::unique_ptr<Agc> agc_;
  std::unique_ptr<ComfortNoiseEncoder> cnEncoder_;  // with dtx and a CN payload type
  std::unique_ptr<InbandDtmfDetector> inbandDetector_;
  int inbandDetectorRate_ = 0;

  std::shared_ptr<AudioSource> source_;
  std::shared_ptr<AudioSink> sink_;
  std::shared_ptr<AudioSource> confSource_;
  std::shared_ptr<AudioSink> confSink_;
  RateAdapter sourceAdapter_;
  RateAdapter sinkAdapter_;

  std::vector<int16_t> pcm_;   // codec-rate frame, channels interleaved
  std::vector<int16_t> mono_;  // codec-rate mono frame
  // Datagram, payload and DTMF scratch buffers are per media thread (stream.cc), not per stream.

  bool muted_ = false;
  float sendGain_ = 1.0f;
  float receiveGain_ = 1.0f;
  int statsIntervalMs_ = 0;
  int64_t startUs_ = 0;
  int64_t inactivityBaseUs_ = 0;  // last time we were not expecting media
  int64_t lastStatsEventUs_ = 0;
  int64_t lastQualityUs_ = 0;
  int64_t lastSrReceivedUs_ = 0;
  int tickCount_ = 0;
  int snapshotCountdown_ = 4;  // the first frame publishes at once
  bool started_ = false;
  bool receivingActive_ = false;
  bool timedOut_ = false;
  bool inactivityRestart_ = false;  // an update changed the timeout: count from the next tick
  bool closed_ = false;
  bool pendingSsrcEvent_ = false;
  uint32_t newRemoteSsrc_ = 0;
  std::vector<EngineEvent>* events_ = nullptr;

  // Counters for the snapshot.
  StreamStatsSnapshot stats_;
};

}  // namespace sipmedia
