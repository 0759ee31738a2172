#include "storage/stocktake_store.hpp"

#include "storage/db.hpp"

namespace kiosk::storage {

Result<std::optional<StocktakeSessionRow>> StocktakeStore::Open() {
  std::optional<StocktakeSessionRow> out;
  auto s = m_db.Each("SELECT scope, started_by, started_at FROM stocktake_session WHERE id = 1",
                     [&](Statement& r) { out = StocktakeSessionRow{r.Text(0), r.Text(1), r.Text(2)}; });
  if (!s.ok()) return s.error();
  return out;
}

Status StocktakeStore::Start(const StocktakeSessionRow& session) {
  auto open = Open();
  if (!open.ok()) return open.error();
  if (*open)
    return MakeError(ErrorKind::Refused, "stocktake.already_open",
                     "A stocktake of " + ((*open)->scope.empty() ? std::string("everything") : (*open)->scope) +
                         " is already open (started " + (*open)->started_at +
                         "): finish or cancel it before starting another.",
                     {{"scope", (*open)->scope}, {"since", (*open)->started_at}}, (*open)->scope.empty() ? "all" : "");
  KIOSK_TRY(m_db.Run("DELETE FROM stocktake_scans"));
  return m_db.Run("INSERT INTO stocktake_session (id, scope, started_by, started_at) VALUES (1, ?, ?, ?)",
                  session.scope, session.started_by, session.started_at);
}

Result<std::vector<std::string>> StocktakeStore::Scans() {
  std::vector<std::string> tags;
  auto s = m_db.Each("SELECT asset_tag FROM stocktake_scans ORDER BY n", [&](Statement& r) { tags.push_back(r.Text(0)); });
  if (!s.ok()) return s.error();
  return tags;
}

Result<bool> StocktakeStore::AddScan(const std::string& asset_tag, const std::string& at_utc) {
  KIOSK_TRY(m_db.Run("INSERT OR IGNORE INTO stocktake_scans (asset_tag, scanned_at, n) VALUES (?, ?, "
                     "(SELECT COALESCE(max(n), 0) + 1 FROM stocktake_scans))",
                     asset_tag, at_utc));
  return m_db.Changes() > 0;
}

Status StocktakeStore::Clear() {
  KIOSK_TRY(m_db.Run("DELETE FROM stocktake_scans"));
  return m_db.Run("DELETE FROM stocktake_session");
}

}  // namespace kiosk::storage
