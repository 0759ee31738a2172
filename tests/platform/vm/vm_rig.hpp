#pragma once
// What the VM rig's host programs share (vm_host: the scanners; vm_powercut: real power cuts):
// finding QEMU, Debian's kernel and its modules, building the initramfs, booting with KVM where it
// really boots (TCG otherwise), reading the guest's console line by line, and pulling the plug.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::vm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSkip = 77;  // ctest's SKIP_RETURN_CODE: the host cannot run the VM

double Since(Clock::time_point t0);
std::optional<std::string> Which(const std::string& name);

// What a boot needs from the host. `skip` says why the host can't (then exit kSkip).
struct Host {
  std::string qemu;
  fs::path kernel;
  std::string kernel_version;
  std::string skip;
};
Host FindHost(const std::optional<fs::path>& kernel);

// make_initramfs.sh OUT KVER INIT PROGRAMS...; `env` goes before it ("NAME='value' ").
bool BuildInitramfs(const fs::path& scripts, const fs::path& out, const std::string& kernel_version,
                    const fs::path& init, const std::vector<std::string>& programs, const std::string& env = "");

// A running QEMU whose serial console is this process's pipe.
struct Vm {
  pid_t pid = -1;
  int to_guest = -1;    // the console's input
  int from_guest = -1;  // the console's output
  std::string buf;
  std::vector<std::string> log;

  // The next console line, or nullopt after `limit` or when QEMU is gone.
  std::optional<std::string> Line(std::chrono::milliseconds limit);
  void Say(const std::string& line);
  // SIGKILL: for the guest, a power cut (its page cache and anything not yet handed to QEMU die).
  // The console stays open: what the guest wrote before the cut can still be read with Line.
  void PullPlug();
  // PullPlug, and the console closed.
  void Kill();
  void PrintTail(size_t lines, const char* prefix = "  | ") const;
  ~Vm() { Kill(); }
};

struct BootSpec {
  std::string accel;                    // "kvm" or "tcg"
  fs::path initrd;
  std::string cmdline_extra;            // appended to the kernel command line
  std::vector<std::string> extra_args;  // devices, drives, QMP
};
bool Boot(Vm& vm, const Host& host, const BootSpec& spec);

// Boots with each of `accels` in turn until the guest prints a line starting with `marker`
// (KVM gets 12 s, TCG 150 s). Returns the accelerator that booted, or "" with the console's tail
// printed. With `kvm_verdict`, whether KVM booted is remembered there for later runs ("auto").
std::string BootFirstWorking(Vm& vm, const Host& host, BootSpec spec, const std::vector<std::string>& accels,
                             const std::string& marker, const fs::path& kvm_verdict);

// "auto": KVM first where /dev/kvm is usable and an earlier run did not find it hanging, then TCG.
std::vector<std::string> Accelerators(const std::string& wanted, const fs::path& kvm_verdict);

}  // namespace kiosk::vm
