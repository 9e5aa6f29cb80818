// Real sound devices through ALSA (when the build has HAVE_ALSA): enumeration of PCM devices,
// selection by name or by a priority list of regular expressions (the Genesys `audio_in_device`
// / `audio_out_device` / `headset_name` semantics: the first pattern that matches a present
// device wins), hot-plug by rescanning on request, and sources/sinks on an opened PCM. Without
// ALSA, or without a sound card (CI), enumeration returns an empty list and opening fails with a
// reason: nothing here is required for the engine to run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "devices/device.h"

namespace sipmedia {

/** One PCM device as ALSA names it. */
struct SoundDeviceInfo {
  /** The ALSA PCM name to open (`default`, `hw:CARD=PCH,DEV=0`, `plughw:...`). */
  std::string name;
  /** ALSA's description (card and device names). */
  std::string description;
  bool input = false;
  bool output = false;
};

/** Whether this build has ALSA support; `reason` says why not when it does not. */
bool soundDevicesSupported(std::string* reason = nullptr);

/** The PCM devices ALSA knows now (empty without ALSA or without cards). */
std::vector<SoundDeviceInfo> listSoundDevices();

/**
 * The device to use for `input` (true) or output: `priority` is a list of ECMAScript regular
 * expressions (case-insensitive) matched against name and description in order; the first
 * pattern that matches a device of that direction picks it. An empty list picks `default` if
 * present, else the first device. Returns false when nothing matches. A malformed pattern is
 * skipped (reported in `error`).
 */
bool selectSoundDevice(const std::vector<SoundDeviceInfo>& devices, const std::vector<std::string>& priority, bool input,
                       SoundDeviceInfo& chosen, std::string* error = nullptr);

/** What changed between two scans (hot-plug). */
struct SoundDeviceChanges {
  std::vector<SoundDeviceInfo> added;
  std::vector<SoundDeviceInfo> removed;
};

/** Compares two enumerations by name and direction. */
SoundDeviceChanges diffSoundDevices(const std::vector<SoundDeviceInfo>& before, const std::vector<SoundDeviceInfo>& after);

/**
 * Opens an ALSA capture PCM as a source (mono 16-bit at `rate`, non-blocking: missing audio is
 * silence). Throws std::runtime_error with ALSA's reason, or when the build has no ALSA.
 */
std::shared_ptr<AudioSource> openSoundSource(const std::string& name, int rate);
/** Opens an ALSA playback PCM as a sink (non-blocking: audio that does not fit is dropped). */
std::shared_ptr<AudioSink> openSoundSink(const std::string& name, int rate);

}  // namespace sipmedia
