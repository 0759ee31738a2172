#pragma once
// View-models of the touchscreen: what each screen shows, rebuilt by the AppController on the main
// thread from the results of Kiosk calls made on its worker. Plain data: no imgui, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/core/domain.hpp"
#include "kiosk/services/kiosk.hpp"

namespace kiosk::app {

enum class ScreenId { Home, Partner, Device, Checkout, Checkin, Rewards, DemoOrder, Sellout, Deal, AdminLogin, Admin, Labels,
                      Stocktake };
const char* ToString(ScreenId id);

enum class BannerKind { None, Success, Warning, Error, Info };

// The full-width strip that answers every scan and every action.
struct Banner {
  BannerKind kind = BannerKind::None;
  std::string text;       // English: tests, logs, and the fallback of a missing translation
  std::string key;        // translation key: "reason.device.already_out", "banner.signed_in", ...
  ReasonArgs args;        // named values for the translation's {placeholders}
  std::vector<Warning> warnings;  // soft limits: each said as "warning.<code>" into {warnings}
  int64_t until_ms = 0;  // app time when it goes away; 0 = stays until replaced
  int64_t serial = 0;    // changes with every new banner (tests and benchmarks wait on it)
};

struct OperatorVm {
  bool signed_in = false;
  Badge badge;
};

struct HomeVm {
  bool loaded = false;
  StatusView status;
  std::vector<DeviceView> overdue;
};

struct PartnerVm {
  bool loaded = false;
  PartnerView view;
  std::vector<DealView> deals;  // the partner's latest deals here, newest first, as the vendor decided them
};
constexpr int kPartnerScreenDeals = 4;

// A checkout's signature opened from a unit's history by staff or an admin: the strokes, or why
// there are none (record.none_reason, record.hash_only).
struct SignatureVm {
  bool open = false;
  SignatureRecord record;
  Signature strokes;     // empty when none was drawn
  std::string rep_name;  // the rep's name from the reference data; the badge code if unknown
};

struct DeviceVm {
  bool loaded = false;
  DeviceView view;
  SignatureVm signature;
};

// One unit scanned into a session (checkout, check-in, sell-out), already checked by the core.
struct SessionUnit {
  std::string code;   // what is sent to the core: asset tag or GS1 text
  std::string label;  // "DEMO-00007 Colour MFP A4 C2200"
  std::string note;   // "kit KIT-0001: 3 units go together" (English: tests, fallback)
  std::string note_key;  // its translation, "note.kit_members", with {named} values
  ReasonArgs note_args;
};

struct CheckoutVm {
  std::string rep_badge;  // empty until a rep is known
  std::string rep_name;
  std::vector<SessionUnit> units;
  int default_loan_days = 14;  // days after today, the default due date
  std::string today;           // YYYY-MM-DD, for the due date picker
};

struct CheckinVm {
  std::vector<SessionUnit> units;
};

struct RewardsVm {
  bool loaded = false;
  std::vector<RewardView> rewards;
};

struct DemoOrderVm {
  bool loaded = false;
  std::vector<DemoModel> models;
};

struct SelloutVm {
  std::vector<SessionUnit> units;
};

// The admin's label sheet: codes scanned or typed, each already turned into its label's content.
struct LabelsVm {
  std::vector<SessionUnit> units;  // code: what was scanned; label: the label's title line
  bool available = false;          // this build can write labels (libzint and cairo)
  bool printing = false;           // a sheet is being written: the button waits
  std::string dir;                 // where sheets go; the USB folder of the export by default
};

// The stocktake screen: choose a scope, tick units as they are scanned, then the report. The
// session itself lives in the kiosk's database (Kiosk::StartStocktake), so after a restart the
// screen opens on it again.
struct StocktakeVm {
  bool loaded = false;               // whether a session is open is known
  bool open = false;                 // a session is open: the tick list shows
  std::vector<std::string> scopes;   // areas and bays to choose from ("Showroom A", "Showroom A, bay 1", ...)
  StocktakeView session;             // the open session, with each expected unit's tick
  bool reported = false;             // a stocktake was just finished: its report shows
  StocktakeReportView report;
  bool working = false;              // start, finish or cancel on its way: the buttons wait
};

struct DealVm {
  std::string today;  // YYYY-MM-DD
};

// One of the central's verdicts on an event this kiosk sent (table `verdicts`), as `kiosk verdicts`.
struct VerdictRow {
  int64_t seq = 0;
  std::string type;     // the journal event's type, "" if the journal no longer has it
  std::string verdict;  // "rejected" or "adjusted"
  std::string code;
  std::string message;
};

// The sync client's state as the admin screen shows it; copied from SyncService::Progress().
struct SyncVm {
  bool checked = false;   // enrolment looked up (the data folder is open)
  bool enrolled = false;  // false: the screen offers the enrolment form instead of Sync now
  bool enrolling = false; // an enrolment is on its way to the central: the Enrol button waits
  std::string central_url;  // enrolled: the stored address; not yet: the config's, as the form's default
  bool running = false;   // a SyncService is owned and started
  std::string phase;      // "idle", "pushing", "pulling", "waiting", "not_enrolled", ...
  int64_t sent = 0, total = 0;  // this round's progress bar
  int64_t pending = 0;
  std::string last_sync;
  std::string last_error;      // English
  std::string last_error_key;  // its translation key and values
  ReasonArgs last_error_args;
  int64_t rounds = 0;
};

struct AdminVm {
  bool unlocked = false;
  std::string badge;     // admin badge scanned or typed on the login screen
  int wrong_pins = 0;    // shown as a hint; the lockout itself is the core's
  StatusView status;
  std::vector<Event> recent;   // latest journal events, newest first
  SyncVm sync;
  std::string export_dir;       // default folder for "Export to USB stick"
  bool exporting = false;
  bool recovering = false;      // Recover tapped, on its way
  bool verdicts_loaded = false;
  std::vector<VerdictRow> verdicts;  // rejected and adjusted, by seq
  std::string scanner_health;  // one line per scanner source, or why there is none (English)
  // The same lines as keys and values, said in the screen's language ("admin.scanner.wedge").
  std::vector<std::pair<std::string, ReasonArgs>> scanner_lines;
};

// Everything the screens need for one frame. Owned by the AppController; read on the main thread.
struct AppVm {
  ScreenId screen = ScreenId::Home;
  int64_t screen_serial = 0;  // changes on every navigation: screens reset their widget state
  bool ready = false;         // the data folder is open
  std::string fatal;          // set when the data folder cannot be opened (English)
  std::string fatal_key;      // ...and its translation key and values, as a banner's
  ReasonArgs fatal_args;
  bool busy = false;          // a worker call is running
  std::string language = "en";
  int idle_timeout_s = 90;
  Banner banner;
  OperatorVm op;
  HomeVm home;
  PartnerVm partner;
  DeviceVm device;
  CheckoutVm checkout;
  CheckinVm checkin;
  RewardsVm rewards;
  DemoOrderVm demo_order;
  SelloutVm sellout;
  DealVm deal;
  AdminVm admin;
  LabelsVm labels;
  StocktakeVm stocktake;
};

}  // namespace kiosk::app
