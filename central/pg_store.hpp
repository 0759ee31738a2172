#pragma once
// The CentralStore on PostgreSQL (15 or newer) through raw libpq: several kiosk-central processes
// over one database. Why libpq and not libpqxx: Debian 12's libpqxx is 6.4.5, which has no
// pipeline mode and would add a C++ layer over the same calls; binary array parameters, single-row
// streaming and SQLSTATE checks are a few lines each in libpq itself.
//
// How the processes stay exactly-once together (docs/deployment.md):
// - [X] one kiosk's batches one after another: its `kiosks` row, locked (SELECT ... FOR UPDATE) by
//       each batch transaction; a resend then finds the high-water mark moved and is a duplicate.
// - [X] cross-kiosk rules: the reference rows a batch's rules read (balances, partners, devices)
//       and custody rows (a placeholder row is made first for a unit never seen, so there is a row
//       to lock) are locked in one sorted order; a serial sold once and one approved deal per
//       customer and product are unique keys; a deadlock, a serialisation failure or a key taken
//       meanwhile fails the transaction with "store.conflict", and the Central runs it again.
// - [X] reference versions handed out in commit order (the meta row stays locked to the commit).
// - [X] synchronous_commit on for every session: the answer is sent after a durable commit.
// - [X] events in monthly partitions (declarative), created ahead by migrations and by
//       `kiosk-central partitions`; old months exported and dropped by `kiosk-central retention`.
// - [ ] a connection pool: one connection per Central (its mutex orders its requests).
#include <memory>
#include <string>
#include <vector>

#include "central/store.hpp"

namespace kiosk::central {

// The schema's name in the `kiosk_central_schema` table, as SQLite's application_id.
inline constexpr const char* kPgApplication = "kiosk-central";

// True for a --db value that names a PostgreSQL database (postgresql:// or postgres:// URI).
bool IsPostgresUri(const std::string& db);

// Connects, checks the schema (refuses one newer than this build), migrates and makes sure the
// current and next months have partitions.
Result<std::unique_ptr<CentralStore>> OpenPgStore(const std::string& conninfo);

// Maintenance (`kiosk-central partitions` / `retention`), on a store that OpenPgStore returned.
struct PartitionInfo {
  std::string name;   // events_y2026m12
  int month = 0;      // 202612
  int64_t rows = 0;   // estimate (pg_class.reltuples), -1 when never analysed
};
Result<std::vector<PartitionInfo>> PgEnsurePartitions(CentralStore& store, int months_ahead);
// Writes each month before `before_month` (yyyymm) to export_dir/events-yyyymm.csv (COPY ...
// CSV HEADER), then forgets its event ids, detaches and drops it. Returns the months dropped.
Result<std::vector<int>> PgDropMonthsBefore(CentralStore& store, int before_month, const std::string& export_dir);

}  // namespace kiosk::central
