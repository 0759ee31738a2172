// Stocktake sessions: the rule (rules::ClassifyStocktake) over the units the kiosk's records put in
// the scope and the scans kept in storage/stocktake_store as they are made. The scans are not
// journaled one by one: an open count is work in progress that may be cancelled, and the central
// needs its result, so finishing journals one stocktake.finished event and clears the session in
// the same transaction.
#include <map>
#include <set>

#include "kiosk/core/rules/devices.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/activity_store.hpp"
#include "storage/reference_store.hpp"
#include "storage/stocktake_store.hpp"

namespace kiosk {

namespace {

constexpr std::initializer_list<Role> kStocktakeRoles = {Role::Staff, Role::Rep, Role::Admin};

Error NoSession() {
  return MakeError(ErrorKind::NotFound, "stocktake.none",
                   "No stocktake is open: start one first (`kiosk stocktake start --badge B`).");
}

std::string ScopeInSentence(const std::string& scope) { return scope.empty() ? "everything" : scope; }

// A unit as the screens and the CLI show it; names looked up once per model and custodian.
class UnitNamer {
 public:
  explicit UnitNamer(Kiosk::Impl& m) : m_m(m) {}
  StocktakeUnitView View(const Device& d, std::string status, bool scanned) {
    StocktakeUnitView v;
    v.asset_tag = d.asset_tag;
    auto [it, fresh] = m_models.try_emplace(d.gtin);
    if (fresh) {
      auto model = m_m.LookupModel(d.gtin);
      it->second = model.ok() ? model->name : d.gtin;
    }
    v.model = it->second;
    v.location = d.location;
    v.state = d.state;
    v.custodian = d.custodian;
    if (!d.custodian.empty())
      if (auto b = m_m.LookupBadge(d.custodian); b.ok()) v.custodian_name = b->name;
    v.scanned = scanned;
    v.status = std::move(status);
    return v;
  }

 private:
  Kiosk::Impl& m_m;
  std::map<std::string, std::string> m_models;
};

struct Counted {
  storage::StocktakeSessionRow session;
  std::vector<std::string> scans;
  std::vector<Device> units;  // expected in the scope, then the scanned ones that are not
};

Result<Counted> Count(Kiosk::Impl& m) {
  storage::StocktakeStore store(*m.db);
  auto open = store.Open();
  if (!open.ok()) return open.error();
  if (!*open) return NoSession();
  Counted c{**open, {}, {}};
  auto scans = store.Scans();
  if (!scans.ok()) return scans.error();
  c.scans = std::move(*scans);
  storage::ReferenceStore ref(*m.db);
  auto units = ref.AvailableUnitsIn(c.session.scope);
  if (!units.ok()) return units.error();
  c.units = std::move(*units);
  std::set<std::string> have;
  for (const Device& d : c.units) have.insert(d.asset_tag);
  for (const std::string& tag : c.scans) {
    if (have.count(tag)) continue;
    auto d = ref.FindDevice(tag);
    if (!d.ok()) return d.error();
    if (*d) c.units.push_back(std::move(**d));  // a unit the reference data dropped since is left out
  }
  return c;
}

StocktakeView ViewOf(const Counted& c, UnitNamer& names) {
  StocktakeView v{c.session.scope, c.session.started_by, c.session.started_at, 0, 0, {}, {}};
  const std::set<std::string> seen(c.scans.begin(), c.scans.end());
  for (const Device& d : c.units) {
    const bool scanned = seen.count(d.asset_tag) > 0;
    if (rules::ExpectedInStocktake(d, c.session.scope)) {
      ++v.expected;
      v.ticked += scanned;
      v.expected_units.push_back(names.View(d, scanned ? "found" : "missing", scanned));
    }
  }
  // The extras in the order they were scanned, so the newest is last on the screen.
  std::map<std::string, const Device*> by_tag;
  for (const Device& d : c.units) by_tag[d.asset_tag] = &d;
  for (const std::string& tag : c.scans) {
    auto it = by_tag.find(tag);
    if (it == by_tag.end() || rules::ExpectedInStocktake(*it->second, c.session.scope)) continue;
    v.extra.push_back(names.View(*it->second, std::string(rules::ToString(rules::ClassifyScan(*it->second, c.session.scope))), true));
  }
  return v;
}

}  // namespace

Result<std::vector<std::string>> Kiosk::StocktakeScopes() {
  auto locations = storage::ReferenceStore(*m_impl->db).AvailableLocations();
  if (!locations.ok()) return locations.error();
  return rules::StocktakeScopes(*locations);
}

Result<StocktakeView> Kiosk::StartStocktake(std::string_view by_badge, std::string_view scope_text) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  KIOSK_TRY(m.RequireJournalInStep());  // its finish could not be journaled
  auto by = m.RequireBadge(by_badge, kStocktakeRoles, "take stock");
  if (!by.ok()) return by.error();
  auto locations = storage::ReferenceStore(*m.db).AvailableLocations();
  if (!locations.ok()) return locations.error();
  auto scope = rules::CheckStocktakeScope(scope_text, *locations);
  if (!scope.ok()) return scope.error();
  storage::Transaction tx(*m.db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(storage::StocktakeStore(*m.db).Start({*scope, by->code, FormatUtc(m.clock->Now())}));
  KIOSK_TRY(tx.Commit());
  return CurrentStocktake();
}

Result<StocktakeView> Kiosk::CurrentStocktake() {
  Impl& m = *m_impl;
  storage::ReadSnapshot snapshot(*m.db);
  auto c = Count(m);
  if (!c.ok()) return c.error();
  UnitNamer names(m);
  return ViewOf(*c, names);
}

Result<StocktakeScanResult> Kiosk::StocktakeScan(std::string_view code) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  storage::StocktakeStore store(*m.db);
  auto open = store.Open();
  if (!open.ok()) return open.error();
  if (!*open) return NoSession();
  auto d = m.LookupDevice(code);
  if (!d.ok()) {
    // A card or a badge read by mistake: say what it is rather than "no demo unit".
    if (auto r = Resolve(code); r.ok() && (r->kind == EntityKind::PartnerCard || r->kind == EntityKind::Badge))
      return MakeError(ErrorKind::NotFound, "stocktake.not_a_unit",
                       "That is " + std::string(r->kind == EntityKind::Badge ? "a staff badge" : "a partner card") +
                           " (" + r->label + "), not a demo unit: scan the unit's asset tag or serial barcode.",
                       {{"what", r->kind == EntityKind::Badge ? "badge" : "card"}, {"label", r->label}},
                       r->kind == EntityKind::Badge ? "badge" : "card");
    return d.error();
  }
  auto added = store.AddScan(d->asset_tag, FormatUtc(m.clock->Now()));
  if (!added.ok()) return added.error();
  auto session = CurrentStocktake();
  if (!session.ok()) return session.error();
  UnitNamer names(m);
  const auto cls = rules::ClassifyScan(*d, (*open)->scope);
  return StocktakeScanResult{names.View(*d, std::string(rules::ToString(cls)), true), !*added, std::move(*session)};
}

Result<StocktakeReportView> Kiosk::FinishStocktake(std::string_view by_badge) {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  auto c = Count(m);
  if (!c.ok()) return c.error();
  auto by = m.RequireBadge(by_badge.empty() ? std::string_view(c->session.started_by) : by_badge, kStocktakeRoles,
                           "take stock");
  if (!by.ok()) return by.error();
  const rules::StocktakeReport rep = rules::ClassifyStocktake(c->session.scope, c->units, c->scans);

  events::StocktakeFinished payload{.by = by->code,
                                    .scope = rep.scope,
                                    .started_at = c->session.started_at,
                                    .expected = rep.expected};
  for (const Device& d : rep.found) payload.found.push_back(d.asset_tag);
  for (const Device& d : rep.missing) payload.missing.push_back(d.asset_tag);
  for (const Device& d : rep.misplaced) payload.misplaced.push_back({d.asset_tag, std::nullopt, d.location, std::nullopt});
  for (const Device& d : rep.unexpected)
    payload.unexpected.push_back({d.asset_tag, d.custodian.empty() ? std::nullopt : std::optional(d.custodian),
                                  std::nullopt, std::string(ToString(d.state))});

  const std::string now = FormatUtc(m.clock->Now());
  auto e = m.Act(payload, by->code, [&](int64_t seq) -> kiosk::Status {
    storage::ActivityStore activity(*m.db);
    // Every unit the count says something about gets the event in its history; the ones seen
    // get their last audit time too.
    for (const auto* list : {&rep.found, &rep.misplaced, &rep.unexpected})
      for (const Device& d : *list) {
        KIOSK_TRY(activity.MarkAudited(d.asset_tag, now));
        KIOSK_TRY(activity.LinkDeviceEvent(d.asset_tag, seq));
      }
    for (const Device& d : rep.missing) KIOSK_TRY(activity.LinkDeviceEvent(d.asset_tag, seq));
    return storage::StocktakeStore(*m.db).Clear();
  });
  if (!e.ok()) return e.error();

  StocktakeReportView out;
  out.scope = rep.scope;
  out.expected = rep.expected;
  UnitNamer names(m);
  for (const Device& d : rep.found) out.found.push_back(names.View(d, "found", true));
  for (const Device& d : rep.missing) out.missing.push_back(names.View(d, "missing", false));
  for (const Device& d : rep.misplaced) out.misplaced.push_back(names.View(d, "misplaced", true));
  for (const Device& d : rep.unexpected) out.unexpected.push_back(names.View(d, "unexpected", true));

  Receipt& r = out.receipt;
  r.seq = e->seq;
  r.event_id = e->event_id;
  r.type = e->type;
  r.payload = nlohmann::json::parse(e->payload);
  const auto n = [](size_t v) { return std::to_string(v); };
  r.message = "Stocktake of " + ScopeInSentence(rep.scope) + ": " + n(rep.found.size()) + " of " + n(rep.expected) +
              (rep.expected == 1 ? " unit" : " units") + " found, " + n(rep.missing.size()) + " missing, " +
              n(rep.misplaced.size()) + " misplaced, " + n(rep.unexpected.size()) + " unexpected.";
  r.args = {{"scope", rep.scope},
            {"found", n(rep.found.size())},
            {"expected", n(rep.expected)},
            {"missing", n(rep.missing.size())},
            {"misplaced", n(rep.misplaced.size())},
            {"unexpected", n(rep.unexpected.size())}};
  if (rep.scope.empty()) r.variant = "all";
  return out;
}

Result<StocktakeView> Kiosk::CancelStocktake() {
  Impl& m = *m_impl;
  KIOSK_TRY(m.RequireWritable());
  auto v = CurrentStocktake();
  if (!v.ok()) return v.error();
  storage::Transaction tx(*m.db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(storage::StocktakeStore(*m.db).Clear());
  KIOSK_TRY(tx.Commit());
  return v;
}

}  // namespace kiosk
