// The `kiosk` binary's scan commands, run as a person would.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {
struct Run {
  std::string out;
  int rc = -1;
};
Run Kiosk(const std::string& args) {
  std::string cmd = std::string(KIOSK_BINARY_DIR) + "/kiosk " + args + " 2>/dev/null";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}
fs::path Temp(const std::string& name) { return fs::temp_directory_path() / ("kiosk-cmdscan-" + std::to_string(getpid()) + "-" + name); }
}  // namespace

TEST_CASE("kiosk decode-hid prints one JSON object per scan, GS escaped, exit 2 on a bad line") {
  fs::path f = Temp("hid.txt");
  std::ofstream(f) << "0200040000000000\n0000000000000000\n0100300000000000\n0000000000000000\n"
                      "0000280000000000\n0000000000000000\n0000050000000000\n";
  Run r = Kiosk("decode-hid " + f.string());
  CHECK(r.rc == 0);
  CHECK(r.out == "{\"text\":\"A\\u001d\",\"terminator\":\"enter\"}\n{\"text\":\"b\",\"terminator\":\"eof\"}\n");
  r = Kiosk("decode-hid --layout de " + f.string());
  CHECK(r.rc == 0);
  std::ofstream(f, std::ios::app) << "nonsense\n0000280000000000\n";
  r = Kiosk("decode-hid " + f.string());
  CHECK(r.rc == 2);
  CHECK(r.out == "{\"text\":\"A\\u001d\",\"terminator\":\"enter\"}\n{\"text\":\"b\",\"terminator\":\"enter\"}\n");
  CHECK(Kiosk("decode-hid --layout dvorak " + f.string()).rc == 2);
  CHECK(Kiosk("decode-hid /nonexistent/file").rc == 2);
  fs::remove(f);
}

TEST_CASE("kiosk scan classifies without a data folder and says the lookup is unavailable") {
  fs::path none = Temp("nodata");
  Run r = Kiosk("--data " + none.string() + " scan --json '(01)00614141000012(21)C45A0001234'");
  CHECK(r.rc == 3);
  CHECK(r.out.find("\"gtin\": \"00614141000012\"") != std::string::npos);
  CHECK(r.out.find("\"lookup\": \"unavailable\"") != std::string::npos);
  r = Kiosk("--data " + none.string() + " scan BDG-10018");
  CHECK(r.rc == 1);
  CHECK(r.out.find("staff badge check digit is 8, expected 7") != std::string::npos);
  CHECK(Kiosk("scan").rc == 2);  // TEXT is required
}

TEST_CASE("kiosk scan resolves against a demo data folder") {
  fs::path dir = Temp("demo");
  REQUIRE(Kiosk("--data " + dir.string() + " init --demo").rc == 0);
  Run r = Kiosk("--data " + dir.string() + " scan ']d20100614141000012<GS>21C45A0114351'");
  CHECK(r.rc == 0);
  CHECK(r.out.find("Entity:    device DEMO-00001") != std::string::npos);
  r = Kiosk("--data " + dir.string() + " scan --json BDG-10017");
  CHECK(r.rc == 0);
  CHECK(r.out.find("\"kind\": \"badge\"") != std::string::npos);
  CHECK(Kiosk("--data " + dir.string() + " scan 'hello'").rc == 1);
  fs::remove_all(dir);
}

TEST_CASE("kiosk scanners works on a machine without USB") {
  Run r = Kiosk("scanners --json --config /nonexistent/kiosk.json");
  CHECK(r.rc == 0);
  CHECK(r.out.find("\"scanners\"") != std::string::npos);
  CHECK(r.out.find("the default sources") != std::string::npos);
}

TEST_CASE("kiosk scanners starts what kiosk.json configures, as the touchscreen does") {
  // A pseudo-terminal stands in for a serial (CDC-ACM) scanner; a second port is not plugged in.
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const std::string port = ::ptsname(master);
  fs::path cfg = Temp("kiosk.json");
  std::ofstream(cfg) << R"({"scanner": {"sources": ["serial", "wedge"], "serial_port": ")" << port
                     << R"(", "serial_baud": 19200, "layout": "de"}})";
  Run r = Kiosk("scanners --config " + cfg.string());
  CHECK(r.rc == 0);
  CHECK(r.out.find("Sources: serial, wedge (from " + cfg.string() + ")") != std::string::npos);
  CHECK(r.out.find(port + " (serial): reading, 19200 baud") != std::string::npos);
  CHECK(r.out.find("(wedge)") != std::string::npos);
  CHECK(r.out.find("USB scanners (libusb)") == std::string::npos);  // usb is not configured: not started, not listed

  std::ofstream(cfg) << R"({"scanner": {"sources": ["serial"], "serial_port": "/dev/ttyKIOSK-NOT-THERE"}})";
  r = Kiosk("scanners --json --config " + cfg.string());
  CHECK(r.rc == 0);
  CHECK(r.out.find("\"state\": \"waiting\"") != std::string::npos);
  CHECK(r.out.find("/dev/ttyKIOSK-NOT-THERE is not there") != std::string::npos);
  CHECK(Kiosk("scanners --layout dvorak --config " + cfg.string()).rc == 2);
  ::close(master);
  fs::remove(cfg);
}
