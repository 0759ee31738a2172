#include "kiosk/core/barcode/site_rules.hpp"

#include "kiosk/core/assets.hpp"

namespace kiosk::barcode {

SiteRules LoadSiteRules() {
  SiteRules s;
  s.path = AssetsDir() / "barcode_rules.json";
  std::error_code ec;
  s.file_exists = std::filesystem::exists(s.path, ec);
  if (!s.file_exists) return s;
  auto c = Classifier::FromFile(s.path);
  if (c.ok()) s.classifier = std::move(*c);
  else s.error = c.error();
  return s;
}

}  // namespace kiosk::barcode
