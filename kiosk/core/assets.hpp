#pragma once
// Where the read-only assets (demo data, barcode rules, translations, scanner list) are found.
#include <filesystem>

namespace kiosk {

// $KIOSK_ASSETS if set; else the installed /usr/share/showroom-kiosk if it exists; else the
// source tree's assets/ (a developer build run from the checkout).
std::filesystem::path AssetsDir();

}  // namespace kiosk
