#include "kiosk/core/config.hpp"
#include "kiosk/core/scan/keyboard_layout.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kiosk {
namespace {

using nlohmann::json;

// Collects the first problem found; keys are checked in a fixed order so messages are stable.
class Reader {
 public:
  Reader(const json& obj, std::string origin, std::string prefix)
      : m_obj(obj), m_origin(std::move(origin)), m_prefix(std::move(prefix)) {}

  bool failed() const { return m_error.has_value(); }
  const Error& error() const { return *m_error; }

  // Refuses keys that are not in `known`: a misspelt "sync_intervall_s" must not silently keep
  // the default.
  void CheckKnown(const std::set<std::string>& known) {
    for (auto it = m_obj.begin(); it != m_obj.end() && !failed(); ++it) {
      if (known.count(it.key())) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      Fail("config.unknown_key", "unknown key \"" + Key(it.key()) + "\" (known keys here: " + list + ")");
    }
  }

  void Int(const char* key, int& out, int min, int max, const char* unit) {
    if (failed() || !m_obj.contains(key)) return;
    const json& v = m_obj.at(key);
    if (!v.is_number_integer()) {
      Fail("config.invalid", "\"" + Key(key) + "\" must be a whole number of " + unit + " (" + std::to_string(min) +
                                 ".." + std::to_string(max) + "), got " + v.dump());
      return;
    }
    const auto n = v.get<int64_t>();
    if (n < min || n > max) {
      Fail("config.invalid", "\"" + Key(key) + "\" must be between " + std::to_string(min) + " and " +
                                 std::to_string(max) + " " + unit + ", got " + std::to_string(n));
      return;
    }
    out = static_cast<int>(n);
  }

  void Bool(const char* key, bool& out) {
    if (failed() || !m_obj.contains(key)) return;
    const json& v = m_obj.at(key);
    if (!v.is_boolean()) {
      Fail("config.invalid", "\"" + Key(key) + "\" must be true or false, got " + v.dump());
      return;
    }
    out = v.get<bool>();
  }

  // Returns false (without failing) when the key is absent.
  bool String(const char* key, std::string& out) {
    if (failed() || !m_obj.contains(key)) return false;
    const json& v = m_obj.at(key);
    if (!v.is_string()) {
      Fail("config.invalid", "\"" + Key(key) + "\" must be a string, got " + v.dump());
      return false;
    }
    out = v.get<std::string>();
    return true;
  }

  void Fail(const char* code, const std::string& what) {
    if (!failed()) m_error = MakeError(ErrorKind::Usage, code, m_origin + ": " + what);
  }

  std::string Key(const std::string& key) const { return m_prefix + key; }

 private:
  const json& m_obj;
  std::string m_origin;
  std::string m_prefix;
  std::optional<Error> m_error;
};

bool ValidLanguage(const std::string& s) {
  // "en", "fi", "pt-BR": the UI looks up assets/i18n/<language>.json and falls back to English.
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (s.size() == 2) return lower(s[0]) && lower(s[1]);
  return s.size() == 5 && lower(s[0]) && lower(s[1]) && s[2] == '-' && upper(s[3]) && upper(s[4]);
}

bool ValidUsbId(const std::string& s) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (s.size() < 6 || s[4] != ':') return false;
  for (int i = 0; i < 4; ++i)
    if (!hex(s[i])) return false;
  if (s.size() == 6) return s[5] == '*';
  if (s.size() != 9) return false;
  for (int i = 5; i < 9; ++i)
    if (!hex(s[i])) return false;
  return true;
}

bool ValidCentralUrl(const std::string& s) {
  for (const char* scheme : {"http://", "https://"}) {
    const std::string_view sv = scheme;
    if (s.rfind(sv, 0) == 0 && s.size() > sv.size() && s[sv.size()] != '/' &&
        s.find_first_of(" \t\r\n") == std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

Result<Config> ParseConfig(std::string_view json_text, std::string_view origin_view) {
  const std::string origin(origin_view);
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false,
                         /*ignore_comments=*/true);
  if (doc.is_discarded())
    return MakeError(ErrorKind::Usage, "config.invalid",
                     origin + ": not valid JSON (check for a missing comma, quote or brace; "
                              "`python3 -m json.tool " + origin + "` shows where)");
  if (!doc.is_object())
    return MakeError(ErrorKind::Usage, "config.invalid", origin + ": the top level must be a JSON object { ... }");

  Config c;
  Reader top(doc, origin, "");
  top.CheckKnown({"data_dir", "central_url", "sync_interval_s", "retention_days", "language", "idle_timeout_s", "scanner"});

  std::string data_dir;
  if (top.String("data_dir", data_dir)) {
    if (data_dir.empty() || data_dir.front() != '/')
      top.Fail("config.invalid", "\"data_dir\" must be an absolute path such as \"/var/lib/kiosk\", got \"" +
                                     data_dir + "\"");
    else
      c.data_dir = data_dir;
  }
  if (top.String("central_url", c.central_url) && !c.central_url.empty() && !ValidCentralUrl(c.central_url))
    top.Fail("config.invalid", "\"central_url\" must start with http:// or https:// and name a host, e.g. "
                               "\"https://central.example.com:8443\" (or be \"\" for an offline-only kiosk), got \"" +
                                   c.central_url + "\"");
  while (!c.central_url.empty() && c.central_url.back() == '/') c.central_url.pop_back();
  top.Int("sync_interval_s", c.sync_interval_s, 30, 86400, "seconds");
  top.Int("retention_days", c.retention_days, 0, 3650, "days (0 keeps acknowledged events forever)");
  if (top.String("language", c.language) && !ValidLanguage(c.language))
    top.Fail("config.invalid", "\"language\" must be a language code such as \"en\", \"fi\", \"pl\", \"de\" or "
                               "\"ru\", got \"" + c.language + "\"");
  top.Int("idle_timeout_s", c.idle_timeout_s, 15, 3600, "seconds");
  if (top.failed()) return top.error();

  if (doc.contains("scanner")) {
    const json& s = doc.at("scanner");
    if (!s.is_object())
      return MakeError(ErrorKind::Usage, "config.invalid",
                       origin + ": \"scanner\" must be an object such as {\"sources\": [\"usb\", \"wedge\"]}");
    Reader sr(s, origin, "scanner.");
    sr.CheckKnown({"sources", "usb_ids", "layout", "terminators", "suffix", "serial_port", "serial_baud", "replay_file",
                   "wedge_max_gap_ms", "beep"});
    if (!sr.failed() && s.contains("sources")) {
      const json& src = s.at("sources");
      const std::set<std::string> allowed = {"usb", "evdev", "wedge", "serial", "replay"};
      bool ok = src.is_array();
      std::vector<std::string> list;
      for (const auto& e : ok ? src : json::array()) {
        if (!e.is_string() || !allowed.count(e.get<std::string>())) {
          ok = false;
          break;
        }
        list.push_back(e.get<std::string>());
      }
      if (!ok)
        sr.Fail("config.invalid", "\"scanner.sources\" must be a list of \"usb\", \"evdev\", \"wedge\", "
                                  "\"serial\" and/or \"replay\", got " + src.dump());
      else
        c.scanner.sources = std::move(list);
    }
    // Terminators: a list of "enter" and/or "tab"; checked the same for the default and per scanner.
    auto terminators = [&](const json& t, const std::string& where, std::vector<std::string>& out) {
      bool ok = t.is_array();
      for (const auto& e : ok ? t : json::array()) {
        std::string v = e.is_string() ? e.get<std::string>() : "";
        if (v != "enter" && v != "tab") ok = false;
        else out.push_back(v);
      }
      if (!ok) sr.Fail("config.invalid", "\"" + where + "\" must be a list of \"enter\" and/or \"tab\", got " + t.dump());
      return ok;
    };
    auto layout_ok = [&](const std::string& name, const std::string& where) {
      if (scan::ParseLayout(name)) return true;
      sr.Fail("config.invalid", "\"" + where + "\" must be a keyboard layout: \"us\", \"de\", \"fr\", \"fi-se\", "
                                "\"pl\" or \"ru\", got \"" + name + "\"");
      return false;
    };
    if (!sr.failed() && s.contains("usb_ids")) {
      const json& ids = s.at("usb_ids");
      bool ok = ids.is_array();
      std::vector<std::string> list;
      std::vector<ScannerDeviceConfig> devices;
      for (const auto& e : ok ? ids : json::array()) {
        if (e.is_string() && ValidUsbId(e.get<std::string>())) {
          list.push_back(e.get<std::string>());
          continue;
        }
        // {"id": "0c2e:0b61", "layout": "de", "terminators": ["enter"], "suffix": ""}
        if (!e.is_object() || !e.contains("id") || !e.at("id").is_string() || !ValidUsbId(e.at("id").get<std::string>())) {
          ok = false;
          break;
        }
        ScannerDeviceConfig d;
        d.id = e.at("id").get<std::string>();
        for (const auto& [k, v] : e.items()) {
          if (k == "id") continue;
          if (k == "layout" && v.is_string()) {
            d.layout = v.get<std::string>();
            if (!layout_ok(d.layout, "scanner.usb_ids[" + d.id + "].layout")) break;
          } else if (k == "terminators") {
            d.terminators.emplace();
            if (!terminators(v, "scanner.usb_ids[" + d.id + "].terminators", *d.terminators)) break;
          } else if (k == "suffix" && v.is_string()) {
            d.suffix = v.get<std::string>();
          } else {
            sr.Fail("config.invalid", "\"scanner.usb_ids\" entry " + d.id + " has an unknown or mistyped key \"" + k +
                                          "\" (known: id, layout, terminators, suffix)");
            break;
          }
        }
        list.push_back(d.id);
        devices.push_back(std::move(d));
      }
      if (!ok)
        sr.Fail("config.invalid", "\"scanner.usb_ids\" must be a list of USB ids as `lsusb` shows them, "
                                  "\"vvvv:pppp\" or \"vvvv:*\" in hex (e.g. [\"0c2e:0b61\"]), or objects such as "
                                  "{\"id\": \"0c2e:0b61\", \"layout\": \"de\"}, got " + ids.dump());
      else if (!sr.failed()) {
        c.scanner.usb_ids = std::move(list);
        c.scanner.devices = std::move(devices);
      }
    }
    if (sr.String("layout", c.scanner.layout)) layout_ok(c.scanner.layout, "scanner.layout");
    if (!sr.failed() && s.contains("terminators")) {
      std::vector<std::string> t;
      if (terminators(s.at("terminators"), "scanner.terminators", t)) c.scanner.terminators = std::move(t);
    }
    sr.String("suffix", c.scanner.suffix);
    sr.String("replay_file", c.scanner.replay_file);
    if (sr.String("serial_port", c.scanner.serial_port) && !c.scanner.serial_port.empty() &&
        c.scanner.serial_port.rfind("/dev/", 0) != 0)
      sr.Fail("config.invalid", "\"scanner.serial_port\" must be a device path such as \"/dev/ttyACM0\", got \"" +
                                    c.scanner.serial_port + "\"");
    sr.Int("serial_baud", c.scanner.serial_baud, 1200, 921600, "bits per second");
    sr.Int("wedge_max_gap_ms", c.scanner.wedge_max_gap_ms, 1, 1000, "milliseconds");
    sr.Bool("beep", c.scanner.beep);
    if (sr.failed()) return sr.error();
    bool wants_serial = false;
    for (const auto& name : c.scanner.sources) wants_serial |= name == "serial";
    bool wants_replay = false;
    for (const auto& name : c.scanner.sources) wants_replay |= name == "replay";
    if (wants_replay && c.scanner.replay_file.empty())
      return MakeError(ErrorKind::Usage, "config.invalid",
                       origin + ": \"scanner.sources\" lists \"replay\" but \"scanner.replay_file\" is not set");
    if (wants_serial && c.scanner.serial_port.empty())
      return MakeError(ErrorKind::Usage, "config.invalid",
                       origin + ": \"scanner.sources\" lists \"serial\" but \"scanner.serial_port\" is not set "
                                "(e.g. \"/dev/ttyACM0\")");
  }
  return c;
}

Result<Config> LoadConfig(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return MakeError(ErrorKind::Usage, "config.missing",
                       path.string() + ": no such file (reinstall the kiosk package to restore the default, or "
                                       "unset KIOSK_CONFIG)");
    return MakeError(ErrorKind::Storage, "config.unreadable",
                     path.string() + ": cannot be read (check its permissions: the kiosk user must be able to "
                                     "read it)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str(), path.string());
  if (config.ok()) config->source = path;
  return config;
}

std::filesystem::path ConfigPathFromEnvironment() {
  if (const char* env = std::getenv("KIOSK_CONFIG"); env && *env) return env;
  std::error_code ec;
  if (std::filesystem::exists(kDefaultConfigPath, ec)) return kDefaultConfigPath;
  return {};
}

Result<Config> LoadConfigFromEnvironment() {
  const auto path = ConfigPathFromEnvironment();
  if (path.empty()) return Config{};
  return LoadConfig(path);
}

std::string DefaultConfigJson() {
  const Config d;
  json doc = {
      {"data_dir", d.data_dir.string()},
      {"central_url", d.central_url},
      {"sync_interval_s", d.sync_interval_s},
      {"retention_days", d.retention_days},
      {"language", d.language},
      {"idle_timeout_s", d.idle_timeout_s},
      {"scanner",
       {{"sources", d.scanner.sources},
        {"usb_ids", d.scanner.usb_ids},
        {"layout", d.scanner.layout},
        {"terminators", d.scanner.terminators},
        {"suffix", d.scanner.suffix},
        {"serial_port", d.scanner.serial_port},
        {"serial_baud", d.scanner.serial_baud},
        {"wedge_max_gap_ms", d.scanner.wedge_max_gap_ms},
        {"beep", d.scanner.beep}}},
  };
  return doc.dump(2) + "\n";
}

}  // namespace kiosk
