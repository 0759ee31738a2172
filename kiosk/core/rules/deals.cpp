#include "kiosk/core/rules/deals.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

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

std::string DealPolicyToJson(const DealPolicy& p) {
  return nlohmann::json{{"auto_approve", p.auto_approve},
                        {"auto_approve_limit_eur", static_cast<double>(p.auto_approve_limit_cents) / 100}}
      .dump();
}

DealPolicy DealPolicyFromJson(std::string_view text) {
  DealPolicy p;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return p;
  if (auto it = j.find("auto_approve"); it != j.end() && it->is_boolean()) p.auto_approve = it->get<bool>();
  if (auto it = j.find("auto_approve_limit_eur"); it != j.end() && it->is_number() && it->get<double>() >= 0)
    p.auto_approve_limit_cents = static_cast<int64_t>(std::llround(it->get<double>() * 100));
  return p;
}

DealDecision DecideOnArrival(const DealArrival& a, const DealPolicy& policy) {
  switch (DecideDeal(a.taken_by, a.partner_known, a.partner_suspended)) {
    case DealOutcome::Taken: return {DealOutcome::Taken, "deal.duplicate"};
    case DealOutcome::NoPartner: return {DealOutcome::NoPartner, "deal.no_partner"};
    case DealOutcome::Suspended: return {DealOutcome::Suspended, "deal.suspended"};
    default: break;
  }
  if (!policy.auto_approve) return {DealOutcome::Pending, "deal.review"};
  if (policy.auto_approve_limit_cents > 0 && a.value_cents > policy.auto_approve_limit_cents)
    return {DealOutcome::Pending, "deal.over_limit"};
  return {DealOutcome::Approved, "deal.auto_approved"};
}

std::string_view DealStatusName(DealOutcome o) {
  switch (o) {
    case DealOutcome::Approved: return "approved";
    case DealOutcome::Pending: return "pending";
    default: return "rejected";
  }
}

Status CheckVendorDecision(std::string_view status, bool approve, const std::string& taken_by,
                           std::string_view reason) {
  if (status != "pending")
    return MakeError(ErrorKind::Refused, "deal.already_decided",
                     "This deal was " + std::string(status) + " already; a deal is decided once.",
                     {{"status", std::string(status)}});
  if (approve && !taken_by.empty())
    return MakeError(ErrorKind::Refused, "deal.duplicate_approved",
                     "Another partner (" + taken_by + ") already holds an approved deal for this customer and "
                     "product; reject this one instead.",
                     {{"partner", taken_by}});
  if (!approve && Trimmed(reason).empty())
    return MakeError(ErrorKind::Usage, "deal.reason_missing", "Say why the deal is rejected (--reason TEXT).");
  return {};
}

std::chrono::sys_seconds DealDecisionDue(std::chrono::sys_seconds registered, int business_days) {
  using namespace std::chrono;
  auto is_weekend = [](sys_days d) {
    const weekday w{d};
    return w == Saturday || w == Sunday;
  };
  sys_days day = floor<days>(registered);
  seconds time_of_day = registered - day;
  if (is_weekend(day)) {
    while (is_weekend(day)) day += days{1};
    time_of_day = seconds{0};
  }
  for (int n = 0; n < business_days;) {
    day += days{1};
    if (!is_weekend(day)) ++n;
  }
  return day + time_of_day;
}

std::string FormatDealAge(std::chrono::seconds age) {
  const int64_t s = age.count() < 0 ? 0 : age.count();
  const int64_t d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60;
  if (d > 0) return std::to_string(d) + " d " + std::to_string(h) + " h";
  if (h > 0) return std::to_string(h) + " h";
  return std::to_string(m) + " min";
}

}  // namespace kiosk::rules
