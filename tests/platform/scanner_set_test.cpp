#include <doctest/doctest.h>

#include <pty.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fakes/fake_usb.hpp"
#include "platform/scanner_set.hpp"
#include "platform/scanner_wedge.hpp"

using namespace kiosk;
using namespace kiosk::platform;
using kiosk::test::EmptyBus;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("kiosk-scanner-set-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// /sys/class/input/eventN with the USB ids the kernel shows, and a /dev/input/eventN to open.
void AddInputNode(const fs::path& root, const std::string& event, const std::string& name, const std::string& vid,
                  const std::string& pid) {
  fs::path dev = root / "sys" / event / "device";
  fs::create_directories(dev / "id");
  std::ofstream(dev / "name") << name << "\n";
  std::ofstream(dev / "id" / "vendor") << vid << "\n";
  std::ofstream(dev / "id" / "product") << pid << "\n";
  fs::create_directories(root / "dev" / "input");
  std::ofstream(root / "dev" / "input" / event) << "";
}

ScannerSetOptions Options(const TempDir& t, ScannerConfig config) {
  ScannerSetOptions o;
  o.config = std::move(config);
  o.scanners_json = fs::path(KIOSK_TEST_ASSETS) / "scanners.json";
  o.make_usb_transport = [] { return std::make_unique<EmptyBus>(); };
  o.input_sysfs = t.path / "sys";
  o.dev_dir = t.path / "dev";
  o.evdev_rescan_ms = 50;
  return o;
}

const ScannerInfo* Find(const std::vector<ScannerInfo>& rows, std::string_view transport) {
  for (const auto& r : rows) {
    if (r.transport == transport) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("decoder settings per scanner: kiosk.json's entry, then the model's layout, then scanner.*") {
  ScannerConfig c;
  c.layout = "fr";
  c.terminators = {"tab"};
  c.suffix = "#";
  c.devices.push_back({"0c2e:0b61", "de", std::vector<std::string>{"enter"}, std::string("")});
  UsbId model;
  model.vid = 0x05e0;
  model.layout = scan::Layout::Pl;
  auto own = DecoderFor(c, nullptr, 0x0c2e, 0x0b61);
  CHECK(own.layout == scan::Layout::De);
  CHECK(own.enter_terminates);
  CHECK_FALSE(own.tab_terminates);
  CHECK(own.suffix.empty());
  auto by_model = DecoderFor(c, &model, 0x05e0, 0x1200);
  CHECK(by_model.layout == scan::Layout::Pl);
  CHECK(by_model.tab_terminates);
  CHECK_FALSE(by_model.enter_terminates);
  CHECK(by_model.suffix == "#");
  auto plain = DecoderFor(c, nullptr, 0x1234, 0x5678);
  CHECK(plain.layout == scan::Layout::Fr);
}

TEST_CASE("the configured sources start, health says plainly what each found") {
  TempDir t;
  int master = -1, slave = -1;
  char name[128];
  REQUIRE(openpty(&master, &slave, name, nullptr, nullptr) == 0);
  ScannerConfig c;
  c.sources = {"usb", "serial", "wedge"};
  c.serial_port = name;
  ScannerSet set(Options(t, c));
  ScanQueue q;
  set.Start(q);
  auto health = set.Health();
  const ScannerInfo* usb = Find(health, "usb");
  REQUIRE(usb);
  CHECK(usb->state == "waiting");
  CHECK(usb->detail.find("no known scanner attached") != std::string::npos);
  const ScannerInfo* serial = Find(health, "serial");
  REQUIRE(serial);
  CHECK(serial->state == "reading");
  REQUIRE(set.Wedge() != nullptr);
  CHECK(Find(health, "wedge") != nullptr);
  CHECK(Find(health, "evdev") == nullptr);  // not configured: not started, not shown

  // A scan through the serial source reaches the one queue.
  const std::string bytes = "]d20100614141000012\x1D" "21ABC\r";
  REQUIRE(::write(master, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  std::vector<Scan> got;
  for (int i = 0; i < 100 && got.empty(); ++i) {
    q.Wait(std::chrono::milliseconds(20));
    got = q.DrainScans();
  }
  REQUIRE(got.size() == 1);
  CHECK(got[0].Raw() == "]d20100614141000012\x1D" "21ABC");
  CHECK(FormatHealth(set.Health()).find(std::string(name) + " (serial): reading") != std::string::npos);
  set.Stop();
  ::close(master);
  ::close(slave);
}

TEST_CASE("a serial port that is not there is an error row, the other sources still start") {
  TempDir t;
  ScannerConfig c;
  c.sources = {"serial", "wedge"};
  c.serial_port = "/dev/ttyKIOSK-NOT-THERE";
  ScannerSet set(Options(t, c));
  ScanQueue q;
  set.Start(q);
  auto health = set.Health();
  const ScannerInfo* serial = Find(health, "serial");
  REQUIRE(serial);
  // The serial source keeps trying every second; it says why it is not reading.
  CHECK(serial->state != "reading");
  CHECK(set.Wedge() != nullptr);
  set.Stop();
}

TEST_CASE("evdev: only keyboards of known scanners are taken, real keyboards never") {
  TempDir t;
  AddInputNode(t.path, "event3", "AT Translated Set 2 keyboard", "0001", "0001");
  AddInputNode(t.path, "event7", "Honeywell 1900", "0c2e", "0b61");
  ScannerConfig c;
  c.sources = {"evdev"};
  ScannerSet set(Options(t, c));
  ScanQueue q;
  set.Start(q);
  // The fake node is a plain file, which cannot be grabbed: the attempt names the scanner's node.
  std::vector<ScannerEvent> events;
  for (int i = 0; i < 50 && events.empty(); ++i) {
    q.Wait(std::chrono::milliseconds(20));
    events = q.DrainEvents();
  }
  REQUIRE_FALSE(events.empty());
  CHECK(events[0].source_id == "evdev:" + (t.path / "dev" / "input" / "event7").string());
  for (const auto& e : events) CHECK(e.source_id.find("event3") == std::string::npos);
  set.Stop();
  // Probe (kiosk doctor) lists the same scanner without opening it.
  auto rows = ScannerSet::Probe(Options(t, c));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == "evdev:" + (t.path / "dev" / "input" / "event7").string());
  CHECK(rows[0].state == "found");
  CHECK(rows[0].detail == "0c2e:0b61");
}

TEST_CASE("replay from kiosk.json: the file's scans arrive, a missing file is an error row") {
  TempDir t;
  fs::path file = t.path / "scans.jsonl";
  std::ofstream(file) << "{\"delay_ms\": 1, \"text\": \"BDG-10017\"}\n";
  ScannerConfig c;
  c.sources = {"replay"};
  c.replay_file = file.string();
  {
    ScannerSet set(Options(t, c));
    ScanQueue q;
    set.Start(q);
    std::vector<Scan> got;
    for (int i = 0; i < 100 && got.empty(); ++i) {
      q.Wait(std::chrono::milliseconds(20));
      got = q.DrainScans();
    }
    REQUIRE(got.size() == 1);
    CHECK(got[0].text == "BDG-10017");
  }
  c.replay_file = (t.path / "none.jsonl").string();
  ScannerSet set(Options(t, c));
  ScanQueue q;
  set.Start(q);
  const ScannerInfo* r = Find(set.Health(), "replay");
  REQUIRE(r);
  CHECK(r->state == "error");
}
