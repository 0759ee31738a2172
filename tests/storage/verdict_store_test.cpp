// storage::VerdictStore on a real kiosk database: what the sync engine writes, what the admin
// list and a partner's panel read.
#include <doctest/doctest.h>

#include "storage/verdicts.hpp"
#include "store_fixture.hpp"

using namespace kiosk;
using kiosk::storage::VerdictRow;
using kiosk::storage::VerdictStore;
using kiosk::test::StoreFixture;

namespace {
VerdictRow Row(int64_t seq, std::string verdict, std::string code = "") {
  return VerdictRow{seq, "ev-" + std::to_string(seq), std::move(verdict), std::move(code), "why", "{}",
                    "2026-11-24T10:00:00.000Z"};
}
}  // namespace

TEST_CASE("verdict store: highest seq, put, forget") {
  StoreFixture f;
  VerdictStore v(f.Db());
  CHECK(v.HighestSeq().value() == 0);
  REQUIRE(v.Put(Row(3, "rejected", "loyalty.insufficient")).ok());
  REQUIRE(v.Put(Row(5, "adjusted", "loyalty.adjusted")).ok());
  REQUIRE(v.Put(Row(7, "accepted", "clock.skewed")).ok());
  CHECK(v.HighestSeq().value() == 7);
  auto listed = v.List().value();
  REQUIRE(listed.size() == 2);  // the accepted one only with remarks
  CHECK(listed[0].seq == 3);
  CHECK(listed[0].code == "loyalty.insufficient");
  CHECK(listed[0].type.empty());  // no journal row for seq 3 here
  CHECK(v.List(true).value().size() == 3);
  REQUIRE(v.Forget(4, 7).ok());
  CHECK(v.HighestSeq().value() == 3);
  CHECK(v.List(true).value().size() == 1);
}

TEST_CASE("verdict store: a verdict seen again is replaced but keeps its shown flag") {
  StoreFixture f;
  VerdictStore v(f.Db());
  REQUIRE(v.Put(Row(2, "rejected", "first")).ok());
  REQUIRE(f.Db().Run("UPDATE verdicts SET shown = 1 WHERE seq = 2").ok());
  REQUIRE(v.Put(Row(2, "adjusted", "second")).ok());
  CHECK(f.Db().ScalarInt("SELECT shown FROM verdicts WHERE seq = 2")->value() == 1);
  auto listed = v.List().value();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].verdict == "adjusted");
  CHECK(listed[0].code == "second");
}
