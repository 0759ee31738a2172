#pragma once
// Domain types of the partner program as the kiosk knows them. Plain data: no I/O, no UI.
// The JSON names of every enum value are given by ToString/Parse below and are the ones used in
// the reference data format (docs/reference-format.md) and in journal payloads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk {

enum class Tier { Registered, Silver, Gold, Platinum };
enum class PartnerType {
  Agent, Concessionaire, DocumentTechnologyPartner, SolutionProvider, VolumePartner,
  Var, Msp, Consultant, Oem, Other
};
enum class Authorization { Authorized, Exclusive };
enum class PartnerStatus { Active, Suspended };
enum class CardStatus { Active, Blocked };
enum class Role { Staff, Rep, Admin };
enum class DeviceState { Available, CheckedOut, InTransit, Repair, Retired };

std::string_view ToString(Tier v);
std::string_view ToString(PartnerType v);
std::string_view ToString(Authorization v);
std::string_view ToString(PartnerStatus v);
std::string_view ToString(CardStatus v);
std::string_view ToString(Role v);
std::string_view ToString(DeviceState v);
std::optional<Tier> ParseTier(std::string_view s);
std::optional<PartnerType> ParsePartnerType(std::string_view s);
std::optional<Authorization> ParseAuthorization(std::string_view s);
std::optional<PartnerStatus> ParsePartnerStatus(std::string_view s);
std::optional<CardStatus> ParseCardStatus(std::string_view s);
std::optional<Role> ParseRole(std::string_view s);
std::optional<DeviceState> ParseDeviceState(std::string_view s);
// Display names for people ("Solution Provider", "Checked out").
std::string_view DisplayName(Tier v);
std::string_view DisplayName(PartnerType v);
std::string_view DisplayName(DeviceState v);
std::optional<Tier> NextTier(Tier v);
// Translation keys of the names, for the named values of reasons and banners: "tier.gold",
// "state.checked_out", "role.admin" (assets/i18n has them).
inline std::string TierKey(Tier v) { return "tier." + std::string(ToString(v)); }
inline std::string StateKey(DeviceState v) { return "state." + std::string(ToString(v)); }
inline std::string RoleKey(Role v) { return "role." + std::string(ToString(v)); }

// What a person typed, without the spaces, tabs and line ends around it (form fields).
std::string Trimmed(std::string_view s);

// A whole number with its thousands grouped: GroupThousands(-24500, ",") == "-24,500". The one
// digit grouping of points: the kiosk's and the central's English texts use "," (rules::Points);
// a screen passes its language's separator.
std::string GroupThousands(int64_t n, std::string_view separator);

// One requirement on the way to the next tier: how much the partner has and how much it needs.
struct Requirement {
  std::string key;    // "revenue_eur", "certifications", "demo_investment_eur", ...
  std::string label;  // "Revenue (12 months)"
  double have = 0;
  double need = 0;
  std::string unit;   // "EUR", "" for counts
};

struct Partner {
  std::string id;  // "P-FI-0001"
  std::string name;
  std::string country;  // ISO 3166-1 alpha-2
  std::string region;
  Tier tier = Tier::Registered;
  PartnerType type = PartnerType::Other;
  Authorization authorization = Authorization::Authorized;
  PartnerStatus status = PartnerStatus::Active;
  int certified_sales = 0;      // people
  int certified_technical = 0;  // people
  std::vector<Requirement> next_tier;  // empty for Platinum
};

struct PartnerCard {
  std::string number;  // as printed in the barcode
  std::string partner_id;
  CardStatus status = CardStatus::Active;
};

struct Badge {
  std::string code;  // as printed in the barcode, e.g. "BDG-10017"
  std::string name;
  Role role = Role::Staff;
  std::string pin_hash;  // admins only: "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX"
  bool active = true;
};

struct DemoModel {
  std::string gtin;  // 14 digits
  std::string name;
  std::string category;
  int quota[4] = {0, 0, 0, 0};  // open demo orders allowed, indexed by Tier
  bool active = true;
  int64_t earn_points = 0;  // points per unit sold (rules/earning.hpp); 0: no earning rule
};

struct Device {
  std::string asset_tag;  // "DEMO-00017"
  std::string gtin;       // 14 digits, the model's GTIN
  std::string serial;
  std::string kit;        // devices sharing a kit id move together; empty if none
  DeviceState state = DeviceState::Available;
  std::string custodian;  // badge code of the rep holding it; empty when in the showroom
  std::string due_date;   // YYYY-MM-DD, when checked out
  std::string purpose;    // when checked out
  std::string location;   // shelf / area in the showroom
};

struct Reward {
  std::string id;  // "R-001"
  std::string name;
  std::string category;
  int64_t points = 0;  // cost per unit
  int stock = 0;       // units the kiosk may hand out
  bool active = true;
};

struct Balance {
  std::string partner_id;
  int64_t available = 0;  // points, authoritative as of the reference version
  int64_t pending = 0;    // points earned but not yet confirmed by the central
};

// Program settings that come with the reference data; the central decides them.
struct Settings {
  int64_t offline_soft_points = 5000;    // per partner per sync period: warn above
  int64_t offline_hard_points = 20000;   // per partner per sync period: refuse above
  int offline_soft_count = 2;            // offline redemptions per partner per sync period: warn above
  int offline_hard_count = 4;            // ... refuse above
  int64_t offline_kiosk_points_cap = 100000;  // all unsynced redemptions of this kiosk together
  int stale_hours = 72;          // hours without a sync before redemptions and orders are refused
  int default_loan_days = 14;    // days after checkout a unit is due back
  int idle_timeout_s = 90;       // seconds before the touchscreen signs the operator out
  std::string language = "en";
  // Set on this kiosk's admin screen (LocalSettings): these win over the kiosk's config file,
  // which wins over the central's defaults above.
  bool language_local = false;
  bool idle_timeout_local = false;
};

// One printed label: what its symbol holds and the human-readable line above it. The services
// decide it from a scanned or typed code (Kiosk::LabelFor); kiosk/labels draws it.
struct LabelContent {
  std::string title;  // "DEMO-00007 · Colour MFP A4 C2200", a partner's or a person's name
  std::string data;   // "(01)00614141000036(21)C22B3780490", "6299...", "BDG-..."
  bool gs1 = false;   // `data` is GS1 element strings with the AIs in parentheses
};

// A sheet of labels to write: the same for `kiosk labels` and the touchscreen's admin action.
struct LabelJob {
  std::vector<LabelContent> items;
  std::string symbology = "datamatrix";  // "datamatrix" or "gs1-128" (Code 128 for cards and badges)
  std::string sheet = "a4-3x7";          // "a4-3x7", "a4-2x7" (A4 PDF) or "zpl" (thermal printer)
  std::string out;                       // the file written: .pdf or .zpl
};

}  // namespace kiosk
