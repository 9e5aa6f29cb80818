// SDES key material for SRTP (RFC 4568): the crypto suites the engine supports, parsing and
// formatting of `a=crypto` key parameters, and generation of fresh random keys. Pure C++ (no
// libsrtp): the endpoint can parse and build offers even in a build without libsrtp2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipmedia {

/** The SRTP crypto suites the engine negotiates with SDES. */
enum class SrtpSuite {
  /** RFC 4568 §6.2.1: AES-CM 128-bit key, 112-bit salt, HMAC-SHA1 80-bit tag. */
  AesCm128HmacSha1_80,
  /** RFC 4568 §6.2.2: as above with a 32-bit SRTP tag (SRTCP keeps the 80-bit tag). */
  AesCm128HmacSha1_32,
  /** RFC 7714 §14.2: AES-GCM 128-bit key, 96-bit salt, 16-octet tag. */
  AeadAes128Gcm,
  /** RFC 7714 §14.2: AES-GCM 256-bit key, 96-bit salt, 16-octet tag. */
  AeadAes256Gcm,
};

/** Static facts about a suite: its SDP name and the lengths that key parameters must have. */
struct SrtpSuiteInfo {
  SrtpSuite suite;
  /** The crypto-suite token of `a=crypto` (RFC 4568 §9.2). */
  const char* name;
  /** Master key length in octets. */
  std::size_t keyLength;
  /** Master salt length in octets. */
  std::size_t saltLength;
  /** Authentication tag appended to each SRTP packet, in octets. */
  std::size_t rtpTagLength;
  /** Authentication tag appended to each SRTCP packet, in octets. */
  std::size_t rtcpTagLength;
  /** Largest key lifetime (in packets) the suite allows for SRTP. */
  uint64_t maxLifetime;
};

/** The facts of one suite. */
const SrtpSuiteInfo& srtpSuiteInfo(SrtpSuite suite);
/** The suite for an `a=crypto` suite name (exact, case-sensitive token), or nullptr. */
const SrtpSuiteInfo* findSrtpSuite(std::string_view name);
/** All supported suites, strongest first: the order the engine offers them in. */
const std::vector<SrtpSuite>& srtpSuites();

/** One SDES key parameter: `inline:<base64(key||salt)>[|lifetime][|MKI:length]`. */
struct SdesKeyParam {
  /** Master key followed by master salt (keyLength + saltLength octets of the suite). */
  std::vector<uint8_t> keySalt;
  /** Key lifetime in packets; 0 when the parameter was absent (the suite's maximum applies). */
  uint64_t lifetime = 0;
  /** Whether lifetime was written as a power of two (`2^20`): kept so formatting round-trips. */
  bool lifetimeAsPowerOfTwo = false;
  /** MKI length in octets (1..128); 0 when the key has no MKI. */
  std::size_t mkiLength = 0;
  /** MKI value (sent big-endian in `mkiLength` octets). */
  uint64_t mkiValue = 0;
};

/** Why key material was refused. */
enum class SdesErrorCode {
  None = 0,
  /** Not of the form `tag suite key-params [session-params]`. */
  BadSyntax,
  /** The crypto-suite name is not one we support. */
  UnknownSuite,
  /** Key method other than `inline`. */
  BadKeyMethod,
  /** The key-salt is not valid base64. */
  BadBase64,
  /** The decoded key||salt does not have the suite's length. */
  BadKeyLength,
  /** Lifetime malformed, zero, or above the suite's maximum. */
  BadLifetime,
  /** MKI malformed, length outside 1..128, value too large for its length, or inconsistent. */
  BadMki,
  /** A session parameter the engine does not implement (KDR other than 0, UNENCRYPTED_*, FEC_*). */
  UnsupportedSessionParam,
};

/** Parse/validation outcome: `code == None` on success, else a human readable `message`. */
struct SdesError {
  SdesErrorCode code = SdesErrorCode::None;
  std::string message;
  bool ok() const { return code == SdesErrorCode::None; }
};

/** A whole `a=crypto` attribute value (RFC 4568 §9.1). */
struct SdesCrypto {
  /** The tag (1..999999999) that the answer echoes. */
  uint32_t tag = 1;
  SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  /** One or more keys; several keys all carry distinct MKIs of one length. */
  std::vector<SdesKeyParam> keys;
  /** Replay window size hint (WSH, RFC 4568 §6.3.6); 0 when absent. */
  uint32_t windowSizeHint = 0;
};

/**
 * Parses one key parameter for `suite` (`inline:...|2^31|1:4`).
 * RFC 4568 §9.2 grammar; the key length is checked against the suite (§6.1).
 */
SdesError parseSdesKeyParam(std::string_view text, SrtpSuite suite, SdesKeyParam& out);

/**
 * Parses an `a=crypto` value without the `a=crypto:` prefix:
 * `1 AES_CM_128_HMAC_SHA1_80 inline:...|2^20|1:4;inline:...|2^20|2:4 WSH=128`.
 */
SdesError parseSdesCrypto(std::string_view value, SdesCrypto& out);

/** Formats a key parameter (`inline:<base64>[|lifetime][|mki:len]`). */
std::string formatSdesKeyParam(const SdesKeyParam& key);

/** Formats an `a=crypto` value (without the `a=crypto:` prefix). */
std::string formatSdesCrypto(const SdesCrypto& crypto);

/** Checks that a key fits a suite (lengths, lifetime, MKI): what `SrtpSession` accepts. */
SdesError validateSdesKey(const SdesKeyParam& key, SrtpSuite suite);

/**
 * A fresh random master key and salt for `suite` from the operating system's CSPRNG
 * (RFC 4568 §6.1 and RFC 3711 §8: master keys are random and never reused). No lifetime, no MKI.
 */
SdesKeyParam generateSdesKey(SrtpSuite suite);

/** `SdesCrypto` with one fresh key: what an offer carries. */
SdesCrypto generateSdesCrypto(uint32_t tag, SrtpSuite suite);

/** Fills `out` with `length` random octets from the OS CSPRNG; false if it failed. */
bool secureRandom(uint8_t* out, std::size_t length);

/** RFC 4648 §4 base64 with padding. */
std::string base64Encode(const uint8_t* data, std::size_t length);
/** RFC 4648 §4 base64 decode; padding optional; false on any other character. */
bool base64Decode(std::string_view text, std::vector<uint8_t>& out);

}  // namespace sipmedia
