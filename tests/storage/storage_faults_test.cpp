// Faults of the storage underneath a kiosk: bytes overwritten, a full disk, a read-only file.
// Each must end in a clear error, with everything logged before it intact.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "kiosk/core/journal.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"
#include "storage/schema.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;

namespace {

int64_t PageSize(const std::filesystem::path& db) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "PRAGMA page_size", -1, &st, nullptr);
  sqlite3_step(st);
  int64_t size = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return size;
}

int RootPage(const std::filesystem::path& db, const char* table) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "SELECT rootpage FROM sqlite_master WHERE name = ?", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  sqlite3_step(st);
  int page = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return page;
}

void Overwrite(const std::filesystem::path& file, int64_t offset, const std::string& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs fn in a child process; returns its exit status (fn's return value), or -1 on a crash.
template <typename Fn>
int InChild(Fn fn) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("bytes overwritten in the database: the kiosk refuses to write, says how to recover, still reads") {
  TempDir dir;
  ManualClock clock(DemoDay());
  {
    auto k = MakeDemoKiosk(dir.path(), clock);
    REQUIRE(k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep}).ok());
  }
  const auto db = dir / "kiosk.db";
  const int page = RootPage(db, "devices");
  REQUIRE(page > 1);
  Overwrite(db, (page - 1) * PageSize(db) + 8, std::string(600, '\xA5'));

  auto k = Kiosk::Open({.data_dir = dir.path(), .clock = &clock});
  REQUIRE(k.ok());
  StatusView s = (*k)->Status();
  CHECK(s.database_health != "ok");
  CHECK(s.read_only);
  auto refused = (*k)->Checkin({.codes = {demo::kAvailable}, .by_badge = demo::kStaff});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "db.damaged");
  CHECK(refused.error().message.find("kiosk journal --json") != std::string::npos);
  // The journal lives on other pages and can still be read out and verified.
  auto events = (*k)->Journal(1, 100);
  REQUIRE(events.ok());
  CHECK(events->size() == 3);
  CHECK(events->back().type == "device.checked_out");
  auto verified = (*k)->Verify();
  REQUIRE(verified.ok());
  CHECK(verified->ok);
}

TEST_CASE("a full database (SQLITE_FULL) fails the append cleanly and keeps every earlier event") {
  TempDir dir;
  JournalKey key;
  REQUIRE(CreateKeyFile((dir / "k").string(), key).ok());
  auto db = storage::Db::Open({.path = dir / "j.db",
                               .application_id = storage::kKioskApplicationId,
                               .migrations = &storage::KioskMigrations(),
                               .create = true});
  REQUIRE(db.ok());
  const int64_t pages = (*db)->ScalarInt("PRAGMA page_count")->value();
  REQUIRE((*db)->ExecScript("PRAGMA max_page_count=" + std::to_string(pages + 8)).ok());
  ManualClock clock(DemoDay());
  storage::JournalStore journal(**db, "KIOSK-FULL", key, clock);
  int64_t committed = 0;
  Error failure;
  for (int i = 0; i < 10000; ++i) {
    storage::Transaction tx(**db);
    REQUIRE(tx.Begin().ok());
    auto e = journal.Append("device.audited", R"({"filler":")" + std::string(900, 'x') + R"("})", "BDG-10017");
    Status s = e.ok() ? tx.Commit() : Status(e.error());
    if (!s.ok()) {
      journal.RolledBack();
      failure = s.error();
      break;
    }
    journal.Committed(*e);
    ++committed;
  }
  REQUIRE(committed > 0);
  CHECK(failure.code == "disk.full");
  CHECK(failure.kind == ErrorKind::Storage);
  CHECK(failure.message.find("Everything logged before it is intact") != std::string::npos);
  CHECK(journal.Count().value() == committed);
  auto v = journal.Verify();
  REQUIRE(v.ok());
  CHECK(v->ok);
  CHECK(v->events == committed);
}

TEST_CASE("a really full disk (tmpfs): the action is refused with disk.full, nothing half-written, work resumes") {
  TempDir dir;
  // A private mount namespace with a 2 MiB tmpfs; skipped where mounting is not allowed.
  const int rc = InChild([&]() -> int {
    if (::unshare(CLONE_NEWNS) != 0) return 77;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 77;
    if (::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=2m") != 0) return 77;
    ManualClock clock(DemoDay());
    const auto data = dir / "data";
    auto k = MakeDemoKiosk(data, clock);
    if (!k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep}).ok()) return 10;
    const int64_t before = k->Status().last_seq;
    // Fill the rest of the disk.
    {
      std::FILE* f = std::fopen((dir / "filler").c_str(), "wb");
      std::string block(4096, 'f');
      while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
      }
      std::fclose(f);
    }
    int64_t logged = 0;
    Error failure;
    for (int i = 0; i < 500; ++i) {
      auto r = k->Audit({.codes = {demo::kAvailable, demo::kRepair, "DEMO-00010", "DEMO-00011"}, .by_badge = demo::kStaff});
      if (!r.ok()) {
        failure = r.error();
        break;
      }
      ++logged;
    }
    if (failure.code != "disk.full") {
      std::fprintf(stderr, "expected disk.full, got '%s': %s\n", failure.code.c_str(), failure.message.c_str());
      return 11;
    }
    const StatusView s = k->Status();
    if (s.last_seq != before + logged) return 12;
    auto v = k->Verify();
    if (!v.ok() || !v->ok) return 13;
    std::filesystem::remove(dir / "filler");
    if (!k->Checkin({.codes = {demo::kAvailable}, .by_badge = demo::kStaff}).ok()) return 14;
    k.reset();
    ::umount(dir.path().c_str());
    return 0;
  });
  if (rc == 77) {
    MESSAGE("skipped: this machine does not allow a private tmpfs mount");
    return;
  }
  CHECK(rc == 0);
}

TEST_CASE("a database file the kiosk user can't write: reads work, actions fail with db.read_only") {
  TempDir dir;
  ManualClock clock(DemoDay());
  { MakeDemoKiosk(dir / "data", clock); }
  const auto data = dir / "data";
  // The folder and database belong to root and can't be written by `nobody`; the key is nobody's.
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(data.c_str(), 0755);
  ::chmod((data / "kiosk.db").c_str(), 0644);
  REQUIRE(::chown((data / "kiosk.key").c_str(), 65534, 65534) == 0);
  const int rc = InChild([&]() -> int {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 77;
    auto k = Kiosk::Open({.data_dir = data, .clock = &clock});
    if (!k.ok()) k = Kiosk::Open({.data_dir = data, .clock = &clock, .read_only = true});
    if (!k.ok()) {
      std::fprintf(stderr, "open failed: %s\n", k.error().message.c_str());
      return 10;
    }
    if ((*k)->Status().partners != 13) return 11;
    auto r = (*k)->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep});
    if (r.ok()) return 12;
    if (r.error().code != "db.read_only") {
      std::fprintf(stderr, "got %s: %s\n", r.error().code.c_str(), r.error().message.c_str());
      return 13;
    }
    return 0;
  });
  if (rc == 77) {
    MESSAGE("skipped: can't switch to the nobody user here");
    return;
  }
  CHECK(rc == 0);
  auto k = Kiosk::Open({.data_dir = data, .clock = &clock});
  REQUIRE(k.ok());
  CHECK((*k)->Status().journal_events == 2);  // nothing was half-written
}
