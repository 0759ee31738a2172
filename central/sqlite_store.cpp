// CentralStore over SQLite. SQL lives here only; every statement is prepared once (Db's cache).
#include "central/sqlite_store.hpp"

#include <map>

#include "storage/db.hpp"
#include "storage/journal_store.hpp"

namespace kiosk::central {
namespace {

using storage::Statement;

const std::vector<storage::Migration>& CentralMigrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kiosks (
  kiosk_id TEXT PRIMARY KEY, key_hex TEXT NOT NULL, enrolled_at TEXT NOT NULL,
  acked_through INTEGER NOT NULL DEFAULT 0, head_hash TEXT NOT NULL, last_seen TEXT NOT NULL DEFAULT ''
);
CREATE TABLE enrolments (
  kiosk_id TEXT PRIMARY KEY, secret_hex TEXT NOT NULL, expires_ms INTEGER NOT NULL, attempts INTEGER NOT NULL
);
CREATE TABLE nonces (
  kiosk_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_ms INTEGER NOT NULL, PRIMARY KEY (kiosk_id, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_seen ON nonces(seen_ms);
-- Every event of every kiosk, exactly once, with the central's verdict.
CREATE TABLE events (
  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
  payload TEXT NOT NULL, actor TEXT NOT NULL, wall_time TEXT NOT NULL, mono_ms INTEGER NOT NULL,
  boot_id TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  received_at TEXT NOT NULL, via TEXT NOT NULL, est_time TEXT NOT NULL, skew_ms INTEGER NOT NULL,
  verdict TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, detail TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, seq)
);
CREATE TABLE refs (
  list TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, version INTEGER NOT NULL,
  deleted INTEGER NOT NULL, PRIMARY KEY (list, key)
);
CREATE INDEX refs_version ON refs(version);
CREATE TABLE custody (
  asset_tag TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, state TEXT NOT NULL, custodian TEXT NOT NULL,
  seq INTEGER NOT NULL, since TEXT NOT NULL
);
CREATE TABLE sellouts (
  gtin TEXT NOT NULL, serial TEXT NOT NULL, partner_id TEXT NOT NULL, kiosk_id TEXT NOT NULL,
  seq INTEGER NOT NULL, PRIMARY KEY (gtin, serial)
);
CREATE TABLE redemptions (
  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, partner_id TEXT NOT NULL, reward_id TEXT NOT NULL,
  requested INTEGER NOT NULL, honoured INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (kiosk_id, seq)
);
CREATE TABLE deals (
  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, partner_id TEXT NOT NULL, customer TEXT NOT NULL,
  product TEXT NOT NULL, value_cents INTEGER NOT NULL, close_date TEXT NOT NULL, status TEXT NOT NULL,
  message TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX deals_claim ON deals(lower(customer), lower(product)) WHERE status = 'approved';
CREATE TABLE flags (
  id INTEGER PRIMARY KEY, kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  message TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE boots (
  kiosk_id TEXT NOT NULL, boot_id TEXT NOT NULL, offset_ms INTEGER NOT NULL, PRIMARY KEY (kiosk_id, boot_id)
) WITHOUT ROWID;
)sql"},
      // Sell-outs keyed by (gtin, serial) only: without a rowid, claiming a serial writes one
      // b-tree instead of a table and its primary-key index (one claim per unit sold, in every
      // push).
      {2, R"sql(
CREATE TABLE sellouts_v2 (
  gtin TEXT NOT NULL, serial TEXT NOT NULL, partner_id TEXT NOT NULL, kiosk_id TEXT NOT NULL,
  seq INTEGER NOT NULL, PRIMARY KEY (gtin, serial)
) WITHOUT ROWID;
INSERT INTO sellouts_v2 (gtin, serial, partner_id, kiosk_id, seq)
  SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts;
DROP TABLE sellouts;
ALTER TABLE sellouts_v2 RENAME TO sellouts;
)sql"},
  };
  return kMigrations;
}

// The journal's own columns first (FillEvent), then the central's.
const std::string kEventColumns = std::string("SELECT ") + storage::kJournalEventColumns +
                                  ", received_at, via, est_time, skew_ms, verdict, code, message, detail FROM events ";

StoredEvent EventFromRow(Statement& r) {
  StoredEvent s;
  Event& e = s.event;
  storage::FillEvent(r, e);
  s.received_at = r.Text(11);
  s.via = r.Text(12);
  s.est_time = r.Text(13);
  s.skew_ms = r.Int(14);
  s.verdict.seq = e.seq;
  s.verdict.event_id = e.event_id;
  s.verdict.verdict = sync::ParseVerdictKind(r.Text(15)).value_or(sync::VerdictKind::Accepted);
  s.verdict.code = r.Text(16);
  s.verdict.message = r.Text(17);
  s.verdict.detail = nlohmann::json::parse(r.Text(18), nullptr, false);
  if (!s.verdict.detail.is_object()) s.verdict.detail = nlohmann::json::object();
  return s;
}

class SqliteStore final : public CentralStore {
 public:
  explicit SqliteStore(std::unique_ptr<storage::Db> db) : m_db(std::move(db)) {}

  Status Begin() override { return m_db->Begin(); }
  Status Commit() override { return m_db->Commit(); }
  void Rollback() override { m_db->Rollback(); }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    return m_db->ScalarText("SELECT value FROM meta WHERE key = ?", key);
  }
  Status SetMeta(const std::string& key, const std::string& value) override {
    return m_db->Run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     key, value);
  }

  Result<std::optional<KioskRecord>> GetKiosk(const std::string& id) override {
    std::optional<KioskRecord> out;
    KIOSK_TRY(m_db->Each("SELECT kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen FROM kiosks "
                         "WHERE kiosk_id = ?",
                         [&](Statement& r) { out = KioskFromRow(r); }, id));
    return out;
  }
  Status PutKiosk(const KioskRecord& k) override {
    return m_db->Run(
        "INSERT INTO kiosks (kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT(kiosk_id) DO UPDATE SET key_hex = excluded.key_hex, enrolled_at = excluded.enrolled_at, "
        "acked_through = excluded.acked_through, head_hash = excluded.head_hash, last_seen = excluded.last_seen",
        k.kiosk_id, k.key_hex, k.enrolled_at, k.acked_through, k.head_hash, k.last_seen);
  }
  Result<std::vector<KioskRecord>> ListKiosks() override {
    std::vector<KioskRecord> out;
    KIOSK_TRY(m_db->Each(
        "SELECT kiosk_id, key_hex, enrolled_at, acked_through, head_hash, last_seen FROM kiosks ORDER BY kiosk_id",
        [&](Statement& r) { out.push_back(KioskFromRow(r)); }));
    return out;
  }

  Result<std::optional<EnrolmentRecord>> GetEnrolment(const std::string& id) override {
    std::optional<EnrolmentRecord> out;
    KIOSK_TRY(m_db->Each("SELECT kiosk_id, secret_hex, expires_ms, attempts FROM enrolments WHERE kiosk_id = ?",
                         [&](Statement& r) {
                           out = EnrolmentRecord{r.Text(0), r.Text(1), r.Int(2), static_cast<int>(r.Int(3))};
                         },
                         id));
    return out;
  }
  Status PutEnrolment(const EnrolmentRecord& e) override {
    return m_db->Run("INSERT INTO enrolments (kiosk_id, secret_hex, expires_ms, attempts) VALUES (?,?,?,?) "
                     "ON CONFLICT(kiosk_id) DO UPDATE SET secret_hex = excluded.secret_hex, expires_ms = "
                     "excluded.expires_ms, attempts = excluded.attempts",
                     e.kiosk_id, e.secret_hex, e.expires_ms, e.attempts);
  }
  Status DeleteEnrolment(const std::string& id) override {
    return m_db->Run("DELETE FROM enrolments WHERE kiosk_id = ?", id);
  }

  Result<bool> RememberNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms) override {
    KIOSK_TRY(m_db->Run("INSERT OR IGNORE INTO nonces (kiosk_id, nonce, seen_ms) VALUES (?,?,?)", kiosk_id, nonce,
                        now_ms));
    return m_db->Changes() == 1;
  }
  Status ForgetNoncesBefore(int64_t ms) override { return m_db->Run("DELETE FROM nonces WHERE seen_ms < ?", ms); }

  Result<std::optional<StoredEvent>> GetEvent(const std::string& kiosk_id, int64_t seq) override {
    std::optional<StoredEvent> out;
    KIOSK_TRY(m_db->Each(kEventColumns + "WHERE kiosk_id = ? AND seq = ?",
                         [&](Statement& r) { out = EventFromRow(r); }, kiosk_id, seq));
    return out;
  }
  Result<bool> InsertEvent(const Event& e, const Reception& r) override {
    KIOSK_TRY(m_db->Run(
        "INSERT INTO events (kiosk_id, seq, event_id, type, payload, actor, wall_time, mono_ms, boot_id, prev_hash, "
        "hash, received_at, via, est_time, skew_ms, verdict, code, message, detail) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(event_id) DO NOTHING",
        e.kiosk_id, e.seq, e.event_id, e.type, e.payload, e.actor, e.wall_time, e.mono_ms, e.boot_id, e.prev_hash,
        e.hash, r.received_at, r.via, r.est_time, r.skew_ms, std::string(sync::ToString(r.verdict.verdict)),
        r.verdict.code, r.verdict.message, sync::DetailText(r.verdict)));
    return m_db->Changes() == 1;
  }
  Status UpdateVerdict(const std::string& kiosk_id, int64_t seq, const sync::Verdict& v) override {
    return m_db->Run("UPDATE events SET verdict = ?, code = ?, message = ?, detail = ? WHERE kiosk_id = ? AND seq = ?",
                     std::string(sync::ToString(v.verdict)), v.code, v.message, sync::DetailText(v), kiosk_id, seq);
  }
  Result<int64_t> CountEvents(const std::string& kiosk_id) override {
    auto n = kiosk_id.empty() ? m_db->ScalarInt("SELECT count(*) FROM events")
                              : m_db->ScalarInt("SELECT count(*) FROM events WHERE kiosk_id = ?", kiosk_id);
    if (!n.ok()) return n.error();
    return n->value_or(0);
  }
  Status ForEachEvent(const std::string& kiosk_id, int64_t from_seq,
                      const std::function<void(const StoredEvent&)>& fn) override {
    return m_db->Each(kEventColumns + "WHERE kiosk_id = ? AND seq >= ? ORDER BY seq",
                      [&](Statement& r) { fn(EventFromRow(r)); }, kiosk_id, from_seq);
  }

  Result<std::optional<RefRecord>> GetRef(const std::string& list, const std::string& key) override {
    std::optional<RefRecord> out;
    KIOSK_TRY(m_db->Each("SELECT list, key, body, version, deleted FROM refs WHERE list = ? AND key = ?",
                         [&](Statement& r) { out = RefRecord{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4) != 0}; },
                         list, key));
    return out;
  }
  Status PutRef(const RefRecord& r) override {
    return m_db->Run("INSERT INTO refs (list, key, body, version, deleted) VALUES (?,?,?,?,?) ON CONFLICT(list, key) "
                     "DO UPDATE SET body = excluded.body, version = excluded.version, deleted = excluded.deleted",
                     r.list, r.key, r.body, r.version, r.deleted ? 1 : 0);
  }
  Status ForEachRef(int64_t since, const std::function<void(const RefRecord&)>& fn) override {
    auto row = [&](Statement& r) { fn(RefRecord{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4) != 0}); };
    if (since == 0)
      return m_db->Each("SELECT list, key, body, version, deleted FROM refs WHERE deleted = 0 ORDER BY list, key", row);
    return m_db->Each("SELECT list, key, body, version, deleted FROM refs WHERE version > ? ORDER BY list, key", row,
                      since);
  }
  Status MarkAllRefsDeleted(int64_t version) override {
    return m_db->Run("UPDATE refs SET deleted = 1, version = ? WHERE deleted = 0", version);
  }

  Result<std::optional<CustodyRecord>> GetCustody(const std::string& tag) override {
    std::optional<CustodyRecord> out;
    KIOSK_TRY(m_db->Each("SELECT asset_tag, kiosk_id, state, custodian, seq, since FROM custody WHERE asset_tag = ?",
                         [&](Statement& r) {
                           out = CustodyRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Text(5)};
                         },
                         tag));
    return out;
  }
  Status PutCustody(const CustodyRecord& c) override {
    return m_db->Run("INSERT INTO custody (asset_tag, kiosk_id, state, custodian, seq, since) VALUES (?,?,?,?,?,?) "
                     "ON CONFLICT(asset_tag) DO UPDATE SET kiosk_id = excluded.kiosk_id, state = excluded.state, "
                     "custodian = excluded.custodian, seq = excluded.seq, since = excluded.since",
                     c.asset_tag, c.kiosk_id, c.state, c.custodian, c.seq, c.since);
  }
  Result<std::optional<SelloutRecord>> GetSellout(const std::string& gtin, const std::string& serial) override {
    std::optional<SelloutRecord> out;
    KIOSK_TRY(m_db->Each("SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts WHERE gtin = ? AND serial = ?",
                         [&](Statement& r) { out = SelloutRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4)}; },
                         gtin, serial));
    return out;
  }
  Result<std::optional<SelloutRecord>> ClaimSellout(const SelloutRecord& s) override {
    KIOSK_TRY(m_db->Run("INSERT OR IGNORE INTO sellouts (gtin, serial, partner_id, kiosk_id, seq) VALUES (?,?,?,?,?)",
                        s.gtin, s.serial, s.partner_id, s.kiosk_id, s.seq));
    if (m_db->Changes() == 1) return std::optional<SelloutRecord>();
    return GetSellout(s.gtin, s.serial);
  }
  Status PutRedemption(const std::string& kiosk_id, int64_t seq, const std::string& partner_id,
                       const std::string& reward_id, int64_t requested, int64_t honoured,
                       const std::string& at) override {
    return m_db->Run("INSERT OR REPLACE INTO redemptions (kiosk_id, seq, partner_id, reward_id, requested, honoured, "
                     "at) VALUES (?,?,?,?,?,?,?)",
                     kiosk_id, seq, partner_id, reward_id, requested, honoured, at);
  }
  Result<std::optional<DealRecord>> FindApprovedDeal(const std::string& customer, const std::string& product) override {
    std::optional<DealRecord> out;
    KIOSK_TRY(m_db->Each("SELECT kiosk_id, seq, partner_id, customer, product, value_cents, close_date, status, message, "
                         "version FROM deals WHERE status = 'approved' AND lower(customer) = lower(?) AND "
                         "lower(product) = lower(?) LIMIT 1",
                         [&](Statement& r) { out = DealFromRow(r); }, customer, product));
    return out;
  }
  Status PutDeal(const DealRecord& d) override {
    return m_db->Run("INSERT OR REPLACE INTO deals (kiosk_id, seq, partner_id, customer, product, value_cents, "
                     "close_date, status, message, version) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     d.kiosk_id, d.seq, d.partner_id, d.customer, d.product, d.value_cents, d.close_date, d.status,
                     d.message, d.version);
  }
  Status ForEachDeal(const std::string& kiosk_id, int64_t since_version,
                     const std::function<void(const DealRecord&)>& fn) override {
    return m_db->Each("SELECT kiosk_id, seq, partner_id, customer, product, value_cents, close_date, status, message, "
                      "version FROM deals WHERE kiosk_id = ? AND version > ? ORDER BY seq",
                      [&](Statement& r) { fn(DealFromRow(r)); }, kiosk_id, since_version);
  }
  Status AddFlag(const FlagRecord& f) override {
    return m_db->Run("INSERT INTO flags (kiosk_id, seq, kind, message, created_at) VALUES (?,?,?,?,?)", f.kiosk_id,
                     f.seq, f.kind, f.message, f.created_at);
  }
  Result<std::optional<int64_t>> GetBootOffset(const std::string& kiosk_id, const std::string& boot_id) override {
    return m_db->ScalarInt("SELECT offset_ms FROM boots WHERE kiosk_id = ? AND boot_id = ?", kiosk_id, boot_id);
  }
  Status PutBootOffset(const std::string& kiosk_id, const std::string& boot_id, int64_t offset_ms) override {
    return m_db->Run("INSERT INTO boots (kiosk_id, boot_id, offset_ms) VALUES (?,?,?) ON CONFLICT(kiosk_id, boot_id) "
                     "DO UPDATE SET offset_ms = excluded.offset_ms",
                     kiosk_id, boot_id, offset_ms);
  }

  Status Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row) override {
    struct Spec {
      std::vector<std::string> header;
      const char* sql;
    };
    static const std::map<std::string, Spec> kReports = {
        {"sellout",
         {{"kiosk_id", "seq", "partner_id", "gtin", "serial", "wall_time", "received_at"},
          "SELECT s.kiosk_id, s.seq, s.partner_id, s.gtin, s.serial, e.wall_time, e.received_at FROM sellouts s "
          "JOIN events e ON e.kiosk_id = s.kiosk_id AND e.seq = s.seq ORDER BY s.kiosk_id, s.seq, s.gtin, s.serial"}},
        {"redemptions",
         {{"kiosk_id", "seq", "partner_id", "reward_id", "requested_points", "honoured_points", "verdict", "wall_time"},
          "SELECT r.kiosk_id, r.seq, r.partner_id, r.reward_id, r.requested, r.honoured, e.verdict, e.wall_time FROM "
          "redemptions r JOIN events e ON e.kiosk_id = r.kiosk_id AND e.seq = r.seq ORDER BY r.kiosk_id, r.seq"}},
        {"custody",
         {{"asset_tag", "state", "custodian", "kiosk_id", "seq", "since"},
          "SELECT asset_tag, state, custodian, kiosk_id, seq, since FROM custody ORDER BY asset_tag"}},
        {"rejects",
         {{"kiosk_id", "seq", "event_id", "type", "verdict", "code", "message", "wall_time", "received_at"},
          "SELECT kiosk_id, seq, event_id, type, verdict, code, message, wall_time, received_at FROM events WHERE "
          "verdict <> 'accepted' OR code <> '' ORDER BY kiosk_id, seq"}},
        {"flags",
         {{"kiosk_id", "seq", "kind", "message", "created_at"},
          "SELECT kiosk_id, seq, kind, message, created_at FROM flags ORDER BY id"}},
    };
    auto it = kReports.find(name);
    if (it == kReports.end())
      return MakeError(ErrorKind::Usage, "report.unknown",
                       "Unknown report '" + name + "': choose sellout, redemptions, custody, rejects or flags.");
    row(it->second.header);
    const size_t n = it->second.header.size();
    return m_db->Each(it->second.sql, [&](Statement& r) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < n; ++i) cells.push_back(r.Text(static_cast<int>(i)));
      row(cells);
    });
  }

 private:
  static KioskRecord KioskFromRow(Statement& r) {
    return KioskRecord{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Text(4), r.Text(5)};
  }
  static DealRecord DealFromRow(Statement& r) {
    return DealRecord{r.Text(0), r.Int(1),  r.Text(2), r.Text(3), r.Text(4),
                      r.Int(5),  r.Text(6), r.Text(7), r.Text(8), r.Int(9)};
  }

  std::unique_ptr<storage::Db> m_db;
};

}  // namespace

Result<std::unique_ptr<CentralStore>> OpenSqliteStore(const std::filesystem::path& path, bool create) {
  auto db = storage::Db::Open({.path = path,
                               .application_id = kCentralApplicationId,
                               .migrations = &CentralMigrations(),
                               .create = create});
  if (!db.ok()) return db.error();
  return std::unique_ptr<CentralStore>(new SqliteStore(std::move(*db)));
}

}  // namespace kiosk::central
