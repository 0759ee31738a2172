#pragma once
// The partner program's rules, loyalty points: two halves of one policy, side by side.
// - At the kiosk, offline: a redemption is checked against the last synced balance less what this
//   kiosk's unsynced redemptions hold, within per-partner and per-kiosk caps between syncs, and
//   only while the kiosk's data is fresh (the stale guard).
// - At the central, when the redemption arrives: honoured in full, adjusted to what the balance
//   still holds (another kiosk spent it first), or rejected.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

inline constexpr int kMaxRedeemQty = 10;  // units of one reward at a time

// 24500 -> "24,500": a person reads points at a glance (the kiosk's texts and the central's alike;
// GroupThousands in domain.hpp, with ",").
std::string Points(int64_t n);

// ---- Kiosk, offline ----
// data.stale (variant "never"): orders and redemptions need data no older than stale_hours.
// `hours_since_fresh` is empty when the kiosk never had data from the central.
Status CheckFresh(std::optional<int64_t> hours_since_fresh, int stale_hours, std::string_view action);

// reward.inactive, reward.out_of_stock (variant "few"), redeem.qty.
Status CheckRewardQty(int qty);
Status CheckReward(const Reward& reward, int qty);

// What this kiosk knows about a partner's points between syncs.
struct OfflineFacts {
  int64_t synced_available = 0;  // points, the balance as of the last reference version
  int64_t held_partner = 0;      // points held by this partner's unsynced redemptions
  int64_t count_partner = 0;     // this partner's unsynced redemptions
  int64_t held_kiosk = 0;        // points held by all of this kiosk's unsynced redemptions
};
// What a redemption would do: checked by Redeem and by the rewards list alike.
struct RedeemPlan {
  int64_t cost = 0;
  int64_t available = 0;     // before this redemption
  int64_t held_partner = 0;  // unsynced points held for this partner
  std::vector<Warning> warnings;
};
// points.insufficient, offline.partner_points, offline.partner_count, offline.kiosk_points;
// a redeem.soft_limit warning above the soft caps.
Result<RedeemPlan> PlanRedemption(const Partner& partner, const Reward& reward, int qty, const OfflineFacts& facts,
                                  const Settings& settings);

// ---- Central, on arrival ----
enum class Honour { Full, Partly, Nothing, NoAccount };
struct HonourDecision {
  Honour honour = Honour::Full;
  int64_t honoured = 0;  // points deducted from the balance
};
// `available` is empty when the central has no points account for the partner.
HonourDecision HonourRedemption(int64_t requested, std::optional<int64_t> available);

}  // namespace kiosk::rules
