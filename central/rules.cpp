#include "central/rules.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/lean_json.hpp"
#include "kiosk/core/rules/loyalty.hpp"
#include "kiosk/core/rules/orders.hpp"
#include "kiosk/core/rules/partners.hpp"
#include <optional>
#include <string_view>
#include <utility>

namespace kiosk::central {

using nlohmann::json;
using sync::Verdict;
using sync::VerdictKind;

namespace {

std::string PartnerName(RuleContext& ctx, const std::string& id) {
  auto p = ctx.store.GetRef("partners", id);
  if (p.ok() && *p && !(*p)->deleted) {
    json j = json::parse((*p)->body, nullptr, false);
    if (j.is_object() && j.contains("name") && j["name"].is_string()) return j["name"].get<std::string>();
  }
  return id;
}

using rules::Points;  // one formatter for the kiosk's texts and the central's

Status UpdateRef(RuleContext& ctx, const std::string& list, const std::string& key,
                 const std::function<void(json&)>& change) {
  auto r = ctx.store.GetRef(list, key);
  if (!r.ok()) return r.error();
  if (!*r || (*r)->deleted) return {};
  json body = json::parse((*r)->body, nullptr, false);
  if (!body.is_object()) return {};
  change(body);
  RefRecord rec = **r;
  rec.body = body.dump();
  rec.version = ctx.next_version;
  ctx.changed = true;
  return ctx.store.PutRef(rec);
}

Result<Verdict> Redeemed(RuleContext& ctx, const Event& e, const json& p) {
  Verdict v;
  const std::string partner = p.value("partner_id", "");
  const int64_t points = p.value("points", int64_t{0});
  const std::string name = PartnerName(ctx, partner);
  auto bal = ctx.store.GetRef("balances", partner);
  if (!bal.ok()) return bal.error();
  int64_t honoured = 0;
  // The loyalty policy's central half (rules/loyalty.hpp); the texts say it to the kiosk's admin.
  std::optional<int64_t> account;
  json b;
  if (*bal && !(*bal)->deleted) {
    b = json::parse((*bal)->body, nullptr, false);
    account = b.is_object() ? b.value("available", int64_t{0}) : 0;
  }
  const rules::HonourDecision decision = rules::HonourRedemption(points, account);
  honoured = decision.honoured;
  if (decision.honour == rules::Honour::NoAccount) {
    v.verdict = VerdictKind::Rejected;
    v.code = "loyalty.no_account";
    v.message = "The central has no points account for " + name + ", so this redemption of " + Points(points) +
                " points was not honoured. The channel manager can settle it.";
  } else {
    const int64_t available = *account;
    if (decision.honour == rules::Honour::Partly) {
      v.verdict = VerdictKind::Adjusted;
      v.code = "loyalty.partly_honoured";
      v.message = name + " had only " + Points(available) + " points when this redemption of " + Points(points) +
                  " arrived at the central (another kiosk or an older balance): " + Points(available) +
                  " points were deducted and " + Points(points - available) +
                  " were not honoured. Settle the difference with the partner.";
    } else if (decision.honour == rules::Honour::Nothing) {
      v.verdict = VerdictKind::Rejected;
      v.code = "loyalty.insufficient_points";
      v.message = name + " had no points left when this redemption of " + Points(points) +
                  " arrived at the central (spent at another kiosk or an older balance): it was not honoured. "
                  "Settle it with the partner or the channel manager.";
    }
    v.detail = json{{"requested_points", points}, {"honoured_points", honoured}, {"balance_before", available}};
    if (honoured > 0)
      KIOSK_TRY(UpdateRef(ctx, "balances", partner, [&](json& body) { body["available"] = available - honoured; }));
  }
  KIOSK_TRY(ctx.store.PutRedemption(ctx.kiosk_id, e.seq, partner, p.value("reward_id", ""), points, honoured,
                                    e.wall_time));
  return v;
}

Result<Verdict> CheckedOut(RuleContext& ctx, const Event& e, const json& p) {
  Verdict v;
  std::vector<std::string> conflicts;
  size_t total = 0;
  const std::string rep = p.value("rep", e.actor);
  if (p.contains("devices") && p["devices"].is_array()) {
    for (const json& d : p["devices"]) {
      const std::string tag = d.value("asset_tag", "");
      if (tag.empty()) continue;
      ++total;
      auto c = ctx.store.GetCustody(tag);
      if (!c.ok()) return c.error();
      if (*c && (*c)->state == "checked_out" && (*c)->kiosk_id != ctx.kiosk_id) {
        conflicts.push_back(tag + " (already out at " + (*c)->kiosk_id + " to " + (*c)->custodian + " since " +
                            (*c)->since + ")");
        KIOSK_TRY(ctx.store.AddFlag({ctx.kiosk_id, e.seq, "custody.conflict",
                                     tag + " checked out at " + ctx.kiosk_id + " while out at " + (*c)->kiosk_id,
                                     ctx.now_utc}));
        continue;
      }
      KIOSK_TRY(ctx.store.PutCustody({tag, ctx.kiosk_id, "checked_out", rep, e.seq, e.wall_time}));
      KIOSK_TRY(UpdateRef(ctx, "devices", tag, [&](json& body) {
        body["state"] = "checked_out";
        body["custodian"] = rep;
        body["due_date"] = p.value("due_date", "");
        body["purpose"] = p.value("purpose", "");
      }));
    }
  }
  if (!conflicts.empty()) {
    std::string list;
    for (const auto& c : conflicts) list += (list.empty() ? "" : "; ") + c;
    v.verdict = conflicts.size() == total ? VerdictKind::Rejected : VerdictKind::Adjusted;
    v.code = "custody.conflict";
    v.message = "The same demo unit is checked out at two kiosks: " + list +
                ". The central keeps the first checkout; the demo-equipment team has been told. Find the unit.";
    v.detail = json{{"conflicts", conflicts}};
  }
  return v;
}

Result<Verdict> CheckedIn(RuleContext& ctx, const Event& e, const json& p) {
  const std::string state = p.value("state_after", "available");
  if (p.contains("devices") && p["devices"].is_array()) {
    for (const json& d : p["devices"]) {
      const std::string tag = d.value("asset_tag", "");
      if (tag.empty()) continue;
      KIOSK_TRY(ctx.store.PutCustody({tag, ctx.kiosk_id, state, "", e.seq, e.wall_time}));
      KIOSK_TRY(UpdateRef(ctx, "devices", tag, [&](json& body) {
        body["state"] = state;
        body["custodian"] = "";
        body["due_date"] = "";
        body["purpose"] = "";
      }));
    }
  }
  return Verdict{};
}

Result<Verdict> Sellout(RuleContext& ctx, const Event& e, const std::string& partner,
                        const std::vector<SoldUnit>& units) {
  Verdict v;
  std::vector<std::string> dups;
  size_t total = 0;
  for (const SoldUnit& u : units) {
    ++total;
    auto s = ctx.store.ClaimSellout({u.gtin, u.serial, partner, ctx.kiosk_id, e.seq});
    if (!s.ok()) return s.error();
    if (*s)
      dups.push_back(u.serial + " (GTIN " + u.gtin + ", reported by " + (*s)->kiosk_id + " seq " +
                     std::to_string((*s)->seq) + ")");
  }
  if (!dups.empty()) {
    std::string list;
    for (const auto& d : dups) list += (list.empty() ? "" : "; ") + d;
    v.verdict = dups.size() == total ? VerdictKind::Rejected : VerdictKind::Adjusted;
    v.code = "sellout.duplicate_serial";
    v.message = "Already reported sold, so it counts only once: " + list + ".";
    v.detail = json{{"duplicates", dups}};
  }
  return v;
}

Result<Verdict> Sellout(RuleContext& ctx, const Event& e, const json& p) {
  std::vector<SoldUnit> units;
  if (p.contains("units") && p["units"].is_array())
    for (const json& u : p["units"]) units.push_back({u.value("gtin", ""), u.value("serial", "")});
  return Sellout(ctx, e, p.value("partner_id", ""), units);
}

// Reads what the sell-out rule needs (partner_id, units[].gtin/serial), or for an event without
// a rule only whether the payload is a JSON object, as a SAX handler: fed by
// lean_json::ReadPlain (kiosk/core/lean_json.hpp)
// for a plain payload, else by nlohmann's SAX parser, without building a tree for every event.
// Anything where the tree's reading could differ (a member of the wrong type, a unit that is not
// an object, a repeated member) sets `unusual` and stops, and the caller parses the tree as
// before.
class PayloadScan {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool root_object = false;
  bool unusual = false;
  std::string partner_id;
  std::vector<SoldUnit> units;

  bool null() { return Scalar(); }
  bool boolean(bool) { return Scalar(); }
  bool number_integer(number_integer_t) { return Scalar(); }
  bool number_unsigned(number_unsigned_t) { return Scalar(); }
  bool number_float(number_float_t, const string_t&) { return Scalar(); }
  bool binary(binary_t&) { return Scalar(); }
  bool string(string_t& v) {
    if (InUnitsElement()) return Unusual();
    switch (std::exchange(m_pending, Pending::None)) {
      case Pending::PartnerId: partner_id = std::move(v); break;
      case Pending::Gtin: units.back().gtin = std::move(v); break;
      case Pending::Serial: units.back().serial = std::move(v); break;
      default: break;
    }
    return true;
  }
  bool start_object(std::size_t) {
    if (m_depth == 0) root_object = true;
    if (WantsString()) return Unusual();
    if (InUnitsElement()) {
      units.emplace_back();
      m_seen_gtin = m_seen_serial = false;
    }
    m_pending = Pending::None;
    ++m_depth;
    return true;
  }
  bool key(string_t& k) {
    if (m_depth == 1) {
      if (k == "partner_id") return Member(m_seen_partner, Pending::PartnerId);
      if (k == "units") return Member(m_seen_units, Pending::Units);
    } else if (m_depth == 3 && m_in_units) {
      if (k == "gtin") return Member(m_seen_gtin, Pending::Gtin);
      if (k == "serial") return Member(m_seen_serial, Pending::Serial);
    }
    m_pending = Pending::None;
    return true;
  }
  bool end_object() {
    --m_depth;
    return true;
  }
  bool start_array(std::size_t) {
    if (WantsString() || InUnitsElement()) return Unusual();
    if (m_pending == Pending::Units) m_in_units = true;
    m_pending = Pending::None;
    ++m_depth;
    return true;
  }
  bool end_array() {
    if (--m_depth == 1) m_in_units = false;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  enum class Pending { None, PartnerId, Units, Gtin, Serial };
  bool Unusual() {
    unusual = true;
    return false;
  }
  bool WantsString() const {
    return m_pending == Pending::PartnerId || m_pending == Pending::Gtin || m_pending == Pending::Serial;
  }
  bool InUnitsElement() const { return m_in_units && m_depth == 2; }
  bool Member(bool& seen, Pending next) {
    if (seen) return Unusual();
    seen = true;
    m_pending = next;
    return true;
  }
  bool Scalar() {
    if (WantsString() || InUnitsElement()) return Unusual();
    m_pending = Pending::None;
    return true;
  }

  int m_depth = 0;  // containers open
  Pending m_pending = Pending::None;
  bool m_in_units = false;  // inside the root's "units" array
  bool m_seen_partner = false, m_seen_units = false, m_seen_gtin = false, m_seen_serial = false;
};

Result<Verdict> Deal(RuleContext& ctx, const Event& e, const json& p) {
  DealRecord d;
  d.kiosk_id = ctx.kiosk_id;
  d.seq = e.seq;
  d.partner_id = p.value("partner_id", "");
  d.customer = p.value("customer", "");
  d.product = p.value("product", "");
  d.value_cents = p.value("value_eur_cents", int64_t{0});
  d.close_date = p.value("close_date", "");
  d.version = ctx.next_version;
  auto existing = ctx.store.FindApprovedDeal(d.customer, d.product);
  if (!existing.ok()) return existing.error();
  auto partner = ctx.store.GetRef("partners", d.partner_id);
  if (!partner.ok()) return partner.error();
  json pj = *partner ? json::parse((*partner)->body, nullptr, false) : json();
  if (*existing) {
    d.status = "rejected";
    d.message = "Already registered for " + d.customer + " / " + d.product + " by " +
                PartnerName(ctx, (*existing)->partner_id) + " (first come, first served).";
  } else if (!*partner || (*partner)->deleted) {
    d.status = "rejected";
    d.message = "The partner is not in the program.";
  } else if (pj.is_object() && pj.value("status", "active") == "suspended") {
    d.status = "rejected";
    d.message = PartnerName(ctx, d.partner_id) + " is suspended; deals can't be registered.";
  } else {
    d.status = "approved";
    d.message = "Approved: " + PartnerName(ctx, d.partner_id) + " holds " + d.customer + " / " + d.product +
                " with registered-deal conditions.";
  }
  KIOSK_TRY(ctx.store.PutDeal(d));
  ctx.changed = true;
  Verdict v;
  v.detail = json{{"decision", d.status}, {"decision_message", d.message}};
  return v;
}

// Demo orders: the kiosk refused a suspended partner and an order beyond the tier's quota before
// logging it; the central applies the same rules (kiosk/core/rules) to what arrives, so an order
// from a kiosk with older reference data is not recorded as if it were allowed.
Result<Verdict> DemoOrdered(RuleContext& ctx, const Event& e, const json& p) {
  (void)e;
  Verdict v;
  auto refuse = [&](const Error& err) {
    v.verdict = VerdictKind::Rejected;
    v.code = err.code;
    v.message = err.message + " The central did not accept this demo order.";
    return v;
  };
  auto text = [](const json& j, const char* key, const std::string& def) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : def;
  };
  const std::string partner_id = text(p, "partner_id", "");
  auto pr = ctx.store.GetRef("partners", partner_id);
  if (!pr.ok()) return pr.error();
  if (!*pr || (*pr)->deleted) return v;  // a partner the central does not know: recorded as it is
  const json pj = json::parse((*pr)->body, nullptr, false);
  if (!pj.is_object()) return v;
  Partner partner;
  partner.id = partner_id;
  partner.name = text(pj, "name", partner_id);
  partner.status = ParsePartnerStatus(text(pj, "status", "active")).value_or(PartnerStatus::Active);
  partner.tier = ParseTier(text(pj, "tier", "registered")).value_or(Tier::Registered);
  if (auto s = rules::CheckActive(partner, "order demo units"); !s.ok()) return refuse(s.error());
  const std::string gtin = text(p, "gtin", "");
  auto mr = ctx.store.GetRef("models", gtin);
  if (!mr.ok()) return mr.error();
  if (!*mr || (*mr)->deleted) return v;
  const json mj = json::parse((*mr)->body, nullptr, false);
  if (!mj.is_object()) return v;
  DemoModel model;
  model.gtin = gtin;
  model.name = text(mj, "name", text(p, "model", gtin));
  if (auto q = mj.find("quota"); q != mj.end() && q->is_object())
    for (Tier t : {Tier::Registered, Tier::Silver, Tier::Gold, Tier::Platinum})
      if (auto n = q->find(std::string(ToString(t))); n != q->end() && n->is_number_integer())
        model.quota[static_cast<int>(t)] = n->get<int>();
  auto qty = p.find("qty");
  const int64_t units = qty != p.end() && qty->is_number_integer() ? qty->get<int64_t>() : 1;
  // The central holds no count of open orders per partner yet: it checks the order itself.
  if (auto s = rules::CheckDemoQuota(partner, model, static_cast<int>(std::clamp<int64_t>(units, 0, 1 << 20)), 0);
      !s.ok())
    return refuse(s.error());
  return v;
}

}  // namespace

PayloadFacts ReadPayload(const Event& e) {
  PayloadFacts facts;
  const bool sellout = e.type == "sellout.reported";
  if (sellout || (e.type != "loyalty.redeemed" && e.type != "device.checked_out" && e.type != "device.checked_in" &&
                  e.type != "deal.registered" && e.type != "demo.ordered")) {
    PayloadScan scan;
    bool valid = false;
    switch (lean_json::ReadPlain(e.payload, scan)) {
      case lean_json::Outcome::Done: valid = true; break;
      case lean_json::Outcome::Stopped: break;  // unusual: the rules parse the tree
      case lean_json::Outcome::NotPlain:
        scan = PayloadScan();
        valid = json::sax_parse(e.payload, &scan);
        break;
    }
    if (!scan.unusual) {
      facts.read = true;
      facts.object = valid && scan.root_object;
      facts.partner_id = std::move(scan.partner_id);
      facts.units = std::move(scan.units);
    }
  }
  return facts;
}

void CollectRuleKeys(const Event& e, const PayloadFacts* given, RuleKeys& keys) {
  const PayloadFacts facts = given ? PayloadFacts{} : ReadPayload(e);
  const PayloadFacts& f = given ? *given : facts;
  if (f.read) {
    if (f.object && e.type == "sellout.reported")
      for (const SoldUnit& u : f.units) keys.units.emplace(u.gtin, u.serial);
    return;
  }
  // The members ApplyRules reads below, read the same way.
  json p = json::parse(e.payload, nullptr, false);
  if (!p.is_object()) return;
  try {
    if (e.type == "loyalty.redeemed") {
      keys.partners.insert(p.value("partner_id", ""));
    } else if (e.type == "device.checked_out" || e.type == "device.checked_in") {
      if (p.contains("devices") && p["devices"].is_array())
        for (const json& d : p["devices"]) {
          const std::string tag = d.value("asset_tag", "");
          if (!tag.empty()) keys.asset_tags.insert(tag);
        }
    } else if (e.type == "sellout.reported") {
      if (p.contains("units") && p["units"].is_array())
        for (const json& u : p["units"]) keys.units.emplace(u.value("gtin", ""), u.value("serial", ""));
    } else if (e.type == "demo.ordered") {
      keys.partners.insert(p.value("partner_id", ""));
    } else if (e.type == "deal.registered") {
      keys.partners.insert(p.value("partner_id", ""));
      keys.deals.emplace(AsciiLower(p.value("customer", "")), AsciiLower(p.value("product", "")));
    }
  } catch (const json::exception&) {
    // A member of an odd type: ApplyRules meets the same and answers for the event.
  }
}

Result<Verdict> ApplyRules(RuleContext& ctx, const Event& e, const PayloadFacts* given) {
  auto not_object = [&] {
    Verdict v;
    v.verdict = VerdictKind::Rejected;
    v.code = "event.payload";
    v.message = "Seq " + std::to_string(e.seq) + "'s payload is not a JSON object; it changed nothing.";
    return v;
  };
  const PayloadFacts facts = given ? PayloadFacts{} : ReadPayload(e);
  const PayloadFacts& f = given ? *given : facts;
  if (f.read) {
    if (!f.object) return not_object();
    if (e.type == "sellout.reported") return Sellout(ctx, e, f.partner_id, f.units);
    return Verdict{};  // audits, reference loads, admin events: recorded as they are
  }
  json p = json::parse(e.payload, nullptr, false);
  if (!p.is_object()) return not_object();
  if (e.type == "loyalty.redeemed") return Redeemed(ctx, e, p);
  if (e.type == "device.checked_out") return CheckedOut(ctx, e, p);
  if (e.type == "device.checked_in") return CheckedIn(ctx, e, p);
  if (e.type == "sellout.reported") return Sellout(ctx, e, p);
  if (e.type == "deal.registered") return Deal(ctx, e, p);
  if (e.type == "demo.ordered") return DemoOrdered(ctx, e, p);
  return Verdict{};  // audits, reference loads, admin events: recorded as they are
}

}  // namespace kiosk::central
