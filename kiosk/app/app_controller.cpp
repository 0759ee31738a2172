#include "kiosk/app/app_controller.hpp"
#include "kiosk/core/rules/partners.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "kiosk/sync/client.hpp"

namespace kiosk::app {

const char* ToString(ScreenId id) {
  switch (id) {
    case ScreenId::Home: return "home";
    case ScreenId::Partner: return "partner";
    case ScreenId::Device: return "device";
    case ScreenId::Checkout: return "checkout";
    case ScreenId::Checkin: return "checkin";
    case ScreenId::Rewards: return "rewards";
    case ScreenId::DemoOrder: return "demo_order";
    case ScreenId::Sellout: return "sellout";
    case ScreenId::Deal: return "deal";
    case ScreenId::AdminLogin: return "admin_login";
    case ScreenId::Admin: return "admin";
    case ScreenId::Labels: return "labels";
  }
  return "?";
}

namespace {
constexpr int64_t kSuccessBannerMs = 6000;
constexpr int64_t kWarningBannerMs = 9000;
constexpr int64_t kErrorBannerMs = 15000;  // a refusal must be read, not glimpsed

constexpr const char* kNotEnrolled =
    "This kiosk is not enrolled: enter the central's address and the enrolment code on the admin screen (or run "
    "`kiosk enroll --central URL --code CODE`).";

// Where a USB stick usually appears: the first folder under /media/$USER (desktop automount),
// else /media/usb (usbmount and most kiosk images).
std::string DefaultExportDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* user = std::getenv("USER"); user && *user) {
    fs::path base = fs::path("/media") / user;
    std::vector<fs::path> dirs;
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory(ec)) dirs.push_back(it->path());
    std::sort(dirs.begin(), dirs.end());
    if (!dirs.empty()) return dirs.front().string();
  }
  return "/media/usb";
}

// USB export needs the engine's bookkeeping but never the network.
class NoHttp final : public platform::HttpClient {
 public:
  Result<platform::HttpResponse> Send(const platform::HttpRequest&) override {
    return MakeError(ErrorKind::Refused, "sync.no_network", "USB export does not use the network.");
  }
};

bool NeedsPartner(ScreenId s) {
  return s == ScreenId::Rewards || s == ScreenId::DemoOrder || s == ScreenId::Sellout || s == ScreenId::Deal;
}
}  // namespace

AppController::AppController(Options options) : m_options(std::move(options)) {
  if (!m_options.clock) m_options.clock = &SystemClock();
  m_vm.admin.export_dir = DefaultExportDir();
  m_vm.labels.available = static_cast<bool>(m_options.write_labels);
  m_vm.admin.scanner_health =
      "Keyboard-wedge scanner: listening on the keyboard input. No USB/serial scanner source in this build.";
  m_worker = std::thread([this] { WorkerLoop(); });
}

AppController::~AppController() {
  // The sync thread first: its on-change callback wakes a loop that is going away.
  if (m_sync) m_sync->Stop();
  m_sync.reset();
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  if (m_worker.joinable()) m_worker.join();
  m_kiosk.reset();
}

void AppController::WorkerLoop() {
  for (;;) {
    std::function<Completion()> work;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return m_stop || !m_jobs.empty(); });
      if (m_stop) break;
      work = std::move(m_jobs.front());
      m_jobs.pop_front();
    }
    Completion done;
    try {
      done = work();
    } catch (const std::exception& e) {
      // A bug or an exhausted resource in the core must not kill the touchscreen: say it plainly.
      std::string what = e.what();
      done = [what](AppController& c) { c.SetBanner(BannerKind::Error, "banner.internal_error", {{"what", what}}, "Internal error: " + what); };
    }
    {
      std::lock_guard lock(m_mutex);
      m_done.push_back(std::move(done));
    }
    if (m_options.wake) m_options.wake();
  }
}

void AppController::Enqueue(std::function<Completion()> work) {
  if (m_in_flight == 0) m_busy_since_ms = m_now_ms;
  ++m_in_flight;
  {
    std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(work));
  }
  m_cv.notify_one();
}

void AppController::Run(Job job) {
  Enqueue([this, job = std::move(job)]() -> Completion {
    if (!m_kiosk) {
      return [](AppController& c) {
        if (c.m_vm.fatal.empty()) c.SetBanner(BannerKind::Error, "banner.not_open", {}, "The data folder is not open.");
      };
    }
    return job(*m_kiosk);
  });
}

void AppController::Start(int64_t now_ms) {
  m_now_ms = now_ms;
  m_last_activity_ms = now_ms;
  Enqueue([this]() -> Completion {
    OpenOptions o;
    o.data_dir = m_options.data_dir;
    o.clock = m_options.clock;
    auto k = Kiosk::Open(o);
    if (!k.ok()) {
      Error e = k.error();
      return [e](AppController& c) {
        c.m_vm.fatal = e.message;
        c.m_vm.fatal_key = ReasonKey(e);
        c.m_vm.fatal_args = e.args;
      };
    }
    m_kiosk = std::move(k).value();
    (void)m_kiosk->TuneMemory(m_options.db_mmap_bytes, m_options.db_cache_kib);
    const EnrolmentView enrolment = m_kiosk->Enrolment();
    const bool enrolled = enrolment.enrolled;
    std::string url = enrolment.central_url;
    if (!enrolled || url.empty()) url = m_options.central_url;
    return [enrolled, url](AppController& c) {
      c.m_vm.ready = true;
      c.m_vm.admin.sync.checked = true;
      c.m_vm.admin.sync.enrolled = enrolled;
      c.m_vm.admin.sync.central_url = url;
      if (enrolled) c.StartSync();
      c.RefreshHome();
    };
  });
}

bool AppController::Pump(int64_t now_ms) {
  m_now_ms = now_ms;
  std::deque<Completion> done;
  {
    std::lock_guard lock(m_mutex);
    done.swap(m_done);
  }
  for (auto& d : done) {
    --m_in_flight;
    if (d) d(*this);
  }
  if (!done.empty() && m_in_flight == 0) m_vm.busy = false;
  if (m_in_flight > 0 && !done.empty()) m_busy_since_ms = now_ms;
  bool synced = false;
  if (m_sync_changed.exchange(false)) {
    PullSyncProgress();
    synced = true;
  }
  return !done.empty() || synced;
}

void AppController::StartSync() {
  if (m_sync || !m_options.make_http) return;
  sync::SyncServiceOptions o;
  o.data_dir = m_options.data_dir;
  o.clock = m_options.clock;
  o.make_http = m_options.make_http;
  o.interval = std::chrono::milliseconds(m_options.sync_interval_ms);
  o.retention_days = m_options.retention_days;
  // Runs on the sync thread: only flag and wake; Pump() reads the progress on the main thread.
  m_sync = std::make_unique<sync::SyncService>(o, [this] {
    m_sync_changed = true;
    if (m_options.wake) m_options.wake();
  });
  m_sync->Start();
  m_vm.admin.sync.running = true;
  PullSyncProgress();
}

void AppController::PullSyncProgress() {
  if (!m_sync) return;
  const sync::SyncProgress p = m_sync->Progress();
  SyncVm& v = m_vm.admin.sync;
  const bool round_done = p.rounds != v.rounds;
  v.phase = sync::ToString(p.phase);
  v.sent = p.sent;
  v.total = p.total;
  v.pending = p.pending;
  v.last_sync = p.last_sync;
  v.last_error = p.last_error;
  v.last_error_key = p.error.code.empty() ? "" : ReasonKey(p.error);
  v.last_error_args = p.error.args;
  v.rounds = p.rounds;
  if (p.phase == sync::SyncPhase::NotEnrolled) v.enrolled = false;
  // A finished round changes the journal's acknowledged count and maybe the verdicts.
  if (round_done && m_vm.screen == ScreenId::Admin) LoadAdmin();
}

bool AppController::Tick(int64_t now_ms) {
  m_now_ms = now_ms;
  bool changed = false;
  if (m_vm.banner.kind != BannerKind::None && m_vm.banner.until_ms > 0 && now_ms >= m_vm.banner.until_ms) {
    m_vm.banner.kind = BannerKind::None;
    m_vm.banner.text.clear();
    changed = true;
  }
  bool busy = m_in_flight > 0 && now_ms - m_busy_since_ms >= m_options.busy_after_ms;
  if (busy != m_vm.busy) {
    m_vm.busy = busy;
    changed = true;
  }
  if (m_vm.op.signed_in && m_vm.idle_timeout_s > 0 &&
      now_ms - m_last_activity_ms >= int64_t{m_vm.idle_timeout_s} * 1000) {
    std::string name = m_vm.op.badge.name;
    On(intent::SignOut{});
    SetBanner(BannerKind::Info, "banner.idle_signed_out", {{"name", name}, {"seconds", std::to_string(m_vm.idle_timeout_s)}},
              name + " was signed out after " + std::to_string(m_vm.idle_timeout_s) + " s without activity.");
    changed = true;
  }
  return changed;
}

int64_t AppController::NextDeadlineMs() const {
  int64_t next = -1;
  auto consider = [&](int64_t t) {
    if (next < 0 || t < next) next = t;
  };
  if (m_vm.banner.kind != BannerKind::None && m_vm.banner.until_ms > 0) consider(m_vm.banner.until_ms);
  if (m_in_flight > 0 && !m_vm.busy) consider(m_busy_since_ms + m_options.busy_after_ms);
  if (m_vm.op.signed_in && m_vm.idle_timeout_s > 0) consider(m_last_activity_ms + int64_t{m_vm.idle_timeout_s} * 1000);
  return next;
}

void AppController::WaitIdle(int64_t now_ms) {
  while (m_in_flight > 0) {
    {
      std::unique_lock lock(m_mutex);
      // Short waits: completions are pushed under the mutex but the cv belongs to the job queue.
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    Pump(now_ms);
  }
}

// ---- helpers ------------------------------------------------------------------------------

void AppController::SetBanner(BannerKind kind, std::string key, ReasonArgs args, std::string english) {
  m_vm.banner.kind = kind;
  m_vm.banner.text = std::move(english);
  m_vm.banner.key = std::move(key);
  m_vm.banner.args = std::move(args);
  m_vm.banner.warnings.clear();
  int64_t life = kind == BannerKind::Error ? kErrorBannerMs : kind == BannerKind::Warning ? kWarningBannerMs : kSuccessBannerMs;
  m_vm.banner.until_ms = m_now_ms + life;
  ++m_vm.banner.serial;
}

void AppController::ShowError(const Error& e) {
  SetBanner(e.kind == ErrorKind::Usage ? BannerKind::Warning : BannerKind::Error, ReasonKey(e), e.args, e.message);
}

AppController::Completion AppController::Fail(Error e) {
  return [e = std::move(e)](AppController& c) { c.ShowError(e); };
}

// A receipt's warnings (soft limits) make the banner amber: done, but someone should know.
void AppController::ShowReceipt(const Receipt& r) {
  std::string warnings;
  for (const auto& w : r.warnings) warnings += " " + w.message;
  ReasonArgs args = r.args;
  args.emplace_back("warnings", warnings);  // English here; the screen says each warning in its language
  std::string key = "receipt." + r.type + (r.variant.empty() ? "" : "." + r.variant);
  SetBanner(r.warnings.empty() ? BannerKind::Success : BannerKind::Warning, std::move(key), std::move(args),
            r.message + warnings);
  m_vm.banner.warnings = r.warnings;
}

void AppController::RunAction(std::function<Result<Receipt>(Kiosk&)> call, std::function<void(AppController&)> then) {
  Run([call = std::move(call), then = std::move(then)](Kiosk& k) -> Completion {
    auto r = call(k);
    if (!r.ok()) return Fail(r.error());
    return [receipt = std::move(r).value(), then](AppController& c) {
      if (then) then(c);
      c.ShowReceipt(receipt);
    };
  });
}

void AppController::AnnouncePartner(const Partner& p, bool scanned) {
  ReasonArgs args{{"name", p.name}, {"tier", TierKey(p.tier)}};
  std::string text = p.name + " (" + std::string(DisplayName(p.tier)) + ")";
  if (p.status != PartnerStatus::Suspended)
    SetBanner(BannerKind::Success, "banner.partner", std::move(args), std::move(text));
  else if (scanned)
    SetBanner(BannerKind::Warning, "banner.partner_suspended_scan", std::move(args),
              text + ": " + rules::SuspendedNotice(p));
  else
    SetBanner(BannerKind::Warning, "banner.partner_suspended", std::move(args), text + ": this partner is suspended.");
}

void AppController::Go(ScreenId screen) {
  m_vm.screen = screen;
  ++m_vm.screen_serial;
}

std::string AppController::PartnerKey() const {
  const auto& v = m_vm.partner.view;
  return v.card_number.empty() ? v.partner.id : v.card_number;
}

void AppController::ClearSessions() {
  m_vm.checkout.units.clear();
  m_vm.checkout.rep_badge.clear();
  m_vm.checkout.rep_name.clear();
  m_vm.checkin.units.clear();
  m_vm.sellout.units.clear();
  m_vm.labels.units.clear();
}

void AppController::RefreshHome() {
  const Clock* clock = m_options.clock;
  Run([clock](Kiosk& k) -> Completion {
    StatusView status = k.Status(Kiosk::StatusDetail::kSyncState);
    std::vector<DeviceView> overdue = k.Overdue();
    Settings settings = k.CurrentSettings();
    std::string today = FormatDate(clock->Now());
    return [status = std::move(status), overdue = std::move(overdue), settings, today](AppController& c) {
      c.m_vm.home.loaded = true;
      c.m_vm.home.status = status;
      c.m_vm.home.overdue = overdue;
      c.m_vm.checkout.default_loan_days = settings.default_loan_days;
      c.m_vm.checkout.today = today;
      c.m_vm.deal.today = today;
      if (c.m_language_from_settings) {
        c.m_language_from_settings = false;
        if (!settings.language_local && !c.m_options.language.empty()) c.m_vm.language = c.m_options.language;
        else if (!settings.language.empty()) c.m_vm.language = settings.language;
        c.m_vm.idle_timeout_s = !settings.idle_timeout_local && c.m_options.idle_timeout_s > 0 ? c.m_options.idle_timeout_s
                                                                                             : settings.idle_timeout_s;
      }
    };
  });
}

void AppController::LoadPartner(const std::string& card, bool navigate, bool announce) {
  Run([card, navigate, announce](Kiosk& k) -> Completion {
    auto p = k.GetPartner(card);
    if (!p.ok()) return Fail(p.error());
    PartnerView v = std::move(p).value();
    return [v = std::move(v), navigate, announce](AppController& c) {
      bool other = c.m_vm.partner.view.partner.id != v.partner.id;
      c.m_vm.partner.loaded = true;
      c.m_vm.partner.view = v;
      if (other) c.m_vm.sellout.units.clear();
      if (navigate) c.Go(ScreenId::Partner);
      if (announce) {
        c.AnnouncePartner(v.partner, false);
      }
    };
  });
}

void AppController::LoadRewards() {
  std::string card = PartnerKey();
  Run([card](Kiosk& k) -> Completion {
    auto rewards = k.Rewards(card);
    return [rewards = std::move(rewards)](AppController& c) {
      c.m_vm.rewards.loaded = true;
      c.m_vm.rewards.rewards = rewards;
    };
  });
}

void AppController::LoadAdmin() {
  Run([](Kiosk& k) -> Completion {
    StatusView status = k.Status();
    std::vector<Event> recent;
    int64_t since = std::max<int64_t>(1, status.last_seq - 7);
    if (auto j = k.Journal(since, 8); j.ok()) recent = std::move(j).value();
    std::reverse(recent.begin(), recent.end());
    return [status = std::move(status), recent = std::move(recent)](AppController& c) {
      c.m_vm.admin.status = status;
      c.m_vm.admin.recent = recent;
    };
  });
  LoadVerdicts();
}

void AppController::LoadVerdicts() {
  Run([](Kiosk& k) -> Completion {
    std::vector<VerdictRow> rows;
    // The same rows as `kiosk verdicts`: what the central rejected or adjusted.
    auto s = k.Verdicts();
    if (!s.ok()) return Fail(s.error());
    for (const VerdictView& v : *s) rows.push_back(VerdictRow{v.seq, v.type, v.verdict, v.code, v.message});
    return [rows = std::move(rows)](AppController& c) {
      c.m_vm.admin.verdicts = rows;
      c.m_vm.admin.verdicts_loaded = true;
    };
  });
}

void AppController::AddUnit(std::vector<SessionUnit>& units, SessionUnit unit) {
  for (const auto& u : units) {
    if (u.code == unit.code || (!u.label.empty() && u.label == unit.label)) {
      SetBanner(BannerKind::Warning, "banner.unit_twice", {{"unit", unit.label}}, unit.label + " is already in the list.");
      return;
    }
  }
  std::string text = unit.label + (unit.note.empty() ? "" : " (" + unit.note + ")");
  // With a note, {note} is the note's key: the screen says it in its language from its values.
  ReasonArgs args{{"unit", unit.note_key.empty() ? text : unit.label}, {"count", std::to_string(units.size() + 1)}};
  std::string key = "banner.unit_added";
  if (!unit.note_key.empty()) {
    key = "banner.unit_added_note";
    args.emplace_back("note", unit.note_key);
    args.insert(args.end(), unit.note_args.begin(), unit.note_args.end());
  }
  units.push_back(std::move(unit));
  SetBanner(BannerKind::Success, std::move(key), std::move(args),
            "Added " + text + ". " + std::to_string(units.size()) + " in the list.");
}

// ---- intents ------------------------------------------------------------------------------

bool AppController::Handle(const Intent& intent, int64_t now_ms) {
  m_now_ms = now_ms;
  m_last_activity_ms = now_ms;
  // Before the data folder is open only scans can arrive (no screen is drawn yet); they queue
  // behind the open on the worker, so none is lost.
  if (!m_vm.ready && !std::holds_alternative<intent::SetLanguage>(intent) &&
      !std::holds_alternative<intent::Scan>(intent))
    return false;
  return std::visit([this](const auto& i) { return On(i); }, intent);
}

bool AppController::On(const intent::Navigate& i) {
  if (i.to != ScreenId::Home && i.to != ScreenId::AdminLogin && !m_vm.op.signed_in) {
    SetBanner(BannerKind::Warning, "banner.sign_in_first", {}, "Sign in first: scan your staff badge.");
    return true;
  }
  if (NeedsPartner(i.to) && !m_vm.partner.loaded) {
    SetBanner(BannerKind::Warning, "banner.partner_first", {}, "Scan the partner's card first.");
    return true;
  }
  switch (i.to) {
    case ScreenId::Home: RefreshHome(); break;
    case ScreenId::Checkout:
      m_vm.checkout.units.clear();
      m_vm.checkout.rep_badge.clear();
      m_vm.checkout.rep_name.clear();
      if (m_vm.op.badge.role == Role::Rep) {
        m_vm.checkout.rep_badge = m_vm.op.badge.code;
        m_vm.checkout.rep_name = m_vm.op.badge.name;
      }
      break;
    case ScreenId::Checkin: m_vm.checkin.units.clear(); break;
    case ScreenId::Sellout: m_vm.sellout.units.clear(); break;
    case ScreenId::Rewards:
      m_vm.rewards.loaded = false;
      LoadRewards();
      break;
    case ScreenId::DemoOrder:
      m_vm.demo_order.loaded = false;
      Run([](Kiosk& k) -> Completion {
        auto models = k.Models();
        return [models = std::move(models)](AppController& c) {
          c.m_vm.demo_order.models.clear();
          for (const auto& m : models)
            if (m.active) c.m_vm.demo_order.models.push_back(m);
          c.m_vm.demo_order.loaded = true;
        };
      });
      break;
    case ScreenId::AdminLogin:
      m_vm.admin.unlocked = false;
      m_vm.admin.badge = m_vm.op.signed_in && m_vm.op.badge.role == Role::Admin ? m_vm.op.badge.code : "";
      break;
    case ScreenId::Admin:
      if (!m_vm.admin.unlocked) return On(intent::Navigate{ScreenId::AdminLogin});
      LoadAdmin();
      break;
    case ScreenId::Labels:
      // An admin's action: from the unlocked admin screen only.
      if (!m_vm.admin.unlocked) return On(intent::Navigate{ScreenId::AdminLogin});
      m_vm.labels.units.clear();
      if (m_vm.labels.dir.empty()) m_vm.labels.dir = m_vm.admin.export_dir;
      break;
    default: break;
  }
  Go(i.to);
  return true;
}

bool AppController::On(const intent::Back&) {
  if (NeedsPartner(m_vm.screen) && m_vm.partner.loaded) {
    LoadPartner(PartnerKey(), false, false);
    Go(ScreenId::Partner);
    return true;
  }
  if (m_vm.screen == ScreenId::Labels && m_vm.admin.unlocked) {
    LoadAdmin();
    Go(ScreenId::Admin);
    return true;
  }
  if (m_vm.screen == ScreenId::Admin) m_vm.admin.unlocked = false;
  RefreshHome();
  Go(ScreenId::Home);
  return true;
}

bool AppController::On(const intent::SignOut&) {
  m_vm.op = OperatorVm{};
  m_vm.partner = PartnerVm{};
  m_vm.device = DeviceVm{};
  m_vm.admin.unlocked = false;
  m_vm.admin.badge.clear();
  ClearSessions();
  RefreshHome();
  Go(ScreenId::Home);
  return true;
}

bool AppController::On(const intent::SetLanguage& i) {
  static constexpr const char* kLanguages[] = {"en", "de", "fi", "pl", "ru"};
  if (std::find_if(std::begin(kLanguages), std::end(kLanguages), [&](const char* l) { return i.language == l; }) ==
      std::end(kLanguages)) {
    SetBanner(BannerKind::Error, "banner.unknown_language", {{"language", i.language}}, "Unknown language \"" + i.language + "\".");
    return true;
  }
  m_language_from_settings = false;
  m_vm.language = i.language;
  if (i.persist) SaveSettings(LocalSettings{i.language, std::nullopt});
  return true;
}

bool AppController::On(const intent::Scan& i) {
  HandleScan(i.text);
  return false;
}

void AppController::HandleScan(const std::string& raw) {
  std::string text = raw;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return;
  ScreenId screen = m_vm.screen;
  bool signed_in = m_vm.op.signed_in;
  Run([text, screen, signed_in](Kiosk& k) -> Completion {
    // On the label screen every code is a label to print: a badge is not a sign-in there.
    if (screen == ScreenId::Labels && signed_in) {
      auto l = k.LabelFor(text);
      if (!l.ok()) return Fail(l.error());
      SessionUnit unit{text, l->title, "", "", {}};
      return [unit](AppController& c) { c.AddUnit(c.m_vm.labels.units, unit); };
    }
    auto r = k.Resolve(text);
    // A sold unit is usually a customer's, not a demo unit: only the sell-out check can judge it.
    if (screen == ScreenId::Sellout && (!r.ok() || r->kind == EntityKind::Model || r->kind == EntityKind::Device)) {
      auto u = k.CheckSelloutUnit(text);
      if (!u.ok()) return Fail(u.error());
      std::string label = "GTIN " + u->first + ", serial " + u->second;
      if (r.ok() && !r->label.empty()) label = r->label + " (" + u->second + ")";
      return [text, label](AppController& c) { c.AddUnit(c.m_vm.sellout.units, SessionUnit{text, label, "", "", {}}); };
    }
    if (!r.ok()) return Fail(r.error());
    ScanResolution res = std::move(r).value();
    if (res.kind == EntityKind::Badge) {
      if (screen == ScreenId::AdminLogin) {
        return [res](AppController& c) {
          c.m_vm.admin.badge = res.key;
          c.SetBanner(BannerKind::Info, "banner.enter_pin", res.label_args, res.label + ": now enter the PIN.");
        };
      }
      if (screen == ScreenId::Checkout && signed_in) {
        auto b = k.FindBadge(res.key);
        if (b.ok() && b->role == Role::Rep && b->active) {
          Badge badge = std::move(b).value();
          return [badge](AppController& c) {
            c.m_vm.checkout.rep_badge = badge.code;
            c.m_vm.checkout.rep_name = badge.name;
            c.SetBanner(BannerKind::Success, "banner.field_rep", {{"name", badge.name}}, "Field rep: " + badge.name);
          };
        }
      }
      auto s = k.SignIn(res.key);
      if (!s.ok()) return Fail(s.error());
      Badge badge = std::move(s).value();
      return [badge](AppController& c) {
        c.m_vm.op.signed_in = true;
        c.m_vm.op.badge = badge;
        c.m_vm.partner = PartnerVm{};
        c.ClearSessions();
        c.RefreshHome();
        c.Go(ScreenId::Home);
        c.SetBanner(BannerKind::Success, "banner.signed_in", {{"name", badge.name}, {"role", RoleKey(badge.role)}},
                    "Signed in: " + badge.name + " (" + std::string(ToString(badge.role)) + ")");
      };
    }
    if (!signed_in) {
      return [res](AppController& c) {
        if (res.kind == EntityKind::PartnerCard)
          c.SetBanner(BannerKind::Warning, "banner.partner_sign_in_first", res.label_args,
                      res.label + ": sign in first by scanning your staff badge.");
        else
          c.SetBanner(BannerKind::Warning, "banner.label_sign_in_first", {{"label", res.label}},
                      res.label + ": sign in first by scanning your staff badge.");
      };
    }
    if (res.kind == EntityKind::PartnerCard) {
      // A blocked card is refused here in the services' words (rules/partners.hpp).
      auto p = k.CheckPartnerCard(res.key);
      if (!p.ok()) return Fail(p.error());
      PartnerView v = std::move(p).value();
      return [v](AppController& c) {
        bool other = c.m_vm.partner.view.partner.id != v.partner.id;
        c.m_vm.partner.loaded = true;
        c.m_vm.partner.view = v;
        if (other) c.m_vm.sellout.units.clear();
        c.Go(ScreenId::Partner);
        c.AnnouncePartner(v.partner, true);
      };
    }
    if (res.kind == EntityKind::Device) {
      if (screen == ScreenId::Checkout) {
        auto d = k.CheckCheckoutUnit(text);
        if (!d.ok()) return Fail(d.error());
        SessionUnit unit{res.key, res.label, "", "", {}};
        if (!d->kit.empty()) {
          auto view = k.GetDevice(d->asset_tag);
          size_t n = view.ok() ? view->kit_members.size() : 0;
          unit.note = "kit " + d->kit + (n > 1 ? ": " + std::to_string(n) + " units go together" : "");
          unit.note_key = n > 1 ? "note.kit_members" : "note.kit";
          unit.note_args = {{"kit", d->kit}, {"units", std::to_string(n)}};  // not "count": the banner's
        }
        return [unit](AppController& c) { c.AddUnit(c.m_vm.checkout.units, unit); };
      }
      // What may be checked in is the services' rule (rules/devices.hpp), as `kiosk checkin` applies it.
      auto d = screen == ScreenId::Checkin ? k.CheckCheckinUnit(res.key) : k.GetDevice(res.key);
      if (!d.ok() && d.error().code == "device.not_out") {
        // The rule's refusal, in the touchscreen's words for a scan into the check-in list.
        const Error e = d.error();
        std::string tag, state;
        for (const auto& [name, value] : e.args) {
          if (name == "tag") tag = value;
          else if (name == "state") state = value;
        }
        std::string msg = e.message;
        ReasonArgs args{{"tag", tag}, {"state", state}};
        return [msg, args](AppController& c) { c.SetBanner(BannerKind::Error, "banner.not_checked_out", args, msg); };
      }
      if (!d.ok()) return Fail(d.error());
      DeviceView v = std::move(d).value();
      if (screen == ScreenId::Checkin) {
        SessionUnit unit{res.key, res.label, "", "", {}};
        unit.note = v.overdue ? "overdue since " + v.device.due_date : "due " + v.device.due_date;
        unit.note_key = v.overdue ? "note.overdue" : "note.due";
        unit.note_args = {{"date", v.device.due_date}, {"name", v.custodian_name}};
        if (!v.custodian_name.empty()) {
          unit.note = v.custodian_name + ", " + unit.note;
          unit.note_key += "_with";
        }
        return [unit](AppController& c) { c.AddUnit(c.m_vm.checkin.units, unit); };
      }
      return [v, res](AppController& c) {
        c.m_vm.device.loaded = true;
        c.m_vm.device.view = v;
        c.Go(ScreenId::Device);
        c.SetBanner(v.overdue ? BannerKind::Warning : BannerKind::Success,
                    v.overdue ? "banner.device_overdue" : "banner.device",
                    {{"label", res.label}, {"state", StateKey(v.device.state)}},
                    res.label + ": " + std::string(DisplayName(v.device.state)) + (v.overdue ? " (overdue)" : ""));
      };
    }
    return [res](AppController& c) {
      c.SetBanner(BannerKind::Warning, "banner.model_not_unit", {{"label", res.label}},
                  res.label + " is a model, not a unit: scan the unit's asset tag or its own GS1 label.");
    };
  });
}

bool AppController::On(const intent::DismissBanner&) {
  m_vm.banner.kind = BannerKind::None;
  m_vm.banner.text.clear();
  return true;
}

bool AppController::On(const intent::RemoveUnit& i) {
  std::vector<SessionUnit>* units = i.session == ScreenId::Checkout  ? &m_vm.checkout.units
                                    : i.session == ScreenId::Checkin ? &m_vm.checkin.units
                                    : i.session == ScreenId::Sellout ? &m_vm.sellout.units
                                    : i.session == ScreenId::Labels  ? &m_vm.labels.units
                                                                     : nullptr;
  if (!units || i.index < 0 || i.index >= static_cast<int>(units->size())) return false;
  units->erase(units->begin() + i.index);
  return true;
}


bool AppController::On(const intent::ConfirmCheckout& i) {
  CheckoutRequest req;
  for (const auto& u : m_vm.checkout.units) req.codes.push_back(u.code);
  req.rep_badge = m_vm.checkout.rep_badge;
  req.due_date = i.due_date;
  req.purpose = i.purpose;
  req.signature_svg = i.signature_svg;
  if (req.codes.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_units", {}, "Scan at least one unit first.");
    return true;
  }
  if (req.rep_badge.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_rep", {}, "Scan the field rep's badge first.");
    return true;
  }
  if (req.signature_svg.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_signature", {}, "The field rep must sign to accept the terms.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.Checkout(req); },
            [](AppController& c) {
              c.m_vm.checkout.units.clear();
              c.RefreshHome();
              c.Go(ScreenId::Home);
            });
  return false;
}

bool AppController::On(const intent::ConfirmCheckin& i) {
  CheckinRequest req;
  for (const auto& u : m_vm.checkin.units) req.codes.push_back(u.code);
  req.by_badge = m_vm.op.badge.code;
  req.condition = i.condition.empty() ? "ok" : i.condition;
  if (req.codes.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_units", {}, "Scan at least one unit first.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.Checkin(req); },
            [](AppController& c) {
              c.m_vm.checkin.units.clear();
              c.RefreshHome();
              c.Go(ScreenId::Home);
            });
  return false;
}

bool AppController::On(const intent::Redeem& i) {
  RedeemRequest req{PartnerKey(), i.reward_id, i.qty, m_vm.op.badge.code};
  RunAction([req](Kiosk& k) { return k.Redeem(req); },
            [](AppController& c) {
              c.LoadPartner(c.PartnerKey(), false, false);
              c.LoadRewards();
            });
  return false;
}

bool AppController::On(const intent::OrderDemo& i) {
  DemoOrderRequest req{PartnerKey(), i.model_gtin, i.qty, m_vm.op.badge.code};
  RunAction([req](Kiosk& k) { return k.OrderDemo(req); },
            [](AppController& c) {
              c.LoadPartner(c.PartnerKey(), false, false);
              c.Go(ScreenId::Partner);
            });
  return false;
}

bool AppController::On(const intent::ConfirmSellout&) {
  SelloutRequest req;
  req.partner_card = PartnerKey();
  req.by_badge = m_vm.op.badge.code;
  for (const auto& u : m_vm.sellout.units) req.codes.push_back(u.code);
  if (req.codes.empty()) {
    SetBanner(BannerKind::Warning, "banner.no_sold_units", {}, "Scan at least one sold unit first.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.ReportSellout(req); },
            [](AppController& c) {
              c.m_vm.sellout.units.clear();
              c.LoadPartner(c.PartnerKey(), false, false);
              c.Go(ScreenId::Partner);
            });
  return false;
}

bool AppController::On(const intent::RegisterDeal& i) {
  DealRequest req{PartnerKey(), i.customer, i.product, i.value, i.close_date, m_vm.op.badge.code};
  if (req.customer.empty() || req.product.empty() || req.value <= 0 || req.close_date.empty()) {
    SetBanner(BannerKind::Warning, "banner.deal_missing", {}, "Fill in the customer, the product, the value and the close date.");
    return true;
  }
  RunAction([req](Kiosk& k) { return k.RegisterDeal(req); },
            [](AppController& c) {
              c.Go(ScreenId::Partner);
            });
  return false;
}

bool AppController::On(const intent::AdminBadge& i) {
  m_vm.admin.badge = i.badge;
  return true;
}

bool AppController::On(const intent::AdminPin& i) {
  if (m_vm.admin.badge.empty()) {
    SetBanner(BannerKind::Warning, "banner.admin_badge_first", {}, "Scan the admin badge first, then enter the PIN.");
    return true;
  }
  std::string badge = m_vm.admin.badge;
  std::string pin = i.pin;
  Run([badge, pin](Kiosk& k) -> Completion {
    auto r = k.UnlockAdmin(badge, pin);
    if (!r.ok()) {
      Error e = r.error();
      return [e](AppController& c) {
        // Only a PIN the core checked and found wrong counts: during a lockout no PIN is checked
        // (the right one included), and an unknown badge is not a PIN at all.
        if (e.code == "admin.wrong_pin" || (e.code == "admin.locked" && e.variant == "now")) ++c.m_vm.admin.wrong_pins;
        c.ShowError(e);
      };
    }
    Badge b = std::move(r).value();
    return [b](AppController& c) {
      c.m_vm.admin.unlocked = true;
      c.m_vm.admin.wrong_pins = 0;
      if (!c.m_vm.op.signed_in) {
        c.m_vm.op.signed_in = true;
        c.m_vm.op.badge = b;
      }
      c.LoadAdmin();
      c.Go(ScreenId::Admin);
      c.SetBanner(BannerKind::Success, "banner.admin_unlocked", {{"name", b.name}}, "Admin screen unlocked: " + b.name);
    };
  });
  return false;
}

bool AppController::On(const intent::SyncNow&) {
  if (!m_vm.admin.sync.enrolled) {
    SetBanner(BannerKind::Warning, "banner.not_enrolled", {}, kNotEnrolled);
    return true;
  }
  if (!m_sync) {
    SetBanner(BannerKind::Warning, "banner.no_network_client", {}, "This build has no network client for sync; use Export to USB stick.");
    return true;
  }
  m_sync->SyncNow();
  const std::string pending = std::to_string(m_vm.admin.status.pending_events);
  SetBanner(BannerKind::Info, "banner.sync_started", {{"count", pending}},
            "Sync started: " + pending + " events wait to be sent.");
  return true;
}

// The admin enrols the kiosk from the touchscreen: the same SyncEngine::Enrol as `kiosk enroll`, on
// the worker with the worker's own connection (it stores the central's address and key in one
// transaction, or nothing) and an HTTP client of its own. Enrolment writes no journal event, as
// with `kiosk enroll`: it changes no showroom state, and the central records it on its side.
bool AppController::On(const intent::Enrol& i) {
  SyncVm& s = m_vm.admin.sync;
  // From the unlocked admin screen only, and once: a second tap while the first is on its way
  // does nothing.
  if (!m_vm.admin.unlocked || s.enrolling || s.enrolled) return false;
  if (!m_options.make_http) {
    SetBanner(BannerKind::Warning, "banner.no_network_client", {}, "This build has no network client for sync; use Export to USB stick.");
    return true;
  }
  const std::string typed_url = Trimmed(i.central_url);
  const std::string code = Trimmed(i.code);
  s.enrolling = true;
  Run([typed_url, code, make_http = m_options.make_http](Kiosk& k) -> Completion {
    std::unique_ptr<platform::HttpClient> http = make_http();
    std::optional<sync::SyncEngine> engine;
    if (http) engine.emplace(k, *http);
    Status enrolled = engine ? engine->Enrol(typed_url, code)
                             : Status(MakeError(ErrorKind::Network, "net.init", "libcurl could not be initialised."));
    const std::string kiosk_id = k.KioskId();
    if (!enrolled.ok()) {
      const Error e = enrolled.error();
      // {reason} is the reason's key, said in the screen's language from the reason's own values;
      // the central's refusals carry none, so the kiosk id they speak of is added here.
      ReasonArgs args = e.args;
      if (std::none_of(args.begin(), args.end(), [](const auto& a) { return a.first == "kiosk"; }))
        args.emplace_back("kiosk", kiosk_id);
      args.emplace_back("reason", ReasonKey(e));
      // The central could not be reached (or answered like a web server that is not one): the
      // address or the network is what to check. Refusals say themselves what to do.
      const bool network = e.kind == ErrorKind::Network;
      std::string text = "Enrolment failed: " + e.message;
      if (network) text += " Check the central's address and the kiosk's network, then tap Enrol again.";
      return [args = std::move(args), text = std::move(text), network](AppController& c) {
        c.m_vm.admin.sync.enrolling = false;
        c.SetBanner(BannerKind::Error, network ? "banner.enrol_failed_network" : "banner.enrol_failed", args, text);
      };
    }
    const std::string url = engine->StoredCentralUrl();  // as the engine stored it (no trailing '/')
    return [url, kiosk_id](AppController& c) {
      SyncVm& v = c.m_vm.admin.sync;
      v.enrolling = false;
      v.enrolled = true;
      v.central_url = url;
      c.StartSync();  // its first round starts at once
      if (c.m_vm.screen == ScreenId::Admin) c.LoadAdmin();
      c.SetBanner(BannerKind::Success, "banner.enrolled", {{"kiosk", kiosk_id}, {"central", url}},
                  "Kiosk " + kiosk_id + " is enrolled with " + url + ". The first sync has started.");
    };
  });
  return true;
}

bool AppController::On(const intent::ExportJournal& i) {
  std::string dir = i.dir.empty() ? m_vm.admin.export_dir : i.dir;
  while (!dir.empty() && (dir.back() == ' ' || dir.back() == '\n')) dir.pop_back();
  while (!dir.empty() && dir.front() == ' ') dir.erase(dir.begin());
  if (dir.empty()) {
    SetBanner(BannerKind::Warning, "banner.export_no_dir", {}, "Type the USB stick's folder first, e.g. /media/usb.");
    return true;
  }
  if (m_vm.admin.exporting) {
    SetBanner(BannerKind::Warning, "banner.export_running", {}, "An export is already running; wait for its result.");
    return true;
  }
  m_vm.admin.export_dir = dir;
  m_vm.admin.exporting = true;
  Run([dir](Kiosk& k) -> Completion {
    NoHttp http;
    sync::SyncEngine engine(k, http);
    auto r = engine.ExportTo(dir);
    if (!r.ok()) {
      Error e = r.error();
      return [e](AppController& c) {
        c.m_vm.admin.exporting = false;
        // {reason} is the reason's key: the screen says it in its language with the reason's values.
        ReasonArgs args = e.args;
        args.emplace_back("reason", ReasonKey(e));
        c.SetBanner(BannerKind::Error, "banner.export_failed", std::move(args), "Export failed: " + e.message);
      };
    }
    std::string text, key = "banner.export_nothing", files;
    if (r->events == 0) {
      text = "Nothing to export: the central has acknowledged every event. A manifest was written to " + dir + ".";
    } else {
      key = "banner.export_done";
      for (const auto& f : r->files) files += " " + f.filename().string();
      text = "Exported " + std::to_string(r->events) + " events (seq " + std::to_string(r->from_seq) + ".." +
             std::to_string(r->to_seq) + ") in " + std::to_string(r->files.size()) + " files to " + dir + ":" + files +
             ". At the central: kiosk-central import.";
    }
    ReasonArgs args{{"dir", dir}, {"events", std::to_string(r->events)}, {"from", std::to_string(r->from_seq)},
                    {"to", std::to_string(r->to_seq)}, {"count", std::to_string(r->files.size())}, {"files", files}};
    return [text, key, args](AppController& c) {
      c.m_vm.admin.exporting = false;
      c.SetBanner(BannerKind::Success, key, args, text);
      if (c.m_vm.screen == ScreenId::Admin) c.LoadAdmin();
    };
  });
  return true;
}

bool AppController::On(const intent::Refresh&) {
  if (m_vm.screen == ScreenId::Admin) LoadAdmin();
  else RefreshHome();
  return false;
}

bool AppController::On(const intent::SetIdleTimeout& i) {
  m_vm.idle_timeout_s = std::clamp(i.seconds, 15, 3600);
  SaveSettings(LocalSettings{std::nullopt, m_vm.idle_timeout_s});
  return true;
}

void AppController::SaveSettings(LocalSettings s) {
  Run([s = std::move(s)](Kiosk& k) -> Completion {
    auto r = k.SaveLocalSettings(s);
    if (!r.ok()) return Fail(r.error());
    return nullptr;
  });
}

// The admin's label sheet: each code asked again of the services (a card blocked since it was
// scanned is refused now), then written by kiosk/labels on the worker into a new file in the
// folder, named by the time, so an earlier sheet is never overwritten.
bool AppController::On(const intent::PrintLabels& i) {
  LabelsVm& l = m_vm.labels;
  if (!m_vm.admin.unlocked || l.printing) return false;
  if (!m_options.write_labels) {
    SetBanner(BannerKind::Warning, "banner.labels_unavailable", {},
              "This build cannot print labels (it was built without libzint and cairo).");
    return true;
  }
  if (l.units.empty()) {
    SetBanner(BannerKind::Warning, "banner.labels_none", {}, "Scan or type at least one unit, card or badge first.");
    return true;
  }
  std::string dir = Trimmed(i.dir.empty() ? l.dir : i.dir);
  if (dir.empty()) {
    SetBanner(BannerKind::Warning, "banner.export_no_dir", {}, "Type the USB stick's folder first, e.g. /media/usb.");
    return true;
  }
  l.dir = dir;
  l.printing = true;
  std::vector<std::string> codes;
  for (const auto& u : l.units) codes.push_back(u.code);
  LabelJob job;
  job.sheet = i.sheet;
  job.symbology = i.symbology;
  const Clock* clock = m_options.clock;
  Run([codes, job, dir, clock, write = m_options.write_labels](Kiosk& k) mutable -> Completion {
    auto failed = [](Error e) -> Completion {
      return [e = std::move(e)](AppController& c) {
        c.m_vm.labels.printing = false;
        c.ShowError(e);
      };
    };
    for (const auto& code : codes) {
      auto item = k.LabelFor(code);
      if (!item.ok()) return failed(item.error());
      job.items.push_back(std::move(item).value());
    }
    // labels-20261204-153000.pdf: UTC, like every time the kiosk writes.
    std::string stamp = FormatUtc(clock->Now()).substr(0, 19);
    stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char ch) { return ch == '-' || ch == ':'; }),
                stamp.end());
    std::replace(stamp.begin(), stamp.end(), 'T', '-');
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      return failed(MakeError(ErrorKind::Storage, "labels.no_dir",
                              "There is no folder " + dir + ": insert the USB stick or type another folder.",
                              {{"dir", dir}}));
    job.out = (std::filesystem::path(dir) / ("labels-" + stamp + (job.sheet == "zpl" ? ".zpl" : ".pdf"))).string();
    if (auto s = write(job); !s.ok()) return failed(s.error());
    const std::string count = std::to_string(job.items.size());
    ReasonArgs args{{"count", count}, {"file", job.out}, {"sheet", job.sheet}};
    return [args, job](AppController& c) {
      c.m_vm.labels.printing = false;
      c.m_vm.labels.units.clear();
      c.SetBanner(BannerKind::Success, job.sheet == "zpl" ? "banner.labels_written_zpl" : "banner.labels_written", args,
                  std::to_string(job.items.size()) + (job.items.size() == 1 ? " label" : " labels") + " written to " +
                      job.out + " (" + job.sheet + ").");
    };
  });
  return true;
}

}  // namespace kiosk::app
