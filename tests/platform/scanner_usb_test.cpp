#include <doctest/doctest.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <deque>
#include <mutex>

#include "fakes/fake_usb.hpp"
#include "platform/scanner_usb.hpp"

using namespace kiosk;
using namespace kiosk::platform;
using kiosk::test::FakeBus;
using kiosk::test::FakeTransport;

namespace {

UsbDevice Keyboard(std::string path, uint16_t vid = 0x0c2e, uint16_t pid = 0x0b61) {
  UsbDevice d;
  d.path = std::move(path);
  d.vid = vid;
  d.pid = pid;
  d.product = "Scanner";
  d.interfaces.push_back(UsbInterface{0, 3, 1, 1, 0x81, 8});
  return d;
}

std::vector<std::vector<uint8_t>> Reports(const std::string& text, scan::Layout layout = scan::Layout::Us) {
  std::vector<std::vector<uint8_t>> out;
  auto encoded = scan::EncodeText(text, {.layout = layout});
  for (const auto& r : *encoded) {
    std::vector<uint8_t> b(8, 0);
    b[0] = r.modifiers;
    std::copy(r.keys.begin(), r.keys.end(), b.begin() + 2);
    out.push_back(b);
  }
  return out;
}

std::vector<Scan> WaitScans(ScanQueue& q, size_t n) {
  std::vector<Scan> got;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (got.size() < n && std::chrono::steady_clock::now() < until) {
    q.Wait(std::chrono::milliseconds(100));
    for (auto& s : q.DrainScans()) got.push_back(std::move(s));
  }
  return got;
}

bool WaitFor(const std::function<bool()>& cond) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

UsbSourceOptions Opts() {
  UsbSourceOptions o;
  o.ids.push_back(*ParseUsbId("0c2e:*"));
  o.ids.push_back(*ParseUsbId("05e0:1200"));
  o.read_timeout_ms = 20;
  o.rescan_ms = 50;
  return o;
}

}  // namespace

TEST_CASE("USB ids and scanners.json") {
  auto id = ParseUsbId("0C2E:0b61");
  REQUIRE(id.ok());
  CHECK(id->Matches(0x0c2e, 0x0b61));
  CHECK_FALSE(id->Matches(0x0c2e, 0x0b62));
  CHECK(ParseUsbId("05e0:*")->Matches(0x05e0, 0x1234));
  CHECK_FALSE(ParseUsbId("05e0").ok());
  CHECK(ParseUsbId("xyz:1").error().message.find("VID:PID") != std::string::npos);
  auto list = LoadScannerIds(std::filesystem::path(KIOSK_TEST_ASSETS) / "scanners.json");
  REQUIRE_MESSAGE(list.ok(), (list.ok() ? "" : list.error().message));
  CHECK(list->size() >= 5);
}

TEST_CASE("a listed scanner is claimed and decoded, an unlisted keyboard is never opened") {
  FakeBus bus;
  bus.devices = {Keyboard("1-1"), Keyboard("1-2", 0x046d, 0xc31c)};  // a Logitech keyboard
  ScanQueue q;
  UsbScannerSource src(Opts(), std::make_unique<FakeTransport>(bus));
  REQUIRE(src.Start(q).ok());
  CHECK(bus.opens == 1);
  bus.Send("1-1", Reports("]d20100614141000012\x1D" "21C45A0001234"));
  auto got = WaitScans(q, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].symbology == "]d2");
  CHECK(got[0].text == "0100614141000012\x1D" "21C45A0001234");
  CHECK(got[0].source_id == "usb:0c2e:0b61@1-1");
  CHECK(got[0].terminator == "enter");
  auto info = src.Scanners();
  REQUIRE(info.size() == 1);
  CHECK(info[0].transport == "usb-hid-keyboard");
  CHECK(info[0].scans == 1);
  src.Stop();
  CHECK(bus.releases == 1);  // released and given back to the kernel
}

TEST_CASE("hotplug: plug while running, two scanners with their own ids, unplug mid-scan loses nothing complete") {
  FakeBus bus;
  ScanQueue q;
  UsbScannerSource src(Opts(), std::make_unique<FakeTransport>(bus));
  REQUIRE(src.Start(q).ok());
  CHECK(src.Scanners().empty());
  bus.Plug(Keyboard("1-1"));
  bus.Plug(Keyboard("1-4", 0x05e0, 0x1200));
  REQUIRE(WaitFor([&] { return src.Scanners().size() == 2; }));
  bus.Send("1-1", Reports("BDG-10017"));
  bus.Send("1-4", Reports("DEMO-00017"));
  auto got = WaitScans(q, 2);
  REQUIRE(got.size() == 2);
  std::map<std::string, std::string> by_id;
  for (auto& s : got) by_id[s.source_id] = s.text;
  CHECK(by_id["usb:0c2e:0b61@1-1"] == "BDG-10017");
  CHECK(by_id["usb:05e0:1200@1-4"] == "DEMO-00017");

  // A complete scan, then half of the next one, then the cable is pulled.
  auto half = Reports("6299000000000015");
  half.resize(half.size() / 2);
  bus.Send("1-1", Reports("DEMO-00001"));
  bus.Send("1-1", half);
  got = WaitScans(q, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "DEMO-00001");
  bus.Unplug("1-1");
  REQUIRE(WaitFor([&] { return src.Scanners().size() == 1; }));
  auto events = q.DrainEvents();
  bool detached = false;
  for (auto& e : events) detached = detached || (e.state == "detached" && e.source_id == "usb:0c2e:0b61@1-1");
  CHECK(detached);
  CHECK(q.DrainScans().empty());  // the half scan is not delivered as a scan

  // Plugged back in: read again, no restart.
  bus.Plug(Keyboard("1-1"));
  REQUIRE(WaitFor([&] { return src.Scanners().size() == 2; }));
  bus.Send("1-1", Reports("BDG-90001"));
  got = WaitScans(q, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "BDG-90001");
  src.Stop();
  CHECK(bus.releases == bus.opens);
}

TEST_CASE("hotplug: an arrival that was not ready is picked up by the rescan, with one error shown") {
  FakeBus bus;
  ScanQueue q;
  auto opts = Opts();
  opts.rescan_ms = 300;
  UsbScannerSource src(opts, std::make_unique<FakeTransport>(bus));
  REQUIRE(src.Start(q).ok());
  // The claim fails on arrival (the kernel is still binding its driver) and on the next try too.
  {
    std::lock_guard g(bus.mu);
    bus.failing_opens = 2;
  }
  bus.Plug(Keyboard("1-3"));
  REQUIRE(WaitFor([&] { return src.Scanners().size() == 1; }));
  // A device whose arrival event never came (descriptors not readable yet): only the rescan sees it.
  {
    std::lock_guard g(bus.mu);
    bus.devices.push_back(Keyboard("1-5"));
  }
  REQUIRE(WaitFor([&] { return src.Scanners().size() == 2; }));
  int errors = 0, attached = 0;
  for (auto& e : q.DrainEvents()) {
    errors += e.state == "error";
    attached += e.state == "attached";
  }
  CHECK(errors == 1);  // the same failure is not repeated on every retry
  CHECK(attached == 2);
  bus.Send("1-3", Reports("BDG-10017"));
  auto got = WaitScans(q, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].source_id == "usb:0c2e:0b61@1-3");
  src.Stop();
  CHECK(bus.releases == bus.opens);
}

TEST_CASE("without hotplug the bus is re-enumerated") {
  FakeBus bus;
  bus.hotplug = false;
  ScanQueue q;
  UsbScannerSource src(Opts(), std::make_unique<FakeTransport>(bus));
  REQUIRE(src.Start(q).ok());
  {
    std::lock_guard g(bus.mu);
    bus.devices.push_back(Keyboard("2-1"));
  }
  REQUIRE(WaitFor([&] { return src.Scanners().size() == 1; }));
  bus.Unplug("2-1");
  REQUIRE(WaitFor([&] { return src.Scanners().empty(); }));
  src.Stop();
}

TEST_CASE("a HID POS interface is recognised by its report descriptor") {
  FakeBus bus;
  UsbDevice d = Keyboard("3-1", 0x0c2e, 0x0b87);
  d.interfaces[0].subclass = 0;
  d.interfaces[0].protocol = 0;
  d.interfaces[0].max_packet = 64;
  bus.devices = {d};
  bus.descriptors["3-1"] = {0x06, 0x8C, 0x00, 0x09, 0x02, 0xA1, 0x01, 0xC0};
  ScanQueue q;
  UsbScannerSource src(Opts(), std::make_unique<FakeTransport>(bus));
  REQUIRE(src.Start(q).ok());
  std::vector<uint8_t> rep(64, 0);
  std::string data = "0100614141000012";
  rep[0] = 2;
  rep[1] = static_cast<uint8_t>(data.size());
  rep[3] = 'C';
  rep[4] = '1';
  std::copy(data.begin(), data.end(), rep.begin() + 5);
  bus.Send("3-1", {rep});
  auto got = WaitScans(q, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].symbology == "]C1");
  CHECK(got[0].text == data);
  CHECK(src.Scanners()[0].transport == "usb-hid-pos");
}

TEST_CASE("real libusb on a machine without USB: starts, finds nothing, stops cleanly") {
  ScanQueue q;
  UsbScannerSource src(Opts(), MakeLibusbTransport());
  auto st = src.Start(q);
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!std::filesystem::exists("/dev/bus/usb")) CHECK(src.Scanners().empty());
  src.Stop();
  CHECK(q.DrainScans().empty());
}

TEST_CASE("the udev rule lets the kiosk user open every scanner vendor of scanners.json") {
  std::ifstream in(std::filesystem::path(KIOSK_TEST_ASSETS) / "udev" / "70-kiosk-scanners.rules");
  REQUIRE(in);
  std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto list = LoadScannerIds(std::filesystem::path(KIOSK_TEST_ASSETS) / "scanners.json");
  REQUIRE(list.ok());
  for (const UsbId& id : *list) {
    char vid[8];
    std::snprintf(vid, sizeof vid, "%04x", id.vid);
    CAPTURE(vid);
    CHECK(rules.find("SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ATTR{idVendor}==\"" + std::string(vid) + "\"") != std::string::npos);
    CHECK(rules.find("SUBSYSTEM==\"input\", KERNEL==\"event*\", ATTRS{idVendor}==\"" + std::string(vid) + "\"") != std::string::npos);
  }
}
