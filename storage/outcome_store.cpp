#include "storage/outcome_store.hpp"

#include "storage/db.hpp"

namespace kiosk::storage {

namespace {

// The join to `outcomes_shown` each source query shares: `ref` is the row's key as text, `stamp`
// its current stamp, both SQL expressions over the source's own alias.
std::string ShownJoin(const char* source, const char* ref) {
  return std::string(" LEFT JOIN outcomes_shown s ON s.source = '") + source + "' AND s.ref = CAST(" + ref +
         " AS TEXT) ";
}
std::string UnshownOnly(bool all, const char* stamp) {
  return all ? "" : std::string(" AND (s.stamp IS NULL OR s.stamp <> ") + stamp + ")";
}

OutcomeKey KeyOf(const char* source, int64_t seq, std::string stamp, const Statement& r, int shown_col) {
  return OutcomeKey{source, std::to_string(seq), std::move(stamp), r.IsNull(shown_col) ? "" : r.Text(shown_col)};
}

}  // namespace

Result<std::vector<RedemptionOutcomeRow>> OutcomeStore::Redemptions(const std::string& partner_id, bool all) {
  std::vector<RedemptionOutcomeRow> rows;
  const char* stamp = "v.verdict || ':' || v.code";
  const std::string sql =
      std::string("SELECT v.seq, v.verdict, v.code, v.message, v.detail, v.received_at, r.reward_id, "
                  "COALESCE(w.name, ''), r.qty, r.points, s.stamp FROM verdicts v JOIN redemptions r ON r.seq = v.seq "
                  "LEFT JOIN rewards w ON w.id = r.reward_id") +
      ShownJoin("verdict", "v.seq") + "WHERE r.partner_id = ? AND v.verdict <> 'accepted'" + UnshownOnly(all, stamp) +
      " ORDER BY v.seq";
  auto s = m_db.Each(sql, [&](Statement& r) {
    RedemptionOutcomeRow o;
    o.seq = r.Int(0);
    o.verdict = r.Text(1);
    o.code = r.Text(2);
    o.message = r.Text(3);
    o.detail = r.Text(4);
    o.received_at = r.Text(5);
    o.reward_id = r.Text(6);
    o.reward_name = r.Text(7);
    o.qty = r.Int(8);
    o.points = r.Int(9);
    o.key = KeyOf("verdict", o.seq, o.verdict + ":" + o.code, r, 10);
    rows.push_back(std::move(o));
  }, partner_id);
  if (!s.ok()) return s.error();
  return rows;
}

Result<std::vector<SelloutOutcomeRow>> OutcomeStore::Sellouts(const std::string& partner_id, bool all) {
  std::vector<SelloutOutcomeRow> rows;
  const char* stamp = "v.verdict || ':' || v.code";
  const std::string sql =
      std::string("SELECT v.seq, v.verdict, v.code, v.message, v.detail, v.received_at, "
                  "(SELECT count(*) FROM sellouts u WHERE u.seq = v.seq), s.stamp FROM verdicts v") +
      ShownJoin("verdict", "v.seq") +
      "WHERE v.verdict <> 'accepted' AND EXISTS (SELECT 1 FROM sellouts u WHERE u.seq = v.seq AND u.partner_id = ?)" +
      UnshownOnly(all, stamp) + " ORDER BY v.seq";
  auto s = m_db.Each(sql, [&](Statement& r) {
    SelloutOutcomeRow o;
    o.seq = r.Int(0);
    o.verdict = r.Text(1);
    o.code = r.Text(2);
    o.message = r.Text(3);
    o.detail = r.Text(4);
    o.received_at = r.Text(5);
    o.units = r.Int(6);
    o.key = KeyOf("verdict", o.seq, o.verdict + ":" + o.code, r, 7);
    rows.push_back(std::move(o));
  }, partner_id);
  if (!s.ok()) return s.error();
  return rows;
}

Result<std::vector<DealOutcomeRow>> OutcomeStore::Deals(const std::string& partner_id, bool all) {
  std::vector<DealOutcomeRow> rows;
  const std::string sql =
      std::string("SELECT d.seq, d.customer, d.product, d.value, d.status, d.decided_at, d.reason, d.message, s.stamp "
                  "FROM deals d") +
      ShownJoin("deal", "d.seq") + "WHERE d.partner_id = ? AND d.status <> 'pending'" + UnshownOnly(all, "d.status") +
      " ORDER BY d.decided_at, d.seq";
  auto s = m_db.Each(sql, [&](Statement& r) {
    DealOutcomeRow o;
    o.seq = r.Int(0);
    o.customer = r.Text(1);
    o.product = r.Text(2);
    o.value_eur = r.Real(3);
    o.status = r.Text(4);
    o.decided_at = r.Text(5);
    o.reason = r.Text(6);
    o.message = r.Text(7);
    o.key = KeyOf("deal", o.seq, o.status, r, 8);
    rows.push_back(std::move(o));
  }, partner_id);
  if (!s.ok()) return s.error();
  return rows;
}

Result<std::vector<CreditOutcomeRow>> OutcomeStore::Credits(const std::string& partner_id, bool all) {
  std::vector<CreditOutcomeRow> rows;
  // One line per report: its models' credits (points_credits, storage/points_store.hpp) summed.
  const std::string sql =
      std::string("SELECT c.seq, c.units, c.points, c.credited_at, s.stamp FROM (SELECT seq, SUM(units) AS units, "
                  "SUM(points) AS points, MAX(credited_at) AS credited_at FROM points_credits WHERE partner_id = ? "
                  "GROUP BY seq) c") +
      ShownJoin("credit", "c.seq") + "WHERE c.points > 0" + UnshownOnly(all, "CAST(c.points AS TEXT)") +
      " ORDER BY c.credited_at, c.seq";
  auto s = m_db.Each(sql, [&](Statement& r) {
    CreditOutcomeRow o;
    o.seq = r.Int(0);
    o.units = r.Int(1);
    o.points = r.Int(2);
    o.credited_at = r.Text(3);
    o.key = KeyOf("credit", o.seq, std::to_string(o.points), r, 4);
    rows.push_back(std::move(o));
  }, partner_id);
  if (!s.ok()) return s.error();
  return rows;
}

Result<std::vector<OrderOutcomeRow>> OutcomeStore::Orders(const std::string& partner_id, bool all) {
  std::vector<OrderOutcomeRow> rows;
  const std::string sql =
      std::string("SELECT o.seq, o.gtin, COALESCE(m.name, ''), o.qty, o.status, o.state_at, o.note, o.asset_tag, "
                  "s.stamp FROM demo_orders o LEFT JOIN models m ON m.gtin = o.gtin") +
      ShownJoin("order", "o.seq") +
      "WHERE o.partner_id = ? AND o.status IN ('confirmed', 'shipped', 'delivered', 'cancelled', 'rejected')" +
      UnshownOnly(all, "o.status") + " ORDER BY o.state_at, o.seq";
  auto s = m_db.Each(sql, [&](Statement& r) {
    OrderOutcomeRow o;
    o.seq = r.Int(0);
    o.gtin = r.Text(1);
    o.model = r.Text(2);
    o.qty = r.Int(3);
    o.state = r.Text(4);
    o.state_at = r.Text(5);
    o.note = r.Text(6);
    o.asset_tag = r.Text(7);
    o.key = KeyOf("order", o.seq, o.state, r, 8);
    rows.push_back(std::move(o));
  }, partner_id);
  if (!s.ok()) return s.error();
  return rows;
}

Status OutcomeStore::MarkShown(const std::vector<OutcomeKey>& keys, const std::string& at) {
  for (const OutcomeKey& k : keys)
    KIOSK_TRY(m_db.Run("INSERT OR REPLACE INTO outcomes_shown (source, ref, stamp, shown_at) VALUES (?, ?, ?, ?)",
                       k.source, k.ref, k.stamp, at));
  return {};
}

namespace {

constexpr const char* kConflictColumns =
    "asset_tag, holder_kiosk, holder_rep, holder_since, claim_kiosk, claim_rep, claim_seq, claimed_at, resolved_at";

CustodyConflict ConflictOf(const Statement& r) {
  CustodyConflict c;
  c.asset_tag = r.Text(0);
  c.holder_kiosk = r.Text(1);
  c.holder_rep = r.Text(2);
  c.holder_since = r.Text(3);
  c.claim_kiosk = r.Text(4);
  c.claim_rep = r.Text(5);
  c.claim_seq = r.Int(6);
  c.claimed_at = r.Text(7);
  c.resolved_at = r.Text(8);
  return c;
}

}  // namespace

Status CustodyConflictStore::Apply(const std::vector<CustodyConflict>& conflicts, bool replace) {
  if (replace) KIOSK_TRY(m_db.Run("DELETE FROM custody_conflicts"));
  for (const CustodyConflict& c : conflicts)
    KIOSK_TRY(m_db.Run(std::string("INSERT OR REPLACE INTO custody_conflicts (") + kConflictColumns +
                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       c.asset_tag, c.holder_kiosk, c.holder_rep, c.holder_since, c.claim_kiosk, c.claim_rep,
                       c.claim_seq, c.claimed_at, c.resolved_at));
  return {};
}

Result<std::vector<CustodyConflict>> CustodyConflictStore::OpenFor(const std::string& asset_tag) {
  std::vector<CustodyConflict> out;
  auto s = m_db.Each(std::string("SELECT ") + kConflictColumns +
                         " FROM custody_conflicts WHERE asset_tag = ? AND resolved_at = '' ORDER BY claimed_at, claim_seq",
                     [&](Statement& r) { out.push_back(ConflictOf(r)); }, asset_tag);
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<CustodyConflict>> CustodyConflictStore::List() {
  std::vector<CustodyConflict> out;
  auto s = m_db.Each(std::string("SELECT ") + kConflictColumns +
                         " FROM custody_conflicts ORDER BY resolved_at <> '', claimed_at, asset_tag",
                     [&](Statement& r) { out.push_back(ConflictOf(r)); });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace kiosk::storage
