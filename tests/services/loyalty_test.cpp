// Offline loyalty (DESIGN.md section 6): available = synced balance - unsynced holds; per-partner
// and per-kiosk caps with soft warnings; the stale-data guard; stock.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;
using namespace std::chrono;
using nlohmann::json;

namespace {
struct Fixture {
  TempDir dir;
  ManualClock clock{DemoDay()};
  std::unique_ptr<Kiosk> k = MakeDemoKiosk(dir.path(), clock);
  Result<Receipt> Redeem(const char* card, const char* reward, int qty = 1) {
    return k->Redeem({.partner_card = card, .reward_id = reward, .qty = qty, .by_badge = demo::kStaff});
  }
  int64_t Cost(const std::string& id) {
    for (const auto& r : k->Rewards(""))
      if (r.reward.id == id) return r.reward.points;
    FAIL("no reward " << id);
    return 0;
  }
};
}  // namespace

TEST_CASE_FIXTURE(Fixture, "a redemption holds its points until the central's balance covers it") {
  const int64_t cost = Cost("R-001");
  auto r = Redeem(demo::kGoldCard, "R-001");
  REQUIRE(r.ok());
  CHECK(r->payload["points"] == cost);
  CHECK(r->payload["available_before"] == 24500);
  auto p = k->GetPartner(demo::kGoldCard);
  CHECK(p->held_points == cost);
  CHECK(p->available_points == 24500 - cost);
  CHECK(p->unsynced_redemptions == 1);

  // The central's next balance includes the redemption (covers_kiosk_seq): the hold is released.
  json delta{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 2}, {"full", false},
             {"base_version", 1}, {"covers_kiosk_seq", r->seq},
             {"balances", {{{"partner_id", "P-FI-0001"}, {"available", 24500 - cost}, {"pending", 0}}}}};
  REQUIRE(k->LoadReference(delta.dump()).ok());
  p = k->GetPartner(demo::kGoldCard);
  CHECK(p->held_points == 0);
  CHECK(p->available_points == 24500 - cost);
}

TEST_CASE_FIXTURE(Fixture, "not enough points: refused, with the numbers, nothing logged") {
  const int64_t before = k->Status().last_seq;
  auto r = Redeem(demo::kNorthgateCard, "R-006");  // 12,000 points against 8,200
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "points.insufficient");
  CHECK(r.error().message.find("8,200 points available") != std::string::npos);
  CHECK(k->Status().last_seq == before);
  // The catalogue view says the same.
  bool found = false;
  for (const auto& v : k->Rewards(demo::kNorthgateCard))
    if (v.reward.id == "R-006") {
      found = true;
      CHECK_FALSE(v.affordable);
      CHECK(v.why_not.find("points available") != std::string::npos);
    }
  CHECK(found);
}

TEST_CASE_FIXTURE(Fixture, "unsynced holds count against the balance: no spending the same points twice") {
  // Northgate has 8,200: after 2 x R-003 (5,000) the remaining 3,200 can't pay for 2 more.
  const int64_t cost = 2 * Cost("R-003");
  REQUIRE(Redeem(demo::kNorthgateCard, "R-003", 2).ok());
  REQUIRE(8200 - cost < cost);
  auto second = Redeem(demo::kNorthgateCard, "R-003", 2);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == "points.insufficient");
  CHECK(second.error().message.find("held by redemptions not yet synced") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "the per-partner offline hard cap refuses, the soft cap warns") {
  const Settings s = k->CurrentSettings();
  // R-013 costs 60,000, above the hard cap of 20,000 per partner between syncs.
  REQUIRE(Cost("R-013") > s.offline_hard_points);
  auto r = Redeem(demo::kCascadeCard, "R-013");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "offline.partner_points");
  // Cheap rewards: count limits. Soft count warns, hard count refuses.
  int done = 0;
  std::vector<std::string> warnings;
  for (int i = 0; i < s.offline_hard_count; ++i) {
    auto ok = Redeem(demo::kCascadeCard, "R-001");
    REQUIRE(ok.ok());
    ++done;
    if (done > s.offline_soft_count) CHECK_FALSE(ok->warnings.empty());
    else CHECK(ok->warnings.empty());
  }
  auto over = Redeem(demo::kCascadeCard, "R-001");
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == "offline.partner_count");
}

TEST_CASE_FIXTURE(Fixture, "the stale-data guard refuses redemptions and demo orders after N hours without a sync") {
  const Settings s = k->CurrentSettings();
  clock.Advance(hours(s.stale_hours + 1));
  auto r = Redeem(demo::kGoldCard, "R-001");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "data.stale");
  CHECK(r.error().message.find("Ask an admin to sync") != std::string::npos);
  auto o = k->OrderDemo({.partner_card = demo::kGoldCard, .model_gtin = k->Models().front().gtin, .by_badge = demo::kStaff});
  CHECK(o.error().code == "data.stale");
  CHECK(k->Status().stale);
  // Device custody does not depend on fresh data.
  CHECK(k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep}).ok());
}

TEST_CASE_FIXTURE(Fixture, "stock runs out, blocked cards and suspended partners can't redeem") {
  CHECK(Redeem(demo::kGoldCard, "R-009").error().code == "reward.out_of_stock");
  CHECK(Redeem(demo::kBlockedCard, "R-001").error().code == "card.blocked");
  CHECK(Redeem(demo::kSuspendedCard, "R-001").error().code == "partner.suspended");
  CHECK(Redeem(demo::kGoldCard, "R-999").error().code == "reward.unknown");
}

TEST_CASE_FIXTURE(Fixture, "with the central's allocation, a redemption fits what is left of it at this showroom") {
  // The reference data says 40 of R-001; the central allocates this showroom 3, 1 used already.
  json delta{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 2}, {"full", false},
             {"base_version", 1}, {"covers_kiosk_seq", 0},
             {"reward_allocations", {{{"reward_id", "R-001"}, {"allocated", 3}, {"used", 1}, {"basis", "allocation"}}}}};
  REQUIRE(k->LoadReference(delta.dump()).ok());
  auto left = [&](const char* id) {
    for (const auto& r : k->Rewards(demo::kGoldCard))
      if (r.reward.id == id) return r.units_left;
    return int64_t{-2};
  };
  CHECK(left("R-001") == 2);
  CHECK(left("R-002") == -1);  // no allocation: its own stock counts, as before
  auto two = Redeem(demo::kGoldCard, "R-001", 3);
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().code == "reward.out_of_stock");
  CHECK(two.error().variant == "showroom_few");
  CHECK(two.error().message.find("Only 2 of") != std::string::npos);
  auto took = Redeem(demo::kGoldCard, "R-001", 2);
  REQUIRE(took.ok());
  CHECK(left("R-001") == 0);
  auto none = Redeem(demo::kGoldCard, "R-001");
  CHECK(none.error().code == "reward.out_of_stock");
  CHECK(none.error().variant == "showroom");
  // The rewards list says why, for any partner.
  for (const auto& r : k->Rewards(demo::kGoldCard))
    if (r.reward.id == "R-001") CHECK(r.why_not_reason.variant == "showroom");
  // The central's next word counts the 2 as used, and gives 2 more: 2 left again.
  json next{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 3}, {"full", false},
            {"base_version", 2}, {"covers_kiosk_seq", took->seq},
            {"reward_allocations", {{{"reward_id", "R-001"}, {"allocated", 5}, {"used", 3}, {"basis", "allocation"}}}}};
  REQUIRE(k->LoadReference(next.dump()).ok());
  CHECK(left("R-001") == 2);
}
