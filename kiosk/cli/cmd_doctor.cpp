// `kiosk doctor`: the field technician's health check of one kiosk. Each check says what it saw
// and, when it fails, what to do about it; the exit code is 0 only when nothing failed.
// It never changes anything: the database is opened read-only.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/cli/cli.hpp"
#include "kiosk/cli/output.hpp"
#include "kiosk/core/assets.hpp"
#include "kiosk/core/barcode/site_rules.hpp"
#include "kiosk/core/config.hpp"
#include "kiosk/services/kiosk.hpp"
#include "platform/scanner_set.hpp"
#include "platform/scanner_usb.hpp"

namespace kiosk::cli {
namespace {

namespace fs = std::filesystem;

enum class CheckState { Pass, Warn, Fail, Skip };

const char* ToString(CheckState s) {
  switch (s) {
    case CheckState::Pass: return "pass";
    case CheckState::Warn: return "warn";
    case CheckState::Fail: return "fail";
    case CheckState::Skip: return "skip";
  }
  return "?";
}

struct Check {
  std::string name;    // stable: config, data_dir, disk, key, database, clock, display, scanners, barcode_rules, central
  CheckState state = CheckState::Pass;
  std::string detail;  // what was seen
  std::string fix;     // what to do, when not passing
  bool integrity = false;  // a failure of the data's integrity (damaged file, altered journal): exit 3
};

struct DoctorOptions {
  std::string config_path;             // --config; empty: $KIOSK_CONFIG or /etc/kiosk/kiosk.json
  int64_t min_free_mb = 200;           // below this free space in the data folder's file system: fail
  int central_timeout_ms = 3000;       // TCP connect to the central
  std::vector<std::string> skip;       // check names to skip
};

Check Pass(std::string name, std::string detail) { return {std::move(name), CheckState::Pass, std::move(detail), ""}; }
Check Fail(std::string name, std::string detail, std::string fix) {
  return {std::move(name), CheckState::Fail, std::move(detail), std::move(fix)};
}
Check Warn(std::string name, std::string detail, std::string fix) {
  return {std::move(name), CheckState::Warn, std::move(detail), std::move(fix)};
}

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string UserName(uid_t uid) {
  // getpwuid would pull NSS into a static CLI for one label; the number is what chown needs.
  return "uid " + std::to_string(uid);
}

// ---- barcode rules -----------------------------------------------------------------------------
// The kiosk classifies with the built-in rules when the site's file does not load, so a file it
// refuses (a pattern the matcher does not support, a typo) would otherwise go unseen.
Check CheckBarcodeRules() {
  const kiosk::barcode::SiteRules rules = kiosk::barcode::LoadSiteRules();
  if (!rules.file_exists) return Pass("barcode_rules", "no " + rules.path.string() + ": the built-in rules");
  if (rules.error)
    return Fail("barcode_rules", rules.error->message + " (the kiosk uses its built-in rules meanwhile)",
                "correct the rule it names (docs/scanners.md lists what a pattern may use), or restore the "
                "packaged file with `apt-get install --reinstall kiosk`");
  return Pass("barcode_rules", rules.path.string() + " loads");
}

// ---- config -------------------------------------------------------------------------------------
Check CheckConfig(const DoctorOptions& opt, Config& out) {
  fs::path path = opt.config_path.empty() ? ConfigPathFromEnvironment() : fs::path(opt.config_path);
  if (path.empty()) {
    out = Config{};
    return Pass("config", std::string("no ") + kDefaultConfigPath + ": built-in defaults (sync every " +
                              std::to_string(out.sync_interval_s) + " s, keep acknowledged events " +
                              std::to_string(out.retention_days) + " days)");
  }
  auto loaded = LoadConfig(path);
  if (!loaded.ok())
    return Fail("config", loaded.error().message,
                "correct the file (docs/deployment.md lists every key), or restore the packaged default with "
                "`apt-get install --reinstall -o Dpkg::Options::=--force-confask kiosk`");
  out = *loaded;
  std::string detail = path.string() + ": sync every " + std::to_string(out.sync_interval_s) + " s, keep " +
                       (out.retention_days ? "acknowledged events " + std::to_string(out.retention_days) + " days"
                                           : std::string("acknowledged events forever")) +
                       ", central " + (out.central_url.empty() ? std::string("none (offline only)") : out.central_url);
  return Pass("config", detail);
}

// ---- data folder and disk -------------------------------------------------------------------------
Check CheckDataDir(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return Fail("data_dir", dir.string() + ": " + std::strerror(errno),
                "create and enrol it: `sudo -u kiosk kiosk --data " + dir.string() + " init` (the kiosk package "
                "creates /var/lib/kiosk)");
  if (!S_ISDIR(st.st_mode)) return Fail("data_dir", dir.string() + " is not a folder", "move it away and run `kiosk init`");
  if (::access(dir.c_str(), W_OK) != 0 && ::geteuid() == st.st_uid)
    return Fail("data_dir", dir.string() + " is not writable by its owner (mode " + ModeString(st.st_mode) + ")",
                "chmod u+rwx " + dir.string());
  if (st.st_mode & 0007)
    return Warn("data_dir", dir.string() + " is open to all users (mode " + ModeString(st.st_mode) + ")",
                "chmod 750 " + dir.string());
  return Pass("data_dir", dir.string() + " (owner " + UserName(st.st_uid) + ", mode " + ModeString(st.st_mode) + ")");
}

Check CheckDisk(const fs::path& dir, int64_t min_free_mb) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0)
    return Fail("disk", "cannot read free space of " + dir.string() + ": " + std::strerror(errno),
                "check that the data folder's file system is mounted");
  const int64_t free_mb = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize) / (1024 * 1024);
  const int64_t total_mb = static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize) / (1024 * 1024);
  std::string detail = std::to_string(free_mb) + " MB free of " + std::to_string(total_mb) + " MB";
  if (vfs.f_flag & ST_RDONLY)
    return Fail("disk", detail + ", but the file system is mounted read-only",
                "the SD card/eMMC may be failing: check `dmesg`, back up the data folder, replace the card");
  if (free_mb < min_free_mb)
    return Fail("disk", detail + " (needs at least " + std::to_string(min_free_mb) + " MB)",
                "free space: `journalctl --vacuum-size=100M`, remove old exports, or lower retention_days in "
                "/etc/kiosk/kiosk.json");
  return Pass("disk", detail);
}

// ---- key file -------------------------------------------------------------------------------------
Check CheckKey(const DataPaths& paths) {
  const fs::path key = paths.Key();
  struct stat st {};
  if (::lstat(key.c_str(), &st) != 0)
    return Fail("key", key.string() + " is missing: the journal cannot be signed or verified",
                "restore kiosk.key from the backup taken at enrolment; without it re-enrol the kiosk with the "
                "central (its unsynced events cannot be proven any more)");
  if (!S_ISREG(st.st_mode))
    return Fail("key", key.string() + " is not a regular file", "restore kiosk.key from the enrolment backup");
  struct stat dir_st {};
  const bool have_dir = ::stat(paths.dir.c_str(), &dir_st) == 0;
  if (st.st_mode & 0077)
    return Fail("key", key.string() + " is readable by other users (mode " + ModeString(st.st_mode) +
                           "): anyone who can read it can forge journal events",
                "chmod 600 " + key.string() + " (and consider re-enrolling if others had access)");
  if (have_dir && st.st_uid != dir_st.st_uid)
    return Fail("key", key.string() + " is owned by " + UserName(st.st_uid) + ", the data folder by " +
                           UserName(dir_st.st_uid) + ": the kiosk cannot read its own key",
                "chown --reference=" + paths.dir.string() + " " + key.string());
  return Pass("key", key.string() + " (mode " + ModeString(st.st_mode) + ", owner " + UserName(st.st_uid) + ")");
}

// ---- database -------------------------------------------------------------------------------------
Check CheckDatabase(const DataPaths& paths, std::string& last_event_time, bool verbose) {
  std::error_code ec;
  if (!fs::exists(paths.Db(), ec))
    return Fail("database", paths.Db().string() + " does not exist: the kiosk is not enrolled",
                "sudo -u kiosk kiosk --data " + paths.dir.string() + " init");
  auto opened = Kiosk::Open({.data_dir = paths.dir, .read_only = true});
  if (!opened.ok())
    return Fail("database", "cannot open: " + opened.error().message + " [" + opened.error().code + "]",
                "keep a copy of the data folder, then follow the message above; `kiosk journal` reads what is left "
                "of a damaged journal and `kiosk export` saves unsent events for the central");
  Kiosk& k = **opened;
  const StatusView status = k.Status();
  if (status.database_health != "ok") {
    Check c = Fail("database", "integrity check failed: " + status.database_health +
                                   (verbose ? "\n           SQLite's report:\n" + status.database_report : ""),
                   "stop the kiosk (systemctl stop kiosk), copy the data folder, export the journal with "
                   "`kiosk export`, then restore the data folder (README: Recovering)" +
                       std::string(verbose ? "" : "; --verbose shows SQLite's full report"));
    c.integrity = true;
    return c;
  }
  auto verified = k.Verify();
  if (!verified.ok())
    return Fail("database", "journal verification failed: " + verified.error().message,
                "do not edit the database; export it (`kiosk export`) and report it to the central's operator");
  if (!verified->ok) {
    Check c = Fail("database", (verified->missing_to ? "journal incomplete: " : "journal chain broken at seq " +
                                       std::to_string(verified->first_bad_seq) + ": ") + verified->problem,
                   "the journal was altered or damaged: keep the data folder untouched and report it to the central's "
                   "operator (it holds the acknowledged copy)");
    c.integrity = true;
    return c;
  }
  if (status.journal_fork) {
    Check c = Fail("database",
                   "journal behind the central's: the central holds this kiosk's journal up to seq " +
                       std::to_string(status.journal_fork->central_seq) + ", this kiosk only up to seq " +
                       std::to_string(status.journal_fork->local_seq) + " of its own (seen " +
                       status.journal_fork->detected_at + "); actions are refused",
                   "the data folder was restored from an older backup (or copied): run `kiosk recover` (or Admin -> "
                   "Recover on the touchscreen) to take back the central's events; README: Recovering");
    c.integrity = true;
    return c;
  }
  if (status.last_seq > 0) {
    auto last = k.Journal(status.last_seq - 1, 1);
    if (last.ok() && !last->empty()) last_event_time = last->back().wall_time;
  }
  return Pass("database", "kiosk " + status.kiosk_id + ": integrity ok, " + std::to_string(verified->events) +
                              " journal events verified" +
                              (verified->anchor_seq ? " against the central's anchor at seq " +
                                                          std::to_string(verified->anchor_seq)
                                                    : std::string()) +
                              ", " + std::to_string(status.pending_events) + " not yet synced");
}

// ---- clock --------------------------------------------------------------------------------------------
std::time_t BuildTime() {
  // __DATE__ is "Nov 24 2026": the clock cannot be earlier than the day this binary was built.
  static const char* kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const std::string date = __DATE__;
  const auto month = static_cast<unsigned>(std::string(kMonths).find(date.substr(0, 3)) / 3 + 1);
  const std::chrono::year_month_day built{std::chrono::year{std::atoi(date.substr(7, 4).c_str())},
                                          std::chrono::month{month},
                                          std::chrono::day{static_cast<unsigned>(std::atoi(date.substr(4, 2).c_str()))}};
  return std::chrono::system_clock::to_time_t(std::chrono::sys_days{built});
}

std::time_t ParseUtc(const std::string& iso) {  // "2026-11-24T13:45:01.123Z"; 0 if malformed
  const std::optional<int64_t> ms = ParseUtcMs(iso);
  return ms ? static_cast<std::time_t>(*ms / 1000) : 0;
}

std::string FormatUtc(std::time_t t) { return FormatUtcSeconds(std::chrono::system_clock::from_time_t(t)); }

Check CheckClock(const std::string& last_event_time) {
  std::time_t now = std::time(nullptr);
  if (const char* fake = std::getenv("KIOSK_DOCTOR_NOW"); fake && *fake) now = ParseUtc(fake);  // tests
  const std::time_t built = BuildTime();
  const std::string fix =
      "set the clock: enable NTP (`timedatectl set-ntp true`, needs the network) or `timedatectl set-time "
      "'YYYY-MM-DD HH:MM:SS'`; boards without a battery-backed clock need NTP or an RTC module";
  if (now < built - 86400)
    return Fail("clock", "the clock says " + FormatUtc(now) + ", before this software was built (" +
                             FormatUtc(built).substr(0, 10) + ")", fix);
  if (now > built + 5L * 366 * 86400)
    return Fail("clock", "the clock says " + FormatUtc(now) + ", more than 5 years after this software was built (" +
                             FormatUtc(built).substr(0, 10) + ")", fix);
  if (!last_event_time.empty()) {
    const std::time_t last = ParseUtc(last_event_time);
    if (last > now + 300)
      return Fail("clock", "the clock says " + FormatUtc(now) + ", but the last journal event was logged at " +
                               last_event_time + ": the clock went back", fix);
  }
  return Pass("clock", FormatUtc(now) + " (UTC)");
}

// ---- display --------------------------------------------------------------------------------------------
bool CanConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::vector<std::string> Glob(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

Check CheckDisplay() {
  const char* wl = std::getenv("WAYLAND_DISPLAY");
  const char* x = std::getenv("DISPLAY");
  if (wl && *wl) {
    std::string path = wl;
    if (path.front() != '/') {
      const char* run = std::getenv("XDG_RUNTIME_DIR");
      path = std::string(run ? run : "/run/user/" + std::to_string(::getuid())) + "/" + wl;
    }
    if (CanConnectUnix(path)) return Pass("display", "Wayland display " + path + " accepts connections (GL not probed)");
    return Fail("display", "WAYLAND_DISPLAY=" + std::string(wl) + " but " + path + " does not accept connections",
                "is the compositor (cage) running? `systemctl status kiosk`, `journalctl -u kiosk -b`");
  }
  if (x && *x) {
    const std::string d = x;
    if (d.front() != ':')
      return Warn("display", "DISPLAY=" + d + " is a remote display", "run doctor on the kiosk's own screen session");
    const std::string num = d.substr(1, d.find('.') == std::string::npos ? std::string::npos : d.find('.') - 1);
    const std::string path = "/tmp/.X11-unix/X" + num;
    if (CanConnectUnix(path)) return Pass("display", "X11 display " + d + " accepts connections (GL not probed)");
    return Fail("display", "DISPLAY=" + d + " but " + path + " does not accept connections",
                "is the X server running? `systemctl status kiosk`, `journalctl -u kiosk -b`");
  }
  const auto cards = Glob("/dev/dri", "card");
  if (!cards.empty()) {
    const auto renders = Glob("/dev/dri", "renderD");
    return Pass("display", "no display in this shell; KMS device " + cards.front() +
                               (renders.empty() ? std::string(" (no render node: software GL)")
                                                : " and render node " + renders.front()) +
                               " for the kiosk session");
  }
  return Fail("display", "no display: neither $WAYLAND_DISPLAY nor $DISPLAY is set and there is no /dev/dri/card*",
              "load the GPU's KMS driver (Raspberry Pi: dtoverlay=vc4-kms-v3d in config.txt), or run doctor inside the "
              "kiosk session; `--skip display` on a headless test machine");
}

// ---- scanners ---------------------------------------------------------------------------------------------
bool Has(const std::vector<std::string>& list, const char* name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

Check CheckScanners(const Config& config) {
  // The same list the admin screen's scanner health shows, found without claiming anything, so
  // the doctor can run beside a running kiosk.
  platform::ScannerSetOptions o;
  o.config = config.scanner;
  o.scanners_json = AssetsDir() / "scanners.json";
  const std::vector<platform::ScannerInfo> rows = platform::ScannerSet::Probe(o);
  std::string found, errors, waiting;
  bool usb_bus = true;
  for (const auto& r : rows) {
    std::string line = r.name + " (" + r.transport + ")" + (r.detail.empty() ? "" : ": " + r.detail);
    if (r.transport == "wedge") continue;  // always "there": it says nothing about a scanner
    std::string& list = r.state == "found" ? found : r.state == "error" ? errors : waiting;
    list += (list.empty() ? "" : "; ") + line;
    if (r.detail.find("no USB bus") != std::string::npos) usb_bus = false;
  }
  const std::string usb_note = usb_bus ? "" : " (this machine has no USB bus)";
  for (const auto& r : rows) {
    if (r.state != "error") continue;
    if (r.transport == "serial" && r.detail.find("not there") != std::string::npos)
      return Fail("scanners", "serial scanner " + r.detail,
                  "plug the scanner in (CDC-ACM mode), or correct scanner.serial_port in /etc/kiosk/kiosk.json");
    if (r.transport == "serial")
      return Fail("scanners", "serial scanner " + r.detail, "the kiosk user must be in the dialout group (`adduser kiosk dialout`)");
    if (r.name == "scanner models")
      return Fail("scanners", r.detail, "reinstall the kiosk package (it ships scanners.json)");
    if (r.transport == "usb")
      return Fail("scanners", "USB: " + r.detail, "check that /dev/bus/usb exists and the udev rule is installed");
  }
  if (!found.empty()) return errors.empty() ? Pass("scanners", found) : Warn("scanners", found + "; " + errors, "see docs/scanners.md");
  const bool keyboard_modes = Has(config.scanner.sources, "evdev") || Has(config.scanner.sources, "wedge");
  const std::string fix =
      "plug the scanner in; if it is plugged in, find its VID:PID with `lsusb` and add it to scanner.usb_ids in "
      "/etc/kiosk/kiosk.json; `kiosk scanners` shows what the kiosk sees";
  if (keyboard_modes)
    return Warn("scanners", "no known USB or serial scanner found" + usb_note +
                                "; a scanner in keyboard mode (evdev/wedge) cannot be told apart from a keyboard",
                fix + "; or scan a barcode on the admin screen to confirm a keyboard-mode scanner");
  return Fail("scanners", "no scanner found" + usb_note, fix);
}

// ---- central ----------------------------------------------------------------------------------------------
Check CheckCentral(const Config& config, int timeout_ms) {
  if (config.central_url.empty())
    return Pass("central", "no central_url configured: offline-only kiosk (export/import by USB stick)");
  const std::string& url = config.central_url;
  const bool tls = url.rfind("https://", 0) == 0;
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  std::string host = rest, port = tls ? "443" : "80";
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    host = rest.substr(1, rest.find(']') - 1);
    const auto colon = rest.find("]:");
    if (colon != std::string::npos) port = rest.substr(colon + 2);
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Fail("central", "cannot resolve " + host + ": " + ::gai_strerror(rc),
                "check the network and DNS (`resolvectl status`), or correct central_url in /etc/kiosk/kiosk.json; "
                "the kiosk keeps working offline and syncs later");
  std::string last_error = "timed out after " + std::to_string(timeout_ms) + " ms";
  bool connected = false;
  for (addrinfo* ai = res; ai && !connected; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, timeout_ms) == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) connected = true;
        else last_error = std::strerror(err);
      }
    } else {
      last_error = std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (!connected)
    return Fail("central", "cannot connect to " + host + ":" + port + ": " + last_error,
                "check the network cable/Wi-Fi and that the central is up and reachable through the firewall; the "
                "kiosk keeps working offline and syncs when it can");
  return Pass("central", host + ":" + port + " accepts connections");
}

// ---- the command ------------------------------------------------------------------------------------------
int RunDoctor(Context& ctx, const DoctorOptions& opt, bool data_explicit) {
  const std::set<std::string> skip(opt.skip.begin(), opt.skip.end());
  std::vector<Check> checks;
  auto add = [&](const std::string& name, auto&& run) {
    if (skip.count(name)) checks.push_back({name, CheckState::Skip, "skipped (--skip " + name + ")", ""});
    else checks.push_back(run());
  };

  Config config;
  add("config", [&] { return CheckConfig(opt, config); });
  // A packaged kiosk is found through its config; --data or $KIOSK_DATA still win.
  fs::path dir = ctx.data_dir;
  if (!data_explicit && !config.source.empty()) dir = config.data_dir;
  const DataPaths paths{dir};

  add("data_dir", [&] { return CheckDataDir(dir); });
  const bool have_dir = checks.back().state != CheckState::Fail || skip.count("data_dir");
  std::string last_event_time;
  if (have_dir) {
    add("disk", [&] { return CheckDisk(dir, opt.min_free_mb); });
    add("key", [&] { return CheckKey(paths); });
    add("database", [&] { return CheckDatabase(paths, last_event_time, ctx.verbose); });
  }
  add("clock", [&] { return CheckClock(last_event_time); });
  add("display", [&] { return CheckDisplay(); });
  add("scanners", [&] { return CheckScanners(config); });
  add("barcode_rules", [&] { return CheckBarcodeRules(); });
  add("central", [&] { return CheckCentral(config, opt.central_timeout_ms); });
  // The advice names the config file this kiosk really reads (--config, $KIOSK_CONFIG), not the
  // packaged default, so "correct central_url in FILE" sends the admin to the right file.
  const fs::path config_file = opt.config_path.empty() ? ConfigPathFromEnvironment() : fs::path(opt.config_path);
  if (!config_file.empty() && config_file != kDefaultConfigPath)
    for (auto& c : checks)
      for (size_t at = c.fix.find(kDefaultConfigPath); at != std::string::npos;
           at = c.fix.find(kDefaultConfigPath, at + config_file.string().size()))
        c.fix.replace(at, std::string_view(kDefaultConfigPath).size(), config_file.string());

  int failed = 0, warned = 0;
  bool integrity = false;
  for (const auto& c : checks) {
    failed += c.state == CheckState::Fail;
    integrity = integrity || (c.state == CheckState::Fail && c.integrity);
    warned += c.state == CheckState::Warn;
  }
  if (ctx.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : checks)
      list.push_back({{"name", c.name}, {"status", ToString(c.state)}, {"detail", c.detail}, {"fix", c.fix}});
    std::cout << nlohmann::json{{"ok", failed == 0}, {"data_dir", dir.string()}, {"failed", failed},
                                {"warnings", warned}, {"checks", list}}
                     .dump(2)
              << "\n";
  } else {
    std::ostringstream out;
    out << "kiosk doctor: " << dir.string() << "\n";
    for (const auto& c : checks) {
      const char* tag = c.state == CheckState::Pass   ? "[ ok ]"
                        : c.state == CheckState::Warn ? "[warn]"
                        : c.state == CheckState::Fail ? "[FAIL]"
                                                      : "[skip]";
      out << "  " << tag << " " << c.name << std::string(c.name.size() < 9 ? 9 - c.name.size() : 1, ' ') << c.detail
          << "\n";
      if (!c.fix.empty() && c.state != CheckState::Pass) out << "         fix: " << c.fix << "\n";
    }
    out << (failed ? Count(failed, "check", "checks") + " failed" : std::string("all checks passed"))
        << (warned ? ", " + Count(warned, "warning", "warnings") : std::string()) << "\n";
    std::cout << out.str();
  }
  return integrity ? 3 : failed ? 1 : 0;
}

}  // namespace

void RegisterDeviceCommands(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<DoctorOptions>();
  CLI::App* doctor = app.add_subcommand(
      "doctor", "Check this kiosk's health: config, data folder, disk, key, database, clock, display, scanners, barcode "
                "rules, central; says what to fix; exit 0 only when nothing failed, 3 when the data's integrity failed");
  doctor->add_option("--config", opt->config_path, "Config file (default: $KIOSK_CONFIG or /etc/kiosk/kiosk.json)");
  doctor->add_option("--min-free-mb", opt->min_free_mb, "Fail below this much free disk space (MB)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  doctor->add_option("--central-timeout-ms", opt->central_timeout_ms, "Timeout connecting to the central (ms)")
      ->check(CLI::Range(100, 60000));
  doctor->add_option("--skip", opt->skip, "Skip a check (repeatable): config, data_dir, disk, key, database, clock, "
                                          "display, scanners, barcode_rules, central")
      ->check(CLI::IsMember({"config", "data_dir", "disk", "key", "database", "clock", "display", "scanners",
                             "barcode_rules",
                             "central"}));
  doctor->callback([&app, &ctx, opt] {
    const CLI::Option* data = app.get_option_no_throw("--data");
    const char* env = std::getenv("KIOSK_DATA");
    const bool explicit_data = (data && data->count() > 0) || (env && *env);
    ctx.exit_code = RunDoctor(ctx, *opt, explicit_data);
  });
}

}  // namespace kiosk::cli
