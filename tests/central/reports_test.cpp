// The vendor's CSV reports built over the store (issue 17 item 7): deals with their decisions and
// the deadline, orders by state, units out past their due date, and the custody report's units out
// per the reference data (central_test.cpp). Runs on SQLite and, with KIOSK_TEST_STORE=postgresql,
// on PostgreSQL (the same cases).
#include <doctest/doctest.h>

#include <chrono>

#include "central/central_fixture.hpp"

using kiosk::test::CentralFixture;
using kiosk::test::AcceptedBatch;
using kiosk::test::ScriptedKiosk;
using nlohmann::json;
namespace ksync = kiosk::sync;

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr const char* kRepName = "Tomasz Zieliński";  // BDG-20024 in the demo reference data

using Rows = std::vector<std::vector<std::string>>;

Rows Report(CentralFixture& f, const std::string& name) {
  Rows rows;
  auto s = f.central->Report(name, [&](const std::vector<std::string>& r) { rows.push_back(r); });
  REQUIRE_MESSAGE(s.ok(), s.error().message);
  REQUIRE(!rows.empty());
  return rows;
}

// The row whose column `col` is `value`, with the header's names as keys.
std::map<std::string, std::string> Find(const Rows& rows, size_t col, const std::string& value) {
  for (size_t i = 1; i < rows.size(); ++i)
    if (rows[i].at(col) == value) {
      std::map<std::string, std::string> named;
      for (size_t c = 0; c < rows[0].size(); ++c) named[rows[0][c]] = rows[i].at(c);
      return named;
    }
  return {};
}

json Deal(const std::string& customer, int64_t cents) {
  return json{{"partner_id", "P-FI-0001"},
              {"customer", customer},
              {"product", "C4500 fleet"},
              {"value_eur_cents", cents},
              {"close_date", "2099-03-31"}};
}

json Checkout(const char* tag, const char* due) {
  return json{{"rep", "BDG-20024"},
              {"due_date", due},
              {"signature_none", "test"},
              {"devices", json::array({{{"asset_tag", tag}}})}};
}

}  // namespace

TEST_CASE("report deals: each deal's decision, who took it, how long, and whether the 2-business-day deadline held") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-RD");
  REQUIRE(f.Enrol(k).status == 200);
  k.Add("deal.registered", Deal("Fresh Oy", 120000));  // decided at once: deadline met
  k.clock_offset_ms = -10 * kDayMs;                    // registered ten days ago (an offline kiosk)
  k.Add("deal.registered", Deal("Late Oy", 5050));     // decided now: deadline missed
  k.Add("deal.registered", Deal("Waiting Oy", 99));    // still pending: overdue
  k.clock_offset_ms = 0;
  k.Add("deal.registered", Deal("New Oy", 1));  // pending, within its deadline
  AcceptedBatch(f.Push(k, 1, 4));
  REQUIRE(f.central->DecideDeal("KIOSK-RD:1", true, "welcome", "anna").ok());
  REQUIRE(f.central->DecideDeal("KIOSK-RD:2", false, "no budget", "ben").ok());

  const Rows rows = Report(f, "deals");
  CHECK(rows[0] == std::vector<std::string>{"deal", "kiosk_id", "seq", "partner_id", "partner_name", "customer",
                                            "product", "value_eur", "close_date", "status", "registered_at", "due_by",
                                            "decided_at", "decided_by", "reason", "hours", "deadline"});
  REQUIRE(rows.size() == 5);
  auto fresh = Find(rows, 5, "Fresh Oy");
  CHECK(fresh["deal"] == "KIOSK-RD:1");
  CHECK(fresh["partner_name"] == "Tulostin Oy");
  CHECK(fresh["value_eur"] == "1200.00");
  CHECK(fresh["status"] == "approved");
  CHECK(fresh["decided_by"] == "anna");
  CHECK(fresh["reason"] == "welcome");
  CHECK(fresh["registered_at"] == k.events[0].wall_time);
  CHECK_FALSE(fresh["due_by"].empty());
  CHECK_FALSE(fresh["decided_at"].empty());
  CHECK(fresh["hours"] == "0.0");
  CHECK(fresh["deadline"] == "met");
  auto late = Find(rows, 5, "Late Oy");
  CHECK(late["value_eur"] == "50.50");
  CHECK(late["status"] == "rejected");
  CHECK(late["reason"] == "no budget");
  CHECK(late["deadline"] == "missed");
  CHECK(std::stod(late["hours"]) >= 239.9);
  auto waiting = Find(rows, 5, "Waiting Oy");
  CHECK(waiting["value_eur"] == "0.99");
  CHECK(waiting["status"] == "pending");
  CHECK(waiting["decided_at"] == "");
  CHECK(waiting["deadline"] == "overdue");
  CHECK(std::stod(waiting["hours"]) >= 239.9);
  auto fresh_pending = Find(rows, 5, "New Oy");
  CHECK(fresh_pending["value_eur"] == "0.01");
  CHECK(fresh_pending["deadline"] == "open");
}

TEST_CASE("report orders: every demo order by state, open ones first as they move, each with its times") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-RO");
  REQUIRE(f.Enrol(k).status == 200);
  for (int i = 0; i < 3; ++i)
    k.Add("demo.ordered",
          json{{"partner_id", "P-FI-0001"}, {"gtin", "00614141000012"}, {"model", "C4500"}, {"qty", 1}});
  AcceptedBatch(f.Push(k, 1, 3));
  REQUIRE(f.central->MoveOrder("KIOSK-RO:1", "cancelled", {.note = "not needed"}).ok());
  REQUIRE(f.central->MoveOrder("KIOSK-RO:2", "confirmed", {.note = "PO 4711"}).ok());

  const Rows rows = Report(f, "orders");
  CHECK(rows[0] == std::vector<std::string>{"order", "kiosk_id", "seq", "partner_id", "gtin", "model", "qty", "state",
                                            "ordered_at", "confirmed_at", "shipped_at", "delivered_at", "cancelled_at",
                                            "serial", "asset_tag", "note"});
  REQUIRE(rows.size() == 4);
  CHECK(rows[1][0] == "KIOSK-RO:3");
  CHECK(rows[1][7] == "ordered");
  CHECK(rows[1][8] == k.events[2].wall_time);
  CHECK(rows[2][0] == "KIOSK-RO:2");
  CHECK(rows[2][7] == "confirmed");
  CHECK_FALSE(rows[2][9].empty());
  CHECK(rows[2][15] == "PO 4711");
  CHECK(rows[3][0] == "KIOSK-RO:1");
  CHECK(rows[3][7] == "cancelled");
  CHECK_FALSE(rows[3][12].empty());
  CHECK(rows[3][15] == "not needed");
}

TEST_CASE("report overdue: units out past their due date, from kiosks and from the reference data, longest first") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-RV");
  REQUIRE(f.Enrol(k).status == 200);
  k.Add("device.checked_out", Checkout("DEMO-00007", "2020-01-02"));  // long overdue
  k.Add("device.checked_out", Checkout("DEMO-00009", "2099-01-01"));  // due in the future
  k.Add("device.checked_out", Checkout("DEMO-00010", "2020-01-01"));  // overdue, then back
  k.Add("device.checked_in", json{{"by", "BDG-10017"},
                                  {"condition", "ok"},
                                  {"state_after", "available"},
                                  {"devices", json::array({{{"asset_tag", "DEMO-00010"}}})}});
  auto r = AcceptedBatch(f.Push(k, 1, 4));
  for (const auto& v : r.verdicts) CHECK(v.verdict == ksync::VerdictKind::Accepted);

  const Rows rows = Report(f, "overdue");
  CHECK(rows[0] == std::vector<std::string>{"asset_tag", "custodian", "custodian_name", "kiosk_id", "since", "due_date",
                                            "days_overdue", "source"});
  REQUIRE(rows.size() >= 3);
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const auto due = std::chrono::sys_days(
      std::chrono::year_month_day(std::chrono::year(2020), std::chrono::month(1), std::chrono::day(2)));
  CHECK(rows[1] == std::vector<std::string>{"DEMO-00007", "BDG-20024", kRepName, "KIOSK-RV", k.events[0].wall_time,
                                            "2020-01-02", std::to_string((today - due).count()), "kiosk"});
  CHECK(Find(rows, 0, "DEMO-00009").empty());
  CHECK(Find(rows, 0, "DEMO-00010").empty());
  // The demo reference data has DEMO-00008 out to BDG-20016, due 2026-11-17: no kiosk reported on it.
  auto ref = Find(rows, 0, "DEMO-00008");
  CHECK(ref["custodian"] == "BDG-20016");
  CHECK_FALSE(ref["custodian_name"].empty());
  CHECK(ref["kiosk_id"] == "");
  CHECK(ref["source"] == "reference");
  for (size_t i = 2; i < rows.size(); ++i) CHECK(std::stoll(rows[i][6]) <= std::stoll(rows[i - 1][6]));
}

TEST_CASE("report: an unknown name is refused with the names there are") {
  CentralFixture f;
  auto s = f.central->Report("overdo", [](const std::vector<std::string>&) {});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "report.unknown");
  CHECK(s.error().message ==
        "Unknown report 'overdo': choose sellout, redemptions, custody, overdue, deals, orders, points, rejects or flags.");
}
