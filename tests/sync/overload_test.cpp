// kiosk-central as a child process with a queue of two requests and one worker, and many kiosks'
// worth of big batch bodies arriving at once on loopback. The central must answer every one
// (its worker's verdict, or 503 with Retry-After) on a connection that stays usable, and must not
// hold the bodies it turns away: its peak resident set stays far below what they add up to.
// Before the central weighed a batch at its headers, evhttp read every body whole before the
// queue was looked at, and the peak grew with the number of bodies arriving at once. The second
// case checks the places themselves: taken at the headers, given back when a kiosk hangs up.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "support/central_process.hpp"
#include "sync/sync_fixture.hpp"

namespace {

// kB of a /proc/PID/status field, -1 if not there.
long StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  return -1;
}

// One HTTP/1.1 answer off a blocking socket: its status, its head, and whether it came whole.
struct Answer {
  int status = 0;
  std::string head;
  bool whole = false;
};

Answer ReadAnswer(int fd, std::string& buffered) {
  Answer a;
  char buf[16384];
  size_t head_end;
  while ((head_end = buffered.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return a;
    buffered.append(buf, static_cast<size_t>(n));
  }
  a.head = buffered.substr(0, head_end + 4);
  a.status = std::atoi(a.head.c_str() + a.head.find(' ') + 1);
  size_t length = 0;
  const size_t cl = a.head.find("Content-Length: ");
  if (cl != std::string::npos) length = static_cast<size_t>(std::atoll(a.head.c_str() + cl + 16));
  while (buffered.size() < head_end + 4 + length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return a;
    buffered.append(buf, static_cast<size_t>(n));
  }
  buffered.erase(0, head_end + 4 + length);
  a.whole = true;
  return a;
}

// Removes a test's folder at the end of its scope (after the central using it has stopped).
struct RemovedAfter {
  std::filesystem::path dir;
  ~RemovedAfter() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// Stops the child central at the end of the scope, a failed REQUIRE included.
struct ChildCentral {
  pid_t pid;
  ~ChildCentral() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
};

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A central's database in `dir`, initialised (its key made) before the process starts.
std::string ReadyCentralDb(const std::filesystem::path& dir) {
  const std::string db = kiosk::test::TestCentralDb(dir);
  auto store = kiosk::central::OpenStore(db).value();
  kiosk::central::Central central(*store, kiosk::SystemClock());
  REQUIRE(central.Init().ok());
  return db;
}

}  // namespace

TEST_CASE("central: big batches beyond its queue are answered 503 at their headers, their bodies not kept") {
  const auto dir = kiosk::test::TempDir("overload");
  const RemovedAfter cleanup{dir};
  const std::string db = ReadyCentralDb(dir);
  const int port = kiosk::test::FreePort();
  // One worker and a queue of two; the per-kiosk rate limit off (every request has its own id
  // anyway). The options are the ones the central had before the change too.
  const pid_t pid = kiosk::test::StartCentralProcess(db, port, {"--workers", "1", "--queue", "2", "--kiosk-rate", "0"});
  const ChildCentral child{pid};
  REQUIRE(kiosk::test::WaitCentralHealthy(port));
  const long base_kb = StatusKb(pid, "VmHWM:");

  // 96 bodies of 1.5 MiB (the limit is 2 MiB): 144 MiB arriving at once. They are not signed
  // batches (no kiosk is enrolled), so those the worker gets are refused by it (4xx); the
  // point is who reads them and what the central keeps.
  constexpr int kClients = 96;
  const std::string body(1536 * 1024, 'x');
  std::mutex mu;
  std::vector<std::string> problems;
  int answered_503 = 0, answered_by_worker = 0, next_ok = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto problem = [&](const std::string& what) {
        std::lock_guard lock(mu);
        problems.push_back("client " + std::to_string(i) + ": " + what);
      };
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      const timeval tv{30, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return problem("connect failed");
      }
      const std::string head = "POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               "X-Kiosk-Id: OVERLOAD-" + std::to_string(i) + "\r\nX-Kiosk-Time: 0\r\n"
                               "X-Kiosk-Nonce: n" + std::to_string(i) + "\r\nX-Kiosk-Signature: none\r\n"
                               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
      if (!SendAll(fd, head.data(), head.size()) || !SendAll(fd, body.data(), body.size())) {
        ::close(fd);
        return problem("the central stopped taking the request (reset or closed)");
      }
      std::string buffered;
      const Answer first = ReadAnswer(fd, buffered);
      // The same connection carries on: the next request is read as a request, not as the rest of
      // a body the central did not want.
      const std::string health = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      const bool sent = SendAll(fd, health.data(), health.size());
      const Answer second = sent ? ReadAnswer(fd, buffered) : Answer{};
      ::close(fd);
      std::lock_guard lock(mu);
      if (!first.whole) {
        problems.push_back("client " + std::to_string(i) + ": no whole answer to the batch (reset, closed or timed out)");
      } else if (first.status == 503) {
        ++answered_503;
        if (first.head.find("Retry-After: ") == std::string::npos)
          problems.push_back("client " + std::to_string(i) + ": 503 without Retry-After");
      } else if (first.status == 400 || first.status == 401 || first.status == 403) {
        ++answered_by_worker;
      } else {
        problems.push_back("client " + std::to_string(i) + ": answered " + std::to_string(first.status));
      }
      if (second.whole && second.status == 200) ++next_ok;
    });
  }
  for (auto& c : clients) c.join();
  const long peak_kb = StatusKb(pid, "VmHWM:");

  std::string listed;
  for (size_t i = 0; i < problems.size() && i < 10; ++i) listed += problems[i] + "\n";
  INFO(listed);
  INFO(problems.size() << " problems; 503: " << answered_503 << ", by the worker: " << answered_by_worker
                       << "; peak RSS " << peak_kb / 1024 << " MiB (" << base_kb / 1024 << " MiB before)");
  CHECK(problems.empty());
  CHECK(answered_503 + answered_by_worker == kClients);
  CHECK(answered_503 > 0);  // it was an overload
  CHECK(answered_by_worker > 0);
  CHECK(next_ok == kClients);
  // What it may hold: a couple of bodies being read or queued and their copies; not the 144 MiB.
  CHECK(peak_kb - base_kb < 40 * 1024);
}

namespace {

int ConnectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// GET /v1/health's "load" on a connection of its own.
nlohmann::json Load(int port) {
  const int fd = ConnectTo(port);
  if (fd < 0) return nlohmann::json::object();
  const std::string req = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string out;
  if (SendAll(fd, req.data(), req.size())) {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t at = out.find("\r\n\r\n");
  const nlohmann::json j = nlohmann::json::parse(at == std::string::npos ? "{}" : out.substr(at + 4), nullptr, false);
  return j.is_object() && j.contains("load") && j["load"].is_object() ? j["load"] : nlohmann::json::object();
}

std::string BatchHead(const std::string& id, size_t length) {
  return "POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Kiosk-Id: " + id +
         "\r\nX-Kiosk-Time: 0\r\nX-Kiosk-Nonce: n-" + id + "\r\nX-Kiosk-Signature: none\r\nContent-Length: " +
         std::to_string(length) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("central: a batch's place is taken at its headers and given back when the kiosk hangs up mid-body") {
  const auto dir = kiosk::test::TempDir("overload-hangup");
  const RemovedAfter cleanup{dir};
  const std::string db = ReadyCentralDb(dir);
  const int port = kiosk::test::FreePort();
  const ChildCentral child{
      kiosk::test::StartCentralProcess(db, port, {"--workers", "1", "--queue", "2", "--kiosk-rate", "0"})};
  REQUIRE(kiosk::test::WaitCentralHealthy(port));

  // Two kiosks send their headers and a little of a 1 MiB body, then stall: they hold the queue's
  // two places while their bodies are read.
  constexpr size_t kLength = 1 << 20;
  const std::string part(1000, 'x');
  std::vector<int> stalled;
  for (int i = 0; i < 2; ++i) {
    const int fd = ConnectTo(port);
    REQUIRE(fd >= 0);
    const std::string head = BatchHead("STALL-" + std::to_string(i), kLength);
    REQUIRE(SendAll(fd, head.data(), head.size()));
    REQUIRE(SendAll(fd, part.data(), part.size()));
    stalled.push_back(fd);
  }
  nlohmann::json load = nlohmann::json::object();
  for (int i = 0; i < 100 && load.value("reading", int64_t{0}) != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    load = Load(port);
  }
  INFO("load while two bodies are being read: " << load.dump());
  CHECK(load.value("reading", int64_t{-1}) == 2);
  CHECK(load.value("reading_bytes", int64_t{-1}) == static_cast<int64_t>(2 * kLength));

  // A third batch finds no place: 503 with Retry-After before its body is read.
  {
    const int fd = ConnectTo(port);
    REQUIRE(fd >= 0);
    const std::string head = BatchHead("THIRD", kLength);
    REQUIRE(SendAll(fd, head.data(), head.size()));
    std::string buffered;
    const Answer a = ReadAnswer(fd, buffered);  // the body has not been sent at all
    CHECK(a.whole);
    CHECK(a.status == 503);
    CHECK(a.head.find("Retry-After: ") != std::string::npos);
    ::close(fd);
  }

  // The two hang up mid-body: their places come back, and a whole batch reaches the worker.
  for (int fd : stalled) ::close(fd);
  for (int i = 0; i < 100 && load.value("reading", int64_t{-1}) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    load = Load(port);
  }
  INFO("load after the hang-ups: " << load.dump());
  CHECK(load.value("reading", int64_t{-1}) == 0);
  CHECK(load.value("reading_bytes", int64_t{-1}) == 0);
  {
    const int fd = ConnectTo(port);
    REQUIRE(fd >= 0);
    const std::string body(kLength, 'x');
    const std::string head = BatchHead("AFTER", kLength);
    REQUIRE(SendAll(fd, head.data(), head.size()));
    REQUIRE(SendAll(fd, body.data(), body.size()));
    std::string buffered;
    const Answer a = ReadAnswer(fd, buffered);
    CHECK(a.whole);
    CHECK(a.status != 503);  // the worker's verdict on an unsigned body (4xx)
    ::close(fd);
  }
}
