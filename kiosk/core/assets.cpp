#include "kiosk/core/assets.hpp"

#include <cstdlib>

namespace kiosk {

std::filesystem::path AssetsDir() {
  if (const char* env = std::getenv("KIOSK_ASSETS"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path installed = "/usr/share/showroom-kiosk";
  if (std::filesystem::exists(installed / "barcode_rules.json", ec)) return installed;
  return KIOSK_SOURCE_ASSETS;
}

}  // namespace kiosk
