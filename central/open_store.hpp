#pragma once
// The store a --db value names: postgresql://... (or postgres://) is PostgreSQL, anything else a
// SQLite file.
#include <memory>
#include <string>

#include "central/pg_store.hpp"
#include "central/sqlite_store.hpp"

namespace kiosk::central {

inline Result<std::unique_ptr<CentralStore>> OpenStore(const std::string& db) {
  if (IsPostgresUri(db)) return OpenPgStore(db);
  return OpenSqliteStore(db, true);
}

}  // namespace kiosk::central
