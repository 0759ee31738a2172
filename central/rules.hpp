#pragma once
// The partner program's rules as the central applies them to each new event, inside the ingest
// transaction: the central's answer (verdict) for that event. Same thread as the ingest.
// What a rule reads from a payload (`ReadPayload`) needs no store and runs before the ingest,
// outside the central's lock, so that it overlaps another batch's transaction.
#include <string>
#include <vector>

#include "central/store.hpp"
#include "kiosk/sync/protocol.hpp"

namespace kiosk::central {

struct RuleContext {
  RuleStore& store;  // during an ingest: the batch's working set (BatchFacts)
  std::string kiosk_id;
  std::string now_utc;
  int64_t next_version = 1;  // reference version that will carry changes made by this batch
  bool changed = false;      // set when a rule changed published reference data
};

struct SoldUnit {
  std::string gtin, serial;
};

// The payload as the rules read it, when that reading needs no tree (sell-outs, and every event
// type without a rule); otherwise `read` is false and ApplyRules parses the payload itself.
struct PayloadFacts {
  bool read = false;
  bool object = false;  // the payload is a JSON object
  std::string partner_id;
  std::vector<SoldUnit> units;
};
PayloadFacts ReadPayload(const Event& e);

// Adds the rows ApplyRules will read for `e` to `keys` (store.hpp: RuleKeys), from `facts` where
// they hold them, else from the payload's tree.
void CollectRuleKeys(const Event& e, const PayloadFacts* facts, RuleKeys& keys);

// Accepted, adjusted or rejected, with a reason code and a message for the kiosk's admin.
// `facts`, when given, is ReadPayload(e) computed earlier.
Result<sync::Verdict> ApplyRules(RuleContext& ctx, const Event& e, const PayloadFacts* facts = nullptr);

}  // namespace kiosk::central
