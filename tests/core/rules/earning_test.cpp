// rules/earning: the points a sell-out earns. Pure: no SQLite.
#include <doctest/doctest.h>

#include "kiosk/core/rules/earning.hpp"

using namespace kiosk;
using rules::Earn;

TEST_CASE("earning: one unit, each reason for no points, in the order a person hears them") {
  struct Row {
    const char* name;
    bool known, suspended, demo, duplicate;
    std::optional<int64_t> earn;
    Earn outcome;
    int64_t points;
  };
  const Row rows[] = {
      {"earns the model's points", true, false, false, false, 150, Earn::Points, 150},
      {"no partner", false, false, false, false, 150, Earn::NoPartner, 0},
      {"no partner wins over suspended", false, true, false, false, 150, Earn::NoPartner, 0},
      {"suspended partner", true, true, false, false, 150, Earn::Suspended, 0},
      {"suspended wins over a demo unit", true, true, true, false, 150, Earn::Suspended, 0},
      {"demo unit", true, false, true, false, 150, Earn::DemoUnit, 0},
      {"demo unit wins over duplicate", true, false, true, true, 150, Earn::DemoUnit, 0},
      {"duplicate serial", true, false, false, true, 150, Earn::Duplicate, 0},
      {"model unknown", true, false, false, false, std::nullopt, Earn::NoRule, 0},
      {"model without a rule", true, false, false, false, 0, Earn::NoRule, 0},
      {"a negative rule is none", true, false, false, false, -5, Earn::NoRule, 0},
  };
  for (const Row& r : rows) {
    CAPTURE(r.name);
    const rules::UnitEarning e =
        rules::EarnForUnit({r.known, r.suspended}, {"00614141000012", r.demo, r.duplicate, r.earn});
    CHECK(e.outcome == r.outcome);
    CHECK(e.points == r.points);
    CHECK(e.gtin == "00614141000012");
  }
}

TEST_CASE("earning: a report sums its units and groups them by model") {
  const std::vector<rules::EarnUnit> units = {{"A", false, false, 100},
                                              {"B", false, false, 40},
                                              {"A", false, false, 100},
                                              {"C", false, false, std::nullopt},
                                              {"A", false, true, 100}};
  const rules::SelloutEarning e = rules::EarnForSellout({true, false}, units);
  CHECK(e.points == 240);
  CHECK(e.earning_units == 3);
  CHECK(e.why_none == Earn::Points);
  REQUIRE(e.units.size() == 5);
  CHECK(e.units[3].outcome == Earn::NoRule);
  CHECK(e.units[4].outcome == Earn::Duplicate);
  REQUIRE(e.models.size() == 2);
  CHECK(e.models[0].gtin == "A");
  CHECK(e.models[0].units == 2);
  CHECK(e.models[0].points == 200);
  CHECK(e.models[1].gtin == "B");
  CHECK(e.models[1].points == 40);
}

TEST_CASE("earning: why a report earns nothing") {
  const std::vector<rules::EarnUnit> none = {{"C", false, false, std::nullopt}, {"A", false, true, 100}};
  CHECK(rules::EarnForSellout({true, false}, none).why_none == Earn::NoRule);
  CHECK(rules::EarnForSellout({true, false}, none).points == 0);
  CHECK(rules::EarnForSellout({true, true}, none).why_none == Earn::Suspended);
  CHECK(rules::EarnForSellout({false, false}, none).why_none == Earn::NoPartner);
  CHECK(rules::EarnForSellout({true, false}, {{"A", false, true, 100}}).why_none == Earn::Duplicate);
  CHECK(rules::EarnForSellout({true, false}, {}).why_none == Earn::NoRule);
  CHECK(rules::EarnForSellout({true, true}, {{"A", false, false, 100}}).models.empty());
  CHECK(rules::ToString(Earn::DemoUnit) == "demo_unit");
  CHECK(rules::ToString(Earn::NoPartner) == "no_partner");
}
