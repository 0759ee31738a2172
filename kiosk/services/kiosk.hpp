#pragma once
// Kiosk: the core services of one kiosk over its data folder. The touchscreen and the CLI are two
// faces over this one class. Every action is one SQLite transaction holding the journal event and
// the local state change. Not thread-safe: one thread at a time (the UI runs it on its worker).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/domain.hpp"
#include "kiosk/core/journal.hpp"
#include "kiosk/core/recovery.hpp"
#include "kiosk/core/result.hpp"
#include "kiosk/core/signature.hpp"

namespace kiosk {

namespace storage { class SyncStore; }

// Files of a data folder.
struct DataPaths {
  std::filesystem::path dir;
  std::filesystem::path Db() const { return dir / "kiosk.db"; }
  std::filesystem::path Key() const { return dir / "kiosk.key"; }        // journal key, 0600
  std::filesystem::path Config() const { return dir / "kiosk.json"; }    // local settings
};

struct InitOptions {
  std::filesystem::path data_dir;
  std::string kiosk_id;              // default: "KIOSK-" + 8 hex of random
  std::optional<std::filesystem::path> reference_file;  // --demo loads assets/demo/showroom.json
  const Clock* clock = nullptr;      // default: SystemClock()
  // --demo: the file's due dates move by the days from its generated_at to today, so the demo
  // showroom looks as it was made (one unit a week overdue, others due soon) on any day.
  bool move_dates_to_today = false;
};

// The reference document with every device's due date (and generated_at) moved by the whole days
// from generated_at's day to `today`. Text that is not such a document comes back unchanged, for
// the loader to refuse.
std::string MoveDatesToToday(std::string_view reference_json, std::chrono::system_clock::time_point today);

struct OpenOptions {
  std::filesystem::path data_dir;
  const Clock* clock = nullptr;      // default: SystemClock()
  bool read_only = false;            // salvage mode: reads work, every action is refused
};

// ---- What a scan resolves to -------------------------------------------------------------
enum class EntityKind { PartnerCard, Badge, Device, Model, Unknown };

struct ScanResolution {
  EntityKind kind = EntityKind::Unknown;
  std::string key;        // card number, badge code, asset tag or GTIN
  std::string label;      // a short line for the banner: "Tulostin Oy (Gold)", "DEMO-00017 C4500"
  ReasonArgs label_args;  // its parts for translations: {"name", "Tulostin Oy"}, {"tier", "tier.gold"}
  nlohmann::json fields;  // parsed barcode fields (symbology, gtin, serial, ...)
};

// ---- View data the screens and the CLI print ------------------------------------------------
// A demo order logged at this kiosk, with its state as the central last said (issue 17).
struct DemoOrderLine {
  int64_t seq = 0;  // the demo.ordered event
  std::string partner_id, gtin, model;
  int qty = 0;
  std::string state;  // "open" (not yet confirmed by the central's word), ordered, confirmed, shipped, delivered,
                      // cancelled, rejected
  std::string created, state_at;  // UTC
  std::string note, serial, asset_tag;
};
inline constexpr int kPartnerPageOrders = 5;  // orders the partner's page lists

// ---- What changed for a partner (issue 17 item 5; kiosk_outcomes.cpp) ----
// One line of the partner's "what changed since" list: an outcome of the central's about the
// partner's business at this kiosk. Said in English (`text`: the CLI, tests) and by key and
// values for the touchscreen's language (`key`, `args`: "outcome.redemption.adjusted").
struct OutcomeLine {
  std::string source;  // which collector found it: "redemption", "sellout", "deal", "order" (+ new ones)
  std::string shown_source, ref, stamp;  // its row in outcomes_shown: (source, ref) and the stamp it has now
  int64_t seq = 0;      // the journal seq of this kiosk's event it is about (0 if none)
  std::string at;       // UTC when the central decided or moved it
  std::string kind;     // "adjusted", "rejected", "approved", "confirmed", "shipped", ...
  bool act = false;     // staff have something to do (settle points, tell the partner)
  bool shown = false;   // with `all`: the partner's page showed it already
  std::string text;     // English
  std::string key;      // translation key
  ReasonArgs args;      // its values
};
inline constexpr int kPartnerPageChanges = 6;  // lines the partner's page lists; more: "and N more"

// Points the central credited for one of this kiosk's sell-out reports (one model of it).
struct CreditLine {
  int64_t seq = 0;  // the sellout.reported event
  std::string gtin, model;
  int64_t units = 0;
  int64_t points = 0;
  std::string credited_at;  // central UTC
};
inline constexpr int kPartnerPageCredits = 3;  // credits the partner's page lists

struct PartnerView {
  Partner partner;
  std::string card_number;  // the card scanned, or empty
  CardStatus card_status = CardStatus::Active;
  Balance balance;          // as of the last reference version
  int64_t held_points = 0;       // by this kiosk's unsynced redemptions
  int64_t available_points = 0;  // balance.available - held_points
  // Points from sell-outs (issue 17, kiosk/core/rules/earning.hpp):
  int64_t credited_points = 0;   // credited by the central for this kiosk's reports (in balance.available)
  int64_t earn_pending = 0;      // this kiosk's estimate for the partner's sell-outs not yet credited
  int64_t pending_points = 0;    // balance.pending (the central's) + earn_pending: earned, not yet available
  std::vector<CreditLine> credits;  // the latest credits, newest first
  int unsynced_redemptions = 0;  // this sync period
  int open_demo_orders = 0;
  int open_order_quota = 0;      // sum over models is not meaningful: quota is per model; this is the tier's largest
  std::vector<OutcomeLine> changes;              // what changed since the partner's page last showed them, oldest first
  std::vector<DemoOrderLine> orders;             // this kiosk's latest demo orders for the partner, newest first
};

// A deal registered at this kiosk, as the vendor decided it (`kiosk deals`, the partner's screen).
struct DealView {
  int64_t seq = 0;  // the deal.registered event
  std::string partner_id, partner_name;
  std::string customer, product;
  double value_eur = 0;
  std::string close_date;     // YYYY-MM-DD
  std::string registered_at;  // UTC
  std::string status;         // pending | approved | rejected
  std::string decided_at;     // the central's time of the decision ("" while pending)
  std::string message;        // the central's words on the state (English)
  std::string reason;         // the vendor's reason or note
  std::string due;            // when the vendor's decision is due, UTC to the second ("" if unknown)
  std::string due_date;       // its day, YYYY-MM-DD
  std::string age;            // since registration ("2 d 3 h"), until the decision when decided
  int64_t age_minutes = 0;    // the same in minutes (the touchscreen says it in its language)
  bool overdue = false;       // pending past its due time
};


// A custody conflict over a unit as this kiosk's device screen says it (issue 17 item 5).
struct CustodyConflictView {
  std::string asset_tag;
  bool held_here = false;     // the central keeps this kiosk's checkout; the other kiosk's was refused
  std::string other_kiosk;    // the kiosk on the other side
  std::string rep, rep_name;  // the other side's rep (badge, name if known) when held here; else the holder's
  std::string since;          // UTC: the other side's checkout when held here, else the holder's
  std::string resolved_at;    // central UTC when the unit was checked in at either kiosk; "" while open
  std::string text;           // English
  std::string key;            // "conflict.held_here" | "conflict.kept_elsewhere"
  ReasonArgs args;
};

struct DeviceHistoryEntry {
  int64_t seq = 0;
  std::string type;
  std::string wall_time;
  std::string actor;
  std::string summary;      // English (`kiosk device`, tests)
  std::string summary_key;  // its translation for the touchscreen, "history.checked_out", with values
  ReasonArgs summary_args;
};

struct DeviceView {
  Device device;
  DemoModel model;
  std::string custodian_name;  // rep's name when checked out
  bool overdue = false;
  std::vector<std::string> kit_members;  // asset tags, including this one, when in a kit
  std::vector<DeviceHistoryEntry> history;  // newest first
  // Open custody conflicts over the unit (the central's), while it is out here; oldest first.
  std::vector<CustodyConflictView> conflicts;
};

struct RewardView {
  Reward reward;
  bool affordable = true;
  std::string why_not;  // empty when it can be redeemed now (English)
  Error why_not_reason;  // its code and values, for the screen's language
  // Shared reward stock (issue 17): units of it this showroom may still hand out (its allocation
  // from the central less what it used and its redemptions not synced yet); -1 when the central
  // gave no allocation for it (the reward's own stock counts).
  int64_t units_left = -1;
};

struct StatusView {
  std::string kiosk_id;
  int64_t journal_events = 0;  // with StatusDetail::kWithCounts only
  int64_t last_seq = 0;
  std::string last_hash;
  int64_t reference_version = 0;
  std::string last_sync;   // UTC, empty if never
  int64_t hours_since_sync = -1;  // -1 if never
  bool stale = false;
  int64_t pending_events = 0;     // not yet acknowledged by the central
  std::string oldest_pending;     // wall_time of the oldest unacknowledged event
  std::string last_sync_error;     // English, "" when the last sync succeeded
  std::string last_sync_error_key;  // its translation key, "reason.net.refused", and values
  ReasonArgs last_sync_error_args;
  // Counted only with StatusDetail::kWithCounts (counted is then true); 0 otherwise.
  bool counted = false;
  int partners = 0, cards = 0, badges = 0, models = 0, devices = 0, rewards = 0;
  int devices_out = 0, devices_overdue = 0;
  bool read_only = false;
  std::string database_health;    // "ok" or one line: how many problems quick_check found, the first
  std::string database_report;    // quick_check's full report, one problem per line (--verbose)
  // Set while the journal is known to be behind the central's (restored from an older backup):
  // actions are refused until an admin recovers (Kiosk::Recover).
  std::optional<JournalFork> journal_fork;
  // Set when the site's barcode rules file did not load: the kiosk classifies scans with its
  // built-in rules meanwhile. The file and the loader's message (which rule, what is not allowed).
  std::string barcode_rules_error;
};

// ---- Action requests and receipts -------------------------------------------------------------
struct Receipt {
  int64_t seq = 0;
  std::string event_id;
  std::string type;
  std::string message;                // "2 units checked out to Jan Kowalski, due 2026-12-08"
  std::vector<Warning> warnings;      // soft limits crossed etc.
  ReasonArgs args;                    // the message's values by name, for "receipt.<type>" translations
  std::string variant;                // "" or which wording: "receipt.<type>.<variant>"
  nlohmann::json payload;
};

struct LocalSettings {
  std::optional<std::string> language;  // "en", "de", "fi", "pl", "ru"
  std::optional<int> idle_timeout_s;     // seconds, 15..3600
};

struct CheckoutRequest {
  std::vector<std::string> codes;  // asset tags or GS1 texts
  std::string rep_badge;
  std::string due_date;            // YYYY-MM-DD; empty: today + default_loan_days
  std::string purpose;             // "Customer demo at ..."
  std::string signature_svg;       // the signature drawn on screen, as an SVG path (signature.hpp)
  // Without a drawing: why, journaled instead (default "not given"), so the record says so.
  std::string no_signature_reason;
};
struct CheckinRequest {
  std::vector<std::string> codes;
  std::string by_badge;
  std::string condition = "ok";    // "ok", "damaged: ...", free text
};
struct AuditRequest {
  std::vector<std::string> codes;
  std::string by_badge;
};
struct DemoOrderRequest {
  std::string partner_card;        // card number or partner id
  std::string model_gtin;
  int qty = 1;
  std::string by_badge;
};
struct RedeemRequest {
  std::string partner_card;
  std::string reward_id;
  int qty = 1;
  std::string by_badge;
};
struct SelloutRequest {
  std::string partner_card;
  std::vector<std::string> codes;  // GS1 texts (GTIN + serial) or asset tags
  std::string by_badge;
};
struct DealRequest {
  std::string partner_card;
  std::string customer;
  std::string product;
  double value = 0;                // expected value, EUR
  std::string close_date;          // YYYY-MM-DD
  std::string by_badge;
};

// ---- Stocktakes (kiosk_stocktake.cpp; the rule: kiosk/core/rules/devices.hpp) ----
// One unit as a stocktake shows it: what the record says and what the count made of it.
struct StocktakeUnitView {
  std::string asset_tag;
  std::string model;           // the model's name ("Colour MFP C4500"), or its GTIN
  std::string location;        // where the record puts it
  DeviceState state = DeviceState::Available;
  std::string custodian;       // badge code, when a rep has it
  std::string custodian_name;  // that rep's name, if known
  bool scanned = false;
  std::string status;          // "found", "missing" (expected, not scanned yet), "misplaced", "unexpected"
};

struct StocktakeView {
  std::string scope;           // "" (everything), "Showroom A", "Showroom A, bay 2"
  std::string started_by;      // badge code
  std::string started_at;      // UTC
  int expected = 0;            // units expected in the scope
  int ticked = 0;              // of those, scanned so far
  std::vector<StocktakeUnitView> expected_units;  // in location order, each with its tick
  std::vector<StocktakeUnitView> extra;           // scanned but not expected: misplaced, unexpected
};

// What one scan did to the open stocktake.
struct StocktakeScanResult {
  StocktakeUnitView unit;      // status: found, misplaced or unexpected
  bool repeated = false;       // scanned before in this session: nothing changed
  StocktakeView session;       // the session after the scan
};

// A finished stocktake: the journaled event and its lists.
struct StocktakeReportView {
  Receipt receipt;             // the stocktake.finished event
  std::string scope;
  int expected = 0;
  std::vector<StocktakeUnitView> found, missing, misplaced, unexpected;
};

// One of the central's verdicts on this kiosk's events (admin screen, `kiosk verdicts`).
struct VerdictView {
  int64_t seq = 0;
  std::string verdict;      // "rejected", "adjusted" (or "accepted" with a remark)
  std::string code;
  std::string message;
  std::string received_at;  // UTC
  std::string type;         // the event's type; "" if the event was pruned
  std::string wall_time;
};

// Whether this kiosk is enrolled with a central, and where that central is.
struct EnrolmentView {
  bool enrolled = false;     // the central's public key is stored
  std::string central_url;   // as stored at enrolment; "" if none
};

struct LoadReport {
  int64_t version = 0;
  bool full = true;
  int partners = 0, cards = 0, badges = 0, models = 0, devices = 0, rewards = 0, balances = 0;
};

class Kiosk {
 public:
  // Creates a data folder: key file (0600), database, optional reference data. Refuses to touch
  // an existing database.
  static Result<std::string> Init(const InitOptions& options);  // returns the kiosk id
  // Opens a data folder. An unreadable key, a database newer than this build or a corrupted file
  // is an error that says what is wrong and how to recover.
  static Result<std::unique_ptr<Kiosk>> Open(const OpenOptions& options);
  ~Kiosk();
  Kiosk(const Kiosk&) = delete;
  Kiosk& operator=(const Kiosk&) = delete;

  const std::string& KioskId() const;
  const DataPaths& Paths() const;
  const Clock& GetClock() const;
  // What the sync engine reads and writes (typed sync state, journal batches, verdicts) over this
  // kiosk's connection; the engine's only way into the database.
  storage::SyncStore& SyncStorage();

  // ---- Queries ----
  // What Status() reads. kSyncState: the journal head, the sync state and the database's health,
  // a few indexed lookups; for the home screen, refreshed after every action, and the sync loop.
  // kWithCounts adds the row counts of the journal and the reference tables, each a scan of an
  // index (for 100,000 devices, 580 pages through the page cache): `kiosk status`, doctor, admin.
  enum class StatusDetail { kSyncState, kWithCounts };
  StatusView Status(StatusDetail detail = StatusDetail::kWithCounts);
  Settings CurrentSettings();  // the central's settings with the kiosk's local settings on top
  Result<ScanResolution> Resolve(std::string_view scanned);
  Result<Badge> FindBadge(std::string_view code);
  Result<PartnerView> GetPartner(std::string_view card_or_id);
  // This kiosk's demo orders, newest first, with the central's last word on each (issue 17); of
  // one partner (card or id; NotFound when unknown) or, empty, of all.
  Result<std::vector<DemoOrderLine>> Orders(std::string_view partner_card_or_id, int limit = 1000);
  Result<DeviceView> GetDevice(std::string_view code);
  std::vector<DeviceView> Overdue();
  std::vector<RewardView> Rewards(std::string_view partner_card);  // empty card: no affordability
  std::vector<DemoModel> Models();
  Result<std::vector<Event>> Journal(int64_t since_seq, int64_t limit);
  // The signature of the checkout logged at seq. Errors: NotFound (no such event, or pruned),
  // Usage (the event at seq is not a checkout).
  Result<SignatureRecord> SignatureOf(int64_t seq);
  // Rejected and adjusted events, oldest first; with_remarks adds accepted ones with a remark.
  Result<std::vector<VerdictView>> Verdicts(bool with_remarks = false);
  // The showroom's deals, newest first: one partner's (card number or partner id) or, with an
  // empty `partner`, everyone's; at most `limit`.
  Result<std::vector<DealView>> Deals(std::string_view partner = {}, int limit = 500);
  // What changed for a partner (card number or partner id) since the partner's page last showed
  // it: the central's outcomes about the partner's business here, oldest first. `all`: every
  // outcome known here, each with `shown` (the admin's and `kiosk outcomes --all`'s view).
  // Reads only: MarkChangesShown records what a face showed.
  Result<std::vector<OutcomeLine>> PartnerChanges(std::string_view card_or_id, bool all = false);
  // Records these lines as shown (local state, not journaled); an outcome that changes again
  // (an order shipped after it was confirmed) shows once more.
  kiosk::Status MarkChangesShown(const std::vector<OutcomeLine>& lines);
  // Every custody conflict the central reported about this kiosk's units, open ones first.
  Result<std::vector<CustodyConflictView>> CustodyConflicts();
  EnrolmentView Enrolment();
  // This connection's memory: mmap and page cache sizes (the touchscreen's connection).
  kiosk::Status TuneMemory(int64_t mmap_bytes, int64_t cache_kib);

  // ---- Local settings ----
  // What an admin changes on this kiosk's screen (language, idle time-out): kept in the kiosk's
  // database, so it applies from the next start on too, and wins over the central's defaults.
  // Unset fields are left as they are.
  kiosk::Status SaveLocalSettings(const LocalSettings& s);

  // ---- People ----
  Result<Badge> SignIn(std::string_view badge_code);
  // Admin unlock: refused for 5 minutes after 5 wrong PINs in a row (kept across restarts).
  Result<Badge> UnlockAdmin(std::string_view badge_code, std::string_view pin);

  // ---- Actions: each is one journal event + its state change, in one transaction ----
  Result<Receipt> Checkout(const CheckoutRequest& r);
  Result<Receipt> Checkin(const CheckinRequest& r);
  Result<Receipt> Audit(const AuditRequest& r);
  Result<Receipt> OrderDemo(const DemoOrderRequest& r);
  Result<Receipt> Redeem(const RedeemRequest& r);
  Result<Receipt> ReportSellout(const SelloutRequest& r);
  Result<Receipt> RegisterDeal(const DealRequest& r);

  // Per-scan checks for the touchscreen's sessions: what a unit scanned into a sell-out or a
  // checkout would be refused for, before the session is confirmed. Nothing is written.
  Result<Device> CheckCheckoutUnit(std::string_view code);
  Result<std::pair<std::string, std::string>> CheckSelloutUnit(std::string_view code);  // gtin, serial
  // What a unit scanned into a check-in would be refused for (not out), else the unit.
  Result<DeviceView> CheckCheckinUnit(std::string_view code);
  // A partner's card as the touchscreen scans it: refused if blocked, else the partner.
  Result<PartnerView> CheckPartnerCard(std::string_view card);

  // ---- Stocktakes ----
  // A stocktake is a session: started with a scope, scans ticked one by one (each kept in the
  // database as it is made, so a restart or a power cut loses none), finished into one
  // stocktake.finished event, or cancelled (nothing journaled). One session at a time per kiosk.
  // The areas and locations a stocktake may count ("Showroom A", "Showroom A, bay 1", ...).
  Result<std::vector<std::string>> StocktakeScopes();
  // Errors: the badge (unknown, inactive), stocktake.scope_unknown, stocktake.already_open.
  Result<StocktakeView> StartStocktake(std::string_view by_badge, std::string_view scope);
  // The open session; NotFound stocktake.none when there is none.
  Result<StocktakeView> CurrentStocktake();
  // Ticks the scanned unit. A code that is not a demo unit is refused (barcode.unknown,
  // device.no_serial, stocktake.not_a_unit for a partner card or a badge); stocktake.none.
  Result<StocktakeScanResult> StocktakeScan(std::string_view code);
  // Journals the result and closes the session. by_badge "" is the badge that started it.
  Result<StocktakeReportView> FinishStocktake(std::string_view by_badge = {});
  // Closes the session without a record; returns what it was (scope, scans). stocktake.none.
  Result<StocktakeView> CancelStocktake();

  // ---- Labels ----
  // What `code` (asset tag, GS1 text, card number, badge code) prints as; a blocked card and a
  // code that is none of these are refused. Nothing is written.
  Result<LabelContent> LabelFor(std::string_view code);

  // ---- Retention ----
  // Removes the oldest events the central has acknowledged and that are older than keep_days,
  // as one contiguous prefix; the last removed event's hash is kept so verify still checks the
  // rest of the chain from there. Logs a journal.pruned event. keep_days <= 0 keeps everything.
  Result<int64_t> PruneAcknowledged(int keep_days);

  // ---- Integrity and reference data ----
  Result<VerifyReport> Verify();
  Result<LoadReport> LoadReference(std::string_view json_text);
  // The same from a file, read as it is parsed: what a 100,000-device snapshot should come by.
  // `also` runs inside the same transaction after the data is applied (the stick's verdicts and
  // acknowledgement): its failure undoes the whole load.
  Result<LoadReport> LoadReferenceFile(const std::filesystem::path& file,
                                       const std::function<kiosk::Status()>& also = {});

  // ---- A journal behind the central's (kiosk/core/recovery.hpp, README: Recovering) ----
  // What the kiosk learnt: the central holds other events at seqs it holds (journal.fork), or
  // events beyond its head. nullopt while nothing is known. While it is known every action that
  // journals is refused with journal.forked (system events such as reference.loaded still log:
  // recovery logs them again too).
  std::optional<JournalFork> KnownJournalFork();
  // Records the fork the central answered a batch with (central_seq: its acknowledged head).
  kiosk::Status NoteJournalFork(int64_t central_seq, const std::string& via);
  // The central's head for this kiosk as reference data says it (covers_kiosk_seq): when it is
  // beyond this kiosk's own head, the journal is behind, and that is recorded.
  kiosk::Status NoteCentralHead(int64_t central_seq, const std::string& via);
  // The recovery itself, after the sync engine fetched the central's events after after_seq:
  // checks them against the journal key and the central's signed anchor (PlanRecovery), then in
  // one transaction replaces this kiosk's divergent events with the central's ones, applies their
  // local effects (custody, orders, redemptions, sell-outs, deals), logs each divergent event
  // again after the central's head with a "replaces" link, and forgets the fork. On any error
  // nothing changes, but for recover.not_needed: the central's signed answer then shows the journal
  // in step, and a fork recorded by a sync round that was on its way meanwhile is forgotten (as a
  // verified acknowledgement forgets it too, SyncEngine::WriteAck).
  struct RecoveryReport {
    int64_t fork_seq = 0;       // the first seq the journals differed at
    int64_t adopted = 0;        // the central's events taken back
    int64_t central_seq = 0;    // the central's head (now acknowledged)
    std::vector<std::pair<int64_t, int64_t>> relogged;  // (old seq, new seq) of each event logged again
  };
  Result<RecoveryReport> Recover(int64_t after_seq, const std::vector<Event>& central_events, const Anchor& anchor);

  struct Impl;  // kiosk_impl.hpp: private to the implementation files

 private:
  explicit Kiosk(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kiosk
