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

// Read by hand, not with sscanf: the central runs it once per ingested event.
std::optional<int64_t> ParseUtcMs(std::string_view s) {
  auto num = [&](size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec, ms = 0;
  if (!num(0, 4, y) || s.size() < 5 || s[4] != '-' || !num(5, 2, mo) || s.size() < 8 || s[7] != '-' ||
      !num(8, 2, d) || s.size() < 11 || s[10] != 'T' || !num(11, 2, h) || s.size() < 14 || s[13] != ':' ||
      !num(14, 2, mi) || s.size() < 17 || s[16] != ':' || !num(17, 2, sec))
    return std::nullopt;
  if (s.size() >= 21 && s[19] == '.' && !num(20, 3, ms)) ms = 0;
  // Days from the civil date (H. Hinnant's algorithm): timegm without the C library's locking.
  const int yy = y - (mo <= 2);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = static_cast<unsigned>((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000 + int64_t{sec} * 1000 + ms;
}

// As FormatUtc writes it, without gmtime and snprintf: every event the central ingests gets one
// (est_time).
std::string FormatUtcMs(int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(ms)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return FormatUtc(system_clock::time_point(milliseconds(ms)));
  int64_t in_day = (t - day).count();  // ms since midnight
  char buf[24] = "0000-00-00T00:00:00.000";
  auto put = [&](int at, int64_t v, int width) {
    for (int i = at + width - 1; i >= at; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  };
  put(0, y, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, in_day / 3'600'000, 2);
  put(14, in_day / 60'000 % 60, 2);
  put(17, in_day / 1000 % 60, 2);
  put(20, in_day % 1000, 3);
  buf[23] = 'Z';
  return std::string(buf, 24);
}

std::string FormatUtcSeconds(std::chrono::system_clock::time_point t) { return FormatUtc(t).substr(0, 19) + "Z"; }

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
