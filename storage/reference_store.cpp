#include "storage/reference_store.hpp"

#include <cstdlib>
#include <map>

#include <nlohmann/json.hpp>

#include "storage/db.hpp"

namespace kiosk::storage {
namespace {

using nlohmann::json;

// Row mapping: one place per table. A value the schema's writer never stores (an unknown tier,
// say) reads as the safest default rather than failing the lookup.
const std::string kPartnerColumns =
    "SELECT id, name, country, region, tier, type, authorization, status, certified_sales, certified_technical, "
    "next_tier FROM partners ";
Partner PartnerFromRow(Statement& r) {
  Partner p;
  p.id = r.Text(0);
  p.name = r.Text(1);
  p.country = r.Text(2);
  p.region = r.Text(3);
  p.tier = ParseTier(r.Text(4)).value_or(Tier::Registered);
  p.type = ParsePartnerType(r.Text(5)).value_or(PartnerType::Other);
  p.authorization = ParseAuthorization(r.Text(6)).value_or(Authorization::Authorized);
  p.status = ParsePartnerStatus(r.Text(7)).value_or(PartnerStatus::Active);
  p.certified_sales = static_cast<int>(r.Int(8));
  p.certified_technical = static_cast<int>(r.Int(9));
  try {
    for (const json& j : json::parse(r.Text(10)))
      p.next_tier.push_back(Requirement{j.value("key", ""), j.value("label", ""), j.value("have", 0.0),
                                        j.value("need", 0.0), j.value("unit", "")});
  } catch (const json::exception&) {
  }
  return p;
}

const std::string kDeviceColumns =
    "SELECT asset_tag, gtin, serial, kit, state, custodian, due_date, purpose, location FROM devices ";
Device DeviceFromRow(Statement& r) {
  Device d;
  d.asset_tag = r.Text(0);
  d.gtin = r.Text(1);
  d.serial = r.Text(2);
  d.kit = r.Text(3);
  d.state = ParseDeviceState(r.Text(4)).value_or(DeviceState::Available);
  d.custodian = r.Text(5);
  d.due_date = r.Text(6);
  d.purpose = r.Text(7);
  d.location = r.Text(8);
  return d;
}

const std::string kModelColumns =
    "SELECT gtin, name, category, quota_registered, quota_silver, quota_gold, quota_platinum, active, earn_points "
    "FROM models ";
DemoModel ModelFromRow(Statement& r) {
  DemoModel m;
  m.gtin = r.Text(0);
  m.name = r.Text(1);
  m.category = r.Text(2);
  for (int t = 0; t < 4; ++t) m.quota[t] = static_cast<int>(r.Int(3 + t));
  m.active = r.Int(7) != 0;
  m.earn_points = r.Int(8);
  return m;
}

const std::string kRewardColumns = "SELECT id, name, category, points, stock, active FROM rewards ";
// Whole statements, built once: a scan's lookups run them thousands of times a minute.
const std::string kPartnerById = kPartnerColumns + "WHERE id = ?";
const std::string kDeviceByTag = kDeviceColumns + "WHERE asset_tag = ?";
const std::string kDeviceBySerial = kDeviceColumns + "WHERE gtin = ? AND serial = ?";
const std::string kModelByGtin = kModelColumns + "WHERE gtin = ?";
const std::string kRewardById = kRewardColumns + "WHERE id = ?";
Reward RewardFromRow(Statement& r) {
  return Reward{r.Text(0), r.Text(1), r.Text(2), r.Int(3), static_cast<int>(r.Int(4)), r.Int(5) != 0};
}

// The first row of a lookup as a domain struct, or nullopt.
// (Built in its Result, so that a scan's struct is moved once on its way out, not twice.)
template <typename T, typename Map, typename... A>
Result<std::optional<T>> FindOne(Db& db, const std::string& sql, Map&& map, const A&... args) {
  Result<std::optional<T>> out{std::optional<T>()};
  auto s = db.Each(sql, [&](Statement& r) { out->emplace(map(r)); }, args...);
  if (!s.ok()) return s.error();
  return out;
}

template <typename T, typename Map, typename... A>
Result<std::vector<T>> FindAll(Db& db, const std::string& sql, Map&& map, const A&... args) {
  std::vector<T> out;
  auto s = db.Each(sql, [&](Statement& r) { out.push_back(map(r)); }, args...);
  if (!s.ok()) return s.error();
  return out;
}

Status UpsertPartner(Db& db, const Partner& p) {
  const json nt = RequirementsToJson(p.next_tier);
  return db.Run(
      "INSERT INTO partners (id, name, country, region, tier, type, authorization, status, certified_sales, "
      "certified_technical, next_tier) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "country = excluded.country, region = excluded.region, tier = excluded.tier, type = excluded.type, "
      "authorization = excluded.authorization, status = excluded.status, certified_sales = excluded.certified_sales, "
      "certified_technical = excluded.certified_technical, next_tier = excluded.next_tier",
      p.id, p.name, p.country, p.region, std::string(ToString(p.tier)), std::string(ToString(p.type)),
      std::string(ToString(p.authorization)), std::string(ToString(p.status)), p.certified_sales,
      p.certified_technical, nt.dump());
}

}  // namespace

Settings ReferenceStore::LoadSettings() {
  Settings s;
  (void)m_db.Each("SELECT key, value FROM settings", [&](Statement& r) {
    const std::string k = r.Text(0);
    const std::string v = r.Text(1);
    auto num = [&] { return std::strtoll(v.c_str(), nullptr, 10); };
    if (k == "offline_soft_points") s.offline_soft_points = num();
    else if (k == "offline_hard_points") s.offline_hard_points = num();
    else if (k == "offline_soft_count") s.offline_soft_count = static_cast<int>(num());
    else if (k == "offline_hard_count") s.offline_hard_count = static_cast<int>(num());
    else if (k == "offline_kiosk_points_cap") s.offline_kiosk_points_cap = num();
    else if (k == "stale_hours") s.stale_hours = static_cast<int>(num());
    else if (k == "default_loan_days") s.default_loan_days = static_cast<int>(num());
    else if (k == "idle_timeout_s") s.idle_timeout_s = static_cast<int>(num());
    else if (k == "language") s.language = v;
  });
  return s;
}

Result<std::optional<Badge>> ReferenceStore::FindBadge(const std::string& code) {
  return FindOne<Badge>(
      m_db, "SELECT code, name, role, pin_hash, active FROM badges WHERE code = ?",
      [](Statement& r) {
        Badge b;
        b.code = r.Text(0);
        b.name = r.Text(1);
        b.role = ParseRole(r.Text(2)).value_or(Role::Staff);
        b.pin_hash = r.Text(3);
        b.active = r.Int(4) != 0;
        return b;
      },
      code);
}

Result<std::optional<PartnerCard>> ReferenceStore::FindCard(const std::string& number) {
  return FindOne<PartnerCard>(
      m_db, "SELECT partner_id, status FROM cards WHERE number = ?",
      [&](Statement& r) {
        return PartnerCard{number, r.Text(0), ParseCardStatus(r.Text(1)).value_or(CardStatus::Active)};
      },
      number);
}

Result<std::optional<Partner>> ReferenceStore::FindPartner(const std::string& id) {
  return FindOne<Partner>(m_db, kPartnerById, PartnerFromRow, id);
}

Result<std::optional<Device>> ReferenceStore::FindDevice(const std::string& asset_tag) {
  return FindOne<Device>(m_db, kDeviceByTag, DeviceFromRow, asset_tag);
}

Result<std::optional<Device>> ReferenceStore::FindDevice(const std::string& gtin, const std::string& serial) {
  return FindOne<Device>(m_db, kDeviceBySerial, DeviceFromRow, gtin, serial);
}

Result<std::optional<DemoModel>> ReferenceStore::FindModel(const std::string& gtin) {
  return FindOne<DemoModel>(m_db, kModelByGtin, ModelFromRow, gtin);
}

Result<std::optional<Reward>> ReferenceStore::FindReward(const std::string& id) {
  return FindOne<Reward>(m_db, kRewardById, RewardFromRow, id);
}

Result<std::optional<CardHolder>> ReferenceStore::FindCardHolder(const std::string& number) {
  return FindOne<CardHolder>(
      m_db,
      "SELECT c.partner_id, p.name, p.tier, p.status, c.status FROM cards c JOIN partners p ON p.id = c.partner_id "
      "WHERE c.number = ?",
      [](Statement& r) {
        CardHolder h;
        h.partner_id = r.Text(0);
        h.name = r.Text(1);
        h.tier = ParseTier(r.Text(2)).value_or(Tier::Registered);
        h.status = ParsePartnerStatus(r.Text(3)).value_or(PartnerStatus::Active);
        h.card_status = ParseCardStatus(r.Text(4)).value_or(CardStatus::Active);
        return h;
      },
      number);
}

Result<std::optional<std::string>> ReferenceStore::FindModelName(const std::string& gtin) {
  return FindOne<std::string>(
      m_db, "SELECT name FROM models WHERE gtin = ?", [](Statement& r) { return r.Text(0); }, gtin);
}

Result<Balance> ReferenceStore::BalanceOf(const std::string& partner_id) {
  Balance b{partner_id, 0, 0};
  auto s = m_db.Each("SELECT available, pending FROM balances WHERE partner_id = ?",
                     [&](Statement& r) {
                       b.available = r.Int(0);
                       b.pending = r.Int(1);
                     },
                     partner_id);
  if (!s.ok()) return s.error();
  return b;
}

Result<std::vector<std::string>> ReferenceStore::AvailableLocations() {
  std::vector<std::string> out;
  auto s = m_db.Each("SELECT DISTINCT location FROM devices WHERE state = 'available' ORDER BY location",
                     [&](Statement& r) { out.push_back(r.Text(0)); });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Device>> ReferenceStore::AvailableUnitsIn(const std::string& scope) {
  // The same test as rules::InStocktakeScope, so the rule sees every unit it would expect.
  return FindAll<Device>(m_db,
                         kDeviceColumns +
                             "WHERE state = 'available' AND (?1 = '' OR location = ?1 OR "
                             "substr(location, 1, length(?1) + 1) = ?1 || ',') ORDER BY location, asset_tag",
                         DeviceFromRow, scope);
}

Result<std::vector<Device>> ReferenceStore::KitMembers(const std::string& kit) {
  if (kit.empty()) return std::vector<Device>{};
  return FindAll<Device>(m_db, kDeviceColumns + "WHERE kit = ? ORDER BY asset_tag", DeviceFromRow, kit);
}

Result<std::vector<DemoModel>> ReferenceStore::ActiveModels() {
  return FindAll<DemoModel>(m_db, kModelColumns + "WHERE active = 1 ORDER BY name", ModelFromRow);
}

Result<std::vector<Reward>> ReferenceStore::ActiveRewards() {
  return FindAll<Reward>(m_db, kRewardColumns + "WHERE active = 1 ORDER BY points, id", RewardFromRow);
}

Result<int> ReferenceStore::LargestQuota(Tier tier) {
  // The column is named from the enum, never from outside text.
  auto quota =
      m_db.ScalarInt(std::string("SELECT max(quota_") + std::string(ToString(tier)) + ") FROM models WHERE active = 1");
  if (!quota.ok()) return quota.error();
  return static_cast<int>(quota->value_or(0));
}

ReferenceCounts ReferenceStore::Count() {
  auto count = [&](const char* sql) {
    auto n = m_db.ScalarInt(sql);
    return n.ok() && *n ? static_cast<int>(**n) : 0;
  };
  ReferenceCounts c;
  c.partners = count("SELECT count(*) FROM partners");
  c.cards = count("SELECT count(*) FROM cards");
  c.badges = count("SELECT count(*) FROM badges");
  c.models = count("SELECT count(*) FROM models");
  c.devices = count("SELECT count(*) FROM devices");
  c.rewards = count("SELECT count(*) FROM rewards");
  return c;
}

Status ReferenceStore::Apply(const ReferenceDoc& doc) {
  Db& db = m_db;
  if (doc.full) {
    // Devices keep this kiosk's own custody changes only through the central: a full snapshot
    // is taken as the central's truth, which includes every event it acknowledged.
    KIOSK_TRY(db.ExecScript("DELETE FROM cards; DELETE FROM balances; DELETE FROM partners; DELETE FROM badges; "
                            "DELETE FROM models; DELETE FROM devices; DELETE FROM rewards; DELETE FROM settings;"));
  }
  for (const auto& [list, key] : doc.deleted) {
    static const std::map<std::string, std::string> kDelete = {
        {"partners", "DELETE FROM partners WHERE id = ?"},     {"cards", "DELETE FROM cards WHERE number = ?"},
        {"badges", "DELETE FROM badges WHERE code = ?"},       {"models", "DELETE FROM models WHERE gtin = ?"},
        {"devices", "DELETE FROM devices WHERE asset_tag = ?"}, {"rewards", "DELETE FROM rewards WHERE id = ?"},
        {"balances", "DELETE FROM balances WHERE partner_id = ?"}};
    KIOSK_TRY(db.Run(kDelete.at(list), key));
  }
  if (doc.settings) {
    const json settings = SettingsToJson(*doc.settings);  // items() must not outlive its json
    for (const auto& [k, v] : settings.items())
      KIOSK_TRY(db.Run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                       "excluded.value",
                       k, v.is_string() ? v.get<std::string>() : v.dump()));
  }
  for (const Partner& p : doc.partners) KIOSK_TRY(UpsertPartner(db, p));
  for (size_t i = 0; i < doc.cards.size(); ++i) {
    const PartnerCard& c = doc.cards[i];
    auto exists = db.ScalarInt("SELECT 1 FROM partners WHERE id = ?", c.partner_id);
    if (!exists.ok()) return exists.error();
    if (!*exists)
      return MakeError(ErrorKind::Usage, "reference.invalid",
                       "/cards/" + std::to_string(i) + "/partner_id: no partner '" + c.partner_id + "'");
    KIOSK_TRY(db.Run("INSERT INTO cards (number, partner_id, status) VALUES (?,?,?) ON CONFLICT(number) DO UPDATE SET "
                     "partner_id = excluded.partner_id, status = excluded.status",
                     c.number, c.partner_id, std::string(ToString(c.status))));
  }
  for (const Badge& b : doc.badges)
    KIOSK_TRY(db.Run("INSERT INTO badges (code, name, role, pin_hash, active) VALUES (?,?,?,?,?) ON CONFLICT(code) DO "
                     "UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash, active = "
                     "excluded.active",
                     b.code, b.name, std::string(ToString(b.role)), b.pin_hash, b.active ? 1 : 0));
  for (const DemoModel& md : doc.models)
    KIOSK_TRY(db.Run("INSERT INTO models (gtin, name, category, quota_registered, quota_silver, quota_gold, "
                     "quota_platinum, active, earn_points) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(gtin) DO UPDATE SET "
                     "name = excluded.name, category = excluded.category, quota_registered = excluded.quota_registered, "
                     "quota_silver = excluded.quota_silver, quota_gold = excluded.quota_gold, quota_platinum = "
                     "excluded.quota_platinum, active = excluded.active, earn_points = excluded.earn_points",
                     md.gtin, md.name, md.category, md.quota[0], md.quota[1], md.quota[2], md.quota[3],
                     md.active ? 1 : 0, md.earn_points));
  for (size_t i = 0; i < doc.devices.size(); ++i) {
    const Device& d = doc.devices[i];
    if (!doc.full) {
      auto model = db.ScalarInt("SELECT 1 FROM models WHERE gtin = ?", d.gtin);
      if (!model.ok()) return model.error();
      if (!*model)
        return MakeError(ErrorKind::Usage, "reference.invalid",
                         "/devices/" + std::to_string(i) + "/gtin: no model with GTIN '" + d.gtin + "'");
    }
    KIOSK_TRY(db.Run("INSERT INTO devices (asset_tag, gtin, serial, kit, state, custodian, due_date, purpose, location) "
                     "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(asset_tag) DO UPDATE SET gtin = excluded.gtin, serial = "
                     "excluded.serial, kit = excluded.kit, state = excluded.state, custodian = excluded.custodian, "
                     "due_date = excluded.due_date, purpose = excluded.purpose, location = excluded.location",
                     d.asset_tag, d.gtin, d.serial, d.kit, std::string(ToString(d.state)), d.custodian, d.due_date,
                     d.purpose, d.location));
  }
  for (const Reward& r : doc.rewards)
    KIOSK_TRY(db.Run("INSERT INTO rewards (id, name, category, points, stock, active) VALUES (?,?,?,?,?,?) ON "
                     "CONFLICT(id) DO UPDATE SET name = excluded.name, category = excluded.category, points = "
                     "excluded.points, stock = excluded.stock, active = excluded.active",
                     r.id, r.name, r.category, r.points, r.stock, r.active ? 1 : 0));
  for (size_t i = 0; i < doc.balances.size(); ++i) {
    const Balance& b = doc.balances[i];
    auto exists = db.ScalarInt("SELECT 1 FROM partners WHERE id = ?", b.partner_id);
    if (!exists.ok()) return exists.error();
    if (!*exists)
      return MakeError(ErrorKind::Usage, "reference.invalid",
                       "/balances/" + std::to_string(i) + "/partner_id: no partner '" + b.partner_id + "'");
    KIOSK_TRY(db.Run("INSERT INTO balances (partner_id, available, pending) VALUES (?,?,?) ON CONFLICT(partner_id) DO "
                     "UPDATE SET available = excluded.available, pending = excluded.pending",
                     b.partner_id, b.available, b.pending));
  }
  return {};
}

}  // namespace kiosk::storage
