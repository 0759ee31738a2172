#pragma once
// The partner program's rules as the central applies them to each new event, inside the ingest
// transaction: the central's answer (verdict) for that event. Same thread as the ingest.
#include <string>

#include "central/store.hpp"
#include "kiosk/sync/protocol.hpp"

namespace kiosk::central {

struct RuleContext {
  CentralStore& store;
  std::string kiosk_id;
  std::string now_utc;
  int64_t next_version = 1;  // reference version that will carry changes made by this batch
  bool changed = false;      // set when a rule changed published reference data
};

// Accepted, adjusted or rejected, with a reason code and a message for the kiosk's admin.
Result<sync::Verdict> ApplyRules(RuleContext& ctx, const Event& e);

}  // namespace kiosk::central
