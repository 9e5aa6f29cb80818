// A codec table row for a codec this build cannot run (library not found, or not implemented
// yet): listed with `available == false` and the reason, creates nothing.
#pragma once

#include <memory>
#include <string>

#include "codecs/codec.h"

namespace sipmedia {

class UnavailableCodecFactory final : public CodecFactory {
 public:
  /** `info.available` is forced to false and `info.unavailableReason` to `reason`. */
  UnavailableCodecFactory(CodecInfo info, std::string reason) : info_(std::move(info)) {
    info_.available = false;
    info_.unavailableReason = std::move(reason);
  }
  const CodecInfo& info() const override { return info_; }
  std::unique_ptr<Encoder> createEncoder(const CodecOptions&) const override { return nullptr; }
  std::unique_ptr<Decoder> createDecoder(const CodecOptions&) const override { return nullptr; }

 private:
  CodecInfo info_;
};

}  // namespace sipmedia
