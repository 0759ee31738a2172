// `kiosk scan`, `kiosk decode-hid`, `kiosk scanners`: barcodes and scanners from the command line.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "kiosk/cli/cli.hpp"
#include "kiosk/cli/output.hpp"
#include "kiosk/core/assets.hpp"
#include "kiosk/core/barcode/gs1.hpp"
#include "kiosk/core/barcode/site_rules.hpp"
#include "kiosk/core/config.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/core/scan/hid_decoder.hpp"
#include "platform/scanner_set.hpp"
#include "platform/scanner_usb.hpp"

namespace kiosk::cli {
namespace {

namespace fs = std::filesystem;

barcode::Classifier LoadClassifier(Context& ctx, bool& ok) {
  ok = true;
  barcode::SiteRules rules = barcode::LoadSiteRules();
  if (rules.error) {
    ReportError(ctx, *rules.error);
    ok = false;
  }
  return std::move(rules.classifier);  // the built-in rules when the file was refused
}

std::string_view KindTitle(barcode::Kind k) {
  switch (k) {
    case barcode::Kind::PartnerCard: return "partner card";
    case barcode::Kind::StaffBadge: return "staff badge";
    case barcode::Kind::AssetTag: return "asset tag";
    case barcode::Kind::Gs1: return "GS1";
    case barcode::Kind::Retail: return "EAN/UPC";
    case barcode::Kind::DigitalLink: return "GS1 Digital Link";
    case barcode::Kind::Unknown: return "unknown";
  }
  return "unknown";
}

std::string_view SymbologyName(std::string_view aim) {
  if (aim.size() != 3) return "";
  switch (aim[1]) {
    case 'A': return "Code 39";
    case 'C': return aim[2] == '1' ? "GS1-128" : "Code 128";
    case 'd': return aim[2] == '2' ? "GS1 DataMatrix" : "Data Matrix";
    case 'Q': return aim[2] == '3' ? "GS1 QR Code" : "QR Code";
    case 'e': return "GS1 DataBar";
    case 'E': return aim[2] == '4' ? "EAN-8" : "EAN/UPC";
    case 'I': return "ITF";
    case 'J': return "GS1 DotCode";
    case 'L': return "PDF417";
    case 'z': return "Aztec";
    default: return "";
  }
}

// Shows control characters so a person sees where GS separators are.
std::string Visible(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == barcode::kGs) out += "<GS>";
    else if (u < 0x20 || u == 0x7F) out += "<" + barcode::DescribeChar(c) + ">";
    else out += c;
  }
  return out;
}

std::string HumanClassification(const barcode::Classified& c) {
  std::ostringstream o;
  o << "Kind:      " << KindTitle(c.kind);
  if (!c.retail_format.empty()) o << " (" << c.retail_format << ")";
  o << (c.valid ? ", valid" : ", NOT valid") << "\n";
  if (!c.valid) o << "Why:       " << c.reason << "\n";
  if (!c.symbology.empty()) {
    o << "Symbology: " << c.symbology;
    if (auto n = SymbologyName(c.symbology); !n.empty()) o << " (" << n << ")";
    o << "\n";
  }
  if (c.ais.empty() && !c.value.empty()) o << "Value:     " << c.value << "\n";
  for (const auto& [ai, v] : c.ais) {
    const barcode::AiSpec* spec = barcode::LookupAi(ai);
    o << "  (" << ai << ") " << (spec ? spec->title : "") << ": " << Visible(v) << "\n";
  }
  if (!c.addon.empty()) o << "Add-on:    " << c.addon << "\n";
  return o.str();
}

std::string_view EntityName(EntityKind k) {
  switch (k) {
    case EntityKind::PartnerCard: return "partner_card";
    case EntityKind::Badge: return "badge";
    case EntityKind::Device: return "device";
    case EntityKind::Model: return "model";
    case EntityKind::Unknown: return "unknown";
  }
  return "unknown";
}

// One scan: classify, then look it up in the data folder.
void ScanOne(Context& ctx, const barcode::Classifier& classifier, const std::string& text) {
  barcode::Classified c = classifier.Classify(text);
  nlohmann::json j{{"ok", false}, {"classification", barcode::ToJson(c)}};
  std::string human = HumanClassification(c);
  int exit_code = 0;

  if (!fs::exists(DataPaths{ctx.data_dir}.Db())) {
    j["entity"] = nullptr;
    j["lookup"] = "unavailable";
    j["error"] = {{"kind", "storage"}, {"code", "kiosk.no_data"},
                  {"message", "No kiosk data folder at " + ctx.data_dir + ": the barcode was classified but not looked up (create one with `kiosk init`, or pass --data DIR)."}};
    human += "Lookup:    unavailable: no kiosk data folder at " + ctx.data_dir + " (create one with `kiosk init`, or pass --data DIR)\n";
    exit_code = c.valid ? 3 : 1;
  } else if (auto k = Kiosk::Open({.data_dir = ctx.data_dir, .read_only = true}); !k.ok()) {
    j["entity"] = nullptr;
    j["error"] = {{"kind", ToString(k.error().kind)}, {"code", k.error().code}, {"message", k.error().message}};
    human += "Lookup:    unavailable: " + k.error().message + "\n";
    exit_code = ExitCodeFor(k.error().kind);
  } else if (auto r = (*k)->Resolve(text); !r.ok()) {
    j["entity"] = nullptr;
    j["error"] = {{"kind", ToString(r.error().kind)}, {"code", r.error().code}, {"message", r.error().message}};
    human += "Entity:    none: " + r.error().message + "\n";
    exit_code = ExitCodeFor(r.error().kind);
  } else {
    j["ok"] = true;
    j["entity"] = {{"kind", EntityName(r->kind)}, {"key", r->key}, {"label", r->label}, {"fields", r->fields}};
    human += "Entity:    " + std::string(EntityName(r->kind)) + " " + r->key + ": " + r->label + "\n";
    // A card that is blocked (lost, withdrawn) is found but refused everywhere it is used: say so,
    // and exit as a refusal does, like `kiosk partner`.
    if (r->kind == EntityKind::PartnerCard && r->fields.value("card_status", "") == "blocked") {
      j["ok"] = false;
      j["error"] = {{"kind", "refused"}, {"code", "card.blocked"},
                    {"message", "Card " + r->key + " is blocked (reported lost or withdrawn): it cannot be used."}};
      human += "Blocked:   card " + r->key + " is blocked (reported lost or withdrawn): it cannot be used. Use another of the partner's cards.\n";
      exit_code = 1;
    } else if (r->kind == EntityKind::PartnerCard && r->fields.value("partner_status", "") == "suspended") {
      human += "Suspended: the partner is suspended from the partner program.\n";
    }
  }
  if (ctx.json) std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else std::cout << human;
  if (exit_code > ctx.exit_code) ctx.exit_code = exit_code;
}

struct ScanArgs {
  std::vector<std::string> texts;
};

struct DecodeArgs {
  std::string file;
  std::string layout = "us";
  std::string suffix;
  bool tab = false;
  bool no_enter = false;
};

void DecodeHid(Context& ctx, const DecodeArgs& a) {
  auto layout = scan::ParseLayout(a.layout);
  if (!layout) {
    ReportError(ctx, MakeError(ErrorKind::Usage, "scan.layout", "Unknown layout \"" + a.layout + "\": use us, de, fr, fi-se, pl or ru."));
    return;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (a.file != "-") {
    file.open(a.file);
    if (!file) {
      ReportError(ctx, MakeError(ErrorKind::Usage, "scan.unreadable", "Cannot read " + a.file + ": " + std::strerror(errno) + "."));
      return;
    }
    in = &file;
  }
  scan::HidDecoder decoder({.layout = *layout, .enter_terminates = !a.no_enter, .tab_terminates = a.tab, .suffix = a.suffix, .timeout_ms = 0});
  std::vector<scan::DecodedScan> out;
  auto print = [&] {
    for (const auto& s : out) {
      std::string_view t = s.terminator == scan::Terminator::Flush ? "eof" : scan::ToString(s.terminator);
      std::cout << nlohmann::ordered_json{{"text", s.text}, {"terminator", t}}.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    }
    out.clear();
  };
  std::string line;
  int n = 0, bad = 0;
  while (std::getline(*in, line)) {
    ++n;
    std::string_view v = line;
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if (v.empty() || v.front() == '#') continue;
    auto r = scan::ParseReportHex(v);
    if (!r) {
      // Keep going: one bad line must not hide the scans in the rest of the file.
      if (++bad <= 20) {
        std::cerr << "error: " << (a.file == "-" ? "stdin" : a.file) << ":" << n << ": expected one 8-byte report as 16 hex digits, got \""
                  << std::string(v.substr(0, 40)) << (v.size() > 40 ? "..." : "") << "\"\n";
      }
      continue;
    }
    decoder.Feed(*r, n, out);
    print();
  }
  decoder.Flush(out);
  print();
  if (bad) {
    std::cerr << "error: " << bad << " line(s) were not reports and were skipped [scan.bad_report]\n";
    ctx.exit_code = 2;
  }
}

struct ScannersArgs {
  std::vector<std::string> usb_ids;
  double watch_s = 0;
  std::string layout;  // empty: kiosk.json's scanner.layout
  std::string config_path;
};

// The same sources the touchscreen starts (kiosk.json's `scanner` section, through ScannerSet),
// so what this command lists is what the touchscreen will read.
void ListScanners(Context& ctx, const ScannersArgs& a) {
  Config config;
  std::string config_note;
  auto loaded = a.config_path.empty() ? LoadConfigFromEnvironment() : LoadConfig(a.config_path);
  if (loaded.ok()) {
    config = std::move(loaded).value();
    config_note = config.source.empty() ? "no kiosk.json: the default sources" : "from " + config.source.string();
  } else {
    // The touchscreen carries on with the defaults too; `kiosk doctor` says what to fix.
    config_note = "kiosk.json could not be used (" + loaded.error().message + "): the default sources";
  }
  ScannerConfig& sc = config.scanner;
  if (!a.layout.empty()) {
    if (!scan::ParseLayout(a.layout)) {
      ReportError(ctx, MakeError(ErrorKind::Usage, "scan.layout", "Unknown layout \"" + a.layout + "\": use us, de, fr, fi-se, pl or ru."));
      return;
    }
    sc.layout = a.layout;
  }
  for (const std::string& s : a.usb_ids) {
    if (auto id = platform::ParseUsbId(s); !id.ok()) {
      ReportError(ctx, id.error());
      return;
    }
    sc.usb_ids.push_back(s);
  }
  platform::ScannerSetOptions so;
  so.config = sc;
  so.scanners_json = AssetsDir() / "scanners.json";
  platform::ScannerSet set(std::move(so));
  platform::ScanQueue queue;
  set.Start(queue);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let interfaces be claimed

  nlohmann::json j{{"config", config_note}, {"sources", sc.sources}, {"scanners", nlohmann::json::array()},
                   {"evdev_keyboards", nlohmann::json::array()}, {"serial_ports", nlohmann::json::array()},
                   {"events", nlohmann::json::array()}};
  std::ostringstream o;
  std::string sources;
  for (const auto& s : sc.sources) sources += (sources.empty() ? "" : ", ") + s;
  o << "Sources: " << sources << " (" << config_note << ")\n";
  const auto health = set.Health();
  for (const auto& s : health) {
    j["scanners"].push_back({{"id", s.id}, {"name", s.name}, {"transport", s.transport}, {"state", s.state},
                             {"detail", s.detail}, {"scans", s.scans}});
  }
  for (const auto& s : health) o << "  " << platform::FormatHealth({s}) << "\n";
  if (health.empty()) o << "  " << platform::FormatHealth({}) << "\n";
  const bool usb = std::find(sc.sources.begin(), sc.sources.end(), "usb") != sc.sources.end();
  if (usb && !fs::exists("/dev/bus/usb")) o << "  (this machine has no USB bus: /dev/bus/usb is missing)\n";
  // For setting a scanner up: what else is plugged in that a source could read.
  std::error_code ec;
  std::vector<std::string> kbds, ttys;
  for (const auto& e : fs::directory_iterator("/dev/input/by-id", ec)) {
    std::string n = e.path().filename().string();
    if (n.size() > 10 && n.compare(n.size() - 10, 10, "-event-kbd") == 0) kbds.push_back(e.path().string());
  }
  for (const auto& e : fs::directory_iterator("/dev", ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("ttyACM", 0) == 0 || n.rfind("ttyUSB", 0) == 0) ttys.push_back(e.path().string());
  }
  o << "Keyboards (/dev/input/by-id): " << (kbds.empty() ? "none" : "") << "\n";
  for (const auto& k : kbds) {
    o << "  " << k << "\n";
    j["evdev_keyboards"].push_back(k);
  }
  o << "Serial ports (ttyACM, ttyUSB): " << (ttys.empty() ? "none" : "") << "\n";
  for (const auto& t : ttys) {
    o << "  " << t << "\n";
    j["serial_ports"].push_back(t);
  }
  for (const auto& e : queue.DrainEvents()) {
    o << "Event: " << e.source_id << " " << e.state << ": " << e.message << "\n";
    j["events"].push_back({{"id", e.source_id}, {"state", e.state}, {"message", e.message}});
  }
  Emit(ctx, j, o.str());

  if (a.watch_s > 0) {
    // Prints every scan with its classification: for setting a scanner up at the counter.
    bool ok = true;
    barcode::Classifier classifier = LoadClassifier(ctx, ok);
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(a.watch_s * 1000));
    if (!ctx.json) std::cout << "Watching for " << a.watch_s << " s; scan something...\n" << std::flush;
    while (std::chrono::steady_clock::now() < until) {
      queue.Wait(std::chrono::milliseconds(200));
      for (const auto& e : queue.DrainEvents()) {
        if (ctx.json) std::cout << nlohmann::json{{"event", e.state}, {"id", e.source_id}, {"message", e.message}}.dump() << "\n";
        else std::cout << "Event: " << e.source_id << " " << e.state << ": " << e.message << "\n";
      }
      for (const auto& s : queue.DrainScans()) {
        auto c = classifier.Classify(s.Raw());
        if (ctx.json) {
          std::cout << nlohmann::json{{"scan", s.Raw()}, {"source", s.source_id}, {"terminator", s.terminator}, {"classification", barcode::ToJson(c)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else {
          std::cout << s.source_id << ": " << Visible(s.Raw()) << " (" << s.terminator << ")\n" << HumanClassification(c);
        }
        std::cout << std::flush;
      }
    }
  }
  set.Stop();
}

}  // namespace

void RegisterScanCommands(CLI::App& app, Context& ctx) {
  auto scan_args = std::make_shared<ScanArgs>();
  CLI::App* scan_cmd = app.add_subcommand(
      "scan", "Classify a barcode and look it up: partner card, badge, demo unit, model. Type GS1 as (01)...(21)..., or with <GS> between fields; '-' reads one barcode per line from stdin");
  scan_cmd->add_option("text", scan_args->texts, "What the scanner read, e.g. BDG-10017, DEMO-00017, \"(01)00614141000012(21)C45A0001234\"")->required();
  scan_cmd->callback([&ctx, scan_args] {
    bool ok = true;
    barcode::Classifier classifier = LoadClassifier(ctx, ok);
    if (!ok) return;
    for (const std::string& t : scan_args->texts) {
      if (t == "-") {
        std::string line;
        while (std::getline(std::cin, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (!line.empty()) ScanOne(ctx, classifier, line);
        }
      } else {
        ScanOne(ctx, classifier, t);
      }
    }
  });

  auto dec = std::make_shared<DecodeArgs>();
  CLI::App* dec_cmd = app.add_subcommand("decode-hid", "Decode boot-keyboard reports (one per line, 16 hex digits) into scans, one JSON object per scan");
  dec_cmd->add_option("file", dec->file, "File of reports, or - for stdin")->required();
  dec_cmd->add_option("--layout", dec->layout, "Keyboard layout the scanner is set to: us, de, fr, fi-se, pl, ru")->capture_default_str();
  dec_cmd->add_option("--suffix", dec->suffix, "Text that ends a scan (besides Enter)");
  dec_cmd->add_flag("--tab", dec->tab, "Tab ends a scan");
  dec_cmd->add_flag("--no-enter", dec->no_enter, "Enter does not end a scan (kept as \\r)");
  dec_cmd->callback([&ctx, dec] { DecodeHid(ctx, *dec); });

  auto sc = std::make_shared<ScannersArgs>();
  CLI::App* sc_cmd = app.add_subcommand("scanners", "Start the scanner sources kiosk.json configures, as the touchscreen does, and list each scanner and its state");
  sc_cmd->add_option("--usb-id", sc->usb_ids, "Also treat this VID:PID as a scanner (hex, e.g. 0c2e:0b61)");
  sc_cmd->add_option("--layout", sc->layout, "Keyboard layout the scanners are set to (default: kiosk.json's scanner.layout)");
  sc_cmd->add_option("--config", sc->config_path, "Config file (default: $KIOSK_CONFIG or /etc/kiosk/kiosk.json)");
  sc_cmd->add_option("--watch", sc->watch_s, "Keep reading for this many seconds and print every scan with its classification");
  sc_cmd->callback([&ctx, sc] { ListScanners(ctx, *sc); });
}

}  // namespace kiosk::cli
