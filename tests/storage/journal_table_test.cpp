// storage::JournalTable on a real kiosk database: the sync engine's batch reader, the head and
// hash lookups, retention's pruning.
#include <doctest/doctest.h>

#include "storage/state.hpp"
#include "store_fixture.hpp"

using namespace kiosk;
using kiosk::storage::JournalTable;
using kiosk::test::StoreFixture;

TEST_CASE("journal table: an empty journal has last seq 0 and no hashes") {
  StoreFixture f;
  JournalTable t(f.Db());
  CHECK(t.LastSeq().value() == 0);
  CHECK_FALSE(t.HashAt(1).value().has_value());
  CHECK_FALSE(t.WallTimeAfter(0).value().has_value());
  CHECK_FALSE(t.FirstSeqSince("2000-01-01T00:00:00.000Z").value().has_value());
  CHECK(t.ReadBatch(0, 10, [](const Event&) { return true; }).value().empty());
}

TEST_CASE("journal table: last seq, hashes and times of logged events") {
  StoreFixture f;
  f.Log("device.audited");
  f.clock.Advance(std::chrono::hours(2));
  const int64_t second = f.Log("device.audited");
  JournalTable t(f.Db());
  CHECK(t.LastSeq().value() == 2);
  auto events = f.journal->Read(1, 10).value();
  REQUIRE(events.size() == 2);
  CHECK(t.HashAt(second).value().value() == events[1].hash);
  CHECK_FALSE(t.HashAt(3).value().has_value());
  CHECK(t.WallTimeAfter(0).value().value() == events[0].wall_time);
  CHECK(t.WallTimeAfter(1).value().value() == events[1].wall_time);
  CHECK_FALSE(t.WallTimeAfter(2).value().has_value());
  // The second event was logged two hours after the first.
  CHECK(t.FirstSeqSince(FormatUtc(test::DemoDay() + std::chrono::hours(1))).value().value() == 2);
  CHECK(t.FirstSeqSince(events[0].wall_time).value().value() == 1);
}

TEST_CASE("journal table: a batch starts after the seq, in order, up to the count") {
  StoreFixture f;
  for (int i = 0; i < 5; ++i) f.Log("device.audited", R"({"i":)" + std::to_string(i) + "}");
  JournalTable t(f.Db());
  auto batch = t.ReadBatch(1, 3, [](const Event&) { return true; }).value();
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].seq == 2);
  CHECK(batch[2].seq == 4);
  CHECK(batch[0].payload == R"({"i":1})");
  CHECK(batch[0].kiosk_id == "KIOSK-STORE-01");
  // The rows are the journal's own: same hashes as the journal reads them.
  CHECK(batch[1].hash == f.journal->Read(3, 1).value().at(0).hash);
}

TEST_CASE("journal table: take() ends a batch early, before the event it refuses") {
  StoreFixture f;
  for (int i = 0; i < 5; ++i) f.Log("device.audited");
  JournalTable t(f.Db());
  int asked = 0;
  auto batch = t.ReadBatch(0, 10, [&](const Event& e) {
                  ++asked;
                  return e.seq < 3;
                }).value();
  CHECK(batch.size() == 2);
  CHECK(batch.back().seq == 2);
  CHECK(asked == 3);  // nothing is read past the refused event
}

TEST_CASE("journal table: pruning removes the acknowledged prefix and its device links, and only that") {
  StoreFixture f;
  for (int i = 0; i < 4; ++i) f.Log("device.audited");
  for (int seq = 1; seq <= 4; ++seq)
    REQUIRE(f.Db().Run("INSERT INTO device_events (asset_tag, seq) VALUES ('DEMO-00007', ?)", seq).ok());
  JournalTable t(f.Db());
  // Not acknowledged: the schema refuses, and nothing is removed.
  {
    storage::Transaction tx(f.Db());
    REQUIRE(tx.Begin().ok());
    CHECK_FALSE(t.PruneThrough(2).ok());
  }
  CHECK(f.journal->Count().value() == 4);
  REQUIRE(storage::StateStore(f.Db()).Set(storage::SyncKey::AckedThrough, "2").ok());
  {
    storage::Transaction tx(f.Db());
    REQUIRE(tx.Begin().ok());
    REQUIRE(t.PruneThrough(2).ok());
    REQUIRE(tx.Commit().ok());
  }
  CHECK(f.journal->Count().value() == 2);
  CHECK_FALSE(t.HashAt(2).value().has_value());
  CHECK(t.HashAt(3).value().has_value());
  CHECK(f.Db().ScalarInt("SELECT count(*) FROM device_events")->value() == 2);
  CHECK(f.Db().ScalarInt("SELECT min(seq) FROM device_events")->value() == 3);
}
