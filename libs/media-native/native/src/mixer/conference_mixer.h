// N-party conference mixer with mix-minus: each participant hears the sum of every other active
// participant's input, never their own. Inputs and outputs are 16-bit PCM frames at the mixer
// rate (16 kHz, 20 ms by default: 320 samples).
//
// Per frame the cost is O(N * frameSamples): every active input is scaled once into a 32-bit
// contribution and added into one 32-bit total; each output is total minus its own contribution,
// scaled by its output gain and passed through a soft limiter into 16 bits. Nothing is allocated
// in mix(): buffers are sized when a participant joins.
//
// Threading: not thread-safe. One owner (the engine's mix thread) calls everything; participants
// join and leave between frames (a change made between two mix() calls applies to the next).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace sipmedia {

/** Mixer settings. */
struct MixerConfig {
  /** The engine rate, Hz. */
  int sampleRate = 16000;
  /** Frame length, ms. */
  int frameMs = 20;
  /**
   * Output level (0..32767) above which the soft limiter starts bending the curve; the limiter's
   * output approaches but never reaches 32767. 32767 disables soft limiting (hard clip only).
   */
  int32_t limiterKnee = 24576;
};

/** Identifies a participant; never reused by one mixer. 0 is never a valid id. */
using ParticipantId = uint32_t;

/** Mix-minus conference mixer. */
class ConferenceMixer {
 public:
  explicit ConferenceMixer(MixerConfig config = {});

  /** Samples per frame (sampleRate * frameMs / 1000). */
  std::size_t frameSamples() const { return frameSamples_; }
  const MixerConfig& config() const { return config_; }

  /**
   * Most participants one mixer takes: with the largest gain (16) every 32-bit sum stays exact.
   */
  static constexpr std::size_t kMaxParticipants = 4000;

  /** Adds a participant (silent input, unit gains) and returns its id, or 0 when full. */
  ParticipantId addParticipant();
  /** Removes a participant; false if unknown. Its output pointer becomes invalid. */
  bool removeParticipant(ParticipantId id);
  /** Number of participants. */
  std::size_t participantCount() const { return count_; }
  bool hasParticipant(ParticipantId id) const { return find(id) != nullptr; }

  /**
   * Stores the participant's input for the next mix(): `samples` values (fewer are padded with
   * silence, more are cut to one frame). Returns false for an unknown id. An input not given
   * before a mix() counts as silence (a lost or late frame).
   */
  bool setInput(ParticipantId id, const int16_t* pcm, std::size_t samples);

  /** Linear gain applied to what this participant says (microphone volume), clamped to 0..16. */
  bool setInputGain(ParticipantId id, float gain);
  /** Mutes what this participant says (they still hear the others). */
  bool setInputMuted(ParticipantId id, bool muted);
  /** Linear gain of what this participant hears (speaker volume), clamped to 0..16. */
  bool setOutputGain(ParticipantId id, float gain);
  /** Silences what this participant hears (their output is all zeros). */
  bool setOutputMuted(ParticipantId id, bool muted);

  /** Mixes one frame: consumes every input, produces every output. */
  void mix();

  /** The last mixed output of `id` (frameSamples() values), or nullptr for an unknown id. */
  const int16_t* output(ParticipantId id) const;

  /** Whether `id` contributed to the last mix (had an input and was not muted). */
  bool wasActive(ParticipantId id) const;

  /** Saturation-safe limiter used on outputs: maps a 32-bit mix value into int16 range. */
  static int16_t limit(int32_t value, int32_t knee);

 private:
  struct Participant {
    ParticipantId id = 0;
    bool inUse = false;
    bool hasInput = false;
    bool active = false;
    bool inputMuted = false;
    bool outputMuted = false;
    int32_t inputGainQ12 = 4096;
    int32_t outputGainQ12 = 4096;
    std::vector<int16_t> input;
    std::vector<int32_t> contribution;
    std::vector<int16_t> output;
  };
  Participant* find(ParticipantId id);
  const Participant* find(ParticipantId id) const;

  MixerConfig config_;
  std::size_t frameSamples_;
  std::vector<Participant> slots_;
  std::unordered_map<ParticipantId, std::size_t> index_;
  std::vector<std::size_t> freeSlots_;
  std::vector<int32_t> total_;
  std::size_t count_ = 0;
  ParticipantId nextId_ = 1;
};

}  // namespace sipmedia
