// Adaptive jitter buffer (see jitter_buffer.h for the model). Ours; RFC 3550 §A.8 for the
// transit definition, RFC 3551 §4.1 for talkspurts (marker bit, timestamp gaps).
#include "jitter/jitter_buffer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sipmedia {

namespace {
constexpr int64_t kSeqBase = int64_t{1} << 32;  // extended values start high: never negative
constexpr int64_t kTsBase = int64_t{1} << 36;
constexpr std::size_t kMaxPacketMs = 120;      // largest packet duration decoded (Opus max)

// Scratch space shared by every buffer of a thread (a media thread runs its streams one after
// the other): decoded audio of one packet and the copy the percentile is taken on. Grown to the
// largest size asked, once per thread.
std::vector<int16_t>& decodeScratch(std::size_t samples) {
  thread_local std::vector<int16_t> scratch;
  if (scratch.size() < samples) scratch.resize(samples);
  return scratch;
}
std::vector<float>& sortScratch(std::size_t n) {
  thread_local std::vector<float> scratch;
  if (scratch.size() < n) scratch.resize(n);
  return scratch;
}
}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& config, Decoder& decoder, int rtpClockRate)
    : config_(config), decoder_(decoder), clockRate_(rtpClockRate > 0 ? rtpClockRate : 8000) {
  if (config_.frameMs <= 0) config_.frameMs = 20;
  if (config_.minDelayMs < 0) config_.minDelayMs = 0;
  if (config_.maxDelayMs < config_.minDelayMs) config_.maxDelayMs = config_.minDelayMs;
  config_.capacityPackets = std::max(config_.capacityPackets, 4);
  config_.historyPackets = std::max(config_.historyPackets, 10);
  config_.transitWindowPackets = std::max(config_.transitWindowPackets, 2);
  config_.maxPayloadBytes = std::max(config_.maxPayloadBytes, 1);
  config_.chunkMs = std::clamp(config_.chunkMs, 1, config_.frameMs / 2 > 0 ? config_.frameMs / 2 : 1);
  const CodecInfo& info = decoder_.info();
  sampleRate_ = info.sampleRate > 0 ? info.sampleRate : 8000;
  // The channels the decoder produces (opus/48000/2 in SDP decodes to mono unless the fmtp
  // says stereo): frames are sized by what decode() writes, not by the rtpmap.
  channels_ = std::max(1, decoder_.pcmChannels());
  frameSamples_ = samplesFor(sampleRate_, config_.frameMs) * channels_;
  chunkSamples_ = samplesFor(sampleRate_, config_.chunkMs) * channels_;
  frameTs_ = static_cast<int64_t>(clockRate_) * config_.frameMs / 1000;
  lastPacketTs_ = frameTs_;
  capacity_ = config_.capacityPackets;
  slots_.resize(static_cast<std::size_t>(capacity_));
  const int initialBytes = config_.initialPayloadBytes > 0 ? std::min(config_.initialPayloadBytes, config_.maxPayloadBytes) : config_.maxPayloadBytes;
  slotBytes_ = static_cast<std::size_t>(initialBytes);
  payloads_.resize(static_cast<std::size_t>(capacity_) * slotBytes_);
  playedSeq_.assign(static_cast<std::size_t>(capacity_), -1);
  maxPacketSamples_ = std::max(samplesFor(sampleRate_, kMaxPacketMs) * channels_, frameSamples_);
  // Room for: headroom for an inserted chunk + a frame not yet output + a decoded packet of the
  // size the slots were sized for (at least two frames) + an inserted chunk. A longer packet
  // grows it (carryAppendPtr).
  const std::size_t expectedPacketSamples =
      std::min(maxPacketSamples_, std::max(frameSamples_ * 2, slotBytes_ * channels_ * sampleRate_ / clockRate_));
  carry_.resize(chunkSamples_ + frameSamples_ * 2 + expectedPacketSamples + chunkSamples_ * 2);
  carryStart_ = carryEnd_ = chunkSamples_;
  transit_.resize(static_cast<std::size_t>(config_.transitWindowPackets));
  jitterHist_.resize(static_cast<std::size_t>(config_.historyPackets));
  stats_.targetDelayMs = config_.minDelayMs + (config_.codecFec ? config_.frameMs : 0);
}

JitterBuffer::Slot* JitterBuffer::find(int64_t seq) {
  Slot& s = slotAt(seq);
  return s.seq == seq ? &s : nullptr;
}

JitterBuffer::Slot* JitterBuffer::earliestFrom(int64_t seq) {
  if (stats_.bufferedPackets == 0) return nullptr;
  const int64_t end = std::min(maxSeq_, seq + capacity_ - 1);
  for (int64_t s = seq; s <= end; s++) {
    Slot& slot = slotAt(s);
    if (slot.seq == s) return &slot;
  }
  return nullptr;
}

uint8_t* JitterBuffer::payloadOf(int64_t seq) {
  return payloads_.data() + static_cast<std::size_t>(seq % capacity_) * slotBytes_;
}

void JitterBuffer::growSlotStorage() {
  // A packet longer than the negotiated packet time (RFC 3551 §4.5 lets a sender use up to
  // 120 ms whatever the receiver asked): every slot gets the maximum room, once.
  const std::size_t bigger = static_cast<std::size_t>(config_.maxPayloadBytes);
  std::vector<uint8_t> next(static_cast<std::size_t>(capacity_) * bigger);
  for (std::size_t i = 0; i < slots_.size(); i++) {
    if (slots_[i].seq >= 0 && slots_[i].size > 0) std::memcpy(next.data() + i * bigger, payloads_.data() + i * slotBytes_, slots_[i].size);
  }
  payloads_.swap(next);
  slotBytes_ = bigger;
  stats_.storageGrowths++;
}

int64_t JitterBuffer::extendSeq(uint16_t seq) {
  if (!haveExt_) return kSeqBase + seq;
  const int16_t delta = static_cast<int16_t>(seq - static_cast<uint16_t>(maxSeq_));
  return maxSeq_ + delta;
}

int64_t JitterBuffer::extendTs(uint32_t ts) {
  if (!haveExt_) return kTsBase + ts;
  const int32_t delta = static_cast<int32_t>(ts - static_cast<uint32_t>(maxTs_));
  return maxTs_ + delta;
}

void JitterBuffer::recordTransit(int64_t ts, int64_t arrivalUs) {
  // RFC 3550 §A.8: transit = arrival time - RTP timestamp (here in ms, on the monotonic clock).
  const double transit = static_cast<double>(arrivalUs) / 1000.0 -
                         static_cast<double>(ts - kTsBase) * 1000.0 / clockRate_;
  transit_[transitPos_] = transit;
  transitPos_ = (transitPos_ + 1) % transit_.size();
  if (transitCount_ < transit_.size()) transitCount_++;
  // The fastest path over the recent window (short, so that clock drift moves it along).
  double m = transit;
  for (std::size_t i = 0; i < transitCount_; i++) m = std::min(m, transit_[i]);
  minTransitMs_ = m;
  const double jitter = transit - m;
  stats_.maxJitterMs = std::max(stats_.maxJitterMs, jitter);
  jitterHist_[jitterPos_] = static_cast<float>(jitter);
  jitterPos_ = (jitterPos_ + 1) % jitterHist_.size();
  if (jitterCount_ < jitterHist_.size()) jitterCount_++;
  if (++packetsSinceTarget_ >= 10 || jitterCount_ < 10) updateTarget();
}

void JitterBuffer::updateTarget() {
  packetsSinceTarget_ = 0;
  if (jitterCount_ == 0) return;
  std::vector<float>& sorted = sortScratch(jitterCount_);
  std::copy(jitterHist_.begin(), jitterHist_.begin() + static_cast<std::ptrdiff_t>(jitterCount_), sorted.begin());
  std::size_t k = static_cast<std::size_t>(std::floor(config_.jitterPercentile * static_cast<double>(jitterCount_ - 1) + 0.5));
  k = std::min(k, jitterCount_ - 1);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.begin() + static_cast<std::ptrdiff_t>(jitterCount_));
  const double target = static_cast<double>(sorted[k]) + config_.marginMs;
  const double minDelay = config_.minDelayMs + (config_.codecFec ? config_.frameMs : 0);
  stats_.targetDelayMs = std::clamp(target, minDelay, std::max(minDelay, static_cast<double>(config_.maxDelayMs)));
}

double JitterBuffer::playDelayMs(int64_t ts, int64_t nowUs) const {
  // How far a play position `ts` at `nowUs` is behind the fastest path.
  const double fastest = static_cast<double>(ts - kTsBase) * 1000.0 / clockRate_ + minTransitMs_;
  return static_cast<double>(nowUs) / 1000.0 - fastest;
}

int64_t JitterBuffer::playPositionTs() const {
  const int64_t carried = static_cast<int64_t>(carrySize() / channels_) * clockRate_ / sampleRate_;
  return nextTs_ - carried;
}

JitterBuffer::PutResult JitterBuffer::put(uint16_t sequence, uint32_t timestamp, bool marker, const uint8_t* payload,
                                          std::size_t size, int64_t arrivalUs) {
  return store(sequence, timestamp, marker, false, payload, size, arrivalUs);
}

JitterBuffer::PutResult JitterBuffer::putComfortNoise(uint16_t sequence, uint32_t timestamp, const uint8_t* payload,
                                                      std::size_t size, int64_t arrivalUs) {
  return store(sequence, timestamp, false, true, payload, size, arrivalUs);
}

JitterBuffer::PutResult JitterBuffer::store(uint16_t sequence, uint32_t timestamp, bool marker, bool cn,
                                            const uint8_t* payload, std::size_t size, int64_t arrivalUs) {
  stats_.packetsReceived++;
  if (size > static_cast<std::size_t>(config_.maxPayloadBytes) || (size > 0 && payload == nullptr)) {
    stats_.discarded++;
    return PutResult::kDiscarded;
  }
  const int64_t seq = extendSeq(sequence);
  const int64_t ts = extendTs(timestamp);
  const bool first = !haveExt_;
  const int64_t previousMax = maxSeq_;
  if (first) {
    haveExt_ = true;
    maxSeq_ = seq;
    maxTs_ = ts;
  }
  if (!started_) {
    started_ = true;
    nextSeq_ = seq;
  }
  if (seq < nextSeq_) {
    // Before anything was played, an earlier packet (reordered start) is still welcome.
    if (!playing_ && stats_.packetsPlayed == 0 && stats_.lost == 0 && nextSeq_ - seq < capacity_ / 2 &&
        maxSeq_ - seq < capacity_) {
      nextSeq_ = seq;
    } else {
      const bool played = playedSeq_[static_cast<std::size_t>(seq % capacity_)] == seq;
      if (played) {
        stats_.duplicated++;
        return PutResult::kDuplicate;
      }
      // Arrived after its playout time: dropped, but its timing still teaches the delay estimate.
      recordTransit(ts, arrivalUs);
      stats_.late++;
      return PutResult::kLate;
    }
  }
  if (seq >= nextSeq_ + capacity_) {
    // Too far ahead for the slots: the stream jumped (or we were stuck); flush and restart here.
    for (Slot& s : slots_) {
      if (s.seq >= 0) {
        stats_.discarded++;
        s.seq = -1;
      }
    }
    stats_.bufferedPackets = 0;
    nextSeq_ = seq;
    playing_ = false;
    maxSeq_ = seq;
    maxTs_ = ts;
  }
  Slot& slot = slotAt(seq);
  if (slot.seq == seq) {
    stats_.duplicated++;
    return PutResult::kDuplicate;
  }
  if (slot.seq >= 0) {  // an older packet still in the slot (cannot normally happen)
    stats_.discarded++;
    dropSlot(slot);
  }
  if (!first && seq < previousMax) stats_.reordered++;
  if (seq > maxSeq_) maxSeq_ = seq;
  if (ts > maxTs_) maxTs_ = ts;
  slot.seq = seq;
  slot.ts = ts;
  slot.arrivalUs = arrivalUs;
  slot.marker = marker;
  slot.cn = cn;
  slot.size = size;
  if (size > slotBytes_) growSlotStorage();
  if (size > 0) std::memcpy(payloadOf(seq), payload, size);
  stats_.bufferedPackets++;
  recordTransit(ts, arrivalUs);
  return PutResult::kStored;
}

void JitterBuffer::dropSlot(Slot& s) {
  if (s.seq >= 0 && stats_.bufferedPackets > 0) stats_.bufferedPackets--;
  s.seq = -1;
}

int16_t* JitterBuffer::carryAppendPtr(std::size_t samples) {
  if (carryEnd_ + samples > carry_.size()) {
    // Compact to the headroom offset (kept for insertChunk).
    const std::size_t n = carrySize();
    std::memmove(carry_.data() + chunkSamples_, carry_.data() + carryStart_, n * sizeof(int16_t));
    carryStart_ = chunkSamples_;
    carryEnd_ = carryStart_ + n;
  }
  if (carryEnd_ + samples > carry_.size()) {
    // A packet longer than the buffer was sized for: room for the longest one, once.
    carry_.resize(std::max(carryEnd_ + samples, chunkSamples_ * 3 + frameSamples_ * 2 + maxPacketSamples_));
    stats_.storageGrowths++;
  }
  return carry_.data() + carryEnd_;
}

void JitterBuffer::decodeSlot(Slot& s) {
  std::vector<int16_t>& scratch = decodeScratch(maxPacketSamples_);
  int n = decoder_.decode(payloadOf(s.seq), s.size, scratch.data(), maxPacketSamples_);
  if (n <= 0) {
    // An undecodable payload is treated as lost.
    n = decoder_.conceal(scratch.data(), frameSamples_);
    stats_.concealedFrames++;
  } else {
    stats_.packetsPlayed++;
    playedSeq_[static_cast<std::size_t>(s.seq % capacity_)] = s.seq;
  }
  const std::size_t samples = std::min(static_cast<std::size_t>(std::max(n, 0)), maxPacketSamples_);
  std::memcpy(carryAppendPtr(samples), scratch.data(), samples * sizeof(int16_t));
  carryEnd_ += samples;
  if (samples > 0) lastPacketTs_ = static_cast<int64_t>(samples / channels_) * clockRate_ / sampleRate_;
  nextSeq_ = s.seq + 1;
  nextTs_ = s.ts + lastPacketTs_;
  concealRunSamples_ = 0;
  dtx_ = false;
  dropSlot(s);
}

void JitterBuffer::playComfortNoise(Slot& s) {
  // RFC 3389 §4: a CN packet tells the receiver to generate noise at its level until the next
  // audio packet; it is not lost audio, so nothing is concealed and no loss is counted.
  // (A level octet with its top bit set is invalid: the previous level stays.)
  cng_.decode(payloadOf(s.seq), s.size);
  dtx_ = true;
  stats_.comfortNoisePackets++;
  playedSeq_[static_cast<std::size_t>(s.seq % capacity_)] = s.seq;
  nextSeq_ = s.seq + 1;
  nextTs_ = std::max(nextTs_, s.ts);
  concealRunSamples_ = 0;
  // The next media packet starts a talkspurt (RFC 3551 §4.1), played at the target delay.
  playing_ = false;
  dropSlot(s);
}

void JitterBuffer::concealMissing(int64_t nextBuffered) {
  // The packet nextSeq_ is due and missing while later ones are here: it is lost.
  stats_.lost++;
  std::vector<int16_t>& scratch = decodeScratch(maxPacketSamples_);
  const std::size_t samples = std::min(
      maxPacketSamples_, static_cast<std::size_t>(lastPacketTs_ * sampleRate_ / clockRate_) * channels_);
  int n = -1;
  if (nextBuffered == nextSeq_ + 1) {
    // Codec FEC (Opus, RFC 7587 useinbandfec): the next packet carries a copy of this one.
    Slot* next = find(nextBuffered);
    if (next != nullptr) n = decoder_.decodeFec(payloadOf(next->seq), next->size, scratch.data(), samples);
  }
  const bool fec = n > 0;
  if (fec) {
    stats_.fecRecovered++;
  } else {
    n = decoder_.conceal(scratch.data(), samples);
  }
  const std::size_t got = std::min(static_cast<std::size_t>(std::max(n, 0)), maxPacketSamples_);
  if (!fec) stats_.concealedFrames += std::max<std::size_t>(1, (got + frameSamples_ - 1) / frameSamples_);
  std::memcpy(carryAppendPtr(got), scratch.data(), got * sizeof(int16_t));
  carryEnd_ += got;
  nextSeq_++;
  nextTs_ += lastPacketTs_;
}

void JitterBuffer::concealUnderrun() {
  // Nothing buffered: the next packet is late or lost, or the sender paused (DTX). Conceal
  // without consuming a sequence number; the packet is played when it comes.
  const int n = decoder_.conceal(carryAppendPtr(frameSamples_), frameSamples_);
  carryEnd_ += static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(frameSamples_)));
  stats_.concealedFrames++;
  concealRunSamples_ += frameSamples_;
  nextTs_ += frameTs_;
}

void JitterBuffer::removeChunk() {
  // Shrinks the delay by one chunk: the first chunk is cross-faded into the second, which then
  // continues with the rest (L samples fewer, no discontinuity).
  const std::size_t L = chunkSamples_;
  int16_t* a = carry_.data() + carryStart_;
  const std::size_t frames = L / channels_;
  for (std::size_t i = 0; i < L; i++) {
    const double w = static_cast<double>(i / channels_ + 1) / static_cast<double>(frames + 1);
    a[L + i] = static_cast<int16_t>(std::lround(a[i] * (1 - w) + a[L + i] * w));
  }
  carryStart_ += L;
  stats_.chunksRemoved++;
}

void JitterBuffer::insertChunk() {
  // Grows the delay by one chunk: a[0..L), then a cross-fade from a[L..2L) back to a[0..L),
  // then a[L..) again (L samples more, no discontinuity at either end).
  const std::size_t L = chunkSamples_;
  if (carryStart_ < L) {
    const std::size_t n = carrySize();
    std::memmove(carry_.data() + L, carry_.data() + carryStart_, n * sizeof(int16_t));
    carryStart_ = L;
    carryEnd_ = L + n;
  }
  int16_t* a = carry_.data() + carryStart_;
  int16_t* b = a - L;
  for (std::size_t i = 0; i < L; i++) b[i] = a[i];
  const std::size_t frames = L / channels_;
  for (std::size_t i = 0; i < L; i++) {
    const double w = static_cast<double>(i / channels_ + 1) / static_cast<double>(frames + 1);
    a[i] = static_cast<int16_t>(std::lround(a[L + i] * (1 - w) + a[i] * w));
  }
  carryStart_ -= L;
  stats_.chunksInserted++;
}

JitterFrameKind JitterBuffer::get(int64_t nowUs, int16_t* pcm) {
  JitterFrameKind kind = JitterFrameKind::kAudio;
  bool silence = false;
  bool concealed = false;
  bool corrected = false;
  const std::size_t maxConceal = samplesFor(sampleRate_, config_.maxConcealMs) * channels_;
  const double target = stats_.targetDelayMs;
  for (int guard = 0; guard < 32; guard++) {
    if (carrySize() >= frameSamples_) {
      // Enough audio for this frame. During speech, steer the delay towards the target by one
      // chunk at most every few frames (this also absorbs clock drift).
      if (playing_ && !corrected && !concealed && carrySize() >= 2 * chunkSamples_) {
        corrected = true;
        framesSinceCorrection_++;
        // Two delays matter: the play delay of the audio going out now (what the listener
        // gets) and the delay the next packet will have when it is decoded (at the tick where
        // the audio left over runs short), which must not fall below the target or more packets
        // than the percentile allows would be late. Decode times move on the frame grid: a
        // chunk moves the next decode by a whole tick only when the audio left over beyond
        // whole frames crosses a frame boundary.
        auto leftover = [&] { return carrySize() - frameSamples_; };
        auto decodeDelay = [&] {
          const int64_t ticks = 1 + static_cast<int64_t>(leftover() / frameSamples_);
          return playDelayMs(nextTs_, nowUs + ticks * config_.frameMs * 1000);
        };
        const double dNext = decodeDelay();
        if (dNext < target) {
          // Urgent: repeat chunks until the next decode moves to a later tick (at most a frame).
          for (std::size_t k = 0; k * chunkSamples_ < frameSamples_ && decodeDelay() < target; k++) insertChunk();
          framesSinceCorrection_ = 0;
        } else if (framesSinceCorrection_ >= 4) {
          const double dPlay = playDelayMs(playPositionTs(), nowUs);
          const bool removalMovesDecode = (leftover() % frameSamples_) < chunkSamples_;
          if (dPlay > target + config_.hysteresisMs && (!removalMovesDecode || dNext - config_.frameMs >= target)) {
            framesSinceCorrection_ = 0;
            removeChunk();
            continue;  // may need another packet now
          }
        }
      }
      break;
    }
    if (!started_) {
      silence = true;
      break;
    }
    if (!playing_) {
      // Waiting for a talkspurt: start when the first packet reaches the target delay
      // (RFC 3551 §4.1: the delay is adapted at talkspurt starts, where a change is inaudible).
      Slot* first = earliestFrom(nextSeq_);
      // Old packets far beyond the maximum delay (a burst after an outage) are skipped.
      while (first != nullptr && playDelayMs(first->ts, nowUs) > config_.maxDelayMs) {
        Slot* after = earliestFrom(first->seq + 1);
        if (after == nullptr) break;
        stats_.discarded++;
        if (first->seq == nextSeq_) nextSeq_ = after->seq;
        dropSlot(*first);
        first = after;
      }
      if (first != nullptr && first->cn) {
        // A CN packet between talkspurts: its level applies at once (it carries no audio).
        if (first->seq > nextSeq_ && (stats_.packetsPlayed > 0 || stats_.lost > 0)) {
          stats_.lost += static_cast<uint64_t>(first->seq - nextSeq_);
        }
        playComfortNoise(*first);
        continue;
      }
      if (first == nullptr || playDelayMs(first->ts, nowUs) < target) {
        silence = true;
        break;
      }
      if (first->seq > nextSeq_ && (stats_.packetsPlayed > 0 || stats_.lost > 0)) {
        stats_.lost += static_cast<uint64_t>(first->seq - nextSeq_);
      }
      nextSeq_ = first->seq;
      nextTs_ = first->ts;
      playing_ = true;
      framesSinceCorrection_ = 0;
      stats_.talkspurts++;
      continue;
    }
    Slot* p = find(nextSeq_);
    if (p != nullptr && p->cn) {
      playComfortNoise(*p);
      continue;
    }
    if (p != nullptr) {
      // RFC 3551 §4.1: a timestamp jump (silence not sent, usually with the marker bit) starts a
      // new talkspurt: play the remaining audio, then wait for the target delay again.
      if (p->ts > nextTs_ + frameTs_ / 2) {
        playing_ = false;
        continue;
      }
      // Far too much delay (e.g. after a long stall): drop whole packets while more are here.
      if (playDelayMs(p->ts, nowUs) > config_.maxDelayMs + config_.frameMs && earliestFrom(nextSeq_ + 1) != nullptr) {
        stats_.discarded++;
        nextSeq_++;
        nextTs_ = p->ts + lastPacketTs_;
        dropSlot(*p);
        continue;
      }
      decodeSlot(*p);
      continue;
    }
    Slot* q = earliestFrom(nextSeq_ + 1);
    if (q != nullptr) {
      if (q->ts <= nextTs_) {
        // Concealment during an underrun already covered the missing packets' time.
        stats_.lost += static_cast<uint64_t>(q->seq - nextSeq_);
        nextSeq_ = q->seq;
        continue;
      }
      concealMissing(q->seq);
      concealed = true;
      continue;
    }
    if (concealRunSamples_ < maxConceal) {
      concealUnderrun();
      concealed = true;
      continue;
    }
    // A long pause: the sender is silent (DTX) or gone. Output silence; the next packet starts
    // a talkspurt.
    playing_ = false;
    silence = true;
    break;
  }
  const std::size_t have = std::min(carrySize(), frameSamples_);
  std::memcpy(pcm, carry_.data() + carryStart_, have * sizeof(int16_t));
  carryStart_ += have;
  const bool comfortNoise = dtx_ && silence && have < frameSamples_;
  if (comfortNoise) {
    // RFC 3389 §4: the DTX gap is filled with noise at the level of the last CN packet.
    cng_.generate(pcm + have, frameSamples_ - have);
  } else if (have < frameSamples_) {
    std::memset(pcm + have, 0, (frameSamples_ - have) * sizeof(int16_t));
  }
  if (carrySize() == 0) carryStart_ = carryEnd_ = chunkSamples_;
  if (playing_) stats_.currentDelayMs = playDelayMs(playPositionTs() - frameTs_, nowUs);
  if (comfortNoise && have == 0) {
    stats_.comfortNoiseFrames++;
    kind = JitterFrameKind::kComfortNoise;
  } else if (have == 0 && silence) {
    stats_.silenceFrames++;
    kind = JitterFrameKind::kSilence;
  } else if (concealed) {
    kind = JitterFrameKind::kConcealed;
  }
  return kind;
}

void JitterBuffer::flush() {
  for (Slot& s : slots_) s.seq = -1;
  std::fill(playedSeq_.begin(), playedSeq_.end(), -1);
  stats_.bufferedPackets = 0;
  carryStart_ = carryEnd_ = chunkSamples_;
  transitCount_ = transitPos_ = 0;
  jitterCount_ = jitterPos_ = 0;
  packetsSinceTarget_ = 0;
  minTransitMs_ = 0;
  haveExt_ = false;
  started_ = false;
  playing_ = false;
  concealRunSamples_ = 0;
  framesSinceCorrection_ = 0;
  dtx_ = false;
  lastPacketTs_ = frameTs_;
  stats_.targetDelayMs = config_.minDelayMs + (config_.codecFec ? config_.frameMs : 0);
}

}  // namespace sipmedia
