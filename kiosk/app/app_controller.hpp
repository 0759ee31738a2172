#pragma once
// AppController: turns the touchscreen's intents and scans into Kiosk service calls and keeps the
// view-models. Owned by the app loop and used on the main thread only; it runs every Kiosk call on
// its one worker thread (Kiosk is single-threaded and does disk I/O), and the worker hands each
// result back through a queue that Pump() drains on the main thread, after calling `wake` so an
// idle event loop notices. Pure C++: no imgui, unit-tested in tests/app/.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kiosk/app/intents.hpp"
#include "kiosk/app/view_models.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/http_client.hpp"

namespace kiosk::sync {
class SyncService;
}

namespace kiosk::app {

class AppController {
 public:
  struct Options {
    std::filesystem::path data_dir;
    std::function<void()> wake;    // called from the worker when a result waits; may be empty
    const Clock* clock = nullptr;  // default: SystemClock(); passed to the Kiosk too
    int64_t busy_after_ms = 150;   // a call running longer than this shows "Working..."
    // The sync client's HTTP connection (curl in the app). Empty: an enrolled kiosk still shows
    // its sync state, but no SyncService runs (unit tests).
    std::function<std::unique_ptr<platform::HttpClient>()> make_http;
    int64_t sync_interval_ms = 300000;  // config sync_interval_s default
    int retention_days = 0;             // config retention_days: prune acknowledged events (0: keep)
    std::string central_url;            // config central_url: the enrolment form's default address
    // The kiosk's config file (language, idle_timeout_s): over the central's defaults, under what
    // an admin chose on this kiosk's admin screen. Empty / 0: not set.
    std::string language;
    int idle_timeout_s = 0;
    // The touchscreen's SQLite memory: the CLI's defaults (64 MiB mmap, 8 MiB page cache) make
    // lookups on 100k devices a few µs faster, but every page they touch stays in the process's
    // memory. A person cannot tell 7 µs from 100 µs; a board with 1 GiB can tell 20 MB.
    int64_t db_mmap_bytes = 0;     // PRAGMA mmap_size
    int64_t db_cache_kib = 256;    // PRAGMA cache_size=-N
    // Writes a label sheet (kiosk/labels, handed in by kiosk/main.cpp). Empty: this build has no
    // labels, and the label screen says so.
    std::function<kiosk::Status(const LabelJob&)> write_labels;
  };

  explicit AppController(Options options);
  ~AppController();  // finishes the running call, then stops the worker
  AppController(const AppController&) = delete;
  AppController& operator=(const AppController&) = delete;

  // Opens the data folder on the worker. The first results arrive through Pump().
  void Start(int64_t now_ms);

  // Both return true when the view-model changed in a way a frame must show. A scan returns false
  // on purpose: the frame worth drawing is the one with its result, which Pump() delivers.
  bool Handle(const Intent& intent, int64_t now_ms);
  bool OnScan(std::string text, int64_t now_ms) { return Handle(intent::Scan{std::move(text)}, now_ms); }

  // Runs the results the worker posted. True if any arrived.
  bool Pump(int64_t now_ms);
  // Timers: banner expiry, the "Working..." indicator, idle sign-out. True if something changed.
  bool Tick(int64_t now_ms);
  // The earliest app time at which Tick() has something to do; -1 if nothing is scheduled.
  int64_t NextDeadlineMs() const;
  // A touch or key: keeps the operator signed in.
  void NoteActivity(int64_t now_ms) { m_last_activity_ms = now_ms; }

  const AppVm& Vm() const { return m_vm; }
  // What the admin screen says about scanners (the app loop owns the scanner sources).
  void SetScannerHealth(std::string text, std::vector<std::pair<std::string, ReasonArgs>> lines = {}) {
    m_vm.admin.scanner_health = std::move(text);
    m_vm.admin.scanner_lines = std::move(lines);
  }
  // No call queued or running and no result waiting: scripts and tests wait for this.
  bool Idle() const { return m_in_flight == 0; }
  // Tests without an event loop: blocks until every call made so far has its result pumped.
  void WaitIdle(int64_t now_ms);

 private:
  using Completion = std::function<void(AppController&)>;
  using Job = std::function<Completion(Kiosk&)>;

  void Run(Job job);  // queues a call for the worker
  void Enqueue(std::function<Completion()> work);
  void WorkerLoop();

  // Main-thread helpers used by completions.
  // `key` and `args` are for the touchscreen's translations; `english` is the banner's text in
  // English (tests, logs, and what is shown where a translation is missing).
  void SetBanner(BannerKind kind, std::string key, ReasonArgs args, std::string english);
  void ShowError(const Error& e);
  void ShowReceipt(const Receipt& r);
  void AnnouncePartner(const Partner& p, bool scanned);
  // The completion that shows `e` as the banner.
  static Completion Fail(Error e);
  // One Kiosk action that logs an event, on the worker: a refusal becomes the banner; a receipt
  // runs `then` on the main thread (clear the session, navigate, reload) and becomes the banner.
  void RunAction(std::function<Result<Receipt>(Kiosk&)> call, std::function<void(AppController&)> then);
  void Go(ScreenId screen);
  void RefreshHome();
  void LoadPartner(const std::string& card, bool navigate, bool announce);
  // What changed for the partner (issue 17 item 5): recorded as seen on the worker as the page
  // is about to show it; the page's view-model taken on the main thread, keeping the list of the
  // visit (new_visit: a scan, which starts it afresh).
  static void ShowingChanges(Kiosk& k, const PartnerView& v);
  void TakePartner(PartnerView v, std::vector<DealView> deals, bool new_visit);
  void LoadRewards();
  void LoadAdmin();
  void LoadVerdicts();
  void StartSync();
  void PullSyncProgress();
  void ClearSessions();
  void SaveSettings(LocalSettings s);  // the admin's settings, on the worker
  void HandleScan(const std::string& text);
  void AddUnit(std::vector<SessionUnit>& units, SessionUnit unit);
  std::string PartnerKey() const;

  // Intent handlers.
  bool On(const intent::Navigate& i);
  bool On(const intent::Back& i);
  bool On(const intent::SignOut& i);
  bool On(const intent::SetLanguage& i);
  bool On(const intent::Scan& i);
  bool On(const intent::DismissBanner& i);
  bool On(const intent::RemoveUnit& i);
  bool On(const intent::ConfirmCheckout& i);
  bool On(const intent::ConfirmCheckin& i);
  bool On(const intent::Redeem& i);
  bool On(const intent::OrderDemo& i);
  bool On(const intent::ConfirmSellout& i);
  bool On(const intent::RegisterDeal& i);
  bool On(const intent::AdminBadge& i);
  bool On(const intent::AdminPin& i);
  bool On(const intent::SyncNow& i);
  bool On(const intent::Recover& i);
  bool On(const intent::Enrol& i);
  bool On(const intent::ExportJournal& i);
  bool On(const intent::Refresh& i);
  bool On(const intent::SetIdleTimeout& i);
  bool On(const intent::PrintLabels& i);
  bool On(const intent::StartStocktake& i);
  bool On(const intent::FinishStocktake& i);
  bool On(const intent::CancelStocktake& i);
  void LoadStocktake();
  // A scan on the stocktake screen with a session open: ticks the unit (app_controller_stocktake.cpp).
  static Completion StocktakeScan(Kiosk& k, const std::string& text);
  bool On(const intent::ShowSignature& i);
  bool On(const intent::CloseSignature& i);

  Options m_options;
  AppVm m_vm;
  int64_t m_now_ms = 0;
  int64_t m_last_activity_ms = 0;
  int64_t m_busy_since_ms = 0;
  int m_in_flight = 0;  // calls queued or running, or results not yet pumped
  bool m_language_from_settings = true;

  // Shared with the worker.
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::function<Completion()>> m_jobs;
  std::deque<Completion> m_done;
  bool m_stop = false;
  std::unique_ptr<Kiosk> m_kiosk;  // touched only on the worker
  // Set by the sync thread's on-change callback (which then wakes the loop); Pump() reads the
  // progress on the main thread. The sync thread never touches m_vm.
  std::atomic<bool> m_sync_changed{false};
  std::unique_ptr<sync::SyncService> m_sync;  // main thread only; null when not enrolled
  std::thread m_worker;
};

}  // namespace kiosk::app
