#include "storage/verdicts.hpp"

#include "storage/db.hpp"

namespace kiosk::storage {

Result<std::vector<VerdictListRow>> ListVerdicts(Db& db, bool with_remarks) {
  std::vector<VerdictListRow> rows;
  const std::string sql =
      std::string("SELECT v.seq, v.verdict, v.code, v.message, v.received_at, j.type, j.wall_time FROM verdicts v "
                  "LEFT JOIN journal j ON j.seq = v.seq WHERE ") +
      (with_remarks ? "v.verdict <> 'accepted' OR v.code <> ''" : "v.verdict <> 'accepted'") + " ORDER BY v.seq";
  auto s = db.Each(sql, [&](Statement& r) {
    rows.push_back(VerdictListRow{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),
                                  r.IsNull(5) ? "" : r.Text(5), r.IsNull(6) ? "" : r.Text(6)});
  });
  if (!s.ok()) return s.error();
  return rows;
}

}  // namespace kiosk::storage
