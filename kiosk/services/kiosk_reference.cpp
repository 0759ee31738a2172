// Applying reference data: a validated document is applied in one transaction, together with a
// `reference.loaded` journal event, or not at all.
#include "kiosk/core/anchor.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "kiosk/core/reference.hpp"
#include "storage/activity_store.hpp"
#include "storage/outcome_store.hpp"
#include "storage/points_store.hpp"
#include "storage/reference_store.hpp"

namespace kiosk {

using nlohmann::json;

namespace {

Result<LoadReport> ApplyReference(Kiosk::Impl& m, const ReferenceDoc& doc, const std::function<kiosk::Status()>& also = {});

}  // namespace

Result<LoadReport> Kiosk::LoadReference(std::string_view json_text) {
  KIOSK_TRY(m_impl->RequireWritable());
  auto parsed = ParseReference(json_text);
  if (!parsed.ok()) return parsed.error();
  return ApplyReference(*m_impl, *parsed);
}

Result<LoadReport> Kiosk::LoadReferenceFile(const std::filesystem::path& file, const std::function<kiosk::Status()>& also) {
  KIOSK_TRY(m_impl->RequireWritable());
  auto parsed = ParseReferenceFile(file);
  if (!parsed.ok()) return parsed.error();
  return ApplyReference(*m_impl, *parsed, also);
}

namespace {

Result<LoadReport> ApplyReference(Kiosk::Impl& m, const ReferenceDoc& doc, const std::function<kiosk::Status()>& also) {
  const int64_t current = m.SyncState().ReferenceVersion();
  if (!doc.full && doc.base_version != current)
    return MakeError(ErrorKind::Refused, "reference.version_gap",
                     "This delta applies on top of reference version " + std::to_string(doc.base_version) +
                         ", but the kiosk has version " + std::to_string(current) + ". Nothing was applied; sync again "
                         "to get the missing versions (or load a full snapshot).");

  LoadReport report;
  report.version = doc.version;
  report.full = doc.full;
  const events::ReferenceLoaded payload{.version = doc.version,
                                        .full = doc.full,
                                        .partners = static_cast<int64_t>(doc.partners.size()),
                                        .devices = static_cast<int64_t>(doc.devices.size()),
                                        .rewards = static_cast<int64_t>(doc.rewards.size())};
  auto e = m.Act(payload, "", [&](int64_t seq) -> kiosk::Status {
    KIOSK_TRY(storage::ReferenceStore(*m.db).Apply(doc));
    const std::string now = FormatUtc(m.clock->Now());
    // The central's decision on each deal (pending until the vendor decides, then approved or
    // rejected with the central's time and the vendor's reason), into the showroom's deals.
    for (const json& d : doc.deal_decisions) {
      if (!d.is_object() || !d.contains("seq") || !d["seq"].is_number_integer()) continue;
      auto text = [&](const char* key, const std::string& def) {
        auto it = d.find(key);
        return it != d.end() && it->is_string() ? it->get<std::string>() : def;
      };
      storage::DealDecisionRow row{.seq = d["seq"].get<int64_t>(), .status = text("status", "pending")};
      row.decided_at = row.status == "pending" ? "" : text("decided_at", now);
      row.message = text("message", "");
      row.reason = text("reason", "");
      KIOSK_TRY(storage::ActivityStore(*m.db).DecideDeal(row));
    }
    // Demo orders (issue 17): this kiosk's orders as the central moved them, and the channel's
    // open orders, which the quota estimate counts from (with our own orders after its cover).
    for (const OrderStateUpdate& u : doc.order_states) KIOSK_TRY(storage::ActivityStore(*m.db).ApplyOrderState(u));
    if (doc.open_orders) {
      KIOSK_TRY(storage::ActivityStore(*m.db).ReplaceChannelOrders(*doc.open_orders));
      KIOSK_TRY(m.SyncState().SetChannelOrdersCover(doc.covers_kiosk_seq.value_or(0)));
    }
    // Custody conflicts over this kiosk's units (issue 17 item 5): a full snapshot's list is every
    // open one, a delta's the ones that changed (new, or resolved).
    if (doc.custody_conflicts)
      KIOSK_TRY(storage::CustodyConflictStore(*m.db).Apply(*doc.custody_conflicts, doc.full));
    // Shared reward stock (issue 17): what this showroom may hand out of each reward the central
    // holds stock for; `used` counts our redemptions through the document's cover.
    if (doc.reward_allocations) {
      KIOSK_TRY(storage::ActivityStore(*m.db).ReplaceAllocations(*doc.reward_allocations));
      KIOSK_TRY(m.SyncState().SetRewardAllocationsCover(doc.covers_kiosk_seq.value_or(0)));
    }
    // Points the central credited for this kiosk's sell-outs (issue 17): kept for the partner's
    // screen; the balance in this document already holds them.
    for (const PointsCredit& c : doc.points_credits) KIOSK_TRY(storage::PointsStore(*m.db).Apply(c, now));
    KIOSK_TRY(m.SyncState().SetReferenceVersion(doc.version));
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(m.clock->Now().time_since_epoch()).count();
    KIOSK_TRY(m.SyncState().SetLastFreshAt(now_ms));
    if (doc.covers_kiosk_seq) {
      KIOSK_TRY(m.SyncState().SetCoversKioskSeq(*doc.covers_kiosk_seq));
      // The central accounts for events of ours beyond the head we had before this load: the
      // journal is behind (restored from an older backup). Kept with the data, in this transaction.
      KIOSK_TRY(m.NoteCentralHead(*doc.covers_kiosk_seq, seq - 1, "reference"));
    }
    if (also) KIOSK_TRY(also());
    return {};
  });
  if (!e.ok()) return e.error();
  report.partners = static_cast<int>(doc.partners.size());
  report.cards = static_cast<int>(doc.cards.size());
  report.badges = static_cast<int>(doc.badges.size());
  report.models = static_cast<int>(doc.models.size());
  report.devices = static_cast<int>(doc.devices.size());
  report.rewards = static_cast<int>(doc.rewards.size());
  report.balances = static_cast<int>(doc.balances.size());
  return report;
}

}  // namespace

}  // namespace kiosk

namespace kiosk {

Result<int64_t> Kiosk::PruneAcknowledged(int keep_days) {
  Impl& m = *m_impl;
  if (keep_days <= 0) return int64_t{0};
  KIOSK_TRY(m.RequireWritable());
  const int64_t acked = m.SyncState().AckedThrough();
  const int64_t already = m.SyncState().PrunedThrough();
  const std::string cutoff = FormatUtc(m.clock->Now() - std::chrono::days(keep_days));
  // A prefix: stop before the first event that is recent enough to keep.
  storage::JournalTable journal(*m.db);
  auto first_kept = journal.FirstSeqSince(cutoff);
  if (!first_kept.ok()) return first_kept.error();
  int64_t through = acked;
  if (*first_kept) through = std::min(through, **first_kept - 1);
  // Verification needs the event the central's anchor signs for (its row and HMAC), so the prefix
  // stops just before it, however old it is.
  if (auto anchor = AnchorFromJsonText(m.SyncState().Anchor()); anchor.ok())
    through = std::min(through, anchor->seq - 1);
  if (through <= already) return int64_t{0};
  auto head = journal.HashAt(through);
  if (!head.ok()) return head.error();
  if (!*head) return int64_t{0};
  const int64_t removed = through - already;
  const events::JournalPruned payload{.through_seq = through, .head_hash = **head, .events = removed, .keep_days = keep_days};
  auto e = m.Act(payload, "", [&](int64_t) -> kiosk::Status {
    KIOSK_TRY(journal.PruneThrough(through));
    KIOSK_TRY(m.SyncState().SetPrunedThrough(through));
    return m.SyncState().SetPrunedHeadHash(**head);
  });
  if (!e.ok()) return e.error();
  return removed;
}

}  // namespace kiosk
