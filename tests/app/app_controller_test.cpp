// AppController over a real Kiosk on a fresh demo data folder in a temporary directory: intents
// and scans in, view-models and banners out, every Kiosk call on the worker thread.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "kiosk/app/app_controller.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/protocol.hpp"
#include "kiosk/sync/http_client.hpp"
#include "storage/db.hpp"
#include "fakes/fake_http.hpp"
#include "support/kiosk_db.hpp"

namespace fs = std::filesystem;
using namespace kiosk;
using namespace kiosk::app;
using kiosk::test::DownHttp;
using kiosk::test::FakeCentral;
using kiosk::test::OpenKioskDb;

namespace {

struct TempDemo {
  fs::path dir;
  TempDemo() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("kiosk-app-test-" + std::to_string(rd()));
    InitOptions o;
    o.data_dir = dir;
    o.kiosk_id = "KIOSK-APPTEST";
    o.reference_file = fs::path(KIOSK_TEST_ASSETS) / "demo" / "showroom.json";
    auto r = Kiosk::Init(o);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  }
  ~TempDemo() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// A controller whose clock is the demo's date, started and settled.
struct Harness {
  TempDemo data;
  ManualClock clock{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + std::chrono::hours(10)};
  std::atomic<int> wakes{0};
  std::unique_ptr<AppController> c;
  int64_t now = 1000;
  explicit Harness(const std::function<void(AppController::Options&)>& options = {}) {
    AppController::Options o;
    o.data_dir = data.dir;
    o.clock = &clock;
    o.wake = [this] { ++wakes; };
    if (options) options(o);
    c = std::make_unique<AppController>(o);
    c->Start(now);
    c->WaitIdle(now);
  }
  const AppVm& Vm() { return c->Vm(); }
  void Scan(const std::string& s) {
    c->OnScan(s, now);
    c->WaitIdle(now);
  }
  void Do(const Intent& i) {
    c->Handle(i, now);
    c->WaitIdle(now);
  }
};

}  // namespace

TEST_CASE("start opens the data folder on the worker and loads home") {
  Harness h;
  CHECK(h.Vm().ready);
  CHECK(h.Vm().fatal.empty());
  CHECK(h.Vm().home.loaded);
  CHECK(h.Vm().home.status.kiosk_id == "KIOSK-APPTEST");
  REQUIRE(h.Vm().home.overdue.size() == 1);
  CHECK(h.Vm().home.overdue[0].device.asset_tag == "DEMO-00008");
  CHECK(h.wakes > 0);  // every result woke the loop
}

TEST_CASE("a folder that is not initialised is a plain fatal message, not a crash") {
  AppController::Options o;
  o.data_dir = fs::temp_directory_path() / "kiosk-app-test-no-such-folder";
  AppController c(o);
  c.Start(0);
  c.WaitIdle(0);
  CHECK(!c.Vm().ready);
  CHECK(!c.Vm().fatal.empty());
  CHECK(c.Vm().fatal_key == "reason.kiosk.not_initialised");  // the screen says it in its language
}

TEST_CASE("a badge signs in — an inactive badge is refused with a red banner") {
  Harness h;
  h.Scan("BDG-10058");
  CHECK(!h.Vm().op.signed_in);
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(!h.Vm().banner.text.empty());
  h.Scan("BDG-10017");
  CHECK(h.Vm().op.signed_in);
  CHECK(h.Vm().op.badge.name == "Anna Virtanen");
  CHECK(h.Vm().banner.kind == BannerKind::Success);
}

TEST_CASE("a scan before sign-in asks for the badge — an unknown code says so") {
  Harness h;
  h.Scan("6299246000100012");
  CHECK(h.Vm().screen == ScreenId::Home);
  CHECK(h.Vm().banner.kind == BannerKind::Warning);
  h.Scan("BDG-10017");
  int64_t serial = h.Vm().banner.serial;
  h.Scan("NOT-A-CODE");
  CHECK(h.Vm().banner.serial == serial + 1);
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.text.find("Unknown barcode") != std::string::npos);
}

TEST_CASE("a scan returns no redraw by itself — its result does") {
  Harness h;
  CHECK_FALSE(h.c->OnScan("BDG-10017", h.now));
  CHECK_FALSE(h.c->Idle());
  h.c->WaitIdle(h.now);
  CHECK(h.Vm().op.signed_in);
}

TEST_CASE("partner card -> partner screen -> rewards with reasons -> redemption") {
  Harness h;
  h.Scan("BDG-10017");
  h.Scan("6299826000100029");  // Northgate: 8,200 points
  CHECK(h.Vm().screen == ScreenId::Partner);
  CHECK(h.Vm().partner.view.partner.name == "Northgate Office Solutions Ltd");
  CHECK(h.Vm().partner.view.available_points == 8200);
  h.Do(intent::Navigate{ScreenId::Rewards});
  CHECK(h.Vm().screen == ScreenId::Rewards);
  REQUIRE(h.Vm().rewards.loaded);
  bool espresso_refused = false;
  for (const auto& r : h.Vm().rewards.rewards)
    if (r.reward.id == "R-006") espresso_refused = !r.why_not.empty();
  CHECK(espresso_refused);
  h.Do(intent::Redeem{"R-006", 1});
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().partner.view.available_points == 8200);
  h.Do(intent::Redeem{"R-001", 1});
  CHECK(h.Vm().banner.kind != BannerKind::Error);
  CHECK(h.Vm().partner.view.available_points == 7700);
}

TEST_CASE("checkout session: rep, units one by one, refusal per scan, confirm") {
  Harness h;
  h.Scan("BDG-20024");
  h.Do(intent::Navigate{ScreenId::Checkout});
  CHECK(h.Vm().checkout.rep_badge == "BDG-20024");
  h.Scan("DEMO-00007");
  h.Scan("DEMO-00007");
  CHECK(h.Vm().checkout.units.size() == 1);
  CHECK(h.Vm().banner.kind == BannerKind::Warning);
  h.Scan("DEMO-00040");  // under repair
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().checkout.units.size() == 1);
  h.Do(intent::ConfirmCheckout{"2026-12-01", "Customer demo", ""});
  CHECK(h.Vm().banner.kind == BannerKind::Warning);  // no signature: nothing written
  CHECK(h.Vm().screen == ScreenId::Checkout);
  h.Do(intent::ConfirmCheckout{"2026-12-01", "Customer demo", "M1 1 L5 5"});
  CHECK(h.Vm().screen == ScreenId::Home);
  CHECK(h.Vm().banner.kind == BannerKind::Success);
  CHECK(h.Vm().checkout.units.empty());
}

TEST_CASE("a checkout's signature opens from the unit's history for staff, not for a rep") {
  Harness h;
  h.Scan("BDG-20024");
  h.Do(intent::Navigate{ScreenId::Checkout});
  h.Scan("DEMO-00007");
  h.Do(intent::ConfirmCheckout{"2026-12-01", "Customer demo", "M10 40 L60 35 M20 50 L80 52"});
  REQUIRE(h.Vm().banner.kind == BannerKind::Success);
  h.Scan("DEMO-00007");
  REQUIRE(h.Vm().screen == ScreenId::Device);
  REQUIRE_FALSE(h.Vm().device.view.history.empty());
  const DeviceHistoryEntry& out = h.Vm().device.view.history.front();
  CHECK(out.type == "device.checked_out");
  CHECK(out.summary_key == "history.checked_out");
  // The rep who is signed in is refused: staff and admins only.
  h.Do(intent::ShowSignature{out.seq});
  CHECK_FALSE(h.Vm().device.signature.open);
  CHECK(h.Vm().banner.key == "banner.signature_staff_only");

  h.Scan("BDG-10017");  // staff
  h.Scan("DEMO-00007");
  h.Do(intent::ShowSignature{out.seq});
  const SignatureVm& sig = h.Vm().device.signature;
  REQUIRE(sig.open);
  CHECK(sig.record.seq == out.seq);
  CHECK(sig.rep_name == "Tomasz Zieliński");
  CHECK(sig.strokes.strokes.size() == 2);
  CHECK(sig.record.asset_tags == std::vector<std::string>{"DEMO-00007"});
  h.Do(intent::CloseSignature{});
  CHECK_FALSE(h.Vm().device.signature.open);
  // Not a checkout: the reason, and no panel.
  h.Do(intent::ShowSignature{1});
  CHECK_FALSE(h.Vm().device.signature.open);
  CHECK(h.Vm().banner.key == "reason.signature.not_checkout");
}

TEST_CASE("staff at checkout scans the rep's badge — a staff badge is not a rep") {
  Harness h;
  h.Scan("BDG-10017");
  h.Do(intent::Navigate{ScreenId::Checkout});
  CHECK(h.Vm().checkout.rep_badge.empty());
  h.Scan("BDG-20032");
  CHECK(h.Vm().checkout.rep_badge == "BDG-20032");
  CHECK(h.Vm().checkout.rep_name == "Lena Hoffmann");
}

TEST_CASE("sell-out: a customer's unit by its GS1 code, duplicates caught, reported once") {
  Harness h;
  h.Scan("BDG-10017");
  h.Scan("6299246000100012");
  h.Do(intent::Navigate{ScreenId::Sellout});
  h.Scan("(01)00614141000043(21)M18B9000001");
  h.Scan("(01)00614141000043(21)M18B9000001");
  CHECK(h.Vm().sellout.units.size() == 1);
  h.Do(intent::ConfirmSellout{});
  CHECK(h.Vm().screen == ScreenId::Partner);
  CHECK(h.Vm().banner.kind == BannerKind::Success);
  h.Do(intent::Navigate{ScreenId::Sellout});
  h.Scan("(01)00614141000043(21)M18B9000001");  // already reported: refused per scan
  CHECK(h.Vm().sellout.units.empty());
  CHECK(h.Vm().banner.kind == BannerKind::Error);
}

TEST_CASE("partner flows need a partner — everything but home needs a sign-in") {
  Harness h;
  h.Do(intent::Navigate{ScreenId::Checkout});
  CHECK(h.Vm().screen == ScreenId::Home);
  h.Scan("BDG-10017");
  h.Do(intent::Navigate{ScreenId::Rewards});
  CHECK(h.Vm().screen == ScreenId::Home);
  CHECK(h.Vm().banner.kind == BannerKind::Warning);
}

TEST_CASE("admin: wrong PINs are counted by the core and lock after five") {
  Harness h;
  h.Do(intent::Navigate{ScreenId::AdminLogin});
  h.Scan("BDG-90001");
  CHECK(h.Vm().admin.badge == "BDG-90001");
  for (int i = 0; i < 5; ++i) h.Do(intent::AdminPin{"0000"});
  CHECK(h.Vm().banner.text.find("locked") != std::string::npos);
  h.Do(intent::AdminPin{"2468"});
  CHECK(!h.Vm().admin.unlocked);
  CHECK(h.Vm().banner.kind == BannerKind::Error);
}

TEST_CASE("admin: the right PIN opens the admin screen with status") {
  Harness h;
  h.Do(intent::Navigate{ScreenId::AdminLogin});
  h.Scan("BDG-90001");
  h.Do(intent::AdminPin{"2468"});
  CHECK(h.Vm().admin.unlocked);
  CHECK(h.Vm().screen == ScreenId::Admin);
  CHECK(h.Vm().admin.status.kiosk_id == "KIOSK-APPTEST");
  CHECK(!h.Vm().admin.recent.empty());
}

TEST_CASE("idle timeout signs the operator out — activity keeps them in") {
  Harness h;
  h.Scan("BDG-10017");
  REQUIRE(h.Vm().op.signed_in);
  int timeout_ms = h.Vm().idle_timeout_s * 1000;
  CHECK(h.c->NextDeadlineMs() > h.now);
  h.c->NoteActivity(h.now + timeout_ms - 10);
  h.c->Tick(h.now + timeout_ms + 5);
  CHECK(h.Vm().op.signed_in);
  CHECK(h.c->Tick(h.now + 2 * timeout_ms + 5));
  CHECK(!h.Vm().op.signed_in);
  CHECK(h.Vm().banner.kind == BannerKind::Info);
}

TEST_CASE("banners expire — nothing scheduled means no wake-up") {
  Harness h;
  h.Scan("BDG-10017");
  int64_t until = h.Vm().banner.until_ms;
  CHECK(until > h.now);
  CHECK(h.c->Tick(until));
  CHECK(h.Vm().banner.kind == BannerKind::None);
  h.Do(intent::SignOut{});
  h.c->Tick(h.now + 100000);
  CHECK(h.c->NextDeadlineMs() == -1);
}

TEST_CASE("language switches at run time — an unknown one is refused") {
  Harness h;
  h.Do(intent::SetLanguage{"fi"});
  CHECK(h.Vm().language == "fi");
  h.Do(intent::SetLanguage{"xx"});
  CHECK(h.Vm().language == "fi");
  CHECK(h.Vm().banner.kind == BannerKind::Error);
}

namespace {

void UnlockAdmin(Harness& h) {
  h.Do(intent::Navigate{ScreenId::AdminLogin});
  h.Scan("BDG-90001");
  h.Do(intent::AdminPin{"2468"});
  REQUIRE(h.Vm().screen == ScreenId::Admin);
}

// A second connection to the harness's data folder, as `kiosk` on the command line would have.
std::unique_ptr<Kiosk> OpenSide(const fs::path& dir) {
  auto k = Kiosk::Open({.data_dir = dir});
  REQUIRE_MESSAGE(k.ok(), (k.ok() ? "" : k.error().message));
  return std::move(k).value();
}

}  // namespace

TEST_CASE("admin sync: a kiosk that is not enrolled says how to enrol, and Sync now does not pretend") {
  Harness h;
  UnlockAdmin(h);
  const SyncVm& s = h.Vm().admin.sync;
  CHECK(s.checked);
  CHECK(!s.enrolled);
  CHECK(!s.running);
  h.Do(intent::SyncNow{});
  CHECK(h.Vm().banner.kind == BannerKind::Warning);
  CHECK(h.Vm().banner.text.find("not enrolled") != std::string::npos);
  CHECK(h.Vm().banner.text.find("kiosk enroll --central URL --code CODE") != std::string::npos);
}

TEST_CASE("admin: the central's rejected and adjusted verdicts are read from the data folder") {
  Harness h;
  {
    auto side = OpenSide(h.data.dir);
    auto conn = OpenKioskDb(*side);
    auto& db = *conn;
    REQUIRE(db.Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                   int64_t{1}, std::string("ev-1"), std::string("rejected"), std::string("device.unknown"),
                   std::string("The central does not know this device."), std::string("2026-11-24T10:00:00Z"))
                .ok());
    REQUIRE(db.Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                   int64_t{2}, std::string("ev-2"), std::string("accepted"), std::string(""), std::string(""),
                   std::string("2026-11-24T10:00:00Z"))
                .ok());
  }
  UnlockAdmin(h);
  const AdminVm& a = h.Vm().admin;
  CHECK(a.verdicts_loaded);
  REQUIRE(a.verdicts.size() == 1);  // the accepted one is not listed
  CHECK(a.verdicts[0].seq == 1);
  CHECK(a.verdicts[0].verdict == "rejected");
  CHECK(a.verdicts[0].code == "device.unknown");
  CHECK(a.verdicts[0].message == "The central does not know this device.");
  CHECK(!a.verdicts[0].type.empty());  // joined from the journal's event #1
}

TEST_CASE("admin: export is refused until the kiosk is enrolled, then writes the journal to the USB folder, and a bad folder is a plain error") {
  Harness h;
  UnlockAdmin(h);
  CHECK(!h.Vm().admin.export_dir.empty());  // a default is offered
  fs::path usb = h.data.dir / "usb";
  // Not enrolled yet: the central would refuse the files, so nothing is written and the banner
  // says to enrol first.
  h.Do(intent::ExportJournal{usb.string()});
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.key == "banner.export_failed");
  bool names_reason = false;
  for (const auto& [n, v] : h.Vm().banner.args) names_reason = names_reason || (n == "reason" && v == "reason.export.not_enrolled");
  CHECK(names_reason);
  CHECK_FALSE(fs::exists(usb));
  REQUIRE(OpenKioskDb(h.data.dir)->Run("INSERT INTO sync_state (key, value) VALUES ('central_public_key', 'AAAA')").ok());
  h.Do(intent::ExportJournal{usb.string()});
  CHECK(!h.Vm().admin.exporting);
  CHECK(h.Vm().banner.kind == BannerKind::Success);
  CHECK(h.Vm().banner.text.find("Exported") != std::string::npos);
  CHECK(h.Vm().admin.export_dir == usb.string());
  int files = 0;
  for (const auto& e : fs::directory_iterator(usb)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files >= 2);  // a batch and the manifest

  fs::path blocker = h.data.dir / "not-a-folder";
  { std::ofstream(blocker) << "x"; }
  h.Do(intent::ExportJournal{(blocker / "usb").string()});
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.text.find("Export failed") != std::string::npos);
  CHECK(!h.Vm().admin.exporting);
  // The screen says it in its language: the banner names the reason by its key, with its values
  // (i18n_test checks the German words for exactly these).
  CHECK(h.Vm().banner.key == "banner.export_failed");
  auto arg = [&](const std::string& name) {
    for (const auto& [n, v] : h.Vm().banner.args)
      if (n == name) return v;
    return std::string("(none)");
  };
  CHECK(arg("reason") == "reason.export.dir");
  CHECK(arg("dir") == (blocker / "usb").string());
  CHECK(arg("detail") != "(none)");
}

TEST_CASE("admin sync: an enrolled kiosk runs the sync service, and its progress reaches the view-model via Pump") {
  TempDemo data;
  {
    auto side = OpenSide(data.dir);
    REQUIRE(OpenKioskDb(*side)->Run("INSERT INTO sync_state (key, value) VALUES ('central_url', 'http://127.0.0.1:9')").ok());
    REQUIRE(OpenKioskDb(*side)->Run("INSERT INTO sync_state (key, value) VALUES ('central_public_key', 'AAAA')").ok());
  }
  std::atomic<int> wakes{0};
  AppController::Options o;
  o.data_dir = data.dir;
  o.wake = [&] { ++wakes; };
  o.make_http = [] { return std::make_unique<DownHttp>(); };
  AppController c(o);
  int64_t now = 1000;
  c.Start(now);
  c.WaitIdle(now);
  CHECK(c.Vm().admin.sync.enrolled);
  CHECK(c.Vm().admin.sync.running);
  c.Handle(intent::SyncNow{}, now);
  // The sync thread only flags and wakes; the round's result appears after Pump on this thread.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (c.Vm().admin.sync.rounds == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    c.Pump(now);
  }
  REQUIRE(c.Vm().admin.sync.rounds > 0);
  CHECK(!c.Vm().admin.sync.last_error.empty());
  // Waiting for the retry, or already in the round Sync now asked for.
  const std::string phase = c.Vm().admin.sync.phase;
  CHECK_MESSAGE((phase == "waiting" || phase == "pushing"), phase);
  CHECK(wakes > 0);
}

TEST_CASE("the admin's language and idle time-out are kept for the next start — the home screen's switch is not") {
  Harness h;
  h.Do(intent::SetLanguage{"de"});  // a visitor on the home screen: this session only
  UnlockAdmin(h);
  h.Do(intent::SetIdleTimeout{120});
  h.Do(intent::SetLanguage{"fi", true});
  CHECK(h.Vm().language == "fi");
  CHECK(h.Vm().idle_timeout_s == 120);
  h.c.reset();  // the app closes...
  AppController::Options o;
  o.data_dir = h.data.dir;
  o.clock = &h.clock;
  AppController again(o);  // ...and starts again on the same data folder
  again.Start(h.now);
  again.WaitIdle(h.now);
  CHECK(again.Vm().language == "fi");
  CHECK(again.Vm().idle_timeout_s == 120);
}

TEST_CASE("a visitor's language switch on the home screen is not kept") {
  Harness h;
  h.Do(intent::SetLanguage{"ru"});
  h.c.reset();
  AppController::Options o;
  o.data_dir = h.data.dir;
  o.clock = &h.clock;
  AppController again(o);
  again.Start(h.now);
  again.WaitIdle(h.now);
  CHECK(again.Vm().language == "en");
}

TEST_CASE("banners carry the translation key and named values of what the core said") {
  Harness h;
  h.Scan("BDG-10017");
  CHECK(h.Vm().banner.key == "banner.signed_in");
  CHECK(h.Vm().banner.args == ReasonArgs{{"name", "Anna Virtanen"}, {"role", "role.staff"}});
  h.Do(intent::Navigate{ScreenId::Checkout});
  h.Scan("DEMO-00008");  // out since the demo data, overdue: the core refuses it
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.key == "reason.device.already_out.to");
  CHECK(h.Vm().banner.text.find("DEMO-00008 is already checked out") == 0);  // English stays for logs
  bool has_tag = false;
  for (const auto& [k, v] : h.Vm().banner.args) has_tag |= k == "tag" && v == "DEMO-00008";
  CHECK(has_tag);
  h.Do(intent::Navigate{ScreenId::Home});
  h.Scan("6299826000100029");  // Northgate, gold
  CHECK(h.Vm().banner.key == "banner.partner");
  CHECK(h.Vm().banner.args == ReasonArgs{{"name", "Northgate Office Solutions Ltd"}, {"tier", "tier.gold"}});
}

// ---- enrolment from the admin screen ---------------------------------------------------------

namespace {

// What sync_state holds for `key` in the data folder, read on a connection of the test's own.
std::string SyncState(const fs::path& dir, const std::string& key) {
  auto side = OpenSide(dir);
  auto v = OpenKioskDb(*side)->ScalarText("SELECT value FROM sync_state WHERE key = ?", key);
  REQUIRE(v.ok());
  return *v ? **v : std::string("(none)");
}

std::string Arg(const Banner& b, const std::string& name) {
  for (const auto& [n, v] : b.args)
    if (n == name) return v;
  return "(none)";
}

}  // namespace

TEST_CASE("admin enrolment: a malformed code is refused with a clear message, and nothing is sent or stored") {
  FakeCentral central;
  Harness h([&](AppController::Options& o) {
    o.make_http = central.Factory();
    o.central_url = "https://central.example:8443";  // kiosk.json's central_url
  });
  UnlockAdmin(h);
  CHECK(h.Vm().admin.sync.central_url == "https://central.example:8443");  // the form's default
  h.Do(intent::Enrol{"https://central.example:8443", "ABCDE-12345"});
  const Banner& b = h.Vm().banner;
  CHECK(b.kind == BannerKind::Error);
  CHECK(b.key == "banner.enrol_failed");
  CHECK(Arg(b, "reason") == "reason.enrol.code_format");
  CHECK(Arg(b, "kiosk") == "KIOSK-APPTEST");  // the code is issued for this id: the text names it
  CHECK(b.text.find("20 letters and digits") != std::string::npos);
  CHECK(b.text.find("kiosk-central enroll KIOSK-APPTEST") != std::string::npos);
  CHECK(*central.enrol_requests == 0);
  CHECK(!h.Vm().admin.sync.enrolled);
  CHECK(!h.Vm().admin.sync.enrolling);  // the button is back
  CHECK(!h.Vm().admin.sync.running);
  CHECK(SyncState(h.data.dir, "central_public_key") == "(none)");
  CHECK(SyncState(h.data.dir, "central_url") == "(none)");
}

TEST_CASE("admin enrolment: a central that cannot be reached is a red banner saying what to check") {
  Harness h([](AppController::Options& o) { o.make_http = [] { return std::make_unique<DownHttp>(); }; });
  UnlockAdmin(h);
  h.Do(intent::Enrol{" http://127.0.0.1:9 ", FakeCentral::kCode});
  const Banner& b = h.Vm().banner;
  CHECK(b.kind == BannerKind::Error);
  CHECK(b.key == "banner.enrol_failed_network");
  CHECK(Arg(b, "reason") == "reason.net.refused");
  CHECK(b.text.find("Cannot connect to http://127.0.0.1:9/v1/enroll: connection refused.") !=
        std::string::npos);  // the address was trimmed before it was used
  CHECK(b.text.find("Check the central's address and the kiosk's network") != std::string::npos);
  CHECK(!h.Vm().admin.sync.enrolled);
  CHECK(!h.Vm().admin.sync.enrolling);
  CHECK(!h.Vm().admin.sync.running);
  CHECK(SyncState(h.data.dir, "central_public_key") == "(none)");
}

TEST_CASE("admin enrolment: a wrong code is the central's refusal, the right one enrols and starts sync, once") {
  FakeCentral central;
  Harness h([&](AppController::Options& o) { o.make_http = central.Factory(); });
  // Only the unlocked admin screen enrols.
  CHECK_FALSE(h.c->Handle(intent::Enrol{"http://central.test", FakeCentral::kCode}, h.now));
  h.c->WaitIdle(h.now);
  CHECK(*central.enrol_requests == 0);
  UnlockAdmin(h);

  h.Do(intent::Enrol{"http://central.test", "7K3QD-XN4RW-2HBTV-9MPGD"});  // one character off
  CHECK(*central.enrol_requests == 1);
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.key == "banner.enrol_failed");
  CHECK(Arg(h.Vm().banner, "reason") == "reason.enrol.bad_code");
  CHECK(!h.Vm().admin.sync.enrolled);
  CHECK(SyncState(h.data.dir, "central_public_key") == "(none)");

  // Two taps before the first answer: the second does nothing.
  CHECK(h.c->Handle(intent::Enrol{"http://central.test/", "7k3qd xn4rw 2hbtv 9mpgc"}, h.now));
  CHECK(h.Vm().admin.sync.enrolling);
  CHECK_FALSE(h.c->Handle(intent::Enrol{"http://central.test/", FakeCentral::kCode}, h.now));
  h.c->WaitIdle(h.now);
  CHECK(*central.enrol_requests == 2);
  const Banner& b = h.Vm().banner;
  CHECK(b.kind == BannerKind::Success);
  CHECK(b.key == "banner.enrolled");
  CHECK(Arg(b, "kiosk") == "KIOSK-APPTEST");
  CHECK(!h.Vm().admin.sync.enrolling);
  CHECK(h.Vm().admin.sync.enrolled);
  CHECK(h.Vm().admin.sync.running);  // the background sync service started
  CHECK(SyncState(h.data.dir, "central_public_key") == FakeCentral::kPublicKey);
  CHECK(SyncState(h.data.dir, "central_url") == "http://central.test");
  // Enrolled now: another Enrol does nothing.
  CHECK_FALSE(h.c->Handle(intent::Enrol{"http://central.test", FakeCentral::kCode}, h.now));
  h.c->WaitIdle(h.now);
  CHECK(*central.enrol_requests == 2);
}

// ---- One rule, one answer: the touchscreen says what the services say (issue 14) ---------------

TEST_CASE("check-in: a unit in transit is taken back on the touchscreen as `kiosk checkin` takes it") {
  Harness h;
  h.Scan("BDG-10017");
  h.Do(intent::Navigate{ScreenId::Checkin});
  h.Scan("DEMO-00039");  // in transit to the Warsaw office
  CHECK(h.Vm().banner.kind != BannerKind::Error);
  REQUIRE(h.Vm().checkin.units.size() == 1);
  CHECK(h.Vm().checkin.units[0].code == "DEMO-00039");
  h.Do(intent::ConfirmCheckin{"ok"});
  CHECK(h.Vm().banner.kind == BannerKind::Success);
  CHECK(h.Vm().screen == ScreenId::Home);
  h.Do(intent::Navigate{ScreenId::Checkin});
  h.Scan("DEMO-00039");  // now in the showroom: nothing to check in, in the services' words
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.key == "banner.not_checked_out");
  CHECK(h.Vm().checkin.units.empty());
}

TEST_CASE("a blocked card is refused on the touchscreen in the same words as at the counter") {
  Harness h;
  h.Scan("BDG-10017");
  h.Scan("6299826000100011");
  CHECK(h.Vm().banner.kind == BannerKind::Error);
  CHECK(h.Vm().banner.key == "reason.card.blocked");
  auto side = OpenSide(h.data.dir);
  auto refused = side->Redeem({.partner_card = "6299826000100011", .reward_id = "R-001", .by_badge = "BDG-10017"});
  REQUIRE(!refused.ok());
  CHECK(h.Vm().banner.text == refused.error().message);
}

TEST_CASE("a suspended partner's banner names every action it is refused, deals too") {
  Harness h;
  h.Scan("BDG-10017");
  h.Scan("6299643000200018");
  CHECK(h.Vm().banner.key == "banner.partner_suspended_scan");
  CHECK(h.Vm().banner.text.find("orders") != std::string::npos);
  CHECK(h.Vm().banner.text.find("redemptions") != std::string::npos);
  CHECK(h.Vm().banner.text.find("deals") != std::string::npos);
  // And the services do refuse it a deal.
  auto side = OpenSide(h.data.dir);
  auto deal = side->RegisterDeal({.partner_card = "6299643000200018", .customer = "Acme", .product = "C4500",
                                  .value = 1000, .close_date = "2026-12-31", .by_badge = "BDG-10017"});
  REQUIRE(!deal.ok());
  CHECK(deal.error().code == "partner.suspended");
}

TEST_CASE("the partner's scan lists what changed since the last visit once: it stays for the visit, not for the next scan") {
  Harness h;
  h.Scan("BDG-10017");
  h.Scan("6299826000100029");  // Northgate: 8,200 points
  CHECK(h.Vm().partner.view.changes.empty());
  h.Do(intent::Redeem{"R-001", 1});
  REQUIRE(h.Vm().banner.kind != BannerKind::Error);
  {
    // The central's verdict on it, as the sync engine stores it.
    auto side = OpenSide(h.data.dir);
    auto conn = OpenKioskDb(*side);
    const int64_t seq = conn->ScalarInt("SELECT max(seq) FROM redemptions").value().value_or(0);
    REQUIRE(conn->Run("INSERT INTO verdicts (seq, event_id, verdict, code, message, detail, received_at) VALUES "
                      "(?, 'ev', 'rejected', 'loyalty.insufficient_points', 'no points', "
                      "'{\"requested_points\":500,\"honoured_points\":0}', '2026-11-24T10:00:00Z')",
                      seq)
                  .ok());
  }
  h.Scan("6299826000100029");
  REQUIRE(h.Vm().partner.view.changes.size() == 1);
  CHECK(h.Vm().partner.view.changes[0].key == "outcome.redemption.rejected");
  // An action on the page reloads the partner: the list of this visit stays on screen.
  h.Do(intent::Redeem{"R-001", 1});
  CHECK(h.Vm().partner.view.changes.size() == 1);
  // The next scan is the next visit: already seen, not listed again.
  h.Scan("6299826000100029");
  CHECK(h.Vm().partner.view.changes.empty());
}
