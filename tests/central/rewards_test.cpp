// Shared reward stock at the central (issue 17): the channel's stock and the kiosks' allocations,
// the commands that change them and their refusals, the redemption rule that honours from the
// allocation, then the unallocated stock, and adjusts or rejects beyond; what each kiosk's
// reference document says it may hand out. Runs on SQLite, and on PostgreSQL with
// KIOSK_TEST_STORE=postgresql.
#include <doctest/doctest.h>

#include "central/central_fixture.hpp"
#include "kiosk/core/reference.hpp"

using nlohmann::json;
using kiosk::test::AcceptedBatch;
using kiosk::test::CentralFixture;
using kiosk::test::ScriptedKiosk;
namespace ksync = kiosk::sync;
namespace kc = kiosk::central;

namespace {

kc::RewardStockSummary StockOf(CentralFixture& f, const std::string& reward) {
  auto list = f.central->RewardStock();
  REQUIRE_MESSAGE(list.ok(), list.error().message);
  for (const auto& r : *list)
    if (r.reward_id == reward) return r;
  FAIL("no stock row for " << reward);
  return {};
}

int64_t Balance(CentralFixture& f, const std::string& partner) {
  auto b = f.store->GetRef("balances", partner);
  REQUIRE(b.ok());
  REQUIRE(b->has_value());
  return json::parse((*b)->body)["available"].get<int64_t>();
}

// reward_id -> {allocated, used, basis} in the kiosk's full reference document.
std::map<std::string, json> Allocations(CentralFixture& f, const std::string& kiosk_id, int64_t since = 0) {
  auto doc = json::parse(f.central->ReferenceDocument(kiosk_id, since, -1).value());
  std::map<std::string, json> out;
  if (!doc.contains("reward_allocations")) return out;
  for (const json& a : doc["reward_allocations"]) out[a["reward_id"].get<std::string>()] = a;
  return out;
}

void Redeem(ScriptedKiosk& k, const std::string& partner, const std::string& reward, int qty, int64_t each) {
  k.Add("loyalty.redeemed", json{{"partner_id", partner},
                                 {"reward_id", reward},
                                 {"reward", "Reward " + reward},
                                 {"qty", qty},
                                 {"points_each", each},
                                 {"points", each * qty}});
}

}  // namespace

TEST_CASE("rewards: a reference load seeds the channel's stock once, and stock and allocations change only as asked") {
  CentralFixture f;
  f.LoadDemoReference();
  CHECK(StockOf(f, "R-001").stock == 40);  // the reference data's figure
  CHECK(StockOf(f, "R-009").stock == 0);
  auto set = f.central->SetRewardStock("R-001", 10, false);
  REQUIRE(set.ok());
  CHECK(set->stock == 10);
  f.LoadDemoReference();  // the central owns the count now: a later document changes nothing
  CHECK(StockOf(f, "R-001").stock == 10);

  ScriptedKiosk a("KIOSK-S1"), b("KIOSK-S2");
  CHECK(f.central->Allocate("R-001", "KIOSK-S1", 6, false, false).error().code == "kiosk.unknown");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  REQUIRE(f.central->Allocate("R-001", "KIOSK-S1", 6, false, false).ok());
  auto over = f.central->Allocate("R-001", "KIOSK-S2", 5, false, false);
  REQUIRE(!over.ok());
  CHECK(over.error().code == "reward.stock_unallocated");
  CHECK(over.error().message.find("Only 4 units of R-001 are not allocated") != std::string::npos);
  REQUIRE(f.central->Allocate("R-001", "KIOSK-S2", 4, false, false).ok());
  auto s = StockOf(f, "R-001");
  CHECK(s.allocated == 10);
  CHECK(s.reserved == 10);
  CHECK(s.kiosks == 2);
  // The stock can't go below what kiosks hold; it can grow, and an allocation with it.
  CHECK(f.central->SetRewardStock("R-001", 9, false).error().code == "reward.stock_allocated");
  CHECK(f.central->SetRewardStock("R-001", -11, true).error().code == "reward.stock_negative");
  CHECK(f.central->SetRewardStock("R-001", -1, false).error().code == "reward.stock_negative");
  REQUIRE(f.central->SetRewardStock("R-001", 5, true).ok());
  auto more = f.central->Allocate("R-001", "KIOSK-S1", 2, true, false);
  REQUIRE(more.ok());
  CHECK(more->allocated == 8);
  CHECK(StockOf(f, "R-001").stock == 15);
  CHECK(StockOf(f, "R-001").reserved == 12);
  CHECK(f.central->SetRewardStock("R-404", 1, false).error().code == "reward.unknown");
  CHECK(f.central->Allocate("R-001", "KIOSK-S1", -1, false, false).error().code == "reward.units");
  // Cleared, the kiosk is back on the default share.
  REQUIRE(f.central->Allocate("R-001", "KIOSK-S2", 0, false, true).ok());
  CHECK(StockOf(f, "R-001").reserved == 8);
  auto allocations = f.central->RewardAllocations("R-001", "");
  REQUIRE(allocations.ok());
  REQUIRE(allocations->size() == 1);
  CHECK(allocations->at(0).kiosk_id == "KIOSK-S1");
}

TEST_CASE("rewards: each kiosk's reference document says what it may hand out: its allocation, or an even share") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-H1"), b("KIOSK-H2"), c("KIOSK-H3");
  for (ScriptedKiosk* k : {&a, &b, &c}) REQUIRE(f.Enrol(*k).status == 200);
  REQUIRE(f.central->SetRewardStock("R-003", 11, false).ok());
  auto ha = Allocations(f, "KIOSK-H1");
  REQUIRE(ha.count("R-003"));
  CHECK(ha["R-003"] == json{{"reward_id", "R-003"}, {"allocated", 3}, {"used", 0}, {"basis", "share"}});  // 11 / 3
  REQUIRE(f.central->Allocate("R-003", "KIOSK-H1", 5, false, false).ok());
  CHECK(Allocations(f, "KIOSK-H1")["R-003"]["basis"] == "allocation");
  CHECK(Allocations(f, "KIOSK-H1")["R-003"]["allocated"] == 5);
  CHECK(Allocations(f, "KIOSK-H2")["R-003"]["allocated"] == 3);  // (11 - 5) / 2
  // The document parses on the kiosk, and a delta carries the list only after a stock change.
  auto full = json::parse(f.central->ReferenceDocument("KIOSK-H2", 0, -1).value());
  auto parsed = kiosk::ParseReference(full.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  REQUIRE(parsed->reward_allocations.has_value());
  const int64_t v = full["version"].get<int64_t>();
  CHECK(Allocations(f, "KIOSK-H2", v).empty());
  REQUIRE(f.central->SetRewardStock("R-003", 4, true).ok());
  CHECK(Allocations(f, "KIOSK-H2", v)["R-003"]["allocated"] == 5);  // (15 - 5) / 2

  // A fourth kiosk joins: the shares shrink, and a kiosk's next delta says so (a pull that got a
  // 304 here would keep the larger share). Re-enrolling a known kiosk changes nothing.
  const int64_t before_join = json::parse(f.central->ReferenceDocument("KIOSK-H2", 0, -1).value())["version"];
  ScriptedKiosk d("KIOSK-H4");
  REQUIRE(f.Enrol(d).status == 200);
  auto delta = Allocations(f, "KIOSK-H2", before_join);
  REQUIRE(delta.count("R-003"));
  CHECK(delta["R-003"]["allocated"] == 3);  // (15 - 5) / 3
  const int64_t after_join = json::parse(f.central->ReferenceDocument("KIOSK-H2", 0, -1).value())["version"];
  CHECK(after_join > before_join);
  REQUIRE(f.Enrol(d).status == 200);
  CHECK(json::parse(f.central->ReferenceDocument("KIOSK-H2", 0, -1).value())["version"] == after_join);
}

TEST_CASE("rewards: redemptions are honoured from the allocation, then the unallocated stock, and beyond it adjusted or rejected with points for honoured units only") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-R1"), b("KIOSK-R2");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  REQUIRE(f.central->SetRewardStock("R-003", 4, false).ok());
  REQUIRE(f.central->Allocate("R-003", "KIOSK-R1", 2, false, false).ok());
  const int64_t before = Balance(f, "P-FI-0001");  // 24,500
  // a: 3 units, 2 from its allocation and 1 from the 2 no kiosk holds.
  Redeem(a, "P-FI-0001", "R-003", 3, 2500);
  auto ra = AcceptedBatch(f.Push(a, 1, 1));
  CHECK(ra.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  auto s = StockOf(f, "R-003");
  CHECK(s.stock == 1);
  CHECK(s.used == 2);
  CHECK(s.reserved == 0);
  CHECK(Balance(f, "P-FI-0001") == before - 7500);
  // b: 2 units, 1 left in the channel: adjusted, points for 1.
  Redeem(b, "P-FI-0001", "R-003", 2, 2500);
  auto rb = AcceptedBatch(f.Push(b, 1, 1));
  const ksync::Verdict& adjusted = rb.verdicts[0];
  CHECK(adjusted.verdict == ksync::VerdictKind::Adjusted);
  CHECK(adjusted.code == "reward.stock_adjusted");
  CHECK(adjusted.message.find("Only 1 of 2") != std::string::npos);
  CHECK(adjusted.message.find("2,500 points were deducted") != std::string::npos);
  CHECK(adjusted.detail["honoured_units"] == 1);
  CHECK(adjusted.detail["honoured_points"] == 2500);
  CHECK(adjusted.detail["honoured"] == "1");  // the values the kiosk's catalogue fills in
  CHECK(adjusted.detail["partner"] == "Tulostin Oy");
  CHECK(Balance(f, "P-FI-0001") == before - 10000);
  CHECK(StockOf(f, "R-003").stock == 0);
  // Nothing left: rejected, no points taken.
  Redeem(b, "P-FI-0001", "R-003", 1, 2500);
  auto rb2 = AcceptedBatch(f.Push(b, 2, 2));
  CHECK(rb2.verdicts[0].verdict == ksync::VerdictKind::Rejected);
  CHECK(rb2.verdicts[0].code == "reward.out_of_stock");
  CHECK(rb2.verdicts[0].detail["variant"] == "central");
  CHECK(rb2.verdicts[0].message.find("No points were deducted") != std::string::npos);
  CHECK(Balance(f, "P-FI-0001") == before - 10000);
  // A redemption the points can't cover takes no stock; one of a reward without stock at the
  // central is honoured as before.
  REQUIRE(f.central->SetRewardStock("R-003", 3, true).ok());
  Redeem(a, "P-FI-0002", "R-003", 1, 2500);  // 350 points
  Redeem(a, "P-FI-0002", "R-001", 1, 500);   // 350 points: partly
  auto ra2 = AcceptedBatch(f.Push(a, 2, 3));
  CHECK(ra2.verdicts[0].code == "loyalty.partly_honoured");  // 350 of 2,500: the unit is honoured
  CHECK(StockOf(f, "R-003").stock == 2);
  CHECK(ra2.verdicts[1].code == "loyalty.insufficient_points");
  CHECK(StockOf(f, "R-001").stock == 40);
  // The kiosks' documents: a used its allocation up; b has the share of what is left.
  auto da = Allocations(f, "KIOSK-R1");
  CHECK(da["R-003"]["allocated"] == 2);
  CHECK(da["R-003"]["used"] == 2);
  CHECK(Allocations(f, "KIOSK-R2")["R-003"]["allocated"] == 2);  // the 2 no kiosk holds, one kiosk sharing
}
