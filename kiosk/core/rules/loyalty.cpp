#include "kiosk/core/rules/loyalty.hpp"

#include <algorithm>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/rules/people.hpp"

namespace kiosk::rules {

std::string Points(int64_t n) { return GroupThousands(n, ","); }

Status CheckFresh(std::optional<int64_t> hours, int limit, std::string_view action_view) {
  const std::string action(action_view);
  if (!hours)
    return MakeError(ErrorKind::Refused, "data.stale",
                     "This kiosk has never received data from the central, so " + action +
                         " can't be checked. Ask an admin to sync the kiosk.",
                     {{"action", ActionKey(action)}}, "never");
  if (*hours > limit)
    return MakeError(ErrorKind::Refused, "data.stale",
                     "This kiosk last synced " + std::to_string(*hours) + " hours ago (the limit is " +
                         std::to_string(limit) + " hours), so " + action +
                         " are paused until it has fresh data. Ask an admin to sync (network or USB stick).",
                     {{"hours", std::to_string(*hours)}, {"limit", std::to_string(limit)}, {"action", ActionKey(action)}});
  return {};
}

Status CheckRewardQty(int qty) {
  if (qty >= 1 && qty <= kMaxRedeemQty) return {};
  return MakeError(ErrorKind::Usage, "redeem.qty",
                   "Redeem between 1 and " + std::to_string(kMaxRedeemQty) + " at a time.");
}

int64_t UnitsLeft(const AllocationFacts& a) { return std::max<int64_t>(0, a.allocated - a.used - a.unsynced); }

Status CheckReward(const Reward& reward, int qty, const std::optional<AllocationFacts>& allocation) {
  if (!reward.active)
    return MakeError(ErrorKind::Refused, "reward.inactive", reward.name + " is no longer offered.",
                     {{"reward", reward.name}});
  if (allocation) {
    const int64_t left = UnitsLeft(*allocation);
    if (left >= qty) return {};
    return MakeError(ErrorKind::Refused, "reward.out_of_stock",
                     left <= 0 ? "No " + reward.name + " is left at this showroom: the central's allocation for it "
                                 "is used up. Ask an admin to sync, or the channel manager for more."
                               : "Only " + std::to_string(left) + " of " + reward.name +
                                     " left at this showroom (the central's allocation).",
                     {{"reward", reward.name}, {"stock", std::to_string(left)}},
                     left <= 0 ? "showroom" : "showroom_few");
  }
  if (reward.stock < qty)
    return MakeError(ErrorKind::Refused, "reward.out_of_stock",
                     reward.stock <= 0 ? reward.name + " is out of stock at this kiosk."
                                       : "Only " + std::to_string(reward.stock) + " of " + reward.name + " left.",
                     {{"reward", reward.name}, {"stock", std::to_string(reward.stock)}}, reward.stock <= 0 ? "" : "few");
  return {};
}

Result<RedeemPlan> PlanRedemption(const Partner& partner, const Reward& reward, int qty, const OfflineFacts& f,
                                  const Settings& s) {
  RedeemPlan plan;
  plan.cost = reward.points * qty;
  plan.held_partner = f.held_partner;
  plan.available = f.synced_available - plan.held_partner;
  if (plan.cost > plan.available)
    return MakeError(ErrorKind::Refused, "points.insufficient",
                     partner.name + " has " + Points(std::max<int64_t>(0, plan.available)) + " points available" +
                         (plan.held_partner > 0 ? " (" + Points(f.synced_available) + " synced, " +
                                                      Points(plan.held_partner) + " held by redemptions not yet synced)"
                                                : "") +
                         "; " + reward.name + " costs " + Points(plan.cost) + ".",
                     {{"partner", partner.name},
                      {"available", Points(std::max<int64_t>(0, plan.available))},
                      {"reward", reward.name},
                      {"cost", Points(plan.cost)}});
  if (plan.held_partner + plan.cost > s.offline_hard_points)
    return MakeError(ErrorKind::Refused, "offline.partner_points",
                     "Offline limit reached: " + partner.name + " may redeem up to " + Points(s.offline_hard_points) +
                         " points between syncs (" + Points(plan.held_partner) +
                         " already). Ask an admin to sync, then try again.",
                     {{"partner", partner.name},
                      {"limit", Points(s.offline_hard_points)},
                      {"held", Points(plan.held_partner)}});
  if (f.count_partner + 1 > s.offline_hard_count)
    return MakeError(ErrorKind::Refused, "offline.partner_count",
                     "Offline limit reached: " + partner.name + " may make " + std::to_string(s.offline_hard_count) +
                         " redemptions between syncs. Ask an admin to sync, then try again.",
                     {{"partner", partner.name}, {"limit", std::to_string(s.offline_hard_count)}});
  if (f.held_kiosk + plan.cost > s.offline_kiosk_points_cap)
    return MakeError(ErrorKind::Refused, "offline.kiosk_points",
                     "This kiosk has reached its offline limit of " + Points(s.offline_kiosk_points_cap) +
                         " points in redemptions not yet synced. Ask an admin to sync.",
                     {{"limit", Points(s.offline_kiosk_points_cap)}});
  if (plan.held_partner + plan.cost > s.offline_soft_points || f.count_partner + 1 > s.offline_soft_count)
    plan.warnings.push_back({"redeem.soft_limit", "Many points redeemed since the last sync: syncing soon is recommended.", {}});
  return plan;
}

HonourDecision HonourRedemption(int64_t requested, std::optional<int64_t> available) {
  if (!available) return {Honour::NoAccount, 0};
  if (requested <= *available) return {Honour::Full, requested};
  if (*available > 0) return {Honour::Partly, *available};
  return {Honour::Nothing, 0};
}

int64_t Unallocated(const StockFacts& s) { return std::max<int64_t>(0, s.stock - s.reserved); }

ArrivalDecision HonourArrival(const RedemptionArrival& a) {
  ArrivalDecision d;
  const int64_t units = std::max<int64_t>(1, a.units);
  if (!a.available) {
    d.outcome = Arrival::NoAccount;
    d.code = "loyalty.no_account";
    return d;
  }
  int64_t honoured_units = units;
  if (a.stock) {
    d.from_allocation = std::clamp<int64_t>(a.stock->allocation_left, 0, units);
    // The kiosk's own allocation is part of the stock; what is beyond it comes from what no kiosk holds.
    d.from_channel = std::min(units - d.from_allocation, Unallocated(*a.stock));
    d.from_allocation = std::min(d.from_allocation, std::max<int64_t>(0, a.stock->stock));
    honoured_units = d.from_allocation + d.from_channel;
    if (honoured_units <= 0) {
      d = ArrivalDecision{};
      d.outcome = Arrival::OutOfStock;
      d.code = "reward.out_of_stock";
      return d;
    }
  }
  // Points for the units honoured only (whole points, rounded down in the partner's favour).
  d.points_due = honoured_units == units ? a.points : a.points / units * honoured_units +
                                                          (a.points % units) * honoured_units / units;
  const HonourDecision points = HonourRedemption(d.points_due, a.available);
  if (points.honour == Honour::Nothing && d.points_due > 0) {
    const int64_t due = d.points_due;
    d = ArrivalDecision{};
    d.outcome = Arrival::NoPoints;
    d.code = "loyalty.insufficient_points";
    d.points_due = due;
    return d;
  }
  d.units = honoured_units;
  d.points = points.honoured;
  if (honoured_units < units) {
    d.outcome = Arrival::StockShort;
    d.code = "reward.stock_adjusted";
  } else if (points.honour == Honour::Partly) {
    d.outcome = Arrival::PointsShort;
    d.code = "loyalty.partly_honoured";
  }
  return d;
}

}  // namespace kiosk::rules
