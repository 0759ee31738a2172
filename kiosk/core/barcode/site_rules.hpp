#pragma once
// The barcode rules a kiosk classifies with: the site's AssetsDir()/barcode_rules.json when it
// loads, the built-in rules otherwise. One place decides, so that the kiosk, `kiosk scan` and
// `kiosk doctor` agree on which rules are in use and why a file was refused.
#include <filesystem>
#include <optional>

#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::barcode {

struct SiteRules {
  std::filesystem::path path;   // AssetsDir()/barcode_rules.json
  bool file_exists = false;     // false: no site file, the built-in rules by design
  std::optional<Error> error;   // the file exists but was refused: the built-in rules meanwhile
  Classifier classifier = Classifier::Default();
};

SiteRules LoadSiteRules();

}  // namespace kiosk::barcode
