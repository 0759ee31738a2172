// The showroom actions on a real demo data folder: what they log, and every refusal.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "kiosk/core/crypto.hpp"
#include "storage/db.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;
using namespace std::chrono;

namespace {
struct Fixture {
  TempDir dir;
  ManualClock clock{DemoDay()};
  std::unique_ptr<Kiosk> k = MakeDemoKiosk(dir.path(), clock);
  int64_t LastSeq() { return k->Status().last_seq; }
};
}  // namespace

TEST_CASE_FIXTURE(Fixture, "init logs kiosk.initialized and reference.loaded, chained from genesis") {
  auto events = k->Journal(1, 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].type == "kiosk.initialized");
  CHECK((*events)[0].prev_hash == GenesisHash("KIOSK-TEST-01"));
  CHECK((*events)[1].type == "reference.loaded");
  CHECK((*events)[1].prev_hash == (*events)[0].hash);
  auto again = Kiosk::Init({.data_dir = dir.path()});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "init.exists");
}

TEST_CASE_FIXTURE(Fixture, "scans resolve to cards, badges and units, unknown barcodes are told apart") {
  CHECK(k->Resolve(demo::kGoldCard)->kind == EntityKind::PartnerCard);
  CHECK(k->Resolve(demo::kGoldCard)->label == "Tulostin Oy (Gold)");
  CHECK(k->Resolve(demo::kStaff)->kind == EntityKind::Badge);
  CHECK(k->Resolve(demo::kAvailable)->kind == EntityKind::Device);
  auto gs1 = k->Resolve(demo::kAvailableGs1);
  REQUIRE(gs1.ok());
  CHECK(gs1->kind == EntityKind::Device);
  CHECK(gs1->key == demo::kAvailable);
  auto raw = k->Resolve("]C1010061414100003621C22B3780490");
  REQUIRE(raw.ok());
  CHECK(raw->key == demo::kAvailable);
  auto unknown = k->Resolve("HELLO-WORLD");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "barcode.unknown");
  auto bad_digit = k->Resolve("(01)00614141000037(21)X1");
  REQUIRE_FALSE(bad_digit.ok());
  CHECK(bad_digit.error().message.find("check digit") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "checkout logs one event, moves the unit and refuses a second checkout") {
  const int64_t before = LastSeq();
  auto r = k->Checkout({.codes = {demo::kAvailableGs1}, .rep_badge = demo::kRep, .purpose = "Demo at Acme"});
  REQUIRE(r.ok());
  CHECK(r->seq == before + 1);
  CHECK(r->type == "device.checked_out");
  CHECK(r->payload["due_date"] == "2026-12-08");  // today + 14 days by default
  CHECK(r->payload["devices"][0]["asset_tag"] == demo::kAvailable);
  auto d = k->GetDevice(demo::kAvailable);
  CHECK(d->device.state == DeviceState::CheckedOut);
  CHECK(d->device.custodian == demo::kRep);
  CHECK(d->history.size() == 1);

  auto again = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "device.already_out");
  CHECK(again.error().kind == ErrorKind::Refused);
  CHECK(LastSeq() == before + 1);  // a refusal logs nothing
}

TEST_CASE_FIXTURE(Fixture, "a checkout keeps the drawn signature as evidence, or says that none was given") {
  const int64_t before = LastSeq();
  // A malformed drawing is refused before anything is logged.
  auto bad = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep, .signature_svg = "M1 1 Z"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "signature.invalid");
  CHECK(LastSeq() == before);

  auto r = k->Checkout({.codes = {demo::kAvailable},
                        .rep_badge = demo::kRep,
                        .signature_svg = "M10 40 L12 41 L15 43 M60 30 L61 35"});
  REQUIRE(r.ok());
  CHECK(r->payload["signature"] == "M10 40l2 1 3 2M60 30l1 5");
  CHECK(r->payload["signature_sha256"] == crypto::Sha256Hex("M10 40l2 1 3 2M60 30l1 5"));
  CHECK_FALSE(r->payload.contains("signature_none"));
  auto sig = k->SignatureOf(r->seq);
  REQUIRE(sig.ok());
  CHECK(sig->path == "M10 40l2 1 3 2M60 30l1 5");
  CHECK(sig->rep == demo::kRep);
  CHECK(sig->asset_tags == std::vector<std::string>{demo::kAvailable});

  REQUIRE(k->Checkin({.codes = {demo::kAvailable}, .by_badge = demo::kStaff}).ok());
  auto unsigned_out = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep,
                                   .no_signature_reason = "rep signed the paper form"});
  REQUIRE(unsigned_out.ok());
  CHECK(unsigned_out->payload["signature_none"] == "rep signed the paper form");
  CHECK_FALSE(unsigned_out->payload.contains("signature"));
  auto none = k->SignatureOf(unsigned_out->seq);
  REQUIRE(none.ok());
  CHECK(none->path.empty());
  CHECK(none->none_reason == "rep signed the paper form");

  // Not a checkout, and not there at all.
  auto checkin = k->SignatureOf(unsigned_out->seq - 1);
  REQUIRE_FALSE(checkin.ok());
  CHECK(checkin.error().code == "signature.not_checkout");
  CHECK(k->SignatureOf(LastSeq() + 5).error().code == "signature.no_event");
}

TEST_CASE_FIXTURE(Fixture, "only an active rep badge can check out") {
  auto staff = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kStaff});
  CHECK(staff.error().code == "badge.wrong_role");
  auto inactive = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kInactiveBadge});
  CHECK(inactive.error().code == "badge.inactive");
  auto unknown = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = "BDG-99999"});
  CHECK(unknown.error().code == "badge.unknown");
  CHECK(unknown.error().kind == ErrorKind::NotFound);
  auto no_unit = k->Checkout({.codes = {"DEMO-99999"}, .rep_badge = demo::kRep});
  CHECK(no_unit.error().code == "device.unknown");
}

TEST_CASE_FIXTURE(Fixture, "a kit moves together, out and back in") {
  auto r = k->Checkout({.codes = {demo::kKitMember}, .rep_badge = demo::kRep});
  REQUIRE(r.ok());
  CHECK(r->payload["devices"].size() == 3);
  for (const char* tag : {"DEMO-00001", "DEMO-00002", "DEMO-00003"})
    CHECK(k->GetDevice(tag)->device.state == DeviceState::CheckedOut);
  auto back = k->Checkin({.codes = {"DEMO-00001"}, .by_badge = demo::kStaff});
  REQUIRE(back.ok());
  for (const char* tag : {"DEMO-00001", "DEMO-00002", "DEMO-00003"})
    CHECK(k->GetDevice(tag)->device.state == DeviceState::Available);
}

TEST_CASE_FIXTURE(Fixture, "due dates: explicit, past and malformed") {
  CHECK(k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep, .due_date = "2026-11-20"}).error().code ==
        "checkout.due_past");
  CHECK(k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep, .due_date = "2026-02-30"}).error().code ==
        "checkout.due_date");
  auto ok = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep, .due_date = "2026-12-01"});
  REQUIRE(ok.ok());
  CHECK(k->GetDevice(demo::kAvailable)->device.due_date == "2026-12-01");
}

TEST_CASE_FIXTURE(Fixture, "overdue units are listed and check-in notes the condition") {
  auto overdue = k->Overdue();
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0].device.asset_tag == demo::kOverdue);
  CHECK(overdue[0].overdue);
  auto r = k->Checkin({.codes = {demo::kOverdue}, .by_badge = demo::kRepWithOverdue, .condition = "damaged: cracked lid"});
  REQUIRE(r.ok());
  CHECK(r->payload["state_after"] == "repair");
  CHECK(r->payload["devices"][0]["from"] == demo::kRepWithOverdue);
  CHECK(k->GetDevice(demo::kOverdue)->device.state == DeviceState::Repair);
  CHECK(k->Overdue().empty());
  auto not_out = k->Checkin({.codes = {demo::kAvailable}, .by_badge = demo::kStaff});
  CHECK(not_out.error().code == "device.not_out");
}

TEST_CASE_FIXTURE(Fixture, "status: the sync state alone, or with the counts of every table") {
  auto r = k->Checkout({.codes = {demo::kAvailable}, .rep_badge = demo::kRep});
  REQUIRE(r.ok());
  const StatusView full = k->Status();
  CHECK(full.counted);
  CHECK(full.journal_events == full.last_seq);
  CHECK(full.devices == 44);
  CHECK(full.devices_out >= 2);       // the demo's overdue unit and the one just checked out
  CHECK(full.devices_overdue == 1);
  CHECK(full.partners > 0);
  const StatusView light = k->Status(Kiosk::StatusDetail::kSyncState);
  CHECK_FALSE(light.counted);
  CHECK(light.devices == 0);
  CHECK(light.journal_events == 0);
  CHECK(light.last_seq == full.last_seq);
  CHECK(light.last_hash == full.last_hash);
  CHECK(light.pending_events == full.pending_events);
  CHECK(light.pending_events == full.last_seq);  // never synced
  CHECK(light.oldest_pending == full.oldest_pending);
  CHECK(light.stale == full.stale);
  CHECK(light.database_health == "ok");
}

TEST_CASE_FIXTURE(Fixture, "a stocktake records units and flags those recorded elsewhere") {
  auto r = k->Audit({.codes = {demo::kAvailable, demo::kOverdue}, .by_badge = demo::kStaff});
  REQUIRE(r.ok());
  CHECK(r->type == "device.audited");
  REQUIRE(r->warnings.size() == 1);
  CHECK(r->warnings[0].message.find(demo::kOverdue) != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "demo orders stay within the tier's quota, suspended partners can't order") {
  const std::string c4500 = "00614141000012";
  auto model = k->Models();
  REQUIRE_FALSE(model.empty());
  // Find the quota of the first model for Gold, then fill it.
  const DemoModel m = model.front();
  const int quota = m.quota[static_cast<int>(Tier::Gold)];
  REQUIRE(quota >= 1);
  for (int i = 0; i < quota; ++i)
    REQUIRE(k->OrderDemo({.partner_card = demo::kGoldCard, .model_gtin = m.gtin, .by_badge = demo::kStaff}).ok());
  auto over = k->OrderDemo({.partner_card = demo::kGoldCard, .model_gtin = m.gtin, .by_badge = demo::kStaff});
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == "order.quota");
  CHECK(over.error().message.find("Gold partners may have") != std::string::npos);
  auto suspended = k->OrderDemo({.partner_card = demo::kSuspendedCard, .model_gtin = m.gtin, .by_badge = demo::kStaff});
  CHECK(suspended.error().code == "partner.suspended");
  auto blocked = k->OrderDemo({.partner_card = demo::kBlockedCard, .model_gtin = m.gtin, .by_badge = demo::kStaff});
  CHECK(blocked.error().code == "card.blocked");
  CHECK(k->GetPartner(demo::kGoldCard)->open_demo_orders == quota);
}

TEST_CASE_FIXTURE(Fixture, "sell-out: a serial can be reported once, never a demo unit") {
  const std::string unit = "(01)00614141000043(21)M18B9000001";
  auto r = k->ReportSellout({.partner_card = demo::kGoldCard, .codes = {unit}, .by_badge = demo::kStaff});
  REQUIRE(r.ok());
  CHECK(r->payload["units"][0]["serial"] == "M18B9000001");
  auto twice = k->ReportSellout({.partner_card = demo::kGoldCard, .codes = {unit}, .by_badge = demo::kStaff});
  CHECK(twice.error().code == "sellout.duplicate");
  auto demo_unit = k->ReportSellout({.partner_card = demo::kGoldCard, .codes = {demo::kAvailableGs1}, .by_badge = demo::kStaff});
  CHECK(demo_unit.error().code == "sellout.demo_unit");
  auto no_serial = k->ReportSellout({.partner_card = demo::kGoldCard, .codes = {"(01)00614141000043"}, .by_badge = demo::kStaff});
  CHECK(no_serial.error().code == "sellout.no_serial");
}

TEST_CASE_FIXTURE(Fixture, "deal registration validates its fields and stays pending") {
  DealRequest d{.partner_card = demo::kGoldCard, .customer = "Helsingin Kaupunki", .product = "12 × C4500 + print management",
                .value = 48500, .close_date = "2027-01-31", .by_badge = demo::kStaff};
  auto r = k->RegisterDeal(d);
  REQUIRE(r.ok());
  CHECK(r->payload["value_eur_cents"] == 4850000);
  auto past = d;
  past.close_date = "2026-01-01";
  CHECK(k->RegisterDeal(past).error().code == "deal.close_past");
  auto no_value = d;
  no_value.value = 0;
  CHECK(k->RegisterDeal(no_value).error().code == "deal.value");
  auto no_customer = d;
  no_customer.customer = "   ";
  CHECK(k->RegisterDeal(no_customer).error().code == "deal.customer");
}

TEST_CASE_FIXTURE(Fixture, "a deal waits for the vendor 2 business days, then is overdue, until the decision arrives") {
  // DemoDay is a Tuesday, 10:00 UTC: the vendor's decision is due on Thursday at 10:00.
  DealRequest d{.partner_card = demo::kGoldCard, .customer = "Acme Oy", .product = "C4500 fleet", .value = 900,
                .close_date = "2027-01-31", .by_badge = demo::kStaff};
  auto r = k->RegisterDeal(d);
  REQUIRE(r.ok());
  CHECK(r->message.find("the vendor decides by 2026-11-26") != std::string::npos);
  CHECK(std::find(r->args.begin(), r->args.end(), std::pair<std::string, std::string>{"due", "2026-11-26"}) !=
        r->args.end());
  auto deals = k->Deals(demo::kGoldCard);
  REQUIRE(deals.ok());
  REQUIRE(deals->size() == 1);
  const DealView& v = deals->front();
  CHECK(v.seq == r->seq);
  CHECK(v.partner_name == "Tulostin Oy");
  CHECK(v.status == "pending");
  CHECK(v.due == "2026-11-26T10:00:00Z");
  CHECK(v.due_date == "2026-11-26");
  CHECK_FALSE(v.overdue);
  clock.Advance(hours{26});
  CHECK(k->Deals()->front().age == "1 d 2 h");
  CHECK(k->Deals()->front().age_minutes == 26 * 60);
  CHECK_FALSE(k->Deals()->front().overdue);
  clock.Advance(hours{23});  // Thursday 11:00
  CHECK(k->Deals()->front().overdue);
  CHECK(k->Deals("P-PL-0001")->empty());  // by partner id too
  CHECK(k->Deals("6299000000000000").error().kind == ErrorKind::NotFound);

  // The vendor's decision comes with the reference data: the age stops at the decision.
  const int64_t version = k->Status().reference_version;
  nlohmann::json delta{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", version + 1},
                       {"full", false}, {"base_version", version}, {"generated_at", "2026-11-26T12:00:00Z"},
                       {"deal_decisions", {{{"seq", r->seq}, {"status", "rejected"}, {"message", "Rejected by the vendor: x"},
                                            {"decided_at", "2026-11-26T10:00:00.000Z"}, {"reason", "Served direct"}}}}};
  REQUIRE(k->LoadReference(delta.dump()).ok());
  clock.Advance(hours{48});
  const DealView decided = k->Deals()->front();
  CHECK(decided.status == "rejected");
  CHECK(decided.reason == "Served direct");
  CHECK(decided.decided_at == "2026-11-26T10:00:00.000Z");
  CHECK(decided.age == "2 d 0 h");
  CHECK_FALSE(decided.overdue);
}

TEST_CASE_FIXTURE(Fixture, "admin PIN: right PIN unlocks, 5 wrong PINs lock for 5 minutes, across restarts") {
  CHECK(k->UnlockAdmin(demo::kAdmin, demo::kAdminPin).ok());
  CHECK(k->UnlockAdmin(demo::kStaff, demo::kAdminPin).error().code == "badge.wrong_role");
  for (int i = 1; i <= 4; ++i) {
    auto r = k->UnlockAdmin(demo::kAdmin, "0000");
    CHECK(r.error().code == "admin.wrong_pin");
    CHECK(r.error().message.find(std::to_string(5 - i) + (5 - i == 1 ? " try" : " tries")) != std::string::npos);
  }
  CHECK(k->UnlockAdmin(demo::kAdmin, "0000").error().code == "admin.locked");
  k.reset();
  k = std::move(Kiosk::Open({.data_dir = dir.path(), .clock = &clock}).value());
  auto locked = k->UnlockAdmin(demo::kAdmin, demo::kAdminPin);  // even the right PIN waits
  CHECK(locked.error().code == "admin.locked");
  clock.Advance(minutes(5) + seconds(1));
  CHECK(k->UnlockAdmin(demo::kAdmin, demo::kAdminPin).ok());
  // The failures are in the journal.
  int failed = 0, lockouts = 0;
  for (const auto& e : *k->Journal(1, 100)) {
    failed += e.type == "admin.pin_failed";
    lockouts += e.type == "admin.locked_out";
  }
  CHECK(failed == 4);
  CHECK(lockouts == 1);
}

TEST_CASE_FIXTURE(Fixture, "a partner view shows tier progress and the points picture") {
  auto p = k->GetPartner(demo::kGoldCard);
  REQUIRE(p.ok());
  CHECK(p->partner.tier == Tier::Gold);
  CHECK(p->balance.available == 24500);
  CHECK(p->available_points == 24500);
  CHECK_FALSE(p->partner.next_tier.empty());
  auto blocked = k->GetPartner(demo::kBlockedCard);
  REQUIRE(blocked.ok());  // a blocked card can be looked at, not used
  CHECK(blocked->card_status == CardStatus::Blocked);
  CHECK(k->GetPartner("6299000000000099").error().code == "card.invalid");  // Luhn fails
  CHECK(k->GetPartner("6299000000000015").error().code == "partner.unknown");
}

TEST_CASE("init --demo moves the demo's due dates to today: one unit a week overdue, on any day") {
  TempDir dir;
  ManualClock later{DemoDay() + days{9}};  // the demo was made on DemoDay(); DEMO-00024 was due 3 days after it
  auto id = Kiosk::Init({.data_dir = dir.path(), .kiosk_id = "KIOSK-TEST-01", .reference_file = DemoReference(),
                         .clock = &later, .move_dates_to_today = true});
  REQUIRE(id.ok());
  auto k = Kiosk::Open({.data_dir = dir.path(), .clock = &later});
  REQUIRE(k.ok());
  auto overdue = (*k)->Overdue();
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0].device.asset_tag == "DEMO-00008");
  CHECK(overdue[0].device.due_date == "2026-11-26");  // 2026-11-17 in the file, 7 days before its day
  CHECK((*k)->GetDevice("DEMO-00024")->device.due_date == "2026-12-06");

  // Loaded as the file has them, the same day finds a second unit overdue.
  TempDir plain_dir;
  auto plain = MakeDemoKiosk(plain_dir.path(), later);
  CHECK(plain->Overdue().size() == 2);

  // Nothing else in the document changes; text that is no reference document stays as it was.
  const std::string doc = R"({"generated_at":"2026-11-24T08:00:00Z","devices":[{"asset_tag":"A","due_date":""}]})";
  CHECK(nlohmann::json::parse(MoveDatesToToday(doc, DemoDay() + days{40})) ==
        nlohmann::json::parse(R"({"generated_at":"2027-01-03T08:00:00Z","devices":[{"asset_tag":"A","due_date":""}]})"));
  CHECK(MoveDatesToToday("not json", DemoDay() + days{3}) == "not json");
}
