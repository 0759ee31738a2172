#pragma once
// The open stocktake session and its scans (schema step 2): written as each scan is made, each
// write its own transaction (WAL, synchronous FULL), so a restart or a power cut in the middle of
// counting a showroom loses no scan. The session's result is journaled by the services
// (stocktake.finished) in the same transaction that clears these rows. Owned by whoever holds the
// Db (the Kiosk services); same thread as that Db.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

struct StocktakeSessionRow {
  std::string scope;       // "" (everything), an area or one location
  std::string started_by;  // badge code
  std::string started_at;  // UTC
};

class StocktakeStore {
 public:
  explicit StocktakeStore(Db& db) : m_db(db) {}

  Result<std::optional<StocktakeSessionRow>> Open();
  // Refused (stocktake.already_open) when a session is open: the table holds one row at most.
  Status Start(const StocktakeSessionRow& session);
  // The scanned asset tags in the order they were first scanned.
  Result<std::vector<std::string>> Scans();
  // true when the tag is new to the session, false when it was scanned before (nothing changes).
  Result<bool> AddScan(const std::string& asset_tag, const std::string& at_utc);
  // The session and its scans gone (finished or cancelled).
  Status Clear();

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
