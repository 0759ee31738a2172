#include "kiosk/core/rules/orders.hpp"

#include <string>

namespace kiosk::rules {

int DemoQuota(const DemoModel& model, Tier tier) { return model.quota[static_cast<int>(tier)]; }

Status CheckOrderableModel(const DemoModel& model) {
  if (model.active) return {};
  return MakeError(ErrorKind::Refused, "model.inactive", model.name + " is no longer in the demo catalogue.",
                   {{"model", model.name}});
}

Status CheckOrderQty(int qty) {
  if (qty >= 1 && qty <= kMaxOrderQty) return {};
  return MakeError(ErrorKind::Usage, "order.qty", "Order between 1 and " + std::to_string(kMaxOrderQty) + " units.");
}

Status CheckDemoQuota(const Partner& partner, const DemoModel& model, int qty, int64_t open_units) {
  const int quota = DemoQuota(model, partner.tier);
  // A quota of 0: the tier may not order this model at all, so there is no order to wait for.
  if (quota <= 0)
    return MakeError(ErrorKind::Refused, "order.quota",
                     std::string(DisplayName(partner.tier)) + " partners can't order demo units of " + model.name +
                         ": their quota for it is 0. A partner of a higher tier can.",
                     {{"tier", TierKey(partner.tier)}, {"model", model.name}, {"partner", partner.name}}, "none");
  if (open_units + qty <= quota) return {};
  return MakeError(ErrorKind::Refused, "order.quota",
                   std::string(DisplayName(partner.tier)) + " partners may have " + std::to_string(quota) +
                       " open demo units of " + model.name + " on order; " + partner.name + " has " +
                       std::to_string(open_units) + ". " +
                       (quota > open_units ? "Order at most " + std::to_string(quota - open_units) + "."
                                           : "Wait until an open order is delivered."),
                   {{"tier", TierKey(partner.tier)},
                    {"quota", std::to_string(quota)},
                    {"model", model.name},
                    {"partner", partner.name},
                    {"open", std::to_string(open_units)},
                    {"left", std::to_string(quota - open_units)}},
                   quota > open_units ? "" : "full");
}

namespace {

constexpr std::string_view kStateNames[] = {"ordered", "confirmed", "shipped", "delivered", "cancelled", "rejected"};

// The allowed moves: from (row) to (column), in OrderState's order.
constexpr bool kMoves[6][6] = {
    //             ordered confirmed shipped delivered cancelled rejected
    /* ordered */ {false, true, false, false, true, false},
    /* confirmed */ {false, false, true, false, true, false},
    /* shipped */ {false, false, false, true, true, false},
    /* delivered */ {},
    /* cancelled */ {},
    /* rejected */ {},
};

}  // namespace

std::string_view ToString(OrderState s) { return kStateNames[static_cast<int>(s)]; }

std::optional<OrderState> ParseOrderState(std::string_view s) {
  for (int i = 0; i < 6; ++i)
    if (kStateNames[i] == s) return static_cast<OrderState>(i);
  return std::nullopt;
}

bool IsOpen(OrderState s) {
  return s == OrderState::Ordered || s == OrderState::Confirmed || s == OrderState::Shipped;
}

Status CheckOrderTransition(OrderState from, OrderState to) {
  if (kMoves[static_cast<int>(from)][static_cast<int>(to)]) return {};
  const std::string f(ToString(from)), t(ToString(to));
  if (from == to)
    return MakeError(ErrorKind::Refused, "order.transition", "The order is already " + f + "; nothing was changed.",
                     {{"from", f}, {"to", t}}, "same");
  if (!IsOpen(from))
    return MakeError(ErrorKind::Refused, "order.transition",
                     "The order is " + f + ", which is final: it can't become " + t + ".", {{"from", f}, {"to", t}},
                     "final");
  return MakeError(ErrorKind::Refused, "order.transition",
                   "An order that is " + f + " can't become " + t + " (ordered, confirmed, shipped, delivered; "
                   "cancelled while open).",
                   {{"from", f}, {"to", t}});
}

}  // namespace kiosk::rules
