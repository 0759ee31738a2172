// Authentication of a kiosk's signed requests.
#include "central/central.hpp"

#include "central/central_parts.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

Result<KioskRecord> Central::FindKioskLocked(const sync::SignedHeaders& h) {
  if (h.kiosk_id.empty() || h.nonce.empty() || h.signature.empty())
    return MakeError(ErrorKind::Refused, "auth.missing",
                     "The request is not signed (X-Kiosk-Id, X-Kiosk-Time, X-Kiosk-Nonce and X-Kiosk-Signature are "
                     "required).");
  auto kiosk = m_store.GetKiosk(h.kiosk_id);
  if (!kiosk.ok()) return kiosk.error();
  if (!*kiosk)
    return MakeError(ErrorKind::Refused, "kiosk.not_enrolled",
                     "Kiosk " + h.kiosk_id + " is not enrolled with this central. Create a code with `kiosk-central "
                     "enroll " + h.kiosk_id + "` and run `kiosk enroll --central URL --code CODE` on the kiosk.");
  return **kiosk;
}

Status Central::CheckSignature(const std::string& key_hex, std::string_view method, std::string_view path,
                               const sync::SignedHeaders& h, std::string_view body, int64_t now_ms) {
  auto key = KeyFromHex(key_hex);
  if (!key.ok()) return key.error();
  if (!sync::VerifySignature(*key, method, path, h, body))
    return MakeError(ErrorKind::Refused, "auth.bad_signature",
                     "The request's signature does not match the key kiosk " + h.kiosk_id +
                         " enrolled with (a different key, or the request was altered on the way). Nothing was "
                         "stored.");
  const int64_t skew = h.time_ms - now_ms;
  if (skew > sync::kRequestWindowMs || -skew > sync::kRequestWindowMs)
    return MakeError(ErrorKind::Refused, "auth.clock",
                     "The request's time is " + std::to_string(skew / 60000) +
                         " minutes off the central's clock (5 minutes are allowed). The sync client corrects for "
                         "this by itself; if it persists, check the kiosk's clock.");
  return {};
}

Result<KioskRecord> Central::AuthenticateLocked(std::string_view method, std::string_view path,
                                                const sync::SignedHeaders& h, std::string_view body, int64_t now_ms) {
  auto kiosk = FindKioskLocked(h);
  if (!kiosk.ok()) return kiosk.error();
  KIOSK_TRY(CheckSignature(kiosk->key_hex, method, path, h, body, now_ms));
  return kiosk;
}

Result<std::string> Central::KioskKey(const sync::SignedHeaders& h) {
  if (!h.nonce.empty() && !h.signature.empty()) {
    std::lock_guard side(m_side_mu);
    if (auto it = m_keys.find(h.kiosk_id); it != m_keys.end()) return it->second;
  }
  std::lock_guard lock(m_mu);
  auto kiosk = FindKioskLocked(h);
  if (!kiosk.ok()) return kiosk.error();
  std::lock_guard side(m_side_mu);
  m_keys[h.kiosk_id] = kiosk->key_hex;
  return kiosk->key_hex;
}

}  // namespace kiosk::central
