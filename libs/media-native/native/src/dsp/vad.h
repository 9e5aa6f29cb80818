// Energy-based voice activity detection with an adaptive noise floor and hangover, for the
// `vad_level` config switch (silence suppression / DTX decisions, talker indication).
//
// Each frame's level (dBov, after removing DC) is compared with a tracked noise floor: speech is
// a level both some dB above the floor and above an absolute minimum. After speech ends, the
// decision stays "speech" for a hangover so word endings and short pauses are not clipped.
// Aggressiveness 0..3 (like common VADs): higher = higher thresholds, shorter hangover, more
// frames classified as silence. Config `vad_level` 0 means "VAD off" at the engine level; levels
// 1..3 map to aggressiveness 1..3.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipmedia {

struct VadConfig {
  /** 0 (keeps the most speech) .. 3 (drops the most). */
  int aggressiveness = 1;
  /** Frame length in ms (frames passed to process()). */
  int frameMs = 20;
};

/** Voice activity detector. Not thread-safe; one per stream. Allocates nothing. */
class Vad {
 public:
  explicit Vad(VadConfig config = {});
  /** Changes the aggressiveness (clamped to 0..3); takes effect on the next frame. */
  void setAggressiveness(int level);
  int aggressiveness() const { return aggressiveness_; }
  /** Classifies one frame; returns true for speech (including hangover). */
  bool process(const int16_t* pcm, std::size_t samples);
  /** The decision of the last frame without hangover. */
  bool lastRawDecision() const { return raw_; }
  /** The decision of the last frame (with hangover). */
  bool lastDecision() const { return decision_; }
  /** Tracked noise floor, dBov. */
  double noiseFloorDbov() const { return floor_; }
  /** Level of the last frame, dBov. */
  double lastLevelDbov() const { return level_; }
  /** Forgets the noise floor, the filter state and any hangover. */
  void reset();

 private:
  int frameMs_;
  int aggressiveness_ = 1;
  bool started_ = false;
  double floor_ = -70.0;
  double level_ = -127.0;
  bool raw_ = false;
  bool decision_ = false;
  int hangoverLeft_ = 0;
  // DC-removal filter state.
  double x1_ = 0;
  double y1_ = 0;
};

}  // namespace sipmedia
