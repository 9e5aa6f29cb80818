// SDES key parameters (RFC 4568) and key generation. See sdes.h.
#include "srtp/sdes.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#if defined(__linux__)
#include <sys/random.h>
#elif defined(__APPLE__)
#include <stdlib.h>
#endif

namespace sipmedia {

namespace {

constexpr uint64_t k2p48 = uint64_t{1} << 48;

// RFC 4568 §6.2.1 / §6.2.2 and RFC 7714 §14.2: key, salt and tag lengths; the SRTP key lifetime
// is at most 2^48 packets (RFC 3711 §9.2).
const SrtpSuiteInfo kSuites[] = {
    {SrtpSuite::AeadAes256Gcm, "AEAD_AES_256_GCM", 32, 12, 16, 16, k2p48},
    {SrtpSuite::AeadAes128Gcm, "AEAD_AES_128_GCM", 16, 12, 16, 16, k2p48},
    {SrtpSuite::AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, k2p48},
    // RFC 4568 §6.2.2: like AES_CM_128_HMAC_SHA1_80 with a 32-bit SRTP authentication tag;
    // the SRTCP tag stays 80 bits.
    {SrtpSuite::AesCm128HmacSha1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, k2p48},
};

SdesError fail(SdesErrorCode code, std::string message) { return SdesError{code, std::move(message)}; }

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool parseUint(std::string_view s, uint64_t& out) {
  if (!allDigits(s) || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  out = v;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> splitSpaces(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) parts.push_back(s.substr(start, i - start));
  }
  return parts;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

const SrtpSuiteInfo& srtpSuiteInfo(SrtpSuite suite) {
  for (const auto& s : kSuites) {
    if (s.suite == suite) return s;
  }
  return kSuites[2];
}

const SrtpSuiteInfo* findSrtpSuite(std::string_view name) {
  for (const auto& s : kSuites) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

const std::vector<SrtpSuite>& srtpSuites() {
  static const std::vector<SrtpSuite> order = {SrtpSuite::AeadAes256Gcm, SrtpSuite::AeadAes128Gcm,
                                               SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32};
  return order;
}

std::string base64Encode(const uint8_t* data, std::size_t length) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((length + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= length; i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (length - i == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out += "==";
  } else if (length - i == 2) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

bool base64Decode(std::string_view text, std::vector<uint8_t>& out) {
  out.clear();
  // Padding is optional (some SDES implementations leave it out), but once it starts only
  // padding may follow, and there are at most two.
  std::size_t end = text.size();
  std::size_t pad = 0;
  while (end > 0 && text[end - 1] == '=') {
    --end;
    ++pad;
  }
  if (pad > 2) return false;
  if (pad > 0 && text.size() % 4 != 0) return false;
  if (end % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < end; ++i) {
    int v = base64Value(text[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

bool secureRandom(uint8_t* out, std::size_t length) {
#if defined(__linux__)
  std::size_t done = 0;
  int attempts = 0;
  while (done < length && attempts++ < 64) {
    ssize_t n = getrandom(out + done, length - done, 0);
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  return done == length;
#elif defined(__APPLE__)
  arc4random_buf(out, length);
  return true;
#else
  // std::random_device is a CSPRNG on the platforms we build for (MSVC: RtlGenRandom).
  std::random_device rd;
  for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<uint8_t>(rd());
  return true;
#endif
}

SdesError validateSdesKey(const SdesKeyParam& key, SrtpSuite suite) {
  const SrtpSuiteInfo& info = srtpSuiteInfo(suite);
  // RFC 4568 §6.1: the key-salt is the concatenation of the master key and the master salt,
  // each of the length the crypto suite defines.
  if (key.keySalt.size() != info.keyLength + info.saltLength) {
    return fail(SdesErrorCode::BadKeyLength, std::string(info.name) + " needs " +
                                                 std::to_string(info.keyLength + info.saltLength) +
                                                 " octets of key||salt, got " + std::to_string(key.keySalt.size()));
  }
  if (key.lifetime > info.maxLifetime) {
    return fail(SdesErrorCode::BadLifetime, "lifetime above the suite's maximum of 2^48 packets");
  }
  if (key.mkiLength > 128) return fail(SdesErrorCode::BadMki, "MKI length above 128 octets");
  if (key.mkiLength > 0 && key.mkiLength < 8 && (key.mkiValue >> (8 * key.mkiLength)) != 0) {
    return fail(SdesErrorCode::BadMki, "MKI value does not fit its length");
  }
  return {};
}

SdesError parseSdesKeyParam(std::string_view text, SrtpSuite suite, SdesKeyParam& out) {
  out = SdesKeyParam{};
  // RFC 4568 §9.2: key-param = key-method ":" key-info; key-method = "inline".
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return fail(SdesErrorCode::BadSyntax, "key parameter without ':'");
  if (text.substr(0, colon) != "inline") {
    return fail(SdesErrorCode::BadKeyMethod, "key method is not 'inline'");
  }
  // key-info = key-salt ["|" lifetime] ["|" mki]
  std::vector<std::string_view> parts = split(text.substr(colon + 1), '|');
  if (parts.size() > 3) return fail(SdesErrorCode::BadSyntax, "too many '|' fields in key parameter");
  if (!base64Decode(parts[0], out.keySalt) || parts[0].empty()) {
    return fail(SdesErrorCode::BadBase64, "key-salt is not base64");
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    std::string_view field = parts[i];
    std::size_t mkiColon = field.find(':');
    if (mkiColon != std::string_view::npos) {
      // mki = mki-value ":" mki-length; mki-length = 1*3DIGIT (1..128 octets).
      if (out.mkiLength != 0) return fail(SdesErrorCode::BadMki, "two MKI fields");
      uint64_t value = 0;
      uint64_t len = 0;
      std::string_view lenText = field.substr(mkiColon + 1);
      if (!parseUint(field.substr(0, mkiColon), value) || lenText.size() > 3 || !parseUint(lenText, len) ||
          len < 1 || len > 128) {
        return fail(SdesErrorCode::BadMki, "malformed MKI '" + std::string(field) + "'");
      }
      out.mkiValue = value;
      out.mkiLength = static_cast<std::size_t>(len);
    } else {
      // lifetime = ["2^"] 1*(DIGIT); it comes before the MKI.
      if (out.mkiLength != 0 || out.lifetime != 0) {
        return fail(SdesErrorCode::BadLifetime, "lifetime out of place");
      }
      uint64_t v = 0;
      if (field.substr(0, 2) == "2^") {
        if (!parseUint(field.substr(2), v) || v > 48) {
          return fail(SdesErrorCode::BadLifetime, "malformed lifetime '" + std::string(field) + "'");
        }
        out.lifetime = uint64_t{1} << v;
        out.lifetimeAsPowerOfTwo = true;
      } else {
        if (!parseUint(field, v) || v == 0) {
          return fail(SdesErrorCode::BadLifetime, "malformed lifetime '" + std::string(field) + "'");
        }
        out.lifetime = v;
      }
    }
  }
  return validateSdesKey(out, suite);
}

SdesError parseSdesCrypto(std::string_view value, SdesCrypto& out) {
  out = SdesCrypto{};
  // RFC 4568 §9.1: a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
  std::vector<std::string_view> tokens = splitSpaces(value);
  if (tokens.size() < 3) return fail(SdesErrorCode::BadSyntax, "a=crypto needs tag, suite and key parameters");
  uint64_t tag = 0;
  if (tokens[0].size() > 9 || !parseUint(tokens[0], tag)) return fail(SdesErrorCode::BadSyntax, "bad crypto tag");
  out.tag = static_cast<uint32_t>(tag);
  const SrtpSuiteInfo* suite = findSrtpSuite(tokens[1]);
  if (suite == nullptr) return fail(SdesErrorCode::UnknownSuite, "unsupported crypto suite " + std::string(tokens[1]));
  out.suite = suite->suite;
  for (std::string_view kp : split(tokens[2], ';')) {
    SdesKeyParam key;
    SdesError err = parseSdesKeyParam(kp, out.suite, key);
    if (!err.ok()) return err;
    out.keys.push_back(std::move(key));
  }
  if (out.keys.size() > 1) {
    // RFC 4568 §6.1: with several keys, each MUST carry an MKI, of the same length, all distinct.
    std::set<uint64_t> seen;
    for (const auto& k : out.keys) {
      if (k.mkiLength == 0 || k.mkiLength != out.keys[0].mkiLength || !seen.insert(k.mkiValue).second) {
        return fail(SdesErrorCode::BadMki, "several keys need distinct MKIs of one length");
      }
    }
  }
  for (std::size_t i = 3; i < tokens.size(); ++i) {
    std::string_view p = tokens[i];
    uint64_t v = 0;
    if (p.substr(0, 4) == "WSH=") {
      // RFC 4568 §6.3.6: window size hint; a minimum of 64 applies.
      if (!parseUint(p.substr(4), v) || v < 64 || v > 0x7FFF) {
        return fail(SdesErrorCode::BadSyntax, "bad WSH");
      }
      out.windowSizeHint = static_cast<uint32_t>(v);
    } else if (p.substr(0, 4) == "KDR=") {
      // RFC 4568 §6.3.1: KDR 0 means no key derivation after the first: libsrtp only does that.
      if (!parseUint(p.substr(4), v) || v != 0) {
        return fail(SdesErrorCode::UnsupportedSessionParam, "KDR other than 0 is not supported");
      }
    } else {
      // UNENCRYPTED_SRTCP, UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP, FEC_ORDER, FEC_KEY and unknown
      // parameters: RFC 4568 §6.3 lets the answerer reject the crypto line instead.
      return fail(SdesErrorCode::UnsupportedSessionParam, "unsupported session parameter " + std::string(p));
    }
  }
  return {};
}

std::string formatSdesKeyParam(const SdesKeyParam& key) {
  std::string out = "inline:" + base64Encode(key.keySalt.data(), key.keySalt.size());
  if (key.lifetime != 0) {
    out += '|';
    bool pow2 = key.lifetimeAsPowerOfTwo && (key.lifetime & (key.lifetime - 1)) == 0;
    if (pow2) {
      int n = 0;
      while ((uint64_t{1} << n) != key.lifetime) ++n;
      out += "2^" + std::to_string(n);
    } else {
      out += std::to_string(key.lifetime);
    }
  }
  if (key.mkiLength != 0) out += '|' + std::to_string(key.mkiValue) + ':' + std::to_string(key.mkiLength);
  return out;
}

std::string formatSdesCrypto(const SdesCrypto& crypto) {
  std::string out = std::to_string(crypto.tag) + ' ' + srtpSuiteInfo(crypto.suite).name + ' ';
  for (std::size_t i = 0; i < crypto.keys.size(); ++i) {
    if (i > 0) out += ';';
    out += formatSdesKeyParam(crypto.keys[i]);
  }
  if (crypto.windowSizeHint != 0) out += " WSH=" + std::to_string(crypto.windowSizeHint);
  return out;
}

SdesKeyParam generateSdesKey(SrtpSuite suite) {
  const SrtpSuiteInfo& info = srtpSuiteInfo(suite);
  SdesKeyParam key;
  key.keySalt.resize(info.keyLength + info.saltLength);
  if (!secureRandom(key.keySalt.data(), key.keySalt.size())) key.keySalt.clear();  // refused later
  return key;
}

SdesCrypto generateSdesCrypto(uint32_t tag, SrtpSuite suite) {
  SdesCrypto c;
  c.tag = tag;
  c.suite = suite;
  c.keys.push_back(generateSdesKey(suite));
  return c;
}

}  // namespace sipmedia
