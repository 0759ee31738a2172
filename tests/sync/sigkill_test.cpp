// kiosk-central as a child process, SIGKILLed while a kiosk's background sync is pushing, then
// restarted on the same database and port: the client keeps going and nothing is lost or doubled.
#include <doctest/doctest.h>
#include <signal.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "sync/sync_fixture.hpp"

namespace {

int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

pid_t StartCentral(const std::string& db, int port) {
  const std::string bin = std::string(KIOSK_BINARY_DIR) + "/central/kiosk-central";
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(bin.c_str(), bin.c_str(), "--db", db.c_str(), "serve", "--listen", listen.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

bool Healthy(int port) {
  auto http = kiosk::platform::MakeCurlHttpClient();
  kiosk::platform::HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/health";
  req.timeout_ms = 500;
  auto r = http->Send(req);
  return r.ok() && r->status == 200;
}

bool WaitHealthy(int port) {
  for (int i = 0; i < 300; ++i) {
    if (Healthy(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

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
  pid_t pid = StartCentral(db, port);
  REQUIRE(WaitHealthy(port));
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
  pid = StartCentral(db, port);
  REQUIRE(WaitHealthy(port));
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
