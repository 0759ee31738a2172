// What changed for a partner (issue 17 item 5): the central's outcomes about the partner's
// business at this kiosk, collected source by source for the partner's page and `kiosk
// outcomes`, and which of them the page already showed. Also the custody conflicts the central
// reported about this kiosk's units, as the device screen and `kiosk device` say them.
//
// Adding a source: write one collector (a function below: read the source's rows through a
// repository, turn each into an OutcomeLine with its English text, translation key and values,
// and the (source, ref, stamp) it is remembered by) and list it in kCollectors. The page, the
// CLI and the "shown" bookkeeping take it from there.
#include <algorithm>
#include <cmath>

#include "kiosk/core/rules/loyalty.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/outcome_store.hpp"

namespace kiosk {

using nlohmann::json;

namespace {

using rules::Points;

void Remember(OutcomeLine& line, const storage::OutcomeKey& key) {
  line.shown_source = key.source;
  line.ref = key.ref;
  line.stamp = key.stamp;
  line.shown = key.Shown();
}

std::string Qty(int64_t n) { return std::to_string(n); }

// "2 × Coffee mug", with the reward's id when the catalogue no longer has it.
std::string RewardName(const storage::RedemptionOutcomeRow& r) {
  return r.reward_name.empty() ? r.reward_id : r.reward_name;
}

int64_t DetailInt(const std::string& detail, const char* key, int64_t def) {
  json j = json::parse(detail, nullptr, false);
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return def;
  return j[key].get<int64_t>();
}

size_t DetailListSize(const std::string& detail, const char* key) {
  json j = json::parse(detail, nullptr, false);
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return 0;
  return j[key].size();
}

// Redemptions the central adjusted (partly honoured) or rejected: the points to settle.
Status CollectRedemptions(Kiosk::Impl& m, const std::string& partner_id, bool all, std::vector<OutcomeLine>& out) {
  auto rows = storage::OutcomeStore(*m.db).Redemptions(partner_id, all);
  if (!rows.ok()) return rows.error();
  for (const storage::RedemptionOutcomeRow& r : *rows) {
    OutcomeLine l;
    l.source = "redemption";
    l.seq = r.seq;
    l.at = r.received_at;
    l.kind = r.verdict;
    l.act = true;
    const int64_t requested = DetailInt(r.detail, "requested_points", r.points);
    const int64_t honoured = r.verdict == "rejected" ? 0 : DetailInt(r.detail, "honoured_points", 0);
    l.args = {{"qty", Qty(r.qty)}, {"reward", RewardName(r)}, {"requested", Points(requested)},
              {"honoured", Points(honoured)}, {"missing", Points(requested - honoured)}};
    if (r.verdict == "adjusted") {
      l.key = "outcome.redemption.adjusted";
      l.text = "Redemption of " + Qty(r.qty) + " × " + RewardName(r) + " adjusted: " + Points(honoured) + " of " +
               Points(requested) + " points honoured. Settle the difference (" + Points(requested - honoured) +
               ") with the partner.";
    } else {
      l.key = "outcome.redemption.rejected";
      l.text = "Redemption of " + Qty(r.qty) + " × " + RewardName(r) + " rejected: none of the " + Points(requested) +
               " points honoured. Settle it with the partner.";
    }
    Remember(l, r.key);
    out.push_back(std::move(l));
  }
  return {};
}

// Sell-out reports the central counted only in part (units already reported sold elsewhere).
Status CollectSellouts(Kiosk::Impl& m, const std::string& partner_id, bool all, std::vector<OutcomeLine>& out) {
  auto rows = storage::OutcomeStore(*m.db).Sellouts(partner_id, all);
  if (!rows.ok()) return rows.error();
  for (const storage::SelloutOutcomeRow& r : *rows) {
    OutcomeLine l;
    l.source = "sellout";
    l.seq = r.seq;
    l.at = r.received_at;
    l.kind = r.verdict;
    const int64_t dups = r.verdict == "rejected" ? r.units
                                                 : static_cast<int64_t>(DetailListSize(r.detail, "duplicates"));
    l.args = {{"units", Qty(r.units)}, {"dups", Qty(dups)}};
    if (r.verdict == "adjusted") {
      l.key = "outcome.sellout.adjusted";
      l.text = "Sell-out report of " + Qty(r.units) + (r.units == 1 ? " unit: " : " units: ") + Qty(dups) +
               " already reported sold elsewhere, counted once.";
    } else {
      l.key = "outcome.sellout.rejected";
      l.text = "Sell-out report of " + Qty(r.units) + (r.units == 1 ? " unit" : " units") +
               " not counted: already reported sold elsewhere.";
    }
    Remember(l, r.key);
    out.push_back(std::move(l));
  }
  return {};
}

// Deals the vendor decided (kiosk/core/rules/deals.hpp).
Status CollectDeals(Kiosk::Impl& m, const std::string& partner_id, bool all, std::vector<OutcomeLine>& out) {
  auto rows = storage::OutcomeStore(*m.db).Deals(partner_id, all);
  if (!rows.ok()) return rows.error();
  for (const storage::DealOutcomeRow& d : *rows) {
    OutcomeLine l;
    l.source = "deal";
    l.seq = d.seq;
    l.at = d.decided_at;
    l.kind = d.status;
    const std::string value = Points(std::llround(d.value_eur)) + " €";
    // The amount alone: the screen groups its digits the language's way ("48.000" in German).
    l.args = {{"customer", d.customer}, {"product", d.product}, {"value", Points(std::llround(d.value_eur))},
              {"reason", d.reason}};
    if (d.status == "approved") {
      l.key = d.reason.empty() ? "outcome.deal.approved" : "outcome.deal.approved_note";
      l.text = "Deal approved: " + d.customer + " · " + d.product + " (" + value + ")." +
               (d.reason.empty() ? "" : " Vendor's note: " + d.reason);
    } else {
      l.act = true;
      // No reason from the vendor: the central's own words are English; the page says "no reason given".
      l.key = d.reason.empty() ? "outcome.deal.rejected" : "outcome.deal.rejected_reason";
      l.text = "Deal rejected: " + d.customer + " · " + d.product + " (" + value + ")." +
               (d.reason.empty() ? "" : " Reason: " + d.reason + ".") + " Tell the partner.";
    }
    Remember(l, d.key);
    out.push_back(std::move(l));
  }
  return {};
}

// Demo orders the central moved past "ordered" (kiosk/core/rules/orders.hpp).
Status CollectOrders(Kiosk::Impl& m, const std::string& partner_id, bool all, std::vector<OutcomeLine>& out) {
  auto rows = storage::OutcomeStore(*m.db).Orders(partner_id, all);
  if (!rows.ok()) return rows.error();
  for (const storage::OrderOutcomeRow& o : *rows) {
    OutcomeLine l;
    l.source = "order";
    l.seq = o.seq;
    l.at = o.state_at;
    l.kind = o.state;
    const std::string model = o.model.empty() ? o.gtin : o.model;
    l.args = {{"qty", Qty(o.qty)}, {"model", model}, {"tag", o.asset_tag}};
    const std::string what = "Demo order " + Qty(o.qty) + " × " + model;
    if (o.state == "delivered" && !o.asset_tag.empty()) {
      l.key = "outcome.order.delivered_unit";
      l.text = what + " delivered as " + o.asset_tag + ".";
    } else {
      l.key = "outcome.order." + o.state;
      if (o.state == "confirmed") l.text = what + " confirmed by the vendor.";
      else if (o.state == "shipped") l.text = what + " shipped.";
      else if (o.state == "delivered") l.text = what + " delivered.";
      else if (o.state == "cancelled") l.text = what + " cancelled: the quota is free again.";
      else l.text = what + " rejected by the central. Tell the partner; the admin's verdict list says why.";
    }
    l.act = o.state == "rejected";
    Remember(l, o.key);
    out.push_back(std::move(l));
  }
  return {};
}

// Points the central credited for the partner's sell-out reports here (rules/earning.hpp).
Status CollectCredits(Kiosk::Impl& m, const std::string& partner_id, bool all, std::vector<OutcomeLine>& out) {
  auto rows = storage::OutcomeStore(*m.db).Credits(partner_id, all);
  if (!rows.ok()) return rows.error();
  for (const storage::CreditOutcomeRow& c : *rows) {
    OutcomeLine l;
    l.source = "credit";
    l.seq = c.seq;
    l.at = c.credited_at;
    l.kind = "credited";
    l.args = {{"points", Points(c.points)}, {"units", Qty(c.units)}};
    l.key = "outcome.points.credited";
    l.text = Points(c.points) + (c.points == 1 ? " point" : " points") + " credited for the sell-out of " +
             Qty(c.units) + (c.units == 1 ? " unit." : " units.");
    Remember(l, c.key);
    out.push_back(std::move(l));
  }
  return {};
}

// The sources, in the order a tie in time lists them.
using Collector = Status (*)(Kiosk::Impl&, const std::string& partner_id, bool all, std::vector<OutcomeLine>& out);
constexpr Collector kCollectors[] = {CollectRedemptions, CollectSellouts, CollectDeals, CollectOrders,
                                     CollectCredits};

}  // namespace

Result<std::vector<OutcomeLine>> Kiosk::PartnerChanges(std::string_view card_or_id, bool all) {
  Impl& m = *m_impl;
  auto p = m.LookupPartner(card_or_id);
  if (!p.ok()) return p.error();
  std::vector<OutcomeLine> out;
  for (Collector collect : kCollectors) KIOSK_TRY(collect(m, p->partner.id, all, out));
  std::stable_sort(out.begin(), out.end(), [](const OutcomeLine& a, const OutcomeLine& b) { return a.at < b.at; });
  return out;
}

kiosk::Status Kiosk::MarkChangesShown(const std::vector<OutcomeLine>& lines) {
  Impl& m = *m_impl;
  if (lines.empty()) return {};
  KIOSK_TRY(m.RequireWritable());
  std::vector<storage::OutcomeKey> keys;
  for (const OutcomeLine& l : lines) keys.push_back({l.shown_source, l.ref, l.stamp, ""});
  storage::Transaction tx(*m.db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(storage::OutcomeStore(*m.db).MarkShown(keys, FormatUtc(m.clock->Now())));
  return tx.Commit();
}

// ---- Custody conflicts ----

CustodyConflictView Kiosk::Impl::ConflictView(const CustodyConflict& c) {
  CustodyConflictView v;
  v.asset_tag = c.asset_tag;
  v.held_here = c.holder_kiosk == kiosk_id;
  v.other_kiosk = v.held_here ? c.claim_kiosk : c.holder_kiosk;
  v.rep = v.held_here ? c.claim_rep : c.holder_rep;
  v.since = v.held_here ? c.claimed_at : c.holder_since;
  v.resolved_at = c.resolved_at;
  v.rep_name = v.rep;
  if (!v.rep.empty())
    if (auto b = LookupBadge(v.rep); b.ok() && !b->name.empty()) v.rep_name = b->name;
  const std::string day = v.since.substr(0, 10);
  v.args = {{"tag", c.asset_tag}, {"kiosk", v.other_kiosk}, {"rep", v.rep_name}, {"date", day}};
  if (v.held_here) {
    v.key = "conflict.held_here";
    v.text = c.asset_tag + " is also checked out at " + v.other_kiosk + " to " + v.rep_name + " on " + day +
             ": the central keeps this kiosk's checkout. Find the unit.";
  } else {
    v.key = "conflict.kept_elsewhere";
    v.text = "The central keeps the checkout of " + c.asset_tag + " at " + v.other_kiosk + " by " + v.rep_name +
             " since " + day + "; this kiosk's checkout was refused. Find the unit.";
  }
  return v;
}

Result<std::vector<CustodyConflictView>> Kiosk::CustodyConflicts() {
  Impl& m = *m_impl;
  auto rows = storage::CustodyConflictStore(*m.db).List();
  if (!rows.ok()) return rows.error();
  std::vector<CustodyConflictView> out;
  for (const CustodyConflict& c : *rows) out.push_back(m.ConflictView(c));
  return out;
}

}  // namespace kiosk
