#include "engine/stream.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <strings.h>

#include "rtcp/rtcp_packet.h"
#include "rtp/ntp_time.h"
#include "rtp/rtp_packet.h"
#include "srtp/sdes.h"

namespace sipmedia {

namespace {

constexpr std::size_t kMaxDatagram = 2048;
constexpr int kRecvBurst = 64;  // datagrams read per readiness event (bounded work per stream)

uint64_t ntpNow() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return ntpFromUnixMicros(us);
}

void applyGain(int16_t* pcm, std::size_t n, float gain) {
  if (gain == 1.0f) return;
  for (std::size_t i = 0; i < n; i++) {
    const float v = pcm[i] * gain;
    pcm[i] = static_cast<int16_t>(v > 32767.f ? 32767 : (v < -32768.f ? -32768 : v));
  }
}

bool parseKey(const std::string& text, SrtpSuite suite, SdesKeyParam& out, std::string& error) {
  std::string t = text;
  if (t.rfind("inline:", 0) != 0) t = "inline:" + t;
  SdesError e = parseSdesKeyParam(t, suite, out);
  if (!e.ok()) error = e.message;
  return e.ok();
}

// Scratch buffers of one media thread, shared by its streams (a thread runs its streams one after
// the other and no stream keeps data in them between calls): an incoming datagram, an outgoing
// one, an encoded payload, DTMF packets and events. Per stream they would cost about 8 KB.
struct ThreadBuffers {
  std::vector<uint8_t> recv = std::vector<uint8_t>(kMaxDatagram + SrtpSession::kMaxOverhead);
  std::vector<uint8_t> packet = std::vector<uint8_t>(kMaxDatagram + SrtpSession::kMaxOverhead);
  std::vector<uint8_t> payload = std::vector<uint8_t>(kMaxDatagram);
  std::vector<DtmfPacket> dtmfPackets;
  std::vector<DtmfEvent> dtmfEvents;
  std::vector<InbandDigit> inbandDigits;
  ThreadBuffers() {
    dtmfPackets.reserve(64);
    dtmfEvents.reserve(16);
    inbandDigits.reserve(16);
  }
};

ThreadBuffers& buffers() {
  thread_local ThreadBuffers b;
  return b;
}

}  // namespace

// ---- RateAdapter -------------------------------------------------------------------------

void RateAdapter::configure(int deviceRate, int codecRate, std::size_t maxFrame) {
  deviceRate_ = deviceRate;
  codecRate_ = codecRate;
  toCodec_.reset();
  toDevice_.reset();
  carryCount_ = 0;
  if (deviceRate == codecRate) return;
  if (!Resampler::supports(deviceRate, codecRate))
    SIPMEDIA_FAIL("createStream", "cannot convert audio between " + std::to_string(deviceRate) + " Hz and " +
                                      std::to_string(codecRate) + " Hz (8/16/32/48 kHz are supported)");
  toCodec_ = std::make_unique<Resampler>(deviceRate, codecRate);
  toDevice_ = std::make_unique<Resampler>(codecRate, deviceRate);
  const std::size_t maxIn = maxFrame * static_cast<std::size_t>(std::max(deviceRate, codecRate)) / static_cast<std::size_t>(std::min(deviceRate, codecRate)) + 16;
  in_.assign(maxIn, 0);
  carry_.assign(maxIn * 4 + toCodec_->maxOutput(maxIn), 0);
  out_.assign(toDevice_->maxOutput(maxFrame) + 16, 0);
}

void RateAdapter::pull(AudioSource& source, int16_t* out, std::size_t n) {
  if (!toCodec_) {
    source.read(out, n);
    return;
  }
  // Read about one frame's worth at the device rate until `n` converted samples are waiting.
  for (int round = 0; round < 3 && carryCount_ < n; round++) {
    std::size_t want = (n - carryCount_) * static_cast<std::size_t>(deviceRate_) / static_cast<std::size_t>(codecRate_) + 1;
    want = std::min(want, in_.size());
    source.read(in_.data(), want);
    const int got = toCodec_->process(in_.data(), want, carry_.data() + carryCount_, carry_.size() - carryCount_);
    if (got <= 0) break;
    carryCount_ += static_cast<std::size_t>(got);
  }
  const std::size_t take = std::min(n, carryCount_);
  std::memcpy(out, carry_.data(), take * sizeof(int16_t));
  for (std::size_t i = take; i < n; i++) out[i] = take ? out[take - 1] : 0;
  std::memmove(carry_.data(), carry_.data() + take, (carryCount_ - take) * sizeof(int16_t));
  carryCount_ -= take;
}

void RateAdapter::push(AudioSink& sink, const int16_t* in, std::size_t n) {
  if (!toDevice_) {
    sink.write(in, n);
    return;
  }
  const int got = toDevice_->process(in, n, out_.data(), out_.size());
  if (got > 0) sink.write(out_.data(), static_cast<std::size_t>(got));
}

// ---- codec / keys ------------------------------------------------------------------------

StreamCodec makeStreamCodec(const CodecSpec& spec, int tickMs, const char* operation) {
  StreamCodec c;
  const CodecFactory* f = nullptr;
  for (const CodecFactory* cand : codecTable()) {
    const CodecInfo& i = cand->info();
    if (strcasecmp(i.name.c_str(), spec.name.c_str()) == 0 && (spec.clockRate == 0 || spec.clockRate == i.rtpClockRate)) {
      f = cand;
      break;
    }
  }
  if (!f) SIPMEDIA_FAIL(operation, "unknown codec " + spec.name + "/" + std::to_string(spec.clockRate));
  const CodecInfo& info = f->info();
  if (!info.available) SIPMEDIA_FAIL(operation, "codec " + info.name + " is not available in this build: " + info.unavailableReason);
  CodecOptions options;
  options.fmtp = spec.fmtp.empty() ? info.defaultFmtp : spec.fmtp;
  c.encoder = f->createEncoder(options);
  c.decoder = f->createDecoder(options);
  if (!c.encoder || !c.decoder) SIPMEDIA_FAIL(operation, "codec " + info.name + " refused its options (fmtp '" + options.fmtp + "')");
  c.factory = f;
  c.payloadType = spec.payloadType >= 0 ? spec.payloadType : info.staticPayloadType;
  if (c.payloadType < 0 || c.payloadType > 127) SIPMEDIA_FAIL(operation, "codec " + info.name + " needs a payload type (dynamic)");
  c.rtpClockRate = info.rtpClockRate;
  c.sampleRate = info.sampleRate;
  c.ptimeMs = spec.ptimeMs > 0 ? spec.ptimeMs : info.frameMs;
  if (c.ptimeMs % tickMs != 0 || c.ptimeMs % info.frameMs != 0 || c.ptimeMs > 120)
    SIPMEDIA_FAIL(operation, "packet time " + std::to_string(c.ptimeMs) + " ms is not a multiple of the engine tick (" +
                                 std::to_string(tickMs) + " ms) and of the codec frame (" + std::to_string(info.frameMs) + " ms)");
  c.frameSamples = samplesFor(c.sampleRate, c.ptimeMs);
  c.timestampUnits = static_cast<uint32_t>(samplesFor(c.rtpClockRate, c.ptimeMs));
  c.label = info.name + "/" + std::to_string(info.rtpClockRate);
  return c;
}

void checkComfortNoisePayloadType(int pt, const StreamCodec& codec, int telephoneEventPayloadType, const char* operation) {
  if (pt < 0) return;
  if (pt > 127) SIPMEDIA_FAIL(operation, "bad comfort noise payload type " + std::to_string(pt));
  if (pt == codec.payloadType || pt == telephoneEventPayloadType)
    SIPMEDIA_FAIL(operation, "comfort noise payload type " + std::to_string(pt) + " is already used by the codec or telephone-event");
  // RFC 3551 §6: payload type 13 is CN with an 8000 Hz clock; with another RTP clock (opus at
  // 48000) CN needs a dynamic payload type at that clock (RFC 3389 §5).
  if (pt == kComfortNoiseStaticPayloadType && codec.rtpClockRate != 8000)
    SIPMEDIA_FAIL(operation, "payload type 13 is CN/8000; " + codec.label + " needs a dynamic CN payload type");
  if (pt != kComfortNoiseStaticPayloadType && pt < 96)
    SIPMEDIA_FAIL(operation, "comfort noise payload type " + std::to_string(pt) + " is neither 13 nor dynamic (96-127)");
}

void configureSrtp(SrtpSession& session, const SrtpSpec& spec, const char* operation) {
  if (!SrtpSession::available()) SIPMEDIA_FAIL(operation, std::string("SRTP is not available: ") + SrtpSession::unavailableReason());
  const SrtpSuiteInfo* suite = findSrtpSuite(spec.suite);
  if (!suite) SIPMEDIA_FAIL(operation, "unknown SRTP suite " + spec.suite);
  SrtpDirectionKeys out, in;
  out.suite = in.suite = suite->suite;
  SdesKeyParam k;
  std::string error;
  if (!parseKey(spec.localKey, suite->suite, k, error)) SIPMEDIA_FAIL(operation, "bad local SRTP key: " + error);
  out.keys.push_back(k);
  if (!parseKey(spec.remoteKey, suite->suite, k, error)) SIPMEDIA_FAIL(operation, "bad remote SRTP key: " + error);
  in.keys.push_back(k);
  SrtpStatus s = session.configure(out, in);
  if (s != SrtpStatus::Ok) SIPMEDIA_FAIL(operation, std::string("SRTP refused the keys: ") + srtpStatusName(s));
}

// ---- Stream ------------------------------------------------------------------------------

Stream::Stream(uint32_t id, const StreamConfig& config, const EngineConfig& engine, StreamCodec codec, int rtpFd, int rtcpFd,
               std::unique_ptr<SrtpSession> srtp, std::shared_ptr<StreamShared> shared)
    : id_(id),
      config_(config),
      engine_(engine),
      rtpFd_(rtpFd),
      rtcpFd_(rtcpFd),
      srtp_(std::move(srtp)),
      shared_(std::move(shared)) {
  cname_ = engine.cname;
  statsIntervalMs_ = config.statsIntervalMs;
  source_ = config_.source ? config_.source : std::make_shared<NullSource>(8000);
  sink_ = config_.sink ? config_.sink : std::make_shared<NullSink>(8000);
  config_.source.reset();
  config_.sink.reset();
  RtpSenderConfig sc;
  sc.identity = randomRtpIdentity();
  sc.payloadType = static_cast<uint8_t>(codec.payloadType);
  sc.rtpClockRate = codec.rtpClockRate;
  sender_ = std::make_unique<RtpSender>(sc);
  applyCodec(std::move(codec));
  setRemote(config_.remoteAddress, config_.remotePort, config_.remoteRtcpPort);
}

Stream::~Stream() {
  if (rtpFd_ >= 0) ::close(rtpFd_);
  if (rtcpFd_ >= 0) ::close(rtcpFd_);
}

void Stream::applyCodec(StreamCodec codec) {
  codec_ = std::move(codec);
  // Keep SSRC, sequence and timestamp continuity across a codec change (RFC 3550 §5.1: the
  // payload type may change within a stream).
  RtpSenderConfig sc;
  sc.identity.ssrc = sender_->ssrc();
  sc.identity.initialSequence = sender_->nextSequence();
  sc.identity.initialTimestamp = sender_->nextTimestamp();
  sc.payloadType = static_cast<uint8_t>(codec_.payloadType);
  sc.rtpClockRate = codec_.rtpClockRate;
  // RFC 3550 §6.4.1: the sender's packet and octet counts run from the start of the SSRC, which
  // a codec change (a re-INVITE) keeps: carry them over to the new sender.
  sentPacketsBase_ += sender_->packetCount();
  sentOctetsBase_ += sender_->octetCount();
  sender_ = std::make_unique<RtpSender>(sc);
  // The reception state (loss, jitter, sequence) survives unless the RTP clock changes (jitter is
  // in RTP clock units, RFC 3550 §A.8).
  if (!receiver_ || receiverClockRate_ != codec_.rtpClockRate) {
    RtpReceiverConfig rc;
    rc.rtpClockRate = codec_.rtpClockRate;
    rc.localSsrc = sender_->ssrc();
    receiver_ = std::make_unique<RtpReceiverStats>(rc);
    receiverClockRate_ = codec_.rtpClockRate;
  }
  JitterBufferConfig jc;
  jc.frameMs = codec_.ptimeMs;
  jc.minDelayMs = config_.jitterMinMs > 0 ? config_.jitterMinMs : engine_.jitterMinMs;
  jc.maxDelayMs = config_.jitterMaxMs > 0 ? config_.jitterMaxMs : engine_.jitterMaxMs;
  jc.minDelayMs = std::max(jc.minDelayMs, codec_.ptimeMs);
  jc.maxDelayMs = std::max(jc.maxDelayMs, jc.minDelayMs);
  // Size the buffer for this codec (memory per stream matters at 1000 streams): enough slots
  // for the largest delay plus a burst, payloads no bigger than the codec can produce in the
  // longest packet a peer may send (RFC 3551 §4.5: up to 120 ms whatever our ptime; one octet
  // per sample bounds G.711/G.722/G.729; Opus up to an MTU).
  jc.capacityPackets = std::max(16, jc.maxDelayMs / codec_.ptimeMs * 2 + 8);
  const bool variable = strcasecmp(codec_.factory->info().name.c_str(), "opus") == 0;
  jc.maxPayloadBytes = variable ? 1500 : static_cast<int>(samplesFor(codec_.sampleRate, 120)) + 64;
  // Slots start with room for twice the negotiated packet time (a peer on 30 ms against our 20 ms
  // fits) and grow once to the maximum if longer packets come: 28 slots of 336 octets for 20 ms
  // of G.711 instead of 1024. Opus: 16 octets per ms of packet time (64 kbit/s at twice the ptime).
  jc.initialPayloadBytes = variable ? codec_.ptimeMs * 16 + 16 : static_cast<int>(samplesFor(codec_.sampleRate, 2 * codec_.ptimeMs)) + 16;
  jitter_ = std::make_unique<JitterBuffer>(jc, *codec_.decoder, codec_.rtpClockRate);
  // RFC 3550 §6.2: session bandwidth from the codec's rate; RTCP gets 5% of it.
  RtcpIntervalConfig ic;
  ic.sessionBandwidthBytesPerSec = 10000;
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (!rtcp_) rtcp_ = std::make_unique<RtcpScheduler>(ic, now);
  quality_ = std::make_unique<QualityEstimator>(eModelCodecFor(codec_.factory->info().name));
  dtmfSenderOptions_ = Rfc4733SenderOptions{};
  dtmfSenderOptions_.payloadType = config_.telephoneEventPayloadType >= 0 ? config_.telephoneEventPayloadType : 101;
  dtmfSenderOptions_.clockRate = codec_.rtpClockRate;
  dtmfSenderOptions_.updateIntervalMs = codec_.ptimeMs;
  dtmfSender_.reset();  // created by the first sendDtmf at this clock
  Rfc4733ReceiverOptions ro;
  ro.clockRate = codec_.rtpClockRate;
  dtmfReceiver_ = Rfc4733Receiver(ro);
  inbandDtmf_.reset();  // created by the first in-band sendDtmf at this rate
  configureAudioProcessing(true);
  configureInbandDetection();
  stats_.rtp.codec = codec_.label;
  const std::size_t frame = codec_.frameSamples * 2 + 16;  // stereo interleaved at most
  if (pcm_.size() < frame) pcm_.assign(frame, 0);
  if (mono_.size() < frame) mono_.assign(frame, 0);
  configureDevices();
}

void Stream::configureDevices() {
  AudioSource& src = confSource_ ? *confSource_ : *source_;
  AudioSink& snk = confSink_ ? *confSink_ : *sink_;
  sourceAdapter_.configure(src.sampleRate(), codec_.sampleRate, codec_.frameSamples);
  sinkAdapter_.configure(snk.sampleRate(), codec_.sampleRate, codec_.frameSamples);
}

void Stream::configureAudioProcessing(bool rebuild) {
  // Only what the settings use exists: the VAD decides for DTX and gates the AGC's adaptation, so
  // a VAD level without DTX or AGC costs nothing (most calls run none of the three).
  const bool wantVad = config_.vadLevel >= 0 && (config_.dtx || config_.agc);
  if (rebuild || !wantVad) vad_.reset();
  if (wantVad && !vad_) {
    VadConfig vc;
    vc.aggressiveness = std::min(config_.vadLevel, 3);
    vc.frameMs = codec_.ptimeMs;
    vad_ = std::make_unique<Vad>(vc);
  } else if (wantVad) {
    vad_->setAggressiveness(std::min(config_.vadLevel, 3));
  }
  if (rebuild || !config_.agc) agc_.reset();
  if (config_.agc && !agc_) {
    AgcConfig ac;
    ac.frameMs = codec_.ptimeMs;
    agc_ = std::make_unique<Agc>(ac);
  }
  const bool wantCn = config_.dtx && config_.comfortNoisePayloadType >= 0;
  if (rebuild || !wantCn) cnEncoder_.reset();
  if (wantCn && !cnEncoder_) cnEncoder_ = std::make_unique<ComfortNoiseEncoder>(codec_.ptimeMs);
}

void Stream::configureInbandDetection() {
  // Default: in-band detection when no telephone-event is negotiated (the peer can only send
  // tones in the audio then).
  const bool on = config_.detectInbandDtmf.value_or(config_.telephoneEventPayloadType < 0);
  if (!on) {
    inbandDetector_.reset();
    inbandDetectorRate_ = 0;
    return;
  }
  if (inbandDetector_ && inbandDetectorRate_ == codec_.sampleRate) return;
  // Our Goertzel detector, not spandsp's dtmf_rx: through G.729 spandsp loses or splits most
  // digits while ours finds them all (native/test/inband_dtmf_codecs_test.cc); about 1.1 us per
  // 20 ms frame at 8 kHz (spandsp 0.8 us).
  inbandDetector_ = std::make_unique<InbandDtmfDetector>(codec_.sampleRate, DtmfDetectorBackend::Goertzel);
  inbandDetectorRate_ = codec_.sampleRate;
}

void Stream::setDevices(std::shared_ptr<AudioSource> source, std::shared_ptr<AudioSink> sink) {
  // Checked before anything changes: a refused device leaves the stream as it was.
  for (int rate : {source ? source->sampleRate() : codec_.sampleRate, sink ? sink->sampleRate() : codec_.sampleRate}) {
    if (rate != codec_.sampleRate && !Resampler::supports(rate, codec_.sampleRate))
      SIPMEDIA_FAIL("setDevices", "cannot convert audio between " + std::to_string(rate) + " Hz and " + std::to_string(codec_.sampleRate) +
                                      " Hz (8/16/32/48 kHz are supported)");
  }
  if (source) source_ = std::move(source);
  if (sink) sink_ = std::move(sink);
  configureDevices();
}

void Stream::setConferencePorts(std::shared_ptr<AudioSource> source, std::shared_ptr<AudioSink> sink) {
  confSource_ = std::move(source);
  confSink_ = std::move(sink);
  configureDevices();
}

void Stream::setRemote(const std::string& host, int port, int rtcpPort) {
  // A re-INVITE moved the peer: packets still arriving from the old address must not pull the
  // stream back there by latching.
  previousRemote_ = remoteRtp_;
  remoteRtp_ = UdpAddress{};
  remoteRtcp_ = UdpAddress{};
  latched_ = false;
  if (host.empty() || port <= 0) return;
  if (!makeUdpAddress(host, port, remoteRtp_)) SIPMEDIA_FAIL("updateStream", "remote address is not an IP literal: " + host);
  // RFC 3550 §11: RTCP on the next higher port unless signalled; RFC 5761: one port with rtcp-mux.
  const int rp = config_.rtcpMux ? port : (rtcpPort > 0 ? rtcpPort : port + 1);
  makeUdpAddress(host, rp, remoteRtcp_);
}

bool Stream::sending() const {
  return config_.direction == StreamDirection::SendRecv || config_.direction == StreamDirection::SendOnly;
}
bool Stream::receiving() const {
  return config_.direction == StreamDirection::SendRecv || config_.direction == StreamDirection::RecvOnly;
}

bool Stream::frameDue() {
  const int every = codec_.ptimeMs / engine_.tickMs;
  const bool due = tickCount_ % every == 0;
  tickCount_++;
  return due;
}

void Stream::onReadable(bool rtcpSocket, int64_t nowUs, std::vector<EngineEvent>& events) {
  const int fd = rtcpSocket ? rtcpFd_ : rtpFd_;
  std::vector<uint8_t>& recvBuf = buffers().recv;
  for (int i = 0; i < kRecvBurst && fd >= 0; i++) {
    UdpAddress from;
    from.length = sizeof from.storage;
    const ssize_t n = recvfrom(fd, recvBuf.data(), kMaxDatagram, 0, reinterpret_cast<sockaddr*>(&from.storage), &from.length);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNREFUSED) continue;  // ICMP port unreachable from an earlier send
      stats_.sendErrors++;
      return;
    }
    const std::size_t size = static_cast<std::size_t>(n);
    // RFC 5761 §4: with rtcp-mux, payload types 64-95 are RTCP.
    if (rtcpSocket || (config_.rtcpMux && isRtcpMuxPacket(recvBuf.data(), size))) {
      handleRtcp(recvBuf.data(), size, nowUs);
    } else {
      handleRtp(recvBuf.data(), size, from, nowUs, events);
    }
  }
}

void Stream::handleRtp(uint8_t* data, std::size_t size, const UdpAddress& from, int64_t nowUs, std::vector<EngineEvent>& events) {
  if (srtp_) {
    SrtpResult r = srtp_->unprotectRtp(data, size);
    if (!r.ok()) return;  // counted by the SRTP session (auth failures, replays)
    size = r.length;
  }
  RtpPacketView v;
  if (RtpPacketView::parse(data, size, v) != RtpParseError::kNone) {
    stats_.malformedPackets++;
    return;
  }
  const int pt = v.payloadType();
  const bool isEvent = config_.telephoneEventPayloadType >= 0 && pt == config_.telephoneEventPayloadType;
  const bool isCn = config_.comfortNoisePayloadType >= 0 && pt == config_.comfortNoisePayloadType;
  if (!isEvent && !isCn && pt != codec_.payloadType) {
    stats_.otherPayloadPackets++;
    return;
  }
  const RtpAcceptResult res = receiver_->onPacket(v.ssrc(), v.sequence(), v.timestamp(), v.payloadSize(), nowUs);
  switch (res) {
    case RtpAcceptResult::kCollision:
      // RFC 3550 §8.2: on a collision with our own SSRC, send a BYE for it and pick a new one.
      sendRtcp(nowUs, true);
      sender_->changeSsrc(randomRtpIdentity().ssrc);
      return;
    case RtpAcceptResult::kProbation:
    case RtpAcceptResult::kBadSequence:
    case RtpAcceptResult::kOtherSource:
      return;
    case RtpAcceptResult::kSourceChanged: {
      jitter_->flush();
      stats_.ssrcChanges++;
      EngineEvent e;
      e.type = EngineEventType::SsrcChanged;
      e.streamId = id_;
      e.ssrc = v.ssrc();
      events.push_back(std::move(e));
      break;
    }
    case RtpAcceptResult::kAccepted:
    case RtpAcceptResult::kMisordered:
      break;
  }
  // Symmetric RTP (RFC 4961): send to where valid media comes from.
  if (config_.latch && !latched_ && !(from == remoteRtp_) && !(previousRemote_.valid() && from == previousRemote_)) {
    remoteRtp_ = from;
    if (config_.rtcpMux) {
      remoteRtcp_ = from;
    } else if (!remoteRtcp_.valid()) {
      makeUdpAddress(from.host(), from.port() + 1, remoteRtcp_);
    }
  }
  if (!(previousRemote_.valid() && from == previousRemote_)) latched_ = true;
  if (!receivingActive_) {
    receivingActive_ = true;
    timedOut_ = false;
    EngineEvent e;
    e.type = EngineEventType::ReceivingStarted;
    e.streamId = id_;
    e.ssrc = v.ssrc();
    events.push_back(std::move(e));
  }
  if (isEvent) {
    std::vector<DtmfEvent>& dtmfEvents = buffers().dtmfEvents;
    dtmfEvents.clear();
    dtmfReceiver_.onPacket(v.timestamp(), v.marker(), v.payload(), v.payloadSize(), static_cast<uint32_t>(nowUs / 1000), dtmfEvents);
    for (const DtmfEvent& d : dtmfEvents) {
      stats_.dtmfEventsReceived++;
      EngineEvent e;
      e.type = EngineEventType::DtmfReceived;
      e.streamId = id_;
      e.digit = d.digit;
      e.durationMs = d.durationMs;
      events.push_back(std::move(e));
    }
    return;
  }
  if (isCn) {
    // RFC 3389 §4: CN packets share the media's sequence and timestamp space; the jitter buffer
    // plays them in order and fills the DTX gap with noise at their level (not concealment).
    stats_.sidPacketsReceived++;
    jitter_->putComfortNoise(v.sequence(), v.timestamp(), v.payload(), v.payloadSize(), nowUs);
    return;
  }
  jitter_->put(v.sequence(), v.timestamp(), v.marker(), v.payload(), v.payloadSize(), nowUs);
}

void Stream::handleRtcp(uint8_t* data, std::size_t size, int64_t nowUs) {
  if (srtp_) {
    SrtpResult r = srtp_->unprotectRtcp(data, size);
    if (!r.ok()) return;
    size = r.length;
  }
  RtcpCompound c;
  if (parseRtcpCompound(data, size, c) != RtcpParseError::kNone) {
    stats_.malformedRtcp++;
    return;
  }
  stats_.rtcpReceived++;
  rtcp_->onReceived(static_cast<double>(size) + 28);
  for (std::size_t i = 0; i < c.reportCount; i++) {
    const RtcpReport& r = c.reports[i];
    if (r.hasSenderInfo) {
      receiver_->onSenderReport(r.ssrc, r.senderInfo.ntpTimestamp, nowUs);
      stats_.rtp.gotRemoteSR = true;
      stats_.rtp.remoteOctCount = r.senderInfo.octetCount;
      stats_.rtp.remotePktCount = r.senderInfo.packetCount;
    }
    for (std::size_t b = 0; b < r.blockCount; b++) {
      const RtcpReportBlock& blk = r.blocks[b];
      if (blk.ssrc != sender_->ssrc()) continue;
      stats_.rtp.gotRemoteRR = true;
      stats_.rtp.remoteFracLost = blk.fractionLost * 100.0 / 256.0;
      stats_.rtp.remoteJitterMs = blk.jitter * 1000.0 / codec_.rtpClockRate;
      stats_.rtp.remoteTotalLost = blk.cumulativeLost;
      const double rtt = rtcpRoundTripMs(blk.lastSr, blk.delaySinceLastSr, ntpNow());
      if (rtt >= 0) stats_.rtp.rttMs = rtt;
    }
  }
  for (std::size_t i = 0; i < c.byeCount; i++) receiver_->onBye(c.byeSources[i]);
}

void Stream::sendPacket(int fd, const UdpAddress& to, uint8_t* data, std::size_t size, bool rtcp) {
  if (fd < 0 || !to.valid()) return;
  if (srtp_) {
    // `data` is the thread's outgoing datagram buffer (room for the SRTP trailer).
    const std::size_t capacity = buffers().packet.size();
    SrtpResult r = rtcp ? srtp_->protectRtcp(data, size, capacity) : srtp_->protectRtp(data, size, capacity);
    if (!r.ok()) {
      stats_.sendErrors++;
      return;
    }
    size = r.length;
  }
  if (sendto(fd, data, size, 0, reinterpret_cast<const sockaddr*>(&to.storage), to.length) < 0) {
    if (errno != ECONNREFUSED) stats_.sendErrors++;
  }
}

void Stream::sendRtcp(int64_t nowUs, bool bye) {
  if (!remoteRtcp_.valid()) return;
  std::vector<uint8_t>& packet = buffers().packet;
  RtcpCompoundWriter w(packet.data(), kMaxDatagram);
  RtcpReportBlock block;
  const bool haveBlock = receiver_->makeReportBlock(nowUs, block);
  // RFC 3550 §6.4: an SR when we sent RTP since the second-to-last report, else an RR.
  const bool weSent = sender_->hasSent() && nowUs - sender_->lastSendUs() < 2 * rtcp_->currentIntervalUs();
  if (weSent) {
    RtcpSenderInfo si;
    si.ntpTimestamp = ntpNow();
    si.rtpTimestamp = sender_->rtpTimestampAt(nowUs);
    si.packetCount = static_cast<uint32_t>(sentPacketsBase_ + sender_->packetCount());
    si.octetCount = static_cast<uint32_t>(sentOctetsBase_ + sender_->octetCount());
    w.addSenderReport(sender_->ssrc(), si, haveBlock ? &block : nullptr, haveBlock ? 1 : 0);
  } else {
    w.addReceiverReport(sender_->ssrc(), haveBlock ? &block : nullptr, haveBlock ? 1 : 0);
  }
  w.addSdesCname(sender_->ssrc(), cname_);
  if (bye) {
    const uint32_t ssrc = sender_->ssrc();
    w.addBye(&ssrc, 1);
  }
  const std::size_t size = w.finish();
  if (size == 0) return;
  sendPacket(config_.rtcpMux ? rtpFd_ : rtcpFd_, remoteRtcp_, packet.data(), size, true);
  stats_.rtcpSent++;
  rtcp_->setWeSent(weSent);
  rtcp_->onSent(nowUs, static_cast<double>(size) + 28);
  if (haveBlock) {
    stats_.rtp.gotLocalStat = true;
    stats_.rtp.localFracLost = block.fractionLost * 100.0 / 256.0;
    stats_.rtp.localJitterMs = block.jitter * 1000.0 / codec_.rtpClockRate;
    stats_.rtp.localTotalLost = block.cumulativeLost;
  }
  stats_.rtp.localOctCount = static_cast<uint32_t>(sentOctetsBase_ + sender_->octetCount());
  stats_.rtp.localPktCount = static_cast<uint32_t>(sentPacketsBase_ + sender_->packetCount());
}

void Stream::playout(int64_t nowUs, std::vector<EngineEvent>& events) {
  if (closed_) return;
  const int ch = codec_.decoder->pcmChannels();
  jitter_->get(nowUs, pcm_.data());
  int16_t* mono = pcm_.data();
  if (ch == 2) {
    for (std::size_t i = 0; i < codec_.frameSamples; i++) mono_[i] = static_cast<int16_t>((pcm_[2 * i] + pcm_[2 * i + 1]) / 2);
    mono = mono_.data();
  }
  if (!receiving()) {
    std::fill(mono, mono + codec_.frameSamples, int16_t{0});
  } else if (inbandDetector_) {
    // In-band DTMF (ITU-T Q.23 tones) in what the peer sends, before our receive gain.
    std::vector<InbandDigit>& digits = buffers().inbandDigits;
    digits.clear();
    inbandDetector_->process(mono, codec_.frameSamples, digits);
    for (const InbandDigit& d : digits) {
      stats_.inbandDtmfReceived++;
      EngineEvent e;
      e.type = EngineEventType::DtmfReceived;
      e.streamId = id_;
      e.digit = d.digit;
      e.durationMs = d.durationMs;
      e.inband = true;
      events.push_back(std::move(e));
    }
  }
  applyGain(mono, codec_.frameSamples, receiveGain_);
  sinkAdapter_.push(confSink_ ? *confSink_ : *sink_, mono, codec_.frameSamples);
}

void Stream::send(int64_t nowUs, std::vector<EngineEvent>& events) {
  if (closed_) return;
  if (!started_) {
    started_ = true;
    startUs_ = nowUs;
    lastStatsEventUs_ = nowUs;
    lastQualityUs_ = nowUs;
    EngineEvent e;
    e.type = EngineEventType::StreamStarted;
    e.streamId = id_;
    e.ssrc = sender_->ssrc();
    events.push_back(std::move(e));
  }
  const std::size_t n = codec_.frameSamples;
  sourceAdapter_.pull(confSource_ ? *confSource_ : *source_, mono_.data(), n);
  const bool canSend = sending() && remoteRtp_.valid();
  // Audio processing of what we send: VAD, then AGC adapting on speech only.
  const bool speech = vad_ ? vad_->process(mono_.data(), n) : true;
  if (agc_) agc_->process(mono_.data(), n, speech);
  const bool inbandBusy = inbandDtmf_ && inbandDtmf_->busy();
  if (inbandBusy) inbandDtmf_->generate(mono_.data(), n);
  if (muted_) std::fill(mono_.begin(), mono_.begin() + static_cast<std::ptrdiff_t>(n), int16_t{0});
  else applyGain(mono_.data(), n, sendGain_);
  const bool dtxSilence = config_.dtx && vad_ && !speech && !(inbandDtmf_ && inbandDtmf_->busy());
  ThreadBuffers& buf = buffers();
  std::vector<uint8_t>& packet = buf.packet;
  std::vector<uint8_t>& payload = buf.payload;

  bool eventOnWire = false;
  if (dtmfSender_ && dtmfSender_->busy()) {
    std::vector<DtmfPacket>& dtmfPackets = buf.dtmfPackets;
    dtmfPackets.clear();
    dtmfSender_->poll(static_cast<uint32_t>(nowUs / 1000), sender_->nextTimestamp(), dtmfPackets);
    for (const DtmfPacket& p : dtmfPackets) {
      const std::size_t len = sender_->writeWith(static_cast<uint8_t>(p.payloadType), p.marker, p.timestamp, p.payload.data(),
                                                 p.payload.size(), nowUs, packet.data(), kMaxDatagram);
      if (len && canSend) {
        sendPacket(rtpFd_, remoteRtp_, packet.data(), len, false);
        stats_.dtmfPacketsSent++;
      }
    }
    eventOnWire = dtmfSender_->sendingEvent() || !dtmfPackets.empty();
  }
  if (cnEncoder_) {
    if (!canSend || eventOnWire) {
      cnEncoder_->reset();  // after hold or an event, the next silence starts with a SID
    } else {
      std::size_t sidSize = 0;
      const DtxAction action = cnEncoder_->process(mono_.data(), n, !dtxSilence, payload.data(), payload.size(), sidSize);
      if (action == DtxAction::SendSid && sidSize > 0) {
        // RFC 3389 §4: the CN packet's RTP header is built as for audio: its timestamp is the
        // first silent sample; the sequence numbers continue. No marker: the next voice packet
        // starts the talkspurt and carries it (RFC 3551 §4.1, through skipSilence below).
        const std::size_t len = sender_->writeWith(static_cast<uint8_t>(config_.comfortNoisePayloadType), false,
                                                   sender_->nextTimestamp(), payload.data(), sidSize, nowUs, packet.data(),
                                                   kMaxDatagram);
        if (len) {
          sendPacket(rtpFd_, remoteRtp_, packet.data(), len, false);
          stats_.sidPacketsSent++;
        }
      }
    }
  }
  if (!canSend || eventOnWire || dtxSilence) {
    // RFC 4733 §2.5.1.1: audio pauses while an event is sent; hold/inactive sends nothing;
    // RFC 3551 §4.1: with DTX, silence is not sent (or only SIDs, RFC 3389) and the next
    // packet starts a talkspurt.
    sender_->skipSilence(codec_.timestampUnits);
    if (dtxSilence && canSend) stats_.dtxFrames++;
  } else {
    const int ch = codec_.encoder->pcmChannels();
    const int16_t* in = mono_.data();
    if (ch == 2) {
      for (std::size_t i = 0; i < n; i++) pcm_[2 * i] = pcm_[2 * i + 1] = mono_[i];
      in = pcm_.data();
    }
    const int bytes = codec_.encoder->encode(in, n * static_cast<std::size_t>(ch), payload.data(), kMaxDatagram - 64);
    if (bytes > 0) {
      const std::size_t len = sender_->writeMedia(payload.data(), static_cast<std::size_t>(bytes), codec_.timestampUnits, nowUs,
                                                  packet.data(), kMaxDatagram);
      if (len) sendPacket(rtpFd_, remoteRtp_, packet.data(), len, false);
    } else {
      sender_->skipSilence(codec_.timestampUnits);  // DTX, or an encoder error (counted below)
      if (bytes < 0) stats_.sendErrors++;
    }
  }
  if (rtcp_->due(nowUs)) sendRtcp(nowUs, false);
  // Lost end packets of a received event end it after the receiver's timeout.
  std::vector<DtmfEvent>& dtmfEvents = buf.dtmfEvents;
  dtmfEvents.clear();
  dtmfReceiver_.poll(static_cast<uint32_t>(nowUs / 1000), dtmfEvents);
  for (const DtmfEvent& d : dtmfEvents) {
    stats_.dtmfEventsReceived++;
    EngineEvent e;
    e.type = EngineEventType::DtmfReceived;
    e.streamId = id_;
    e.digit = d.digit;
    e.durationMs = d.durationMs;
    events.push_back(std::move(e));
  }
  // RTP inactivity timeout (counted from the start when nothing ever arrived).
  // Only while we expect media: a sendonly/inactive stream (our hold) is not "inactive".
  if (!receiving() || inactivityRestart_) inactivityBaseUs_ = nowUs;
  inactivityRestart_ = false;
  if (config_.inactivityTimeoutMs > 0 && !timedOut_ && receiving()) {
    const int64_t last = std::max(std::max(startUs_, inactivityBaseUs_), receiver_->lastPacketUs());
    if (nowUs - last > static_cast<int64_t>(config_.inactivityTimeoutMs) * 1000) {
      timedOut_ = true;
      receivingActive_ = false;
      EngineEvent e;
      e.type = EngineEventType::ReceivingTimeout;
      e.streamId = id_;
      events.push_back(std::move(e));
    }
  }
  snapshot(nowUs, events);
}

void Stream::snapshot(int64_t nowUs, std::vector<EngineEvent>& events) {
  // Publish every 5th frame (100 ms at 20 ms) unless a Stats event is due: the copy under the
  // mutex is the largest per-stream cost after the socket calls.
  const bool statsDue = statsIntervalMs_ > 0 && nowUs - lastStatsEventUs_ >= static_cast<int64_t>(statsIntervalMs_) * 1000;
  if (++snapshotCountdown_ < 5 && !statsDue) return;
  snapshotCountdown_ = 0;
  StreamStatistics& s = stats_.rtp;
  s.packetsSent = sentPacketsBase_ + sender_->packetCount();
  s.bytesSent = sentOctetsBase_ + sender_->octetCount();
  s.packetsReceived = receiver_->packetsReceived();
  s.bytesReceived = receiver_->bytesReceived();
  s.packetsLost = receiver_->cumulativeLost();
  s.jitterMs = receiver_->jitterMs();
  const JitterBufferStats& j = jitter_->stats();
  s.jitterBufferDelayMs = j.currentDelayMs;
  s.jitterBufferLate = j.late;
  s.jitterBufferConcealed = j.concealedFrames;
  if (nowUs - lastQualityUs_ >= 1000000 && receiver_->valid()) {
    lastQualityUs_ = nowUs;
    // Loss as the listener hears it: network loss plus packets the jitter buffer dropped as late.
    const int64_t lost = std::max<int64_t>(0, receiver_->cumulativeLost()) + static_cast<int64_t>(j.late);
    quality_->update(receiver_->expected(), lost, mouthToEarDelayMs(s.rttMs, j.currentDelayMs, codec_.ptimeMs));
    s.rWholeCall = quality_->rWholeCall();
    s.mosWholeCall = quality_->mosWholeCall();
    s.rInterval = quality_->rInterval();
    s.mosInterval = quality_->mosInterval();
  }
  stats_.jitter = j;
  if (srtp_) stats_.srtp = srtp_->stats();
  stats_.localSsrc = sender_->ssrc();
  stats_.remoteSsrc = receiver_->ssrc();
  stats_.receiving = receivingActive_;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->snapshot = stats_;
  }
  if (statsDue) {
    lastStatsEventUs_ = nowUs;
    EngineEvent e;
    e.type = EngineEventType::Stats;
    e.streamId = id_;
    e.stats = std::make_shared<StreamStatsSnapshot>(stats_);
    events.push_back(std::move(e));
  }
}

void Stream::update(const StreamUpdate& u, StreamCodec* codec, std::unique_ptr<SrtpSession> srtp) {
  // Checked before anything changes: a refused update leaves the stream as it was.
  const int te = u.telephoneEventPayloadType ? *u.telephoneEventPayloadType : config_.telephoneEventPayloadType;
  const int cn = u.comfortNoisePayloadType ? *u.comfortNoisePayloadType : config_.comfortNoisePayloadType;
  checkComfortNoisePayloadType(cn, codec ? *codec : codec_, te, "updateStream");
  if (u.telephoneEventPayloadType) config_.telephoneEventPayloadType = *u.telephoneEventPayloadType;
  if (u.detectInbandDtmf) config_.detectInbandDtmf = *u.detectInbandDtmf;
  if (u.comfortNoisePayloadType) config_.comfortNoisePayloadType = *u.comfortNoisePayloadType;
  if (u.agc) config_.agc = *u.agc;
  if (u.vadLevel) config_.vadLevel = std::clamp(*u.vadLevel, -1, 3);
  if (u.dtx) config_.dtx = *u.dtx;
  if (u.inactivityTimeoutMs) {
    config_.inactivityTimeoutMs = std::max(0, *u.inactivityTimeoutMs);
    timedOut_ = false;
    inactivityRestart_ = true;
  }
  if (codec) {
    applyCodec(std::move(*codec));
  } else {
    if (u.comfortNoisePayloadType && cnEncoder_) cnEncoder_.reset();  // another CN payload type: start with a SID
    configureAudioProcessing(false);
    configureInbandDetection();
  }
  // DTX switched off in a silence: the next frame goes out as the start of a talkspurt (the
  // sender marks the first packet after skipped frames, RFC 3551 §4.1).
  if (u.remoteAddress || u.remotePort || u.remoteRtcpPort) {
    if (u.remoteAddress) config_.remoteAddress = *u.remoteAddress;
    if (u.remotePort) config_.remotePort = *u.remotePort;
    if (u.remoteRtcpPort) config_.remoteRtcpPort = *u.remoteRtcpPort;
    setRemote(config_.remoteAddress, config_.remotePort, config_.remoteRtcpPort);
  }
  if (u.direction) {
    const bool wasSending = sending();
    config_.direction = *u.direction;
    if (!wasSending && sending()) sender_->startTalkspurt();
  }
  if (srtp) srtp_ = std::move(srtp);
}

void Stream::sendDtmf(const std::string& digits, int durationMs, bool inband) {
  if (inband) {
    if (!inbandDtmf_) {
      DtmfToneOptions to;
      to.sampleRate = codec_.sampleRate;
      inbandDtmf_ = std::make_unique<DtmfToneGenerator>(to);
    }
    inbandDtmf_->enqueue(digits, durationMs);
  } else {
    if (!dtmfSender_) {
      dtmfSenderOptions_.payloadType = config_.telephoneEventPayloadType >= 0 ? config_.telephoneEventPayloadType : 101;
      dtmfSender_ = std::make_unique<Rfc4733Sender>(dtmfSenderOptions_);
    }
    dtmfSender_->enqueue(digits, durationMs);
  }
}

void Stream::setGain(double send, double receive) {
  if (send >= 0) sendGain_ = static_cast<float>(std::min(send, 16.0));
  if (receive >= 0) receiveGain_ = static_cast<float>(std::min(receive, 16.0));
}

void Stream::shutdown(int64_t nowUs) {
  if (closed_) return;
  // RFC 3550 §6.6: a BYE when leaving the session.
  if (started_) sendRtcp(nowUs, true);
  closed_ = true;
  if (rtpFd_ >= 0) ::close(rtpFd_);
  if (rtcpFd_ >= 0) ::close(rtcpFd_);
  rtpFd_ = rtcpFd_ = -1;
  shared_->closed = true;
}

}  // namespace sipmedia
