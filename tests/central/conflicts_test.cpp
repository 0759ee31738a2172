// Custody conflicts at the central (issue 17 item 5): a unit checked out at a second kiosk while
// the central has it out at the first is recorded with who holds it, published to both kiosks in
// their reference documents (full and delta), and resolved by a check-in at either. Runs on
// SQLite, and on PostgreSQL with KIOSK_TEST_STORE=postgresql.
#include <doctest/doctest.h>

#include "central/central_fixture.hpp"

using nlohmann::json;
using kiosk::test::AcceptedBatch;
using kiosk::test::CentralFixture;
using kiosk::test::ScriptedKiosk;
namespace ksync = kiosk::sync;

namespace {

json Checkout(const std::string& rep, const std::vector<std::string>& tags) {
  json devices = json::array();
  for (const auto& t : tags) devices.push_back({{"asset_tag", t}});
  return json{{"rep", rep}, {"due_date", "2026-12-08"}, {"purpose", "demo"}, {"devices", devices}};
}

json Doc(CentralFixture& f, const std::string& kiosk, int64_t since) {
  auto text = f.central->ReferenceDocument(kiosk, since, -1);
  REQUIRE_MESSAGE(text.ok(), text.error().message);
  return json::parse(*text);
}

int64_t Version(const json& doc) { return doc["version"].get<int64_t>(); }

}  // namespace

TEST_CASE("conflicts: both kiosks' documents name the holder and the claim, until a check-in resolves it") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-H1"), b("KIOSK-H2"), c("KIOSK-H3");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  REQUIRE(f.Enrol(c).status == 200);
  const int64_t before = Version(Doc(f, "KIOSK-H1", 0));
  a.Add("device.checked_out", Checkout("BDG-20016", {"DEMO-00007"}));
  AcceptedBatch(f.Push(a, 1, 1));
  const int64_t after_a = Version(Doc(f, "KIOSK-H1", 0));
  // B takes DEMO-00007 (out at A) and DEMO-00009 (free) in one checkout: adjusted, one conflict.
  b.Add("device.checked_out", Checkout("BDG-20024", {"DEMO-00007", "DEMO-00009"}));
  auto rb = AcceptedBatch(f.Push(b, 1, 1));
  CHECK(rb.verdicts[0].verdict == ksync::VerdictKind::Adjusted);
  CHECK(rb.verdicts[0].code == "custody.conflict");

  // A's delta since its last version carries the conflict (the conflict took a version).
  json da = Doc(f, "KIOSK-H1", after_a);
  CHECK(Version(da) > after_a);
  REQUIRE(da.contains("custody_conflicts"));
  REQUIRE(da["custody_conflicts"].size() == 1);
  const json& ca = da["custody_conflicts"][0];
  CHECK(ca["asset_tag"] == "DEMO-00007");
  CHECK(ca["holder_kiosk"] == "KIOSK-H1");
  CHECK(ca["holder_rep"] == "BDG-20016");
  CHECK(ca["holder_since"] == a.events[0].wall_time);
  CHECK(ca["claim_kiosk"] == "KIOSK-H2");
  CHECK(ca["claim_rep"] == "BDG-20024");
  CHECK(ca["claim_seq"] == 1);
  CHECK_FALSE(ca.contains("resolved_at"));
  // B's full document has it too; a kiosk on neither side does not; a full document always names the list.
  json db = Doc(f, "KIOSK-H2", 0);
  REQUIRE(db["custody_conflicts"].size() == 1);
  CHECK(db["custody_conflicts"][0] == ca);
  json dc = Doc(f, "KIOSK-H3", 0);
  REQUIRE(dc.contains("custody_conflicts"));
  CHECK(dc["custody_conflicts"].empty());
  CHECK_FALSE(Doc(f, "KIOSK-H3", before).contains("custody_conflicts"));
  // The kiosk's parser reads it back as the central wrote it.
  auto parsed = kiosk::ParseReference(db.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  REQUIRE(parsed->custody_conflicts);
  CHECK(parsed->custody_conflicts->at(0).holder_kiosk == "KIOSK-H1");

  // B checks the unit in (its own record still says out): resolved for both.
  const int64_t now = Version(Doc(f, "KIOSK-H1", 0));
  b.Add("device.checked_in", json{{"by", "BDG-10017"}, {"condition", "ok"}, {"state_after", "available"},
                                  {"devices", json::array({{{"asset_tag", "DEMO-00007"}}})}});
  AcceptedBatch(f.Push(b, 2, 2));
  for (const char* k : {"KIOSK-H1", "KIOSK-H2"}) {
    INFO(k);
    json delta = Doc(f, k, now);
    REQUIRE(delta.contains("custody_conflicts"));
    REQUIRE(delta["custody_conflicts"].size() == 1);
    CHECK(delta["custody_conflicts"][0]["resolved_at"].is_string());
    CHECK(Doc(f, k, 0)["custody_conflicts"].empty());  // a full document lists open ones only
  }
  // A second checkout by C after the check-in is no conflict (the unit is back).
  c.Add("device.checked_out", Checkout("BDG-20032", {"DEMO-00007"}));
  CHECK(AcceptedBatch(f.Push(c, 1, 1)).verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(Doc(f, "KIOSK-H3", 0)["custody_conflicts"].empty());
}

TEST_CASE("conflicts: a check-in earlier in the same batch does not resolve a conflict that comes after it") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-J1"), b("KIOSK-J2");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  a.Add("device.checked_out", Checkout("BDG-20016", {"DEMO-00007"}));
  AcceptedBatch(f.Push(a, 1, 1));
  // B checks DEMO-00007 in (the central takes a check-in from any kiosk), then checks it out.
  b.Add("device.checked_in", json{{"by", "BDG-10017"}, {"condition", "ok"}, {"state_after", "available"},
                                  {"devices", json::array({{{"asset_tag", "DEMO-00007"}}})}});
  b.Add("device.checked_out", Checkout("BDG-20024", {"DEMO-00007"}));
  AcceptedBatch(f.Push(b, 1, 2));
  // B's check-in came first: it ended A's custody, so B's checkout is no conflict at all.
  CHECK(Doc(f, "KIOSK-J1", 0)["custody_conflicts"].empty());
  // Now A claims it back while B has it: a conflict, and a check-in by A in the same batch after
  // the claim resolves it at once.
  a.Add("device.checked_out", Checkout("BDG-20016", {"DEMO-00007"}));
  a.Add("device.checked_in", json{{"by", "BDG-10017"}, {"condition", "ok"}, {"state_after", "available"},
                                  {"devices", json::array({{{"asset_tag", "DEMO-00007"}}})}});
  const int64_t v = Version(Doc(f, "KIOSK-J1", 0));
  AcceptedBatch(f.Push(a, 2, 3));
  json delta = Doc(f, "KIOSK-J2", v);
  REQUIRE(delta["custody_conflicts"].size() == 1);
  CHECK(delta["custody_conflicts"][0]["claim_kiosk"] == "KIOSK-J1");
  CHECK(delta["custody_conflicts"][0]["resolved_at"].is_string());
  CHECK(Doc(f, "KIOSK-J2", 0)["custody_conflicts"].empty());
}
