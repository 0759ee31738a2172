#include "kiosk/core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <memory>
#include <vector>
#include <stdexcept>

namespace kiosk::crypto {

void RandomBytes(std::span<unsigned char> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("the system random number generator failed");
}

std::string Hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = kDigits[bytes[i] >> 4];
    s[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return s;
}

bool FromHex(std::string_view hex, std::vector<unsigned char>& out) {
  if (hex.size() % 2) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<unsigned char>(hi << 4 | lo));
  }
  return true;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return Hex(md);
}

void HmacSha256(std::span<const unsigned char> key, std::string_view data, unsigned char out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
}

std::string HmacSha256Hex(std::span<const unsigned char> key, std::string_view data) {
  unsigned char md[32];
  HmacSha256(key, data, md);
  return Hex(md);
}

bool VerifyEd25519(std::string_view public_hex, std::string_view message, std::string_view signature_hex) {
  std::vector<unsigned char> pub, sig;
  if (!FromHex(public_hex, pub) || !FromHex(signature_hex, sig) || pub.size() != 32 || sig.size() != 64) return false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()), &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!pkey || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

namespace {
bool Pbkdf2(std::string_view pin, std::span<const unsigned char> salt, int iterations, unsigned char out[32]) {
  return PKCS5_PBKDF2_HMAC(pin.data(), static_cast<int>(pin.size()), salt.data(), static_cast<int>(salt.size()),
                           iterations, EVP_sha256(), 32, out) == 1;
}
}  // namespace

std::string HashPin(std::string_view pin, int iterations) {
  unsigned char salt[16];
  RandomBytes(salt);
  unsigned char hash[32];
  if (!Pbkdf2(pin, salt, iterations, hash)) throw std::runtime_error("PBKDF2 failed");
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + Hex(salt) + "$" + Hex(hash);
}

bool VerifyPin(std::string_view pin, std::string_view encoded) {
  // pbkdf2-sha256$ITER$SALT$HASH
  constexpr std::string_view kPrefix = "pbkdf2-sha256$";
  if (encoded.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view rest = encoded.substr(kPrefix.size());
  size_t a = rest.find('$');
  if (a == std::string_view::npos) return false;
  size_t b = rest.find('$', a + 1);
  if (b == std::string_view::npos) return false;
  int iterations = 0;
  auto iter_text = rest.substr(0, a);
  if (std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations).ec != std::errc() ||
      iterations < 1 || iterations > 10'000'000)
    return false;
  std::vector<unsigned char> salt, expected;
  if (!FromHex(rest.substr(a + 1, b - a - 1), salt) || !FromHex(rest.substr(b + 1), expected) ||
      expected.size() != 32)
    return false;
  unsigned char hash[32];
  if (!Pbkdf2(pin, salt, iterations, hash)) return false;
  return CRYPTO_memcmp(hash, expected.data(), 32) == 0;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kiosk::crypto

#include <openssl/core_names.h>
#include <openssl/params.h>

namespace kiosk::crypto {

struct HmacSha256Ctx::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
};

HmacSha256Ctx::HmacSha256Ctx(std::span<const unsigned char> key) : m_state(new State) {
  m_state->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  m_state->ctx = m_state->mac ? EVP_MAC_CTX_new(m_state->mac) : nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!m_state->ctx || EVP_MAC_init(m_state->ctx, key.data(), key.size(), params) != 1) {
    EVP_MAC_CTX_free(m_state->ctx);
    EVP_MAC_free(m_state->mac);
    delete m_state;
    throw std::runtime_error("OpenSSL HMAC-SHA256 is not available");
  }
}

HmacSha256Ctx::~HmacSha256Ctx() {
  EVP_MAC_CTX_free(m_state->ctx);
  EVP_MAC_free(m_state->mac);
  delete m_state;
}

void HmacSha256Ctx::Mac(std::string_view data, unsigned char out[32]) {
  // Re-initialising with a null key keeps the key and resets the state.
  size_t len = 32;
  EVP_MAC_init(m_state->ctx, nullptr, 0, nullptr);
  EVP_MAC_update(m_state->ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  EVP_MAC_final(m_state->ctx, out, &len, 32);
}

std::string HmacSha256Ctx::MacHex(std::string_view data) {
  unsigned char md[32];
  Mac(data, md);
  return Hex(md);
}

}  // namespace kiosk::crypto

namespace kiosk::crypto {

struct Sha256Stream::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Stream::Sha256Stream() : m_state(new State) {
  m_state->ctx = EVP_MD_CTX_new();
  if (!m_state->ctx || EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(m_state->ctx);
    delete m_state;
    throw std::runtime_error("OpenSSL SHA-256 is not available");
  }
}

Sha256Stream::~Sha256Stream() {
  EVP_MD_CTX_free(m_state->ctx);
  delete m_state;
}

void Sha256Stream::Update(std::string_view data) { EVP_DigestUpdate(m_state->ctx, data.data(), data.size()); }

std::string Sha256Stream::FinalHex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(m_state->ctx, md, &len);
  return Hex(std::span<const unsigned char>(md, len));
}

}  // namespace kiosk::crypto
