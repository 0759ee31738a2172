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
