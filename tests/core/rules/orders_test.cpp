// rules/orders: demo orders within the tier's quota. Pure: no SQLite.
#include <doctest/doctest.h>

#include "kiosk/core/rules/orders.hpp"

using namespace kiosk;

TEST_CASE("orders: the tier's quota counts the open units plus this order") {
  DemoModel m;
  m.gtin = "00614141000012";
  m.name = "C4500";
  m.quota[0] = 1, m.quota[1] = 2, m.quota[2] = 3, m.quota[3] = 5;
  struct Row {
    Tier tier;
    int qty;
    int64_t open;
    const char* code;  // "" = allowed
    const char* variant;
  };
  const Row rows[] = {
      {Tier::Registered, 1, 0, "", ""},        {Tier::Registered, 1, 1, "order.quota", "full"},
      {Tier::Gold, 3, 0, "", ""},              {Tier::Gold, 2, 1, "", ""},
      {Tier::Gold, 2, 2, "order.quota", ""},   {Tier::Gold, 1, 3, "order.quota", "full"},
      {Tier::Platinum, 5, 0, "", ""},          {Tier::Platinum, 6, 0, "order.quota", ""},
  };
  for (const Row& r : rows) {
    Partner p;
    p.name = "Tulostin Oy";
    p.tier = r.tier;
    CAPTURE(ToString(r.tier));
    CAPTURE(r.qty);
    CAPTURE(r.open);
    auto s = rules::CheckDemoQuota(p, m, r.qty, r.open);
    CHECK((s.ok() ? std::string() : s.error().code) == r.code);
    if (!s.ok()) CHECK(s.error().variant == r.variant);
  }
  // A tier with a quota of 0 has nothing to wait for: its own reason, not "wait until delivered".
  Partner registered;
  registered.name = "Tulostin Oy";
  registered.tier = Tier::Registered;
  m.quota[0] = 0;
  auto none = rules::CheckDemoQuota(registered, m, 1, 0);
  REQUIRE(!none.ok());
  CHECK(none.error().variant == "none");
  CHECK(none.error().message.find("Wait until") == std::string::npos);
  m.quota[0] = 1;
  Partner gold;
  gold.name = "Tulostin Oy";
  gold.tier = Tier::Gold;
  CHECK(rules::CheckDemoQuota(gold, m, 2, 2).error().message ==
        "Gold partners may have 3 open demo units of C4500 on order; Tulostin Oy has 2. Order at most 1.");
}

TEST_CASE("orders: quantity and catalogue") {
  for (int q : {1, 20}) CHECK(rules::CheckOrderQty(q).ok());
  for (int q : {0, -1, 21}) CHECK(rules::CheckOrderQty(q).error().code == "order.qty");
  DemoModel m;
  m.name = "Old";
  CHECK(rules::CheckOrderableModel(m).ok());
  m.active = false;
  CHECK(rules::CheckOrderableModel(m).error().code == "model.inactive");
}

TEST_CASE("orders: the lifecycle moves an order forward, cancels it while open, and never out of a final state") {
  using rules::OrderState;
  struct Row {
    OrderState from, to;
    const char* variant;  // nullptr = allowed
  };
  const Row rows[] = {
      {OrderState::Ordered, OrderState::Confirmed, nullptr},   {OrderState::Confirmed, OrderState::Shipped, nullptr},
      {OrderState::Shipped, OrderState::Delivered, nullptr},   {OrderState::Ordered, OrderState::Cancelled, nullptr},
      {OrderState::Confirmed, OrderState::Cancelled, nullptr}, {OrderState::Shipped, OrderState::Cancelled, nullptr},
      {OrderState::Ordered, OrderState::Shipped, ""},          {OrderState::Ordered, OrderState::Delivered, ""},
      {OrderState::Confirmed, OrderState::Ordered, ""},        {OrderState::Shipped, OrderState::Confirmed, ""},
      {OrderState::Shipped, OrderState::Shipped, "same"},      {OrderState::Delivered, OrderState::Cancelled, "final"},
      {OrderState::Cancelled, OrderState::Confirmed, "final"}, {OrderState::Rejected, OrderState::Confirmed, "final"},
      {OrderState::Delivered, OrderState::Delivered, "same"},  {OrderState::Ordered, OrderState::Rejected, ""},
  };
  for (const Row& r : rows) {
    CAPTURE(rules::ToString(r.from));
    CAPTURE(rules::ToString(r.to));
    const Status s = rules::CheckOrderTransition(r.from, r.to);
    if (!r.variant) {
      CHECK(s.ok());
      continue;
    }
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "order.transition");
    CHECK(s.error().kind == ErrorKind::Refused);
    CHECK(s.error().variant == r.variant);
  }
}

TEST_CASE("orders: state names read back, and only ordered, confirmed and shipped are open") {
  using rules::OrderState;
  for (OrderState s : {OrderState::Ordered, OrderState::Confirmed, OrderState::Shipped, OrderState::Delivered,
                       OrderState::Cancelled, OrderState::Rejected}) {
    CAPTURE(rules::ToString(s));
    CHECK(rules::ParseOrderState(rules::ToString(s)) == s);
    CHECK(rules::IsOpen(s) == (s == OrderState::Ordered || s == OrderState::Confirmed || s == OrderState::Shipped));
  }
  CHECK_FALSE(rules::ParseOrderState("open").has_value());
  CHECK_FALSE(rules::ParseOrderState("Shipped").has_value());
}
