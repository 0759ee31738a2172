#include "kiosk/cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string_view>
#include <utility>

#include "kiosk/core/config.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::cli {
namespace {

std::string DefaultDataDir() {
  if (const char* env = std::getenv("KIOSK_DATA"); env && *env) return env;
  // An installed kiosk (/etc/kiosk/kiosk.json or $KIOSK_CONFIG) keeps its data where the config
  // says (/var/lib/kiosk), whoever runs the command.
  if (!ConfigPathFromEnvironment().empty())
    if (auto config = LoadConfigFromEnvironment(); config.ok()) return config->data_dir.string();
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/showroom-kiosk";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/showroom-kiosk";
  return "./data";
}

}  // namespace

bool StartsGui(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--data") {
      ++i;  // its value, whatever it looks like
      continue;
    }
    if (a.starts_with("--data=") || a == "--json" || a == "--verbose") continue;
    return a == "gui";
  }
  return true;
}

// Weak defaults so that an area not yet built in simply adds no subcommands.
[[gnu::weak]] void RegisterScanCommands(CLI::App&, Context&) {}
[[gnu::weak]] void RegisterSyncCommands(CLI::App&, Context&) {}
[[gnu::weak]] void RegisterDeviceCommands(CLI::App&, Context&) {}
[[gnu::weak]] void RegisterCoreCommands(CLI::App&, Context&) {}
[[gnu::weak]] void RegisterLabelCommands(CLI::App&, Context&) {}
[[gnu::weak]] void RegisterStocktakeCommands(CLI::App&, Context&) {}

namespace {

// Parses and runs the subcommand. `kiosk gui` (or a bare `kiosk`) only leaves its request in
// ctx.gui_request: the app is started once this command tree is gone.
int ParseAndRun(int argc, char** argv, Context& ctx) {
  const bool gui_only = ctx.gui && StartsGui(argc, argv);
  CLI::App app{"Showroom Kiosk: demo equipment, loyalty and sell-out at the reseller's showroom"};
  app.set_version_flag("--version", std::string("kiosk ") + KIOSK_VERSION);
  app.add_option("--data", ctx.data_dir, "Data folder (default: $KIOSK_DATA or the XDG data folder)");
  app.add_flag("--json", ctx.json, "Machine-readable JSON output");
  app.add_flag("--verbose", ctx.verbose, "Full reports (e.g. SQLite's integrity check) instead of a summary line");
  app.require_subcommand(0, 1);
  app.fallthrough();

  if (!gui_only) {
    RegisterCoreCommands(app, ctx);
    RegisterScanCommands(app, ctx);
    RegisterSyncCommands(app, ctx);
    RegisterDeviceCommands(app, ctx);
    RegisterLabelCommands(app, ctx);
    RegisterStocktakeCommands(app, ctx);
  }
  if (ctx.gui) RegisterGuiCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 3;
  }
  if (app.get_subcommands().empty()) {
    if (ctx.gui) return RequestGuiDefault(ctx);  // a bare `kiosk` is the touchscreen app
    std::cout << app.help();
    return 0;
  }
  // An integrity failure outranks whatever the command managed to do with the damaged folder.
  return ctx.integrity_failed ? 3 : ctx.exit_code;
}

}  // namespace

int Main(int argc, char** argv, GuiLauncher gui) {
  Context ctx;
  ctx.gui = std::move(gui);
  ctx.data_dir = DefaultDataDir();
  const int rc = ParseAndRun(argc, argv, ctx);
  if (rc != 0 || !ctx.gui_request) return rc;
  return ctx.gui(*ctx.gui_request);
}

}  // namespace kiosk::cli
