// The central's signed anchor held against the kiosk's own journal: a synced kiosk whose journal
// was shortened or rewritten behind the central's back fails `verify` and `doctor` (exit 3),
// naming what is missing; retention keeps the anchored event.
#include <doctest/doctest.h>

#include "support/run_process.hpp"
#include "support/test_support.hpp"
#include "sync/sync_fixture.hpp"

using namespace kiosk;
using namespace kiosk::test;

namespace {

// A kiosk with its init events and ten more, all pushed: the central's anchor is at the head.
// Returns the head seq.
int64_t SyncTen(CentralFixture& c, TestKiosk& k) {
  k.Enrol(c);
  k.AppendRaw(10);
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE(k.HeadSeq() >= 10);
  REQUIRE(k.Acked() == k.HeadSeq());
  return k.HeadSeq();
}

ProcessResult Cli(const TestKiosk& k, std::vector<std::string> args) {
  std::vector<std::string> argv{KioskBinary(), "--data", k.dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

const std::vector<std::string> kDoctorDatabaseOnly{"doctor",  "--skip", "display", "--skip", "scanners",
                                                   "--skip",  "central", "--skip", "clock", "--skip",
                                                   "disk"};

}  // namespace

TEST_CASE("anchor: a synced journal verifies against the central's signed anchor") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-A1");
  const int64_t head = SyncTen(c, k);
  auto v = k.kiosk->Verify();
  REQUIRE(v.ok());
  CHECK(v->ok);
  CHECK(v->anchor_seq == head);
  k.engine.reset();
  k.kiosk.reset();
  auto cli = Cli(k, {"verify"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out.find("anchor at seq " + std::to_string(head)) != std::string::npos);
}

TEST_CASE("anchor: DELETE FROM journal WHERE seq >= 8 on a synced kiosk fails verify and doctor, naming 8 to the head") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-A2");
  const int64_t head = SyncTen(c, k);
  const std::string missing = "events 8 to " + std::to_string(head) + " are missing";
  // What the issue reproduced with the sqlite3 shell: the prune trigger allows it (all acked).
  REQUIRE(OpenKioskDb(*k.kiosk)->ExecScript("DELETE FROM journal WHERE seq >= 8").ok());
  auto v = k.kiosk->Verify();
  REQUIRE(v.ok());
  CHECK_FALSE(v->ok);
  CHECK(v->missing_from == 8);
  CHECK(v->missing_to == head);
  CHECK(v->problem.find(missing) != std::string::npos);
  k.engine.reset();
  k.kiosk.reset();

  auto cli = Cli(k, {"verify"});
  CHECK(cli.exit_code == 3);
  CHECK(cli.err.find("ends at seq 7") != std::string::npos);
  CHECK(cli.err.find(missing) != std::string::npos);
  auto doctor = Cli(k, kDoctorDatabaseOnly);
  CHECK(doctor.exit_code == 3);
  CHECK(doctor.out.find("[FAIL] database") != std::string::npos);
  CHECK(doctor.out.find(missing) != std::string::npos);
}

TEST_CASE("anchor: a journal rewritten from seq 8 on (chain intact, new events) differs at the anchor") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-A3");
  const int64_t head = SyncTen(c, k);
  REQUIRE(OpenKioskDb(*k.kiosk)->ExecScript("DELETE FROM journal WHERE seq >= 8").ok());
  k.AppendRaw(static_cast<int>(head - 7));  // seq 8..head again, correctly chained and signed
  REQUIRE(k.HeadSeq() == head);
  auto v = k.kiosk->Verify();
  REQUIRE(v.ok());
  CHECK_FALSE(v->ok);
  CHECK(v->first_bad_seq == head);
  CHECK(v->problem.find("differs from the event the central signed for") != std::string::npos);
}

TEST_CASE("anchor: an anchor altered in sync state is refused, and removing acked_through's events is seen without one") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-A4");
  const int64_t head = SyncTen(c, k);
  // Someone lowers the anchor to hide the deletion: the central's signature no longer matches.
  auto anchor = AnchorFromJsonText(
      OpenKioskDb(*k.kiosk)->ScalarText("SELECT value FROM sync_state WHERE key = 'anchor'").value().value());
  REQUIRE(anchor.ok());
  anchor->seq = 7;
  REQUIRE(OpenKioskDb(*k.kiosk)->Run("UPDATE sync_state SET value = ? WHERE key = 'anchor'", AnchorToJsonText(*anchor)).ok());
  REQUIRE(OpenKioskDb(*k.kiosk)->ExecScript("DELETE FROM journal WHERE seq >= 8").ok());
  auto v = k.kiosk->Verify();
  REQUIRE(v.ok());
  CHECK_FALSE(v->ok);
  CHECK(v->problem.find("not signed by the central") != std::string::npos);
  // With the anchor gone altogether, acked_through still says the central holds up to the head.
  REQUIRE(OpenKioskDb(*k.kiosk)->ExecScript("DELETE FROM sync_state WHERE key = 'anchor'").ok());
  v = k.kiosk->Verify();
  REQUIRE(v.ok());
  CHECK_FALSE(v->ok);
  CHECK(v->missing_to == head);
}

TEST_CASE("anchor: retention never removes the anchored event, and verify still passes after it") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-A5");
  const int64_t head = SyncTen(c, k);
  k.engine.reset();
  k.kiosk.reset();
  ManualClock later(std::chrono::system_clock::now() + std::chrono::days(400));
  auto kiosk = Kiosk::Open({.data_dir = k.dir, .clock = &later});
  REQUIRE(kiosk.ok());
  auto removed = (*kiosk)->PruneAcknowledged(30);
  REQUIRE_MESSAGE(removed.ok(), removed.error().message);
  CHECK(*removed == head - 1);  // all but the one the central signed for
  CHECK((*kiosk)->Journal(head, 1)->size() == 1);
  auto v = (*kiosk)->Verify();
  REQUIRE(v.ok());
  CHECK_MESSAGE(v->ok, v->problem);
  CHECK(v->anchor_seq == head);
}
