// kiosk-central as a child process with a queue of two requests and one worker, and many kiosks'
// worth of big batch bodies arriving at once on loopback. The central must answer every one
// (its worker's verdict, or 503 with Retry-After) on a connection that stays usable, and must not
// hold the bodies it turns away: its peak resident set stays far below what they add up to.
// Before the central weighed a batch at its headers, evhttp read every body whole before the
// queue was looked at, and the peak grew with the number of bodies arriving at once.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

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

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

TEST_CASE("central: big batches beyond its queue are answered 503 at their headers, their bodies not kept") {
  const auto dir = kiosk::test::TempDir("overload");
  const std::string db = kiosk::test::TestCentralDb(dir);
  {
    auto store = kiosk::central::OpenStore(db).value();
    kiosk::central::Central central(*store, kiosk::SystemClock());
    REQUIRE(central.Init().ok());
  }
  const int port = kiosk::test::FreePort();
  // One worker and a queue of two; the per-kiosk rate limit off (every request has its own id
  // anyway). The options are the ones the central had before the change too.
  const pid_t pid = kiosk::test::StartCentralProcess(db, port, {"--workers", "1", "--queue", "2", "--kiosk-rate", "0"});
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
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);

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
