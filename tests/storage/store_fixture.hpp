#pragma once
// A fresh kiosk database (the real schema, a real file in a temporary folder) for the
// repositories' tests, with a journal to log events into.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/journal.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"
#include "storage/schema.hpp"
#include "support/test_support.hpp"

namespace kiosk::test {

struct StoreFixture {
  TempDir dir;
  ManualClock clock{DemoDay()};
  JournalKey key;
  std::unique_ptr<storage::Db> db;
  std::unique_ptr<storage::JournalStore> journal;

  StoreFixture() {
    REQUIRE(CreateKeyFile((dir / "kiosk.key").string(), key).ok());
    auto opened = storage::Db::Open({.path = dir / "kiosk.db",
                                     .application_id = storage::kKioskApplicationId,
                                     .migrations = &storage::KioskMigrations(),
                                     .create = true});
    REQUIRE(opened.ok());
    db = std::move(*opened);
    journal = std::make_unique<storage::JournalStore>(*db, "KIOSK-STORE-01", key, clock);
  }

  storage::Db& Db() { return *db; }

  // Logs one event in its own transaction; returns its seq.
  int64_t Log(const std::string& type, const std::string& payload = "{}") {
    storage::Transaction tx(*db);
    REQUIRE(tx.Begin().ok());
    auto e = journal->Append(type, payload, "BDG-10017");
    REQUIRE(e.ok());
    REQUIRE(tx.Commit().ok());
    return e->seq;
  }
};

}  // namespace kiosk::test
