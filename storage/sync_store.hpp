#pragma once
// The sync engine's whole view of the kiosk database, so that kiosk/sync holds no raw Db and
// names no key of sync_state as text: SyncState reads and writes each key of sync_state through
// an accessor of its own (numbers as numbers), and SyncStore adds the journal's batches and
// heads, the verdicts, and transactions that keep several of these writes together. The Kiosk
// owns one over its connection and lends it to the engine (Kiosk::SyncStorage()); same thread as
// that connection.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/journal.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;
struct VerdictRow;

// sync_state, one accessor per key: the sync engine's and the services' only way to it. An unset
// key reads as "" (text) or 0 (numbers) unless the accessor says otherwise; a read that fails
// reads as unset too, as the kiosk always treated it. Cheap to make: it holds the Db by reference.
class SyncState {
 public:
  explicit SyncState(Db& db) : m_db(db) {}

  // ---- Identity ----
  // nullopt when the database has none (not made by `kiosk init`); a storage error as an error.
  Result<std::optional<std::string>> FindKioskId() const;
  Status SetKioskId(const std::string& id);

  // ---- Enrolment ----
  std::string CentralUrl() const;
  Status SetCentralUrl(const std::string& url);
  std::string CentralPublicKey() const;  // hex; "" while not enrolled
  Status SetCentralPublicKey(const std::string& hex);
  std::string CentralCaFile() const;     // PEM CA given at enrolment; "" for none
  Status SetCentralCaFile(const std::string& path);
  Status SetEnrolledAt(const std::string& utc);

  // ---- Delivery ----
  int64_t AckedThrough() const;  // contiguous durable high-water mark the central confirmed
  Status SetAckedThrough(int64_t seq);
  // Every verdict up to this seq is known; nullopt on a kiosk from before the key existed.
  std::optional<int64_t> VerdictsThrough() const;
  Status SetVerdictsThrough(int64_t seq);
  std::string Anchor() const;    // the central's signed anchor of acked_through, as JSON text
  Status SetAnchor(const std::string& json);
  std::string LastSync() const;  // UTC of the last successful exchange; "" if never
  Status SetLastSync(const std::string& utc);
  // The last failed round: English text ("" after a successful round), its reason key, the
  // reason's values as a JSON object, and when (UTC).
  std::string LastError() const;      // "" when the last round succeeded
  std::string LastErrorKey() const;
  std::string LastErrorArgs() const;  // "{}" when unset
  Status SetLastError(const std::string& message);
  Status SetLastErrorKey(const std::string& key);
  Status SetLastErrorArgs(const std::string& json);
  Status SetLastErrorAt(const std::string& utc);
  Status SetLastExport(const std::string& line);  // "UTC seq A..B to DIR" of the last USB export

  // ---- Reference data ----
  int64_t ReferenceVersion() const;
  Status SetReferenceVersion(int64_t version);
  std::string ReferenceEtag() const;  // the central's ETag of the last document handled
  Status SetReferenceEtag(const std::string& etag);
  std::optional<int64_t> LastFreshAt() const;  // Unix ms; nullopt if never synced or loaded
  Status SetLastFreshAt(int64_t unix_ms);  // the kiosk's data is current as of then
  int64_t CoversKioskSeq() const;
  Status SetCoversKioskSeq(int64_t seq);   // the reference data accounts for our events to here
  // The central's count of the channel's open demo orders (issue 17) includes our events to here;
  // 0 when no count came yet.
  int64_t ChannelOrdersCover() const;
  Status SetChannelOrdersCover(int64_t seq);
  // The reward allocations' `used` (issue 17) includes our events to here; 0 when none came yet.
  int64_t RewardAllocationsCover() const;
  Status SetRewardAllocationsCover(int64_t seq);

  // ---- Retention ----
  int64_t PrunedThrough() const;       // the last seq removed by retention; 0 if none
  Status SetPrunedThrough(int64_t seq);
  std::string PrunedHeadHash() const;  // that event's hash, for verify to chain on from
  Status SetPrunedHeadHash(const std::string& hash);

  // ---- A journal behind the central's (kiosk/core/recovery.hpp) ----
  std::string JournalFork() const;  // JSON text; "" when none is known
  Status SetJournalFork(const std::string& json);

 private:
  Db& m_db;
};

class SyncStore {
 public:
  explicit SyncStore(Db& db);

  SyncState& State() { return m_state; }

  // The sync connection reads the journal once, front to back: no memory map for it.
  Status ReadWithoutMmap();
  // Runs body in one write transaction: committed when body succeeds, else nothing of it stays.
  Status InTransaction(const std::function<Status()>& body);

  // ---- The journal ----
  Result<int64_t> JournalLastSeq();  // 0 when empty
  // The hash of the event at seq; nullopt when no row has it (pruned, or not written yet).
  Result<std::optional<std::string>> JournalHashAt(int64_t seq);
  // The events after after_seq in seq order, at most max_events; take(e) ends the batch with
  // false (the engine's byte budget). See JournalTable::ReadBatch.
  Result<std::vector<Event>> ReadBatch(int64_t after_seq, int64_t max_events,
                                       const std::function<bool(const Event&)>& take);

  // ---- Verdicts ----
  Result<int64_t> HighestVerdictSeq();  // 0 when none
  Status ForgetVerdicts(int64_t from_seq, int64_t to_seq);
  Status PutVerdict(const VerdictRow& v);

  // ---- By name ----
  // For tools and tests that name a key as text (only the names in storage/state.cpp): def for a
  // name that is no key or a key that is unset; setting an unknown name is a usage error.
  std::string StateNamed(const std::string& name, const std::string& def = "");
  Status SetStateNamed(const std::string& name, const std::string& value);

 private:
  Db& m_db;
  SyncState m_state;
};

}  // namespace kiosk::storage
