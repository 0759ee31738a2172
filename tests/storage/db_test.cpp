// storage::Db on real SQLite files: migrations, pragmas, the guards on open.
#include <doctest/doctest.h>

#include <fstream>

#include "storage/db.hpp"
#include "storage/schema.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using kiosk::storage::Db;
using kiosk::test::TempDir;

namespace {
const std::vector<storage::Migration> kTwoSteps = {
    {1, "CREATE TABLE a (x INTEGER);"},
    {2, "ALTER TABLE a ADD COLUMN y TEXT;"},
};
storage::DbOptions Opts(const std::filesystem::path& p, const std::vector<storage::Migration>* m = &kTwoSteps) {
  return {.path = p, .application_id = 0x54455354, .migrations = m, .create = true};
}
}  // namespace

TEST_CASE("a new database gets the schema, application_id, WAL and FULL sync") {
  TempDir dir;
  auto db = Db::Open(Opts(dir / "t.db"));
  REQUIRE(db.ok());
  CHECK((*db)->SchemaVersion() == 2);
  CHECK((*db)->ScalarInt("PRAGMA application_id")->value() == 0x54455354);
  CHECK((*db)->ScalarText("PRAGMA journal_mode")->value() == "wal");
  CHECK((*db)->ScalarInt("PRAGMA synchronous")->value() == 2);  // FULL
  CHECK((*db)->ScalarInt("PRAGMA foreign_keys")->value() == 1);
  CHECK((*db)->Run("INSERT INTO a (x, y) VALUES (?, ?)", 1, "one").ok());
}

TEST_CASE("migrations run once and only the missing steps") {
  TempDir dir;
  const std::vector<storage::Migration> first = {kTwoSteps[0]};
  {
    auto db = Db::Open(Opts(dir / "t.db", &first));
    REQUIRE(db.ok());
    CHECK((*db)->SchemaVersion() == 1);
    REQUIRE((*db)->Run("INSERT INTO a (x) VALUES (7)").ok());
  }
  auto db = Db::Open(Opts(dir / "t.db"));
  REQUIRE(db.ok());
  CHECK((*db)->SchemaVersion() == 2);
  CHECK((*db)->ScalarInt("SELECT x FROM a")->value() == 7);  // data survives the upgrade
}

TEST_CASE("a database written by a newer version is refused and left untouched") {
  TempDir dir;
  { REQUIRE(Db::Open(Opts(dir / "t.db")).ok()); }
  {
    auto db = Db::Open(Opts(dir / "t.db"));
    REQUIRE((*db)->ExecScript("PRAGMA user_version=9").ok());
  }
  auto db = Db::Open(Opts(dir / "t.db"));
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "db.too_new");
  CHECK(db.error().message.find("newer kiosk version") != std::string::npos);
  auto raw = Db::Open({.path = dir / "t.db", .read_only = true});
  CHECK(raw->get()->ScalarInt("PRAGMA user_version")->value() == 9);
}

TEST_CASE("an SQLite file of another application is refused") {
  TempDir dir;
  {
    auto db = Db::Open({.path = dir / "other.db", .create = true});
    REQUIRE((*db)->ExecScript("CREATE TABLE foreign_stuff (x); PRAGMA application_id=42;").ok());
  }
  auto db = Db::Open(Opts(dir / "other.db"));
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "db.foreign");
}

TEST_CASE("a file that is not a database at all is an integrity error") {
  TempDir dir;
  std::ofstream(dir / "junk.db") << std::string(8192, 'x');
  auto db = Db::Open(Opts(dir / "junk.db"));
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().kind == ErrorKind::Integrity);
  CHECK(db.error().code == "db.corrupt");
}

TEST_CASE("a missing database is not created unless asked") {
  TempDir dir;
  auto db = Db::Open({.path = dir / "none.db"});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().code == "db.missing");
  CHECK_FALSE(std::filesystem::exists(dir / "none.db"));
}

TEST_CASE("a transaction that is not committed leaves nothing behind") {
  TempDir dir;
  auto db = Db::Open(Opts(dir / "t.db"));
  {
    storage::Transaction tx(**db);
    REQUIRE(tx.Begin().ok());
    REQUIRE((*db)->Run("INSERT INTO a (x) VALUES (1)").ok());
  }
  CHECK((*db)->ScalarInt("SELECT count(*) FROM a")->value() == 0);
  CHECK_FALSE((*db)->InTransaction());
}

TEST_CASE("statements are prepared once and come back reset") {
  TempDir dir;
  auto db = Db::Open(Opts(dir / "t.db"));
  for (int i = 0; i < 5; ++i) REQUIRE((*db)->Run("INSERT INTO a (x) VALUES (?)", i).ok());
  auto s1 = (*db)->Prepare("SELECT x FROM a WHERE x >= ?");
  auto s2 = (*db)->Prepare("SELECT x FROM a WHERE x >= ?");
  CHECK(*s1 == *s2);
  int rows = 0;
  REQUIRE((*db)->Each("SELECT x FROM a WHERE x >= ?", [&](storage::Statement&) { ++rows; }, 3).ok());
  CHECK(rows == 2);
  rows = 0;  // an early stop in one use must not leak into the next
  REQUIRE((*db)->Each("SELECT x FROM a WHERE x >= ?", [&](storage::Statement&) { ++rows; }, 0).ok());
  CHECK(rows == 5);
}

TEST_CASE("a read snapshot sees one state of the database and ends with its scope") {
  TempDir dir;
  auto reader = Db::Open(Opts(dir / "t.db"));
  auto writer = Db::Open(Opts(dir / "t.db"));
  REQUIRE(reader.ok());
  REQUIRE(writer.ok());
  REQUIRE((*writer)->Run("INSERT INTO a (x) VALUES (1)").ok());
  {
    storage::ReadSnapshot snapshot(**reader);
    CHECK((*reader)->InTransaction());
    CHECK((*reader)->ScalarInt("SELECT count(*) FROM a")->value() == 1);
    REQUIRE((*writer)->Run("INSERT INTO a (x) VALUES (2)").ok());  // WAL: the writer isn't blocked
    CHECK((*reader)->ScalarInt("SELECT count(*) FROM a")->value() == 1);
  }
  CHECK_FALSE((*reader)->InTransaction());
  CHECK((*reader)->ScalarInt("SELECT count(*) FROM a")->value() == 2);
}

TEST_CASE("a read snapshot inside a write transaction leaves that transaction alone") {
  TempDir dir;
  auto db = Db::Open(Opts(dir / "t.db"));
  REQUIRE(db.ok());
  {
    storage::Transaction tx(**db);
    REQUIRE(tx.Begin().ok());
    REQUIRE((*db)->Run("INSERT INTO a (x) VALUES (1)").ok());
    { storage::ReadSnapshot snapshot(**db); }
    CHECK((*db)->InTransaction());  // the snapshot didn't commit it
  }                                 // no Commit(): rolled back
  CHECK((*db)->ScalarInt("SELECT count(*) FROM a")->value() == 0);
}
