// Sync protocol: enrolment. The one-time code an admin types, the secret derived from it, the
// journal key sealed with that secret for the trip to the central, and the confirmation.
#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/protocol.hpp"
#include "kiosk/sync/protocol_internal.hpp"

namespace kiosk::sync {

using detail::Bytes;

// ---- Enrolment ------------------------------------------------------------------------------

namespace {
constexpr const char* kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string NewEnrolCode() {
  unsigned char r[20];
  crypto::RandomBytes(r);
  std::string out;
  for (int i = 0; i < 20; ++i) {
    if (i && i % 5 == 0) out += '-';
    out += kCrockford[r[i] & 31];
  }
  return out;
}

std::string NormalizeEnrolCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == 'I' || u == 'L') u = '1';
    if (u == 'O') u = '0';
    if (!std::strchr(kCrockford, u) || u == 0) return "";
    out += u;
  }
  return out.size() == 20 ? out : "";
}

std::string DeriveEnrolSecret(std::string_view normalized_code, std::string_view kiosk_id) {
  const std::string salt = "showroom-kiosk/enrol/v1|" + std::string(kiosk_id);
  unsigned char out[32];
  PKCS5_PBKDF2_HMAC(normalized_code.data(), static_cast<int>(normalized_code.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), 100000,
                    EVP_sha256(), 32, out);
  return crypto::Hex(out);
}

namespace {
struct CipherFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
}  // namespace

SealedKey SealJournalKey(std::string_view secret_hex, std::string_view kiosk_id, const JournalKey& key) {
  auto k = Bytes(secret_hex);
  unsigned char iv[12];
  crypto::RandomBytes(iv);
  unsigned char ct[32];
  unsigned char tag[16];
  int len = 0;
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k.data(), iv);
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kiosk_id.data()),
                    static_cast<int>(kiosk_id.size()));
  EVP_EncryptUpdate(ctx.get(), ct, &len, key.bytes, 32);
  EVP_EncryptFinal_ex(ctx.get(), ct + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag);
  return SealedKey{crypto::Hex(iv), crypto::Hex(ct), crypto::Hex(tag)};
}

Result<JournalKey> OpenJournalKey(std::string_view secret_hex, std::string_view kiosk_id, const SealedKey& sealed) {
  auto k = Bytes(secret_hex);
  auto iv = Bytes(sealed.iv);
  auto ct = Bytes(sealed.ct);
  auto tag = Bytes(sealed.tag);
  auto bad = MakeError(ErrorKind::Refused, "enrol.bad_code",
                       "The enrolment code does not match (or the request was altered). Check the code and try again; "
                       "after 5 failed tries the code is void and a new one is needed (kiosk-central enroll).");
  if (k.size() != 32 || iv.size() != 12 || ct.size() != 32 || tag.size() != 16) return bad;
  JournalKey out;
  int len = 0;
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k.data(), iv.data());
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(kiosk_id.data()),
                    static_cast<int>(kiosk_id.size()));
  EVP_DecryptUpdate(ctx.get(), out.bytes, &len, ct.data(), 32);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), out.bytes + len, &len) != 1) return bad;
  return out;
}

std::string EnrolConfirmation(std::string_view secret_hex, std::string_view kiosk_id, std::string_view public_hex) {
  auto k = Bytes(secret_hex);
  return crypto::HmacSha256Hex(k, "ske-enrol-confirm|" + std::string(kiosk_id) + "|" + std::string(public_hex));
}

}  // namespace kiosk::sync
