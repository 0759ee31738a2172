// A journal behind the central's: what the kiosk learnt of it, the refusal of actions meanwhile,
// and the recovery (kiosk/core/recovery.hpp; README: Recovering). The central's events are
// fetched by the sync engine (GET /v1/journal); everything here is one transaction.
#include <algorithm>
#include <limits>

#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"

namespace kiosk {

namespace {

// The local effect of one of the central's events taken back: what the action's own transaction
// did when it was logged here before the restore (kiosk_actions.cpp, kiosk_stocktake.cpp). Types
// that changed no local state (reference data, PIN failures) have none.
kiosk::Status ApplyAdopted(storage::ActivityStore& activity, const Event& e) {
  auto link_all = [&](const auto& tags) -> kiosk::Status {
    for (const std::string& tag : tags) KIOSK_TRY(activity.LinkDeviceEvent(tag, e.seq));
    return {};
  };
  if (e.type == events::DeviceCheckedOut::kType) {
    auto p = events::DeviceCheckedOut::FromJson(e.payload);
    if (!p.ok()) return {};
    for (const auto& d : p->devices) {
      KIOSK_TRY(activity.MarkCheckedOut(d.asset_tag, p->rep, p->due_date, p->purpose));
      KIOSK_TRY(activity.LinkDeviceEvent(d.asset_tag, e.seq));
    }
  } else if (e.type == events::DeviceCheckedIn::kType) {
    auto p = events::DeviceCheckedIn::FromJson(e.payload);
    if (!p.ok()) return {};
    const DeviceState after = p->state_after == "repair" ? DeviceState::Repair : DeviceState::Available;
    for (const auto& d : p->devices) {
      KIOSK_TRY(activity.MarkReturned(d.asset_tag, after));
      KIOSK_TRY(activity.LinkDeviceEvent(d.asset_tag, e.seq));
    }
  } else if (e.type == events::DeviceAudited::kType) {
    auto p = events::DeviceAudited::FromJson(e.payload);
    if (!p.ok()) return {};
    for (const auto& d : p->devices) {
      KIOSK_TRY(activity.MarkAudited(d.asset_tag, e.wall_time));
      KIOSK_TRY(activity.LinkDeviceEvent(d.asset_tag, e.seq));
    }
  } else if (e.type == events::StocktakeFinished::kType) {
    auto p = events::StocktakeFinished::FromJson(e.payload);
    if (!p.ok()) return {};
    std::vector<std::string> seen = p->found;
    for (const auto* list : {&p->misplaced, &p->unexpected})
      for (const auto& u : *list) seen.push_back(u.asset_tag);
    for (const std::string& tag : seen) KIOSK_TRY(activity.MarkAudited(tag, e.wall_time));
    KIOSK_TRY(link_all(seen));
    KIOSK_TRY(link_all(p->missing));
  } else if (e.type == events::DemoOrdered::kType) {
    auto p = events::DemoOrdered::FromJson(e.payload);
    if (!p.ok()) return {};
    KIOSK_TRY(activity.AddDemoOrder({.seq = e.seq,
                                     .partner_id = p->partner_id,
                                     .gtin = p->gtin,
                                     .qty = static_cast<int>(p->qty),
                                     .created = e.wall_time}));
  } else if (e.type == events::LoyaltyRedeemed::kType) {
    auto p = events::LoyaltyRedeemed::FromJson(e.payload);
    if (!p.ok()) return {};
    KIOSK_TRY(activity.AddRedemption({.seq = e.seq,
                                      .partner_id = p->partner_id,
                                      .reward_id = p->reward_id,
                                      .qty = static_cast<int>(std::max<int64_t>(1, p->qty)),
                                      .points = p->points,
                                      .created = e.wall_time}));
  } else if (e.type == events::SelloutReported::kType) {
    auto p = events::SelloutReported::FromJson(e.payload);
    if (!p.ok()) return {};
    for (const auto& u : p->units)
      KIOSK_TRY(activity.AddSelloutUnlessReported(
          {.gtin = u.gtin, .serial = u.serial, .partner_id = p->partner_id, .seq = e.seq}));
  } else if (e.type == events::DealRegistered::kType) {
    auto p = events::DealRegistered::FromJson(e.payload);
    if (!p.ok()) return {};
    KIOSK_TRY(activity.AddDeal({.seq = e.seq,
                                .partner_id = p->partner_id,
                                .customer = p->customer,
                                .product = p->product,
                                .value_eur = static_cast<double>(p->value_eur_cents) / 100.0,
                                .close_date = p->close_date}));
  }
  return {};
}

}  // namespace

bool Kiosk::Impl::LogsWhileForked(std::string_view type) {
  return type == events::ReferenceLoaded::kType || type == events::AdminPinFailed::kType ||
         type == events::AdminLockedOut::kType || type == events::JournalPruned::kType;
}

kiosk::Status Kiosk::Impl::RequireJournalInStep() {
  if (auto fork = JournalForkFromJsonText(SyncState().JournalFork())) return JournalForkRefusal(*fork);
  return {};
}

std::optional<JournalFork> Kiosk::KnownJournalFork() {
  return JournalForkFromJsonText(m_impl->SyncState().JournalFork());
}

kiosk::Status Kiosk::Impl::NoteFork(const std::string& kind, int64_t central_seq, int64_t local_head,
                                   const std::string& via) {
  if (db->ReadOnly()) return {};
  JournalFork f;
  if (auto known = JournalForkFromJsonText(SyncState().JournalFork())) {
    f = *known;  // first seen then; what the central says now is updated
    if (kind == "fork") f.kind = kind;
  } else {
    f.kind = kind;
    f.detected_at = FormatUtc(clock->Now());
  }
  f.central_seq = std::max(f.central_seq, central_seq);
  f.local_seq = local_head;
  f.via = via;
  return SyncState().SetJournalFork(JournalForkToJsonText(f));
}

kiosk::Status Kiosk::Impl::NoteCentralHead(int64_t central_seq, int64_t local_head, const std::string& via) {
  if (central_seq <= local_head) return {};
  return NoteFork("behind", central_seq, local_head, via);
}

kiosk::Status Kiosk::NoteJournalFork(int64_t central_seq, const std::string& via) {
  auto head = m_impl->journal->Head();
  if (!head.ok()) return head.error();
  return m_impl->NoteFork("fork", central_seq, head->seq, via);
}

kiosk::Status Kiosk::NoteCentralHead(int64_t central_seq, const std::string& via) {
  auto head = m_impl->journal->Head();
  if (!head.ok()) return head.error();
  return m_impl->NoteCentralHead(central_seq, head->seq, via);
}

Result<Kiosk::RecoveryReport> Kiosk::Recover(int64_t after_seq, const std::vector<Event>& central_events,
                                             const Anchor& anchor) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  storage::Transaction tx(*m.db);
  KIOSK_TRY(tx.Begin());
  storage::SyncState state = m.SyncState();
  // This kiosk's hash at after_seq, which the central's first event must follow on from.
  std::string prev_hash = GenesisHash(m.kiosk_id);
  if (after_seq > 0) {
    auto at = storage::JournalTable(*m.db).HashAt(after_seq);
    if (!at.ok()) return at.error();
    if (*at) prev_hash = **at;
    else if (state.PrunedThrough() == after_seq) prev_hash = state.PrunedHeadHash();
    else
      return MakeError(ErrorKind::Integrity, "recover.no_base",
                       "This kiosk's journal has no event " + std::to_string(after_seq) +
                           " to take the central's events back from; nothing was changed.",
                       {{"seq", std::to_string(after_seq)}});
  }
  auto local = m.journal->Read(after_seq + 1, std::numeric_limits<int64_t>::max());
  if (!local.ok()) return local.error();
  auto plan = PlanRecovery(m.key, m.kiosk_id, after_seq, prev_hash, central_events, anchor,
                           state.CentralPublicKey(), *local);
  if (!plan.ok()) {
    // The central's signed answer shows nothing missing here: a fork recorded by a round that was
    // on its way while the journal was recovered is over.
    if (plan.error().code == "recover.not_needed" && !state.JournalFork().empty()) {
      KIOSK_TRY(state.SetJournalFork(""));
      KIOSK_TRY(tx.Commit());
    }
    return plan.error();
  }

  RecoveryReport report;
  report.fork_seq = plan->fork_seq;
  report.adopted = static_cast<int64_t>(plan->adopt.size());
  report.central_seq = anchor.seq;
  storage::ActivityStore activity(*m.db);
  // The divergent events' rows move to the seqs they are logged again under, the last one first
  // (a new seq is always beyond the old one, and may be another old one's).
  const int64_t shift = anchor.seq + 1 - plan->fork_seq;
  for (auto it = plan->relog.rbegin(); it != plan->relog.rend(); ++it)
    KIOSK_TRY(activity.MoveSeq(it->seq, it->seq + shift));
  // The central never gave verdicts on the divergent seqs; its verdicts on its own events there
  // come with the next pull.
  storage::SyncStore sync(*m.db);
  KIOSK_TRY(sync.ForgetVerdicts(plan->fork_seq, std::numeric_limits<int64_t>::max()));
  if (auto through = state.VerdictsThrough(); through && *through >= plan->fork_seq)
    KIOSK_TRY(state.SetVerdictsThrough(plan->fork_seq - 1));
  KIOSK_TRY(m.journal->ReplaceTail(plan->fork_seq, plan->adopt, anchor.seq));
  for (const Event& e : plan->adopt) KIOSK_TRY(ApplyAdopted(activity, e));
  for (const Event& old : plan->relog) {
    auto payload = PayloadWithReplaces(old.payload, {old.seq, old.hash, old.event_id, old.wall_time});
    if (!payload.ok()) return payload.error();
    auto e = m.journal->Append(old.type, *payload, old.actor);
    if (!e.ok()) return e.error();
    if (e->seq != old.seq + shift)
      return MakeError(ErrorKind::Integrity, "recover.seq", "Recovery logged seq " + std::to_string(e->seq) +
                                                                " where it expected " + std::to_string(old.seq + shift) +
                                                                "; nothing was changed.");
    report.relogged.emplace_back(old.seq, e->seq);
  }
  // Reference data pulled between the restore and now may have carried the central's word on
  // actions this kiosk did not hold then (a deal decided, an order moved: no row to apply it to),
  // and a delta from its version on would not carry it again: the next pull is a full snapshot,
  // which does (every deal decision, order state and credit of this kiosk).
  KIOSK_TRY(state.SetReferenceVersion(0));
  KIOSK_TRY(state.SetReferenceEtag(""));
  KIOSK_TRY(state.SetAnchor(AnchorToJsonText(anchor)));
  KIOSK_TRY(state.SetJournalFork(""));
  KIOSK_TRY(state.SetLastError(""));
  KIOSK_TRY(tx.Commit());
  return report;
}

}  // namespace kiosk
