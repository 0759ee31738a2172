// storage::ActivityStore on a real kiosk database holding the demo showroom: device custody and
// history, demo orders, redemptions, sell-outs and deals, as the services write and read them.
#include <doctest/doctest.h>

#include <algorithm>

#include "kiosk/core/reference.hpp"
#include "storage/activity_store.hpp"
#include "storage/points_store.hpp"
#include "storage/reference_store.hpp"
#include "store_fixture.hpp"

using namespace kiosk;
using kiosk::storage::ActivityStore;
using kiosk::storage::ReferenceStore;
using kiosk::test::StoreFixture;

namespace {

struct Showroom : StoreFixture {
  Showroom() {
    auto doc = ParseReferenceFile(test::DemoReference());
    REQUIRE(doc.ok());
    storage::Transaction tx(Db());
    REQUIRE(tx.Begin().ok());
    REQUIRE(ReferenceStore(Db()).Apply(*doc).ok());
    REQUIRE(tx.Commit().ok());
  }
  ActivityStore Activity() { return ActivityStore(Db()); }
  Device Unit(const std::string& tag) {
    auto d = ReferenceStore(Db()).FindDevice(tag);
    REQUIRE(d.ok());
    REQUIRE(d->has_value());
    return **d;
  }
};

}  // namespace

TEST_CASE("activity store: check out, return and audit change a unit's custody") {
  Showroom f;
  ActivityStore a = f.Activity();
  REQUIRE(a.MarkCheckedOut("DEMO-00007", "BDG-20024", "2026-12-08", "Customer demo").ok());
  Device d = f.Unit("DEMO-00007");
  CHECK(d.state == DeviceState::CheckedOut);
  CHECK(d.custodian == "BDG-20024");
  CHECK(d.due_date == "2026-12-08");
  CHECK(d.purpose == "Customer demo");
  // A unit that is not available stays as it is.
  REQUIRE(a.MarkCheckedOut("DEMO-00007", "BDG-20016", "2026-12-09", "Other").ok());
  CHECK(f.Unit("DEMO-00007").custodian == "BDG-20024");
  REQUIRE(a.MarkReturned("DEMO-00007", DeviceState::Repair).ok());
  d = f.Unit("DEMO-00007");
  CHECK(d.state == DeviceState::Repair);
  CHECK(d.custodian.empty());
  CHECK(d.due_date.empty());
  CHECK(d.purpose.empty());
  REQUIRE(a.MarkAudited("DEMO-00007", "2026-11-24T10:00:00.000Z").ok());
  CHECK(f.Db().ScalarText("SELECT last_audit FROM devices WHERE asset_tag = 'DEMO-00007'")->value() ==
        "2026-11-24T10:00:00.000Z");
}

TEST_CASE("activity store: overdue units and the counts of units out") {
  Showroom f;
  ActivityStore a = f.Activity();
  CHECK(a.CountCheckedOut().value() == 6);
  CHECK(a.CountOverdue("2026-11-24").value() == 1);
  CHECK(a.OverdueTags("2026-11-24").value() == std::vector<std::string>{"DEMO-00008"});
  // A week later: the longest overdue first.
  auto later = a.OverdueTags("2026-12-05").value();
  REQUIRE(later.size() == 6);
  CHECK(later.front() == "DEMO-00008");
  CHECK(later[1] == "DEMO-00024");
  CHECK(a.CountOverdue("2026-12-05").value() == 6);
}

TEST_CASE("activity store: a unit's history is its linked events, newest first, once each") {
  Showroom f;
  ActivityStore a = f.Activity();
  const int64_t first = f.Log("device.checked_out", R"({"rep":"BDG-20024"})");
  const int64_t other = f.Log("device.audited");
  const int64_t second = f.Log("device.checked_in", R"({"condition":"ok"})");
  REQUIRE(a.LinkDeviceEvent("DEMO-00007", first).ok());
  REQUIRE(a.LinkDeviceEvent("DEMO-00007", second).ok());
  REQUIRE(a.LinkDeviceEvent("DEMO-00007", second).ok());  // again: a no-op
  REQUIRE(a.LinkDeviceEvent("DEMO-00001", other).ok());
  auto h = a.DeviceHistory("DEMO-00007", 20).value();
  REQUIRE(h.size() == 2);
  CHECK(h[0].seq == second);
  CHECK(h[0].type == "device.checked_in");
  CHECK(h[0].actor == "BDG-10017");
  CHECK(h[0].payload == R"({"condition":"ok"})");
  CHECK_FALSE(h[0].wall_time.empty());
  CHECK(h[1].seq == first);
  CHECK(a.DeviceHistory("DEMO-00007", 1).value().size() == 1);
  CHECK(a.DeviceHistory("DEMO-00040", 20).value().empty());
}

TEST_CASE("activity store: open demo orders per model and in all") {
  Showroom f;
  ActivityStore a = f.Activity();
  CHECK(a.OpenOrderUnits("P-FI-0001").value() == 0);
  REQUIRE(a.AddDemoOrder({.seq = 1, .partner_id = "P-FI-0001", .gtin = "00614141000012", .qty = 2, .created = "t"}).ok());
  REQUIRE(a.AddDemoOrder({.seq = 2, .partner_id = "P-FI-0001", .gtin = "00614141000029", .qty = 1, .created = "t"}).ok());
  REQUIRE(a.AddDemoOrder({.seq = 3, .partner_id = "P-OTHER", .gtin = "00614141000012", .qty = 4, .created = "t"}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", "00614141000012").value() == 2);
  CHECK(a.OpenOrderUnits("P-FI-0001").value() == 3);
  // Shipped is still open; a delivered (closed) order does not count.
  REQUIRE(a.ApplyOrderState({.seq = 1, .state = "shipped", .at = "t2"}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", "00614141000012").value() == 2);
  REQUIRE(a.ApplyOrderState({.seq = 1, .state = "delivered", .at = "t3", .serial = "S1", .asset_tag = "DEMO-9"}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", "00614141000012").value() == 0);
  CHECK(a.OpenOrderUnits("P-FI-0001").value() == 1);
  // One order per event.
  CHECK_FALSE(a.AddDemoOrder({.seq = 2, .partner_id = "P-FI-0001", .gtin = "x", .qty = 1, .created = "t"}).ok());
  auto listed = a.ListOrders("P-FI-0001", 10).value();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].seq == 2);  // newest first
  CHECK(listed[0].status == "open");
  CHECK(listed[1].status == "delivered");
  CHECK(listed[1].asset_tag == "DEMO-9");
  CHECK(listed[1].model == "Colour MFP A3 C4500");
  CHECK(a.ListOrders("", 10).value().size() == 3);
}

TEST_CASE("activity store: the quota estimate is the channel's count plus this kiosk's orders after its cover") {
  Showroom f;
  ActivityStore a = f.Activity();
  const char* c4500 = "00614141000012";
  REQUIRE(a.AddDemoOrder({.seq = 4, .partner_id = "P-FI-0001", .gtin = c4500, .qty = 1, .created = "t"}).ok());
  REQUIRE(a.AddDemoOrder({.seq = 9, .partner_id = "P-FI-0001", .gtin = c4500, .qty = 2, .created = "t"}).ok());
  // No count from the central yet: this kiosk's own open orders.
  CHECK(a.OpenOrderUnits("P-FI-0001", c4500, 0).value() == 3);
  // The central counted 5 over the channel with our events through seq 4 (our first order among
  // them): 5 plus our order 9, which it did not know yet.
  REQUIRE(a.ReplaceChannelOrders({{"P-FI-0001", c4500, 5}, {"P-FI-0001", "00614141000029", 1}, {"P-X", c4500, 7}}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", c4500, 4).value() == 7);
  CHECK(a.OpenOrderUnits("P-FI-0001", 4).value() == 8);
  // Rejected by the central: order 9 holds nothing even before a new count.
  REQUIRE(a.ApplyOrderState({.seq = 9, .state = "rejected", .at = "t2"}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", c4500, 4).value() == 5);
  // A new count replaces the old one whole: a partner missing from it has none open.
  REQUIRE(a.ReplaceChannelOrders({{"P-FI-0001", c4500, 2}}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", c4500, 9).value() == 2);
  CHECK(a.OpenOrderUnits("P-X", c4500, 9).value() == 0);
  REQUIRE(a.ReplaceChannelOrders({}).ok());
  CHECK(a.OpenOrderUnits("P-FI-0001", 9).value() == 0);
}

TEST_CASE("activity store: redemptions hold points after the covered seq and take reward stock") {
  Showroom f;
  ActivityStore a = f.Activity();
  REQUIRE(a.AddRedemption({.seq = 3, .partner_id = "P-FI-0001", .reward_id = "R-001", .qty = 2, .points = 1000,
                           .created = "t"})
              .ok());
  REQUIRE(a.AddRedemption({.seq = 5, .partner_id = "P-FI-0001", .reward_id = "R-002", .qty = 1, .points = 1500,
                           .created = "t"})
              .ok());
  REQUIRE(a.AddRedemption({.seq = 6, .partner_id = "P-OTHER", .reward_id = "R-001", .qty = 1, .points = 500,
                           .created = "t"})
              .ok());
  auto held = a.HeldFor("P-FI-0001", 0).value();
  CHECK(held.points == 2500);
  CHECK(held.redemptions == 2);
  held = a.HeldFor("P-FI-0001", 3).value();  // the reference data covers seq 3
  CHECK(held.points == 1500);
  CHECK(held.redemptions == 1);
  CHECK(a.HeldFor("P-NONE", 0).value().points == 0);
  CHECK(a.HeldByKiosk(0).value() == 3000);
  CHECK(a.HeldByKiosk(5).value() == 500);
  auto mug = ReferenceStore(f.Db()).FindReward("R-001").value();
  REQUIRE(mug);
  CHECK(mug->stock == 40 - 3);
}

TEST_CASE("activity store: the central's reward allocations replace the last list, and units redeemed after a cover") {
  Showroom f;
  ActivityStore a = f.Activity();
  CHECK_FALSE(a.FindAllocation("R-001").value().has_value());  // none yet: the reward's own stock counts
  REQUIRE(a.ReplaceAllocations({{"R-001", 5, 2, "allocation"}, {"R-003", 1, 0, "share"}}).ok());
  auto r1 = a.FindAllocation("R-001").value();
  REQUIRE(r1.has_value());
  CHECK(r1->allocated == 5);
  CHECK(r1->used == 2);
  CHECK(r1->basis == "allocation");
  // A new list replaces the whole of the last one.
  REQUIRE(a.ReplaceAllocations({{"R-003", 4, 1, "allocation"}}).ok());
  CHECK_FALSE(a.FindAllocation("R-001").value().has_value());
  CHECK(a.FindAllocation("R-003").value()->allocated == 4);
  for (int64_t seq : {3, 7, 9})
    REQUIRE(a.AddRedemption({.seq = seq, .partner_id = "P-FI-0001", .reward_id = "R-003", .qty = static_cast<int>(seq % 4),
                             .points = 2500, .created = "t"})
                .ok());
  REQUIRE(a.AddRedemption({.seq = 8, .partner_id = "P-FI-0001", .reward_id = "R-001", .qty = 2, .points = 1000,
                           .created = "t"})
              .ok());
  CHECK(a.RedeemedUnits("R-003", 0).value() == 3 + 3 + 1);
  CHECK(a.RedeemedUnits("R-003", 7).value() == 1);  // the central's `used` counts through seq 7
  CHECK(a.RedeemedUnits("R-002", 0).value() == 0);
}

TEST_CASE("activity store: a sold unit is reported once") {
  Showroom f;
  ActivityStore a = f.Activity();
  CHECK_FALSE(a.SelloutSeq("00614141000012", "SN-1").value());
  REQUIRE(a.AddSellout({.gtin = "00614141000012", .serial = "SN-1", .partner_id = "P-FI-0001", .seq = 9}).ok());
  CHECK(a.SelloutSeq("00614141000012", "SN-1").value().value() == 9);
  CHECK_FALSE(a.SelloutSeq("00614141000012", "SN-2").value());
  CHECK_FALSE(a.AddSellout({.gtin = "00614141000012", .serial = "SN-1", .partner_id = "P-OTHER", .seq = 10}).ok());
}

TEST_CASE("activity store: a deal is registered pending and decided later") {
  Showroom f;
  ActivityStore a = f.Activity();
  REQUIRE(a.AddDeal({.seq = 4, .partner_id = "P-FI-0001", .customer = "Acme", .product = "C4500", .value_eur = 1234.5,
                     .close_date = "2026-12-31"})
              .ok());
  CHECK(f.Db().ScalarText("SELECT status FROM deals WHERE seq = 4")->value() == "pending");
  REQUIRE(a.DecideDeal(4, "approved", "2026-11-25T09:00:00.000Z").ok());
  CHECK(f.Db().ScalarText("SELECT status || ' ' || decided_at FROM deals WHERE seq = 4")->value() ==
        "approved 2026-11-25T09:00:00.000Z");
  CHECK(f.Db().ScalarText("SELECT value FROM deals WHERE seq = 4")->value() == "1234.5");
}

TEST_CASE("activity store: the vendor's decision with its reason, listed newest first by partner") {
  Showroom f;
  ActivityStore a = f.Activity();
  REQUIRE(a.AddDeal({.seq = 4, .partner_id = "P-FI-0001", .customer = "Acme", .product = "C4500", .value_eur = 100,
                     .close_date = "2026-12-31", .registered_at = "2026-11-24T10:00:00.000Z"})
              .ok());
  REQUIRE(a.AddDeal({.seq = 6, .partner_id = "P-FI-0001", .customer = "Beta", .product = "A3", .value_eur = 200,
                     .close_date = "2026-12-31", .registered_at = "2026-11-24T11:00:00.000Z"})
              .ok());
  REQUIRE(a.AddDeal({.seq = 7, .partner_id = "P-PL-0001", .customer = "Gamma", .product = "A4", .value_eur = 300,
                     .close_date = "2026-12-31", .registered_at = "2026-11-24T12:00:00.000Z"})
              .ok());
  REQUIRE(a.DecideDeal({.seq = 4, .status = "rejected", .decided_at = "2026-11-25T09:00:00.000Z",
                        .message = "Rejected by the vendor: taken", .reason = "taken"})
              .ok());
  auto fi = a.ListDeals("P-FI-0001", 10);
  REQUIRE(fi.ok());
  REQUIRE(fi->size() == 2);
  CHECK((*fi)[0].seq == 6);
  CHECK((*fi)[0].status == "pending");
  CHECK((*fi)[0].registered_at == "2026-11-24T11:00:00.000Z");
  CHECK((*fi)[1].seq == 4);
  CHECK((*fi)[1].status == "rejected");
  CHECK((*fi)[1].reason == "taken");
  CHECK((*fi)[1].decided_at == "2026-11-25T09:00:00.000Z");
  CHECK(a.ListDeals("", 10)->size() == 3);
  CHECK(a.ListDeals("", 1)->front().seq == 7);
}

TEST_CASE("points store: the central's credits kept once, a partner's total, and the sell-outs a balance does not cover") {
  Showroom s;
  storage::PointsStore points(s.Db());
  // The models' earning rules came with the reference data.
  CHECK(ReferenceStore(s.Db()).FindModel("00614141000012").value()->earn_points == 300);
  CHECK(ReferenceStore(s.Db()).FindModel("00614141000098").value()->earn_points == 0);
  const PointsCredit c{7, "00614141000012", "P-FI-0001", "Colour MFP A3 C4500", 2, 600, "2026-11-25T09:00:00.000Z"};
  REQUIRE(points.Apply(c, "2026-11-25T10:00:00.000Z").ok());
  // The same credit again (a full pull, a stick after a sync): one row, first received.
  REQUIRE(points.Apply(c, "2026-11-26T10:00:00.000Z").ok());
  auto rows = points.ForPartner("P-FI-0001", 5);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  // Whether staff saw it lives in outcomes_shown alone (migration 8 dropped the credit's own flag).
  std::vector<std::string> columns;
  REQUIRE(s.Db().Each("SELECT name FROM pragma_table_info('points_credits')",
                      [&](storage::Statement& r) { columns.push_back(r.Text(0)); })
              .ok());
  CHECK(columns.size() == 8);
  CHECK(std::find(columns.begin(), columns.end(), "shown") == columns.end());
  CHECK((*rows)[0].received_at == "2026-11-25T10:00:00.000Z");
  CHECK((*rows)[0].credit.points == 600);
  REQUIRE(points.Apply({9, "00614141000043", "P-FI-0001", "Mono MFP A4 M1800", 1, 100, ""}, "x").ok());
  REQUIRE(points.Apply({9, "00614141000012", "P-PL-0001", "Colour MFP A3 C4500", 1, 300, ""}, "x").ok());
  CHECK(points.CreditedTotal("P-FI-0001").value() == 700);
  CHECK(points.ForPartner("P-FI-0001", 5).value().front().credit.seq == 9);  // newest first
  CHECK(points.ForPartner("P-FI-0001", 1).value().size() == 1);
  // Sold units after a seq, per model: what the pending estimate counts.
  auto a = s.Activity();
  REQUIRE(a.AddSellout({"00614141000012", "S1", "P-FI-0001", 5}).ok());
  REQUIRE(a.AddSellout({"00614141000012", "S2", "P-FI-0001", 8}).ok());
  REQUIRE(a.AddSellout({"00614141000012", "S3", "P-FI-0001", 8}).ok());
  REQUIRE(a.AddSellout({"00614141000098", "S4", "P-FI-0001", 8}).ok());
  REQUIRE(a.AddSellout({"00614141000012", "S5", "P-PL-0001", 8}).ok());
  auto sold = points.SoldAfter("P-FI-0001", 5);
  REQUIRE(sold.ok());
  REQUIRE(sold->size() == 2);
  CHECK((*sold)[0].gtin == "00614141000012");
  CHECK((*sold)[0].units == 2);
  CHECK((*sold)[1].gtin == "00614141000098");
  CHECK((*sold)[1].units == 1);
  CHECK(points.SoldAfter("P-FI-0001", 8).value().empty());
}
