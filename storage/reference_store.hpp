#pragma once
// The partner program's reference tables as the central publishes them (settings, partners,
// cards, badges, models, devices, rewards, balances): the lookups a scan or an action needs, by
// key, returned as domain structs, and the application of a whole reference document or delta.
// What this kiosk itself changes in them (device custody, reward stock) is in activity_store.hpp.
// Owned by whoever holds the Db (the Kiosk services); same thread as that Db.
#include <string>
#include <vector>
#include <optional>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/reference.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

// Row counts of the reference tables, for the status view.
struct ReferenceCounts {
  int partners = 0, cards = 0, badges = 0, models = 0, devices = 0, rewards = 0;
};

// What a scan of a partner card names: the card's state and the few facts of its partner that
// the scan's answer shows (the whole partner, with its next-tier requirements, is FindPartner).
struct CardHolder {
  std::string partner_id;
  std::string name;
  Tier tier = Tier::Registered;
  PartnerStatus status = PartnerStatus::Active;
  CardStatus card_status = CardStatus::Active;
};

class ReferenceStore {
 public:
  explicit ReferenceStore(Db& db) : m_db(db) {}

  // The central's program settings; a setting it has not published keeps its default. Unreadable
  // rows are skipped (the defaults are safe).
  Settings LoadSettings();

  // ---- Lookups by exact key: nullopt when unknown ----
  Result<std::optional<Badge>> FindBadge(const std::string& code);
  Result<std::optional<PartnerCard>> FindCard(const std::string& number);
  Result<std::optional<Partner>> FindPartner(const std::string& id);
  Result<std::optional<Device>> FindDevice(const std::string& asset_tag);
  Result<std::optional<Device>> FindDevice(const std::string& gtin, const std::string& serial);
  Result<std::optional<DemoModel>> FindModel(const std::string& gtin);  // gtin: 14 digits
  Result<std::optional<Reward>> FindReward(const std::string& id);
  // For a scan's answer: one statement, the card joined to its partner (nullopt when either is
  // unknown), and a model's name alone.
  Result<std::optional<CardHolder>> FindCardHolder(const std::string& number);
  Result<std::optional<std::string>> FindModelName(const std::string& gtin);  // gtin: 14 digits
  // A partner's points as of the reference version; zeros when none were published.
  Result<Balance> BalanceOf(const std::string& partner_id);

  // ---- Lists ----
  // The units of a kit, by asset tag; empty for an empty kit id.
  Result<std::vector<Device>> KitMembers(const std::string& kit);
  // For stocktakes (rules/devices.hpp): the distinct locations of the available units, and the
  // available units whose location is `scope`, within it ("scope, ...") or anywhere ("").
  Result<std::vector<std::string>> AvailableLocations();
  Result<std::vector<Device>> AvailableUnitsIn(const std::string& scope);
  Result<std::vector<DemoModel>> ActiveModels();   // by name
  Result<std::vector<Reward>> ActiveRewards();     // cheapest first, then by id
  // The largest open-order quota any active model gives the tier (0 when there is none).
  Result<int> LargestQuota(Tier tier);
  // Each count is 0 when its table can't be read.
  ReferenceCounts Count();

  // Applies a validated reference document inside the caller's transaction (the one that logs
  // reference.loaded): a full snapshot replaces every reference table, a delta upserts and deletes
  // rows. A card or balance of an unknown partner, or (in a delta) a device of an unknown model,
  // is a "reference.invalid" error naming its place in the document; the caller rolls back.
  // Deal decisions and the sync state are the caller's (activity_store.hpp, state.hpp).
  Status Apply(const ReferenceDoc& doc);

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
