// A week of two showrooms (issue 17, "Done when"): one kiosk online every day, one offline all
// week and synced only by USB stick, one real central on loopback where the vendor decides deals
// and moves demo orders. Both showrooms serve the same partners and share demo units, so the
// central has to settle what they did apart: a redemption the balance no longer covers, a unit
// checked out at both, a serial reported sold at both, a quota. At the end of the week both kiosks
// hold the central's picture of every partner's points, their own orders and deals, the demo
// units' custody, and every verdict on what they logged. Runs on both central stores (sync_tests on
// PostgreSQL).
#include <doctest/doctest.h>

#include "sync/showroom_sim.hpp"

using kiosk::test::CentralFixture;
using kiosk::test::sim::CheckLevel;
using kiosk::test::sim::Showroom;
using kiosk::test::sim::WorldClock;
using nlohmann::json;

namespace {

const char* kTulostin = "6299246000100012";   // P-FI-0001, gold, 24,500 points
const char* kNowak = "6299616000100016";      // P-PL-0001, silver
const char* kBiurotech = "6299616000200014";  // P-PL-0002, platinum, 58,300 points
const char* kSchulz = "6299276000100019";     // P-DE-0001, platinum
const char* kStaff = "BDG-10017";
const char* kC4500 = "00614141000012";

void Ok(const kiosk::Result<kiosk::Receipt>& r) { REQUIRE_MESSAGE(r.ok(), r.error().message); }

}  // namespace

TEST_CASE("a week of two showrooms, one online and one on a USB stick, ends with both holding the central's picture") {
  WorldClock world;
  CentralFixture c({}, world);
  c.LoadDemoReference();
  Showroom net(c.dir, "KIOSK-WEEK-NET", world), stick(c.dir, "KIOSK-WEEK-STICK", world);
  net.Enrol(c);
  stick.Enrol(c);  // once, over the network; then the stick showroom is offline for the week
  stick.CutNetwork();
  net.Sync();
  const auto day = std::chrono::hours(24);
  int stick_trips = 0;
  auto trip = [&] { stick.StickRoundTrip(*c.central, c.dir / ("stick-" + std::to_string(++stick_trips))); };
  auto both_fresh = [&] {
    CHECK_FALSE(net.kiosk->Status().stale);
    CHECK_FALSE(stick.kiosk->Status().stale);  // a stick every other day keeps it usable
  };

  // Monday. Both showrooms spend Tulostin's points: the online one first.
  both_fresh();
  net.Scan(kTulostin);
  Ok(net.kiosk->Redeem({kTulostin, "R-007", 1, kStaff}));    // 15,000 of 24,500
  stick.Scan(kTulostin);
  Ok(stick.kiosk->Redeem({kTulostin, "R-007", 1, kStaff}));  // offline: the kiosk still sees 24,500
  const int64_t stick_redeem = stick.Head();
  net.Scan(kBiurotech);
  Ok(net.kiosk->ReportSellout({kBiurotech, {"(01)00614141000043(21)WEEK-M18-0001"}, kStaff}));
  const int64_t net_sellout = net.Head();  // a Mono MFP A4 M1800: earns points once accepted
  stick.Scan(kTulostin);
  Ok(stick.kiosk->RegisterDeal({kTulostin, "Acme Oy", "C4500 fleet", 25000, "2027-06-30", kStaff}));
  const int64_t stick_deal = stick.Head();
  Ok(stick.kiosk->Checkout({.codes = {"DEMO-00009"}, .rep_badge = "BDG-20024", .no_signature_reason = "test"}));
  const int64_t stick_checkout = stick.Head();
  net.Sync();
  world.Advance(day);

  // Tuesday. The online showroom checks out the unit the stick showroom already lent (it can't
  // know), orders demo units and registers a deal; the stick showroom reports a sale of the serial
  // the online one reported on Monday, and orders a demo unit. The vendor works through its list.
  both_fresh();
  Ok(net.kiosk->Checkout({.codes = {"DEMO-00009"}, .rep_badge = "BDG-20016", .no_signature_reason = "test"}));
  net.Scan(kSchulz);
  Ok(net.kiosk->OrderDemo({.partner_card = kSchulz, .model_gtin = kC4500, .qty = 2, .by_badge = kStaff}));
  const int64_t net_order = net.Head();
  net.Scan(kNowak);
  Ok(net.kiosk->RegisterDeal({kNowak, "Beta GmbH", "M3600 x4", 8000, "2027-03-31", kStaff}));
  const int64_t net_deal = net.Head();
  stick.Scan(kTulostin);
  Ok(stick.kiosk->ReportSellout({kTulostin, {"(01)00614141000043(21)WEEK-M18-0001"}, kStaff}));
  const int64_t stick_sellout = stick.Head();
  stick.Scan(kTulostin);
  Ok(stick.kiosk->OrderDemo({.partner_card = kTulostin, .model_gtin = kC4500, .qty = 1, .by_badge = kStaff}));
  const int64_t stick_order = stick.Head();
  net.Sync();
  REQUIRE(c.central->DecideDeal(net.Id() + ":" + std::to_string(net_deal), true, "welcome", "vendor").ok());
  REQUIRE(c.central->MoveOrder(net.Id() + ":" + std::to_string(net_order), "confirmed", {.note = "PO 1"}).ok());
  trip();  // the stick goes to the central and back
  world.Advance(day);

  // Wednesday. What the central settled from the stick is back at the stick showroom.
  both_fresh();
  {
    auto verdicts = stick.kiosk->Verdicts(false);
    REQUIRE(verdicts.ok());
    std::map<int64_t, std::string> codes;
    for (const auto& v : *verdicts) codes[v.seq] = v.verdict + " " + v.code;
    CHECK(codes[stick_redeem] == "adjusted loyalty.partly_honoured");  // 9,500 of 15,000 honoured
    CHECK(codes[stick_checkout] == "rejected custody.conflict");       // the online showroom's checkout arrived first
    CHECK(codes[stick_sellout].rfind("rejected sellout.", 0) == 0);    // a serial is sold once
    CHECK(stick.kiosk->GetPartner(kTulostin).value().balance.available == 0);
  }
  // The unit both showrooms lent out: each device page says its side of the conflict.
  net.Sync();
  auto conflict_key = [](Showroom& s) {
    auto d = s.kiosk->GetDevice("DEMO-00009");
    REQUIRE(d.ok());
    return d->conflicts.empty() ? std::string() : d->conflicts[0].key;
  };
  CHECK(conflict_key(net) == "conflict.held_here");        // find the unit: the stick showroom lent it too
  CHECK(conflict_key(stick) == "conflict.kept_elsewhere");  // the central keeps the online showroom's checkout
  Ok(net.kiosk->Checkin({.codes = {"DEMO-00009"}, .by_badge = kStaff}));
  Ok(stick.kiosk->Checkout({.codes = {"DEMO-00013"}, .rep_badge = "BDG-20032", .no_signature_reason = "test"}));
  net.Sync();
  REQUIRE(
      c.central->DecideDeal(stick.Id() + ":" + std::to_string(stick_deal), false, "The customer buys direct", "vendor")
          .ok());
  REQUIRE(c.central->MoveOrder(net.Id() + ":" + std::to_string(net_order), "shipped", {.note = "DHL 1234"}).ok());
  world.Advance(day);

  // Thursday. The vendor delivers the online showroom's order as a new demo unit.
  both_fresh();
  net.Scan(kBiurotech);
  Ok(net.kiosk->Redeem({kBiurotech, "R-001", 2, kStaff}));
  stick.Scan(kNowak);
  Ok(stick.kiosk->ReportSellout({kNowak, {"(01)00614141000043(21)WEEK-M18-0002"}, kStaff}));
  const int64_t stick_sellout2 = stick.Head();
  Ok(stick.kiosk->Checkin({.codes = {"DEMO-00013"}, .by_badge = kStaff}));
  net.Sync();
  REQUIRE(
      c.central
          ->MoveOrder(net.Id() + ":" + std::to_string(net_order), "delivered",
                      {.note = "", .serial = "C45WEEK0001", .asset_tag = "DEMO-09001", .location = "Showroom A, bay 9"})
          .ok());
  REQUIRE(c.central->MoveOrder(stick.Id() + ":" + std::to_string(stick_order), "confirmed", {}).ok());
  trip();
  world.Advance(day);

  // Friday. The new unit is on the online showroom's shelf; it lends it out.
  both_fresh();
  net.Sync();
  Ok(net.kiosk->Checkout({.codes = {"DEMO-09001"}, .rep_badge = "BDG-20040", .no_signature_reason = "test"}));
  REQUIRE(
      c.central->MoveOrder(stick.Id() + ":" + std::to_string(stick_order), "cancelled", {.note = "out of stock"}).ok());
  net.Sync();
  world.Advance(day);

  // Saturday.
  both_fresh();
  stick.Scan(kBiurotech);
  Ok(stick.kiosk->Redeem({kBiurotech, "R-002", 1, kStaff}));
  net.Sync();
  trip();
  world.Advance(day);

  // Sunday: a last deal at the stick showroom, decided by the vendor as the week closes; then the
  // last stick round trip and the online showroom's last sync.
  both_fresh();
  stick.Scan(kSchulz);
  Ok(stick.kiosk->RegisterDeal({kSchulz, "Gamma AG", "P9100", 120000, "2027-09-30", kStaff}));
  const int64_t stick_deal2 = stick.Head();
  trip();
  REQUIRE(c.central->DecideDeal(stick.Id() + ":" + std::to_string(stick_deal2), true, "", "vendor").ok());
  trip();
  net.Sync();
  trip();  // carries the online showroom's last events' effects and the stick's own reference.loaded

  // Both showrooms hold the central's picture.
  CHECK(conflict_key(net).empty());  // the check-in on Wednesday settled it, at both
  CHECK(conflict_key(stick).empty());
  CheckLevel(c, net);
  CheckLevel(c, stick);
  CHECK(stick.offline->requests == 0);  // not one request from the stick showroom after enrolment
  // And it is the picture the week should have left.
  CHECK(net.kiosk->GetPartner(kTulostin).value().balance.available == 0);
  CHECK(stick.kiosk->GetDevice("DEMO-09001").value().device.custodian == "BDG-20040");
  CHECK(stick.kiosk->GetDevice("DEMO-00009").value().device.state == kiosk::DeviceState::Available);
  auto stick_deals = stick.kiosk->Deals();
  REQUIRE(stick_deals.ok());
  std::map<int64_t, std::string> deal_states;
  for (const auto& d : *stick_deals) deal_states[d.seq] = d.status;
  CHECK(deal_states[stick_deal] == "rejected");
  CHECK(deal_states[stick_deal2] == "approved");
  std::map<int64_t, std::string> order_states;
  for (const auto& o : stick.kiosk->Orders("").value()) order_states[o.seq] = o.state;
  CHECK(order_states[stick_order] == "cancelled");
  for (const auto& o : net.kiosk->Orders("").value()) order_states[o.seq] = o.state;
  CHECK(order_states[net_order] == "delivered");

  // Monday after: each partner served during the week comes back to each showroom it visited, and
  // staff see on the scan what is left to see. By then they have seen every outcome the central
  // decided about that partner's business there, each once.
  for (Showroom* s : {&net, &stick}) {
    for (const std::string& card : s->cards) {
      s->Scan(card.c_str());
      auto every = s->kiosk->PartnerChanges(card, true);
      REQUIRE(every.ok());
      std::set<std::string> all;
      for (const kiosk::OutcomeLine& l : *every) {
        CHECK_MESSAGE(l.shown, s->Id() << " " << card << ": " << l.text);
        all.insert(l.source + " " + std::to_string(l.seq) + " " + l.kind);
      }
      for (const std::string& o : all) CHECK_MESSAGE(s->seen[card].count(o) == 1, s->Id() << " " << card << ": " << o);
      auto again = s->kiosk->PartnerChanges(card);
      REQUIRE(again.ok());
      CHECK(again->empty());  // nothing shown twice
    }
  }
  auto saw = [](Showroom& s, const char* card, const std::string& what) {
    return s.seen[card].count(what) == 1;
  };
  CHECK(saw(stick, kTulostin, "redemption " + std::to_string(stick_redeem) + " adjusted"));
  CHECK(saw(stick, kTulostin, "sellout " + std::to_string(stick_sellout) + " rejected"));
  CHECK(saw(stick, kTulostin, "deal " + std::to_string(stick_deal) + " rejected"));
  CHECK(saw(stick, kTulostin, "order " + std::to_string(stick_order) + " cancelled"));
  CHECK(saw(stick, kSchulz, "deal " + std::to_string(stick_deal2) + " approved"));
  CHECK(saw(stick, kNowak, "credit " + std::to_string(stick_sellout2) + " credited"));
  CHECK(saw(net, kNowak, "deal " + std::to_string(net_deal) + " approved"));
  CHECK(saw(net, kSchulz, "order " + std::to_string(net_order) + " delivered"));
  CHECK(saw(net, kBiurotech, "credit " + std::to_string(net_sellout) + " credited"));
}
