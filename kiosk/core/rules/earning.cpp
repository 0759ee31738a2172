#include "kiosk/core/rules/earning.hpp"

#include <algorithm>

namespace kiosk::rules {

std::string_view ToString(Earn e) {
  switch (e) {
    case Earn::Points: return "points";
    case Earn::NoPartner: return "no_partner";
    case Earn::Suspended: return "suspended";
    case Earn::DemoUnit: return "demo_unit";
    case Earn::Duplicate: return "duplicate";
    case Earn::NoRule: return "no_rule";
  }
  return "no_rule";
}

UnitEarning EarnForUnit(const EarnPartner& partner, const EarnUnit& unit) {
  UnitEarning out{unit.gtin, Earn::Points, 0};
  // The order says which reason a person hears first: the partner's, then the unit's.
  if (!partner.known) out.outcome = Earn::NoPartner;
  else if (partner.suspended) out.outcome = Earn::Suspended;
  else if (unit.demo_unit) out.outcome = Earn::DemoUnit;
  else if (unit.duplicate) out.outcome = Earn::Duplicate;
  else if (!unit.earn_points || *unit.earn_points <= 0) out.outcome = Earn::NoRule;
  else out.points = *unit.earn_points;
  return out;
}

SelloutEarning EarnForSellout(const EarnPartner& partner, const std::vector<EarnUnit>& units) {
  SelloutEarning out;
  for (const EarnUnit& u : units) {
    UnitEarning e = EarnForUnit(partner, u);
    if (e.outcome == Earn::Points) {
      out.points += e.points;
      ++out.earning_units;
      auto m = std::find_if(out.models.begin(), out.models.end(), [&](const ModelEarning& x) { return x.gtin == e.gtin; });
      if (m == out.models.end()) out.models.push_back({e.gtin, 1, e.points});
      else {
        ++m->units;
        m->points += e.points;
      }
    }
    out.units.push_back(std::move(e));
  }
  if (out.points > 0) out.why_none = Earn::Points;
  else if (!partner.known) out.why_none = Earn::NoPartner;
  else if (partner.suspended) out.why_none = Earn::Suspended;
  else out.why_none = out.units.empty() ? Earn::NoRule : out.units.front().outcome;
  return out;
}

}  // namespace kiosk::rules
