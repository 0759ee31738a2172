// rules/loyalty: the kiosk's offline caps and stale guard, the central's honour/adjust/reject.
// Pure: no SQLite.
#include <doctest/doctest.h>

#include <cstdint>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/rules/loyalty.hpp"

using namespace kiosk;

TEST_CASE("loyalty: points are written with thousands separators") {
  CHECK(rules::Points(0) == "0");
  CHECK(rules::Points(999) == "999");
  CHECK(rules::Points(24500) == "24,500");
  CHECK(rules::Points(-1234567) == "-1,234,567");
  CHECK(rules::Points(1000) == "1,000");
  CHECK(rules::Points(-999) == "-999");
  CHECK(rules::Points(100000) == "100,000");
  CHECK(rules::Points(INT64_MAX) == "9,223,372,036,854,775,807");
  CHECK(rules::Points(INT64_MIN) == "-9,223,372,036,854,775,808");  // no overflow on negating it
  // The same grouping with a screen's separator.
  CHECK(GroupThousands(24500, ".") == "24.500");
  CHECK(GroupThousands(-1234567, " ") == "-1 234 567");
  CHECK(GroupThousands(999, " ") == "999");
}

TEST_CASE("loyalty: the stale guard") {
  CHECK(rules::CheckFresh(0, 72, "redemptions").ok());
  CHECK(rules::CheckFresh(72, 72, "redemptions").ok());
  auto stale = rules::CheckFresh(73, 72, "redemptions");
  CHECK(stale.error().code == "data.stale");
  CHECK(stale.error().variant == "");
  auto never = rules::CheckFresh(std::nullopt, 72, "demo orders");
  CHECK(never.error().code == "data.stale");
  CHECK(never.error().variant == "never");
}

TEST_CASE("loyalty: offline caps at the kiosk, in the order they are checked") {
  Settings s;  // soft 5,000 / hard 20,000 points, soft 2 / hard 4 redemptions, kiosk cap 100,000
  Partner p;
  p.name = "Tulostin Oy";
  Reward r;
  r.name = "Mug";
  r.points = 1000;
  r.stock = 10;
  struct Row {
    rules::OfflineFacts facts;
    int qty;
    const char* code;   // "" = allowed
    bool soft_warning;
  };
  const Row rows[] = {
      {{24500, 0, 0, 0}, 1, "", false},
      {{500, 0, 0, 0}, 1, "points.insufficient", false},
      {{24500, 24000, 1, 24000}, 1, "points.insufficient", false},  // held points count
      {{50000, 19500, 1, 19500}, 1, "offline.partner_points", false},
      {{50000, 1000, 4, 1000}, 1, "offline.partner_count", false},
      {{500000, 0, 0, 99500}, 1, "offline.kiosk_points", false},
      {{24500, 4500, 1, 4500}, 1, "", true},  // above the soft points
      {{24500, 0, 2, 0}, 1, "", true},        // above the soft count
  };
  for (const Row& row : rows) {
    CAPTURE(row.code);
    auto plan = rules::PlanRedemption(p, r, row.qty, row.facts, s);
    CHECK((plan.ok() ? std::string() : plan.error().code) == row.code);
    if (plan.ok()) {
      CHECK(plan->cost == r.points * row.qty);
      CHECK(plan->available == row.facts.synced_available - row.facts.held_partner);
      CHECK(plan->warnings.empty() == !row.soft_warning);
    }
  }
}

TEST_CASE("loyalty: rewards and quantities") {
  Reward r;
  r.name = "Mug";
  r.stock = 2;
  CHECK(rules::CheckReward(r, 2).ok());
  CHECK(rules::CheckReward(r, 3).error().variant == "few");
  r.stock = 0;
  CHECK(rules::CheckReward(r, 1).error().code == "reward.out_of_stock");
  CHECK(rules::CheckReward(r, 1).error().variant == "");
  r.active = false;
  CHECK(rules::CheckReward(r, 1).error().code == "reward.inactive");
  for (int q : {1, 10}) CHECK(rules::CheckRewardQty(q).ok());
  for (int q : {0, 11}) CHECK(rules::CheckRewardQty(q).error().code == "redeem.qty");
}

TEST_CASE("loyalty: the central honours, adjusts or rejects what arrives") {
  struct Row {
    int64_t requested;
    std::optional<int64_t> available;
    rules::Honour honour;
    int64_t honoured;
  };
  const Row rows[] = {{20000, 24500, rules::Honour::Full, 20000}, {24500, 24500, rules::Honour::Full, 24500},
                      {12000, 4500, rules::Honour::Partly, 4500},   {500, 0, rules::Honour::Nothing, 0},
                      {500, -10, rules::Honour::Nothing, 0},        {500, std::nullopt, rules::Honour::NoAccount, 0}};
  for (const Row& r : rows) {
    auto d = rules::HonourRedemption(r.requested, r.available);
    CHECK(d.honour == r.honour);
    CHECK(d.honoured == r.honoured);
  }
}

TEST_CASE("loyalty: a showroom's allocation of shared reward stock, offline") {
  Reward r;
  r.name = "Mug";
  r.stock = 40;  // the reference data's figure: ignored once the central gave an allocation
  struct Row {
    rules::AllocationFacts a;
    int qty;
    int64_t left;
    const char* variant;  // nullptr = allowed
  };
  const Row rows[] = {
      {{5, 0, 0}, 5, 5, nullptr},           {{5, 2, 0}, 3, 3, nullptr},
      {{5, 2, 1}, 3, 2, "showroom_few"},    {{5, 2, 1}, 2, 2, nullptr},
      {{5, 5, 0}, 1, 0, "showroom"},        {{0, 0, 0}, 1, 0, "showroom"},
      {{3, 1, 4}, 1, 0, "showroom"},  // more unsynced than the allocation held: never negative
  };
  for (const Row& row : rows) {
    CAPTURE(row.a.allocated);
    CAPTURE(row.a.used);
    CAPTURE(row.a.unsynced);
    CHECK(rules::UnitsLeft(row.a) == row.left);
    auto s = rules::CheckReward(r, row.qty, row.a);
    if (!row.variant) {
      CHECK(s.ok());
    } else {
      REQUIRE(!s.ok());
      CHECK(s.error().code == "reward.out_of_stock");
      CHECK(s.error().variant == row.variant);
      CHECK(s.error().args.at(1) == std::pair<std::string, std::string>{"stock", std::to_string(row.left)});
      CHECK(s.error().message.find("this showroom") != std::string::npos);
    }
  }
  // Without an allocation, the reward's own stock as before.
  CHECK(rules::CheckReward(r, 40, std::nullopt).ok());
  CHECK(rules::CheckReward(r, 41, std::nullopt).error().variant == "few");
  r.active = false;
  CHECK(rules::CheckReward(r, 1, rules::AllocationFacts{5, 0, 0}).error().code == "reward.inactive");
}

TEST_CASE("loyalty: the central honours a redemption from the allocation, then the channel's stock, then the points") {
  using rules::Arrival;
  struct Row {
    const char* name;
    rules::RedemptionArrival in;
    Arrival outcome;
    const char* code;
    int64_t units, from_allocation, from_channel, points_due, points;
  };
  const rules::StockFacts plenty{100, 10, 5};  // 90 unallocated, 5 left of this kiosk's allocation
  const Row rows[] = {
      {"no stock held: as before", {2, 1000, 24500, std::nullopt}, Arrival::Honoured, "", 2, 0, 0, 1000, 1000},
      {"within the allocation", {2, 1000, 24500, plenty}, Arrival::Honoured, "", 2, 2, 0, 1000, 1000},
      {"allocation then channel", {3, 1500, 24500, rules::StockFacts{10, 8, 2}}, Arrival::Honoured, "", 3, 2, 1, 1500,
       1500},
      {"channel only", {2, 1000, 24500, rules::StockFacts{5, 0, 0}}, Arrival::Honoured, "", 2, 0, 2, 1000, 1000},
      {"stock short: fewer units, their points only", {3, 1500, 24500, rules::StockFacts{4, 3, 0}},
       Arrival::StockShort, "reward.stock_adjusted", 1, 0, 1, 500, 500},
      {"stock short and points short", {3, 3000, 700, rules::StockFacts{2, 0, 0}}, Arrival::StockShort,
       "reward.stock_adjusted", 2, 0, 2, 2000, 700},
      {"other kiosks hold the rest", {1, 500, 24500, rules::StockFacts{3, 3, 0}}, Arrival::OutOfStock,
       "reward.out_of_stock", 0, 0, 0, 0, 0},
      {"nothing left", {2, 1000, 24500, rules::StockFacts{0, 0, 0}}, Arrival::OutOfStock, "reward.out_of_stock", 0, 0,
       0, 0, 0},
      {"points short, stock fine", {1, 12000, 4500, plenty}, Arrival::PointsShort, "loyalty.partly_honoured", 1, 1, 0,
       12000, 4500},
      {"no points: no stock taken", {1, 500, 0, plenty}, Arrival::NoPoints, "loyalty.insufficient_points", 0, 0, 0, 500,
       0},
      {"no account: no stock taken", {1, 500, std::nullopt, plenty}, Arrival::NoAccount, "loyalty.no_account", 0, 0, 0,
       0, 0},
      {"no qty in the payload counts one unit", {0, 500, 24500, rules::StockFacts{1, 0, 0}}, Arrival::Honoured, "", 1,
       0, 1, 500, 500},
      {"allocation larger than the stock (lowered since)", {3, 300, 24500, rules::StockFacts{1, 5, 5}},
       Arrival::StockShort, "reward.stock_adjusted", 1, 1, 0, 100, 100},
  };
  for (const Row& r : rows) {
    CAPTURE(r.name);
    const rules::ArrivalDecision d = rules::HonourArrival(r.in);
    CHECK(d.outcome == r.outcome);
    CHECK(d.code == r.code);
    CHECK(d.units == r.units);
    CHECK(d.from_allocation == r.from_allocation);
    CHECK(d.from_channel == r.from_channel);
    CHECK(d.points_due == r.points_due);
    CHECK(d.points == r.points);
    CHECK(d.units == d.from_allocation + d.from_channel + (r.in.stock ? 0 : d.units));
  }
}
