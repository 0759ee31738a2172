// The /etc/kiosk/kiosk.json loader: defaults, every key read, and a clear refusal naming the key
// for each kind of mistake a technician makes in the field.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "kiosk/core/config.hpp"

namespace fs = std::filesystem;
using kiosk::Config;
using kiosk::ParseConfig;

namespace {

std::string ErrorOf(std::string_view text) {
  auto r = ParseConfig(text, "/etc/kiosk/kiosk.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == kiosk::ErrorKind::Usage);
  CHECK(r.error().message.find("/etc/kiosk/kiosk.json") == 0);
  return r.error().message;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kiosk-config-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("an empty object gives the documented defaults") {
  auto r = ParseConfig("{}");
  REQUIRE(r.ok());
  CHECK(r->data_dir == "/var/lib/kiosk");
  CHECK(r->central_url.empty());
  CHECK(r->sync_interval_s == 300);
  CHECK(r->retention_days == 90);
  CHECK(r->language == "en");
  CHECK(r->idle_timeout_s == 90);
  CHECK(r->scanner.sources == std::vector<std::string>{"usb", "evdev", "wedge"});
  CHECK(r->scanner.beep);
}

TEST_CASE("every key is read") {
  auto r = ParseConfig(R"({
    // comments are allowed: technicians annotate the file
    "data_dir": "/srv/kiosk", "central_url": "https://central.example.com:8443/",
    "sync_interval_s": 60, "retention_days": 0, "language": "fi", "idle_timeout_s": 120,
    "scanner": {"sources": ["serial"], "usb_ids": ["0c2e:0b61", "05E0:*"], "serial_port": "/dev/ttyACM0", "serial_baud": 115200,
                "wedge_max_gap_ms": 50, "beep": false}})");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->data_dir == "/srv/kiosk");
  CHECK(r->central_url == "https://central.example.com:8443");  // trailing slash dropped
  CHECK(r->sync_interval_s == 60);
  CHECK(r->retention_days == 0);
  CHECK(r->language == "fi");
  CHECK(r->idle_timeout_s == 120);
  CHECK(r->scanner.sources == std::vector<std::string>{"serial"});
  CHECK(r->scanner.usb_ids == std::vector<std::string>{"0c2e:0b61", "05E0:*"});
  CHECK(r->scanner.serial_port == "/dev/ttyACM0");
  CHECK(r->scanner.serial_baud == 115200);
  CHECK(r->scanner.wedge_max_gap_ms == 50);
  CHECK_FALSE(r->scanner.beep);
}

TEST_CASE("the packaged default file parses back to the defaults") {
  auto r = ParseConfig(kiosk::DefaultConfigJson());
  REQUIRE(r.ok());
  CHECK(r->sync_interval_s == Config{}.sync_interval_s);
  CHECK(r->retention_days == Config{}.retention_days);
#ifdef KIOSK_PACKAGED_CONFIG
  std::ifstream in(KIOSK_PACKAGED_CONFIG);
  REQUIRE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto packaged = ParseConfig(text, KIOSK_PACKAGED_CONFIG);
  REQUIRE_MESSAGE(packaged.ok(), (packaged.ok() ? "" : packaged.error().message));
  CHECK(packaged->sync_interval_s == Config{}.sync_interval_s);
  CHECK(packaged->retention_days == Config{}.retention_days);
  CHECK(packaged->data_dir == Config{}.data_dir);
#endif
}

TEST_CASE("mistakes are refused with the key named") {
  CHECK(ErrorOf("{\"sync_interval_s\": 300,}").find("not valid JSON") != std::string::npos);
  CHECK(ErrorOf("[1, 2]").find("top level must be a JSON object") != std::string::npos);

  const auto typo = ErrorOf(R"({"sync_intervall_s": 60})");
  CHECK(typo.find("unknown key \"sync_intervall_s\"") != std::string::npos);
  CHECK(typo.find("sync_interval_s") != std::string::npos);  // the known keys are listed

  const auto text = ErrorOf(R"({"sync_interval_s": "5m"})");
  CHECK(text.find("\"sync_interval_s\" must be a whole number of seconds") != std::string::npos);
  CHECK(text.find("\"5m\"") != std::string::npos);

  CHECK(ErrorOf(R"({"sync_interval_s": 5})").find("between 30 and 86400 seconds, got 5") != std::string::npos);
  CHECK(ErrorOf(R"({"retention_days": -1})").find("\"retention_days\" must be between 0 and 3650") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"idle_timeout_s": 1.5})").find("\"idle_timeout_s\"") != std::string::npos);
  CHECK(ErrorOf(R"({"data_dir": "var/lib/kiosk"})").find("\"data_dir\" must be an absolute path") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"central_url": "central.example.com"})").find("\"central_url\" must start with http") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"language": "Finnish"})").find("\"language\"") != std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"sources": ["usb", "bluetooth"]}})").find("\"scanner.sources\"") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"sources": ["serial"]}})").find("\"scanner.serial_port\" is not set") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"usb_ids": ["0c2e-0b61"]}})").find("\"scanner.usb_ids\" must be a list of USB ids") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"usb_ids": "0c2e:0b61"}})").find("\"scanner.usb_ids\"") != std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"beep": "yes"}})").find("\"scanner.beep\" must be true or false") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"baud": 9600}})").find("unknown key \"scanner.baud\"") != std::string::npos);
  auto empty_url = ParseConfig(R"({"central_url": ""})");
  CHECK(empty_url.ok());
}

TEST_CASE("LoadConfig reads a file and names a missing one") {
  TempDir dir;
  const auto path = dir.path / "kiosk.json";
  std::ofstream(path) << R"({"sync_interval_s": 900, "retention_days": 30})";
  auto r = kiosk::LoadConfig(path);
  REQUIRE(r.ok());
  CHECK(r->sync_interval_s == 900);
  CHECK(r->retention_days == 30);
  CHECK(r->source == path);

  auto missing = kiosk::LoadConfig(dir.path / "nope.json");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "config.missing");
  CHECK(missing.error().message.find("nope.json") != std::string::npos);

  ::setenv("KIOSK_CONFIG", path.c_str(), 1);
  CHECK(kiosk::ConfigPathFromEnvironment() == path);
  auto env = kiosk::LoadConfigFromEnvironment();
  ::unsetenv("KIOSK_CONFIG");
  REQUIRE(env.ok());
  CHECK(env->sync_interval_s == 900);
}

TEST_CASE("scanner settings per scanner and their defaults: layout, terminators, suffix, replay") {
  auto r = ParseConfig(R"({"scanner": {"sources": ["usb", "replay"], "layout": "de", "terminators": ["enter", "tab"],
                          "suffix": "#", "replay_file": "/tmp/scans.jsonl",
                          "usb_ids": ["05e0:*", {"id": "0c2e:0b61", "layout": "fr", "terminators": ["tab"], "suffix": ""}]}})");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->scanner.layout == "de");
  CHECK(r->scanner.terminators == std::vector<std::string>{"enter", "tab"});
  CHECK(r->scanner.suffix == "#");
  CHECK(r->scanner.replay_file == "/tmp/scans.jsonl");
  CHECK(r->scanner.usb_ids == std::vector<std::string>{"05e0:*", "0c2e:0b61"});
  REQUIRE(r->scanner.devices.size() == 1);
  CHECK(r->scanner.devices[0].id == "0c2e:0b61");
  CHECK(r->scanner.devices[0].layout == "fr");
  CHECK(r->scanner.devices[0].terminators == std::vector<std::string>{"tab"});
  CHECK(r->scanner.devices[0].suffix == std::string(""));

  CHECK(ErrorOf(R"({"scanner": {"layout": "dvorak"}})").find("\"scanner.layout\" must be a keyboard layout") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"terminators": ["cr"]}})").find("\"scanner.terminators\" must be a list of \"enter\"") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"usb_ids": [{"id": "0c2e:0b61", "layout": "xx"}]}})")
            .find("\"scanner.usb_ids[0c2e:0b61].layout\"") != std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"usb_ids": [{"id": "0c2e:0b61", "beep": true}]}})").find("unknown or mistyped key \"beep\"") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"scanner": {"sources": ["replay"]}})").find("\"scanner.replay_file\" is not set") != std::string::npos);
}
