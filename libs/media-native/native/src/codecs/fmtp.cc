#include "codecs/fmtp.h"

#include <cctype>
#include <cstdlib>

namespace sipmedia {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string fmtpValue(const std::string& fmtp, const std::string& name, const std::string& fallback) {
  const std::string want = lower(name);
  std::size_t pos = 0;
  while (pos <= fmtp.size()) {
    std::size_t end = fmtp.find(';', pos);
    if (end == std::string::npos) end = fmtp.size();
    const std::string item = fmtp.substr(pos, end - pos);
    const std::size_t eq = item.find('=');
    const std::string key = lower(trim(item.substr(0, eq)));
    if (!key.empty() && key == want) return eq == std::string::npos ? std::string() : trim(item.substr(eq + 1));
    pos = end + 1;
  }
  return fallback;
}

bool fmtpIsSet(const std::string& fmtp, const std::string& name) {
  const std::string v = lower(fmtpValue(fmtp, name, "0"));
  return v == "1" || v == "yes" || v == "true";
}

long fmtpInt(const std::string& fmtp, const std::string& name, long fallback) {
  const std::string v = fmtpValue(fmtp, name);
  if (v.empty()) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  return end != nullptr && *end == '\0' ? n : fallback;
}

}  // namespace sipmedia
