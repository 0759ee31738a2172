// Deals the vendor decides at the central: the policy on arrival, the list with its deadline, the
// decision published to the kiosk's next pull. Runs on SQLite and, with KIOSK_TEST_STORE=postgresql,
// on PostgreSQL (the same cases).
#include <doctest/doctest.h>

#include "central/central_fixture.hpp"
#include "kiosk/core/rules/deals.hpp"

using nlohmann::json;
using kiosk::test::AcceptedBatch;
using kiosk::test::CentralFixture;
using kiosk::test::ScriptedKiosk;
namespace ksync = kiosk::sync;
namespace central = kiosk::central;

namespace {

json Deal(const std::string& partner, const std::string& customer, int64_t cents) {
  return json{{"partner_id", partner}, {"customer", customer}, {"product", "C4500 fleet"},
              {"value_eur_cents", cents}, {"close_date", "2027-03-31"}};
}

json Decision(CentralFixture& f, const std::string& kiosk, int64_t since, int64_t seq) {
  auto doc = json::parse(f.central->ReferenceDocument(kiosk, since, -1).value());
  if (doc.contains("deal_decisions"))
    for (const auto& d : doc["deal_decisions"])
      if (d["seq"] == seq) return d;
  return json();
}

int64_t Version(CentralFixture& f, const std::string& kiosk) {
  return json::parse(f.central->ReferenceDocument(kiosk, 0, -1).value())["version"].get<int64_t>();
}

std::vector<central::DealListing> List(CentralFixture& f, const std::string& status, const std::string& kiosk = "") {
  auto l = f.central->ListDeals({status, kiosk});
  REQUIRE(l.ok());
  return *l;
}

}  // namespace

TEST_CASE("deals: by default every deal waits for the vendor — approving publishes it to the kiosk's next pull") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-D1");
  REQUIRE(f.Enrol(k).status == 200);
  k.Add("deal.registered", Deal("P-FI-0001", "Acme Oy", 120000));
  auto r = AcceptedBatch(f.Push(k, 1, 1));
  CHECK(r.verdicts[0].detail["decision"] == "pending");
  CHECK(r.verdicts[0].detail["decision_code"] == "deal.review");
  const int64_t v1 = Version(f, "KIOSK-D1");
  CHECK(Decision(f, "KIOSK-D1", 0, 1)["status"] == "pending");

  auto pending = List(f, "pending");
  REQUIRE(pending.size() == 1);
  const central::DealListing& l = pending[0];
  CHECK(l.id == "KIOSK-D1:1");
  CHECK(l.partner_name == "Tulostin Oy");
  CHECK(l.deal.registered_at == k.events[0].wall_time);
  CHECK(l.age == "0 min");
  CHECK_FALSE(l.overdue);
  const auto registered = std::chrono::floor<std::chrono::seconds>(std::chrono::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(*kiosk::ParseUtcMs(k.events[0].wall_time))));
  CHECK(l.due == kiosk::FormatUtcSeconds(kiosk::rules::DealDecisionDue(registered)));
  CHECK(List(f, "pending", "KIOSK-OTHER").empty());
  CHECK(List(f, "approved").empty());

  auto approved = f.central->DecideDeal("KIOSK-D1:1", true, "welcome aboard", "anna");
  REQUIRE(approved.ok());
  CHECK(approved->deal.status == "approved");
  CHECK(approved->deal.decided_by == "anna");
  CHECK(approved->deal.reason == "welcome aboard");
  CHECK(approved->deal.version > v1);
  // The kiosk, at v1, pulls a delta that carries the decision.
  const json d = Decision(f, "KIOSK-D1", v1, 1);
  CHECK(d["status"] == "approved");
  CHECK(d["reason"] == "welcome aboard");
  CHECK_FALSE(d.value("decided_at", "").empty());
  CHECK(List(f, "pending").empty());
  REQUIRE(List(f, "approved").size() == 1);
  CHECK(List(f, "").size() == 1);

  // Decided once: neither approved again nor rejected afterwards.
  auto again = f.central->DecideDeal("KIOSK-D1:1", false, "changed my mind", "anna");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "deal.already_decided");
  CHECK(again.error().kind == kiosk::ErrorKind::Refused);
  CHECK(Decision(f, "KIOSK-D1", 0, 1)["status"] == "approved");
}

TEST_CASE("deals: duplicates and suspended partners are rejected on arrival — the vendor never approves a duplicate") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-D2"), b("KIOSK-D3");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  a.Add("deal.registered", Deal("P-FI-0001", "Acme Oy", 1000));
  b.Add("deal.registered", Deal("P-PL-0001", "ACME OY", 1000));    // the same deal, waiting as well
  b.Add("deal.registered", Deal("P-RU-0002", "Other AG", 1000));   // a suspended partner
  b.Add("deal.registered", Deal("P-XX-9999", "Third Ltd", 1000));  // not in the program
  AcceptedBatch(f.Push(a, 1, 1));
  auto rb = AcceptedBatch(f.Push(b, 1, 3));
  CHECK(rb.verdicts[0].detail["decision"] == "pending");  // nothing approved yet
  CHECK(rb.verdicts[1].detail["decision"] == "rejected");
  CHECK(rb.verdicts[1].detail["decision_code"] == "deal.suspended");
  CHECK(rb.verdicts[2].detail["decision_code"] == "deal.no_partner");
  const json suspended = Decision(f, "KIOSK-D3", 0, 2);
  CHECK(suspended["status"] == "rejected");
  CHECK(suspended["reason"].get<std::string>().find("suspended") != std::string::npos);
  REQUIRE(List(f, "pending").size() == 2);
  REQUIRE(List(f, "rejected").size() == 2);
  CHECK(List(f, "rejected")[0].deal.decided_by == "auto");

  // Usage mistakes: a malformed id, an unknown one, a rejection without a reason.
  CHECK(f.central->DecideDeal("KIOSK-D2", true, "", "x").error().code == "deal.bad_id");
  CHECK(f.central->DecideDeal("KIOSK-D2:x", true, "", "x").error().code == "deal.bad_id");
  CHECK(f.central->DecideDeal("KIOSK-D2:9", true, "", "x").error().code == "deal.not_found");
  CHECK(f.central->DecideDeal("KIOSK-D2:9", true, "", "x").error().kind == kiosk::ErrorKind::NotFound);
  auto no_reason = f.central->DecideDeal("KIOSK-D3:1", false, "  ", "x");
  CHECK(no_reason.error().code == "deal.reason_missing");
  CHECK(no_reason.error().kind == kiosk::ErrorKind::Usage);

  REQUIRE(f.central->DecideDeal("KIOSK-D2:1", true, "", "anna").ok());
  auto dup = f.central->DecideDeal("KIOSK-D3:1", true, "", "anna");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == "deal.duplicate_approved");
  CHECK(dup.error().message.find("Tulostin Oy") != std::string::npos);
  CHECK(Decision(f, "KIOSK-D3", 0, 1)["status"] == "pending");  // nothing written
  auto rejected = f.central->DecideDeal("KIOSK-D3:1", false, "Registered first by another partner", "anna");
  REQUIRE(rejected.ok());
  CHECK(Decision(f, "KIOSK-D3", 0, 1)["reason"] == "Registered first by another partner");

  // A later arrival of the same deal is rejected at once, naming the holder.
  ScriptedKiosk c("KIOSK-D4");
  REQUIRE(f.Enrol(c).status == 200);
  c.Add("deal.registered", Deal("P-DE-0001", "acme oy", 1000));
  auto rc = AcceptedBatch(f.Push(c, 1, 1));
  CHECK(rc.verdicts[0].detail["decision_code"] == "deal.duplicate");
  CHECK(Decision(f, "KIOSK-D4", 0, 1)["reason"].get<std::string>().find("Tulostin Oy") != std::string::npos);
}

TEST_CASE("deals: the vendor's policy approves on arrival up to a limit, stored by the central") {
  CentralFixture f;
  f.LoadDemoReference();
  CHECK_FALSE(f.central->GetDealPolicy().value().auto_approve);
  REQUIRE(f.central->SetDealPolicy({true, 500000}).ok());
  const auto stored = f.central->GetDealPolicy().value();
  CHECK(stored.auto_approve);
  CHECK(stored.auto_approve_limit_cents == 500000);
  ScriptedKiosk k("KIOSK-D5");
  REQUIRE(f.Enrol(k).status == 200);
  k.Add("deal.registered", Deal("P-FI-0001", "Small Oy", 500000));
  k.Add("deal.registered", Deal("P-FI-0001", "Big Oy", 500001));
  auto r = AcceptedBatch(f.Push(k, 1, 2));
  CHECK(r.verdicts[0].detail["decision_code"] == "deal.auto_approved");
  CHECK(r.verdicts[1].detail["decision_code"] == "deal.over_limit");
  CHECK(Decision(f, "KIOSK-D5", 0, 1)["status"] == "approved");
  CHECK(Decision(f, "KIOSK-D5", 0, 2)["status"] == "pending");
  auto approved = List(f, "approved");
  REQUIRE(approved.size() == 1);
  CHECK(approved[0].deal.decided_by == "auto");
  CHECK_FALSE(approved[0].deal.decided_at.empty());
}
