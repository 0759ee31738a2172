#pragma once
// The central's verdicts on this kiosk's events: written by the sync engine as acknowledgements
// and pulls bring them, listed by the admin screen and `kiosk verdicts` (one query for both). What
// a partner's page shows of them is storage/outcome_store.hpp's. Only verdicts that say something have a row: a plain
// acceptance is implied (kiosk/sync/engine.cpp). Same thread as the Db it is given.
#include <cstdint>
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

struct VerdictListRow {
  int64_t seq = 0;
  std::string verdict;      // "rejected", "adjusted" (or "accepted" with a remark)
  std::string code;         // the central's reason code
  std::string message;      // the central's words for the admin
  std::string received_at;  // UTC, when the verdict arrived
  std::string type;         // the event's type; "" if the event was pruned
  std::string wall_time;    // the event's time; "" if pruned
};

// One verdict as the central sent it.
struct VerdictRow {
  int64_t seq = 0;
  std::string event_id;
  std::string verdict;      // "accepted", "adjusted" or "rejected"
  std::string code;
  std::string message;
  std::string detail;       // JSON object: what the central changed (adjusted points, say)
  std::string received_at;  // UTC
};

class VerdictStore {
 public:
  explicit VerdictStore(Db& db) : m_db(db) {}

  // Rejected and adjusted events, oldest first; with_remarks adds accepted events that carry a
  // remark (a clock flag, say). The one query behind the admin screen and `kiosk verdicts`.
  Result<std::vector<VerdictListRow>> List(bool with_remarks = false);
  // The highest seq with a verdict row; 0 when none.
  Result<int64_t> HighestSeq();
  // Removes the rows of seqs from..to (a run of plain accepts replaces what was known of them).
  Status Forget(int64_t from_seq, int64_t to_seq);
  // Inserts or replaces a verdict; one seen again (a resend) keeps its `shown` flag.
  Status Put(const VerdictRow& v);

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
