// A partner as the touchscreen and `kiosk partner` show them: balance less what is held by
// unsynced redemptions, open demo orders against the quota, what changed since the page last showed
// the partner (kiosk_outcomes.cpp); and
// the reward catalogue with what this partner may not redeem, and why.
#include <algorithm>

#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"
#include "storage/points_store.hpp"
#include "storage/reference_store.hpp"

namespace kiosk {

using nlohmann::json;

namespace {

DemoOrderLine OrderLineOf(const storage::DemoOrderListRow& o) {
  return DemoOrderLine{o.seq,    o.partner_id, o.gtin,     o.model.empty() ? o.gtin : o.model,
                       o.qty,    o.status,     o.created,  o.state_at,
                       o.note,   o.serial,     o.asset_tag};
}

}  // namespace

Result<std::vector<DemoOrderLine>> Kiosk::Orders(std::string_view partner_card_or_id, int limit) {
  Impl& m = *m_impl;
  std::string partner_id;
  if (!partner_card_or_id.empty()) {
    auto p = m.LookupPartner(partner_card_or_id);
    if (!p.ok()) return p.error();
    partner_id = p->partner.id;
  }
  auto rows = storage::ActivityStore(*m.db).ListOrders(partner_id, limit);
  if (!rows.ok()) return rows.error();
  std::vector<DemoOrderLine> out;
  for (const storage::DemoOrderListRow& o : *rows) out.push_back(OrderLineOf(o));
  return out;
}

Result<PartnerView> Kiosk::GetPartner(std::string_view card_or_id) {
  Impl& m = *m_impl;
  auto p = m.LookupPartner(card_or_id);
  if (!p.ok()) return p.error();
  PartnerView v;
  v.partner = p->partner;
  v.card_number = p->card_number;
  v.card_status = p->card_status;
  auto bal = m.LookupBalance(p->partner.id);
  if (!bal.ok()) return bal.error();
  v.balance = *bal;
  const int64_t covers = m.CoversSeq();
  storage::ActivityStore activity(*m.db);
  auto held = activity.HeldFor(p->partner.id, covers);
  if (!held.ok()) return held.error();
  v.held_points = held->points;
  v.unsynced_redemptions = static_cast<int>(held->redemptions);
  v.available_points = std::max<int64_t>(0, v.balance.available - v.held_points);
  // Points from sell-outs: credited (the central's word, already in the balance), and pending:
  // this kiosk's estimate for the reports the balance does not cover yet (unsynced, or synced
  // after the reference data this kiosk holds), by the same rule the central credits with.
  storage::PointsStore points(*m.db);
  auto credited = points.CreditedTotal(p->partner.id);
  if (!credited.ok()) return credited.error();
  v.credited_points = *credited;
  auto credits = points.ForPartner(p->partner.id, kPartnerPageCredits);
  if (!credits.ok()) return credits.error();
  for (const storage::PointsCreditRow& c : *credits)
    v.credits.push_back({c.credit.seq, c.credit.gtin, c.credit.model.empty() ? c.credit.gtin : c.credit.model,
                         c.credit.units, c.credit.points, c.credit.credited_at});
  auto sold = points.SoldAfter(p->partner.id, covers);
  if (!sold.ok()) return sold.error();
  std::vector<std::pair<std::string, int64_t>> units;
  for (const storage::SoldUnits& u : *sold) units.emplace_back(u.gtin, u.units);
  auto estimate = m.EstimateEarning(p->partner, units);
  if (!estimate.ok()) return estimate.error();
  v.earn_pending = estimate->points;
  v.pending_points = v.balance.pending + v.earn_pending;
  v.open_demo_orders = static_cast<int>(
      ValueOr<int64_t>(activity.OpenOrderUnits(p->partner.id, m.SyncState().ChannelOrdersCover()), 0));
  if (auto orders = activity.ListOrders(p->partner.id, kPartnerPageOrders); orders.ok())
    for (const storage::DemoOrderListRow& o : *orders) v.orders.push_back(OrderLineOf(o));
  v.open_order_quota = ValueOr(storage::ReferenceStore(*m.db).LargestQuota(p->partner.tier), 0);
  // What changed since the partner's page last showed it (kiosk_outcomes.cpp); the face that
  // shows it marks it shown.
  auto changes = PartnerChanges(p->partner.id);
  if (!changes.ok()) return changes.error();
  v.changes = std::move(changes).value();
  return v;
}

Result<rules::SelloutEarning> Kiosk::Impl::EstimateEarning(
    const Partner& partner, const std::vector<std::pair<std::string, int64_t>>& units_per_gtin) {
  storage::ReferenceStore reference(*db);
  std::vector<rules::EarnUnit> units;
  for (const auto& [gtin, n] : units_per_gtin) {
    auto model = reference.FindModel(gtin);
    if (!model.ok()) return model.error();
    const std::optional<int64_t> earn = *model ? std::optional<int64_t>((*model)->earn_points) : std::nullopt;
    for (int64_t i = 0; i < n; ++i) units.push_back({gtin, false, false, earn});
  }
  return rules::EarnForSellout({!partner.id.empty(), partner.status == PartnerStatus::Suspended}, units);
}

std::vector<RewardView> Kiosk::Rewards(std::string_view partner_card) {
  Impl& m = *m_impl;
  const std::vector<Reward> rewards = ValueOr(storage::ReferenceStore(*m.db).ActiveRewards(), {});
  std::optional<PartnerCtx> partner;
  std::optional<Error> partner_problem;
  if (!partner_card.empty()) {
    auto p = m.RequirePartner(partner_card, "redeem rewards");
    if (p.ok()) partner = *p;
    else partner_problem = p.error();
  }
  std::vector<RewardView> out;
  for (const Reward& r : rewards) {
    RewardView v{r, true, ""};
    auto allocation = m.AllocationOf(r.id);
    if (allocation.ok() && *allocation) v.units_left = rules::UnitsLeft(**allocation);
    if (partner_problem) {
      v.affordable = false;
      v.why_not_reason = *partner_problem;
    } else if (partner) {
      auto plan = m.PlanRedemption(*partner, r, 1);
      if (!plan.ok()) {
        v.affordable = false;
        v.why_not_reason = plan.error();
      }
    } else if (auto stock = rules::CheckReward(r, 1, allocation.ok() ? *allocation : std::nullopt); !stock.ok()) {
      v.affordable = false;
      v.why_not_reason = stock.error();
    }
    v.why_not = v.why_not_reason.message;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace kiosk
