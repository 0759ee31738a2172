#pragma once
// Clock: wall time, monotonic time and boot id. Injected everywhere time matters so that tests
// can move time (due dates, stale-data guard, PIN lockout, backoff). Thread-safe.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;  // wall clock, UTC
  virtual int64_t MonotonicMs() const = 0;                         // ms since boot
  virtual std::string BootId() const = 0;                          // changes at every boot
};

// The real clock: system_clock, CLOCK_MONOTONIC, /proc/sys/kernel/random/boot_id.
const Clock& SystemClock();

// A clock tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point now) : m_now(now) {}
  std::chrono::system_clock::time_point Now() const override { return m_now; }
  int64_t MonotonicMs() const override { return m_mono_ms; }
  std::string BootId() const override { return m_boot_id; }
  void Advance(std::chrono::milliseconds d) { m_now += d; m_mono_ms += d.count(); }
  void SetBootId(std::string id) { m_boot_id = std::move(id); }

 private:
  std::chrono::system_clock::time_point m_now;
  int64_t m_mono_ms = 1000;
  std::string m_boot_id = "00000000-0000-4000-8000-000000000001";
};

// "2026-11-24T13:45:01.123Z"
std::string FormatUtc(std::chrono::system_clock::time_point t);
// "2026-11-24T13:45:01Z": to the second, for people (`kiosk doctor`)
std::string FormatUtcSeconds(std::chrono::system_clock::time_point t);
// Unix ms -> "2026-11-24T13:45:01.123Z", the same text as FormatUtc, fast (the central's ingest)
std::string FormatUtcMs(int64_t ms);
// "2026-11-24T13:45:01.123Z" (the milliseconds may be missing) -> Unix ms; nullopt if malformed.
// Every journal wall_time reads back with it.
std::optional<int64_t> ParseUtcMs(std::string_view text);
// "2026-11-24" in UTC
std::string FormatDate(std::chrono::system_clock::time_point t);
// Parses YYYY-MM-DD; false if malformed or not a real date.
bool ParseDate(std::string_view text, std::chrono::sys_days& out);

}  // namespace kiosk
