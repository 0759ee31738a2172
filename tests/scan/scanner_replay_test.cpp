#include <doctest/doctest.h>

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
