// Real power cuts: the kiosk runs in a VM (Debian's kernel, ext4 on a virtio disk) and logs events
// as fast as it can; the host kills QEMU outright at a random moment. A SIGKILL of the kiosk alone
// (tests/cli/crash_test.cpp) leaves the page cache to the kernel; here the guest's page cache, its
// block queue and anything not yet flushed to the disk image die with the VM, as in a real cut.
// Each boot then checks what the cut left: ext4 mounts (replaying its journal), the kiosk opens
// the database (SQLite's recovery, quick_check), `kiosk verify` walks the HMAC chain, and the
// journal reaches at least the last event the kiosk said it had logged before the cut.
//
// With --central BIN the kiosk is enrolled with a kiosk-central the host serves on 127.0.0.1, and
// the guest syncs round after round while it logs (QEMU's user network: the guest's 10.0.2.2 is
// the host's loopback, nothing else is reached). A cut then also falls inside a sync: before the
// central stored a batch, after it stored it but before the kiosk recorded the acknowledgement, or
// while the kiosk applied reference data. After each cut the journal must still reach everything
// the central acknowledged, and every sync must either succeed or fail for want of the network.
// The last boot syncs once more and must succeed: then the central must hold the kiosk's journal
// exactly once, seqs 1..head without a gap, its anchor on the kiosk's own last hash.
//
//   vm_powercut --scripts DIR --work DIR --kiosk BIN [--central BIN] [--cuts N] [--budget-s S]
//               [--min-cuts M] [--seed N] [--accel auto|tcg|kvm] [--kernel VMLINUZ]
//
// Stops after N cuts or when the time budget is spent (boots under TCG are slow), whichever comes
// first. Exit 0 when every check passed and at least M cuts were made, 1 when a check failed,
// 77 (ctest's skip) when the host cannot run the VM, 2 on a rig failure.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "vm_rig.hpp"

using namespace kiosk::vm;
using namespace std::chrono_literals;

namespace {

int Usage() {
  std::cerr << "usage: vm_powercut --scripts DIR --work DIR --kiosk BIN [--central BIN] [--cuts N] [--budget-s S] "
               "[--min-cuts M] [--seed N] [--accel auto|tcg|kvm] [--kernel VMLINUZ]\n";
  return 2;
}

std::optional<std::string> Mkfs() {
  if (auto m = Which("mkfs.ext4")) return m;
  for (const char* p : {"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"})
    if (fs::exists(p)) return std::string(p);
  return std::nullopt;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// A command's standard output (its standard error goes to ours), and whether it exited 0.
std::optional<std::string> Output(const std::string& cmd) {
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return std::nullopt;
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  if (::pclose(f) != 0) {
    std::cout << "FAIL: " << cmd << "\n" << out;
    return std::nullopt;
  }
  return out;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// The host's kiosk-central, serving one SQLite file on 127.0.0.1 for the whole campaign.
struct Central {
  std::string bin, db;
  pid_t pid = -1;
  int port = 0;
  std::string Cmd(const std::string& args) const { return Quote(bin) + " --db " + Quote(db) + " " + args; }
  bool Start(const fs::path& log) {
    pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(bin.c_str(), bin.c_str(), "--db", db.c_str(), "serve", "--listen", "127.0.0.1:0", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && pid > 0; ++i) {
      std::ifstream in(log);
      std::string line;
      while (std::getline(in, line)) {
        const std::string mark = "listening on http://127.0.0.1:";
        if (auto at = line.find(mark); at != std::string::npos) port = std::atoi(line.c_str() + at + mark.size());
      }
      if (port > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::cout << "FAIL: kiosk-central did not say where it listens (" << log.string() << ")\n";
    return false;
  }
  // What the central holds of the kiosk: its acknowledged head, or -1 when it can't be read.
  int64_t AckedThrough(const std::string& kiosk_id) const {
    auto out = Output(Cmd("kiosks"));
    if (!out) return -1;
    std::istringstream in(*out);
    std::string line;
    while (std::getline(in, line))
      if (StartsWith(line, kiosk_id + ",")) return std::atoll(line.c_str() + kiosk_id.size() + 1);
    return 0;
  }
  ~Central() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// The central's copy of the kiosk's journal against the kiosk's own head: every seq from 1 to the
// head exactly once, nothing after it, each event once (by id), the anchor on the kiosk's last
// hash. Returns what is wrong, or "" when it holds.
std::string CheckCentralCopy(const Central& central, const fs::path& work, const std::string& kiosk_id,
                             int64_t head, const std::string& head_hash) {
  const fs::path out = work / "central-journal";
  fs::remove_all(out);
  if (!Output(central.Cmd("export-journal --for " + Quote(kiosk_id) + " --out " + Quote(out.string()) + " >/dev/null")))
    return "kiosk-central export-journal failed";
  for (const auto& e : fs::directory_iterator(out)) {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(e.path()), nullptr, false);
    if (j.is_discarded()) return "the central's journal export is not JSON";
    std::set<std::string> ids;
    int64_t expect = 1;
    for (const auto& ev : j["events"]) {
      const int64_t seq = ev.value("seq", int64_t{-1});
      if (seq != expect)
        return "the central's copy has seq " + std::to_string(seq) + " where seq " + std::to_string(expect) +
               " belongs";
      if (!ids.insert(ev.value("event_id", "")).second) return "event " + ev.value("event_id", "") + " twice";
      ++expect;
    }
    if (expect - 1 != head)
      return "the central holds " + std::to_string(expect - 1) + " events, the kiosk's journal " + std::to_string(head);
    if (j["acked_through"] != head) return "the central acknowledged through " + j["acked_through"].dump();
    if (j["anchor"].value("hash", "") != head_hash) return "the central's anchor is not on the kiosk's last hash";
    return "";
  }
  return "kiosk-central export-journal wrote nothing";
}

// What one life between two cuts showed.
struct Life {
  bool booted = false;
  int verify_rc = -1;
  int status_rc = -1;
  int64_t head = -1;       // the journal's last seq as the kiosk found it after the cut
  int64_t confirmed = 0;   // the last seq the kiosk said it had logged before this cut
  int64_t logged = 0;      // how many it said it had logged in this life
  int64_t acked = 0;       // the central's acknowledged head before this boot (--central)
  std::string head_hash;
  int syncs = 0, syncs_failed = 0;  // syncs_failed: for want of the network
  int64_t synced_head = -1;  // the last boot's head after its final sync
  bool cut_before_append = false;
  std::string failure;
};

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt{{"--accel", "auto"}, {"--cuts", "20"}, {"--budget-s", "300"},
                                         {"--min-cuts", "3"}, {"--seed", "20261205"}};
  for (int i = 1; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  if (!opt.count("--scripts") || !opt.count("--work") || !opt.count("--kiosk")) return Usage();
  const auto t0 = Clock::now();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int cuts_wanted = std::atoi(opt["--cuts"].c_str());
  const int min_cuts = std::atoi(opt["--min-cuts"].c_str());
  const auto budget = std::chrono::seconds(std::atoi(opt["--budget-s"].c_str()));
  const unsigned seed = static_cast<unsigned>(std::strtoul(opt["--seed"].c_str(), nullptr, 10));

  const Host host = FindHost(opt.count("--kernel") ? std::optional<fs::path>(opt["--kernel"]) : std::nullopt);
  if (!host.skip.empty()) {
    std::cout << "SKIP: " << host.skip << "\n";
    return kSkip;
  }
  const auto mkfs = Mkfs();
  if (!mkfs) {
    std::cout << "SKIP: mkfs.ext4 is not installed (apt-get install e2fsprogs)\n";
    return kSkip;
  }

  // The disk: an ext4 image holding a demo showroom's data folder, made by the kiosk itself.
  const fs::path work = opt["--work"];
  fs::remove_all(work / "seed");
  fs::create_directories(work / "seed");
  const fs::path disk = work / "disk.img";
  fs::remove(disk);
  const fs::path seed_data = work / "seed" / "data";
  const std::string kiosk = Quote(opt["--kiosk"]) + " --data " + Quote(seed_data.string());
  if (!Output(kiosk + " init --demo >/dev/null")) return 2;
  // With a central: enrolled before the disk is made, so every life can sync.
  Central central;
  std::string kiosk_id;
  if (opt.count("--central")) {
    central.bin = opt["--central"];
    central.db = (work / "central.db").string();
    fs::remove(central.db);
    fs::remove(central.db + "-wal");
    fs::remove(central.db + "-shm");
    auto status = Output(kiosk + " --json status");
    if (!status) return 2;
    kiosk_id = nlohmann::json::parse(*status, nullptr, false).value("kiosk_id", "");
    const fs::path showroom = fs::path(opt["--scripts"]) / "../../../assets/demo/showroom.json";
    if (!Output(central.Cmd("load-reference " + Quote(showroom.string()) + " >/dev/null"))) return 2;
    auto code = Output(central.Cmd("enroll " + Quote(kiosk_id)));
    if (!code || code->find("--code ") == std::string::npos) return 2;
    std::string c = code->substr(code->find("--code ") + 7);
    c = c.substr(0, c.find_first_of(" \n"));
    if (!central.Start(work / "central.log")) return 2;
    if (!Output(kiosk + " enroll --central http://127.0.0.1:" + std::to_string(central.port) + " --code " + c +
                " >/dev/null"))
      return 2;
  }
  if (!Output(Quote(*mkfs) + " -q -F -t ext4 -d " + Quote((work / "seed").string()) + " " + Quote(disk.string()) +
              " 256M >/dev/null"))
    return 2;
  const fs::path scripts = opt["--scripts"];
  const fs::path initrd = work / "initrd-powercut.gz";
  if (!BuildInitramfs(scripts, initrd, host.kernel_version, scripts / "guest_init.sh",
                      {opt["--kiosk"], (scripts / "powercut_guest.sh").string()}))
    return 2;
  std::printf("disk and initramfs ready in %.1f s (kernel %s, seed %u)\n", Since(t0), host.kernel_version.c_str(), seed);

  BootSpec spec;
  spec.initrd = initrd;
  spec.cmdline_extra = " vmcase=powercut";
  // cache=writeback: the guest's flushes (SQLite's fsyncs) reach the image file, and what the
  // guest had not flushed is lost with QEMU.
  spec.extra_args = {"-drive", "file=" + disk.string() + ",format=raw,if=virtio,cache=writeback"};
  if (central.port > 0) {
    spec.cmdline_extra += " central=http://10.0.2.2:" + std::to_string(central.port);
    for (const char* a : {"-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"}) spec.extra_args.push_back(a);
  } else {
    spec.extra_args.insert(spec.extra_args.begin(), {"-net", "none"});
  }
  const fs::path kvm_verdict = work / "kvm-boots";
  std::vector<std::string> accels = Accelerators(opt["--accel"], kvm_verdict);

  std::mt19937 rng(seed);
  std::vector<Life> lives;
  int64_t confirmed = 0;  // across all lives: the newest seq the kiosk confirmed before a cut
  int64_t total_logged = 0;
  int64_t acked = 0;  // the central's acknowledged head after the last cut (--central)
  int total_syncs = 0, total_syncs_failed = 0;
  int failures = 0;
  std::string used;
  // One more boot than cuts: the last one only checks what the last cut left.
  for (int life_i = 0; life_i <= cuts_wanted; ++life_i) {
    const bool last = life_i == cuts_wanted || (Clock::now() - t0 > budget && life_i > 0);
    Life life;
    life.confirmed = confirmed;
    life.acked = acked;
    BootSpec life_spec = spec;
    if (last) life_spec.cmdline_extra += " vmlast=1";
    Vm vm;
    const auto tb = Clock::now();
    if (used.empty()) {
      used = BootFirstWorking(vm, host, life_spec, accels, "@@BOOT", kvm_verdict);
      if (used.empty()) return 2;
      spec.accel = used;
    } else {
      if (!Boot(vm, host, life_spec)) return 2;
      const auto limit = used == "kvm" ? 30s : 150s;
      while (auto line = vm.Line(std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - tb))))
        if (StartsWith(*line, "@@BOOT")) break;
    }
    // A cut in ~1 of 8 lives comes while the disk mounts and the kiosk opens and checks
    // (recovery itself cut); the others while it appends.
    const bool early = !last && std::uniform_int_distribution<int>(0, 7)(rng) == 0;
    // With syncs, a longer life: a sync round takes a few seconds under TCG.
    const auto run_ms =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(20, central.port > 0 ? 8000 : 1500)(rng));
    const auto early_ms = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng));
    auto deadline = Clock::now() + (early ? early_ms : used == "kvm" ? 60s : 180s);
    bool appending = false, cut = false;
    int64_t newest = 0;
    auto take = [&](const std::string& l) {
      if (StartsWith(l, "@@BOOT")) life.booted = true;
      else if (StartsWith(l, "@@CUT verify ")) {
        life.verify_rc = std::atoi(l.c_str() + 13);
      } else if (StartsWith(l, "@@CUT status ")) life.status_rc = std::atoi(l.c_str() + 13);
      else if (StartsWith(l, "@@CUT head ")) {
        life.head = std::atoll(l.c_str() + 11);
        if (auto sp = l.find(' ', 11); sp != std::string::npos) life.head_hash = l.substr(sp + 1);
      } else if (StartsWith(l, "@@CUT synced-head ")) {
        life.synced_head = std::atoll(l.c_str() + 18);
        if (auto sp = l.find(' ', 18); sp != std::string::npos) life.head_hash = l.substr(sp + 1);
      } else if (StartsWith(l, "@@CUT sync ") || StartsWith(l, "@@CUT final-sync ")) {
        // "@@CUT sync EXIT [CODE] through seq N": a sync may fail only for want of the network.
        const bool final = StartsWith(l, "@@CUT final-sync ");
        const int rc = std::atoi(l.c_str() + (final ? 17 : 11));
        ++life.syncs;
        if (rc != 0 && final) life.failure = "the last sync failed: " + l;
        else if (rc != 0 && l.find("[net.") == std::string::npos) life.failure = "a sync failed: " + l;
        else if (rc != 0) ++life.syncs_failed;  // for want of the network
      } else if (StartsWith(l, "@@CUT forked")) life.failure = "the kiosk found its journal forked from the central's";
      else if (StartsWith(l, "@@CUT network-failed")) life.failure = "the guest's network did not come up";
      else if (StartsWith(l, "@@CUT mount-failed")) life.failure = "ext4 did not mount after the cut";
      else if (StartsWith(l, "@@CUT append-ended")) life.failure = "the kiosk stopped logging by itself: " + l;
      else if (StartsWith(l, "logged ")) {
        newest = std::max<int64_t>(newest, std::atoll(l.c_str() + 7));
        ++life.logged;
        if (!appending && !early) deadline = Clock::now() + run_ms;
        appending = true;
      }
    };
    if (!vm.log.empty()) life.booted = true;  // BootFirstWorking consumed @@BOOT
    while (!cut) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      auto line = vm.Line(left);
      if (!line) continue;
      take(*line);
      if (last && (central.port > 0 ? life.synced_head >= 0 : life.head >= 0)) break;  // all the last boot is for
      if (!life.failure.empty()) break;
    }
    // The cut. What the guest printed before it is still in the pipe: read it all, it counts.
    vm.PullPlug();
    while (auto line = vm.Line(0ms)) take(*line);
    vm.Kill();
    life.cut_before_append = !appending;
    if (life.failure.empty()) {
      if (!life.booted) life.failure = "the guest did not boot";
      else if (life.verify_rc < 0 && !early) life.failure = "no check ran before the cut";
    }
    // The checks ran before this life's cut, on what the previous cut left: they must pass. An
    // early cut may come before some of them.
    if (life.failure.empty()) {
      if (life.verify_rc > 0) life.failure = "kiosk verify exited " + std::to_string(life.verify_rc);
      else if (life.status_rc > 0) life.failure = "kiosk status exited " + std::to_string(life.status_rc);
      else if (life.head < 0 && !early) life.failure = "the guest did not say how far the journal goes";
      else if (life.head >= 0 && life.head < life.confirmed)
        life.failure = "the journal ends at seq " + std::to_string(life.head) + " but the kiosk had confirmed seq " +
                       std::to_string(life.confirmed) + " before the cut: " +
                       std::to_string(life.confirmed - life.head) + " confirmed events lost";
      else if (life.head >= 0 && life.head < life.acked)
        life.failure = "the journal ends at seq " + std::to_string(life.head) + " but the central had acknowledged seq " +
                       std::to_string(life.acked) + " before the cut";
      else if (last && central.port > 0 && life.synced_head < 0)
        life.failure = "the last boot did not say how far the journal went after its sync";
      else if (last && central.port > 0) {
        const std::string wrong = CheckCentralCopy(central, work, kiosk_id, life.synced_head, life.head_hash);
        if (!wrong.empty()) life.failure = "after the last sync, " + wrong;
      }
    }
    if (central.port > 0) {
      acked = central.AckedThrough(kiosk_id);
      if (acked < 0) return 2;
      total_syncs += life.syncs;
      total_syncs_failed += life.syncs_failed;
    }
    confirmed = std::max(confirmed, newest);
    total_logged += life.logged;
    std::printf("[%6.1f s] life %2d: head after the last cut %lld (confirmed %lld, central %lld), verify %d, status %d; "
                "logged %lld, syncs %d (%d failed), cut %s%s\n",
                Since(t0), life_i, static_cast<long long>(life.head), static_cast<long long>(life.confirmed),
                static_cast<long long>(life.acked), life.verify_rc, life.status_rc, static_cast<long long>(life.logged),
                life.syncs, life.syncs_failed,
                last ? "none (final check)" : life.cut_before_append ? "while opening and checking" : "mid-append",
                life.failure.empty() ? "" : ("  FAIL: " + life.failure).c_str());
    if (!life.failure.empty()) {
      ++failures;
      vm.PrintTail(30);
    }
    lives.push_back(life);
    if (last) break;
  }
  const int cuts = static_cast<int>(lives.size()) - 1;
  int early_cuts = 0;
  for (size_t i = 0; i + 1 < lives.size(); ++i) early_cuts += lives[i].cut_before_append;
  std::printf("%d power cuts (%d while the kiosk opened and checked, %d mid-append), %lld events confirmed in all, "
              "%d failed checks, %.1f s (-accel %s)\n",
              cuts, early_cuts, cuts - early_cuts, static_cast<long long>(total_logged), failures, Since(t0),
              used.c_str());
  if (central.port > 0)
    std::printf("%d syncs from inside the VM finished (%d failed for want of the network; those the cut interrupted are "
                "not counted); the central holds %lld events of the kiosk%s\n",
                total_syncs, total_syncs_failed, static_cast<long long>(acked),
                failures == 0 ? ", each once, the same as the kiosk's journal" : "");
  if (failures > 0) return 1;
  if (cuts < min_cuts) {
    std::printf("FAIL: only %d cuts within the %lld s budget (at least %d wanted)\n", cuts,
                static_cast<long long>(budget.count()), min_cuts);
    return 1;
  }
  return 0;
}
