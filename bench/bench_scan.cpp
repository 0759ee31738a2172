// One scan from HID reports in to entity out: decode (US layout) + classify + lookup, with
// 100,000 demo units in a real data folder. Goal: p99 <= 50 us. Then classify with a site's rule
// that std::regex backtracked on for minutes ("(L*)*X"), on a 128-character code.
// Usage: bench_scan [DEVICES] [SCANS]   (defaults 100000 and 20000)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/core/scan/hid_decoder.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

int GtinCheck(const std::string& p) {
  int s = 0, w = 3;
  for (auto it = p.rbegin(); it != p.rend(); ++it) {
    s += (*it - '0') * w;
    w = 4 - w;
  }
  return (10 - s % 10) % 10;
}

std::string Gtin(int model) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0061414%06d", model);
  std::string p = buf;
  return p + static_cast<char>('0' + GtinCheck(p));
}

struct Stats {
  double p50, p99, max;
};
Stats Summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100], us.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int scans = argc > 2 ? std::atoi(argv[2]) : 20000;
  if (devices < 1 || devices > 100000 || scans < 100) {
    std::fprintf(stderr, "usage: bench_scan [DEVICES 1..100000] [SCANS >= 100]\n");
    return 2;
  }
  fs::path dir = fs::temp_directory_path() / ("kiosk-bench-scan-" + std::to_string(::getpid()));
  fs::remove_all(dir);

  // ---- A data folder with `devices` units of 50 models ----
  auto t0 = Clock::now();
  nlohmann::json ref{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 1}, {"full", true},
                     {"generated_at", "2026-11-24T08:00:00Z"}};
  ref["models"] = nlohmann::json::array();
  for (int m = 0; m < 50; ++m) {
    ref["models"].push_back({{"gtin", Gtin(m)}, {"name", "Model " + std::to_string(m)}, {"category", "MFP"},
                             {"quota", {{"registered", 1}, {"silver", 2}, {"gold", 3}, {"platinum", 5}}}, {"active", true}});
  }
  ref["devices"] = nlohmann::json::array();
  char tag[16], serial[16];
  for (int i = 0; i < devices; ++i) {
    std::snprintf(tag, sizeof tag, "DEMO-%05d", i);
    std::snprintf(serial, sizeof serial, "S%08d", i);
    ref["devices"].push_back({{"asset_tag", tag}, {"gtin", Gtin(i % 50)}, {"serial", serial}, {"kit", ""},
                              {"state", "available"}, {"custodian", ""}, {"due_date", ""}, {"purpose", ""},
                              {"location", "Showroom"}});
  }
  auto init = kiosk::Kiosk::Init({.data_dir = dir, .kiosk_id = "KIOSK-BENCH001"});
  if (!init.ok()) {
    std::fprintf(stderr, "init failed: %s\n", init.error().message.c_str());
    return 3;
  }
  auto k = kiosk::Kiosk::Open({.data_dir = dir});
  if (!k.ok()) {
    std::fprintf(stderr, "open failed: %s\n", k.error().message.c_str());
    return 3;
  }
  auto loaded = (*k)->LoadReference(ref.dump());
  if (!loaded.ok()) {
    std::fprintf(stderr, "load failed: %s\n", loaded.error().message.c_str());
    return 3;
  }
  double setup_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // ---- The scans: GS1 DataMatrix (]d2, GTIN + serial, GS by Ctrl+]) as a scanner sends them ----
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, devices - 1);
  std::vector<std::vector<kiosk::scan::HidReport>> inputs;
  inputs.reserve(1000);
  for (int i = 0; i < 1000; ++i) {
    int d = pick(rng);
    std::snprintf(serial, sizeof serial, "S%08d", d);
    auto r = kiosk::scan::EncodeText("]d201" + Gtin(d % 50) + "21" + serial, {.layout = kiosk::scan::Layout::Us});
    inputs.push_back(std::move(*r));
  }

  kiosk::scan::HidDecoder decoder({.layout = kiosk::scan::Layout::Us, .timeout_ms = 0});
  const auto classifier = kiosk::barcode::Classifier::Default();
  std::vector<kiosk::scan::DecodedScan> out;
  std::vector<double> total, decode, classify, resolve;
  int failures = 0;
  for (int i = 0; i < scans + 500; ++i) {  // the first 500 warm the caches and are not counted
    const auto& reports = inputs[i % inputs.size()];
    auto a = Clock::now();
    out.clear();
    int64_t t = 0;
    for (const auto& r : reports) decoder.Feed(r, t++, out);
    auto b = Clock::now();
    auto c = classifier.Classify(out.at(0).text);
    auto m = Clock::now();
    auto res = (*k)->Resolve(out[0].text);  // classifies again inside, as the app does
    auto e = Clock::now();
    if (!res.ok() || res->kind != kiosk::EntityKind::Device || !c.valid) ++failures;
    if (i < 500) continue;
    auto us = [](auto x, auto y) { return std::chrono::duration<double, std::micro>(y - x).count(); };
    decode.push_back(us(a, b));
    classify.push_back(us(b, m));
    resolve.push_back(us(m, e));
    total.push_back(us(a, b) + us(m, e));  // decode + Resolve (which includes classify)
  }
  auto show = [](const char* what, const Stats& s) {
    std::printf("%-32s p50 %8.2f us   p99 %8.2f us   max %9.2f us\n", what, s.p50, s.p99, s.max);
  };
  std::printf("bench_scan: %d devices (data folder built in %.1f s), %d scans of %zu HID reports each\n", devices, setup_s,
              scans, inputs[0].size());
  show("decode (HID reports -> text)", Summarise(decode));
  show("classify (alone)", Summarise(classify));
  show("resolve (classify + lookup)", Summarise(resolve));
  Stats s = Summarise(total);
  show("scan to entity (decode+resolve)", s);
  std::printf("goal p99 <= 50 us: %s; lookups that failed: %d\n", s.p99 <= 50 ? "met" : "NOT met", failures);

  // ---- A site's rule that std::regex backtracked on for minutes, on a 128-character code ----
  // (kiosk/core/barcode/rule_pattern.hpp; the last pattern is near the 10,000-step limit.)
  const std::pair<const char*, char> slow_for_regex[] = {
      {"(L*)*X", 'L'}, {"(A|AA)*X", 'A'}, {"L*L*L*L*L*L*L*X", 'L'}, {"(?:[0-9]{1,20}){1,6}X", '7'},
      {"((((L*)*)*)*)*X", 'L'}, {"(?:\\d?\\d?\\d?\\d?\\d?){999}X", '7'}};
  for (const auto& [pattern, fill] : slow_for_regex) {
    nlohmann::json rules{{"rules", {{{"kind", "asset_tag"}, {"pattern", pattern}}}}};
    auto site = kiosk::barcode::Classifier::FromJsonText(rules.dump());
    if (!site.ok()) {
      std::fprintf(stderr, "rule refused: %s\n", site.error().message.c_str());
      return 3;
    }
    const std::string code(128, fill);
    std::vector<double> us;
    for (int i = 0; i < 200; ++i) {
      auto a = Clock::now();
      auto c = site->Classify(code);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      if (c.kind == kiosk::barcode::Kind::AssetTag) {  // none of them matches
        std::fprintf(stderr, "rule %s matched %s\n", pattern, code.c_str());
        return 1;
      }
    }
    Stats r = Summarise(us);
    std::printf("classify, rule %-30s p50 %8.2f us   p99 %8.2f us   max %9.2f us\n", pattern, r.p50, r.p99, r.max);
  }
  k->reset();
  fs::remove_all(dir);
  return failures ? 1 : 0;
}
