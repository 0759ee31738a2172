// The kiosk's own settings (language, idle time-out) an admin changes on the touchscreen: kept in
// the data folder across restarts, on top of the central's defaults, and checked.
#include <doctest/doctest.h>

#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;

TEST_CASE("local settings win over the central's and survive a restart") {
  TempDir dir;
  ManualClock clock{DemoDay()};
  {
    auto k = MakeDemoKiosk(dir.path(), clock);
    const Settings central = k->CurrentSettings();
    REQUIRE(k->SaveLocalSettings({"pl", std::nullopt}).ok());
    CHECK(k->CurrentSettings().language == "pl");
    CHECK(k->CurrentSettings().idle_timeout_s == central.idle_timeout_s);  // unset: left as it was
    REQUIRE(k->SaveLocalSettings({std::nullopt, 300}).ok());
    CHECK(k->CurrentSettings().language == "pl");
    CHECK(k->CurrentSettings().idle_timeout_s == 300);
    CHECK(k->CurrentSettings().default_loan_days == central.default_loan_days);  // the rest is the central's
  }
  auto reopened = Kiosk::Open({.data_dir = dir.path(), .clock = &clock});
  REQUIRE(reopened.ok());
  CHECK((*reopened)->CurrentSettings().language == "pl");
  CHECK((*reopened)->CurrentSettings().idle_timeout_s == 300);
}

TEST_CASE("local settings are checked: a language the kiosk lacks or an idle time-out out of range is refused") {
  TempDir dir;
  ManualClock clock{DemoDay()};
  auto k = MakeDemoKiosk(dir.path(), clock);
  auto lang = k->SaveLocalSettings({"xx", std::nullopt});
  REQUIRE_FALSE(lang.ok());
  CHECK(lang.error().code == "settings.language");
  CHECK(lang.error().kind == ErrorKind::Usage);
  auto idle = k->SaveLocalSettings({std::nullopt, 5});
  REQUIRE_FALSE(idle.ok());
  CHECK(idle.error().code == "settings.idle_timeout");
  CHECK(k->CurrentSettings().language != "xx");
  CHECK(k->CurrentSettings().idle_timeout_s != 5);
}
