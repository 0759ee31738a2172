#include "storage/verdicts.hpp"

#include "storage/db.hpp"

namespace kiosk::storage {

Result<std::vector<VerdictListRow>> VerdictStore::List(bool with_remarks) {
  std::vector<VerdictListRow> rows;
  const std::string sql =
      std::string("SELECT v.seq, v.verdict, v.code, v.message, v.received_at, j.type, j.wall_time FROM verdicts v "
                  "LEFT JOIN journal j ON j.seq = v.seq WHERE ") +
      (with_remarks ? "v.verdict <> 'accepted' OR v.code <> ''" : "v.verdict <> 'accepted'") + " ORDER BY v.seq";
  auto s = m_db.Each(sql, [&](Statement& r) {
    rows.push_back(VerdictListRow{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),
                                  r.IsNull(5) ? "" : r.Text(5), r.IsNull(6) ? "" : r.Text(6)});
  });
  if (!s.ok()) return s.error();
  return rows;
}

Result<int64_t> VerdictStore::HighestSeq() {
  auto max = m_db.ScalarInt("SELECT max(seq) FROM verdicts");
  if (!max.ok()) return max.error();
  return max->value_or(0);
}

Status VerdictStore::Forget(int64_t from_seq, int64_t to_seq) {
  return m_db.Run("DELETE FROM verdicts WHERE seq BETWEEN ? AND ?", from_seq, to_seq);
}

Status VerdictStore::Put(const VerdictRow& v) {
  return m_db.Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, detail, received_at) VALUES "
                  "(?,?,?,?,?,?,?) ON CONFLICT(seq) DO UPDATE SET verdict = excluded.verdict, code = "
                  "excluded.code, message = excluded.message, detail = excluded.detail",
                  v.seq, v.event_id, v.verdict, v.code, v.message, v.detail, v.received_at);
}

}  // namespace kiosk::storage
