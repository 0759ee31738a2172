// Kiosk: opening a data folder, shared helpers and the read-only queries. Actions are in
// kiosk_actions.cpp, reference data in kiosk_reference.cpp.
#include "kiosk/services/kiosk.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "kiosk/core/assets.hpp"
#include "kiosk/core/barcode/check_digit.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "kiosk/core/reference.hpp"
#include "kiosk/core/rules/partners.hpp"
#include "kiosk/core/rules/people.hpp"
#include "storage/schema.hpp"
#include "storage/verdicts.hpp"

namespace kiosk {

using nlohmann::json;

Kiosk::Kiosk(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Kiosk::~Kiosk() = default;
const std::string& Kiosk::KioskId() const { return m_impl->kiosk_id; }
const DataPaths& Kiosk::Paths() const { return m_impl->paths; }
const Clock& Kiosk::GetClock() const { return *m_impl->clock; }
storage::Db& Kiosk::Database() { return *m_impl->db; }

// ---- Opening -------------------------------------------------------------------------------

std::string MoveDatesToToday(std::string_view reference_json, std::chrono::system_clock::time_point today) {
  nlohmann::json doc = nlohmann::json::parse(reference_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("generated_at") || !doc["generated_at"].is_string())
    return std::string(reference_json);
  const std::string generated = doc["generated_at"].get<std::string>();
  std::chrono::sys_days made;
  if (generated.size() < 10 || !ParseDate(std::string_view(generated).substr(0, 10), made))
    return std::string(reference_json);
  const auto shift = std::chrono::floor<std::chrono::days>(today) - made;
  if (shift.count() == 0) return std::string(reference_json);
  doc["generated_at"] = FormatDate(made + shift) + generated.substr(10);
  if (doc.contains("devices") && doc["devices"].is_array())
    for (auto& d : doc["devices"]) {
      if (!d.is_object() || !d.contains("due_date") || !d["due_date"].is_string()) continue;
      std::chrono::sys_days due;
      if (ParseDate(d["due_date"].get<std::string>(), due)) d["due_date"] = FormatDate(due + shift);
    }
  return doc.dump();
}

Result<std::string> Kiosk::Init(const InitOptions& options) {
  DataPaths paths{options.data_dir};
  std::error_code ec;
  if (std::filesystem::exists(paths.Db(), ec))
    return MakeError(ErrorKind::Refused, "init.exists",
                     "A kiosk database already exists in " + paths.dir.string() +
                         "; refusing to overwrite it. Use another --data folder, or move it aside first.",
                     {{"dir", paths.dir.string()}});
  std::filesystem::create_directories(paths.dir, ec);
  if (ec)
    return MakeError(ErrorKind::Storage, "init.mkdir", "Can't create the data folder " + paths.dir.string() + ": " +
                                                           ec.message(),
                     {{"dir", paths.dir.string()}, {"detail", ec.message()}});
  ::chmod(paths.dir.c_str(), 0700);

  std::string kiosk_id = options.kiosk_id;
  if (kiosk_id.empty()) {
    unsigned char r[4];
    crypto::RandomBytes(r);
    kiosk_id = "KIOSK-" + crypto::Hex(r);
  }
  for (char c : kiosk_id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') || kiosk_id.size() > 64)
      return MakeError(ErrorKind::Usage, "init.kiosk_id",
                       "A kiosk id is 1 to 64 letters, digits, '-', '_' or '.'; '" + kiosk_id + "' is not.",
                       {{"id", kiosk_id}});

  JournalKey key;
  bool created_key = false;
  if (std::filesystem::exists(paths.Key(), ec)) {
    auto existing = LoadKeyFile(paths.Key().string());  // an enrolled key survives a re-init
    if (!existing.ok()) return existing.error();
    key = *existing;
  } else {
    KIOSK_TRY(CreateKeyFile(paths.Key().string(), key));
    created_key = true;
  }
  auto cleanup = [&] {
    std::filesystem::remove(paths.Db(), ec);
    std::filesystem::remove(paths.Db().string() + "-wal", ec);
    std::filesystem::remove(paths.Db().string() + "-shm", ec);
    if (created_key) std::filesystem::remove(paths.Key(), ec);
  };

  auto db = storage::Db::Open({.path = paths.Db(),
                               .application_id = storage::kKioskApplicationId,
                               .migrations = &storage::KioskMigrations(),
                               .create = true});
  if (!db.ok()) {
    cleanup();
    return db.error();
  }
  {
    storage::JournalStore journal(**db, kiosk_id, key, options.clock ? *options.clock : SystemClock());
    storage::Transaction tx(**db);
    kiosk::Status s = tx.Begin();
    if (s.ok()) s = storage::StateStore(**db).Set(SyncKey::KioskId, kiosk_id);
    if (s.ok()) {
      auto e = journal.Append("kiosk.initialized",
                              json{{"kiosk_id", kiosk_id}, {"software", std::string("kiosk ") + KIOSK_VERSION}}.dump(), "");
      if (!e.ok()) s = e.error();
    }
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) {
      db->reset();
      cleanup();
      return s.error();
    }
  }
  db->reset();

  if (options.reference_file) {
    std::ifstream in(*options.reference_file, std::ios::binary);
    if (!in) {
      cleanup();
      return MakeError(ErrorKind::NotFound, "reference.missing",
                       "Can't read the reference data file " + options.reference_file->string(),
                       {{"file", options.reference_file->string()}});
    }
    auto kiosk = Open({.data_dir = paths.dir, .clock = options.clock});
    if (!kiosk.ok()) {
      cleanup();
      return kiosk.error();
    }
    Result<LoadReport> loaded = [&]() -> Result<LoadReport> {
      if (!options.move_dates_to_today) return (*kiosk)->LoadReferenceFile(*options.reference_file);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const Clock& clock = options.clock ? *options.clock : SystemClock();
      return (*kiosk)->LoadReference(MoveDatesToToday(text, clock.Now()));
    }();
    if (!loaded.ok()) {
      kiosk->reset();
      cleanup();
      return loaded.error();
    }
  }
  return kiosk_id;
}

Result<std::unique_ptr<Kiosk>> Kiosk::Open(const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->paths = DataPaths{options.data_dir};
  impl->clock = options.clock ? options.clock : &SystemClock();
  std::error_code ec;
  if (!std::filesystem::exists(impl->paths.Db(), ec))
    return MakeError(ErrorKind::NotFound, "kiosk.not_initialised",
                     "No kiosk data in " + impl->paths.dir.string() +
                         ". Create it with `kiosk init --demo` (demo showroom) or `kiosk init` (empty), or point "
                         "--data / KIOSK_DATA at the right folder.",
                     {{"dir", impl->paths.dir.string()}});
  auto key = LoadKeyFile(impl->paths.Key().string());
  if (!key.ok()) return key.error();
  impl->key = *key;
  auto db = storage::Db::Open({.path = impl->paths.Db(),
                               .application_id = storage::kKioskApplicationId,
                               .migrations = &storage::KioskMigrations(),
                               .read_only = options.read_only});
  if (!db.ok()) return db.error();
  impl->db = std::move(*db);
  auto id = storage::StateStore(*impl->db).Find(SyncKey::KioskId);
  if (!id.ok()) return id.error();
  if (!*id)
    return MakeError(ErrorKind::Integrity, "kiosk.no_id",
                     "The database has no kiosk id; it was not created by `kiosk init`. Restore the data folder "
                     "from a backup.");
  impl->kiosk_id = **id;
  impl->journal = std::make_unique<storage::JournalStore>(*impl->db, impl->kiosk_id, impl->key, *impl->clock);
  const auto rules = AssetsDir() / "barcode_rules.json";
  if (std::filesystem::exists(rules, ec)) {
    auto c = barcode::Classifier::FromFile(rules);
    if (c.ok()) impl->classifier = std::move(*c);
  }
  return std::unique_ptr<Kiosk>(new Kiosk(std::move(impl)));
}

// ---- Helpers -------------------------------------------------------------------------------

Status Kiosk::Impl::RequireWritable() const {
  if (db->Health() != "ok")
    return MakeError(ErrorKind::Integrity, "db.damaged",
                     "The kiosk database failed its integrity check (" + db->Health() +
                         "), so nothing more is written to it. Read out what you can with `kiosk journal --json > "
                         "rescue.json`, then restore the data folder from a backup (see README: Recovering).",
                     {{"detail", db->Health()}});
  if (db->ReadOnly())
    return MakeError(ErrorKind::Storage, "db.read_only", "The kiosk database is open read-only; nothing can be logged.");
  return {};
}

std::string Kiosk::Impl::Today() const { return FormatDate(clock->Now()); }

std::string Kiosk::Impl::StateValue(SyncKey key, const std::string& def) {
  return storage::StateStore(*db).Get(key, def);
}
Status Kiosk::Impl::SetState(SyncKey key, const std::string& value) { return storage::StateStore(*db).Set(key, value); }
namespace {
// Keys of the admin's local settings in local_state.
constexpr LocalKey kLocalLanguage = LocalKey::UiLanguage;
constexpr LocalKey kLocalIdleTimeout = LocalKey::UiIdleTimeout;
}  // namespace

std::string Kiosk::Impl::LocalValue(LocalKey key, const std::string& def) {
  return storage::StateStore(*db).Get(key, def);
}
Status Kiosk::Impl::SetLocal(LocalKey key, const std::string& value) { return storage::StateStore(*db).Set(key, value); }

Settings Kiosk::Impl::LoadSettings() {
  Settings s;
  (void)db->Each("SELECT key, value FROM settings", [&](storage::Statement& r) {
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

int64_t Kiosk::Impl::CoversSeq() { return std::strtoll(StateValue(SyncKey::CoversKioskSeq, "0").c_str(), nullptr, 10); }

std::optional<int64_t> Kiosk::Impl::HoursSinceFresh() {
  // Fresh data comes from a sync or a reference load, whichever was last.
  const std::string fresh = StateValue(SyncKey::LastFreshAt);
  if (fresh.empty()) return std::nullopt;
  const int64_t then_ms = std::strtoll(fresh.c_str(), nullptr, 10);
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock->Now().time_since_epoch()).count();
  return (now_ms - then_ms) / 3'600'000;
}

Status Kiosk::Impl::StaleGuard(const char* action) {
  return rules::CheckFresh(HoursSinceFresh(), LoadSettings().stale_hours, action);
}

Result<Badge> Kiosk::Impl::LookupBadge(std::string_view code, const barcode::Classified* given) {
  std::optional<Badge> out;
  auto find = [&](const std::string& key) {
    return db->Each("SELECT code, name, role, pin_hash, active FROM badges WHERE code = ?",
                    [&](storage::Statement& r) {
                      Badge b;
                      b.code = r.Text(0);
                      b.name = r.Text(1);
                      b.role = ParseRole(r.Text(2)).value_or(Role::Staff);
                      b.pin_hash = r.Text(3);
                      b.active = r.Int(4) != 0;
                      out = b;
                    },
                    key);
  };
  std::string key(code);
  KIOSK_TRY(find(key));
  if (!out) {
    barcode::Classified local;
    const barcode::Classified& c = given ? *given : (local = classifier.Classify(code));
    if (c.kind == barcode::Kind::StaffBadge && !c.value.empty() && c.value != key) {
      key = c.value;
      KIOSK_TRY(find(key));
    }
  }
  if (!out)
    return MakeError(ErrorKind::NotFound, "badge.unknown",
                     "Badge " + key + " is not known to this kiosk. Scan it again, or ask an admin to sync if it is new.",
                     {{"badge", key}});
  return *out;
}

Result<Badge> Kiosk::Impl::RequireBadge(std::string_view code, std::initializer_list<Role> roles, const char* action) {
  auto b = LookupBadge(code);
  if (!b.ok()) return b.error();
  KIOSK_TRY(rules::CheckBadge(*b, roles, action));
  return b;
}

namespace {
Partner PartnerFromRow(storage::Statement& r) {
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
constexpr const char* kPartnerColumns =
    "SELECT id, name, country, region, tier, type, authorization, status, certified_sales, certified_technical, "
    "next_tier FROM partners ";

Device DeviceFromRow(storage::Statement& r) {
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
constexpr const char* kDeviceColumns =
    "SELECT asset_tag, gtin, serial, kit, state, custodian, due_date, purpose, location FROM devices ";
}  // namespace

Result<PartnerCtx> Kiosk::Impl::LookupPartner(std::string_view card_or_id, const barcode::Classified* given) {
  PartnerCtx ctx;
  std::string partner_id;
  bool card_found = false;
  auto find_card = [&](const std::string& number) {
    return db->Each("SELECT partner_id, status FROM cards WHERE number = ?",
                    [&](storage::Statement& r) {
                      partner_id = r.Text(0);
                      ctx.card_status = ParseCardStatus(r.Text(1)).value_or(CardStatus::Active);
                      card_found = true;
                    },
                    number);
  };
  std::string key(card_or_id);
  KIOSK_TRY(find_card(key));
  barcode::Classified local;
  const barcode::Classified* c = given;
  if (!card_found) {
    if (!c) c = &(local = classifier.Classify(card_or_id));
    if (c->kind == barcode::Kind::PartnerCard && !c->value.empty() && c->value != key) {
      key = c->value;
      KIOSK_TRY(find_card(key));
    }
  }
  if (card_found) ctx.card_number = key;
  else partner_id = key;
  bool found = false;
  KIOSK_TRY(db->Each(std::string(kPartnerColumns) + "WHERE id = ?",
                     [&](storage::Statement& r) {
                       ctx.partner = PartnerFromRow(r);
                       found = true;
                     },
                     partner_id));
  if (!found) {
    if (c && c->kind == barcode::Kind::PartnerCard && !c->valid)
      return MakeError(ErrorKind::NotFound, "card.invalid", "That is not a valid partner card: " + c->reason + ".",
                       {{"reason", c->reason}});
    return MakeError(ErrorKind::NotFound, "partner.unknown",
                     "No partner card or partner " + key +
                         " is known to this kiosk. Check the card, or ask an admin to sync if it is new.",
                     {{"card", key}});
  }
  return ctx;
}

Result<PartnerCtx> Kiosk::Impl::RequirePartner(std::string_view card_or_id, const char* action) {
  auto p = LookupPartner(card_or_id);
  if (!p.ok()) return p.error();
  KIOSK_TRY(rules::CheckCard(p->card_number, p->card_status, p->partner));
  KIOSK_TRY(rules::CheckActive(p->partner, action));
  return p;
}

Result<Device> Kiosk::Impl::LookupDevice(std::string_view code, const barcode::Classified* given) {
  std::optional<Device> out;
  auto find_tag = [&](const std::string& tag) {
    return db->Each(std::string(kDeviceColumns) + "WHERE asset_tag = ?",
                    [&](storage::Statement& r) { out = DeviceFromRow(r); }, tag);
  };
  KIOSK_TRY(find_tag(std::string(code)));
  if (out) return *out;
  barcode::Classified local;
  const barcode::Classified& c = given ? *given : (local = classifier.Classify(code));
  if (c.kind == barcode::Kind::AssetTag && !c.value.empty()) {
    KIOSK_TRY(find_tag(c.value));
  } else if (auto gtin = c.Gtin(); gtin && c.valid) {
    if (auto serial = c.Serial()) {
      KIOSK_TRY(db->Each(std::string(kDeviceColumns) + "WHERE gtin = ? AND serial = ?",
                         [&](storage::Statement& r) { out = DeviceFromRow(r); }, *gtin, *serial));
    } else {
      return MakeError(ErrorKind::NotFound, "device.no_serial",
                       "That barcode names a product (GTIN " + *gtin +
                           ") but not a unit: scan the barcode that carries the serial number, or the asset tag.",
                       {{"gtin", *gtin}});
    }
  } else if (!c.valid && c.kind != barcode::Kind::Unknown) {
    return MakeError(ErrorKind::NotFound, "barcode.invalid", "That barcode can't be read as a demo unit: " + c.reason + ".",
                     {{"reason", c.reason}}, "unit");
  }
  if (out) return *out;
  return MakeError(ErrorKind::NotFound, "device.unknown",
                   "No demo unit " + std::string(code) +
                       " is known to this kiosk. Scan its asset tag instead, or ask an admin to sync if it is new.",
                   {{"code", std::string(code)}});
}

Result<DemoModel> Kiosk::Impl::LookupModel(std::string_view gtin_text) {
  std::string gtin(gtin_text);
  if (gtin.size() != 14 || !barcode::AllDigits(gtin)) {  // a stored GTIN-14 needs no parsing
    auto c = classifier.Classify(gtin_text);
    if (auto g = c.Gtin(); g && c.valid) gtin = *g;
  }
  std::optional<DemoModel> out;
  KIOSK_TRY(db->Each("SELECT gtin, name, category, quota_registered, quota_silver, quota_gold, quota_platinum, active "
                     "FROM models WHERE gtin = ?",
                     [&](storage::Statement& r) {
                       DemoModel m;
                       m.gtin = r.Text(0);
                       m.name = r.Text(1);
                       m.category = r.Text(2);
                       for (int t = 0; t < 4; ++t) m.quota[t] = static_cast<int>(r.Int(3 + t));
                       m.active = r.Int(7) != 0;
                       out = m;
                     },
                     gtin));
  if (!out)
    return MakeError(ErrorKind::NotFound, "model.unknown", "No model with GTIN " + gtin + " is in the demo catalogue.",
                     {{"gtin", gtin}});
  return *out;
}

Result<Reward> Kiosk::Impl::LookupReward(std::string_view id) {
  std::optional<Reward> out;
  KIOSK_TRY(db->Each("SELECT id, name, category, points, stock, active FROM rewards WHERE id = ?",
                     [&](storage::Statement& r) {
                       out = Reward{r.Text(0), r.Text(1), r.Text(2), r.Int(3), static_cast<int>(r.Int(4)), r.Int(5) != 0};
                     },
                     std::string(id)));
  if (!out) return MakeError(ErrorKind::NotFound, "reward.unknown", "No reward " + std::string(id) + " in the catalogue.",
                                    {{"reward", std::string(id)}});
  return *out;
}

Result<Balance> Kiosk::Impl::LookupBalance(const std::string& partner_id) {
  Balance b{partner_id, 0, 0};
  KIOSK_TRY(db->Each("SELECT available, pending FROM balances WHERE partner_id = ?",
                     [&](storage::Statement& r) {
                       b.available = r.Int(0);
                       b.pending = r.Int(1);
                     },
                     partner_id));
  return b;
}

std::vector<Device> Kiosk::Impl::KitMembers(const std::string& kit) {
  std::vector<Device> out;
  if (kit.empty()) return out;
  (void)db->Each(std::string(kDeviceColumns) + "WHERE kit = ? ORDER BY asset_tag",
                 [&](storage::Statement& r) { out.push_back(DeviceFromRow(r)); }, kit);
  return out;
}

// ---- Queries -------------------------------------------------------------------------------

// The central's settings, with what an admin changed on this kiosk's own screen on top.
Settings Kiosk::CurrentSettings() {
  Settings s = m_impl->LoadSettings();
  if (std::string l = m_impl->LocalValue(kLocalLanguage); !l.empty()) s.language = l;
  if (std::string t = m_impl->LocalValue(kLocalIdleTimeout); !t.empty())
    s.idle_timeout_s = static_cast<int>(std::strtol(t.c_str(), nullptr, 10));
  return s;
}

kiosk::Status Kiosk::SaveLocalSettings(const LocalSettings& s) {
  static constexpr std::string_view kLanguages[] = {"en", "de", "fi", "pl", "ru"};
  if (s.language && std::find(std::begin(kLanguages), std::end(kLanguages), *s.language) == std::end(kLanguages))
    return MakeError(ErrorKind::Usage, "settings.language", "The language \"" + *s.language + "\" is not one of en, de, fi, pl, ru.",
                     {{"language", *s.language}});
  if (s.idle_timeout_s && (*s.idle_timeout_s < 15 || *s.idle_timeout_s > 3600))
    return MakeError(ErrorKind::Usage, "settings.idle_timeout",
                     "The idle time-out must be 15 to 3600 s, not " + std::to_string(*s.idle_timeout_s) + ".",
                     {{"seconds", std::to_string(*s.idle_timeout_s)}});
  KIOSK_TRY(m_impl->RequireWritable());
  if (s.language) KIOSK_TRY(m_impl->SetLocal(kLocalLanguage, *s.language));
  if (s.idle_timeout_s) KIOSK_TRY(m_impl->SetLocal(kLocalIdleTimeout, std::to_string(*s.idle_timeout_s)));
  return {};
}

StatusView Kiosk::Status(StatusDetail detail) {
  Impl& m = *m_impl;
  StatusView v;
  v.kiosk_id = m.kiosk_id;
  v.read_only = m.db->ReadOnly();
  v.database_health = m.db->Health();
  v.database_report = m.db->HealthReport();
  if (auto head = m.journal->Head(); head.ok()) {
    v.last_seq = head->seq;
    v.last_hash = head->hash;
  }
  if (detail == StatusDetail::kWithCounts) {
    v.counted = true;
    if (auto n = m.journal->Count(); n.ok()) v.journal_events = *n;
    auto count = [&](const char* sql) {
      auto n = m.db->ScalarInt(sql);
      return n.ok() && *n ? static_cast<int>(**n) : 0;
    };
    v.partners = count("SELECT count(*) FROM partners");
    v.cards = count("SELECT count(*) FROM cards");
    v.badges = count("SELECT count(*) FROM badges");
    v.models = count("SELECT count(*) FROM models");
    v.devices = count("SELECT count(*) FROM devices");
    v.rewards = count("SELECT count(*) FROM rewards");
    v.devices_out = count("SELECT count(*) FROM devices WHERE state = 'checked_out'");
    auto overdue = m.db->ScalarInt("SELECT count(*) FROM devices WHERE state = 'checked_out' AND due_date < ?", m.Today());
    v.devices_overdue = overdue.ok() && *overdue ? static_cast<int>(**overdue) : 0;
  }
  v.reference_version = std::strtoll(m.StateValue(SyncKey::ReferenceVersion, "0").c_str(), nullptr, 10);
  v.last_sync = m.StateValue(SyncKey::LastSync);
  v.last_sync_error = m.StateValue(SyncKey::LastError);
  if (!v.last_sync_error.empty()) {
    v.last_sync_error_key = m.StateValue(SyncKey::LastErrorKey);
    auto args = nlohmann::json::parse(m.StateValue(SyncKey::LastErrorArgs, "{}"), nullptr, false);
    if (args.is_object())
      for (const auto& [name, value] : args.items())
        if (value.is_string()) v.last_sync_error_args.emplace_back(name, value.get<std::string>());
  }
  if (auto h = m.HoursSinceFresh()) {
    v.hours_since_sync = *h;
    v.stale = *h > m.LoadSettings().stale_hours;
  } else {
    v.stale = true;
  }
  const int64_t acked = std::strtoll(m.StateValue(SyncKey::AckedThrough, "0").c_str(), nullptr, 10);
  v.pending_events = std::max<int64_t>(0, v.last_seq - acked);
  if (v.pending_events > 0) {
    auto t = m.db->ScalarText("SELECT wall_time FROM journal WHERE seq > ? ORDER BY seq LIMIT 1", acked);
    if (t.ok() && *t) v.oldest_pending = **t;
  }
  return v;
}

Result<ScanResolution> Kiosk::Resolve(std::string_view scanned) {
  Impl& m = *m_impl;
  storage::ReadSnapshot snapshot(*m.db);
  auto c = m.classifier.Classify(scanned);
  ScanResolution out;
  out.fields = json::object();
  out.fields["kind"] = std::string(barcode::ToString(c.kind));
  out.fields["valid"] = c.valid;
  if (!c.reason.empty()) out.fields["reason"] = c.reason;
  if (!c.symbology.empty()) out.fields["symbology"] = c.symbology;
  if (!c.value.empty()) out.fields["value"] = c.value;
  for (const auto& [ai, v] : c.ais) out.fields["ai"][ai] = v;

  if (c.kind == barcode::Kind::PartnerCard || c.kind == barcode::Kind::Unknown) {
    if (auto p = m.LookupPartner(scanned, &c); p.ok() && !p->card_number.empty()) {
      out.kind = EntityKind::PartnerCard;
      out.key = p->card_number;
      out.label = p->partner.name + " (" + std::string(DisplayName(p->partner.tier)) + ")";
      out.label_args = {{"name", p->partner.name}, {"tier", TierKey(p->partner.tier)}};
      return out;
    }
  }
  if (c.kind == barcode::Kind::StaffBadge || c.kind == barcode::Kind::Unknown) {
    if (auto b = m.LookupBadge(scanned, &c); b.ok()) {
      out.kind = EntityKind::Badge;
      out.key = b->code;
      out.label = b->name + " (" + std::string(ToString(b->role)) + ")";
      out.label_args = {{"name", b->name}, {"role", RoleKey(b->role)}};
      return out;
    }
  }
  if (auto d = m.LookupDevice(scanned, &c); d.ok()) {
    out.kind = EntityKind::Device;
    out.key = d->asset_tag;
    auto model = m.LookupModel(d->gtin);
    out.label = d->asset_tag + " " + (model.ok() ? model->name : d->gtin);
    return out;
  }
  if (auto g = c.Gtin(); g && c.valid) {
    if (auto model = m.LookupModel(*g); model.ok()) {
      out.kind = EntityKind::Model;
      out.key = model->gtin;
      out.label = model->name;
      return out;
    }
  }
  if (!c.valid && c.kind != barcode::Kind::Unknown)
    return MakeError(ErrorKind::NotFound, "barcode.invalid", "That barcode is not valid: " + c.reason + ".",
                     {{"reason", c.reason}});
  return MakeError(ErrorKind::NotFound, "barcode.unknown",
                   "Unknown barcode \"" + std::string(scanned.substr(0, 64)) +
                       "\": it is not a partner card, staff badge or demo unit known to this kiosk.",
                   {{"code", std::string(scanned.substr(0, 64))}});
}

Result<Badge> Kiosk::FindBadge(std::string_view code) { return m_impl->LookupBadge(code); }

Result<Badge> Kiosk::SignIn(std::string_view badge_code) {
  return m_impl->RequireBadge(badge_code, {Role::Staff, Role::Rep, Role::Admin}, "sign in");
}

Result<PartnerView> Kiosk::GetPartner(std::string_view card_or_id) {
  Impl& m = *m_impl;
  auto p = m.LookupPartner(card_or_id);
  if (!p.ok()) return p.error();
  PartnerView v;
  v.partner = p->partner;
  v.card_number = p->card_number;
  v.card_status = p->card_status;
  auto bal = m.LookupBalance(p->partner.id);
  if (!bal.ok()) return bal.error();
  v.balance = *bal;
  const int64_t covers = m.CoversSeq();
  KIOSK_TRY(m.db->Each("SELECT COALESCE(sum(points), 0), count(*) FROM redemptions WHERE partner_id = ? AND seq > ?",
                       [&](storage::Statement& r) {
                         v.held_points = r.Int(0);
                         v.unsynced_redemptions = static_cast<int>(r.Int(1));
                       },
                       p->partner.id, covers));
  v.available_points = std::max<int64_t>(0, v.balance.available - v.held_points);
  auto open = m.db->ScalarInt("SELECT COALESCE(sum(qty), 0) FROM demo_orders WHERE partner_id = ? AND status = 'open'",
                              p->partner.id);
  v.open_demo_orders = open.ok() && *open ? static_cast<int>(**open) : 0;
  auto quota = m.db->ScalarInt(std::string("SELECT max(quota_") + std::string(ToString(p->partner.tier)) +
                               ") FROM models WHERE active = 1");
  v.open_order_quota = quota.ok() && *quota ? static_cast<int>(**quota) : 0;
  (void)m.db->Each(
      "SELECT v.seq, v.verdict, v.code, v.message, v.detail, j.type FROM verdicts v JOIN journal j ON j.seq = v.seq "
      "WHERE v.verdict <> 'accepted' AND v.shown = 0 AND json_extract(j.payload, '$.partner_id') = ? ORDER BY v.seq",
      [&](storage::Statement& r) {
        v.recent_outcomes.push_back(json{{"seq", r.Int(0)}, {"verdict", r.Text(1)}, {"code", r.Text(2)},
                                         {"message", r.Text(3)}, {"type", r.Text(5)}});
      },
      p->partner.id);
  return v;
}

Result<DeviceView> Kiosk::GetDevice(std::string_view code) {
  Impl& m = *m_impl;
  auto d = m.LookupDevice(code);
  if (!d.ok()) return d.error();
  DeviceView v;
  v.device = *d;
  if (auto model = m.LookupModel(d->gtin); model.ok()) v.model = *model;
  else v.model.gtin = d->gtin;
  if (!d->custodian.empty())
    if (auto b = m.LookupBadge(d->custodian); b.ok()) v.custodian_name = b->name;
  v.overdue = d->state == DeviceState::CheckedOut && !d->due_date.empty() && d->due_date < m.Today();
  for (const Device& k : m.KitMembers(d->kit)) v.kit_members.push_back(k.asset_tag);
  KIOSK_TRY(m.db->Each("SELECT j.seq, j.type, j.wall_time, j.actor, j.payload FROM device_events e JOIN journal j ON "
                       "j.seq = e.seq WHERE e.asset_tag = ? ORDER BY j.seq DESC LIMIT 20",
                       [&](storage::Statement& r) {
                         DeviceHistoryEntry h{r.Int(0), r.Text(1), r.Text(2), r.Text(3), ""};
                         try {
                           json p = json::parse(r.Text(4));
                           if (h.type == "device.checked_out")
                             h.summary = "Checked out to " + p.value("rep", "") + ", due " + p.value("due_date", "");
                           else if (h.type == "device.checked_in")
                             h.summary = "Checked in, condition: " + p.value("condition", "");
                           else if (h.type == "device.audited")
                             h.summary = "Seen in stocktake";
                         } catch (const json::exception&) {
                         }
                         v.history.push_back(std::move(h));
                       },
                       d->asset_tag));
  return v;
}

std::vector<DeviceView> Kiosk::Overdue() {
  Impl& m = *m_impl;
  std::vector<std::string> tags;
  (void)m.db->Each("SELECT asset_tag FROM devices WHERE state = 'checked_out' AND due_date < ? ORDER BY due_date",
                   [&](storage::Statement& r) { tags.push_back(r.Text(0)); }, m.Today());
  std::vector<DeviceView> out;
  for (const auto& t : tags)
    if (auto v = GetDevice(t); v.ok()) out.push_back(std::move(*v));
  return out;
}

std::vector<DemoModel> Kiosk::Models() {
  Impl& m = *m_impl;
  std::vector<std::string> gtins;
  (void)m.db->Each("SELECT gtin FROM models WHERE active = 1 ORDER BY name",
                   [&](storage::Statement& r) { gtins.push_back(r.Text(0)); });
  std::vector<DemoModel> out;
  for (const auto& g : gtins)
    if (auto model = m.LookupModel(g); model.ok()) out.push_back(*model);
  return out;
}

std::vector<RewardView> Kiosk::Rewards(std::string_view partner_card) {
  Impl& m = *m_impl;
  std::vector<Reward> rewards;
  (void)m.db->Each("SELECT id, name, category, points, stock, active FROM rewards WHERE active = 1 ORDER BY points, id",
                   [&](storage::Statement& r) {
                     rewards.push_back(
                         Reward{r.Text(0), r.Text(1), r.Text(2), r.Int(3), static_cast<int>(r.Int(4)), r.Int(5) != 0});
                   });
  std::optional<PartnerCtx> partner;
  std::string partner_problem;
  if (!partner_card.empty()) {
    auto p = m.RequirePartner(partner_card, "redeem rewards");
    if (p.ok()) partner = *p;
    else partner_problem = p.error().message;
  }
  std::vector<RewardView> out;
  for (const Reward& r : rewards) {
    RewardView v{r, true, ""};
    if (!partner_problem.empty()) {
      v.affordable = false;
      v.why_not = partner_problem;
    } else if (partner) {
      auto plan = m.PlanRedemption(*partner, r, 1);
      if (!plan.ok()) {
        v.affordable = false;
        v.why_not = plan.error().message;
      }
    } else if (r.stock <= 0) {
      v.affordable = false;
      v.why_not = "Out of stock at this kiosk.";
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<VerdictView>> Kiosk::Verdicts(bool with_remarks) {
  auto rows = storage::ListVerdicts(*m_impl->db, with_remarks);
  if (!rows.ok()) return rows.error();
  std::vector<VerdictView> out;
  out.reserve(rows->size());
  for (auto& r : *rows)
    out.push_back(VerdictView{r.seq, std::move(r.verdict), std::move(r.code), std::move(r.message),
                              std::move(r.received_at), std::move(r.type), std::move(r.wall_time)});
  return out;
}

EnrolmentView Kiosk::Enrolment() {
  // Enrolled = the central's public key is stored (SyncEngine::Enrolled, `kiosk enroll`).
  EnrolmentView v;
  v.enrolled = !m_impl->StateValue(SyncKey::CentralPublicKey).empty();
  v.central_url = m_impl->StateValue(SyncKey::CentralUrl);
  return v;
}

kiosk::Status Kiosk::TuneMemory(int64_t mmap_bytes, int64_t cache_kib) {
  return m_impl->db->SetMemoryLimits(mmap_bytes, cache_kib);
}

Result<std::vector<Event>> Kiosk::Journal(int64_t since_seq, int64_t limit) {
  return m_impl->journal->Read(since_seq, limit);
}

Result<VerifyReport> Kiosk::Verify() {
  auto r = m_impl->journal->Verify();
  if (!r.ok()) return r.error();
  return VerifyReport{r->events, r->ok, r->first_bad_seq, r->problem, r->anchor_seq, r->missing_from, r->missing_to};
}

}  // namespace kiosk
