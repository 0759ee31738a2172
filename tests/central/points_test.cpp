// Points from sell-outs at the central (issue 17, kiosk/core/rules/earning.hpp): an accepted
// sell-out credits the partner's balance once, into the ledger, whatever is sent again; the credits
// go back to the reporting kiosk in its reference document; the points report. Runs on SQLite,
// and on PostgreSQL with KIOSK_TEST_STORE=postgresql.
#include <doctest/doctest.h>

#include "central/central_fixture.hpp"
#include "kiosk/core/reference.hpp"

using nlohmann::json;
using kiosk::test::AcceptedBatch;
using kiosk::test::CentralFixture;
using kiosk::test::ScriptedKiosk;
namespace ksync = kiosk::sync;

namespace {

// The demo showroom's earning rules (assets/demo/showroom.json): points per unit sold.
constexpr const char* kC4500 = "00614141000012";  // 300
constexpr const char* kM1800 = "00614141000043";  // 100
constexpr const char* kTray = "00614141000098";   // no rule

void Sell(ScriptedKiosk& k, const std::string& partner, const std::vector<std::pair<std::string, std::string>>& units) {
  json list = json::array();
  for (const auto& [gtin, serial] : units) list.push_back({{"gtin", gtin}, {"serial", serial}});
  json payload{{"units", list}};
  if (!partner.empty()) payload["partner_id"] = partner;
  k.Add("sellout.reported", payload);
}

// The partner's balance at the central; -1 when it has none.
int64_t Available(CentralFixture& f, const std::string& partner) {
  auto r = f.store->GetRef("balances", partner);
  REQUIRE(r.ok());
  if (!*r || (*r)->deleted) return -1;
  return json::parse((*r)->body).value("available", int64_t{-2});
}

std::vector<std::vector<std::string>> PointsReport(CentralFixture& f) {
  std::vector<std::vector<std::string>> rows;
  auto s = f.central->Report("points", [&](const std::vector<std::string>& row) { rows.push_back(row); });
  REQUIRE_MESSAGE(s.ok(), s.error().message);
  return rows;
}

json Credits(CentralFixture& f, const std::string& kiosk_id, int64_t since) {
  auto text = f.central->ReferenceDocument(kiosk_id, since, -1);
  REQUIRE(text.ok());
  auto parsed = kiosk::ParseReference(*text);  // the kiosk reads it
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  json doc = json::parse(*text);
  return doc.value("points_credits", json::array());
}

}  // namespace

TEST_CASE("points: an accepted sell-out credits the partner once, by the model's rule, into the ledger") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-PA"), b("KIOSK-PB");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  REQUIRE(Available(f, "P-FI-0001") == 24500);
  // Two C4500 (300 each), one M1800 (100), a paper tray (no rule): 700 points.
  Sell(a, "P-FI-0001", {{kC4500, "PA-1"}, {kM1800, "PA-2"}, {kC4500, "PA-3"}, {kTray, "PA-4"}});
  ksync::SignedHeaders sent;
  const std::string body = ksync::SerializeBatch(a.MakeBatch(1, 1));
  auto r = AcceptedBatch(f.PushBody(a, body, nullptr, &sent));
  REQUIRE(r.verdicts.size() == 1);
  CHECK(r.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[0].code == "");
  REQUIRE(r.verdicts[0].detail.is_object());
  CHECK(r.verdicts[0].detail.value("points_credited", 0) == 700);
  CHECK(Available(f, "P-FI-0001") == 25200);

  // The ledger: one line per model that earned, in the points report.
  auto rows = PointsReport(f);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"kiosk_id", "seq", "partner_id", "gtin", "model", "units", "points",
                                            "credited_at"});
  CHECK(rows[1][0] == "KIOSK-PA");
  CHECK(rows[1][1] == "1");
  CHECK(rows[1][2] == "P-FI-0001");
  CHECK(rows[1][3] == kC4500);
  CHECK(rows[1][4] == "Colour MFP A3 C4500");
  CHECK(rows[1][5] == "2");
  CHECK(rows[1][6] == "600");
  CHECK(rows[2][3] == kM1800);
  CHECK(rows[2][6] == "100");
  CHECK(rows[1][7].size() == 24);  // central UTC, to the millisecond

  // A replay of the very request, a resend of the batch and a batch overlapping it credit nothing.
  CHECK(f.Post("/v1/batches", body, CentralFixture::HeadersFor(sent)).status != 200);
  auto again = AcceptedBatch(f.Push(a, 1, 1));
  CHECK(again.acked_through == 1);
  Sell(a, "P-FI-0001", {{kM1800, "PA-5"}});
  auto overlap = AcceptedBatch(f.Push(a, 1, 2));
  CHECK(overlap.acked_through == 2);
  CHECK(Available(f, "P-FI-0001") == 25300);  // only the new report's 100
  CHECK(PointsReport(f).size() == 4);

  // Another kiosk reporting the same serials: counted once, nothing credited; one new unit earns.
  Sell(b, "P-FI-0001", {{kC4500, "PA-1"}, {kC4500, "PB-1"}});
  auto dup = AcceptedBatch(f.Push(b, 1, 1));
  CHECK(dup.verdicts[0].verdict == ksync::VerdictKind::Adjusted);
  CHECK(dup.verdicts[0].code == "sellout.duplicate_serial");
  CHECK(dup.verdicts[0].detail.value("points_credited", 0) == 300);
  CHECK(dup.verdicts[0].message.find("The other units earned 300 points.") != std::string::npos);
  CHECK(Available(f, "P-FI-0001") == 25600);
  Sell(b, "P-FI-0001", {{kC4500, "PB-1"}});
  auto all_dup = AcceptedBatch(f.Push(b, 2, 2));
  CHECK(all_dup.verdicts[0].verdict == ksync::VerdictKind::Rejected);
  CHECK(all_dup.verdicts[0].detail.value("points_credited", -1) == 0);
  CHECK(Available(f, "P-FI-0001") == 25600);
}

TEST_CASE("points: no points for a suspended partner, a sell-out without a partner, an unknown one, or models without a rule") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-PN");
  REQUIRE(f.Enrol(a).status == 200);
  Sell(a, "P-RU-0002", {{kC4500, "N-1"}});      // suspended
  Sell(a, "", {{kC4500, "N-2"}});               // no partner
  Sell(a, "P-XX-9999", {{kC4500, "N-3"}});      // not in the program
  Sell(a, "P-FI-0002", {{kTray, "N-4"}});       // a model without a rule
  Sell(a, "P-FI-0002", {{"00614141000999", "N-5"}});  // a model the central does not know
  auto r = AcceptedBatch(f.Push(a, 1, 5));
  REQUIRE(r.verdicts.size() == 5);
  for (const auto& v : r.verdicts) {
    CAPTURE(v.seq);
    CHECK(v.verdict == ksync::VerdictKind::Accepted);
    CHECK(ksync::IsPlainAccept(v));  // nothing to say: nothing credited
  }
  CHECK(Available(f, "P-RU-0002") == 3100);
  CHECK(Available(f, "P-FI-0002") == 350);
  CHECK(Available(f, "P-XX-9999") == -1);
  CHECK(PointsReport(f).size() == 1);  // the header only
  CHECK(Credits(f, "KIOSK-PN", 0).empty());
}

TEST_CASE("points: only a row's own earn_points, name and status count, not members of the same name nested in it") {
  CentralFixture f;
  f.LoadDemoReference();
  // A model whose points rule sits only inside another member (beside a nested "name"), and a
  // partner whose own status is active but with a "suspended" status nested after it. The first
  // model and the partner are read by the central's fast reader, the second by nlohmann's.
  auto loaded = f.central
              ->LoadReference(json{{"format", "showroom-kiosk/reference"},
                                   {"format_version", 1},
                                   {"version", 2},
                                   {"full", false},
                                   {"base_version", 1},
                                   {"models", json::array({{{"gtin", "00614141000111"},
                                                            {"name", "Nested rule"},
                                                            {"promo", {{"earn_points", 900}, {"name", "x"}}},
                                                            {"quota", {{"registered", 1}, {"silver", 1}, {"gold", 1}, {"platinum", 1}}},
                                                            {"active", true}},
                                                           {{"gtin", "00614141000128"},
                                                            // A \u escape the fast reader leaves to nlohmann's.
                                                            {"promo", {{"name", "x"}, {"note", std::string("a\x01b")}}},
                                                            {"earn_points", 40},
                                                            {"quota", {{"registered", 1}, {"silver", 1}, {"gold", 1}, {"platinum", 1}}},
                                                            {"name", "Own rule"}}})},
                                   {"partners", json::array({{{"id", "P-NEST-0001"},
                                                              {"name", "Nested Oy"},
                                                              {"country", "FI"},
                                                              {"tier", "registered"},
                                                              {"type", "var"},
                                                              {"authorization", "authorized"},
                                                              {"watch", {{"status", "suspended"}}},  // after "status" in the stored text
                                                              {"status", "active"}}})}}
                                  .dump());
  REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
  ScriptedKiosk a("KIOSK-PX");
  REQUIRE(f.Enrol(a).status == 200);
  Sell(a, "P-NEST-0001", {{"00614141000111", "X-1"}, {"00614141000128", "X-2"}});
  auto r = AcceptedBatch(f.Push(a, 1, 1));
  REQUIRE(r.verdicts.size() == 1);
  REQUIRE(r.verdicts[0].detail.is_object());
  CHECK(r.verdicts[0].detail.value("points_credited", 0) == 40);
  CHECK(Available(f, "P-NEST-0001") == 40);
  auto rows = PointsReport(f);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][3] == "00614141000128");
  CHECK(rows[1][4] == "Own rule");
  CHECK(rows[1][6] == "40");
}

TEST_CASE("points: a partner's first points open its balance, and the credits go back to the reporting kiosk only") {
  CentralFixture f;
  f.LoadDemoReference();
  // A partner published without a balance.
  REQUIRE(f.central
              ->LoadReference(json{{"format", "showroom-kiosk/reference"},
                                   {"format_version", 1},
                                   {"version", 2},
                                   {"full", false},
                                   {"base_version", 1},
                                   {"partners", json::array({{{"id", "P-NEW-0001"},
                                                              {"name", "Uusi Oy"},
                                                              {"country", "FI"},
                                                              {"tier", "registered"},
                                                              {"type", "var"},
                                                              {"authorization", "authorized"},
                                                              {"status", "active"}}})}}
                                  .dump())
              .ok());
  CHECK(Available(f, "P-NEW-0001") == -1);
  ScriptedKiosk a("KIOSK-PF"), b("KIOSK-PG");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  auto before = f.central->ReferenceDocument("KIOSK-PF", 0, -1);
  REQUIRE(before.ok());
  const int64_t version = json::parse(*before).value("version", int64_t{0});
  Sell(a, "P-NEW-0001", {{kM1800, "F-1"}, {kM1800, "F-2"}});
  AcceptedBatch(f.Push(a, 1, 1));
  CHECK(Available(f, "P-NEW-0001") == 200);

  // Kiosk A's delta since its version carries the credit and the new balance; B's carries the
  // balance only, and a delta after the credit carries it no more.
  json credits = Credits(f, "KIOSK-PF", version);
  REQUIRE(credits.size() == 1);
  CHECK(credits[0]["seq"] == 1);
  CHECK(credits[0]["gtin"] == kM1800);
  CHECK(credits[0]["partner_id"] == "P-NEW-0001");
  CHECK(credits[0]["model"] == "Mono MFP A4 M1800");
  CHECK(credits[0]["units"] == 2);
  CHECK(credits[0]["points"] == 200);
  CHECK(Credits(f, "KIOSK-PG", version).empty());
  auto delta_b = kiosk::ParseReference(f.central->ReferenceDocument("KIOSK-PG", version, -1).value());
  REQUIRE(delta_b.ok());
  bool seen = false;
  for (const auto& bal : delta_b->balances)
    if (bal.partner_id == "P-NEW-0001") {
      seen = true;
      CHECK(bal.available == 200);
    }
  CHECK(seen);
  auto after = f.central->ReferenceDocument("KIOSK-PF", 0, -1);
  const int64_t now = json::parse(*after).value("version", int64_t{0});
  CHECK(now > version);
  CHECK(Credits(f, "KIOSK-PF", now).empty());
  CHECK(Credits(f, "KIOSK-PF", 0).size() == 1);  // a full document holds them all
}
