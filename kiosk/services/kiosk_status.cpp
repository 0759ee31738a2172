// The kiosk's status (database health, journal head, counts, freshness, sync backlog), its
// enrolment and its memory limits: `kiosk status`, the admin screen, the status bar.
#include <algorithm>

#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"
#include "storage/reference_store.hpp"

namespace kiosk {

StatusView Kiosk::Status(StatusDetail detail) {
  Impl& m = *m_impl;
  StatusView v;
  v.kiosk_id = m.kiosk_id;
  v.read_only = m.db->ReadOnly();
  v.database_health = m.db->Health();
  v.database_report = m.db->HealthReport();
  v.barcode_rules_error = m.rules_error;
  if (auto head = m.journal->Head(); head.ok()) {
    v.last_seq = head->seq;
    v.last_hash = head->hash;
  }
  if (detail == StatusDetail::kWithCounts) {
    v.counted = true;
    if (auto n = m.journal->Count(); n.ok()) v.journal_events = *n;
    const storage::ReferenceCounts counts = storage::ReferenceStore(*m.db).Count();
    v.partners = counts.partners;
    v.cards = counts.cards;
    v.badges = counts.badges;
    v.models = counts.models;
    v.devices = counts.devices;
    v.rewards = counts.rewards;
    storage::ActivityStore activity(*m.db);
    v.devices_out = ValueOr(activity.CountCheckedOut(), 0);
    v.devices_overdue = ValueOr(activity.CountOverdue(m.Today()), 0);
  }
  v.journal_fork = JournalForkFromJsonText(m.SyncState().JournalFork());
  v.reference_version = m.SyncState().ReferenceVersion();
  v.last_sync = m.SyncState().LastSync();
  v.last_sync_error = m.SyncState().LastError();
  if (!v.last_sync_error.empty()) {
    v.last_sync_error_key = m.SyncState().LastErrorKey();
    auto args = nlohmann::json::parse(m.SyncState().LastErrorArgs(), nullptr, false);
    if (args.is_object())
      for (const auto& [name, value] : args.items())
        if (value.is_string()) v.last_sync_error_args.emplace_back(name, value.get<std::string>());
  }
  if (auto h = m.HoursSinceFresh()) {
    v.hours_since_sync = *h;
    v.stale = *h > m.LoadSettings().stale_hours;
  } else {
    v.stale = true;
  }
  const int64_t acked = m.SyncState().AckedThrough();
  v.pending_events = std::max<int64_t>(0, v.last_seq - acked);
  if (v.pending_events > 0) {
    auto t = storage::JournalTable(*m.db).WallTimeAfter(acked);
    if (t.ok() && *t) v.oldest_pending = **t;
  }
  return v;
}

EnrolmentView Kiosk::Enrolment() {
  // Enrolled = the central's public key is stored (SyncEngine::Enrolled, `kiosk enroll`).
  EnrolmentView v;
  v.enrolled = !m_impl->SyncState().CentralPublicKey().empty();
  v.central_url = m_impl->SyncState().CentralUrl();
  return v;
}

kiosk::Status Kiosk::TuneMemory(int64_t mmap_bytes, int64_t cache_kib) {
  return m_impl->db->SetMemoryLimits(mmap_bytes, cache_kib);
}

}  // namespace kiosk
