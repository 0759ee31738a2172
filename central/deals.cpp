// Deals the vendor decides: the policy the rules apply on arrival, the list of deals with their
// deadline, and the vendor's decision, published to the kiosk through the reference data.
#include <chrono>

#include "central/central.hpp"
#include "central/central_parts.hpp"
#include "kiosk/core/domain.hpp"
#include "kiosk/core/rules/deals.hpp"

namespace kiosk::central {

using nlohmann::json;

namespace {

std::string PartnerNameOf(RuleStore& store, const std::string& id) {
  auto p = store.GetRef("partners", id);
  if (p.ok() && *p && !(*p)->deleted) {
    json j = json::parse((*p)->body, nullptr, false);
    if (j.is_object() && j.contains("name") && j["name"].is_string()) return j["name"].get<std::string>();
  }
  return id;
}

std::chrono::sys_seconds ToSeconds(int64_t ms) {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
}

DealListing Listing(RuleStore& store, const DealRecord& d, std::chrono::system_clock::time_point now) {
  DealListing l;
  l.deal = d;
  l.id = d.kiosk_id + ":" + std::to_string(d.seq);
  l.partner_name = PartnerNameOf(store, d.partner_id);
  if (auto ms = ParseUtcMs(d.registered_at)) {
    const auto registered = ToSeconds(*ms);
    const auto due = rules::DealDecisionDue(registered);
    l.due = FormatUtcSeconds(due);
    const auto until = d.status == "pending" ? std::chrono::floor<std::chrono::seconds>(now)
                                             : ToSeconds(ParseUtcMs(d.decided_at).value_or(*ms));
    l.age = rules::FormatDealAge(until - registered);
    l.overdue = d.status == "pending" && now > due;
  }
  return l;
}

}  // namespace

Result<rules::DealPolicy> Central::GetDealPolicy() {
  std::lock_guard lock(m_mu);
  auto text = m_store.GetMeta(kDealPolicyMeta);
  if (!text.ok()) return text.error();
  return *text ? rules::DealPolicyFromJson(**text) : rules::DealPolicy{};
}

Status Central::SetDealPolicy(const rules::DealPolicy& policy) {
  std::lock_guard lock(m_mu);
  StoreTransaction tx(m_store);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(m_store.SetMeta(kDealPolicyMeta, rules::DealPolicyToJson(policy)));
  return tx.Commit();
}

Result<std::vector<DealListing>> Central::ListDeals(const DealFilter& filter) {
  std::lock_guard lock(m_mu);
  std::vector<DealRecord> found;
  KIOSK_TRY(m_store.ListDeals(filter, [&](const DealRecord& d) { found.push_back(d); }));
  std::vector<DealListing> out;
  out.reserve(found.size());
  const auto now = m_clock.Now();
  for (const DealRecord& d : found) out.push_back(Listing(m_store, d, now));  // no store call inside ListDeals
  return out;
}

Result<DealListing> Central::DecideDeal(const std::string& id, bool approve, const std::string& text,
                                        const std::string& by) {
  const size_t colon = id.rfind(':');
  int64_t seq = 0;
  if (colon == std::string::npos || colon == 0 || colon + 1 >= id.size() ||
      id.size() - colon - 1 > 18 || id.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
      (seq = std::stoll(id.substr(colon + 1))) <= 0)
    return MakeError(ErrorKind::Usage, "deal.bad_id",
                     "'" + id + "' is not a deal id; `kiosk-central deals list` prints them as KIOSK:SEQ.",
                     {{"id", id}});
  const std::string kiosk_id = id.substr(0, colon);
  std::lock_guard lock(m_mu);
  return RetryConflicts([&]() -> Result<DealListing> {
    StoreTransaction tx(m_store);
    KIOSK_TRY(tx.Begin());
    auto got = m_store.GetDeal(kiosk_id, seq, true);
    if (!got.ok()) return got.error();
    if (!*got)
      return MakeError(ErrorKind::NotFound, "deal.not_found",
                       "The central holds no deal " + id + " (`kiosk-central deals list --status all`).",
                       {{"id", id}});
    DealRecord d = **got;
    std::string taken_by;
    if (approve) {
      auto approved = m_store.FindApprovedDeal(d.customer, d.product);
      if (!approved.ok()) return approved.error();
      if (*approved && !((*approved)->kiosk_id == d.kiosk_id && (*approved)->seq == d.seq))
        taken_by = PartnerNameOf(m_store, (*approved)->partner_id);
    }
    KIOSK_TRY(rules::CheckVendorDecision(d.status, approve, taken_by, text));
    auto version = m_store.TakeReferenceVersion();
    if (!version.ok()) return version.error();
    const std::string reason = Trimmed(text);
    d.status = approve ? "approved" : "rejected";
    d.decided_at = FormatUtc(m_clock.Now());
    d.decided_by = by.empty() ? "vendor" : by;
    d.reason = reason;
    d.version = *version;
    const std::string partner = PartnerNameOf(m_store, d.partner_id);
    d.message = approve ? "Approved by the vendor: " + partner + " holds " + d.customer + " / " + d.product +
                              " with registered-deal conditions." + (reason.empty() ? "" : " " + reason)
                        : "Rejected by the vendor: " + reason;
    KIOSK_TRY(m_store.PutDeal(d));
    KIOSK_TRY(tx.Commit());
    return Listing(m_store, d, m_clock.Now());
  });
}

}  // namespace kiosk::central
