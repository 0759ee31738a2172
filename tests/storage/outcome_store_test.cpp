// OutcomeStore and CustodyConflictStore on a real kiosk database (issue 17 item 5), and the
// migration that brings an older kiosk's outcomes in as already shown.
#include <doctest/doctest.h>

#include "storage/outcome_store.hpp"
#include "storage/verdicts.hpp"
#include "store_fixture.hpp"

using namespace kiosk;
using namespace kiosk::storage;
using kiosk::test::StoreFixture;
using kiosk::test::TempDir;

TEST_CASE("outcome store: a shown outcome is listed again only when its stamp changes, and `all` keeps it") {
  StoreFixture f;
  REQUIRE(f.Db().Run("INSERT INTO deals (seq, partner_id, customer, product, value, close_date, status, decided_at) "
                     "VALUES (5, 'P-1', 'Acme', 'C4500', 100, '2027-01-01', 'approved', '2026-12-01T10:00:00Z'), "
                     "(6, 'P-1', 'Beta', 'A3', 100, '2027-01-01', 'pending', ''), "
                     "(7, 'P-2', 'Gamma', 'A4', 100, '2027-01-01', 'rejected', '2026-12-01T11:00:00Z')")
              .ok());
  OutcomeStore o(f.Db());
  auto deals = o.Deals("P-1", false).value();
  REQUIRE(deals.size() == 1);  // the pending one is no outcome, P-2's not this partner's
  CHECK(deals[0].seq == 5);
  CHECK(deals[0].key.source == "deal");
  CHECK(deals[0].key.ref == "5");
  CHECK(deals[0].key.stamp == "approved");
  CHECK_FALSE(deals[0].key.Shown());
  REQUIRE(o.MarkShown({deals[0].key}, "2026-12-01T12:00:00Z").ok());
  CHECK(o.Deals("P-1", false).value().empty());
  auto all = o.Deals("P-1", true).value();
  REQUIRE(all.size() == 1);
  CHECK(all[0].key.Shown());
  // The central changes its word: a new stamp, listed again.
  REQUIRE(f.Db().Run("UPDATE deals SET status = 'rejected' WHERE seq = 5").ok());
  CHECK(o.Deals("P-1", false).value().size() == 1);
}

TEST_CASE("custody conflict store: a full list replaces, a delta upserts, open ones per unit") {
  StoreFixture f;
  CustodyConflictStore s(f.Db());
  CustodyConflict a{.asset_tag = "DEMO-1", .holder_kiosk = "K-A", .holder_rep = "R-1", .holder_since = "2026-12-01",
                    .claim_kiosk = "K-B", .claim_rep = "R-2", .claim_seq = 4, .claimed_at = "2026-12-02"};
  CustodyConflict b = a;
  b.asset_tag = "DEMO-2";
  REQUIRE(s.Apply({a, b}, true).ok());
  CHECK(s.OpenFor("DEMO-1").value().size() == 1);
  a.resolved_at = "2026-12-03";
  REQUIRE(s.Apply({a}, false).ok());  // a delta: DEMO-1 resolved, DEMO-2 untouched
  CHECK(s.OpenFor("DEMO-1").value().empty());
  CHECK(s.OpenFor("DEMO-2").value().size() == 1);
  CHECK(s.List().value().size() == 2);
  REQUIRE(s.Apply({}, true).ok());  // a full snapshot with no open conflict
  CHECK(s.List().value().empty());
}

TEST_CASE("migration 7: an older kiosk's decided deals, moved orders and verdicts count as shown") {
  TempDir dir;
  const auto& every = KioskMigrations();
  std::vector<Migration> older;
  for (const Migration& m : every)
    if (m.version <= 4) older.push_back(m);
  {
    auto db = Db::Open({.path = dir / "kiosk.db", .application_id = kKioskApplicationId, .migrations = &older,
                        .create = true})
                  .value();
    REQUIRE(db->Run("INSERT INTO deals (seq, partner_id, customer, product, value, close_date, status, decided_at) "
                    "VALUES (5, 'P-1', 'Acme', 'C4500', 100, '2027-01-01', 'approved', '2026-12-01T10:00:00Z')")
                .ok());
    REQUIRE(db->Run("INSERT INTO demo_orders (seq, partner_id, gtin, qty, status, created, state_at) VALUES "
                    "(6, 'P-1', '00614141000012', 1, 'shipped', '2026-12-01', '2026-12-02T10:00:00Z'), "
                    "(7, 'P-1', '00614141000012', 1, 'ordered', '2026-12-01', '2026-12-02T10:00:00Z')")
                .ok());
    REQUIRE(db->Run("INSERT INTO verdicts (seq, event_id, verdict, code, received_at) VALUES "
                    "(8, 'e8', 'adjusted', 'loyalty.partly_honoured', '2026-12-02T10:00:00Z'), "
                    "(9, 'e9', 'accepted', '', '2026-12-02T10:00:00Z')")
                .ok());
  }
  auto db = Db::Open({.path = dir / "kiosk.db", .application_id = kKioskApplicationId, .migrations = &every}).value();
  CHECK(db->ScalarText("SELECT group_concat(source || ':' || ref || ':' || stamp, ' ') FROM "
                       "(SELECT * FROM outcomes_shown ORDER BY source, ref)")
            .value()
            .value_or("") == "deal:5:approved order:6:shipped verdict:8:adjusted:loyalty.partly_honoured");
  OutcomeStore o(*db);
  CHECK(o.Deals("P-1", false).value().empty());
  CHECK(o.Orders("P-1", false).value().empty());
}

TEST_CASE("migration 8: a kiosk's points credits survive the credit's own shown flag going") {
  TempDir dir;
  const auto& every = KioskMigrations();
  std::vector<Migration> older;
  for (const Migration& m : every)
    if (m.version <= 7) older.push_back(m);
  REQUIRE(older.size() + 1 == every.size());
  {
    auto db = Db::Open({.path = dir / "kiosk.db", .application_id = kKioskApplicationId, .migrations = &older,
                        .create = true})
                  .value();
    REQUIRE(db->Run("INSERT INTO points_credits (seq, gtin, partner_id, model, units, points, credited_at, "
                    "received_at, shown) VALUES (12, '00614141000012', 'P-1', 'C4500', 2, 600, "
                    "'2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z', 1)")
                .ok());
  }
  auto db = Db::Open({.path = dir / "kiosk.db", .application_id = kKioskApplicationId, .migrations = &every}).value();
  CHECK(db->SchemaVersion() == 8);
  CHECK(db->ScalarText("SELECT seq || ':' || points || ':' || received_at FROM points_credits").value().value_or("") ==
        "12:600:2026-12-01T11:00:00Z");
  CHECK_FALSE(db->Run("UPDATE points_credits SET shown = 1").ok());  // the column is gone
}
