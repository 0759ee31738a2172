// rules/people: which badge may do what. Pure: no data folder, no SQLite.
#include <doctest/doctest.h>

#include "kiosk/core/rules/people.hpp"

using namespace kiosk;

TEST_CASE("people: an action's translation key") {
  CHECK(rules::ActionKey("order demo units") == "do.order_demo_units");
  CHECK(rules::ActionKey("file sell-out reports") == "do.file_sell_out_reports");
}

TEST_CASE("people: active badges of an allowed role pass, others are refused with the reason") {
  struct Row {
    Role role;
    bool active;
    std::initializer_list<Role> roles;
    const char* code;  // "" = allowed
  };
  const Row rows[] = {
      {Role::Staff, true, {Role::Staff, Role::Admin}, ""},
      {Role::Admin, true, {Role::Staff, Role::Admin}, ""},
      {Role::Rep, true, {Role::Rep}, ""},
      {Role::Rep, true, {Role::Staff, Role::Admin}, "badge.wrong_role"},
      {Role::Staff, true, {Role::Rep}, "badge.wrong_role"},
      {Role::Staff, false, {Role::Staff}, "badge.inactive"},
      {Role::Rep, false, {Role::Staff}, "badge.inactive"},  // inactive is said first
  };
  for (const Row& r : rows) {
    Badge b{"BDG-1", "Anna", r.role, "", r.active};
    auto s = rules::CheckBadge(b, r.roles, "redeem rewards");
    CAPTURE(r.code);
    CHECK(s.ok() == (std::string(r.code).empty()));
    if (!s.ok()) {
      CHECK(s.error().code == r.code);
      CHECK(s.error().kind == ErrorKind::Refused);
    }
  }
  auto wrong = rules::CheckBadge(Badge{"BDG-2", "Jan", Role::Rep, "", true}, {Role::Staff, Role::Admin}, "redeem rewards");
  CHECK(wrong.error().message == "Only staff or admin badges can redeem rewards; BDG-2 belongs to Jan (rep).");
}
