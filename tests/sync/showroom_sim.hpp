#pragma once
// Showrooms for the long simulations (week_test.cpp, month_test.cpp): a clock the test moves for
// the central and every kiosk, a kiosk with its sync engine over a data folder the demo showroom
// seeded (online, or on a USB stick only), what staff saw on each partner's page, and the check
// that a showroom holds the central's picture.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>

#include "fakes/fake_http.hpp"
#include "sync/sync_fixture.hpp"

namespace kiosk::test::sim {

// One clock for the central and the showrooms, moved by the test (read by the central's server
// threads, hence atomic).
class WorldClock final : public kiosk::Clock {
 public:
  WorldClock() : m_ms(Ms(kiosk::SystemClock().Now())) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(m_ms.load()));
  }
  int64_t MonotonicMs() const override { return m_ms.load() - m_start; }
  std::string BootId() const override { return "00000000-0000-4000-8000-00000000beef"; }
  void Advance(std::chrono::milliseconds d) { m_ms += d.count(); }

 private:
  static int64_t Ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> m_ms;
  int64_t m_start = m_ms.load() - 1000;
};

// A stick-only showroom makes no request after enrolment: DownHttp counts them.
using NoNetwork = kiosk::test::DownHttp;

// How a showroom opens its kiosk (the month opens it on the crash VFS).
using KioskOpener = std::function<kiosk::Result<std::unique_ptr<kiosk::Kiosk>>(const kiosk::OpenOptions&)>;

// A showroom's kiosk on the world's clock, over a data folder the demo showroom seeded.
struct Showroom {
  std::filesystem::path dir;
  const kiosk::Clock* clock = nullptr;
  KioskOpener open;
  std::unique_ptr<kiosk::Kiosk> kiosk;
  std::unique_ptr<kiosk::platform::HttpClient> http;
  std::unique_ptr<kiosk::sync::SyncEngine> engine;
  NoNetwork* offline = nullptr;  // set once the showroom has no network
  std::string id;

  Showroom(const std::filesystem::path& root, const std::string& kiosk_id, const kiosk::Clock& c,
           KioskOpener opener = {})
      : clock(&c), open(std::move(opener)), id(kiosk_id) {
    if (!open) open = [](const kiosk::OpenOptions& o) { return kiosk::Kiosk::Open(o); };
    dir = root / kiosk_id;
    auto made = kiosk::Kiosk::Init({dir, kiosk_id, std::filesystem::path(KIOSK_TEST_ASSETS) / "demo" / "showroom.json"});
    REQUIRE_MESSAGE(made.ok(), made.error().message);
    http = kiosk::platform::MakeCurlHttpClient();
    Reopen();
  }
  const std::string& Id() const { return id; }
  void Enrol(CentralFixture& c, const std::string& url = {}) {
    auto code = c.central->CreateEnrolment(Id());
    REQUIRE(code.ok());
    auto s = engine->Enrol(url.empty() ? c.url : url, *code);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
  }
  // From now on the showroom reaches the central through `client`.
  void UseHttp(std::unique_ptr<kiosk::platform::HttpClient> client) {
    engine = std::make_unique<kiosk::sync::SyncEngine>(*kiosk, *client);
    http = std::move(client);
  }
  void CutNetwork() {
    auto none = std::make_unique<NoNetwork>();
    offline = none.get();
    UseHttp(std::move(none));
  }
  // The kiosk closed (the engine first: it holds the kiosk), as at a shutdown or a power cut.
  void Close() {
    engine.reset();
    kiosk.reset();
  }
  // ... and opened again over the same data folder.
  void Reopen() {
    Close();
    auto opened = open({.data_dir = dir, .clock = clock});
    REQUIRE_MESSAGE(opened.ok(), opened.error().message);
    kiosk = std::move(*opened);
    engine = std::make_unique<kiosk::sync::SyncEngine>(*kiosk, *http);
  }
  void Sync() {
    auto r = engine->RunOnce();
    REQUIRE_MESSAGE(r.ok(), r.error().message);
  }
  // kiosk export -> kiosk-central import -> kiosk-central export-reference -> kiosk
  // import-receipt -> kiosk import-reference, as the README's stick section says. The first step
  // that fails ends the trip and says which it was.
  kiosk::Status TryStickRoundTrip(kiosk::central::Central& central, const std::filesystem::path& stick) {
    auto exported = engine->ExportTo(stick);
    if (!exported.ok()) return exported.error();
    auto imported = central.ImportFiles(exported->files);
    if (!imported.ok()) return imported.error();
    auto ref = central.ExportReference(Id(), stick);
    if (!ref.ok()) return ref.error();
    for (const auto& receipt : imported->receipts) {
      auto applied = engine->ApplyReceipt(receipt);
      if (!applied.ok()) return applied.error();
    }
    auto pulled = engine->ImportReference(ref->file);
    if (!pulled.ok()) return pulled.error();
    return {};
  }
  void StickRoundTrip(kiosk::central::Central& central, const std::filesystem::path& stick) {
    auto trip = TryStickRoundTrip(central, stick);
    REQUIRE_MESSAGE(trip.ok(), trip.error().message);
  }
  int64_t Head() { return kiosk->Status(kiosk::Kiosk::StatusDetail::kSyncState).last_seq; }
  // Staff scan the partner's card, as before every action at the touchscreen: the partner's page
  // lists what changed since the last visit and marks it shown. Remembered as "source seq kind".
  void Scan(const char* card) {
    auto changes = kiosk->PartnerChanges(card);
    REQUIRE_MESSAGE(changes.ok(), changes.error().message);
    REQUIRE(kiosk->MarkChangesShown(*changes).ok());
    Saw(card, *changes);
  }
  // The same where the kiosk may fail under the scan (the power goes): what the page listed was
  // seen even if marking it shown did not reach the disk (the page shows it again next time).
  bool TryScan(const char* card) {
    auto changes = kiosk->PartnerChanges(card);
    if (!changes.ok()) return false;
    Saw(card, *changes);
    return kiosk->MarkChangesShown(*changes).ok();
  }
  void Saw(const char* card, const std::vector<kiosk::OutcomeLine>& lines) {
    for (const kiosk::OutcomeLine& l : lines) {
      CHECK_FALSE(l.text.empty());
      seen[card].insert(l.source + " " + std::to_string(l.seq) + " " + l.kind);
    }
    cards.insert(card);
  }
  std::map<std::string, std::set<std::string>> seen;  // by card
  std::set<std::string> cards;                         // every card served here
};

// What the central holds for a kiosk's picture: balances and devices of its reference document,
// and the kiosk's own orders, deals and verdicts.
inline void CheckLevel(CentralFixture& c, Showroom& s) {
  using nlohmann::json;
  INFO("kiosk " << s.Id());
  const json doc = json::parse(c.central->ReferenceDocument(s.Id(), 0, -1).value());
  // Every partner's points.
  REQUIRE(doc.contains("balances"));
  for (const json& b : doc["balances"]) {
    const std::string id = b["partner_id"].get<std::string>();
    auto p = s.kiosk->GetPartner(id);
    REQUIRE_MESSAGE(p.ok(), id);
    CHECK_MESSAGE(p->balance.available == b["available"].get<int64_t>(), id);
    CHECK_MESSAGE(p->held_points == 0, id);  // nothing waits to be synced
  }
  // Every demo unit's custody.
  REQUIRE(doc.contains("devices"));
  for (const json& d : doc["devices"]) {
    const std::string tag = d["asset_tag"].get<std::string>();
    auto v = s.kiosk->GetDevice(tag);
    REQUIRE_MESSAGE(v.ok(), tag);
    CHECK_MESSAGE(std::string(kiosk::ToString(v->device.state)) == d["state"].get<std::string>(), tag);
    CHECK_MESSAGE(v->device.custodian == d.value("custodian", ""), tag);
  }
  // Its orders, as the central moved them.
  auto central_orders = c.central->Orders({.state = "", .partner_id = "", .kiosk_id = s.Id()});
  REQUIRE(central_orders.ok());
  auto orders = s.kiosk->Orders("");
  REQUIRE(orders.ok());
  CHECK(orders->size() == central_orders->size());
  for (const auto& o : *central_orders) {
    std::string here;
    for (const auto& line : *orders)
      if (line.seq == o.seq) here = line.state;
    CHECK_MESSAGE(here == o.state, "order " << o.seq);
  }
  // Its deals, as the vendor decided them.
  auto central_deals = c.central->ListDeals({"", s.Id()});
  REQUIRE(central_deals.ok());
  auto deals = s.kiosk->Deals();
  REQUIRE(deals.ok());
  CHECK(deals->size() == central_deals->size());
  for (const auto& d : *central_deals) {
    std::string here;
    for (const auto& line : *deals)
      if (line.seq == d.deal.seq) here = line.status;
    CHECK_MESSAGE(here == d.deal.status, "deal " << d.deal.seq);
  }
  // Every verdict the central gave on its events that was not a plain acceptance.
  std::map<int64_t, std::string> central_verdicts;
  REQUIRE(c.central
              ->Report("rejects",
                       [&](const std::vector<std::string>& r) {
                         if (r[0] == s.Id() && r[4] != "accepted") central_verdicts[std::stoll(r[1])] = r[5];
                       })
              .ok());
  auto verdicts = s.kiosk->Verdicts(false);
  REQUIRE(verdicts.ok());
  std::map<int64_t, std::string> here;
  for (const auto& v : *verdicts) here[v.seq] = v.code;
  CHECK(here == central_verdicts);
  // Both sides at one head: the central holds every action the kiosk logged. Past its head can
  // be only the note that the last reference data was applied (a stick import logs it after the
  // central wrote the file; the next stick carries it).
  auto record = c.store->GetKiosk(s.Id());
  REQUIRE(record.ok());
  REQUIRE(record->has_value());
  auto tail = s.kiosk->Journal((*record)->acked_through + 1, 100);
  REQUIRE(tail.ok());
  CHECK(static_cast<int64_t>(tail->size()) == s.Head() - (*record)->acked_through);
  for (const auto& e : *tail) CHECK_MESSAGE(e.type == "reference.loaded", e.seq << " " << e.type);
}

}  // namespace kiosk::test::sim
