// Enrolment: one-time codes, and a kiosk's sealed journal key opened with one.
#include "central/central.hpp"

#include "central/central_parts.hpp"

namespace kiosk::central {

using nlohmann::json;

using namespace detail;

Result<std::string> Central::CreateEnrolment(const std::string& kiosk_id, int valid_hours) {
  if (!ValidKioskId(kiosk_id))
    return MakeError(ErrorKind::Usage, "enrol.kiosk_id",
                     "A kiosk id is 1 to 64 letters, digits, '-', '_' or '.'; '" + kiosk_id + "' is not.");
  std::lock_guard lock(m_mu);
  const std::string code = sync::NewEnrolCode();
  EnrolmentRecord e{kiosk_id, sync::DeriveEnrolSecret(sync::NormalizeEnrolCode(code), kiosk_id),
                    NowMs() + int64_t{valid_hours} * 3'600'000, 0};
  StoreTransaction tx(m_store);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(m_store.PutEnrolment(e));
  KIOSK_TRY(tx.Commit());
  return code;
}

HttpAnswer Central::HandleEnrol(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sealed_key") || !j["sealed_key"].is_object())
    return Answer(MakeError(ErrorKind::Usage, "request.malformed", "The enrolment request is malformed."));
  const std::string kiosk_id = j.value("kiosk_id", "");
  const json& sk = j["sealed_key"];
  sync::SealedKey sealed{sk.value("iv", ""), sk.value("ct", ""), sk.value("tag", "")};

  std::lock_guard lock(m_mu);
  auto enrolment = m_store.GetEnrolment(kiosk_id);
  if (!enrolment.ok()) return Answer(enrolment.error());
  if (!*enrolment)
    return Answer(MakeError(ErrorKind::Refused, "enrol.no_code",
                            "No enrolment code is open for kiosk " + kiosk_id +
                                " at this central. Create one there with `kiosk-central enroll " + kiosk_id +
                                "` (the code is for this kiosk id only)."));
  EnrolmentRecord e = **enrolment;
  if (e.expires_ms < NowMs())
    return Answer(MakeError(ErrorKind::Refused, "enrol.expired",
                            "The enrolment code for " + kiosk_id + " has expired. Create a new one with `kiosk-central "
                            "enroll " + kiosk_id + "`."));
  if (e.attempts >= kMaxEnrolAttempts)
    return Answer(MakeError(ErrorKind::Refused, "enrol.void",
                            "The enrolment code for " + kiosk_id + " was tried wrongly " +
                                std::to_string(kMaxEnrolAttempts) + " times and is void. Create a new one."));
  auto key = sync::OpenJournalKey(e.secret_hex, kiosk_id, sealed);
  if (!key.ok()) {
    ++e.attempts;
    StoreTransaction tx(m_store);
    if (tx.Begin().ok() && m_store.PutEnrolment(e).ok()) (void)tx.Commit();
    return Answer(key.error());
  }
  const std::string key_hex = crypto::Hex(key->bytes);
  auto existing = m_store.GetKiosk(kiosk_id);
  if (!existing.ok()) return Answer(existing.error());
  KioskRecord k;
  if (*existing && (*existing)->key_hex == key_hex) {
    k = **existing;  // re-enrolment with the same key keeps everything acknowledged
  } else if (*existing && (*existing)->acked_through > 0) {
    return Answer(MakeError(ErrorKind::Refused, "enrol.key_mismatch",
                            "Kiosk " + kiosk_id + " is already enrolled with another key and the central holds " +
                                std::to_string((*existing)->acked_through) +
                                " of its events; a different key would make them unverifiable. Is this the right "
                                "kiosk id? If the kiosk was rebuilt, give it a new kiosk id."));
  } else {
    k.kiosk_id = kiosk_id;
    k.acked_through = 0;
    k.head_hash = GenesisHash(kiosk_id);
  }
  k.key_hex = key_hex;
  k.enrolled_at = FormatUtc(m_clock.Now());
  const bool joins = !*existing;  // one more kiosk sharing the reward stock (rewards.cpp)
  Status s = [&]() -> Status {
    StoreTransaction tx(m_store);
    KIOSK_TRY(tx.Begin());
    KIOSK_TRY(m_store.PutKiosk(k));
    KIOSK_TRY(m_store.DeleteEnrolment(kiosk_id));
    if (joins) {
      // Every kiosk without an allocation of its own now has a smaller even share of the stock
      // no kiosk holds: a new reference version makes their next pull (or stick file) say so,
      // instead of a 304 that keeps the larger share they were told before.
      bool any_stock = false;
      KIOSK_TRY(m_store.ForEachRewardStock([&](const RewardStockSummary&) { any_stock = true; }));
      if (any_stock) {
        auto version = m_store.TakeReferenceVersion();
        if (!version.ok()) return version.error();
        KIOSK_TRY(m_store.SetMeta("stock_version", std::to_string(*version)));
      }
    }
    return tx.Commit();
  }();
  {
    std::lock_guard side(m_side_mu);
    m_keys.erase(kiosk_id);
  }
  if (!s.ok()) return Answer(s.error());
  json out{{"kiosk_id", kiosk_id},
           {"central_public_key", m_key.public_hex},
           {"confirm", sync::EnrolConfirmation(e.secret_hex, kiosk_id, m_key.public_hex)},
           {"acked_through", k.acked_through},
           {"head_hash", k.head_hash},
           {"anchor", sync::ToJson(MakeAnchor(kiosk_id, k.acked_through, k.head_hash))}};
  return HttpAnswer{200, out.dump(), 0};
}

}  // namespace kiosk::central
