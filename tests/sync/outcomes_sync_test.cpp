// What changed for a partner, and custody conflicts, end to end (issue 17 item 5): real kiosks
// (data folders, the sync engine over curl) and a real kiosk-central on loopback. The central
// adjusts a redemption, decides a deal, moves an order: the partner's next scan lists it once,
// and not again (also after a restart). A unit checked out at two kiosks: both device pages say
// who holds it per the central, until a check-in resolves it. Runs on both central stores
// (sync_tests on PostgreSQL).
#include <doctest/doctest.h>

#include <algorithm>

#include "sync/sync_fixture.hpp"
#include "kiosk/core/atomic_file.hpp"

using kiosk::test::CentralFixture;
using kiosk::test::TestKiosk;

namespace {

const char* kCard = "6299246000100012";  // P-FI-0001: 24,500 points, gold
const char* kStaff = "BDG-10017";
const char* kUnit = "DEMO-00007";        // available in the demo showroom

void Sync(TestKiosk& k) {
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
}

// The partner's scan at the touchscreen: the list, then recorded as shown (AppController).
std::vector<kiosk::OutcomeLine> Scan(TestKiosk& k) {
  auto p = k.kiosk->CheckPartnerCard(kCard);
  REQUIRE_MESSAGE(p.ok(), p.error().message);
  REQUIRE(k.kiosk->MarkChangesShown(p->changes).ok());
  return p->changes;
}

void Reopen(TestKiosk& k) {
  k.engine.reset();
  k.kiosk.reset();
  k.kiosk = std::move(kiosk::Kiosk::Open({.data_dir = k.dir}).value());
  k.engine = std::make_unique<kiosk::sync::SyncEngine>(*k.kiosk, *k.http, k.m_options);
}

}  // namespace

TEST_CASE("outcomes: a redemption the central adjusted shows on the partner's next scan once, and not again") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk a(c.dir, "KIOSK-XA"), b(c.dir, "KIOSK-XB");
  a.Enrol(c);
  b.Enrol(c);
  REQUIRE(a.kiosk->Redeem({kCard, "R-007", 1, kStaff}).ok());  // 15,000 of 24,500
  REQUIRE(b.kiosk->Redeem({kCard, "R-007", 1, kStaff}).ok());  // another 15,000: only 9,500 left
  Sync(a);
  Sync(b);
  CHECK(Scan(a).empty());  // A's redemption was honoured in full: nothing to say
  auto lines = Scan(b);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].source == "redemption");
  CHECK(lines[0].kind == "adjusted");
  CHECK(lines[0].act);
  CHECK(lines[0].key == "outcome.redemption.adjusted");
  CHECK(lines[0].text.find("9,500 of 15,000 points honoured") != std::string::npos);
  CHECK(lines[0].text.find("(5,500)") != std::string::npos);
  CHECK(Scan(b).empty());  // shown once
  Reopen(b);
  Sync(b);
  CHECK(Scan(b).empty());  // and not again after a restart and another sync
  // The admin's list keeps it.
  auto verdicts = b.kiosk->Verdicts();
  REQUIRE(verdicts.ok());
  CHECK(std::any_of(verdicts->begin(), verdicts->end(), [](const kiosk::VerdictView& v) { return v.verdict == "adjusted"; }));
  auto all = b.kiosk->PartnerChanges(kCard, true);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK(all->front().shown);
}

TEST_CASE("outcomes: a deal the vendor decided and an order the central moved reach the partner's next scan") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-XD");
  k.Enrol(c);
  auto deal = k.kiosk->RegisterDeal({kCard, "Kesko Oyj", "Colour MFP C4500 fleet", 48000, "2027-01-31", kStaff});
  REQUIRE_MESSAGE(deal.ok(), deal.error().message);
  auto order = k.kiosk->OrderDemo({.partner_card = kCard, .model_gtin = "00614141000012", .qty = 2, .by_badge = kStaff});
  REQUIRE_MESSAGE(order.ok(), order.error().message);
  Sync(k);
  CHECK(Scan(k).empty());  // pending and ordered: nothing decided yet

  REQUIRE(c.central->DecideDeal(k.Id() + ":" + std::to_string(deal->seq), false, "already registered by a distributor",
                                "vendor")
              .ok());
  const std::string order_id = k.Id() + ":" + std::to_string(order->seq);
  REQUIRE(c.central->MoveOrder(order_id, "confirmed", {}).ok());
  Sync(k);
  auto lines = Scan(k);
  REQUIRE(lines.size() == 2);
  auto find = [&](const char* source) {
    auto it = std::find_if(lines.begin(), lines.end(), [&](const kiosk::OutcomeLine& l) { return l.source == source; });
    REQUIRE(it != lines.end());
    return *it;
  };
  const kiosk::OutcomeLine d = find("deal");
  CHECK(d.kind == "rejected");
  CHECK(d.key == "outcome.deal.rejected_reason");
  CHECK(d.act);
  CHECK(d.text == "Deal rejected: Kesko Oyj · Colour MFP C4500 fleet (48,000 €). Reason: already registered by a "
                  "distributor. Tell the partner.");
  const kiosk::OutcomeLine o = find("order");
  CHECK(o.kind == "confirmed");
  CHECK(o.text == "Demo order 2 × Colour MFP A3 C4500 confirmed by the vendor.");
  CHECK(Scan(k).empty());

  // The order moves again: it shows once more, with its new state only.
  REQUIRE(c.central->MoveOrder(order_id, "shipped", {}).ok());
  Sync(k);
  lines = Scan(k);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].kind == "shipped");
  CHECK(lines[0].key == "outcome.order.shipped");
  CHECK(Scan(k).empty());
}

TEST_CASE("custody conflict: both kiosks' device pages say who holds the unit, until a check-in resolves it") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk a(c.dir, "KIOSK-CA"), b(c.dir, "KIOSK-CB");
  a.Enrol(c);
  b.Enrol(c);
  Sync(a);
  Sync(b);
  // A checks the unit out first; B, which has not heard of it, checks it out too.
  kiosk::CheckoutRequest to_mikko{.codes = {kUnit}, .rep_badge = "BDG-20016", .no_signature_reason = "test"};
  REQUIRE(a.kiosk->Checkout(to_mikko).ok());
  Sync(a);
  kiosk::CheckoutRequest to_tomasz{.codes = {kUnit}, .rep_badge = "BDG-20024", .no_signature_reason = "test"};
  auto second = b.kiosk->Checkout(to_tomasz);
  REQUIRE(second.ok());
  Sync(b);
  CHECK(b.Verdict(second->seq) == "rejected custody.conflict");

  // B: the central keeps A's checkout.
  auto at_b = b.kiosk->GetDevice(kUnit);
  REQUIRE(at_b.ok());
  REQUIRE(at_b->conflicts.size() == 1);
  CHECK_FALSE(at_b->conflicts[0].held_here);
  CHECK(at_b->conflicts[0].other_kiosk == "KIOSK-CA");
  CHECK(at_b->conflicts[0].rep_name == "Mikko Korhonen");
  CHECK(at_b->conflicts[0].key == "conflict.kept_elsewhere");
  CHECK(at_b->conflicts[0].text.rfind("The central keeps the checkout of DEMO-00007 at KIOSK-CA by Mikko Korhonen since ", 0) == 0);

  // A learns it with its next pull: the unit is also out at B.
  CHECK(a.kiosk->GetDevice(kUnit)->conflicts.empty());
  Sync(a);
  auto at_a = a.kiosk->GetDevice(kUnit);
  REQUIRE(at_a.ok());
  REQUIRE(at_a->conflicts.size() == 1);
  CHECK(at_a->conflicts[0].held_here);
  CHECK(at_a->conflicts[0].other_kiosk == "KIOSK-CB");
  CHECK(at_a->conflicts[0].rep_name == "Tomasz Zieliński");
  CHECK(at_a->conflicts[0].key == "conflict.held_here");

  // The stick carries it too: a full reference file for A lists the open conflict.
  auto ref = c.central->ExportReference(a.Id(), c.dir / "stick");
  REQUIRE_MESSAGE(ref.ok(), ref.error().message);
  auto imported = a.engine->ImportReference(ref->file);
  REQUIRE_MESSAGE(imported.ok(), imported.error().message);
  REQUIRE(a.kiosk->GetDevice(kUnit)->conflicts.size() == 1);

  // A checks the unit in: resolved at the central, cleared at both kiosks.
  REQUIRE(a.kiosk->Checkin({.codes = {kUnit}, .by_badge = kStaff}).ok());
  CHECK(a.kiosk->GetDevice(kUnit)->conflicts.empty());  // at once here: the unit is back
  Sync(a);
  Sync(b);
  CHECK(b.kiosk->GetDevice(kUnit)->conflicts.empty());
  for (TestKiosk* k : {&a, &b}) {
    auto list = k->kiosk->CustodyConflicts();
    REQUIRE(list.ok());
    REQUIRE(list->size() == 1);
    CHECK_FALSE(list->front().resolved_at.empty());
  }
}
