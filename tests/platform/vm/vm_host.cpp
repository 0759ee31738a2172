// The VM rig's host side: builds the initramfs (make_initramfs.sh), boots Debian's kernel in
// qemu-system-x86_64 with an xHCI controller, a USB keyboard (the scanner in keyboard mode) and a
// USB serial adapter (a scanner in serial mode), and drives the guest's cases (vm_guest.cpp):
// types through QMP input-send-event as a US- or German-layout scanner would (GS as Ctrl+] or as
// Alt + keypad 0029), plugs and unplugs with device_add/device_del, writes into the serial adapter.
//
//   vm_host --guest BIN --scripts DIR --work DIR [--kiosk BIN] [--kernel VMLINUZ] [--accel auto|tcg|kvm] [--only CASE]
//
// With --kiosk, `kiosk init --demo` makes a data folder that goes into the VM, and the guest also
// runs the touchscreen's scan path (kiosk.json -> ScannerSet -> ScanQueue -> AppController).
//
// Exit 0 when every case passed, 1 when one failed, 77 (ctest's skip) when the host cannot run
// the VM (no qemu, kernel, modules or busybox), 2 on a rig failure (boot, QMP).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int kSkip = 77;

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

// ---- QMP ---------------------------------------------------------------------------------------

class Qmp {
 public:
  bool Connect(const fs::path& sock, std::chrono::seconds limit) {
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, sock.c_str(), sizeof a.sun_path - 1);
      if (::connect(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        if (!ReadMessage(5s)) return false;  // the greeting
        return Execute("qmp_capabilities", json::object()).has_value();
      }
      ::close(m_fd);
      m_fd = -1;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  ~Qmp() {
    if (m_fd >= 0) ::close(m_fd);
  }
  // The command's "return", or nullopt (and the error in LastError()).
  std::optional<json> Execute(const std::string& command, const json& args) {
    json msg{{"execute", command}};
    if (!args.empty()) msg["arguments"] = args;
    std::string line = msg.dump() + "\n";
    if (::write(m_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return std::nullopt;
    while (auto m = ReadMessage(20s)) {
      if (m->contains("return")) return (*m)["return"];
      if (m->contains("error")) {
        m_error = (*m)["error"].dump();
        return std::nullopt;
      }
      // Events (DEVICE_DELETED...) come between; the rig does not need them.
    }
    m_error = "no answer from QMP";
    return std::nullopt;
  }
  const std::string& LastError() const { return m_error; }

 private:
  std::optional<json> ReadMessage(std::chrono::seconds limit) {
    auto end = Clock::now() + limit;
    while (true) {
      size_t nl = m_buf.find('\n');
      if (nl != std::string::npos) {
        std::string line = m_buf.substr(0, nl);
        m_buf.erase(0, nl + 1);
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded()) return j;
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      char buf[4096];
      ssize_t n = ::read(m_fd, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      m_buf.append(buf, static_cast<size_t>(n));
    }
  }
  int m_fd = -1;
  std::string m_buf;
  std::string m_error;
};

// ---- Typing as a scanner types -----------------------------------------------------------------

struct Stroke {
  std::string key;                 // QKeyCode name
  std::vector<std::string> mods;   // held around it
};

enum class Layout { Us, De };
enum class GsAs { CtrlBracket, AltNumpad };

// The keys a scanner set to `layout` presses for `c` (only what the rig types).
std::vector<Stroke> StrokesFor(char c, Layout layout, GsAs gs) {
  if (c == '\x1D') {
    if (gs == GsAs::CtrlBracket) return {{"bracket_right", {"ctrl"}}};  // usage 0x30 on every layout
    return {{"kp_0", {"alt"}}, {"kp_0", {"alt"}}, {"kp_2", {"alt"}}, {"kp_9", {"alt"}}};  // Alt held throughout
  }
  if (c == '\r') return {{"ret", {}}};
  if (c >= '0' && c <= '9') {
    if (layout == Layout::De && c == '7') return {{"7", {}}};
    return {{std::string(1, c), {}}};
  }
  auto letter = [&](char lower, bool shift) -> std::vector<Stroke> {
    char key = lower;
    if (layout == Layout::De && lower == 'y') key = 'z';  // QWERTZ: Y and Z swap places
    else if (layout == Layout::De && lower == 'z') key = 'y';
    std::vector<std::string> mods;
    if (shift) mods.push_back("shift");
    return {{std::string(1, key), mods}};
  };
  if (c >= 'a' && c <= 'z') return letter(c, false);
  if (c >= 'A' && c <= 'Z') return letter(static_cast<char>(c - 'A' + 'a'), true);
  if (layout == Layout::Us) {
    switch (c) {
      case ']': return {{"bracket_right", {}}};
      case '-': return {{"minus", {}}};
      case '/': return {{"slash", {}}};
      default: break;
    }
  } else {
    switch (c) {
      case ']': return {{"9", {"alt_r"}}};    // AltGr+9
      case '-': return {{"slash", {}}};       // the key US has '/' on
      case '/': return {{"7", {"shift"}}};    // Shift+7
      default: break;
    }
  }
  std::cerr << "vm_host: no stroke for '" << c << "'\n";
  std::exit(2);
}

json KeyEvent(const std::string& qcode, bool down) {
  return {{"type", "key"}, {"data", {{"down", down}, {"key", {{"type", "qcode"}, {"data", qcode}}}}}};
}

// Types `text` into the emulated keyboard, one key at a time with the pauses a scanner leaves, so
// that QEMU's 16-key HID queue never overflows. Alt+keypad keeps Alt down over the four digits.
bool Type(Qmp& qmp, const std::string& text, Layout layout, GsAs gs) {
  auto send = [&](json events) {
    if (!qmp.Execute("input-send-event", {{"events", std::move(events)}})) {
      std::cerr << "vm_host: input-send-event: " << qmp.LastError() << "\n";
      return false;
    }
    std::this_thread::sleep_for(12ms);
    return true;
  };
  for (char c : text) {
    std::vector<Stroke> strokes = StrokesFor(c, layout, gs);
    bool alt_code = c == '\x1D' && gs == GsAs::AltNumpad;
    if (alt_code && !send(json::array({KeyEvent("alt", true)}))) return false;
    for (const Stroke& s : strokes) {
      json down = json::array(), up = json::array();
      if (!alt_code) {
        for (const auto& m : s.mods) down.push_back(KeyEvent(m, true));
      }
      down.push_back(KeyEvent(s.key, true));
      up.push_back(KeyEvent(s.key, false));
      if (!alt_code) {
        for (const auto& m : s.mods) up.push_back(KeyEvent(m, false));
      }
      if (!send(down) || !send(up)) return false;
    }
    if (alt_code && !send(json::array({KeyEvent("alt", false)}))) return false;
  }
  return true;
}

// ---- The VM -------------------------------------------------------------------------------------

struct Vm {
  pid_t pid = -1;
  int to_guest = -1;    // the console's input
  int from_guest = -1;  // the console's output
  std::string buf;
  std::vector<std::string> log;

  // The next console line, or nullopt after `limit` or when QEMU is gone.
  std::optional<std::string> Line(std::chrono::milliseconds limit) {
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
      if (left <= 0) return std::nullopt;
      pollfd p{from_guest, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      char tmp[4096];
      ssize_t n = ::read(from_guest, tmp, sizeof tmp);
      if (n <= 0) return std::nullopt;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  void Say(const std::string& line) {
    std::string l = line + "\n";
    (void)!::write(to_guest, l.data(), l.size());
  }
  void Kill() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
    if (to_guest >= 0) ::close(to_guest), to_guest = -1;
    if (from_guest >= 0) ::close(from_guest), from_guest = -1;
  }
  ~Vm() { Kill(); }
};

bool Boot(Vm& vm, const std::string& qemu, const std::string& accel, const fs::path& kernel, const fs::path& initrd,
          const fs::path& work, const std::string& only) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return false;
  std::vector<std::string> args = {
      qemu, "-accel", accel, "-m", "512", "-smp", "1", "-display", "none", "-monitor", "none", "-serial", "stdio",
      "-no-reboot", "-net", "none", "-kernel", kernel.string(), "-initrd", initrd.string(),
      "-append", "console=ttyS0 panic=-1 loglevel=3 quiet" + (only.empty() ? "" : " vmcase=" + only),
      "-qmp", "unix:" + (work / "qmp.sock").string() + ",server=on,wait=off",
      "-device", "qemu-xhci,id=xhci",
      "-device", "usb-kbd,id=kbd1,bus=xhci.0",
      "-chardev", "socket,id=ser0,path=" + (work / "serial.sock").string() + ",server=on,wait=off",
      "-device", "usb-serial,id=serial1,chardev=ser0,always-plugged=on,bus=xhci.0"};
  if (accel == "kvm") {
    args.insert(args.begin() + 3, {"-cpu", "host"});
  }
  fs::remove(work / "qmp.sock");
  fs::remove(work / "serial.sock");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(qemu.c_str(), argv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  vm.pid = pid;
  vm.to_guest = in[1];
  vm.from_guest = out[0];
  return pid > 0;
}

int Usage() {
  std::cerr << "usage: vm_host --guest BIN --scripts DIR --work DIR [--kernel VMLINUZ] [--accel auto|tcg|kvm] [--only CASE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt{{"--accel", "auto"}};
  for (int i = 1; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
  if (!opt.count("--guest") || !opt.count("--scripts") || !opt.count("--work")) return Usage();
  const auto t0 = Clock::now();
  ::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // ctest's log shows progress as it happens

  // What the host needs; each missing part is a clear skip, not a failure.
  auto qemu = Which("qemu-system-x86_64");
  if (!qemu) {
    std::cout << "SKIP: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)\n";
    return kSkip;
  }
  if (!Which("busybox")) {
    std::cout << "SKIP: busybox is not installed (apt-get install busybox-static)\n";
    return kSkip;
  }
  fs::path kernel = opt.count("--kernel") ? fs::path(opt["--kernel"]) : fs::path();
  if (kernel.empty()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/boot", ec)) {
      std::string n = e.path().filename();
      if (n.rfind("vmlinuz-", 0) == 0 && (kernel.empty() || n > kernel.filename().string())) kernel = e.path();
    }
  }
  const std::string kver = kernel.filename().string().substr(std::string("vmlinuz-").size());
  if (kernel.empty() || !fs::exists(kernel) || !fs::exists("/lib/modules/" + kver + "/modules.dep")) {
    std::cout << "SKIP: no Debian kernel with its modules (/boot/vmlinuz-* and /lib/modules/<version>: "
                 "apt-get install linux-image-amd64)\n";
    return kSkip;
  }
  if (::access(kernel.c_str(), R_OK) != 0) {
    std::cout << "SKIP: " << kernel << " is not readable by this user\n";
    return kSkip;
  }

  fs::path work = opt["--work"];
  fs::create_directories(work);
  fs::path initrd = work / "initrd.gz";
  // The touchscreen's scan path needs a data folder: the demo showroom, made by the kiosk itself.
  std::string data_env;
  if (opt.count("--kiosk")) {
    fs::path data = work / "data";
    fs::remove_all(data);
    std::string init = "'" + opt["--kiosk"] + "' --data '" + data.string() + "' init --demo >/dev/null";
    if (std::system(init.c_str()) != 0) {
      std::cout << "FAIL: " << init << "\n";
      return 2;
    }
    data_env = "KIOSK_VM_DATA='" + data.string() + "' ";
  }
  std::string cmd = data_env + "'" + (fs::path(opt["--scripts"]) / "make_initramfs.sh").string() + "' '" + initrd.string() + "' '" +
                    kver + "' '" + (fs::path(opt["--scripts"]) / "guest_init.sh").string() + "' '" + opt["--guest"] + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::cout << "FAIL: could not build the initramfs (" << cmd << ")\n";
    return 2;
  }
  std::printf("initramfs built in %.1f s (%s, kernel %s)\n", Since(t0), initrd.c_str(), kver.c_str());

  // KVM only where it really boots: on some hosts /dev/kvm exists but the guest hangs after the
  // boot loader. The verdict is kept in the work folder so later runs do not wait for it again.
  std::vector<std::string> accels;
  fs::path kvm_verdict = work / "kvm-boots";
  std::string accel = opt["--accel"];
  if (accel == "auto") {
    std::string verdict;
    std::ifstream(kvm_verdict) >> verdict;
    if (::access("/dev/kvm", R_OK | W_OK) == 0 && verdict != "no") accels.push_back("kvm");
    accels.push_back("tcg");
  } else {
    accels.push_back(accel);
  }

  Vm vm;
  std::string used;
  for (const auto& a : accels) {
    auto tb = Clock::now();
    if (!Boot(vm, *qemu, a, kernel, initrd, work, opt["--only"])) return 2;
    // The guest's /init prints @@BOOT once the modules are in; TCG needs ~20-60 s on a busy host.
    auto limit = a == "kvm" ? 12s : 150s;
    bool booted = false;
    while (auto line = vm.Line(std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - tb)))) {
      if (line->rfind("@@BOOT", 0) == 0) {
        booted = true;
        break;
      }
    }
    if (accel == "auto" && a == "kvm") std::ofstream(kvm_verdict) << (booted ? "yes" : "no");
    if (booted) {
      used = a;
      std::printf("booted with -accel %s in %.1f s\n", a.c_str(), Since(tb));
      break;
    }
    std::printf("no boot with -accel %s within %.0f s%s\n", a.c_str(), std::chrono::duration<double>(limit).count(),
                a == "kvm" ? ", falling back to tcg" : "");
    for (size_t i = vm.log.size() > 20 ? vm.log.size() - 20 : 0; i < vm.log.size(); ++i) std::cout << "  | " << vm.log[i] << "\n";
    vm.Kill();
  }
  if (used.empty()) return 2;

  Qmp qmp;
  if (!qmp.Connect(work / "qmp.sock", 10s)) {
    std::cout << "FAIL: QMP did not answer on " << (work / "qmp.sock") << "\n";
    return 2;
  }
  int serial_fd = -1;
  auto connect_serial = [&] {
    serial_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, (work / "serial.sock").c_str(), sizeof a.sun_path - 1);
    return ::connect(serial_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  };
  if (!connect_serial()) {
    std::cout << "FAIL: cannot connect to the serial adapter's socket\n";
    return 2;
  }

  const std::string us = "]d20100614141000012\x1D" "21ABC-xyz/7\r";
  const std::string de = "]d20100614141000012\x1D" "21YZyz-/7\r";
  const std::string plug = "]d20100614141000012\x1D" "21PLUG1\r";
  int next_kbd = 2;
  auto device_del = [&](const std::string& id) {
    if (!qmp.Execute("device_del", {{"id", id}})) std::cout << "device_del " << id << ": " << qmp.LastError() << "\n";
  };
  auto device_add = [&] {
    std::string id = "kbd" + std::to_string(next_kbd++);
    if (!qmp.Execute("device_add", {{"driver", "usb-kbd"}, {"id", id}, {"bus", "xhci.0"}})) {
      std::cout << "device_add " << id << ": " << qmp.LastError() << "\n";
    }
    // What QEMU itself has on its USB buses now: if the guest misses the device, this says whose side it is on.
    if (auto info = qmp.Execute("human-monitor-command", {{"command-line", "info usb"}}); info && info->is_string()) {
      std::string text = info->get<std::string>();
      for (auto& ch : text) if (ch == '\r' || ch == '\n') ch = ' ';
      std::cout << "  qemu info usb after device_add " << id << ": " << text << "\n";
    }
  };
  std::string current_kbd = "kbd1";

  int passed = 0, failed = 0;
  bool ended = false;
  auto case_deadline = Clock::now() + 240s;
  while (auto line = vm.Line(std::chrono::duration_cast<std::chrono::milliseconds>(case_deadline - Clock::now()))) {
    const std::string& l = *line;
    if (l.rfind("@@READY ", 0) == 0) {
      std::string step = l.substr(8);
      std::printf("[%6.1f s] step %s\n", Since(t0), step.c_str());
      bool ok = true;
      if (step == "usb-us" || step == "evdev-grabbed") {
        ok = Type(qmp, us, Layout::Us, GsAs::CtrlBracket);
      } else if (step == "usb-de") {
        ok = Type(qmp, de, Layout::De, GsAs::AltNumpad);
      } else if (step == "unplug-mid-scan") {
        ok = Type(qmp, "0100614141", Layout::Us, GsAs::CtrlBracket);
        device_del(current_kbd);
      } else if (step == "plug") {
        device_add();
        current_kbd = "kbd" + std::to_string(next_kbd - 1);
      } else if (step == "type-after-plug") {
        ok = Type(qmp, plug, Layout::Us, GsAs::CtrlBracket);
      } else if (step == "evdev-released") {
        ok = Type(qmp, "a", Layout::Us, GsAs::CtrlBracket);
      } else if (step == "serial") {
        std::string bytes = us;  // "]d2...": GS is the byte itself, CR ends the scan
        ok = ::write(serial_fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
      } else if (step.rfind("app-type-us ", 0) == 0 || step.rfind("app-type-de ", 0) == 0) {
        // The guest says what to type: "<GS>" stands for the separator, Enter ends the scan.
        std::string text = step.substr(12);
        for (size_t at; (at = text.find("<GS>")) != std::string::npos;) text.replace(at, 4, "\x1D");
        bool german = step[9] == 'd';
        ok = Type(qmp, text + "\r", german ? Layout::De : Layout::Us, german ? GsAs::AltNumpad : GsAs::CtrlBracket);
      } else if (step.rfind("app-unplug", 0) == 0) {
        device_del(current_kbd);
      } else if (step.rfind("app-plug", 0) == 0) {
        device_add();
        current_kbd = "kbd" + std::to_string(next_kbd - 1);
      } else {
        std::printf("unknown step %s\n", step.c_str());
      }
      if (!ok) std::printf("  the host could not act on step %s\n", step.c_str());
      vm.Say("DONE " + step);
    } else if (l.rfind("@@RESULT ", 0) == 0) {
      std::printf("[%6.1f s] %s\n", Since(t0), l.c_str() + 9);
      (l.find(" PASS ") != std::string::npos ? passed : failed)++;
    } else if (l.rfind("@@END", 0) == 0) {
      ended = true;
      break;
    }
  }
  if (serial_fd >= 0) ::close(serial_fd);
  vm.Kill();
  std::printf("%d passed, %d failed, %.1f s in all (-accel %s)\n", passed, failed, Since(t0), used.c_str());
  if (!ended) {
    std::cout << "FAIL: the guest did not finish; its last lines:\n";
    for (size_t i = vm.log.size() > 40 ? vm.log.size() - 40 : 0; i < vm.log.size(); ++i) std::cout << "  | " << vm.log[i] << "\n";
    return 2;
  }
  if (failed > 0 || passed == 0) {
    std::cout << "guest log:\n";
    for (const auto& l : vm.log) std::cout << "  | " << l << "\n";
    return 1;
  }
  return 0;
}
