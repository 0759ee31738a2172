// The journal: canonical bytes, the HMAC chain, the key file, UUIDv7, and verify catching every
// kind of tampering done to a real database file.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "kiosk/core/journal.hpp"
#include "storage/db.hpp"
#include "support/kiosk_db.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;

namespace {

// Tampering as an attacker with the sqlite3 tool would: bypassing the append-only triggers.
void Tamper(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  const std::string all = "DROP TRIGGER journal_append_only; DROP TRIGGER journal_prune_acked_only; " + sql;
  char* err = nullptr;
  const int rc = sqlite3_exec(h, all.c_str(), nullptr, nullptr, &err);
  INFO(std::string(err ? err : ""));
  REQUIRE(rc == SQLITE_OK);
  sqlite3_close(h);
}

// A demo kiosk with a few more events: seq 1 init, 2 reference, 3..6 actions.
std::unique_ptr<Kiosk> KioskWithEvents(const std::filesystem::path& dir, ManualClock& clock) {
  auto k = MakeDemoKiosk(dir, clock);
  REQUIRE(k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep}).ok());
  REQUIRE(k->Audit({.codes = {demo::kRepair}, .by_badge = demo::kStaff}).ok());
  REQUIRE(k->Checkin({.codes = {demo::kAvailable}, .by_badge = demo::kStaff}).ok());
  REQUIRE(k->Redeem({.partner_card = demo::kGoldCard, .reward_id = "R-001", .by_badge = demo::kStaff}).ok());
  return k;
}

VerifyReport VerifyAfter(const std::filesystem::path& dir, ManualClock& clock) {
  auto k = Kiosk::Open({.data_dir = dir, .clock = &clock});
  REQUIRE(k.ok());
  auto r = (*k)->Verify();
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("canonical bytes are unambiguous netstrings and the hash covers every field") {
  Event e{1, "id", "K", "t", R"({"a":1})", "BDG", "2026-11-24T10:00:00.000Z", 5, "boot", "prev", ""};
  CHECK(CanonicalBytes(e) == "ske11:1,2:id,1:K,1:t,7:{\"a\":1},3:BDG,24:2026-11-24T10:00:00.000Z,1:5,4:boot,4:prev,");
  JournalKey key;
  key.bytes[0] = 1;
  const std::string h = ComputeEventHash(key, e);
  CHECK(h.size() == 64);
  // Moving a separator between two fields changes the bytes: no two events share a hash input.
  Event shifted = e;
  shifted.event_id = "id,1:K";
  shifted.kiosk_id = "";
  CHECK(CanonicalBytes(shifted) != CanonicalBytes(e));
  for (auto mutate : std::vector<std::function<void(Event&)>>{
           [](Event& x) { x.seq = 2; }, [](Event& x) { x.payload = R"({"a":2})"; },
           [](Event& x) { x.actor = "X"; }, [](Event& x) { x.wall_time[3] = '7'; },
           [](Event& x) { x.mono_ms = 6; }, [](Event& x) { x.boot_id = "b2"; },
           [](Event& x) { x.prev_hash = "p2"; }, [](Event& x) { x.type = "u"; }}) {
    Event m = e;
    mutate(m);
    CHECK(ComputeEventHash(key, m) != h);
  }
  JournalKey other;
  other.bytes[0] = 2;
  CHECK(ComputeEventHash(other, e) != h);
}

TEST_CASE("the genesis hash depends on the kiosk id") {
  CHECK(GenesisHash("A") != GenesisHash("B"));
  CHECK(GenesisHash("A").size() == 64);
}

TEST_CASE("UUIDv7 ids are well-formed, version 7 and strictly increasing") {
  std::string prev;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    const std::string id = NewUuidV7(1'790'000'000'000 + i / 1000);
    REQUIRE(id.size() == 36);
    CHECK(id[14] == '7');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    CHECK(id > prev);
    prev = id;
    seen.insert(id);
  }
  CHECK(seen.size() == 5000);
}

TEST_CASE("event JSON round-trips, and malformed events name the field") {
  Event e{3, "0190-...", "K", "demo.ordered", R"({"qty":1})", "BDG-10017", "2026-11-24T10:00:00.000Z", 9, "b", "p", "h"};
  auto back = EventFromJson(ToJson(e));
  REQUIRE(back.ok());
  CHECK(CanonicalBytes(*back) == CanonicalBytes(e));
  auto j = ToJson(e);
  j["mono_ms"] = "nine";
  auto bad = EventFromJson(j);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("mono_ms") != std::string::npos);
}

TEST_CASE("the key file is created 0600 and refused when missing, exposed or malformed") {
  TempDir dir;
  const std::string path = (dir / "kiosk.key").string();
  JournalKey key;
  REQUIRE(CreateKeyFile(path, key).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto loaded = LoadKeyFile(path);
  REQUIRE(loaded.ok());
  CHECK(std::equal(std::begin(key.bytes), std::end(key.bytes), std::begin(loaded->bytes)));
  CHECK(CreateKeyFile(path, key).error().code == "key.exists");

  ::chmod(path.c_str(), 0644);
  auto exposed = LoadKeyFile(path);
  REQUIRE_FALSE(exposed.ok());
  CHECK(exposed.error().code == "key.exposed");
  CHECK(exposed.error().message.find("chmod 600") != std::string::npos);

  ::chmod(path.c_str(), 0600);
  std::ofstream(path) << "not hex";
  CHECK(LoadKeyFile(path).error().code == "key.malformed");
  CHECK(LoadKeyFile((dir / "none.key").string()).error().code == "key.missing");
}

TEST_CASE("a kiosk refuses to open with a missing or world-readable key") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { MakeDemoKiosk(dir.path(), clock); }
  ::chmod((dir / "kiosk.key").c_str(), 0604);
  auto exposed = Kiosk::Open({.data_dir = dir.path()});
  REQUIRE_FALSE(exposed.ok());
  CHECK(exposed.error().code == "key.exposed");
  CHECK(exposed.error().kind == ErrorKind::Integrity);
  std::filesystem::remove(dir / "kiosk.key");
  auto missing = Kiosk::Open({.data_dir = dir.path()});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "key.missing");
}

TEST_CASE("the database refuses updates and deletes of unacknowledged journal events") {
  TempDir dir;
  ManualClock clock(DemoDay());
  auto k = KioskWithEvents(dir.path(), clock);
  CHECK_FALSE(OpenKioskDb(*k)->Run("UPDATE journal SET actor = 'X' WHERE seq = 3").ok());
  CHECK_FALSE(OpenKioskDb(*k)->Run("DELETE FROM journal WHERE seq = 6").ok());
  CHECK(k->Status().last_seq == 6);
}

TEST_CASE("verify passes on an honest journal") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { KioskWithEvents(dir.path(), clock); }
  auto r = VerifyAfter(dir.path(), clock);
  CHECK(r.ok);
  CHECK(r.events == 6);
}

TEST_CASE("verify names the first bad seq for an edited event") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { KioskWithEvents(dir.path(), clock); }
  Tamper(dir / "kiosk.db", "UPDATE journal SET payload = replace(payload, 'R-001', 'R-002') WHERE seq = 6;");
  auto r = VerifyAfter(dir.path(), clock);
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 6);
  CHECK(r.problem.find("HMAC") != std::string::npos);
}

TEST_CASE("verify names the first bad seq for a deleted event") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { KioskWithEvents(dir.path(), clock); }
  Tamper(dir / "kiosk.db", "DELETE FROM journal WHERE seq = 4;");
  auto r = VerifyAfter(dir.path(), clock);
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 4);
  CHECK(r.problem.find("missing") != std::string::npos);
}

TEST_CASE("verify catches an event inserted by renumbering the ones after it") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { KioskWithEvents(dir.path(), clock); }
  Tamper(dir / "kiosk.db",
         "UPDATE journal SET seq = seq + 100 WHERE seq >= 4; UPDATE journal SET seq = seq - 99 WHERE seq >= 104;"
         "INSERT INTO journal SELECT 4, 'forged-id', kiosk_id, type, payload, actor, wall_time, mono_ms, boot_id, "
         "prev_hash, hash FROM journal WHERE seq = 3;");
  auto r = VerifyAfter(dir.path(), clock);
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 4);
}

TEST_CASE("verify catches two events swapped") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { KioskWithEvents(dir.path(), clock); }
  Tamper(dir / "kiosk.db",
         "UPDATE journal SET seq = 100 WHERE seq = 4; UPDATE journal SET seq = 4 WHERE seq = 5; "
         "UPDATE journal SET seq = 5 WHERE seq = 100;");
  auto r = VerifyAfter(dir.path(), clock);
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 4);
  CHECK(r.problem.find("chain") != std::string::npos);
}

TEST_CASE("verify catches an event signed with another key") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { KioskWithEvents(dir.path(), clock); }
  // Re-sign the whole chain with a different key: every HMAC is then wrong for the real key.
  JournalKey wrong;
  wrong.bytes[5] = 9;
  std::filesystem::remove(dir / "kiosk.key");
  REQUIRE(WriteKeyFile((dir / "kiosk.key").string(), wrong).ok());
  auto r = VerifyAfter(dir.path(), clock);
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad_seq == 1);
}

TEST_CASE("two connections to one data folder append in turn without clashing seqs") {
  TempDir dir;
  ManualClock clock(DemoDay());
  auto ui = MakeDemoKiosk(dir.path(), clock);
  auto sync = Kiosk::Open({.data_dir = dir.path(), .clock = &clock});
  REQUIRE(sync.ok());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(ui->Audit({.codes = {demo::kAvailable}, .by_badge = demo::kStaff}).ok());
    REQUIRE((*sync)->Audit({.codes = {demo::kRepair}, .by_badge = demo::kStaff}).ok());
  }
  CHECK(ui->Status().last_seq == 12);
  auto v = ui->Verify();
  REQUIRE(v.ok());
  CHECK(v->ok);
}

TEST_CASE("retention prunes only old acknowledged events, and verify still checks the rest") {
  TempDir dir;
  ManualClock clock(DemoDay());
  auto k = KioskWithEvents(dir.path(), clock);  // seq 1..6 on the demo day
  clock.Advance(std::chrono::hours(24 * 40));
  REQUIRE(k->Audit({.codes = {demo::kAvailable}, .by_badge = demo::kStaff}).ok());  // seq 7, recent
  // Nothing acknowledged yet: nothing may go.
  CHECK(k->PruneAcknowledged(30).value() == 0);
  REQUIRE(OpenKioskDb(*k)->Run("INSERT INTO sync_state (key, value) VALUES ('acked_through', '7')").ok());
  auto removed = k->PruneAcknowledged(30);
  REQUIRE(removed.ok());
  CHECK(*removed == 6);  // seq 7 is younger than 30 days
  auto events = k->Journal(1, 100);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);  // seq 7 and the journal.pruned event
  CHECK(events->front().seq == 7);
  CHECK(events->back().type == "journal.pruned");
  auto v = k->Verify();
  REQUIRE(v.ok());
  CHECK(v->ok);
  CHECK(v->events == 2);
  CHECK(k->Status().last_seq == 8);
  // Tampering with what is left is still caught.
  REQUIRE(OpenKioskDb(*k)->ExecScript("DROP TRIGGER journal_append_only; UPDATE journal SET actor = 'X' WHERE seq = 7;").ok());
  CHECK_FALSE(k->Verify()->ok);
}
