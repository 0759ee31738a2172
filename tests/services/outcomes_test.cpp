// What changed for a partner and custody conflicts (issue 17 item 5), on a real demo data folder:
// the central's words arrive as a sync would leave them (verdict rows, reference deltas with deal
// decisions, order states and custody conflicts), and the services say them, once.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "storage/db.hpp"
#include "support/kiosk_db.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;
using nlohmann::json;

namespace {

struct Fixture {
  TempDir dir;
  ManualClock clock{DemoDay()};
  std::unique_ptr<Kiosk> k = MakeDemoKiosk(dir.path(), clock);

  // A verdict as the sync engine stores it.
  void Verdict(int64_t seq, const std::string& verdict, const std::string& code, const json& detail) {
    auto db = OpenKioskDb(*k);
    REQUIRE(db->Run("INSERT OR REPLACE INTO verdicts (seq, event_id, verdict, code, message, detail, received_at) "
                    "VALUES (?, 'e', ?, ?, 'the central''s words', ?, '2026-12-05T10:00:00Z')",
                    seq, verdict, code, detail.dump())
                .ok());
  }
  // A reference delta on top of the kiosk's version, with `lists` merged in.
  void Delta(const json& lists) {
    const int64_t v = k->Status().reference_version;
    json doc{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", v + 1}, {"full", false},
             {"base_version", v}, {"generated_at", "2026-12-05T10:00:00Z"}};
    doc.update(lists);
    auto r = k->LoadReference(doc.dump());
    REQUIRE_MESSAGE(r.ok(), r.error().message);
  }
  std::vector<OutcomeLine> Changes(bool all = false) {
    auto c = k->PartnerChanges(demo::kGoldCard, all);
    REQUIRE_MESSAGE(c.ok(), c.error().message);
    return *c;
  }
};

json Conflict(const std::string& holder, const std::string& claim, const std::string& resolved = "") {
  json c{{"asset_tag", demo::kAvailable}, {"holder_kiosk", holder},   {"holder_rep", "BDG-20016"},
         {"holder_since", "2026-12-01T09:00:00Z"}, {"claim_kiosk", claim}, {"claim_rep", "BDG-20024"},
         {"claim_seq", 12},                 {"claimed_at", "2026-12-02T11:00:00Z"}};
  if (!resolved.empty()) c["resolved_at"] = resolved;
  return c;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "outcomes: an adjusted redemption is one line with what to settle, shown until marked") {
  auto r = k->Redeem({demo::kGoldCard, "R-002", 2, demo::kStaff});  // 2 × 1,500
  REQUIRE(r.ok());
  CHECK(Changes().empty());  // no word from the central yet
  Verdict(r->seq, "adjusted", "loyalty.partly_honoured",
          json{{"requested_points", 3000}, {"honoured_points", 1200}, {"balance_before", 1200}});
  auto lines = Changes();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text ==
        "Redemption of 2 × Toner cartridge voucher adjusted: 1,200 of 3,000 points honoured. Settle the difference "
        "(1,800) with the partner.");
  CHECK(lines[0].key == "outcome.redemption.adjusted");
  CHECK(lines[0].act);
  CHECK(std::count(lines[0].args.begin(), lines[0].args.end(), std::pair<std::string, std::string>{"honoured", "1,200"}) == 1);
  // GetPartner carries the same list; marking it shown empties it.
  CHECK(k->GetPartner(demo::kGoldCard)->changes.size() == 1);
  REQUIRE(k->MarkChangesShown(lines).ok());
  CHECK(Changes().empty());
  CHECK(k->GetPartner(demo::kGoldCard)->changes.empty());
  // `all` keeps the record, marked as shown.
  auto all = Changes(true);
  REQUIRE(all.size() == 1);
  CHECK(all[0].shown);
  // The central changes its mind (a resend with another verdict): it shows again.
  Verdict(r->seq, "rejected", "loyalty.insufficient_points", json{{"requested_points", 3000}, {"honoured_points", 0}});
  lines = Changes();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].key == "outcome.redemption.rejected");
  CHECK(lines[0].text == "Redemption of 2 × Toner cartridge voucher rejected: none of the 3,000 points honoured. Settle it "
                         "with the partner.");
  // Another partner's outcomes are not this partner's.
  CHECK(k->PartnerChanges(demo::kNorthgateCard).value().empty());
}

TEST_CASE_FIXTURE(Fixture, "outcomes: deal decisions, order moves and sell-out verdicts, oldest first, each once per state") {
  auto deal = k->RegisterDeal({demo::kGoldCard, "Kesko Oyj", "C4500 fleet", 12500, "2027-01-31", demo::kStaff});
  REQUIRE(deal.ok());
  auto order = k->OrderDemo({.partner_card = demo::kGoldCard, .model_gtin = "00614141000012", .qty = 1, .by_badge = demo::kStaff});
  REQUIRE(order.ok());
  auto sold = k->ReportSellout({demo::kGoldCard, {"(01)00614141000012(21)SOLD0001", "(01)00614141000012(21)SOLD0002"},
                                demo::kStaff});
  REQUIRE_MESSAGE(sold.ok(), sold.error().message);
  Delta({{"deal_decisions", json::array({{{"seq", deal->seq}, {"status", "approved"}, {"message", "approved"},
                                          {"decided_at", "2026-12-05T12:00:00Z"}, {"reason", "fast track"}}})},
         {"order_states", json::array({{{"seq", order->seq}, {"state", "ordered"}, {"at", "2026-12-05T09:00:00Z"}}})}});
  Verdict(sold->seq, "adjusted", "sellout.duplicate_serial", json{{"duplicates", json::array({"SOLD0002 ..."})}});
  auto lines = Changes();
  REQUIRE(lines.size() == 2);  // "ordered" is no move to tell
  CHECK(lines[0].source == "sellout");  // 10:00 before 12:00
  CHECK(lines[0].text == "Sell-out report of 2 units: 1 already reported sold elsewhere, counted once.");
  CHECK(lines[1].source == "deal");
  CHECK(lines[1].key == "outcome.deal.approved_note");
  CHECK(lines[1].text == "Deal approved: Kesko Oyj · C4500 fleet (12,500 €). Vendor's note: fast track");
  CHECK_FALSE(lines[1].act);
  REQUIRE(k->MarkChangesShown(lines).ok());
  CHECK(Changes().empty());

  Delta({{"order_states", json::array({{{"seq", order->seq}, {"state", "delivered"}, {"at", "2026-12-06T09:00:00Z"},
                                        {"serial", "C45NEW1"}, {"asset_tag", "DEMO-09001"}}})}});
  lines = Changes();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].key == "outcome.order.delivered_unit");
  CHECK(lines[0].text == "Demo order 1 × Colour MFP A3 C4500 delivered as DEMO-09001.");
  // Shown after a restart too: local state in the database.
  REQUIRE(k->MarkChangesShown(lines).ok());
  k.reset();
  k = std::move(Kiosk::Open({.data_dir = dir.path(), .clock = &clock}).value());
  CHECK(Changes().empty());
  CHECK(Changes(true).size() == 3);
}

TEST_CASE_FIXTURE(Fixture, "custody conflicts: said for this kiosk's side while the unit is out here, gone when resolved") {
  const std::string me = k->KioskId();
  // The central kept another kiosk's checkout; this kiosk's (refused) has the unit out here.
  REQUIRE(k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep, .no_signature_reason = "test"}).ok());
  Delta({{"custody_conflicts", json::array({Conflict("KIOSK-OTHER", me)})}});
  auto d = k->GetDevice(demo::kAvailable);
  REQUIRE(d.ok());
  REQUIRE(d->conflicts.size() == 1);
  CHECK_FALSE(d->conflicts[0].held_here);
  CHECK(d->conflicts[0].text ==
        "The central keeps the checkout of DEMO-00007 at KIOSK-OTHER by Mikko Korhonen since 2026-12-01; this "
        "kiosk's checkout was refused. Find the unit.");
  // The same conflict seen from the holder's side.
  Delta({{"custody_conflicts", json::array({Conflict(me, "KIOSK-OTHER")})}});
  d = k->GetDevice(demo::kAvailable);
  REQUIRE(d->conflicts.size() == 2);  // two records now: one per (claim kiosk, claim seq)
  auto held = std::find_if(d->conflicts.begin(), d->conflicts.end(), [](const CustodyConflictView& c) { return c.held_here; });
  REQUIRE(held != d->conflicts.end());
  CHECK(held->text == "DEMO-00007 is also checked out at KIOSK-OTHER to Tomasz Zieliński on 2026-12-02: the central "
                      "keeps this kiosk's checkout. Find the unit.");
  CHECK(held->key == "conflict.held_here");
  // Resolved by a delta: the page says nothing more; the list keeps it.
  Delta({{"custody_conflicts", json::array({Conflict("KIOSK-OTHER", me, "2026-12-05T10:00:00Z"),
                                            Conflict(me, "KIOSK-OTHER", "2026-12-05T10:00:00Z")})}});
  CHECK(k->GetDevice(demo::kAvailable)->conflicts.empty());
  auto list = k->CustodyConflicts();
  REQUIRE(list.ok());
  CHECK(list->size() == 2);
  // A unit no longer out here shows no conflict even before the central resolves it.
  Delta({{"custody_conflicts", json::array({Conflict("KIOSK-OTHER", me)})}});
  CHECK(k->GetDevice(demo::kAvailable)->conflicts.size() == 1);
  REQUIRE(k->Checkin({.codes = {demo::kAvailable}, .by_badge = demo::kStaff}).ok());
  CHECK(k->GetDevice(demo::kAvailable)->conflicts.empty());
}

TEST_CASE_FIXTURE(Fixture, "custody conflicts: a malformed list is refused with its path, and nothing is applied") {
  const int64_t v = k->Status().reference_version;
  json doc{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", v + 1}, {"full", false},
           {"base_version", v}, {"custody_conflicts", json::array({{{"asset_tag", demo::kAvailable}}})}};
  auto r = k->LoadReference(doc.dump());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("/custody_conflicts/0/holder_kiosk") != std::string::npos);
  CHECK(k->Status().reference_version == v);
}
