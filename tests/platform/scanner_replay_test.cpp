#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "platform/scanner_replay.hpp"

using namespace kiosk::platform;
namespace fs = std::filesystem;

namespace {
fs::path TempFile(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("kiosk-replay-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST_CASE("replay: timed texts and HID reports, in order") {
  auto p = TempFile("ok.jsonl",
                    "# demo\n"
                    "{\"delay_ms\": 10, \"text\": \"]d20100614141000012\\u001d21C45A0001234\"}\n"
                    "\n"
                    "{\"delay_ms\": 10, \"hid\": [\"0000070000000000\", \"0000000000000000\", \"0000280000000000\"]}\n");
  ScanQueue q;
  ReplaySource src({.file = p, .speed = 10});
  REQUIRE(src.Start(q).ok());
  std::vector<Scan> got;
  for (int i = 0; i < 100 && got.size() < 2; ++i) {
    q.Wait(std::chrono::milliseconds(20));
    for (auto& s : q.DrainScans()) got.push_back(std::move(s));
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0].symbology == "]d2");
  CHECK(got[0].text == "0100614141000012\x1D" "21C45A0001234");
  CHECK(got[1].text == "d");
  CHECK(got[1].terminator == "enter");
  src.Stop();
  fs::remove(p);
}

TEST_CASE("replay: bad lines are refused with file and line") {
  auto p = TempFile("bad.jsonl", "{\"delay_ms\": 1, \"text\": \"a\"}\n{\"delay_ms\": -1, \"text\": \"b\"}\n");
  ScanQueue q;
  ReplaySource src({.file = p});
  auto st = src.Start(q);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == p.string() + ":2: delay_ms must be a number of milliseconds >= 0");
  fs::remove(p);
  ReplaySource missing({.file = "/nonexistent.jsonl"});
  CHECK(missing.Start(q).error().code == "replay.unreadable");
}

// `kiosk gui --scan-fifo`: the replay source that reads plain lines from a FIFO as they come.
TEST_CASE("replay: a FIFO's lines are scans as soon as they are written, across writers, until Stop") {
  fs::path p = fs::temp_directory_path() / ("kiosk-replay-" + std::to_string(::getpid()) + "-scans.fifo");
  fs::remove(p);
  REQUIRE(::mkfifo(p.c_str(), 0600) == 0);
  ScanQueue q;
  ReplaySource src({.file = p, .format = ReplayFormat::Lines, .source_id = "fifo"});
  REQUIRE(src.Start(q).ok());
  auto drain = [&](size_t want) {
    std::vector<Scan> got;
    for (int i = 0; i < 250 && got.size() < want; ++i) {
      q.Wait(std::chrono::milliseconds(20));
      for (auto& s : q.DrainScans()) got.push_back(std::move(s));
    }
    return got;
  };
  auto write_and_close = [&](const std::string& text) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
  };
  write_and_close("BDG-10017\n]d2010061414100001221C45\n\nhalf");
  auto got = drain(2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].text == "BDG-10017");
  CHECK(got[0].source_id == "fifo");
  CHECK(got[1].symbology == "]d2");
  CHECK(got[1].text == "010061414100001221C45");
  // The first writer closed: a second one is read too, and finishes the half line.
  write_and_close("-line\n");
  got = drain(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "half-line");
  CHECK(src.Scanners().at(0).scans == 3);
  CHECK(src.Scanners().at(0).state == "reading");
  src.Stop();  // returns at once: the thread sleeps in poll() until told to stop
  CHECK(src.Scanners().at(0).state == "stopped");
  fs::remove(p);
  ReplaySource missing({.file = "/nonexistent.fifo", .format = ReplayFormat::Lines});
  CHECK(missing.Start(q).error().code == "replay.unreadable");
}
