// Deals registered at this kiosk and the vendor's decisions on them (`kiosk deals`, the partner's
// screen): the central decides (kiosk/core/rules/deals.hpp); the reference data brings it here.
#include <algorithm>
#include <chrono>
#include <map>

#include "kiosk/core/rules/deals.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"

namespace kiosk {

namespace {

std::chrono::sys_seconds ToSeconds(int64_t ms) {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
}

}  // namespace

Result<std::vector<DealView>> Kiosk::Deals(std::string_view partner, int limit) {
  Impl& m = *m_impl;
  std::string partner_id;
  std::map<std::string, std::string> names;  // partner id -> name
  if (!partner.empty()) {
    auto p = m.LookupPartner(partner);
    if (!p.ok()) return p.error();
    partner_id = p->partner.id;
    names[partner_id] = p->partner.name;
  }
  auto rows = storage::ActivityStore(*m.db).ListDeals(partner_id, limit);
  if (!rows.ok()) return rows.error();
  const auto now = std::chrono::floor<std::chrono::seconds>(m.clock->Now());
  std::vector<DealView> out;
  out.reserve(rows->size());
  for (storage::DealRow& r : *rows) {
    DealView v;
    v.seq = r.seq;
    v.partner_id = r.partner_id;
    if (!names.count(r.partner_id)) {
      auto p = m.LookupPartner(r.partner_id);
      names[r.partner_id] = p.ok() ? p->partner.name : r.partner_id;
    }
    v.partner_name = names[r.partner_id];
    v.customer = std::move(r.customer);
    v.product = std::move(r.product);
    v.value_eur = r.value_eur;
    v.close_date = std::move(r.close_date);
    v.registered_at = std::move(r.registered_at);
    v.status = std::move(r.status);
    v.decided_at = std::move(r.decided_at);
    v.message = std::move(r.message);
    v.reason = std::move(r.reason);
    if (auto ms = ParseUtcMs(v.registered_at)) {
      const auto registered = ToSeconds(*ms);
      const auto due = rules::DealDecisionDue(registered);
      v.due = FormatUtcSeconds(due);
      v.due_date = FormatDate(due);
      const auto decided = ParseUtcMs(v.decided_at);
      const auto until = v.status != "pending" && decided ? ToSeconds(*decided) : now;
      v.age = rules::FormatDealAge(until - registered);
      v.age_minutes = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::minutes>(until - registered).count());
      v.overdue = v.status == "pending" && now > due;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace kiosk
