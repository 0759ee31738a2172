#pragma once
// A connection of the test's own to a kiosk's database, for tests that look at rows directly or
// break them on purpose (a tampered payload, a lost tail). The Kiosk lends no raw handle: this is
// a second connection to the same file, opened as the Kiosk opens it (same schema check, WAL).
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "kiosk/services/kiosk.hpp"
#include "storage/db.hpp"
#include "storage/schema.hpp"

namespace kiosk::test {

inline std::unique_ptr<storage::Db> OpenKioskDb(const std::filesystem::path& data_dir) {
  auto db = storage::Db::Open({.path = DataPaths{data_dir}.Db(),
                               .application_id = storage::kKioskApplicationId,
                               .migrations = &storage::KioskMigrations()});
  if (!db.ok()) throw std::runtime_error("open the kiosk database: " + db.error().message);
  return std::move(*db);
}
inline std::unique_ptr<storage::Db> OpenKioskDb(const Kiosk& k) { return OpenKioskDb(k.Paths().dir); }

}  // namespace kiosk::test
