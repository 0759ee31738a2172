// AppController, admin: PIN unlock, the status and verdict lists, sync and enrolment, USB export,
// the kiosk's own settings (language, idle time-out), label sheets.
#include "kiosk/app/app_controller.hpp"
#include "kiosk/core/languages.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <system_error>

#include "kiosk/sync/client.hpp"

namespace kiosk::app {

namespace {
constexpr const char* kNotEnrolled =
    "This kiosk is not enrolled: enter the central's address and the enrolment code on the admin screen (or run "
    "`kiosk enroll --central URL --code CODE`).";

// USB export needs the engine's bookkeeping but never the network.
class NoHttp final : public platform::HttpClient {
 public:
  Result<platform::HttpResponse> Send(const platform::HttpRequest&) override {
    return MakeError(ErrorKind::Refused, "sync.no_network", "USB export does not use the network.");
  }
};
}  // namespace

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

// Recovery after a restore from an older backup: the same SyncEngine::Recover as `kiosk
// recover`, on the worker with its own HTTP client; then a sync round delivers the events logged
// again.
bool AppController::On(const intent::Recover&) {
  AdminVm& a = m_vm.admin;
  if (!a.unlocked || a.recovering || !a.status.journal_fork) return false;
  if (!m_options.make_http) {
    SetBanner(BannerKind::Warning, "banner.no_network_client", {}, "This build has no network client for sync; use Export to USB stick.");
    return true;
  }
  a.recovering = true;
  Run([make_http = m_options.make_http](Kiosk& k) -> Completion {
    std::unique_ptr<platform::HttpClient> http = make_http();
    std::optional<sync::SyncEngine> engine;
    if (http) engine.emplace(k, *http);
    auto r = engine ? engine->Recover()
                    : Result<Kiosk::RecoveryReport>(MakeError(ErrorKind::Network, "net.init", "libcurl could not be initialised."));
    if (!r.ok()) {
      const Error e = r.error();
      ReasonArgs args = e.args;
      args.emplace_back("reason", ReasonKey(e));
      return [args = std::move(args), text = "Recovery failed: " + e.message](AppController& c) {
        c.m_vm.admin.recovering = false;
        c.SetBanner(BannerKind::Error, "banner.recover_failed", args, text);
      };
    }
    const std::string taken = std::to_string(r->adopted);
    const std::string again = std::to_string(r->relogged.size());
    return [taken, again](AppController& c) {
      c.m_vm.admin.recovering = false;
      if (c.m_sync) c.m_sync->SyncNow();
      c.LoadAdmin();
      c.RefreshHome();
      c.SetBanner(BannerKind::Success, "banner.recovered", {{"taken", taken}, {"count", again}},
                  "Recovered: " + taken + " events taken back from the central, " + again +
                      " actions of this kiosk logged again. Sync started.");
    };
  });
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

bool AppController::On(const intent::SetLanguage& i) {
  if (!IsLanguage(i.language)) {
    SetBanner(BannerKind::Error, "banner.unknown_language", {{"language", i.language}}, "Unknown language \"" + i.language + "\".");
    return true;
  }
  m_language_from_settings = false;
  m_vm.language = i.language;
  if (i.persist) SaveSettings(LocalSettings{i.language, std::nullopt});
  return true;
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
    // The sheet by its name in the kiosk's language ("A4, 3 × 7"), as its button names it, not its
    // id ("a4-3x7"). WriteJob refused an unknown id above.
    const intent::LabelSheetChoice* sheet = &intent::kLabelSheets[0];
    for (const auto& s : intent::kLabelSheets)
      if (job.sheet == s.id) sheet = &s;
    const std::string sheet_name = sheet->english;
    ReasonArgs args{{"count", count}, {"file", job.out}, {"sheet", sheet->key}};
    return [args, job, sheet_name](AppController& c) {
      c.m_vm.labels.printing = false;
      c.m_vm.labels.units.clear();
      c.SetBanner(BannerKind::Success, job.sheet == "zpl" ? "banner.labels_written_zpl" : "banner.labels_written", args,
                  std::to_string(job.items.size()) + (job.items.size() == 1 ? " label" : " labels") + " written to " +
                      job.out + " (" + sheet_name + ").");
    };
  });
  return true;
}

}  // namespace kiosk::app
