// storage::ReferenceStore on a real kiosk database: applying the demo showroom and deltas, and
// the lookups the services make.
#include <doctest/doctest.h>

#include "kiosk/core/reference.hpp"
#include "storage/reference_store.hpp"
#include "store_fixture.hpp"

using namespace kiosk;
using kiosk::storage::ReferenceStore;
using kiosk::test::StoreFixture;

namespace {

Status ApplyInTransaction(storage::Db& db, const ReferenceDoc& doc) {
  storage::Transaction tx(db);
  KIOSK_TRY(tx.Begin());
  KIOSK_TRY(ReferenceStore(db).Apply(doc));
  return tx.Commit();
}

// The demo showroom applied to a fresh database.
struct Showroom : StoreFixture {
  Showroom() {
    auto doc = ParseReferenceFile(test::DemoReference());
    REQUIRE(doc.ok());
    REQUIRE(ApplyInTransaction(Db(), *doc).ok());
  }
  ReferenceStore Store() { return ReferenceStore(Db()); }
};

ReferenceDoc Delta(const std::string& lists) {
  auto doc = ParseReference(R"({"format": "showroom-kiosk/reference", "format_version": 1, "version": 2,
                                "full": false, "base_version": 1, )" + lists + "}");
  if (!doc.ok()) FAIL(doc.error().message);
  return *doc;
}

}  // namespace

TEST_CASE("reference store: the demo showroom's rows come back as domain structs") {
  Showroom f;
  ReferenceStore s = f.Store();
  auto counts = s.Count();
  CHECK(counts.partners == 13);
  CHECK(counts.cards == 23);
  CHECK(counts.badges == 11);
  CHECK(counts.models == 11);
  CHECK(counts.devices == 44);
  CHECK(counts.rewards == 14);

  auto badge = s.FindBadge("BDG-10017").value();
  REQUIRE(badge);
  CHECK(badge->name == "Anna Virtanen");
  CHECK(badge->role == Role::Staff);
  CHECK(badge->active);
  CHECK_FALSE(s.FindBadge("BDG-00000").value());

  auto card = s.FindCard(test::demo::kGoldCard).value();
  REQUIRE(card);
  CHECK(card->number == test::demo::kGoldCard);
  CHECK(card->partner_id == "P-FI-0001");
  CHECK(card->status == CardStatus::Active);
  CHECK_FALSE(s.FindCard("6299000000000000").value());

  auto partner = s.FindPartner("P-FI-0001").value();
  REQUIRE(partner);
  CHECK(partner->name == "Tulostin Oy");
  CHECK(partner->tier == Tier::Gold);
  CHECK(partner->type == PartnerType::SolutionProvider);
  CHECK(partner->certified_sales == 3);
  REQUIRE(partner->next_tier.size() == 4);
  CHECK(partner->next_tier[0].key == "revenue_eur");
  CHECK(partner->next_tier[0].need == 1000000);

  auto balance = s.BalanceOf("P-FI-0001").value();
  CHECK(balance.available == 24500);
  CHECK(balance.pending == 3200);
  CHECK(s.BalanceOf("P-NONE").value().available == 0);

  auto model = s.FindModel("00614141000012").value();
  REQUIRE(model);
  CHECK(model->name == "Colour MFP A3 C4500");
  CHECK(model->quota[static_cast<int>(Tier::Platinum)] == 5);
  CHECK(s.LargestQuota(Tier::Platinum).value() == 8);
  CHECK(s.LargestQuota(Tier::Registered).value() == 2);

  auto reward = s.FindReward("R-001").value();
  REQUIRE(reward);
  CHECK(reward->points == 500);
  CHECK(reward->stock == 40);
}

TEST_CASE("reference store: a scan's card holder and model name agree with the whole rows") {
  Showroom f;
  ReferenceStore s = f.Store();
  for (const char* number : {test::demo::kGoldCard, test::demo::kSuspendedCard, test::demo::kBlockedCard,
                             test::demo::kCascadeCard}) {
    INFO(number);
    auto card = s.FindCard(number).value();
    auto holder = s.FindCardHolder(number).value();
    REQUIRE(card);
    REQUIRE(holder);
    auto partner = s.FindPartner(card->partner_id).value();
    REQUIRE(partner);
    CHECK(holder->partner_id == partner->id);
    CHECK(holder->name == partner->name);
    CHECK(holder->tier == partner->tier);
    CHECK(holder->status == partner->status);
    CHECK(holder->card_status == card->status);
  }
  CHECK(s.FindCardHolder(test::demo::kBlockedCard).value()->card_status == CardStatus::Blocked);
  CHECK(s.FindCardHolder(test::demo::kSuspendedCard).value()->status == PartnerStatus::Suspended);
  CHECK_FALSE(s.FindCardHolder("6299000000000000").value());
  CHECK_FALSE(s.FindCardHolder("P-FI-0001").value());  // a partner id is not a card

  CHECK(s.FindModelName("00614141000012").value() == std::optional<std::string>("Colour MFP A3 C4500"));
  CHECK_FALSE(s.FindModelName("00000000000000").value());
}

TEST_CASE("reference store: devices by tag, by GTIN and serial, and by kit") {
  Showroom f;
  ReferenceStore s = f.Store();
  auto d = s.FindDevice("DEMO-00001").value();
  REQUIRE(d);
  CHECK(d->gtin == "00614141000012");
  CHECK(d->serial == "C45A0114351");
  CHECK(d->kit == "KIT-0001");
  CHECK(d->state == DeviceState::Available);
  CHECK(d->location == "Showroom A, bay 1");
  auto same = s.FindDevice("00614141000012", "C45A0114351").value();
  REQUIRE(same);
  CHECK(same->asset_tag == "DEMO-00001");
  CHECK_FALSE(s.FindDevice("00614141000012", "NO-SUCH").value());
  auto kit = s.KitMembers("KIT-0001").value();
  REQUIRE(kit.size() == 3);
  CHECK(kit[0].asset_tag == "DEMO-00001");
  CHECK(kit[2].asset_tag == "DEMO-00003");
  CHECK(s.KitMembers("").value().empty());
  auto overdue = s.FindDevice(test::demo::kOverdue).value();
  REQUIRE(overdue);
  CHECK(overdue->state == DeviceState::CheckedOut);
  CHECK(overdue->due_date == "2026-11-17");
}

TEST_CASE("reference store: active catalogue lists leave out inactive entries, in their order") {
  Showroom f;
  ReferenceStore s = f.Store();
  auto models = s.ActiveModels().value();
  CHECK(models.size() == 10);  // "Mono Printer A4 P1500" is inactive
  for (size_t i = 1; i < models.size(); ++i) CHECK(models[i - 1].name <= models[i].name);
  auto rewards = s.ActiveRewards().value();
  REQUIRE(rewards.size() == 13);  // R-014 is inactive
  CHECK(rewards.front().id == "R-001");
  CHECK(rewards.back().id == "R-013");
}

TEST_CASE("reference store: the published settings replace the defaults") {
  StoreFixture f;
  ReferenceStore s(f.Db());
  CHECK(s.LoadSettings().stale_hours == Settings{}.stale_hours);  // none published yet
  auto doc = ParseReference(R"({"format": "showroom-kiosk/reference", "format_version": 1, "version": 1,
                                "full": true, "settings": {"stale_hours": 12, "default_loan_days": 3,
                                "offline_kiosk_points_cap": 777, "language": "fi"}})");
  REQUIRE(doc.ok());
  REQUIRE(ApplyInTransaction(f.Db(), *doc).ok());
  Settings st = s.LoadSettings();
  CHECK(st.stale_hours == 12);
  CHECK(st.default_loan_days == 3);
  CHECK(st.offline_kiosk_points_cap == 777);
  CHECK(st.language == "fi");
}

TEST_CASE("reference store: a delta upserts and deletes, and keeps the rest") {
  Showroom f;
  REQUIRE(ApplyInTransaction(f.Db(), Delta(R"("partners": [{"id": "P-FI-0001", "deleted": true}],
      "rewards": [{"id": "R-001", "name": "Mug", "points": 600, "stock": 5, "active": true}],
      "devices": [{"asset_tag": "DEMO-00001", "deleted": true}])")).ok());
  ReferenceStore s = f.Store();
  CHECK_FALSE(s.FindPartner("P-FI-0001").value());
  CHECK_FALSE(s.FindCard(test::demo::kGoldCard).value());  // its cards go with it
  CHECK_FALSE(s.FindDevice("DEMO-00001").value());
  CHECK(s.FindDevice("DEMO-00002").value());
  auto mug = s.FindReward("R-001").value();
  REQUIRE(mug);
  CHECK(mug->name == "Mug");
  CHECK(mug->points == 600);
  CHECK(s.Count().partners == 12);
}

TEST_CASE("reference store: a card or balance of an unknown partner, or a unit of an unknown model, is refused") {
  Showroom f;
  auto card = ApplyInTransaction(
      f.Db(), Delta(R"("cards": [{"number": "6299000000000001", "partner_id": "P-NONE", "status": "active"}])"));
  REQUIRE_FALSE(card.ok());
  CHECK(card.error().code == "reference.invalid");
  CHECK(card.error().message == "/cards/0/partner_id: no partner 'P-NONE'");
  auto balance = ApplyInTransaction(f.Db(), Delta(R"("balances": [{"partner_id": "P-NONE", "available": 5}])"));
  REQUIRE_FALSE(balance.ok());
  CHECK(balance.error().message == "/balances/0/partner_id: no partner 'P-NONE'");
  auto device = ApplyInTransaction(
      f.Db(), Delta(R"("devices": [{"asset_tag": "DEMO-09999", "gtin": "00614141999996", "serial": "X1",
                                    "state": "available"}])"));
  REQUIRE_FALSE(device.ok());
  CHECK(device.error().message == "/devices/0/gtin: no model with GTIN '00614141999996'");
  CHECK_FALSE(f.Store().FindDevice("DEMO-09999").value());
  CHECK_FALSE(f.Store().FindCard("6299000000000001").value());
}

TEST_CASE("reference store: a full snapshot replaces every reference table") {
  Showroom f;
  auto doc = ParseReference(R"({"format": "showroom-kiosk/reference", "format_version": 1, "version": 5,
      "full": true, "partners": [{"id": "P-X", "name": "X Oy", "country": "FI", "region": "Nordics",
      "tier": "silver", "type": "var", "authorization": "authorized", "status": "active",
      "certified_sales": 0, "certified_technical": 0}]})");
  REQUIRE(doc.ok());
  REQUIRE(ApplyInTransaction(f.Db(), *doc).ok());
  auto counts = f.Store().Count();
  CHECK(counts.partners == 1);
  CHECK(counts.cards == 0);
  CHECK(counts.devices == 0);
  CHECK(counts.rewards == 0);
  CHECK(f.Store().FindPartner("P-X").value()->tier == Tier::Silver);
}
