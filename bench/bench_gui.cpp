// bench_gui: the touchscreen app against a minimal ImGui window (bench_gui_minimal), side by side
// under one Xvfb, with 100,000 devices in the kiosk's data folder. Prints:
//   - cold start: process start to the first frame on screen (median of 5 runs each);
//   - idle CPU over 60 s, as % of one core (both processes idle at the same time);
//   - PSS memory of each program running alone (median of 3), by mapping where the kiosk uses
//     more than the window, and of both after the idle period, running at once;
//   - scan delivered (written to the replay scanner FIFO) to the frame showing its result: time
//     and how many frames were drawn in between (1 = the next frame).
// Usage: bench_gui [--kiosk PATH] [--minimal PATH] [--devices N] [--idle-seconds S] [--scans N] [--pss-rows N]
// Needs Xvfb (package xvfb). Leaves nothing running; removes its temporary folder.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/assets.hpp"

namespace fs = std::filesystem;

namespace {

long long MonoUs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // its stdout
  std::string buffer;
  long long started_us = 0;
};

Child Spawn(const std::vector<std::string>& argv, const std::string& display) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(3);
  Child c;
  c.started_us = MonoUs();
  c.pid = fork();
  if (c.pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2);
    setenv("DISPLAY", display.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  c.out = fds[0];
  return c;
}

// Reads until a line starting with `prefix`, or the timeout. Returns the line or "".
std::string ReadLine(Child& c, const std::string& prefix, int timeout_ms) {
  long long deadline = MonoUs() + timeout_ms * 1000LL;
  for (;;) {
    size_t nl;
    while ((nl = c.buffer.find('\n')) != std::string::npos) {
      std::string line = c.buffer.substr(0, nl);
      c.buffer.erase(0, nl + 1);
      if (line.rfind(prefix, 0) == 0) return line;
    }
    long long left = (deadline - MonoUs()) / 1000;
    if (left <= 0) return "";
    pollfd p{c.out, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = read(c.out, buf, sizeof buf);
    if (n <= 0) return "";
    c.buffer.append(buf, static_cast<size_t>(n));
  }
}

void Stop(Child& c) {
  if (c.pid > 0) {
    kill(c.pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && waitpid(c.pid, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (waitpid(c.pid, &status, WNOHANG) == 0) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, &status, 0);
    }
  }
  if (c.out >= 0) close(c.out);
  c.pid = -1;
  c.out = -1;
}

long long CpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  size_t rp = s.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream rest(s.substr(rp + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return utime + stime;
}

long long PssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Pss:", 0) == 0) return std::atoll(line.c_str() + 4);
  return -1;
}

// PSS by mapping from /proc/PID/smaps: shared libraries and files by name, anonymous memory as
// "[anon]", plus "[heap]" and "[stack]": where a process's memory goes.
std::map<std::string, long long> PssByMapping(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::map<std::string, long long> out;
  std::string line, name = "[anon]";
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < 17) {
      std::istringstream ss(line);
      std::string range, perms, offset, dev, inode, path;
      ss >> range >> perms >> offset >> dev >> inode;
      std::getline(ss, path);
      path.erase(0, path.find_first_not_of(' '));
      name = path.empty() ? "[anon]" : fs::path(path).filename().string();
      if (path.rfind("/memfd:", 0) == 0 || path.rfind("/dev/", 0) == 0) name = path;
    } else if (line.rfind("Pss:", 0) == 0) {
      out[name] += std::atoll(line.c_str() + 4);
    }
  }
  return out;
}

// The mappings where the kiosk uses most more than the minimal window, largest first.
void PrintPssBreakdown(std::map<std::string, long long> k, std::map<std::string, long long> m, int rows) {
  std::vector<std::pair<long long, std::string>> diff;
  for (const auto& [name, kb] : k) diff.emplace_back(kb - (m.count(name) ? m[name] : 0), name);
  for (const auto& [name, kb] : m)
    if (!k.count(name)) diff.emplace_back(-kb, name);
  std::sort(diff.begin(), diff.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::printf("PSS by mapping, kiosk vs minimal, each alone (largest differences):\n");
  for (int i = 0; i < rows && i < static_cast<int>(diff.size()); ++i) {
    const auto& [d, name] = diff[i];
    std::printf("  %-34s kiosk %7.1f MB  minimal %7.1f MB  %+7.1f MB\n", name.c_str(), (k.count(name) ? k[name] : 0) / 1024.0,
                (m.count(name) ? m[name] : 0) / 1024.0, d / 1024.0);
  }
}

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path self_dir = fs::weakly_canonical(fs::absolute(argv[0])).parent_path();
  std::string kiosk = (self_dir.parent_path() / "kiosk").string();
  std::string minimal = (self_dir / "bench_gui_minimal").string();
  int devices = 100000, idle_s = 60, scans = 20, pss_rows = 12;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--kiosk") kiosk = argv[i + 1];
    else if (a == "--minimal") minimal = argv[i + 1];
    else if (a == "--devices") devices = std::atoi(argv[i + 1]);
    else if (a == "--pss-rows") pss_rows = std::atoi(argv[i + 1]);
    else if (a == "--idle-seconds") idle_s = std::atoi(argv[i + 1]);
    else if (a == "--scans") scans = std::atoi(argv[i + 1]);
    else {
      std::cerr << "usage: bench_gui [--kiosk PATH] [--minimal PATH] [--devices N] [--idle-seconds S] [--scans N] [--pss-rows N]\n";
      return 2;
    }
  }
  for (const auto& exe : {kiosk, minimal}) {
    if (access(exe.c_str(), X_OK) != 0) {
      std::cerr << "error: " << exe << " not found: build the kiosk and bench_gui_minimal targets first\n";
      return 2;
    }
  }
  fs::path tmp = fs::temp_directory_path() / ("bench_gui." + std::to_string(getpid()));
  fs::create_directories(tmp);

  // 1. A data folder with the demo showroom plus `devices` more units.
  std::ifstream demo_in(kiosk::AssetsDir() / "demo" / "showroom.json");
  nlohmann::json ref = nlohmann::json::parse(demo_in);
  std::vector<std::string> gtins;
  for (const auto& m : ref["models"])
    if (m.value("active", true)) gtins.push_back(m["gtin"]);
  char buf[64];
  for (int i = 0; i < devices; ++i) {
    nlohmann::json d;
    std::snprintf(buf, sizeof buf, "BENCH-%06d", i);
    d["asset_tag"] = buf;
    d["gtin"] = gtins[static_cast<size_t>(i) % gtins.size()];
    std::snprintf(buf, sizeof buf, "B%09d", i);
    d["serial"] = buf;
    d["kit"] = "";
    d["state"] = "available";
    d["custodian"] = "";
    d["due_date"] = "";
    d["purpose"] = "";
    d["location"] = "Warehouse";
    ref["devices"].push_back(std::move(d));
  }
  fs::path ref_file = tmp / "reference.json";
  std::ofstream(ref_file) << ref.dump();
  fs::path data = tmp / "data";
  long long t0 = MonoUs();
  if (Run("'" + kiosk + "' --data '" + data.string() + "' init --reference '" + ref_file.string() + "' >/dev/null") != 0) {
    std::cerr << "error: kiosk init failed\n";
    return 3;
  }
  std::printf("data folder: %d devices (+44 demo units), init took %.1f s\n", devices, (MonoUs() - t0) / 1e6);

  // 2. One Xvfb for both programs.
  int dfd[2];
  if (pipe(dfd) != 0) return 3;
  pid_t xvfb = fork();
  if (xvfb == 0) {
    close(dfd[0]);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    std::string fd = std::to_string(dfd[1]);
    execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "1024x600x24", "-nolisten", "tcp", nullptr);
    _exit(127);
  }
  close(dfd[1]);
  Child xc{xvfb, dfd[0], "", 0};
  std::string num;
  {
    char c;
    pollfd p{dfd[0], POLLIN, 0};
    while (poll(&p, 1, 10000) > 0 && read(dfd[0], &c, 1) == 1 && c != '\n') num += c;
  }
  if (num.empty()) {
    std::cerr << "error: Xvfb did not start (apt-get install xvfb)\n";
    Stop(xc);
    return 3;
  }
  std::string display = ":" + num;
  std::printf("Xvfb on %s, 1024x600x24 (Mesa llvmpipe)\n\n", display.c_str());

  std::vector<std::string> kiosk_args = {kiosk, "--data", data.string(), "gui", "--trace"};
  std::vector<std::string> minimal_args = {minimal};

  // 3. Cold start, alternating so both see the same machine load.
  std::vector<double> cold_k, cold_m;
  for (int i = 0; i < 5; ++i) {
    for (int which = 0; which < 2; ++which) {
      auto args = which == 0 ? kiosk_args : minimal_args;
      args.push_back("--exit-after");
      args.push_back("1500");
      Child c = Spawn(args, display);
      std::string line = ReadLine(c, "trace first_frame_mono_us", 20000);
      if (!line.empty()) {
        double ms = (std::atoll(line.c_str() + 26) - c.started_us) / 1000.0;
        (which == 0 ? cold_k : cold_m).push_back(ms);
      }
      Stop(c);
    }
  }
  std::printf("cold start to first frame (median of 5): kiosk %.0f ms, minimal ImGui window %.0f ms, difference %+.0f ms\n",
              Median(cold_k), Median(cold_m), Median(cold_k) - Median(cold_m));

  // 4. Idle CPU (and PSS), both idle at the same time.
  Child k = Spawn(kiosk_args, display);
  Child m = Spawn(minimal_args, display);
  ReadLine(k, "trace first_frame", 20000);
  ReadLine(m, "trace first_frame", 20000);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  long long k0 = CpuTicks(k.pid), m0 = CpuTicks(m.pid);
  long long w0 = MonoUs();
  std::this_thread::sleep_for(std::chrono::seconds(idle_s));
  long long k1 = CpuTicks(k.pid), m1 = CpuTicks(m.pid);
  double secs = (MonoUs() - w0) / 1e6;
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::printf("idle CPU over %.0f s: kiosk %.2f %% of a core, minimal ImGui window (1 frame/s) %.2f %%\n", secs,
              100.0 * (k1 - k0) / hz / secs, 100.0 * (m1 - m0) / hz / secs);
  long long pk = PssKb(k.pid), pm = PssKb(m.pid);
  Stop(k);
  Stop(m);

  // PSS of each program alone, as a kiosk runs: two GL programs at once share Mesa's pages and
  // halve each one's share of them (about 16 MB each here), and the one whose window is below the
  // other has its X shared-memory image (2.4 MB) counted whole, since Xvfb never reads what is
  // hidden. Alternating, 3 runs each, after `settle_s` idle seconds; the median.
  const int settle_s = std::min(idle_s, 5);
  std::vector<double> alone_k, alone_m;
  std::map<std::string, long long> maps_k, maps_m;
  for (int i = 0; i < 3; ++i) {
    for (int which = 0; which < 2; ++which) {
      Child c = Spawn(which == 0 ? kiosk_args : minimal_args, display);
      ReadLine(c, "trace first_frame", 20000);
      std::this_thread::sleep_for(std::chrono::seconds(settle_s));
      (which == 0 ? alone_k : alone_m).push_back(static_cast<double>(PssKb(c.pid)));
      (which == 0 ? maps_k : maps_m) = PssByMapping(c.pid);
      Stop(c);
    }
  }
  const double ak = Median(alone_k), am = Median(alone_m);
  std::printf("PSS, each alone (median of 3, after %d s idle): kiosk %.1f MB, minimal ImGui window %.1f MB, ratio %.2f\n",
              settle_s, ak / 1024.0, am / 1024.0, am > 0 ? ak / am : 0.0);
  std::printf("PSS, both running at once (after the idle period): kiosk %.1f MB, minimal ImGui window %.1f MB, ratio %.2f\n",
              pk / 1024.0, pm / 1024.0, pm > 0 ? static_cast<double>(pk) / pm : 0.0);
  PrintPssBreakdown(maps_k, maps_m, pss_rows);

  // 5. Scan delivered -> frame showing its result, through the replay scanner FIFO.
  fs::path fifo = tmp / "scans.fifo";
  mkfifo(fifo.c_str(), 0600);
  auto scan_args = kiosk_args;
  scan_args.push_back("--scan-fifo");
  scan_args.push_back(fifo.string());
  Child s = Spawn(scan_args, display);
  ReadLine(s, "trace first_frame", 20000);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int wfd = open(fifo.c_str(), O_WRONLY);
  const char* codes[] = {"BDG-10017", "6299246000100012", "DEMO-00007", "BENCH-054321", "6299616000100016",
                         "NOT-A-CODE", "BDG-10025", "BENCH-099999", "6299643000100010", "DEMO-00040"};
  std::vector<double> lat;
  long long max_frames = 0;
  int lost = 0;
  for (int i = 0; i < scans && wfd >= 0; ++i) {
    std::string line = std::string(codes[i % 10]) + "\n";
    long long t = MonoUs();
    if (write(wfd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
    std::string tr = ReadLine(s, "trace scan_frame_mono_us", 5000);
    if (tr.empty()) {
      ++lost;
      continue;
    }
    long long shown = 0, delivered = 0, frames = 0;
    std::sscanf(tr.c_str(), "trace scan_frame_mono_us %lld delivered_mono_us %lld frames %lld", &shown, &delivered, &frames);
    lat.push_back((shown - t) / 1000.0);
    max_frames = std::max(max_frames, frames);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (wfd >= 0) close(wfd);
  Stop(s);
  std::sort(lat.begin(), lat.end());
  if (!lat.empty())
    std::printf("scan -> frame with its result (%zu scans, %d without a result): median %.1f ms, max %.1f ms; frames drawn "
                "from delivery to result: at most %lld\n",
                lat.size(), lost, lat[lat.size() / 2], lat.back(), max_frames);

  Stop(xc);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
