// `kiosk doctor` on real data folders: a healthy one, and each kind of damage a technician meets
// (missing key, key readable by others, corrupted database, bad config, clock, display, central).
// Runs the real command line in-process and reads its --json report.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/cli/cli.hpp"
#include "kiosk/services/kiosk.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kiosk-doctor-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Run {
  int rc = -1;
  std::string out;
  json report;
  json Check(const std::string& name) const {
    for (const auto& c : report.at("checks"))
      if (c.at("name") == name) return c;
    FAIL("no check named " << name);
    return {};
  }
  std::string Status(const std::string& name) const { return Check(name).at("status").get<std::string>(); }
};

Run Cli(std::vector<std::string> args, bool json_out);

Run Doctor(const fs::path& data, std::vector<std::string> extra = {}, bool json_out = true) {
  std::vector<std::string> args = {"kiosk", "--data", data.string(), "doctor", "--skip", "display"};
  // Scanners are checked by their own case below; the default sources accept none with a warning.
  if (json_out) args.push_back("--json");
  args.insert(args.end(), extra.begin(), extra.end());
  return Cli(std::move(args), json_out);
}

// The real command line in-process, its standard output captured (and read as JSON if asked).
Run Cli(std::vector<std::string> args, bool json_out) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  Run r;
  r.rc = kiosk::cli::Main(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old);
  r.out = captured.str();
  if (json_out) {
    r.report = json::parse(r.out, nullptr, false);
    REQUIRE_MESSAGE(!r.report.is_discarded(), r.out);
  }
  return r;
}

// A healthy data folder and a config with no central, isolated from the machine's /etc/kiosk.
struct Fixture {
  TempDir dir;
  fs::path data;
  fs::path config;
  explicit Fixture(const std::string& config_text = "{}") {
    data = dir.path / "data";
    config = dir.path / "kiosk.json";
    std::ofstream(config) << config_text;
    ::setenv("KIOSK_CONFIG", config.c_str(), 1);
    ::unsetenv("KIOSK_DOCTOR_NOW");
    auto id = kiosk::Kiosk::Init({.data_dir = data, .kiosk_id = "KIOSK-DOCTOR01"});
    REQUIRE_MESSAGE(id.ok(), (id.ok() ? "" : id.error().message));
  }
  ~Fixture() { ::unsetenv("KIOSK_CONFIG"); }
};

// A listening socket on loopback (TCP) that accepts nothing: connect() still succeeds.
struct TcpListener {
  int fd = -1;
  int port = 0;
  TcpListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~TcpListener() { ::close(fd); }
};

}  // namespace

TEST_CASE("a healthy data folder passes and exits 0") {
  Fixture k;
  const Run r = Doctor(k.data);
  CHECK_MESSAGE(r.rc == 0, r.out);
  CHECK(r.report.at("ok") == true);
  for (const char* name : {"config", "data_dir", "disk", "key", "database", "clock", "central"})
    CHECK_MESSAGE(r.Status(name) == "pass", name << ": " << r.Check(name).dump());
  CHECK(r.Status("display") == "skip");
  CHECK(r.Check("database").at("detail").get<std::string>().find("KIOSK-DOCTOR01") != std::string::npos);

  const Run human = Doctor(k.data, {}, /*json_out=*/false);
  CHECK(human.rc == 0);
  CHECK(human.out.find("[ ok ] key") != std::string::npos);
  CHECK(human.out.find("all checks passed") != std::string::npos);
}

TEST_CASE("a missing key fails with what to do") {
  Fixture k;
  fs::remove(k.data / "kiosk.key");
  const Run r = Doctor(k.data);
  CHECK(r.rc == 1);
  CHECK(r.report.at("ok") == false);
  CHECK(r.Status("key") == "fail");
  CHECK(r.Check("key").at("fix").get<std::string>().find("restore kiosk.key") != std::string::npos);
  CHECK(r.Status("database") == "fail");  // cannot be opened without its key

  const Run human = Doctor(k.data, {}, false);
  CHECK(human.rc == 1);
  CHECK(human.out.find("[FAIL] key") != std::string::npos);
  CHECK(human.out.find("fix: restore kiosk.key") != std::string::npos);
}

TEST_CASE("a key readable by others fails and names the chmod") {
  Fixture k;
  const fs::path key = k.data / "kiosk.key";
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  const Run r = Doctor(k.data);
  CHECK(r.rc == 1);
  CHECK(r.Status("key") == "fail");
  CHECK(r.Check("key").at("detail").get<std::string>().find("mode 0644") != std::string::npos);
  CHECK(r.Check("key").at("fix").get<std::string>().rfind("chmod 600 " + key.string(), 0) == 0);
}

TEST_CASE("a corrupted database fails") {
  Fixture k;
  const fs::path db = k.data / "kiosk.db";
  const auto size = fs::file_size(db);
  REQUIRE(size > 4096);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1024);
    const std::string junk(static_cast<size_t>(size) - 1024, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const Run r = Doctor(k.data);
  CHECK(r.rc == 1);
  CHECK(r.Status("database") == "fail");
  CHECK_FALSE(r.Check("database").at("fix").get<std::string>().empty());
  CHECK(r.Status("key") == "pass");  // only what is broken fails
}

TEST_CASE("a folder that was never initialised fails on the database with the init command") {
  TempDir dir;
  ::setenv("KIOSK_CONFIG", (dir.path / "kiosk.json").c_str(), 1);
  std::ofstream(dir.path / "kiosk.json") << "{}";
  fs::create_directories(dir.path / "empty");
  const Run r = Doctor(dir.path / "empty");
  ::unsetenv("KIOSK_CONFIG");
  CHECK(r.rc == 1);
  CHECK(r.Status("database") == "fail");
  CHECK(r.Check("database").at("fix").get<std::string>().find("init") != std::string::npos);

  const Run missing = Doctor(dir.path / "nowhere");
  CHECK(missing.rc == 1);
  CHECK(missing.Status("data_dir") == "fail");
}

TEST_CASE("a bad config fails naming the key") {
  Fixture k(R"({"sync_interval_s": "5 minutes"})");
  const Run r = Doctor(k.data);
  CHECK(r.rc == 1);
  CHECK(r.Status("config") == "fail");
  CHECK(r.Check("config").at("detail").get<std::string>().find("\"sync_interval_s\"") != std::string::npos);
}

TEST_CASE("a barcode rules file the kiosk cannot load fails, naming the rule, and the packaged one passes") {
  Fixture k("{}");
  CHECK(Doctor(k.data).Status("barcode_rules") == "pass");
  TempDir assets;
  std::ofstream(assets.path / "barcode_rules.json")
      << R"({"format": "showroom-kiosk/barcode-rules", "format_version": 1, "rules": [)"
      << R"({"kind": "asset_tag", "pattern": "\\ADEMO-[0-9]{5}", "prefix": "DEMO-"}]})";
  ::setenv("KIOSK_ASSETS", assets.path.c_str(), 1);
  const Run r = Doctor(k.data);
  ::unsetenv("KIOSK_ASSETS");
  CHECK(r.rc == 1);
  CHECK(r.Status("barcode_rules") == "fail");
  const std::string detail = r.Check("barcode_rules").at("detail").get<std::string>();
  INFO(detail);
  CHECK(detail.find("rules/0/pattern") != std::string::npos);

  // The kiosk itself says so too, not only the doctor: `kiosk status` (and the admin screen,
  // from the same StatusView) names the file and the rule.
  ::setenv("KIOSK_ASSETS", assets.path.c_str(), 1);
  const Run js = Cli({"kiosk", "--data", k.data.string(), "--json", "status"}, true);
  const Run text = Cli({"kiosk", "--data", k.data.string(), "status"}, false);
  ::unsetenv("KIOSK_ASSETS");
  CHECK(js.rc == 0);
  CHECK(js.report.at("barcode_rules").at("loaded") == false);
  CHECK(js.report.at("barcode_rules").at("error").get<std::string>().find("rules/0/pattern") != std::string::npos);
  CHECK(text.out.find("barcode rules NOT LOADED") != std::string::npos);
  const Run fine = Cli({"kiosk", "--data", k.data.string(), "--json", "status"}, true);
  CHECK(fine.report.at("barcode_rules").at("loaded") == true);
  CHECK(fine.report.at("barcode_rules").at("error") == "");
}

TEST_CASE("the clock is checked against the build date and the journal") {
  Fixture k;
  ::setenv("KIOSK_DOCTOR_NOW", "2001-01-01T00:00:00Z", 1);
  Run r = Doctor(k.data);
  CHECK(r.rc == 1);
  CHECK(r.Status("clock") == "fail");
  CHECK(r.Check("clock").at("detail").get<std::string>().find("before this software was built") != std::string::npos);
  ::setenv("KIOSK_DOCTOR_NOW", "2099-01-01T00:00:00Z", 1);
  r = Doctor(k.data);
  CHECK(r.Status("clock") == "fail");
  ::unsetenv("KIOSK_DOCTOR_NOW");
}

TEST_CASE("the central is reached by TCP when configured") {
  TcpListener up;
  {
    Fixture k(R"({"central_url": "http://127.0.0.1:)" + std::to_string(up.port) + "\"}");
    const Run r = Doctor(k.data);
    CHECK_MESSAGE(r.Status("central") == "pass", r.Check("central").dump());
    CHECK(r.rc == 0);
  }
  int closed_port = 0;
  {
    TcpListener gone;
    closed_port = gone.port;
  }
  Fixture k(R"({"central_url": "http://127.0.0.1:)" + std::to_string(closed_port) + "\"}");
  const Run r = Doctor(k.data, {"--central-timeout-ms", "500"});
  CHECK(r.rc == 1);
  CHECK(r.Status("central") == "fail");
  CHECK(r.Check("central").at("fix").get<std::string>().find("offline") != std::string::npos);
}

TEST_CASE("the display check connects to the compositor's socket") {
  Fixture k;
  TempDir run;
  const std::string sock = (run.path / "wayland-1").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, sock.c_str(), sizeof(a.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(::listen(fd, 4) == 0);

  std::vector<std::string> args = {"kiosk", "--data", k.data.string(), "doctor", "--json"};
  auto run_doctor = [&] {
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    std::ostringstream captured;
    auto* old = std::cout.rdbuf(captured.rdbuf());
    const int rc = kiosk::cli::Main(static_cast<int>(argv.size()), argv.data());
    std::cout.rdbuf(old);
    return std::make_pair(rc, json::parse(captured.str()));
  };
  ::setenv("WAYLAND_DISPLAY", sock.c_str(), 1);
  auto [rc, report] = run_doctor();
  json display;
  for (const auto& c : report.at("checks"))
    if (c.at("name") == "display") display = c;
  CHECK_MESSAGE(display.at("status") == "pass", display.dump());
  CHECK(rc == 0);

  ::close(fd);
  ::unlink(sock.c_str());
  auto [rc2, report2] = run_doctor();
  ::unsetenv("WAYLAND_DISPLAY");
  for (const auto& c : report2.at("checks"))
    if (c.at("name") == "display") display = c;
  CHECK(display.at("status") == "fail");
  CHECK(rc2 == 1);
}

TEST_CASE("scanners: a configured serial scanner must be there — no scanner at all fails") {
  {
    Fixture k(R"({"scanner": {"sources": ["serial"], "serial_port": "/dev/ttyKIOSK-NOT-THERE"}})");
    const Run r = Doctor(k.data);
    CHECK(r.rc == 1);
    CHECK(r.Status("scanners") == "fail");
    CHECK(r.Check("scanners").at("detail").get<std::string>().find("/dev/ttyKIOSK-NOT-THERE is not there") !=
          std::string::npos);
  }
  {
    // A pseudo-terminal stands in for a CDC-ACM scanner: a real character device the kiosk can open.
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const std::string port = ::ptsname(master);
    Fixture k(R"({"scanner": {"sources": ["serial"], "serial_port": ")" + port + "\"}}");
    const Run r = Doctor(k.data);
    ::close(master);
    CHECK_MESSAGE(r.Status("scanners") == "pass", r.Check("scanners").dump());
    CHECK(r.rc == 0);
  }
  std::error_code ec;
  if (!fs::exists("/dev/bus/usb", ec)) {  // this machine has no USB: nothing can be found
    Fixture k(R"({"scanner": {"sources": ["usb"]}})");
    const Run r = Doctor(k.data);
    CHECK(r.rc == 1);
    CHECK(r.Status("scanners") == "fail");
    CHECK(r.Check("scanners").at("fix").get<std::string>().find("scanner.usb_ids") != std::string::npos);
  }
}
