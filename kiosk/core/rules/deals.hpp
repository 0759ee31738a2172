#pragma once
// The partner program's rules, registered deals: the kiosk checks what was typed; the central
// refuses on arrival a duplicate of another partner's approved deal (first come, first served) and
// a partner that is not in the program or is suspended (the kiosk refuses a suspended partner
// already: partners.hpp); the rest waits for the vendor or is approved by the vendor's policy. The
// vendor decides within 2 business days.
#include <chrono>
#include <cstdint>
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
// The vendor's policy for deals that pass the automatic refusals (a duplicate of another
// partner's approved deal, a partner not in the program or suspended: always rejected).
// Kept by the central (`kiosk-central deals policy`); the default sends every deal to the vendor.
struct DealPolicy {
  bool auto_approve = false;              // approve on arrival what no refusal and no limit holds back
  int64_t auto_approve_limit_cents = 0;   // > 0: a deal above this value (EUR cents) waits for the vendor
};
// The policy as the central stores it: {"auto_approve": bool, "auto_approve_limit_eur": number}.
std::string DealPolicyToJson(const DealPolicy& p);
// Missing members keep their defaults; a malformed text gives the default policy.
DealPolicy DealPolicyFromJson(std::string_view text);

enum class DealOutcome { Approved, Pending, Taken, NoPartner, Suspended };
// What the rules know of a deal when it reaches the central.
struct DealArrival {
  std::string taken_by;          // partner holding an approved deal for the same customer and product ("" none)
  bool partner_known = true;     // the partner is in the program
  bool partner_suspended = false;
  int64_t value_cents = 0;       // expected value, EUR cents
};
struct DealDecision {
  DealOutcome outcome = DealOutcome::Pending;
  // Why: deal.duplicate, deal.no_partner, deal.suspended (rejected); deal.review (the policy
  // sends every deal to the vendor), deal.over_limit (above the auto-approve limit) (pending);
  // deal.auto_approved.
  std::string code;
};
DealDecision DecideOnArrival(const DealArrival& a, const DealPolicy& policy);
// The refusals alone, first come first served (kept for callers that know no policy).
DealOutcome DecideDeal(const std::string& taken_by, bool partner_known, bool partner_suspended);
// "pending" | "approved" | "rejected"
std::string_view DealStatusName(DealOutcome o);

// ---- The vendor, at the central (`kiosk-central deals approve|reject`) ----
// May the vendor decide a deal that is in `status` now? Approving needs no other partner's
// approved deal for the same customer and product (`taken_by`, "" none); rejecting needs a reason.
// Errors: deal.already_decided (Refused), deal.duplicate_approved (Refused), deal.reason_missing (Usage).
Status CheckVendorDecision(std::string_view status, bool approve, const std::string& taken_by,
                           std::string_view reason);

// ---- The deadline: 2 business days (Monday to Friday, UTC) ----
constexpr int kDealDecisionBusinessDays = 2;
// When the vendor's decision is due for a deal registered at `registered`: that many business
// days later, counted from the next Monday 00:00 when it was registered on a weekend.
// Friday 15:00 -> Tuesday 15:00; Saturday 10:00 -> Wednesday 00:00.
std::chrono::sys_seconds DealDecisionDue(std::chrono::sys_seconds registered,
                                         int business_days = kDealDecisionBusinessDays);
// A deal's age for people: "45 min", "5 h", "2 d 3 h" (negative ages read "0 min").
std::string FormatDealAge(std::chrono::seconds age);

}  // namespace kiosk::rules
