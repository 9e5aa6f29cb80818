// The N-API surface of the engine (see src/native.d.ts for its TypeScript shape). Only this
// folder includes node-addon-api; everything under native/src/<area> is plain C++17 that the
// native unit tests link without Node.
//
// Convention 5 (the native boundary): C++ exceptions never cross into JavaScript (the addon is
// built with NAPI_DISABLE_CPP_EXCEPTIONS; every entry point catches and turns the failure into a
// JavaScript Error carrying `operation` and `location`), and the media threads reach JavaScript
// only through ONE Napi::ThreadSafeFunction per engine, called at most once per batch of events.
#include <napi.h>

#include <atomic>
#include <memory>

#include "codecs/codec.h"
#include "devices/device.h"
#include "devices/sound_devices.h"
#include "engine/engine.h"
#include "srtp/sdes.h"

namespace {

using namespace sipmedia;

struct AddonData {
  Napi::FunctionReference deviceCtor;
  Napi::FunctionReference engineCtor;
};

void throwError(Napi::Env env, const std::string& operation, const std::string& message, const std::string& location) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("operation", Napi::String::New(env, operation));
  e.Set("location", Napi::String::New(env, location));
  e.ThrowAsJavaScriptException();
}

/** Runs `fn`, turning any C++ exception into a pending JavaScript exception. */
template <typename Fn>
Napi::Value guard(const Napi::CallbackInfo& info, const char* operation, Fn&& fn) {
  Napi::Env env = info.Env();
  try {
    return fn();
  } catch (const EngineError& e) {
    throwError(env, e.operation(), e.what(), e.location());
  } catch (const std::exception& e) {
    throwError(env, operation, e.what(), "napi/addon.cc");
  } catch (...) {
    throwError(env, operation, "unknown native error", "napi/addon.cc");
  }
  return env.Undefined();
}

bool has(const Napi::Object& o, const char* key) {
  return o.Has(key) && !o.Get(key).IsUndefined() && !o.Get(key).IsNull();
}
std::string str(const Napi::Object& o, const char* key, const std::string& def = "") {
  return has(o, key) ? o.Get(key).ToString().Utf8Value() : def;
}
int num(const Napi::Object& o, const char* key, int def = 0) {
  return has(o, key) ? o.Get(key).ToNumber().Int32Value() : def;
}
bool flag(const Napi::Object& o, const char* key, bool def = false) {
  return has(o, key) ? o.Get(key).ToBoolean().Value() : def;
}
uint32_t idArg(const Napi::CallbackInfo& info, std::size_t i = 0) {
  if (info.Length() <= i || !info[i].IsNumber()) throw std::invalid_argument("expected a numeric id");
  return info[i].ToNumber().Uint32Value();
}

StreamDirection parseDirection(const std::string& d) {
  if (d == "sendrecv" || d.empty()) return StreamDirection::SendRecv;
  if (d == "sendonly") return StreamDirection::SendOnly;
  if (d == "recvonly") return StreamDirection::RecvOnly;
  if (d == "inactive") return StreamDirection::Inactive;
  throw std::invalid_argument("bad direction '" + d + "'");
}

CodecSpec parseCodec(const Napi::Object& o) {
  CodecSpec c;
  c.name = str(o, "name");
  c.payloadType = num(o, "payloadType", -1);
  c.clockRate = num(o, "clockRate", 0);
  c.channels = num(o, "channels", 1);
  c.fmtp = str(o, "fmtp");
  c.ptimeMs = num(o, "ptimeMs", 0);
  return c;
}

SrtpSpec parseSrtp(const Napi::Object& o) { return SrtpSpec{str(o, "suite"), str(o, "localKey"), str(o, "remoteKey")}; }

// ---- devices --------------------------------------------------------------------------------

/** A device handle: a source, a sink, or both (in JavaScript: ToneSource, MemorySink...). */
class NativeDevice : public Napi::ObjectWrap<NativeDevice> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeDevice",
                       {InstanceMethod<&NativeDevice::Push>("push"), InstanceMethod<&NativeDevice::Pull>("pull"),
                        InstanceMethod<&NativeDevice::Close>("close"), InstanceMethod<&NativeDevice::Info>("info")});
  }

  /** new NativeDevice(kind, options) */
  explicit NativeDevice(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDevice>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
      throwError(env, "createDevice", "expected (kind, options)", "napi/addon.cc");
      return;
    }
    const std::string kind = info[0].ToString().Utf8Value();
    Napi::Object o = info[1].ToObject();
    try {
      const int rate = num(o, "sampleRate", 8000);
      if (kind == "null-source") source_ = std::make_shared<NullSource>(rate);
      else if (kind == "null-sink") sink_ = std::make_shared<NullSink>(rate);
      else if (kind == "tone") source_ = std::make_shared<ToneSource>(o.Get("frequencyHz").ToNumber().DoubleValue(), has(o, "levelDbov") ? o.Get("levelDbov").ToNumber().DoubleValue() : -10.0, rate);
      else if (kind == "wav-source") source_ = wavSource_ = std::make_shared<WavFileSource>(str(o, "path"), flag(o, "loop"));
      else if (kind == "wav-sink") sink_ = wavSink_ = std::make_shared<WavFileSink>(str(o, "path"), rate);
      else if (kind == "memory-source") source_ = memSource_ = std::make_shared<MemorySource>(rate, static_cast<std::size_t>(num(o, "capacitySamples", rate * 2)));
      else if (kind == "memory-sink") sink_ = memSink_ = std::make_shared<MemorySink>(rate, static_cast<std::size_t>(num(o, "capacitySamples", rate * 2)));
      else if (kind == "sound-source") source_ = openSoundSource(str(o, "name", "default"), rate);
      else if (kind == "sound-sink") sink_ = openSoundSink(str(o, "name", "default"), rate);
      else throw std::invalid_argument("unknown device kind '" + kind + "'");
      kind_ = kind;
    } catch (const std::exception& e) {
      throwError(env, "createDevice", e.what(), "devices/device.cc");
    }
  }

  std::shared_ptr<AudioSource> source() const { return source_; }
  std::shared_ptr<AudioSink> sink() const { return sink_; }

 private:
  /** push(Int16Array) -> samples accepted (memory source). */
  Napi::Value Push(const Napi::CallbackInfo& info) {
    return guard(info, "push", [&]() -> Napi::Value {
      if (!memSource_) throw std::invalid_argument("push() is for a MemorySource");
      if (info.Length() < 1 || !info[0].IsTypedArray()) throw std::invalid_argument("push() takes an Int16Array");
      Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
      if (ta.TypedArrayType() != napi_int16_array) throw std::invalid_argument("push() takes an Int16Array");
      Napi::Int16Array a = ta.As<Napi::Int16Array>();
      return Napi::Number::New(info.Env(), static_cast<double>(memSource_->push(a.Data(), a.ElementLength())));
    });
  }
  /** pull(maxSamples) -> Int16Array (memory sink). */
  Napi::Value Pull(const Napi::CallbackInfo& info) {
    return guard(info, "pull", [&]() -> Napi::Value {
      if (!memSink_) throw std::invalid_argument("pull() is for a MemorySink");
      const std::size_t max = info.Length() > 0 && info[0].IsNumber() ? info[0].ToNumber().Uint32Value() : memSink_->buffered();
      const std::size_t n = std::min(max, memSink_->buffered());
      Napi::Int16Array out = Napi::Int16Array::New(info.Env(), n);
      const std::size_t got = memSink_->pull(out.Data(), n);
      return got == n ? out : Napi::Int16Array::New(info.Env(), got, out.ArrayBuffer(), 0);
    });
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    return guard(info, "closeDevice", [&]() -> Napi::Value {
      if (wavSink_) wavSink_->close();
      return info.Env().Undefined();
    });
  }
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", kind_);
    o.Set("sampleRate", source_ ? source_->sampleRate() : (sink_ ? sink_->sampleRate() : 0));
    if (memSource_) {
      o.Set("buffered", static_cast<double>(memSource_->buffered()));
      o.Set("underrunSamples", static_cast<double>(memSource_->underrunSamples()));
    }
    if (memSink_) {
      o.Set("buffered", static_cast<double>(memSink_->buffered()));
      o.Set("overflowSamples", static_cast<double>(memSink_->overflowSamples()));
    }
    if (wavSink_) o.Set("samplesWritten", static_cast<double>(wavSink_->samplesWritten()));
    if (wavSource_) {
      o.Set("finished", wavSource_->finished());
      o.Set("totalSamples", static_cast<double>(wavSource_->totalSamples()));
    }
    return o;
  }

  std::string kind_;
  std::shared_ptr<AudioSource> source_;
  std::shared_ptr<AudioSink> sink_;
  std::shared_ptr<MemorySource> memSource_;
  std::shared_ptr<MemorySink> memSink_;
  std::shared_ptr<WavFileSink> wavSink_;
  std::shared_ptr<WavFileSource> wavSource_;
};

// ---- engine ---------------------------------------------------------------------------------

Napi::Object statsToJs(Napi::Env env, const StreamStatsSnapshot& s) {
  Napi::Object o = Napi::Object::New(env);
  const StreamStatistics& r = s.rtp;
  o.Set("gotLocalStat", r.gotLocalStat);
  o.Set("localFracLost", r.localFracLost);
  o.Set("localJitterMs", r.localJitterMs);
  o.Set("localOctCount", r.localOctCount);
  o.Set("localPktCount", r.localPktCount);
  o.Set("localTotalLost", static_cast<double>(r.localTotalLost));
  o.Set("gotRemoteRR", r.gotRemoteRR);
  o.Set("remoteFracLost", r.remoteFracLost);
  o.Set("remoteJitterMs", r.remoteJitterMs);
  o.Set("remoteTotalLost", static_cast<double>(r.remoteTotalLost));
  o.Set("gotRemoteSR", r.gotRemoteSR);
  o.Set("remoteOctCount", r.remoteOctCount);
  o.Set("remotePktCount", r.remotePktCount);
  o.Set("packetsSent", static_cast<double>(r.packetsSent));
  o.Set("bytesSent", static_cast<double>(r.bytesSent));
  o.Set("packetsReceived", static_cast<double>(r.packetsReceived));
  o.Set("bytesReceived", static_cast<double>(r.bytesReceived));
  o.Set("packetsLost", static_cast<double>(r.packetsLost));
  o.Set("jitterMs", r.jitterMs);
  o.Set("rttMs", r.rttMs);
  o.Set("codec", r.codec);
  o.Set("jitterBufferDelayMs", r.jitterBufferDelayMs);
  o.Set("jitterBufferLate", static_cast<double>(r.jitterBufferLate));
  o.Set("jitterBufferConcealed", static_cast<double>(r.jitterBufferConcealed));
  o.Set("rWholeCall", r.rWholeCall);
  o.Set("mosWholeCall", r.mosWholeCall);
  o.Set("rInterval", r.rInterval);
  o.Set("mosInterval", r.mosInterval);
  Napi::Object j = Napi::Object::New(env);
  j.Set("packetsReceived", static_cast<double>(s.jitter.packetsReceived));
  j.Set("packetsPlayed", static_cast<double>(s.jitter.packetsPlayed));
  j.Set("lost", static_cast<double>(s.jitter.lost));
  j.Set("late", static_cast<double>(s.jitter.late));
  j.Set("concealedFrames", static_cast<double>(s.jitter.concealedFrames));
  j.Set("fecRecovered", static_cast<double>(s.jitter.fecRecovered));
  j.Set("discarded", static_cast<double>(s.jitter.discarded));
  j.Set("reordered", static_cast<double>(s.jitter.reordered));
  j.Set("duplicated", static_cast<double>(s.jitter.duplicated));
  j.Set("silenceFrames", static_cast<double>(s.jitter.silenceFrames));
  j.Set("talkspurts", static_cast<double>(s.jitter.talkspurts));
  j.Set("comfortNoisePackets", static_cast<double>(s.jitter.comfortNoisePackets));
  j.Set("comfortNoiseFrames", static_cast<double>(s.jitter.comfortNoiseFrames));
  j.Set("currentDelayMs", s.jitter.currentDelayMs);
  j.Set("targetDelayMs", s.jitter.targetDelayMs);
  j.Set("maxJitterMs", s.jitter.maxJitterMs);
  o.Set("jitterBuffer", j);
  Napi::Object sr = Napi::Object::New(env);
  sr.Set("rtpProtected", static_cast<double>(s.srtp.rtpProtected));
  sr.Set("rtpUnprotected", static_cast<double>(s.srtp.rtpUnprotected));
  sr.Set("authFailures", static_cast<double>(s.srtp.authFailures));
  sr.Set("replayFailures", static_cast<double>(s.srtp.replayFailures));
  sr.Set("otherFailures", static_cast<double>(s.srtp.otherFailures + s.srtp.badPackets + s.srtp.badMki));
  o.Set("srtp", sr);
  o.Set("localSsrc", s.localSsrc);
  o.Set("remoteSsrc", s.remoteSsrc);
  o.Set("receiving", s.receiving);
  o.Set("malformedPackets", static_cast<double>(s.malformedPackets));
  o.Set("otherPayloadPackets", static_cast<double>(s.otherPayloadPackets));
  o.Set("rtcpSent", static_cast<double>(s.rtcpSent));
  o.Set("rtcpReceived", static_cast<double>(s.rtcpReceived));
  o.Set("malformedRtcp", static_cast<double>(s.malformedRtcp));
  o.Set("dtmfPacketsSent", static_cast<double>(s.dtmfPacketsSent));
  o.Set("dtmfEventsReceived", static_cast<double>(s.dtmfEventsReceived));
  o.Set("sendErrors", static_cast<double>(s.sendErrors));
  o.Set("ssrcChanges", static_cast<double>(s.ssrcChanges));
  o.Set("dtxFrames", static_cast<double>(s.dtxFrames));
  o.Set("sidPacketsSent", static_cast<double>(s.sidPacketsSent));
  o.Set("sidPacketsReceived", static_cast<double>(s.sidPacketsReceived));
  o.Set("inbandDtmfReceived", static_cast<double>(s.inbandDtmfReceived));
  return o;
}

const char* eventName(EngineEventType t) {
  switch (t) {
    case EngineEventType::StreamStarted: return "started";
    case EngineEventType::ReceivingStarted: return "receiving";
    case EngineEventType::DtmfReceived: return "dtmf";
    case EngineEventType::ReceivingTimeout: return "timeout";
    case EngineEventType::SsrcChanged: return "ssrc";
    case EngineEventType::Stats: return "stats";
    case EngineEventType::StreamFault: return "fault";
    case EngineEventType::StreamClosed: return "closed";
    case EngineEventType::EngineDied: return "died";
  }
  return "unknown";
}

Napi::Array eventsToJs(Napi::Env env, std::vector<EngineEvent>& events) {
  Napi::Array a = Napi::Array::New(env, events.size());
  for (std::size_t i = 0; i < events.size(); i++) {
    const EngineEvent& e = events[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", eventName(e.type));
    o.Set("streamId", e.streamId);
    if (!e.message.empty()) o.Set("message", e.message);
    if (e.digit) o.Set("digit", std::string(1, e.digit));
    if (e.type == EngineEventType::DtmfReceived) {
      o.Set("durationMs", e.durationMs);
      o.Set("method", e.inband ? "inband" : "rfc4733");
    }
    if (e.ssrc) o.Set("ssrc", e.ssrc);
    if (e.stats) o.Set("stats", statsToJs(env, *e.stats));
    a.Set(static_cast<uint32_t>(i), o);
  }
  return a;
}

/** State shared by the engine wrapper and the thread-safe function's calls. */
struct EngineHolder {
  std::unique_ptr<Engine> engine;
  std::atomic<bool> callPending{false};
};

using EventsTsfn = Napi::ThreadSafeFunction;

class NativeEngine : public Napi::ObjectWrap<NativeEngine> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "NativeEngine",
        {InstanceMethod<&NativeEngine::CreateStream>("createStream"), InstanceMethod<&NativeEngine::UpdateStream>("updateStream"),
         InstanceMethod<&NativeEngine::CloseStream>("closeStream"), InstanceMethod<&NativeEngine::SendDtmf>("sendDtmf"),
         InstanceMethod<&NativeEngine::SetMuted>("setMuted"), InstanceMethod<&NativeEngine::SetDevices>("setDevices"), InstanceMethod<&NativeEngine::SetGain>("setGain"),
         InstanceMethod<&NativeEngine::SetStatsInterval>("setStatsInterval"), InstanceMethod<&NativeEngine::GetStats>("getStats"),
         InstanceMethod<&NativeEngine::CreateConference>("createConference"),
         InstanceMethod<&NativeEngine::AddToConference>("addToConference"),
         InstanceMethod<&NativeEngine::RemoveFromConference>("removeFromConference"),
         InstanceMethod<&NativeEngine::CloseConference>("closeConference"), InstanceMethod<&NativeEngine::Close>("close"),
         InstanceMethod<&NativeEngine::DrainEvents>("drainEvents"), InstanceMethod<&NativeEngine::InjectFault>("injectFault"),
         InstanceMethod<&NativeEngine::StreamCount>("streamCount")});
  }

  /** new NativeEngine(options, onEvents(events[])) */
  explicit NativeEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEngine>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      throwError(env, "createEngine", "expected (options, onEvents)", "napi/addon.cc");
      return;
    }
    Napi::Object o = info[0].ToObject();
    EngineConfig c;
    c.portMin = num(o, "portMin", c.portMin);
    c.portMax = num(o, "portMax", c.portMax);
    c.threads = num(o, "threads", c.threads);
    c.tickMs = num(o, "tickMs", c.tickMs);
    c.jitterMinMs = num(o, "jitterMinMs", c.jitterMinMs);
    c.jitterMaxMs = num(o, "jitterMaxMs", c.jitterMaxMs);
    c.cname = str(o, "cname");
    holder_ = std::make_shared<EngineHolder>();
    tsfn_ = EventsTsfn::New(env, info[1].As<Napi::Function>(), "sip-media-events", 0, 1);
    std::shared_ptr<EngineHolder> holder = holder_;
    EventsTsfn tsfn = tsfn_;
    try {
      holder_->engine = std::make_unique<Engine>(c, [holder, tsfn]() mutable {
        // At most one queued call: the JavaScript side drains the whole batch.
        if (holder->callPending.exchange(true)) return;
        napi_status st = tsfn.NonBlockingCall([holder](Napi::Env env, Napi::Function cb) {
          holder->callPending = false;
          if (!env || !holder->engine) return;
          std::vector<EngineEvent> events = holder->engine->drainEvents();
          if (events.empty()) return;
          cb.Call({eventsToJs(env, events)});
        });
        if (st != napi_ok) holder->callPending = false;
      });
    } catch (const EngineError& e) {
      tsfn_.Release();
      released_ = true;
      throwError(env, e.operation(), e.what(), e.location());
    }
  }

  ~NativeEngine() override { shutdown(); }

 private:
  void shutdown() {
    if (holder_ && holder_->engine) holder_->engine->close();
    if (!released_) {
      released_ = true;
      tsfn_.Release();
    }
  }

  Engine& engine() {
    if (!holder_ || !holder_->engine) throw std::runtime_error("the engine failed to start");
    return *holder_->engine;
  }

  Napi::Value CreateStream(const Napi::CallbackInfo& info) {
    return guard(info, "createStream", [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw std::invalid_argument("createStream(options)");
      Napi::Object o = info[0].ToObject();
      StreamConfig c;
      c.localAddress = str(o, "localAddress", "127.0.0.1");
      c.localPort = num(o, "localPort", 0);
      if (!has(o, "codec") || !o.Get("codec").IsObject()) throw std::invalid_argument("createStream: codec is required");
      c.codec = parseCodec(o.Get("codec").ToObject());
      c.telephoneEventPayloadType = num(o, "telephoneEventPayloadType", -1);
      c.remoteAddress = str(o, "remoteAddress");
      c.remotePort = num(o, "remotePort", 0);
      c.remoteRtcpPort = num(o, "remoteRtcpPort", 0);
      c.rtcpMux = flag(o, "rtcpMux");
      c.direction = parseDirection(str(o, "direction"));
      c.latch = flag(o, "latch", true);
      if (has(o, "srtp")) c.srtp = parseSrtp(o.Get("srtp").ToObject());
      c.inactivityTimeoutMs = num(o, "inactivityTimeoutMs", 0);
      c.statsIntervalMs = num(o, "statsIntervalMs", 0);
      c.jitterMinMs = num(o, "jitterMinMs", 0);
      c.jitterMaxMs = num(o, "jitterMaxMs", 0);
      c.conference = static_cast<uint32_t>(num(o, "conference", 0));
      c.agc = flag(o, "agc");
      c.vadLevel = num(o, "vadLevel", -1);
      c.dtx = flag(o, "dtx");
      c.comfortNoisePayloadType = num(o, "comfortNoisePayloadType", -1);
      if (has(o, "detectInbandDtmf")) c.detectInbandDtmf = flag(o, "detectInbandDtmf");
      auto* data = info.Env().GetInstanceData<AddonData>();
      auto device = [&](const char* key) -> NativeDevice* {
        if (!has(o, key)) return nullptr;
        Napi::Value v = o.Get(key);
        if (!v.IsObject() || !v.ToObject().InstanceOf(data->deviceCtor.Value()))
          throw std::invalid_argument(std::string("createStream: ") + key + " must be a device");
        return NativeDevice::Unwrap(v.ToObject());
      };
      if (NativeDevice* d = device("source")) {
        c.source = d->source();
        if (!c.source) throw std::invalid_argument("createStream: source is not a source device");
      }
      if (NativeDevice* d = device("sink")) {
        c.sink = d->sink();
        if (!c.sink) throw std::invalid_argument("createStream: sink is not a sink device");
      }
      Engine::CreatedStream s = engine().createStream(c);
      Napi::Object r = Napi::Object::New(info.Env());
      r.Set("id", s.id);
      r.Set("rtpPort", s.rtpPort);
      r.Set("rtcpPort", s.rtcpPort);
      return r;
    });
  }

  Napi::Value UpdateStream(const Napi::CallbackInfo& info) {
    return guard(info, "updateStream", [&]() -> Napi::Value {
      const uint32_t id = idArg(info);
      if (info.Length() < 2 || !info[1].IsObject()) throw std::invalid_argument("updateStream(id, options)");
      Napi::Object o = info[1].ToObject();
      StreamUpdate u;
      if (has(o, "codec")) u.codec = parseCodec(o.Get("codec").ToObject());
      if (has(o, "telephoneEventPayloadType")) u.telephoneEventPayloadType = num(o, "telephoneEventPayloadType");
      if (has(o, "remoteAddress")) u.remoteAddress = str(o, "remoteAddress");
      if (has(o, "remotePort")) u.remotePort = num(o, "remotePort");
      if (has(o, "remoteRtcpPort")) u.remoteRtcpPort = num(o, "remoteRtcpPort");
      if (has(o, "direction")) u.direction = parseDirection(str(o, "direction"));
      if (has(o, "srtp")) u.srtp = parseSrtp(o.Get("srtp").ToObject());
      if (has(o, "comfortNoisePayloadType")) u.comfortNoisePayloadType = num(o, "comfortNoisePayloadType", -1);
      if (has(o, "detectInbandDtmf")) u.detectInbandDtmf = flag(o, "detectInbandDtmf");
      if (has(o, "agc")) u.agc = flag(o, "agc");
      if (has(o, "vadLevel")) u.vadLevel = num(o, "vadLevel", -1);
      if (has(o, "dtx")) u.dtx = flag(o, "dtx");
      if (has(o, "inactivityTimeoutMs")) u.inactivityTimeoutMs = num(o, "inactivityTimeoutMs", 0);
      engine().updateStream(id, u);
      return info.Env().Undefined();
    });
  }

  Napi::Value CloseStream(const Napi::CallbackInfo& info) {
    return guard(info, "closeStream", [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), engine().closeStream(idArg(info))); });
  }

  Napi::Value SendDtmf(const Napi::CallbackInfo& info) {
    return guard(info, "sendDtmf", [&]() -> Napi::Value {
      const uint32_t id = idArg(info);
      engine().sendDtmf(id, info[1].ToString().Utf8Value(), info[2].ToNumber().Int32Value(), info[3].ToBoolean().Value());
      return info.Env().Undefined();
    });
  }

  Napi::Value SetDevices(const Napi::CallbackInfo& info) {
    return guard(info, "setDevices", [&]() -> Napi::Value {
      const uint32_t id = idArg(info);
      auto* data = info.Env().GetInstanceData<AddonData>();
      auto device = [&](std::size_t i) -> NativeDevice* {
        if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
        if (!info[i].IsObject() || !info[i].ToObject().InstanceOf(data->deviceCtor.Value()))
          throw std::invalid_argument("setDevices(id, source, sink): a device or null");
        return NativeDevice::Unwrap(info[i].ToObject());
      };
      std::shared_ptr<AudioSource> source;
      std::shared_ptr<AudioSink> sink;
      if (NativeDevice* d = device(1)) {
        source = d->source();
        if (!source) throw std::invalid_argument("setDevices: source is not a source device");
      }
      if (NativeDevice* d = device(2)) {
        sink = d->sink();
        if (!sink) throw std::invalid_argument("setDevices: sink is not a sink device");
      }
      engine().setStreamDevices(id, std::move(source), std::move(sink));
      return info.Env().Undefined();
    });
  }

  Napi::Value SetMuted(const Napi::CallbackInfo& info) {
    return guard(info, "setMuted", [&]() -> Napi::Value {
      engine().setMuted(idArg(info), info[1].ToBoolean().Value());
      return info.Env().Undefined();
    });
  }

  Napi::Value SetGain(const Napi::CallbackInfo& info) {
    return guard(info, "setGain", [&]() -> Napi::Value {
      engine().setGain(idArg(info), info[1].ToNumber().DoubleValue(), info[2].ToNumber().DoubleValue());
      return info.Env().Undefined();
    });
  }

  Napi::Value SetStatsInterval(const Napi::CallbackInfo& info) {
    return guard(info, "setStatsInterval", [&]() -> Napi::Value {
      engine().setStatsInterval(idArg(info), info[1].ToNumber().Int32Value());
      return info.Env().Undefined();
    });
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    return guard(info, "getStats", [&]() -> Napi::Value {
      StreamStatsSnapshot s;
      if (!engine().getStats(idArg(info), s)) return info.Env().Undefined();
      return statsToJs(info.Env(), s);
    });
  }

  Napi::Value CreateConference(const Napi::CallbackInfo& info) {
    return guard(info, "createConference", [&]() -> Napi::Value { return Napi::Number::New(info.Env(), engine().createConference()); });
  }
  Napi::Value AddToConference(const Napi::CallbackInfo& info) {
    return guard(info, "addToConference", [&]() -> Napi::Value {
      engine().addToConference(idArg(info, 0), idArg(info, 1));
      return info.Env().Undefined();
    });
  }
  Napi::Value RemoveFromConference(const Napi::CallbackInfo& info) {
    return guard(info, "removeFromConference", [&]() -> Napi::Value {
      engine().removeFromConference(idArg(info, 0), idArg(info, 1));
      return info.Env().Undefined();
    });
  }
  Napi::Value CloseConference(const Napi::CallbackInfo& info) {
    return guard(info, "closeConference", [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), engine().closeConference(idArg(info))); });
  }

  /** close() -> the events that were still queued (the last StreamClosed events). */
  Napi::Value Close(const Napi::CallbackInfo& info) {
    return guard(info, "closeEngine", [&]() -> Napi::Value {
      std::vector<EngineEvent> rest;
      if (holder_ && holder_->engine) {
        holder_->engine->close();
        rest = holder_->engine->drainEvents();
      }
      shutdown();
      return eventsToJs(info.Env(), rest);
    });
  }

  Napi::Value DrainEvents(const Napi::CallbackInfo& info) {
    return guard(info, "drainEvents", [&]() -> Napi::Value {
      std::vector<EngineEvent> events = engine().drainEvents();
      return eventsToJs(info.Env(), events);
    });
  }

  Napi::Value InjectFault(const Napi::CallbackInfo& info) {
    return guard(info, "injectFault", [&]() -> Napi::Value {
      engine().injectFault(info.Length() > 0 ? info[0].ToNumber().Int32Value() : 0);
      return info.Env().Undefined();
    });
  }

  Napi::Value StreamCount(const Napi::CallbackInfo& info) {
    return guard(info, "streamCount", [&]() -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(engine().streamCount())); });
  }

  std::shared_ptr<EngineHolder> holder_;
  EventsTsfn tsfn_;
  bool released_ = false;
};

// ---- module functions -------------------------------------------------------------------------

Napi::Value Codecs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& table = sipmedia::codecTable();
  Napi::Array out = Napi::Array::New(env, table.size());
  for (std::size_t i = 0; i < table.size(); i++) {
    const sipmedia::CodecInfo& c = table[i]->info();
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", c.name);
    o.Set("rtpClockRate", c.rtpClockRate);
    o.Set("sampleRate", c.sampleRate);
    o.Set("channels", c.channels);
    o.Set("staticPayloadType", c.staticPayloadType);
    o.Set("defaultFmtp", c.defaultFmtp);
    o.Set("frameMs", c.frameMs);
    o.Set("available", c.available);
    o.Set("unavailableReason", c.unavailableReason);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Object features = Napi::Object::New(env);
#ifdef HAVE_OPUS
  features.Set("opus", true);
#else
  features.Set("opus", false);
#endif
#ifdef HAVE_SPANDSP
  features.Set("spandsp", true);
#else
  features.Set("spandsp", false);
#endif
#ifdef HAVE_BCG729
  features.Set("bcg729", true);
#else
  features.Set("bcg729", false);
#endif
#ifdef HAVE_SRTP2
  features.Set("srtp2", true);
#else
  features.Set("srtp2", false);
#endif
#ifdef HAVE_ALSA
  features.Set("alsa", true);
#else
  features.Set("alsa", false);
#endif
  o.Set("features", features);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value ListSoundDevices(const Napi::CallbackInfo& info) {
  return guard(info, "listAudioDevices", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto list = listSoundDevices();
    Napi::Array a = Napi::Array::New(env, list.size());
    for (std::size_t i = 0; i < list.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", list[i].name);
      o.Set("description", list[i].description);
      o.Set("input", list[i].input);
      o.Set("output", list[i].output);
      a.Set(static_cast<uint32_t>(i), o);
    }
    return a;
  });
}

Napi::Value SoundSupport(const Napi::CallbackInfo& info) {
  std::string reason;
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("supported", soundDevicesSupported(&reason));
  o.Set("reason", reason);
  return o;
}

/** generateSrtpKey(suite) -> 'inline:...' key parameter (fresh random key and salt). */
Napi::Value GenerateSrtpKey(const Napi::CallbackInfo& info) {
  return guard(info, "generateSrtpKey", [&]() -> Napi::Value {
    const SrtpSuiteInfo* s = findSrtpSuite(info[0].ToString().Utf8Value());
    if (!s) throw std::invalid_argument("unknown SRTP suite");
    return Napi::String::New(info.Env(), formatSdesKeyParam(generateSdesKey(s->suite)));
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function device = NativeDevice::Init(env);
  Napi::Function engine = NativeEngine::Init(env);
  data->deviceCtor = Napi::Persistent(device);
  data->engineCtor = Napi::Persistent(engine);
  env.SetInstanceData<AddonData>(data);
  exports.Set("NativeDevice", device);
  exports.Set("NativeEngine", engine);
  exports.Set("codecs", Napi::Function::New(env, Codecs, "codecs"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("listSoundDevices", Napi::Function::New(env, ListSoundDevices, "listSoundDevices"));
  exports.Set("soundSupport", Napi::Function::New(env, SoundSupport, "soundSupport"));
  exports.Set("generateSrtpKey", Napi::Function::New(env, GenerateSrtpKey, "generateSrtpKey"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sip_media, Init)
