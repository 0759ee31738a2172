#include "platform/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kiosk::platform {

bool SdNotify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || (path[0] != '/' && path[0] != '@')) return false;
  const size_t len = std::strlen(path);
  sockaddr_un addr{};
  if (len >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const socklen_t addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t sent;
  do {
    sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), addr_len);
  } while (sent < 0 && errno == EINTR);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

std::chrono::microseconds SdWatchdogInterval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec || !*usec) return std::chrono::microseconds{0};
  // WATCHDOG_PID names the unit's main process. kiosk.service runs the app under cage, so the
  // main process is cage and the app is its direct child: the unit sets NotifyAccess=all and the
  // app answers for the parent. Any other process that merely inherited the variable stays quiet.
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && *pid) {
    char* end = nullptr;
    const long p = std::strtol(pid, &end, 10);
    if (*end != '\0' || (p != static_cast<long>(::getpid()) && p != static_cast<long>(::getppid())))
      return std::chrono::microseconds{0};
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(usec, &end, 10);
  if (*end != '\0' || v == 0) return std::chrono::microseconds{0};
  return std::chrono::microseconds{static_cast<long long>(v)};
}

SdWatchdog::SdWatchdog() : m_interval(SdWatchdogInterval()) {}

bool SdWatchdog::Kick(std::chrono::steady_clock::time_point now) {
  if (!enabled()) return false;
  if (m_sent_once && now - m_last < m_interval / 2) return false;
  if (!SdNotify("WATCHDOG=1")) return false;
  m_last = now;
  m_sent_once = true;
  return true;
}

}  // namespace kiosk::platform
