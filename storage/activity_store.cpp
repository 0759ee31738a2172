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

Result<int64_t> ActivityStore::OpenOrderUnits(const std::string& partner_id, const std::string& gtin,
                                              int64_t covered_through) {
  return Sum(m_db.ScalarInt(
      "SELECT COALESCE((SELECT units FROM channel_orders WHERE partner_id = ?1 AND gtin = ?2), 0) + "
      "COALESCE((SELECT sum(qty) FROM demo_orders WHERE partner_id = ?1 AND gtin = ?2 AND seq > ?3 AND "
      "status IN ('open', 'ordered', 'confirmed', 'shipped')), 0)",
      partner_id, gtin, covered_through));
}

Result<int64_t> ActivityStore::OpenOrderUnits(const std::string& partner_id, int64_t covered_through) {
  return Sum(m_db.ScalarInt(
      "SELECT COALESCE((SELECT sum(units) FROM channel_orders WHERE partner_id = ?1), 0) + "
      "COALESCE((SELECT sum(qty) FROM demo_orders WHERE partner_id = ?1 AND seq > ?2 AND "
      "status IN ('open', 'ordered', 'confirmed', 'shipped')), 0)",
      partner_id, covered_through));
}

Status ActivityStore::ApplyOrderState(const OrderStateUpdate& u) {
  return m_db.Run("UPDATE demo_orders SET status = ?, state_at = ?, note = ?, serial = ?, asset_tag = ? WHERE seq = ?",
                  u.state, u.at, u.note, u.serial, u.asset_tag, u.seq);
}

Status ActivityStore::ReplaceChannelOrders(const std::vector<ChannelOrderCount>& counts) {
  KIOSK_TRY(m_db.Run("DELETE FROM channel_orders"));
  for (const ChannelOrderCount& c : counts)
    KIOSK_TRY(m_db.Run("INSERT OR REPLACE INTO channel_orders (partner_id, gtin, units) VALUES (?, ?, ?)", c.partner_id,
                       c.gtin, c.units));
  return {};
}

Result<std::vector<DemoOrderListRow>> ActivityStore::ListOrders(const std::string& partner_id, int limit) {
  std::vector<DemoOrderListRow> out;
  auto s = m_db.Each("SELECT o.seq, o.partner_id, o.gtin, COALESCE(m.name, ''), o.qty, o.status, o.created, o.state_at, "
                     "o.note, o.serial, o.asset_tag FROM demo_orders o LEFT JOIN models m ON m.gtin = o.gtin "
                     "WHERE ?1 = '' OR o.partner_id = ?1 ORDER BY o.seq DESC LIMIT ?2",
                     [&](Statement& r) {
                       out.push_back(DemoOrderListRow{r.Int(0), r.Text(1), r.Text(2), r.Text(3),
                                                      static_cast<int>(r.Int(4)), r.Text(5), r.Text(6), r.Text(7),
                                                      r.Text(8), r.Text(9), r.Text(10)});
                     },
                     partner_id, int64_t{limit});
  if (!s.ok()) return s.error();
  return out;
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

Result<std::optional<RewardAllocation>> ActivityStore::FindAllocation(const std::string& reward_id) {
  std::optional<RewardAllocation> out;
  auto s = m_db.Each("SELECT reward_id, allocated, used, basis FROM reward_allocations WHERE reward_id = ?",
                     [&](Statement& r) { out = RewardAllocation{r.Text(0), r.Int(1), r.Int(2), r.Text(3)}; }, reward_id);
  if (!s.ok()) return s.error();
  return out;
}

Status ActivityStore::ReplaceAllocations(const std::vector<RewardAllocation>& allocations) {
  KIOSK_TRY(m_db.Run("DELETE FROM reward_allocations"));
  for (const RewardAllocation& a : allocations)
    KIOSK_TRY(m_db.Run("INSERT OR REPLACE INTO reward_allocations (reward_id, allocated, used, basis) VALUES (?, ?, ?, ?)",
                       a.reward_id, a.allocated, a.used, a.basis));
  return {};
}

Result<int64_t> ActivityStore::RedeemedUnits(const std::string& reward_id, int64_t after_seq) {
  return Sum(m_db.ScalarInt("SELECT COALESCE(sum(qty), 0) FROM redemptions WHERE reward_id = ? AND seq > ?", reward_id,
                            after_seq));
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
  return m_db.Run("INSERT INTO deals (seq, partner_id, customer, product, value, close_date, registered_at) "
                  "VALUES (?,?,?,?,?,?,?)",
                  d.seq, d.partner_id, d.customer, d.product, d.value_eur, d.close_date, d.registered_at);
}

Status ActivityStore::DecideDeal(int64_t seq, const std::string& status, const std::string& decided_at) {
  return m_db.Run("UPDATE deals SET status = ?, decided_at = ? WHERE seq = ?", status, decided_at, seq);
}

Status ActivityStore::DecideDeal(const DealDecisionRow& d) {
  return m_db.Run("UPDATE deals SET status = ?, decided_at = ?, message = ?, reason = ? WHERE seq = ?", d.status,
                  d.decided_at, d.message, d.reason, d.seq);
}

Result<std::vector<DealRow>> ActivityStore::ListDeals(const std::string& partner_id, int limit) {
  std::vector<DealRow> out;
  KIOSK_TRY(m_db.Each("SELECT seq, partner_id, customer, product, value, close_date, registered_at, status, "
                      "decided_at, message, reason FROM deals WHERE (? = '' OR partner_id = ?) "
                      "ORDER BY seq DESC LIMIT ?",
                      [&](Statement& r) {
                        out.push_back(DealRow{.seq = r.Int(0),
                                              .partner_id = r.Text(1),
                                              .customer = r.Text(2),
                                              .product = r.Text(3),
                                              .value_eur = r.Real(4),
                                              .close_date = r.Text(5),
                                              .registered_at = r.Text(6),
                                              .status = r.Text(7),
                                              .decided_at = r.Text(8),
                                              .message = r.Text(9),
                                              .reason = r.Text(10)});
                      },
                      partner_id, partner_id, static_cast<int64_t>(limit)));
  return out;
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
