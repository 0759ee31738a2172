#include <doctest/doctest.h>

#include "kiosk/core/scan/keyboard_layout.hpp"

using namespace kiosk::scan;

TEST_CASE("layout names") {
  for (Layout l : kAllLayouts) CHECK(ParseLayout(ToString(l)) == l);
  CHECK(ParseLayout("FI") == Layout::FiSe);
  CHECK(ParseLayout("se") == Layout::FiSe);
  CHECK(ParseLayout("DE") == Layout::De);
  CHECK_FALSE(ParseLayout("dvorak"));
}

TEST_CASE("the keys that differ between layouts") {
  // Y and Z swap on German; A/Q and W/Z swap on AZERTY, whose digit row needs Shift.
  CHECK(TableFor(Layout::Us).At(0x1C, Level::Plain) == U'y');
  CHECK(TableFor(Layout::De).At(0x1C, Level::Plain) == U'z');
  CHECK(TableFor(Layout::De).At(0x1F, Level::Shift) == U'"');
  CHECK(TableFor(Layout::De).At(0x14, Level::AltGr) == U'@');
  CHECK(TableFor(Layout::Fr).At(0x04, Level::Plain) == U'q');
  CHECK(TableFor(Layout::Fr).At(0x1E, Level::Plain) == U'&');
  CHECK(TableFor(Layout::Fr).At(0x1E, Level::Shift) == U'1');
  CHECK(TableFor(Layout::Fr).At(0x27, Level::AltGr) == U'@');
  CHECK(TableFor(Layout::FiSe).At(0x1F, Level::AltGr) == U'@');
  CHECK(TableFor(Layout::FiSe).At(0x2F, Level::Plain) == U'å');
  CHECK(TableFor(Layout::Pl).At(0x16, Level::AltGr) == U'ś');
  CHECK(TableFor(Layout::Ru).At(0x14, Level::Plain) == U'й');
  CHECK(TableFor(Layout::Ru).At(0x20, Level::Shift) == U'№');
  CHECK(TableFor(Layout::De).Dead(0x35, Level::Plain));     // ^
  CHECK(TableFor(Layout::Pl).Dead(0x35, Level::Shift));     // ~
  CHECK_FALSE(TableFor(Layout::Us).Dead(0x35, Level::Shift));
}

TEST_CASE("dead keys compose") {
  CHECK(ComposeDead(Layout::Fr, U'^', U'e') == U'ê');
  CHECK(ComposeDead(Layout::De, U'´', U'e') == U'é');
  CHECK(ComposeDead(Layout::Pl, U'~', U'a') == U'ą');
  CHECK(ComposeDead(Layout::Fr, U'~', U'n') == U'ñ');
  CHECK(ComposeDead(Layout::De, U'^', U'x') == 0);
}
