// rules/partners: blocked cards and suspended partners. Pure: no data folder, no SQLite.
#include <doctest/doctest.h>

#include "kiosk/core/rules/partners.hpp"

using namespace kiosk;

namespace {
Partner Make(PartnerStatus status) {
  Partner p;
  p.id = "P-1";
  p.name = "Tulostin Oy";
  p.status = status;
  return p;
}
}  // namespace

TEST_CASE("partners: a blocked card is refused in one wording, whatever is asked") {
  CHECK(rules::CheckCard("6299", CardStatus::Active, Make(PartnerStatus::Active)).ok());
  auto s = rules::CheckCard("6299", CardStatus::Blocked, Make(PartnerStatus::Active));
  REQUIRE(!s.ok());
  CHECK(s.error().code == "card.blocked");
  CHECK(s.error().message ==
        "Card 6299 is blocked by the vendor. Keep the card and ask the partner to contact their channel manager.");
}

TEST_CASE("partners: a suspended partner is refused orders, redemptions and deals, not sell-out reports") {
  struct Row {
    const char* action;
    bool refused;
  };
  const Row rows[] = {{"order demo units", true},
                      {"redeem rewards", true},
                      {"register deals", true},
                      {"file sell-out reports", false},
                      {"check in demo units", false}};
  for (const Row& r : rows) {
    CAPTURE(r.action);
    CHECK(rules::RefusedWhenSuspended(r.action) == r.refused);
    CHECK(rules::CheckActive(Make(PartnerStatus::Active), r.action).ok());
    auto s = rules::CheckActive(Make(PartnerStatus::Suspended), r.action);
    CHECK(s.ok() == !r.refused);
    if (!s.ok()) CHECK(s.error().code == "partner.suspended");
  }
}

TEST_CASE("partners: the suspended notice names every refused action") {
  const std::string n = rules::SuspendedNotice(Make(PartnerStatus::Suspended));
  CHECK(n == "this partner is suspended; orders, redemptions and deals are refused.");
}
