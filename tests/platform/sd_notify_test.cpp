// sd_notify without libsystemd: the datagrams systemd would receive, on a real socket.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "platform/sd_notify.hpp"

namespace {

// A stand-in for systemd's notify socket, bound to a path in a temporary folder.
struct NotifySocket {
  int fd = -1;
  std::string path;
  NotifySocket() {
    path = (std::filesystem::temp_directory_path() / ("kiosk-notify-" + std::to_string(::getpid()))).string();
    ::unlink(path.c_str());
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    ::close(fd);
    ::unlink(path.c_str());
  }
  std::string Receive() {
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
  }
  bool Pending() {
    char buf[256];
    return ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0;
  }
};

}  // namespace

TEST_CASE("outside systemd nothing is sent and the watchdog is off") {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  CHECK_FALSE(kiosk::platform::SdNotify("READY=1"));
  kiosk::platform::SdWatchdog dog;
  CHECK_FALSE(dog.enabled());
  CHECK_FALSE(dog.Kick());
}

TEST_CASE("READY=1 reaches the notify socket") {
  NotifySocket sock;
  CHECK(kiosk::platform::SdNotify("READY=1"));
  CHECK(sock.Receive() == "READY=1");
  CHECK(kiosk::platform::SdNotify("STATUS=Waiting for the scanner"));
  CHECK(sock.Receive() == "STATUS=Waiting for the scanner");
}

TEST_CASE("the watchdog honours WATCHDOG_USEC and WATCHDOG_PID and rate-limits kicks") {
  NotifySocket sock;
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  kiosk::platform::SdWatchdog dog;
  REQUIRE(dog.enabled());
  CHECK(dog.interval() == std::chrono::seconds(30));

  const auto t0 = std::chrono::steady_clock::now();
  CHECK(dog.Kick(t0));
  CHECK(sock.Receive() == "WATCHDOG=1");
  CHECK_FALSE(dog.Kick(t0 + std::chrono::seconds(5)));  // every frame: no flood
  CHECK_FALSE(sock.Pending());
  CHECK(dog.Kick(t0 + std::chrono::seconds(15)));  // half the interval
  CHECK(sock.Receive() == "WATCHDOG=1");

  // Started by cage: the main PID is our parent, which is allowed; any other PID is not.
  ::setenv("WATCHDOG_PID", std::to_string(::getppid()).c_str(), 1);
  CHECK(kiosk::platform::SdWatchdogInterval() == std::chrono::seconds(30));
  ::setenv("WATCHDOG_PID", "1", 1);
  if (::getppid() != 1) CHECK(kiosk::platform::SdWatchdogInterval().count() == 0);
  ::setenv("WATCHDOG_USEC", "junk", 1);
  ::unsetenv("WATCHDOG_PID");
  CHECK(kiosk::platform::SdWatchdogInterval().count() == 0);
}
