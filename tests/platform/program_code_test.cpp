// ReleaseProgramCode on this very test program: every executable segment of its own is released,
// and its code runs on from the page cache. (That the pages really leave the resident set is
// checked on the touchscreen, whose code is large enough to measure: tests/ui/code_release_test.sh.
// This program's is two fault-around windows, mapped back at once by the next line it runs.)
#include "platform/program_code.hpp"

#include <doctest/doctest.h>

namespace {

int Collatz(long n) {  // some of this program's own code to run after the release
  int steps = 0;
  while (n != 1) {
    n = n % 2 ? 3 * n + 1 : n / 2;
    ++steps;
  }
  return steps;
}

}  // namespace

TEST_CASE("the program's code pages are released, and its code runs on") {
  const kiosk::platform::ReleasedCode r = kiosk::platform::ReleaseProgramCode();
  if (r.traced) {
    MESSAGE("under a debugger: ReleaseProgramCode did nothing, as it should");
    CHECK(r.bytes == 0);
    return;
  }
  CHECK(r.segments >= 1);
  CHECK(r.bytes > 0);
  CHECK(r.error == 0);
  CHECK(Collatz(27) == 111);
  const kiosk::platform::ReleasedCode again = kiosk::platform::ReleaseProgramCode();
  CHECK(again.bytes == r.bytes);
  CHECK(again.segments == r.segments);
  CHECK(Collatz(97) == 118);
}
