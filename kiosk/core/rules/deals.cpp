#include "kiosk/core/rules/deals.hpp"

#include <cmath>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/domain.hpp"

namespace kiosk::rules {

Result<DealFields> CheckDealFields(std::string_view customer_text, std::string_view product_text, double value,
                                   std::string_view close_text, std::chrono::sys_days today) {
  DealFields f;
  f.customer = Trimmed(customer_text);
  f.product = Trimmed(product_text);
  f.close_date = std::string(close_text);
  if (f.customer.empty() || f.customer.size() > 200)
    return MakeError(ErrorKind::Usage, "deal.customer", "Enter the customer's name (up to 200 characters).");
  if (f.product.empty() || f.product.size() > 200)
    return MakeError(ErrorKind::Usage, "deal.product", "Enter the product or solution (up to 200 characters).");
  if (!(value > 0) || value > 1e9)
    return MakeError(ErrorKind::Usage, "deal.value", "Enter the expected value in EUR (more than 0).");
  std::chrono::sys_days close;
  if (!ParseDate(f.close_date, close))
    return MakeError(ErrorKind::Usage, "deal.close_date",
                     "The expected close date '" + f.close_date + "' is not a date (YYYY-MM-DD).",
                     {{"date", f.close_date}});
  if (close < today)
    return MakeError(ErrorKind::Usage, "deal.close_past", "The expected close date " + f.close_date + " is in the past.",
                     {{"date", f.close_date}});
  f.value_eur = std::round(value * 100) / 100;
  return f;
}

DealOutcome DecideDeal(const std::string& taken_by, bool partner_known, bool partner_suspended) {
  if (!taken_by.empty()) return DealOutcome::Taken;
  if (!partner_known) return DealOutcome::NoPartner;
  if (partner_suspended) return DealOutcome::Suspended;
  return DealOutcome::Approved;
}

}  // namespace kiosk::rules
