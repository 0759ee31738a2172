// kiosk: the touchscreen app and the command line over the same core services.
// The composition root: the only file that sees both the CLI and the UI. It hands the CLI a way
// to start the touchscreen app (`kiosk gui`, or a bare `kiosk`), so kiosk/cli never includes
// kiosk/ui; see kiosk/cli/ and kiosk/ui/.
#include <utility>

#include "kiosk/cli/cli.hpp"
#ifdef KIOSK_HAVE_GUI
#include "kiosk/ui/app.hpp"
#endif

int main(int argc, char** argv) {
  kiosk::cli::GuiLauncher gui;  // stays empty in a CLI-only build: no `gui` subcommand
#ifdef KIOSK_HAVE_GUI
  gui = [](const kiosk::cli::GuiRequest& r) {
    kiosk::ui::GuiOptions o;
    o.data_dir = r.data_dir;
    o.script = r.script;
    o.screenshots = r.screenshots;
    o.scan_fifo = r.scan_fifo;
    o.width = r.width;
    o.height = r.height;
    o.trace = r.trace;
    o.exit_after_ms = r.exit_after_ms;
    return kiosk::ui::RunGui(o);
  };
#endif
  return kiosk::cli::Main(argc, argv, std::move(gui));
}
