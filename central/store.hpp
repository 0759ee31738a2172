#pragma once
// CentralStore: everything kiosk-central keeps, behind one interface with two backends: one SQLite
// file (sqlite_store.cpp, the embedded default) and PostgreSQL (pg_store.cpp, several central
// processes over one database). Shaped for a database across a network: a batch is checked and
// stored in a fixed number of calls, whatever its size (LockKiosk, GetEvents, GetBootOffsets,
// InsertEvents, LoadFacts, SaveBatch), not one per event or per rule; the rules run in between on
// a working set in memory (BatchFacts).
// Callers (the Central) serialise access to one store; an implementation need not be thread-safe.
// All writes of one request happen inside one StoreTransaction.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kiosk/core/journal.hpp"
#include "kiosk/core/reference.hpp"
#include "kiosk/core/result.hpp"
#include "kiosk/sync/protocol.hpp"

namespace kiosk::central {

struct KioskRecord {
  std::string kiosk_id;
  std::string key_hex;          // the kiosk's journal key (64 hex), as sealed at enrolment
  std::string enrolled_at;      // UTC
  int64_t acked_through = 0;    // contiguous durable high-water mark
  std::string head_hash;        // hash of acked_through (genesis when 0)
  std::string last_seen;        // UTC of the last accepted request
};

struct EnrolmentRecord {
  std::string kiosk_id;
  std::string secret_hex;  // derived from the one-time code; the code itself is never stored
  int64_t expires_ms = 0;  // Unix ms
  int attempts = 0;        // failed tries; the code is void after 5
};

// What the central adds to an event it stores: when and how it came, and the verdict.
struct Reception {
  std::string received_at;   // central UTC
  std::string via;           // "http" or "file"
  std::string est_time;      // central's estimate of the real time of the event ("" if unknown)
  int64_t skew_ms = 0;       // wall_time minus est_time (0 if unknown)
  sync::Verdict verdict;
};

struct StoredEvent : Reception {
  Event event;
};

// The central's columns of an `events` row, after the journal's eleven (seq ... hash): received_at,
// via, est_time, skew_ms, verdict, code, message, detail, as both stores select them. `Row` is
// either store's row type (Text(col), Int(col)); `s.event` must already be filled.
template <class Row>
void FillReception(const Row& r, StoredEvent& s) {
  s.received_at = r.Text(11);
  s.via = r.Text(12);
  s.est_time = r.Text(13);
  s.skew_ms = r.Int(14);
  s.verdict.seq = s.event.seq;
  s.verdict.event_id = s.event.event_id;
  s.verdict.verdict = sync::ParseVerdictKind(r.Text(15)).value_or(sync::VerdictKind::Accepted);
  s.verdict.code = r.Text(16);
  s.verdict.message = r.Text(17);
  s.verdict.detail = nlohmann::json::parse(r.Text(18), nullptr, false);
  if (!s.verdict.detail.is_object()) s.verdict.detail = nlohmann::json::object();
}

// One reference record as published: `body` is its JSON object in docs/reference-format.md.
struct RefRecord {
  std::string list;  // "partners", "cards", "badges", "models", "devices", "rewards", "balances", "settings"
  std::string key;
  std::string body;
  int64_t version = 0;  // reference version of the last change
  bool deleted = false;
};

struct CustodyRecord {
  std::string asset_tag;
  std::string kiosk_id;   // kiosk that logged the current state
  std::string state;      // "checked_out" or "available"...
  std::string custodian;  // rep badge
  int64_t seq = 0;
  std::string since;      // event wall_time
};

struct SelloutRecord {
  std::string gtin, serial, partner_id, kiosk_id;
  int64_t seq = 0;
};

struct DealRecord {
  std::string kiosk_id;
  int64_t seq = 0;
  std::string partner_id, customer, product;
  int64_t value_cents = 0;
  std::string close_date;
  std::string status;   // pending | approved | rejected
  std::string message;  // what the kiosk shows with the state
  int64_t version = 0;  // reference version that carries the decision
  // Decided deals (migration 4 on SQLite, 2 on PostgreSQL):
  std::string registered_at;  // the deal.registered event's wall_time (UTC): the deadline counts from it
  std::string decided_at;     // central UTC; "" while pending
  std::string decided_by;     // "auto" (the rules on arrival) or who ran `kiosk-central deals approve|reject`
  std::string reason;         // a rejection's reason, an approval's note
};

// The meta key of the vendor's deal policy (kiosk/core/rules/deals.hpp: DealPolicyToJson).
inline constexpr const char* kDealPolicyMeta = "deal_policy";

// Which deals `kiosk-central deals list` shows.
struct DealFilter {
  std::string status;    // "pending", "approved", "rejected"; "" = all
  std::string kiosk_id;  // "" = every kiosk
};

// A demo order at the central (issue 17): one per demo.ordered event, keyed by (kiosk_id, seq), and
// its lifecycle (kiosk/core/rules/orders.hpp). Written "ORDER" as KIOSK:SEQ on the command line.
struct OrderRecord {
  std::string kiosk_id;
  int64_t seq = 0;
  std::string partner_id, gtin, model;
  int64_t qty = 0;
  std::string state;  // ordered | confirmed | shipped | delivered | cancelled | rejected
  std::string note;   // the last transition's note; for a rejected order, why
  std::string serial, asset_tag;  // the delivered unit, when given
  std::string ordered_at;         // the event's wall_time
  std::string confirmed_at, shipped_at, delivered_at, cancelled_at;  // central UTC, "" until then
  int64_t version = 0;  // reference version that carries the last change to the kiosk
};

// What `kiosk-central orders list` selects ("" = any).
struct OrderFilter {
  std::string state, partner_id, kiosk_id;
};

// Shared reward stock (issue 17): the units of a reward the central holds for the whole channel,
// and one kiosk's allocation of them (units that showroom may hand out offline), as a
// redemption's rule reads and writes them. `reserved` is derived (the allocations' sum), never
// written through this record.
struct RewardStockRecord {
  std::string reward_id, kiosk_id;
  int64_t stock = 0;     // units the channel holds (each honoured unit takes one)
  int64_t reserved = 0;  // of them, allocated to kiosks (every kiosk) and not used: sum of max(0, allocated - used)
  bool has_allocation = false;      // this kiosk has an allocation row
  int64_t allocated = 0, used = 0;  // this kiosk's allocation, and of it the units honoured
  int64_t version = 0;              // reference version of the last change
};

// One reward's stock over the channel, as `kiosk-central rewards list` shows it.
struct RewardStockSummary {
  std::string reward_id;
  int64_t stock = 0;
  int64_t allocated = 0;  // sum of the kiosks' allocations
  int64_t used = 0;       // of them, the units honoured
  int64_t reserved = 0;   // sum of max(0, allocated - used): held for kiosks
  int64_t kiosks = 0;     // kiosks with an allocation of it
  int64_t version = 0;
};

struct RewardAllocationRecord {
  std::string reward_id, kiosk_id;
  int64_t allocated = 0, used = 0;
  int64_t version = 0;
};

struct RedemptionRecord {
  std::string kiosk_id;
  int64_t seq = 0;
  std::string partner_id, reward_id;
  int64_t requested = 0, honoured = 0;  // points
  std::string at;                       // event wall_time
};

// Points credited for a sell-out (issue 17: rules/earning.hpp), one line per model of the report:
// the ledger that makes a credit happen once. Keyed by (kiosk_id, seq, gtin); the event is stored
// once, and a second credit for one key fails the transaction instead of adding to the balance.
struct CreditRecord {
  std::string kiosk_id;
  int64_t seq = 0;  // the sellout.reported event
  std::string gtin;
  std::string partner_id;
  std::string model;  // the model's name when credited
  int64_t units = 0;
  int64_t points = 0;
  std::string credited_at;  // central UTC
  int64_t version = 0;      // reference version that carries the credit to the kiosk
};

struct FlagRecord {
  std::string kiosk_id;
  int64_t seq = 0;
  std::string kind;     // "custody.conflict", "clock.skewed", "journal.fork", "event.tampered", ...
  std::string message;
  std::string created_at;
};

// A custody conflict (issue 17 item 5): a checkout of a unit the central had out at another kiosk.
// The central keeps the holder's checkout and refuses the claim (rules.cpp: CheckedOut); both
// kiosks learn of it with their reference data (ForEachCustodyConflict). Resolved by the next
// check-in of the unit at any kiosk (rules.cpp: CheckedIn). Keyed by (asset tag, claim kiosk,
// claim seq). `conflict.resolved_at` is "" while open.
struct ConflictRecord {
  CustodyConflict conflict;
  int64_t holder_seq = 0;    // the holder's checkout at holder_kiosk
  std::string created_at;    // central UTC
  std::string resolved_by;   // "KIOSK:SEQ" of the check-in that resolved it
  int64_t version = 0;       // reference version of the last change (creation or resolution)
};

// The columns both stores select a conflict by, and its row read back (`Row`: either store's row
// type, with Text(col) and Int(col)).
inline constexpr const char* kConflictColumns =
    "SELECT asset_tag, claim_kiosk, claim_seq, claim_rep, claimed_at, holder_kiosk, holder_seq, holder_rep, "
    "holder_since, created_at, resolved_at, resolved_by, version ";
template <class Row>
ConflictRecord ConflictFromRow(const Row& r) {
  ConflictRecord c;
  c.conflict.asset_tag = r.Text(0);
  c.conflict.claim_kiosk = r.Text(1);
  c.conflict.claim_seq = r.Int(2);
  c.conflict.claim_rep = r.Text(3);
  c.conflict.claimed_at = r.Text(4);
  c.conflict.holder_kiosk = r.Text(5);
  c.holder_seq = r.Int(6);
  c.conflict.holder_rep = r.Text(7);
  c.conflict.holder_since = r.Text(8);
  c.created_at = r.Text(9);
  c.conflict.resolved_at = r.Text(10);
  c.resolved_by = r.Text(11);
  c.version = r.Int(12);
  return c;
}

// The check-in of a unit, which resolves its open conflicts.
struct ConflictResolution {
  std::string asset_tag;
  std::string resolved_at;  // central UTC
  std::string resolved_by;  // "KIOSK:SEQ"
  int64_t version = 0;
};

// What the partner program's rules read and write (rules.cpp). The CentralStore implements it row
// by row (for the command line and tests); during an ingest the rules work on BatchFacts instead.
class RuleStore {
 public:
  virtual ~RuleStore() = default;
  virtual Result<std::optional<RefRecord>> GetRef(const std::string& list, const std::string& key) = 0;
  virtual Status PutRef(const RefRecord& r) = 0;
  virtual Result<std::optional<CustodyRecord>> GetCustody(const std::string& asset_tag) = 0;
  virtual Status PutCustody(const CustodyRecord& c) = 0;
  // Records the sale unless (gtin, serial) was already reported: then returns that first report
  // and stores nothing.
  virtual Result<std::optional<SelloutRecord>> ClaimSellout(const SelloutRecord& s) = 0;
  virtual Status PutRedemption(const std::string& kiosk_id, int64_t seq, const std::string& partner_id,
                               const std::string& reward_id, int64_t requested, int64_t honoured,
                               const std::string& at) = 0;
  // An approved deal for (customer, product), compared case-insensitively (ASCII).
  virtual Result<std::optional<DealRecord>> FindApprovedDeal(const std::string& customer,
                                                             const std::string& product) = 0;
  virtual Status PutDeal(const DealRecord& d) = 0;
  virtual Status AddFlag(const FlagRecord& f) = 0;
  // A sell-out's points, into the ledger (the balance itself is a "balances" reference record).
  virtual Status PutCredit(const CreditRecord& c) = 0;
  // Demo orders (issue 17): a partner's open units of a model over every kiosk of the channel
  // (ordered, confirmed, shipped), and a new order (or a rejected one, for the record).
  virtual Result<int64_t> OpenOrderUnits(const std::string& partner_id, const std::string& gtin) = 0;
  virtual Status PutOrder(const OrderRecord& o) = 0;
  // Custody conflicts (issue 17 item 5): a new one; and every open one over a unit, resolved.
  virtual Status AddCustodyConflict(const ConflictRecord& c) = 0;
  virtual Status ResolveCustodyConflicts(const ConflictResolution& r) = 0;
  // Shared reward stock (issue 17): the reward's stock with this kiosk's allocation (nullopt: the
  // central holds no stock for it), and the stock and this kiosk's allocation written back
  // (allocated and used only when has_allocation).
  virtual Result<std::optional<RewardStockRecord>> GetRewardStock(const std::string& reward_id,
                                                                  const std::string& kiosk_id) = 0;
  virtual Status PutRewardStock(const RewardStockRecord& s) = 0;
};

// The rows a batch's rules will read, named from the payloads before the rules run (rules.cpp:
// CollectRuleKeys), so that a store fetches them in one go and, on a shared database, locks them
// in one fixed order (sorted sets: every process takes them in the same order).
struct RuleKeys {
  std::set<std::string> partners;                      // partner records and their balances
  std::set<std::string> asset_tags;                    // custody and device records
  std::set<std::pair<std::string, std::string>> units;  // (gtin, serial)
  std::set<std::string> models;                        // sold units' models, read (not locked) for their points
  std::set<std::pair<std::string, std::string>> deals;  // (customer, product), ASCII-lowercased
  std::set<std::string> order_partners;                // partners with a demo order: their open orders
  std::set<std::string> rewards;                       // redeemed rewards: their stock rows (locked last)
  std::string kiosk_id;                                // the batch's kiosk: its allocations of `rewards`
};

std::string AsciiLower(std::string s);

// A batch's working set: the rows named by RuleKeys as the store found them (LoadFacts), what the
// rules then read and wrote in memory, and the flags of the ingest itself. SaveBatch writes the
// changes in one go. A row the keys did not name is read from `fallback` (a partner's name for a
// message, say) and never written there. Owned by one ingest, on its thread.
class BatchFacts final : public RuleStore {
 public:
  explicit BatchFacts(RuleStore& fallback) : m_fallback(fallback) {}

  // Filled by the store's LoadFacts; nullopt: the row does not exist.
  void KnowRef(const std::string& list, const std::string& key, std::optional<RefRecord> r) {
    m_refs[{list, key}] = std::move(r);
  }
  void KnowCustody(const std::string& tag, std::optional<CustodyRecord> c) { m_custody[tag] = std::move(c); }
  void KnowSellout(const std::string& gtin, const std::string& serial, std::optional<SelloutRecord> s) {
    m_sold[{gtin, serial}] = std::move(s);
  }
  void KnowApprovedDeal(const std::string& customer, const std::string& product, std::optional<DealRecord> d) {
    m_approved[{AsciiLower(customer), AsciiLower(product)}] = std::move(d);
  }
  // A partner's open order units per model (gtin), over every kiosk; absent models: none.
  void KnowOpenOrders(const std::string& partner_id, std::map<std::string, int64_t> units) {
    m_open_orders[partner_id] = std::move(units);
  }
  // A reward's stock with this batch's kiosk's allocation (nullopt: no stock held for it).
  void KnowRewardStock(const std::string& reward_id, const std::string& kiosk_id,
                       std::optional<RewardStockRecord> s) {
    m_stock[{reward_id, kiosk_id}] = std::move(s);
  }

  Result<std::optional<RefRecord>> GetRef(const std::string& list, const std::string& key) override;
  Status PutRef(const RefRecord& r) override;
  Result<std::optional<CustodyRecord>> GetCustody(const std::string& asset_tag) override;
  Status PutCustody(const CustodyRecord& c) override;
  Result<std::optional<SelloutRecord>> ClaimSellout(const SelloutRecord& s) override;
  Status PutRedemption(const std::string& kiosk_id, int64_t seq, const std::string& partner_id,
                       const std::string& reward_id, int64_t requested, int64_t honoured,
                       const std::string& at) override;
  Result<std::optional<DealRecord>> FindApprovedDeal(const std::string& customer, const std::string& product) override;
  Status PutDeal(const DealRecord& d) override;
  Status AddFlag(const FlagRecord& f) override;
  Status PutCredit(const CreditRecord& c) override;
  Result<int64_t> OpenOrderUnits(const std::string& partner_id, const std::string& gtin) override;
  Status PutOrder(const OrderRecord& o) override;
  Status AddCustodyConflict(const ConflictRecord& c) override;
  Status ResolveCustodyConflicts(const ConflictResolution& r) override;

  Result<std::optional<RewardStockRecord>> GetRewardStock(const std::string& reward_id,
                                                          const std::string& kiosk_id) override;
  Status PutRewardStock(const RewardStockRecord& s) override;

  // True when published reference data changed (refs, deal decisions, orders, custody conflicts,
  // reward stock, points credits): the batch then needs a reference version (CentralStore::TakeReferenceVersion),
  // given to them by SetVersion.
  bool NeedsVersion() const {
    return !refs_written.empty() || !deals.empty() || !orders.empty() || !conflicts.empty() || !resolutions.empty() ||
           !stock_written.empty() || !credits.empty();
  }
  void SetVersion(int64_t version);

  // What the rules and the ingest wrote, in the order SaveBatch stores it.
  std::map<std::pair<std::string, std::string>, RefRecord> refs_written;  // by (list, key)
  std::map<std::string, CustodyRecord> custody_written;                  // by asset tag
  std::vector<SelloutRecord> sellouts;                                    // new claims
  std::vector<RedemptionRecord> redemptions;
  std::vector<DealRecord> deals;
  std::vector<FlagRecord> flags;
  std::vector<OrderRecord> orders;  // new demo orders (issue 17)
  // Custody conflicts: SaveBatch applies `resolutions` to the conflicts stored before this batch
  // first, then inserts `conflicts` (which this batch's own check-ins already resolved in memory).
  std::vector<ConflictRecord> conflicts;
  std::vector<ConflictResolution> resolutions;
  std::map<std::pair<std::string, std::string>, RewardStockRecord> stock_written;  // by (reward, kiosk)
  std::vector<CreditRecord> credits;  // points credited for sell-outs (issue 17)

 private:
  RuleStore& m_fallback;
  std::map<std::pair<std::string, std::string>, std::optional<RefRecord>> m_refs;
  std::map<std::string, std::optional<CustodyRecord>> m_custody;
  std::map<std::pair<std::string, std::string>, std::optional<SelloutRecord>> m_sold;
  std::map<std::pair<std::string, std::string>, std::optional<DealRecord>> m_approved;
  std::map<std::string, std::map<std::string, int64_t>> m_open_orders;  // partner -> gtin -> units
  std::map<std::pair<std::string, std::string>, std::optional<RewardStockRecord>> m_stock;  // (reward, kiosk)
};

// One event to store, with what the central adds to it.
struct EventInsert {
  const Event* event = nullptr;
  const Reception* reception = nullptr;
};

// Everything an ingest writes after its rules ran, stored by one SaveBatch call.
struct BatchSave {
  KioskRecord kiosk;                                     // the new high-water mark and head
  std::vector<sync::Verdict> verdicts;                   // changed verdicts of events this batch stored
  std::vector<std::pair<std::string, int64_t>> boots;    // (boot id, offset ms) learnt from this batch
  const BatchFacts* facts = nullptr;
  int64_t forget_nonces_before_ms = 0;                   // > 0: drop older nonces too
};

class CentralStore : public RuleStore {
 public:
  // Plain transactions (Begin/Commit/Rollback) go through StoreTransaction below.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;
  // Inside a transaction: the next reference version, current + 1, stored as current. A shared
  // database hands versions out in commit order (the meta row stays locked until the commit), so
  // a reader that saw version v never misses a change of version <= v that commits later.
  virtual Result<int64_t> TakeReferenceVersion() = 0;

  virtual Result<std::optional<KioskRecord>> GetKiosk(const std::string& kiosk_id) = 0;
  // Inside a transaction: the kiosk's row, locked until the commit, so that one kiosk's batches
  // are stored one after the other by every central process on this database.
  virtual Result<std::optional<KioskRecord>> LockKiosk(const std::string& kiosk_id) = 0;
  // LockKiosk, then RememberNonce (its answer in `fresh`) in the same transaction, which the caller
  // rolls back unless the kiosk is enrolled and its batch goes in. A store may do both at once.
  virtual Result<std::optional<KioskRecord>> LockKioskAndRememberNonce(const std::string& kiosk_id,
                                                                       const std::string& nonce, int64_t now_ms,
                                                                       bool& fresh) {
    auto k = LockKiosk(kiosk_id);
    if (!k.ok() || !*k) return k;
    auto f = RememberNonce(kiosk_id, nonce, now_ms);
    if (!f.ok()) return f.error();
    fresh = *f;
    return k;
  }
  virtual Status PutKiosk(const KioskRecord& k) = 0;
  virtual Result<std::vector<KioskRecord>> ListKiosks() = 0;

  virtual Result<std::optional<EnrolmentRecord>> GetEnrolment(const std::string& kiosk_id) = 0;
  virtual Status PutEnrolment(const EnrolmentRecord& e) = 0;
  virtual Status DeleteEnrolment(const std::string& kiosk_id) = 0;

  // false: this kiosk already used the nonce (a replay).
  virtual Result<bool> RememberNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms) = 0;
  virtual Status ForgetNoncesBefore(int64_t ms) = 0;
  // A GET's nonce, in its own transaction (not inside another); false: a replay. Also drops the
  // nonces older than forget_before_ms when it is > 0. The commit need not wait for the disk: the
  // row is visible to every process at once and survives a crash of the central, and a GET
  // changes nothing (docs/sync-protocol.md, "Replay protection").
  virtual Result<bool> RememberReadNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms,
                                         int64_t forget_before_ms) = 0;

  virtual Result<std::optional<StoredEvent>> GetEvent(const std::string& kiosk_id, int64_t seq) = 0;
  // The stored events of a kiosk with from_seq <= seq <= to_seq, in seq order (a resent batch).
  virtual Result<std::vector<StoredEvent>> GetEvents(const std::string& kiosk_id, int64_t from_seq,
                                                     int64_t to_seq) = 0;
  // false: another event (of any kiosk) already holds e.event_id, and nothing was written. The
  // event id's unique index answers that in the same step as the insert, so a batch needs no
  // look-up of its ids first.
  virtual Result<bool> InsertEvent(const Event& e, const Reception& r) = 0;
  // The same for many events in one go, in order: inserted[i] is false where events[i]'s id was
  // taken (by an earlier event, of this call too).
  virtual Result<std::vector<char>> InsertEvents(const std::vector<EventInsert>& events) = 0;
  // A stored event's verdict, changed within the transaction that stored it (the rules decide
  // after the insert).
  virtual Status UpdateVerdict(const std::string& kiosk_id, int64_t seq, const sync::Verdict& v) = 0;
  virtual Result<int64_t> CountEvents(const std::string& kiosk_id) = 0;  // "" = all kiosks
  // Verdicts other than a plain accept, newer than `after_seq`, for a kiosk's pull.
  virtual Status ForEachEvent(const std::string& kiosk_id, int64_t from_seq,
                              const std::function<void(const StoredEvent&)>& fn) = 0;

  // Reference records (RuleStore::GetRef/PutRef for one).
  // Live records (deleted = false) when since == 0, else every record changed after `since`.
  virtual Status ForEachRef(int64_t since, const std::function<void(const RefRecord&)>& fn) = 0;
  virtual Status MarkAllRefsDeleted(int64_t version) = 0;

  virtual Result<std::optional<SelloutRecord>> GetSellout(const std::string& gtin, const std::string& serial) = 0;
  virtual Status ForEachDeal(const std::string& kiosk_id, int64_t since_version,
                             const std::function<void(const DealRecord&)>& fn) = 0;
  // ---- Deals the vendor decides (`kiosk-central deals`) ----
  // The deals `filter` names, oldest registration first.
  virtual Status ListDeals(const DealFilter& filter, const std::function<void(const DealRecord&)>& fn) = 0;
  // One deal; inside a transaction `lock` keeps its row locked until the commit (PostgreSQL: two
  // vendors deciding it at once wait for each other).
  virtual Result<std::optional<DealRecord>> GetDeal(const std::string& kiosk_id, int64_t seq, bool lock) = 0;
  virtual Result<std::optional<int64_t>> GetBootOffset(const std::string& kiosk_id, const std::string& boot_id) = 0;
  virtual Status PutBootOffset(const std::string& kiosk_id, const std::string& boot_id, int64_t offset_ms) = 0;
  // The known offsets of these boots of a kiosk (absent: unknown).
  virtual Result<std::map<std::string, int64_t>> GetBootOffsets(const std::string& kiosk_id,
                                                                const std::set<std::string>& boot_ids) = 0;

  // Inside the batch's transaction: the rows `keys` names, into `facts`; on a shared database
  // they stay locked until the commit, taken in one fixed order.
  virtual Status LoadFacts(const RuleKeys& keys, BatchFacts& facts) = 0;
  // Inside the batch's transaction: everything the batch changed, in one go.
  virtual Status SaveBatch(const BatchSave& save) = 0;

  // ---- Demo orders (issue 17), besides RuleStore::OpenOrderUnits/PutOrder ----
  // Inside a transaction: the order, locked until the commit on a shared database (a transition
  // reads, checks and writes it).
  virtual Result<std::optional<OrderRecord>> LockOrder(const std::string& kiosk_id, int64_t seq) = 0;
  // Every order the filter selects, by kiosk and seq.
  virtual Status ForEachOrder(const OrderFilter& filter, const std::function<void(const OrderRecord&)>& fn) = 0;
  // A kiosk's orders changed after `since_version` (all of them when 0), by seq: the states its
  // reference pull carries back.
  virtual Status ForEachOrderChange(const std::string& kiosk_id, int64_t since_version,
                                    const std::function<void(const OrderRecord&)>& fn) = 0;
  // ---- Points credited for sell-outs (issue 17), besides RuleStore::PutCredit ----
  // A kiosk's credits of a version after `since_version` (all of them when 0), by seq and GTIN:
  // the credits its reference pull carries back.
  virtual Status ForEachCredit(const std::string& kiosk_id, int64_t since_version,
                               const std::function<void(const CreditRecord&)>& fn) = 0;
  // Open units per (partner, model) over the channel, for the kiosks' quota estimate.
  virtual Status ForEachOpenOrderCount(
      const std::function<void(const std::string& partner_id, const std::string& gtin, int64_t units)>& fn) = 0;

  // ---- Custody conflicts (issue 17 item 5), besides RuleStore's ----
  // The conflicts concerning a kiosk (as holder or claimant), by creation: every open one when
  // since_version is 0 (a full document), else every one changed after it (new or resolved).
  virtual Status ForEachCustodyConflict(const std::string& kiosk_id, int64_t since_version,
                                        const std::function<void(const ConflictRecord&)>& fn) = 0;
  // ---- Shared reward stock (issue 17), besides RuleStore::GetRewardStock/PutRewardStock ----
  // Inside a transaction: the reward's stock row with this kiosk's allocation ("" : none), locked
  // until the commit on a shared database (the same row a batch locks last, LoadFacts).
  virtual Result<std::optional<RewardStockRecord>> LockRewardStock(const std::string& reward_id,
                                                                   const std::string& kiosk_id) = 0;
  // A stock row for a reward that has none (a reference load's figure); false: it had one.
  virtual Result<bool> SeedRewardStock(const std::string& reward_id, int64_t stock, int64_t version) = 0;
  // Inside a transaction: the kiosk's allocation of the reward is gone (the default policy again).
  virtual Status DeleteAllocation(const std::string& reward_id, const std::string& kiosk_id) = 0;
  // Every reward the central holds stock for, by id.
  virtual Status ForEachRewardStock(const std::function<void(const RewardStockSummary&)>& fn) = 0;
  // Allocations by reward and kiosk ("" = any).
  virtual Status ForEachAllocation(const std::string& reward_id, const std::string& kiosk_id,
                                   const std::function<void(const RewardAllocationRecord&)>& fn) = 0;

  // Reports: header row first, then one row per record. name: sellout | redemptions | custody |
  // rejects | flags | points.
  virtual Status Report(const std::string& name,
                        const std::function<void(const std::vector<std::string>&)>& row) = 0;
};

// A CSV report as both stores run it (central/store_reports.cpp): its header row and its query, with
// text sorted bytewise (`bytewise` is what the store appends to a text column for that: "" on
// SQLite, which sorts so already, ` COLLATE "C"` on PostgreSQL). Unknown name: report.unknown.
struct ReportSpec {
  std::vector<std::string> header;
  std::string sql;
};
// The two stores' SQL differs where JSON is read (the custody report's stocktake columns).
enum class SqlDialect { SQLite, PostgreSQL };
Result<ReportSpec> FindReport(const std::string& name, const std::string& bytewise, SqlDialect dialect);

// One store transaction, rolled back unless committed: the one way the central opens one.
class StoreTransaction {
 public:
  explicit StoreTransaction(CentralStore& store) : m_store(store) {}
  StoreTransaction(const StoreTransaction&) = delete;
  StoreTransaction& operator=(const StoreTransaction&) = delete;
  ~StoreTransaction() { Rollback(); }
  Status Begin() {
    Rollback();
    KIOSK_TRY(m_store.Begin());
    m_open = true;
    return {};
  }
  Status Commit() {
    m_open = false;
    return m_store.Commit();  // a failed commit leaves no transaction open
  }
  void Rollback() {
    if (m_open) m_store.Rollback();
    m_open = false;
  }
  bool open() const { return m_open; }

 private:
  CentralStore& m_store;
  bool m_open = false;
};

// A store error that a retry of the whole transaction can cure (a deadlock, a serialisation
// failure, a unique key taken by a concurrent transaction): code "store.conflict".
inline bool IsConflict(const Error& e) { return e.code == "store.conflict"; }

}  // namespace kiosk::central
