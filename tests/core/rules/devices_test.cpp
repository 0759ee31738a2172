// rules/devices: what may go out, what may come back, due dates. Pure: no SQLite.
#include <doctest/doctest.h>

#include "kiosk/core/rules/devices.hpp"

using namespace kiosk;
using namespace std::chrono;

TEST_CASE("devices: what may be checked out and checked in, by state") {
  struct Row {
    DeviceState state;
    const char* checkout;  // "" = allowed
    const char* checkin;
  };
  const Row rows[] = {
      {DeviceState::Available, "", "device.not_out"},
      {DeviceState::CheckedOut, "device.already_out", ""},
      {DeviceState::InTransit, "device.not_available", ""},  // on its way back: check it in
      {DeviceState::Repair, "device.not_available", "device.not_out"},
      {DeviceState::Retired, "device.not_available", "device.not_out"},
  };
  for (const Row& r : rows) {
    Device d;
    d.asset_tag = "DEMO-1";
    d.state = r.state;
    d.due_date = "2026-12-01";
    CAPTURE(ToString(r.state));
    auto out = rules::CheckCheckoutUnit(d, "");
    CHECK((out.ok() ? std::string() : out.error().code) == r.checkout);
    auto in = rules::CheckCheckinUnit(d);
    CHECK((in.ok() ? std::string() : in.error().code) == r.checkin);
    CHECK(rules::IsOut(r.state) == std::string(r.checkin).empty());
  }
  Device out;
  out.asset_tag = "DEMO-2";
  out.state = DeviceState::CheckedOut;
  out.due_date = "2026-12-01";
  auto named = rules::CheckCheckoutUnit(out, "Jan");
  CHECK(named.error().variant == "to");
  CHECK(named.error().message == "DEMO-2 is already checked out to Jan, due 2026-12-01. Check it in before it can go out again.");
  Device repair;
  repair.asset_tag = "DEMO-3";
  repair.state = DeviceState::Repair;
  CHECK(rules::CheckCheckinUnit(repair).error().message == "DEMO-3 is under repair, not checked out: nothing to check in.");
}

TEST_CASE("devices: due dates") {
  const sys_days today = year{2026} / 11 / 24;
  struct Row {
    const char* due;
    const char* want;  // the date, or the refusal's code
  };
  const Row rows[] = {{"", "2026-12-08"},           {" 2026-12-01 ", "2026-12-01"}, {"2026-11-24", "2026-11-24"},
                      {"2026-11-23", "checkout.due_past"}, {"2027-05-24", "checkout.due_far"},
                      {"2027-05-23", "2027-05-23"}, {"tomorrow", "checkout.due_date"}};
  for (const Row& r : rows) {
    CAPTURE(r.due);
    auto d = rules::CheckDueDate(r.due, today, 14);
    CHECK((d.ok() ? *d : d.error().code) == r.want);
  }
}
