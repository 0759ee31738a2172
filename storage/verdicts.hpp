#pragma once
// The central's verdicts on this kiosk's events, as the admin screen and `kiosk verdicts` list
// them: one query for both. Read-only; same thread as the Db it is given.
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

// Rejected and adjusted events, oldest first; with_remarks adds accepted events that carry a
// remark (a clock flag, say).
Result<std::vector<VerdictListRow>> ListVerdicts(Db& db, bool with_remarks = false);

}  // namespace kiosk::storage
