#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/input.h>
#include <unistd.h>

#include "platform/scanner_evdev.hpp"

using namespace kiosk::platform;

namespace {
// Linux key codes of a scanner set to German layout typing "zY" + Enter.
void Key(int fd, uint16_t code, int value) {
  input_event ev[2] = {};
  ev[0].type = EV_KEY;
  ev[0].code = code;
  ev[0].value = value;
  ev[1].type = EV_SYN;
  ev[1].code = SYN_REPORT;
  REQUIRE(write(fd, ev, sizeof ev) == static_cast<ssize_t>(sizeof ev));
}
}  // namespace

TEST_CASE("evdev: key events become reports decoded with the scanner's layout") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  ScanQueue q;
  EvdevSource src({.path = "test", .decoder = {.layout = kiosk::scan::Layout::De}, .grab = false, .fd = p[0]});
  REQUIRE(src.Start(q).ok());
  Key(p[1], KEY_Y, 1);          // the key labelled Z on a German keyboard
  Key(p[1], KEY_Y, 0);
  Key(p[1], KEY_LEFTSHIFT, 1);
  Key(p[1], KEY_Z, 1);          // Shift + the German Y key
  Key(p[1], KEY_Z, 2);          // autorepeat: ignored
  Key(p[1], KEY_Z, 0);
  Key(p[1], KEY_LEFTSHIFT, 0);
  Key(p[1], KEY_LEFTCTRL, 1);   // Ctrl+] = GS
  Key(p[1], KEY_RIGHTBRACE, 1);
  Key(p[1], KEY_RIGHTBRACE, 0);
  Key(p[1], KEY_LEFTCTRL, 0);
  Key(p[1], KEY_1, 1);
  Key(p[1], KEY_1, 0);
  Key(p[1], KEY_ENTER, 1);
  Key(p[1], KEY_ENTER, 0);
  std::vector<Scan> got;
  for (int i = 0; i < 60 && got.empty(); ++i) {
    q.Wait(std::chrono::milliseconds(50));
    got = q.DrainScans();
  }
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "zY\x1D" "1");
  CHECK(got[0].source_id == "evdev:test");
  close(p[1]);  // the device goes away
  for (int i = 0; i < 60; ++i) {
    if (src.Scanners()[0].state == "error") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(src.Scanners()[0].state == "error");
  src.Stop();
}

TEST_CASE("evdev: a missing device is a clear error") {
  ScanQueue q;
  EvdevSource src({.path = "/dev/input/event-none"});
  auto st = src.Start(q);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("/dev/input/event-none") != std::string::npos);
}
