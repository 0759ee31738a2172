#pragma once
// Small wrappers over OpenSSL's libcrypto: random bytes, SHA-256, HMAC-SHA256, PBKDF2, hex.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::crypto {

void RandomBytes(std::span<unsigned char> out);  // throws only if the system RNG fails
std::string Hex(std::span<const unsigned char> bytes);
bool FromHex(std::string_view hex, std::vector<unsigned char>& out);

std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::span<const unsigned char> key, std::string_view data);
// Raw 32-byte HMAC.
void HmacSha256(std::span<const unsigned char> key, std::string_view data, unsigned char out[32]);

// "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX"
std::string HashPin(std::string_view pin, int iterations = 120000);
bool VerifyPin(std::string_view pin, std::string_view encoded);

// Ed25519 signature check: public key 64 hex, signature 128 hex. False on any malformed input.
bool VerifyEd25519(std::string_view public_hex, std::string_view message, std::string_view signature_hex);

// Constant-time comparison of two equal-length strings.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace kiosk::crypto

namespace kiosk::crypto {

// A keyed HMAC-SHA256 reused across messages: fetching the algorithm once makes each MAC several
// times cheaper than a one-shot call (journal verification hashes every event).
// SHA-256 of data that arrives in pieces (a file copied in chunks): hashed as it passes, so the
// whole never needs to be in memory.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  std::string FinalHex();  // once; the object is spent afterwards

 private:
  struct State;
  State* m_state;
};

class HmacSha256Ctx {
 public:
  explicit HmacSha256Ctx(std::span<const unsigned char> key);
  ~HmacSha256Ctx();
  HmacSha256Ctx(const HmacSha256Ctx&) = delete;
  HmacSha256Ctx& operator=(const HmacSha256Ctx&) = delete;
  void Mac(std::string_view data, unsigned char out[32]);
  std::string MacHex(std::string_view data);

 private:
  struct State;
  State* m_state;
};

}  // namespace kiosk::crypto
