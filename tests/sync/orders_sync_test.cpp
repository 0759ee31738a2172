// Demo orders end to end (issue 17): real kiosks (data folders, the sync engine over curl) and a
// real kiosk-central on loopback. An order goes up with the journal, the central moves it through
// its lifecycle, and the state comes back with the next pull or stick file: a delivered order frees
// the kiosk's quota estimate and its unit is a demo device. The quota is the channel's: a second
// kiosk of the showroom sees the first one's orders, and the central's verdict holds where both
// ordered offline. Runs on both central stores (sync_tests on PostgreSQL).
#include <doctest/doctest.h>

#include "sync/sync_fixture.hpp"

using nlohmann::json;
using kiosk::test::CentralFixture;
using kiosk::test::OpenKioskDb;
using kiosk::test::TestKiosk;
namespace fs = std::filesystem;

namespace {

const char* kCard = "6299246000100012";  // P-FI-0001, gold: 3 open C4500s
const char* kC4500 = "00614141000012";
const char* kStaff = "BDG-10017";

kiosk::Result<kiosk::Receipt> Order(TestKiosk& k, int qty) {
  return k.kiosk->OrderDemo({.partner_card = kCard, .model_gtin = kC4500, .qty = qty, .by_badge = kStaff});
}

void Sync(TestKiosk& k) {
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
}

std::string StateOf(TestKiosk& k, int64_t seq) {
  auto orders = k.kiosk->Orders("");
  REQUIRE(orders.ok());
  for (const kiosk::DemoOrderLine& o : *orders)
    if (o.seq == seq) return o.state;
  return "";
}

int OpenEstimate(TestKiosk& k) { return k.kiosk->GetPartner(kCard).value().open_demo_orders; }

}  // namespace

TEST_CASE("demo orders end to end: ordered at kiosk A, moved at the central, delivered back to A, and B sees the channel") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk a(c.dir, "KIOSK-OA"), b(c.dir, "KIOSK-OB");
  a.Enrol(c);
  b.Enrol(c);
  Sync(a);
  Sync(b);

  // A takes the partner's whole quota: 2 then 1. Its own estimate is full at once.
  auto first = Order(a, 2);
  REQUIRE_MESSAGE(first.ok(), first.error().message);
  const int64_t seq1 = first->seq;
  REQUIRE(Order(a, 1).ok());
  CHECK(OpenEstimate(a) == 3);
  auto full = Order(a, 1);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == "order.quota");
  CHECK(StateOf(a, seq1) == "open");  // no word from the central yet
  Sync(a);
  CHECK(StateOf(a, seq1) == "ordered");
  CHECK(OpenEstimate(a) == 3);  // now the central's count, no longer A's own

  // B has ordered nothing, but its next pull brings the channel's count: B refuses too.
  CHECK(OpenEstimate(b) == 0);
  Sync(b);
  CHECK(OpenEstimate(b) == 3);
  auto at_b = Order(b, 1);
  REQUIRE_FALSE(at_b.ok());
  CHECK(at_b.error().code == "order.quota");

  // The central confirms, ships and delivers A's first order, with its unit.
  const std::string id = a.Id() + ":" + std::to_string(seq1);
  REQUIRE(c.central->MoveOrder(id, "confirmed", {}).ok());
  Sync(a);
  CHECK(StateOf(a, seq1) == "confirmed");
  CHECK(OpenEstimate(a) == 3);
  REQUIRE(c.central->MoveOrder(id, "shipped", {.note = "DHL 123"}).ok());
  REQUIRE(c.central->MoveOrder(id, "delivered", {.note = "", .serial = "C45NEW0042", .asset_tag = "DEMO-09042",
                                                  .location = "Showroom A, bay 9"})
              .ok());
  CHECK_FALSE(a.kiosk->GetDevice("DEMO-09042").ok());
  Sync(a);
  auto orders = a.kiosk->Orders(kCard);
  REQUIRE(orders.ok());
  REQUIRE(orders->size() == 2);
  const kiosk::DemoOrderLine& delivered = orders->back();  // newest first
  CHECK(delivered.seq == seq1);
  CHECK(delivered.state == "delivered");
  CHECK(delivered.asset_tag == "DEMO-09042");
  CHECK(delivered.serial == "C45NEW0042");
  CHECK_FALSE(delivered.state_at.empty());
  // Its quota is free again, and the unit is one of the showroom's demo devices.
  CHECK(OpenEstimate(a) == 1);
  auto unit = a.kiosk->GetDevice("DEMO-09042");
  REQUIRE_MESSAGE(unit.ok(), unit.error().message);
  CHECK(unit->device.serial == "C45NEW0042");
  CHECK(unit->device.state == kiosk::DeviceState::Available);
  CHECK(unit->model.gtin == kC4500);
  // The partner's page lists the orders with their states.
  auto page = a.kiosk->GetPartner(kCard);
  REQUIRE(page.ok());
  REQUIRE(page->orders.size() == 2);
  CHECK(page->orders[1].state == "delivered");
  CHECK(page->orders[0].state == "ordered");

  // Both kiosks, offline, use the 2 freed units: each estimate allows it, the central keeps 2.
  Sync(b);
  CHECK(OpenEstimate(b) == 1);
  CHECK(b.kiosk->GetDevice("DEMO-09042").ok());  // every kiosk of the channel has the new unit
  auto a2 = Order(a, 2);
  REQUIRE(a2.ok());
  auto b2 = Order(b, 2);
  REQUIRE_MESSAGE(b2.ok(), b2.error().message);
  Sync(a);
  Sync(b);
  CHECK(StateOf(a, a2->seq) == "ordered");
  CHECK(a.Verdict(a2->seq) == "accepted ");
  CHECK(StateOf(b, b2->seq) == "rejected");
  CHECK(b.Verdict(b2->seq) == "rejected order.quota");
  CHECK(OpenEstimate(b) == 3);  // the central's count: B's rejected order holds nothing
  Sync(a);
  CHECK(OpenEstimate(a) == 3);
  auto rejected = c.central->Orders({.state = "rejected", .partner_id = "P-FI-0001", .kiosk_id = ""});
  REQUIRE(rejected.ok());
  REQUIRE(rejected->size() == 1);
  CHECK(rejected->at(0).kiosk_id == b.Id());
  CHECK(rejected->at(0).note.find("every kiosk of the channel") != std::string::npos);

  // A cancellation frees the quota too.
  REQUIRE(c.central->MoveOrder(a.Id() + ":" + std::to_string(a2->seq), "cancelled", {.note = "partner withdrew"}).ok());
  Sync(b);
  CHECK(OpenEstimate(b) == 1);
  kiosk::test::CheckLevel(c, a);
  kiosk::test::CheckLevel(c, b);
}

TEST_CASE("demo orders by stick: the order goes out in the export, its delivery comes back in the reference file") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-OS");
  k.Enrol(c);
  auto placed = Order(k, 3);
  REQUIRE(placed.ok());
  CHECK(OpenEstimate(k) == 3);
  // kiosk export -> kiosk-central import -> orders move -> kiosk-central export-reference.
  auto exported = k.engine->ExportTo(c.dir / "stick");
  REQUIRE_MESSAGE(exported.ok(), exported.error().message);
  auto imported = c.central->ImportFiles(exported->files);
  REQUIRE_MESSAGE(imported.ok(), imported.error().message);
  const std::string id = k.Id() + ":" + std::to_string(placed->seq);
  for (const char* to : {"confirmed", "shipped"}) REQUIRE(c.central->MoveOrder(id, to, {}).ok());
  REQUIRE(c.central->MoveOrder(id, "delivered", {.note = "", .serial = "C45STICK1", .asset_tag = "DEMO-09100"}).ok());
  auto ref = c.central->ExportReference(k.Id(), c.dir / "stick");
  REQUIRE_MESSAGE(ref.ok(), ref.error().message);
  // kiosk import-receipt + import-reference: delivered, quota free, the unit a demo device.
  REQUIRE(k.engine->ApplyReceipt(imported->receipts[0]).ok());
  auto applied = k.engine->ImportReference(ref->file);
  REQUIRE_MESSAGE(applied.ok(), applied.error().message);
  CHECK(StateOf(k, placed->seq) == "delivered");
  CHECK(OpenEstimate(k) == 0);
  REQUIRE(Order(k, 3).ok());
  auto unit = k.kiosk->GetDevice("DEMO-09100");
  REQUIRE_MESSAGE(unit.ok(), unit.error().message);
  CHECK(unit->device.serial == "C45STICK1");
}
