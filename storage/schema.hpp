#pragma once
// The kiosk database's schema: ordered migrations. Append new steps at the end; never edit a
// step that has shipped.
#include <cstdint>
#include <vector>

#include "storage/db.hpp"

namespace kiosk::storage {

// 'SKIO' - marks a file as a kiosk database (PRAGMA application_id).
inline constexpr uint32_t kKioskApplicationId = 0x534B494F;

const std::vector<Migration>& KioskMigrations();

}  // namespace kiosk::storage
