// Demo units as the device screen and `kiosk device` show them: custody, kit, overdue, history;
// the overdue list; the catalogue of active models.
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"
#include "storage/outcome_store.hpp"
#include "storage/reference_store.hpp"

namespace kiosk {

namespace {
// Events a unit's history shows (the device screen, `kiosk device`).
constexpr int kDeviceHistoryLength = 20;
}  // namespace

Result<DeviceView> Kiosk::GetDevice(std::string_view code) {
  Impl& m = *m_impl;
  auto d = m.LookupDevice(code);
  if (!d.ok()) return d.error();
  DeviceView v;
  v.device = *d;
  if (auto model = m.LookupModel(d->gtin); model.ok()) v.model = *model;
  else v.model.gtin = d->gtin;
  if (!d->custodian.empty())
    if (auto b = m.LookupBadge(d->custodian); b.ok()) v.custodian_name = b->name;
  v.overdue = d->state == DeviceState::CheckedOut && !d->due_date.empty() && d->due_date < m.Today();
  for (const Device& k : m.KitMembers(d->kit)) v.kit_members.push_back(k.asset_tag);
  auto history = storage::ActivityStore(*m.db).DeviceHistory(d->asset_tag, kDeviceHistoryLength);
  if (!history.ok()) return history.error();
  for (storage::DeviceHistoryRow& row : *history) {
    DeviceHistoryEntry h{row.seq, std::move(row.type), std::move(row.wall_time), std::move(row.actor), ""};
    // A payload that does not read (written by hand, or damaged) leaves the line without a summary.
    if (h.type == events::DeviceCheckedOut::kType) {
      if (auto p = events::DeviceCheckedOut::FromJson(row.payload); p.ok()) {
        h.summary = "Checked out to " + p->rep + ", due " + p->due_date;
        h.summary_key = "history.checked_out";
        h.summary_args = {{"rep", p->rep}, {"date", p->due_date}};
      }
    } else if (h.type == events::DeviceCheckedIn::kType) {
      if (auto p = events::DeviceCheckedIn::FromJson(row.payload); p.ok()) {
        h.summary = "Checked in, condition: " + p->condition;
        h.summary_key = "history.checked_in";
        h.summary_args = {{"condition", p->condition}};
      }
    } else if (h.type == events::DeviceAudited::kType) {
      h.summary = "Seen in stocktake";
      h.summary_key = "history.audited";
    }
    v.history.push_back(std::move(h));
  }
  // The central's custody conflicts over the unit (issue 17 item 5), while it is out here: once
  // it is checked in here the conflict is over for this kiosk (the central resolves it for both
  // with that check-in).
  if (d->state == DeviceState::CheckedOut) {
    auto conflicts = storage::CustodyConflictStore(*m.db).OpenFor(d->asset_tag);
    if (!conflicts.ok()) return conflicts.error();
    for (const CustodyConflict& c : *conflicts) v.conflicts.push_back(m.ConflictView(c));
  }
  return v;
}

std::vector<DeviceView> Kiosk::Overdue() {
  Impl& m = *m_impl;
  auto tags = storage::ActivityStore(*m.db).OverdueTags(m.Today());
  std::vector<DeviceView> out;
  if (!tags.ok()) return out;
  for (const auto& t : *tags)
    if (auto v = GetDevice(t); v.ok()) out.push_back(std::move(*v));
  return out;
}

std::vector<DemoModel> Kiosk::Models() {
  return ValueOr(storage::ReferenceStore(*m_impl->db).ActiveModels(), {});
}

}  // namespace kiosk
