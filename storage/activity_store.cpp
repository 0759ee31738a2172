#include "storage/activity_store.hpp"

#include "storage/db.hpp"

namespace kiosk::storage {
namespace {

Result<int> Count(Result<std::optional<int64_t>> n) {
  if (!n.ok()) return n.error();
  return static_cast<int>(n->value_or(0));
}

Result<int64_t> Sum(Result<std::optional<int64_t>> n) {
  if (!n.ok()) return n.error();
  return n->value_or(0);
}

}  // namespace

// ---- Device custody ---------------------------------------------------------------------------

Status ActivityStore::MarkCheckedOut(const std::string& asset_tag, const std::string& custodian,
                                     const std::string& due_date, const std::string& purpose) {
  return m_db.Run("UPDATE devices SET state = 'checked_out', custodian = ?, due_date = ?, purpose = ? "
                  "WHERE asset_tag = ? AND state = 'available'",
                  custodian, due_date, purpose, asset_tag);
}

Status ActivityStore::MarkReturned(const std::string& asset_tag, DeviceState state_after) {
  return m_db.Run("UPDATE devices SET state = ?, custodian = '', due_date = '', purpose = '' WHERE asset_tag = ?",
                  std::string(ToString(state_after)), asset_tag);
}

Status ActivityStore::MarkAudited(const std::string& asset_tag, const std::string& at_utc) {
  return m_db.Run("UPDATE devices SET last_audit = ? WHERE asset_tag = ?", at_utc, asset_tag);
}

Status ActivityStore::LinkDeviceEvent(const std::string& asset_tag, int64_t seq) {
  return m_db.Run("INSERT OR IGNORE INTO device_events (asset_tag, seq) VALUES (?, ?)", asset_tag, seq);
}

Result<std::vector<DeviceHistoryRow>> ActivityStore::DeviceHistory(const std::string& asset_tag, int limit) {
  std::vector<DeviceHistoryRow> out;
  auto s = m_db.Each("SELECT j.seq, j.type, j.wall_time, j.actor, j.payload FROM device_events e JOIN journal j ON "
                     "j.seq = e.seq WHERE e.asset_tag = ? ORDER BY j.seq DESC LIMIT ?",
                     [&](Statement& r) {
                       out.push_back(DeviceHistoryRow{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)});
                     },
                     asset_tag, int64_t{limit});
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<std::string>> ActivityStore::OverdueTags(const std::string& today) {
  std::vector<std::string> tags;
  auto s = m_db.Each("SELECT asset_tag FROM devices WHERE state = 'checked_out' AND due_date < ? ORDER BY due_date",
                     [&](Statement& r) { tags.push_back(r.Text(0)); }, today);
  if (!s.ok()) return s.error();
  return tags;
}

Result<int> ActivityStore::CountCheckedOut() {
  return Count(m_db.ScalarInt("SELECT count(*) FROM devices WHERE state = 'checked_out'"));
}

Result<int> ActivityStore::CountOverdue(const std::string& today) {
  return Count(m_db.ScalarInt("SELECT count(*) FROM devices WHERE state = 'checked_out' AND due_date < ?", today));
}

// ---- Demo orders ------------------------------------------------------------------------------

Result<int64_t> ActivityStore::OpenOrderUnits(const std::string& partner_id, const std::string& gtin) {
  return Sum(m_db.ScalarInt(
      "SELECT COALESCE(sum(qty), 0) FROM demo_orders WHERE partner_id = ? AND gtin = ? AND status = 'open'", partner_id,
      gtin));
}

Result<int64_t> ActivityStore::OpenOrderUnits(const std::string& partner_id) {
  return Sum(
      m_db.ScalarInt("SELECT COALESCE(sum(qty), 0) FROM demo_orders WHERE partner_id = ? AND status = 'open'", partner_id));
}

Status ActivityStore::AddDemoOrder(const DemoOrderRow& o) {
  return m_db.Run("INSERT INTO demo_orders (seq, partner_id, gtin, qty, created) VALUES (?, ?, ?, ?, ?)", o.seq,
                  o.partner_id, o.gtin, o.qty, o.created);
}

// ---- Redemptions ------------------------------------------------------------------------------

Result<HeldPoints> ActivityStore::HeldFor(const std::string& partner_id, int64_t after_seq) {
  HeldPoints held;
  auto s = m_db.Each("SELECT COALESCE(sum(points), 0), count(*) FROM redemptions WHERE partner_id = ? AND seq > ?",
                     [&](Statement& r) {
                       held.points = r.Int(0);
                       held.redemptions = r.Int(1);
                     },
                     partner_id, after_seq);
  if (!s.ok()) return s.error();
  return held;
}

Result<int64_t> ActivityStore::HeldByKiosk(int64_t after_seq) {
  return Sum(m_db.ScalarInt("SELECT COALESCE(sum(points), 0) FROM redemptions WHERE seq > ?", after_seq));
}

Status ActivityStore::AddRedemption(const RedemptionRow& r) {
  KIOSK_TRY(m_db.Run("INSERT INTO redemptions (seq, partner_id, reward_id, qty, points, created) VALUES (?,?,?,?,?,?)",
                     r.seq, r.partner_id, r.reward_id, r.qty, r.points, r.created));
  return m_db.Run("UPDATE rewards SET stock = stock - ? WHERE id = ?", r.qty, r.reward_id);
}

// ---- Sell-out ---------------------------------------------------------------------------------

Result<std::optional<int64_t>> ActivityStore::SelloutSeq(const std::string& gtin, const std::string& serial) {
  return m_db.ScalarInt("SELECT seq FROM sellouts WHERE gtin = ? AND serial = ?", gtin, serial);
}

Status ActivityStore::AddSellout(const SelloutRow& s) {
  return m_db.Run("INSERT INTO sellouts (gtin, serial, partner_id, seq) VALUES (?, ?, ?, ?)", s.gtin, s.serial,
                  s.partner_id, s.seq);
}

// ---- Deals ------------------------------------------------------------------------------------

Status ActivityStore::AddDeal(const DealRow& d) {
  return m_db.Run("INSERT INTO deals (seq, partner_id, customer, product, value, close_date) VALUES (?,?,?,?,?,?)",
                  d.seq, d.partner_id, d.customer, d.product, d.value_eur, d.close_date);
}

Status ActivityStore::DecideDeal(int64_t seq, const std::string& status, const std::string& decided_at) {
  return m_db.Run("UPDATE deals SET status = ?, decided_at = ? WHERE seq = ?", status, decided_at, seq);
}

// ---- Recovery -----------------------------------------------------------------------------------

Status ActivityStore::MoveSeq(int64_t old_seq, int64_t new_seq) {
  for (const char* sql : {"UPDATE demo_orders SET seq = ? WHERE seq = ?", "UPDATE redemptions SET seq = ? WHERE seq = ?",
                          "UPDATE sellouts SET seq = ? WHERE seq = ?", "UPDATE deals SET seq = ? WHERE seq = ?",
                          "UPDATE device_events SET seq = ? WHERE seq = ?"})
    KIOSK_TRY(m_db.Run(sql, new_seq, old_seq));
  return {};
}

Status ActivityStore::AddSelloutUnlessReported(const SelloutRow& s) {
  return m_db.Run("INSERT OR IGNORE INTO sellouts (gtin, serial, partner_id, seq) VALUES (?, ?, ?, ?)", s.gtin,
                  s.serial, s.partner_id, s.seq);
}

}  // namespace kiosk::storage
