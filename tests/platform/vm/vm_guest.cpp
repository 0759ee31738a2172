// The VM rig's guest side: runs inside the VM (Debian's kernel, a real xHCI USB stack) and reads
// the emulated scanners through the kiosk's own sources, case by case, while the host program
// (vm_host.cpp) types into them through QMP, plugs and unplugs them, and feeds the serial adapter.
//
// Protocol on the console (ttyS0): the guest prints "@@READY <step>" and waits for the host's
// "DONE <step>" line on stdin before it looks at what arrived; each case ends with
// "@@RESULT <case> PASS|FAIL <detail>". Lines not starting with "@@" are logs.
#include <fcntl.h>
#include <linux/input.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/app/app_controller.hpp"
#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/core/config.hpp"
#include "platform/scan_queue.hpp"
#include "platform/scanner_evdev.hpp"
#include "platform/scanner_serial.hpp"
#include "platform/scanner_set.hpp"
#include "platform/scanner_usb.hpp"

namespace fs = std::filesystem;
using namespace kiosk;
using namespace std::chrono_literals;

namespace {

constexpr const char* kKeyboardName = "QEMU QEMU USB Keyboard";
// What the host types (see vm_host.cpp): a GS1 DataMatrix with an AIM id and a GS between fields.
const std::string kUsText = "0100614141000012\x1D" "21ABC-xyz/7";
const std::string kDeText = "0100614141000012\x1D" "21YZyz-/7";
const std::string kPlugText = "0100614141000012\x1D" "21PLUG1";

int g_failures = 0;

void Log(const std::string& line) { std::cout << line << std::endl; }

std::string Visible(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<%02X>", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Tells the host a step is ready and waits for it to say it acted.
void Step(const std::string& step) {
  std::cout << "@@READY " << step << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("DONE " + step, 0) == 0) return;
  }
  Log("stdin closed while waiting for DONE " + step);
  std::exit(3);
}

void Result(const std::string& name, bool pass, const std::string& detail) {
  if (!pass) ++g_failures;
  std::cout << "@@RESULT " << name << (pass ? " PASS " : " FAIL ") << detail << std::endl;
}

// The /dev/input/eventN of the emulated keyboard, or "" while no driver has it (libusb holds it).
std::string KeyboardEventNode() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/class/input", ec)) {
    std::string n = e.path().filename();
    if (n.rfind("event", 0) != 0) continue;
    std::ifstream f(e.path() / "device" / "name");
    std::string name;
    std::getline(f, name);
    if (name == kKeyboardName) return "/dev/input/" + n;
  }
  return {};
}

// What the guest kernel sees on its USB buses ("1-1 0627:0001 usbhid" ...), for failure details.
std::string KernelUsbDevices() {
  std::string out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/bus/usb/devices", ec)) {
    std::ifstream v(e.path() / "idVendor"), p(e.path() / "idProduct");
    std::string vid, pid;
    if (!std::getline(v, vid) || !std::getline(p, pid)) continue;
    out += (out.empty() ? "" : ", ") + e.path().filename().string() + " " + vid + ":" + pid;
  }
  return out.empty() ? "none" : out;
}

bool WaitFor(const std::function<bool()>& ok, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return ok();
}

struct Collected {
  std::vector<platform::Scan> scans;
  std::vector<platform::ScannerEvent> events;
  void Drain(platform::ScanQueue& q) {
    for (auto& s : q.DrainScans()) {
      Log("scan from " + s.source_id + ": " + Visible(s.symbology) + Visible(s.text) + " (" + s.terminator + ")");
      scans.push_back(std::move(s));
    }
    for (auto& e : q.DrainEvents()) {
      Log("event " + e.source_id + " " + e.state + ": " + e.message);
      events.push_back(std::move(e));
    }
  }
  bool Has(const std::string& state) const {
    for (const auto& e : events) {
      if (e.state == state) return true;
    }
    return false;
  }
  bool WaitScans(platform::ScanQueue& q, size_t n, std::chrono::milliseconds limit) {
    return WaitFor([&] { Drain(q); return scans.size() >= n; }, limit);
  }
  bool WaitEvent(platform::ScanQueue& q, const std::string& state, std::chrono::milliseconds limit) {
    return WaitFor([&] { Drain(q); return Has(state); }, limit);
  }
};

platform::UsbSourceOptions UsbOptions(scan::Layout layout, int64_t timeout_ms = 500) {
  platform::UsbSourceOptions o;
  platform::UsbId id;
  id.vid = 0x0627;  // QEMU's emulated HID devices
  id.pid = 0x0001;
  id.vendor = "QEMU";
  id.model = "USB Keyboard as a scanner";
  id.layout = layout;
  o.ids.push_back(id);
  o.decoder.layout = layout;
  o.decoder.timeout_ms = timeout_ms;
  return o;
}

// libusb finds the scanner by VID:PID, detaches usbhid, claims, reads a typed scan; on Stop the
// kernel driver comes back (the keyboard's evdev node reappears).
void UsbTypedScan(const std::string& name, scan::Layout layout, const std::string& expected) {
  // Right after boot usbhid may still be probing: the kernel's node must be there before libusb takes it.
  bool had_node = WaitFor([] { return !KeyboardEventNode().empty(); }, 10s);
  platform::ScanQueue q;
  Collected c;
  auto src = std::make_unique<platform::UsbScannerSource>(UsbOptions(layout), platform::MakeLibusbTransport());
  if (auto st = src->Start(q); !st.ok()) return Result(name, false, "start: " + st.error().message);
  if (!c.WaitEvent(q, "attached", 15s)) return Result(name, false, "libusb did not attach 0627:0001");
  bool detached = WaitFor([] { return KeyboardEventNode().empty(); }, 5s);
  Step(name);
  bool got = c.WaitScans(q, 1, 10s);
  src->Stop();
  src.reset();
  bool back = WaitFor([] { return !KeyboardEventNode().empty(); }, 10s);
  std::string detail = "kernel node before=" + std::to_string(had_node) + " detached=" + std::to_string(detached) +
                       " reattached=" + std::to_string(back);
  if (!got) return Result(name, false, "no scan arrived; " + detail);
  const auto& s = c.scans[0];
  bool pass = had_node && detached && back && c.scans.size() == 1 && s.symbology == "]d2" && s.text == expected &&
              s.source_id.rfind("usb:0627:0001@", 0) == 0;
  Result(name, pass, "got " + Visible(s.symbology + s.text) + " from " + s.source_id + "; " + detail);
}

// Hot-plug: unplug is seen, a new keyboard is claimed without restarting the source, and a scan
// cut short by an unplug is dropped whole.
void UsbHotplug() {
  platform::ScanQueue q;
  Collected c;
  // A long time-out: a half scan must be dropped because of the unplug, not delivered by a pause.
  auto src = std::make_unique<platform::UsbScannerSource>(UsbOptions(scan::Layout::Us, 5000), platform::MakeLibusbTransport());
  if (auto st = src->Start(q); !st.ok()) return Result("usb-hotplug", false, "start: " + st.error().message);
  if (!c.WaitEvent(q, "attached", 15s)) return Result("usb-hotplug", false, "not attached at start");
  Step("unplug-mid-scan");  // host: types half a scan, then device_del
  bool detached = c.WaitEvent(q, "detached", 10s);
  c.WaitScans(q, 1, 1s);
  size_t after_unplug = c.scans.size();
  c.events.clear();
  Step("plug");  // host: device_add
  bool attached = c.WaitEvent(q, "attached", 20s);
  Step("type-after-plug");  // host: types a whole scan
  bool got = c.WaitScans(q, 1, 10s);
  src->Stop();
  std::string detail = "detached=" + std::to_string(detached) + " scans-after-unplug=" + std::to_string(after_unplug) +
                       " reattached=" + std::to_string(attached) + "; kernel sees " + KernelUsbDevices();
  if (!got) return Result("usb-hotplug", false, "no scan after re-plug; " + detail);
  bool pass = detached && after_unplug == 0 && attached && c.scans.size() == 1 && c.scans[0].text == kPlugText;
  Result("usb-hotplug", pass, "got " + Visible(c.scans[0].text) + "; " + detail);
}

// evdev with EVIOCGRAB: the source gets the scan, a second reader of the same node gets nothing
// while the grab holds, and sees keys again once the source let go.
void EvdevGrab() {
  std::string node;
  WaitFor([&] { node = KeyboardEventNode(); return !node.empty(); }, 10s);
  if (node.empty()) return Result("evdev-grab", false, "no evdev node for the keyboard");
  int other = ::open(node.c_str(), O_RDONLY | O_NONBLOCK);
  if (other < 0) return Result("evdev-grab", false, "second reader cannot open " + node);
  input_event ev{};
  while (::read(other, &ev, sizeof ev) == sizeof ev) {
  }
  platform::ScanQueue q;
  Collected c;
  platform::EvdevOptions o;
  o.path = node;
  o.decoder.layout = scan::Layout::Us;
  auto src = std::make_unique<platform::EvdevSource>(o);
  if (auto st = src->Start(q); !st.ok()) {
    ::close(other);
    return Result("evdev-grab", false, "start: " + st.error().message);
  }
  Step("evdev-grabbed");  // host: types the US scan
  bool got = c.WaitScans(q, 1, 10s);
  int seen_while_grabbed = 0;
  while (::read(other, &ev, sizeof ev) == sizeof ev) ++seen_while_grabbed;
  src->Stop();
  src.reset();
  Step("evdev-released");  // host: types one key
  int seen_after = 0;
  WaitFor([&] {
    while (::read(other, &ev, sizeof ev) == sizeof ev) ++seen_after;
    return seen_after > 0;
  }, 5s);
  ::close(other);
  std::string detail = node + ": second reader saw " + std::to_string(seen_while_grabbed) + " events while grabbed, " +
                       std::to_string(seen_after) + " after";
  if (!got) return Result("evdev-grab", false, "no scan; " + detail);
  bool pass = c.scans[0].text == kUsText && c.scans[0].symbology == "]d2" && seen_while_grabbed == 0 && seen_after > 0;
  Result("evdev-grab", pass, "got " + Visible(c.scans[0].symbology + c.scans[0].text) + "; " + detail);
}

// A scanner in serial mode behind a USB serial adapter (ftdi_sio): the host writes into it.
void Serial() {
  std::string port;
  WaitFor([&] {
    for (const char* p : {"/dev/ttyUSB0", "/dev/ttyACM0"}) {
      if (fs::exists(p)) port = p;
    }
    return !port.empty();
  }, 10s);
  if (port.empty()) return Result("serial", false, "no /dev/ttyUSB0: the USB serial adapter did not appear");
  platform::ScanQueue q;
  Collected c;
  platform::SerialOptions o;
  o.path = port;
  o.baud = 9600;
  auto src = std::make_unique<platform::SerialSource>(o);
  if (auto st = src->Start(q); !st.ok()) return Result("serial", false, "start: " + st.error().message);
  Step("serial");  // host: writes "]d2" + the US text + CR into the adapter
  bool got = c.WaitScans(q, 1, 10s);
  src->Stop();
  if (!got) return Result("serial", false, "no scan from " + port);
  bool pass = c.scans[0].text == kUsText && c.scans[0].symbology == "]d2" && c.scans[0].terminator == "cr";
  Result("serial", pass, "got " + Visible(c.scans[0].symbology + c.scans[0].text) + " (" + c.scans[0].terminator + ") from " + port);
}


// ---- The touchscreen's own scan path, without its window -----------------------------------------
// The sources kiosk.json configures (platform::ScannerSet), one ScanQueue, the app controller on a
// demo data folder (made on the host with `kiosk init --demo`): what the app loop does with scans,
// step by step, so what a scanner sends is resolved as the touchscreen would resolve it.
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct AppPath {
  explicit AppPath(app::AppController& c) : controller(c) {}
  app::AppController& controller;
  platform::ScanQueue queue{std::function<void()>{}};
  std::unique_ptr<platform::ScannerSet> set;
  std::vector<platform::ScannerEvent> events;

  bool Start(const std::string& kiosk_json) {
    std::ofstream("/etc/kiosk-test.json") << kiosk_json;
    auto config = LoadConfig("/etc/kiosk-test.json");
    if (!config.ok()) {
      Log("config: " + config.error().message);
      return false;
    }
    platform::ScannerSetOptions o;
    o.config = config->scanner;
    set = std::make_unique<platform::ScannerSet>(o);
    set->Start(queue);
    return true;
  }
  // The app loop's scan handling until `done` or `limit`: drain scans into the controller, pump its
  // results, refresh the health line.
  bool Run(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return WaitFor([&] {
      int64_t now = NowMs();
      for (auto& s : queue.DrainScans()) {
        Log("app scan " + Visible(s.Raw()) + " from " + s.source_id);
        controller.OnScan(s.Raw(), now);
      }
      for (auto& e : queue.DrainEvents()) {
        Log("app event " + e.source_id + " " + e.state);
        events.push_back(std::move(e));
      }
      controller.Pump(now);
      controller.SetScannerHealth(platform::FormatHealth(set->Health()));
      return done();
    }, limit);
  }
  bool Attached() const {
    for (const auto& e : events) {
      if (e.state == "attached") return true;
    }
    return false;
  }
};

void AppScanPath(const std::function<void(const std::string&)>& step) {
  app::AppController::Options co;
  co.data_dir = "/data";
  app::AppController controller(co);
  controller.Start(NowMs());
  controller.WaitIdle(NowMs());
  auto banner = [&] { return controller.Vm().banner; };
  AppPath us(controller);
  // A US-layout scanner, known by its VID:PID only through kiosk.json.
  if (!us.Start(R"({"data_dir": "/data", "scanner": {"sources": ["usb"], "usb_ids": [{"id": "0627:0001", "layout": "us"}]}})"))
    return Result("app-scan-path", false, "kiosk.json refused");
  if (!us.Run([&] { return us.Attached(); }, 15s)) return Result("app-scan-path", false, "no scanner attached from kiosk.json");
  int64_t serial = banner().serial;
  step("app-type-us BDG-10017");
  us.Run([&] { return banner().serial != serial; }, 10s);
  auto b1 = banner();
  std::string health_us = controller.Vm().admin.scanner_health;
  bool signed_in = controller.Vm().op.signed_in;
  us.set->Stop();

  // The same scanner set to German: kiosk.json says so; Y/Z and the symbols come out right.
  AppPath de(controller);
  if (!de.Start(R"({"data_dir": "/data", "scanner": {"sources": ["usb"], "usb_ids": [{"id": "0627:0001", "layout": "de"}]}})"))
    return Result("app-scan-path", false, "kiosk.json (de) refused");
  de.Run([&] { return de.Attached(); }, 15s);
  // Unplugged and plugged again while the path runs: no restart.
  de.events.clear();
  step("app-unplug");
  bool detached = de.Run([&] {
    for (const auto& e : de.events) {
      if (e.state == "detached") return true;
    }
    return false;
  }, 10s);
  de.events.clear();
  step("app-plug");
  bool replugged = de.Run([&] { return de.Attached(); }, 60s);  // TCG under load: re-enumeration plus the 1 s rescan took over 20 s
  serial = banner().serial;
  step("app-type-de ]d20100614141000036<GS>21C22B3780490");
  de.Run([&] { return banner().serial != serial; }, 10s);
  auto b2 = banner();
  std::string health_de = controller.Vm().admin.scanner_health;
  de.set->Stop();

  Log("banner 1: " + b1.text);
  Log("banner 2: " + b2.text);
  Log("health: " + health_de);
  bool pass = signed_in && b1.kind == app::BannerKind::Success && b2.kind != app::BannerKind::Error && !b2.text.empty() &&
              b2.text.find("DEMO-00007") != std::string::npos && detached && replugged &&
              health_us.find("layout us") != std::string::npos && health_de.find("layout de") != std::string::npos;
  Result("app-scan-path", pass,
         "signed in=" + std::to_string(signed_in) + ", device banner: \"" + b2.text + "\", unplug/replug=" +
             std::to_string(detached) + "/" + std::to_string(replugged) + "; kernel sees " + KernelUsbDevices());
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::string only = argc > 1 ? argv[1] : "";
  auto want = [&](const char* name) { return only.empty() || only == name; };
  Log("@@GUEST start");
  if (want("usb")) {
    UsbTypedScan("usb-us", scan::Layout::Us, kUsText);
    UsbTypedScan("usb-de", scan::Layout::De, kDeText);
    UsbHotplug();
  }
  if (want("evdev")) EvdevGrab();
  if (want("serial")) Serial();
  if (want("app") && fs::exists("/data")) AppScanPath(Step);
  std::cout << "@@END failures=" << g_failures << std::endl;
  return g_failures == 0 ? 0 : 1;
}
