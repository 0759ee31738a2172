// CentralStore over PostgreSQL (pg_store.hpp). SQL lives here only. Every statement is prepared
// once per connection (PQprepare, named by its index in the cache); many rows go as one binary
// array parameter per column into `INSERT ... SELECT FROM unnest(...)`, so a batch costs the same
// number of round trips whatever its size.
#include "central/pg_store.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

namespace kiosk::central {
namespace {

constexpr Oid kTextOid = 25, kInt8Oid = 20, kTextArrayOid = 1009, kInt8ArrayOid = 1016;

// The schema, one migration per version. 1: the tables of sqlite_store.cpp's schema 3, with
// events partitioned by month and their ids unique through a table of their own (a unique index on
// a partitioned table must hold the partition key).
const std::vector<std::pair<int, const char*>>& PgMigrations() {
  static const std::vector<std::pair<int, const char*>> kMigrations = {
      {1, R"sql(
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE kiosks (
  kiosk_id text PRIMARY KEY, key_hex text NOT NULL, enrolled_at text NOT NULL,
  acked_through bigint NOT NULL DEFAULT 0, head_hash text NOT NULL, last_seen text NOT NULL DEFAULT ''
) WITH (fillfactor = 70);  -- updated by every batch: room on the page keeps the updates HOT
CREATE TABLE enrolments (
  kiosk_id text PRIMARY KEY, secret_hex text NOT NULL, expires_ms bigint NOT NULL, attempts int NOT NULL
);
CREATE TABLE nonces (
  kiosk_id text NOT NULL, nonce text NOT NULL, seen_ms bigint NOT NULL, PRIMARY KEY (kiosk_id, nonce)
);
CREATE INDEX nonces_seen ON nonces (seen_ms);
-- Every event of every kiosk, exactly once (the kiosk row's lock and high-water mark), in the
-- partition of the month it was received (yyyymm).
CREATE TABLE events (
  kiosk_id text NOT NULL, seq bigint NOT NULL, event_id text NOT NULL, type text NOT NULL,
  payload text NOT NULL, actor text NOT NULL, wall_time text NOT NULL, mono_ms bigint NOT NULL,
  boot_id text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
  received_at text NOT NULL, via text NOT NULL, est_time text NOT NULL, skew_ms bigint NOT NULL,
  verdict text NOT NULL, code text NOT NULL, message text NOT NULL, detail text NOT NULL,
  month int NOT NULL,
  PRIMARY KEY (kiosk_id, seq, month)
) PARTITION BY RANGE (month);
-- Rows of a month nobody made a partition for yet land here, and are never lost.
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE TABLE event_ids (event_id text PRIMARY KEY, kiosk_id text NOT NULL, seq bigint NOT NULL, month int NOT NULL);
CREATE TABLE refs (
  list text NOT NULL, key text NOT NULL, body text NOT NULL, version bigint NOT NULL,
  deleted boolean NOT NULL, PRIMARY KEY (list, key)
);
CREATE INDEX refs_version ON refs (version);
-- state '': a placeholder made so that a unit never seen has a row to lock.
CREATE TABLE custody (
  asset_tag text PRIMARY KEY, kiosk_id text NOT NULL, state text NOT NULL, custodian text NOT NULL,
  seq bigint NOT NULL, since text NOT NULL
);
CREATE TABLE sellouts (
  gtin text NOT NULL, serial text NOT NULL, partner_id text NOT NULL, kiosk_id text NOT NULL,
  seq bigint NOT NULL, PRIMARY KEY (gtin, serial)
);
CREATE INDEX sellouts_event ON sellouts (kiosk_id, seq);
CREATE TABLE redemptions (
  kiosk_id text NOT NULL, seq bigint NOT NULL, partner_id text NOT NULL, reward_id text NOT NULL,
  requested bigint NOT NULL, honoured bigint NOT NULL, at text NOT NULL, PRIMARY KEY (kiosk_id, seq)
);
CREATE TABLE deals (
  kiosk_id text NOT NULL, seq bigint NOT NULL, partner_id text NOT NULL, customer text NOT NULL,
  product text NOT NULL, value_cents bigint NOT NULL, close_date text NOT NULL, status text NOT NULL,
  message text NOT NULL, version bigint NOT NULL, PRIMARY KEY (kiosk_id, seq)
);
-- One approved deal per customer and product, compared as SQLite's lower() does (ASCII only).
CREATE UNIQUE INDEX deals_claim ON deals (
  translate(customer, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
  translate(product, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) WHERE status = 'approved';
CREATE INDEX deals_version ON deals (kiosk_id, version);
CREATE TABLE flags (
  id bigserial PRIMARY KEY, kiosk_id text NOT NULL, seq bigint NOT NULL, kind text NOT NULL,
  message text NOT NULL, created_at text NOT NULL
);
CREATE TABLE boots (
  kiosk_id text NOT NULL, boot_id text NOT NULL, offset_ms bigint NOT NULL, PRIMARY KEY (kiosk_id, boot_id)
);
)sql"},
      // Demo orders and their lifecycle (issue 17), as sqlite_store.cpp's migration 4. A batch
      // counts a partner's open orders after locking the partner's reference rows (LoadFacts), so
      // two processes' orders for one partner are counted one after the other.
      {2, R"sql(
CREATE TABLE orders (
  kiosk_id text NOT NULL, seq bigint NOT NULL, partner_id text NOT NULL, gtin text NOT NULL,
  model text NOT NULL, qty bigint NOT NULL, state text NOT NULL, note text NOT NULL,
  serial text NOT NULL, asset_tag text NOT NULL, ordered_at text NOT NULL, confirmed_at text NOT NULL,
  shipped_at text NOT NULL, delivered_at text NOT NULL, cancelled_at text NOT NULL, version bigint NOT NULL,
  PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX orders_open ON orders (partner_id, gtin) WHERE state IN ('ordered', 'confirmed', 'shipped');
CREATE INDEX orders_version ON orders (kiosk_id, version);
)sql"},
      // Deals the vendor decides (sqlite_store.cpp's migration 5).
      {3, R"sql(
ALTER TABLE deals ADD COLUMN registered_at text NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN decided_at text NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN decided_by text NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN reason text NOT NULL DEFAULT '';
CREATE INDEX deals_pending ON deals (registered_at) WHERE status = 'pending';
)sql"},
      // Shared reward stock (issue 17), as sqlite_store.cpp's migration 6. A batch locks the stock
      // rows of the rewards it redeems last in LoadFacts (after the reference and custody rows),
      // `kiosk-central rewards` locks the one row it changes: two processes never oversell.
      {4, R"sql(
CREATE TABLE reward_stock (
  reward_id text PRIMARY KEY, stock bigint NOT NULL, version bigint NOT NULL
);
CREATE TABLE reward_allocations (
  reward_id text NOT NULL, kiosk_id text NOT NULL, allocated bigint NOT NULL, used bigint NOT NULL,
  version bigint NOT NULL, PRIMARY KEY (reward_id, kiosk_id)
);
INSERT INTO reward_stock (reward_id, stock, version)
  SELECT key, GREATEST(0, COALESCE((body::jsonb ->> 'stock')::bigint, 0)), version FROM refs
  WHERE list = 'rewards' AND NOT deleted AND body LIKE '{%' AND jsonb_typeof(body::jsonb -> 'stock') IS DISTINCT FROM 'string';
)sql"},
      // Points credited for sell-outs (issue 17), as sqlite_store.cpp's migration 7: the ledger,
      // one row per model of a report; a second credit for one event fails on the key.
      {5, R"sql(
CREATE TABLE points_credits (
  kiosk_id text NOT NULL, seq bigint NOT NULL, gtin text NOT NULL, partner_id text NOT NULL,
  model text NOT NULL, units bigint NOT NULL, points bigint NOT NULL, credited_at text NOT NULL,
  version bigint NOT NULL, PRIMARY KEY (kiosk_id, seq, gtin)
);
CREATE INDEX points_credits_version ON points_credits (kiosk_id, version);
)sql"},
      // Custody conflicts (issue 17 item 5), as sqlite_store.cpp's migration 8.
      {6, R"sql(
CREATE TABLE custody_conflicts (
  asset_tag text NOT NULL, claim_kiosk text NOT NULL, claim_seq bigint NOT NULL, claim_rep text NOT NULL,
  claimed_at text NOT NULL, holder_kiosk text NOT NULL, holder_seq bigint NOT NULL, holder_rep text NOT NULL,
  holder_since text NOT NULL, created_at text NOT NULL, resolved_at text NOT NULL DEFAULT '',
  resolved_by text NOT NULL DEFAULT '', version bigint NOT NULL,
  PRIMARY KEY (asset_tag, claim_kiosk, claim_seq)
);
CREATE INDEX custody_conflicts_open ON custody_conflicts (asset_tag) WHERE resolved_at = '';
CREATE INDEX custody_conflicts_version ON custody_conflicts (version);
)sql"},
      // Sell-outs keep their primary key only: every batch of sell-outs wrote each claim into a
      // second index by event, which only the sell-out report's join could use, and that report
      // reads the whole table anyway.
      {7, R"sql(
DROP INDEX IF EXISTS sellouts_event;
)sql"},
  };
  return kMigrations;
}

constexpr const char* kLower = "translate(%s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";

std::string AsciiLowerSql(const char* expr) {
  char buf[160];
  std::snprintf(buf, sizeof buf, kLower, expr);
  return buf;
}

// yyyymm of a "2026-12-04T..." UTC text; of now when it can't be read.
int MonthOf(const std::string& utc) {
  if (utc.size() >= 7 && utc[4] == '-') {
    int y = 0, m = 0;
    if (std::sscanf(utc.c_str(), "%4d-%2d", &y, &m) == 2 && m >= 1 && m <= 12) return y * 100 + m;
  }
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}
int NextMonth(int month) { return month % 100 == 12 ? (month / 100 + 1) * 100 + 1 : month + 1; }

// Parameters of one statement: scalars as text, arrays in PostgreSQL's binary array format (no
// quoting of the elements at all).
class Params {
 public:
  Params& Text(std::string_view v) { return Add(std::string(v), 0, 0); }
  Params& Int(int64_t v) { return Add(std::to_string(v), 0, 0); }
  Params& Texts(const std::vector<std::string_view>& items) {
    std::string a = ArrayHead(kTextOid, items.size());
    for (std::string_view s : items) {
      Put32(a, static_cast<uint32_t>(s.size()));
      a.append(s);
    }
    return Add(std::move(a), kTextArrayOid, 1);
  }
  Params& Ints(const std::vector<int64_t>& items) {
    std::string a = ArrayHead(kInt8Oid, items.size());
    for (int64_t v : items) {
      Put32(a, 8);
      const uint64_t u = static_cast<uint64_t>(v);
      Put32(a, static_cast<uint32_t>(u >> 32));
      Put32(a, static_cast<uint32_t>(u & 0xffffffffu));
    }
    return Add(std::move(a), kInt8ArrayOid, 1);
  }

  // Run as an unnamed statement, planned for these values at each call (see the sell-outs lookup).
  Params& PlanEachCall() {
    m_plan_each_call = true;
    return *this;
  }
  bool PlannedEachCall() const { return m_plan_each_call; }

  int Count() const { return static_cast<int>(m_values.size()); }
  const Oid* Types() const { return m_types.data(); }
  const int* Formats() const { return m_formats.data(); }
  const int* Lengths() const { return m_lengths.data(); }
  std::vector<const char*> Values() const {
    std::vector<const char*> v;
    for (const auto& s : m_values) v.push_back(s.data());
    return v;
  }

 private:
  static void Put32(std::string& a, uint32_t v) {
    const uint32_t n = htonl(v);
    a.append(reinterpret_cast<const char*>(&n), 4);
  }
  static std::string ArrayHead(Oid element, size_t n) {
    std::string a;
    Put32(a, n == 0 ? 0 : 1);  // dimensions
    Put32(a, 0);               // no NULLs
    Put32(a, element);
    if (n > 0) {
      Put32(a, static_cast<uint32_t>(n));
      Put32(a, 1);  // lower bound
    }
    return a;
  }
  Params& Add(std::string v, Oid type, int format) {
    m_lengths.push_back(static_cast<int>(v.size()));
    m_values.push_back(std::move(v));
    m_types.push_back(type);
    m_formats.push_back(format);
    return *this;
  }
  std::vector<std::string> m_values;
  std::vector<Oid> m_types;
  std::vector<int> m_formats;
  std::vector<int> m_lengths;
  bool m_plan_each_call = false;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// A row of a text-format result.
class Row {
 public:
  Row(const PGresult* r, int row) : m_r(r), m_row(row) {}
  std::string Text(int col) const { return std::string(PQgetvalue(m_r, m_row, col), PQgetlength(m_r, m_row, col)); }
  int64_t Int(int col) const { return std::strtoll(PQgetvalue(m_r, m_row, col), nullptr, 10); }
  bool Bool(int col) const { return PQgetvalue(m_r, m_row, col)[0] == 't'; }

 private:
  const PGresult* m_r;
  int m_row;
};

class PgStore final : public CentralStore {
 public:
  explicit PgStore(std::string conninfo) : m_conninfo(std::move(conninfo)) {}
  ~PgStore() override {
    if (m_conn) PQfinish(m_conn);
  }

  Status Connect() {
    if (m_conn) PQfinish(m_conn);
    m_prepared.clear();
    m_conn = PQconnectdb(m_conninfo.c_str());
    if (PQstatus(m_conn) != CONNECTION_OK)
      return MakeError(ErrorKind::Storage, "store.unavailable",
                       "kiosk-central can't connect to its PostgreSQL database: " + ConnMessage() +
                           ". Check --db (postgresql://USER@HOST/DB) and that the server is running.");
    // The answer to a kiosk is sent after the commit: it must be durable by then, whatever the
    // server's default.
    return Exec("SET synchronous_commit = on; SET client_min_messages = warning");
  }

  Status Migrate() {
    const int latest = PgMigrations().back().first;
    // A streaming replica (reports): check the schema, change nothing.
    auto recovery = OneText("SELECT pg_is_in_recovery()::text", Params());
    if (!recovery.ok()) return recovery.error();
    if (recovery->value_or("false") == "true") {
      int version = -1;
      KIOSK_TRY(Each("SELECT version FROM kiosk_central_schema WHERE application = $1", Params().Text(kPgApplication),
                     [&](const Row& r) { version = static_cast<int>(r.Int(0)); }));
      if (version != latest)
        return MakeError(ErrorKind::Integrity, "store.replica_schema",
                         "This read-only replica holds kiosk-central schema " + std::to_string(version) + ", this "
                         "kiosk-central wants " + std::to_string(latest) + "; use the kiosk-central of the primary.");
      return {};
    }
    StoreTransaction tx(*this);
    KIOSK_TRY(tx.Begin());
    // Two central processes starting at once: one migrates, the other waits and finds it done.
    KIOSK_TRY(Exec("SELECT pg_advisory_xact_lock(1397440325)"));
    KIOSK_TRY(Exec("CREATE TABLE IF NOT EXISTS kiosk_central_schema (application text NOT NULL, version int NOT NULL)"));
    int version = 0;
    bool found = false;
    std::string application;
    KIOSK_TRY(Each("SELECT application, version FROM kiosk_central_schema", Params(), [&](const Row& r) {
      found = true;
      application = r.Text(0);
      version = static_cast<int>(r.Int(1));
    }));
    if (found && application != kPgApplication)
      return MakeError(ErrorKind::Integrity, "store.not_central",
                       "This PostgreSQL database belongs to '" + application + "', not to kiosk-central. Give "
                       "kiosk-central a database of its own.");
    if (version > latest)
      return MakeError(ErrorKind::Integrity, "store.newer_schema",
                       "The central's PostgreSQL database has schema version " + std::to_string(version) +
                           ", newer than this kiosk-central knows (" + std::to_string(latest) +
                           "). Run the kiosk-central that made it, or a newer one; nothing was changed.");
    for (const auto& [v, sql] : PgMigrations()) {
      if (v <= version) continue;
      KIOSK_TRY(Exec(sql));
    }
    if (!found) {
      KIOSK_TRY(Run("INSERT INTO kiosk_central_schema (application, version) VALUES ($1, $2)",
                    Params().Text(kPgApplication).Int(latest)));
    } else if (version < latest) {
      KIOSK_TRY(Run("UPDATE kiosk_central_schema SET version = $1", Params().Int(latest)));
    }
    auto made = EnsurePartitions(2);
    if (!made.ok()) return made.error();
    return tx.Commit();
  }

  // ---- Maintenance ---------------------------------------------------------------------------

  Result<std::vector<PartitionInfo>> EnsurePartitions(int months_ahead) {
    const bool own = !m_in_tx;
    StoreTransaction tx(*this);
    if (own) {
      KIOSK_TRY(tx.Begin());
      KIOSK_TRY(Exec("SELECT pg_advisory_xact_lock(1397440325)"));
    }
    int month = MonthOf("");
    for (int i = 0; i <= months_ahead; ++i, month = NextMonth(month)) {
      const std::string name = PartitionName(month);
      bool exists = false;
      KIOSK_TRY(Each("SELECT 1 FROM pg_class WHERE relname = $1", Params().Text(name),
                     [&](const Row&) { exists = true; }));
      if (exists) continue;
      // Rows that went to the default partition for this month move into the new one.
      KIOSK_TRY(Exec("CREATE TABLE " + name + " (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"));
      KIOSK_TRY(Exec("WITH moved AS (DELETE FROM events_default WHERE month = " + std::to_string(month) +
                     " RETURNING *) INSERT INTO " + name + " SELECT * FROM moved"));
      KIOSK_TRY(Exec("ALTER TABLE events ATTACH PARTITION " + name + " FOR VALUES FROM (" + std::to_string(month) +
                     ") TO (" + std::to_string(NextMonth(month)) + ")"));
    }
    std::vector<PartitionInfo> out;
    KIOSK_TRY(Each("SELECT c.relname, c.reltuples::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "WHERE i.inhparent = 'events'::regclass ORDER BY c.relname COLLATE \"C\"",
                   Params(), [&](const Row& r) {
                     PartitionInfo p{r.Text(0), 0, r.Int(1)};
                     int y = 0, m = 0;
                     if (std::sscanf(p.name.c_str(), "events_y%4dm%2d", &y, &m) == 2) p.month = y * 100 + m;
                     out.push_back(p);
                   }));
    if (own) KIOSK_TRY(tx.Commit());
    return out;
  }

  Result<std::vector<int>> DropMonthsBefore(int before_month, const std::string& export_dir) {
    auto parts = EnsurePartitions(0);
    if (!parts.ok()) return parts.error();
    std::vector<int> dropped;
    for (const PartitionInfo& p : *parts) {
      if (p.month == 0 || p.month >= before_month) continue;
      // The export first, whole and flushed: a month is dropped only once it is on disk.
      std::error_code ec;
      std::filesystem::create_directories(export_dir, ec);
      const std::string file = export_dir + "/events-" + std::to_string(p.month) + ".csv";
      KIOSK_TRY(CopyOut("COPY (SELECT * FROM " + p.name + " ORDER BY kiosk_id, seq) TO STDOUT WITH (FORMAT csv, HEADER)",
                        file));
      StoreTransaction tx(*this);
      KIOSK_TRY(tx.Begin());
      KIOSK_TRY(Exec("DELETE FROM event_ids i USING " + p.name + " e WHERE i.event_id = e.event_id"));
      KIOSK_TRY(Exec("ALTER TABLE events DETACH PARTITION " + p.name));
      KIOSK_TRY(Exec("DROP TABLE " + p.name));
      KIOSK_TRY(tx.Commit());
      dropped.push_back(p.month);
    }
    return dropped;
  }

  // ---- Transactions --------------------------------------------------------------------------

  // BEGIN is sent with the transaction's first statement: LockKiosk sends both in one round trip
  // (a batch's first), any other statement sends BEGIN just before it (FlushBegin).
  Status Begin() override {
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) KIOSK_TRY(Connect());
    m_begin_pending = true;
    m_in_tx = true;
    return {};
  }
  // A connection lost (the server restarted) is made again here, between transactions only: a
  // dead connection shows only when used, so a failed BEGIN on one is tried once more afresh.
  Status FlushBegin() {
    if (!m_begin_pending) return {};
    m_begin_pending = false;
    if (Status s = Exec("BEGIN"); !s.ok()) {
      if (s.error().code != "store.unavailable") return s;
      KIOSK_TRY(Connect());
      KIOSK_TRY(Exec("BEGIN"));
    }
    return {};
  }
  Status Commit() override {
    m_in_tx = false;
    if (m_begin_pending && m_deferred.empty()) {  // nothing was sent or kept: nothing to commit
      m_begin_pending = false;
      return {};
    }
    // SaveBatch's writes go with the COMMIT, in one round trip (a failed COMMIT ends the
    // transaction too; so does any failure of the pipeline).
    Status s = m_deferred.empty() ? Exec("COMMIT") : WritesAndCommit();
    if (s.ok()) m_lookup_sellouts = false;
    return s;
  }
  void Rollback() override {
    m_in_tx = false;
    m_deferred.clear();
    if (std::exchange(m_begin_pending, false)) return;
    if (m_conn && PQstatus(m_conn) == CONNECTION_OK) (void)Exec("ROLLBACK");
  }

  // ---- Meta, kiosks, enrolments, nonces -------------------------------------------------------

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    return OneText("SELECT value FROM meta WHERE key = $1", Params().Text(key));
  }
  Status SetMeta(const std::string& key, const std::string& value) override {
    return Run("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               Params().Text(key).Text(value));
  }
  Result<int64_t> TakeReferenceVersion() override {
    auto v = OneText("INSERT INTO meta (key, value) VALUES ('reference_version', '1') ON CONFLICT (key) DO UPDATE "
                     "SET value = (meta.value::bigint + 1)::text RETURNING value",
                     Params());
    if (!v.ok()) return v.error();
    return std::stoll(v->value_or("1"));
  }

  Result<std::optional<KioskRecord>> GetKiosk(const std::string& id) override { return KioskQuery(id, ""); }
  Result<std::optional<KioskRecord>> LockKiosk(const std::string& id) override {
    if (!m_begin_pending) return KioskQuery(id, " FOR UPDATE");
    return BeginAndLockKiosk(id, nullptr, 0, nullptr);
  }
  Result<std::optional<KioskRecord>> LockKioskAndRememberNonce(const std::string& id, const std::string& nonce,
                                                               int64_t now_ms, bool& fresh) override {
    if (!m_begin_pending) return CentralStore::LockKioskAndRememberNonce(id, nonce, now_ms, fresh);
    return BeginAndLockKiosk(id, &nonce, now_ms, &fresh);
  }
  // A batch's first statements in one simple query (which takes no parameters: the values go as
  // quoted literals): BEGIN, the kiosk's row locked and, with `nonce`, the nonce remembered (kept
  // only if the caller commits: for a kiosk not enrolled it rolls back).
  Result<std::optional<KioskRecord>> BeginAndLockKiosk(const std::string& id, const std::string* nonce, int64_t now_ms,
                                                       bool* fresh) {
    m_begin_pending = false;
    for (int attempt = 0;; ++attempt) {
      auto quote = [&](const std::string& v) -> std::optional<std::string> {
        char* q = PQescapeLiteral(m_conn, v.data(), v.size());
        if (!q) return std::nullopt;
        std::string out(q);
        PQfreemem(q);
        return out;
      };
      const auto qid = quote(id);
      const auto qnonce = nonce ? quote(*nonce) : std::optional<std::string>("");
      if (!qid || !qnonce) return ErrorOf(nullptr, "the kiosk's row");
      std::string sql = "BEGIN; SELECT kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen FROM kiosks "
                        "WHERE kiosk_id = " + *qid + " FOR UPDATE";
      if (nonce)
        sql += "; INSERT INTO nonces (kiosk_id, nonce, seen_ms) VALUES (" + *qid + ", " + *qnonce + ", " +
               std::to_string(now_ms) + ") ON CONFLICT DO NOTHING";
      std::optional<KioskRecord> out;
      Status status;
      int n = 0;  // results: BEGIN's, the SELECT's, the INSERT's
      if (PQsendQuery(m_conn, sql.c_str()) != 1) {
        status = ErrorOf(nullptr, "the kiosk's row");
      } else {
        while (PGresult* raw = PQgetResult(m_conn)) {
          PgResult r(raw);
          const auto st = PQresultStatus(raw);
          if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            if (status.ok()) status = ErrorOf(raw, "the kiosk's row");
          } else if (n == 1 && PQntuples(raw) > 0) {
            out = KioskFromRow(Row(raw, 0));
          } else if (n == 2 && fresh) {
            *fresh = std::strtoll(PQcmdTuples(raw), nullptr, 10) == 1;
          }
          ++n;
        }
      }
      if (status.ok() && n == (nonce ? 3 : 2)) return out;
      if (status.ok()) status = MakeError(ErrorKind::Storage, "store.unavailable",
                                          "The central's PostgreSQL database did not answer a batch's first statements; "
                                          "nothing was stored, retry later.");
      // As FlushBegin: a dead connection, found by the transaction's first statement, is made
      // again once; nothing of the transaction happened on it. Else the caller's Rollback ends it.
      if (attempt > 0 || status.error().code != "store.unavailable") return status.error();
      KIOSK_TRY(Connect());
    }
  }
  Status PutKiosk(const KioskRecord& k) override {
    return Run("INSERT INTO kiosks (kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen) "
               "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (kiosk_id) DO UPDATE SET key_hex = excluded.key_hex, "
               "enrolled_at = excluded.enrolled_at, acked_through = excluded.acked_through, "
               "head_hash = excluded.head_hash, last_seen = excluded.last_seen",
               Params().Text(k.kiosk_id).Text(k.key_hex).Text(k.enrolled_at).Int(k.acked_through).Text(k.head_hash)
                   .Text(k.last_seen));
  }
  Result<std::vector<KioskRecord>> ListKiosks() override {
    std::vector<KioskRecord> out;
    KIOSK_TRY(Each("SELECT kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen FROM kiosks "
                   "ORDER BY kiosk_id COLLATE \"C\"",
                   Params(), [&](const Row& r) { out.push_back(KioskFromRow(r)); }));
    return out;
  }

  Result<std::optional<EnrolmentRecord>> GetEnrolment(const std::string& id) override {
    std::optional<EnrolmentRecord> out;
    KIOSK_TRY(Each("SELECT kiosk_id, secret_hex, expires_ms, attempts FROM enrolments WHERE kiosk_id = $1",
                   Params().Text(id), [&](const Row& r) {
                     out = EnrolmentRecord{r.Text(0), r.Text(1), r.Int(2), static_cast<int>(r.Int(3))};
                   }));
    return out;
  }
  Status PutEnrolment(const EnrolmentRecord& e) override {
    return Run("INSERT INTO enrolments (kiosk_id, secret_hex, expires_ms, attempts) VALUES ($1,$2,$3,$4) "
               "ON CONFLICT (kiosk_id) DO UPDATE SET secret_hex = excluded.secret_hex, "
               "expires_ms = excluded.expires_ms, attempts = excluded.attempts",
               Params().Text(e.kiosk_id).Text(e.secret_hex).Int(e.expires_ms).Int(e.attempts));
  }
  Status DeleteEnrolment(const std::string& id) override {
    return Run("DELETE FROM enrolments WHERE kiosk_id = $1", Params().Text(id));
  }

  Result<bool> RememberNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms) override {
    auto n = Affected("INSERT INTO nonces (kiosk_id, nonce, seen_ms) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
                      Params().Text(kiosk_id).Text(nonce).Int(now_ms));
    if (!n.ok()) return n.error();
    return *n == 1;
  }
  Status ForgetNoncesBefore(int64_t ms) override {
    return Run("DELETE FROM nonces WHERE seen_ms < $1", Params().Int(ms));
  }
  Result<bool> RememberReadNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms,
                                 int64_t forget_before_ms) override {
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) KIOSK_TRY(Connect());
    if (forget_before_ms > 0) KIOSK_TRY(ForgetNoncesBefore(forget_before_ms));
    // One statement in its own transaction, whose commit does not wait for the WAL flush
    // (set_config(..., true) holds for this transaction only): the row is visible to every central
    // process at once; only a crash of the database server itself may forget the last moment's
    // GET nonces, and a GET changes nothing. Batches keep synchronous_commit.
    auto n = Affected(
        "INSERT INTO nonces (kiosk_id, nonce, seen_ms) SELECT $1::text, $2::text, $3::bigint FROM "
        "(SELECT set_config('synchronous_commit', 'off', true) AS sc) s WHERE s.sc IS NOT NULL ON CONFLICT DO NOTHING",
        Params().Text(kiosk_id).Text(nonce).Int(now_ms));
    if (!n.ok()) return n.error();
    return *n == 1;
  }

  // ---- Events ---------------------------------------------------------------------------------

  Result<std::optional<StoredEvent>> GetEvent(const std::string& kiosk_id, int64_t seq) override {
    std::optional<StoredEvent> out;
    KIOSK_TRY(Each(EventColumns() + "WHERE kiosk_id = $1 AND seq = $2", Params().Text(kiosk_id).Int(seq),
                   [&](const Row& r) { out = EventFromRow(r); }));
    return out;
  }
  Result<std::vector<StoredEvent>> GetEvents(const std::string& kiosk_id, int64_t from_seq, int64_t to_seq) override {
    std::vector<StoredEvent> out;
    KIOSK_TRY(Each(EventColumns() + "WHERE kiosk_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq",
                   Params().Text(kiosk_id).Int(from_seq).Int(to_seq),
                   [&](const Row& r) { out.push_back(EventFromRow(r)); }));
    return out;
  }
  Result<bool> InsertEvent(const Event& e, const Reception& r) override {
    auto inserted = InsertEvents({EventInsert{&e, &r}});
    if (!inserted.ok()) return inserted.error();
    return (*inserted)[0] != 0;
  }
  Result<std::vector<char>> InsertEvents(const std::vector<EventInsert>& events) override {
    std::vector<char> inserted(events.size(), 0);
    // An id twice in the call: only its first event is offered (the statement below matches the
    // inserted ids back by id).
    std::unordered_map<std::string_view, size_t> first;
    std::vector<size_t> offered;
    for (size_t i = 0; i < events.size(); ++i)
      if (first.emplace(events[i].event->event_id, i).second) offered.push_back(i);
    if (offered.empty()) return inserted;
    const int month = MonthOf(events[offered[0]].reception->received_at);
    m_tx_month = month;
    std::vector<std::string_view> kiosk, id, type, payload, actor, wall, boot, prev, hash, received, via, est, verdict,
        code, message;
    std::vector<std::string> detail;
    std::vector<int64_t> seq, mono, skew;
    for (size_t i : offered) {
      const Event& e = *events[i].event;
      const Reception& r = *events[i].reception;
      kiosk.push_back(e.kiosk_id);
      seq.push_back(e.seq);
      id.push_back(e.event_id);
      type.push_back(e.type);
      payload.push_back(e.payload);
      actor.push_back(e.actor);
      wall.push_back(e.wall_time);
      mono.push_back(e.mono_ms);
      boot.push_back(e.boot_id);
      prev.push_back(e.prev_hash);
      hash.push_back(e.hash);
      received.push_back(r.received_at);
      via.push_back(r.via);
      est.push_back(r.est_time);
      skew.push_back(r.skew_ms);
      verdict.push_back(sync::ToString(r.verdict.verdict));
      code.push_back(r.verdict.code);
      message.push_back(r.verdict.message);
      detail.push_back(sync::DetailText(r.verdict));
    }
    std::vector<std::string_view> detail_v(detail.begin(), detail.end());
    Params p;
    p.Texts(kiosk).Ints(seq).Texts(id).Texts(type).Texts(payload).Texts(actor).Texts(wall).Ints(mono).Texts(boot)
        .Texts(prev).Texts(hash).Texts(received).Texts(via).Texts(est).Ints(skew).Texts(verdict).Texts(code)
        .Texts(message).Texts(detail_v).Int(month);
    std::unordered_map<std::string, bool> got;
    KIOSK_TRY(Each(
        "WITH r AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], "
        "$7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], "
        "$15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[]) AS u(kiosk_id, seq, event_id, type, "
        "payload, actor, wall_time, mono_ms, boot_id, prev_hash, hash, received_at, via, est_time, skew_ms, verdict, "
        "code, message, detail)), "
        "ids AS (INSERT INTO event_ids (event_id, kiosk_id, seq, month) SELECT event_id, kiosk_id, seq, $20 FROM r "
        "ON CONFLICT DO NOTHING RETURNING event_id) "
        "INSERT INTO events (kiosk_id, seq, event_id, type, payload, actor, wall_time, mono_ms, boot_id, prev_hash, "
        "hash, received_at, via, est_time, skew_ms, verdict, code, message, detail, month) "
        "SELECT r.kiosk_id, r.seq, r.event_id, r.type, r.payload, r.actor, r.wall_time, r.mono_ms, r.boot_id, "
        "r.prev_hash, r.hash, r.received_at, r.via, r.est_time, r.skew_ms, r.verdict, r.code, r.message, r.detail, "
        "$20 FROM r JOIN ids USING (event_id) RETURNING event_id",
        p, [&](const Row& r) { got[r.Text(0)] = true; }));
    for (size_t i : offered) inserted[i] = got.count(events[i].event->event_id) ? 1 : 0;
    return inserted;
  }
  Status UpdateVerdict(const std::string& kiosk_id, int64_t seq, const sync::Verdict& v) override {
    return Run("UPDATE events SET verdict = $1, code = $2, message = $3, detail = $4 WHERE kiosk_id = $5 AND seq = $6",
               Params().Text(sync::ToString(v.verdict)).Text(v.code).Text(v.message).Text(sync::DetailText(v))
                   .Text(kiosk_id).Int(seq));
  }
  Result<int64_t> CountEvents(const std::string& kiosk_id) override {
    auto n = kiosk_id.empty() ? OneText("SELECT count(*) FROM events", Params())
                              : OneText("SELECT count(*) FROM events WHERE kiosk_id = $1", Params().Text(kiosk_id));
    if (!n.ok()) return n.error();
    return std::stoll(n->value_or("0"));
  }
  Status ForEachEvent(const std::string& kiosk_id, int64_t from_seq,
                      const std::function<void(const StoredEvent&)>& fn) override {
    return Each(EventColumns() + "WHERE kiosk_id = $1 AND seq >= $2 ORDER BY seq", Params().Text(kiosk_id).Int(from_seq),
                [&](const Row& r) { fn(EventFromRow(r)); });
  }

  // ---- Reference, custody, sell-outs, loyalty, deals, flags, boots ----------------------------

  Result<std::optional<RefRecord>> GetRef(const std::string& list, const std::string& key) override {
    std::optional<RefRecord> out;
    KIOSK_TRY(Each("SELECT list, key, body, version, deleted FROM refs WHERE list = $1 AND key = $2",
                   Params().Text(list).Text(key), [&](const Row& r) { out = RefFromRow(r); }));
    return out;
  }
  Status PutRef(const RefRecord& r) override {
    return Run("INSERT INTO refs (list, key, body, version, deleted) VALUES ($1,$2,$3,$4,$5) ON CONFLICT (list, key) "
               "DO UPDATE SET body = excluded.body, version = excluded.version, deleted = excluded.deleted",
               Params().Text(r.list).Text(r.key).Text(r.body).Int(r.version).Text(r.deleted ? "true" : "false"));
  }
  Status ForEachRef(int64_t since, const std::function<void(const RefRecord&)>& fn) override {
    auto row = [&](const Row& r) { fn(RefFromRow(r)); };
    if (since == 0)
      return Each("SELECT list, key, body, version, deleted FROM refs WHERE NOT deleted "
                  "ORDER BY list COLLATE \"C\", key COLLATE \"C\"",
                  Params(), row);
    return Each("SELECT list, key, body, version, deleted FROM refs WHERE version > $1 "
                "ORDER BY list COLLATE \"C\", key COLLATE \"C\"",
                Params().Int(since), row);
  }
  Status MarkAllRefsDeleted(int64_t version) override {
    return Run("UPDATE refs SET deleted = true, version = $1 WHERE NOT deleted", Params().Int(version));
  }

  Result<std::optional<CustodyRecord>> GetCustody(const std::string& tag) override {
    std::optional<CustodyRecord> out;
    KIOSK_TRY(Each("SELECT asset_tag, kiosk_id, state, custodian, seq, since FROM custody WHERE asset_tag = $1 "
                   "AND state <> ''",
                   Params().Text(tag), [&](const Row& r) { out = CustodyFromRow(r); }));
    return out;
  }
  Status PutCustody(const CustodyRecord& c) override {
    return Run("INSERT INTO custody (asset_tag, kiosk_id, state, custodian, seq, since) VALUES ($1,$2,$3,$4,$5,$6) "
               "ON CONFLICT (asset_tag) DO UPDATE SET kiosk_id = excluded.kiosk_id, state = excluded.state, "
               "custodian = excluded.custodian, seq = excluded.seq, since = excluded.since",
               Params().Text(c.asset_tag).Text(c.kiosk_id).Text(c.state).Text(c.custodian).Int(c.seq).Text(c.since));
  }
  Result<std::optional<SelloutRecord>> GetSellout(const std::string& gtin, const std::string& serial) override {
    std::optional<SelloutRecord> out;
    KIOSK_TRY(Each("SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts WHERE gtin = $1 AND serial = $2",
                   Params().Text(gtin).Text(serial), [&](const Row& r) { out = SelloutFromRow(r); }));
    return out;
  }
  Result<std::optional<SelloutRecord>> ClaimSellout(const SelloutRecord& s) override {
    auto n = Affected("INSERT INTO sellouts (gtin, serial, partner_id, kiosk_id, seq) VALUES ($1,$2,$3,$4,$5) "
                      "ON CONFLICT DO NOTHING",
                      Params().Text(s.gtin).Text(s.serial).Text(s.partner_id).Text(s.kiosk_id).Int(s.seq));
    if (!n.ok()) return n.error();
    if (*n == 1) return std::optional<SelloutRecord>();
    return GetSellout(s.gtin, s.serial);
  }
  Status PutRedemption(const std::string& kiosk_id, int64_t seq, const std::string& partner_id,
                       const std::string& reward_id, int64_t requested, int64_t honoured,
                       const std::string& at) override {
    RedemptionRecord r{kiosk_id, seq, partner_id, reward_id, requested, honoured, at};
    return PutRedemptions({r});
  }
  Result<std::optional<DealRecord>> FindApprovedDeal(const std::string& customer, const std::string& product) override {
    std::optional<DealRecord> out;
    KIOSK_TRY(Each(std::string(kDealColumns) + "FROM deals WHERE status = 'approved' AND " +
                       AsciiLowerSql("customer") + " = $1 AND " + AsciiLowerSql("product") + " = $2 LIMIT 1",
                   Params().Text(AsciiLower(customer)).Text(AsciiLower(product)),
                   [&](const Row& r) { out = DealFromRow(r); }));
    return out;
  }
  Status PutDeal(const DealRecord& d) override { return PutDeals({d}); }
  Status ForEachDeal(const std::string& kiosk_id, int64_t since_version,
                     const std::function<void(const DealRecord&)>& fn) override {
    return Each(std::string(kDealColumns) + "FROM deals WHERE kiosk_id = $1 AND version > $2 ORDER BY seq",
                Params().Text(kiosk_id).Int(since_version), [&](const Row& r) { fn(DealFromRow(r)); });
  }
  // ---- Deals the vendor decides ----
  Status ListDeals(const DealFilter& f, const std::function<void(const DealRecord&)>& fn) override {
    return Each(std::string(kDealColumns) +
                    "FROM deals WHERE ($1 = '' OR status = $1) AND ($2 = '' OR kiosk_id = $2) "
                    "ORDER BY registered_at COLLATE \"C\", kiosk_id COLLATE \"C\", seq",
                Params().Text(f.status).Text(f.kiosk_id), [&](const Row& r) { fn(DealFromRow(r)); });
  }
  Result<std::optional<DealRecord>> GetDeal(const std::string& kiosk_id, int64_t seq, bool lock) override {
    std::optional<DealRecord> out;
    KIOSK_TRY(Each(std::string(kDealColumns) + "FROM deals WHERE kiosk_id = $1 AND seq = $2" +
                       (lock ? " FOR UPDATE" : ""),
                   Params().Text(kiosk_id).Int(seq), [&](const Row& r) { out = DealFromRow(r); }));
    return out;
  }
  Status AddFlag(const FlagRecord& f) override { return AddFlags({f}); }
  // ---- Custody conflicts (issue 17 item 5) ----
  Status AddCustodyConflict(const ConflictRecord& c) override { return AddConflicts({c}); }
  Status ResolveCustodyConflicts(const ConflictResolution& r) override { return ResolveConflicts({r}); }
  Status ForEachCustodyConflict(const std::string& kiosk_id, int64_t since_version,
                                const std::function<void(const ConflictRecord&)>& fn) override {
    const std::string sql = std::string(kConflictColumns) +
                            "FROM custody_conflicts WHERE (holder_kiosk = $1 OR claim_kiosk = $1) AND " +
                            (since_version <= 0 ? "resolved_at = '' AND $2::bigint >= 0" : "version > $2") +
                            " ORDER BY created_at COLLATE \"C\", asset_tag COLLATE \"C\", claim_kiosk COLLATE \"C\", "
                            "claim_seq";
    return Each(sql, Params().Text(kiosk_id).Int(since_version), [&](const Row& r) { fn(ConflictFromRow(r)); });
  }
  Status PutCredit(const CreditRecord& c) override { return PutCredits({c}); }
  Status ForEachCredit(const std::string& kiosk_id, int64_t since_version,
                       const std::function<void(const CreditRecord&)>& fn) override {
    return Each("SELECT kiosk_id, seq, gtin, partner_id, model, units, points, credited_at, version FROM points_credits "
                "WHERE kiosk_id = $1 AND version > $2 ORDER BY seq, gtin COLLATE \"C\"",
                Params().Text(kiosk_id).Int(since_version), [&](const Row& r) {
                  fn(CreditRecord{r.Text(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Int(6), r.Text(7),
                                  r.Int(8)});
                });
  }
  Result<std::optional<int64_t>> GetBootOffset(const std::string& kiosk_id, const std::string& boot_id) override {
    auto all = GetBootOffsets(kiosk_id, {boot_id});
    if (!all.ok()) return all.error();
    if (all->empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(all->begin()->second);
  }
  Status PutBootOffset(const std::string& kiosk_id, const std::string& boot_id, int64_t offset_ms) override {
    return PutBoots(kiosk_id, {{boot_id, offset_ms}});
  }
  Result<std::map<std::string, int64_t>> GetBootOffsets(const std::string& kiosk_id,
                                                        const std::set<std::string>& boot_ids) override {
    std::map<std::string, int64_t> out;
    std::vector<std::string_view> ids(boot_ids.begin(), boot_ids.end());
    KIOSK_TRY(Each("SELECT boot_id, offset_ms FROM boots WHERE kiosk_id = $1 AND boot_id = ANY($2::text[])",
                   Params().Text(kiosk_id).Texts(ids), [&](const Row& r) { out[r.Text(0)] = r.Int(1); }));
    return out;
  }

  // ---- Demo orders (issue 17) -----------------------------------------------------------------

  Result<int64_t> OpenOrderUnits(const std::string& partner_id, const std::string& gtin) override {
    auto n = OneText("SELECT COALESCE(sum(qty), 0) FROM orders WHERE partner_id = $1 AND gtin = $2 AND "
                     "state IN ('ordered', 'confirmed', 'shipped')",
                     Params().Text(partner_id).Text(gtin));
    if (!n.ok()) return n.error();
    return std::stoll(n->value_or("0"));
  }
  Status PutOrder(const OrderRecord& o) override { return PutOrders({o}); }
  Result<std::optional<OrderRecord>> LockOrder(const std::string& kiosk_id, int64_t seq) override {
    std::optional<OrderRecord> out;
    KIOSK_TRY(Each(std::string(kOrderColumns) + "FROM orders WHERE kiosk_id = $1 AND seq = $2 FOR UPDATE",
                   Params().Text(kiosk_id).Int(seq), [&](const Row& r) { out = OrderFromRow(r); }));
    return out;
  }
  Status ForEachOrder(const OrderFilter& f, const std::function<void(const OrderRecord&)>& fn) override {
    return Each(std::string(kOrderColumns) +
                    "FROM orders WHERE ($1::text = '' OR state = $1) AND ($2::text = '' OR partner_id = $2) AND "
                    "($3::text = '' OR kiosk_id = $3) ORDER BY kiosk_id COLLATE \"C\", seq",
                Params().Text(f.state).Text(f.partner_id).Text(f.kiosk_id), [&](const Row& r) { fn(OrderFromRow(r)); });
  }
  Status ForEachOrderChange(const std::string& kiosk_id, int64_t since_version,
                            const std::function<void(const OrderRecord&)>& fn) override {
    return Each(std::string(kOrderColumns) + "FROM orders WHERE kiosk_id = $1 AND version > $2 ORDER BY seq",
                Params().Text(kiosk_id).Int(since_version), [&](const Row& r) { fn(OrderFromRow(r)); });
  }
  Status ForEachOpenOrderCount(
      const std::function<void(const std::string&, const std::string&, int64_t)>& fn) override {
    return Each("SELECT partner_id, gtin, sum(qty) FROM orders WHERE state IN ('ordered', 'confirmed', 'shipped') "
                "GROUP BY partner_id, gtin ORDER BY partner_id COLLATE \"C\", gtin COLLATE \"C\"",
                Params(), [&](const Row& r) { fn(r.Text(0), r.Text(1), r.Int(2)); });
  }

  // ---- Shared reward stock (issue 17) ---------------------------------------------------------

  // Columns of one reward's stock with a kiosk's allocation ($1 kiosk); FROM follows.
  static constexpr const char* kStockColumns =
      "SELECT s.reward_id, s.stock, s.version, (SELECT COALESCE(sum(GREATEST(0, x.allocated - x.used)), 0) FROM "
      "reward_allocations x WHERE x.reward_id = s.reward_id), CASE WHEN a.kiosk_id IS NULL THEN 0 ELSE 1 END, "
      "COALESCE(a.allocated, 0), COALESCE(a.used, 0) FROM reward_stock s LEFT JOIN reward_allocations a ON "
      "a.reward_id = s.reward_id AND a.kiosk_id = $1 ";
  static RewardStockRecord StockFromRow(const Row& r, const std::string& kiosk_id) {
    return RewardStockRecord{r.Text(0), kiosk_id, r.Int(1), r.Int(3), r.Int(4) != 0, r.Int(5), r.Int(6), r.Int(2)};
  }
  // Locked first, then read by a statement of its own: under READ COMMITTED that statement sees
  // every change committed before the lock was granted (the allocations' sum included), where one
  // locking statement would re-read the locked row only.
  Result<std::optional<RewardStockRecord>> StockQuery(const std::string& reward_id, const std::string& kiosk_id,
                                                      bool lock) {
    if (lock)
      KIOSK_TRY(Each("SELECT reward_id FROM reward_stock WHERE reward_id = $1 FOR UPDATE", Params().Text(reward_id),
                     [](const Row&) {}));
    std::optional<RewardStockRecord> out;
    KIOSK_TRY(Each(std::string(kStockColumns) + "WHERE s.reward_id = $2", Params().Text(kiosk_id).Text(reward_id),
                   [&](const Row& r) { out = StockFromRow(r, kiosk_id); }));
    return out;
  }
  Result<std::optional<RewardStockRecord>> GetRewardStock(const std::string& reward_id,
                                                          const std::string& kiosk_id) override {
    return StockQuery(reward_id, kiosk_id, false);
  }
  Result<std::optional<RewardStockRecord>> LockRewardStock(const std::string& reward_id,
                                                           const std::string& kiosk_id) override {
    return StockQuery(reward_id, kiosk_id, true);
  }
  Status PutRewardStock(const RewardStockRecord& s) override {
    KIOSK_TRY(Run("INSERT INTO reward_stock (reward_id, stock, version) VALUES ($1, $2, $3) ON CONFLICT (reward_id) "
                  "DO UPDATE SET stock = excluded.stock, version = excluded.version",
                  Params().Text(s.reward_id).Int(s.stock).Int(s.version)));
    if (!s.has_allocation || s.kiosk_id.empty()) return {};
    return Run("INSERT INTO reward_allocations (reward_id, kiosk_id, allocated, used, version) VALUES ($1, $2, $3, $4, "
               "$5) ON CONFLICT (reward_id, kiosk_id) DO UPDATE SET allocated = excluded.allocated, used = "
               "excluded.used, version = excluded.version",
               Params().Text(s.reward_id).Text(s.kiosk_id).Int(s.allocated).Int(s.used).Int(s.version));
  }
  Result<bool> SeedRewardStock(const std::string& reward_id, int64_t stock, int64_t version) override {
    bool inserted = false;
    KIOSK_TRY(Each("INSERT INTO reward_stock (reward_id, stock, version) VALUES ($1, $2, $3) ON CONFLICT (reward_id) "
                   "DO NOTHING RETURNING reward_id",
                   Params().Text(reward_id).Int(stock).Int(version), [&](const Row&) { inserted = true; }));
    return inserted;
  }
  Status DeleteAllocation(const std::string& reward_id, const std::string& kiosk_id) override {
    return Run("DELETE FROM reward_allocations WHERE reward_id = $1 AND kiosk_id = $2",
               Params().Text(reward_id).Text(kiosk_id));
  }
  Status ForEachRewardStock(const std::function<void(const RewardStockSummary&)>& fn) override {
    return Each("SELECT s.reward_id, s.stock, COALESCE(sum(a.allocated), 0), COALESCE(sum(a.used), 0), "
                "COALESCE(sum(GREATEST(0, a.allocated - a.used)), 0), count(a.kiosk_id), s.version FROM reward_stock s "
                "LEFT JOIN reward_allocations a ON a.reward_id = s.reward_id GROUP BY s.reward_id ORDER BY "
                "s.reward_id COLLATE \"C\"",
                Params(), [&](const Row& r) {
                  fn(RewardStockSummary{r.Text(0), r.Int(1), r.Int(2), r.Int(3), r.Int(4), r.Int(5), r.Int(6)});
                });
  }
  Status ForEachAllocation(const std::string& reward_id, const std::string& kiosk_id,
                           const std::function<void(const RewardAllocationRecord&)>& fn) override {
    return Each("SELECT reward_id, kiosk_id, allocated, used, version FROM reward_allocations WHERE ($1::text = '' OR "
                "reward_id = $1) AND ($2::text = '' OR kiosk_id = $2) ORDER BY reward_id COLLATE \"C\", kiosk_id "
                "COLLATE \"C\"",
                Params().Text(reward_id).Text(kiosk_id), [&](const Row& r) {
                  fn(RewardAllocationRecord{r.Text(0), r.Text(1), r.Int(2), r.Int(3), r.Int(4)});
                });
  }

  // ---- The batch calls ------------------------------------------------------------------------

  Status LoadFacts(const RuleKeys& keys, BatchFacts& facts) override {
    // Locks in one order for every process: reference rows by (list, key), then custody rows by
    // tag. Sell-outs and deals are not locked: their unique keys refuse a concurrent second claim,
    // and the transaction is run again (store.conflict), then seeing the first.
    std::vector<std::string_view> lists, ref_keys;
    for (const std::string& p : keys.partners) {
      for (const char* list : {"balances", "partners"}) {
        lists.push_back(list);
        ref_keys.push_back(p);
      }
    }
    for (const std::string& tag : keys.asset_tags) {
      lists.push_back("devices");
      ref_keys.push_back(tag);
    }
    // The sold units' models are read for their points and not locked (the rules never write
    // them), in the same statement as the locked rows when there are any: one round trip, where
    // the rules' reads one by one were one per model and batch.
    std::vector<std::string_view> models(keys.models.begin(), keys.models.end());
    std::set<std::string> models_found;
    auto know = [&](std::set<std::pair<std::string, std::string>>& found) {
      return [&](const Row& r) {
        RefRecord rec = RefFromRow(r);
        if (rec.list == "models" && keys.models.count(rec.key)) models_found.insert(rec.key);
        else found.emplace(rec.list, rec.key);
        facts.KnowRef(rec.list, rec.key, rec);
      };
    };
    static constexpr const char* kLockRefs =
        "SELECT list, key, body, version, deleted FROM refs WHERE (list, key) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY list COLLATE \"C\", key COLLATE \"C\" FOR UPDATE";
    if (!lists.empty()) {
      std::set<std::pair<std::string, std::string>> found;
      if (models.empty())
        KIOSK_TRY(Each(kLockRefs, Params().Texts(lists).Texts(ref_keys), know(found)));
      else  // the locking SELECT as a CTE, read whole by the UNION ALL: its rows locked in the same order
        KIOSK_TRY(Each(std::string("WITH locked AS (") + kLockRefs +
                           ") SELECT * FROM locked UNION ALL SELECT list, key, body, version, deleted FROM refs "
                           "WHERE list = 'models' AND key = ANY($3::text[])",
                       Params().Texts(lists).Texts(ref_keys).Texts(models), know(found)));
      for (size_t i = 0; i < lists.size(); ++i)
        if (!found.count({std::string(lists[i]), std::string(ref_keys[i])}))
          facts.KnowRef(std::string(lists[i]), std::string(ref_keys[i]), std::nullopt);
    } else if (!models.empty()) {
      std::set<std::pair<std::string, std::string>> found;
      KIOSK_TRY(Each("SELECT list, key, body, version, deleted FROM refs WHERE list = 'models' AND key = ANY($1::text[])",
                     Params().Texts(models), know(found)));
    }
    for (const std::string& m : keys.models)
      if (!models_found.count(m)) facts.KnowRef("models", m, std::nullopt);
    if (!keys.asset_tags.empty()) {
      std::vector<std::string_view> tags(keys.asset_tags.begin(), keys.asset_tags.end());  // sorted bytewise
      KIOSK_TRY(Run("INSERT INTO custody (asset_tag, kiosk_id, state, custodian, seq, since) "
                    "SELECT t, '', '', '', 0, '' FROM unnest($1::text[]) t ON CONFLICT DO NOTHING",
                    Params().Texts(tags)));
      std::set<std::string> seen;
      KIOSK_TRY(Each("SELECT asset_tag, kiosk_id, state, custodian, seq, since FROM custody WHERE asset_tag = "
                     "ANY($1::text[]) ORDER BY asset_tag COLLATE \"C\" FOR UPDATE",
                     Params().Texts(tags), [&](const Row& r) {
                       CustodyRecord c = CustodyFromRow(r);
                       seen.insert(c.asset_tag);
                       facts.KnowCustody(c.asset_tag, c.state.empty() ? std::nullopt : std::optional(c));
                     }));
      for (const std::string& t : keys.asset_tags)
        if (!seen.count(t)) facts.KnowCustody(t, std::nullopt);
    }
    if (!keys.units.empty() && !m_lookup_sellouts) {
      // Optimistic first: every unit taken as never reported sold, with no lookup at all, and
      // SaveBatch's insert finds out: a unit claimed already fails it with a duplicate key, and
      // the transaction is run again (store.conflict), this time looking the units up below. A
      // unit is nearly always reported once, and the lookup was about a tenth of a batch's time.
      for (const auto& [g, s] : keys.units) facts.KnowSellout(g, s, std::nullopt);
    } else if (!keys.units.empty()) {
      std::vector<std::string_view> gtins, serials;
      for (const auto& [g, s] : keys.units) {
        gtins.push_back(g);
        serials.push_back(s);
      }
      std::set<std::pair<std::string, std::string>> seen;
      // Planned at each call, not prepared: a prepared statement's plan is fixed after a few runs,
      // and on a new database those are on an empty table, where a hash join over a scan of the
      // whole table wins; that plan then stays while the table grows (25 ms a batch at 200,000
      // sell-outs, growing with every one, until autovacuum's ANALYZE makes it plan again). A plan
      // made for the call sees the table's size and looks each serial up in the primary key.
      KIOSK_TRY(Each("SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts WHERE (gtin, serial) IN "
                     "(SELECT * FROM unnest($1::text[], $2::text[]))",
                     Params().Texts(gtins).Texts(serials).PlanEachCall(), [&](const Row& r) {
                       SelloutRecord s = SelloutFromRow(r);
                       seen.emplace(s.gtin, s.serial);
                       facts.KnowSellout(s.gtin, s.serial, s);
                     }));
      for (const auto& [g, s] : keys.units)
        if (!seen.count({g, s})) facts.KnowSellout(g, s, std::nullopt);
    }
    if (!keys.deals.empty()) {
      std::vector<std::string_view> customers, products;
      for (const auto& [c, p] : keys.deals) {
        customers.push_back(c);
        products.push_back(p);
      }
      std::set<std::pair<std::string, std::string>> seen;
      KIOSK_TRY(Each(std::string(kDealColumns) + "FROM deals WHERE status = 'approved' AND (" +
                         AsciiLowerSql("customer") + ", " + AsciiLowerSql("product") +
                         ") IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                     Params().Texts(customers).Texts(products), [&](const Row& r) {
                       DealRecord d = DealFromRow(r);
                       const std::pair<std::string, std::string> k{AsciiLower(d.customer), AsciiLower(d.product)};
                       if (seen.insert(k).second) facts.KnowApprovedDeal(k.first, k.second, d);
                     }));
      for (const auto& [c, p] : keys.deals)
        if (!seen.count({c, p})) facts.KnowApprovedDeal(c, p, std::nullopt);
    }
    if (!keys.order_partners.empty()) {
      // Counted after the partners' rows above are locked: a concurrent batch's orders for these
      // partners are committed by now (each statement of READ COMMITTED sees what was), or wait
      // for this transaction.
      std::vector<std::string_view> partners(keys.order_partners.begin(), keys.order_partners.end());
      std::map<std::string, std::map<std::string, int64_t>> units;
      for (const std::string& p : keys.order_partners) units[p];
      KIOSK_TRY(Each("SELECT partner_id, gtin, sum(qty) FROM orders WHERE partner_id = ANY($1::text[]) AND "
                     "state IN ('ordered', 'confirmed', 'shipped') GROUP BY partner_id, gtin",
                     Params().Texts(partners), [&](const Row& r) { units[r.Text(0)][r.Text(1)] = r.Int(2); }));
      for (auto& [p, u] : units) facts.KnowOpenOrders(p, std::move(u));
    }
    if (!keys.rewards.empty()) {
      // Shared reward stock: the redeemed rewards' stock rows, locked last and by id (bytewise), so
      // two processes honouring redemptions of one reward count its stock one after the other;
      // `kiosk-central rewards` locks only such a row. The allocations' sum is read once the row
      // is locked: whoever changes an allocation holds the row too.
      std::vector<std::string_view> rewards(keys.rewards.begin(), keys.rewards.end());
      std::set<std::string> seen;
      KIOSK_TRY(Each("SELECT reward_id FROM reward_stock WHERE reward_id = ANY($1::text[]) ORDER BY reward_id "
                     "COLLATE \"C\" FOR UPDATE",
                     Params().Texts(rewards), [](const Row&) {}));
      KIOSK_TRY(Each(std::string(kStockColumns) + "WHERE s.reward_id = ANY($2::text[])",
                     Params().Text(keys.kiosk_id).Texts(rewards), [&](const Row& r) {
                       RewardStockRecord st = StockFromRow(r, keys.kiosk_id);
                       seen.insert(st.reward_id);
                       facts.KnowRewardStock(st.reward_id, keys.kiosk_id, st);
                     }));
      for (const std::string& reward : keys.rewards)
        if (!seen.count(reward)) facts.KnowRewardStock(reward, keys.kiosk_id, std::nullopt);
    }
    return {};
  }

  // Nothing is sent here: every write is kept (Run, m_defer) and sent with the COMMIT that always
  // follows, in one pipeline (WritesAndCommit); an error of any of them comes back from Commit.
  Status SaveBatch(const BatchSave& save) override {
    if (!m_in_tx) return SaveBatchNow(save);
    m_defer = true;
    Status s = SaveBatchNow(save);
    m_defer = false;
    if (!s.ok()) m_deferred.clear();
    return s;
  }
  Status SaveBatchNow(const BatchSave& save) {
    const std::string& kiosk_id = save.kiosk.kiosk_id;
    if (!save.boots.empty()) KIOSK_TRY(PutBoots(kiosk_id, save.boots));
    if (!save.verdicts.empty()) {
      std::vector<int64_t> seqs;
      std::vector<std::string> details;
      std::vector<std::string_view> verdicts, codes, messages;
      for (const sync::Verdict& v : save.verdicts) {
        seqs.push_back(v.seq);
        verdicts.push_back(sync::ToString(v.verdict));
        codes.push_back(v.code);
        messages.push_back(v.message);
        details.push_back(sync::DetailText(v));
      }
      std::vector<std::string_view> detail_v(details.begin(), details.end());
      KIOSK_TRY(Run("UPDATE events e SET verdict = u.verdict, code = u.code, message = u.message, detail = u.detail "
                    "FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(seq, verdict, code, "
                    "message, detail) WHERE e.kiosk_id = $1 AND e.seq = u.seq AND e.month = $7",
                    Params().Text(kiosk_id).Ints(seqs).Texts(verdicts).Texts(codes).Texts(messages).Texts(detail_v)
                        .Int(m_tx_month)));
    }
    if (const BatchFacts* f = save.facts) {
      if (!f->refs_written.empty()) {
        std::vector<std::string_view> lists, keys, bodies, deleted;
        std::vector<int64_t> versions;
        for (const auto& [k, r] : f->refs_written) {
          lists.push_back(r.list);
          keys.push_back(r.key);
          bodies.push_back(r.body);
          versions.push_back(r.version);
          deleted.push_back(r.deleted ? "true" : "false");
        }
        KIOSK_TRY(Run("INSERT INTO refs (list, key, body, version, deleted) SELECT l, k, b, v, d::boolean FROM "
                      "unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS u(l, k, b, v, d) "
                      "ON CONFLICT (list, key) DO UPDATE SET body = excluded.body, version = excluded.version, "
                      "deleted = excluded.deleted",
                      Params().Texts(lists).Texts(keys).Texts(bodies).Ints(versions).Texts(deleted)));
      }
      if (!f->custody_written.empty()) {
        std::vector<std::string_view> tags, kiosks, states, custodians, sinces;
        std::vector<int64_t> seqs;
        for (const auto& [t, c] : f->custody_written) {
          tags.push_back(c.asset_tag);
          kiosks.push_back(c.kiosk_id);
          states.push_back(c.state);
          custodians.push_back(c.custodian);
          seqs.push_back(c.seq);
          sinces.push_back(c.since);
        }
        KIOSK_TRY(Run("INSERT INTO custody (asset_tag, kiosk_id, state, custodian, seq, since) SELECT * FROM "
                      "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) "
                      "ON CONFLICT (asset_tag) DO UPDATE SET kiosk_id = excluded.kiosk_id, state = excluded.state, "
                      "custodian = excluded.custodian, seq = excluded.seq, since = excluded.since",
                      Params().Texts(tags).Texts(kiosks).Texts(states).Texts(custodians).Ints(seqs).Texts(sinces)));
      }
      if (!f->sellouts.empty()) {
        std::vector<std::string_view> gtins, serials, partners, kiosks;
        std::vector<int64_t> seqs;
        for (const SelloutRecord& s : f->sellouts) {
          gtins.push_back(s.gtin);
          serials.push_back(s.serial);
          partners.push_back(s.partner_id);
          kiosks.push_back(s.kiosk_id);
          seqs.push_back(s.seq);
        }
        // No ON CONFLICT (its speculative insertion cost more than the lookup it spares): a unit
        // claimed before (LoadFacts took none as claimed) or meanwhile by another process fails
        // the transaction with a duplicate key, which is then run again (store.conflict) and
        // looks the units up first (m_lookup_sellouts, until a commit), finding that claim.
        Status claimed = Run("INSERT INTO sellouts (gtin, serial, partner_id, kiosk_id, seq) SELECT * FROM "
                             "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])",
                             Params().Texts(gtins).Texts(serials).Texts(partners).Texts(kiosks).Ints(seqs));
        if (m_defer) m_deferred.back().claims = true;  // its conflict sets m_lookup_sellouts there
        if (!claimed.ok() && IsConflict(claimed.error())) m_lookup_sellouts = true;
        KIOSK_TRY(claimed);
      }
      if (!f->redemptions.empty()) KIOSK_TRY(PutRedemptions(f->redemptions));
      if (!f->deals.empty()) KIOSK_TRY(PutDeals(f->deals));
      if (!f->flags.empty()) KIOSK_TRY(AddFlags(f->flags));
      if (!f->orders.empty()) KIOSK_TRY(PutOrders(f->orders));
      // Resolutions first: they are of conflicts stored before this batch (BatchFacts).
      if (!f->resolutions.empty()) KIOSK_TRY(ResolveConflicts(f->resolutions));
      if (!f->conflicts.empty()) KIOSK_TRY(AddConflicts(f->conflicts));
      for (const auto& [key, st] : f->stock_written) KIOSK_TRY(PutRewardStock(st));
      if (!f->credits.empty()) KIOSK_TRY(PutCredits(f->credits));
    }
    KIOSK_TRY(Run("UPDATE kiosks SET acked_through = $2, head_hash = $3, last_seen = $4 WHERE kiosk_id = $1",
                  Params().Text(kiosk_id).Int(save.kiosk.acked_through).Text(save.kiosk.head_hash)
                      .Text(save.kiosk.last_seen)));
    if (save.forget_nonces_before_ms > 0) KIOSK_TRY(ForgetNoncesBefore(save.forget_nonces_before_ms));
    return {};
  }

  // ---- Reports --------------------------------------------------------------------------------

  Status Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row) override {
    auto spec = FindReport(name, " COLLATE \"C\"", SqlDialect::PostgreSQL);
    if (!spec.ok()) return spec.error();
    row(spec->header);
    const size_t n = spec->header.size();
    return Each(spec->sql, Params(), [&](const Row& r) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < n; ++i) cells.push_back(r.Text(static_cast<int>(i)));
      row(cells);
    });
  }


 private:
  static constexpr const char* kDealColumns =
      "SELECT kiosk_id, seq, partner_id, customer, product, value_cents, close_date, status, message, version, "
      "registered_at, decided_at, decided_by, reason ";

  static std::string PartitionName(int month) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "events_y%04dm%02d", month / 100, month % 100);
    return buf;
  }
  static const std::string& EventColumns() {
    static const std::string kColumns =
        "SELECT seq, event_id, kiosk_id, type, payload, actor, wall_time, mono_ms, boot_id, prev_hash, hash, "
        "received_at, via, est_time, skew_ms, verdict, code, message, detail FROM events ";
    return kColumns;
  }
  static StoredEvent EventFromRow(const Row& r) {
    StoredEvent s;
    Event& e = s.event;
    e.seq = r.Int(0);
    e.event_id = r.Text(1);
    e.kiosk_id = r.Text(2);
    e.type = r.Text(3);
    e.payload = r.Text(4);
    e.actor = r.Text(5);
    e.wall_time = r.Text(6);
    e.mono_ms = r.Int(7);
    e.boot_id = r.Text(8);
    e.prev_hash = r.Text(9);
    e.hash = r.Text(10);
    FillReception(r, s);
    return s;
  }
  static KioskRecord KioskFromRow(const Row& r) {
    return KioskRecord{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Text(4), r.Text(5)};
  }
  static RefRecord RefFromRow(const Row& r) { return RefRecord{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Bool(4)}; }
  static CustodyRecord CustodyFromRow(const Row& r) {
    return CustodyRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Text(5)};
  }
  static SelloutRecord SelloutFromRow(const Row& r) {
    return SelloutRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4)};
  }
  static constexpr const char* kOrderColumns =
      "SELECT kiosk_id, seq, partner_id, gtin, model, qty, state, note, serial, asset_tag, ordered_at, confirmed_at, "
      "shipped_at, delivered_at, cancelled_at, version ";
  static OrderRecord OrderFromRow(const Row& r) {
    return OrderRecord{r.Text(0), r.Int(1),   r.Text(2),  r.Text(3),  r.Text(4),  r.Int(5),
                       r.Text(6), r.Text(7),  r.Text(8),  r.Text(9),  r.Text(10), r.Text(11),
                       r.Text(12), r.Text(13), r.Text(14), r.Int(15)};
  }
  // No ON CONFLICT: a second credit for one event is a bug, and fails the transaction.
  Status PutCredits(const std::vector<CreditRecord>& cs) {
    std::vector<std::string_view> kiosks, gtins, partners, models, ats;
    std::vector<int64_t> seqs, units, points, versions;
    for (const CreditRecord& c : cs) {
      kiosks.push_back(c.kiosk_id);
      seqs.push_back(c.seq);
      gtins.push_back(c.gtin);
      partners.push_back(c.partner_id);
      models.push_back(c.model);
      units.push_back(c.units);
      points.push_back(c.points);
      ats.push_back(c.credited_at);
      versions.push_back(c.version);
    }
    return Run("INSERT INTO points_credits (kiosk_id, seq, gtin, partner_id, model, units, points, credited_at, "
               "version) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
               "$6::bigint[], $7::bigint[], $8::text[], $9::bigint[])",
               Params().Texts(kiosks).Ints(seqs).Texts(gtins).Texts(partners).Texts(models).Ints(units).Ints(points)
                   .Texts(ats).Ints(versions));
  }
  Status PutOrders(const std::vector<OrderRecord>& os) {
    std::vector<std::string_view> kiosks, partners, gtins, models, states, notes, serials, tags, ordered, confirmed,
        shipped, delivered, cancelled;
    std::vector<int64_t> seqs, qtys, versions;
    for (const OrderRecord& o : os) {
      kiosks.push_back(o.kiosk_id);
      seqs.push_back(o.seq);
      partners.push_back(o.partner_id);
      gtins.push_back(o.gtin);
      models.push_back(o.model);
      qtys.push_back(o.qty);
      states.push_back(o.state);
      notes.push_back(o.note);
      serials.push_back(o.serial);
      tags.push_back(o.asset_tag);
      ordered.push_back(o.ordered_at);
      confirmed.push_back(o.confirmed_at);
      shipped.push_back(o.shipped_at);
      delivered.push_back(o.delivered_at);
      cancelled.push_back(o.cancelled_at);
      versions.push_back(o.version);
    }
    return Run("INSERT INTO orders (kiosk_id, seq, partner_id, gtin, model, qty, state, note, serial, asset_tag, "
               "ordered_at, confirmed_at, shipped_at, delivered_at, cancelled_at, version) SELECT * FROM "
               "unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], "
               "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], "
               "$16::bigint[]) ON CONFLICT (kiosk_id, seq) DO UPDATE SET partner_id = excluded.partner_id, "
               "gtin = excluded.gtin, model = excluded.model, qty = excluded.qty, state = excluded.state, "
               "note = excluded.note, serial = excluded.serial, asset_tag = excluded.asset_tag, "
               "ordered_at = excluded.ordered_at, confirmed_at = excluded.confirmed_at, shipped_at = "
               "excluded.shipped_at, delivered_at = excluded.delivered_at, cancelled_at = excluded.cancelled_at, "
               "version = excluded.version",
               Params().Texts(kiosks).Ints(seqs).Texts(partners).Texts(gtins).Texts(models).Ints(qtys).Texts(states)
                   .Texts(notes).Texts(serials).Texts(tags).Texts(ordered).Texts(confirmed).Texts(shipped)
                   .Texts(delivered).Texts(cancelled).Ints(versions));
  }
  static DealRecord DealFromRow(const Row& r) {
    return DealRecord{r.Text(0), r.Int(1),  r.Text(2), r.Text(3),  r.Text(4),  r.Int(5),  r.Text(6),
                      r.Text(7), r.Text(8), r.Int(9),  r.Text(10), r.Text(11), r.Text(12), r.Text(13)};
  }

  Result<std::optional<KioskRecord>> KioskQuery(const std::string& id, const char* suffix) {
    std::optional<KioskRecord> out;
    KIOSK_TRY(Each(std::string("SELECT kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen FROM kiosks "
                               "WHERE kiosk_id = $1") + suffix,
                   Params().Text(id), [&](const Row& r) { out = KioskFromRow(r); }));
    return out;
  }
  Status PutBoots(const std::string& kiosk_id, const std::vector<std::pair<std::string, int64_t>>& boots) {
    std::vector<std::string_view> ids;
    std::vector<int64_t> offsets;
    for (const auto& [b, o] : boots) {
      ids.push_back(b);
      offsets.push_back(o);
    }
    return Run("INSERT INTO boots (kiosk_id, boot_id, offset_ms) SELECT $1, b, o FROM unnest($2::text[], $3::bigint[]) "
               "AS u(b, o) ON CONFLICT (kiosk_id, boot_id) DO UPDATE SET offset_ms = excluded.offset_ms",
               Params().Text(kiosk_id).Texts(ids).Ints(offsets));
  }
  Status PutRedemptions(const std::vector<RedemptionRecord>& rs) {
    std::vector<std::string_view> kiosks, partners, rewards, ats;
    std::vector<int64_t> seqs, requested, honoured;
    for (const RedemptionRecord& r : rs) {
      kiosks.push_back(r.kiosk_id);
      seqs.push_back(r.seq);
      partners.push_back(r.partner_id);
      rewards.push_back(r.reward_id);
      requested.push_back(r.requested);
      honoured.push_back(r.honoured);
      ats.push_back(r.at);
    }
    return Run("INSERT INTO redemptions (kiosk_id, seq, partner_id, reward_id, requested, honoured, at) SELECT * FROM "
               "unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[]) "
               "ON CONFLICT (kiosk_id, seq) DO UPDATE SET partner_id = excluded.partner_id, reward_id = "
               "excluded.reward_id, requested = excluded.requested, honoured = excluded.honoured, at = excluded.at",
               Params().Texts(kiosks).Ints(seqs).Texts(partners).Texts(rewards).Ints(requested).Ints(honoured).Texts(ats));
  }
  Status PutDeals(const std::vector<DealRecord>& ds) {
    std::vector<std::string_view> kiosks, partners, customers, products, closes, statuses, messages, registered,
        decided_at, decided_by, reasons;
    std::vector<int64_t> seqs, values, versions;
    for (const DealRecord& d : ds) {
      kiosks.push_back(d.kiosk_id);
      seqs.push_back(d.seq);
      partners.push_back(d.partner_id);
      customers.push_back(d.customer);
      products.push_back(d.product);
      values.push_back(d.value_cents);
      closes.push_back(d.close_date);
      statuses.push_back(d.status);
      messages.push_back(d.message);
      versions.push_back(d.version);
      registered.push_back(d.registered_at);
      decided_at.push_back(d.decided_at);
      decided_by.push_back(d.decided_by);
      reasons.push_back(d.reason);
    }
    return Run("INSERT INTO deals (kiosk_id, seq, partner_id, customer, product, value_cents, close_date, status, "
               "message, version, registered_at, decided_at, decided_by, reason) SELECT * FROM unnest($1::text[], "
               "$2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], "
               "$10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[]) ON CONFLICT (kiosk_id, seq) DO "
               "UPDATE SET partner_id = excluded.partner_id, customer = excluded.customer, product = excluded.product, "
               "value_cents = excluded.value_cents, close_date = excluded.close_date, status = excluded.status, "
               "message = excluded.message, version = excluded.version, registered_at = excluded.registered_at, "
               "decided_at = excluded.decided_at, decided_by = excluded.decided_by, reason = excluded.reason",
               Params().Texts(kiosks).Ints(seqs).Texts(partners).Texts(customers).Texts(products).Ints(values)
                   .Texts(closes).Texts(statuses).Texts(messages).Ints(versions).Texts(registered).Texts(decided_at)
                   .Texts(decided_by).Texts(reasons));
  }
  Status AddConflicts(const std::vector<ConflictRecord>& cs) {
    std::vector<std::string_view> tags, claim_kiosks, claim_reps, claimed, holder_kiosks, holder_reps, holder_since,
        created, resolved, resolved_by;
    std::vector<int64_t> claim_seqs, holder_seqs, versions;
    for (const ConflictRecord& r : cs) {
      const CustodyConflict& c = r.conflict;
      tags.push_back(c.asset_tag);
      claim_kiosks.push_back(c.claim_kiosk);
      claim_seqs.push_back(c.claim_seq);
      claim_reps.push_back(c.claim_rep);
      claimed.push_back(c.claimed_at);
      holder_kiosks.push_back(c.holder_kiosk);
      holder_seqs.push_back(r.holder_seq);
      holder_reps.push_back(c.holder_rep);
      holder_since.push_back(c.holder_since);
      created.push_back(r.created_at);
      resolved.push_back(c.resolved_at);
      resolved_by.push_back(r.resolved_by);
      versions.push_back(r.version);
    }
    return Run("INSERT INTO custody_conflicts (asset_tag, claim_kiosk, claim_seq, claim_rep, claimed_at, holder_kiosk, "
               "holder_seq, holder_rep, holder_since, created_at, resolved_at, resolved_by, version) SELECT * FROM "
               "unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], "
               "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[]) "
               "ON CONFLICT (asset_tag, claim_kiosk, claim_seq) DO NOTHING",
               Params().Texts(tags).Texts(claim_kiosks).Ints(claim_seqs).Texts(claim_reps).Texts(claimed)
                   .Texts(holder_kiosks).Ints(holder_seqs).Texts(holder_reps).Texts(holder_since).Texts(created)
                   .Texts(resolved).Texts(resolved_by).Ints(versions));
  }
  // One check-in per unit resolves its open conflicts; the first of a batch's check-ins of a unit
  // is the one recorded (DISTINCT ON keeps the statement from updating one row twice).
  Status ResolveConflicts(const std::vector<ConflictResolution>& rs) {
    std::vector<std::string_view> tags, at, by;
    std::vector<int64_t> versions;
    for (const ConflictResolution& r : rs) {
      tags.push_back(r.asset_tag);
      at.push_back(r.resolved_at);
      by.push_back(r.resolved_by);
      versions.push_back(r.version);
    }
    return Run("UPDATE custody_conflicts c SET resolved_at = u.at, resolved_by = u.by, version = u.v FROM "
               "(SELECT DISTINCT ON (tag) tag, at, by, v FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) "
               "WITH ORDINALITY AS x(tag, at, by, v, n) ORDER BY tag, n) AS u "
               "WHERE c.asset_tag = u.tag AND c.resolved_at = ''",
               Params().Texts(tags).Texts(at).Texts(by).Ints(versions));
  }
  Status AddFlags(const std::vector<FlagRecord>& fs) {
    std::vector<std::string_view> kiosks, kinds, messages, created;
    std::vector<int64_t> seqs;
    for (const FlagRecord& f : fs) {
      kiosks.push_back(f.kiosk_id);
      seqs.push_back(f.seq);
      kinds.push_back(f.kind);
      messages.push_back(f.message);
      created.push_back(f.created_at);
    }
    return Run("INSERT INTO flags (kiosk_id, seq, kind, message, created_at) SELECT k, s, ki, m, c FROM "
               "unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS "
               "u(k, s, ki, m, c, n) ORDER BY n",
               Params().Texts(kiosks).Ints(seqs).Texts(kinds).Texts(messages).Texts(created));
  }

  // ---- libpq ----------------------------------------------------------------------------------

  std::string ConnMessage() const {
    std::string m = m_conn ? PQerrorMessage(m_conn) : "no connection";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
  }
  // An error result as the central's Error: conflicts that a retry cures are "store.conflict",
  // a lost server "store.unavailable" (503 to the kiosk, which comes back).
  Error ErrorOf(const PGresult* r, const std::string& what) const {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "";
    std::string msg = r ? PQresultErrorMessage(r) : "";
    if (msg.empty()) msg = ConnMessage();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "23505")
      return MakeError(ErrorKind::Storage, "store.conflict",
                       "A concurrent transaction of another central process got in the way (" + msg + "); retry.");
    // No SQLSTATE: libpq's own error, which here means the connection broke (the server went
    // away); PQstatus may still say OK until the next call.
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK || sqlstate.empty() || sqlstate.rfind("08", 0) == 0 ||
        sqlstate.rfind("57P", 0) == 0)
      return MakeError(ErrorKind::Storage, "store.unavailable",
                       "The central's PostgreSQL database is unreachable (" + msg + "); nothing was stored, retry later.");
    return MakeError(ErrorKind::Storage, "store.error", "PostgreSQL refused " + what + ": " + msg);
  }
  // The prepared statement for `sql`, prepared on first use on this connection.
  Result<std::string> Prepared(const std::string& sql, const Params& p) {
    auto it = m_prepared.find(sql);
    if (it != m_prepared.end()) return it->second;
    const std::string name = "s" + std::to_string(m_prepared.size());
    PgResult r(PQprepare(m_conn, name.c_str(), sql.c_str(), p.Count(), p.Types()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return ErrorOf(r.get(), "a statement");
    m_prepared.emplace(sql, name);
    return name;
  }
  Status NeedConnection() {
    if (m_conn && PQstatus(m_conn) == CONNECTION_OK) return {};
    if (m_in_tx)
      return MakeError(ErrorKind::Storage, "store.unavailable",
                       "The connection to the central's PostgreSQL database was lost; nothing was stored, retry later.");
    return Connect();
  }
  // A statement without parameters or results (BEGIN, DDL, a script).
  Status Exec(const std::string& sql) {
    if (!m_conn) KIOSK_TRY(Connect());
    KIOSK_TRY(FlushBegin());
    PgResult r(PQexec(m_conn, sql.c_str()));
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(r.get(), sql.substr(0, 60));
    return {};
  }
  Result<PgResult> ExecPrepared(const std::string& sql, const Params& p) {
    auto r = ExecPreparedOnce(sql, p);
    if (!r.ok() && !m_in_tx && r.error().code == "store.unavailable") {  // as in Each
      KIOSK_TRY(Connect());
      r = ExecPreparedOnce(sql, p);
    }
    return r;
  }
  Result<PgResult> ExecPreparedOnce(const std::string& sql, const Params& p) {
    KIOSK_TRY(FlushBegin());
    KIOSK_TRY(NeedConnection());
    auto name = Prepared(sql, p);
    if (!name.ok()) return name.error();
    const auto values = p.Values();
    PgResult r(PQexecPrepared(m_conn, name->c_str(), p.Count(), values.data(), p.Lengths(), p.Formats(), 0));
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(r.get(), sql.substr(0, 60));
    return r;
  }
  Status Run(const std::string& sql, const Params& p) {
    if (m_defer) {
      m_deferred.push_back({sql, p, false});
      return {};
    }
    auto r = ExecPrepared(sql, p);
    if (!r.ok()) return r.error();
    return {};
  }
  Result<int64_t> Affected(const std::string& sql, const Params& p) {
    auto r = ExecPrepared(sql, p);
    if (!r.ok()) return r.error();
    return std::strtoll(PQcmdTuples(r->get()), nullptr, 10);
  }
  Result<std::optional<std::string>> OneText(const std::string& sql, const Params& p) {
    auto r = ExecPrepared(sql, p);
    if (!r.ok()) return r.error();
    if (PQntuples(r->get()) == 0) return std::optional<std::string>();
    return std::optional<std::string>(Row(r->get(), 0).Text(0));
  }
  // Rows streamed one at a time (single-row mode): a kiosk's whole history or a report never sits
  // in memory at once.
  Status Each(const std::string& sql, const Params& p, const std::function<void(const Row&)>& fn) {
    Status s = EachOnce(sql, p, fn);
    // Outside a transaction a statement on a connection the server dropped is run once more on a
    // new one (nothing of it happened); inside one, the caller's transaction failed as a whole.
    if (!s.ok() && !m_in_tx && s.error().code == "store.unavailable") {
      KIOSK_TRY(Connect());
      s = EachOnce(sql, p, fn);
    }
    return s;
  }
  Status EachOnce(const std::string& sql, const Params& p, const std::function<void(const Row&)>& fn) {
    KIOSK_TRY(FlushBegin());
    KIOSK_TRY(NeedConnection());
    const auto values = p.Values();
    if (p.PlannedEachCall()) {
      if (!PQsendQueryParams(m_conn, sql.c_str(), p.Count(), p.Types(), values.data(), p.Lengths(), p.Formats(), 0))
        return ErrorOf(nullptr, sql.substr(0, 60));
    } else {
      auto name = Prepared(sql, p);
      if (!name.ok()) return name.error();
      if (!PQsendQueryPrepared(m_conn, name->c_str(), p.Count(), values.data(), p.Lengths(), p.Formats(), 0))
        return ErrorOf(nullptr, sql.substr(0, 60));
    }
    PQsetSingleRowMode(m_conn);
    Status status;
    while (PGresult* raw = PQgetResult(m_conn)) {
      PgResult r(raw);
      const auto st = PQresultStatus(raw);
      if (st == PGRES_SINGLE_TUPLE) {
        if (status.ok()) fn(Row(raw, 0));
      } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && status.ok()) {
        status = ErrorOf(raw, sql.substr(0, 60));
      }
    }
    return status;
  }
  // The kept writes and the COMMIT in one pipeline (libpq's pipeline mode): sent together, one
  // wait for all the answers. After an error PostgreSQL skips the rest up to the sync, COMMIT
  // included, and the transaction, still open and failed, is rolled back here.
  Status WritesAndCommit() {
    std::vector<Deferred> writes = std::move(m_deferred);
    m_deferred.clear();
    Status status = FlushBegin();
    if (status.ok()) status = NeedConnection();
    std::vector<std::string> names;
    for (const Deferred& w : writes) {  // prepared first: PQprepare waits, which a pipeline can't
      if (!status.ok()) break;
      auto name = Prepared(w.sql, w.params);
      if (!name.ok()) status = name.error();
      else names.push_back(*name);
    }
    if (status.ok() && PQenterPipelineMode(m_conn) != 1) status = ErrorOf(nullptr, "a pipeline");
    if (status.ok()) {
      bool sent = true;
      for (size_t i = 0; i < writes.size() && sent; ++i) {
        const auto values = writes[i].params.Values();
        sent = PQsendQueryPrepared(m_conn, names[i].c_str(), writes[i].params.Count(), values.data(),
                                   writes[i].params.Lengths(), writes[i].params.Formats(), 0) == 1;
      }
      sent = sent && PQsendQueryParams(m_conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
             PQpipelineSync(m_conn) == 1;
      if (!sent) status = ErrorOf(nullptr, "a pipeline");
      bool committed = false;
      // Each statement's result then NULL, in order; then the sync's.
      for (size_t i = 0; sent && i <= writes.size(); ++i) {
        while (PGresult* raw = PQgetResult(m_conn)) {
          PgResult r(raw);
          const auto st = PQresultStatus(raw);
          if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (i == writes.size()) committed = std::string_view(PQcmdStatus(raw)) == "COMMIT";
          } else if (st != PGRES_PIPELINE_ABORTED && status.ok()) {
            status = ErrorOf(raw, i < writes.size() ? writes[i].sql.substr(0, 60) : std::string("COMMIT"));
            if (i < writes.size() && writes[i].claims && IsConflict(status.error())) m_lookup_sellouts = true;
          }
        }
        if (PQstatus(m_conn) != CONNECTION_OK) break;
      }
      if (sent && PQstatus(m_conn) == CONNECTION_OK) PgResult sync(PQgetResult(m_conn));  // PGRES_PIPELINE_SYNC
      if (PQexitPipelineMode(m_conn) != 1) {  // answers left unread: this connection is done
        PQfinish(m_conn);
        m_conn = nullptr;
        m_prepared.clear();
      }
      if (status.ok() && !committed)
        status = MakeError(ErrorKind::Storage, "store.unavailable",
                           "The central's PostgreSQL database did not confirm the commit; nothing was acknowledged, "
                           "retry later.");
    }
    if (!status.ok() && m_conn && PQstatus(m_conn) == CONNECTION_OK &&
        PQtransactionStatus(m_conn) != PQTRANS_IDLE)
      (void)Exec("ROLLBACK");
    return status;
  }

  Status CopyOut(const std::string& sql, const std::string& file) {
    KIOSK_TRY(FlushBegin());
    KIOSK_TRY(NeedConnection());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out)
      return MakeError(ErrorKind::Storage, "retention.export", "Can't write " + file + "; no month was dropped.");
    PgResult start(PQexec(m_conn, sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_OUT) return ErrorOf(start.get(), "the export");
    char* buf = nullptr;
    int n;
    while ((n = PQgetCopyData(m_conn, &buf, 0)) > 0) {
      out.write(buf, n);
      PQfreemem(buf);
    }
    Status status;
    while (PGresult* raw = PQgetResult(m_conn)) {
      PgResult r(raw);
      if (PQresultStatus(raw) != PGRES_COMMAND_OK && status.ok()) status = ErrorOf(raw, "the export");
    }
    KIOSK_TRY(status);
    out.flush();
    out.close();
    if (!out)
      return MakeError(ErrorKind::Storage, "retention.export",
                       "Writing " + file + " failed (disk full?); no month was dropped.");
    return {};
  }

  std::string m_conninfo;
  PGconn* m_conn = nullptr;
  std::unordered_map<std::string, std::string> m_prepared;  // sql -> statement name, per connection
  bool m_in_tx = false;
  int m_tx_month = 0;  // the partition this transaction's events went to
  // Sell-out claims (LoadFacts, SaveBatch): looked up before the rules only when a run of this
  // transaction found a unit claimed already; till then taken as new.
  bool m_lookup_sellouts = false;
  // SaveBatch's writes, kept until the COMMIT (WritesAndCommit).
  struct Deferred {
    std::string sql;
    Params params;
    bool claims = false;  // the sell-out claims
  };
  std::vector<Deferred> m_deferred;
  bool m_defer = false;
  bool m_begin_pending = false;  // Begin() called, BEGIN not sent yet
};

}  // namespace

bool IsPostgresUri(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<CentralStore>> OpenPgStore(const std::string& conninfo) {
  auto store = std::make_unique<PgStore>(conninfo);
  KIOSK_TRY(store->Connect());
  KIOSK_TRY(store->Migrate());
  return std::unique_ptr<CentralStore>(std::move(store));
}

Result<std::vector<PartitionInfo>> PgEnsurePartitions(CentralStore& store, int months_ahead) {
  auto* pg = dynamic_cast<PgStore*>(&store);
  if (!pg)
    return MakeError(ErrorKind::Usage, "partitions.sqlite",
                     "Monthly partitions are for a PostgreSQL central (--db postgresql://...); a SQLite file has none.");
  return pg->EnsurePartitions(months_ahead);
}

Result<std::vector<int>> PgDropMonthsBefore(CentralStore& store, int before_month, const std::string& export_dir) {
  auto* pg = dynamic_cast<PgStore*>(&store);
  if (!pg)
    return MakeError(ErrorKind::Usage, "retention.sqlite",
                     "Retention by month is for a PostgreSQL central (--db postgresql://...).");
  return pg->DropMonthsBefore(before_month, export_dir);
}

}  // namespace kiosk::central
