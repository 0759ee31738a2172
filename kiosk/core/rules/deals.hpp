#pragma once
// The partner program's rules, registered deals: the kiosk checks what was typed; the central
// decides, first come first served, and refuses a partner that is not in the program or is
// suspended (the kiosk refuses a suspended partner already: partners.hpp).
#include <chrono>
#include <string>
#include <string_view>

#include "kiosk/core/result.hpp"

namespace kiosk::rules {

struct DealFields {
  std::string customer, product;  // trimmed
  double value_eur = 0;           // rounded to cents
  std::string close_date;         // YYYY-MM-DD
};
// deal.customer, deal.product, deal.value, deal.close_date, deal.close_past.
Result<DealFields> CheckDealFields(std::string_view customer, std::string_view product, double value,
                                   std::string_view close_date, std::chrono::sys_days today);

// ---- Central, on arrival ----
enum class DealOutcome { Approved, Taken, NoPartner, Suspended };
// `taken_by` is the partner holding an approved deal for the same customer and product ("" if
// none); `partner_known` and `partner_suspended` describe the registering partner.
DealOutcome DecideDeal(const std::string& taken_by, bool partner_known, bool partner_suspended);

}  // namespace kiosk::rules
