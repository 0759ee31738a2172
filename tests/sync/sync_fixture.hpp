#pragma once
// Real kiosks (data folders made by Kiosk::Init with the demo showroom) syncing with a real
// kiosk-central on loopback, plus helpers that check both sides end level.
#include <doctest/doctest.h>

#include "central/central_fixture.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/client.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"
#include "support/kiosk_db.hpp"

#include <map>
#include <string>

namespace kiosk::test {

struct TestKiosk {
  std::filesystem::path dir;
  std::unique_ptr<Kiosk> kiosk;
  std::unique_ptr<platform::HttpClient> http = platform::MakeCurlHttpClient();
  std::unique_ptr<sync::SyncEngine> engine;

  sync::EngineOptions m_options;

  TestKiosk(const std::filesystem::path& root, const std::string& id, sync::EngineOptions options = {})
      : m_options(options) {
    dir = root / id;
    auto made = Kiosk::Init({dir, id, std::filesystem::path(KIOSK_TEST_ASSETS) / "demo" / "showroom.json"});
    if (!made.ok()) throw std::runtime_error(made.error().message);
    kiosk = std::move(Kiosk::Open({.data_dir = dir}).value());
    engine = std::make_unique<sync::SyncEngine>(*kiosk, *http, options);
  }
  const std::string& Id() const { return kiosk->KioskId(); }
  void Enrol(CentralFixture& c) {
    auto code = c.central->CreateEnrolment(Id());
    auto s = engine->Enrol(c.url, *code);
    if (!s.ok()) throw std::runtime_error(s.error().message);
  }
  // Appends n audit events straight through the journal store (fast: one transaction).
  void AppendRaw(int n) {
    auto key = LoadKeyFile((dir / "kiosk.key").string()).value();
    auto db = OpenKioskDb(*kiosk);
    storage::JournalStore js(*db, Id(), key, SystemClock());
    storage::Transaction tx(*db);
    REQUIRE(tx.Begin().ok());
    for (int i = 0; i < n; ++i) {
      auto e = js.Append("device.audited",
                         R"({"by":"BDG-10017","devices":[{"asset_tag":"DEMO-00001","gtin":"00614141000012","serial":"C45A0114351"}]})",
                         "BDG-10017");
      REQUIRE_MESSAGE(e.ok(), e.error().message);
      js.Committed(*e);  // one transaction for all: move the store's head along by hand
    }
    REQUIRE(tx.Commit().ok());
    // The Kiosk caches its journal head: reopen it so that its own appends follow ours.
    engine.reset();
    kiosk.reset();
    kiosk = std::move(Kiosk::Open({.data_dir = dir}).value());
    engine = std::make_unique<sync::SyncEngine>(*kiosk, *http, m_options);
  }
  int64_t HeadSeq() { return OpenKioskDb(*kiosk)->ScalarInt("SELECT max(seq) FROM journal").value().value_or(0); }
  std::string HeadHash() {
    return OpenKioskDb(*kiosk)->ScalarText("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1").value().value_or("");
  }
  int64_t Acked() { return engine->AckedThrough(); }
  // "rejected event.tampered", "accepted " (a plain acceptance: no row, up to verdicts_through),
  // or "" while the kiosk does not know the verdict yet.
  std::string Verdict(int64_t seq) {
    auto row = OpenKioskDb(*kiosk)->ScalarText("SELECT verdict || ' ' || code FROM verdicts WHERE seq = ?", seq).value();
    if (row) return *row;
    return seq <= engine->VerdictsThrough() ? "accepted " : "";
  }
};

// Each event exactly once at the central; counts and chain heads equal on both sides.
inline void CheckLevel(CentralFixture& c, TestKiosk& k) {
  INFO("kiosk " << k.Id());
  auto record = c.store->GetKiosk(k.Id());
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  CHECK(c.central->CountEvents(k.Id()).value() == k.HeadSeq());
  CHECK((*record)->acked_through == k.HeadSeq());
  CHECK((*record)->head_hash == k.HeadHash());
  CHECK(k.Acked() == k.HeadSeq());
  CHECK(k.kiosk->Status().pending_events == 0);
}

// The kiosk knows the central's verdict on each of its events: every seq's verdict and code are
// the ones the central stored.
inline void CheckVerdicts(CentralFixture& c, TestKiosk& k) {
  INFO("kiosk " << k.Id());
  CHECK(k.engine->VerdictsThrough() == k.HeadSeq());
  std::map<int64_t, std::string> at_central;
  REQUIRE(c.store
              ->ForEachEvent(k.Id(), 1,
                             [&](const central::StoredEvent& s) {
                               at_central[s.event.seq] = std::string(sync::ToString(s.verdict.verdict)) + " " + s.verdict.code;
                             })
              .ok());
  CHECK(static_cast<int64_t>(at_central.size()) == k.HeadSeq());
  int differ = 0;
  for (const auto& [seq, verdict] : at_central) {
    const std::string here = k.Verdict(seq);
    if (here != verdict && ++differ <= 3) FAIL_CHECK("seq " << seq << ": kiosk '" << here << "', central '" << verdict << "'");
  }
  CHECK(differ == 0);
}

}  // namespace kiosk::test
