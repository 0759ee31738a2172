// `kiosk stocktake start|scan|status|finish|cancel`: a stocktake session over kiosk::Kiosk, the
// same one the touchscreen's Stocktake screen drives. The session lives in the kiosk's database,
// so its commands may run minutes apart, and a session started on the touchscreen can be seen or
// finished here.
#include <CLI/CLI.hpp>

#include <sstream>

#include "kiosk/cli/cli.hpp"
#include "kiosk/cli/output.hpp"
#include "kiosk/services/kiosk.hpp"

namespace kiosk::cli {
namespace {

using nlohmann::json;

std::string ScopeName(const std::string& scope) { return scope.empty() ? "everything on record" : scope; }

json UnitJson(const StocktakeUnitView& u) {
  return json{{"asset_tag", u.asset_tag}, {"model", u.model},         {"location", u.location},
              {"state", ToString(u.state)}, {"custodian", u.custodian}, {"custodian_name", u.custodian_name},
              {"scanned", u.scanned},     {"status", u.status}};
}

json UnitsJson(const std::vector<StocktakeUnitView>& units) {
  json a = json::array();
  for (const auto& u : units) a.push_back(UnitJson(u));
  return a;
}

json SessionJson(const StocktakeView& v) {
  return json{{"ok", true},           {"scope", v.scope},       {"started_by", v.started_by},
              {"started_at", v.started_at}, {"expected", v.expected}, {"ticked", v.ticked},
              {"left", v.expected - v.ticked}, {"units", UnitsJson(v.expected_units)}, {"extra", UnitsJson(v.extra)}};
}

// Where the record puts a unit, for a person: its location, or who has it.
std::string Whereabouts(const StocktakeUnitView& u) {
  if (u.state == DeviceState::Available) return "recorded at " + u.location;
  std::string s = "recorded as " + std::string(DisplayName(u.state));
  s[12] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[12])));
  if (!u.custodian.empty()) s += " to " + (u.custodian_name.empty() ? u.custodian : u.custodian_name + " (" + u.custodian + ")");
  else if (!u.location.empty()) s += " (" + u.location + ")";
  return s;
}

std::string UnitLine(const StocktakeUnitView& u) { return u.asset_tag + "  " + u.model; }

std::string SessionHuman(const StocktakeView& v) {
  std::ostringstream o;
  o << "Stocktake of " << ScopeName(v.scope) << " (started " << v.started_at << " by " << v.started_by << "): "
    << v.ticked << " of " << Count(v.expected, "unit", "units") << " ticked, " << (v.expected - v.ticked) << " left.\n";
  for (const auto& u : v.expected_units)
    o << "  [" << (u.scanned ? 'x' : ' ') << "] " << UnitLine(u) << "  (" << u.location << ")\n";
  for (const auto& u : v.extra) o << "  [" << u.status << "] " << UnitLine(u) << ": " << Whereabouts(u) << "\n";
  return o.str();
}

void Section(std::ostringstream& o, const char* title, const std::vector<StocktakeUnitView>& units, bool where) {
  o << "  " << title << " (" << units.size() << ")" << (units.empty() ? "" : ":") << "\n";
  for (const auto& u : units) o << "    " << UnitLine(u) << (where ? ": " + Whereabouts(u) : "  (" + u.location + ")") << "\n";
}

}  // namespace

void RegisterStocktakeCommands(CLI::App& app, Context& ctx) {
  CLI::App* st = app.add_subcommand("stocktake", "Count the demo units of the showroom or one bay: start, scan, status, finish, cancel");
  st->require_subcommand(1);

  struct StartArgs {
    std::string badge;
    std::string scope;
  };
  auto start = std::make_shared<StartArgs>();
  CLI::App* start_cmd = st->add_subcommand("start", "Open a stocktake: everything on record, an area or one bay");
  start_cmd->add_option("--badge,--by", start->badge, "Badge of the person counting (staff, rep or admin)")->required();
  start_cmd->add_option("--bay,--scope,--location", start->scope,
                        "What to count: an area (\"Showroom A\") or a location (\"Showroom A, bay 2\"); default everything");
  start_cmd->callback([&ctx, start] {
    auto k = OpenKiosk(ctx);
    if (!k) return;
    auto v = k->StartStocktake(start->badge, start->scope);
    if (!v.ok()) return ReportError(ctx, v.error());
    Emit(ctx, SessionJson(*v),
         "Stocktake of " + ScopeName(v->scope) + " started: " + Count(v->expected, "unit", "units") +
             " expected.\nScan them with `kiosk stocktake scan CODE...`; `kiosk stocktake status` shows what is "
             "left; `kiosk stocktake finish` ends it with the report.");
  });

  auto scopes_cmd = st->add_subcommand("scopes", "List the areas and bays a stocktake can count");
  scopes_cmd->callback([&ctx] {
    auto k = OpenKiosk(ctx, true);
    if (!k) return;
    auto s = k->StocktakeScopes();
    if (!s.ok()) return ReportError(ctx, s.error());
    std::string human;
    for (const auto& scope : *s) human += (scope.find(',') == std::string::npos ? "" : "  ") + scope + "\n";
    Emit(ctx, json{{"ok", true}, {"scopes", *s}}, human);
  });

  auto codes = std::make_shared<std::vector<std::string>>();
  CLI::App* scan_cmd = st->add_subcommand("scan", "Tick scanned units off the open stocktake");
  scan_cmd->add_option("CODE", *codes, "Asset tags or GS1 barcode texts")->required();
  scan_cmd->callback([&ctx, codes] {
    auto k = OpenKiosk(ctx);
    if (!k) return;
    // Every code is tried: one bad barcode does not lose the good scans around it.
    json results = json::array();
    std::ostringstream o;
    std::optional<Error> first_error;
    std::optional<StocktakeView> last;
    for (const std::string& code : *codes) {
      auto r = k->StocktakeScan(code);
      if (!r.ok()) {
        if (r.error().code == "stocktake.none") return ReportError(ctx, r.error());
        results.push_back({{"code", code}, {"ok", false}, {"error", {{"code", r.error().code}, {"message", r.error().message}}}});
        if (!ctx.json) std::cerr << "error: " << code << ": " << r.error().message << " [" << r.error().code << "]\n";
        if (!first_error) first_error = r.error();
        continue;
      }
      json j = UnitJson(r->unit);
      j["code"] = code;
      j["ok"] = true;
      j["repeated"] = r->repeated;
      results.push_back(j);
      o << UnitLine(r->unit) << ": " << r->unit.status;
      if (r->repeated) o << " (already scanned)";
      if (r->unit.status == "found") o << "  (" << r->session.ticked << " of " << r->session.expected << ")";
      else o << ": " << Whereabouts(r->unit);
      o << "\n";
      last = std::move(r->session);
    }
    if (last) o << last->ticked << " of " << Count(last->expected, "unit", "units") << " ticked, "
                << (last->expected - last->ticked) << " left.\n";
    json j{{"ok", !first_error}, {"scans", results}};
    if (last) j["session"] = {{"expected", last->expected}, {"ticked", last->ticked}};
    Emit(ctx, j, o.str());
    if (first_error) ctx.exit_code = ExitCodeFor(first_error->kind);
  });

  st->add_subcommand("status", "Show the open stocktake: expected, ticked, left")->callback([&ctx] {
    auto k = OpenKiosk(ctx, true);
    if (!k) return;
    auto v = k->CurrentStocktake();
    if (!v.ok()) return ReportError(ctx, v.error());
    Emit(ctx, SessionJson(*v), SessionHuman(*v));
  });

  auto finish_badge = std::make_shared<std::string>();
  CLI::App* finish_cmd = st->add_subcommand("finish", "End the stocktake: journal and print the report");
  finish_cmd->add_option("--badge,--by", *finish_badge, "Badge of who finishes it (default: who started it)");
  finish_cmd->callback([&ctx, finish_badge] {
    auto k = OpenKiosk(ctx);
    if (!k) return;
    auto r = k->FinishStocktake(*finish_badge);
    if (!r.ok()) return ReportError(ctx, r.error());
    std::ostringstream o;
    o << r->receipt.message << "\n";
    Section(o, "missing", r->missing, false);
    Section(o, "misplaced", r->misplaced, true);
    Section(o, "unexpected", r->unexpected, true);
    Section(o, "found", r->found, false);
    o << "  logged as journal seq " << r->receipt.seq;
    json j{{"ok", true},
           {"seq", r->receipt.seq},
           {"event_id", r->receipt.event_id},
           {"type", r->receipt.type},
           {"message", r->receipt.message},
           {"scope", r->scope},
           {"expected", r->expected},
           {"found", UnitsJson(r->found)},
           {"missing", UnitsJson(r->missing)},
           {"misplaced", UnitsJson(r->misplaced)},
           {"unexpected", UnitsJson(r->unexpected)}};
    Emit(ctx, j, o.str());
  });

  st->add_subcommand("cancel", "Drop the open stocktake and its scans; nothing is journaled")->callback([&ctx] {
    auto k = OpenKiosk(ctx);
    if (!k) return;
    auto v = k->CancelStocktake();
    if (!v.ok()) return ReportError(ctx, v.error());
    const int scans = v->ticked + static_cast<int>(v->extra.size());
    Emit(ctx, json{{"ok", true}, {"scope", v->scope}, {"scans_dropped", scans}},
         "Stocktake of " + ScopeName(v->scope) + " cancelled: " + Count(scans, "scan", "scans") + " dropped, nothing journaled.");
  });
}

}  // namespace kiosk::cli
