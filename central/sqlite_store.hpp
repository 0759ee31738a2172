#pragma once
// The default CentralStore: one SQLite file (WAL, synchronous=FULL) through storage::Db.
#include <filesystem>
#include <memory>

#include "central/store.hpp"

namespace kiosk::central {

// 'SKCE' marks a file as a kiosk-central database.
inline constexpr uint32_t kCentralApplicationId = 0x534B4345;

Result<std::unique_ptr<CentralStore>> OpenSqliteStore(const std::filesystem::path& path, bool create = true);

}  // namespace kiosk::central
