#pragma once
// Clock: wall time, monotonic time and boot id, injectable so that tests can move time.
#include <chrono>
#include <cstdint>
#include <string>

namespace kiosk::platform {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;  // wall clock, UTC
  virtual int64_t MonotonicMs() const = 0;                         // ms since boot
  virtual std::string BootId() const = 0;                          // changes at every boot
};

}  // namespace kiosk::platform
