#pragma once
// Reference data documents (docs/reference-format.md): parsed and validated whole before anything
// is applied, so a malformed file changes nothing. Shared by the kiosk and kiosk-central.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk {

// A demo order of this kiosk as the central moved it (issue 17): its journal seq, its state
// (ordered, confirmed, shipped, delivered, cancelled, rejected), when, and the delivered unit.
struct OrderStateUpdate {
  int64_t seq = 0;
  std::string state;
  std::string at;  // central UTC of the move
  std::string note, serial, asset_tag;
};

// A partner's open demo units of one model over every kiosk of the channel, as the central
// counted them: the kiosk's quota estimate starts from it.
struct ChannelOrderCount {
  std::string partner_id, gtin;
  int64_t units = 0;
};

// A custody conflict the central found (issue 17 item 5): a unit checked out at one kiosk while
// the central had it out at another. The central keeps the first checkout (the holder's) and
// refuses the second (the claim). Sent to both kiosks; resolved_at is set once the central saw
// the unit checked in at either of them.
struct CustodyConflict {
  std::string asset_tag;
  std::string holder_kiosk, holder_rep;  // who holds the unit per the central (kiosk id, rep badge)
  std::string holder_since;              // UTC of the holder's checkout
  std::string claim_kiosk, claim_rep;    // the second checkout, refused
  int64_t claim_seq = 0;                 // its journal seq at claim_kiosk
  std::string claimed_at;                // UTC of the second checkout
  std::string resolved_at;               // central UTC; "" while open
};

// What this kiosk may hand out of a reward the central holds shared stock for (issue 17): its
// allocation and, of it, the units the central honoured, as of the document; basis "allocation"
// (its own) or "share" (the central's default policy: a share of the stock no kiosk holds).
struct RewardAllocation {
  std::string reward_id;
  int64_t allocated = 0;  // units
  int64_t used = 0;       // units
  std::string basis;
};

// Points the central credited for one of this kiosk's sell-out reports (issue 17): one line per
// model of the report (the event's seq and the GTIN are the key).
struct PointsCredit {
  int64_t seq = 0;  // the sellout.reported event
  std::string gtin;
  std::string partner_id;
  std::string model;  // the model's name as the central had it
  int64_t units = 0;
  int64_t points = 0;
  std::string credited_at;  // central UTC
};

struct ReferenceDoc {
  int64_t version = 0;
  bool full = true;
  int64_t base_version = 0;           // deltas only
  std::string generated_at;
  std::optional<int64_t> covers_kiosk_seq;  // balances already include this kiosk's events up to here
  std::optional<Settings> settings;
  std::vector<Partner> partners;
  std::vector<PartnerCard> cards;
  std::vector<Badge> badges;
  std::vector<DemoModel> models;
  std::vector<Device> devices;
  std::vector<Reward> rewards;
  std::vector<Balance> balances;
  // Keys removed by a delta ("deleted": true), per list name ("partners", "cards", ...).
  std::vector<std::pair<std::string, std::string>> deleted;
  // Deal decisions: {"seq": N, "status": "approved"|"rejected", "message": "..."}.
  std::vector<nlohmann::json> deal_decisions;
  // This kiosk's demo orders that the central moved (issue 17).
  std::vector<OrderStateUpdate> order_states;
  // Absent: unchanged since the kiosk's version; present (maybe empty): the whole channel's count.
  std::optional<std::vector<ChannelOrderCount>> open_orders;
  // Custody conflicts concerning this kiosk's units: absent, none changed; present in a full
  // snapshot, every open one (the kiosk replaces its list); in a delta, those that changed.
  std::optional<std::vector<CustodyConflict>> custody_conflicts;
  // Absent: unchanged since the kiosk's version; present (maybe empty): every reward the central
  // holds stock for, with this kiosk's allocation (the whole list, replacing the last one).
  std::optional<std::vector<RewardAllocation>> reward_allocations;
  // Points credited for this kiosk's sell-outs since the kiosk's version (issue 17).
  std::vector<PointsCredit> points_credits;
};

// Parses and validates. Errors are Usage errors whose message starts with the JSON path of the
// first problem, e.g. "/devices/17/gtin: expected 14 digits".
Result<ReferenceDoc> ParseReference(std::string_view json_text);
// The same, read from a file as it is parsed: a 100,000-device snapshot never sits in memory
// as text (a file that can't be read is "reference.missing", naming it).
Result<ReferenceDoc> ParseReferenceFile(const std::filesystem::path& file);

nlohmann::json SettingsToJson(const Settings& s);
// A partner's next-tier requirements as published ([{key, label, have, need, unit}]).
nlohmann::json RequirementsToJson(const std::vector<Requirement>& requirements);
nlohmann::json ReferenceToJson(const ReferenceDoc& doc);
// One custody conflict as the reference document carries it (the central writes it, the kiosk
// reads it back through ParseReference): resolved_at only when set.
nlohmann::json CustodyConflictToJson(const CustodyConflict& c);

// Check digits shared by the reference validation and the services.
bool Gs1CheckDigitOk(std::string_view digits);  // GTIN-8/12/13/14, SSCC: last digit is mod-10
bool LuhnOk(std::string_view digits);

}  // namespace kiosk
