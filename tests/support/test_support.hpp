#pragma once
// Shared by the suites: temporary data folders, a demo kiosk at a fixed time, running the real
// `kiosk` binary.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "kiosk/services/kiosk.hpp"

namespace kiosk::test {

// A fresh folder under /tmp, removed with everything in it at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    m_path = std::filesystem::temp_directory_path() /
             ("kiosk-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

// 2026-11-24 10:00 UTC: the day the demo showroom's due dates are written against.
inline std::chrono::system_clock::time_point DemoDay() {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 24} + hours{10};
}

inline std::filesystem::path DemoReference() {
  return std::filesystem::path(KIOSK_TEST_ASSETS) / "demo" / "showroom.json";
}

// A data folder with the demo showroom, opened with the given clock.
inline std::unique_ptr<Kiosk> MakeDemoKiosk(const std::filesystem::path& dir, const Clock& clock,
                                            const std::string& kiosk_id = "KIOSK-TEST-01") {
  auto id = Kiosk::Init({.data_dir = dir, .kiosk_id = kiosk_id, .reference_file = DemoReference(), .clock = &clock});
  if (!id.ok()) throw std::runtime_error("init failed: " + id.error().message);
  auto k = Kiosk::Open({.data_dir = dir, .clock = &clock});
  if (!k.ok()) throw std::runtime_error("open failed: " + k.error().message);
  return std::move(*k);
}

// Codes from docs/demo-showroom.md.
namespace demo {
inline constexpr const char* kStaff = "BDG-10017";
inline constexpr const char* kRep = "BDG-20024";
inline constexpr const char* kRepWithOverdue = "BDG-20016";
inline constexpr const char* kAdmin = "BDG-90001";
inline constexpr const char* kAdminPin = "2468";
inline constexpr const char* kInactiveBadge = "BDG-10058";
inline constexpr const char* kGoldCard = "6299246000100012";          // Tulostin Oy, 24,500 points
inline constexpr const char* kSuspendedCard = "6299643000200018";
inline constexpr const char* kBlockedCard = "6299826000100011";
inline constexpr const char* kNorthgateCard = "6299826000100029";     // 8,200 points
inline constexpr const char* kCascadeCard = "6299840000100012";       // 184,500 points
inline constexpr const char* kAvailable = "DEMO-00007";
inline constexpr const char* kAvailableGs1 = "(01)00614141000036(21)C22B3780490";
inline constexpr const char* kOverdue = "DEMO-00008";
inline constexpr const char* kKitMember = "DEMO-00002";               // KIT-0001: DEMO-00001..00003
inline constexpr const char* kRepair = "DEMO-00040";
}  // namespace demo

}  // namespace kiosk::test
