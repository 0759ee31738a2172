// Kiosk actions: every one checks the program's rules first, then writes one journal event and
// its state change in one transaction (Impl::Act). A refusal writes nothing.
#include <algorithm>
#include <cmath>
#include <set>

#include "kiosk/core/crypto.hpp"
#include "kiosk/core/signature.hpp"
#include "kiosk/core/rules/deals.hpp"
#include "kiosk/core/rules/devices.hpp"
#include "kiosk/core/rules/orders.hpp"
#include "kiosk/core/rules/partners.hpp"
#include "kiosk/core/rules/sellout.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"
#include "storage/reference_store.hpp"

namespace kiosk {

using nlohmann::json;

namespace {

using rules::Points;
using rules::StateInSentence;


// Resolves the codes of one request to devices, adding kit members, without duplicates.
Result<std::vector<Device>> ResolveUnits(Kiosk::Impl& m, const std::vector<std::string>& codes, bool with_kits) {
  if (codes.empty())
    return MakeError(ErrorKind::Usage, "request.no_units", "Scan at least one demo unit.");
  std::vector<Device> out;
  std::set<std::string> seen;
  for (const std::string& code : codes) {
    auto d = m.LookupDevice(code);
    if (!d.ok()) return d.error();
    std::vector<Device> group{*d};
    if (with_kits && !d->kit.empty()) group = m.KitMembers(d->kit);
    for (Device& g : group)
      if (seen.insert(g.asset_tag).second) out.push_back(std::move(g));
  }
  return out;
}

kiosk::Status RecordDeviceEvents(storage::ActivityStore& activity, const std::vector<Device>& devices, int64_t seq) {
  for (const Device& d : devices) KIOSK_TRY(activity.LinkDeviceEvent(d.asset_tag, seq));
  return {};
}

Receipt MakeReceipt(const Event& e, std::string message, std::vector<Warning> warnings = {}, ReasonArgs args = {}) {
  Receipt r;
  r.seq = e.seq;
  r.event_id = e.event_id;
  r.type = e.type;
  r.message = std::move(message);
  r.warnings = std::move(warnings);
  r.args = std::move(args);
  r.payload = json::parse(e.payload);
  return r;
}

}  // namespace

// ---- Partners ------------------------------------------------------------------------------

Result<PartnerView> Kiosk::CheckPartnerCard(std::string_view card) {
  auto v = GetPartner(card);
  if (!v.ok()) return v.error();
  KIOSK_TRY(rules::CheckCard(v->card_number, v->card_status, v->partner));
  return v;
}

// ---- Demo equipment ------------------------------------------------------------------------

Result<Device> Kiosk::CheckCheckoutUnit(std::string_view code) {
  Impl& m = *m_impl;
  auto d = m.LookupDevice(code);
  if (!d.ok()) return d.error();
  std::vector<Device> group{*d};
  if (!d->kit.empty()) group = m.KitMembers(d->kit);
  for (const Device& g : group) {
    if (g.state == DeviceState::Available) continue;
    std::string name;
    if (!g.custodian.empty())
      if (auto b = m.LookupBadge(g.custodian); b.ok()) name = b->name;
    KIOSK_TRY(rules::CheckCheckoutUnit(g, name));
  }
  return *d;
}

Result<Receipt> Kiosk::Checkout(const CheckoutRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto rep = m.RequireBadge(r.rep_badge, {Role::Rep}, "check out demo units");
  if (!rep.ok()) return rep.error();
  for (const std::string& code : r.codes) {
    auto ok = CheckCheckoutUnit(code);
    if (!ok.ok()) return ok.error();
  }
  auto units = ResolveUnits(m, r.codes, true);
  if (!units.ok()) return units.error();

  const Settings settings = m.LoadSettings();
  const auto today = std::chrono::floor<std::chrono::days>(m.clock->Now());
  auto due_date = rules::CheckDueDate(r.due_date, today, settings.default_loan_days);
  if (!due_date.ok()) return due_date.error();
  const std::string due = *due_date;
  std::string purpose = Trimmed(r.purpose);
  if (purpose.empty()) purpose = "Customer demo";
  if (purpose.size() > 200) purpose.resize(200);

  events::DeviceCheckedOut payload{.rep = rep->code, .due_date = due, .purpose = purpose};
  for (const Device& d : *units) payload.devices.push_back({d.asset_tag, d.gtin, d.serial});
  if (!r.signature_svg.empty()) {
    // Kept as evidence: the strokes themselves, in the event, so the chain binds them to it.
    auto sig = ParseSignaturePath(r.signature_svg);
    if (!sig.ok()) return sig.error();
    payload.signature = CompactSignaturePath(*sig);
    payload.signature_sha256 = crypto::Sha256Hex(*payload.signature);
  } else {
    const std::string why = Trimmed(r.no_signature_reason);
    payload.signature_none = why.empty() ? "not given" : why.substr(0, 200);
  }

  auto e = m.Act(payload, rep->code, [&](int64_t seq) -> kiosk::Status {
    storage::ActivityStore activity(*m.db);
    for (const Device& d : *units) KIOSK_TRY(activity.MarkCheckedOut(d.asset_tag, rep->code, due, purpose));
    return RecordDeviceEvents(activity, *units, seq);
  });
  if (!e.ok()) return e.error();
  const size_t n = units->size();
  return MakeReceipt(*e,
                     std::to_string(n) + (n == 1 ? " unit" : " units") + " checked out to " + rep->name +
                         ", due back " + due + ".",
                     {}, {{"count", std::to_string(n)}, {"rep", rep->name}, {"due", due}});
}

Result<DeviceView> Kiosk::CheckCheckinUnit(std::string_view code) {
  auto v = GetDevice(code);
  if (!v.ok()) return v.error();
  KIOSK_TRY(rules::CheckCheckinUnit(v->device));
  return v;
}

Result<Receipt> Kiosk::Checkin(const CheckinRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto by = m.RequireBadge(r.by_badge, {Role::Staff, Role::Rep, Role::Admin}, "check in demo units");
  if (!by.ok()) return by.error();
  auto units = ResolveUnits(m, r.codes, true);
  if (!units.ok()) return units.error();
  // Kit members that are not out (an accessory returned earlier) are simply skipped; a scanned
  // unit that is not out is refused.
  std::vector<Device> out_units;
  std::set<std::string> scanned_tags;
  for (const std::string& code : r.codes)
    if (auto d = m.LookupDevice(code); d.ok()) scanned_tags.insert(d->asset_tag);
  for (const Device& d : *units) {
    if (rules::IsOut(d.state)) out_units.push_back(d);
    else if (scanned_tags.count(d.asset_tag)) KIOSK_TRY(rules::CheckCheckinUnit(d));
  }
  std::string condition = Trimmed(r.condition);
  if (condition.empty()) condition = "ok";
  if (condition.size() > 200) condition.resize(200);
  std::string lower = condition;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool damaged = lower.rfind("damaged", 0) == 0 || lower.rfind("broken", 0) == 0;
  const DeviceState state_after = damaged ? DeviceState::Repair : DeviceState::Available;

  events::DeviceCheckedIn payload{.by = by->code, .condition = condition, .state_after = std::string(ToString(state_after))};
  for (const Device& d : out_units) payload.devices.push_back({d.asset_tag, d.gtin, d.serial, d.custodian, d.due_date});
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    storage::ActivityStore activity(*m.db);
    for (const Device& d : out_units) KIOSK_TRY(activity.MarkReturned(d.asset_tag, state_after));
    return RecordDeviceEvents(activity, out_units, seq);
  });
  if (!e.ok()) return e.error();
  const size_t n = out_units.size();
  std::string msg = std::to_string(n) + (n == 1 ? " unit" : " units") + " checked in";
  msg += damaged ? " and sent to repair (" + condition + ")." : ", condition " + condition + ".";
  // For the screen's language: "ok" is a key, and of "damaged: toner low" only what the person
  // wrote ("toner low"); the repair receipt already says the unit is damaged.
  std::string said = condition;
  if (damaged) {
    const size_t colon = said.find(':');
    said = colon == std::string::npos ? std::string() : Trimmed(said.substr(colon + 1));
    if (said.empty()) said = "condition.damaged";
  } else if (lower == "ok") {
    said = "condition.ok";
  }
  Receipt receipt = MakeReceipt(*e, msg, {}, {{"count", std::to_string(n)}, {"condition", said}});
  if (damaged) receipt.variant = "repair";
  return receipt;
}

Result<Receipt> Kiosk::Audit(const AuditRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto by = m.RequireBadge(r.by_badge, {Role::Staff, Role::Rep, Role::Admin}, "record a stocktake");
  if (!by.ok()) return by.error();
  auto units = ResolveUnits(m, r.codes, false);
  if (!units.ok()) return units.error();
  std::vector<Warning> warnings;
  events::DeviceAudited payload{.by = by->code};
  for (const Device& d : *units) {
    payload.devices.push_back({d.asset_tag, d.gtin, d.serial, std::string(ToString(d.state))});
    if (d.state != DeviceState::Available && d.state != DeviceState::Repair)
      warnings.push_back({d.custodian.empty() ? "audit.recorded_as" : "audit.recorded_as_with",
                          d.asset_tag + " was found in the showroom but is recorded as " + StateInSentence(d.state) +
                              (d.custodian.empty() ? "" : " (" + d.custodian + ")") + ".",
                          {{"tag", d.asset_tag}, {"state", StateKey(d.state)}, {"custodian", d.custodian}}});
  }
  const std::string now = FormatUtc(m.clock->Now());
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    storage::ActivityStore activity(*m.db);
    for (const Device& d : *units) KIOSK_TRY(activity.MarkAudited(d.asset_tag, now));
    return RecordDeviceEvents(activity, *units, seq);
  });
  if (!e.ok()) return e.error();
  return MakeReceipt(*e, std::to_string(units->size()) + " units recorded in the stocktake.", warnings,
                     {{"count", std::to_string(units->size())}});
}

// ---- Partner actions -----------------------------------------------------------------------

Result<Receipt> Kiosk::OrderDemo(const DemoOrderRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto by = m.RequireBadge(r.by_badge, {Role::Staff, Role::Admin}, "order demo units");
  if (!by.ok()) return by.error();
  auto p = m.RequirePartner(r.partner_card, "order demo units");
  if (!p.ok()) return p.error();
  auto model = m.LookupModel(r.model_gtin);
  if (!model.ok()) return model.error();
  KIOSK_TRY(rules::CheckOrderableModel(*model));
  KIOSK_TRY(rules::CheckOrderQty(r.qty));
  KIOSK_TRY(m.StaleGuard("demo orders"));
  const int quota = rules::DemoQuota(*model, p->partner.tier);
  // The channel's open orders as the central last counted them, plus ours since (issue 17): an
  // estimate offline; the central's verdict on the order is the one that holds.
  auto open =
      storage::ActivityStore(*m.db).OpenOrderUnits(p->partner.id, model->gtin, m.SyncState().ChannelOrdersCover());
  if (!open.ok()) return open.error();
  const int64_t open_units = *open;
  KIOSK_TRY(rules::CheckDemoQuota(p->partner, *model, r.qty, open_units));
  const events::DemoOrdered payload{.partner_id = p->partner.id,
                                    .card = p->card_number,
                                    .gtin = model->gtin,
                                    .model = model->name,
                                    .qty = r.qty,
                                    .tier = std::string(ToString(p->partner.tier))};
  const std::string now = FormatUtc(m.clock->Now());
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    return storage::ActivityStore(*m.db).AddDemoOrder(
        {.seq = seq, .partner_id = p->partner.id, .gtin = model->gtin, .qty = r.qty, .created = now});
  });
  if (!e.ok()) return e.error();
  return MakeReceipt(*e,
                     "Demo order logged: " + std::to_string(r.qty) + " × " + model->name + " for " + p->partner.name +
                         " (" + std::to_string(open_units + r.qty) + " of " + std::to_string(quota) + " open).",
                     {},
                     {{"qty", std::to_string(r.qty)},
                      {"model", model->name},
                      {"partner", p->partner.name},
                      {"open", std::to_string(open_units + r.qty)},
                      {"quota", std::to_string(quota)}});
}

Result<std::optional<rules::AllocationFacts>> Kiosk::Impl::AllocationOf(const std::string& reward_id) {
  storage::ActivityStore activity(*db);
  auto a = activity.FindAllocation(reward_id);
  if (!a.ok()) return a.error();
  if (!*a) return std::optional<rules::AllocationFacts>();
  // Units redeemed here after the seq the central's `used` counts through: not in it yet.
  auto unsynced = activity.RedeemedUnits(reward_id, SyncState().RewardAllocationsCover());
  if (!unsynced.ok()) return unsynced.error();
  return std::optional(rules::AllocationFacts{(*a)->allocated, (*a)->used, *unsynced});
}

Result<RedeemPlan> Kiosk::Impl::PlanRedemption(const PartnerCtx& p, const Reward& reward, int qty) {
  auto allocation = AllocationOf(reward.id);
  if (!allocation.ok()) return allocation.error();
  KIOSK_TRY(rules::CheckReward(reward, qty, *allocation));
  KIOSK_TRY(StaleGuard("redemptions"));
  const Settings s = LoadSettings();
  auto balance = LookupBalance(p.partner.id);
  if (!balance.ok()) return balance.error();
  rules::OfflineFacts facts;
  facts.synced_available = balance->available;
  const int64_t covers = CoversSeq();
  storage::ActivityStore activity(*db);
  auto held = activity.HeldFor(p.partner.id, covers);
  if (!held.ok()) return held.error();
  facts.held_partner = held->points;
  facts.count_partner = held->redemptions;
  auto held_kiosk = activity.HeldByKiosk(covers);
  if (!held_kiosk.ok()) return held_kiosk.error();
  facts.held_kiosk = *held_kiosk;
  return rules::PlanRedemption(p.partner, reward, qty, facts, s);
}

Result<Receipt> Kiosk::Redeem(const RedeemRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto by = m.RequireBadge(r.by_badge, {Role::Staff, Role::Admin}, "redeem rewards");
  if (!by.ok()) return by.error();
  auto p = m.RequirePartner(r.partner_card, "redeem rewards");
  if (!p.ok()) return p.error();
  auto reward = m.LookupReward(r.reward_id);
  if (!reward.ok()) return reward.error();
  KIOSK_TRY(rules::CheckRewardQty(r.qty));
  auto plan = m.PlanRedemption(*p, *reward, r.qty);
  if (!plan.ok()) return plan.error();
  const events::LoyaltyRedeemed payload{.partner_id = p->partner.id,
                                        .card = p->card_number,
                                        .reward_id = reward->id,
                                        .reward = reward->name,
                                        .qty = r.qty,
                                        .points_each = reward->points,
                                        .points = plan->cost,
                                        .available_before = plan->available};
  const std::string now = FormatUtc(m.clock->Now());
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    return storage::ActivityStore(*m.db).AddRedemption({.seq = seq,
                                                        .partner_id = p->partner.id,
                                                        .reward_id = reward->id,
                                                        .qty = r.qty,
                                                        .points = plan->cost,
                                                        .created = now});
  });
  if (!e.ok()) return e.error();
  return MakeReceipt(*e,
                     reward->name + (r.qty > 1 ? " × " + std::to_string(r.qty) : "") + " redeemed for " +
                         p->partner.name + ": " + Points(plan->cost) + " points. " +
                         Points(plan->available - plan->cost) + " points left (to be confirmed at the next sync).",
                     plan->warnings,
                     {{"reward", reward->name},
                      {"qty", std::to_string(r.qty)},
                      {"partner", p->partner.name},
                      {"cost", Points(plan->cost)},
                      {"left", Points(plan->available - plan->cost)}});
}

Result<std::pair<std::string, std::string>> Kiosk::CheckSelloutUnit(std::string_view code) {
  Impl& m = *m_impl;
  auto unit = rules::SoldUnitFromScan(m.classifier.Classify(code), code);
  if (!unit.ok()) return unit.error();
  // A demo unit is never sold; a unit is reported sold once.
  auto demo = storage::ReferenceStore(*m.db).FindDevice(unit->gtin, unit->serial);
  if (!demo.ok()) return demo.error();
  auto dup = storage::ActivityStore(*m.db).SelloutSeq(unit->gtin, unit->serial);
  if (!dup.ok()) return dup.error();
  const std::optional<std::string> demo_tag = *demo ? std::optional<std::string>((*demo)->asset_tag) : std::nullopt;
  KIOSK_TRY(rules::CheckSoldUnit(*unit, demo_tag, *dup));
  return std::make_pair(unit->gtin, unit->serial);
}

Result<Receipt> Kiosk::ReportSellout(const SelloutRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto by = m.RequireBadge(r.by_badge, {Role::Staff, Role::Admin}, "file sell-out reports");
  if (!by.ok()) return by.error();
  auto p = m.RequirePartner(r.partner_card, "file sell-out reports");
  if (!p.ok()) return p.error();
  if (r.codes.empty()) return MakeError(ErrorKind::Usage, "request.no_units", "Scan at least one sold unit.", {}, "sold");
  std::vector<std::pair<std::string, std::string>> units;
  std::set<std::pair<std::string, std::string>> seen;
  for (const std::string& code : r.codes) {
    auto u = CheckSelloutUnit(code);
    if (!u.ok()) return u.error();
    if (!seen.insert(*u).second)
      return MakeError(ErrorKind::Usage, "sellout.scanned_twice", "Serial " + u->second + " was scanned twice.",
                       {{"serial", u->second}});
    units.push_back(*u);
  }
  std::vector<Warning> warnings;
  rules::AddSelloutWarnings(p->partner, warnings);
  events::SelloutReported payload{.partner_id = p->partner.id, .card = p->card_number};
  for (const auto& [g, s] : units) payload.units.push_back({g, s});
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    storage::ActivityStore activity(*m.db);
    for (const auto& [g, s] : units)
      KIOSK_TRY(activity.AddSellout({.gtin = g, .serial = s, .partner_id = p->partner.id, .seq = seq}));
    return {};
  });
  if (!e.ok()) return e.error();
  // What the report will earn, by the rule the central credits with (rules/earning.hpp): the
  // receipt says about how much, and that it comes when the central accepts the report, or why
  // there is none.
  std::vector<std::pair<std::string, int64_t>> per_gtin;
  for (const auto& [g, s] : units) {
    auto it = std::find_if(per_gtin.begin(), per_gtin.end(), [&](const auto& x) { return x.first == g; });
    if (it == per_gtin.end()) per_gtin.emplace_back(g, 1);
    else ++it->second;
  }
  auto earning = m.EstimateEarning(p->partner, per_gtin);
  const int64_t points = earning.ok() ? earning->points : 0;
  const int64_t earning_units = earning.ok() ? earning->earning_units : 0;
  const std::string count = std::to_string(units.size());
  const std::string unit_word = units.size() == 1 ? " unit" : " units";
  std::string message = "Sell-out of " + count + unit_word + " logged for " + p->partner.name;
  std::string variant;
  if (points > 0 && earning_units == static_cast<int64_t>(units.size())) {
    message += ": about " + Points(points) + " points, credited when the central accepts the report.";
  } else if (points > 0) {
    variant = "partial";
    message += ": about " + Points(points) + " points for " + std::to_string(earning_units) + " of them, credited "
               "when the central accepts the report; the other models earn no points.";
  } else if (p->partner.status == PartnerStatus::Suspended) {
    variant = "suspended";
    message += ", without points.";
  } else {
    variant = "no_rule";
    message += ": no points, as these models have no earning rule.";
  }
  Receipt receipt = MakeReceipt(*e, message, warnings,
                                {{"count", count},
                                 {"partner", p->partner.name},
                                 {"points", Points(points)},
                                 {"earning", std::to_string(earning_units)}});
  receipt.variant = variant;
  return receipt;
}

Result<Receipt> Kiosk::RegisterDeal(const DealRequest& r) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());
  auto by = m.RequireBadge(r.by_badge, {Role::Staff, Role::Admin}, "register deals");
  if (!by.ok()) return by.error();
  auto p = m.RequirePartner(r.partner_card, "register deals");
  if (!p.ok()) return p.error();
  auto fields = rules::CheckDealFields(r.customer, r.product, r.value, r.close_date,
                                       std::chrono::floor<std::chrono::days>(m.clock->Now()));
  if (!fields.ok()) return fields.error();
  const std::string& customer = fields->customer;
  const std::string& product = fields->product;
  const double value = fields->value_eur;
  const events::DealRegistered payload{.partner_id = p->partner.id,
                                       .card = p->card_number,
                                       .customer = customer,
                                       .product = product,
                                       .value_eur_cents = static_cast<int64_t>(value * 100),
                                       .close_date = r.close_date};
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    return storage::ActivityStore(*m.db).AddDeal({.seq = seq,
                                                  .partner_id = p->partner.id,
                                                  .customer = customer,
                                                  .product = product,
                                                  .value_eur = value,
                                                  .close_date = r.close_date,
                                                  .registered_at = FormatUtc(m.clock->Now())});
  });
  if (!e.ok()) return e.error();
  // What happens next: the central checks the deal when it arrives (a duplicate of another
  // partner's approved deal, a suspended partner: rejected) and the vendor decides the rest by
  // the deadline, 2 business days from now (kiosk/core/rules/deals.hpp).
  const auto registered = std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ParseUtcMs(e->wall_time).value_or(0))));
  const std::string due = FormatDate(rules::DealDecisionDue(registered));
  return MakeReceipt(*e,
                     "Deal registered for " + p->partner.name + ": " + customer + ", " + product +
                         ". It goes to the vendor with the next sync; the vendor decides by " + due +
                         " (2 business days). The decision shows on the partner's screen and in `kiosk deals`.",
                     {}, {{"partner", p->partner.name}, {"customer", customer}, {"product", product}, {"due", due}});
}

// ---- Admin ---------------------------------------------------------------------------------

Result<Badge> Kiosk::UnlockAdmin(std::string_view badge_code, std::string_view pin) {
  Impl& m = *m_impl;
  constexpr int kMaxTries = 5;
  constexpr int64_t kLockMs = 5 * 60 * 1000;
  auto admin = m.RequireBadge(badge_code, {Role::Admin}, "open the admin screen");
  if (!admin.ok()) return admin.error();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(m.clock->Now().time_since_epoch()).count();
  const int64_t locked_until = std::strtoll(m.LocalValue(LocalKey::PinLockedUntil, "0").c_str(), nullptr, 10);
  if (now_ms < locked_until) {
    const int64_t secs = (locked_until - now_ms + 999) / 1000;
    return MakeError(ErrorKind::Refused, "admin.locked",
                     "Too many wrong PINs: the admin screen is locked for " + std::to_string(secs / 60) + " min " +
                         std::to_string(secs % 60) + " s.",
                     {{"min", std::to_string(secs / 60)}, {"s", std::to_string(secs % 60)}});
  }
  if (crypto::VerifyPin(pin, admin->pin_hash)) {
    if (m.db->ReadOnly()) return admin;  // a damaged database can still be inspected
    (void)m.SetLocal(LocalKey::PinFailures, "0");
    return admin;
  }
  if (m.db->ReadOnly())
    return MakeError(ErrorKind::Refused, "admin.wrong_pin", "Wrong PIN.", {}, "unsaved");
  const int failures = static_cast<int>(std::strtol(m.LocalValue(LocalKey::PinFailures, "0").c_str(), nullptr, 10)) + 1;
  const bool lock = failures >= kMaxTries;
  // Wrong PINs are security events: journaled, with the lockout, in one transaction.
  auto journal_lockout = [&](int64_t) -> kiosk::Status {
    KIOSK_TRY(m.SetLocal(LocalKey::PinFailures, lock ? "0" : std::to_string(failures)));
    if (lock) KIOSK_TRY(m.SetLocal(LocalKey::PinLockedUntil, std::to_string(now_ms + kLockMs)));
    return {};
  };
  auto e = lock ? m.Act(events::AdminLockedOut{admin->code, failures}, admin->code, journal_lockout)
                : m.Act(events::AdminPinFailed{admin->code, failures}, admin->code, journal_lockout);
  if (!e.ok()) return e.error();
  if (lock)
    return MakeError(ErrorKind::Refused, "admin.locked",
                     "Wrong PIN. That was the " + std::to_string(kMaxTries) +
                         "th wrong PIN: the admin screen is locked for 5 minutes.",
                     {{"tries", std::to_string(kMaxTries)}}, "now");
  const int left = kMaxTries - failures;
  return MakeError(ErrorKind::Refused, "admin.wrong_pin",
                   "Wrong PIN. " + std::to_string(left) + (left == 1 ? " try" : " tries") + " left before a 5-minute lock.",
                   {{"left", std::to_string(left)}}, left == 1 ? "last" : "");
}

}  // namespace kiosk
