// The USB-only showroom (issue 17, item 6): a kiosk enrolled once over the network, then synced
// only by stick. Its data goes stale; a stick round trip (export, import, export-reference,
// import-receipt, import-reference) makes it fresh again with the central's verdicts, balances and
// deal decisions, as a network sync would, and not one request leaves the kiosk after enrolment.
// Runs on both central stores (sync_tests on PostgreSQL).
#include <doctest/doctest.h>

#include <fstream>

#include "fakes/fake_http.hpp"
#include "sync/sync_fixture.hpp"

using nlohmann::json;
using kiosk::test::CentralFixture;
using kiosk::test::OpenKioskDb;
using kiosk::test::TestKiosk;
namespace ksync = kiosk::sync;
namespace fs = std::filesystem;

namespace {

const char* kCard = "6299246000100012";  // P-FI-0001, 24,500 points
const char* kStaff = "BDG-10017";

// Counts the requests the kiosk tries: a stick-only kiosk makes none.
using NoNetwork = kiosk::test::DownHttp;

// A kiosk of the showroom on its own clock, reopened over the data folder of an enrolled TestKiosk.
struct StickKiosk {
  kiosk::ManualClock clock{std::chrono::system_clock::now()};
  std::unique_ptr<kiosk::Kiosk> kiosk;
  NoNetwork http;
  std::unique_ptr<ksync::SyncEngine> engine;
  explicit StickKiosk(const fs::path& dir) {
    kiosk = std::move(kiosk::Kiosk::Open({.data_dir = dir, .clock = &clock}).value());
    engine = std::make_unique<ksync::SyncEngine>(*kiosk, http);
  }
  int64_t Head() { return kiosk->Status(kiosk::Kiosk::StatusDetail::kSyncState).last_seq; }
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("USB-only showroom: stale to fresh with no network, verdicts and the central's balance included") {
  CentralFixture c;
  c.LoadDemoReference();
  REQUIRE(c.central->SetDealPolicy({true, 0}).ok());  // deals approved on arrival (the default: pending)
  // Another showroom, online, redeems first: the stick kiosk's redemption will be adjusted.
  TestKiosk online(c.dir, "KIOSK-NET");
  online.Enrol(c);
  REQUIRE(online.kiosk->Redeem({kCard, "R-007", 1, kStaff}).ok());  // 15,000 of 24,500
  REQUIRE(online.engine->RunOnce().ok());

  // The stick showroom: enrolled once over the network, then never again.
  fs::path dir;
  {
    TestKiosk enrol(c.dir, "KIOSK-STICK");
    enrol.Enrol(c);
    dir = enrol.dir;
  }
  StickKiosk k(dir);
  const std::string id = k.kiosk->KioskId();
  REQUIRE(k.kiosk->Redeem({kCard, "R-007", 1, kStaff}).ok());  // offline: another 15,000
  const int64_t redeem_seq = k.Head();
  REQUIRE(k.kiosk->RegisterDeal({kCard, "Acme Oy", "C4500 fleet", 25000, "2027-06-30", kStaff}).ok());

  // Four days pass at the showroom and at the central: the data is stale, the guard refuses.
  k.clock.Advance(std::chrono::hours(96));
  kiosk::ManualClock central_clock(k.clock.Now());
  kiosk::central::Central central(*c.store, central_clock);  // the central's command line, days later
  REQUIRE(central.Init().ok());
  CHECK(k.kiosk->Status().stale);
  auto refused = k.kiosk->Redeem({kCard, "R-001", 1, kStaff});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "data.stale");

  // The stick: kiosk export -> kiosk-central import -> kiosk-central export-reference.
  const fs::path stick = c.dir / "stick";
  auto exported = k.engine->ExportTo(stick);
  REQUIRE_MESSAGE(exported.ok(), exported.error().message);
  auto imported = central.ImportFiles(exported->files);
  REQUIRE_MESSAGE(imported.ok(), imported.error().message);
  REQUIRE(imported->receipts.size() == 1);
  auto ref = central.ExportReference(id, stick);
  REQUIRE_MESSAGE(ref.ok(), ref.error().message);
  CHECK(ref->full);
  CHECK(ref->acked_through == k.Head());
  CHECK(ref->adjusted == 1);
  CHECK(fs::exists(ref->file));
  CHECK_FALSE(fs::exists(ref->file.string() + ".tmp"));

  // Back at the showroom: a tampered copy, another kiosk's file and a not-enrolled kiosk change nothing.
  const std::string version_before = k.engine->State("reference_version", "0");
  {
    std::string text = Slurp(ref->file);
    text[text.size() - 40] = static_cast<char>(text[text.size() - 40] ^ 0x20);
    std::ofstream(c.dir / "tampered.skref", std::ios::binary) << text;
    auto bad = k.engine->ImportReference(c.dir / "tampered.skref");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "reference_file.altered");
    CHECK(bad.error().kind == kiosk::ErrorKind::Integrity);
    auto other = central.ExportReference("KIOSK-NET", c.dir / "other");
    REQUIRE(other.ok());
    auto wrong = k.engine->ImportReference(other->file);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == "reference_file.other_kiosk");
    auto unknown = central.ExportReference("KIOSK-NOBODY", c.dir / "nobody");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == "export_reference.unknown_kiosk");
    CHECK_FALSE(fs::exists(c.dir / "nobody" / "reference-KIOSK-NOBODY-1.skref"));
  }
  CHECK(k.kiosk->Status().stale);  // nothing of the refused files was applied
  CHECK(k.engine->State("reference_version", "0") == version_before);
  CHECK(k.engine->AckedThrough() == 0);

  // kiosk import-receipt + kiosk import-reference (the folder: the newest file for this kiosk).
  auto receipt = k.engine->ApplyReceipt(imported->receipts[0]);
  REQUIRE_MESSAGE(receipt.ok(), receipt.error().message);
  auto applied = k.engine->ImportReference(stick);
  REQUIRE_MESSAGE(applied.ok(), applied.error().message);
  CHECK(applied->file == ref->file);
  CHECK(applied->version == ref->version);
  CHECK(applied->adjusted == 1);

  // Fresh again, exactly as after a network sync: the guard lets a redemption through, the
  // balance and the deal's decision are the central's, the adjusted redemption is listed.
  const kiosk::StatusView s = k.kiosk->Status();
  CHECK_FALSE(s.stale);
  CHECK(s.last_sync_error.empty());
  CHECK_FALSE(s.last_sync.empty());
  CHECK(k.engine->State("reference_version") == std::to_string(ref->version));
  CHECK(k.engine->State("covers_kiosk_seq") == std::to_string(ref->acked_through));
  CHECK(k.engine->VerdictsThrough() == ref->acked_through);
  auto partner = k.kiosk->GetPartner(kCard);
  REQUIRE(partner.ok());
  CHECK(partner->balance.available == 0);  // 24,500 - 15,000 - 9,500 honoured of the second
  auto verdicts = k.kiosk->Verdicts(false);
  REQUIRE(verdicts.ok());
  REQUIRE(verdicts->size() == 1);
  CHECK((*verdicts)[0].seq == redeem_seq);
  CHECK((*verdicts)[0].verdict == "adjusted");
  CHECK((*verdicts)[0].code == "loyalty.partly_honoured");
  auto deal = OpenKioskDb(*k.kiosk)->ScalarText("SELECT status FROM deals ORDER BY seq DESC LIMIT 1");
  CHECK(deal.value().value_or("") == "approved");
  auto after = k.kiosk->Redeem({kCard, "R-001", 1, kStaff});
  CHECK((after.ok() || after.error().code != "data.stale"));  // no points left, but not stale

  // The same file again changes nothing that matters; an older version is refused, nothing changed.
  REQUIRE(k.engine->ImportReference(ref->file).ok());
  REQUIRE(central.LoadReference(Slurp(std::string(KIOSK_TEST_ASSETS) + "/demo/showroom.json")).ok());
  auto newer = central.ExportReference(id, c.dir / "stick2");
  REQUIRE(newer.ok());
  REQUIRE(newer->version > ref->version);
  REQUIRE(k.engine->ImportReference(newer->file).ok());
  auto older = k.engine->ImportReference(ref->file);
  REQUIRE_FALSE(older.ok());
  CHECK(older.error().code == "reference_file.older");
  CHECK(k.engine->State("reference_version") == std::to_string(newer->version));

  // The next stick carries what the imports logged (reference.loaded): both sides end level.
  auto again = k.engine->ExportTo(c.dir / "stick3");
  REQUIRE(again.ok());
  CHECK(again->events >= 1);
  auto imported_again = central.ImportFiles(again->files);
  REQUIRE(imported_again.ok());
  REQUIRE(k.engine->ApplyReceipt(imported_again->receipts[0]).ok());
  auto record = c.store->GetKiosk(id);
  REQUIRE(record.ok());
  CHECK((*record)->acked_through == k.Head());
  CHECK(k.engine->AckedThrough() == k.Head());
  CHECK(k.http.requests == 0);  // not one request after enrolment
}

TEST_CASE("USB-only showroom: a kiosk that is not enrolled can't import a reference file") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk enrolled(c.dir, "KIOSK-E1");
  enrolled.Enrol(c);
  auto ref = c.central->ExportReference("KIOSK-E1", c.dir / "stick");
  REQUIRE(ref.ok());
  TestKiosk loose(c.dir, "KIOSK-E1-LOOSE");
  auto r = loose.engine->ImportReference(ref->file);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "sync.not_enrolled");
  CHECK(r.error().message.find("kiosk enroll") != std::string::npos);
  // A folder without a file for this kiosk says what to run at the central.
  auto none = enrolled.engine->ImportReference(c.dir / "stick-empty");
  REQUIRE_FALSE(none.ok());
  fs::create_directories(c.dir / "stick-empty");
  auto empty = enrolled.engine->ImportReference(c.dir / "stick-empty");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == "reference_file.none");
  CHECK(empty.error().message.find("kiosk-central export-reference --for KIOSK-E1") != std::string::npos);
}
