#pragma once
// What this kiosk itself does, as state beside its journal: device custody (checkouts, returns,
// stocktakes) and each unit's history, demo orders, redemptions (with the reward stock they take),
// sell-outs and deals. Every write runs inside the action's transaction, keyed by its journal
// event's seq (kiosk/services: Impl::Act), so the row and the event stand or fall together.
// Owned by whoever holds the Db (the Kiosk services); same thread as that Db.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/reference.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

// A journal event that touched a unit, newest first in DeviceHistory.
struct DeviceHistoryRow {
  int64_t seq = 0;
  std::string type;
  std::string wall_time;  // UTC
  std::string actor;      // badge code
  std::string payload;    // the event's JSON payload
};

// Points this kiosk holds back for redemptions the reference data does not account for yet.
struct HeldPoints {
  int64_t points = 0;
  int64_t redemptions = 0;
};

struct DemoOrderRow {
  int64_t seq = 0;  // the demo.ordered event
  std::string partner_id;
  std::string gtin;
  int qty = 0;
  std::string created;  // UTC
};

// A demo order as `kiosk orders` and the partner's page list it.
struct DemoOrderListRow {
  int64_t seq = 0;
  std::string partner_id, gtin, model;  // model: its name ("" when not in the reference data)
  int qty = 0;
  std::string status;  // "open" (no word from the central yet) or the central's state
  std::string created, state_at;  // UTC
  std::string note, serial, asset_tag;
};

struct RedemptionRow {
  int64_t seq = 0;  // the loyalty.redeemed event
  std::string partner_id;
  std::string reward_id;
  int qty = 0;
  int64_t points = 0;  // the whole cost
  std::string created;  // UTC
};

struct SelloutRow {
  std::string gtin;
  std::string serial;
  std::string partner_id;
  int64_t seq = 0;  // the sellout.reported event
};

struct DealRow {
  int64_t seq = 0;  // the deal.registered event
  std::string partner_id;
  std::string customer;
  std::string product;
  double value_eur = 0;    // expected value, EUR
  std::string close_date;  // YYYY-MM-DD
  std::string registered_at;  // the event's wall_time (UTC)
  // As the central decided it (read back by ListDeals; AddDeal stores a pending deal):
  std::string status = "pending";  // pending | approved | rejected
  std::string decided_at;          // the central's time of the decision ("" while pending)
  std::string message;             // the central's words on the state
  std::string reason;              // the vendor's reason (a rejection) or note (an approval)
};

// The central's decision on a deal, as the reference data brings it.
struct DealDecisionRow {
  int64_t seq = 0;
  std::string status;      // pending | approved | rejected
  std::string decided_at;  // UTC
  std::string message;
  std::string reason;
};

class ActivityStore {
 public:
  explicit ActivityStore(Db& db) : m_db(db) {}

  // ---- Device custody ----
  // Only a unit that is still available changes; one taken meanwhile is left as it is.
  Status MarkCheckedOut(const std::string& asset_tag, const std::string& custodian, const std::string& due_date,
                        const std::string& purpose);
  // Back in the showroom (or to repair): custody, due date and purpose cleared.
  Status MarkReturned(const std::string& asset_tag, DeviceState state_after);
  Status MarkAudited(const std::string& asset_tag, const std::string& at_utc);
  // Links the event at seq to the unit's history (once: linking again is a no-op).
  Status LinkDeviceEvent(const std::string& asset_tag, int64_t seq);
  // The unit's latest events, newest first; pruned events are gone from it.
  Result<std::vector<DeviceHistoryRow>> DeviceHistory(const std::string& asset_tag, int limit);
  // Checked-out units due before today (YYYY-MM-DD), the longest overdue first.
  Result<std::vector<std::string>> OverdueTags(const std::string& today);
  Result<int> CountCheckedOut();
  Result<int> CountOverdue(const std::string& today);

  // ---- Demo orders ----
  // Units on the partner's open demo orders, of one model or of all models: the central's count
  // over the whole channel (channel_orders, which includes this kiosk's orders through
  // `covered_through`), plus this kiosk's own open orders after that seq (issue 17).
  Result<int64_t> OpenOrderUnits(const std::string& partner_id, const std::string& gtin, int64_t covered_through = 0);
  Result<int64_t> OpenOrderUnits(const std::string& partner_id, int64_t covered_through = 0);
  Status AddDemoOrder(const DemoOrderRow& order);
  // The central moved one of this kiosk's orders (an unknown seq changes nothing).
  Status ApplyOrderState(const OrderStateUpdate& update);
  // The central's new count of the channel's open orders, replacing the last one.
  Status ReplaceChannelOrders(const std::vector<ChannelOrderCount>& counts);
  // This kiosk's demo orders, newest first ("" = every partner), with the model's name.
  Result<std::vector<DemoOrderListRow>> ListOrders(const std::string& partner_id, int limit);

  // ---- Redemptions ----
  // The partner's redemptions logged after after_seq (those the balance does not cover yet).
  Result<HeldPoints> HeldFor(const std::string& partner_id, int64_t after_seq);
  // All partners' points redeemed after after_seq (the kiosk's offline cap).
  Result<int64_t> HeldByKiosk(int64_t after_seq);
  // Logs the redemption and takes its units from the reward's stock.
  Status AddRedemption(const RedemptionRow& redemption);
  // Shared reward stock (issue 17): the central's allocation of a reward to this kiosk (nullopt:
  // none, the reward's own stock counts), the central's new list replacing the last one, and the
  // units of a reward this kiosk redeemed after after_seq.
  Result<std::optional<RewardAllocation>> FindAllocation(const std::string& reward_id);
  Status ReplaceAllocations(const std::vector<RewardAllocation>& allocations);
  Result<int64_t> RedeemedUnits(const std::string& reward_id, int64_t after_seq);

  // ---- Sell-out ----
  // The seq of the event that reported this unit sold; nullopt when none did.
  Result<std::optional<int64_t>> SelloutSeq(const std::string& gtin, const std::string& serial);
  Status AddSellout(const SelloutRow& sellout);

  // ---- Deals ----
  Status AddDeal(const DealRow& deal);
  // The vendor's decision, as the reference data brings it ("approved", "rejected", ...).
  Status DecideDeal(int64_t seq, const std::string& status, const std::string& decided_at);
  Status DecideDeal(const DealDecisionRow& decision);
  // The showroom's deals, newest first: of one partner ("" = all), at most `limit`.
  Result<std::vector<DealRow>> ListDeals(const std::string& partner_id, int limit);

  // ---- Recovery ----
  // The rows keyed by the event at old_seq (its order, redemption, sell-outs, deal, device
  // history links) move to new_seq: kiosk recover logs that event again under a new seq. Inside
  // the caller's transaction; no row may be keyed by new_seq yet.
  Status MoveSeq(int64_t old_seq, int64_t new_seq);
  // A sell-out taken back from the central's journal: kept unless this kiosk has the unit already.
  Status AddSelloutUnlessReported(const SelloutRow& sellout);

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
