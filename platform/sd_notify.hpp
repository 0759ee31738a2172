#pragma once
// systemd's notify protocol without libsystemd: READY=1 once the first frame is on screen,
// WATCHDOG=1 from the main loop, STOPPING=1 on the way out. Outside systemd ($NOTIFY_SOCKET
// unset) every call is a cheap no-op. Used from the UI's main thread only.
#include <chrono>
#include <string_view>

namespace kiosk::platform {

// Sends one datagram ("READY=1", "WATCHDOG=1", "STATUS=...") to $NOTIFY_SOCKET (a path or an
// abstract "@name" socket). Returns false when not started by systemd or when sending failed.
bool SdNotify(std::string_view state);

// The watchdog interval systemd expects a WATCHDOG=1 within ($WATCHDOG_USEC, honouring
// $WATCHDOG_PID), or zero when the unit has no WatchdogSec=.
std::chrono::microseconds SdWatchdogInterval();

// Rate-limits WATCHDOG=1 to twice per interval so the main loop can call Kick() every frame.
// Kick only from a loop that really made progress: a hung loop must let systemd restart us.
class SdWatchdog {
 public:
  SdWatchdog();  // reads the environment once
  bool enabled() const { return m_interval.count() > 0; }
  std::chrono::microseconds interval() const { return m_interval; }
  // Sends WATCHDOG=1 if half the interval has passed since the last one. Returns true if sent.
  bool Kick(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::chrono::microseconds m_interval{0};
  std::chrono::steady_clock::time_point m_last{};
  bool m_sent_once = false;
};

}  // namespace kiosk::platform
