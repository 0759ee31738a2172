// AppController: the worker and its queue, timers, banners, and the dispatch of intents. The
// intents' handlers are split by feature: app_controller_navigation.cpp (screens, sign-out),
// app_controller_scan.cpp (scan routing), app_controller_sessions.cpp (partner, device and
// field-rep flows), app_controller_admin.cpp (admin unlock, sync, enrolment, export, settings,
// labels). One class: every file is the same main-thread object.
#include "kiosk/app/app_controller.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
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
    case ScreenId::Stocktake: return "stocktake";
  }
  return "?";
}

namespace {
constexpr int64_t kSuccessBannerMs = 6000;
constexpr int64_t kWarningBannerMs = 9000;
constexpr int64_t kErrorBannerMs = 15000;  // a refusal must be read, not glimpsed

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

void AppController::Go(ScreenId screen) {
  m_vm.screen = screen;
  ++m_vm.screen_serial;
  m_vm.device.signature = SignatureVm{};  // an opened signature belongs to the screen it was opened on
}

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

bool AppController::On(const intent::DismissBanner&) {
  m_vm.banner.kind = BannerKind::None;
  m_vm.banner.text.clear();
  return true;
}

}  // namespace kiosk::app
