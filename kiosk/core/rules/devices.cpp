#include "kiosk/core/rules/devices.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "kiosk/core/clock.hpp"

namespace kiosk::rules {

std::string StateInSentence(DeviceState state) {
  std::string s(DisplayName(state));
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

bool IsOut(DeviceState state) { return state == DeviceState::CheckedOut || state == DeviceState::InTransit; }

Status CheckCheckoutUnit(const Device& g, std::string_view custodian_name) {
  if (g.state == DeviceState::Available) return {};
  const std::string name(custodian_name);
  if (g.state == DeviceState::CheckedOut)
    return MakeError(ErrorKind::Refused, "device.already_out",
                     g.asset_tag + " is already checked out" + (name.empty() ? "" : " to " + name) + ", due " +
                         g.due_date + ". Check it in before it can go out again.",
                     {{"tag", g.asset_tag}, {"custodian", name}, {"due", g.due_date}}, name.empty() ? "" : "to");
  return MakeError(ErrorKind::Refused, "device.not_available",
                   g.asset_tag + " is " + StateInSentence(g.state) + " and can't be checked out.",
                   {{"tag", g.asset_tag}, {"state", StateKey(g.state)}});
}

Status CheckCheckinUnit(const Device& d) {
  if (IsOut(d.state)) return {};
  return MakeError(ErrorKind::Refused, "device.not_out",
                   d.asset_tag + " is " + StateInSentence(d.state) + ", not checked out: nothing to check in.",
                   {{"tag", d.asset_tag}, {"state", StateKey(d.state)}});
}

Result<std::string> CheckDueDate(std::string_view due_text, std::chrono::sys_days today, int loan_days) {
  std::string due = Trimmed(due_text);
  if (due.empty()) return FormatDate(today + std::chrono::days(loan_days));
  std::chrono::sys_days parsed;
  if (!ParseDate(due, parsed))
    return MakeError(ErrorKind::Usage, "checkout.due_date", "The due date '" + due + "' is not a date (YYYY-MM-DD).",
                     {{"date", due}});
  if (parsed < today)
    return MakeError(ErrorKind::Usage, "checkout.due_past", "The due date " + due + " is in the past.", {{"date", due}});
  if (parsed > today + std::chrono::days(180))
    return MakeError(ErrorKind::Usage, "checkout.due_far",
                     "The due date " + due + " is more than 180 days away; demo loans are shorter.", {{"date", due}});
  return due;
}

// ---- Stocktakes ------------------------------------------------------------------------------

bool InStocktakeScope(std::string_view location, std::string_view scope) {
  if (scope.empty() || location == scope) return true;
  return location.size() > scope.size() && location.substr(0, scope.size()) == scope && location[scope.size()] == ',';
}

bool ExpectedInStocktake(const Device& unit, std::string_view scope) {
  return unit.state == DeviceState::Available && InStocktakeScope(unit.location, scope);
}

std::string_view ToString(StocktakeClass c) {
  switch (c) {
    case StocktakeClass::Found: return "found";
    case StocktakeClass::Missing: return "missing";
    case StocktakeClass::Unexpected: return "unexpected";
    case StocktakeClass::Misplaced: return "misplaced";
  }
  return "";
}

StocktakeClass ClassifyScan(const Device& unit, std::string_view scope) {
  if (unit.state != DeviceState::Available) return StocktakeClass::Unexpected;
  return InStocktakeScope(unit.location, scope) ? StocktakeClass::Found : StocktakeClass::Misplaced;
}

Result<std::string> CheckStocktakeScope(std::string_view scope_text, const std::vector<std::string>& locations) {
  std::string scope = Trimmed(scope_text);
  for (const std::string& loc : locations)
    if (InStocktakeScope(loc, scope)) return scope;
  return MakeError(ErrorKind::Usage, "stocktake.scope_unknown",
                   "No demo unit is recorded at \"" + scope +
                       "\": give a location as the records write it, e.g. \"Showroom A\" or \"Showroom A, bay 2\".",
                   {{"scope", scope}});
}

std::vector<std::string> StocktakeScopes(const std::vector<std::string>& available_locations) {
  std::set<std::string> locations;
  for (const std::string& loc : available_locations)
    if (!loc.empty()) locations.insert(loc);
  // An area, then its locations: "Showroom A", "Showroom A, bay 1", ... (the set keeps them sorted;
  // "bay 10" sorts before "bay 2", which a person reading the list forgives).
  std::vector<std::string> out;
  std::string area;
  for (const std::string& loc : locations) {
    const size_t comma = loc.find(',');
    const std::string this_area = comma == std::string::npos ? loc : loc.substr(0, comma);
    if (this_area != area) {
      area = this_area;
      out.push_back(area);
    }
    if (loc != area) out.push_back(loc);
  }
  return out;
}

StocktakeReport ClassifyStocktake(std::string_view scope, const std::vector<Device>& units,
                                  const std::vector<std::string>& scanned) {
  const std::set<std::string> seen(scanned.begin(), scanned.end());
  StocktakeReport r;
  r.scope = std::string(scope);
  for (const Device& d : units) {
    const bool expected = ExpectedInStocktake(d, scope);
    r.expected += expected;
    if (!seen.count(d.asset_tag)) {
      if (expected) r.missing.push_back(d);
      continue;
    }
    switch (ClassifyScan(d, scope)) {
      case StocktakeClass::Found: r.found.push_back(d); break;
      case StocktakeClass::Misplaced: r.misplaced.push_back(d); break;
      case StocktakeClass::Unexpected: r.unexpected.push_back(d); break;
      case StocktakeClass::Missing: break;
    }
  }
  return r;
}

}  // namespace kiosk::rules
