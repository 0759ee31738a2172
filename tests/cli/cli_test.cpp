// The `kiosk` command line as a person or a script uses it: exit codes 0/1/2/3, human and JSON
// output, and the errors of issue 2 end to end.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/run_process.hpp"
#include "support/test_support.hpp"

using namespace kiosk::test;
using nlohmann::json;

namespace {
struct Cli {
  TempDir dir;
  std::string data = (dir / "data").string();
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {KioskBinary(), "--data", data});
    return RunProcess(args);
  }
  json Json(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = Run(args);
    INFO(r.out << r.err);
    return json::parse(r.out);
  }
};
}  // namespace

TEST_CASE_FIXTURE(Cli, "a data folder that doesn't exist says how to create one") {
  auto r = Run({"status"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("kiosk init --demo") != std::string::npos);
}

TEST_CASE_FIXTURE(Cli, "init, status and lookups with human and JSON output") {
  auto init = Run({"init", "--demo", "--kiosk-id", "KIOSK-CLI-01"});
  REQUIRE(init.exit_code == 0);
  CHECK(init.out.find("KIOSK-CLI-01") != std::string::npos);
  CHECK(Run({"init", "--demo"}).exit_code == 1);  // never overwrites

  json status = Json({"status"});
  CHECK(status["kiosk_id"] == "KIOSK-CLI-01");
  CHECK(status["reference"]["partners"] == 13);
  CHECK(status["journal"]["events"] == 2);
  CHECK(status["devices_overdue"].get<int>() >= 0);

  json partner = Json({"partner", demo::kGoldCard});
  CHECK(partner["name"] == "Tulostin Oy");
  CHECK(partner["tier"] == "gold");
  auto human = Run({"partner", demo::kGoldCard});
  CHECK(human.out.find("to reach Platinum") != std::string::npos);

  json device = Json({"device", demo::kAvailableGs1});
  CHECK(device["asset_tag"] == demo::kAvailable);

  auto unknown = Run({"partner", "6299000000000015", "--json"});
  CHECK(unknown.exit_code == 1);
  CHECK(json::parse(unknown.out)["error"]["code"] == "partner.unknown");
}

TEST_CASE_FIXTURE(Cli, "actions: 0 when logged, 1 when a rule refuses, 2 for a usage error") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  json out = Json({"checkout", demo::kAvailable, "--rep", demo::kRep, "--purpose", "Demo at Acme"});
  CHECK(out["ok"] == true);
  CHECK(out["seq"] == 3);
  auto again = Run({"checkout", demo::kAvailable, "--rep", demo::kRep});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already checked out") != std::string::npos);
  CHECK(Run({"checkout", demo::kAvailable}).exit_code == 2);  // --rep missing
  CHECK(Run({"checkout", "DEMO-00009", "--rep", demo::kRep, "--due", "tomorrow"}).exit_code == 2);
  CHECK(Run({"checkin", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
  CHECK(Run({"audit", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
  CHECK(Run({"redeem", "--partner", demo::kGoldCard, "--reward", "R-001", "--by", demo::kStaff}).exit_code == 0);
  CHECK(Run({"redeem", "--partner", demo::kNorthgateCard, "--reward", "R-006", "--by", demo::kStaff}).exit_code == 1);
  CHECK(Run({"sellout", "--partner", demo::kGoldCard, "(01)00614141000043(21)M18B9000001", "--by", demo::kStaff})
            .exit_code == 0);
  CHECK(Run({"register-deal", "--partner", demo::kGoldCard, "--customer", "Espoon Kaupunki", "--product", "C4500 x 4",
             "--value", "18000", "--close", "2027-02-15", "--by", demo::kStaff})
            .exit_code == 0);
  CHECK(Run({"order-demo", "--partner", demo::kSuspendedCard, "--model", "00614141000012", "--by", demo::kStaff})
            .exit_code == 1);
  json journal = Json({"journal", "--since", "3"});
  REQUIRE(journal.is_array());
  CHECK(journal.size() == 6);
  CHECK(journal[0]["type"] == "device.checked_out");
  CHECK(Run({"verify"}).exit_code == 0);
}

TEST_CASE_FIXTURE(Cli, "checkout --signature keeps the drawing, and `kiosk signature SEQ` shows it as SVG or PNG") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  const std::string drawn = (dir / "rep.svg").string();
  {
    std::ofstream f(drawn);
    f << "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M10 40 L12 41 L15 43 M60 30 L61 35\"/></svg>\n";
  }
  // A file that does not exist, or holds no drawing: exit 2 and nothing logged.
  CHECK(Run({"checkout", demo::kAvailable, "--rep", demo::kRep, "--signature", (dir / "none.svg").string()})
            .exit_code == 2);
  CHECK(Json({"status"})["journal"]["last_seq"] == 2);
  json out = Json({"checkout", demo::kAvailable, "--rep", demo::kRep, "--signature", drawn});
  REQUIRE(out["ok"] == true);
  const std::string seq = std::to_string(out["seq"].get<int64_t>());
  const std::string svg_file = (dir / "evidence.svg").string();
  auto shown = Run({"signature", seq, "--out", svg_file});
  INFO(shown.out << shown.err);
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("written to " + svg_file) != std::string::npos);
  std::ifstream in(svg_file);
  std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(svg.find("d=\"M10 40 L12 41 L15 43 M60 30 L61 35\"") != std::string::npos);
  CHECK(svg.find(demo::kAvailable) != std::string::npos);  // the caption names the unit
  // PNG by the file's extension, or by --format; never to the terminal.
  const std::string png_file = (dir / "evidence.png").string();
  REQUIRE(Run({"signature", seq, "--out", png_file}).exit_code == 0);
  std::ifstream png_in(png_file, std::ios::binary);
  std::string png((std::istreambuf_iterator<char>(png_in)), std::istreambuf_iterator<char>());
  CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(png.find(demo::kAvailable) != std::string::npos);  // the caption, in the iTXt chunk
  auto to_terminal = Run({"signature", seq, "--format", "png"});
  CHECK(to_terminal.exit_code == 2);
  CHECK(to_terminal.err.find("give --out FILE.png") != std::string::npos);
  CHECK(Run({"signature", seq, "--format", "gif", "--out", (dir / "x.gif").string()}).exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "x.gif"));

  // Without --signature the journal says so, and `kiosk signature` tells why there is nothing to show.
  REQUIRE(Run({"checkin", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
  json plain = Json({"checkout", demo::kAvailable, "--rep", demo::kRep});
  REQUIRE(plain["ok"] == true);
  auto nothing = Run({"signature", std::to_string(plain["seq"].get<int64_t>())});
  CHECK(nothing.exit_code == 1);
  CHECK(nothing.err.find("not given at the command line") != std::string::npos);
  CHECK(Run({"signature", "1"}).exit_code == 2);  // kiosk.initialized: not a checkout
  CHECK(Run({"checkout", demo::kAvailable, "--rep", demo::kRep, "--signature", drawn, "--no-signature", "x"})
            .exit_code == 2);
}

TEST_CASE_FIXTURE(Cli, "a malformed reference file: exit 2, the JSON path, nothing applied") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  std::ifstream in(DemoReference());
  json doc = json::parse(in);
  doc["version"] = 2;
  doc["partners"][0]["name"] = "Changed";
  doc["models"][3]["quota"]["gold"] = "three";
  const auto file = dir / "bad.json";
  std::ofstream(file) << doc.dump();
  auto r = Run({"load-reference", file.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("/models/3/quota/gold") != std::string::npos);
  CHECK(r.err.find("Nothing was applied") != std::string::npos);
  CHECK(Json({"partner", "P-FI-0001"})["name"] == "Tulostin Oy");
  std::ofstream(dir / "trunc.json") << doc.dump().substr(0, 500);
  auto trunc = Run({"load-reference", (dir / "trunc.json").string()});
  CHECK(trunc.exit_code == 2);
  CHECK(trunc.err.find("line 1, column 501") != std::string::npos);  // read from the file as parsed
  auto missing = Run({"load-reference", (dir / "nope.json").string()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("nope.json") != std::string::npos);
}

TEST_CASE_FIXTURE(Cli, "a damaged database file: every command exits 3 with one line to act on, --verbose gives SQLite's report") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  REQUIRE(Run({"audit", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
  const auto db = dir / "data" / "kiosk.db";
  int64_t page_size = 0, root = 0;
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "SELECT (SELECT page_size FROM pragma_page_size), rootpage FROM sqlite_master "
                                  "WHERE name = 'devices'", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    page_size = sqlite3_column_int64(st, 0);
    root = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    REQUIRE(sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  REQUIRE(root > 1);
  {
    // Bytes overwritten inside the devices table's root page, as a failing card would.
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((root - 1) * page_size + 8);
    const std::string junk(600, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto status = Run({"status"});
  CHECK(status.exit_code == 3);
  CHECK(status.out.find("DAMAGED: quick_check found") != std::string::npos);
  // One line on stderr: what happened, how bad, what to do; no SQLite dump.
  CHECK(std::count(status.err.begin(), status.err.end(), '\n') == 1);
  CHECK(status.err.find("damaged") != std::string::npos);
  CHECK(status.err.find("kiosk journal --json") != std::string::npos);
  CHECK(status.err.find("--verbose") != std::string::npos);
  auto verbose = Run({"--verbose", "status"});
  CHECK(verbose.exit_code == 3);
  CHECK(verbose.err.find("SQLite quick_check report:") != std::string::npos);
  CHECK(std::count(verbose.err.begin(), verbose.err.end(), '\n') > 2);
  // Reading still works, and still exits 3; writing is refused with the same code.
  auto journal = Run({"journal"});
  CHECK(journal.exit_code == 3);
  CHECK(journal.out.find("device.audited") != std::string::npos);
  CHECK(Run({"audit", demo::kAvailable, "--by", demo::kStaff}).exit_code == 3);
  CHECK(Run({"verify"}).exit_code == 3);
  auto doctor = Run({"doctor", "--skip", "display", "--skip", "scanners", "--skip", "central", "--skip", "clock",
                     "--skip", "disk"});
  CHECK(doctor.exit_code == 3);
  CHECK(doctor.out.find("integrity check failed: quick_check found") != std::string::npos);
}

TEST_CASE_FIXTURE(Cli, "verify exits 3 naming the first bad seq, and key failures exit 3") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  REQUIRE(Run({"audit", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
  REQUIRE(Run({"audit", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open((dir / "data" / "kiosk.db").c_str(), &h) == SQLITE_OK);
  REQUIRE(sqlite3_exec(h, "DROP TRIGGER journal_append_only; UPDATE journal SET actor = 'BDG-20024' WHERE seq = 3;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(h);
  auto v = Run({"verify"});
  CHECK(v.exit_code == 3);
  CHECK(v.err.find("seq 3") != std::string::npos);
  json vj = Json({"verify"});
  CHECK(vj["first_bad_seq"] == 3);

  ::chmod((dir / "data" / "kiosk.key").c_str(), 0644);
  auto exposed = Run({"status"});
  CHECK(exposed.exit_code == 3);
  CHECK(exposed.err.find("chmod 600") != std::string::npos);
}
