#include "devices/sound_devices.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

#ifdef HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

namespace sipmedia {

bool soundDevicesSupported(std::string* reason) {
#ifdef HAVE_ALSA
  if (reason) reason->clear();
  return true;
#else
  if (reason) *reason = "built without ALSA (libasound2-dev not found at build time)";
  return false;
#endif
}

std::vector<SoundDeviceInfo> listSoundDevices() {
  std::vector<SoundDeviceInfo> out;
#ifdef HAVE_ALSA
  void** hints = nullptr;
  if (snd_device_name_hint(-1, "pcm", &hints) < 0 || !hints) return out;
  for (void** h = hints; *h; h++) {
    char* name = snd_device_name_get_hint(*h, "NAME");
    char* desc = snd_device_name_get_hint(*h, "DESC");
    char* ioid = snd_device_name_get_hint(*h, "IOID");  // null = both directions
    if (name && std::string(name) != "null") {
      SoundDeviceInfo d;
      d.name = name;
      d.description = desc ? desc : "";
      std::replace(d.description.begin(), d.description.end(), '\n', ' ');
      d.input = !ioid || std::string(ioid) == "Input";
      d.output = !ioid || std::string(ioid) == "Output";
      out.push_back(std::move(d));
    }
    free(name);
    free(desc);
    free(ioid);
  }
  snd_device_name_free_hint(hints);
#endif
  return out;
}

bool selectSoundDevice(const std::vector<SoundDeviceInfo>& devices, const std::vector<std::string>& priority, bool input,
                       SoundDeviceInfo& chosen, std::string* error) {
  auto usable = [input](const SoundDeviceInfo& d) { return input ? d.input : d.output; };
  if (priority.empty()) {
    for (const auto& d : devices)
      if (usable(d) && d.name == "default") return chosen = d, true;
    for (const auto& d : devices)
      if (usable(d)) return chosen = d, true;
    return false;
  }
  for (const auto& pattern : priority) {
    std::regex re;
    try {
      re = std::regex(pattern, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      if (error) *error += "bad pattern '" + pattern + "': " + e.what() + "; ";
      continue;
    }
    for (const auto& d : devices) {
      if (!usable(d)) continue;
      if (d.name == pattern || std::regex_search(d.name, re) || std::regex_search(d.description, re)) {
        chosen = d;
        return true;
      }
    }
  }
  return false;
}

SoundDeviceChanges diffSoundDevices(const std::vector<SoundDeviceInfo>& before, const std::vector<SoundDeviceInfo>& after) {
  auto same = [](const SoundDeviceInfo& a, const SoundDeviceInfo& b) {
    return a.name == b.name && a.input == b.input && a.output == b.output;
  };
  SoundDeviceChanges c;
  for (const auto& d : after)
    if (std::none_of(before.begin(), before.end(), [&](const SoundDeviceInfo& x) { return same(x, d); })) c.added.push_back(d);
  for (const auto& d : before)
    if (std::none_of(after.begin(), after.end(), [&](const SoundDeviceInfo& x) { return same(x, d); })) c.removed.push_back(d);
  return c;
}

#ifdef HAVE_ALSA
namespace {

snd_pcm_t* openPcm(const std::string& name, int rate, snd_pcm_stream_t dir) {
  snd_pcm_t* pcm = nullptr;
  int err = snd_pcm_open(&pcm, name.c_str(), dir, SND_PCM_NONBLOCK);
  if (err < 0) throw std::runtime_error("ALSA cannot open '" + name + "': " + snd_strerror(err));
  // 20 ms periods, 100 ms buffer, resampled by ALSA's plug layer when the card needs it.
  err = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, static_cast<unsigned>(rate), 1, 100000);
  if (err < 0) {
    snd_pcm_close(pcm);
    throw std::runtime_error("ALSA refuses mono 16-bit " + std::to_string(rate) + " Hz on '" + name + "': " + snd_strerror(err));
  }
  snd_pcm_prepare(pcm);
  return pcm;
}

class AlsaSource final : public AudioSource {
 public:
  AlsaSource(const std::string& name, int rate) : rate_(rate), pcm_(openPcm(name, rate, SND_PCM_STREAM_CAPTURE)) { snd_pcm_start(pcm_); }
  ~AlsaSource() override { snd_pcm_close(pcm_); }
  int sampleRate() const override { return rate_; }
  const char* kind() const override { return "alsa"; }
  void read(int16_t* out, std::size_t n) override {
    snd_pcm_sframes_t got = snd_pcm_readi(pcm_, out, n);
    if (got == -EPIPE || got == -ESTRPIPE) {
      snd_pcm_recover(pcm_, static_cast<int>(got), 1);
      snd_pcm_start(pcm_);
      got = 0;
    }
    if (got < 0) got = 0;
    std::fill(out + got, out + n, int16_t{0});
  }

 private:
  int rate_;
  snd_pcm_t* pcm_;
};

class AlsaSink final : public AudioSink {
 public:
  AlsaSink(const std::string& name, int rate) : rate_(rate), pcm_(openPcm(name, rate, SND_PCM_STREAM_PLAYBACK)) {}
  ~AlsaSink() override { snd_pcm_close(pcm_); }
  int sampleRate() const override { return rate_; }
  const char* kind() const override { return "alsa"; }
  void write(const int16_t* in, std::size_t n) override {
    snd_pcm_sframes_t put = snd_pcm_writei(pcm_, in, n);
    if (put == -EPIPE || put == -ESTRPIPE) snd_pcm_recover(pcm_, static_cast<int>(put), 1);
  }

 private:
  int rate_;
  snd_pcm_t* pcm_;
};

}  // namespace

std::shared_ptr<AudioSource> openSoundSource(const std::string& name, int rate) { return std::make_shared<AlsaSource>(name, rate); }
std::shared_ptr<AudioSink> openSoundSink(const std::string& name, int rate) { return std::make_shared<AlsaSink>(name, rate); }
#else
std::shared_ptr<AudioSource> openSoundSource(const std::string&, int) {
  throw std::runtime_error("sound devices are unavailable: built without ALSA");
}
std::shared_ptr<AudioSink> openSoundSink(const std::string&, int) {
  throw std::runtime_error("sound devices are unavailable: built without ALSA");
}
#endif

}  // namespace sipmedia
