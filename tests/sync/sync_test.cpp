// The kiosk's sync client against a real kiosk-central on loopback: every scenario ends with
// each event exactly once at the central and both sides level (CheckLevel).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "sync/fault_proxy.hpp"
#include "sync/sync_fixture.hpp"

using nlohmann::json;
using kiosk::test::CentralFixture;
using kiosk::test::CheckLevel;
using kiosk::test::Fault;
using kiosk::test::FaultProxy;
using kiosk::test::OpenKioskDb;
using kiosk::test::TestKiosk;
namespace ksync = kiosk::sync;

namespace {

const char* kCard = "6299246000100012";  // P-FI-0001, 24,500 points
const char* kStaff = "BDG-10017";
const char* kRep = "BDG-20024";

void EveryAction(kiosk::Kiosk& k) {
  REQUIRE(k.Checkout({{"DEMO-00007"}, kRep, "", "Customer demo", ""}).ok());
  REQUIRE(k.Checkin({{"DEMO-00007"}, kStaff, "ok"}).ok());
  REQUIRE(k.Audit({{"DEMO-00009"}, kStaff}).ok());
  REQUIRE(k.OrderDemo({kCard, "00614141000012", 1, kStaff}).ok());
  REQUIRE(k.Redeem({kCard, "R-001", 1, kStaff}).ok());
  REQUIRE(k.ReportSellout({kCard, {"(01)00614141000043(21)M18B9000001"}, kStaff}).ok());
  REQUIRE(k.RegisterDeal({kCard, "Acme Oy", "C4500 fleet", 25000, "2027-06-30", kStaff}).ok());
}

// Every action, then one round: everything reaches the central and the reference comes back.
void SyncEveryAction(CentralFixture& c, TestKiosk& k) {
  EveryAction(*k.kiosk);
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->pushed >= 8);
  CHECK(r->reference_applied);
  CheckLevel(c, k);
}

}  // namespace

TEST_CASE("happy path: every event type reaches the central once — verdicts, reference and deal decision return") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-H1");
  k.Enrol(c);
  SyncEveryAction(c, k);
  CheckVerdicts(c, k);
  // The deal's state arrived with the reference data: it waits for the vendor (the default policy).
  auto status = OpenKioskDb(*k.kiosk)->ScalarText("SELECT status FROM deals ORDER BY seq DESC LIMIT 1");
  CHECK(status.value().value_or("") == "pending");
  // Balance is the central's: 24,500 - 500 redeemed + 100 earned by the sold M1800 (issue 17).
  CHECK(k.kiosk->GetPartner(kCard)->balance.available == 24100);
  CHECK(k.kiosk->GetPartner(kCard)->credited_points == 100);
  CHECK(k.kiosk->Status().last_sync_error.empty());
  CHECK(!k.kiosk->Status().last_sync.empty());
  // A second round has nothing to send and changes nothing.
  auto again = k.engine->RunOnce();
  REQUIRE(again.ok());
  CHECK(again->pushed == 0);
  CheckLevel(c, k);
  // The vendor approves it at the central: the next round's pull brings the decision.
  auto deals = k.kiosk->Deals();
  REQUIRE(deals.ok());
  REQUIRE(!deals->empty());
  REQUIRE(c.central->DecideDeal("KIOSK-H1:" + std::to_string(deals->front().seq), true, "", "anna").ok());
  REQUIRE(k.engine->RunOnce().ok());
  CHECK(k.kiosk->Deals()->front().status == "approved");
  CHECK_FALSE(k.kiosk->Deals()->front().decided_at.empty());
}

TEST_CASE("a snapshot over 1 MiB is pulled through a file in the data folder, which is gone afterwards") {
  CentralFixture c;
  json doc = json::parse(kiosk::test::ReadFile(std::string(KIOSK_TEST_ASSETS) + "/demo/showroom.json"));
  const std::string gtin = doc["models"][0]["gtin"];
  for (int i = 0; i < 8000; ++i) {
    char tag[32], serial[32];
    std::snprintf(tag, sizeof tag, "BULK-%05d", i);
    std::snprintf(serial, sizeof serial, "BULK%07d", i);
    doc["devices"].push_back({{"asset_tag", tag}, {"gtin", gtin}, {"serial", serial}, {"state", "available"},
                              {"location", "Back room, shelf " + std::to_string(i % 30)}});
  }
  c.LoadDemoReference();  // version 1, as the kiosk's own demo data
  REQUIRE(c.central->LoadReference(doc.dump()).ok());  // version 2: a delta of 8,000 devices
  TestKiosk k(c.dir, "KIOSK-BIG");
  k.Enrol(c);
  const auto download = k.dir / ("reference." + std::to_string(::getpid()) + ".download");
  // Downloads left by pulls that died with their process go; a live process's file stays.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  REQUIRE(dead > 0);
  ::waitpid(dead, nullptr, 0);
  const auto stale = k.dir / ("reference." + std::to_string(dead) + ".download");
  const auto live = k.dir / "reference.1.download";  // init: alive, and not this kiosk's to judge
  std::ofstream(stale) << std::string(4096, 'x');
  std::ofstream(live) << "x";

  // The download can't be written (a folder is in the way): a clear error, nothing applied.
  std::filesystem::create_directory(download);
  std::filesystem::create_directory(download / "keep");  // not empty, so it outlives the attempt
  auto refused = k.engine->Pull();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "net.download_file");
  CHECK(refused.error().message.find(download.filename().string()) != std::string::npos);
  CHECK(k.kiosk->GetDevice("BULK-00001").ok() == false);
  std::filesystem::remove_all(download);

  auto pulled = k.engine->Pull();
  REQUIRE_MESSAGE(pulled.ok(), pulled.error().message);
  CHECK(pulled->reference_applied);
  // Version 2, and one more: the kiosk's enrolment shrank the demo rewards' shares (rewards.cpp).
  CHECK(pulled->reference_version == 3);
  CHECK(!std::filesystem::exists(stale));
  CHECK(std::filesystem::exists(live));
  CHECK(k.kiosk->GetDevice("BULK-07999").ok());
  CHECK(OpenKioskDb(*k.kiosk)->ScalarInt("SELECT count(*) FROM devices")->value() ==
        static_cast<int64_t>(doc["devices"].size()));
  CHECK_FALSE(std::filesystem::exists(download));
}

TEST_CASE("an unenrolled kiosk can't push and says how to enrol") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-N1", {.central_url = c.url});
  auto r = k.engine->RunOnce();
  REQUIRE(!r.ok());
  CHECK(r.error().code == "sync.not_enrolled");
  CHECK(r.error().message.find("kiosk enroll") != std::string::npos);
  CHECK(k.kiosk->Status().last_sync_error.find("not enrolled") != std::string::npos);
  CHECK(c.central->CountEvents("").value() == 0);
  // Nor export for a stick: the central would refuse the files of a kiosk it never enrolled.
  auto ex = k.engine->ExportTo(c.dir / "stick-n1");
  REQUIRE(!ex.ok());
  CHECK(ex.error().code == "export.not_enrolled");
  CHECK(ex.error().message.find("kiosk enroll") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(c.dir / "stick-n1"));
}

TEST_CASE("five kiosks pushing at once") {
  CentralFixture c;
  c.LoadDemoReference();
  std::vector<std::unique_ptr<TestKiosk>> kiosks;
  for (int i = 0; i < 5; ++i) {
    ksync::EngineOptions o;
    o.initial_batch_events = 50;
    kiosks.push_back(std::make_unique<TestKiosk>(c.dir, "KIOSK-M" + std::to_string(i), o));
    kiosks.back()->Enrol(c);
    kiosks.back()->AppendRaw(1500);
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (auto& k : kiosks)
    threads.emplace_back([&ok, &k] {
      if (k->engine->RunOnce().ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 5);
  for (auto& k : kiosks) CheckLevel(c, *k);
  CHECK(c.central->CountEvents("").value() == 5 * kiosks[0]->HeadSeq());
}

TEST_CASE("injected 500/503, connection resets and a response lost after the central committed") {
  CentralFixture c;
  FaultProxy proxy(c.server->Port());
  TestKiosk k(c.dir, "KIOSK-F1", {.central_url = proxy.Url(), .initial_batch_events = 100});
  k.Enrol(c);
  k.AppendRaw(1000);
  proxy.Inject(Fault::Status503, 1);
  auto r1 = k.engine->RunOnce();
  REQUIRE(!r1.ok());
  CHECK(r1.error().kind == kiosk::ErrorKind::Network);
  CHECK(k.engine->RetryAfterMs() == 0);
  CHECK(k.kiosk->Status().last_sync_error.find("injected") != std::string::npos);
  // curl retries a request once on its own when a kept-alive connection dies, so a reset or a
  // lost response may be healed inside the round; either way the round is repeated until done.
  proxy.Inject(Fault::ResetBeforeForward, 1);
  (void)k.engine->RunOnce();
  k.AppendRaw(500);
  proxy.Inject(Fault::DropResponseAfterCommit, 3);
  (void)k.engine->RunOnce();
  proxy.Inject(Fault::Status500, 1);
  (void)k.engine->RunOnce();
  kiosk::Result<ksync::SyncReport> r = kiosk::Error{};
  for (int i = 0; i < 5 && !(r = k.engine->RunOnce()).ok(); ++i) {
  }
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(proxy.FaultsDone() == 6);
  CheckLevel(c, k);
  CHECK(k.kiosk->Status().last_sync_error.empty());
}

TEST_CASE("batches in flight: faults on any one of them leave every event once and every verdict stored") {
  CentralFixture c;
  FaultProxy proxy(c.server->Port());
  // Batches of 256 (not grown: 256 is the most), so that every round keeps three in flight.
  TestKiosk k(c.dir, "KIOSK-F2", {.central_url = proxy.Url(), .initial_batch_events = 256, .max_batch_events = 256});
  k.Enrol(c);
  k.AppendRaw(3000);
  // Each fault hits whichever request reaches the proxy next: the oldest in flight or one behind
  // it.
  const Fault faults[] = {Fault::Status503, Fault::DropResponseAfterCommit, Fault::ResetBeforeForward,
                          Fault::Status500, Fault::DropResponseAfterCommit};
  for (Fault f : faults) {
    proxy.Inject(f, 1);
    (void)k.engine->RunOnce();
  }
  kiosk::Result<ksync::SyncReport> r = kiosk::Error{};
  for (int i = 0; i < 5 && !(r = k.engine->RunOnce()).ok(); ++i) {
  }
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(proxy.FaultsDone() == 5);
  CheckLevel(c, k);
  // A verdict for each event, fetched again where an answer was lost.
  CheckVerdicts(c, k);
}

TEST_CASE("an answer lost for a big batch, resent in smaller ones after a restart: every verdict is fetched") {
  CentralFixture c;
  FaultProxy proxy(c.server->Port());
  TestKiosk k(c.dir, "KIOSK-F3", {.central_url = proxy.Url(), .initial_batch_events = 1000, .max_batch_events = 1000});
  k.Enrol(c);
  k.AppendRaw(998);  // and the kiosk's own first two: one batch of 1,000
  // The central stores all 1,000 but the answer is lost (on a new connection, which curl does
  // not retry by itself).
  proxy.Inject(Fault::DropResponseAfterCommit, 1);
  (void)k.engine->RunOnce();
  REQUIRE(proxy.FaultsDone() == 1);
  REQUIRE(c.central->CountEvents(k.Id()).value() == 1000);
  REQUIRE(k.Acked() == 0);
  // Restarted, the kiosk sends in batches of 100: the central's answers say it holds 1,000.
  // (No pull: the reference's verdicts would hide what the push alone left out.)
  k.engine = std::make_unique<ksync::SyncEngine>(
      *k.kiosk, *k.http, ksync::EngineOptions{.central_url = proxy.Url(), .initial_batch_events = 100, .pull = false});
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CheckLevel(c, k);
  CheckVerdicts(c, k);
}

TEST_CASE("the client resends from the central's high-water mark when the central has less") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-O1");
  k.Enrol(c);
  k.AppendRaw(200);
  // As if the central's database had been restored from an older backup. The kiosk's verdicts
  // from then on may be out of date: one for seq 160 says rejected.
  REQUIRE(k.engine->SetState("acked_through", "150").ok());
  REQUIRE(k.engine->SetState("verdicts_through", "150").ok());
  REQUIRE(OpenKioskDb(*k.kiosk)
              ->Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, received_at) SELECT seq, event_id, "
                   "'rejected', 'old.verdict', 'from before', '' FROM journal WHERE seq = 160")
              .ok());
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CheckLevel(c, k);
  CHECK(k.Verdict(160) == "accepted ");  // the central's word now: a plain acceptance, no row
  CheckVerdicts(c, k);
}

TEST_CASE("a kiosk from before verdicts_through (a row for every verdict) asks for verdicts after its last row") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-V1");
  k.Enrol(c);
  k.AppendRaw(30);
  REQUIRE(OpenKioskDb(*k.kiosk)
              ->Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, received_at) SELECT seq, event_id, "
                   "'accepted', '', '', '' FROM journal WHERE seq <= 12")
              .ok());
  // Enrolled before the key existed: enrolment writes it now.
  REQUIRE(OpenKioskDb(*k.kiosk)->Run("DELETE FROM sync_state WHERE key = 'verdicts_through'").ok());
  CHECK(k.engine->VerdictsThrough() == 12);
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CheckLevel(c, k);
  CheckVerdicts(c, k);
  // The plain rows it had are gone with the first acknowledgement that covers them.
  CHECK(OpenKioskDb(*k.kiosk)->ScalarInt("SELECT count(*) FROM verdicts").value().value_or(-1) == 0);
}

TEST_CASE("verdicts learnt out of order do not vouch for the ones before them, and the pull fills the gap") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-V2");
  k.Enrol(c);
  k.AppendRaw(10);
  REQUIRE(k.engine->RunOnce().ok());
  // As if this kiosk had lost what it knew of the first verdicts (no mark, no rows).
  REQUIRE(OpenKioskDb(*k.kiosk)->Run("DELETE FROM sync_state WHERE key = 'verdicts_through'").ok());
  REQUIRE(k.engine->VerdictsThrough() == 0);
  k.AppendRaw(10);
  const int64_t tampered = k.HeadSeq() - 3;
  REQUIRE(OpenKioskDb(*k.kiosk)->ExecScript("DROP TRIGGER journal_append_only; UPDATE journal SET payload = "
                                         "'{\"by\":\"BDG-10017\",\"devices\":[]}' WHERE seq = " +
                                         std::to_string(tampered) + ";").ok());
  k.engine = std::make_unique<ksync::SyncEngine>(*k.kiosk, *k.http, ksync::EngineOptions{.pull = false});
  auto pushed = k.engine->RunOnce();
  REQUIRE_MESSAGE(pushed.ok(), pushed.error().message);
  CHECK(k.Verdict(tampered) == "rejected event.tampered");
  // Its row does not make the verdicts before it known.
  CHECK(k.engine->VerdictsThrough() == 0);
  CHECK(k.Verdict(1).empty());
  k.engine = std::make_unique<ksync::SyncEngine>(*k.kiosk, *k.http, ksync::EngineOptions{});
  auto pulled = k.engine->RunOnce();
  REQUIRE_MESSAGE(pulled.ok(), pulled.error().message);
  CheckLevel(c, k);
  CheckVerdicts(c, k);
}

TEST_CASE("a tampered event in the kiosk's journal is quarantined and the rest goes through") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-T1");
  k.Enrol(c);
  k.AppendRaw(20);
  REQUIRE(OpenKioskDb(*k.kiosk)->ExecScript("DROP TRIGGER journal_append_only; UPDATE journal SET payload = "
                                         "'{\"by\":\"BDG-10017\",\"devices\":[]}' WHERE seq = 7;").ok());
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->rejected >= 1);
  CHECK(k.Verdict(7) == "rejected event.tampered");
  CHECK(k.Verdict(8) == "accepted ");
  CheckLevel(c, k);
  CheckVerdicts(c, k);
}

TEST_CASE("a wrong kiosk key is refused with a clear error and nothing is stored") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-W1");
  k.Enrol(c);
  kiosk::JournalKey other;
  kiosk::crypto::RandomBytes(other.bytes);
  REQUIRE(kiosk::WriteKeyFile((k.dir / "kiosk.key").string(), other).ok());
  kiosk::platform::HttpClient& http = *k.http;
  ksync::SyncEngine fresh(*k.kiosk, http);  // reloads the key
  auto r = fresh.RunOnce();
  REQUIRE(!r.ok());
  CHECK(r.error().code == "auth.bad_signature");
  CHECK(c.central->CountEvents(k.Id()).value() == 0);
}

TEST_CASE("two kiosks overdraw one partner offline: the central adjusts, both kiosks show the outcome") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk a(c.dir, "KIOSK-A1"), b(c.dir, "KIOSK-B1");
  a.Enrol(c);
  b.Enrol(c);
  REQUIRE(a.kiosk->Redeem({kCard, "R-007", 1, kStaff}).ok());  // 15,000 of 24,500
  REQUIRE(b.kiosk->Redeem({kCard, "R-007", 1, kStaff}).ok());  // another 15,000
  const int64_t b_seq = b.HeadSeq();
  REQUIRE(a.engine->RunOnce().ok());
  REQUIRE(b.engine->RunOnce().ok());
  REQUIRE(a.engine->RunOnce().ok());  // a pulls the balance b's redemption changed
  CHECK(b.Verdict(b_seq) == "adjusted loyalty.partly_honoured");
  auto pb = b.kiosk->GetPartner(kCard);
  REQUIRE(pb.ok());
  CHECK(pb->balance.available == 0);
  CHECK(!pb->changes.empty());
  CHECK(a.kiosk->GetPartner(kCard)->balance.available == 0);
  CheckLevel(c, a);
  CheckLevel(c, b);
}

TEST_CASE("USB: export, import, re-import, receipt — a tampered file is refused naming the event") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-U1");
  k.Enrol(c);
  k.AppendRaw(3000);
  const auto stick = c.dir / "stick";
  auto ex = k.engine->ExportTo(stick);
  REQUIRE_MESSAGE(ex.ok(), ex.error().message);
  CHECK(ex->events == k.HeadSeq());
  CHECK(ex->files.size() >= 2);  // cut at 1 MiB
  CHECK(std::filesystem::exists(ex->manifest));

  // A copy with one event altered is refused, naming the event.
  const auto bad_dir = c.dir / "bad";
  std::filesystem::create_directories(bad_dir);
  std::string text = kiosk::test::ReadFile(ex->files[0]);
  const size_t at = text.find("DEMO-00001", text.find("\"seq\":5,") == std::string::npos ? 0 : 0);
  text.replace(text.find("DEMO-00001", at + 5000), 10, "DEMO-00099");
  { std::ofstream(bad_dir / ex->files[0].filename(), std::ios::binary) << text; }
  auto bad = c.central->ImportFiles({bad_dir / ex->files[0].filename()});
  REQUIRE(bad.ok());
  REQUIRE(bad->files.size() == 1);
  CHECK(!bad->files[0].ok);
  CHECK(bad->files[0].problem.find("seq ") != std::string::npos);
  CHECK(bad->files[0].problem.find("altered") != std::string::npos);
  CHECK(c.central->CountEvents(k.Id()).value() == 0);

  auto imp = c.central->ImportFiles(ex->files);
  REQUIRE(imp.ok());
  for (const auto& f : imp->files) CHECK_MESSAGE(f.ok, f.problem);
  REQUIRE(imp->receipts.size() == 1);
  CHECK(c.central->CountEvents(k.Id()).value() == k.HeadSeq());
  auto again = c.central->ImportFiles(ex->files);
  REQUIRE(again.ok());
  for (const auto& f : again->files) CHECK(f.new_events == 0);
  CHECK(c.central->CountEvents(k.Id()).value() == k.HeadSeq());

  CHECK(k.Acked() == 0);
  auto rec = k.engine->ApplyReceipt(imp->receipts[0]);
  REQUIRE_MESSAGE(rec.ok(), rec.error().message);
  CHECK(rec->acked_through == k.HeadSeq());
  CheckLevel(c, k);

  // A receipt altered on the way is refused.
  std::string r = kiosk::test::ReadFile(imp->receipts[0]);
  r.replace(r.find("acked_through\":"), 15, "acked_through\":1");
  { std::ofstream(c.dir / "forged.skr", std::ios::binary) << r; }
  auto forged = k.engine->ApplyReceipt(c.dir / "forged.skr");
  CHECK(!forged.ok());
}

TEST_CASE("USB: overlapping exports import once and the receipt holds one verdict per event") {
  CentralFixture c;
  TestKiosk k(c.dir, "KIOSK-U2");
  k.Enrol(c);
  k.AppendRaw(1000);
  auto first = k.engine->ExportTo(c.dir / "stick1");
  REQUIRE_MESSAGE(first.ok(), first.error().message);
  k.AppendRaw(500);
  // No receipt came back in between: the second export starts from seq 1 again.
  auto second = k.engine->ExportTo(c.dir / "stick2");
  REQUIRE_MESSAGE(second.ok(), second.error().message);
  const int64_t n = k.HeadSeq();  // 1,500 and what Kiosk::Init logged
  CHECK(second->from_seq == 1);
  CHECK(second->to_seq == n);
  CHECK(first->to_seq < n);

  std::vector<std::filesystem::path> files = first->files;
  files.insert(files.end(), second->files.begin(), second->files.end());
  auto imp = c.central->ImportFiles(files, c.dir / "receipts");
  REQUIRE_MESSAGE(imp.ok(), imp.error().message);
  for (const auto& f : imp->files) CHECK_MESSAGE(f.ok, f.problem);
  REQUIRE(imp->receipts.size() == 1);
  CHECK(c.central->CountEvents(k.Id()).value() == n);

  auto body = ksync::OpenReceipt(kiosk::test::ReadFile(imp->receipts[0]), c.central->SigningKey().public_hex);
  REQUIRE(body.ok());
  const json& verdicts = (*body)["verdicts"];
  REQUIRE(verdicts.size() == static_cast<size_t>(n));
  std::set<int64_t> seqs;
  for (const json& v : verdicts) seqs.insert(v["seq"].get<int64_t>());
  CHECK(seqs.size() == static_cast<size_t>(n));
  CHECK(*seqs.begin() == 1);
  CHECK(*seqs.rbegin() == n);

  auto rec = k.engine->ApplyReceipt(imp->receipts[0]);
  REQUIRE_MESSAGE(rec.ok(), rec.error().message);
  CHECK(rec->verdicts == n);
  CHECK(rec->acked_through == n);
  // All plain acceptances: no row for any of them, each one implied.
  CHECK(OpenKioskDb(*k.kiosk)->ScalarInt("SELECT count(*) FROM verdicts").value().value_or(0) == 0);
  CheckVerdicts(c, k);
  CheckLevel(c, k);
}

namespace {

// A self-signed certificate for 127.0.0.1 (NAME.pem) and its key (NAME.key), made with the openssl
// command at test time.
bool MakeSelfSigned(const std::filesystem::path& dir, const std::string& name) {
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                          "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                          (dir / (name + ".key")).string() + "' -out '" + (dir / (name + ".pem")).string() +
                          "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace

TEST_CASE("HTTPS: enrol and push over TLS trusting the central's CA, and a wrong CA is refused with a clear message") {
  CentralFixture c;
  c.LoadDemoReference();
  REQUIRE_MESSAGE(MakeSelfSigned(c.dir, "central"), "the openssl command is needed (package openssl)");
  REQUIRE_MESSAGE(MakeSelfSigned(c.dir, "other"), "the openssl command is needed (package openssl)");
  kiosk::central::Server tls(*c.central, {"127.0.0.1", 0, (c.dir / "central.pem").string(),
                                          (c.dir / "central.key").string()});
  REQUIRE(tls.Start().ok());
  const std::string url = "https://127.0.0.1:" + std::to_string(tls.Port());
  {
    // A CA that did not sign the central's certificate: refused before anything is sent.
    ksync::EngineOptions wrong;
    wrong.ca_file = (c.dir / "other.pem").string();
    TestKiosk w(c.dir, "KIOSK-T2", wrong);
    auto code = c.central->CreateEnrolment(w.Id());
    REQUIRE(code.ok());
    auto s = w.engine->Enrol(url, *code);
    REQUIRE(!s.ok());
    CHECK(s.error().code == "net.tls_untrusted");
    CHECK(s.error().message.find("other.pem") != std::string::npos);
    CHECK(s.error().message.find("--ca FILE") != std::string::npos);
    CHECK(!w.engine->Enrolled());
    CHECK(!c.store->GetKiosk(w.Id()).value().has_value());
    // No CA at all: the system's CAs don't know a self-signed central either.
    TestKiosk n(c.dir, "KIOSK-T3");
    auto code3 = c.central->CreateEnrolment(n.Id());
    auto s3 = n.engine->Enrol(url, *code3);
    REQUIRE(!s3.ok());
    CHECK(s3.error().code == "net.tls_untrusted");
    // A CA file that is not there is named.
    ksync::EngineOptions missing;
    missing.ca_file = (c.dir / "nowhere.pem").string();
    TestKiosk m(c.dir, "KIOSK-T4", missing);
    auto code4 = c.central->CreateEnrolment(m.Id());
    auto s4 = m.engine->Enrol(url, *code4);
    REQUIRE(!s4.ok());
    CHECK(s4.error().message.find("nowhere.pem") != std::string::npos);

    ksync::EngineOptions right;
    right.ca_file = (c.dir / "central.pem").string();
    TestKiosk k(c.dir, "KIOSK-T1", right);
    auto code1 = c.central->CreateEnrolment(k.Id());
    auto enrolled = k.engine->Enrol(url, *code1);
    REQUIRE_MESSAGE(enrolled.ok(), enrolled.error().message);
    SyncEveryAction(c, k);
    // The CA given at enrolment is kept: a later engine without --ca (the touchscreen's sync
    // thread) still verifies the central with it.
    CHECK(k.engine->State("central_ca_file") == (c.dir / "central.pem").string());
    REQUIRE(k.kiosk->Audit({{"DEMO-00009"}, kStaff}).ok());
    ksync::SyncEngine later(*k.kiosk, *k.http);
    auto pushed = later.Push();
    REQUIRE_MESSAGE(pushed.ok(), pushed.error().message);
    CHECK(pushed->pushed == 1);
    CheckLevel(c, k);
  }
  tls.Stop();
}

TEST_CASE("SyncService: background rounds, progress for the UI, SyncNow and Stop") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-S1");
  k.Enrol(c);
  k.AppendRaw(500);
  std::atomic<int> changes{0};
  ksync::SyncServiceOptions o;
  o.data_dir = k.dir;
  o.make_http = [] { return kiosk::platform::MakeCurlHttpClient(); };
  o.interval = std::chrono::seconds(30);
  ksync::SyncService service(o, [&] { ++changes; });
  service.Start();
  auto wait_for = [&](auto pred) {
    for (int i = 0; i < 500 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return pred();
  };
  REQUIRE(wait_for([&] { return service.Progress().rounds >= 1; }));
  CHECK(service.Progress().last_error.empty());
  CHECK(service.Progress().pending == 0);
  CHECK(changes > 0);
  REQUIRE(k.kiosk->Audit({{"DEMO-00009"}, kStaff}).ok());
  service.SyncNow();
  REQUIRE(wait_for([&] { return service.Progress().rounds >= 2; }));
  service.Stop();
  CHECK(service.Progress().phase == ksync::SyncPhase::Stopped);
  CheckLevel(c, k);
}

TEST_CASE("backoff: full jitter within 1 s * 2^n, capped at 5 min, never below Retry-After") {
  using std::chrono::milliseconds;
  for (int i = 0; i < 200; ++i) {
    CHECK(ksync::BackoffDelay(0, milliseconds(1000), milliseconds(300000), 0).count() <= 1000);
    CHECK(ksync::BackoffDelay(3, milliseconds(1000), milliseconds(300000), 0).count() <= 8000);
    CHECK(ksync::BackoffDelay(40, milliseconds(1000), milliseconds(300000), 0).count() <= 300000);
    CHECK(ksync::BackoffDelay(0, milliseconds(1000), milliseconds(300000), 7000).count() >= 7000);
  }
  int64_t max_seen = 0;
  for (int i = 0; i < 200; ++i)
    max_seen = std::max<int64_t>(max_seen, ksync::BackoffDelay(10, milliseconds(1000), milliseconds(300000), 0).count());
  CHECK(max_seen > 150000);  // it does grow
}
