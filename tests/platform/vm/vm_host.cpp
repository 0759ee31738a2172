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

#include "vm_rig.hpp"

using json = nlohmann::json;
using namespace kiosk::vm;
using namespace std::chrono_literals;

namespace {

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
  const Host host = FindHost(opt.count("--kernel") ? std::optional<fs::path>(opt["--kernel"]) : std::nullopt);
  if (!host.skip.empty()) {
    std::cout << "SKIP: " << host.skip << "\n";
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
  const fs::path scripts = opt["--scripts"];
  if (!BuildInitramfs(scripts, initrd, host.kernel_version, scripts / "guest_init.sh", {opt["--guest"]}, data_env))
    return 2;
  std::printf("initramfs built in %.1f s (%s, kernel %s)\n", Since(t0), initrd.c_str(), host.kernel_version.c_str());

  fs::remove(work / "qmp.sock");
  fs::remove(work / "serial.sock");
  BootSpec spec;
  spec.initrd = initrd;
  spec.cmdline_extra = opt["--only"].empty() ? "" : " vmcase=" + opt["--only"];
  spec.extra_args = {"-net", "none",
                     "-qmp", "unix:" + (work / "qmp.sock").string() + ",server=on,wait=off",
                     "-device", "qemu-xhci,id=xhci",
                     "-device", "usb-kbd,id=kbd1,bus=xhci.0",
                     "-chardev", "socket,id=ser0,path=" + (work / "serial.sock").string() + ",server=on,wait=off",
                     "-device", "usb-serial,id=serial1,chardev=ser0,always-plugged=on,bus=xhci.0"};
  // The guest's /init prints @@BOOT once the modules are in.
  const fs::path kvm_verdict = work / "kvm-boots";
  Vm vm;
  const std::string used = BootFirstWorking(vm, host, spec, Accelerators(opt["--accel"], kvm_verdict), "@@BOOT", kvm_verdict);
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
    vm.PrintTail(40);
    return 2;
  }
  if (failed > 0 || passed == 0) {
    std::cout << "guest log:\n";
    for (const auto& l : vm.log) std::cout << "  | " << l << "\n";
    return 1;
  }
  return 0;
}
