// Sync protocol v1 (protocol.hpp), in four files: this one signs requests and holds the central's
// Ed25519 key; protocol_batch.cpp writes and reads batches, verdicts and the central's answers;
// protocol_enrol.cpp the enrolment code and the sealed journal key; protocol_files.cpp the USB
// batch files and receipts.
#include "kiosk/sync/protocol.hpp"

#include <openssl/evp.h>

#include <memory>

#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/protocol_internal.hpp"

namespace kiosk::sync {

using detail::Bytes;
using detail::IsHex;

// ---- Request signing ----------------------------------------------------------------------

std::string SigningString(std::string_view domain, std::string_view method, std::string_view path,
                          const SignedHeaders& h, std::string_view body) {
  std::string s;
  s.reserve(200);
  s.append(domain).append("\n");
  s.append(method).append("\n");
  s.append(path).append("\n");
  s.append(h.kiosk_id).append("\n");
  s.append(std::to_string(h.time_ms)).append("\n");
  s.append(h.nonce).append("\n");
  s.append(crypto::Sha256Hex(body));
  return s;
}

std::string NewNonce() {
  unsigned char b[16];
  crypto::RandomBytes(b);
  return crypto::Hex(b);
}

SignedHeaders SignRequest(const JournalKey& key, std::string_view method, std::string_view path, std::string kiosk_id,
                          int64_t time_ms, std::string_view body, std::string_view domain) {
  SignedHeaders h{std::move(kiosk_id), time_ms, NewNonce(), ""};
  h.signature = crypto::HmacSha256Hex(key.bytes, SigningString(domain, method, path, h, body));
  return h;
}

bool VerifySignature(const JournalKey& key, std::string_view method, std::string_view path, const SignedHeaders& h,
                     std::string_view body, std::string_view domain) {
  if (!IsHex(h.signature, 64)) return false;
  const std::string expected = crypto::HmacSha256Hex(key.bytes, SigningString(domain, method, path, h, body));
  return crypto::ConstantTimeEqual(expected, h.signature);
}

// ---- Ed25519 --------------------------------------------------------------------------------

namespace {
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
}  // namespace

SigningKey NewSigningKey() {
  unsigned char seed[32];
  crypto::RandomBytes(seed);
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, 32));
  unsigned char pub[32];
  size_t len = sizeof pub;
  EVP_PKEY_get_raw_public_key(pkey.get(), pub, &len);
  return SigningKey{crypto::Hex(seed), crypto::Hex(std::span<const unsigned char>(pub, len))};
}

std::string Sign(const SigningKey& key, std::string_view message) {
  auto seed = Bytes(key.private_hex);
  if (seed.size() != 32) return "";
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return "";
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return "";
  return crypto::Hex(std::span<const unsigned char>(sig, len));
}

bool VerifySigned(std::string_view public_hex, std::string_view message, std::string_view signature_hex) {
  return crypto::VerifyEd25519(public_hex, message, signature_hex);
}

}  // namespace kiosk::sync
