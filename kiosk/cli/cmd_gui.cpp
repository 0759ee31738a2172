// `kiosk gui`: the touchscreen app, also what a bare `kiosk` starts in a GUI build. Parses the
// options only; the app itself is started through ctx.gui, which kiosk/main.cpp sets.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kiosk/cli/cli.hpp"
#include "kiosk/core/languages.hpp"
#include "kiosk/services/kiosk.hpp"

namespace kiosk::cli {

struct GuiArgs {
  std::string windowed;  // "WxH"
  std::string script;
  std::string screenshots;
  std::string scan_fifo;
  bool trace = false;
  int exit_after_ms = -1;
  std::string walk_language;
};

// Checks the options and the data folder; on success leaves the request in ctx.gui_request.
int RequestGui(Context& ctx, const GuiArgs& args) {
  GuiRequest o;
  o.data_dir = ctx.data_dir;
  DataPaths paths{o.data_dir};
  std::error_code ec;
  if (!std::filesystem::exists(paths.Db(), ec)) {
    std::cerr << "error: the data folder " << o.data_dir.string()
              << " is not initialised: there is no kiosk.db in it.\n"
                 "Create it with `kiosk init --demo --data "
              << o.data_dir.string()
              << "` (the demo showroom), or `kiosk init --reference FILE` with real reference data.\n";
    return 3;
  }
  if (!args.windowed.empty()) {
    int w = 0, h = 0;
    char x = 0;
    if (std::sscanf(args.windowed.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w < 320 ||
        h < 240 || w > 8192 || h > 8192) {
      std::cerr << "error: --windowed takes WIDTHxHEIGHT, e.g. 1024x600 (got \"" << args.windowed << "\")\n";
      return 2;
    }
    o.width = w;
    o.height = h;
  }
  if (!args.script.empty()) o.script = args.script;
  if (!args.screenshots.empty()) o.screenshots = args.screenshots;
  if (!args.scan_fifo.empty()) o.scan_fifo = args.scan_fifo;
  o.trace = args.trace;
  o.exit_after_ms = args.exit_after_ms;
  o.walk_language = args.walk_language;
  ctx.gui_request = std::move(o);
  return 0;
}

void RegisterGuiCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<GuiArgs>();
  CLI::App* gui = app.add_subcommand("gui", "The touchscreen app (the default without a subcommand)");
  gui->add_option("--windowed", args->windowed, "A window of WIDTHxHEIGHT instead of full screen, e.g. 1024x600");
  gui->add_option("--script", args->script, "Run this script against the window, then exit (see kiosk/ui/script.hpp)");
  gui->add_option("--screenshots", args->screenshots, "Folder for the script's screenshots");
  gui->add_option("--scan-fifo", args->scan_fifo, "Replay scanner: read scans, one a line, from this FIFO");
  gui->add_flag("--trace", args->trace, "Print timing lines (first frame, scan to frame) for benchmarks");
  gui->add_option("--exit-after", args->exit_after_ms, "Quit after this many milliseconds (benchmarks)");
  gui->add_option("--walk-language", args->walk_language,
                  "With --script: start in this language and walk the (English) script in it; every screen "
                  "must show only that language's words")
      ->check(CLI::IsMember(std::vector<std::string>(kLanguageCodes.begin(), kLanguageCodes.end())));
  gui->callback([&ctx, args] { ctx.exit_code = RequestGui(ctx, *args); });
}

int RequestGuiDefault(Context& ctx) { return RequestGui(ctx, GuiArgs{}); }

}  // namespace kiosk::cli
