// A kiosk restored from an older backup (issue 19, item 2): against a real kiosk-central on
// loopback, the kiosk finds out at its next sync (journal.fork), refuses actions that could never
// sync and says so in `kiosk status` and `kiosk doctor`, and `kiosk recover` takes the central's
// events back (checked against the kiosk's key and the central's anchor), logs the actions taken
// since the restore again after them, each linked to the event it replaces, and syncs: every
// action is held once at the central, and `kiosk verify` passes.
#include <doctest/doctest.h>

#include <map>

#include "kiosk/core/recovery.hpp"
#include "support/run_process.hpp"
#include "support/test_support.hpp"
#include "sync/sync_fixture.hpp"

using namespace kiosk;
using namespace kiosk::test;
using nlohmann::json;

namespace {

const char* kCard = "6299246000100012";  // P-FI-0001
const char* kStaff = "BDG-10017";
const char* kRep = "BDG-20024";

ProcessResult Cli(const TestKiosk& k, std::vector<std::string> args) {
  std::vector<std::string> argv{KioskBinary(), "--data", k.dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

void Close(TestKiosk& k) {
  k.engine.reset();
  k.kiosk.reset();
}

void Reopen(TestKiosk& k) {
  Close(k);
  auto opened = Kiosk::Open({.data_dir = k.dir});
  REQUIRE_MESSAGE(opened.ok(), opened.error().message);
  k.kiosk = std::move(*opened);
  k.engine = std::make_unique<sync::SyncEngine>(*k.kiosk, *k.http, k.m_options);
}

// The data folder copied aside (the kiosk closed, as a backup job would find it) and put back.
void Backup(TestKiosk& k, const std::filesystem::path& to) {
  Close(k);
  std::filesystem::copy(k.dir, to, std::filesystem::copy_options::recursive);
  Reopen(k);
}
void Restore(TestKiosk& k, const std::filesystem::path& from) {
  Close(k);
  std::filesystem::remove_all(k.dir);
  std::filesystem::copy(from, k.dir, std::filesystem::copy_options::recursive);
  Reopen(k);
}

void Sync(TestKiosk& k) {
  auto r = k.engine->RunOnce();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
}

// The central's events of a kiosk, by seq.
std::map<int64_t, Event> AtCentral(CentralFixture& c, const std::string& id) {
  std::map<int64_t, Event> out;
  REQUIRE(c.store->ForEachEvent(id, 1, [&](const central::StoredEvent& s) { out[s.event.seq] = s.event; }).ok());
  return out;
}

// Enrolled, three actions synced, a backup taken there, five more synced: returns the seq the
// backup ends at.
int64_t SyncedWithBackup(CentralFixture& c, TestKiosk& k, const std::filesystem::path& backup) {
  k.Enrol(c);
  REQUIRE(k.kiosk->Checkout({{"DEMO-00007"}, kRep, "", "Customer demo", ""}).ok());
  REQUIRE(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).ok());
  REQUIRE(k.kiosk->OrderDemo({kCard, "00614141000012", 1, kStaff}).ok());
  Sync(k);
  const int64_t at_backup = k.HeadSeq();
  REQUIRE(k.Acked() == at_backup);
  Backup(k, backup);
  // Lost by the restore below, but held by the central.
  REQUIRE(k.kiosk->Checkout({{"DEMO-00009"}, kRep, "", "Trade fair", ""}).ok());
  REQUIRE(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).ok());
  REQUIRE(k.kiosk->ReportSellout({kCard, {"(01)00614141000043(21)M18B9000001"}, kStaff}).ok());
  REQUIRE(k.kiosk->RegisterDeal({kCard, "Acme Oy", "C4500 fleet", 25000, "2027-06-30", kStaff}).ok());
  REQUIRE(k.kiosk->Audit({{"DEMO-00010"}, kStaff}).ok());
  Sync(k);
  CheckLevel(c, k);
  return at_backup;
}

int CountType(const std::map<int64_t, Event>& events, std::string_view type) {
  int n = 0;
  for (const auto& [seq, e] : events) n += e.type == type;
  return n;
}

}  // namespace

TEST_CASE("recover: a kiosk restored from an older backup is stopped at its next sync and recovered by one admin action") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-RS1");
  const auto backup = c.dir / "backup";
  const int64_t at_backup = SyncedWithBackup(c, k, backup);
  const int64_t central_head = AtCentral(c, k.Id()).rbegin()->first;
  REQUIRE(central_head > at_backup + 4);

  Restore(k, backup);
  REQUIRE(k.HeadSeq() == at_backup);
  // Not known yet: the kiosk goes on until its next contact. Two actions since the restore.
  REQUIRE(k.kiosk->Redeem({kCard, "R-002", 1, kStaff}).ok());
  REQUIRE(k.kiosk->Checkin({{"DEMO-00007"}, kStaff, "ok"}).ok());
  const auto before = k.kiosk->Journal(at_backup + 1, 10).value();
  REQUIRE(before.size() == 2);
  CHECK(k.kiosk->GetDevice("DEMO-00009")->device.state == DeviceState::Available);  // its checkout was lost

  // The sync finds the fork and keeps it.
  auto forked = k.engine->RunOnce();
  REQUIRE_FALSE(forked.ok());
  CHECK(forked.error().code == "journal.fork");
  auto fork = k.kiosk->KnownJournalFork();
  REQUIRE(fork.has_value());
  CHECK(fork->kind == "fork");
  CHECK(fork->central_seq == central_head);
  CHECK(fork->local_seq == at_backup + 2);
  CHECK(fork->via == "sync");
  // Actions that could never sync are refused, with the reason, and write nothing.
  auto refused = k.kiosk->Redeem({kCard, "R-001", 1, kStaff});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "journal.forked");
  CHECK(refused.error().message.find("restored from an older backup") != std::string::npos);
  CHECK(refused.error().message.find("kiosk recover") != std::string::npos);
  CHECK_FALSE(k.kiosk->StartStocktake(kStaff, "").ok());
  CHECK(k.HeadSeq() == at_backup + 2);

  // The same at the command line: status says it, an action exits 1, doctor 3.
  Close(k);
  auto status = Cli(k, {"status"});
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("RESTORED FROM AN OLDER BACKUP") != std::string::npos);
  CHECK(status.out.find("up to seq " + std::to_string(central_head)) != std::string::npos);
  auto status_json = json::parse(Cli(k, {"status", "--json"}).out);
  CHECK(status_json["journal_fork"]["central_seq"] == central_head);
  auto redeem = Cli(k, {"redeem", "--partner", kCard, "--reward", "R-001", "--by", kStaff});
  CHECK(redeem.exit_code == 1);
  CHECK(redeem.err.find("restored from an older backup") != std::string::npos);
  auto doctor = Cli(k, {"doctor", "--skip", "display", "--skip", "scanners", "--skip", "central", "--skip", "clock",
                        "--skip", "disk"});
  CHECK(doctor.exit_code == 3);
  CHECK(doctor.out.find("kiosk recover") != std::string::npos);

  // One admin action.
  auto recovered = Cli(k, {"recover", "--json"});
  INFO(recovered.out << recovered.err);
  REQUIRE(recovered.exit_code == 0);
  json r = json::parse(recovered.out);
  CHECK(r["fork_seq"] == at_backup + 1);
  CHECK(r["central_seq"] == central_head);
  REQUIRE(r["relogged"].size() == 2);
  CHECK(r["relogged"][0]["replaces"] == at_backup + 1);
  CHECK(r["relogged"][0]["seq"] == central_head + 1);
  CHECK(r["relogged"][1]["replaces"] == at_backup + 2);
  CHECK(r["relogged"][1]["seq"] == central_head + 2);
  CHECK(r["sync"]["acked_through"].get<int64_t>() >= central_head + 2);
  Reopen(k);

  // The journal: the central's events as it holds them, then the two actions, each linked to the
  // event it replaces; both sides level, and each action held once at the central.
  CheckLevel(c, k);
  const auto central = AtCentral(c, k.Id());
  const auto journal = k.kiosk->Journal(1, 1000).value();
  REQUIRE(static_cast<int64_t>(journal.size()) == k.HeadSeq());
  for (const Event& e : journal) {
    INFO("seq " << e.seq);
    REQUIRE(central.count(e.seq));
    CHECK(central.at(e.seq).hash == e.hash);
  }
  const Event& redo1 = journal[static_cast<size_t>(central_head)];
  const Event& redo2 = journal[static_cast<size_t>(central_head + 1)];
  CHECK(redo1.type == "loyalty.redeemed");
  CHECK(redo2.type == "device.checked_in");
  auto link1 = ReadReplaces(redo1.payload);
  auto link2 = ReadReplaces(redo2.payload);
  REQUIRE(link1.has_value());
  REQUIRE(link2.has_value());
  CHECK(*link1 == Replaces{before[0].seq, before[0].hash, before[0].event_id, before[0].wall_time});
  CHECK(*link2 == Replaces{before[1].seq, before[1].hash, before[1].event_id, before[1].wall_time});
  CHECK(redo1.actor == kStaff);
  CHECK(events::LoyaltyRedeemed::FromJson(redo1.payload)->reward_id == "R-002");
  CHECK(CountType(central, "loyalty.redeemed") == 3);
  CHECK(CountType(central, "device.checked_out") == 2);
  CHECK(CountType(central, "device.checked_in") == 1);
  CHECK(CountType(central, "sellout.reported") == 1);
  CHECK(CountType(central, "deal.registered") == 1);
  int redemptions = -1;  // the header row
  REQUIRE(c.central->Report("redemptions", [&](const std::vector<std::string>&) { ++redemptions; }).ok());
  CHECK(redemptions == 3);
  for (const auto& [seq, e] : central) {
    INFO("seq " << seq);
    CHECK(k.Verdict(seq).rfind("rejected", 0) != 0);
  }

  // Local state follows: the unit checked out before the restore is out again, the one checked
  // in since is back, and its history names the re-logged event.
  CHECK(k.kiosk->GetDevice("DEMO-00009")->device.state == DeviceState::CheckedOut);
  auto d7 = k.kiosk->GetDevice("DEMO-00007");
  CHECK(d7->device.state == DeviceState::Available);
  REQUIRE_FALSE(d7->history.empty());
  CHECK(d7->history.front().seq == central_head + 2);
  CHECK_FALSE(k.kiosk->KnownJournalFork().has_value());
  // Actions are allowed again, and sync.
  REQUIRE(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).ok());
  Sync(k);
  CheckLevel(c, k);
  Close(k);
  auto verify = Cli(k, {"verify"});
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.find("anchor at seq") != std::string::npos);
}

TEST_CASE("recover: a restored kiosk that logged nothing since learns it is behind from the central's data, and recovers") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-RS2");
  const auto backup = c.dir / "backup";
  const int64_t at_backup = SyncedWithBackup(c, k, backup);
  const int64_t central_head = AtCentral(c, k.Id()).rbegin()->first;
  Restore(k, backup);
  // Nothing to push: the round pulls the central's data, which covers events beyond our head.
  (void)k.engine->RunOnce();
  auto fork = k.kiosk->KnownJournalFork();
  REQUIRE(fork.has_value());
  CHECK(fork->central_seq == central_head);
  CHECK(fork->local_seq >= at_backup);
  CHECK(k.kiosk->Checkout({{"DEMO-00010"}, kRep, "", "Customer demo", ""}).error().code == "journal.forked");

  auto r = k.engine->Recover();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->fork_seq == at_backup + 1);
  CHECK(r->central_seq == central_head);
  Sync(k);
  CheckLevel(c, k);
  CHECK_FALSE(k.kiosk->KnownJournalFork().has_value());
  auto v = k.kiosk->Verify();
  REQUIRE(v.ok());
  CHECK(v->ok);
}

TEST_CASE("recover: the central's events tampered with, or an anchor not the central's, are refused and change nothing") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-RS3");
  const auto backup = c.dir / "backup";
  const int64_t at_backup = SyncedWithBackup(c, k, backup);
  Restore(k, backup);
  REQUIRE(k.kiosk->Redeem({kCard, "R-002", 1, kStaff}).ok());
  REQUIRE_FALSE(k.engine->RunOnce().ok());
  REQUIRE(k.kiosk->KnownJournalFork().has_value());
  const int64_t head = k.HeadSeq();
  const std::string head_hash = k.HeadHash();

  // What GET /v1/journal answers, as the central made it.
  json doc = json::parse(c.central->JournalDocument(k.Id(), at_backup, 0).value());
  std::vector<Event> genuine;
  for (const json& e : doc["events"]) genuine.push_back(EventFromJson(e).value());
  const Anchor anchor = sync::AnchorFromJson(doc["anchor"]).value();
  REQUIRE(genuine.size() >= 5);

  auto refused = [&](const std::vector<Event>& events, const Anchor& a) {
    auto r = k.kiosk->Recover(at_backup, events, a);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "recover.tampered");
    CHECK(r.error().kind == ErrorKind::Integrity);
    CHECK(k.HeadSeq() == head);
    CHECK(k.HeadHash() == head_hash);
    CHECK(k.kiosk->KnownJournalFork().has_value());
    CHECK(k.kiosk->Verify()->ok);
    return r.error().message;
  };
  {
    auto events = genuine;  // a payload edited: its HMAC no longer matches
    const size_t at = events[1].payload.find("R-001");
    REQUIRE(at != std::string::npos);
    events[1].payload.replace(at, 5, "R-005");
    CHECK(refused(events, anchor).find("HMAC") != std::string::npos);
  }
  {
    auto events = genuine;  // one left out
    events.erase(events.begin() + 2);
    refused(events, anchor);
  }
  {
    auto events = genuine;  // another kiosk's key: re-signed, but not by this kiosk
    JournalKey other;
    crypto::RandomBytes(other.bytes);
    std::string prev = events.front().prev_hash;
    for (Event& e : events) {
      e.prev_hash = prev;
      e.hash = ComputeEventHash(other, e);
      prev = e.hash;
    }
    refused(events, anchor);
  }
  {
    Anchor forged = anchor;  // the anchor's signature does not cover what it names
    forged.seq -= 1;
    forged.hash = genuine[genuine.size() - 2].hash;
    refused({genuine.begin(), genuine.end() - 1}, forged);
  }
  // The genuine answer is taken.
  auto ok = k.kiosk->Recover(at_backup, genuine, anchor);
  REQUIRE_MESSAGE(ok.ok(), ok.error().message);
  CHECK(ok->relogged.size() == 1);

  // A sync round that was on its way with the old events answers journal.fork after the recovery:
  // the record it leaves is over at the next verified acknowledgement...
  REQUIRE(k.kiosk->NoteJournalFork(anchor.seq, "sync").ok());
  CHECK(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).error().code == "journal.forked");
  Sync(k);
  CHECK_FALSE(k.kiosk->KnownJournalFork().has_value());
  CheckLevel(c, k);
  // ... or at a recovery that finds nothing to do.
  REQUIRE(k.kiosk->NoteJournalFork(anchor.seq, "sync").ok());
  auto nothing = k.engine->Recover();
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.error().code == "recover.not_needed");
  CHECK_FALSE(k.kiosk->KnownJournalFork().has_value());
  CHECK(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).ok());
}

TEST_CASE("recover: by stick alone — a reference file ahead of a restored kiosk stops it, export-journal heals it") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-RS4");
  const auto backup = c.dir / "backup";
  const int64_t at_backup = SyncedWithBackup(c, k, backup);
  const int64_t central_head = AtCentral(c, k.Id()).rbegin()->first;
  Restore(k, backup);
  REQUIRE(k.kiosk->Redeem({kCard, "R-002", 1, kStaff}).ok());  // since the restore
  const Event mine = k.kiosk->Journal(at_backup + 1, 1).value().front();
  const auto stick = c.dir / "stick";
  REQUIRE(c.central->ExportReference(k.Id(), stick).ok());
  auto imported = k.engine->ImportReference(stick);
  REQUIRE_FALSE(imported.ok());
  CHECK(imported.error().code == "reference_file.ahead");
  CHECK(imported.error().message.find("restored from an older backup") != std::string::npos);
  auto fork = k.kiosk->KnownJournalFork();
  REQUIRE(fork.has_value());
  CHECK(fork->kind == "behind");
  CHECK(fork->via == "stick");
  CHECK(fork->central_seq == central_head);
  CHECK(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).error().code == "journal.forked");

  // The central's journal on the stick; `kiosk recover --from` takes it, without the network.
  auto file = c.central->ExportJournal(k.Id(), stick);
  REQUIRE_MESSAGE(file.ok(), file.error().message);
  Close(k);
  auto cli = Cli(k, {"recover", "--from", stick.string(), "--json"});
  INFO(cli.out << cli.err);
  REQUIRE(cli.exit_code == 0);
  json r = json::parse(cli.out);
  CHECK(r["fork_seq"] == at_backup + 1);
  REQUIRE(r["relogged"].size() == 1);
  CHECK(r["relogged"][0]["seq"] == central_head + 1);
  CHECK_FALSE(r.contains("sync"));
  Reopen(k);
  CHECK_FALSE(k.kiosk->KnownJournalFork().has_value());
  CHECK(k.HeadSeq() == central_head + 1);
  CHECK(ReadReplaces(k.kiosk->Journal(central_head + 1, 1).value().front().payload)->hash == mine.hash);
  // Another kiosk's file, or a file that is not one, is refused.
  CHECK(k.engine->RecoverFromFile(stick / "nothing-here.json").error().code == "recover.no_file");
  CHECK(k.kiosk->Redeem({kCard, "R-001", 1, kStaff}).ok());
  Sync(k);
  CheckLevel(c, k);
}

TEST_CASE("recover: the vendor's decision on a deal lost by the restore shows after the recovery, though the restored kiosk pulled it first") {
  CentralFixture c;
  c.LoadDemoReference();
  TestKiosk k(c.dir, "KIOSK-RS5");
  const auto backup = c.dir / "backup";
  const int64_t at_backup = SyncedWithBackup(c, k, backup);
  const int64_t deal = at_backup + 4;  // the deal registered after the backup
  REQUIRE(c.central->DecideDeal(k.Id() + ":" + std::to_string(deal), true, "welcome", "vendor").ok());
  Restore(k, backup);
  // Nothing to push: the round pulls reference data, decision included, while the kiosk holds no
  // such deal; the data shows the journal behind.
  (void)k.engine->RunOnce();
  REQUIRE(k.kiosk->KnownJournalFork().has_value());
  auto r = k.engine->Recover();
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  Sync(k);
  auto deals = k.kiosk->Deals();
  REQUIRE(deals.ok());
  std::string status;
  for (const auto& d : *deals)
    if (d.seq == deal) status = d.status;
  CHECK(status == "approved");
  CheckLevel(c, k);
}
