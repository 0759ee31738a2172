// kiosk.service (Type=notify, WatchdogSec=) end to end without systemd: the test plays systemd's
// part, a unix datagram socket named by $NOTIFY_SOCKET, runs the real `kiosk gui` under Xvfb and
// checks what arrives: READY=1 after the first frame, then WATCHDOG=1 often enough that systemd
// would not kill a healthy UI, and nothing for a watchdog that belongs to another process.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "support/run_process.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Message {
  std::string text;
  Clock::time_point at;
  pid_t sender = 0;  // from SCM_CREDENTIALS, as systemd checks it for NotifyAccess=
};

// The kiosk binary under test: this build's, or $KIOSK_TEST_KIOSK_BIN (to check another build).
std::string KioskBin() {
  const char* env = std::getenv("KIOSK_TEST_KIOSK_BIN");
  return env && *env ? env : KIOSK_BIN;
}

fs::path TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "kiosk-notify.XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

// fork + exec, without waiting; returns the pid.
pid_t Spawn(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) kiosk::test::ExecChild(argv);
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `kiosk gui` under xvfb-run with NOTIFY_SOCKET pointing at a socket of ours, and returns
// every datagram that arrived while it ran (and its exit code).
struct GuiRun {
  std::vector<Message> messages;
  int exit_code = -1;
  Clock::time_point started;
};

GuiRun RunGuiUnderFakeSystemd(const fs::path& dir, std::vector<std::string> env, int run_ms) {
  const fs::path data = dir / "data";
  REQUIRE(Wait(Spawn({KioskBin(), "--data", data.string(), "init", "--demo"})) == 0);

  const fs::path sock_path = dir / "notify.sock";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(sock_path.string().size() < sizeof(addr.sun_path));
  std::strcpy(addr.sun_path, sock_path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  const int on = 1;
  REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);

  // The variables go to the kiosk only (through env(1)): Debian's Xvfb is built with systemd
  // support and would send READY=1 of its own, at start and at every server reset.
  std::vector<std::string> argv = {"xvfb-run", "-a", "-s", "-screen 0 1024x600x24", "env",
                                   "NOTIFY_SOCKET=" + sock_path.string(),
                                   "KIOSK_CONFIG=" + (dir / "none.json").string()};  // defaults, not /etc's
  argv.insert(argv.end(), env.begin(), env.end());
#if defined(__SANITIZE_ADDRESS__)
  // Under the asan preset: the GL driver and ALSA modules, unloaded at exit, leave a few hundred
  // bytes LeakSanitizer can attribute to no module; the notify protocol is what is tested here.
  argv.push_back("ASAN_OPTIONS=detect_leaks=0");
#endif
  for (std::string a : {KioskBin(), std::string("--data"), data.string(), std::string("gui"),
                        std::string("--exit-after"), std::to_string(run_ms)})
    argv.push_back(std::move(a));
  GuiRun run;
  run.started = Clock::now();
  const pid_t pid = Spawn(argv);
  const auto give_up = Clock::now() + std::chrono::milliseconds(run_ms + 30000);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[4096];
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      iovec iov{buf, sizeof buf};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = ::recvmsg(fd, &msg, 0);
      if (n > 0) {
        pid_t sender = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
            sender = reinterpret_cast<ucred*>(CMSG_DATA(c))->pid;
        run.messages.push_back({std::string(buf, static_cast<size_t>(n)), Clock::now(), sender});
      }
      continue;
    }
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (Clock::now() > give_up) {
      ::kill(pid, SIGKILL);
      Wait(pid);
      FAIL("kiosk gui did not exit within " << run_ms + 30000 << " ms");
    }
  }
  ::close(fd);
  return run;
}

std::vector<Message> WithText(const std::vector<Message>& all, const std::string& text) {
  std::vector<Message> out;
  for (const auto& m : all)
    if (m.text == text) out.push_back(m);
  return out;
}

std::string Texts(const std::vector<Message>& all) {
  std::string s;
  for (const auto& m : all) s += "[" + m.text + " from " + std::to_string(m.sender) + "] ";
  return s;
}

}  // namespace

TEST_CASE("kiosk gui under a fake systemd sends READY=1, then WATCHDOG=1 well within WatchdogSec") {
  const fs::path dir = TempDir();
  constexpr long long kWatchdogUs = 2'000'000;  // WatchdogSec=2: the app should kick every second
  const GuiRun run = RunGuiUnderFakeSystemd(dir, {"WATCHDOG_USEC=" + std::to_string(kWatchdogUs)}, 5000);
  INFO("messages: " << Texts(run.messages));
  CHECK(run.exit_code == 0);
  const auto ready = WithText(run.messages, "READY=1");
  REQUIRE(ready.size() == 1);
  const auto kicks = WithText(run.messages, "WATCHDOG=1");
  // 5 s at one kick a second, less Xvfb's start-up: at least 3.
  REQUIRE(kicks.size() >= 3);
  // All from the app itself (one process), nothing from anyone else.
  for (const auto& m : run.messages) CHECK(m.sender == ready.front().sender);
  // systemd kills the unit when a whole interval passes without a kick: the largest gap after
  // READY must stay well inside it.
  auto last = ready.front().at;
  for (const auto& k : kicks) {
    if (k.at < last) continue;
    const auto gap_us = std::chrono::duration_cast<std::chrono::microseconds>(k.at - last).count();
    CHECK_MESSAGE(gap_us < kWatchdogUs * 3 / 4, "gap of " << gap_us / 1000 << " ms between watchdog kicks");
    last = k.at;
  }
  fs::remove_all(dir);
}

TEST_CASE("kiosk gui stays quiet about a watchdog that belongs to another process (WATCHDOG_PID)") {
  const fs::path dir = TempDir();
  // PID 1 is neither the app nor its parent (cage in kiosk.service): the variable was inherited.
  const GuiRun run = RunGuiUnderFakeSystemd(dir, {"WATCHDOG_USEC=1000000", "WATCHDOG_PID=1"}, 2500);
  INFO("messages: " << Texts(run.messages));
  CHECK(run.exit_code == 0);
  CHECK(WithText(run.messages, "READY=1").size() == 1);
  CHECK(WithText(run.messages, "WATCHDOG=1").empty());
  fs::remove_all(dir);
}
