#include "kiosk/core/clock.hpp"

#include <time.h>

#include <cstdio>
#include <fstream>

namespace kiosk {
namespace {

class RealClock final : public Clock {
 public:
  RealClock() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::getline(in, m_boot_id);
    if (m_boot_id.empty()) m_boot_id = "unknown";
  }
  std::chrono::system_clock::time_point Now() const override { return std::chrono::system_clock::now(); }
  int64_t MonotonicMs() const override {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  }
  std::string BootId() const override { return m_boot_id; }

 private:
  std::string m_boot_id;
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock kClock;
  return kClock;
}

std::string FormatUtc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int millis = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string FormatDate(std::chrono::system_clock::time_point t) { return FormatUtc(t).substr(0, 10); }

bool ParseDate(std::string_view text, std::chrono::sys_days& out) {
  using namespace std::chrono;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto num = [&](size_t pos, size_t len, int& v) {
    v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, m, d;
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return false;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  out = sys_days{ymd};
  return true;
}

}  // namespace kiosk
