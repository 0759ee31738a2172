#pragma once
// The partner program's rules, earning: the points a sell-out earns. Two sides of one rule, as for
// loyalty: the kiosk estimates them for its receipt and the partner's "pending" figure, and the
// central credits them when the report arrives (central/rules.cpp), with the same function.
//
// The rule is the model's `earn_points` in the reference data (models list): points per unit
// sold, 0 or absent meaning no earning rule for that model. No tier multiplier: a vendor who wants
// gold partners to earn more publishes that in the points per model (one number per model keeps
// the kiosk's estimate and the central's credit equal by construction).
// No points for a demo unit, a serial already reported (the first report earns), a sell-out
// without a partner or with one the program does not know, a suspended partner, or a model with
// no rule.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::rules {

enum class Earn { Points, NoPartner, Suspended, DemoUnit, Duplicate, NoRule };

// Stable names, for verdict details and receipts: "points", "no_partner", "suspended",
// "demo_unit", "duplicate", "no_rule".
std::string_view ToString(Earn e);

// One unit sold, as the caller found it.
struct EarnUnit {
  std::string gtin;
  bool demo_unit = false;               // a demo unit of the showroom's devices
  bool duplicate = false;               // (gtin, serial) already reported, by this or another report
  std::optional<int64_t> earn_points;   // the model's points per unit; nullopt: no such model
};

// The partner of the sell-out, as the caller found it.
struct EarnPartner {
  bool known = false;  // a partner id, and the program knows it
  bool suspended = false;
};

struct UnitEarning {
  std::string gtin;
  Earn outcome = Earn::NoRule;
  int64_t points = 0;  // > 0 only for Earn::Points
};

// Per model: the units of one GTIN that earned, and their points (a credit line).
struct ModelEarning {
  std::string gtin;
  int64_t units = 0;
  int64_t points = 0;
};

struct SelloutEarning {
  int64_t points = 0;                  // the sum
  int64_t earning_units = 0;           // units that earn
  std::vector<UnitEarning> units;      // one per unit, in the order given
  std::vector<ModelEarning> models;    // the earning units by GTIN, in order of first appearance
  // Why a report earns nothing, when it doesn't: the partner's reason first (no_partner,
  // suspended), else the first unit's; Earn::Points when something is earned.
  Earn why_none = Earn::Points;
};

// One unit's points.
UnitEarning EarnForUnit(const EarnPartner& partner, const EarnUnit& unit);
// A whole report's points.
SelloutEarning EarnForSellout(const EarnPartner& partner, const std::vector<EarnUnit>& units);

}  // namespace kiosk::rules
