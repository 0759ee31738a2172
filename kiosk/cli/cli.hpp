#pragma once
// The `kiosk` command line: one subcommand per action, over the same core services the
// touchscreen uses. Each feature area registers its subcommands from its own file
// (cmd_<area>.cpp) so that the areas stay independent.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace CLI { class App; }

namespace kiosk::cli {

// What `kiosk gui` asks of the touchscreen app. The CLI never includes kiosk/ui: the composition
// root (kiosk/main.cpp) turns this into ui::GuiOptions and runs the app.
struct GuiRequest {
  std::filesystem::path data_dir;
  std::optional<std::filesystem::path> script;       // --script FILE: run it, then exit
  std::optional<std::filesystem::path> screenshots;  // --screenshots DIR
  std::optional<std::filesystem::path> scan_fifo;    // --scan-fifo PATH: replay scanner
  int width = 0, height = 0;                         // --windowed WxH; 0: full screen
  bool trace = false;                                // --trace: timing lines (benchmarks)
  int exit_after_ms = -1;                            // --exit-after MS (benchmarks)
  std::string walk_language;                         // --walk-language L: walk the English script in L
};
// Returns the app's exit code. Empty in a CLI-only build: then there is no `gui` subcommand.
using GuiLauncher = std::function<int(const GuiRequest&)>;

// Shared by every subcommand of one invocation.
struct Context {
  std::string data_dir;   // --data DIR, $KIOSK_DATA, or the XDG data folder
  bool json = false;      // --json: machine-readable output on stdout
  bool verbose = false;   // --verbose: full reports (SQLite's quick_check) instead of one line
  int exit_code = 0;      // 0 done, 1 refused by a rule, 2 usage error, 3 storage/integrity
  // Set when the data folder failed an integrity check, whatever the command did with it: the
  // process then exits 3 even if the command itself (status, journal) could still read.
  bool integrity_failed = false;
  GuiLauncher gui;        // set by kiosk/main.cpp in a GUI build
  // What `kiosk gui` asked for, checked; Main starts the app with it after parsing is over.
  std::optional<GuiRequest> gui_request;
};

int Main(int argc, char** argv, GuiLauncher gui = {});

// Whether this command line starts the touchscreen app: `kiosk gui ...`, or a bare `kiosk`, with
// only global options (--data DIR, --json, --verbose) before it. Main then builds a command tree
// that holds `gui` alone: the app runs for days and has no use for every other subcommand's
// options and help texts in its memory.
bool StartsGui(int argc, char** argv);

// Registration hooks, one per area. Each adds its subcommands to `app`; a subcommand's callback
// does its work and sets ctx.exit_code.
void RegisterCoreCommands(CLI::App& app, Context& ctx);     // cmd_core.cpp (issue 2)
void RegisterScanCommands(CLI::App& app, Context& ctx);     // cmd_scan.cpp (issue 3)
void RegisterSyncCommands(CLI::App& app, Context& ctx);     // cmd_sync.cpp (issue 5)
void RegisterDeviceCommands(CLI::App& app, Context& ctx);   // cmd_doctor.cpp (issue 6)
void RegisterLabelCommands(CLI::App& app, Context& ctx);    // cmd_labels.cpp (barcode labels)
void RegisterStocktakeCommands(CLI::App& app, Context& ctx);  // cmd_stocktake.cpp (stocktake sessions)
// `gui` (cmd_gui.cpp), registered only when ctx.gui is set; then it is also the default without a
// subcommand.
void RegisterGuiCommands(CLI::App& app, Context& ctx);
// A bare `kiosk`: checks the data folder and sets ctx.gui_request with the defaults; 0, or the
// exit code of what is wrong.
int RequestGuiDefault(Context& ctx);

}  // namespace kiosk::cli
