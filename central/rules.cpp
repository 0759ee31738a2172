#include "central/rules.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/domain.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/lean_json.hpp"
#include "kiosk/core/rules/earning.hpp"
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

// A reference row's top-level members that the sell-out rule reads (a model's earn_points and
// name, a partner's status), taken from its JSON text with nlohmann's SAX parser: the text is
// checked whole as by json::parse, but no tree is built (a push of 100,000 sell-outs parsed a few
// thousand such rows, and building their trees cost more than the earning rule itself).
struct TopMembers {
  bool object = false;   // the text is a JSON object
  std::optional<int64_t> earn_points;
  std::optional<std::string> name;
  std::optional<std::string> status;
};

class TopMembersReader : public nlohmann::json_sax<json> {
 public:
  explicit TopMembersReader(TopMembers& out) : m_out(out) {}
  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t v) override {
    if (Top() && m_key == "earn_points") m_out.earn_points = v;
    return Scalar();
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (Top() && m_key == "earn_points" && v <= static_cast<number_unsigned_t>(INT64_MAX))
      m_out.earn_points = static_cast<int64_t>(v);
    return Scalar();
  }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool string(string_t& v) override {
    if (Top() && m_key == "name") m_out.name = v;
    if (Top() && m_key == "status") m_out.status = v;
    return Scalar();
  }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override {
    if (m_depth == 0) m_out.object = true;
    ++m_depth;
    m_key.clear();
    return true;
  }
  bool key(string_t& k) override {
    if (m_depth == 1) m_key = k;
    return true;
  }
  bool end_object() override {
    --m_depth;
    m_key.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    ++m_depth;
    m_key.clear();
    return true;
  }
  bool end_array() override {
    --m_depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    m_out = TopMembers{};  // as json::parse(text, nullptr, false): not an object
    return false;
  }

 private:
  bool Top() const { return m_depth == 1; }
  bool Scalar() {
    if (m_depth == 1) m_key.clear();
    return true;
  }
  TopMembers& m_out;
  int m_depth = 0;
  std::string m_key;
};

// The rows' text is the central's own (nlohmann's dump of a checked reference item: compact, no
// escapes in these members), so lean_json's cursor reads it member by member; anything it does not
// recognise goes to nlohmann's SAX parser above, from the start.
bool ReadTopMembersLean(std::string_view text, TopMembers& out) {
  lean_json::Cursor c(text);
  if (!c.Lit("{")) return false;
  out.object = true;
  if (c.Lit("}")) return c.Done();
  std::string key;
  do {
    if (!c.Str(key) || !c.Lit(":")) return false;
    if (key == "earn_points") {  // not an integer (null, 1.5, text): nlohmann's reader decides
      int64_t v = 0;
      if (!c.Int(v)) return false;
      out.earn_points = v;
    } else if ((key == "name" || key == "status") && c.Peek('"')) {
      std::string v;
      if (!c.Str(v)) return false;
      (key == "name" ? out.name : out.status) = std::move(v);
    } else {
      std::string_view skipped;
      if (!c.Raw(skipped)) return false;
    }
  } while (c.Lit(","));
  return c.Lit("}") && c.Done();
}

TopMembers ReadTopMembers(const std::string& text) {
  TopMembers out;
  if (ReadTopMembersLean(text, out)) return out;
  out = TopMembers{};
  TopMembersReader reader(out);
  if (!json::sax_parse(text, &reader)) out = TopMembers{};
  return out;
}

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

// The loyalty policy's central half (rules/loyalty.hpp: HonourArrival): the reward's shared stock
// first (this kiosk's allocation, then what no kiosk holds; on a shared database the stock row is
// locked since LoadFacts), then the points of the units honoured. The texts say it to the kiosk's
// staff; `detail` carries the figures, and the values the kiosk's catalogue fills into
// reason.<code>[.variant] (strings).
Result<Verdict> Redeemed(RuleContext& ctx, const Event& e, const events::LoyaltyRedeemed& p) {
  Verdict v;
  const std::string& partner = p.partner_id;
  const int64_t points = p.points;
  const std::string name = PartnerName(ctx, partner);
  const std::string reward = p.reward.empty() ? p.reward_id : p.reward;
  auto bal = ctx.store.GetRef("balances", partner);
  if (!bal.ok()) return bal.error();
  rules::RedemptionArrival arrival;
  arrival.units = std::max<int64_t>(1, p.qty);
  arrival.points = points;
  json b;
  if (*bal && !(*bal)->deleted) {
    b = json::parse((*bal)->body, nullptr, false);
    arrival.available = b.is_object() ? b.value("available", int64_t{0}) : 0;
  }
  auto stock = ctx.store.GetRewardStock(p.reward_id, ctx.kiosk_id);
  if (!stock.ok()) return stock.error();
  if (*stock)
    arrival.stock = rules::StockFacts{.stock = (*stock)->stock,
                                      .reserved = (*stock)->reserved,
                                      .allocation_left = (*stock)->has_allocation
                                                             ? std::max<int64_t>(0, (*stock)->allocated - (*stock)->used)
                                                             : 0};
  const rules::ArrivalDecision d = rules::HonourArrival(arrival);
  const int64_t units = arrival.units;
  const std::string qty_text = std::to_string(units);
  v.code = d.code;
  switch (d.outcome) {
    case rules::Arrival::Honoured: break;
    case rules::Arrival::NoAccount:
      v.verdict = VerdictKind::Rejected;
      v.message = "The central has no points account for " + name + ", so this redemption of " + Points(points) +
                  " points was not honoured. The channel manager can settle it.";
      break;
    case rules::Arrival::PointsShort:
      v.verdict = VerdictKind::Adjusted;
      v.message = name + " had only " + Points(*arrival.available) + " points when this redemption of " +
                  Points(points) + " arrived at the central (another kiosk or an older balance): " +
                  Points(d.points) + " points were deducted and " + Points(points - d.points) +
                  " were not honoured. Settle the difference with the partner.";
      break;
    case rules::Arrival::NoPoints:
      v.verdict = VerdictKind::Rejected;
      v.message = name + " had no points left when this redemption of " + Points(points) +
                  " arrived at the central (spent at another kiosk or an older balance): it was not honoured. "
                  "Settle it with the partner or the channel manager.";
      break;
    case rules::Arrival::OutOfStock:
      v.verdict = VerdictKind::Rejected;
      v.message = reward + " × " + qty_text + " for " + name +
                  " could not be honoured: the channel's stock of it was used up when the redemption arrived at the "
                  "central (other showrooms redeemed the last units, or the stock was corrected). No points were "
                  "deducted. Settle it with the partner or the channel manager.";
      v.detail = json{{"variant", "central"}, {"reward", reward}, {"qty", qty_text}, {"partner", name}};
      break;
    case rules::Arrival::StockShort:
      v.verdict = VerdictKind::Adjusted;
      v.message = "Only " + std::to_string(d.units) + " of " + qty_text + " × " + reward + " for " + name +
                  " could be honoured from the channel's stock when the redemption arrived at the central: " +
                  Points(d.points) + " points were deducted for " + (d.units == 1 ? "it" : "them") +
                  ", none for the other " + std::to_string(units - d.units) + ". Settle the rest with the partner." +
                  (d.points < d.points_due ? " (" + name + " also had only " + Points(d.points) + " of the " +
                                                 Points(d.points_due) + " points they cost.)"
                                           : "");
      v.detail = json{{"reward", reward},
                      {"qty", qty_text},
                      {"honoured", std::to_string(d.units)},
                      {"missing", std::to_string(units - d.units)},
                      {"points", Points(d.points)},
                      {"partner", name}};
      break;
  }
  if (d.outcome != rules::Arrival::NoAccount) {
    v.detail["requested_points"] = points;
    v.detail["honoured_points"] = d.points;
    v.detail["balance_before"] = *arrival.available;
  }
  if (arrival.stock && d.outcome != rules::Arrival::Honoured && d.outcome != rules::Arrival::NoAccount) {
    v.detail["requested_units"] = units;
    v.detail["honoured_units"] = d.units;
  }
  if (d.points > 0)
    KIOSK_TRY(UpdateRef(ctx, "balances", partner,
                        [&](json& body) { body["available"] = *arrival.available - d.points; }));
  if (*stock && d.units > 0) {
    RewardStockRecord st = **stock;
    st.stock -= d.units;
    if (st.has_allocation) st.used += d.from_allocation;
    st.reserved -= d.from_allocation;
    st.version = ctx.next_version;
    ctx.changed = true;
    KIOSK_TRY(ctx.store.PutRewardStock(st));
  }
  KIOSK_TRY(ctx.store.PutRedemption(ctx.kiosk_id, e.seq, partner, p.reward_id, points, d.points, e.wall_time));
  return v;
}

Result<Verdict> CheckedOut(RuleContext& ctx, const Event& e, const events::DeviceCheckedOut& p) {
  Verdict v;
  std::vector<std::string> conflicts;
  size_t total = 0;
  const std::string& rep = p.rep;
  for (const events::DeviceRef& d : p.devices) {
    const std::string& tag = d.asset_tag;
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
      // Both kiosks are told with their reference data: the holder to find the unit, this one
      // that the central keeps the holder's checkout (issue 17 item 5).
      ConflictRecord conflict;
      conflict.conflict = CustodyConflict{.asset_tag = tag,
                                          .holder_kiosk = (*c)->kiosk_id,
                                          .holder_rep = (*c)->custodian,
                                          .holder_since = (*c)->since,
                                          .claim_kiosk = ctx.kiosk_id,
                                          .claim_rep = rep,
                                          .claim_seq = e.seq,
                                          .claimed_at = e.wall_time};
      conflict.holder_seq = (*c)->seq;
      conflict.created_at = ctx.now_utc;
      KIOSK_TRY(ctx.store.AddCustodyConflict(conflict));
      continue;
    }
    KIOSK_TRY(ctx.store.PutCustody({tag, ctx.kiosk_id, "checked_out", rep, e.seq, e.wall_time}));
    KIOSK_TRY(UpdateRef(ctx, "devices", tag, [&](json& body) {
      body["state"] = "checked_out";
      body["custodian"] = rep;
      body["due_date"] = p.due_date;
      body["purpose"] = p.purpose;
    }));
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

Result<Verdict> CheckedIn(RuleContext& ctx, const Event& e, const events::DeviceCheckedIn& p) {
  const std::string& state = p.state_after;
  for (const events::ReturnedDevice& d : p.devices) {
    const std::string& tag = d.asset_tag;
    if (tag.empty()) continue;
    KIOSK_TRY(ctx.store.PutCustody({tag, ctx.kiosk_id, state, "", e.seq, e.wall_time}));
    // The unit is back at a kiosk: whichever side checked it in, a custody conflict over it is over.
    KIOSK_TRY(ctx.store.ResolveCustodyConflicts({tag, ctx.now_utc, ctx.kiosk_id + ":" + std::to_string(e.seq)}));
    KIOSK_TRY(UpdateRef(ctx, "devices", tag, [&](json& body) {
      body["state"] = state;
      body["custodian"] = "";
      body["due_date"] = "";
      body["purpose"] = "";
    }));
  }
  return Verdict{};
}

// Sell-outs: each unit counts once over the channel (the first report of a serial), and the
// units that count earn their model's points (rules/earning.hpp) for the partner, credited to its
// balance and written to the ledger (points_credits) in this batch's transaction. The kiosk refused
// demo units before logging them, so no demo unit arrives here. The partner's rows are locked
// since LoadFacts, so two kiosks' credits to one balance are added one after the other.
Result<Verdict> Sellout(RuleContext& ctx, const Event& e, const std::string& partner,
                        const std::vector<SoldUnit>& units) {
  Verdict v;
  std::vector<std::string> dups;
  std::vector<rules::EarnUnit> earn_units;
  size_t total = 0;
  for (const SoldUnit& u : units) {
    ++total;
    auto s = ctx.store.ClaimSellout({u.gtin, u.serial, partner, ctx.kiosk_id, e.seq});
    if (!s.ok()) return s.error();
    rules::EarnUnit eu{u.gtin, false, s->has_value(), std::nullopt};
    if (*s)
      dups.push_back(u.serial + " (GTIN " + u.gtin + ", reported by " + (*s)->kiosk_id + " seq " +
                     std::to_string((*s)->seq) + ")");
    earn_units.push_back(std::move(eu));
  }
  // The earning rule's facts: the partner as the central knows it, each model's points per unit.
  rules::EarnPartner who;
  if (!partner.empty()) {
    auto known = ctx.partners_read.find(partner);
    if (known == ctx.partners_read.end()) {
      rules::EarnPartner read;
      auto pr = ctx.store.GetRef("partners", partner);
      if (!pr.ok()) return pr.error();
      if (*pr && !(*pr)->deleted) {
        const TopMembers pj = ReadTopMembers((*pr)->body);
        read.known = pj.object;
        read.suspended = read.known && pj.status == "suspended";
      }
      known = ctx.partners_read.emplace(partner, read).first;
    }
    who = known->second;
  }
  if (who.known && !who.suspended) {
    for (rules::EarnUnit& u : earn_units) {
      if (u.duplicate) continue;
      auto model = ctx.models_read.find(u.gtin);
      if (model == ctx.models_read.end()) {
        RuleContext::ModelFacts read;
        auto mr = ctx.store.GetRef("models", u.gtin);
        if (!mr.ok()) return mr.error();
        if (*mr && !(*mr)->deleted) {
          TopMembers mj = ReadTopMembers((*mr)->body);
          if (mj.object) {
            read.earn_points = mj.earn_points.value_or(0);
            read.name = mj.name ? std::move(*mj.name) : u.gtin;
          }
        }
        model = ctx.models_read.emplace(u.gtin, std::move(read)).first;
      }
      if (!model->second.earn_points) continue;  // no such model
      u.earn_points = model->second.earn_points;
    }
  }
  const rules::SelloutEarning earned = rules::EarnForSellout(who, earn_units);
  if (earned.points > 0) {
    auto bal = ctx.store.GetRef("balances", partner);
    if (!bal.ok()) return bal.error();
    if (*bal && !(*bal)->deleted) {
      KIOSK_TRY(UpdateRef(ctx, "balances", partner, [&](json& body) {
        body["available"] = body.value("available", int64_t{0}) + earned.points;
      }));
    } else {  // the partner's first points: its account starts here
      const json body{{"partner_id", partner}, {"available", earned.points}, {"pending", 0}};
      KIOSK_TRY(ctx.store.PutRef({"balances", partner, body.dump(), ctx.next_version, false}));
      ctx.changed = true;
    }
    json lines = json::array();
    for (const rules::ModelEarning& m : earned.models) {
      // Every crediting model was read above (ctx.models_read), since only a model with points earns.
      KIOSK_TRY(ctx.store.PutCredit({ctx.kiosk_id, e.seq, m.gtin, partner, ctx.models_read[m.gtin].name, m.units, m.points,
                                     ctx.now_utc, ctx.next_version}));
      lines.push_back({{"gtin", m.gtin}, {"units", m.units}, {"points", m.points}});
    }
    v.detail = json{{"points_credited", earned.points}, {"credits", lines}};
  }
  if (!dups.empty()) {
    std::string list;
    for (const auto& d : dups) list += (list.empty() ? "" : "; ") + d;
    v.verdict = dups.size() == total ? VerdictKind::Rejected : VerdictKind::Adjusted;
    v.code = "sellout.duplicate_serial";
    v.message = "Already reported sold, so it counts only once: " + list + "." +
                (earned.points > 0 ? " The other units earned " + Points(earned.points) + " points." : "");
    if (!v.detail.is_object()) v.detail = json::object();
    v.detail["duplicates"] = dups;
    if (earned.points == 0) v.detail["points_credited"] = 0;
  }
  return v;
}

Result<Verdict> Deal(RuleContext& ctx, const Event& e, const events::DealRegistered& p) {
  DealRecord d;
  d.kiosk_id = ctx.kiosk_id;
  d.seq = e.seq;
  d.partner_id = p.partner_id;
  d.customer = p.customer;
  d.product = p.product;
  d.value_cents = p.value_eur_cents;
  d.close_date = p.close_date;
  d.version = ctx.next_version;
  d.registered_at = e.wall_time;
  auto existing = ctx.store.FindApprovedDeal(d.customer, d.product);
  if (!existing.ok()) return existing.error();
  auto partner = ctx.store.GetRef("partners", d.partner_id);
  if (!partner.ok()) return partner.error();
  json pj = *partner ? json::parse((*partner)->body, nullptr, false) : json();
  rules::DealArrival arrival;
  arrival.taken_by = *existing ? (*existing)->partner_id : "";
  arrival.partner_known = *partner && !(*partner)->deleted;
  arrival.partner_suspended = pj.is_object() && pj.value("status", "active") == "suspended";
  arrival.value_cents = d.value_cents;
  const rules::DealDecision decision = rules::DecideOnArrival(arrival, ctx.deal_policy);
  d.status = std::string(rules::DealStatusName(decision.outcome));
  if (decision.outcome != rules::DealOutcome::Pending) {
    d.decided_at = ctx.now_utc;
    d.decided_by = "auto";
  }
  switch (decision.outcome) {
    case rules::DealOutcome::Taken:
      d.message = "Already registered for " + d.customer + " / " + d.product + " by " +
                  PartnerName(ctx, (*existing)->partner_id) + " (first come, first served).";
      break;
    case rules::DealOutcome::NoPartner: d.message = "The partner is not in the program."; break;
    case rules::DealOutcome::Suspended:
      d.message = PartnerName(ctx, d.partner_id) + " is suspended; deals can't be registered.";
      break;
    case rules::DealOutcome::Approved:
      d.message = "Approved: " + PartnerName(ctx, d.partner_id) + " holds " + d.customer + " / " + d.product +
                  " with registered-deal conditions.";
      break;
    case rules::DealOutcome::Pending: {
      const auto registered = ParseUtcMs(e.wall_time);
      const auto due = rules::DealDecisionDue(std::chrono::floor<std::chrono::seconds>(
          std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(registered.value_or(0)))));
      d.message = std::string(decision.code == "deal.over_limit" ? "Above the auto-approve limit: " : "") +
                  "waiting for the vendor's decision, due by " + FormatUtcSeconds(due) + ".";
      break;
    }
  }
  if (decision.outcome != rules::DealOutcome::Approved && decision.outcome != rules::DealOutcome::Pending)
    d.reason = d.message;
  KIOSK_TRY(ctx.store.PutDeal(d));
  ctx.changed = true;
  Verdict v;
  v.detail = json{{"decision", d.status}, {"decision_message", d.message}, {"decision_code", decision.code}};
  return v;
}

// Demo orders: the kiosk refused a suspended partner and an order beyond the tier's quota before
// logging it; the central applies the same rules (kiosk/core/rules) to what arrives, with the
// partner's open orders counted over every kiosk of the channel (issue 17): each kiosk's count is
// only its own estimate, and this verdict is the one that holds. On a shared database the
// partner's reference row is locked since LoadFacts, so two kiosks' orders for one partner are
// counted one after the other. Every order is recorded (orders table), a refused one as rejected.
Result<Verdict> DemoOrdered(RuleContext& ctx, const Event& e, const events::DemoOrdered& p) {
  Verdict v;
  OrderRecord order;
  order.kiosk_id = ctx.kiosk_id;
  order.seq = e.seq;
  order.partner_id = p.partner_id;
  order.gtin = p.gtin;
  order.model = p.model.empty() ? p.gtin : p.model;
  order.qty = p.qty;
  order.state = std::string(rules::ToString(rules::OrderState::Ordered));
  order.ordered_at = e.wall_time;
  auto record = [&]() -> Result<Verdict> {
    KIOSK_TRY(ctx.store.PutOrder(order));
    ctx.changed = true;
    return v;
  };
  auto refuse = [&](const Error& err, const char* why) -> Result<Verdict> {
    v.verdict = VerdictKind::Rejected;
    v.code = err.code;
    v.message = err.message + why;
    if (!err.variant.empty()) v.detail["variant"] = err.variant;
    for (const auto& [key, value] : err.args) v.detail[key] = value;
    order.state = std::string(rules::ToString(rules::OrderState::Rejected));
    order.note = v.message;
    return record();
  };
  auto text = [](const json& j, const char* key, const std::string& def) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : def;
  };
  const std::string& partner_id = p.partner_id;
  auto pr = ctx.store.GetRef("partners", partner_id);
  if (!pr.ok()) return pr.error();
  if (!*pr || (*pr)->deleted) return record();  // a partner the central does not know: recorded as it is
  const json pj = json::parse((*pr)->body, nullptr, false);
  if (!pj.is_object()) return record();
  Partner partner;
  partner.id = partner_id;
  partner.name = text(pj, "name", partner_id);
  partner.status = ParsePartnerStatus(text(pj, "status", "active")).value_or(PartnerStatus::Active);
  partner.tier = ParseTier(text(pj, "tier", "registered")).value_or(Tier::Registered);
  if (auto s = rules::CheckActive(partner, "order demo units"); !s.ok()) return refuse(s.error(), " The central did not accept this demo order.");
  const std::string& gtin = p.gtin;
  auto mr = ctx.store.GetRef("models", gtin);
  if (!mr.ok()) return mr.error();
  if (!*mr || (*mr)->deleted) return record();
  const json mj = json::parse((*mr)->body, nullptr, false);
  if (!mj.is_object()) return record();
  DemoModel model;
  model.gtin = gtin;
  model.name = text(mj, "name", p.model.empty() ? gtin : p.model);
  order.model = model.name;
  if (auto q = mj.find("quota"); q != mj.end() && q->is_object())
    for (Tier t : {Tier::Registered, Tier::Silver, Tier::Gold, Tier::Platinum})
      if (auto n = q->find(std::string(ToString(t))); n != q->end() && n->is_number_integer())
        model.quota[static_cast<int>(t)] = n->get<int>();
  const int64_t units = p.qty;
  auto open = ctx.store.OpenOrderUnits(partner_id, gtin);
  if (!open.ok()) return open.error();
  if (auto s = rules::CheckDemoQuota(partner, model, static_cast<int>(std::clamp<int64_t>(units, 0, 1 << 20)), *open);
      !s.ok())
    return refuse(s.error(), " Counted over every kiosk of the channel, the central did not accept this demo order.");
  return record();
}

}  // namespace

namespace {

// A payload that does not read: not an object (as before the typed events, `object` false), or a
// member missing or of another type (`error`).
void Unread(PayloadFacts& f, const Error& err) {
  if (err.variant == "not_object") {
    f.read = true;
    f.object = false;
  } else {
    f.error = err;
  }
}

template <class T>
void ReadTyped(const Event& e, PayloadFacts& f) {
  auto r = T::FromJson(e.payload);
  if (!r.ok()) return Unread(f, r.error());
  f.read = f.object = true;
  f.event = std::move(*r);
}

}  // namespace

PayloadFacts ReadPayload(const Event& e) {
  PayloadFacts f;
  const std::string_view type = e.type;
  if (type == events::SelloutReported::kType) {
    auto r = events::SelloutReported::FromJson(e.payload);
    if (!r.ok()) {
      Unread(f, r.error());
    } else {
      f.read = f.object = true;
      f.partner_id = std::move(r->partner_id);
      f.units = std::move(r->units);
    }
  } else if (type == events::LoyaltyRedeemed::kType) {
    ReadTyped<events::LoyaltyRedeemed>(e, f);
  } else if (type == events::DeviceCheckedOut::kType) {
    ReadTyped<events::DeviceCheckedOut>(e, f);
  } else if (type == events::DeviceCheckedIn::kType) {
    ReadTyped<events::DeviceCheckedIn>(e, f);
  } else if (type == events::DealRegistered::kType) {
    ReadTyped<events::DealRegistered>(e, f);
  } else if (type == events::DemoOrdered::kType) {
    ReadTyped<events::DemoOrdered>(e, f);
  } else if (type == events::StocktakeFinished::kType) {
    // No rule changes state for it, but the custody report reads its lists (store_reports.cpp):
    // a malformed one is rejected here, with the member named, rather than misread there.
    ReadTyped<events::StocktakeFinished>(e, f);
  } else {
    // Audits, reference loads, admin events, types this central does not know: no rule, so the
    // payload only has to be a JSON object.
    f.read = true;
    f.object = events::IsObject(e.payload);
  }
  return f;
}

void CollectRuleKeys(const Event& e, const PayloadFacts* given, RuleKeys& keys) {
  const PayloadFacts facts = given ? PayloadFacts{} : ReadPayload(e);
  const PayloadFacts& f = given ? *given : facts;
  if (!f.read || !f.object) return;  // rejected without reading a row
  for (const SoldUnit& u : f.units) keys.units.emplace(u.gtin, u.serial);
  // A sell-out's partner: its status decides the points, its balance takes them.
  if (!f.units.empty() && !f.partner_id.empty()) {
    keys.partners.insert(f.partner_id);
    for (const SoldUnit& u : f.units) keys.models.insert(u.gtin);  // read by Sellout for the points
  }
  if (const auto* p = std::get_if<events::LoyaltyRedeemed>(&f.event)) {
    keys.partners.insert(p->partner_id);
    keys.rewards.insert(p->reward_id);
  } else if (const auto* p = std::get_if<events::DeviceCheckedOut>(&f.event)) {
    for (const events::DeviceRef& d : p->devices)
      if (!d.asset_tag.empty()) keys.asset_tags.insert(d.asset_tag);
  } else if (const auto* p = std::get_if<events::DeviceCheckedIn>(&f.event)) {
    for (const events::ReturnedDevice& d : p->devices)
      if (!d.asset_tag.empty()) keys.asset_tags.insert(d.asset_tag);
  } else if (const auto* p = std::get_if<events::DemoOrdered>(&f.event)) {
    keys.partners.insert(p->partner_id);
    keys.order_partners.insert(p->partner_id);
  } else if (const auto* p = std::get_if<events::DealRegistered>(&f.event)) {
    keys.partners.insert(p->partner_id);
    keys.deals.emplace(AsciiLower(p->customer), AsciiLower(p->product));
  }
}

Result<Verdict> ApplyRules(RuleContext& ctx, const Event& e, const PayloadFacts* given) {
  const PayloadFacts facts = given ? PayloadFacts{} : ReadPayload(e);
  const PayloadFacts& f = given ? *given : facts;
  if (f.error || !f.object) {
    Verdict v;
    v.verdict = VerdictKind::Rejected;
    v.code = "event.payload";
    v.message = f.error ? "Seq " + std::to_string(e.seq) + ": " + f.error->message + " It changed nothing."
                        : "Seq " + std::to_string(e.seq) + "'s payload is not a JSON object; it changed nothing.";
    return v;
  }
  if (e.type == events::SelloutReported::kType) return Sellout(ctx, e, f.partner_id, f.units);
  if (const auto* p = std::get_if<events::LoyaltyRedeemed>(&f.event)) return Redeemed(ctx, e, *p);
  if (const auto* p = std::get_if<events::DeviceCheckedOut>(&f.event)) return CheckedOut(ctx, e, *p);
  if (const auto* p = std::get_if<events::DeviceCheckedIn>(&f.event)) return CheckedIn(ctx, e, *p);
  if (const auto* p = std::get_if<events::DealRegistered>(&f.event)) return Deal(ctx, e, *p);
  if (const auto* p = std::get_if<events::DemoOrdered>(&f.event)) return DemoOrdered(ctx, e, *p);
  return Verdict{};  // stocktakes, audits, reference loads, admin events: recorded as they are
}

}  // namespace kiosk::central
