#pragma once
// The partner program's rules as the central applies them to each new event, inside the ingest
// transaction: the central's answer (verdict) for that event. Same thread as the ingest.
// What a rule reads from a payload (`ReadPayload`) needs no store and runs before the ingest,
// outside the central's lock, so that it overlaps another batch's transaction.
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "central/store.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/rules/deals.hpp"
#include "kiosk/core/rules/earning.hpp"
#include "kiosk/sync/protocol.hpp"

namespace kiosk::central {

struct RuleContext {
  RuleStore& store;  // during an ingest: the batch's working set (BatchFacts)
  std::string kiosk_id;
  std::string now_utc;
  int64_t next_version = 1;  // reference version that will carry changes made by this batch
  bool changed = false;      // set when a rule changed published reference data
  rules::DealPolicy deal_policy;  // the vendor's policy for deals that pass the refusals (meta "deal_policy")
  // What the sell-out rule reads of a partner and of a model, parsed once per batch rather than
  // once per event (a push of 100,000 sell-outs spent half its central CPU parsing the same few
  // records). No rule changes partners or models; reference loads do, never within a batch.
  struct ModelFacts {
    std::optional<int64_t> earn_points;  // nullopt: no such model
    std::string name;
  };
  std::map<std::string, rules::EarnPartner> partners_read;
  std::map<std::string, ModelFacts> models_read;
};

using SoldUnit = events::SoldUnit;

// The payload as the rules read it (kiosk/core/events.hpp: one reader per event type, its lean
// engine first), done before the ingest, outside the central's lock. `read` is false only when
// the payload has no reading: `error` then says why, and the event is rejected `event.payload`.
struct PayloadFacts {
  bool read = false;
  bool object = false;  // the payload is a JSON object
  // sellout.reported
  std::string partner_id;
  std::vector<SoldUnit> units;
  // The other types with a rule; monostate for sell-outs and for types without a rule, whose
  // payload only has to be an object.
  std::variant<std::monostate, events::LoyaltyRedeemed, events::DeviceCheckedOut, events::DeviceCheckedIn,
               events::DealRegistered, events::DemoOrdered, events::StocktakeFinished>
      event;
  std::optional<Error> error;  // when !read
};
PayloadFacts ReadPayload(const Event& e);

// Adds the rows ApplyRules will read for `e` to `keys` (store.hpp: RuleKeys). `facts`, when
// given, is ReadPayload(e) computed earlier.
void CollectRuleKeys(const Event& e, const PayloadFacts* facts, RuleKeys& keys);

// Accepted, adjusted or rejected, with a reason code and a message for the kiosk's admin.
// `facts`, when given, is ReadPayload(e) computed earlier.
Result<sync::Verdict> ApplyRules(RuleContext& ctx, const Event& e, const PayloadFacts* facts = nullptr);

}  // namespace kiosk::central
