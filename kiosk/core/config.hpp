#pragma once
// The kiosk's installation settings: /etc/kiosk/kiosk.json (the Debian package's conffile), or
// the file named by $KIOSK_CONFIG. Read once at start by `kiosk gui`, the sync thread and
// `kiosk doctor`; a plain value type, safe to copy to any thread.
//
// Every key is optional (a missing key keeps its default); an unknown key, a wrong type or an
// out-of-range value is refused with an error naming the file, the key and what is allowed, so a
// typo in the field never silently falls back to a default.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk {

// Settings of one scanner, by its USB VID:PID (an object in scanner.usb_ids); unset fields take
// the scanner.* defaults.
struct ScannerDeviceConfig {
  std::string id;                                         // "0c2e:0b61" or "0c2e:*"
  std::string layout;                                     // "de"; "" = the model's or scanner.layout
  std::optional<std::vector<std::string>> terminators;    // "enter", "tab"
  std::optional<std::string> suffix;                      // ends a scan and is removed
};

// Which scanner transports the touchscreen opens and how (platform::ScannerSet reads these).
struct ScannerConfig {
  std::vector<std::string> sources = {"usb", "evdev", "wedge"};  // any of usb, evdev, wedge, serial, replay
  std::vector<std::string> usb_ids;   // extra USB scanners, "vvvv:pppp" or "vvvv:*" (hex), beside assets/scanners.json
  std::vector<ScannerDeviceConfig> devices;  // the usb_ids given as objects, with settings of their own
  std::string layout = "us";          // keyboard layout keyboard-mode scanners are set to (usb, evdev, replay)
  std::vector<std::string> terminators = {"enter"};  // keys that end a scan: "enter", "tab"
  std::string suffix;                 // a text that ends a scan (usb, evdev, serial); removed from it
  std::string serial_port;            // e.g. "/dev/ttyACM0"; empty: no serial scanner
  int serial_baud = 9600;             // bits per second
  std::string replay_file;            // .jsonl of timed scans, played once (sources: "replay")
  int wedge_max_gap_ms = 30;          // keyboard wedge: longest gap between keys of one barcode, ms
  bool beep = true;                   // sound on a good/bad read
};

struct Config {
  std::filesystem::path data_dir = "/var/lib/kiosk";  // database, journal key
  std::string central_url;      // "https://central.example:8443"; empty: offline-only kiosk
  int sync_interval_s = 300;    // seconds between automatic syncs (30..86400)
  int retention_days = 90;      // keep centrally acknowledged events this many days; 0: forever
  std::string language = "en";  // UI language: en, fi, pl, de, ru
  int idle_timeout_s = 90;      // seconds before the touchscreen signs the operator out (15..3600)
  ScannerConfig scanner;

  std::filesystem::path source;  // the file these came from; empty when all are defaults
};

inline constexpr const char* kDefaultConfigPath = "/etc/kiosk/kiosk.json";

// Parses and validates one config document. `origin` names it in error messages.
// Errors: kind Usage, code "config.invalid" (bad JSON, type, range) or "config.unknown_key".
Result<Config> ParseConfig(std::string_view json_text, std::string_view origin = "kiosk.json");

// Reads `path`. A missing file is an error (code "config.missing") naming the path.
Result<Config> LoadConfig(const std::filesystem::path& path);

// $KIOSK_CONFIG if set (it must exist); else /etc/kiosk/kiosk.json if it exists; else the
// defaults above (a developer machine needs no config file).
std::filesystem::path ConfigPathFromEnvironment();
Result<Config> LoadConfigFromEnvironment();

// The document LoadConfig accepts, with every key at its default: written by the package as
// /etc/kiosk/kiosk.json and printed by tests to keep the two in step.
std::string DefaultConfigJson();

}  // namespace kiosk
