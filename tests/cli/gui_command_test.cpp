// `kiosk gui` and a bare `kiosk` through the real command line, in-process, with a launcher that
// records what the touchscreen app would have been asked for. The app starts only after parsing
// is over, from a command tree that holds `gui` alone; every other command keeps the whole tree.
#include <doctest/doctest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/cli/cli.hpp"
#include "kiosk/services/kiosk.hpp"
#include "support/test_support.hpp"

using namespace kiosk::test;

namespace {

struct Launch {
  int rc = -1;
  int launched = 0;
  kiosk::cli::GuiRequest request;
  std::string out, err;
};

Launch RunMain(std::vector<std::string> args, bool with_gui = true) {
  args.insert(args.begin(), "kiosk");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Launch l;
  kiosk::cli::GuiLauncher gui;
  if (with_gui)
    gui = [&l](const kiosk::cli::GuiRequest& r) {
      ++l.launched;
      l.request = r;
      return 7;  // whatever the app returns is the process's exit code
    };
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  l.rc = kiosk::cli::Main(static_cast<int>(argv.size()), argv.data(), std::move(gui));
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  l.out = out.str();
  l.err = err.str();
  return l;
}

struct Folder {
  TempDir dir;
  std::string data = (dir / "data").string();
  Folder() {
    auto id = kiosk::Kiosk::Init({.data_dir = data, .kiosk_id = "KIOSK-GUICLI01"});
    REQUIRE_MESSAGE(id.ok(), (id.ok() ? "" : id.error().message));
  }
};

}  // namespace

TEST_CASE("StartsGui: gui, or nothing but global options, and anything else is another command") {
  struct Row {
    std::vector<std::string> args;
    bool gui;
  };
  const std::vector<Row> rows = {
      {{}, true},
      {{"gui"}, true},
      {{"gui", "--windowed", "800x600"}, true},
      {{"--data", "/d", "gui"}, true},
      {{"--data=/d", "--json", "--verbose"}, true},
      {{"--data", "gui"}, true},             // a folder named gui, and no subcommand: the app
      {{"--data", "gui", "status"}, false},  // the same folder, then `status`
      {{"status"}, false},
      {{"--help"}, false},
      {{"--version"}, false},
      {{"--data", "/d", "sync", "gui"}, false},
      {{"guix"}, false},
  };
  for (const Row& row : rows) {
    std::vector<std::string> args = row.args;
    args.insert(args.begin(), "kiosk");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::string shown;
    for (const auto& a : row.args) shown += a + " ";
    CHECK_MESSAGE(kiosk::cli::StartsGui(static_cast<int>(argv.size()), argv.data()) == row.gui, shown);
  }
}

TEST_CASE_FIXTURE(Folder, "kiosk gui: the app gets the options asked for, and its exit code is the process's") {
  auto l = RunMain({"--data", data, "gui", "--windowed", "1024x600", "--exit-after", "250", "--trace"});
  CHECK(l.rc == 7);
  REQUIRE(l.launched == 1);
  CHECK(l.request.data_dir == data);
  CHECK(l.request.width == 1024);
  CHECK(l.request.height == 600);
  CHECK(l.request.exit_after_ms == 250);
  CHECK(l.request.trace);
  CHECK_FALSE(l.request.script.has_value());
}

TEST_CASE_FIXTURE(Folder, "a bare kiosk is the touchscreen app, full screen") {
  auto l = RunMain({"--data", data});
  CHECK(l.rc == 7);
  REQUIRE(l.launched == 1);
  CHECK(l.request.width == 0);
  CHECK(l.request.height == 0);
  auto json_first = RunMain({"--json", "--data=" + data});
  CHECK(json_first.launched == 1);
}

TEST_CASE_FIXTURE(Folder, "kiosk gui refuses a bad window size (2) and an uninitialised folder (3) without starting") {
  auto bad = RunMain({"--data", data, "gui", "--windowed", "10x10"});
  CHECK(bad.rc == 2);
  CHECK(bad.launched == 0);
  CHECK(bad.err.find("--windowed takes WIDTHxHEIGHT") != std::string::npos);

  auto empty = RunMain({"--data", (dir / "nothing-here").string(), "gui"});
  CHECK(empty.rc == 3);
  CHECK(empty.launched == 0);
  CHECK(empty.err.find("kiosk init --demo") != std::string::npos);

  auto unknown = RunMain({"--data", data, "gui", "--no-such-option"});
  CHECK(unknown.rc == 2);
  CHECK(unknown.launched == 0);
}

TEST_CASE_FIXTURE(Folder, "every other command still has the whole tree, also with a data folder named gui") {
  TempDir other;
  const std::string named_gui = (other / "gui").string();
  REQUIRE(kiosk::Kiosk::Init({.data_dir = named_gui, .kiosk_id = "KIOSK-GUICLI02"}).ok());
  // `--data gui status`: "gui" is the folder, not the subcommand.
  auto status = RunMain({"--data", named_gui, "status"});
  CHECK(status.rc == 0);
  CHECK(status.launched == 0);
  CHECK(status.out.find("KIOSK-GUICLI02") != std::string::npos);

  auto help = RunMain({"--help"});
  CHECK(help.rc == 0);
  CHECK(help.launched == 0);
  for (const char* sub : {"status", "verify", "sync", "checkout", "gui"})
    CHECK_MESSAGE(help.out.find(sub) != std::string::npos, sub);

  // In a build without the touchscreen there is no `gui`, and a bare `kiosk` prints the help.
  auto no_gui = RunMain({"--data", data}, /*with_gui=*/false);
  CHECK(no_gui.rc == 0);
  CHECK(no_gui.out.find("status") != std::string::npos);
  auto gui_asked = RunMain({"--data", data, "gui"}, /*with_gui=*/false);
  CHECK(gui_asked.rc == 2);
}
