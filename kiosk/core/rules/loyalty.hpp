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

// ---- Shared reward stock (issue 17) ----
// The central holds each reward's stock for the whole channel and gives each kiosk an allocation
// with its reference data: units that showroom may hand out offline. What is left of it at the
// kiosk is the allocation less what the central counted as used (both as of the last pull) less the
// units this kiosk redeemed since (not counted by the central yet).
struct AllocationFacts {
  int64_t allocated = 0;  // units this showroom may hand out, as of the last pull
  int64_t used = 0;       // of them, honoured by the central as of the last pull
  int64_t unsynced = 0;   // units this kiosk redeemed since that pull's cover
};
int64_t UnitsLeft(const AllocationFacts& a);  // never below 0

// reward.inactive, reward.out_of_stock, redeem.qty. Without an allocation (a kiosk the central
// never gave one, e.g. loaded from a file) the reward's own stock counts (variant "few" when some
// are left); with one, the units left at this showroom (variants "showroom", "showroom_few").
Status CheckRewardQty(int qty);
Status CheckReward(const Reward& reward, int qty, const std::optional<AllocationFacts>& allocation = std::nullopt);

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

// The reward's stock at the central when a redemption arrives (issue 17); read with the stock row
// locked on a shared database.
struct StockFacts {
  int64_t stock = 0;            // units the channel holds
  int64_t reserved = 0;         // of them, allocated to kiosks (every kiosk) and not used yet
  int64_t allocation_left = 0;  // this kiosk's allocation less what it used (part of `reserved`)
};
int64_t Unallocated(const StockFacts& s);  // stock - reserved, never below 0

struct RedemptionArrival {
  int64_t units = 1;                 // units redeemed (a payload without qty counts 1)
  int64_t points = 0;                // the whole redemption's cost
  std::optional<int64_t> available;  // the partner's balance; empty: no points account
  std::optional<StockFacts> stock;   // empty: the central does not hold stock for this reward
};
enum class Arrival {
  Honoured,       // every unit, every point
  PointsShort,    // every unit; the balance covered only part of the points (loyalty.partly_honoured)
  StockShort,     // fewer units than redeemed, points for those only (reward.stock_adjusted)
  OutOfStock,     // no unit left in the channel: nothing honoured (reward.out_of_stock)
  NoPoints,       // the balance was empty: nothing honoured (loyalty.insufficient_points)
  NoAccount       // no points account: nothing honoured (loyalty.no_account)
};
struct ArrivalDecision {
  Arrival outcome = Arrival::Honoured;
  std::string code;              // the verdict's code, "" when honoured in full
  int64_t units = 0;             // units honoured
  int64_t from_allocation = 0;   // of them, from this kiosk's allocation
  int64_t from_channel = 0;      // of them, from the unallocated stock
  int64_t points_due = 0;        // points the honoured units cost
  int64_t points = 0;            // points deducted from the balance (<= points_due)
};
// A redemption is honoured unit by unit from the kiosk's allocation, then from the stock no kiosk
// holds; the units honoured cost their share of the points, which the balance then honours as
// HonourRedemption does. A redemption that is not honoured at all takes no stock and no points.
ArrivalDecision HonourArrival(const RedemptionArrival& a);

}  // namespace kiosk::rules
