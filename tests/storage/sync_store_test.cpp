// storage::SyncStore on a real kiosk database: the typed sync state reads back what it wrote, in
// the rows and under the key names earlier builds used; InTransaction keeps all or nothing.
#include <doctest/doctest.h>

#include "storage/state.hpp"
#include "storage/sync_store.hpp"
#include "storage/verdicts.hpp"
#include "store_fixture.hpp"

using namespace kiosk;
using namespace kiosk::storage;
using kiosk::test::StoreFixture;

TEST_CASE("sync store: an unset state reads as empty, zero or unknown") {
  StoreFixture f;
  SyncStore store(f.Db());
  SyncState& s = store.State();
  CHECK(s.CentralUrl().empty());
  CHECK(s.CentralPublicKey().empty());
  CHECK(s.AckedThrough() == 0);
  CHECK_FALSE(s.VerdictsThrough().has_value());
  CHECK(s.ReferenceVersion() == 0);
  CHECK(s.ReferenceEtag().empty());
  CHECK(store.StateNamed("anchor", "none") == "none");
  CHECK(store.StateNamed("no_such_key", "def") == "def");
}

TEST_CASE("sync store: typed writes land under the key names the kiosk has always used") {
  StoreFixture f;
  SyncStore store(f.Db());
  SyncState& s = store.State();
  REQUIRE(s.SetCentralUrl("http://127.0.0.1:8080").ok());
  REQUIRE(s.SetAckedThrough(42).ok());
  REQUIRE(s.SetVerdictsThrough(40).ok());
  REQUIRE(s.SetLastFreshAt(1'764'000'000'000).ok());
  REQUIRE(s.SetReferenceEtag("\"v7\"").ok());
  CHECK(s.CentralUrl() == "http://127.0.0.1:8080");
  CHECK(s.AckedThrough() == 42);
  CHECK(s.VerdictsThrough() == 40);
  CHECK(s.ReferenceEtag() == "\"v7\"");
  // The rows themselves: a kiosk updated from an older build reads the same keys.
  auto text = [&](const char* key) {
    return f.Db().ScalarText("SELECT value FROM sync_state WHERE key = ?", std::string(key)).value().value_or("");
  };
  CHECK(text("central_url") == "http://127.0.0.1:8080");
  CHECK(text("acked_through") == "42");
  CHECK(text("verdicts_through") == "40");
  CHECK(text("last_fresh_at") == "1764000000000");
  CHECK(store.StateNamed("acked_through") == "42");
  CHECK(StateStore(f.Db()).GetInt(SyncKey::AckedThrough) == 42);
  CHECK_FALSE(store.SetStateNamed("no_such_key", "1").ok());
}

TEST_CASE("sync store: a failed body leaves nothing of the transaction") {
  StoreFixture f;
  SyncStore store(f.Db());
  for (int i = 0; i < 3; ++i) f.Log("device.audited");
  const Status failed = store.InTransaction([&]() -> Status {
    KIOSK_TRY(store.State().SetAckedThrough(3));
    KIOSK_TRY(store.PutVerdict({2, "ev-2", "rejected", "device.unknown", "unknown", "{}", "2026-11-24T10:00:00Z"}));
    return MakeError(ErrorKind::Network, "test.fail", "the round failed after its writes");
  });
  CHECK_FALSE(failed.ok());
  CHECK(store.State().AckedThrough() == 0);
  CHECK(store.HighestVerdictSeq().value() == 0);
  REQUIRE(store.InTransaction([&]() -> Status {
                 KIOSK_TRY(store.State().SetAckedThrough(3));
                 return store.PutVerdict({2, "ev-2", "rejected", "device.unknown", "unknown", "{}", "2026-11-24T10:00:00Z"});
               }).ok());
  CHECK(store.State().AckedThrough() == 3);
  CHECK(store.HighestVerdictSeq().value() == 2);
  CHECK(store.JournalLastSeq().value() == 3);
  CHECK(store.JournalHashAt(2).value().has_value());
  // The batch reader stops where take says so.
  auto batch = store.ReadBatch(0, 10, [n = 0](const Event&) mutable { return ++n <= 2; });
  REQUIRE(batch.ok());
  CHECK(batch->size() == 2);
  CHECK(batch->front().seq == 1);
}
