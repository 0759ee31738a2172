// BatchFacts: a batch's rows in memory while its rules run (store.hpp).
#include "central/store.hpp"

namespace kiosk::central {

std::string AsciiLower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Result<std::optional<RefRecord>> BatchFacts::GetRef(const std::string& list, const std::string& key) {
  if (auto it = m_refs.find({list, key}); it != m_refs.end()) return it->second;
  auto r = m_fallback.GetRef(list, key);
  if (r.ok()) m_refs[{list, key}] = *r;
  return r;
}

Status BatchFacts::PutRef(const RefRecord& r) {
  m_refs[{r.list, r.key}] = r;
  refs_written[{r.list, r.key}] = r;
  return {};
}

Result<std::optional<CustodyRecord>> BatchFacts::GetCustody(const std::string& asset_tag) {
  if (auto it = m_custody.find(asset_tag); it != m_custody.end()) return it->second;
  auto c = m_fallback.GetCustody(asset_tag);
  if (c.ok()) m_custody[asset_tag] = *c;
  return c;
}

Status BatchFacts::PutCustody(const CustodyRecord& c) {
  m_custody[c.asset_tag] = c;
  custody_written[c.asset_tag] = c;
  return {};
}

Result<std::optional<SelloutRecord>> BatchFacts::ClaimSellout(const SelloutRecord& s) {
  auto it = m_sold.find({s.gtin, s.serial});
  if (it == m_sold.end()) {
    // Not named by the keys: the store answers, and the claim is written with the batch.
    return MakeError(ErrorKind::Integrity, "central.unnamed_unit",
                     "The central's rules reached a unit its batch did not name (GTIN " + s.gtin + ", serial " +
                         s.serial + "); nothing was stored. This is a bug in kiosk-central.");
  }
  if (it->second) return it->second;
  it->second = s;
  sellouts.push_back(s);
  return std::optional<SelloutRecord>();
}

Status BatchFacts::PutRedemption(const std::string& kiosk_id, int64_t seq, const std::string& partner_id,
                                 const std::string& reward_id, int64_t requested, int64_t honoured,
                                 const std::string& at) {
  redemptions.push_back({kiosk_id, seq, partner_id, reward_id, requested, honoured, at});
  return {};
}

Result<std::optional<DealRecord>> BatchFacts::FindApprovedDeal(const std::string& customer,
                                                               const std::string& product) {
  const std::pair<std::string, std::string> key{AsciiLower(customer), AsciiLower(product)};
  if (auto it = m_approved.find(key); it != m_approved.end()) return it->second;
  auto d = m_fallback.FindApprovedDeal(customer, product);
  if (d.ok()) m_approved[key] = *d;
  return d;
}

Status BatchFacts::PutDeal(const DealRecord& d) {
  deals.push_back(d);
  if (d.status == "approved") m_approved[{AsciiLower(d.customer), AsciiLower(d.product)}] = d;
  return {};
}

Status BatchFacts::AddFlag(const FlagRecord& f) {
  flags.push_back(f);
  return {};
}

Status BatchFacts::PutCredit(const CreditRecord& c) {
  credits.push_back(c);
  return {};
}

Result<int64_t> BatchFacts::OpenOrderUnits(const std::string& partner_id, const std::string& gtin) {
  auto it = m_open_orders.find(partner_id);
  if (it == m_open_orders.end()) {
    // Not loaded with the batch: count at the store, then keep counting here.
    auto n = m_fallback.OpenOrderUnits(partner_id, gtin);
    if (!n.ok()) return n.error();
    m_open_orders[partner_id][gtin] = *n;
    return *n;
  }
  auto g = it->second.find(gtin);
  return g == it->second.end() ? int64_t{0} : g->second;
}

Status BatchFacts::PutOrder(const OrderRecord& o) {
  if (o.state == "ordered" || o.state == "confirmed" || o.state == "shipped") {
    auto n = OpenOrderUnits(o.partner_id, o.gtin);  // loads the count first when it is not known
    if (!n.ok()) return n.error();
    m_open_orders[o.partner_id][o.gtin] = *n + o.qty;
  }
  orders.push_back(o);
  return {};
}

Status BatchFacts::AddCustodyConflict(const ConflictRecord& c) {
  conflicts.push_back(c);
  return {};
}

Status BatchFacts::ResolveCustodyConflicts(const ConflictResolution& r) {
  // This batch's own conflicts over the unit, in memory; the stored ones by SaveBatch.
  for (ConflictRecord& c : conflicts)
    if (c.conflict.asset_tag == r.asset_tag && c.conflict.resolved_at.empty()) {
      c.conflict.resolved_at = r.resolved_at;
      c.resolved_by = r.resolved_by;
    }
  resolutions.push_back(r);
  return {};
}

Result<std::optional<RewardStockRecord>> BatchFacts::GetRewardStock(const std::string& reward_id,
                                                                    const std::string& kiosk_id) {
  if (auto it = m_stock.find({reward_id, kiosk_id}); it != m_stock.end()) return it->second;
  // Not named by the keys: read (unlocked) and kept, so the batch's next redemption sees its own writes.
  auto s = m_fallback.GetRewardStock(reward_id, kiosk_id);
  if (s.ok()) m_stock[{reward_id, kiosk_id}] = *s;
  return s;
}

Status BatchFacts::PutRewardStock(const RewardStockRecord& s) {
  m_stock[{s.reward_id, s.kiosk_id}] = s;
  stock_written[{s.reward_id, s.kiosk_id}] = s;
  return {};
}

void BatchFacts::SetVersion(int64_t version) {
  for (auto& [key, s] : stock_written) s.version = version;
  for (auto& [key, r] : refs_written) r.version = version;
  for (DealRecord& d : deals) d.version = version;
  for (OrderRecord& o : orders) o.version = version;
  for (ConflictRecord& c : conflicts) c.version = version;
  for (ConflictResolution& r : resolutions) r.version = version;
  for (CreditRecord& c : credits) c.version = version;
}

}  // namespace kiosk::central
