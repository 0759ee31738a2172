#pragma once
// The partner program's rules, demo orders: a tier may have so many open demo units of a model on
// order. The kiosk checks its own orders before logging one; the central checks every kiosk's
// orders together when the event arrives (central/rules.cpp), with the same function.
#include <cstdint>
#include <optional>
#include <string_view>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

inline constexpr int kMaxOrderQty = 20;  // units in one demo order

// How many open demo units of `model` a partner of `tier` may have on order.
int DemoQuota(const DemoModel& model, Tier tier);

// model.inactive: the model left the demo catalogue.
Status CheckOrderableModel(const DemoModel& model);
// order.qty: between 1 and kMaxOrderQty.
Status CheckOrderQty(int qty);
// order.quota (variant "none" when the tier's quota is 0, "full" when nothing is left): `open_units` already on order for this
// partner and model, plus `qty`, must stay within the tier's quota.
Status CheckDemoQuota(const Partner& partner, const DemoModel& model, int qty, int64_t open_units);

// ---- An order's lifecycle at the central -----------------------------------------------------
// ordered -> confirmed -> shipped -> delivered; cancelled from any open state. `rejected` is the
// central's verdict on an order that arrived over the quota (or for a suspended partner): it was
// never open, and nothing moves it. Delivered, cancelled and rejected are final.
enum class OrderState { Ordered, Confirmed, Shipped, Delivered, Cancelled, Rejected };

std::string_view ToString(OrderState s);
std::optional<OrderState> ParseOrderState(std::string_view s);
// Open: counted against the tier's quota (ordered, confirmed, shipped).
bool IsOpen(OrderState s);

// order.transition (Refused; variant "final" when `from` is final, "same" when from == to):
// whether an order in `from` may move to `to`.
Status CheckOrderTransition(OrderState from, OrderState to);

}  // namespace kiosk::rules
