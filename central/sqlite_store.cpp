// CentralStore over SQLite. SQL lives here only; every statement is prepared once (Db's cache).
#include "central/sqlite_store.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

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
      // Sell-outs appended in the order they come, with no index on (gtin, serial): that index
      // took one b-tree insert per unit at one point per model, so each batch dirtied a leaf per
      // model, written to the WAL at every commit and again at every checkpoint, which made the
      // claims the largest part of a push's cost that a plain insert does not have. An appended
      // row dirties the last page only. (gtin, serial) is now found through SelloutIndex below,
      // which the store keeps in memory from this table and checks against the row itself.
      {3, R"sql(
CREATE TABLE sellouts_v3 (
  id INTEGER PRIMARY KEY, gtin TEXT NOT NULL, serial TEXT NOT NULL, partner_id TEXT NOT NULL,
  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL
);
INSERT INTO sellouts_v3 (gtin, serial, partner_id, kiosk_id, seq)
  SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts ORDER BY kiosk_id, seq, gtin, serial;
DROP TABLE sellouts;
ALTER TABLE sellouts_v3 RENAME TO sellouts;
)sql"},
      // Demo orders and their lifecycle (issue 17): one row per demo.ordered event. The partial
      // index holds the open ones only, which the quota counts over the whole channel.
      {4, R"sql(
CREATE TABLE orders (
  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, partner_id TEXT NOT NULL, gtin TEXT NOT NULL,
  model TEXT NOT NULL, qty INTEGER NOT NULL, state TEXT NOT NULL, note TEXT NOT NULL,
  serial TEXT NOT NULL, asset_tag TEXT NOT NULL, ordered_at TEXT NOT NULL, confirmed_at TEXT NOT NULL,
  shipped_at TEXT NOT NULL, delivered_at TEXT NOT NULL, cancelled_at TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX orders_open ON orders(partner_id, gtin) WHERE state IN ('ordered', 'confirmed', 'shipped');
CREATE INDEX orders_version ON orders(kiosk_id, version);
)sql"},
      // Deals the vendor decides (kiosk/core/rules/deals.hpp): pending until then, with who
      // decided when and why; registered_at is where the 2-business-day deadline counts from.
      {5, R"sql(
ALTER TABLE deals ADD COLUMN registered_at TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN decided_at TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE INDEX deals_pending ON deals(registered_at) WHERE status = 'pending';
)sql"},
      // Shared reward stock (issue 17): the units of each reward the central holds for the channel,
      // and each kiosk's allocation of them (units it may hand out offline; `used`: of them, the
      // units the central honoured). A central that published rewards already holds their stock
      // figure from then on; later changes go through `kiosk-central rewards`.
      {6, R"sql(
CREATE TABLE reward_stock (
  reward_id TEXT PRIMARY KEY, stock INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE TABLE reward_allocations (
  reward_id TEXT NOT NULL, kiosk_id TEXT NOT NULL, allocated INTEGER NOT NULL, used INTEGER NOT NULL,
  version INTEGER NOT NULL, PRIMARY KEY (reward_id, kiosk_id)
);
INSERT INTO reward_stock (reward_id, stock, version)
  SELECT key, max(0, CAST(COALESCE(json_extract(body, '$.stock'), 0) AS INTEGER)), version FROM refs
  WHERE list = 'rewards' AND deleted = 0 AND json_valid(body);
)sql"},
      // Points credited for sell-outs (issue 17, rules/earning.hpp): the ledger, one row per model
      // of a report. Its key makes a second credit for one event fail instead of adding up; the
      // version index finds what a kiosk's reference pull carries back.
      {7, R"sql(
CREATE TABLE points_credits (
  kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, gtin TEXT NOT NULL, partner_id TEXT NOT NULL,
  model TEXT NOT NULL, units INTEGER NOT NULL, points INTEGER NOT NULL, credited_at TEXT NOT NULL,
  version INTEGER NOT NULL, PRIMARY KEY (kiosk_id, seq, gtin)
);
CREATE INDEX points_credits_version ON points_credits(kiosk_id, version);
)sql"},
      // Custody conflicts (issue 17 item 5): a checkout of a unit that was out at another kiosk,
      // with who holds it; sent to both kiosks with their reference data until a check-in of the
      // unit at either resolves it. version: the reference version of the last change.
      {8, R"sql(
CREATE TABLE custody_conflicts (
  asset_tag TEXT NOT NULL, claim_kiosk TEXT NOT NULL, claim_seq INTEGER NOT NULL, claim_rep TEXT NOT NULL,
  claimed_at TEXT NOT NULL, holder_kiosk TEXT NOT NULL, holder_seq INTEGER NOT NULL, holder_rep TEXT NOT NULL,
  holder_since TEXT NOT NULL, created_at TEXT NOT NULL, resolved_at TEXT NOT NULL DEFAULT '',
  resolved_by TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL,
  PRIMARY KEY (asset_tag, claim_kiosk, claim_seq)
);
CREATE INDEX custody_conflicts_open ON custody_conflicts(asset_tag) WHERE resolved_at = '';
CREATE INDEX custody_conflicts_version ON custody_conflicts(version);
)sql"},
  };
  return kMigrations;
}

// The journal's own columns first (FillEvent), then the central's.
const std::string kEventColumns = std::string("SELECT ") + storage::kJournalEventColumns +
                                  ", received_at, via, est_time, skew_ms, verdict, code, message, detail FROM events ";

StoredEvent EventFromRow(Statement& r) {
  StoredEvent s;
  storage::FillEvent(r, s.event);
  FillReception(r, s);
  return s;
}

// (gtin, serial) -> id of its row in `sellouts`, for the rows read so far: the index that the
// table no longer carries (migration 3). Open addressing with linear probing over a 64-bit
// fingerprint; a fingerprint match is checked against the row itself, so a collision costs a
// read, never a wrong answer. 16 bytes a slot, at most half of them used: about 32 bytes of
// memory per unit ever reported sold (4 MB of slots for 100,000). Used by the store's one thread.
class SelloutIndex {
 public:
  static uint64_t Fingerprint(std::string_view gtin, std::string_view serial) {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over gtin, GS, serial; then splitmix64's finaliser
    auto add = [&](unsigned char c) { h = (h ^ c) * 0x100000001b3ULL; };
    for (unsigned char c : gtin) add(c);
    add(0x1d);
    for (unsigned char c : serial) add(c);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h == 0 ? 1 : h;  // 0 marks an empty slot
  }
  // Calls fn(id) for each row filed under `fp` until fn returns true.
  template <typename Fn>
  void Find(uint64_t fp, Fn&& fn) const {
    if (m_slots.empty()) return;
    for (size_t i = fp & m_mask; m_slots[i].fp != 0; i = (i + 1) & m_mask)
      if (m_slots[i].fp == fp && m_slots[i].id > 0 && fn(m_slots[i].id)) return;
  }
  void Add(uint64_t fp, int64_t id) {
    if ((m_used + 1) * 2 > m_slots.size()) Grow();
    size_t i = fp & m_mask;
    while (m_slots[i].fp != 0) i = (i + 1) & m_mask;
    m_slots[i] = {fp, id};
    ++m_used;
  }
  // Forgets a row that a rollback took back; its slot stays taken until the next Grow, as the
  // probing of the rows after it needs.
  void Remove(uint64_t fp, int64_t id) {
    if (m_slots.empty()) return;
    for (size_t i = fp & m_mask; m_slots[i].fp != 0; i = (i + 1) & m_mask)
      if (m_slots[i].fp == fp && m_slots[i].id == id) {
        m_slots[i].id = 0;
        return;
      }
  }

 private:
  struct Slot {
    uint64_t fp = 0;
    int64_t id = 0;  // 0: forgotten
  };
  void Grow() {
    std::vector<Slot> old = std::move(m_slots);
    m_slots.assign(std::max<size_t>(1024, old.size() * 2), Slot{});
    m_mask = m_slots.size() - 1;
    m_used = 0;
    for (const Slot& s : old)
      if (s.fp != 0 && s.id > 0) Add(s.fp, s.id);
  }
  std::vector<Slot> m_slots;
  size_t m_mask = 0;
  size_t m_used = 0;  // slots taken, forgotten ones included
};

class SqliteStore final : public CentralStore {
 public:
  explicit SqliteStore(std::unique_ptr<storage::Db> db) : m_db(std::move(db)) {}

  Status Begin() override {
    KIOSK_TRY(m_db->Begin());
    m_sold_current = false;  // another process may have appended sell-outs since
    m_sold_pending.clear();
    return {};
  }
  Status Commit() override {
    Status s = m_db->Commit();  // rolls back when it fails
    if (s.ok()) {
      m_sold_pending.clear();
      m_sold_committed_through = m_sold_through;
    } else {
      ForgetPendingSold();
    }
    m_sold_current = false;
    return s;
  }
  void Rollback() override {
    m_db->Rollback();
    ForgetPendingSold();
    m_sold_current = false;
  }

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
  Result<bool> RememberReadNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms,
                                 int64_t forget_before_ms) override {
    // Committed without an fsync (synchronous=OFF for this one transaction): the row is in the
    // file for every process at once and survives a crash of the central; only a power cut in the
    // next moments may lose it, before a later batch's commit syncs the WAL behind it. A GET
    // changes nothing, and an fsync per GET was what held polls to ~1,000 a second.
    KIOSK_TRY(m_db->Run("PRAGMA synchronous=OFF"));
    struct Restore {
      storage::Db& db;
      ~Restore() { (void)db.Run("PRAGMA synchronous=FULL"); }
    } restore{*m_db};
    KIOSK_TRY(m_db->Begin());
    auto fresh = m_db->Run("INSERT OR IGNORE INTO nonces (kiosk_id, nonce, seen_ms) VALUES (?,?,?)", kiosk_id, nonce,
                           now_ms);
    const bool inserted = fresh.ok() && m_db->Changes() == 1;
    if (fresh.ok() && forget_before_ms > 0) fresh = ForgetNoncesBefore(forget_before_ms);
    if (!fresh.ok()) {
      m_db->Rollback();
      return fresh.error();
    }
    KIOSK_TRY(m_db->Commit());
    return inserted;
  }

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
    KIOSK_TRY(CatchUpSold());
    return FindSold(SelloutIndex::Fingerprint(gtin, serial), gtin, serial);
  }
  Result<std::optional<SelloutRecord>> ClaimSellout(const SelloutRecord& s) override {
    // Inside the caller's BEGIN IMMEDIATE no other process can append: caught up once, the index
    // stays complete for the rest of the transaction.
    if (!m_sold_current) KIOSK_TRY(CatchUpSold());
    m_sold_current = m_db->InTransaction();
    const uint64_t fp = SelloutIndex::Fingerprint(s.gtin, s.serial);
    auto first = FindSold(fp, s.gtin, s.serial);
    if (!first.ok() || *first) return first;
    KIOSK_TRY(m_db->Run("INSERT INTO sellouts (gtin, serial, partner_id, kiosk_id, seq) VALUES (?,?,?,?,?)", s.gtin,
                        s.serial, s.partner_id, s.kiosk_id, s.seq));
    const int64_t id = m_db->LastInsertRowid();
    m_sold.Add(fp, id);
    m_sold_through = id;
    if (m_db->InTransaction()) m_sold_pending.emplace_back(fp, id);
    else m_sold_committed_through = id;
    return std::optional<SelloutRecord>();
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
    KIOSK_TRY(m_db->Each(std::string(kDealColumns) + "FROM deals WHERE status = 'approved' AND lower(customer) = lower(?) AND "
                         "lower(product) = lower(?) LIMIT 1",
                         [&](Statement& r) { out = DealFromRow(r); }, customer, product));
    return out;
  }
  Status PutDeal(const DealRecord& d) override {
    return m_db->Run("INSERT OR REPLACE INTO deals (kiosk_id, seq, partner_id, customer, product, value_cents, "
                     "close_date, status, message, version, registered_at, decided_at, decided_by, reason) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     d.kiosk_id, d.seq, d.partner_id, d.customer, d.product, d.value_cents, d.close_date, d.status,
                     d.message, d.version, d.registered_at, d.decided_at, d.decided_by, d.reason);
  }
  Status ForEachDeal(const std::string& kiosk_id, int64_t since_version,
                     const std::function<void(const DealRecord&)>& fn) override {
    return m_db->Each(std::string(kDealColumns) + "FROM deals WHERE kiosk_id = ? AND version > ? ORDER BY seq",
                      [&](Statement& r) { fn(DealFromRow(r)); }, kiosk_id, since_version);
  }
  // ---- Deals the vendor decides ----
  Status ListDeals(const DealFilter& f, const std::function<void(const DealRecord&)>& fn) override {
    return m_db->Each(std::string(kDealColumns) +
                          "FROM deals WHERE (? = '' OR status = ?) AND (? = '' OR kiosk_id = ?) "
                          "ORDER BY registered_at, kiosk_id, seq",
                      [&](Statement& r) { fn(DealFromRow(r)); }, f.status, f.status, f.kiosk_id, f.kiosk_id);
  }
  Result<std::optional<DealRecord>> GetDeal(const std::string& kiosk_id, int64_t seq, bool lock) override {
    (void)lock;  // one writer: a SQLite transaction holds the whole file
    std::optional<DealRecord> out;
    KIOSK_TRY(m_db->Each(std::string(kDealColumns) + "FROM deals WHERE kiosk_id = ? AND seq = ?",
                         [&](Statement& r) { out = DealFromRow(r); }, kiosk_id, seq));
    return out;
  }
  // ---- Custody conflicts (issue 17 item 5) ----
  Status AddCustodyConflict(const ConflictRecord& r) override {
    const CustodyConflict& c = r.conflict;
    return m_db->Run("INSERT INTO custody_conflicts (asset_tag, claim_kiosk, claim_seq, claim_rep, claimed_at, "
                     "holder_kiosk, holder_seq, holder_rep, holder_since, created_at, resolved_at, resolved_by, version) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (asset_tag, claim_kiosk, claim_seq) DO NOTHING",
                     c.asset_tag, c.claim_kiosk, c.claim_seq, c.claim_rep, c.claimed_at, c.holder_kiosk, r.holder_seq,
                     c.holder_rep, c.holder_since, r.created_at, c.resolved_at, r.resolved_by, r.version);
  }
  Status ResolveCustodyConflicts(const ConflictResolution& r) override {
    return m_db->Run("UPDATE custody_conflicts SET resolved_at = ?, resolved_by = ?, version = ? "
                     "WHERE asset_tag = ? AND resolved_at = ''",
                     r.resolved_at, r.resolved_by, r.version, r.asset_tag);
  }
  Status ForEachCustodyConflict(const std::string& kiosk_id, int64_t since_version,
                                const std::function<void(const ConflictRecord&)>& fn) override {
    const std::string sql = std::string(kConflictColumns) +
                            "FROM custody_conflicts WHERE (holder_kiosk = ? OR claim_kiosk = ?) AND " +
                            (since_version <= 0 ? "resolved_at = '' AND ? >= 0" : "version > ?") +
                            " ORDER BY created_at, asset_tag, claim_kiosk, claim_seq";
    return m_db->Each(sql, [&](Statement& r) { fn(ConflictFromRow(r)); }, kiosk_id, kiosk_id, since_version);
  }

  Status AddFlag(const FlagRecord& f) override {
    return m_db->Run("INSERT INTO flags (kiosk_id, seq, kind, message, created_at) VALUES (?,?,?,?,?)", f.kiosk_id,
                     f.seq, f.kind, f.message, f.created_at);
  }
  Status PutCredit(const CreditRecord& c) override {
    // No OR REPLACE: a second credit for one event is a bug, and fails the transaction.
    return m_db->Run("INSERT INTO points_credits (kiosk_id, seq, gtin, partner_id, model, units, points, credited_at, "
                     "version) VALUES (?,?,?,?,?,?,?,?,?)",
                     c.kiosk_id, c.seq, c.gtin, c.partner_id, c.model, c.units, c.points, c.credited_at, c.version);
  }
  Status ForEachCredit(const std::string& kiosk_id, int64_t since_version,
                       const std::function<void(const CreditRecord&)>& fn) override {
    return m_db->Each("SELECT kiosk_id, seq, gtin, partner_id, model, units, points, credited_at, version FROM "
                      "points_credits WHERE kiosk_id = ? AND version > ? ORDER BY seq, gtin",
                      [&](Statement& r) {
                        fn(CreditRecord{r.Text(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Int(6),
                                        r.Text(7), r.Int(8)});
                      },
                      kiosk_id, since_version);
  }
  Result<std::optional<int64_t>> GetBootOffset(const std::string& kiosk_id, const std::string& boot_id) override {
    return m_db->ScalarInt("SELECT offset_ms FROM boots WHERE kiosk_id = ? AND boot_id = ?", kiosk_id, boot_id);
  }
  Status PutBootOffset(const std::string& kiosk_id, const std::string& boot_id, int64_t offset_ms) override {
    return m_db->Run("INSERT INTO boots (kiosk_id, boot_id, offset_ms) VALUES (?,?,?) ON CONFLICT(kiosk_id, boot_id) "
                     "DO UPDATE SET offset_ms = excluded.offset_ms",
                     kiosk_id, boot_id, offset_ms);
  }

  // ---- Demo orders (issue 17) ----

  Result<int64_t> OpenOrderUnits(const std::string& partner_id, const std::string& gtin) override {
    auto n = m_db->ScalarInt("SELECT COALESCE(sum(qty), 0) FROM orders WHERE partner_id = ? AND gtin = ? AND "
                             "state IN ('ordered', 'confirmed', 'shipped')",
                             partner_id, gtin);
    if (!n.ok()) return n.error();
    return n->value_or(0);
  }
  Status PutOrder(const OrderRecord& o) override {
    return m_db->Run("INSERT INTO orders (kiosk_id, seq, partner_id, gtin, model, qty, state, note, serial, asset_tag, "
                     "ordered_at, confirmed_at, shipped_at, delivered_at, cancelled_at, version) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(kiosk_id, seq) DO UPDATE SET "
                     "partner_id = excluded.partner_id, gtin = excluded.gtin, model = excluded.model, qty = excluded.qty, "
                     "state = excluded.state, note = excluded.note, serial = excluded.serial, asset_tag = "
                     "excluded.asset_tag, ordered_at = excluded.ordered_at, confirmed_at = excluded.confirmed_at, "
                     "shipped_at = excluded.shipped_at, delivered_at = excluded.delivered_at, cancelled_at = "
                     "excluded.cancelled_at, version = excluded.version",
                     o.kiosk_id, o.seq, o.partner_id, o.gtin, o.model, o.qty, o.state, o.note, o.serial, o.asset_tag,
                     o.ordered_at, o.confirmed_at, o.shipped_at, o.delivered_at, o.cancelled_at, o.version);
  }
  Result<std::optional<OrderRecord>> LockOrder(const std::string& kiosk_id, int64_t seq) override {
    std::optional<OrderRecord> out;  // the write lock taken at Begin already orders every writer
    KIOSK_TRY(m_db->Each(std::string(kOrderColumns) + "WHERE kiosk_id = ? AND seq = ?",
                         [&](Statement& r) { out = OrderFromRow(r); }, kiosk_id, seq));
    return out;
  }
  Status ForEachOrder(const OrderFilter& f, const std::function<void(const OrderRecord&)>& fn) override {
    return m_db->Each(std::string(kOrderColumns) +
                          "WHERE (? = '' OR state = ?) AND (? = '' OR partner_id = ?) AND (? = '' OR kiosk_id = ?) "
                          "ORDER BY kiosk_id, seq",
                      [&](Statement& r) { fn(OrderFromRow(r)); }, f.state, f.state, f.partner_id, f.partner_id,
                      f.kiosk_id, f.kiosk_id);
  }
  Status ForEachOrderChange(const std::string& kiosk_id, int64_t since_version,
                            const std::function<void(const OrderRecord&)>& fn) override {
    return m_db->Each(std::string(kOrderColumns) + "WHERE kiosk_id = ? AND version > ? ORDER BY seq",
                      [&](Statement& r) { fn(OrderFromRow(r)); }, kiosk_id, since_version);
  }
  Status ForEachOpenOrderCount(
      const std::function<void(const std::string&, const std::string&, int64_t)>& fn) override {
    return m_db->Each("SELECT partner_id, gtin, sum(qty) FROM orders WHERE state IN ('ordered', 'confirmed', 'shipped') "
                      "GROUP BY partner_id, gtin ORDER BY partner_id, gtin",
                      [&](Statement& r) { fn(r.Text(0), r.Text(1), r.Int(2)); });
  }

  // ---- Shared reward stock (issue 17) ----

  static constexpr const char* kStockQuery =
      "SELECT s.reward_id, s.stock, s.version, (SELECT COALESCE(sum(max(0, allocated - used)), 0) FROM "
      "reward_allocations WHERE reward_id = s.reward_id), a.kiosk_id IS NOT NULL, COALESCE(a.allocated, 0), "
      "COALESCE(a.used, 0) FROM reward_stock s LEFT JOIN reward_allocations a ON a.reward_id = s.reward_id AND "
      "a.kiosk_id = ? WHERE s.reward_id = ?";
  Result<std::optional<RewardStockRecord>> GetRewardStock(const std::string& reward_id,
                                                          const std::string& kiosk_id) override {
    std::optional<RewardStockRecord> out;
    KIOSK_TRY(m_db->Each(kStockQuery,
                         [&](Statement& r) {
                           out = RewardStockRecord{r.Text(0), kiosk_id, r.Int(1), r.Int(3), r.Int(4) != 0,
                                                   r.Int(5), r.Int(6), r.Int(2)};
                         },
                         kiosk_id, reward_id));
    return out;
  }
  Result<std::optional<RewardStockRecord>> LockRewardStock(const std::string& reward_id,
                                                           const std::string& kiosk_id) override {
    return GetRewardStock(reward_id, kiosk_id);  // the write lock taken at Begin orders every writer
  }
  Status PutRewardStock(const RewardStockRecord& s) override {
    KIOSK_TRY(m_db->Run("INSERT INTO reward_stock (reward_id, stock, version) VALUES (?,?,?) ON CONFLICT(reward_id) "
                        "DO UPDATE SET stock = excluded.stock, version = excluded.version",
                        s.reward_id, s.stock, s.version));
    if (!s.has_allocation || s.kiosk_id.empty()) return {};
    return m_db->Run("INSERT INTO reward_allocations (reward_id, kiosk_id, allocated, used, version) VALUES (?,?,?,?,?) "
                     "ON CONFLICT(reward_id, kiosk_id) DO UPDATE SET allocated = excluded.allocated, used = "
                     "excluded.used, version = excluded.version",
                     s.reward_id, s.kiosk_id, s.allocated, s.used, s.version);
  }
  Result<bool> SeedRewardStock(const std::string& reward_id, int64_t stock, int64_t version) override {
    bool inserted = false;
    KIOSK_TRY(m_db->Each("INSERT INTO reward_stock (reward_id, stock, version) VALUES (?,?,?) ON CONFLICT(reward_id) "
                         "DO NOTHING RETURNING reward_id",
                         [&](Statement&) { inserted = true; }, reward_id, stock, version));
    return inserted;
  }
  Status DeleteAllocation(const std::string& reward_id, const std::string& kiosk_id) override {
    return m_db->Run("DELETE FROM reward_allocations WHERE reward_id = ? AND kiosk_id = ?", reward_id, kiosk_id);
  }
  Status ForEachRewardStock(const std::function<void(const RewardStockSummary&)>& fn) override {
    return m_db->Each("SELECT s.reward_id, s.stock, COALESCE(sum(a.allocated), 0), COALESCE(sum(a.used), 0), "
                      "COALESCE(sum(max(0, a.allocated - a.used)), 0), count(a.kiosk_id), s.version FROM reward_stock s "
                      "LEFT JOIN reward_allocations a ON a.reward_id = s.reward_id GROUP BY s.reward_id ORDER BY "
                      "s.reward_id",
                      [&](Statement& r) {
                        fn(RewardStockSummary{r.Text(0), r.Int(1), r.Int(2), r.Int(3), r.Int(4), r.Int(5), r.Int(6)});
                      });
  }
  Status ForEachAllocation(const std::string& reward_id, const std::string& kiosk_id,
                           const std::function<void(const RewardAllocationRecord&)>& fn) override {
    return m_db->Each("SELECT reward_id, kiosk_id, allocated, used, version FROM reward_allocations WHERE (? = '' OR "
                      "reward_id = ?) AND (? = '' OR kiosk_id = ?) ORDER BY reward_id, kiosk_id",
                      [&](Statement& r) { fn(RewardAllocationRecord{r.Text(0), r.Text(1), r.Int(2), r.Int(3), r.Int(4)}); },
                      reward_id, reward_id, kiosk_id, kiosk_id);
  }

  // ---- The batch calls: in SQLite each is a loop over the cached statements above (a call costs
  // no round trip here); the file's write lock, taken at Begin, orders everything.

  Result<int64_t> TakeReferenceVersion() override {
    auto current = GetMeta("reference_version");
    if (!current.ok()) return current.error();
    const int64_t next = (*current ? std::stoll(**current) : 0) + 1;
    KIOSK_TRY(SetMeta("reference_version", std::to_string(next)));
    return next;
  }
  Result<std::optional<KioskRecord>> LockKiosk(const std::string& id) override { return GetKiosk(id); }
  Result<std::vector<StoredEvent>> GetEvents(const std::string& kiosk_id, int64_t from_seq, int64_t to_seq) override {
    std::vector<StoredEvent> out;
    KIOSK_TRY(m_db->Each(kEventColumns + "WHERE kiosk_id = ? AND seq >= ? AND seq <= ? ORDER BY seq",
                         [&](Statement& r) { out.push_back(EventFromRow(r)); }, kiosk_id, from_seq, to_seq));
    return out;
  }
  Result<std::vector<char>> InsertEvents(const std::vector<EventInsert>& events) override {
    std::vector<char> inserted;
    inserted.reserve(events.size());
    for (const EventInsert& e : events) {
      auto ok = InsertEvent(*e.event, *e.reception);
      if (!ok.ok()) return ok.error();
      inserted.push_back(*ok ? 1 : 0);
    }
    return inserted;
  }
  Result<std::map<std::string, int64_t>> GetBootOffsets(const std::string& kiosk_id,
                                                        const std::set<std::string>& boot_ids) override {
    std::map<std::string, int64_t> out;
    for (const std::string& b : boot_ids) {
      auto o = GetBootOffset(kiosk_id, b);
      if (!o.ok()) return o.error();
      if (*o) out[b] = **o;
    }
    return out;
  }
  Status LoadFacts(const RuleKeys& keys, BatchFacts& facts) override {
    for (const std::string& p : keys.partners) {
      for (const char* list : {"partners", "balances"}) {
        auto r = GetRef(list, p);
        if (!r.ok()) return r.error();
        facts.KnowRef(list, p, *r);
      }
    }
    for (const std::string& tag : keys.asset_tags) {
      auto c = GetCustody(tag);
      if (!c.ok()) return c.error();
      facts.KnowCustody(tag, *c);
      auto d = GetRef("devices", tag);
      if (!d.ok()) return d.error();
      facts.KnowRef("devices", tag, *d);
    }
    if (!keys.units.empty()) {
      // As in ClaimSellout: caught up once inside the write lock, the index is complete.
      if (!m_sold_current) KIOSK_TRY(CatchUpSold());
      m_sold_current = m_db->InTransaction();
      for (const auto& [gtin, serial] : keys.units) {
        auto s = FindSold(SelloutIndex::Fingerprint(gtin, serial), gtin, serial);
        if (!s.ok()) return s.error();
        facts.KnowSellout(gtin, serial, *s);
      }
    }
    for (const auto& [customer, product] : keys.deals) {
      auto d = FindApprovedDeal(customer, product);
      if (!d.ok()) return d.error();
      facts.KnowApprovedDeal(customer, product, *d);
    }
    for (const std::string& partner : keys.order_partners) {
      std::map<std::string, int64_t> units;
      KIOSK_TRY(m_db->Each("SELECT gtin, sum(qty) FROM orders WHERE partner_id = ? AND state IN ('ordered', "
                           "'confirmed', 'shipped') GROUP BY gtin",
                           [&](Statement& r) { units[r.Text(0)] = r.Int(1); }, partner));
      facts.KnowOpenOrders(partner, std::move(units));
    }
    for (const std::string& reward : keys.rewards) {
      auto st = GetRewardStock(reward, keys.kiosk_id);
      if (!st.ok()) return st.error();
      facts.KnowRewardStock(reward, keys.kiosk_id, *st);
    }
    return {};
  }
  Status SaveBatch(const BatchSave& save) override {
    for (const auto& [boot, offset] : save.boots) KIOSK_TRY(PutBootOffset(save.kiosk.kiosk_id, boot, offset));
    for (const sync::Verdict& v : save.verdicts) KIOSK_TRY(UpdateVerdict(save.kiosk.kiosk_id, v.seq, v));
    if (const BatchFacts* f = save.facts) {
      for (const auto& [key, r] : f->refs_written) KIOSK_TRY(PutRef(r));
      for (const auto& [tag, c] : f->custody_written) KIOSK_TRY(PutCustody(c));
      for (const SelloutRecord& s : f->sellouts) {
        auto first = ClaimSellout(s);
        if (!first.ok()) return first.error();
        if (*first)  // the write lock was held since LoadFacts: another writer can't have claimed it
          return MakeError(ErrorKind::Integrity, "central.sellout_race",
                           "Serial " + s.serial + " was claimed twice in one transaction; nothing was stored.");
      }
      for (const RedemptionRecord& r : f->redemptions)
        KIOSK_TRY(PutRedemption(r.kiosk_id, r.seq, r.partner_id, r.reward_id, r.requested, r.honoured, r.at));
      for (const DealRecord& d : f->deals) KIOSK_TRY(PutDeal(d));
      for (const FlagRecord& fl : f->flags) KIOSK_TRY(AddFlag(fl));
      for (const OrderRecord& o : f->orders) KIOSK_TRY(PutOrder(o));
      // Resolutions first: they are of conflicts stored before this batch (BatchFacts).
      for (const ConflictResolution& r : f->resolutions) KIOSK_TRY(ResolveCustodyConflicts(r));
      for (const ConflictRecord& c : f->conflicts) KIOSK_TRY(AddCustodyConflict(c));
      for (const auto& [key, st] : f->stock_written) KIOSK_TRY(PutRewardStock(st));
      for (const CreditRecord& c : f->credits) KIOSK_TRY(PutCredit(c));
    }
    KIOSK_TRY(PutKiosk(save.kiosk));
    if (save.forget_nonces_before_ms > 0) KIOSK_TRY(ForgetNoncesBefore(save.forget_nonces_before_ms));
    return {};
  }

  Status Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row) override {
    auto spec = FindReport(name, "", SqlDialect::SQLite);
    if (!spec.ok()) return spec.error();
    row(spec->header);
    const size_t n = spec->header.size();
    return m_db->Each(spec->sql, [&](Statement& r) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < n; ++i) cells.push_back(r.Text(static_cast<int>(i)));
      row(cells);
    });
  }


 private:
  // Reads the sell-outs appended since the index last looked (by this store or another process).
  Status CatchUpSold() {
    // A transaction that has appended holds the write lock since its own catch-up: nothing new
    // can be there, and the ids above m_sold_committed_through are its own.
    if (!m_sold_pending.empty()) return {};
    KIOSK_TRY(m_db->Each("SELECT id, gtin, serial FROM sellouts WHERE id > ? ORDER BY id",
                         [&](Statement& r) {
                           m_sold_through = r.Int(0);
                           m_sold.Add(SelloutIndex::Fingerprint(r.TextView(1), r.TextView(2)), m_sold_through);
                         },
                         m_sold_through));
    m_sold_committed_through = m_sold_through;
    return {};
  }
  Result<std::optional<SelloutRecord>> FindSold(uint64_t fp, const std::string& gtin, const std::string& serial) {
    std::optional<SelloutRecord> out;
    Status status;
    m_sold.Find(fp, [&](int64_t id) {
      status = m_db->Each("SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts WHERE id = ?",
                          [&](Statement& r) {
                            if (r.TextView(0) == gtin && r.TextView(1) == serial)
                              out = SelloutRecord{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4)};
                          },
                          id);
      return !status.ok() || out.has_value();
    });
    if (!status.ok()) return status.error();
    return out;
  }
  // The rows this transaction appended are gone with it; their ids will be given out again.
  void ForgetPendingSold() {
    for (const auto& [fp, id] : m_sold_pending) m_sold.Remove(fp, id);
    m_sold_pending.clear();
    m_sold_through = m_sold_committed_through;
  }

  static KioskRecord KioskFromRow(Statement& r) {
    return KioskRecord{r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Text(4), r.Text(5)};
  }
  static constexpr const char* kOrderColumns =
      "SELECT kiosk_id, seq, partner_id, gtin, model, qty, state, note, serial, asset_tag, ordered_at, confirmed_at, "
      "shipped_at, delivered_at, cancelled_at, version FROM orders ";
  static OrderRecord OrderFromRow(Statement& r) {
    return OrderRecord{r.Text(0), r.Int(1),   r.Text(2),  r.Text(3),  r.Text(4),  r.Int(5),
                       r.Text(6), r.Text(7),  r.Text(8),  r.Text(9),  r.Text(10), r.Text(11),
                       r.Text(12), r.Text(13), r.Text(14), r.Int(15)};
  }
  static constexpr const char* kDealColumns =
      "SELECT kiosk_id, seq, partner_id, customer, product, value_cents, close_date, status, message, version, "
      "registered_at, decided_at, decided_by, reason ";
  static DealRecord DealFromRow(Statement& r) {
    return DealRecord{r.Text(0), r.Int(1),  r.Text(2), r.Text(3),  r.Text(4),  r.Int(5),  r.Text(6),
                      r.Text(7), r.Text(8), r.Int(9),  r.Text(10), r.Text(11), r.Text(12), r.Text(13)};
  }

  std::unique_ptr<storage::Db> m_db;
  SelloutIndex m_sold;
  int64_t m_sold_through = 0;            // the highest sellouts id filed in m_sold
  int64_t m_sold_committed_through = 0;  // ... of them, the highest read as committed
  bool m_sold_current = false;           // caught up inside the open transaction
  std::vector<std::pair<uint64_t, int64_t>> m_sold_pending;  // filed by the open transaction
};

}  // namespace

Result<std::unique_ptr<CentralStore>> OpenSqliteStore(const std::filesystem::path& path, bool create) {
  auto db = storage::Db::Open({.path = path,
                               .application_id = kCentralApplicationId,
                               .migrations = &CentralMigrations(),
                               .create = create});
  if (!db.ok()) return db.error();
  // No memory map here (the kiosk's Db default maps 64 MiB for its lookups): a full reference
  // snapshot or a report reads the whole file once, and every page it touched stayed in the
  // central's resident set (85 MB after a 100,000-device pull). Its point lookups are few per
  // batch and the 8 MiB page cache holds their index pages.
  KIOSK_TRY((*db)->SetMmapSize(0));
  return std::unique_ptr<CentralStore>(new SqliteStore(std::move(*db)));
}

}  // namespace kiosk::central
