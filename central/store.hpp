#pragma once
// CentralStore: everything kiosk-central keeps, behind one interface so that a PostgreSQL backend
// can replace the SQLite one (sqlite_store.cpp) without touching the protocol or the rules.
// Callers (central.cpp) serialise access; an implementation need not be thread-safe. All writes
// of one request happen between Begin() and Commit().
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/journal.hpp"
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
  std::string status;   // approved | rejected
  std::string message;
  int64_t version = 0;  // reference version that carries the decision
};

struct FlagRecord {
  std::string kiosk_id;
  int64_t seq = 0;
  std::string kind;     // "custody.conflict", "clock.skewed", "journal.fork", "event.tampered", ...
  std::string message;
  std::string created_at;
};

class CentralStore {
 public:
  virtual ~CentralStore() = default;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;

  virtual Result<std::optional<KioskRecord>> GetKiosk(const std::string& kiosk_id) = 0;
  virtual Status PutKiosk(const KioskRecord& k) = 0;
  virtual Result<std::vector<KioskRecord>> ListKiosks() = 0;

  virtual Result<std::optional<EnrolmentRecord>> GetEnrolment(const std::string& kiosk_id) = 0;
  virtual Status PutEnrolment(const EnrolmentRecord& e) = 0;
  virtual Status DeleteEnrolment(const std::string& kiosk_id) = 0;

  // false: this kiosk already used the nonce (a replay).
  virtual Result<bool> RememberNonce(const std::string& kiosk_id, const std::string& nonce, int64_t now_ms) = 0;
  virtual Status ForgetNoncesBefore(int64_t ms) = 0;

  virtual Result<std::optional<StoredEvent>> GetEvent(const std::string& kiosk_id, int64_t seq) = 0;
  // false: another event (of any kiosk) already holds e.event_id, and nothing was written. The
  // event id's unique index answers that in the same step as the insert, so a batch needs no
  // look-up of its ids first.
  virtual Result<bool> InsertEvent(const Event& e, const Reception& r) = 0;
  // A stored event's verdict, changed within the transaction that stored it (the rules decide
  // after the insert).
  virtual Status UpdateVerdict(const std::string& kiosk_id, int64_t seq, const sync::Verdict& v) = 0;
  virtual Result<int64_t> CountEvents(const std::string& kiosk_id) = 0;  // "" = all kiosks
  // Verdicts other than a plain accept, newer than `after_seq`, for a kiosk's pull.
  virtual Status ForEachEvent(const std::string& kiosk_id, int64_t from_seq,
                              const std::function<void(const StoredEvent&)>& fn) = 0;

  virtual Result<std::optional<RefRecord>> GetRef(const std::string& list, const std::string& key) = 0;
  virtual Status PutRef(const RefRecord& r) = 0;
  // Live records (deleted = false) when since == 0, else every record changed after `since`.
  virtual Status ForEachRef(int64_t since, const std::function<void(const RefRecord&)>& fn) = 0;
  virtual Status MarkAllRefsDeleted(int64_t version) = 0;

  virtual Result<std::optional<CustodyRecord>> GetCustody(const std::string& asset_tag) = 0;
  virtual Status PutCustody(const CustodyRecord& c) = 0;
  virtual Result<std::optional<SelloutRecord>> GetSellout(const std::string& gtin, const std::string& serial) = 0;
  // Records the sale unless (gtin, serial) was already reported: then returns that first report
  // and stores nothing. Runs once per unit sold, inside the batch's transaction: keep it cheap
  // (SQLite: an appended row and a look-up in memory, see sqlite_store.cpp).
  virtual Result<std::optional<SelloutRecord>> ClaimSellout(const SelloutRecord& s) = 0;
  virtual Status PutRedemption(const std::string& kiosk_id, int64_t seq, const std::string& partner_id,
                               const std::string& reward_id, int64_t requested, int64_t honoured,
                               const std::string& at) = 0;
  virtual Result<std::optional<DealRecord>> FindApprovedDeal(const std::string& customer,
                                                             const std::string& product) = 0;
  virtual Status PutDeal(const DealRecord& d) = 0;
  virtual Status ForEachDeal(const std::string& kiosk_id, int64_t since_version,
                             const std::function<void(const DealRecord&)>& fn) = 0;
  virtual Status AddFlag(const FlagRecord& f) = 0;
  virtual Result<std::optional<int64_t>> GetBootOffset(const std::string& kiosk_id, const std::string& boot_id) = 0;
  virtual Status PutBootOffset(const std::string& kiosk_id, const std::string& boot_id, int64_t offset_ms) = 0;

  // Reports: header row first, then one row per record. name: sellout | redemptions | custody |
  // rejects | flags.
  virtual Status Report(const std::string& name,
                        const std::function<void(const std::vector<std::string>&)>& row) = 0;
};

}  // namespace kiosk::central
