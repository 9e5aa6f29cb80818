#include "engine/engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <thread>

#include "engine/stream.h"
#include "engine/udp.h"
#include "mixer/conference_mixer.h"
#include "srtp/sdes.h"

namespace sipmedia {

namespace {

int64_t monotonicUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/** epoll tags: what a ready fd is. */
struct PollTag {
  enum Kind { kTimer, kWake, kRtp, kRtcp } kind;
  Stream* stream = nullptr;
};

/** A conference participant's side of the mixer, seen by its stream as a source and a sink. */
class ConferencePort final : public AudioSource, public AudioSink {
 public:
  ConferencePort(ConferenceMixer& mixer, ParticipantId id) : mixer_(mixer), id_(id) {}
  int sampleRate() const override { return mixer_.config().sampleRate; }
  const char* kind() const override { return "conference"; }
  void write(const int16_t* in, std::size_t n) override { mixer_.setInput(id_, in, n); }
  void read(int16_t* out, std::size_t n) override {
    const int16_t* o = mixer_.output(id_);
    const std::size_t have = o ? std::min(n, mixer_.frameSamples()) : 0;
    if (have) std::memcpy(out, o, have * sizeof(int16_t));
    std::fill(out + have, out + n, int16_t{0});
  }
  ParticipantId id() const { return id_; }

 private:
  ConferenceMixer& mixer_;
  ParticipantId id_;
};

struct Conference {
  explicit Conference(int tickMs) : mixer([tickMs] {
    MixerConfig c;
    c.sampleRate = 16000;
    c.frameMs = tickMs;
    return c;
  }()) {}
  ConferenceMixer mixer;
  std::unordered_map<uint32_t, std::shared_ptr<ConferencePort>> ports;  // stream id -> port
};

}  // namespace

/** One media thread: an epoll loop over its streams' sockets, a timerfd tick, a command queue. */
class MediaThread {
 public:
  MediaThread(Engine& engine, int index) : engine_(engine), index_(index) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || timer_ < 0 || wake_ < 0) {
      closeFds();
      SIPMEDIA_FAIL("createEngine", std::string("cannot create epoll/timerfd/eventfd: ") + std::strerror(errno));
    }
    add(timer_, &timerTag_);
    add(wake_, &wakeTag_);
    const long tickNs = static_cast<long>(engine.config().tickMs) * 1000000L;
    itimerspec spec{};
    spec.it_interval.tv_sec = tickNs / 1000000000L;
    spec.it_interval.tv_nsec = tickNs % 1000000000L;
    spec.it_value = spec.it_interval;
    timerfd_settime(timer_, 0, &spec, nullptr);
    events_.reserve(64);
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }

  ~MediaThread() {
    stop();
    closeFds();
  }

  /** Queues work for the thread (applied between ticks). */
  void post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      commands_.push_back(std::move(fn));
    }
    uint64_t one = 1;
    (void)!write(wake_, &one, sizeof one);
  }

  /** Runs `fn` on the thread and waits for it (commands that must report an error). */
  void call(const std::function<void()>& fn) {
    if (!running_) SIPMEDIA_FAIL("engine", "the media thread is not running");
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::exception_ptr error;
    post([&] {
      try {
        fn();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(m);
      done = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return done || !running_; }) || !done) {
      // The thread died with the command queued: it will never run it. Wait for the loop to be
      // gone so the captured references stay valid, then report.
      lock.unlock();
      stop();
      if (!done) SIPMEDIA_FAIL("engine", "the media thread stopped");
    }
    if (error) std::rethrow_exception(error);
  }

  void stop() {
    stopping_ = true;
    uint64_t one = 1;
    if (wake_ >= 0) (void)!write(wake_, &one, sizeof one);
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
      else thread_.join();
    }
  }

  // ---- called on the thread ----
  void addStream(std::unique_ptr<Stream> s) {
    Stream* p = s.get();
    auto tags = std::make_unique<std::pair<PollTag, PollTag>>();
    tags->first = {PollTag::kRtp, p};
    tags->second = {PollTag::kRtcp, p};
    add(p->rtpFd(), &tags->first);
    if (p->rtcpFd() >= 0) add(p->rtcpFd(), &tags->second);
    tags_[p->id()] = std::move(tags);
    order_.push_back(p);
    streams_[p->id()] = std::move(s);
  }

  Stream* stream(uint32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  void removeStream(uint32_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Stream* s = it->second.get();
    for (auto& [cid, conf] : conferences_) leaveConference(*conf, id);
    if (s->rtpFd() >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, s->rtpFd(), nullptr);
    if (s->rtcpFd() >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, s->rtcpFd(), nullptr);
    s->shutdown(monotonicUs());
    order_.erase(std::remove(order_.begin(), order_.end(), s), order_.end());
    EngineEvent e;
    e.type = EngineEventType::StreamClosed;
    e.streamId = id;
    events_.push_back(std::move(e));
    engine_.forget(id);
    streams_.erase(it);
    tags_.erase(id);
  }

  void createConference(uint32_t id) { conferences_[id] = std::make_unique<Conference>(engine_.config().tickMs); }

  void joinConference(uint32_t conf, uint32_t streamId) {
    auto it = conferences_.find(conf);
    Stream* s = stream(streamId);
    if (it == conferences_.end()) SIPMEDIA_FAIL("addToConference", "unknown conference " + std::to_string(conf));
    if (!s) SIPMEDIA_FAIL("addToConference", "unknown stream " + std::to_string(streamId));
    if (it->second->ports.count(streamId)) return;
    ParticipantId pid = it->second->mixer.addParticipant();
    if (!pid) SIPMEDIA_FAIL("addToConference", "the conference is full");
    auto port = std::make_shared<ConferencePort>(it->second->mixer, pid);
    it->second->ports[streamId] = port;
    s->setConferencePorts(port, port);
  }

  void leaveConference(Conference& conf, uint32_t streamId) {
    auto it = conf.ports.find(streamId);
    if (it == conf.ports.end()) return;
    conf.mixer.removeParticipant(it->second->id());
    if (Stream* s = stream(streamId)) s->setConferencePorts(nullptr, nullptr);
    conf.ports.erase(it);
  }

  void leaveConference(uint32_t conf, uint32_t streamId) {
    auto it = conferences_.find(conf);
    if (it != conferences_.end()) leaveConference(*it->second, streamId);
  }

  void closeConference(uint32_t conf) {
    auto it = conferences_.find(conf);
    if (it == conferences_.end()) return;
    std::vector<uint32_t> ids;
    for (auto& [sid, port] : it->second->ports) ids.push_back(sid);
    for (uint32_t sid : ids) leaveConference(*it->second, sid);
    conferences_.erase(it);
  }

  void failNext() { failNext_ = true; }
  bool running() const { return running_; }
  std::size_t streamCount() const { return streams_.size(); }

 private:
  void add(int fd, PollTag* tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = tag;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0)
      SIPMEDIA_FAIL("createStream", std::string("epoll_ctl: ") + std::strerror(errno));
  }

  void closeFds() {
    if (epoll_ >= 0) ::close(epoll_);
    if (timer_ >= 0) ::close(timer_);
    if (wake_ >= 0) ::close(wake_);
    epoll_ = timer_ = wake_ = -1;
  }

  void runCommands() {
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(commands_);
    }
    for (auto& fn : batch) fn();
  }

  /** Runs `fn` for a stream; an exception closes that stream with a StreamFault event. */
  template <typename Fn>
  void guarded(Stream* s, Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      fault(s, e.what());
    } catch (...) {
      fault(s, "unknown exception");
    }
  }

  void fault(Stream* s, const std::string& why) {
    EngineEvent e;
    e.type = EngineEventType::StreamFault;
    e.streamId = s->id();
    e.message = why;
    events_.push_back(std::move(e));
    doomed_.push_back(s->id());
  }

  void tick(int64_t nowUs) {
    // Phase 1: playout of every stream whose frame is due (into sinks and conference inputs).
    due_.clear();
    for (Stream* s : order_)
      if (s->frameDue()) due_.push_back(s);
    for (Stream* s : due_) guarded(s, [&] { s->playout(nowUs, events_); });
    // Phase 2: conferences mix (mix-minus per participant).
    for (auto& [id, conf] : conferences_) conf->mixer.mix();
    // Phase 3: capture, encode and send; RTCP; timers.
    for (Stream* s : due_) guarded(s, [&] { s->send(nowUs, events_); });
  }

  void run() {
    epoll_event ready[256];
    try {
      while (!stopping_) {
        const int n = epoll_wait(epoll_, ready, 256, 200);
        if (n < 0) {
          if (errno == EINTR) continue;
          throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
        }
        const int64_t now = monotonicUs();
        uint64_t ticks = 0;
        for (int i = 0; i < n; i++) {
          auto* tag = static_cast<PollTag*>(ready[i].data.ptr);
          if (tag->kind == PollTag::kTimer) {
            uint64_t count = 0;
            if (read(timer_, &count, sizeof count) == sizeof count) ticks += count;
          } else if (tag->kind == PollTag::kWake) {
            uint64_t count = 0;
            (void)!read(wake_, &count, sizeof count);
          } else {
            Stream* s = tag->stream;
            guarded(s, [&] { s->onReadable(tag->kind == PollTag::kRtcp, now, events_); });
          }
        }
        if (failNext_) throw std::runtime_error("injected fault");
        runCommands();
        // A late wakeup runs the missed ticks (bounded), so timestamps keep the real-time rate.
        for (uint64_t t = 0; t < std::min<uint64_t>(ticks, 5); t++) tick(now);
        for (uint32_t id : doomed_) removeStream(id);
        doomed_.clear();
        if (!events_.empty()) engine_.pushEvents(events_);
      }
    } catch (const std::exception& e) {
      running_ = false;
      shutdownAll();
      engine_.died(std::string("media thread ") + std::to_string(index_) + ": " + e.what());
      return;
    } catch (...) {
      running_ = false;
      shutdownAll();
      engine_.died("media thread " + std::to_string(index_) + ": unknown exception");
      return;
    }
    shutdownAll();
    running_ = false;
  }

  void shutdownAll() {
    try {
      runCommands();
    } catch (...) {
    }
    std::vector<uint32_t> ids;
    for (auto& [id, s] : streams_) ids.push_back(id);
    for (uint32_t id : ids) removeStream(id);
    conferences_.clear();
    if (!events_.empty()) engine_.pushEvents(events_);
  }

  Engine& engine_;
  int index_;
  int epoll_ = -1, timer_ = -1, wake_ = -1;
  PollTag timerTag_{PollTag::kTimer, nullptr};
  PollTag wakeTag_{PollTag::kWake, nullptr};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> failNext_{false};
  std::mutex mutex_;
  std::deque<std::function<void()>> commands_;
  std::unordered_map<uint32_t, std::unique_ptr<Stream>> streams_;
  std::unordered_map<uint32_t, std::unique_ptr<std::pair<PollTag, PollTag>>> tags_;
  std::vector<Stream*> order_;
  std::vector<Stream*> due_;
  std::vector<uint32_t> doomed_;
  std::unordered_map<uint32_t, std::unique_ptr<Conference>> conferences_;
  std::vector<EngineEvent> events_;
};

// ---- Engine ------------------------------------------------------------------------------

Engine::Engine(const EngineConfig& config, Notify notify) : config_(config), notify_(std::move(notify)) {
  if (config_.threads < 1 || config_.threads > 64) SIPMEDIA_FAIL("createEngine", "threads must be 1..64");
  if (config_.tickMs < 5 || config_.tickMs > 60) SIPMEDIA_FAIL("createEngine", "tickMs must be 5..60");
  if (config_.portMin < 1024 || config_.portMax > 65535 || config_.portMin >= config_.portMax)
    SIPMEDIA_FAIL("createEngine", "bad RTP port range " + std::to_string(config_.portMin) + "-" + std::to_string(config_.portMax));
  if (config_.cname.empty()) {
    uint8_t r[6];
    secureRandom(r, sizeof r);
    config_.cname = "sip-endpoint@" + base64Encode(r, sizeof r);
  }
  nextPort_ = config_.portMin;
  if (config_.jitterMinMs < 0 || config_.jitterMaxMs < config_.jitterMinMs) SIPMEDIA_FAIL("createEngine", "bad jitter buffer bounds");
  for (int i = 0; i < config_.threads; i++) threads_.push_back(std::make_unique<MediaThread>(*this, i));
}

Engine::~Engine() { close(); }

void Engine::close() {
  std::lock_guard<std::mutex> guard(closeMutex_);
  if (closed_.exchange(true)) return;
  for (auto& t : threads_) t->stop();
  threads_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.clear();
  conferences_.clear();
}

std::size_t Engine::streamCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.size();
}

std::shared_ptr<StreamShared> Engine::find(uint32_t id, const char* operation) const {
  if (closed_) SIPMEDIA_FAIL(operation, "the engine is closed");
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(id);
  if (it == streams_.end()) SIPMEDIA_FAIL(operation, "unknown or closed stream " + std::to_string(id));
  return it->second;
}

MediaThread& Engine::threadFor(uint32_t conference) {
  if (conference) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = conferences_.find(conference);
    if (it == conferences_.end()) SIPMEDIA_FAIL("createStream", "unknown conference " + std::to_string(conference));
    return *threads_[static_cast<std::size_t>(it->second)];
  }
  return *threads_[nextThread_++ % threads_.size()];
}

Engine::CreatedStream Engine::createStream(const StreamConfig& config) {
  if (closed_ || dead_) SIPMEDIA_FAIL("createStream", "the engine is closed");
  StreamCodec codec = makeStreamCodec(config.codec, config_.tickMs, "createStream");
  if (config.telephoneEventPayloadType > 127) SIPMEDIA_FAIL("createStream", "bad telephone-event payload type");
  checkComfortNoisePayloadType(config.comfortNoisePayloadType, codec, config.telephoneEventPayloadType, "createStream");
  if (!config.remoteAddress.empty()) {
    UdpAddress probe;
    if (!makeUdpAddress(config.remoteAddress, config.remotePort, probe))
      SIPMEDIA_FAIL("createStream", "remote address is not an IP literal with a port: " + config.remoteAddress);
  }
  std::unique_ptr<SrtpSession> srtp;
  if (config.srtp) {
    srtp = std::make_unique<SrtpSession>();
    configureSrtp(*srtp, *config.srtp, "createStream");
  }
  MediaThread& thread = threadFor(config.conference);
  int rtpFd = -1, rtcpFd = -1;
  std::string error;
  bool ok;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ok = allocateRtpPorts(config.localAddress, config.localPort, config.rtcpMux, config_.portMin, config_.portMax, nextPort_, rtpFd,
                          rtcpFd, error);
  }
  if (!ok) SIPMEDIA_FAIL("createStream", error);
  CreatedStream created;
  created.id = nextId_++;
  created.rtpPort = boundPort(rtpFd);
  created.rtcpPort = rtcpFd >= 0 ? boundPort(rtcpFd) : created.rtpPort;
  auto shared = std::make_shared<StreamShared>();
  shared->id = created.id;
  std::unique_ptr<Stream> stream;
  try {
    stream = std::make_unique<Stream>(created.id, config, config_, std::move(codec), rtpFd, rtcpFd, std::move(srtp), shared);
  } catch (...) {
    if (!stream) {
      ::close(rtpFd);
      if (rtcpFd >= 0) ::close(rtcpFd);
    }
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    streams_[created.id] = shared;
  }
  const uint32_t conf = config.conference;
  Stream* raw = stream.release();
  try {
    thread.call([&thread, raw, conf, created]() {
      thread.addStream(std::unique_ptr<Stream>(raw));
      if (conf) thread.joinConference(conf, created.id);
    });
  } catch (...) {
    forget(created.id);
    throw;
  }
  return created;
}

void Engine::updateStream(uint32_t id, const StreamUpdate& update) {
  auto shared = find(id, "updateStream");
  std::optional<StreamCodec> codec;
  if (update.codec) codec = makeStreamCodec(*update.codec, config_.tickMs, "updateStream");
  std::unique_ptr<SrtpSession> srtp;
  if (update.srtp) {
    srtp = std::make_unique<SrtpSession>();
    configureSrtp(*srtp, *update.srtp, "updateStream");
  }
  if (update.remoteAddress) {
    UdpAddress probe;
    if (!update.remoteAddress->empty() && !makeUdpAddress(*update.remoteAddress, update.remotePort.value_or(0), probe))
      SIPMEDIA_FAIL("updateStream", "remote address is not an IP literal: " + *update.remoteAddress);
  }
  // Find the stream's thread by asking each (a stream lives on exactly one).
  for (auto& t : threads_) {
    bool found = false;
    MediaThread* th = t.get();
    th->call([&] {
      if (Stream* s = th->stream(id)) {
        found = true;
        s->update(update, codec ? &*codec : nullptr, std::move(srtp));
      }
    });
    if (found) return;
  }
  SIPMEDIA_FAIL("updateStream", "unknown or closed stream " + std::to_string(id));
}

bool Engine::closeStream(uint32_t id) {
  if (closed_) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!streams_.count(id)) return false;
  }
  for (auto& t : threads_) {
    MediaThread* th = t.get();
    bool found = false;
    try {
      th->call([&] {
        if (th->stream(id)) {
          found = true;
          th->removeStream(id);
        }
      });
    } catch (const EngineError&) {
      // A dead thread already closed its streams.
    }
    if (found) return true;
  }
  forget(id);
  return true;
}

void Engine::sendDtmf(uint32_t id, const std::string& digits, int durationMs, bool inband) {
  for (char c : digits) {
    int lo, hi;
    if (!dtmfFrequencies(c, lo, hi)) SIPMEDIA_FAIL("sendDtmf", std::string("not a DTMF digit: '") + c + "'");
  }
  find(id, "sendDtmf");
  for (auto& t : threads_) {
    MediaThread* th = t.get();
    th->call([&] {
      if (Stream* s = th->stream(id)) s->sendDtmf(digits, durationMs, inband);
    });
  }
}

void Engine::setMuted(uint32_t id, bool muted) {
  find(id, "setMuted");
  for (auto& t : threads_) {
    MediaThread* th = t.get();
    th->post([th, id, muted] {
      if (Stream* s = th->stream(id)) s->setMuted(muted);
    });
  }
}

void Engine::setGain(uint32_t id, double sendGain, double receiveGain) {
  find(id, "setGain");
  for (auto& t : threads_) {
    MediaThread* th = t.get();
    th->post([th, id, sendGain, receiveGain] {
      if (Stream* s = th->stream(id)) s->setGain(sendGain, receiveGain);
    });
  }
}

void Engine::setStreamDevices(uint32_t id, std::shared_ptr<AudioSource> source, std::shared_ptr<AudioSink> sink) {
  find(id, "setDevices");
  for (auto& t : threads_) {
    bool found = false;
    MediaThread* th = t.get();
    th->call([&] {
      if (Stream* s = th->stream(id)) {
        found = true;
        s->setDevices(std::move(source), std::move(sink));
      }
    });
    if (found) return;
  }
  SIPMEDIA_FAIL("setDevices", "unknown or closed stream " + std::to_string(id));
}

void Engine::setStatsInterval(uint32_t id, int ms) {
  find(id, "setStatsInterval");
  for (auto& t : threads_) {
    MediaThread* th = t.get();
    th->post([th, id, ms] {
      if (Stream* s = th->stream(id)) s->setStatsInterval(ms);
    });
  }
}

bool Engine::getStats(uint32_t id, StreamStatsSnapshot& out) const {
  std::shared_ptr<StreamShared> s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = streams_.find(id);
    if (it == streams_.end()) return false;
    s = it->second;
  }
  std::lock_guard<std::mutex> lock(s->mutex);
  out = s->snapshot;
  return true;
}

uint32_t Engine::createConference() {
  if (closed_ || dead_) SIPMEDIA_FAIL("createConference", "the engine is closed");
  const uint32_t id = nextId_++;
  const int index = static_cast<int>(nextThread_++ % threads_.size());
  MediaThread* th = threads_[static_cast<std::size_t>(index)].get();
  th->call([th, id] { th->createConference(id); });
  std::lock_guard<std::mutex> lock(mutex_);
  conferences_[id] = index;
  return id;
}

void Engine::addToConference(uint32_t conference, uint32_t stream) {
  int index;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = conferences_.find(conference);
    if (it == conferences_.end()) SIPMEDIA_FAIL("addToConference", "unknown conference " + std::to_string(conference));
    index = it->second;
  }
  find(stream, "addToConference");
  MediaThread* th = threads_[static_cast<std::size_t>(index)].get();
  th->call([th, conference, stream] {
    if (!th->stream(stream)) SIPMEDIA_FAIL("addToConference", "the stream runs on another media thread: create it with the conference option");
    th->joinConference(conference, stream);
  });
}

void Engine::removeFromConference(uint32_t conference, uint32_t stream) {
  int index;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = conferences_.find(conference);
    if (it == conferences_.end()) return;
    index = it->second;
  }
  MediaThread* th = threads_[static_cast<std::size_t>(index)].get();
  th->call([th, conference, stream] { th->leaveConference(conference, stream); });
}

bool Engine::closeConference(uint32_t conference) {
  int index;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = conferences_.find(conference);
    if (it == conferences_.end() || closed_) return false;
    index = it->second;
    conferences_.erase(it);
  }
  MediaThread* th = threads_[static_cast<std::size_t>(index)].get();
  try {
    th->call([th, conference] { th->closeConference(conference); });
  } catch (const EngineError&) {
  }
  return true;
}

std::vector<EngineEvent> Engine::drainEvents() {
  std::vector<EngineEvent> out;
  std::lock_guard<std::mutex> lock(mutex_);
  out.swap(events_);
  return out;
}

void Engine::pushEvents(std::vector<EngineEvent>& events) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& e : events) events_.push_back(std::move(e));
  }
  events.clear();
  if (notify_) notify_();
}

void Engine::died(const std::string& message) {
  if (dead_.exchange(true)) return;
  std::vector<EngineEvent> ev(1);
  ev[0].type = EngineEventType::EngineDied;
  ev[0].message = message;
  pushEvents(ev);
  // The other threads stop too: a dead engine closes everything (the close cascade).
  for (auto& t : threads_) t->post([] {});
  for (auto& t : threads_)
    if (t->running()) t->post([] { throw std::runtime_error("engine died"); });
}

void Engine::forget(uint32_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.erase(id);
}

void Engine::injectFault(int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= threads_.size()) SIPMEDIA_FAIL("injectFault", "no such thread");
  threads_[static_cast<std::size_t>(index)]->failNext();
  threads_[static_cast<std::size_t>(index)]->post([] {});
}

}  // namespace sipmedia
