// Small helpers for SDP fmtp parameter strings (RFC 4566 §6 a=fmtp: "<name>=<value>" pairs
// separated by ';', as used by RFC 7587 (Opus) and RFC 4856 (G.729 annexb)). Used when an
// encoder or decoder is created, never on the per-packet path.
#pragma once

#include <string>

namespace sipmedia {

/**
 * The value of parameter `name` (case-insensitive) in `fmtp` ("useinbandfec=1; usedtx=0"),
 * trimmed; `fallback` when the parameter is absent. A parameter without '=' has the value "".
 */
std::string fmtpValue(const std::string& fmtp, const std::string& name, const std::string& fallback = "");

/** True when `name` is present with a value of "1", "yes" or "true" (case-insensitive). */
bool fmtpIsSet(const std::string& fmtp, const std::string& name);

/** The integer value of `name`, or `fallback` when absent or not a number. */
long fmtpInt(const std::string& fmtp, const std::string& name, long fallback);

}  // namespace sipmedia
