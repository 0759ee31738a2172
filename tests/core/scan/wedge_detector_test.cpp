#include <doctest/doctest.h>

#include <random>

#include "kiosk/core/scan/wedge_detector.hpp"

using namespace kiosk::scan;

namespace {
std::vector<WedgeEvent> Type(WedgeDetector& d, const std::string& s, std::vector<int64_t> gaps, int64_t& t, bool enter) {
  std::vector<WedgeEvent> out;
  for (size_t i = 0; i < s.size(); ++i) {
    t += gaps[i % gaps.size()];
    d.OnChar(static_cast<unsigned char>(s[i]), t, out);
  }
  if (enter) {
    t += gaps[0];
    d.OnKey(WedgeKey::Enter, t, out);
  }
  d.Tick(t + 1000, out);
  return out;
}
}  // namespace

TEST_CASE("a scanner burst with Enter is a scan") {
  WedgeDetector d;
  int64_t t = 0;
  auto out = Type(d, "DEMO-00017", {8, 12, 5}, t, true);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == WedgeEvent::Type::Scan);
  CHECK(out[0].text == "DEMO-00017");
}

TEST_CASE("a fast typist is not a scanner: text and Enter go back to the field") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> gap(36, 160);  // 75-330 wpm
  WedgeDetector d;
  int64_t t = 0;
  std::vector<int64_t> gaps;
  for (int i = 0; i < 40; ++i) gaps.push_back(gap(rng));
  gaps[3] = 20;  // a rollover pair now and then is faster than a scanner
  auto out = Type(d, "hello there BDG-10017", gaps, t, true);
  std::string typed;
  for (const auto& e : out) {
    CHECK(e.type == WedgeEvent::Type::Typed);
    typed += e.text;
  }
  CHECK(typed == "hello there BDG-10017\n");
}

TEST_CASE("a fast burst without Enter is held back, then typed, when a terminator is required") {
  WedgeDetector d;
  int64_t t = 0;
  auto out = Type(d, "ABCDEFG", {5}, t, false);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == WedgeEvent::Type::Typed);
  WedgeDetector loose({.require_terminator = false});
  t = 0;
  out = Type(loose, "ABCDEFG", {5}, t, false);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == WedgeEvent::Type::Scan);
}

TEST_CASE("short fast bursts are a person, the threshold is configurable") {
  WedgeDetector d;
  int64_t t = 0;
  auto out = Type(d, "ab", {5}, t, true);
  REQUIRE(out.size() == 2);
  CHECK(out[0].text == "ab");
  CHECK(out[1].text == "\n");
  WedgeDetector slow({.max_gap_ms = 80});
  t = 0;
  out = Type(slow, "6299000000000015", {60}, t, true);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == WedgeEvent::Type::Scan);
}

TEST_CASE("a person's keys before a scan are given back, then the scan") {
  WedgeDetector d;
  int64_t t = 0;
  std::vector<WedgeEvent> out;
  d.OnChar('x', t, out);
  t += 400;
  for (char c : std::string("BDG-10017")) d.OnChar(c, t += 6, out);
  d.OnKey(WedgeKey::Enter, t += 6, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].type == WedgeEvent::Type::Typed);
  CHECK(out[0].text == "x");
  CHECK(out[1].type == WedgeEvent::Type::Scan);
  CHECK(out[1].text == "BDG-10017");
  CHECK(d.Deadline() == std::nullopt);
}
