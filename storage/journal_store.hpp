#pragma once
// The journal's SQLite side: append inside the caller's transaction, read ranges, walk the chain.
// Used by the kiosk services, verify, sync and export. Same thread as its Db.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/journal.hpp"
#include "storage/db.hpp"

namespace kiosk::storage {

// The journal's columns in the order FillEvent reads them; a query may add more after these.
inline constexpr const char* kJournalEventColumns =
    "seq, event_id, kiosk_id, type, payload, actor, wall_time, mono_ms, boot_id, prev_hash, hash";

// Fills a reused Event from a row whose first eleven columns are kJournalEventColumns. Shared by
// the kiosk's journal, its sync client and kiosk-central's event store, so the row mapping lives
// in one place.
void FillEvent(Statement& row, Event& e);

struct JournalHead {
  int64_t seq = 0;       // 0 when empty
  std::string hash;      // genesis hash when empty
};

class JournalStore {
 public:
  JournalStore(Db& db, std::string kiosk_id, const JournalKey& key, const Clock& clock);

  const std::string& KioskId() const { return m_kiosk_id; }
  Result<JournalHead> Head();

  // Appends one event. Must run inside a write transaction (BEGIN IMMEDIATE) that the caller
  // commits together with the state change the event records: the head is read inside it, so
  // several connections (UI and sync thread) can append to one journal.
  Result<Event> Append(std::string type, std::string payload_json, std::string actor);
  // Kept for callers that report the outcome of their transaction; nothing is cached any more.
  void Committed(const Event& e);
  void RolledBack();

  Result<std::vector<Event>> Read(int64_t from_seq, int64_t limit);

  // Recovery of a journal behind the central's (kiosk recover): inside the caller's transaction,
  // removes this kiosk's events from from_seq on and stores `events` (the central's, checked by
  // PlanRecovery: they follow on from seq from_seq - 1) exactly as they are, then marks the
  // journal acknowledged through acked_through. The schema's guard lets only acknowledged events
  // be removed: acked_through is moved past the removed ones first, in the same transaction, so a
  // failure leaves everything as it was.
  Status ReplaceTail(int64_t from_seq, const std::vector<Event>& events, int64_t acked_through);
  Status ForEach(int64_t from_seq, const std::function<bool(const Event&)>& fn);  // fn false: stop
  Result<int64_t> Count();

  // Walks the whole chain, then checks it against the central's signed anchor kept in sync
  // state (when the kiosk has one): the journal must reach the anchor's seq and hold the hash the
  // central signed there. ok() even when broken: the report says where, and what is missing.
  Result<VerifyReport> Verify();

 private:
  Result<VerifyReport> CheckAnchor(VerifyReport result, int64_t head_seq);

  Db& m_db;
  std::string m_kiosk_id;
  EventHasher m_hasher;
  const Clock& m_clock;
};

// The journal's rows for code that holds no journal key: the sync engine's batches and its
// acknowledgement checks, the status view's oldest pending event, retention's pruning. Reads are
// plain table reads (a pruned head does not count, unlike JournalStore::Head). Same thread as
// its Db.
class JournalTable {
 public:
  explicit JournalTable(Db& db) : m_db(db) {}

  // The highest seq kept in the table; 0 when it is empty.
  Result<int64_t> LastSeq();
  // The hash of the event at seq; nullopt when no row has it (pruned, or not written yet).
  Result<std::optional<std::string>> HashAt(int64_t seq);
  // wall_time of the first event after seq; nullopt when there is none.
  Result<std::optional<std::string>> WallTimeAfter(int64_t seq);
  // The first seq logged at or after wall_time (UTC, as FormatUtc writes it); nullopt when none.
  Result<std::optional<int64_t>> FirstSeqSince(const std::string& wall_time);
  // The events after after_seq in seq order, at most max_events of them. take(e) is asked before
  // each one is added and ends the batch with false (the sync engine's byte budget), so a batch
  // may come back shorter. One statement, stepped once per event.
  Result<std::vector<Event>> ReadBatch(int64_t after_seq, int64_t max_events,
                                       const std::function<bool(const Event&)>& take);
  // Removes the events up to seq and their device-history links. Runs inside the caller's
  // transaction, which logs the journal.pruned event and the pruned head; the schema refuses to
  // remove an event the central has not acknowledged.
  Status PruneThrough(int64_t seq);

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
