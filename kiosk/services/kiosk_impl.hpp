#pragma once
// Private to the Kiosk implementation files (kiosk*.cpp): shared state and helpers.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/reference.hpp"
#include "kiosk/core/rules/earning.hpp"
#include "kiosk/core/rules/loyalty.hpp"
#include "kiosk/services/kiosk.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"
#include "storage/state.hpp"
#include "storage/sync_store.hpp"

namespace kiosk {

using storage::LocalKey;

struct PartnerCtx {
  Partner partner;
  std::string card_number;  // empty when looked up by partner id
  CardStatus card_status = CardStatus::Active;
};

using rules::RedeemPlan;

// A read whose failure shows as "none" (a status view's counts, a catalogue list), as it did
// before the reads moved into storage/.
template <typename T>
T ValueOr(Result<T> r, T fallback) {
  return r.ok() ? std::move(*r) : std::move(fallback);
}

struct Kiosk::Impl {
  DataPaths paths;
  const Clock* clock = nullptr;
  std::unique_ptr<storage::Db> db;
  JournalKey key;
  std::string kiosk_id;
  std::unique_ptr<storage::JournalStore> journal;
  std::unique_ptr<storage::SyncStore> sync_store;  // made at the first SyncStorage()
  barcode::Classifier classifier = barcode::Classifier::Default();
  // Why the site's barcode_rules.json was not loaded ("" when it was, or when there is none): the
  // kiosk then classifies with its built-in rules, and says so in its status.
  std::string rules_error;

  // ---- helpers (kiosk.cpp) ----
  kiosk::Status RequireWritable() const;
  // Refuses (journal.forked) while the journal is known to be behind the central's: whatever it
  // logged could never sync. kiosk_recover.cpp.
  kiosk::Status RequireJournalInStep();
  // Whether an event of this type may still be logged while the journal is behind: the system's
  // own (reference data applied, a wrong admin PIN, retention), which recovery logs again too.
  static bool LogsWhileForked(std::string_view type);
  // Records that the journal is behind (kind "behind") when central_seq is beyond local_head, or
  // that it forked (kind "fork"). Inside or outside a transaction.
  kiosk::Status NoteCentralHead(int64_t central_seq, int64_t local_head, const std::string& via);
  kiosk::Status NoteFork(const std::string& kind, int64_t central_seq, int64_t local_head, const std::string& via);
  std::string Today() const;
  // sync_state, one typed accessor per key (storage/sync_store.hpp).
  storage::SyncState SyncState() { return storage::SyncState(*db); }
  std::string LocalValue(LocalKey key, const std::string& def = "");
  kiosk::Status SetLocal(LocalKey key, const std::string& value);
  Settings LoadSettings();
  int64_t CoversSeq();
  std::optional<int64_t> HoursSinceFresh();

  // ---- lookups (kiosk_lookups.cpp) ----
  // Lookups try the exact text first (the common case: a scanner's plain code) and classify
  // only on a miss. A caller that has classified the scan already passes it in.
  Result<Badge> LookupBadge(std::string_view code, const barcode::Classified* c = nullptr);
  Result<Badge> RequireBadge(std::string_view code, std::initializer_list<Role> roles, const char* action);
  Result<PartnerCtx> LookupPartner(std::string_view card_or_id, const barcode::Classified* c = nullptr);
  // The card must not be blocked, and the partner not suspended if `action` is one a suspended
  // partner is refused (rules/partners.hpp).
  Result<PartnerCtx> RequirePartner(std::string_view card_or_id, const char* action);
  Result<Device> LookupDevice(std::string_view code, const barcode::Classified* c = nullptr);
  Result<DemoModel> LookupModel(std::string_view gtin);
  Result<Reward> LookupReward(std::string_view id);
  Result<Balance> LookupBalance(const std::string& partner_id);
  std::vector<Device> KitMembers(const std::string& kit);

  // A custody conflict as this kiosk says it (kiosk_outcomes.cpp): which side it is on, the other
  // side's kiosk, rep and date.
  CustodyConflictView ConflictView(const CustodyConflict& c);

  kiosk::Status StaleGuard(const char* action);                                      // kiosk.cpp
  Result<RedeemPlan> PlanRedemption(const PartnerCtx& p, const Reward& r, int qty);  // kiosk_actions.cpp
  // The central's allocation of a reward to this showroom, with its redemptions since (nullopt:
  // none; kiosk_actions.cpp).
  Result<std::optional<rules::AllocationFacts>> AllocationOf(const std::string& reward_id);
  // The points these sold units earn the partner by the earning rule (rules/earning.hpp), as this
  // kiosk can tell: each model's rule from the reference data; units already reported, or demo
  // units, were refused before (kiosk_partners.cpp).
  Result<rules::SelloutEarning> EstimateEarning(const Partner& partner,
                                                const std::vector<std::pair<std::string, int64_t>>& units_per_gtin);

  // One action: begins a transaction, appends the event, lets `apply` change local state with the
  // event's seq, commits. On any failure nothing of it remains.
  template <typename Apply>
  Result<Event> Act(const std::string& type, const nlohmann::json& payload, const std::string& actor, Apply&& apply);
  // The same for a typed payload (kiosk/core/events.hpp): its type name and its JSON.
  template <typename Payload, typename Apply>
  Result<Event> Act(const Payload& payload, const std::string& actor, Apply&& apply) {
    return Act(std::string(Payload::kType), payload.ToJson(), actor, std::forward<Apply>(apply));
  }
};

template <typename Apply>
Result<Event> Kiosk::Impl::Act(const std::string& type, const nlohmann::json& payload, const std::string& actor,
                               Apply&& apply) {
  KIOSK_TRY(RequireWritable());
  if (!LogsWhileForked(type)) KIOSK_TRY(RequireJournalInStep());
  storage::Transaction tx(*db);
  KIOSK_TRY(tx.Begin());
  auto event = journal->Append(type, payload.dump(), actor);
  if (!event.ok()) {
    journal->RolledBack();
    return event.error();
  }
  if (kiosk::Status s = apply(event->seq); !s.ok()) {
    journal->RolledBack();
    return s.error();
  }
  if (kiosk::Status s = tx.Commit(); !s.ok()) {
    journal->RolledBack();
    return s.error();
  }
  journal->Committed(*event);
  return event;
}

}  // namespace kiosk
