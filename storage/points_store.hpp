#pragma once
// Points from sell-outs at this kiosk (issue 17): the central's credits for this kiosk's sell-out
// reports as the reference data brings them (table points_credits, one row per model of a report,
// keyed by the report's seq and the GTIN), and the sell-outs the balance does not cover yet, which
// the kiosk estimates the pending points from (kiosk/core/rules/earning.hpp).
// Owned by whoever holds the Db (the Kiosk services); same thread as that Db.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kiosk/core/reference.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

// A credit as this kiosk keeps it.
struct PointsCreditRow {
  PointsCredit credit;
  std::string received_at;  // UTC, when it reached this kiosk
  // Whether staff saw it is in outcomes_shown (outcome_store.hpp), as for every outcome.
};

// The units of a partner's sell-outs of one model.
struct SoldUnits {
  std::string gtin;
  int64_t units = 0;
};

class PointsStore {
 public:
  explicit PointsStore(Db& db) : m_db(db) {}

  // A credit from the central; the same credit again (a full pull, a stick after a sync) changes
  // nothing but its figures, never when it was received or shown.
  Status Apply(const PointsCredit& credit, const std::string& received_at);
  // The partner's credits, newest report first, at most `limit`.
  Result<std::vector<PointsCreditRow>> ForPartner(const std::string& partner_id, int limit);
  // Every point credited to the partner for this kiosk's reports.
  Result<int64_t> CreditedTotal(const std::string& partner_id);
  // The partner's sold units reported after `after_seq` (those the balance does not cover yet),
  // per model.
  Result<std::vector<SoldUnits>> SoldAfter(const std::string& partner_id, int64_t after_seq);

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
