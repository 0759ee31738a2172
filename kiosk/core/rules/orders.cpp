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

}  // namespace kiosk::rules
