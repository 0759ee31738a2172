// kiosk-central over real HTTP on loopback: enrolment, signed pushes, chain checks, the
// program's rules, reference deltas and the USB import path.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <thread>

#include "central/central_fixture.hpp"
#include "central/sqlite_store.hpp"
#include "storage/db.hpp"
#include "kiosk/core/reference.hpp"

using nlohmann::json;
using kiosk::test::AcceptedBatch;
using kiosk::test::CentralFixture;
using kiosk::test::ScriptedKiosk;
namespace ksync = kiosk::sync;

namespace {

void Fill(ScriptedKiosk& k, int n) {
  for (int i = 0; i < n; ++i) k.Add("device.audited", json{{"devices", json::array({{{"asset_tag", "DEMO-00001"}}})}});
}

}  // namespace

TEST_CASE("enrolment: a wrong code is refused, the right one enrols and proves the central's identity") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-E1");
  auto bad = f.Enrol(k, "AAAAA-AAAAA-AAAAA-AAAAA");
  CHECK(bad.status == 403);
  CHECK(f.ErrorCode(bad) == "enrol.bad_code");

  auto good = f.Enrol(k);
  REQUIRE(good.status == 200);
  json j = json::parse(good.body);
  CHECK(j["central_public_key"] == f.central->SigningKey().public_hex);
  auto code_check = f.central->CreateEnrolment("KIOSK-E1");  // a fresh code; the answer's proof is per code
  CHECK(code_check.ok());
  CHECK(j["acked_through"] == 0);
}

TEST_CASE("an unenrolled kiosk can't push, and a code for another kiosk id does not help") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-U1");
  Fill(k, 3);
  auto r = f.Push(k, 1, 3);
  CHECK(r.status == 403);
  CHECK(f.ErrorCode(r) == "kiosk.not_enrolled");

  auto other_code = f.central->CreateEnrolment("KIOSK-OTHER");
  auto wrong = f.Enrol(k, *other_code);  // the code was issued for KIOSK-OTHER
  CHECK(wrong.status == 403);
  CHECK(f.central->CountEvents("").value() == 0);
}

TEST_CASE("push: acked_through, per-event verdicts and a signed anchor — resending changes nothing") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-P1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 10);
  auto r = AcceptedBatch(f.Push(k, 1, 10));
  CHECK(r.acked_through == 10);
  CHECK(r.head_hash == k.events.back().hash);
  REQUIRE(r.verdicts.size() == 10);
  CHECK(r.verdicts[3].seq == 4);
  CHECK(r.verdicts[3].verdict == ksync::VerdictKind::Accepted);
  CHECK(ksync::VerifySigned(f.central->SigningKey().public_hex, ksync::AnchorSigningString(r.anchor), r.anchor.signature));
  CHECK(r.anchor.seq == 10);

  // The response was "lost": the kiosk resends an overlapping batch.
  Fill(k, 5);
  auto again = AcceptedBatch(f.Push(k, 6, 15));
  CHECK(again.acked_through == 15);
  CHECK(again.verdicts.size() == 10);
  CHECK(f.central->CountEvents("KIOSK-P1").value() == 15);
  auto dup = AcceptedBatch(f.Push(k, 1, 15));
  CHECK(dup.acked_through == 15);
  CHECK(f.central->CountEvents("KIOSK-P1").value() == 15);
}

TEST_CASE("out-of-order batch: a gap is refused with the central's high-water mark") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-G1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 20);
  auto r = f.Push(k, 11, 20);
  CHECK(r.status == 409);
  CHECK(f.ErrorCode(r) == "batch.gap");
  CHECK(json::parse(r.body)["error"]["acked_through"] == 0);
  AcceptedBatch(f.Push(k, 1, 10));
  CHECK(AcceptedBatch(f.Push(k, 11, 20)).acked_through == 20);
  CHECK(f.central->CountEvents("KIOSK-G1").value() == 20);
}

TEST_CASE("two batches in flight: the later one, arriving first, waits for the earlier and both are stored") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-I1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 600);
  // The later batch is sent first; the earlier follows 100 ms later on a second connection of
  // the same client (one Send may run on each thread), as a kiosk's two requests may reach the
  // central in either order.
  kiosk::platform::HttpResponse later;
  std::thread t([&] { later = f.Push(k, 301, 600); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto earlier = f.Push(k, 1, 300);
  t.join();
  CHECK(AcceptedBatch(earlier).acked_through == 300);
  auto r = AcceptedBatch(later);
  CHECK(r.acked_through == 600);
  REQUIRE(r.verdicts.size() == 300);
  CHECK(r.verdicts.front().seq == 301);
  CHECK(f.central->CountEvents("KIOSK-I1").value() == 600);
}

TEST_CASE("forged HMAC, wrong kiosk key and a replayed request are refused without storing anything") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-S1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 3);
  const std::string body = ksync::SerializeBatch(k.MakeBatch(1, 3));

  kiosk::JournalKey other;
  kiosk::crypto::RandomBytes(other.bytes);
  auto wrong_key = f.PushBody(k, body, &other);
  CHECK(wrong_key.status == 401);
  CHECK(f.ErrorCode(wrong_key) == "auth.bad_signature");

  // Body altered after signing (a tampered payload in transit).
  ksync::SignedHeaders h = ksync::SignRequest(k.key, "POST", "/v1/batches", k.id, kiosk::test::NowMs(), body);
  std::string altered = body;
  altered.replace(altered.find("DEMO-00001"), 10, "DEMO-00002");
  auto tampered = f.Post("/v1/batches", altered, CentralFixture::HeadersFor(h));
  CHECK(tampered.status == 401);
  CHECK(f.central->CountEvents("KIOSK-S1").value() == 0);

  ksync::SignedHeaders sent;
  AcceptedBatch(f.PushBody(k, body, nullptr, &sent));
  auto replay = f.Post("/v1/batches", body, CentralFixture::HeadersFor(sent));
  CHECK(replay.status == 401);
  CHECK(f.ErrorCode(replay) == "auth.replayed");

  // A request signed 10 minutes in the past is outside the window.
  auto old = ksync::SignRequest(k.key, "POST", "/v1/batches", k.id, kiosk::test::NowMs() - 600000, body);
  auto stale = f.Post("/v1/batches", body, CentralFixture::HeadersFor(old));
  CHECK(stale.status == 401);
  CHECK(f.ErrorCode(stale) == "auth.clock");
  CHECK(json::parse(stale.body)["error"].contains("server_time_ms"));
  CHECK(f.central->CountEvents("KIOSK-S1").value() == 3);
}

TEST_CASE("an event altered in the kiosk's journal is quarantined as rejected and does not block the queue") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-T1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 5);
  k.events[2].payload = R"({"devices":[{"asset_tag":"DEMO-99999"}]})";  // hash no longer matches
  auto r = AcceptedBatch(f.Push(k, 1, 5));
  CHECK(r.acked_through == 5);
  CHECK(r.verdicts[2].verdict == ksync::VerdictKind::Rejected);
  CHECK(r.verdicts[2].code == "event.tampered");
  CHECK(r.verdicts[2].message.find("Seq 3") != std::string::npos);
  CHECK(r.verdicts[3].verdict == ksync::VerdictKind::Accepted);
}

TEST_CASE("a re-logged event naming an event the central holds with that very hash counts once: event.duplicate") {
  // kiosk recover logs a restored kiosk's own events again with a "replaces" link. Those never
  // reached the central; one that names an event the central does hold changes nothing.
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-D1");
  REQUIRE(f.Enrol(k).status == 200);
  const json redeem{{"partner_id", "P-FI-0001"}, {"reward_id", "R-001"}, {"qty", 1}, {"points", 500}};
  k.Add("loyalty.redeemed", redeem);
  REQUIRE(AcceptedBatch(f.Push(k, 1, 1)).verdicts[0].verdict == ksync::VerdictKind::Accepted);
  const kiosk::Event original = k.events[0];
  auto relogged = [&](const std::string& hash) {
    json p = redeem;
    p["replaces"] = {{"seq", original.seq}, {"hash", hash}, {"event_id", original.event_id}, {"wall_time", original.wall_time}};
    return p;
  };
  k.Add("loyalty.redeemed", relogged(original.hash));        // the central holds seq 1 with this hash
  k.Add("loyalty.redeemed", relogged(std::string(64, '0')));  // a replaced event the central never had
  auto r = AcceptedBatch(f.Push(k, 2, 3));
  CHECK(r.verdicts[0].verdict == ksync::VerdictKind::Rejected);
  CHECK(r.verdicts[0].code == "event.duplicate");
  CHECK(r.verdicts[0].message.find("in place of seq 1") != std::string::npos);
  CHECK(r.verdicts[1].verdict != ksync::VerdictKind::Rejected);
  int redemptions = -1;  // the header row
  REQUIRE(f.central->Report("redemptions", [&](const std::vector<std::string>&) { ++redemptions; }).ok());
  CHECK(redemptions == 2);
}

TEST_CASE("a NUL character (\\u0000) in an event is quarantined with a clear verdict, never a retry loop") {
  // PostgreSQL's text can't hold NUL: such a batch used to be answered 503 on every resend.
  // KIOSK_TEST_STORE=postgresql runs this case on PostgreSQL too.
  CentralFixture f;
  ScriptedKiosk k("KIOSK-N1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 4);
  // Seq 2 as a kiosk logged it, NUL and all, correctly signed: its HMAC and the chain hold.
  k.events[1].payload = std::string("{\"note\":\"a\0b\"}", 14);
  k.events[1].actor = std::string("BDG\0", 4);
  for (size_t i = 1; i < k.events.size(); ++i) {
    k.events[i].prev_hash = k.events[i - 1].hash;
    k.events[i].hash = kiosk::ComputeEventHash(k.key, k.events[i]);
  }
  const std::string body = ksync::SerializeBatch(k.MakeBatch(1, 4));
  REQUIRE(body.find("\\u0000") != std::string::npos);  // on the wire as JSON writes it
  auto r = AcceptedBatch(f.PushBody(k, body));
  CHECK(r.acked_through == 4);
  CHECK(r.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[1].verdict == ksync::VerdictKind::Rejected);
  CHECK(r.verdicts[1].code == "event.malformed");
  CHECK(r.verdicts[1].message.find("Seq 2") != std::string::npos);
  CHECK(r.verdicts[1].message.find("payload, actor") != std::string::npos);
  CHECK(r.verdicts[1].message.find("NUL character") != std::string::npos);
  CHECK(r.verdicts[2].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[3].verdict == ksync::VerdictKind::Accepted);
  CHECK(f.central->CountEvents("KIOSK-N1").value() == 4);

  // A resend (the answer was lost) is recognised, and the queue goes on after it.
  auto again = AcceptedBatch(f.PushBody(k, body));
  CHECK(again.acked_through == 4);
  CHECK(again.verdicts[1].code == "event.malformed");
  Fill(k, 1);
  CHECK(AcceptedBatch(f.Push(k, 5, 5)).acked_through == 5);
  CHECK(f.central->CountEvents("KIOSK-N1").value() == 5);

  // The stored copy shows where the NUL was.
  auto stored = f.store->GetEvent("KIOSK-N1", 2);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK((*stored)->event.payload == R"({"note":"a\u0000b"})");
  CHECK((*stored)->event.actor == R"(BDG\u0000)");
  CHECK((*stored)->verdict.verdict == ksync::VerdictKind::Rejected);

  // NUL in the batch's own fields: refused with 400 and a message, nothing stored.
  Fill(k, 1);
  auto bad = k.MakeBatch(6, 6);
  bad.boot_id = std::string("boot\0x", 6);
  auto refused = f.PushBody(k, ksync::SerializeBatch(bad));
  CHECK(refused.status == 400);
  CHECK(f.ErrorCode(refused) == "batch.malformed");
  CHECK(refused.body.find("boot_id contains a NUL character") != std::string::npos);
  CHECK(f.central->CountEvents("KIOSK-N1").value() == 5);
}

TEST_CASE("a reference record whose key holds a NUL character is refused with a message, nothing loaded") {
  CentralFixture f;
  auto r = f.central->LoadReference(std::string(
      R"({"format":"showroom-kiosk/reference","format_version":1,"version":1,"full":true,"partners":[{"id":"P\u0000","name":"x","country":"FI","region":"Nordics","tier":"gold","type":"solution_provider","authorization":"authorized","status":"active"}]})"));
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().code == "reference.invalid");
  CHECK(r.error().message.find("NUL") != std::string::npos);
}

TEST_CASE("a reused event id is quarantined within a batch, across batches and kiosks — resending changes nothing") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-D1"), other("KIOSK-D2");
  REQUIRE(f.Enrol(k).status == 200);
  REQUIRE(f.Enrol(other).status == 200);
  // The central looks the ids of a batch up in chunks of 256: a batch of 600 crosses two chunk
  // boundaries.
  auto add_reusing = [](ScriptedKiosk& kiosk, const std::string& event_id) {
    kiosk.Add("device.audited", json{{"devices", json::array()}});
    kiosk.events.back().event_id = event_id;
    kiosk.events.back().hash = kiosk::ComputeEventHash(kiosk.key, kiosk.events.back());
  };
  Fill(k, 10);
  AcceptedBatch(f.Push(k, 1, 10));
  Fill(k, 290);                        // seqs 11..300
  add_reusing(k, k.events[0].event_id);  // 301: reuses seq 1's id (an earlier batch)
  Fill(k, 200);                        // 302..501
  add_reusing(k, k.events[19].event_id);  // 502: reuses seq 20's id (this batch, another chunk)
  add_reusing(k, k.events[500].event_id);  // 503: reuses seq 501's id (this batch, same place)
  Fill(k, 97);                         // 504..600
  auto r = AcceptedBatch(f.Push(k, 11, 600));
  REQUIRE(r.verdicts.size() == 590);
  auto verdict = [&](const ksync::BatchResponse& resp, int64_t seq) {
    for (const auto& v : resp.verdicts)
      if (v.seq == seq) return v;
    FAIL("no verdict for seq " << seq);
    return ksync::Verdict{};
  };
  int rejected = 0;
  for (const auto& v : r.verdicts) rejected += v.verdict == ksync::VerdictKind::Rejected;
  CHECK(rejected == 3);
  for (int64_t seq : {301, 502, 503}) {
    CAPTURE(seq);
    CHECK(verdict(r, seq).code == "event.duplicate_id");
  }
  CHECK(verdict(r, 20).verdict == ksync::VerdictKind::Accepted);
  CHECK(verdict(r, 501).verdict == ksync::VerdictKind::Accepted);

  // Another kiosk reusing an id of the first: quarantined too.
  add_reusing(other, k.events[42].event_id);
  Fill(other, 2);
  auto o = AcceptedBatch(f.Push(other, 1, 3));
  CHECK(o.verdicts[0].code == "event.duplicate_id");
  CHECK(o.verdicts[1].verdict == ksync::VerdictKind::Accepted);

  // The whole history again (a lost answer): duplicates, each with its stored verdict, nothing new.
  auto again = AcceptedBatch(f.Push(k, 1, 600));
  CHECK(again.acked_through == 600);
  REQUIRE(again.verdicts.size() == 600);
  for (int64_t seq : {301, 502, 503}) CHECK(verdict(again, seq).code == "event.duplicate_id");
  CHECK(verdict(again, 20).verdict == ksync::VerdictKind::Accepted);
  CHECK(f.central->CountEvents("KIOSK-D1").value() == 600);
  CHECK(f.central->CountEvents("").value() == 603);
}

TEST_CASE("a sell-out under a reused event id claims nothing, and a tampered event reusing an id keeps its reason") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-D3");
  REQUIRE(f.Enrol(k).status == 200);
  const json sold{{"partner_id", "P-FI-0001"}, {"units", json::array({{{"gtin", "00614141000043"}, {"serial", "R1"}}})}};
  Fill(k, 2);
  // Seq 3 reports serial R1 under seq 1's id: quarantined, so the serial stays unclaimed.
  k.Add("sellout.reported", sold);
  k.events.back().event_id = k.events[0].event_id;
  k.events.back().hash = kiosk::ComputeEventHash(k.key, k.events.back());
  // Seq 4 is altered after logging and also reuses seq 2's id: it stays "tampered".
  Fill(k, 1);
  k.events.back().event_id = k.events[1].event_id;
  k.events.back().payload = R"({"devices":[]})";
  // Seq 5 reports R1 again, under its own id: the first real report of it.
  k.Add("sellout.reported", sold);
  auto r = AcceptedBatch(f.Push(k, 1, 5));
  CHECK(r.acked_through == 5);
  REQUIRE(r.verdicts.size() == 5);
  CHECK(r.verdicts[2].code == "event.duplicate_id");
  CHECK(r.verdicts[3].verdict == ksync::VerdictKind::Rejected);
  CHECK(r.verdicts[3].code == "event.tampered");
  CHECK(r.verdicts[4].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[4].code == "");
  // A second report of R1 is the duplicate, and the central stored that verdict, not the accept
  // it wrote before the rules ran: a resend returns it.
  k.Add("sellout.reported", sold);
  auto second = AcceptedBatch(f.Push(k, 6, 6));
  CHECK(second.verdicts[0].code == "sellout.duplicate_serial");
  auto again = AcceptedBatch(f.Push(k, 1, 6));
  REQUIRE(again.verdicts.size() == 6);
  for (size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(again.verdicts[i].verdict == (i < 5 ? r.verdicts[i] : second.verdicts[0]).verdict);
    CHECK(again.verdicts[i].code == (i < 5 ? r.verdicts[i] : second.verdicts[0]).code);
  }
  CHECK(f.central->CountEvents("KIOSK-D3").value() == 6);
}

TEST_CASE("the same seq with another hash is a fork, reported as tampering") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-F1");
  REQUIRE(f.Enrol(k).status == 200);
  Fill(k, 4);
  AcceptedBatch(f.Push(k, 1, 4));
  // Rewrite history from seq 3 on, correctly signed: a fork.
  k.events.resize(2);
  k.Add("device.audited", json{{"devices", json::array()}});
  k.Add("device.audited", json{{"devices", json::array()}});
  auto r = f.Push(k, 3, 4);
  CHECK(r.status == 409);
  CHECK(f.ErrorCode(r) == "journal.fork");
  int flags = 0;
  (void)f.central->Report("flags", [&](const std::vector<std::string>& row) { flags += row[2] == "journal.fork"; });
  CHECK(flags == 1);
  CHECK(f.central->CountEvents("KIOSK-F1").value() == 4);
}

TEST_CASE("rules: redemptions against the authoritative balance are adjusted or rejected") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-R1"), b("KIOSK-R2");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  // P-FI-0001 has 24,500 points. Offline, kiosk A redeems 20,000 and kiosk B 12,000.
  a.Add("loyalty.redeemed", json{{"partner_id", "P-FI-0001"}, {"reward_id", "R-001"}, {"points", 20000}});
  b.Add("loyalty.redeemed", json{{"partner_id", "P-FI-0001"}, {"reward_id", "R-001"}, {"points", 12000}});
  b.Add("loyalty.redeemed", json{{"partner_id", "P-FI-0001"}, {"reward_id", "R-001"}, {"points", 500}});
  auto ra = AcceptedBatch(f.Push(a, 1, 1));
  CHECK(ra.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  auto rb = AcceptedBatch(f.Push(b, 1, 2));
  CHECK(rb.verdicts[0].verdict == ksync::VerdictKind::Adjusted);
  CHECK(rb.verdicts[0].code == "loyalty.partly_honoured");
  CHECK(rb.verdicts[0].detail["honoured_points"] == 4500);
  CHECK(rb.verdicts[1].verdict == ksync::VerdictKind::Rejected);
  CHECK(rb.verdicts[1].code == "loyalty.insufficient_points");
  // The balance the kiosks pull is the central's.
  auto doc = json::parse(f.central->ReferenceDocument("KIOSK-R1", 1, -1).value());
  CHECK(doc["full"] == false);
  bool found = false;
  for (const auto& bal : doc["balances"])
    if (bal["partner_id"] == "P-FI-0001") {
      found = true;
      CHECK(bal["available"] == 0);
    }
  CHECK(found);
}

TEST_CASE("rules: one demo unit out at two kiosks is flagged — a serial sold twice is rejected — deals decided") {
  CentralFixture f;
  f.LoadDemoReference();
  REQUIRE(f.central->SetDealPolicy({true, 0}).ok());  // deals approved on arrival (deals_test.cpp: the default)
  ScriptedKiosk a("KIOSK-C1"), b("KIOSK-C2");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  json out{{"rep", "BDG-20024"}, {"due_date", "2026-12-08"}, {"purpose", "demo"},
           {"devices", json::array({{{"asset_tag", "DEMO-00007"}}})}};
  a.Add("device.checked_out", out);
  b.Add("device.checked_out", out);
  json sold{{"partner_id", "P-FI-0001"}, {"units", json::array({{{"gtin", "00614141000043"}, {"serial", "X1"}}})}};
  a.Add("sellout.reported", sold);
  b.Add("sellout.reported", sold);
  json deal{{"partner_id", "P-FI-0001"}, {"customer", "Acme Oy"}, {"product", "C4500 fleet"}, {"value_eur_cents", 100}};
  a.Add("deal.registered", deal);
  json deal2 = deal;
  deal2["partner_id"] = "P-PL-0001";
  deal2["customer"] = "ACME OY";
  b.Add("deal.registered", deal2);
  auto ra = AcceptedBatch(f.Push(a, 1, 3));
  auto rb = AcceptedBatch(f.Push(b, 1, 3));
  CHECK(ra.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(rb.verdicts[0].verdict == ksync::VerdictKind::Rejected);
  CHECK(rb.verdicts[0].code == "custody.conflict");
  CHECK(rb.verdicts[0].message.find("KIOSK-C1") != std::string::npos);
  CHECK(ra.verdicts[1].verdict == ksync::VerdictKind::Accepted);
  CHECK(rb.verdicts[1].code == "sellout.duplicate_serial");
  auto da = json::parse(f.central->ReferenceDocument("KIOSK-C1", 1, -1).value());
  auto db = json::parse(f.central->ReferenceDocument("KIOSK-C2", 1, -1).value());
  REQUIRE(da["deal_decisions"].size() == 1);
  CHECK(da["deal_decisions"][0]["status"] == "approved");
  CHECK(da["deal_decisions"][0]["seq"] == 3);
  REQUIRE(db["deal_decisions"].size() == 1);
  CHECK(db["deal_decisions"][0]["status"] == "rejected");
  // The unit's custody reached the published device record.
  for (const auto& d : da["devices"])
    if (d["asset_tag"] == "DEMO-00007") CHECK(d["custodian"] == "BDG-20024");
  // One row a kiosk reported (DEMO-00007), and the units the demo reference data has out (six
  // checked out, one in transit) that no kiosk has reported on.
  std::map<std::string, int> by_source;
  REQUIRE(f.central->Report("custody", [&](const std::vector<std::string>& r) { ++by_source[r.at(10)]; }).ok());
  CHECK(by_source["source"] == 1);
  CHECK(by_source["kiosk"] == 1);
  CHECK(by_source["reference"] == 7);
  CHECK(by_source.size() == 3);
}

TEST_CASE("custody report: each unit's latest accepted stocktake, units only a stocktake named included") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-S1"), b("KIOSK-S2");
  REQUIRE(f.Enrol(a).status == 200);
  REQUIRE(f.Enrol(b).status == 200);
  a.clock_offset_ms = -60'000;  // a's count was a minute before b's
  a.Add("stocktake.finished", json{{"by", "BDG-10017"}, {"scope", "Showroom A"}, {"expected", 3},
                                   {"found", {"DEMO-00015"}}, {"missing", {"DEMO-00009"}},
                                   {"misplaced", {{{"asset_tag", "DEMO-00004"}, {"location", "Showroom A, bay 2"}}}},
                                   {"unexpected", json::array()}});
  b.Add("device.checked_out", json{{"rep", "BDG-20024"}, {"due_date", "2026-12-08"},
                                   {"devices", json::array({{{"asset_tag", "DEMO-00007"}}})}});
  b.Add("stocktake.finished",
        json{{"by", "BDG-10025"}, {"scope", ""}, {"expected", 1}, {"found", json::array()}, {"missing", {"DEMO-00015"}},
             {"misplaced", json::array()},
             {"unexpected", {{{"asset_tag", "DEMO-00007"}, {"state", "checked_out"}, {"custodian", "BDG-20024"}}}}});
  // A malformed one is rejected, naming the member, and its units are nobody's stocktake.
  b.Add("stocktake.finished", json{{"by", "BDG-10025"}, {"scope", ""}, {"expected", 1}, {"found", {7}},
                                   {"missing", {"DEMO-00020"}}, {"misplaced", json::array()}, {"unexpected", json::array()}});
  auto ra = AcceptedBatch(f.Push(a, 1, 1));
  CHECK(ra.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  auto rb = AcceptedBatch(f.Push(b, 1, 3));
  CHECK(rb.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(rb.verdicts[1].verdict == ksync::VerdictKind::Accepted);
  CHECK(rb.verdicts[2].verdict == ksync::VerdictKind::Rejected);
  CHECK(rb.verdicts[2].message.find("found[0] must be a string") != std::string::npos);

  std::vector<std::vector<std::string>> rows, reference;
  REQUIRE(f.central
              ->Report(
                  "custody",
                  [&](const std::vector<std::string>& r) { (r.at(10) == "reference" ? reference : rows).push_back(r); })
              .ok());
  REQUIRE(rows.size() == 5);
  CHECK(rows[0] == std::vector<std::string>{"asset_tag", "state", "custodian", "kiosk_id", "seq", "since", "signature",
                                            "last_stocktake", "stocktake", "due_date", "source"});
  const std::string today = b.events[1].wall_time.substr(0, 10);
  const std::string a_day = a.events[0].wall_time.substr(0, 10);
  CHECK(rows[1] == std::vector<std::string>{"DEMO-00004", "", "", "", "", "", "", a_day, "misplaced", "", "stocktake"});
  CHECK(rows[2][0] == "DEMO-00007");
  CHECK(rows[2][1] == "checked_out");
  CHECK(rows[2][3] == "KIOSK-S2");
  CHECK(rows[2][4] == "1");
  CHECK(rows[2][7] == today);
  CHECK(rows[2][8] == "unexpected");
  CHECK(rows[2][9] == "2026-12-08");  // the checkout's due date, as the central's device record has it
  CHECK(rows[2][10] == "kiosk");
  CHECK(rows[3] == std::vector<std::string>{"DEMO-00009", "", "", "", "", "", "", a_day, "missing", "", "stocktake"});
  // Found by a's count, missing in b's later one: the later one stands.
  CHECK(rows[4] == std::vector<std::string>{"DEMO-00015", "", "", "", "", "", "", today, "missing", "", "stocktake"});
  // Units the vendor's reference data has out, which no kiosk reported on: who holds them comes
  // from there alone.
  REQUIRE(reference.size() == 7);
  CHECK(reference[0] == std::vector<std::string>{"DEMO-00008", "checked_out", "BDG-20016", "", "", "", "", "", "",
                                                 "2026-11-17", "reference"});
  int in_transit = 0;
  for (const auto& r : reference) in_transit += r[1] == "in_transit";
  CHECK(in_transit == 1);
}

TEST_CASE("the custody report with its evidence: drawn signatures written beside it, named in its column") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-EV");
  REQUIRE(f.Enrol(k).status == 200);
  auto checkout = [](const char* tag) {
    return json{{"rep", "BDG-20024"}, {"due_date", "2026-12-08"}, {"devices", json::array({{{"asset_tag", tag}}})}};
  };
  json drawn = checkout("DEMO-00007");
  drawn["signature"] = "M0 0l100 0M0 50l100 0";
  drawn["signature_sha256"] = std::string(64, 'a');
  json none = checkout("DEMO-00009");
  none["signature_none"] = "signed the paper form";
  k.Add("device.checked_out", drawn);
  k.Add("device.checked_out", none);
  k.Add("device.checked_out", checkout("DEMO-00010"));  // an older kiosk's: neither
  auto r = AcceptedBatch(f.Push(k, 1, 3));
  for (const auto& v : r.verdicts) CHECK(v.verdict == ksync::VerdictKind::Accepted);

  for (auto format : {kiosk::SignatureFormat::Svg, kiosk::SignatureFormat::Png}) {
    const auto dir = f.dir / (format == kiosk::SignatureFormat::Png ? "png" : "svg") / "evidence";
    std::vector<std::vector<std::string>> rows;
    auto s = f.central->CustodyWithSignatures(dir, format, [&](const std::vector<std::string>& row) { rows.push_back(row); });
    INFO((s.ok() ? std::string() : s.error().message));
    REQUIRE(s.ok());
    REQUIRE(rows.size() == 11);  // header, the three checkouts, seven units out per the reference data
    CHECK(rows[0][6] == "signature");
    std::map<std::string, std::string> column;
    for (size_t i = 1; i < rows.size(); ++i)
      if (rows[i][10] == "kiosk") column[rows[i][0]] = rows[i][6];
    CHECK(column.size() == 3);
    const std::string file = std::string("KIOSK-EV-1") + kiosk::Extension(format);
    CHECK(column["DEMO-00007"] == file);
    CHECK(column["DEMO-00009"] == "none");
    CHECK(column["DEMO-00010"] == "");
    // One file, holding the strokes and the caption.
    int files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
    CHECK(files == 1);
    std::ifstream in(dir / file, std::ios::binary);
    const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (format == kiosk::SignatureFormat::Svg) {
      CHECK(doc.find("d=\"M0 0 L100 0 M0 50 L100 50\"") != std::string::npos);
    } else {
      CHECK(doc.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    }
    CHECK(doc.find("Checkout 1 at KIOSK-EV · DEMO-00007 · BDG-20024") != std::string::npos);
  }
  // The same record `kiosk-central signature` shows, and what it says of the others.
  auto one = f.central->SignatureOf("KIOSK-EV", 1);
  REQUIRE(one.ok());
  CHECK(one->path == "M0 0l100 0M0 50l100 0");
  CHECK(kiosk::DrawnSignature(*f.central->SignatureOf("KIOSK-EV", 2)).error().message.find("signed the paper form") !=
        std::string::npos);
  CHECK(f.central->SignatureOf("KIOSK-EV", 9).error().code == "signature.no_event");
  // A folder that cannot be made: a clear error, nothing half-written.
  std::ofstream(f.dir / "a-file") << "x";
  auto blocked = f.central->CustodyWithSignatures(f.dir / "a-file", kiosk::SignatureFormat::Svg,
                                                  [](const std::vector<std::string>&) {});
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == "signature.dir");
}

TEST_CASE("rules read payloads of any shape as the JSON tree does: not an object, odd members, escapes") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-R9");
  REQUIRE(f.Enrol(k).status == 200);
  auto add_raw = [&](const std::string& type, const std::string& payload) {
    k.Add(type, json::object());
    k.events.back().payload = payload;
    k.events.back().hash = kiosk::ComputeEventHash(k.key, k.events.back());
  };
  add_raw("sellout.reported", R"({"partner_id":"P-1","units":[{"gtin":"0001","serial":"S1","note":{"gtin":5}}]})");
  add_raw("sellout.reported", R"({"units":[{"serial":"S1","gtin":"0001"},{"gtin":"0001","serial":"S2"}],"x":[1]})");
  add_raw("sellout.reported", R"([{"partner_id":"P-1"}])");
  add_raw("device.audited", R"("just a string")");
  add_raw("device.audited", R"({"devices":[{"asset_tag":"DEMO-1"}], "partner_id": 7})");
  add_raw("sellout.reported", R"({"units":{"gtin":"0001","serial":"S1"}})");  // not a list: no units
  add_raw("sellout.reported", R"({"units":[{"gtin":"0001","serial":"S2"}],"units":[{"gtin":"0001","serial":"S3"}]})");
  add_raw("sellout.reported", R"({"units":[{"gtin":"0001","serial":"S3"}]} trailing)");
  auto r = AcceptedBatch(f.Push(k, 1, 8));
  REQUIRE(r.verdicts.size() == 8);
  CHECK(r.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[1].verdict == ksync::VerdictKind::Adjusted);  // S1 again (escaped), S2 new
  CHECK(r.verdicts[1].code == "sellout.duplicate_serial");
  CHECK(r.verdicts[1].message.find("S1 (GTIN 0001, reported by KIOSK-R9 seq 1)") != std::string::npos);
  CHECK(r.verdicts[2].code == "event.payload");
  CHECK(r.verdicts[3].code == "event.payload");
  CHECK(r.verdicts[4].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[5].verdict == ksync::VerdictKind::Accepted);
  // A repeated member: the last one counts, as in the tree (S3 is new).
  CHECK(r.verdicts[6].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[7].code == "event.payload");
}

TEST_CASE("rules: a payload whose members have another type than the kiosk writes is rejected alone, naming the member") {
  // Before the typed payloads (kiosk/core/events.hpp) such a member threw out of the rules, and
  // the central answered 500 for the whole batch, again at every retry.
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-T1");
  REQUIRE(f.Enrol(k).status == 200);
  k.Add("loyalty.redeemed", json{{"partner_id", "P-FI-0001"}, {"reward_id", "R-001"}, {"points", "500"}});
  k.Add("sellout.reported", json{{"partner_id", "P-FI-0001"}, {"units", json::array({{{"gtin", 614141000043}, {"serial", "T1"}}})}});
  k.Add("demo.ordered", json{{"partner_id", "P-FI-0001"}, {"gtin", "00614141000012"}});
  k.Add("device.checked_out", json{{"rep", "BDG-20024"}, {"due_date", "2026-12-08"},
                                   {"devices", json::array({{{"asset_tag", "DEMO-00007"}}})}});
  auto r = AcceptedBatch(f.Push(k, 1, 4));
  REQUIRE(r.verdicts.size() == 4);
  CHECK(r.acked_through == 4);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(r.verdicts[i].verdict == ksync::VerdictKind::Rejected);
    CHECK(r.verdicts[i].code == "event.payload");
  }
  CHECK(r.verdicts[0].message == "Seq 1: The loyalty.redeemed payload's points must be a whole number, not a string. "
                                 "It changed nothing.");
  CHECK(r.verdicts[1].message.find("units[0].gtin must be a string") != std::string::npos);
  CHECK(r.verdicts[2].message.find("qty is missing") != std::string::npos);
  CHECK(r.verdicts[3].verdict == ksync::VerdictKind::Accepted);
}

TEST_CASE("a central database of schema 1 or 2 keeps its sell-outs when they move to an appended table") {
  // Schema 1: a rowid table keyed (gtin, serial); schema 2: the same without rowid.
  const char* without_rowid = "";
  int version = 1;
  SUBCASE("from schema 1") {}
  SUBCASE("from schema 2") {
    without_rowid = " WITHOUT ROWID";
    version = 2;
  }
  const auto dir = kiosk::test::TempDir("central-migrate");
  const auto path = dir / "central.db";
  {
    auto store = kiosk::central::OpenSqliteStore(path).value();
    REQUIRE(store->Begin().ok());
    REQUIRE(store->ClaimSellout({"0001", "S1", "P-1", "KIOSK-M1", 7}).ok());
    REQUIRE(store->ClaimSellout({"0001", "S0", "P-1", "KIOSK-M1", 8}).ok());
    REQUIRE(store->Commit().ok());
  }
  {
    // Back to the older sellouts and deals tables, as a central of that version left them.
    auto db = kiosk::storage::Db::Open({.path = path}).value();
    REQUIRE(db->ExecScript(std::string(R"sql(
ALTER TABLE sellouts RENAME TO sellouts_new;
CREATE TABLE sellouts (
  gtin TEXT NOT NULL, serial TEXT NOT NULL, partner_id TEXT NOT NULL, kiosk_id TEXT NOT NULL,
  seq INTEGER NOT NULL, PRIMARY KEY (gtin, serial)
))sql") + without_rowid + R"sql(;
INSERT INTO sellouts SELECT gtin, serial, partner_id, kiosk_id, seq FROM sellouts_new;
DROP TABLE sellouts_new;
DROP TABLE orders;  -- schema 4's (demo orders), which that central did not have
DROP INDEX deals_pending;  -- and schema 5's deals columns
ALTER TABLE deals DROP COLUMN registered_at;
ALTER TABLE deals DROP COLUMN decided_at;
ALTER TABLE deals DROP COLUMN decided_by;
ALTER TABLE deals DROP COLUMN reason;
DROP TABLE custody_conflicts;  -- and schema 8's custody conflicts
DROP TABLE reward_stock;  -- and schema 6's shared reward stock
DROP TABLE reward_allocations;
INSERT INTO refs (list, key, body, version, deleted) VALUES ('rewards', 'R-OLD', '{"id":"R-OLD","stock":7}', 3, 0);
DROP TABLE points_credits;  -- schema 7's points ledger
PRAGMA user_version = )sql" + std::to_string(version) + ";").ok());
  }
  auto store = kiosk::central::OpenSqliteStore(path).value();
  auto first = store->GetSellout("0001", "S1");
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->seq == 7);
  REQUIRE(store->Begin().ok());
  auto again = store->ClaimSellout({"0001", "S1", "P-2", "KIOSK-M2", 3});
  REQUIRE(again.ok());
  REQUIRE(again->has_value());  // already reported: the first report is returned
  CHECK((*again)->kiosk_id == "KIOSK-M1");
  CHECK(store->ClaimSellout({"0001", "S0", "P-2", "KIOSK-M2", 3})->has_value());
  auto fresh = store->ClaimSellout({"0001", "S2", "P-2", "KIOSK-M2", 4});
  REQUIRE(fresh.ok());
  CHECK(!fresh->has_value());
  REQUIRE(store->Commit().ok());
  auto db = kiosk::storage::Db::Open({.path = path}).value();
  // 6: the shared reward stock and the kiosks' allocations.
  CHECK(db->ScalarInt("SELECT count(*) FROM sqlite_master WHERE name IN ('reward_stock', 'reward_allocations')")
            .value() == 2);
  // A reward the central published before holds its reference figure as the channel's stock.
  CHECK(db->ScalarInt("SELECT stock FROM reward_stock WHERE reward_id = 'R-OLD'").value() == 7);
  CHECK(db->ScalarInt("PRAGMA user_version").value() == 8);
  CHECK(db->ScalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'points_credits'").value() == 1);
  CHECK(db->ScalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'custody_conflicts'").value() == 1);
  // 4: the demo orders (dropped above, made again); 5: the deals the vendor decides, with who
  // decided when and why; 7: the points ledger.
  CHECK(db->ScalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'orders'").value() == 1);
  CHECK(db->ScalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'points_credits'").value() == 1);
  CHECK(db->ScalarInt("SELECT count(*) FROM pragma_table_info('deals') WHERE name IN "
                      "('registered_at', 'decided_at', 'decided_by', 'reason')")
            .value() == 4);
  // Appended in the order of the reports: the old rows by (kiosk, seq), then the new one.
  std::vector<std::string> order;
  REQUIRE(db->Each("SELECT id, serial FROM sellouts ORDER BY id",
                   [&](kiosk::storage::Statement& r) { order.push_back(std::to_string(r.Int(0)) + r.Text(1)); })
              .ok());
  CHECK(order == std::vector<std::string>{"1S1", "2S0", "3S2"});
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_CASE("sell-outs: another process's claims are found, a rolled-back claim is forgotten and its id reused") {
  const auto dir = kiosk::test::TempDir("central-claims");
  const auto path = dir / "central.db";
  auto a = kiosk::central::OpenSqliteStore(path).value();
  auto b = kiosk::central::OpenSqliteStore(path).value();  // e.g. `kiosk-central import` beside the server
  // Both have read the table (empty) before the other writes.
  REQUIRE(a->Begin().ok());
  REQUIRE(!a->ClaimSellout({"0001", "A1", "P-1", "KIOSK-A", 1})->has_value());
  REQUIRE(a->Commit().ok());
  REQUIRE(b->Begin().ok());
  REQUIRE(!b->ClaimSellout({"0001", "B1", "P-2", "KIOSK-B", 1})->has_value());
  auto seen_by_b = b->ClaimSellout({"0001", "A1", "P-2", "KIOSK-B", 2});
  REQUIRE(seen_by_b.ok());
  REQUIRE(seen_by_b->has_value());
  CHECK((*seen_by_b)->kiosk_id == "KIOSK-A");
  REQUIRE(b->Commit().ok());
  REQUIRE(a->Begin().ok());
  auto seen_by_a = a->ClaimSellout({"0001", "B1", "P-1", "KIOSK-A", 2});
  REQUIRE(seen_by_a.ok());
  REQUIRE(seen_by_a->has_value());
  CHECK((*seen_by_a)->kiosk_id == "KIOSK-B");

  // Rolled back: the claim is gone from the table and from the index.
  REQUIRE(!a->ClaimSellout({"0001", "R1", "P-1", "KIOSK-A", 3})->has_value());
  a->Rollback();
  REQUIRE(a->Begin().ok());
  CHECK(!a->ClaimSellout({"0001", "R1", "P-1", "KIOSK-A", 3})->has_value());
  a->Rollback();
  // The rolled-back row's id goes to another process's claim, which must still be found.
  REQUIRE(b->Begin().ok());
  REQUIRE(!b->ClaimSellout({"0001", "B2", "P-2", "KIOSK-B", 3})->has_value());
  REQUIRE(b->Commit().ok());
  REQUIRE(a->Begin().ok());
  auto reused = a->ClaimSellout({"0001", "B2", "P-1", "KIOSK-A", 3});
  REQUIRE(reused.ok());
  REQUIRE(reused->has_value());
  CHECK((*reused)->kiosk_id == "KIOSK-B");
  CHECK(!a->ClaimSellout({"0001", "R1", "P-1", "KIOSK-A", 4})->has_value());
  REQUIRE(a->Commit().ok());
  CHECK(a->GetSellout("0001", "R1").value().value().seq == 4);

  // Many claims: the index grows past its first size and still finds every one.
  REQUIRE(a->Begin().ok());
  for (int i = 0; i < 3000; ++i)
    REQUIRE(!a->ClaimSellout({"0002", "M" + std::to_string(i), "P-1", "KIOSK-A", 10 + i})->has_value());
  REQUIRE(a->Commit().ok());
  REQUIRE(b->Begin().ok());
  int found = 0;
  for (int i = 0; i < 3000; i += 7) found += b->ClaimSellout({"0002", "M" + std::to_string(i), "P-2", "KIOSK-B", 9})
                                                ->has_value() ? 1 : 0;
  b->Rollback();
  CHECK(found == 429);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_CASE("clock: events whose device time is more than 10 minutes off are flagged with the central's estimate") {
  CentralFixture f;
  ScriptedKiosk k("KIOSK-K1");
  REQUIRE(f.Enrol(k).status == 200);
  k.clock_offset_ms = -3 * 3600 * 1000;  // device clock 3 hours behind
  Fill(k, 2);
  auto r = AcceptedBatch(f.Push(k, 1, 2));
  CHECK(r.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[0].code == "clock.skewed");
  CHECK(r.verdicts[0].detail["clock_skew_ms"].get<int64_t>() < -2 * 3600 * 1000);
  // A rule's own verdict keeps its code; the clock's figures join its detail, as stored.
  const json sold{{"partner_id", "P-FI-0001"}, {"units", json::array({{{"gtin", "00614141000043"}, {"serial", "K1"}}})}};
  k.Add("sellout.reported", sold);
  k.Add("sellout.reported", sold);
  auto rules = AcceptedBatch(f.Push(k, 3, 4));
  CHECK(rules.verdicts[0].code == "clock.skewed");
  CHECK(rules.verdicts[1].code == "sellout.duplicate_serial");
  CHECK(rules.verdicts[1].detail.contains("duplicates"));
  CHECK(rules.verdicts[1].detail.contains("clock_skew_ms"));
  auto resent = AcceptedBatch(f.Push(k, 4, 4));
  CHECK(resent.verdicts[0].code == "sellout.duplicate_serial");
  CHECK(resent.verdicts[0].detail == rules.verdicts[1].detail);
  ScriptedKiosk ok("KIOSK-K2");
  REQUIRE(f.Enrol(ok).status == 200);
  Fill(ok, 1);
  CHECK(AcceptedBatch(f.Push(ok, 1, 1)).verdicts[0].code == "");
}

TEST_CASE("reference ETag: 304 while nothing changed, 200 after a push or a publication, a replayed GET refused") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk k("KIOSK-G1");
  REQUIRE(f.Enrol(k).status == 200);
  auto get = [&](int64_t since, const std::string& etag, kiosk::sync::SignedHeaders* sent = nullptr,
                 const kiosk::sync::SignedHeaders* reuse = nullptr) {
    const std::string path = "/v1/reference?since=" + std::to_string(since) + "&verdicts_after=0";
    auto h = reuse ? *reuse : ksync::SignRequest(k.key, "GET", path, k.id, kiosk::test::NowMs(), "");
    if (sent) *sent = h;
    kiosk::platform::HttpRequest req;
    req.method = "GET";
    req.url = f.url + path;
    req.headers = CentralFixture::HeadersFor(h);
    if (!etag.empty()) req.headers.emplace_back("If-None-Match", etag);
    auto r = f.http->Send(req);
    REQUIRE(r.ok());
    return *r;
  };
  auto first = get(0, "");
  REQUIRE(first.status == 200);
  const std::string etag = first.Header("etag");
  REQUIRE(etag.size() == 34);
  CHECK(json::parse(first.body)["covers_kiosk_seq"] == 0);
  ksync::SignedHeaders sent;
  auto same = get(0, etag, &sent);
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(same.Header("etag") == etag);
  // Replayed as it was, or with the ETag left out to get the document: refused either way.
  CHECK(get(0, etag, nullptr, &sent).status == 401);
  auto replay = get(0, "", nullptr, &sent);
  CHECK(replay.status == 401);
  CHECK(f.ErrorCode(replay) == "auth.replayed");
  // Another `since` is another document.
  CHECK(get(1, etag).status == 200);

  // The kiosk's events stored: covers_kiosk_seq moved, so the same request is answered in full.
  Fill(k, 3);
  AcceptedBatch(f.Push(k, 1, 3));
  auto after_push = get(0, etag);
  REQUIRE(after_push.status == 200);
  CHECK(after_push.Header("etag") != etag);
  CHECK(json::parse(after_push.body)["covers_kiosk_seq"] == 3);
  const std::string etag2 = after_push.Header("etag");
  CHECK(get(0, etag2).status == 304);
  // New reference data: 200 again.
  f.LoadDemoReference();
  auto after_load = get(0, etag2);
  CHECK(after_load.status == 200);
  CHECK(after_load.Header("etag") != etag2);
}

TEST_CASE("reference: full snapshot at since=0, then only what changed") {
  CentralFixture f;
  f.LoadDemoReference();
  auto full = json::parse(f.central->ReferenceDocument("KIOSK-X", 0, -1).value());
  CHECK(full["full"] == true);
  CHECK(full["version"] == 1);
  CHECK(full["devices"].size() == 44);
  auto parsed = kiosk::ParseReference(full.dump());
  CHECK(parsed.ok());
  auto none = json::parse(f.central->ReferenceDocument("KIOSK-X", 1, -1).value());
  CHECK(none["full"] == false);
  CHECK(!none.contains("devices"));
  json delta{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 2}, {"full", false},
             {"base_version", 1}, {"rewards", json::array({{{"id", "R-001"}, {"deleted", true}}})}};
  REQUIRE(f.central->LoadReference(delta.dump()).ok());
  auto d = json::parse(f.central->ReferenceDocument("KIOSK-X", 1, -1).value());
  REQUIRE(d["rewards"].size() == 1);
  CHECK(d["rewards"][0]["deleted"] == true);
  CHECK(d["base_version"] == 1);
}

TEST_CASE("rules: a demo order from a suspended partner or beyond the tier's quota is rejected at the central too") {
  CentralFixture f;
  f.LoadDemoReference();
  ScriptedKiosk a("KIOSK-O1");
  REQUIRE(f.Enrol(a).status == 200);
  // P-FI-0001 is gold: 3 open units of the C4500. P-RU-0002 is suspended.
  a.Add("demo.ordered", json{{"partner_id", "P-FI-0001"}, {"gtin", "00614141000012"}, {"qty", 2}});
  a.Add("demo.ordered", json{{"partner_id", "P-RU-0002"}, {"gtin", "00614141000012"}, {"qty", 1}});
  a.Add("demo.ordered", json{{"partner_id", "P-FI-0001"}, {"gtin", "00614141000012"}, {"qty", 9}});
  auto r = AcceptedBatch(f.Push(a, 1, 3));
  REQUIRE(r.verdicts.size() == 3);
  CHECK(r.verdicts[0].verdict == ksync::VerdictKind::Accepted);
  CHECK(r.verdicts[1].verdict == ksync::VerdictKind::Rejected);
  CHECK(r.verdicts[1].code == "partner.suspended");
  CHECK(r.verdicts[2].verdict == ksync::VerdictKind::Rejected);
  CHECK(r.verdicts[2].code == "order.quota");
}
