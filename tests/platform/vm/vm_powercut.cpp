// Real power cuts: the kiosk runs in a VM (Debian's kernel, ext4 on a virtio disk) and logs events
// as fast as it can; the host kills QEMU outright at a random moment. A SIGKILL of the kiosk alone
// (tests/cli/crash_test.cpp) leaves the page cache to the kernel; here the guest's page cache, its
// block queue and anything not yet flushed to the disk image die with the VM, as in a real cut.
// Each boot then checks what the cut left: ext4 mounts (replaying its journal), the kiosk opens
// the database (SQLite's recovery, quick_check), `kiosk verify` walks the HMAC chain, and the
// journal reaches at least the last event the kiosk said it had logged before the cut.
//
//   vm_powercut --scripts DIR --work DIR --kiosk BIN [--cuts N] [--budget-s S] [--min-cuts M]
//               [--seed N] [--accel auto|tcg|kvm] [--kernel VMLINUZ]
//
// Stops after N cuts or when the time budget is spent (boots under TCG are slow), whichever comes
// first. Exit 0 when every check passed and at least M cuts were made, 1 when a check failed,
// 77 (ctest's skip) when the host cannot run the VM, 2 on a rig failure.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "vm_rig.hpp"

using namespace kiosk::vm;
using namespace std::chrono_literals;

namespace {

int Usage() {
  std::cerr << "usage: vm_powercut --scripts DIR --work DIR --kiosk BIN [--cuts N] [--budget-s S] [--min-cuts M] "
               "[--seed N] [--accel auto|tcg|kvm] [--kernel VMLINUZ]\n";
  return 2;
}

std::optional<std::string> Mkfs() {
  if (auto m = Which("mkfs.ext4")) return m;
  for (const char* p : {"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"})
    if (fs::exists(p)) return std::string(p);
  return std::nullopt;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// What one life between two cuts showed.
struct Life {
  bool booted = false;
  int verify_rc = -1;
  int status_rc = -1;
  int64_t head = -1;       // the journal's last seq as the kiosk found it after the cut
  int64_t confirmed = 0;   // the last seq the kiosk said it had logged before this cut
  int64_t logged = 0;      // how many it said it had logged in this life
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
  const std::string init = "'" + opt["--kiosk"] + "' --data '" + (work / "seed" / "data").string() + "' init --demo >/dev/null";
  const std::string mk = "'" + *mkfs + "' -q -F -t ext4 -d '" + (work / "seed").string() + "' '" + disk.string() + "' 256M >/dev/null";
  for (const std::string& cmd : {init, mk}) {
    if (std::system(cmd.c_str()) != 0) {
      std::cout << "FAIL: " << cmd << "\n";
      return 2;
    }
  }
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
  spec.extra_args = {"-net", "none", "-drive", "file=" + disk.string() + ",format=raw,if=virtio,cache=writeback"};
  const fs::path kvm_verdict = work / "kvm-boots";
  std::vector<std::string> accels = Accelerators(opt["--accel"], kvm_verdict);

  std::mt19937 rng(seed);
  std::vector<Life> lives;
  int64_t confirmed = 0;  // across all lives: the newest seq the kiosk confirmed before a cut
  int64_t total_logged = 0;
  int failures = 0;
  std::string used;
  // One more boot than cuts: the last one only checks what the last cut left.
  for (int life_i = 0; life_i <= cuts_wanted; ++life_i) {
    const bool last = life_i == cuts_wanted || (Clock::now() - t0 > budget && life_i > 0);
    Life life;
    life.confirmed = confirmed;
    Vm vm;
    const auto tb = Clock::now();
    if (used.empty()) {
      used = BootFirstWorking(vm, host, spec, accels, "@@BOOT", kvm_verdict);
      if (used.empty()) return 2;
      spec.accel = used;
    } else {
      if (!Boot(vm, host, spec)) return 2;
      const auto limit = used == "kvm" ? 30s : 150s;
      while (auto line = vm.Line(std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - tb))))
        if (StartsWith(*line, "@@BOOT")) break;
    }
    // A cut in ~1 of 8 lives comes while the disk mounts and the kiosk opens and checks
    // (recovery itself cut); the others while it appends.
    const bool early = !last && std::uniform_int_distribution<int>(0, 7)(rng) == 0;
    const auto run_ms = std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 1500)(rng));
    const auto early_ms = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng));
    auto deadline = Clock::now() + (early ? early_ms : used == "kvm" ? 60s : 180s);
    bool appending = false, cut = false;
    int64_t newest = 0;
    auto take = [&](const std::string& l) {
      if (StartsWith(l, "@@BOOT")) life.booted = true;
      else if (StartsWith(l, "@@CUT verify ")) {
        life.verify_rc = std::atoi(l.c_str() + 13);
      } else if (StartsWith(l, "@@CUT status ")) life.status_rc = std::atoi(l.c_str() + 13);
      else if (StartsWith(l, "@@CUT head ")) life.head = std::atoll(l.c_str() + 11);
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
      if (last && life.head >= 0) break;  // the check is all the last boot is for
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
    }
    confirmed = std::max(confirmed, newest);
    total_logged += life.logged;
    std::printf("[%6.1f s] life %2d: head after the last cut %lld (confirmed %lld), verify %d, status %d; logged %lld, "
                "cut %s%s\n",
                Since(t0), life_i, static_cast<long long>(life.head), static_cast<long long>(life.confirmed),
                life.verify_rc, life.status_rc, static_cast<long long>(life.logged),
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
  if (failures > 0) return 1;
  if (cuts < min_cuts) {
    std::printf("FAIL: only %d cuts within the %lld s budget (at least %d wanted)\n", cuts,
                static_cast<long long>(budget.count()), min_cuts);
    return 1;
  }
  return 0;
}
