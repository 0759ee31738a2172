// Stocktake sessions on a real demo data folder: what is expected, ticked, reported and journaled,
// that a session survives closing the kiosk, and every refusal.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kiosk/core/events.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;

namespace {
struct Fixture {
  TempDir dir;
  ManualClock clock{DemoDay()};
  std::unique_ptr<Kiosk> k = MakeDemoKiosk(dir.path(), clock);
  void Reopen() {
    k.reset();
    auto again = Kiosk::Open({.data_dir = dir.path(), .clock = &clock});
    REQUIRE(again.ok());
    k = std::move(*again);
  }
};

std::string Tags(const std::vector<StocktakeUnitView>& units) {
  std::string s;
  for (const auto& u : units) s += (s.empty() ? "" : " ") + u.asset_tag;
  return s;
}
}  // namespace

TEST_CASE_FIXTURE(Fixture, "a stocktake of one bay ticks scans, survives a restart and journals its report") {
  auto v = k->StartStocktake(demo::kStaff, " Showroom A, bay 3 ");
  REQUIRE(v.ok());
  CHECK(v->scope == "Showroom A, bay 3");
  CHECK(v->expected == 2);  // DEMO-00007 and DEMO-00015; DEMO-00008 is out with a rep
  CHECK(v->ticked == 0);
  CHECK(Tags(v->expected_units) == "DEMO-00007 DEMO-00015");
  CHECK(v->expected_units[0].model == "Colour MFP A4 C2200");

  auto found = k->StocktakeScan(demo::kAvailableGs1);  // the serial barcode of DEMO-00007
  REQUIRE(found.ok());
  CHECK(found->unit.asset_tag == demo::kAvailable);
  CHECK(found->unit.status == "found");
  CHECK_FALSE(found->repeated);
  CHECK(found->session.ticked == 1);
  auto again = k->StocktakeScan(demo::kAvailable);
  REQUIRE(again.ok());
  CHECK(again->repeated);
  CHECK(again->session.ticked == 1);
  auto misplaced = k->StocktakeScan("DEMO-00004");
  REQUIRE(misplaced.ok());
  CHECK(misplaced->unit.status == "misplaced");
  CHECK(misplaced->unit.location == "Showroom A, bay 2");
  auto unexpected = k->StocktakeScan(demo::kOverdue);
  REQUIRE(unexpected.ok());
  CHECK(unexpected->unit.status == "unexpected");
  CHECK(unexpected->unit.custodian == demo::kRepWithOverdue);
  CHECK(unexpected->unit.custodian_name == "Mikko Korhonen");

  // Closed and opened again (a restart; each scan was committed as it was made): nothing lost.
  Reopen();
  auto now = k->CurrentStocktake();
  REQUIRE(now.ok());
  CHECK(now->ticked == 1);
  CHECK(now->expected_units[0].scanned);
  CHECK_FALSE(now->expected_units[1].scanned);
  CHECK(Tags(now->extra) == "DEMO-00004 DEMO-00008");

  const int64_t before = k->Status().last_seq;
  auto rep = k->FinishStocktake();
  REQUIRE(rep.ok());
  CHECK(rep->receipt.seq == before + 1);
  CHECK(rep->receipt.type == "stocktake.finished");
  CHECK(rep->receipt.message ==
        "Stocktake of Showroom A, bay 3: 1 of 2 units found, 1 missing, 1 misplaced, 1 unexpected.");
  CHECK(Tags(rep->found) == "DEMO-00007");
  CHECK(Tags(rep->missing) == "DEMO-00015");
  CHECK(Tags(rep->misplaced) == "DEMO-00004");
  CHECK(Tags(rep->unexpected) == "DEMO-00008");
  auto events = k->Journal(rep->receipt.seq, 1);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  auto payload = events::StocktakeFinished::FromJson((*events)[0].payload);
  REQUIRE(payload.ok());
  CHECK(payload->by == demo::kStaff);
  CHECK(payload->expected == 2);
  CHECK(payload->missing == std::vector<std::string>{"DEMO-00015"});
  REQUIRE(payload->misplaced.size() == 1);
  CHECK(payload->misplaced[0].location == "Showroom A, bay 2");
  REQUIRE(payload->unexpected.size() == 1);
  CHECK(payload->unexpected[0].state == "checked_out");
  CHECK(payload->unexpected[0].custodian == demo::kRepWithOverdue);
  // The missing unit's history shows the stocktake; the session is gone.
  auto missing = k->GetDevice("DEMO-00015");
  REQUIRE(missing.ok());
  REQUIRE_FALSE(missing->history.empty());
  CHECK(missing->history[0].type == "stocktake.finished");
  CHECK(k->CurrentStocktake().error().code == "stocktake.none");
}

TEST_CASE_FIXTURE(Fixture, "a stocktake of everything, and cancelling one journals nothing") {
  auto v = k->StartStocktake(demo::kRep, "");
  REQUIRE(v.ok());
  CHECK(v->scope.empty());
  CHECK(v->expected > 30);
  const int64_t before = k->Status().last_seq;
  REQUIRE(k->StocktakeScan(demo::kAvailable).ok());
  auto c = k->CancelStocktake();
  REQUIRE(c.ok());
  CHECK(c->ticked == 1);
  CHECK(k->Status().last_seq == before);
  CHECK(k->CurrentStocktake().error().code == "stocktake.none");
  // A new one starts with no scans of the old.
  auto fresh = k->StartStocktake(demo::kAdmin, "Showroom A");
  REQUIRE(fresh.ok());
  CHECK(fresh->ticked == 0);
  auto rep = k->FinishStocktake();
  REQUIRE(rep.ok());
  CHECK(rep->missing.size() == static_cast<size_t>(fresh->expected));
  CHECK(rep->receipt.payload["by"] == demo::kAdmin);
}

TEST_CASE_FIXTURE(Fixture, "stocktake refusals: no session, a second session, badges, scopes and codes") {
  CHECK(k->StocktakeScan(demo::kAvailable).error().code == "stocktake.none");
  CHECK(k->FinishStocktake().error().code == "stocktake.none");
  CHECK(k->CancelStocktake().error().code == "stocktake.none");
  CHECK(k->StartStocktake("BDG-NOPE", "").error().code == "badge.unknown");
  CHECK(k->StartStocktake(demo::kInactiveBadge, "").error().code == "badge.inactive");
  CHECK(k->StartStocktake(demo::kGoldCard, "").error().code == "badge.unknown");
  auto bad_scope = k->StartStocktake(demo::kStaff, "Showroom A, bay 99");
  CHECK(bad_scope.error().code == "stocktake.scope_unknown");
  CHECK(bad_scope.error().kind == ErrorKind::Usage);

  REQUIRE(k->StartStocktake(demo::kStaff, "Showroom A, bay 1").ok());
  auto second = k->StartStocktake(demo::kRep, "");
  CHECK(second.error().code == "stocktake.already_open");
  CHECK(second.error().message.find("Showroom A, bay 1") != std::string::npos);
  auto card = k->StocktakeScan(demo::kGoldCard);
  CHECK(card.error().code == "stocktake.not_a_unit");
  CHECK(card.error().variant == "card");
  CHECK(card.error().message.find("Tulostin Oy") != std::string::npos);
  CHECK(k->StocktakeScan(demo::kStaff).error().variant == "badge");
  CHECK(k->StocktakeScan("DEMO-99999").error().code == "device.unknown");
  CHECK(k->StocktakeScan("(01)00614141000036").error().code == "device.no_serial");
  // None of those ticked anything; finishing with an inactive badge is refused and keeps the session.
  CHECK(k->CurrentStocktake()->ticked == 0);
  CHECK(k->CurrentStocktake()->extra.empty());
  CHECK(k->FinishStocktake(demo::kInactiveBadge).error().code == "badge.inactive");
  CHECK(k->CurrentStocktake().ok());
}

TEST_CASE_FIXTURE(Fixture, "stocktake scopes come from the available units' locations") {
  auto s = k->StocktakeScopes();
  REQUIRE(s.ok());
  REQUIRE(s->size() > 3);
  CHECK((*s)[0] == "Showroom A");
  CHECK((*s)[1] == "Showroom A, bay 1");
  CHECK(std::find(s->begin(), s->end(), "Storage room") != s->end());
  // In transit, under repair and retired units' places are not places to count.
  CHECK(std::find(s->begin(), s->end(), "In transit to the Warsaw office") == s->end());
  CHECK(std::find(s->begin(), s->end(), "Service bench (fuser unit replacement)") == s->end());
}
