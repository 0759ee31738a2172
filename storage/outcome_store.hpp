#pragma once
// OutcomeStore: what the central decided about a partner's business at this kiosk, source by
// source (verdicts on redemptions and sell-outs, deal decisions, demo orders that moved), and
// which of those the partner's page has already shown (`outcomes_shown`, local state, not
// journaled). Each source is one query: a row carries the stamp it has now and the stamp it had
// when it was last shown ("" never), so "not shown yet" is stamp != shown_stamp. Same thread as
// the Db it is given (the Kiosk's).
//
// CustodyConflictStore: the central's custody conflicts concerning this kiosk's units, as the
// reference pull or the stick brings them (kiosk/core/reference.hpp: CustodyConflict).
#include <cstdint>
#include <string>
#include <vector>

#include "kiosk/core/reference.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::storage {

class Db;

// What every source row has: its key in `outcomes_shown` and its stamps.
struct OutcomeKey {
  std::string source;       // "verdict", "deal", "order" (a new source picks its own name)
  std::string ref;          // the source's key: the journal seq of the event the outcome is about
  std::string stamp;        // what the outcome is now ("adjusted:loyalty.partly_honoured", "shipped")
  std::string shown_stamp;  // what it was when last shown; "" never shown
  bool Shown() const { return !shown_stamp.empty() && shown_stamp == stamp; }
};

// The central's verdict on one of the partner's redemptions here.
struct RedemptionOutcomeRow {
  OutcomeKey key;
  int64_t seq = 0;
  std::string verdict, code, message, detail;  // detail: JSON (requested_points, honoured_points, ...)
  std::string received_at;                     // UTC
  std::string reward_id, reward_name;          // name "" when the reward is no longer in the catalogue
  int64_t qty = 0, points = 0;                 // as redeemed here
};

// The central's verdict on one of the partner's sell-out reports here.
struct SelloutOutcomeRow {
  OutcomeKey key;
  int64_t seq = 0;
  std::string verdict, code, message, detail;  // detail: JSON (duplicates: [...])
  std::string received_at;
  int64_t units = 0;  // units in the report
};

// A deal of the partner's, registered here, that the vendor decided.
struct DealOutcomeRow {
  OutcomeKey key;
  int64_t seq = 0;
  std::string customer, product;
  double value_eur = 0;
  std::string status;      // approved | rejected
  std::string decided_at;  // UTC
  std::string reason, message;
};

// A demo order of the partner's, logged here, that the central moved past "ordered".
struct OrderOutcomeRow {
  OutcomeKey key;
  int64_t seq = 0;
  std::string gtin, model;  // model: the catalogue's name, "" if unknown
  int64_t qty = 0;
  std::string state;     // confirmed | shipped | delivered | cancelled | rejected
  std::string state_at;  // central UTC of the move
  std::string note, asset_tag;
};

// Points the central credited for one of the partner's sell-out reports here (all its models).
struct CreditOutcomeRow {
  OutcomeKey key;
  int64_t seq = 0;  // the sellout.reported event
  int64_t units = 0, points = 0;
  std::string credited_at;  // central UTC
};

class OutcomeStore {
 public:
  explicit OutcomeStore(Db& db) : m_db(db) {}

  // Each: the partner's outcomes of that source, oldest first; only those not shown yet unless
  // `all`.
  Result<std::vector<RedemptionOutcomeRow>> Redemptions(const std::string& partner_id, bool all);
  Result<std::vector<SelloutOutcomeRow>> Sellouts(const std::string& partner_id, bool all);
  Result<std::vector<DealOutcomeRow>> Deals(const std::string& partner_id, bool all);
  Result<std::vector<OrderOutcomeRow>> Orders(const std::string& partner_id, bool all);
  Result<std::vector<CreditOutcomeRow>> Credits(const std::string& partner_id, bool all);

  // Records these outcomes as shown with their current stamps (at: UTC).
  Status MarkShown(const std::vector<OutcomeKey>& keys, const std::string& at);

 private:
  Db& m_db;
};

class CustodyConflictStore {
 public:
  explicit CustodyConflictStore(Db& db) : m_db(db) {}

  // A full snapshot's list replaces every row (`replace`); a delta's rows are upserted.
  Status Apply(const std::vector<CustodyConflict>& conflicts, bool replace);
  // The open conflicts over one unit, oldest claim first.
  Result<std::vector<CustodyConflict>> OpenFor(const std::string& asset_tag);
  // Every conflict known here, open ones first, then by claim time (`kiosk conflicts`, tests).
  Result<std::vector<CustodyConflict>> List();

 private:
  Db& m_db;
};

}  // namespace kiosk::storage
