#include <doctest/doctest.h>

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include "platform/scanner_serial.hpp"

using namespace kiosk::platform;

namespace {
std::vector<Scan> WaitScans(ScanQueue& q, size_t n, int ms = 3000) {
  std::vector<Scan> got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (got.size() < n && std::chrono::steady_clock::now() < until) {
    q.Wait(std::chrono::milliseconds(50));
    for (auto& s : q.DrainScans()) got.push_back(std::move(s));
  }
  return got;
}
struct Pty {
  int master = -1, slave = -1;
  std::string path;
  Pty() {
    char name[128];
    REQUIRE(openpty(&master, &slave, name, nullptr, nullptr) == 0);
    path = name;
  }
  ~Pty() {
    if (master >= 0) close(master);
    if (slave >= 0) close(slave);
  }
  void Write(const std::string& s) { REQUIRE(write(master, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
};
}  // namespace

TEST_CASE("serial scanner on a pty: CR, LF and CR LF end scans, AIM ids are split off") {
  Pty pty;
  ScanQueue q;
  SerialSource src({.path = pty.path, .baud = 115200});
  auto st = src.Start(q);
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  pty.Write("]d20100614141000012\x1D" "21ABC\r\nBDG-10017\rDEMO-");
  pty.Write("00017\n");
  auto got = WaitScans(q, 3);
  REQUIRE(got.size() == 3);
  CHECK(got[0].symbology == "]d2");
  CHECK(got[0].text == "0100614141000012\x1D" "21ABC");
  CHECK(got[0].source_id == "serial:" + pty.path);
  CHECK(got[1].text == "BDG-10017");
  CHECK(got[2].text == "DEMO-00017");
  CHECK(got[2].terminator == "lf");
  src.Stop();
}

TEST_CASE("serial: a scan without terminator is delivered after the time-out, a suffix ends a scan") {
  Pty pty;
  ScanQueue q;
  SerialSource src({.path = pty.path, .suffix = "#", .timeout_ms = 100});
  REQUIRE(src.Start(q).ok());
  pty.Write("ABC#DEF");
  auto got = WaitScans(q, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].text == "ABC");
  CHECK(got[0].terminator == "suffix");
  CHECK(got[1].text == "DEF");
  CHECK(got[1].terminator == "timeout");
  src.Stop();
}

TEST_CASE("serial: a port that is not there at start is waited for, and read once it comes") {
  char dir_template[] = "/tmp/kiosk-serial-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string link = std::string(dir_template) + "/ttyACM0";
  ScanQueue q;
  SerialSource src({.path = link, .timeout_ms = 0});
  auto st = src.Start(q);
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  auto rows = src.Scanners();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == "waiting");
  CHECK(rows[0].detail.find(link + " is not there") != std::string::npos);

  // Plugged in: the port appears (a pty stands in for /dev/ttyACM0).
  Pty pty;
  REQUIRE(symlink(pty.path.c_str(), link.c_str()) == 0);
  bool attached = false;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!attached && std::chrono::steady_clock::now() < until) {
    q.Wait(std::chrono::milliseconds(50));
    for (auto& e : q.DrainEvents()) attached = attached || (e.state == "attached" && e.source_id == "serial:" + link);
  }
  REQUIRE(attached);
  CHECK(src.Scanners()[0].state == "reading");
  pty.Write("BDG-10017\r");
  auto got = WaitScans(q, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "BDG-10017");
  src.Stop();
  unlink(link.c_str());
  rmdir(dir_template);
}

TEST_CASE("serial: clear errors for a file that is not a tty and a bad speed") {
  ScanQueue q;
  SerialSource notty({.path = "/dev/null"});
  auto st = notty.Start(q);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "scanner.not_serial");
  SerialSource baud({.path = "/dev/null", .baud = 12345});
  CHECK(baud.Start(q).error().code == "scanner.serial_baud");
}
