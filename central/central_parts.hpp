#pragma once
// What the parts of the Central (enrol.cpp, auth.cpp, ingest.cpp, reference.cpp, import.cpp,
// reports.cpp) share, and no one else needs.
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "central/central.hpp"
#include "kiosk/core/crypto.hpp"

namespace kiosk::central::detail {

using nlohmann::json;

constexpr int kMaxEnrolAttempts = 5;

// Reference lists and the member that keys their records (docs/reference-format.md).
inline const std::vector<std::pair<std::string, std::string>>& RefLists() {
  static const std::vector<std::pair<std::string, std::string>> kLists = {
      {"partners", "id"},  {"cards", "number"},         {"badges", "code"},        {"models", "gtin"},
      {"devices", "asset_tag"}, {"rewards", "id"}, {"balances", "partner_id"}};
  return kLists;
}

inline std::string KeyField(const std::string& list) {
  for (const auto& [l, k] : RefLists())
    if (l == list) return k;
  return "id";
}

inline bool ValidKioskId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

inline Result<JournalKey> KeyFromHex(const std::string& hex) {
  std::vector<unsigned char> bytes;
  if (!crypto::FromHex(hex, bytes) || bytes.size() != 32)
    return MakeError(ErrorKind::Integrity, "central.bad_key", "The stored key of this kiosk is damaged.");
  JournalKey k;
  std::copy(bytes.begin(), bytes.end(), k.bytes);
  return k;
}

inline HttpAnswer Answer(const Error& e, const json& extra = json::object()) {
  HttpAnswer a;
  a.status = HttpStatusFor(e);
  a.body = sync::ErrorBody(e, extra);
  if (a.status == 503) a.retry_after_s = 2;
  return a;
}

// The units a kiosk may hand out, reward by reward, as its reference document carries them
// (reward_allocations, rewards.cpp): its own allocation and what it used of it ("allocation"), or
// with none the default policy ("share"): an even share, rounded down, of the unallocated stock
// among the enrolled kiosks without an allocation of that reward (used 0: the stock is counted
// after what they redeemed). Reads only; the caller holds the Central's lock.
Status ForEachKioskAllocation(CentralStore& store, const std::string& kiosk_id,
                              const std::function<void(const std::string& reward_id, int64_t allocated, int64_t used,
                                                       const char* basis)>& fn);

}  // namespace kiosk::central::detail
