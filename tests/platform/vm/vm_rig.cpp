// The VM rig's shared host side (vm_rig.hpp).
#include "vm_rig.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace kiosk::vm {

using namespace std::chrono_literals;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::optional<std::string> Which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find(':', i);
    if (j == std::string::npos) j = p.size();
    fs::path c = fs::path(p.substr(i, j - i)) / name;
    if (::access(c.c_str(), X_OK) == 0) return c.string();
    i = j + 1;
  }
  return std::nullopt;
}

Host FindHost(const std::optional<fs::path>& wanted_kernel) {
  Host h;
  auto qemu = Which("qemu-system-x86_64");
  if (!qemu) {
    h.skip = "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
    return h;
  }
  h.qemu = *qemu;
  if (!Which("busybox")) {
    h.skip = "busybox is not installed (apt-get install busybox-static)";
    return h;
  }
  // The newest Debian kernel in /boot unless one is named.
  if (wanted_kernel) {
    h.kernel = *wanted_kernel;
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/boot", ec)) {
      std::string n = e.path().filename();
      if (n.rfind("vmlinuz-", 0) == 0 && (h.kernel.empty() || n > h.kernel.filename().string())) h.kernel = e.path();
    }
  }
  const std::string name = h.kernel.filename().string();
  h.kernel_version = name.rfind("vmlinuz-", 0) == 0 ? name.substr(8) : "";
  if (h.kernel.empty() || !fs::exists(h.kernel) || !fs::exists("/lib/modules/" + h.kernel_version + "/modules.dep")) {
    h.skip = "no Debian kernel with its modules (/boot/vmlinuz-* and /lib/modules/<version>: apt-get install "
             "linux-image-amd64)";
    return h;
  }
  if (::access(h.kernel.c_str(), R_OK) != 0) h.skip = h.kernel.string() + " is not readable by this user";
  return h;
}

bool BuildInitramfs(const fs::path& scripts, const fs::path& out, const std::string& kernel_version,
                    const fs::path& init, const std::vector<std::string>& programs, const std::string& env) {
  std::string cmd = env + "'" + (scripts / "make_initramfs.sh").string() + "' '" + out.string() + "' '" +
                    kernel_version + "' '" + init.string() + "'";
  for (const auto& p : programs) cmd += " '" + p + "'";
  if (std::system(cmd.c_str()) == 0) return true;
  std::cout << "FAIL: could not build the initramfs (" << cmd << ")\n";
  return false;
}

std::optional<std::string> Vm::Line(std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  while (true) {
    size_t nl = buf.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
      log.push_back(line);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (left <= 0 || from_guest < 0) return std::nullopt;
    pollfd p{from_guest, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
    char tmp[4096];
    ssize_t n = ::read(from_guest, tmp, sizeof tmp);
    if (n <= 0) return std::nullopt;
    buf.append(tmp, static_cast<size_t>(n));
  }
}

void Vm::Say(const std::string& line) {
  std::string l = line + "\n";
  (void)!::write(to_guest, l.data(), l.size());
}

void Vm::PullPlug() {
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
}

void Vm::Kill() {
  PullPlug();
  if (to_guest >= 0) ::close(to_guest), to_guest = -1;
  if (from_guest >= 0) ::close(from_guest), from_guest = -1;
}

void Vm::PrintTail(size_t lines, const char* prefix) const {
  for (size_t i = log.size() > lines ? log.size() - lines : 0; i < log.size(); ++i)
    std::cout << prefix << log[i] << "\n";
}

bool Boot(Vm& vm, const Host& host, const BootSpec& spec) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return false;
  std::vector<std::string> args = {
      host.qemu, "-accel", spec.accel, "-m", "512", "-smp", "1", "-display", "none", "-monitor", "none",
      "-serial", "stdio", "-no-reboot", "-kernel", host.kernel.string(), "-initrd", spec.initrd.string(),
      "-append", "console=ttyS0 panic=-1 loglevel=3 quiet" + spec.cmdline_extra};
  if (spec.accel == "kvm") args.insert(args.begin() + 3, {"-cpu", "host"});
  args.insert(args.end(), spec.extra_args.begin(), spec.extra_args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(host.qemu.c_str(), argv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  vm.pid = pid;
  vm.to_guest = in[1];
  vm.from_guest = out[0];
  vm.buf.clear();
  return pid > 0;
}

std::vector<std::string> Accelerators(const std::string& wanted, const fs::path& kvm_verdict) {
  if (wanted != "auto") return {wanted};
  // KVM only where it really boots: on some hosts /dev/kvm exists but the guest hangs after the
  // boot loader. The verdict is kept in the work folder so later runs do not wait for it again.
  std::string verdict;
  std::ifstream(kvm_verdict) >> verdict;
  std::vector<std::string> accels;
  if (::access("/dev/kvm", R_OK | W_OK) == 0 && verdict != "no") accels.push_back("kvm");
  accels.push_back("tcg");
  return accels;
}

std::string BootFirstWorking(Vm& vm, const Host& host, BootSpec spec, const std::vector<std::string>& accels,
                             const std::string& marker, const fs::path& kvm_verdict) {
  for (const auto& a : accels) {
    spec.accel = a;
    auto tb = Clock::now();
    if (!Boot(vm, host, spec)) return "";
    // TCG needs ~20-60 s on a busy host to reach the marker.
    auto limit = a == "kvm" ? 12s : 150s;
    bool booted = false;
    while (auto line = vm.Line(std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - tb)))) {
      if (line->rfind(marker, 0) == 0) {
        booted = true;
        break;
      }
    }
    if (a == "kvm" && !kvm_verdict.empty() && accels.size() > 1) std::ofstream(kvm_verdict) << (booted ? "yes" : "no");
    if (booted) {
      std::printf("booted with -accel %s in %.1f s\n", a.c_str(), Since(tb));
      return a;
    }
    std::printf("no boot with -accel %s within %.0f s%s\n", a.c_str(), std::chrono::duration<double>(limit).count(),
                a == "kvm" && accels.size() > 1 ? ", falling back to tcg" : "");
    vm.PrintTail(20);
    vm.Kill();
  }
  return "";
}

}  // namespace kiosk::vm
