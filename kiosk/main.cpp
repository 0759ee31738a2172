// kiosk: the touchscreen app and the command line over the same core services.
// The composition root: the only file that sees both the CLI and the UI. It hands the CLI a way
// to start the touchscreen app (`kiosk gui`, or a bare `kiosk`), so kiosk/cli never includes
// kiosk/ui; see kiosk/cli/ and kiosk/ui/.
#include <utility>

#include "kiosk/cli/cli.hpp"
#ifdef KIOSK_HAVE_GUI
#include "kiosk/core/assets.hpp"
#include "kiosk/core/config.hpp"
#include "kiosk/ui/app.hpp"
#include "platform/scanner_set.hpp"
#endif
#ifdef KIOSK_HAVE_LABELS
#include "kiosk/labels/labels.hpp"
#endif

int main(int argc, char** argv) {
  kiosk::cli::GuiLauncher gui;  // stays empty in a CLI-only build: no `gui` subcommand
#ifdef KIOSK_HAVE_GUI
  gui = [](const kiosk::cli::GuiRequest& r) {
    kiosk::ui::GuiOptions o;
    o.data_dir = r.data_dir;
    o.script = r.script;
    o.screenshots = r.screenshots;
    o.width = r.width;
    o.height = r.height;
    o.trace = r.trace;
    o.exit_after_ms = r.exit_after_ms;
    o.walk_language = r.walk_language;
#ifdef KIOSK_HAVE_LABELS
    o.write_labels = kiosk::labels::WriteJob;  // the same writer as `kiosk labels`
#endif
    // The scanners kiosk.json configures are wired here and lent to the app, which starts them
    // with its scan queue and stops them on exit. A broken kiosk.json leaves the defaults (usb,
    // evdev, wedge); `kiosk doctor` says what is wrong with it.
    kiosk::platform::ScannerSetOptions so;
    if (auto config = kiosk::LoadConfigFromEnvironment(); config.ok()) so.config = config->scanner;
    so.scanners_json = kiosk::AssetsDir() / "scanners.json";
    so.scan_fifo = r.scan_fifo;  // tests and benchmarks feed the running app through it
    kiosk::platform::ScannerSet scanners(std::move(so));
    o.scanners = &scanners;
    o.beep = scanners.Config().beep;
    return kiosk::ui::RunGui(o);
  };
#endif
  return kiosk::cli::Main(argc, argv, std::move(gui));
}
