// Demo orders at the central (issue 17): the channel-wide quota, the lifecycle moves, and what
// goes back to the kiosk in its reference document. Runs on SQLite, and on PostgreSQL with
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

constexpr const char* kC4500 = "00614141000012";  // gold quota 3, registered 1

void Order(ScriptedKiosk& k, const std::string& partner, const std::string& gtin, int qty) {
  k.Add("demo.ordered", json{{"partner_id", partner}, {"gtin", gtin}, {"model", "C4500"}, {"qty", qty}});
}

std::vector<kc::OrderRecord> Orders(CentralFixture& f, kc::OrderFilter filter = {}) {
  auto list = f.central->Orders(filter);
  REQUIRE_MESSAGE(list.ok(), list.error().message);
  return *list;
}

int64_t OpenUnits(CentralFixture& f, const std::string& partner) {
  int64_t n = 0;
  for (const auto& o : Orders(f, {.state = "", .partner_id = partner, .kiosk_id = ""}))
    if (o.state == "ordered" || o.state == "confirmed" || o.state == "shipped") n += o.qty;
  return n;
}

}  // namespace

TEST_CASE("orders: two kiosks of one partner each order up to the quota offline, the central accepts exactly the quota") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-QA"), b("KIOSK-QB");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  // P-FI-0001 is gold: 3 open units of the C4500. Each kiosk, offline, saw none open and took all 3.
  Order(a, "P-FI-0001", kC4500, 2);
  Order(a, "P-FI-0001", kC4500, 1);
  Order(b, "P-FI-0001", kC4500, 1);
  Order(b, "P-FI-0001", kC4500, 2);
  auto ra = AcceptedBatch(f.Push(a, 1, 2));
  auto rb = AcceptedBatch(f.Push(b, 1, 2));
  CHECK(ra.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(ra.verdicts[1].verdict == ksync::VerdictKind::Accepted);
  for (const auto& v : rb.verdicts) {
    CHECK(v.verdict == ksync::VerdictKind::Rejected);
    CHECK(v.code == "order.quota");
    CHECK(v.message.find("every kiosk of the channel") != std::string::npos);
    CHECK(v.message.find("Tulostin Oy has 3") != std::string::npos);
  }
  CHECK(OpenUnits(f, "P-FI-0001") == 3);
  // Every order is on record, the refused ones as rejected with the reason.
  auto rejected = Orders(f, {.state = "rejected", .partner_id = "", .kiosk_id = ""});
  REQUIRE(rejected.size() == 2);
  CHECK(rejected[0].kiosk_id == "KIOSK-QB");
  CHECK(rejected[0].note.find("order.quota") == std::string::npos);  // the reason in words, not a code
  CHECK(rejected[0].note.find("did not accept") != std::string::npos);
  // Another model and another partner are counted apart.
  Order(b, "P-FI-0001", "00614141000029", 3);
  Order(b, "P-GB-0001", kC4500, 3);
  auto rb2 = AcceptedBatch(f.Push(b, 3, 4));
  CHECK(rb2.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(rb2.verdicts[1].verdict == ksync::VerdictKind::Accepted);

  // Delivery closes one of a's orders: b's next order for one unit fits again, and only one.
  REQUIRE(f.central->MoveOrder("KIOSK-QA:2", "confirmed", {}).ok());
  REQUIRE(f.central->MoveOrder("KIOSK-QA:2", "shipped", {}).ok());
  REQUIRE(f.central->MoveOrder("KIOSK-QA:2", "delivered", {}).ok());
  Order(b, "P-FI-0001", kC4500, 1);
  Order(b, "P-FI-0001", kC4500, 1);
  auto rb3 = AcceptedBatch(f.Push(b, 5, 6));
  CHECK(rb3.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(rb3.verdicts[1].verdict == ksync::VerdictKind::Rejected);
  CHECK(OpenUnits(f, "P-FI-0001") == 3 + 3);  // 3 of the C4500, 3 of the M3600
}

TEST_CASE("orders: the lifecycle at the central, with timestamps, and wrong moves are refused and change nothing") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-L1");
  REQUIRE(f.Enrol(a).status == 200);
  Order(a, "P-FI-0001", kC4500, 1);
  Order(a, "P-FI-0001", kC4500, 1);
  AcceptedBatch(f.Push(a, 1, 2));
  auto listed = Orders(f);
  REQUIRE(listed.size() == 2);
  CHECK(kc::OrderId(listed[0]) == "KIOSK-L1:1");
  CHECK(listed[0].state == "ordered");
  CHECK(listed[0].model == "Colour MFP A3 C4500");
  CHECK(listed[0].ordered_at == a.events[0].wall_time);

  auto c = f.central->MoveOrder("KIOSK-L1:1", "confirmed", {.note = "PO 4711"});
  REQUIRE(c.ok());
  CHECK(c->state == "confirmed");
  CHECK(!c->confirmed_at.empty());
  CHECK(c->note == "PO 4711");
  const int64_t v1 = c->version;
  // Not yet shipped: it can't be delivered; the refusal names the states and changes nothing.
  auto early = f.central->MoveOrder("KIOSK-L1:1", "delivered", {});
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().code == "order.transition");
  CHECK(kiosk::ExitCodeFor(early.error().kind) == 1);
  CHECK(Orders(f)[0].state == "confirmed");
  auto s = f.central->MoveOrder("KIOSK-L1:1", "shipped", {.note = "tracking 123"});
  REQUIRE(s.ok());
  CHECK(s->version > v1);
  // Delivered with its unit: the order closes and the unit is a demo device of the reference data.
  auto d = f.central->MoveOrder("KIOSK-L1:1", "delivered",
                                {.note = "", .serial = "C45NEW0001", .asset_tag = "DEMO-09001", .location = "Showroom A, bay 9"});
  REQUIRE_MESSAGE(d.ok(), d.error().message);
  CHECK(d->state == "delivered");
  CHECK(!d->delivered_at.empty());
  CHECK(d->confirmed_at == c->confirmed_at);
  CHECK(d->shipped_at == s->shipped_at);
  auto device = f.store->GetRef("devices", "DEMO-09001");
  REQUIRE(device.ok());
  REQUIRE(device->has_value());
  const json body = json::parse((*device)->body);
  CHECK(body["gtin"] == kC4500);
  CHECK(body["serial"] == "C45NEW0001");
  CHECK(body["state"] == "available");
  CHECK(body["location"] == "Showroom A, bay 9");
  CHECK((*device)->version == d->version);
  // Final: no move out of delivered; cancelling the other, open one works.
  auto again = f.central->MoveOrder("KIOSK-L1:1", "cancelled", {});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().variant == "final");
  // The same asset tag for another unit is refused, and the order stays as it was.
  REQUIRE(f.central->MoveOrder("KIOSK-L1:2", "confirmed", {}).ok());
  REQUIRE(f.central->MoveOrder("KIOSK-L1:2", "shipped", {}).ok());
  auto taken = f.central->MoveOrder("KIOSK-L1:2", "delivered", {.note = "", .serial = "X", .asset_tag = "DEMO-09001"});
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == "order.asset_tag_taken");
  CHECK(Orders(f)[1].state == "shipped");
  REQUIRE(f.central->MoveOrder("KIOSK-L1:2", "cancelled", {.note = "lost in transit"}).ok());

  // What a script can get wrong: the id, the state, a tag without a serial, an unknown order.
  CHECK(f.central->MoveOrder("KIOSK-L1", "confirmed", {}).error().code == "order.id");
  CHECK(f.central->MoveOrder("KIOSK-L1:x", "confirmed", {}).error().code == "order.id");
  CHECK(f.central->MoveOrder("KIOSK-L1:9", "confirmed", {}).error().code == "order.not_found");
  CHECK(f.central->MoveOrder("KIOSK-L1:9", "confirmed", {}).error().kind == kiosk::ErrorKind::NotFound);
  CHECK(f.central->MoveOrder("KIOSK-L1:2", "rejected", {}).error().code == "order.state");
  CHECK(f.central->MoveOrder("KIOSK-L1:2", "delivered", {.note = "", .serial = "", .asset_tag = "T"}).error().code ==
        "order.unit");
  CHECK(f.central->MoveOrder("KIOSK-L1:2", "shipped", {.note = "", .serial = "S"}).error().code == "order.unit");
  CHECK(f.central->Orders({.state = "lost", .partner_id = "", .kiosk_id = ""}).error().code == "order.state");
  CHECK(Orders(f, {.state = "cancelled", .partner_id = "", .kiosk_id = ""}).size() == 1);
  CHECK(Orders(f, {.state = "", .partner_id = "P-GB-0001", .kiosk_id = ""}).empty());
}

TEST_CASE("orders: the kiosk's reference document carries its orders' states, the channel's open orders and the new unit") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-D1"), b("KIOSK-D2");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  Order(a, "P-FI-0001", kC4500, 2);
  Order(b, "P-FI-0001", kC4500, 1);
  AcceptedBatch(f.Push(a, 1, 1));
  AcceptedBatch(f.Push(b, 1, 1));
  auto full = json::parse(f.central->ReferenceDocument("KIOSK-D1", 0, -1).value());
  REQUIRE(full["order_states"].size() == 1);
  CHECK(full["order_states"][0]["seq"] == 1);
  CHECK(full["order_states"][0]["state"] == "ordered");
  REQUIRE(full["open_orders"].size() == 1);
  CHECK(full["open_orders"][0] == json{{"partner_id", "P-FI-0001"}, {"gtin", kC4500}, {"units", 3}});
  CHECK(full["covers_kiosk_seq"] == 1);
  const int64_t v = full["version"].get<int64_t>();
  auto parsed = kiosk::ParseReference(full.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  REQUIRE(parsed->open_orders.has_value());
  CHECK(parsed->open_orders->at(0).units == 3);
  // Nothing moved since: the delta has neither list.
  auto quiet = json::parse(f.central->ReferenceDocument("KIOSK-D1", v, -1).value());
  CHECK_FALSE(quiet.contains("order_states"));
  CHECK_FALSE(quiet.contains("open_orders"));
  // b's order moves: a's delta has the channel's new count but none of b's states.
  REQUIRE(f.central->MoveOrder("KIOSK-D2:1", "cancelled", {}).ok());
  auto da = json::parse(f.central->ReferenceDocument("KIOSK-D1", v, -1).value());
  CHECK_FALSE(da.contains("order_states"));
  REQUIRE(da["open_orders"].size() == 1);
  CHECK(da["open_orders"][0]["units"] == 2);
  // a's order delivered with a unit: its state, the new device, and an empty count (all closed).
  for (const char* to : {"confirmed", "shipped"}) REQUIRE(f.central->MoveOrder("KIOSK-D1:1", to, {}).ok());
  REQUIRE(f.central->MoveOrder("KIOSK-D1:1", "delivered", {.note = "", .serial = "SN-77", .asset_tag = "DEMO-09777"}).ok());
  auto dd = json::parse(f.central->ReferenceDocument("KIOSK-D1", v, -1).value());
  REQUIRE(dd["order_states"].size() == 1);
  CHECK(dd["order_states"][0]["state"] == "delivered");
  CHECK(dd["order_states"][0]["asset_tag"] == "DEMO-09777");
  CHECK(dd["order_states"][0]["serial"] == "SN-77");
  CHECK(dd["open_orders"] == json::array());
  REQUIRE(dd["devices"].size() == 1);
  CHECK(dd["devices"][0]["asset_tag"] == "DEMO-09777");
  auto reparsed = kiosk::ParseReference(dd.dump());
  REQUIRE_MESSAGE(reparsed.ok(), reparsed.error().message);
  CHECK(reparsed->order_states.at(0).state == "delivered");
  CHECK(reparsed->devices.at(0).serial == "SN-77");
}
