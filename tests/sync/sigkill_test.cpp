// kiosk-central as a child process, SIGKILLed while a kiosk's background sync is pushing, then
// restarted on the same database and port: the client keeps going and nothing is lost or doubled.
#include <doctest/doctest.h>
#include <signal.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "support/central_process.hpp"
#include "sync/sync_fixture.hpp"

namespace {

using kiosk::test::FreePort;
using kiosk::test::StartCentralProcess;
using kiosk::test::WaitCentralHealthy;

}  // namespace

TEST_CASE("central SIGKILLed mid-batch and restarted while the client keeps going") {
  auto dir = kiosk::test::TempDir("sigkill");
  const std::string db = kiosk::test::TestCentralDb(dir);
  const int port = FreePort();
  {
    auto store = kiosk::central::OpenStore(db).value();
    kiosk::central::Central central(*store, kiosk::SystemClock());
    REQUIRE(central.Init().ok());
  }
  pid_t pid = StartCentralProcess(db, port);
  REQUIRE(WaitCentralHealthy(port));
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  kiosk::test::TestKiosk k(dir, "KIOSK-K1", {.central_url = url});
  {
    // Enrol through a second handle on the database: the code is stored, the child serves it.
    auto store = kiosk::central::OpenStore(db).value();
    kiosk::central::Central central(*store, kiosk::SystemClock());
    REQUIRE(central.Init().ok());
    auto code = central.CreateEnrolment(k.Id());
    REQUIRE(k.engine->Enrol(url, *code).ok());
  }
  k.AppendRaw(30000);

  kiosk::sync::SyncServiceOptions o;
  o.data_dir = k.dir;
  o.make_http = [] { return kiosk::platform::MakeCurlHttpClient(); };
  o.engine.central_url = url;
  o.engine.initial_batch_events = 200;
  o.engine.max_batch_events = 400;  // many requests, so that the kill lands inside one
  o.backoff_min = std::chrono::milliseconds(50);
  o.backoff_max = std::chrono::milliseconds(400);
  o.interval = std::chrono::seconds(30);
  kiosk::sync::SyncService service(o);
  service.Start();
  for (int i = 0; i < 1000 && service.Progress().sent < 3000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(service.Progress().pending > 0);
  pid = StartCentralProcess(db, port);
  REQUIRE(WaitCentralHealthy(port));
  bool done = false;
  for (int i = 0; i < 3000 && !done; ++i) {
    auto p = service.Progress();
    done = p.rounds > 0 && p.pending == 0 && p.last_error.empty() && p.phase == kiosk::sync::SyncPhase::Waiting;
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  service.Stop();
  CHECK(done);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  auto store = kiosk::central::OpenStore(db).value();
  auto rec = store->GetKiosk(k.Id()).value();
  REQUIRE(rec.has_value());
  CHECK(store->CountEvents(k.Id()).value() == k.HeadSeq());
  CHECK(rec->acked_through == k.HeadSeq());
  CHECK(rec->head_hash == k.HeadHash());
  CHECK(k.Acked() == k.HeadSeq());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
