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

Status CheckReward(const Reward& reward, int qty) {
  if (!reward.active)
    return MakeError(ErrorKind::Refused, "reward.inactive", reward.name + " is no longer offered.",
                     {{"reward", reward.name}});
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

}  // namespace kiosk::rules
