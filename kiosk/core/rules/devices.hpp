#pragma once
// The partner program's rules, devices and kits: what may go out, what may come back, and when it
// is due. The caller resolves kits (a kit moves as one) and looks custodians up.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::rules {

// "under repair": a state for the middle of a sentence.
std::string StateInSentence(DeviceState state);

// A unit is out while a rep has it or while it is on its way back (in transit): both may be
// checked in, at the counter and on the touchscreen alike.
bool IsOut(DeviceState state);

// device.already_out (variant "to" when the custodian's name is known) or device.not_available:
// each unit of the kit must be in the showroom to go out.
Status CheckCheckoutUnit(const Device& unit, std::string_view custodian_name);

// device.not_out: a scanned unit that is not out has nothing to check in.
Status CheckCheckinUnit(const Device& unit);

// The due date of a checkout: empty is today + loan_days; else a date from today to 180 days on.
// Returns the date as YYYY-MM-DD. checkout.due_date, checkout.due_past, checkout.due_far.
Result<std::string> CheckDueDate(std::string_view due, std::chrono::sys_days today, int loan_days);

// ---- Stocktakes ------------------------------------------------------------------------------
// A stocktake counts the units in a scope: "" (every location on record), an area ("Showroom A":
// each of its bays too, since locations read "Showroom A, bay 2") or one location ("Showroom A,
// bay 2"). It expects the units whose state is available and whose location is in the scope:
// only "available" says a unit stands on a shelf here. A checked-out or in-transit unit is with
// a rep or on the road; one under repair is at the service bench and a retired one is out of the
// program, so none of those is counted missing; scanned, each is reported as unexpected, with
// the state the record gives it, which is what staff need to put the record right.

// Whether `location` is `scope`, lies within it (scope + ", ..."), or scope is "" (everything).
bool InStocktakeScope(std::string_view location, std::string_view scope);
bool ExpectedInStocktake(const Device& unit, std::string_view scope);

// What one scanned unit is to a stocktake of `scope`:
//  Found: expected here;  Misplaced: available, but recorded at a location outside the scope;
//  Unexpected: not available at all (with a rep, in transit, under repair, retired).
// A unit expected but never scanned is Missing (ClassifyStocktake).
enum class StocktakeClass { Found, Missing, Unexpected, Misplaced };
std::string_view ToString(StocktakeClass c);  // "found", "missing", "unexpected", "misplaced"
StocktakeClass ClassifyScan(const Device& unit, std::string_view scope);

// The scope a person typed, trimmed and checked against `locations`, the locations of the
// available units: stocktake.scope_unknown when none is in it (a typo, or an empty bay, where a
// stocktake would find nothing to count).
Result<std::string> CheckStocktakeScope(std::string_view scope, const std::vector<std::string>& locations);

// The areas and locations a stocktake may choose from, given the locations of the available
// units: each area ("Showroom A") followed by its locations, sorted; an area that is one
// location (no ", ") appears once.
std::vector<std::string> StocktakeScopes(const std::vector<std::string>& locations);

struct StocktakeReport {
  std::string scope;
  int expected = 0;                   // units expected in the scope
  std::vector<Device> found;          // expected and scanned, in the order of `units`
  std::vector<Device> missing;        // expected, not scanned
  std::vector<Device> misplaced;      // scanned here, recorded at another location
  std::vector<Device> unexpected;     // scanned, not available (state and custodian say where)
};

// The whole stocktake: `units` holds every unit expected in the scope and every scanned one (more
// is fine: the rest is ignored); `scanned` the scanned asset tags (duplicates count once). A
// scanned tag missing from `units` is a programming error of the caller (scans are resolved
// to units as they are made) and is ignored.
StocktakeReport ClassifyStocktake(std::string_view scope, const std::vector<Device>& units,
                                  const std::vector<std::string>& scanned);

}  // namespace kiosk::rules
