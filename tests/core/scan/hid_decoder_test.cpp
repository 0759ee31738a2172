#include <doctest/doctest.h>

#include <random>

#include "kiosk/core/scan/hid_decoder.hpp"

using namespace kiosk::scan;

namespace {

HidReport R(uint8_t m, std::initializer_list<uint8_t> keys = {}) {
  HidReport r;
  r.modifiers = m;
  size_t i = 0;
  for (uint8_t k : keys) r.keys[i++] = k;
  return r;
}

std::vector<DecodedScan> Decode(const std::vector<HidReport>& reports, DecoderOptions o = {}, int64_t step_ms = 2) {
  HidDecoder d(std::move(o));
  std::vector<DecodedScan> out;
  int64_t t = 1000;
  for (const HidReport& r : reports) {
    d.Feed(r, t, out);
    t += step_ms;
  }
  return out;
}

}  // namespace

TEST_CASE("hex report lines") {
  auto r = ParseReportHex("0200040000000000");
  REQUIRE(r);
  CHECK(r->modifiers == 0x02);
  CHECK(r->keys[0] == 0x04);
  CHECK(ParseReportHex("02 00 04 00 00 00 00 00\r") == r);
  CHECK(ToHex(*r) == "0200040000000000");
  CHECK_FALSE(ParseReportHex("020004000000000"));    // 15 digits
  CHECK_FALSE(ParseReportHex("020004000000000000"));  // 18 digits
  CHECK_FALSE(ParseReportHex("02000400000000zz"));
}

TEST_CASE("US: shift, release, Enter terminator") {
  // "Ab1" + Enter
  auto out = Decode({R(0x02), R(0x02, {0x04}), R(0), R(0, {0x05}), R(0), R(0, {0x1E}), R(0), R(0, {0x28}), R(0)});
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "Ab1");
  CHECK(out[0].terminator == Terminator::Enter);
  CHECK(out[0].first_key_ms == 1002);
}

TEST_CASE("German layout: the key a US decoder reads as Y is Z") {
  std::vector<HidReport> z = {R(0, {0x1C}), R(0), R(0, {0x28}), R(0)};
  CHECK(Decode(z, {.layout = Layout::De})[0].text == "z");
  CHECK(Decode(z, {.layout = Layout::Us})[0].text == "y");
  // AZERTY digits need Shift; unshifted they are symbols.
  std::vector<HidReport> one = {R(0, {0x1E}), R(0), R(0x02, {0x1E}), R(0), R(0, {0x28})};
  CHECK(Decode(one, {.layout = Layout::Fr})[0].text == "&1");
}

TEST_CASE("rollover: several new keys in one report, in report order, held keys don't repeat") {
  auto out = Decode({R(0, {0x04}), R(0, {0x04, 0x05, 0x06}), R(0, {0x05, 0x06}), R(0, {0x06, 0x07}), R(0), R(0, {0x28})});
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "abcd");
}

TEST_CASE("repeated identical reports give one character") {
  auto out = Decode({R(0, {0x04}), R(0, {0x04}), R(0, {0x04}), R(0), R(0), R(0, {0x04}), R(0), R(0, {0x28})});
  CHECK(out[0].text == "aa");
}

TEST_CASE("ErrorRollOver reports are ignored") {
  auto out = Decode({R(0, {0x04}), R(0, {1, 1, 1, 1, 1, 1}), R(0, {0x04}), R(0), R(0, {0x28})});
  CHECK(out[0].text == "a");
}

TEST_CASE("GS as Ctrl+right-bracket and as Alt+0029 / Alt+029 decode to 0x1D") {
  auto ctrl = Decode({R(0, {0x27}), R(0), R(0x01), R(0x01, {0x30}), R(0), R(0, {0x1E}), R(0), R(0, {0x28})});
  CHECK(ctrl[0].text == "0\x1D" "1");
  auto alt4 = Decode({R(0x04), R(0x04, {0x62}), R(0x04), R(0x04, {0x62}), R(0x04), R(0x04, {0x5A}), R(0x04),
                      R(0x04, {0x61}), R(0x04), R(0), R(0, {0x28})});
  CHECK(alt4[0].text == "\x1D");
  auto alt3 = Decode({R(0, {0x1E}), R(0), R(0x04, {0x62}), R(0x04, {0x5A}), R(0x04, {0x61}), R(0), R(0, {0x28})});
  CHECK(alt3[0].text == "1\x1D");
  // On German the Ctrl+] key is the same physical key (usage 0x30, two right of P, "+" there).
  CHECK(Decode({R(0x01, {0x30}), R(0), R(0, {0x04}), R(0, {0x28})}, {.layout = Layout::De})[0].text == "\x1D" "a");
}

TEST_CASE("Alt + a non-keypad key is a shortcut, not text, AltGr is not Alt") {
  CHECK(Decode({R(0x04, {0x04}), R(0), R(0, {0x05}), R(0, {0x28})})[0].text == "b");
  CHECK(Decode({R(0x40, {0x14}), R(0), R(0, {0x28})}, {.layout = Layout::De})[0].text == "@");
  CHECK(Decode({R(0x05, {0x14}), R(0), R(0, {0x28})}, {.layout = Layout::De})[0].text == "@");  // Ctrl+Alt = AltGr
}

TEST_CASE("dead keys: space gives the accent, a vowel composes, Enter flushes") {
  DecoderOptions de{.layout = Layout::De};
  CHECK(Decode({R(0, {0x35}), R(0), R(0, {0x2C}), R(0), R(0, {0x28})}, de)[0].text == "^");
  CHECK(Decode({R(0, {0x35}), R(0), R(0, {0x08}), R(0), R(0, {0x28})}, de)[0].text == "ê");
  CHECK(Decode({R(0, {0x35}), R(0), R(0, {0x1B}), R(0), R(0, {0x28})}, de)[0].text == "^x");
  CHECK(Decode({R(0, {0x04}), R(0, {0x35}), R(0), R(0, {0x28})}, de)[0].text == "a^");
}

TEST_CASE("terminators: Tab when configured, suffix removed, Enter kept as CR when not a terminator") {
  std::vector<HidReport> r = {R(0, {0x04}), R(0), R(0, {0x2B}), R(0), R(0, {0x05}), R(0), R(0, {0x28}), R(0)};
  auto tab = Decode(r, {.tab_terminates = true});
  REQUIRE(tab.size() == 2);
  CHECK(tab[0].text == "a");
  CHECK(tab[0].terminator == Terminator::Tab);
  CHECK(tab[1].text == "b");
  CHECK(Decode(r)[0].text == "a\tb");
  auto suffix = Decode({R(0, {0x04}), R(0), R(0x02, {0x1E}), R(0), R(0x02, {0x1E}), R(0), R(0, {0x05}), R(0)},
                       {.enter_terminates = false, .suffix = "!!"});
  REQUIRE(suffix.size() == 1);
  CHECK(suffix[0].text == "a");
  CHECK(suffix[0].terminator == Terminator::Suffix);
  auto no_enter = Decode({R(0, {0x04}), R(0, {0x28}), R(0)}, {.enter_terminates = false, .suffix = "\r"});
  CHECK(no_enter[0].text == "a");
  CHECK(Decode({R(0, {0x28}), R(0), R(0, {0x28})}).empty());  // Enter alone is no scan
}

TEST_CASE("a scan that never terminates is delivered after the time-out, not lost or merged") {
  HidDecoder d({.timeout_ms = 300});
  std::vector<DecodedScan> out;
  d.Feed(R(0, {0x04}), 0, out);
  d.Feed(R(0), 5, out);
  CHECK(d.Pending());
  CHECK(d.Deadline() == 300);  // counted from the last character, not the release
  d.Tick(200, out);
  CHECK(out.empty());
  d.Tick(300, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].text == "a");
  CHECK(out[0].terminator == Terminator::Timeout);
  // The next scan, long after, starts fresh.
  d.Feed(R(0, {0x05}), 10000, out);
  d.Feed(R(0, {0x05, 0x28}), 10002, out);
  REQUIRE(out.size() == 2);
  CHECK(out[1].text == "b");
  // A late report delivers a stale pending scan first.
  d.Feed(R(0, {0x06}), 20000, out);
  d.Feed(R(0, {0x07}), 20400, out);
  REQUIRE(out.size() == 3);
  CHECK(out[2].text == "c");
  d.Flush(out);
  REQUIRE(out.size() == 4);
  CHECK(out[3].text == "d");
  CHECK(out[3].terminator == Terminator::Flush);
}

TEST_CASE("short reports are counted, not decoded, overlong scans are cut") {
  HidDecoder d;
  std::vector<DecodedScan> out;
  uint8_t shortr[3] = {0, 0, 4};
  d.Feed(std::span<const uint8_t>(shortr, 3), 0, out);
  CHECK(d.MalformedReports() == 1);
  CHECK_FALSE(d.Pending());
  uint8_t nine[9] = {0, 0, 4, 0, 0, 0, 0, 0, 0};
  d.Feed(std::span<const uint8_t>(nine, 9), 1, out);
  CHECK(d.Pending());
  HidDecoder small({.max_length = 3});
  auto r = EncodeText("abcdefg", {.append_enter = true});
  for (const auto& rep : *r) small.Feed(rep, 0, out);
  CHECK(out.size() == 3);
  CHECK(out[0].text == "abc");
  CHECK(out[0].terminator == Terminator::Overflow);
  CHECK(out[2].text == "g");
}

TEST_CASE("round trip: random printable ASCII, every layout, with rollover and repeated reports") {
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<int> len(1, 40), ch(0x20, 0x7E);
  for (Layout layout : kAllLayouts) {
    CAPTURE(ToString(layout));
    for (int n = 0; n < 300; ++n) {
      std::string s;
      int l = len(rng);
      for (int i = 0; i < l; ++i) s += static_cast<char>(ch(rng));
      EncoderOptions eo{.layout = layout, .rollover = n % 3 == 1, .repeat = n % 3 == 2};
      auto reports = EncodeText(s, eo);
      REQUIRE(reports);
      auto out = Decode(*reports, {.layout = layout});
      CAPTURE(s);
      REQUIRE(out.size() == 1);
      CHECK(out[0].text == s);
      CHECK(out[0].terminator == Terminator::Enter);
    }
  }
}

TEST_CASE("round trip: GS1 data with GS by Ctrl+right-bracket and by Alt+numpad, and Latin-1 letters, every layout") {
  const std::string texts[] = {"]d20100614141000012" "10AB-7\x1D" "21C45A0001234", "Ääkkönen Åsa Łódź ñ é ß"};
  for (Layout layout : kAllLayouts) {
    for (ControlMode cm : {ControlMode::CtrlKey, ControlMode::AltNumpad}) {
      CAPTURE(ToString(layout));
      for (const std::string& s : texts) {
        auto reports = EncodeText(s, {.layout = layout, .control = cm});
        if (s[0] != ']' && !reports) {
          // "Ł" has no Latin-1 code and is on no layout but Polish.
          CHECK(layout != Layout::Pl);
          continue;
        }
        REQUIRE(reports);
        auto out = Decode(*reports, {.layout = layout});
        REQUIRE(out.size() == 1);
        CHECK(out[0].text == s);
      }
    }
  }
}

TEST_CASE("Russian layout: Cyrillic keys decode to Cyrillic, Latin letters come as Alt codes") {
  auto out = Decode({R(0, {0x14}), R(0), R(0x02, {0x20}), R(0), R(0, {0x28})}, {.layout = Layout::Ru});
  CHECK(out[0].text == "й№");
  auto r = EncodeText("A", {.layout = Layout::Ru, .append_enter = false});
  REQUIRE(r);
  CHECK((*r)[0].modifiers == 0x04);  // Alt held for Alt+0065
}
