// rules/sellout and rules/deals. Pure: no SQLite.
#include <doctest/doctest.h>

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
