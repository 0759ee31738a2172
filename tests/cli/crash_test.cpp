// Power-cut stand-in: a child logging events as fast as it can is killed with SIGKILL again and
// again. Every event it reported as logged must be there, and the chain must verify.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>

#include "support/run_process.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;

TEST_CASE("SIGKILL during a burst of appends loses no reported event and leaves a valid chain") {
  TempDir dir;
  const std::string data = (dir / "data").string();
  REQUIRE(RunProcess({KioskBinary(), "--data", data, "init", "--demo"}).exit_code == 0);
  std::mt19937 rng(20261124);
  std::set<int64_t> reported;
  constexpr int kRounds = 30;
  int killed_mid_burst = 0;
  for (int round = 0; round < kRounds; ++round) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::execl(KioskBinary().c_str(), "kiosk", "--data", data.c_str(), "stress-append", "--count", "100000", "--by",
              demo::kStaff, demo::kAvailable, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // Let it run 5-80 ms after its first event, then pull the plug.
    std::string buffer;
    const int run_ms = std::uniform_int_distribution<int>(5, 80)(rng);
    bool started = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 5) > 0) {
        char buf[4096];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        buffer.append(buf, static_cast<size_t>(n));
        if (!started) {
          started = true;
          deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
        }
      }
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    killed_mid_burst += WIFSIGNALED(status);
    // Whatever reached the pipe before the kill counts as reported; only whole lines.
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) buffer.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    size_t pos = 0, nl;
    while ((nl = buffer.find('\n', pos)) != std::string::npos) {
      const std::string line = buffer.substr(pos, nl - pos);
      if (line.rfind("logged ", 0) == 0) reported.insert(std::stoll(line.substr(7)));
      pos = nl + 1;
    }
  }
  CHECK(killed_mid_burst == kRounds);
  REQUIRE(reported.size() > 30);

  ManualClock clock(DemoDay());
  auto k = Kiosk::Open({.data_dir = data, .clock = &clock});
  REQUIRE(k.ok());
  const StatusView s = (*k)->Status();
  CHECK(s.last_seq >= *reported.rbegin());
  CHECK(s.journal_events == s.last_seq);  // gapless
  auto events = (*k)->Journal(1, 1000000);
  REQUIRE(events.ok());
  std::set<int64_t> present;
  for (const auto& e : *events) present.insert(e.seq);
  int missing = 0;
  for (int64_t seq : reported) missing += !present.count(seq);
  CHECK(missing == 0);
  auto v = (*k)->Verify();
  REQUIRE(v.ok());
  CHECK(v->ok);
  MESSAGE(reported.size() << " events reported as logged across " << kRounds << " kills; journal has "
                          << s.journal_events);
}
