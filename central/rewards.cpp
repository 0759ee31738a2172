// Shared reward stock at the central (issue 17): the channel's stock of each reward, the kiosks'
// allocations of it, and what a kiosk's reference document says it may hand out. The redemption
// rule that takes units from it is in rules.cpp (Redeemed).
//
// Default policy: a kiosk without an allocation of its own may hand out an even share, rounded
// down, of the stock no kiosk holds (shared among the enrolled kiosks without an allocation of that
// reward). The shares are an offline estimate, not a reservation: the central honours them from the
// unallocated stock when the redemptions arrive, and adjusts or rejects what it no longer holds.
#include <algorithm>
#include <map>
#include <set>

#include "central/central.hpp"
#include "central/central_parts.hpp"

namespace kiosk::central {

using nlohmann::json;

namespace detail {

Status ForEachKioskAllocation(CentralStore& store, const std::string& kiosk_id,
                              const std::function<void(const std::string&, int64_t, int64_t, const char*)>& fn) {
  auto kiosks = store.ListKiosks();
  if (!kiosks.ok()) return kiosks.error();
  std::set<std::string> enrolled;
  for (const KioskRecord& k : *kiosks) enrolled.insert(k.kiosk_id);
  std::map<std::string, int64_t> with_allocation;  // reward -> enrolled kiosks with one
  std::map<std::string, RewardAllocationRecord> own;
  KIOSK_TRY(store.ForEachAllocation("", "", [&](const RewardAllocationRecord& a) {
    if (enrolled.count(a.kiosk_id)) ++with_allocation[a.reward_id];
    if (a.kiosk_id == kiosk_id) own[a.reward_id] = a;
  }));
  return store.ForEachRewardStock([&](const RewardStockSummary& s) {
    if (auto it = own.find(s.reward_id); it != own.end()) {
      fn(s.reward_id, it->second.allocated, it->second.used, "allocation");
      return;
    }
    const int64_t unallocated = std::max<int64_t>(0, s.stock - s.reserved);
    const int64_t sharing = std::max<int64_t>(
        1, static_cast<int64_t>(enrolled.size()) - with_allocation[s.reward_id] + (enrolled.count(kiosk_id) ? 0 : 1));
    fn(s.reward_id, unallocated / sharing, 0, "share");
  });
}

}  // namespace detail

namespace {

Result<std::optional<RewardStockSummary>> SummaryOf(CentralStore& store, const std::string& reward_id) {
  std::optional<RewardStockSummary> out;
  KIOSK_TRY(store.ForEachRewardStock([&](const RewardStockSummary& s) {
    if (s.reward_id == reward_id) out = s;
  }));
  return out;
}

Status RequireReward(CentralStore& store, const std::string& reward_id) {
  auto r = store.GetRef("rewards", reward_id);
  if (!r.ok()) return r.error();
  if (!*r || (*r)->deleted)
    return MakeError(ErrorKind::NotFound, "reward.unknown",
                     "The central's reference data has no reward " + reward_id +
                         " (load it with `kiosk-central load-reference`); nothing was changed.",
                     {{"reward", reward_id}});
  return {};
}

}  // namespace

Result<std::vector<RewardStockSummary>> Central::RewardStock() {
  std::lock_guard lock(m_mu);
  std::vector<RewardStockSummary> out;
  KIOSK_TRY(m_store.ForEachRewardStock([&](const RewardStockSummary& s) { out.push_back(s); }));
  return out;
}

Result<std::vector<RewardAllocationRecord>> Central::RewardAllocations(const std::string& reward_id,
                                                                      const std::string& kiosk_id) {
  std::lock_guard lock(m_mu);
  std::vector<RewardAllocationRecord> out;
  KIOSK_TRY(m_store.ForEachAllocation(reward_id, kiosk_id, [&](const RewardAllocationRecord& a) { out.push_back(a); }));
  return out;
}

Result<RewardStockSummary> Central::SetRewardStock(const std::string& reward_id, int64_t units, bool add) {
  if (!add && units < 0)
    return MakeError(ErrorKind::Usage, "reward.stock_negative", "A stock is 0 or more units.");
  std::lock_guard lock(m_mu);
  return RetryConflicts([&]() -> Result<RewardStockSummary> {
    StoreTransaction tx(m_store);
    KIOSK_TRY(tx.Begin());
    KIOSK_TRY(RequireReward(m_store, reward_id));
    auto cur = m_store.LockRewardStock(reward_id, "");
    if (!cur.ok()) return cur.error();
    const int64_t before = *cur ? (*cur)->stock : 0;
    const int64_t reserved = *cur ? (*cur)->reserved : 0;
    const int64_t after = add ? before + units : units;
    if (after < 0)
      return MakeError(ErrorKind::Usage, "reward.stock_negative",
                       "The central holds " + std::to_string(before) + " of " + reward_id + "; it can't take away " +
                           std::to_string(-units) + ". Nothing was changed.",
                       {{"reward", reward_id}, {"stock", std::to_string(before)}});
    if (after < reserved)
      return MakeError(ErrorKind::Refused, "reward.stock_allocated",
                       std::to_string(reserved) + " units of " + reward_id +
                           " are allocated to kiosks and not used yet, so the stock can't go below that (asked: " +
                           std::to_string(after) + "). Lower the kiosks' allocations first (`kiosk-central rewards "
                           "allocate " + reward_id + " --kiosk ID --units N`). Nothing was changed.",
                       {{"reward", reward_id}, {"reserved", std::to_string(reserved)}});
    auto version = m_store.TakeReferenceVersion();
    if (!version.ok()) return version.error();
    RewardStockRecord st;
    st.reward_id = reward_id;
    st.stock = after;
    st.version = *version;
    KIOSK_TRY(m_store.PutRewardStock(st));
    KIOSK_TRY(m_store.SetMeta("stock_version", std::to_string(*version)));
    auto summary = SummaryOf(m_store, reward_id);
    if (!summary.ok()) return summary.error();
    KIOSK_TRY(tx.Commit());
    return summary->value_or(RewardStockSummary{reward_id, after, 0, 0, 0, 0, *version});
  });
}

Result<RewardAllocationRecord> Central::Allocate(const std::string& reward_id, const std::string& kiosk_id,
                                                 int64_t units, bool add, bool clear) {
  if (!clear && units < 0)
    return MakeError(ErrorKind::Usage, "reward.units", "Allocate 0 or more units (--units N, or --add N).");
  std::lock_guard lock(m_mu);
  return RetryConflicts([&]() -> Result<RewardAllocationRecord> {
    StoreTransaction tx(m_store);
    KIOSK_TRY(tx.Begin());
    KIOSK_TRY(RequireReward(m_store, reward_id));
    auto kiosk = m_store.GetKiosk(kiosk_id);
    if (!kiosk.ok()) return kiosk.error();
    if (!*kiosk)
      return MakeError(ErrorKind::NotFound, "kiosk.unknown",
                       "No kiosk " + kiosk_id + " is enrolled at this central (`kiosk-central kiosks` lists them); "
                       "nothing was changed.",
                       {{"kiosk", kiosk_id}});
    auto cur = m_store.LockRewardStock(reward_id, kiosk_id);
    if (!cur.ok()) return cur.error();
    if (!*cur)
      return MakeError(ErrorKind::Refused, "reward.no_stock",
                       "The central holds no stock of " + reward_id + " yet: set it first (`kiosk-central rewards "
                       "stock " + reward_id + " --set N`). Nothing was changed.",
                       {{"reward", reward_id}});
    RewardStockRecord st = **cur;
    auto version = m_store.TakeReferenceVersion();
    if (!version.ok()) return version.error();
    st.version = *version;
    if (clear) {
      KIOSK_TRY(m_store.DeleteAllocation(reward_id, kiosk_id));
      KIOSK_TRY(m_store.SetMeta("stock_version", std::to_string(*version)));
      KIOSK_TRY(tx.Commit());
      return RewardAllocationRecord{reward_id, kiosk_id, 0, 0, *version};
    }
    const int64_t old_units = st.has_allocation ? st.allocated : 0;
    const int64_t used = st.has_allocation ? st.used : 0;
    const int64_t new_units = add ? old_units + units : units;
    const int64_t extra = std::max<int64_t>(0, new_units - used) - std::max<int64_t>(0, old_units - used);
    const int64_t unallocated = std::max<int64_t>(0, st.stock - st.reserved);
    if (extra > unallocated)
      return MakeError(ErrorKind::Refused, "reward.stock_unallocated",
                       "Only " + std::to_string(unallocated) + " units of " + reward_id +
                           " are not allocated (stock " + std::to_string(st.stock) + ", of which " +
                           std::to_string(st.reserved) + " allocated to kiosks and not used): " + kiosk_id +
                           " can have at most " + std::to_string(old_units + unallocated) +
                           " in all. Raise the stock first (`kiosk-central rewards stock " + reward_id +
                           " --add N`). Nothing was changed.",
                       {{"reward", reward_id}, {"unallocated", std::to_string(unallocated)}});
    st.has_allocation = true;
    st.allocated = new_units;
    st.used = used;
    KIOSK_TRY(m_store.PutRewardStock(st));
    KIOSK_TRY(m_store.SetMeta("stock_version", std::to_string(*version)));
    KIOSK_TRY(tx.Commit());
    return RewardAllocationRecord{reward_id, kiosk_id, new_units, used, *version};
  });
}

}  // namespace kiosk::central
