#pragma once
// Central: kiosk-central's logic over a CentralStore: enrolment, authenticated batch ingest with
// chain checks and the program's business rules, reference publication, USB import, reports.
// Thread-safe: every public call takes one mutex (one store connection per Central). Several
// Central processes may share one PostgreSQL database: the store's row locks order them. Used by
// the HTTP server's worker threads and by the command line.
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "central/rules.hpp"
#include "central/store.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/signature.hpp"
#include "kiosk/sync/protocol.hpp"

namespace kiosk::central {

// The HTTP status a refusal maps to (401 auth.*, 403 not enrolled, 409 gap/fork, ...).
int HttpStatusFor(const Error& e);

struct HttpAnswer {
  int status = 200;
  std::string body;          // JSON
  int retry_after_s = 0;     // > 0: send Retry-After
  std::shared_ptr<FILE> body_file;  // set: the body is this whole file instead (big documents)
  std::string etag;          // set: send it as ETag (a 304 then has no body)
};

struct ImportResult {
  std::string file;
  std::string kiosk_id;
  int64_t from_seq = 0, to_seq = 0;
  int64_t new_events = 0;
  int64_t duplicates = 0;
  bool ok = true;
  std::string problem;  // names the event and the reason when a file is refused
};

struct ImportSummary {
  std::vector<ImportResult> files;
  std::vector<std::filesystem::path> receipts;  // one per kiosk that had a file imported
};

// What `kiosk-central export-reference` wrote for one kiosk.
struct ReferenceExport {
  std::filesystem::path file;
  int64_t version = 0;        // reference version of the document
  bool full = true;           // a full snapshot (else a delta on the kiosk's version)
  int64_t acked_through = 0;  // the central holds the kiosk's journal through this seq
  int64_t verdicts = 0;       // verdicts that say something (rejected, adjusted, a remark)
  int64_t rejected = 0, adjusted = 0;
  uint64_t bytes = 0;         // the reference document's size
};

// The version and kind of a reference document just written.
struct ReferenceDocInfo {
  int64_t version = 0;
  bool full = true;
};

// What `kiosk-central orders deliver|ship|...` adds to a move (issue 17).
struct OrderMove {
  std::string note;
  std::string serial, asset_tag;  // deliver: the unit, added to the demo devices when asset_tag is given
  std::string location;           // deliver: where the new demo unit stands ("" : a default naming the order)
};

// "KIOSK:SEQ", the order's id on the command line.
std::string OrderId(const OrderRecord& o);
// order.id (Usage) unless `id` is KIOSK:SEQ.
Result<std::pair<std::string, int64_t>> ParseOrderId(const std::string& id);
// An order as `orders list --json` and the moves print it.
nlohmann::json OrderJson(const OrderRecord& o);

// One deal as `kiosk-central deals list` shows it.
struct DealListing {
  DealRecord deal;
  std::string id;            // "KIOSK:SEQ", what `deals approve|reject` take
  std::string partner_name;  // the partner's name in the reference data (else its id)
  std::string due;           // when the vendor's decision is due (UTC, to the second)
  std::string age;           // since registration, for people ("2 d 3 h")
  bool overdue = false;      // pending past its due time
};

// The reports `kiosk-central report NAME` prints (Central::Report), in the order help lists them.
const std::vector<std::string>& ReportNames();

struct LoadSummary {
  int64_t version = 0;
  bool full = true;
  int64_t records = 0;
};

class Central {
 public:
  Central(CentralStore& store, const Clock& clock);
  // Creates the signing key on first use.
  Status Init();
  // Connections of their own for HTTP batches (PostgreSQL): with them, batches no longer take the
  // Central's mutex one after the other; each runs its transaction on a free connection, beside
  // the others, and the database's row locks order them as they order several central processes
  // (docs/deployment.md). Everything else keeps the one store and the mutex. Call before serving.
  void AddIngestStores(std::vector<std::unique_ptr<CentralStore>> stores);
  const sync::SigningKey& SigningKey() const { return m_key; }

  // `kiosk-central enroll`: a one-time code, valid for `valid_hours`.
  Result<std::string> CreateEnrolment(const std::string& kiosk_id, int valid_hours = 72);

  HttpAnswer HandleEnrol(const std::string& body);
  HttpAnswer HandleBatch(const sync::SignedHeaders& h, const std::string& body);
  // 304 with no body when `if_none_match` names the document's ETag (which the central works out
  // from the store's versions, without writing the document).
  HttpAnswer HandleReference(const sync::SignedHeaders& h, const std::string& signed_path, int64_t since,
                             int64_t verdicts_after, const std::string& if_none_match = {});

  // GET /v1/journal?after=N&limit=M: the events the central holds for the signing kiosk after
  // seq N (at most M, up to its acknowledged head), with an anchor of that head signed now. A
  // kiosk restored from an older backup takes them back (`kiosk recover`, docs/sync-protocol.md).
  HttpAnswer HandleJournal(const sync::SignedHeaders& h, const std::string& signed_path, int64_t after,
                           int64_t limit);
  // The answer's body itself (the route above, and the USB export); limit <= 0: every event.
  Result<std::string> JournalDocument(const std::string& kiosk_id, int64_t after, int64_t limit);
  // `kiosk-central export-journal`: the same document with every event after `after`, for a
  // restored kiosk without the network (`kiosk recover --from`), as
  // journal-<kiosk>-<acked_through>.json in out_dir (created if missing; written atomically).
  // Its events verify with the kiosk's key and its anchor with the central's: it needs no other
  // signature.
  Result<std::filesystem::path> ExportJournal(const std::string& kiosk_id, const std::filesystem::path& out_dir,
                                              int64_t after = 0);

  // Ingests an already authenticated, parsed batch (HTTP and USB share this). Holds the lock.
  Result<sync::BatchResponse> Ingest(const sync::Batch& batch, const std::string& via);

  // USB path: verifies each file, ingests it exactly as over HTTP, writes receipts into
  // receipt_dir (default: next to the first file of each kiosk).
  Result<ImportSummary> ImportFiles(const std::vector<std::filesystem::path>& files,
                                    const std::filesystem::path& receipt_dir = {});

  Result<LoadSummary> LoadReference(std::string_view json_text);
  // The reference document for a kiosk (full when since is 0 or too old).
  Result<std::string> ReferenceDocument(const std::string& kiosk_id, int64_t since, int64_t verdicts_after);
  // The same document, written piece by piece (memory stays bounded for any snapshot size).
  // `verdicts_after` < 0: no verdicts. `info`: where to say which document it was.
  Status WriteReferenceDocument(const std::string& kiosk_id, int64_t since, int64_t verdicts_after,
                                const std::function<void(std::string_view)>& write,
                                ReferenceDocInfo* info = nullptr);
  // The USB path back (import.cpp): what a pull would bring the kiosk (the reference document
  // since `since`, 0 or too old: a full snapshot, with its deal decisions), the verdicts on its
  // events and an anchor of its journal, signed, as reference-<kiosk>-<version>.skref in out_dir
  // (created if missing; written atomically).
  Result<ReferenceExport> ExportReference(const std::string& kiosk_id, const std::filesystem::path& out_dir,
                                          int64_t since = 0);

  // A CSV report (ReportNames): header row first, then one row per record. sellout, redemptions,
  // custody, rejects and flags are the store's queries (store_reports.cpp); deals, orders and
  // overdue are built here over them, where the rules and the clock are. Error: report.unknown.
  Status Report(const std::string& name, const std::function<void(const std::vector<std::string>&)>& row);
  // Demo orders (orders.cpp, issue 17): the list, and a move through the lifecycle
  // (rules::CheckOrderTransition) in one transaction with a new reference version, so the kiosk's
  // next pull (or stick file) carries the new state. Delivered with an asset tag, the unit becomes
  // a demo device of the reference data. Errors: order.id (Usage), order.not_found (NotFound),
  // order.transition (Refused), order.asset_tag_taken (Refused), order.unit (Usage).
  Result<std::vector<OrderRecord>> Orders(const OrderFilter& filter);
  Result<OrderRecord> MoveOrder(const std::string& order_id, const std::string& to_state, const OrderMove& move);

  // ---- Shared reward stock (rewards.cpp, issue 17) ----
  // The channel's stock per reward (stock, allocated, used, unallocated), and the allocations.
  Result<std::vector<RewardStockSummary>> RewardStock();
  Result<std::vector<RewardAllocationRecord>> RewardAllocations(const std::string& reward_id, const std::string& kiosk_id);
  // Sets (add = false) or changes (add = true) a reward's channel stock; from then on the central
  // holds it. Refused below what is allocated to kiosks and not used (reward.stock_allocated).
  // Errors: reward.unknown (NotFound), reward.stock_negative (Usage), reward.stock_allocated.
  Result<RewardStockSummary> SetRewardStock(const std::string& reward_id, int64_t units, bool add);
  // Sets (add = false) or raises (add = true) a kiosk's allocation of a reward: units that
  // showroom may hand out offline. Refused beyond the unallocated stock (reward.stock_unallocated)
  // or for a reward the central holds no stock for (reward.no_stock). `clear`: the kiosk has no
  // allocation of its own again (the default policy: a share). Errors also reward.unknown,
  // kiosk.unknown (NotFound), reward.units (Usage).
  Result<RewardAllocationRecord> Allocate(const std::string& reward_id, const std::string& kiosk_id, int64_t units,
                                          bool add, bool clear);

  // ---- Deals the vendor decides (deals.cpp) ----
  Result<rules::DealPolicy> GetDealPolicy();
  Status SetDealPolicy(const rules::DealPolicy& policy);
  Result<std::vector<DealListing>> ListDeals(const DealFilter& filter);
  // The vendor's decision on a pending deal `id` ("KIOSK:SEQ"): approved (`text` an optional note)
  // or rejected (`text` the reason, required). Published at once: the decision takes a new
  // reference version, so the kiosk's next pull and `export-reference` carry it. Errors:
  // deal.bad_id (Usage), deal.not_found (NotFound), deal.already_decided, deal.duplicate_approved
  // (Refused), deal.reason_missing (Usage).
  Result<DealListing> DecideDeal(const std::string& id, bool approve, const std::string& text, const std::string& by);
  Result<std::vector<KioskRecord>> Kiosks();
  Result<int64_t> CountEvents(const std::string& kiosk_id);
  // A checkout's signature as the kiosk journaled it (`kiosk-central signature`). Errors:
  // "signature.no_event" (NotFound), "signature.not_checkout" (Usage).
  Result<SignatureRecord> SignatureOf(const std::string& kiosk_id, int64_t seq);
  // The custody report with the evidence beside it: each drawn signature written into `dir` (made
  // if missing) as SignatureFileName(), and the row's signature column naming that file instead of
  // "drawn". The rows are read whole first, then the signatures: no store call inside a report.
  Status CustodyWithSignatures(const std::filesystem::path& dir, SignatureFormat format,
                               const std::function<void(const std::vector<std::string>&)>& row);

 private:
  // What the ingest needs to know of a batch that is found without the store: each event's HMAC
  // checked against the kiosk's key, and each payload read for the rules. Worked out before the
  // lock is taken, so that it overlaps another batch's transaction.
  struct Prepared {
    std::string key_hex;  // the key the HMACs were checked with
    std::vector<char> hmac_ok;
    std::vector<PayloadFacts> facts;
  };
  static Prepared Prepare(const sync::Batch& batch, const std::string& key_hex);
  // On `store`: m_store under m_mu, or an ingest connection this thread holds alone.
  Result<sync::BatchResponse> IngestLocked(CentralStore& store, const sync::Batch& batch, const std::string& via,
                                           const std::string* nonce, const Prepared* prepared = nullptr);
  // The seq of an acknowledged event that `e` names in its "replaces" link with that event's very
  // hash (a re-logged action the central holds already); nullopt for any other event.
  Result<std::optional<int64_t>> DuplicateOfAcknowledged(CentralStore& store, const KioskRecord& kiosk,
                                                         const Event& e);
  // One attempt of IngestLocked: one store transaction.
  Result<sync::BatchResponse> IngestOnce(CentralStore& store, const sync::Batch& batch, const std::string& via,
                                         const std::string* nonce, const Prepared* prepared);
  Result<LoadSummary> LoadReferenceLocked(bool full, const nlohmann::json& j);
  // Runs `attempt` (one whole transaction) again while it fails with a conflict that another
  // central process's concurrent transaction caused (a deadlock, a serialisation failure, a unique
  // key taken meanwhile): at most kMaxAttempts times, with a short random pause between.
  template <typename Fn>
  auto RetryConflicts(Fn&& attempt) -> decltype(attempt()) {
    for (int n = 1;; ++n) {
      auto r = attempt();
      if (r.ok() || !IsConflict(r.error()) || n >= kMaxAttempts) return r;
      PauseBeforeRetry(n);
    }
  }
  static constexpr int kMaxAttempts = 8;
  static void PauseBeforeRetry(int attempt);
  Status DealsReport(const std::function<void(const std::vector<std::string>&)>& row);
  Status OrdersReport(const std::function<void(const std::vector<std::string>&)>& row);
  Status OverdueReport(const std::function<void(const std::vector<std::string>&)>& row);
  static void RemarkClock(bool skewed, const Reception& s, sync::Verdict& v);
  Result<KioskRecord> FindKioskLocked(const sync::SignedHeaders& h);
  // The kiosk's key, from m_keys when known there (no wait for another batch's transaction).
  Result<std::string> KioskKey(const sync::SignedHeaders& h);
  static Status CheckSignature(const std::string& key_hex, std::string_view method, std::string_view path,
                               const sync::SignedHeaders& h, std::string_view body, int64_t now_ms);
  Result<KioskRecord> AuthenticateLocked(std::string_view method, std::string_view path,
                                         const sync::SignedHeaders& h, std::string_view body, int64_t now_ms);
  // Holding m_mu: waits (releasing it) while `from_seq` does not follow the kiosk's last stored
  // event and another batch of that kiosk may still close the gap.
  void AwaitPredecessorLocked(std::unique_lock<std::mutex>& lock, const std::string& kiosk_id, int64_t from_seq);
  // With ingest connections: a free one for this batch once its predecessors are stored (the
  // same waits as AwaitPredecessorLocked, without holding a connection while waiting).
  CentralStore* TakeIngestStore(const std::string& kiosk_id, int64_t from_seq);
  void GiveIngestStore(CentralStore* store);
  sync::Anchor MakeAnchor(const std::string& kiosk_id, int64_t seq, const std::string& hash);
  int64_t NowMs() const;

  CentralStore& m_store;
  const Clock& m_clock;
  sync::SigningKey m_key;
  std::mutex m_mu;
  // m_side_mu guards what a batch reads before it takes m_mu: taken alone, or inside m_mu, never
  // the other way round.
  std::mutex m_side_mu;
  std::unordered_map<std::string, std::string> m_keys;  // kiosk id -> key (hex); enrolment erases
  // Batches of each kiosk inside HandleBatch, and how many of them wait for an earlier one: a
  // kiosk keeps several batches in flight, and a later one may reach the lock first.
  struct Flight {
    int active = 0, waiting = 0;
    // The kiosk's acked_through after the last of its batches this process stored while any was
    // in flight (ingest connections): a batch that follows it needs no look at the store.
    int64_t stored_through = -1;
  };
  std::unordered_map<std::string, Flight> m_flights;
  std::condition_variable m_landed;  // a batch left HandleBatch (notified under m_mu)
  // Ingest connections (AddIngestStores), and those free now; guarded by m_side_mu, as are the
  // landings counted for TakeIngestStore (a batch left HandleBatch: m_lane_landed).
  std::vector<std::unique_ptr<CentralStore>> m_ingest_stores;
  std::vector<CentralStore*> m_free_ingest;
  std::condition_variable m_ingest_free;
  std::condition_variable m_lane_landed;
  uint64_t m_landings = 0;
  int64_t m_nonces_pruned_ms = 0;     // when a GET last dropped expired nonces (guarded by m_mu)
};

}  // namespace kiosk::central
