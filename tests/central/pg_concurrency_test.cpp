// Several kiosk-central processes on one PostgreSQL database (a throwaway cluster of this test
// process, tests/support/pg_cluster.hpp), with the faults of a production fleet: a kiosk's resends
// sent to two processes at once, one process SIGKILLed mid-batch, the database server stopped
// (`pg_ctl stop -m immediate`) mid-run and restarted, and cross-kiosk rules raced through
// different processes. After each: every acknowledged event exactly once, seqs contiguous, heads
// equal, balances equal to a replay of the accepted redemptions, each serial sold at most once,
// at most one open custody per unit.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "central/central_fixture.hpp"
#include "support/central_process.hpp"
#include "support/run_process.hpp"

using nlohmann::json;
using kiosk::test::PgCluster;
using kiosk::test::ScriptedKiosk;
namespace ksync = kiosk::sync;

namespace {

using kiosk::test::FreePort;

// A `kiosk-central serve` child process on a database.
struct ChildCentral {
  std::string db;
  int port = FreePort();
  pid_t pid = -1;
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port); }

  void Start() {
    pid = kiosk::test::StartCentralProcess(db, port);
    if (!kiosk::test::WaitCentralHealthy(port, 500)) FAIL("kiosk-central did not come up on " << Url());
  }
  void Kill(int sig) {
    if (pid <= 0) return;
    ::kill(pid, sig);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~ChildCentral() { Kill(SIGTERM); }
};

// Two central processes on one fresh database, with the demo reference loaded.
struct TwoCentrals {
  std::filesystem::path dir = kiosk::test::TempDir("pg-two");
  std::string db = PgCluster::Shared().NewDatabase();
  std::unique_ptr<kiosk::central::CentralStore> store;  // this test's own handle, for checks
  std::unique_ptr<kiosk::central::Central> central;
  ChildCentral a, b;

  TwoCentrals() {
    store = kiosk::central::OpenStore(db).value();
    central = std::make_unique<kiosk::central::Central>(*store, kiosk::SystemClock());
    REQUIRE(central->Init().ok());
    REQUIRE(central->LoadReference(kiosk::test::ReadFile(std::string(KIOSK_TEST_ASSETS) + "/demo/showroom.json")).ok());
    a.db = b.db = db;
    a.Start();
    b.Start();
  }
  ~TwoCentrals() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

kiosk::platform::HttpResponse Post(kiosk::platform::HttpClient& http, const std::string& url, const std::string& path,
                                   const std::string& body,
                                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  kiosk::platform::HttpRequest req;
  req.method = "POST";
  req.url = url + path;
  req.body = body;
  req.headers = std::move(headers);
  req.timeout_ms = 60000;
  auto r = http.Send(req);
  if (!r.ok()) {
    kiosk::platform::HttpResponse lost;
    lost.body = r.error().message;  // status 0: no answer
    return lost;
  }
  return *r;
}

void Enrol(TwoCentrals& t, const ScriptedKiosk& k, const std::string& url) {
  auto code = t.central->CreateEnrolment(k.id);
  REQUIRE(code.ok());
  const std::string secret = ksync::DeriveEnrolSecret(ksync::NormalizeEnrolCode(*code), k.id);
  auto sealed = ksync::SealJournalKey(secret, k.id, k.key);
  json body{{"kiosk_id", k.id}, {"sealed_key", {{"iv", sealed.iv}, {"ct", sealed.ct}, {"tag", sealed.tag}}}};
  auto http = kiosk::platform::MakeCurlHttpClient();
  REQUIRE(Post(*http, url, "/v1/enroll", body.dump()).status == 200);
}

// Pushes seqs from..to of k to url, signed afresh (a resend has a nonce of its own).
kiosk::platform::HttpResponse Push(kiosk::platform::HttpClient& http, const std::string& url, const ScriptedKiosk& k,
                                   int64_t from, int64_t to) {
  const std::string body = ksync::SerializeBatch(k.MakeBatch(from, to));
  auto h = ksync::SignRequest(k.key, "POST", "/v1/batches", k.id, kiosk::test::NowMs(), body);
  return Post(http, url, "/v1/batches", body, kiosk::test::CentralFixture::HeadersFor(h));
}

// Pushes all of k's events in batches of `size`, resending a batch (to the same url) until it is
// acknowledged: a 503 or a lost connection while a central or the database is down.
std::vector<ksync::Verdict> PushAll(const std::string& url, const ScriptedKiosk& k, int size,
                                    const std::function<std::string()>& url_now = nullptr) {
  auto http = kiosk::platform::MakeCurlHttpClient();
  std::vector<ksync::Verdict> verdicts;
  int64_t next = 1;
  const int64_t last = static_cast<int64_t>(k.events.size());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (next <= last && std::chrono::steady_clock::now() < deadline) {
    const int64_t to = std::min(last, next + size - 1);
    auto r = Push(*http, url_now ? url_now() : url, k, next, to);
    if (r.status != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto parsed = ksync::ParseBatchResponse(r.body);
    REQUIRE(parsed.ok());
    for (auto& v : parsed->verdicts)
      if (v.seq >= next) verdicts.push_back(v);
    next = parsed->acked_through + 1;
  }
  CHECK(next == last + 1);
  return verdicts;
}

// The invariants, read back through a store handle of this test.
void CheckInvariants(TwoCentrals& t, const std::vector<const ScriptedKiosk*>& kiosks) {
  kiosk::central::CentralStore& s = *t.store;
  for (const ScriptedKiosk* k : kiosks) {
    INFO("kiosk " << k->id);
    auto found = s.GetKiosk(k->id);
    REQUIRE_MESSAGE(found.ok(), found.error().message);
    auto rec = *found;
    REQUIRE(rec.has_value());
    const int64_t n = static_cast<int64_t>(k->events.size());
    CHECK(rec->acked_through == n);
    CHECK(rec->head_hash == k->events.back().hash);
    CHECK(s.CountEvents(k->id).value() == n);  // each event once
    int64_t expect = 1;
    bool contiguous = true;
    REQUIRE(s.ForEachEvent(k->id, 1, [&](const kiosk::central::StoredEvent& e) {
               contiguous = contiguous && e.event.seq == expect && e.event.hash == k->events[expect - 1].hash;
               ++expect;
             }).ok());
    CHECK(contiguous);
    CHECK(expect == n + 1);
  }
  // Balances: the demo's starting points less every honoured redemption.
  std::map<std::string, int64_t> start;
  const json demo = json::parse(kiosk::test::ReadFile(std::string(KIOSK_TEST_ASSETS) + "/demo/showroom.json"));
  for (const json& b : demo["balances"]) start[b["partner_id"].get<std::string>()] = b["available"].get<int64_t>();
  std::map<std::string, int64_t> honoured;
  REQUIRE(t.central->Report("redemptions", [&](const std::vector<std::string>& row) {
                   if (row[0] != "kiosk_id") honoured[row[2]] += std::stoll(row[5]);
                 }).ok());
  for (const auto& [partner, points] : honoured) {
    INFO("partner " << partner);
    auto bal = s.GetRef("balances", partner).value();
    REQUIRE(bal.has_value());
    const int64_t available = json::parse(bal->body)["available"].get<int64_t>();
    CHECK(available == start[partner] - points);
    CHECK(available >= 0);
  }
  // Each serial sold at most once: one sell-out row per (gtin, serial), and one accepted report.
  std::map<std::string, int> sold;
  REQUIRE(t.central->Report("sellout", [&](const std::vector<std::string>& row) {
                   if (row[0] != "kiosk_id") ++sold[row[3] + "/" + row[4]];
                 }).ok());
  for (const auto& [unit, count] : sold) CHECK_MESSAGE(count == 1, unit);
  // At most one open custody per unit: one custody row per tag, and no tag checked out at two
  // kiosks at once in the events accepted.
  std::map<std::string, int> custody;
  REQUIRE(t.central->Report("custody", [&](const std::vector<std::string>& row) {
                   if (row[0] != "asset_tag") ++custody[row[0]];
                 }).ok());
  for (const auto& [tag, count] : custody) CHECK_MESSAGE(count == 1, tag);
}

// A kiosk's every batch sent twice at once, to url_a and url_b: both answers acknowledge it, and
// it is stored once.
void ResendsAtOnce(TwoCentrals& t, const std::string& url_a, const std::string& url_b) {
  ScriptedKiosk k("KIOSK-P1");
  Enrol(t, k, url_a);
  for (int i = 0; i < 300; ++i) k.Add("device.audited", json{{"devices", json::array({{{"asset_tag", "DEMO-00001"}}})}});
  auto ha = kiosk::platform::MakeCurlHttpClient(), hb = kiosk::platform::MakeCurlHttpClient();
  int both_ok = 0;
  for (int64_t from = 1; from <= 300; from += 50) {
    kiosk::platform::HttpResponse ra, rb;
    std::atomic<int> ready{0};
    std::thread ta([&] {
      ++ready;
      while (ready < 2) {
      }
      ra = Push(*ha, url_a, k, from, from + 49);
    });
    std::thread tb([&] {
      ++ready;
      while (ready < 2) {
      }
      rb = Push(*hb, url_b, k, from, from + 49);
    });
    ta.join();
    tb.join();
    INFO(ra.body << " / " << rb.body);
    REQUIRE(ra.status == 200);
    REQUIRE(rb.status == 200);
    auto pa = ksync::ParseBatchResponse(ra.body).value(), pb = ksync::ParseBatchResponse(rb.body).value();
    CHECK(pa.acked_through == from + 49);
    CHECK(pb.acked_through == from + 49);
    CHECK(pa.head_hash == pb.head_hash);
    CHECK(pa.verdicts.size() == pb.verdicts.size());
    ++both_ok;
  }
  CHECK(both_ok == 6);
  CheckInvariants(t, {&k});
}

}  // namespace

TEST_CASE("two central processes: a kiosk's resends sent to both at once are stored once") {
  TwoCentrals t;
  ResendsAtOnce(t, t.a.Url(), t.b.Url());
}

// One process stores batches on several connections of its own (`serve --ingest-connections`,
// a connection per worker by default): the same races inside one process.
TEST_CASE("one central process, several ingest connections: a kiosk's resends sent to it twice at once are stored once") {
  TwoCentrals t;
  ResendsAtOnce(t, t.a.Url(), t.a.Url());
}

TEST_CASE("two central processes: one SIGKILLed mid-batch, the kiosks' resends finish through it or the other") {
  TwoCentrals t;
  ScriptedKiosk k1("KIOSK-K1"), k2("KIOSK-K2");
  Enrol(t, k1, t.a.Url());
  Enrol(t, k2, t.b.Url());
  for (int i = 0; i < 3000; ++i) {
    k1.Add("sellout.reported", json{{"partner_id", "P-FI-0001"},
                                    {"units", json::array({{{"gtin", "00614141000012"}, {"serial", "K1-" + std::to_string(i)}}})}});
    k2.Add("device.audited", json{{"devices", json::array({{{"asset_tag", "DEMO-00002"}}})}});
  }
  // k1 goes to A until A dies, then to B; k2 always to B.
  std::atomic<bool> a_dead{false};
  std::thread p1([&] { PushAll("", k1, 100, [&] { return a_dead ? t.b.Url() : t.a.Url(); }); });
  std::thread p2([&] { PushAll(t.b.Url(), k2, 100); });
  for (int i = 0; i < 500 && t.store->GetKiosk("KIOSK-K1").value()->acked_through < 600; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  t.a.Kill(SIGKILL);
  a_dead = true;
  p1.join();
  p2.join();
  CheckInvariants(t, {&k1, &k2});
}

TEST_CASE("the database stopped immediately mid-run and restarted: the centrals reconnect, nothing lost or doubled") {
  TwoCentrals t;
  ScriptedKiosk k1("KIOSK-D1"), k2("KIOSK-D2");
  Enrol(t, k1, t.a.Url());
  Enrol(t, k2, t.b.Url());
  for (int i = 0; i < 3000; ++i) {
    k1.Add("device.audited", json{{"devices", json::array({{{"asset_tag", "DEMO-00001"}}})}});
    k2.Add("sellout.reported", json{{"partner_id", "P-FI-0001"},
                                    {"units", json::array({{{"gtin", "00614141000012"}, {"serial", "D2-" + std::to_string(i)}}})}});
  }
  std::thread p1([&] { PushAll(t.a.Url(), k1, 100); });
  std::thread p2([&] { PushAll(t.b.Url(), k2, 100); });
  for (int i = 0; i < 500 && t.store->GetKiosk("KIOSK-D1").value()->acked_through < 500; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  PgCluster::Shared().StopImmediate();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(PgCluster::Shared().Start());
  p1.join();
  p2.join();
  CheckInvariants(t, {&k1, &k2});
}

namespace {

// Two kiosks, k1 through url1 and k2 through url2, race for one partner's points, the same demo
// units and the same serials.
void RaceCrossKioskRules(TwoCentrals& t, const std::string& url1, const std::string& url2) {
  ScriptedKiosk k1("KIOSK-X1"), k2("KIOSK-X2");
  Enrol(t, k1, url1);
  Enrol(t, k2, url2);
  // P-FI-0002 has 350 points: each kiosk redeems 40 x 10 (800 asked in all). Both check out the
  // same demo units and report the same serials.
  for (int i = 0; i < 40; ++i) {
    for (ScriptedKiosk* k : {&k1, &k2}) {
      k->Add("loyalty.redeemed", json{{"partner_id", "P-FI-0002"}, {"reward_id", "R-001"}, {"points", 10}});
      k->Add("device.checked_out",
             json{{"devices", json::array({{{"asset_tag", "DEMO-0000" + std::to_string(1 + i % 5)}}})},
                  {"rep", k->id == "KIOSK-X1" ? "BDG-1" : "BDG-2"}, {"due_date", "2026-12-31"}});
      k->Add("sellout.reported",
             json{{"partner_id", "P-FI-0001"},
                  {"units", json::array({{{"gtin", "00614141000012"}, {"serial", "SAME-" + std::to_string(i)}}})}});
    }
  }
  std::vector<ksync::Verdict> v1, v2;
  std::thread p1([&] { v1 = PushAll(url1, k1, 3); });
  std::thread p2([&] { v2 = PushAll(url2, k2, 3); });
  p1.join();
  p2.join();
  CheckInvariants(t, {&k1, &k2});
  // What the kiosks were told adds up: honoured points within the balance, each serial accepted
  // once, and no unit accepted as checked out at both kiosks.
  int64_t honoured = 0;
  std::map<std::string, int> serial_accepted;
  for (auto [k, vs] : {std::pair{&k1, &v1}, std::pair{&k2, &v2}}) {
    REQUIRE(vs->size() == k->events.size());
    for (const ksync::Verdict& v : *vs) {
      const kiosk::Event& e = k->events[static_cast<size_t>(v.seq - 1)];
      const json p = json::parse(e.payload);
      if (e.type == "loyalty.redeemed" && v.verdict != ksync::VerdictKind::Rejected)
        honoured += v.detail.is_object() && v.detail.contains("honoured_points") ? v.detail["honoured_points"].get<int64_t>()
                                                                                 : 10;
      if (e.type == "sellout.reported" && v.verdict == ksync::VerdictKind::Accepted)
        ++serial_accepted[p["units"][0]["serial"].get<std::string>()];
    }
  }
  CHECK(honoured == 350);
  CHECK(serial_accepted.size() == 40);
  for (const auto& [serial, n] : serial_accepted) CHECK_MESSAGE(n == 1, serial);
  // Custody: every checkout after the first one of a unit by the other kiosk is a conflict, so
  // the units' custody rows each name one kiosk, and that kiosk's checkouts were accepted.
  REQUIRE(t.central->Report("custody", [&](const std::vector<std::string>& row) {
                   // Units only the reference data has out (no kiosk reported on them) are not raced.
                   if (row[0] == "asset_tag" || row[10] == "reference") return;
                   CHECK(row[1] == "checked_out");
                   const bool by_x1 = row[3] == "KIOSK-X1";
                   const auto& other = by_x1 ? v2 : v1;
                   const auto& other_k = by_x1 ? k2 : k1;
                   for (const ksync::Verdict& v : other) {
                     const kiosk::Event& e = other_k.events[static_cast<size_t>(v.seq - 1)];
                     if (e.type == "device.checked_out" && e.payload.find(row[0]) != std::string::npos)
                       CHECK_MESSAGE(v.code == "custody.conflict", row[0] << " seq " << v.seq);
                   }
                 }).ok());
}

}  // namespace

TEST_CASE("cross-kiosk rules raced through two processes: one partner overdrawn, one unit checked out twice, one serial sold twice") {
  TwoCentrals t;
  RaceCrossKioskRules(t, t.a.Url(), t.b.Url());
}

TEST_CASE("cross-kiosk rules raced through one process's ingest connections: overdraw, a unit twice, a serial twice") {
  TwoCentrals t;
  RaceCrossKioskRules(t, t.a.Url(), t.a.Url());
}

TEST_CASE("demo orders raced through two processes: the partner's quota holds over the channel (issue 17)") {
  TwoCentrals t;
  ScriptedKiosk k1("KIOSK-Q1"), k2("KIOSK-Q2");
  Enrol(t, k1, t.a.Url());
  Enrol(t, k2, t.b.Url());
  // P-DE-0001 is platinum: 8 open units of the M1800. Each kiosk, offline, orders all 8 one at a
  // time; both push at once, one event a batch, through different central processes.
  for (int i = 0; i < 8; ++i)
    for (ScriptedKiosk* k : {&k1, &k2})
      k->Add("demo.ordered", json{{"partner_id", "P-DE-0001"}, {"gtin", "00614141000043"}, {"qty", 1}});
  std::vector<ksync::Verdict> v1, v2;
  std::thread p1([&] { v1 = PushAll(t.a.Url(), k1, 1); });
  std::thread p2([&] { v2 = PushAll(t.b.Url(), k2, 1); });
  p1.join();
  p2.join();
  CheckInvariants(t, {&k1, &k2});
  int accepted = 0, rejected = 0;
  for (const auto* vs : {&v1, &v2})
    for (const ksync::Verdict& v : *vs) {
      if (v.verdict == ksync::VerdictKind::Accepted) ++accepted;
      if (v.verdict == ksync::VerdictKind::Rejected) {
        ++rejected;
        CHECK(v.code == "order.quota");
      }
    }
  CHECK(accepted == 8);
  CHECK(rejected == 8);
  int64_t open = 0;
  REQUIRE(t.store->ForEachOrder({}, [&](const kiosk::central::OrderRecord& o) {
                   if (o.state == "ordered") open += o.qty;
                 }).ok());
  CHECK(open == 8);
}

TEST_CASE("reward stock raced through two processes: the channel's units are honoured exactly once (issue 17)") {
  TwoCentrals t;
  ScriptedKiosk k1("KIOSK-W1"), k2("KIOSK-W2");
  Enrol(t, k1, t.a.Url());
  Enrol(t, k2, t.b.Url());
  // 7 units of R-001 for the channel, 3 of them allocated to W1. Each kiosk, offline, hands out
  // 10 one at a time, each to a partner of its own (both have points for all, so no partner's row
  // orders the two batches: only the stock row does); both push at once, one event a batch,
  // through different central processes.
  REQUIRE(t.central->SetRewardStock("R-001", 7, false).ok());
  REQUIRE(t.central->Allocate("R-001", "KIOSK-W1", 3, false, false).ok());
  for (int i = 0; i < 10; ++i)
    for (ScriptedKiosk* k : {&k1, &k2})
      k->Add("loyalty.redeemed", json{{"partner_id", k == &k1 ? "P-PL-0002" : "P-PL-0001"}, {"reward_id", "R-001"},
                                      {"qty", 1}, {"points_each", 500}, {"points", 500}});
  std::vector<ksync::Verdict> v1, v2;
  std::thread p1([&] { v1 = PushAll(t.a.Url(), k1, 1); });
  std::thread p2([&] { v2 = PushAll(t.b.Url(), k2, 1); });
  p1.join();
  p2.join();
  CheckInvariants(t, {&k1, &k2});
  int honoured = 0, out_of_stock = 0, w1_honoured = 0;
  for (auto [vs, w1] : {std::pair{&v1, true}, std::pair{&v2, false}})
    for (const ksync::Verdict& v : *vs) {
      if (v.verdict == ksync::VerdictKind::Accepted) {
        ++honoured;
        if (w1) ++w1_honoured;
      } else {
        CHECK(v.verdict == ksync::VerdictKind::Rejected);
        CHECK(v.code == "reward.out_of_stock");
        ++out_of_stock;
      }
    }
  CHECK(honoured == 7);
  CHECK(out_of_stock == 13);
  CHECK(w1_honoured >= 3);  // its allocation is its own, whatever W2 did meanwhile
  // The stock row agrees: nothing left, W1's allocation used, the balance charged for 7.
  int64_t stock = -1, used = -1;
  REQUIRE(t.store->ForEachRewardStock([&](const kiosk::central::RewardStockSummary& r) {
                   if (r.reward_id == "R-001") {
                     stock = r.stock;
                     used = r.used;
                   }
                 }).ok());
  CHECK(stock == 0);
  CHECK(used == 3);
  auto b1 = t.store->GetRef("balances", "P-PL-0002");
  auto b2 = t.store->GetRef("balances", "P-PL-0001");
  REQUIRE(b1.ok());
  REQUIRE(b2.ok());
  CHECK(json::parse((*b1)->body)["available"].get<int64_t>() == 58300 - w1_honoured * 500);
  CHECK(json::parse((*b2)->body)["available"].get<int64_t>() == 7800 - (honoured - w1_honoured) * 500);
}

TEST_CASE("growth: monthly partitions made ahead, and an old month exported to CSV before it is dropped") {
  PgCluster& cluster = PgCluster::Shared();
  const std::string db = cluster.NewDatabase();
  const auto dir = kiosk::test::TempDir("pg-retention");
  auto store = kiosk::central::OpenStore(db).value();
  kiosk::central::Central central(*store, kiosk::SystemClock());
  REQUIRE(central.Init().ok());
  ScriptedKiosk k("KIOSK-M1");
  {
    kiosk::central::StoreTransaction tx(*store);
    REQUIRE(tx.Begin().ok());
    REQUIRE(store->PutKiosk({k.id, kiosk::crypto::Hex(k.key.bytes), "2025-01-01T00:00:00.000Z", 0,
                             kiosk::GenesisHash(k.id), ""})
                .ok());
    REQUIRE(tx.Commit().ok());
  }
  for (int i = 0; i < 10; ++i) k.Add("device.audited", json{{"devices", json::array({{{"asset_tag", "DEMO-00001"}}})}});
  REQUIRE(central.Ingest(k.MakeBatch(1, 10), "file").ok());
  // Seqs 1-4 as if received in January 2025.
  REQUIRE(cluster.Psql(db, "CREATE TABLE events_y2025m01 PARTITION OF events FOR VALUES FROM (202501) TO (202502); "
                           "UPDATE events SET month = 202501 WHERE seq <= 4; "
                           "UPDATE event_ids SET month = 202501 WHERE seq <= 4") == 0);
  const std::string bin = std::string(KIOSK_BINARY_DIR) + "/central/kiosk-central";
  auto listed = kiosk::test::RunProcess({bin, "--db", db, "partitions", "--ahead", "2"});
  INFO(listed.out << listed.err);
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find("events_y2025m01,202501,") != std::string::npos);
  // This month and two ahead, whatever month the test runs in.
  int current_and_ahead = 0;
  for (size_t at = listed.out.find("events_y20"); at != std::string::npos; at = listed.out.find("events_y20", at + 1))
    if (listed.out.compare(at, 15, "events_y2025m01") != 0) ++current_and_ahead;
  CHECK(current_and_ahead >= 3);
  CHECK(listed.out.find("events_default") != std::string::npos);

  const auto archive = dir / "archive";
  auto dropped = kiosk::test::RunProcess({bin, "--db", db, "retention", "--before", "2025-02", "--export", archive.string()});
  INFO(dropped.out << dropped.err);
  REQUIRE(dropped.exit_code == 0);
  CHECK(dropped.out.find("exported and dropped 2025-01") != std::string::npos);
  const std::string csv = kiosk::test::ReadFile(archive / "events-202501.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') >= 5);  // a header and seqs 1-4
  CHECK(csv.find(k.events[0].hash) != std::string::npos);
  CHECK(csv.find(k.events[3].hash) != std::string::npos);
  CHECK(csv.find(k.events[4].hash) == std::string::npos);
  CHECK(store->CountEvents(k.id).value() == 6);
  auto again = kiosk::test::RunProcess({bin, "--db", db, "partitions"});
  CHECK(again.out.find("events_y2025m01") == std::string::npos);
  auto nothing = kiosk::test::RunProcess({bin, "--db", db, "retention", "--before", "2025-02", "--export", archive.string()});
  CHECK(nothing.out.find("no month before 2025-02") != std::string::npos);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
