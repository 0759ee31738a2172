#pragma once
// Shared by the benchmarks: a synthetic reference document of any size, percentiles, timing.
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/barcode/check_digit.hpp"

namespace kiosk::bench {

// CPU time (user + system, all threads) of this process (pid 0), or of process `pid` from
// /proc/<pid>/stat; -1 when it can't be read (the process is gone).
inline double ProcessCpuSeconds(pid_t pid = 0) {
  if (pid == 0) {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 > text.size()) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state; utime and stime are 14 and 15
    if (i == 14) utime = std::atof(f.c_str());
    if (i == 15) {
      stime = std::atof(f.c_str());
      break;
    }
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A kB line of /proc/<pid>/status ("VmRSS:", "VmHWM:"); pid 0: this process. -1 when absent.
inline int64_t ProcessStatusKb(pid_t pid, const char* field) {
  std::ifstream in(pid ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status");
  const std::string name(field);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name, 0) == 0) return std::strtoll(line.c_str() + name.size(), nullptr, 10);
  return -1;
}

// The cluster's processes: its postmaster (postmaster.pid's first line) and the postmaster's
// children. CPU seconds over all of them, and their proportional memory (Pss: shared buffers
// counted once, not once per process).
inline std::vector<pid_t> PgProcesses(const std::string& data_dir) {
  std::vector<pid_t> out;
  std::ifstream pidfile(data_dir + "/postmaster.pid");
  long master = 0;
  if (!(pidfile >> master)) return out;
  out.push_back(static_cast<pid_t>(master));
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(text.substr(paren + 2));
    std::string state;
    long ppid = 0;
    fields >> state >> ppid;
    if (ppid == master) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}
inline int64_t PgPssKb(const std::string& data_dir) {
  int64_t total = 0;
  for (pid_t p : PgProcesses(data_dir)) {
    std::ifstream in("/proc/" + std::to_string(p) + "/smaps_rollup");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Pss:", 0) == 0) total += std::strtoll(line.c_str() + 4, nullptr, 10);
  }
  return total;
}

inline double PgCpuSeconds(const std::string& data_dir) {
  double total = 0;
  for (pid_t p : PgProcesses(data_dir)) total += ProcessCpuSeconds(p);
  return total;
}

// Seconds a process's threads (0: this process) spent runnable but waiting for a core (the
// scheduler's run delay, /proc/PID/task/*/schedstat), over the threads alive now.
inline double RunDelaySeconds(pid_t pid) {
  double total = 0;
  std::error_code ec;
  const std::string dir = "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path() / "schedstat");  // on_cpu_ns run_delay_ns slices
    long long on_cpu = 0, delay = 0;
    if (in >> on_cpu >> delay) total += static_cast<double>(delay) / 1e9;
  }
  return total;
}
inline double PgRunDelaySeconds(const std::string& data_dir) {
  double total = 0;
  for (pid_t p : PgProcesses(data_dir)) total += RunDelaySeconds(p);
  return total;
}

inline std::string WithGs1Check(const std::string& payload) {
  return payload + std::to_string(barcode::Gs1CheckDigit(payload));
}
inline std::string WithLuhn(const std::string& payload) {
  return payload + std::to_string(barcode::LuhnCheckDigit(payload));
}

inline std::string SyntheticGtin(int model) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0061414%06d", model % 1000000);  // 13 digits + check
  return WithGs1Check(buf);
}
inline std::string SyntheticAssetTag(int i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "DEMO-%05d", i % 100000);
  return i < 100000 ? std::string(buf) : "DEMO-" + std::to_string(i);
}
inline std::string SyntheticSerial(int i) { return "SN" + std::to_string(10000000 + i); }
inline std::string SyntheticCard(int i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "6299%011d", i);
  return WithLuhn(buf);
}
// The GS1 text a scanner sends for device i: ]d2 + (01) GTIN + (21) serial.
inline std::string SyntheticGs1(int i, int models = 50) {
  return "]d201" + SyntheticGtin(i % models) + "21" + SyntheticSerial(i);
}

// A full reference snapshot with `devices` demo units and `cards` partner cards (and a partner
// per 100 cards), in the format of docs/reference-format.md.
inline std::string SyntheticReference(int devices, int cards, int models = 50) {
  using nlohmann::json;
  json doc{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 1}, {"full", true}};
  doc["settings"] = json::object();
  json& partners = doc["partners"] = json::array();
  json& balances = doc["balances"] = json::array();
  const int n_partners = std::max(1, cards / 100);
  const char* tiers[] = {"registered", "silver", "gold", "platinum"};
  for (int p = 0; p < n_partners; ++p) {
    const std::string id = "P-XX-" + std::to_string(p);
    partners.push_back({{"id", id}, {"name", "Partner " + std::to_string(p)}, {"country", "FI"}, {"region", "Nordics"},
                        {"tier", tiers[p % 4]}, {"type", "solution_provider"}, {"authorization", "authorized"},
                        {"status", "active"}, {"certified_sales", 2}, {"certified_technical", 1}, {"next_tier", json::array()}});
    balances.push_back({{"partner_id", id}, {"available", 50000}, {"pending", 0}});
  }
  json& c = doc["cards"] = json::array();
  for (int i = 0; i < cards; ++i)
    c.push_back({{"number", SyntheticCard(i)}, {"partner_id", "P-XX-" + std::to_string(i % n_partners)}, {"status", "active"}});
  doc["badges"] = {{{"code", "BDG-10017"}, {"name", "Bench Staff"}, {"role", "staff"}, {"active", true}},
                   {{"code", "BDG-20024"}, {"name", "Bench Rep"}, {"role", "rep"}, {"active", true}}};
  json& m = doc["models"] = json::array();
  for (int i = 0; i < models; ++i)
    m.push_back({{"gtin", SyntheticGtin(i)}, {"name", "Model " + std::to_string(i)}, {"category", "MFP"},
                 {"quota", {{"registered", 1}, {"silver", 2}, {"gold", 3}, {"platinum", 5}}}, {"active", true}});
  json& d = doc["devices"] = json::array();
  for (int i = 0; i < devices; ++i)
    d.push_back({{"asset_tag", SyntheticAssetTag(i)}, {"gtin", SyntheticGtin(i % models)}, {"serial", SyntheticSerial(i)},
                 {"kit", ""}, {"state", "available"}, {"location", "Warehouse"}});
  doc["rewards"] = {{{"id", "R-001"}, {"name", "Mug"}, {"points", 500}, {"stock", 100}}};
  return doc.dump();
}

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
inline Percentiles Summarise(std::vector<double> us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))]; };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = us.back();
  double sum = 0;
  for (double v : us) sum += v;
  p.mean = sum / static_cast<double>(us.size());
  return p;
}

inline double MicrosSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace kiosk::bench
