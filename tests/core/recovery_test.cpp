// kiosk/core/recovery: the "replaces" link a re-logged event carries, and the fork record the
// kiosk keeps until it is recovered. The recovery itself runs against a real central in
// tests/sync/recover_test.cpp (it needs the central's signed anchor).
#include <doctest/doctest.h>

#include "kiosk/core/events.hpp"
#include "kiosk/core/recovery.hpp"

using namespace kiosk;

TEST_CASE("recovery: a payload with its replaces link stays compact and sorted, and every reader still reads it") {
  const events::LoyaltyRedeemed r{.partner_id = "P-FI-0001", .reward_id = "R-001", .qty = 1, .points = 500};
  const Replaces link{7, std::string(64, 'a'), "0190a1b2-0000-7000-8000-000000000001", "2026-12-05T10:00:00.000Z"};
  auto with = PayloadWithReplaces(r.Dump(), link);
  REQUIRE(with.ok());
  CHECK(with->find(' ') == std::string::npos);
  CHECK(with->find("\"replaces\":{\"event_id\":") != std::string::npos);
  CHECK(with->find("\"reward_id\":\"R-001\"") > with->find("\"replaces\""));  // sorted: replaces < reward_id
  CHECK(ReadReplaces(*with) == link);
  auto back = events::LoyaltyRedeemed::FromJson(*with);
  REQUIRE(back.ok());
  CHECK(*back == r);
  CHECK_FALSE(ReadReplaces(r.Dump()).has_value());
  CHECK_FALSE(ReadReplaces(R"({"replaces":"seq 7"})").has_value());
  CHECK_FALSE(PayloadWithReplaces("[1,2]", link).ok());
}

TEST_CASE("recovery: the fork record round-trips, and an unknown kind reads as none") {
  const JournalFork f{"fork", 12, 7, 6, "2026-12-05T10:00:00.000Z", "sync"};
  auto back = JournalForkFromJsonText(JournalForkToJsonText(f));
  REQUIRE(back.has_value());
  CHECK(back->kind == "fork");
  CHECK(back->central_seq == 12);
  CHECK(back->local_seq == 7);
  CHECK(back->fork_seq == 6);
  CHECK(back->via == "sync");
  CHECK_FALSE(JournalForkFromJsonText("").has_value());
  CHECK_FALSE(JournalForkFromJsonText(R"({"kind":"other"})").has_value());
  const Error e = JournalForkRefusal(f);
  CHECK(e.code == "journal.forked");
  CHECK(e.kind == ErrorKind::Refused);
  CHECK(e.message.find("up to seq 12") != std::string::npos);
}
