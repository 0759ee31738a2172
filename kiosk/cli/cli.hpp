#pragma once
// The `kiosk` command line: one subcommand per action, over the same core services the
// touchscreen uses. Each feature area registers its subcommands from its own file
// (cmd_<area>.cpp) so that the areas stay independent.
#include <functional>
#include <string>

namespace CLI { class App; }

namespace kiosk::cli {

// Shared by every subcommand of one invocation.
struct Context {
  std::string data_dir;   // --data DIR, $KIOSK_DATA, or the XDG data folder
  bool json = false;      // --json: machine-readable output on stdout
  bool verbose = false;   // --verbose: full reports (SQLite's quick_check) instead of one line
  int exit_code = 0;      // 0 done, 1 refused by a rule, 2 usage error, 3 storage/integrity
  // Set when the data folder failed an integrity check, whatever the command did with it: the
  // process then exits 3 even if the command itself (status, journal) could still read.
  bool integrity_failed = false;
};

int Main(int argc, char** argv);

// Registration hooks, one per area. Each adds its subcommands to `app`; a subcommand's callback
// does its work and sets ctx.exit_code.
void RegisterCoreCommands(CLI::App& app, Context& ctx);     // cmd_core.cpp (issue 2)
void RegisterScanCommands(CLI::App& app, Context& ctx);     // cmd_scan.cpp (issue 3)
void RegisterSyncCommands(CLI::App& app, Context& ctx);     // cmd_sync.cpp (issue 5)
void RegisterDeviceCommands(CLI::App& app, Context& ctx);   // cmd_doctor.cpp (issue 6)
// The touchscreen app (kiosk/ui) registers `gui` and is the default without a subcommand.
// Set by kiosk/ui when it is linked in; null in a CLI-only build.
using GuiEntry = std::function<int(int argc, char** argv, Context& ctx)>;

}  // namespace kiosk::cli
