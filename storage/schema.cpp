#include "storage/schema.hpp"

namespace kiosk::storage {

const std::vector<Migration>& KioskMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
-- Journal: append-only, HMAC-chained. Rows are never updated; only events the central has
-- acknowledged may ever be pruned (retention).
CREATE TABLE journal (
  seq        INTEGER PRIMARY KEY,
  event_id   TEXT NOT NULL UNIQUE,
  kiosk_id   TEXT NOT NULL,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  actor      TEXT NOT NULL,
  wall_time  TEXT NOT NULL,
  mono_ms    INTEGER NOT NULL,
  boot_id    TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE TRIGGER journal_append_only BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_prune_acked_only BEFORE DELETE ON journal
WHEN OLD.seq > COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'acked_through'), 0)
BEGIN SELECT RAISE(ABORT, 'only events acknowledged by the central may be pruned'); END;

-- Key/value state of the sync client and the kiosk (acked_through, anchor, last_sync, ...).
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Central verdicts per event.
CREATE TABLE verdicts (
  seq         INTEGER PRIMARY KEY,
  event_id    TEXT NOT NULL,
  verdict     TEXT NOT NULL CHECK (verdict IN ('accepted', 'adjusted', 'rejected')),
  code        TEXT NOT NULL DEFAULT '',
  message     TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT '{}',
  received_at TEXT NOT NULL,
  shown       INTEGER NOT NULL DEFAULT 0
);
-- Local key/value state that is not part of sync (admin PIN lockout, ...).
CREATE TABLE local_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Reference data, as published by the central.
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE partners (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, region TEXT NOT NULL,
  tier TEXT NOT NULL, type TEXT NOT NULL, authorization TEXT NOT NULL, status TEXT NOT NULL,
  certified_sales INTEGER NOT NULL, certified_technical INTEGER NOT NULL,
  next_tier TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE cards (
  number TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
  status TEXT NOT NULL
);
CREATE INDEX cards_partner ON cards(partner_id);
CREATE TABLE badges (
  code TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
  pin_hash TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL
);
CREATE TABLE models (
  gtin TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
  quota_registered INTEGER NOT NULL, quota_silver INTEGER NOT NULL,
  quota_gold INTEGER NOT NULL, quota_platinum INTEGER NOT NULL, active INTEGER NOT NULL
);
CREATE TABLE devices (
  asset_tag TEXT PRIMARY KEY, gtin TEXT NOT NULL, serial TEXT NOT NULL, kit TEXT NOT NULL,
  state TEXT NOT NULL, custodian TEXT NOT NULL, due_date TEXT NOT NULL, purpose TEXT NOT NULL,
  location TEXT NOT NULL, last_audit TEXT NOT NULL DEFAULT '',
  UNIQUE (gtin, serial)
);
CREATE INDEX devices_kit ON devices(kit) WHERE kit <> '';
CREATE INDEX devices_due ON devices(due_date) WHERE state = 'checked_out';
CREATE TABLE rewards (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
  points INTEGER NOT NULL, stock INTEGER NOT NULL, active INTEGER NOT NULL
);
CREATE TABLE balances (
  partner_id TEXT PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
  available INTEGER NOT NULL, pending INTEGER NOT NULL
);

-- Local state derived from this kiosk's own actions (each row written in the same transaction
-- as its journal event, keyed by that event's seq).
CREATE TABLE demo_orders (
  seq INTEGER PRIMARY KEY, partner_id TEXT NOT NULL, gtin TEXT NOT NULL,
  qty INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open', created TEXT NOT NULL
);
CREATE INDEX demo_orders_open ON demo_orders(partner_id, gtin) WHERE status = 'open';
CREATE TABLE redemptions (
  seq INTEGER PRIMARY KEY, partner_id TEXT NOT NULL, reward_id TEXT NOT NULL,
  qty INTEGER NOT NULL, points INTEGER NOT NULL, created TEXT NOT NULL
);
CREATE INDEX redemptions_partner ON redemptions(partner_id, seq);
CREATE TABLE sellouts (
  gtin TEXT NOT NULL, serial TEXT NOT NULL, partner_id TEXT NOT NULL,
  seq INTEGER NOT NULL, PRIMARY KEY (gtin, serial)
);
CREATE TABLE deals (
  seq INTEGER PRIMARY KEY, partner_id TEXT NOT NULL, customer TEXT NOT NULL,
  product TEXT NOT NULL, value REAL NOT NULL, close_date TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', decided_at TEXT NOT NULL DEFAULT ''
);
-- Which journal events touched which device, for the device history screen.
CREATE TABLE device_events (
  asset_tag TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (asset_tag, seq)
) WITHOUT ROWID;
)sql"},
      {2, R"sql(
-- The open stocktake (storage/stocktake_store.hpp): at most one per kiosk (id is always 1), and
-- its scans, kept here as they are made so a restart or a power cut loses none. Work in
-- progress, not journaled: finishing it journals one stocktake.finished event and empties both.
CREATE TABLE stocktake_session (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  scope TEXT NOT NULL, started_by TEXT NOT NULL, started_at TEXT NOT NULL
);
CREATE TABLE stocktake_scans (
  asset_tag TEXT PRIMARY KEY, scanned_at TEXT NOT NULL, n INTEGER NOT NULL
);
)sql"},
      {3, R"sql(
-- Demo orders as the central moves them (issue 17): demo_orders.status is 'open' until the
-- central's word arrives, then its state (ordered, confirmed, shipped, delivered, cancelled,
-- rejected), with when, the last note and the delivered unit.
ALTER TABLE demo_orders ADD COLUMN state_at TEXT NOT NULL DEFAULT '';
ALTER TABLE demo_orders ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE demo_orders ADD COLUMN serial TEXT NOT NULL DEFAULT '';
ALTER TABLE demo_orders ADD COLUMN asset_tag TEXT NOT NULL DEFAULT '';
DROP INDEX demo_orders_open;
CREATE INDEX demo_orders_partner ON demo_orders(partner_id, gtin);
-- Every partner's open demo units per model over the whole channel, as the central last counted
-- them (replaced whole by each count): the quota estimate starts from it.
CREATE TABLE channel_orders (
  partner_id TEXT NOT NULL, gtin TEXT NOT NULL, units INTEGER NOT NULL, PRIMARY KEY (partner_id, gtin)
) WITHOUT ROWID;
)sql"},
      {4, R"sql(
-- Deals as the vendor decided them (kiosk/core/rules/deals.hpp): when the deal was registered
-- (the vendor's 2-business-day deadline counts from it), the central's words on the state and
-- the vendor's reason. Deals registered before: their registration time from the journal.
ALTER TABLE deals ADD COLUMN registered_at TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN message TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN reason TEXT NOT NULL DEFAULT '';
UPDATE deals SET registered_at = COALESCE((SELECT wall_time FROM journal WHERE journal.seq = deals.seq), '');
CREATE INDEX deals_partner ON deals(partner_id, seq);
)sql"},
      {5, R"sql(
-- Shared reward stock (issue 17): what this kiosk may hand out of each reward the central holds
-- stock for, as the central last said (replaced whole each time): its allocation and, of it, the
-- units the central honoured, through sync_state's reward_allocations_cover. A reward without a
-- row falls back on its own stock figure (reference data loaded from a file).
CREATE TABLE reward_allocations (
  reward_id TEXT PRIMARY KEY, allocated INTEGER NOT NULL, used INTEGER NOT NULL, basis TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX redemptions_reward ON redemptions(reward_id, seq);
)sql"},
      {6, R"sql(
-- Points from sell-outs (issue 17, kiosk/core/rules/earning.hpp). Each model's earning rule, as
-- the reference data gives it (0: none), and the points the central credited for this kiosk's
-- sell-out reports, one row per model of a report (storage/points_store.hpp). received_at is when
-- the credit reached this kiosk; shown is for the partner's "what changed" list (0 until shown).
ALTER TABLE models ADD COLUMN earn_points INTEGER NOT NULL DEFAULT 0;
CREATE TABLE points_credits (
  seq INTEGER NOT NULL, gtin TEXT NOT NULL, partner_id TEXT NOT NULL, model TEXT NOT NULL,
  units INTEGER NOT NULL, points INTEGER NOT NULL, credited_at TEXT NOT NULL,
  received_at TEXT NOT NULL, shown INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (seq, gtin)
) WITHOUT ROWID;
CREATE INDEX points_credits_partner ON points_credits(partner_id, seq);
-- A partner's sell-outs the balance does not cover yet: the pending estimate on its screen.
CREATE INDEX sellouts_partner ON sellouts(partner_id, seq);
)sql"},
      {7, R"sql(
-- What the partner's page has shown (issue 17 item 5): one row per outcome the staff saw (a
-- verdict, a deal decision, an order's move, ...), keyed by its source and reference, with the
-- stamp it had then; an outcome whose stamp differs (an order that moved again) shows once more.
-- Local state, not journaled. Outcomes already known at this upgrade count as shown: the page
-- lists what changes from now on, not a kiosk's whole past.
CREATE TABLE outcomes_shown (
  source TEXT NOT NULL, ref TEXT NOT NULL, stamp TEXT NOT NULL, shown_at TEXT NOT NULL,
  PRIMARY KEY (source, ref)
) WITHOUT ROWID;
INSERT OR REPLACE INTO outcomes_shown (source, ref, stamp, shown_at)
  SELECT 'verdict', CAST(seq AS TEXT), verdict || ':' || code, received_at FROM verdicts WHERE verdict <> 'accepted';
INSERT OR REPLACE INTO outcomes_shown (source, ref, stamp, shown_at)
  SELECT 'deal', CAST(seq AS TEXT), status, decided_at FROM deals WHERE status <> 'pending';
INSERT OR REPLACE INTO outcomes_shown (source, ref, stamp, shown_at)
  SELECT 'order', CAST(seq AS TEXT), status, state_at FROM demo_orders WHERE status NOT IN ('open', 'ordered');
-- A sell-out report's units by its seq: the partner's page finds the reports a verdict is about
-- without a scan of every unit ever sold here.
CREATE INDEX sellouts_seq ON sellouts(seq);
-- Custody conflicts the central reported (a unit checked out here while it was out at another
-- kiosk, or at another kiosk while out here), from the reference pull or the stick. One row per
-- second checkout and unit; resolved_at is set when the central saw the unit checked in at either
-- kiosk. Replaced whole by a full reference snapshot.
CREATE TABLE custody_conflicts (
  asset_tag TEXT NOT NULL, claim_kiosk TEXT NOT NULL, claim_seq INTEGER NOT NULL,
  claim_rep TEXT NOT NULL, claimed_at TEXT NOT NULL,
  holder_kiosk TEXT NOT NULL, holder_rep TEXT NOT NULL, holder_since TEXT NOT NULL,
  resolved_at TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (asset_tag, claim_kiosk, claim_seq)
) WITHOUT ROWID;
)sql"},
      {8, R"sql(
-- A credit shown on the partner's page is recorded in outcomes_shown, like every other outcome;
-- points_credits.shown (migration 6) was never read, and two records of one fact can disagree.
ALTER TABLE points_credits DROP COLUMN shown;
)sql"},
  };
  return kMigrations;
}

}  // namespace kiosk::storage
