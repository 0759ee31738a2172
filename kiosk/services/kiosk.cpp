// Kiosk: opening a data folder and the helpers every feature file shares (state, freshness).
// One file per feature beside it: kiosk_lookups.cpp (scans and codes to entities),
// kiosk_partners.cpp, kiosk_devices.cpp, kiosk_settings.cpp, kiosk_status.cpp, kiosk_journal.cpp
// (reads); kiosk_actions.cpp (actions), kiosk_reference.cpp (reference data), kiosk_labels.cpp.
#include "kiosk/services/kiosk.hpp"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "kiosk/core/barcode/site_rules.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/core/rules/loyalty.hpp"
#include "kiosk/services/kiosk_impl.hpp"
#include "storage/reference_store.hpp"
#include "storage/schema.hpp"

namespace kiosk {

using nlohmann::json;

Kiosk::Kiosk(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Kiosk::~Kiosk() = default;
const std::string& Kiosk::KioskId() const { return m_impl->kiosk_id; }
const DataPaths& Kiosk::Paths() const { return m_impl->paths; }
const Clock& Kiosk::GetClock() const { return *m_impl->clock; }
storage::SyncStore& Kiosk::SyncStorage() {
  if (!m_impl->sync_store) m_impl->sync_store = std::make_unique<storage::SyncStore>(*m_impl->db);
  return *m_impl->sync_store;
}

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
    if (s.ok()) s = storage::SyncState(**db).SetKioskId(kiosk_id);
    if (s.ok()) {
      auto e = journal.Append(std::string(events::KioskInitialized::kType),
                              events::KioskInitialized{kiosk_id, std::string("kiosk ") + KIOSK_VERSION}.Dump(), "");
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
  auto id = storage::SyncState(*impl->db).FindKioskId();
  if (!id.ok()) return id.error();
  if (!*id)
    return MakeError(ErrorKind::Integrity, "kiosk.no_id",
                     "The database has no kiosk id; it was not created by `kiosk init`. Restore the data folder "
                     "from a backup.");
  impl->kiosk_id = **id;
  impl->journal = std::make_unique<storage::JournalStore>(*impl->db, impl->kiosk_id, impl->key, *impl->clock);
  barcode::SiteRules rules = barcode::LoadSiteRules();
  impl->classifier = std::move(rules.classifier);
  if (rules.error) impl->rules_error = rules.error->message;  // it names the file
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

std::string Kiosk::Impl::LocalValue(LocalKey key, const std::string& def) {
  return storage::StateStore(*db).Get(key, def);
}
Status Kiosk::Impl::SetLocal(LocalKey key, const std::string& value) { return storage::StateStore(*db).Set(key, value); }

Settings Kiosk::Impl::LoadSettings() { return storage::ReferenceStore(*db).LoadSettings(); }

int64_t Kiosk::Impl::CoversSeq() { return SyncState().CoversKioskSeq(); }

std::optional<int64_t> Kiosk::Impl::HoursSinceFresh() {
  // Fresh data comes from a sync or a reference load, whichever was last.
  const std::optional<int64_t> fresh = SyncState().LastFreshAt();  // Unix ms
  if (!fresh) return std::nullopt;
  const int64_t then_ms = *fresh;
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock->Now().time_since_epoch()).count();
  return (now_ms - then_ms) / 3'600'000;
}

Status Kiosk::Impl::StaleGuard(const char* action) {
  return rules::CheckFresh(HoursSinceFresh(), LoadSettings().stale_hours, action);
}

}  // namespace kiosk
