// Shared reward stock end to end (issue 17): real kiosks (data folders, the sync engine over curl)
// and a real kiosk-central on loopback. Each kiosk redeems offline against what the central
// allocated it with the reference data; when the channel's stock runs out, the central honours
// one kiosk's redemption and adjusts the other's, and that kiosk sees the verdict and the reason.
// The stick carries the allocation both ways. Runs on both central stores (sync_tests on
// PostgreSQL).
#include <doctest/doctest.h>

#include "sync/sync_fixture.hpp"

using nlohmann::json;
using kiosk::test::CentralFixture;
using kiosk::test::TestKiosk;

namespace {

const char* kCard = "6299246000100012";  // P-FI-0001: 24,500 points
const char* kStaff = "BDG-10017";

void Sync(TestKiosk& k) {
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
}

// Units left at this showroom of a reward, as the rewards list (and screen) shows them.
int64_t LeftHere(TestKiosk& k, const std::string& reward) {
  for (const kiosk::RewardView& v : k.kiosk->Rewards(kCard))
    if (v.reward.id == reward) return v.units_left;
  FAIL("no reward " << reward);
  return -2;
}

kiosk::Result<kiosk::Receipt> Redeem(TestKiosk& k, const std::string& reward, int qty) {
  return k.kiosk->Redeem({kCard, reward, qty, kStaff});
}

int64_t CentralBalance(CentralFixture& c) {
  auto b = c.store->GetRef("balances", "P-FI-0001");
  REQUIRE(b.ok());
  return json::parse((*b)->body)["available"].get<int64_t>();
}

}  // namespace

TEST_CASE("reward stock end to end: two kiosks share the channel's stock, it runs out, one is honoured and the other adjusted and told why") {
  CentralFixture c;
  c.LoadDemoReference();
  REQUIRE(c.central->SetRewardStock("R-003", 4, false).ok());  // 2,500 points each
  TestKiosk a(c.dir, "KIOSK-RA"), b(c.dir, "KIOSK-RB");
  a.Enrol(c);
  b.Enrol(c);
  Sync(a);
  Sync(b);
  // No allocation of their own: each gets the default share, half of the 4.
  CHECK(LeftHere(a, "R-003") == 2);
  CHECK(LeftHere(b, "R-003") == 2);
  CHECK(LeftHere(a, "R-001") == 20);  // 40 seeded from the reference data's figure, shared by two kiosks
  // A hands out its 2; a third is refused offline, with the showroom's count.
  REQUIRE(Redeem(a, "R-003", 2).ok());
  CHECK(LeftHere(a, "R-003") == 0);
  auto third = Redeem(a, "R-003", 1);
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == "reward.out_of_stock");
  CHECK(third.error().variant == "showroom");
  // Meanwhile the central's count is corrected: one unit was broken. B, offline, still has 2.
  REQUIRE(c.central->SetRewardStock("R-003", 3, false).ok());
  auto at_b = Redeem(b, "R-003", 2);
  REQUIRE_MESSAGE(at_b.ok(), at_b.error().message);
  const int64_t before = CentralBalance(c);
  // A arrives first: honoured. B's 2 meet 1 left: adjusted, points for 1 only.
  Sync(a);
  CHECK(a.Verdict(2) == "accepted ");  // seq 1: the pull's reference.loaded; 2: the redemption
  Sync(b);
  const int64_t b_seq = at_b->seq;
  CHECK(b.Verdict(b_seq) == "adjusted reward.stock_adjusted");
  CHECK(CentralBalance(c) == before - 5000 - 2500);
  // B sees it: in the verdict list (the admin's) and as the partner's outcome (staff's), with the
  // reason in words and the values its catalogue fills in.
  auto verdicts = b.kiosk->Verdicts();
  REQUIRE(verdicts.ok());
  bool listed = false;
  for (const kiosk::VerdictView& v : *verdicts)
    if (v.seq == b_seq) {
      listed = true;
      CHECK(v.code == "reward.stock_adjusted");
      CHECK(v.message.find("Only 1 of 2") != std::string::npos);
    }
  CHECK(listed);
  auto page = b.kiosk->GetPartner(kCard);
  REQUIRE(page.ok());
  bool outcome = false;  // staff serving the partner see it on the next scan (kiosk_outcomes.cpp)
  for (const kiosk::OutcomeLine& o : page->changes)
    if (o.source == "redemption" && o.seq == b_seq && o.kind == "adjusted") outcome = true;
  CHECK(outcome);
  // The channel has nothing left: both kiosks learn it with their next pull and refuse offline.
  Sync(b);
  Sync(a);
  CHECK(LeftHere(a, "R-003") == 0);
  CHECK(LeftHere(b, "R-003") == 0);
  CHECK(Redeem(b, "R-003", 1).error().code == "reward.out_of_stock");
  // The integrator gives B 2 of 2 new units: B may hand them out, A still may not.
  REQUIRE(c.central->SetRewardStock("R-003", 2, true).ok());
  REQUIRE(c.central->Allocate("R-003", b.Id(), 2, false, false).ok());
  Sync(a);
  Sync(b);
  CHECK(LeftHere(b, "R-003") == 2);
  CHECK(LeftHere(a, "R-003") == 0);
  REQUIRE(Redeem(b, "R-003", 2).ok());
  Sync(b);
  Sync(b);
  CHECK(LeftHere(b, "R-003") == 0);
  auto alloc = c.central->RewardAllocations("R-003", b.Id());
  REQUIRE(alloc.ok());
  REQUIRE(alloc->size() == 1);
  CHECK(alloc->at(0).used == 2);
  kiosk::test::CheckLevel(c, a);
  kiosk::test::CheckLevel(c, b);
}

TEST_CASE("reward stock by stick: the allocation arrives in the reference file, the redemptions go back in the export") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-RS");
  k.Enrol(c);
  REQUIRE(c.central->SetRewardStock("R-002", 10, false).ok());
  REQUIRE(c.central->Allocate("R-002", k.Id(), 3, false, false).ok());
  // kiosk-central export-reference -> kiosk import-reference: the allocation is there.
  auto ref = c.central->ExportReference(k.Id(), c.dir / "stick1");
  REQUIRE_MESSAGE(ref.ok(), ref.error().message);
  auto applied = k.engine->ImportReference(ref->file);
  REQUIRE_MESSAGE(applied.ok(), applied.error().message);
  CHECK(LeftHere(k, "R-002") == 3);
  REQUIRE(Redeem(k, "R-002", 2).ok());
  REQUIRE(Redeem(k, "R-002", 1).ok());
  auto fourth = Redeem(k, "R-002", 1);
  REQUIRE_FALSE(fourth.ok());
  CHECK(fourth.error().code == "reward.out_of_stock");
  // kiosk export -> kiosk-central import: honoured from the allocation.
  auto exported = k.engine->ExportTo(c.dir / "stick2");
  REQUIRE_MESSAGE(exported.ok(), exported.error().message);
  auto imported = c.central->ImportFiles(exported->files);
  REQUIRE_MESSAGE(imported.ok(), imported.error().message);
  auto alloc = c.central->RewardAllocations("R-002", k.Id());
  REQUIRE(alloc.ok());
  CHECK(alloc->at(0).used == 3);
  // More units for the showroom, back by stick: the receipt and the new reference file.
  REQUIRE(c.central->Allocate("R-002", k.Id(), 2, true, false).ok());
  auto ref2 = c.central->ExportReference(k.Id(), c.dir / "stick3");
  REQUIRE_MESSAGE(ref2.ok(), ref2.error().message);
  REQUIRE(k.engine->ApplyReceipt(imported->receipts[0]).ok());
  auto applied2 = k.engine->ImportReference(ref2->file);
  REQUIRE_MESSAGE(applied2.ok(), applied2.error().message);
  CHECK(LeftHere(k, "R-002") == 2);  // 5 allocated, 3 used (counted through the file's cover)
  REQUIRE(Redeem(k, "R-002", 2).ok());
  CHECK(Redeem(k, "R-002", 1).error().code == "reward.out_of_stock");
}
