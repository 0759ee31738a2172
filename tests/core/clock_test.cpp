#include <doctest/doctest.h>

#include <chrono>
#include <optional>

#include "kiosk/core/clock.hpp"
#include "kiosk/core/languages.hpp"

using namespace kiosk;
using namespace std::chrono;

TEST_CASE("the fast UTC writer writes what FormatUtc writes, and the reader reads it back") {
  for (int64_t ms : {int64_t{0}, int64_t{1'764'000'000'123}, int64_t{951'782'400'000} /* 2000-02-29 */,
                     int64_t{4'102'444'799'999} /* 2099-12-31T23:59:59.999 */, int64_t{-1}}) {
    const std::string text = FormatUtc(system_clock::time_point(milliseconds(ms)));
    CHECK(FormatUtcMs(ms) == text);
    const std::optional<int64_t> back = ParseUtcMs(text);
    REQUIRE(back.has_value());
    CHECK(*back == ms);
  }
  CHECK(FormatUtcMs(1'764'000'000'123) == "2025-11-24T16:00:00.123Z");
}

TEST_CASE("a UTC time without milliseconds reads as whole seconds, and malformed text reads as nothing") {
  CHECK(ParseUtcMs("2026-11-24T13:45:01Z") == std::optional<int64_t>(1'795'527'901'000));
  CHECK(ParseUtcMs("2026-11-24T13:45:01") == std::optional<int64_t>(1'795'527'901'000));
  CHECK_FALSE(ParseUtcMs("2026-11-24").has_value());
  CHECK_FALSE(ParseUtcMs("2026-11-24 13:45:01Z").has_value());
  CHECK_FALSE(ParseUtcMs("20x6-11-24T13:45:01Z").has_value());
  CHECK_FALSE(ParseUtcMs("").has_value());
}

TEST_CASE("times for people are to the second, and dates are the UTC day") {
  const auto t = system_clock::time_point(milliseconds(1'795'527'901'999));
  CHECK(FormatUtcSeconds(t) == "2026-11-24T13:45:01Z");
  CHECK(FormatDate(t) == "2026-11-24");
  sys_days d;
  REQUIRE(ParseDate("2028-02-29", d));
  CHECK(FormatDate(d) == "2028-02-29");
  CHECK_FALSE(ParseDate("2027-02-29", d));
}

TEST_CASE("one language list: codes in order, each with its own name") {
  CHECK(LanguageList() == "en, de, fi, pl, ru");
  CHECK(std::size(kLanguages) == kLanguageCodes.size());
  CHECK(IsLanguage("fi"));
  CHECK_FALSE(IsLanguage("sv"));
  CHECK_FALSE(IsLanguage(""));
  CHECK(std::string(kLanguages[4].native_name) == "Русский");
}
