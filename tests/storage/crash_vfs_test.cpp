// Power cuts and full/failing disks at every kind of write, simulated by the crash VFS
// (crash_vfs.hpp): each action, local settings, reference apply, USB export, receipt import
// (verdicts, acked_through, anchor) and retention. After each cut: the database opens, passes
// quick_check and verify (chain and anchor), and every event the kiosk confirmed is there.
// KIOSK_CRASH_CUTS sets the number of cuts (default 1500 for CI; 10,000+ by hand), and
// KIOSK_CRASH_SEED the seed (default fixed): a failure names the cut and seed to rerun.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/client.hpp"
#include "kiosk/sync/protocol.hpp"
#include "platform/http_client_curl.hpp"
#include "storage/crash_vfs.hpp"
#include "storage/db.hpp"
#include "support/kiosk_db.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kCard = demo::kGoldCard;

// What the kiosk told someone was done: a surviving database must hold all of it.
struct Confirmed {
  std::map<int64_t, std::string> events;  // seq -> event_id
  int64_t acked_through = 0;              // from an applied receipt
  std::vector<std::string> errors;        // codes of the failures seen (injection runs)
};

int64_t EnvInt(const char* name, int64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : def;
}

// A receipt from "the central" (the test's key) acknowledging everything up to the head, with one
// rejection, signed the way kiosk-central signs them.
std::string MakeTestReceipt(Kiosk& k, const sync::SigningKey& central) {
  const StatusView s = k.Status(Kiosk::StatusDetail::kSyncState);
  Anchor a{k.KioskId(), s.last_seq, s.last_hash, "2026-11-24T12:00:00.000Z", ""};
  a.signature = sync::Sign(central, AnchorSigningString(a));
  json verdicts = json::array();
  for (int64_t seq = 1; seq <= s.last_seq; ++seq) verdicts.push_back({{"seq", seq}, {"verdict", "accepted"}});
  verdicts.back() = {{"seq", s.last_seq}, {"verdict", "rejected"}, {"code", "loyalty.over_cap"}, {"message", "test"}};
  json body{{"kiosk_id", k.KioskId()},         {"acked_through", s.last_seq}, {"head_hash", s.last_hash},
            {"anchor", sync::ToJson(a)},      {"verdicts", verdicts},        {"imported_at", "2026-11-24T12:00:00.000Z"}};
  return sync::MakeReceipt(central, body);
}

// Every kind of write the kiosk makes, in order, until one fails (the cut, or an injected error).
// Returns true when all went through.
bool Workload(const fs::path& dir, ManualClock& clock, const sync::SigningKey& central, Confirmed& done) {
  auto opened = Kiosk::Open({.data_dir = dir, .clock = &clock});
  if (!opened.ok()) {
    done.errors.push_back(opened.error().code);
    return false;
  }
  Kiosk& k = **opened;
  auto http = platform::MakeCurlHttpClient();
  sync::SyncEngine engine(k, *http);
  auto step = [&](const Result<Receipt>& r) {
    if (!r.ok()) {
      done.errors.push_back(r.error().code);
      return false;
    }
    done.events[r->seq] = r->event_id;
    clock.Advance(std::chrono::seconds(7));
    return true;
  };
  auto status = [&](const kiosk::Status& s) {
    if (!s.ok()) done.errors.push_back(s.error().code);
    return s.ok();
  };
  if (!step(k.Checkout({{demo::kAvailable}, demo::kRep, "", "Customer demo", ""}))) return false;
  if (!step(k.Checkin({{demo::kAvailable}, demo::kStaff, "ok"}))) return false;
  if (!step(k.Audit({{"DEMO-00009", "DEMO-00010"}, demo::kStaff}))) return false;
  if (!step(k.OrderDemo({kCard, "00614141000012", 1, demo::kStaff}))) return false;
  if (!step(k.Redeem({kCard, "R-001", 1, demo::kStaff}))) return false;
  if (!step(k.ReportSellout({kCard, {"(01)00614141000043(21)M18B9000001"}, demo::kStaff}))) return false;
  if (!step(k.RegisterDeal({kCard, "Acme Oy", "C4500 fleet", 25000, "2027-06-30", demo::kStaff}))) return false;
  if (!status(k.SaveLocalSettings({.language = "fi", .idle_timeout_s = 120}))) return false;
  {
    // A reference snapshot applied over the demo's: every reference table rewritten.
    std::ifstream in(DemoReference());
    json doc = json::parse(in);
    doc["version"] = doc.value("version", 1) + 1;
    auto r = k.LoadReference(doc.dump());
    if (!r.ok()) {
      done.errors.push_back(r.error().code);
      return false;
    }
  }
  {
    auto r = engine.ExportTo(dir / "stick");
    if (!r.ok()) {
      done.errors.push_back(r.error().code);
      return false;
    }
  }
  {
    std::ofstream(dir / "receipt.skr", std::ios::binary) << MakeTestReceipt(k, central);
    const int64_t head = k.Status(Kiosk::StatusDetail::kSyncState).last_seq;
    auto r = engine.ApplyReceipt(dir / "receipt.skr");
    if (!r.ok()) {
      done.errors.push_back(r.error().code);
      return false;
    }
    done.acked_through = head;
  }
  clock.Advance(std::chrono::days(400));
  {
    auto r = k.PruneAcknowledged(30);
    if (!r.ok()) {
      done.errors.push_back(r.error().code);
      return false;
    }
  }
  return step(k.Audit({{"DEMO-00011"}, demo::kStaff}));
}

// Opens what the cut left and checks it; returns "" or what is wrong.
std::string CheckSurvivor(const fs::path& dir, ManualClock& clock, const Confirmed& done) {
  auto opened = Kiosk::Open({.data_dir = dir, .clock = &clock});
  if (!opened.ok()) return "open: " + opened.error().message;
  Kiosk& k = **opened;
  const StatusView s = k.Status();
  if (s.database_health != "ok") return "quick_check: " + s.database_health;
  auto v = k.Verify();
  if (!v.ok()) return "verify: " + v.error().message;
  if (!v->ok) return "verify: " + v->problem;
  const int64_t pruned = std::atoll(
      OpenKioskDb(k)->ScalarText("SELECT value FROM sync_state WHERE key = 'pruned_through'").value().value_or("0").c_str());
  const int64_t acked = std::atoll(
      OpenKioskDb(k)->ScalarText("SELECT value FROM sync_state WHERE key = 'acked_through'").value().value_or("0").c_str());
  if (acked < done.acked_through)
    return "acked_through " + std::to_string(acked) + " < confirmed " + std::to_string(done.acked_through);
  for (const auto& [seq, id] : done.events) {
    if (seq <= pruned) continue;  // removed by a retention prune that committed
    auto row = k.Journal(seq, 1);
    if (!row.ok() || row->empty() || row->front().seq != seq || row->front().event_id != id)
      return "confirmed event seq " + std::to_string(seq) + " is missing";
  }
  return "";
}

struct Fixture {
  TempDir root;
  fs::path templ = root / "template";
  fs::path work = root / "work";
  sync::SigningKey central = sync::NewSigningKey();
  CrashVfs& vfs = CrashVfs::Install();

  Fixture() {
    ManualClock clock(DemoDay());
    auto k = MakeDemoKiosk(templ, clock, "KIOSK-CRASH");
    // Enrolled with "the central" of this test: its public key is what receipts are checked with.
    REQUIRE(OpenKioskDb(*k)
                ->Run("INSERT INTO sync_state (key, value) VALUES ('central_public_key', ?)", central.public_hex)
                .ok());
    k.reset();
    vfs.Forget();
  }
  void Fresh() {
    fs::remove_all(work);
    fs::copy(templ, work, fs::copy_options::recursive);
  }
};

}  // namespace

TEST_CASE("crash VFS: cuts at random write points of every kind leave an openable, verified database with every confirmed event") {
  Fixture f;
  // A dry run counts the write points and proves the workload goes through whole.
  f.Fresh();
  int64_t total = 0;
  {
    ManualClock clock(DemoDay());
    Confirmed done;
    f.vfs.Arm(0);
    const bool all = Workload(f.work, clock, f.central, done);
    INFO("errors: " << (done.errors.empty() ? "" : done.errors.front()));
    REQUIRE(all);
    total = f.vfs.Points();
    f.vfs.Forget();
    REQUIRE(CheckSurvivor(f.work, clock, done) == "");
    f.vfs.Forget();
  }
  REQUIRE(total > 50);
  const int64_t cuts = EnvInt("KIOSK_CRASH_CUTS", 1500);
  const uint32_t seed = static_cast<uint32_t>(EnvInt("KIOSK_CRASH_SEED", 20261204));
  std::mt19937 rng(seed);
  int64_t mid_workload = 0, failures = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < cuts; ++i) {
    const int64_t cut_at = std::uniform_int_distribution<int64_t>(1, total)(rng);
    const uint32_t cut_seed = static_cast<uint32_t>(rng());
    f.Fresh();
    ManualClock clock(DemoDay());
    Confirmed done;
    f.vfs.Arm(cut_at);
    const bool all = Workload(f.work, clock, f.central, done);
    mid_workload += !all;
    f.vfs.ApplyCut(cut_seed);
    ManualClock later(DemoDay() + std::chrono::days(500));
    const std::string problem = CheckSurvivor(f.work, later, done);
    f.vfs.Forget();
    if (!problem.empty() && ++failures <= 5)
      FAIL_CHECK("cut " << i << " at write point " << cut_at << " of " << total << " (KIOSK_CRASH_SEED=" << seed
                        << "): " << problem);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(cuts << " cuts over " << total << " write points (" << mid_workload << " mid-workload) in " << secs
               << " s, seed " << seed);
  CHECK(failures == 0);
  CHECK(mid_workload > cuts / 2);  // the cuts really fell inside the workload
}

TEST_CASE("crash VFS: SQLITE_FULL and SQLITE_IOERR at every write point: a clear error, nothing confirmed lost") {
  Fixture f;
  f.Fresh();
  int64_t total = 0;
  {
    ManualClock clock(DemoDay());
    Confirmed done;
    f.vfs.Arm(0);
    REQUIRE(Workload(f.work, clock, f.central, done));
    total = f.vfs.Points();
    f.vfs.Forget();
  }
  std::map<std::string, int> codes;
  int failures = 0, silent = 0;
  for (int64_t point = 1; point <= total; ++point) {
    for (int rc : {SQLITE_FULL, SQLITE_IOERR_WRITE}) {
      f.Fresh();
      ManualClock clock(DemoDay());
      Confirmed done;
      f.vfs.Arm(0, point, rc);
      const bool all = Workload(f.work, clock, f.central, done);
      f.vfs.Forget();
      // A failed fsync or write that SQLite rolled back is an error the kiosk reports; one SQLite
      // absorbs (a checkpoint retried later) is no error at all: both are fine if nothing is lost.
      if (!all) {
        for (const auto& c : done.errors) ++codes[c];
      } else {
        ++silent;
      }
      ManualClock later(DemoDay() + std::chrono::days(500));
      const std::string problem = CheckSurvivor(f.work, later, done);
      f.vfs.Forget();
      if (!problem.empty() && ++failures <= 5)
        FAIL_CHECK("error " << rc << " at write point " << point << " of " << total << ": " << problem);
    }
  }
  std::string seen;
  for (const auto& [code, n] : codes) seen += code + " x" + std::to_string(n) + " ";
  MESSAGE(total << " write points x 2 errors; codes: " << seen << "; absorbed by SQLite: " << silent);
  CHECK(failures == 0);
  // Every error the person saw is one that says what happened to the disk.
  for (const auto& [code, n] : codes)
    CHECK_MESSAGE((code == "disk.full" || code == "disk.io_error"), "unclear error code " << code);
}
