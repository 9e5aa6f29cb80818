// The N-API surface of the engine (see src/native.d.ts for its TypeScript shape). Only this
// folder includes node-addon-api; everything under native/src/<area> is plain C++17 that the
// native unit tests link without Node.
#include <napi.h>

#include "codecs/codec.h"

namespace {

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("codecs", Napi::Function::New(env, Codecs, "codecs"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sip_media, Init)
