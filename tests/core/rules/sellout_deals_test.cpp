// rules/sellout and rules/deals. Pure: no SQLite.
#include <doctest/doctest.h>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/rules/deals.hpp"
#include "kiosk/core/rules/sellout.hpp"

using namespace kiosk;
using namespace std::chrono;

TEST_CASE("sellout: a sold unit needs GTIN and serial, is no demo unit and is reported once") {
  const auto classifier = barcode::Classifier::Default();
  auto ok = rules::SoldUnitFromScan(classifier.Classify("(01)00614141000043(21)M18B9000001"), "x");
  REQUIRE(ok.ok());
  CHECK(ok->gtin == "00614141000043");
  CHECK(ok->serial == "M18B9000001");
  CHECK(rules::SoldUnitFromScan(classifier.Classify("DEMO-00007"), "DEMO-00007").error().code == "sellout.no_serial");
  const rules::SoldUnit u{"00614141000043", "S1"};
  CHECK(rules::CheckSoldUnit(u, std::nullopt, std::nullopt).ok());
  CHECK(rules::CheckSoldUnit(u, std::string("DEMO-00007"), std::nullopt).error().code == "sellout.demo_unit");
  CHECK(rules::CheckSoldUnit(u, std::nullopt, 12).error().code == "sellout.duplicate");
  Partner p;
  p.name = "X";
  std::vector<Warning> w;
  rules::AddSelloutWarnings(p, w);
  CHECK(w.empty());
  p.status = PartnerStatus::Suspended;
  rules::AddSelloutWarnings(p, w);
  REQUIRE(w.size() == 1);
  CHECK(w[0].code == "sellout.partner_suspended");
}

TEST_CASE("deals: the fields the kiosk checks") {
  const sys_days today = year{2026} / 11 / 24;
  struct Row {
    const char *customer, *product;
    double value;
    const char* close;
    const char* code;  // "" = allowed
  };
  const Row rows[] = {{" Acme ", "C4500", 1000.005, "2026-12-31", ""},
                      {"", "C4500", 1000, "2026-12-31", "deal.customer"},
                      {"Acme", " ", 1000, "2026-12-31", "deal.product"},
                      {"Acme", "C4500", 0, "2026-12-31", "deal.value"},
                      {"Acme", "C4500", 2e9, "2026-12-31", "deal.value"},
                      {"Acme", "C4500", 10, "31.12.2026", "deal.close_date"},
                      {"Acme", "C4500", 10, "2026-11-23", "deal.close_past"},
                      {"Acme", "C4500", 10, "2026-11-24", ""}};
  for (const Row& r : rows) {
    CAPTURE(r.code);
    auto f = rules::CheckDealFields(r.customer, r.product, r.value, r.close, today);
    CHECK((f.ok() ? std::string() : f.error().code) == r.code);
  }
  auto f = rules::CheckDealFields(" Acme ", "C4500", 1000.004, "2026-12-31", today);
  CHECK(f->customer == "Acme");
  CHECK(f->value_eur == doctest::Approx(1000.0));
}

TEST_CASE("deals: the central decides first come, first served") {
  CHECK(rules::DecideDeal("", true, false) == rules::DealOutcome::Approved);
  CHECK(rules::DecideDeal("P-2", true, false) == rules::DealOutcome::Taken);
  CHECK(rules::DecideDeal("", false, false) == rules::DealOutcome::NoPartner);
  CHECK(rules::DecideDeal("", true, true) == rules::DealOutcome::Suspended);
}

TEST_CASE("deals: on arrival, the automatic refusals first, then the vendor's policy") {
  const rules::DealPolicy review;                      // the default: every deal waits for the vendor
  const rules::DealPolicy auto_all{true, 0};           // approve what passes the refusals
  const rules::DealPolicy auto_limit{true, 500000};    // up to EUR 5,000
  struct Row {
    const char* taken_by;
    bool known, suspended;
    int64_t value_cents;
    const rules::DealPolicy* policy;
    rules::DealOutcome outcome;
    const char* code;
  };
  using O = rules::DealOutcome;
  const Row rows[] = {
      {"", true, false, 100, &review, O::Pending, "deal.review"},
      {"", true, false, 100, &auto_all, O::Approved, "deal.auto_approved"},
      {"", true, false, 500000, &auto_limit, O::Approved, "deal.auto_approved"},  // at the limit
      {"", true, false, 500001, &auto_limit, O::Pending, "deal.over_limit"},
      {"P-2", true, false, 100, &auto_all, O::Taken, "deal.duplicate"},
      {"P-2", true, false, 100, &review, O::Taken, "deal.duplicate"},  // refused even when reviewed
      {"", false, false, 100, &review, O::NoPartner, "deal.no_partner"},
      {"", true, true, 100, &auto_all, O::Suspended, "deal.suspended"},
      {"", true, true, 100, &review, O::Suspended, "deal.suspended"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.code);
    CAPTURE(r.value_cents);
    const auto d = rules::DecideOnArrival({r.taken_by, r.known, r.suspended, r.value_cents}, *r.policy);
    CHECK(d.outcome == r.outcome);
    CHECK(d.code == r.code);
  }
  CHECK(rules::DealStatusName(O::Pending) == "pending");
  CHECK(rules::DealStatusName(O::Taken) == "rejected");
  CHECK(rules::DealStatusName(O::Approved) == "approved");
}

TEST_CASE("deals: the policy as the central stores it") {
  const rules::DealPolicy p = rules::DealPolicyFromJson(rules::DealPolicyToJson({true, 250050}));
  CHECK(p.auto_approve);
  CHECK(p.auto_approve_limit_cents == 250050);
  const rules::DealPolicy d = rules::DealPolicyFromJson("not json");
  CHECK_FALSE(d.auto_approve);
  CHECK(d.auto_approve_limit_cents == 0);
  CHECK(rules::DealPolicyFromJson(R"({"auto_approve": true})").auto_approve);
  CHECK(rules::DealPolicyFromJson(R"({"auto_approve_limit_eur": -5})").auto_approve_limit_cents == 0);
}

TEST_CASE("deals: the vendor decides once, never approves a duplicate, says why it rejects") {
  struct Row {
    const char* status;
    bool approve;
    const char* taken_by;
    const char* reason;
    const char* code;  // "" = allowed
  };
  const Row rows[] = {{"pending", true, "", "", ""},
                      {"pending", false, "", "no budget", ""},
                      {"pending", false, "", "  ", "deal.reason_missing"},
                      {"pending", true, "P-2", "", "deal.duplicate_approved"},
                      {"pending", false, "P-2", "taken", ""},
                      {"approved", true, "", "", "deal.already_decided"},
                      {"rejected", false, "", "again", "deal.already_decided"}};
  for (const Row& r : rows) {
    CAPTURE(r.status);
    CAPTURE(r.code);
    auto s = rules::CheckVendorDecision(r.status, r.approve, r.taken_by, r.reason);
    CHECK((s.ok() ? std::string() : s.error().code) == r.code);
  }
  CHECK(rules::CheckVendorDecision("approved", true, "", "").error().kind == ErrorKind::Refused);
  CHECK(rules::CheckVendorDecision("pending", false, "", "").error().kind == ErrorKind::Usage);
}

TEST_CASE("deals: the vendor's deadline is 2 business days, weekends not counted") {
  auto at = [](sys_days d, int h, int m = 0) { return sys_seconds{d} + hours{h} + minutes{m}; };
  // 2026-11-23 is a Monday.
  const sys_days mon = year{2026} / 11 / 23;
  const sys_days tue = mon + days{1}, wed = mon + days{2}, thu = mon + days{3}, fri = mon + days{4},
                 sat = mon + days{5}, sun = mon + days{6}, mon2 = mon + days{7}, tue2 = mon + days{8},
                 wed2 = mon + days{9};
  struct Row {
    sys_seconds registered, due;
  };
  const Row rows[] = {
      {at(mon, 9, 30), at(wed, 9, 30)},     // within the week
      {at(wed, 16), at(fri, 16)},
      {at(thu, 15), at(mon2, 15)},          // over the weekend
      {at(fri, 15), at(tue2, 15)},
      {at(fri, 23, 59), at(tue2, 23, 59)},
      {at(sat, 10), at(wed2, 0)},           // registered on a weekend: counted from Monday 00:00
      {at(sun, 23), at(wed2, 0)},
      {at(mon2, 0), at(wed2, 0)},
  };
  for (const Row& r : rows) {
    CAPTURE(FormatUtc(r.registered));
    CHECK(FormatUtc(rules::DealDecisionDue(r.registered)) == FormatUtc(r.due));
  }
  CHECK(FormatUtc(rules::DealDecisionDue(at(fri, 15), 1)) == FormatUtc(at(mon2, 15)));
  CHECK(FormatUtc(rules::DealDecisionDue(at(tue, 8), 5)) == FormatUtc(at(tue2, 8)));
}

TEST_CASE("deals: a deal's age for people") {
  CHECK(rules::FormatDealAge(seconds{-30}) == "0 min");
  CHECK(rules::FormatDealAge(minutes{45}) == "45 min");
  CHECK(rules::FormatDealAge(hours{5} + minutes{59}) == "5 h");
  CHECK(rules::FormatDealAge(days{2} + hours{3} + minutes{1}) == "2 d 3 h");
}
