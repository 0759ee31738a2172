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
#include "storage/activity_store.hpp"
#include "storage/reference_store.hpp"
#include "storage/schema.hpp"
#include "storage/verdicts.hpp"

namespace kiosk {

using nlohmann::json;

namespace {
// Events a unit's history shows (the device screen, `kiosk device`).
constexpr int kDeviceHistoryLength = 20;

// A read whose failure shows as "none" (a status view's counts, a catalogue list), as it did
// before the reads moved into storage/.
template <typename T>
T ValueOr(Result<T> r, T fallback) {
  return r.ok() ? std::move(*r) : std::move(fallback);
}
}  // namespace

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

Settings Kiosk::Impl::LoadSettings() { return storage::ReferenceStore(*db).LoadSettings(); }

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
  storage::ReferenceStore store(*db);
  auto find = [&](const std::string& key) -> kiosk::Status {
    auto b = store.FindBadge(key);
    if (!b.ok()) return b.error();
    out = std::move(*b);
    return {};
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

Result<PartnerCtx> Kiosk::Impl::LookupPartner(std::string_view card_or_id, const barcode::Classified* given) {
  PartnerCtx ctx;
  std::string partner_id;
  bool card_found = false;
  storage::ReferenceStore store(*db);
  auto find_card = [&](const std::string& number) -> kiosk::Status {
    auto card = store.FindCard(number);
    if (!card.ok()) return card.error();
    if (*card) {
      partner_id = std::move((*card)->partner_id);
      ctx.card_status = (*card)->status;
      card_found = true;
    }
    return {};
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
  auto partner = store.FindPartner(partner_id);
  if (!partner.ok()) return partner.error();
  if (!*partner) {
    if (c && c->kind == barcode::Kind::PartnerCard && !c->valid)
      return MakeError(ErrorKind::NotFound, "card.invalid", "That is not a valid partner card: " + c->reason + ".",
                       {{"reason", c->reason}});
    return MakeError(ErrorKind::NotFound, "partner.unknown",
                     "No partner card or partner " + key +
                         " is known to this kiosk. Check the card, or ask an admin to sync if it is new.",
                     {{"card", key}});
  }
  ctx.partner = std::move(**partner);
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
  storage::ReferenceStore store(*db);
  auto find_tag = [&](const std::string& tag) -> kiosk::Status {
    auto d = store.FindDevice(tag);
    if (!d.ok()) return d.error();
    out = std::move(*d);
    return {};
  };
  KIOSK_TRY(find_tag(std::string(code)));
  if (out) return std::move(*out);
  barcode::Classified local;
  const barcode::Classified& c = given ? *given : (local = classifier.Classify(code));
  if (c.kind == barcode::Kind::AssetTag && !c.value.empty()) {
    KIOSK_TRY(find_tag(c.value));
  } else if (auto gtin = c.Gtin(); gtin && c.valid) {
    if (auto serial = c.Serial()) {
      auto d = store.FindDevice(*gtin, *serial);
      if (!d.ok()) return d.error();
      out = std::move(*d);
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
  if (out) return std::move(*out);
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
  auto out = storage::ReferenceStore(*db).FindModel(gtin);
  if (!out.ok()) return out.error();
  if (!*out)
    return MakeError(ErrorKind::NotFound, "model.unknown", "No model with GTIN " + gtin + " is in the demo catalogue.",
                     {{"gtin", gtin}});
  return std::move(**out);
}

Result<Reward> Kiosk::Impl::LookupReward(std::string_view id) {
  auto out = storage::ReferenceStore(*db).FindReward(std::string(id));
  if (!out.ok()) return out.error();
  if (!*out) return MakeError(ErrorKind::NotFound, "reward.unknown", "No reward " + std::string(id) + " in the catalogue.",
                                    {{"reward", std::string(id)}});
  return std::move(**out);
}

Result<Balance> Kiosk::Impl::LookupBalance(const std::string& partner_id) {
  return storage::ReferenceStore(*db).BalanceOf(partner_id);
}

std::vector<Device> Kiosk::Impl::KitMembers(const std::string& kit) {
  return ValueOr(storage::ReferenceStore(*db).KitMembers(kit), {});
}

// ---- Queries -------------------------------------------------------------------------------

// The central's settings, with what an admin changed on this kiosk's own screen on top.
Settings Kiosk::CurrentSettings() {
  Settings s = m_impl->LoadSettings();
  if (std::string l = m_impl->LocalValue(kLocalLanguage); !l.empty()) {
    s.language = l;
    s.language_local = true;
  }
  if (std::string t = m_impl->LocalValue(kLocalIdleTimeout); !t.empty()) {
    s.idle_timeout_s = static_cast<int>(std::strtol(t.c_str(), nullptr, 10));
    s.idle_timeout_local = true;
  }
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
    const storage::ReferenceCounts counts = storage::ReferenceStore(*m.db).Count();
    v.partners = counts.partners;
    v.cards = counts.cards;
    v.badges = counts.badges;
    v.models = counts.models;
    v.devices = counts.devices;
    v.rewards = counts.rewards;
    storage::ActivityStore activity(*m.db);
    v.devices_out = ValueOr(activity.CountCheckedOut(), 0);
    v.devices_overdue = ValueOr(activity.CountOverdue(m.Today()), 0);
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
    auto t = storage::JournalTable(*m.db).WallTimeAfter(acked);
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
      out.fields["card_status"] = std::string(ToString(p->card_status));
      out.fields["partner_status"] = std::string(ToString(p->partner.status));
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
  storage::ActivityStore activity(*m.db);
  auto held = activity.HeldFor(p->partner.id, covers);
  if (!held.ok()) return held.error();
  v.held_points = held->points;
  v.unsynced_redemptions = static_cast<int>(held->redemptions);
  v.available_points = std::max<int64_t>(0, v.balance.available - v.held_points);
  v.open_demo_orders = static_cast<int>(ValueOr<int64_t>(activity.OpenOrderUnits(p->partner.id), 0));
  v.open_order_quota = ValueOr(storage::ReferenceStore(*m.db).LargestQuota(p->partner.tier), 0);
  if (auto outcomes = storage::VerdictStore(*m.db).UnshownForPartner(p->partner.id); outcomes.ok())
    for (const storage::PartnerOutcomeRow& o : *outcomes)
      v.recent_outcomes.push_back(
          json{{"seq", o.seq}, {"verdict", o.verdict}, {"code", o.code}, {"message", o.message}, {"type", o.type}});
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
  auto history = storage::ActivityStore(*m.db).DeviceHistory(d->asset_tag, kDeviceHistoryLength);
  if (!history.ok()) return history.error();
  for (storage::DeviceHistoryRow& row : *history) {
    DeviceHistoryEntry h{row.seq, std::move(row.type), std::move(row.wall_time), std::move(row.actor), ""};
    try {
      json p = json::parse(row.payload);
      if (h.type == "device.checked_out")
        h.summary = "Checked out to " + p.value("rep", "") + ", due " + p.value("due_date", "");
      else if (h.type == "device.checked_in")
        h.summary = "Checked in, condition: " + p.value("condition", "");
      else if (h.type == "device.audited")
        h.summary = "Seen in stocktake";
    } catch (const json::exception&) {
    }
    v.history.push_back(std::move(h));
  }
  return v;
}

std::vector<DeviceView> Kiosk::Overdue() {
  Impl& m = *m_impl;
  auto tags = storage::ActivityStore(*m.db).OverdueTags(m.Today());
  std::vector<DeviceView> out;
  if (!tags.ok()) return out;
  for (const auto& t : *tags)
    if (auto v = GetDevice(t); v.ok()) out.push_back(std::move(*v));
  return out;
}

std::vector<DemoModel> Kiosk::Models() {
  return ValueOr(storage::ReferenceStore(*m_impl->db).ActiveModels(), {});
}

std::vector<RewardView> Kiosk::Rewards(std::string_view partner_card) {
  Impl& m = *m_impl;
  const std::vector<Reward> rewards = ValueOr(storage::ReferenceStore(*m.db).ActiveRewards(), {});
  std::optional<PartnerCtx> partner;
  std::optional<Error> partner_problem;
  if (!partner_card.empty()) {
    auto p = m.RequirePartner(partner_card, "redeem rewards");
    if (p.ok()) partner = *p;
    else partner_problem = p.error();
  }
  std::vector<RewardView> out;
  for (const Reward& r : rewards) {
    RewardView v{r, true, ""};
    if (partner_problem) {
      v.affordable = false;
      v.why_not_reason = *partner_problem;
    } else if (partner) {
      auto plan = m.PlanRedemption(*partner, r, 1);
      if (!plan.ok()) {
        v.affordable = false;
        v.why_not_reason = plan.error();
      }
    } else if (r.stock <= 0) {
      v.affordable = false;
      v.why_not_reason = MakeError(ErrorKind::Refused, "reward.out_of_stock", r.name + " is out of stock at this kiosk.",
                                   {{"reward", r.name}, {"stock", std::to_string(r.stock)}});
    }
    v.why_not = v.why_not_reason.message;
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
