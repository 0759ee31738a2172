#pragma once
// RunGui: the touchscreen app's main loop. Reads like a checklist: window, fonts, theme, words,
// controller (which opens the data folder on its worker), then the event-driven loop, then
// everything shut down in reverse.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "kiosk/core/domain.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::platform {
class ScannerSet;
}

namespace kiosk::ui {

struct GuiOptions {
  std::filesystem::path data_dir;
  std::optional<std::filesystem::path> script;       // --script FILE: run it, then exit
  std::optional<std::filesystem::path> screenshots;  // --screenshots DIR
  int width = 0, height = 0;                         // --windowed WxH; 0: full screen
  bool trace = false;           // --trace: timing lines on stdout (benchmarks)
  int exit_after_ms = -1;       // --exit-after MS: quit on its own (benchmarks)
  // Scanner sources built by the caller (kiosk/main.cpp, from kiosk.json's `scanner` section);
  // RunGui starts them into its scan queue and stops them on exit. Required.
  platform::ScannerSet* scanners = nullptr;
  bool beep = true;             // sound with every banner (good/bad read): kiosk.json's scanner.beep
  std::string walk_language;    // --walk-language L: start in L and walk the English script in it
  // Writes a label sheet (kiosk/labels); empty in a build without libzint and cairo.
  std::function<Status(const LabelJob&)> write_labels;
};

// Returns the process exit code: 0, 1 for a failed script expectation, 2 for bad options or
// script syntax, 3 when the window or the data folder cannot be opened.
int RunGui(const GuiOptions& options);

}  // namespace kiosk::ui
