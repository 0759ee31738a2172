#include "storage/points_store.hpp"

#include "storage/db.hpp"

namespace kiosk::storage {

Status PointsStore::Apply(const PointsCredit& c, const std::string& received_at) {
  return m_db.Run("INSERT INTO points_credits (seq, gtin, partner_id, model, units, points, credited_at, received_at) "
                  "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(seq, gtin) DO UPDATE SET partner_id = excluded.partner_id, "
                  "model = excluded.model, units = excluded.units, points = excluded.points, credited_at = "
                  "excluded.credited_at",
                  c.seq, c.gtin, c.partner_id, c.model, c.units, c.points, c.credited_at, received_at);
}

Result<std::vector<PointsCreditRow>> PointsStore::ForPartner(const std::string& partner_id, int limit) {
  std::vector<PointsCreditRow> rows;
  auto s = m_db.Each(
      "SELECT seq, gtin, partner_id, model, units, points, credited_at, received_at FROM points_credits "
      "WHERE partner_id = ? ORDER BY seq DESC, gtin LIMIT ?",
      [&](Statement& r) {
        rows.push_back(PointsCreditRow{
            PointsCredit{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5), r.Text(6)}, r.Text(7)});
      },
      partner_id, limit);
  if (!s.ok()) return s.error();
  return rows;
}

Result<int64_t> PointsStore::CreditedTotal(const std::string& partner_id) {
  auto n = m_db.ScalarInt("SELECT COALESCE(sum(points), 0) FROM points_credits WHERE partner_id = ?", partner_id);
  if (!n.ok()) return n.error();
  return n->value_or(0);
}

Result<std::vector<SoldUnits>> PointsStore::SoldAfter(const std::string& partner_id, int64_t after_seq) {
  std::vector<SoldUnits> out;
  auto s = m_db.Each("SELECT gtin, count(*) FROM sellouts WHERE partner_id = ? AND seq > ? GROUP BY gtin ORDER BY gtin",
                     [&](Statement& r) { out.push_back({r.Text(0), r.Int(1)}); }, partner_id, after_seq);
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace kiosk::storage
