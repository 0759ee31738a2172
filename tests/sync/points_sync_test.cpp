// Points from sell-outs end to end (issue 17): real kiosks (data folders, the sync engine over curl)
// and a real kiosk-central on loopback. A sell-out at kiosk A says about how many points it earns;
// they stay pending on A's partner screen until the central credits them; A's next pull brings the
// credit and the new balance, B's pull the balance; the same serial reported again at B earns
// nothing, and syncing again changes nothing. A stick round trip carries the credit too. Runs on
// both central stores (sync_tests on PostgreSQL).
#include <doctest/doctest.h>

#include "sync/sync_fixture.hpp"

using kiosk::test::CentralFixture;
using kiosk::test::OpenKioskDb;
using kiosk::test::TestKiosk;

namespace {

const char* kCard = "6299246000100012";       // P-FI-0001, 24,500 points, 3,200 pending at the central
const char* kSuspended = "6299643000200018";  // P-RU-0002
const char* kStaff = "BDG-10017";
// assets/demo/showroom.json: the C4500 earns 300 points per unit, the paper tray none.
std::string C4500(const std::string& serial) { return "(01)00614141000012(21)" + serial; }
std::string Tray(const std::string& serial) { return "(01)00614141000098(21)" + serial; }

kiosk::Receipt Sell(TestKiosk& k, const std::string& card, std::vector<std::string> codes) {
  auto r = k.kiosk->ReportSellout({.partner_card = card, .codes = std::move(codes), .by_badge = kStaff});
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return *r;
}

void Sync(TestKiosk& k) {
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
}

kiosk::PartnerView Partner(TestKiosk& k, const char* card = kCard) {
  auto v = k.kiosk->GetPartner(card);
  REQUIRE_MESSAGE(v.ok(), v.error().message);
  return *v;
}

std::string Arg(const kiosk::Receipt& r, const std::string& name) {
  for (const auto& [k, v] : r.args)
    if (k == name) return v;
  return "";
}

}  // namespace

TEST_CASE("points end to end: sold at kiosk A, credited at the central, B sees the balance, a duplicate earns nothing") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk a(c.dir, "KIOSK-EA"), b(c.dir, "KIOSK-EB");
  a.Enrol(c);
  b.Enrol(c);
  Sync(a);
  Sync(b);
  const kiosk::PartnerView start = Partner(a);
  CHECK(start.available_points == 24500);
  CHECK(start.pending_points == 3200);
  CHECK(start.credited_points == 0);

  // Two C4500 and a paper tray: about 600 points, for 2 of the 3 units.
  auto receipt = Sell(a, kCard, {C4500("EA-1"), Tray("EA-2"), C4500("EA-3")});
  CHECK(receipt.variant == "partial");
  CHECK(Arg(receipt, "points") == "600");
  CHECK(Arg(receipt, "earning") == "2");
  CHECK(receipt.message.find("about 600 points for 2 of them, credited when the central accepts the report") !=
        std::string::npos);
  kiosk::PartnerView sold = Partner(a);
  CHECK(sold.earn_pending == 600);
  CHECK(sold.pending_points == 3800);
  CHECK(sold.available_points == 24500);
  CHECK(sold.credited_points == 0);

  // A syncs: the central credits 600; A's pull brings the balance and the credit, nothing pending.
  Sync(a);
  CHECK(a.Verdict(receipt.seq) == "accepted ");  // accepted, with the points in its detail
  kiosk::PartnerView credited = Partner(a);
  CHECK(credited.available_points == 25100);
  CHECK(credited.earn_pending == 0);
  CHECK(credited.pending_points == 3200);
  CHECK(credited.credited_points == 600);
  REQUIRE(credited.credits.size() == 1);
  CHECK(credited.credits[0].seq == receipt.seq);
  CHECK(credited.credits[0].model == "Colour MFP A3 C4500");
  CHECK(credited.credits[0].units == 2);
  CHECK(credited.credits[0].points == 600);
  {
    auto db = OpenKioskDb(*a.kiosk);
    CHECK(db->ScalarInt("SELECT count(*) FROM points_credits").value().value_or(-1) == 1);
    // Not shown yet: the partner's page records what it showed in outcomes_shown.
    CHECK(db->ScalarInt("SELECT count(*) FROM outcomes_shown WHERE source = 'credit'").value().value_or(-1) == 0);
  }

  // B sees the new balance after its pull; the credit belongs to A's report, not B's.
  CHECK(Partner(b).available_points == 24500);
  Sync(b);
  CHECK(Partner(b).available_points == 25100);
  CHECK(Partner(b).credited_points == 0);

  // B reports one of A's serials again (B can't know it was sold at A): pending on B until the
  // central counts it once and credits nothing.
  auto again = Sell(b, kCard, {C4500("EA-1")});
  CHECK(again.variant == "");
  CHECK(Partner(b).earn_pending == 300);
  Sync(b);
  CHECK(b.Verdict(again.seq) == "rejected sellout.duplicate_serial");
  CHECK(Partner(b).earn_pending == 0);
  CHECK(Partner(b).available_points == 25100);
  // Syncing again, at either kiosk, credits nothing more.
  Sync(a);
  Sync(b);
  Sync(a);
  CHECK(Partner(a).available_points == 25100);
  CHECK(Partner(a).credited_points == 600);
  std::vector<std::vector<std::string>> rows;
  REQUIRE(c.central->Report("points", [&](const std::vector<std::string>& r) { rows.push_back(r); }).ok());
  CHECK(rows.size() == 2);
}

TEST_CASE("points: the sell-out receipt says why there are none") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-EN");
  auto tray = Sell(k, kCard, {Tray("EN-1")});
  CHECK(tray.variant == "no_rule");
  CHECK(tray.message.find("no points, as these models have no earning rule") != std::string::npos);
  auto suspended = Sell(k, kSuspended, {C4500("EN-2")});
  CHECK(suspended.variant == "suspended");
  CHECK(suspended.message.find("without points") != std::string::npos);
  REQUIRE(suspended.warnings.size() == 1);
  CHECK(suspended.warnings[0].code == "sellout.partner_suspended");
  CHECK(Partner(k, kSuspended).earn_pending == 0);
  auto one = Sell(k, kCard, {C4500("EN-3")});
  CHECK(one.variant == "");
  CHECK(one.message.find("about 300 points, credited when the central accepts the report") != std::string::npos);
  CHECK(Partner(k).earn_pending == 300);  // the tray earns nothing
  // A demo unit is refused before anything is logged.
  auto demo = k.kiosk->ReportSellout({.partner_card = kCard, .codes = {C4500("C45A0114351")}, .by_badge = kStaff});
  REQUIRE_FALSE(demo.ok());
  CHECK(demo.error().code == "sellout.demo_unit");
}

TEST_CASE("points by stick: the sell-out goes out in the export, the credit comes back in the reference file") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-ES");
  k.Enrol(c);
  auto sold = Sell(k, kCard, {C4500("ES-1")});
  CHECK(Partner(k).earn_pending == 300);
  auto exported = k.engine->ExportTo(c.dir / "stick");
  REQUIRE_MESSAGE(exported.ok(), exported.error().message);
  auto imported = c.central->ImportFiles(exported->files);
  REQUIRE_MESSAGE(imported.ok(), imported.error().message);
  auto ref = c.central->ExportReference(k.Id(), c.dir / "stick");
  REQUIRE_MESSAGE(ref.ok(), ref.error().message);
  // Still pending: nothing has come back yet.
  CHECK(Partner(k).earn_pending == 300);
  REQUIRE(k.engine->ApplyReceipt(imported->receipts[0]).ok());
  auto applied = k.engine->ImportReference(ref->file);
  REQUIRE_MESSAGE(applied.ok(), applied.error().message);
  const kiosk::PartnerView v = Partner(k);
  CHECK(v.earn_pending == 0);
  CHECK(v.available_points == 24800);
  CHECK(v.credited_points == 300);
  REQUIRE(v.credits.size() == 1);
  CHECK(v.credits[0].seq == sold.seq);
  // The same file again changes nothing.
  (void)k.engine->ImportReference(ref->file);
  CHECK(Partner(k).credited_points == 300);
  CHECK(Partner(k).available_points == 24800);
}
