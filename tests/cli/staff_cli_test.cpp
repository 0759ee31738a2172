// What staff and admins read from `kiosk` and `kiosk-central` (issue 20): counts in the right
// number, a blocked card refused wherever it is looked up, the config the kiosk really reads, the
// sync schedule of the config, options where users put them, and no database made up by a report.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "support/kiosk_db.hpp"
#include "support/run_process.hpp"
#include "support/test_support.hpp"

using namespace kiosk::test;
using nlohmann::json;

namespace {

std::string CentralBinary() { return std::string(KIOSK_BINARY_DIR) + "/central/kiosk-central"; }

struct Staff {
  TempDir dir;
  std::string data = (dir / "data").string();
  ProcessResult Run(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {KioskBinary(), "--data", data});
    return RunProcess(args, env);
  }
};

// A `kiosk-central serve` child on a free loopback port; its first line names the port.
class CentralProcess {
 public:
  explicit CentralProcess(const std::vector<std::string>& args) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    m_pid = ::fork();
    if (m_pid == 0) {
      ::dup2(out[1], 1);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 2);
      ::close(out[0]);
      std::vector<std::string> argv{CentralBinary()};
      argv.insert(argv.end(), args.begin(), args.end());
      ExecChild(argv);
    }
    ::close(out[1]);
    m_out = out[0];
    std::string line;
    char c = 0;
    while (::read(m_out, &c, 1) == 1 && c != '\n') line += c;
    m_first_line = line;
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) m_url = m[0];
  }
  ~CentralProcess() {
    ::kill(m_pid, SIGTERM);
    ::waitpid(m_pid, nullptr, 0);
    ::close(m_out);
  }
  const std::string& Url() const { return m_url; }
  const std::string& FirstLine() const { return m_first_line; }

 private:
  pid_t m_pid = -1;
  int m_out = -1;
  std::string m_url, m_first_line;
};

// Enrols the Staff kiosk (made with --kiosk-id `id`) with a central on database `db`, served on
// loopback only for the enrolment: the network is needed once, then the stick carries the rest.
void EnrolOnce(Staff& staff, const std::string& id, const std::string& db) {
  CentralProcess central({"serve", "--listen", "127.0.0.1:0", "--db", db});
  INFO(central.FirstLine());
  REQUIRE(!central.Url().empty());
  auto code = RunProcess({CentralBinary(), "enroll", id, "--db", db});
  REQUIRE(code.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(code.out, m, std::regex(R"(--code (\S+))")));
  auto enrolled = staff.Run({"enroll", "--central", central.Url(), "--code", m[1]});
  INFO(enrolled.out << enrolled.err);
  REQUIRE(enrolled.exit_code == 0);
}

}  // namespace

TEST_CASE_FIXTURE(Staff, "a blocked card: `kiosk partner` shows it and refuses (exit 1), `kiosk scan` says so") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  auto human = Run({"partner", demo::kBlockedCard});
  CHECK(human.exit_code == 1);
  CHECK(human.out.find("Northgate Office Solutions Ltd") != std::string::npos);  // still shown
  CHECK(human.err.find("is blocked") != std::string::npos);
  auto j = Run({"partner", demo::kBlockedCard, "--json"});
  CHECK(j.exit_code == 1);
  json doc = json::parse(j.out);
  CHECK(doc["ok"] == false);
  CHECK(doc["error"]["code"] == "card.blocked");
  CHECK(doc["card_status"] == "blocked");
  // The partner's other card is not blocked.
  CHECK(Run({"partner", demo::kNorthgateCard}).exit_code == 0);

  auto scan = Run({"scan", demo::kBlockedCard});
  CHECK(scan.exit_code == 1);
  CHECK(scan.out.find("blocked") != std::string::npos);
  auto scan_ok = Run({"scan", demo::kNorthgateCard});
  CHECK(scan_ok.exit_code == 0);
  CHECK(scan_ok.out.find("blocked") == std::string::npos);
}

TEST_CASE_FIXTURE(Staff, "counts read \"1 event\", \"2 events\", \"1 file\"") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-COUNT"}).exit_code == 0);
  auto verify = Run({"verify"});
  CHECK(verify.out.find("journal ok: 2 events,") != std::string::npos);
  EnrolOnce(*this, "KIOSK-COUNT", (dir / "central.db").string());
  auto exported = Run({"export", "--to", (dir / "usb").string()});
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.out.find("Exported 2 events") != std::string::npos);
  CHECK(exported.out.find("in 1 file to") != std::string::npos);
  auto status = Run({"status"});
  CHECK(status.out.find("2 events, last seq 2") != std::string::npos);
  CHECK(status.out.find(" 1 events") == std::string::npos);
}

TEST_CASE_FIXTURE(Staff, "doctor's advice names the config file KIOSK_CONFIG points at") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  const std::string config = (dir / "my-kiosk.json").string();
  std::ofstream(config) << R"({"data_dir": ")" << data << R"("})";
  // Asking for more free disk than any disk has makes the disk check fail with its advice, which
  // names the config file (retention_days).
  auto r = Run({"doctor", "--skip", "display", "--skip", "scanners", "--skip", "central", "--min-free-mb", "1073741824"},
               {"KIOSK_CONFIG=" + config});
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("retention_days in " + config) != std::string::npos);
  CHECK(r.out.find("/etc/kiosk/kiosk.json") == std::string::npos);
}

TEST_CASE("kiosk-central: --db after the subcommand, and no database made up by a report") {
  TempDir dir;
  const std::string db = (dir / "c.db").string();
  // Before the subcommand and after it: both accepted.
  REQUIRE(RunProcess({CentralBinary(), "--db", db, "enroll", "KIOSK-A"}).exit_code == 0);
  auto after = RunProcess({CentralBinary(), "enroll", "KIOSK-B", "--db", db});
  CHECK(after.exit_code == 0);
  auto kiosks = RunProcess({CentralBinary(), "kiosks", "--db", db});
  CHECK(kiosks.exit_code == 0);

  // A report without --db in a folder with no central.db: an error, and no file appears.
  const std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(dir.path());
  auto report = RunProcess({CentralBinary(), "report", "sellout"});
  std::filesystem::current_path(cwd);
  CHECK(report.exit_code == 1);
  CHECK(report.err.find("no central database") != std::string::npos);
  CHECK(report.out.empty());
  CHECK_FALSE(std::filesystem::exists(dir / "central.db"));
  // With the database named after the subcommand, the report runs.
  CHECK(RunProcess({CentralBinary(), "report", "sellout", "--db", db}).exit_code == 0);
}

TEST_CASE_FIXTURE(Staff, "sync against a real central: \"1 batch\", and the loop keeps the config's schedule") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-STAFF"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  CentralProcess central({"serve", "--listen", "127.0.0.1:0", "--db", db});  // --db after serve
  INFO(central.FirstLine());
  REQUIRE(!central.Url().empty());
  auto code = RunProcess({CentralBinary(), "enroll", "KIOSK-STAFF", "--db", db});
  REQUIRE(code.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(code.out, m, std::regex(R"(--code (\S+))")));
  REQUIRE(Run({"enroll", "--central", central.Url(), "--code", m[1]}).exit_code == 0);
  auto once = Run({"sync", "--once"});
  INFO(once.out << once.err);
  REQUIRE(once.exit_code == 0);
  CHECK(once.out.find("Sent 2 events in 1 batch;") != std::string::npos);

  // `kiosk sync` without --interval runs on the config's sync_interval_s, not 60 s.
  const std::string config = (dir / "kiosk.json").string();
  std::ofstream(config) << R"({"data_dir": ")" << data << R"(", "sync_interval_s": 300})";
  auto loop = RunProcess({"timeout", "-s", "INT", "3", KioskBinary(), "--data", data, "sync"}, {"KIOSK_CONFIG=" + config});
  INFO(loop.out << loop.err);
  CHECK(loop.out.find("Syncing every 300 s") != std::string::npos);
  // The first round runs at once ("next round in 0 s"); after it, the next is the config's 300 s.
  int longest = -1;
  const std::regex next(R"(next round in (\d+) s)");
  for (std::sregex_iterator it(loop.out.begin(), loop.out.end(), next), end; it != end; ++it)
    longest = std::max(longest, std::stoi((*it)[1]));
  CHECK(longest > 290);
  CHECK(longest <= 300);
  auto flag = RunProcess({"timeout", "-s", "INT", "2", KioskBinary(), "--data", data, "sync", "--interval", "45"},
                         {"KIOSK_CONFIG=" + config});
  CHECK(flag.out.find("Syncing every 45 s") != std::string::npos);
}

TEST_CASE_FIXTURE(Staff, "a checkout's signature reaches the central: custody report and `kiosk-central signature`") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-SIG"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  CentralProcess central({"serve", "--listen", "127.0.0.1:0", "--db", db});
  INFO(central.FirstLine());
  REQUIRE(!central.Url().empty());
  auto code = RunProcess({CentralBinary(), "enroll", "KIOSK-SIG", "--db", db});
  std::smatch m;
  REQUIRE(std::regex_search(code.out, m, std::regex(R"(--code (\S+))")));
  REQUIRE(Run({"enroll", "--central", central.Url(), "--code", m[1]}).exit_code == 0);

  const std::string drawn = (dir / "rep.svg").string();
  std::ofstream(drawn) << "M10 40 L12 41 L15 43 M60 30 L61 35\n";
  auto signed_out = Run({"checkout", demo::kAvailable, "--rep", demo::kRep, "--signature", drawn, "--json"});
  REQUIRE(signed_out.exit_code == 0);
  const int64_t seq = json::parse(signed_out.out)["seq"].get<int64_t>();
  REQUIRE(Run({"checkout", demo::kRepair, "--rep", demo::kRep}).exit_code != 0);  // in repair: refused
  REQUIRE(Run({"checkout", "DEMO-00009", "--rep", demo::kRep, "--no-signature", "signed the paper form"}).exit_code == 0);
  auto once = Run({"sync", "--once"});
  INFO(once.out << once.err);
  REQUIRE(once.exit_code == 0);

  auto custody = RunProcess({CentralBinary(), "report", "custody", "--db", db});
  INFO(custody.out << custody.err);
  REQUIRE(custody.exit_code == 0);
  CHECK(custody.out.find(
            "asset_tag,state,custodian,kiosk_id,seq,since,signature,last_stocktake,stocktake,due_date,source\n") == 0);
  CHECK(custody.out.find(std::string(demo::kAvailable) + ",checked_out," + demo::kRep + ",KIOSK-SIG," +
                         std::to_string(seq) + ",") != std::string::npos);
  CHECK(std::regex_search(custody.out, std::regex(std::string(demo::kAvailable) + ",[^\n]*,drawn,,,[0-9-]*,kiosk\n")));
  CHECK(std::regex_search(custody.out, std::regex("DEMO-00009,[^\n]*,none,,,[0-9-]*,kiosk\n")));
  // Next to the report: the drawn signatures as files, the column naming them.
  const auto evidence = dir / "evidence";
  auto with_files = RunProcess({CentralBinary(), "report", "custody", "--signatures", evidence.string(),
                                "--signature-format", "png", "--db", db});
  INFO(with_files.out << with_files.err);
  REQUIRE(with_files.exit_code == 0);
  const std::string png_name = "KIOSK-SIG-" + std::to_string(seq) + ".png";
  CHECK(std::regex_search(with_files.out,
                          std::regex(std::string(demo::kAvailable) + ",[^\n]*," + png_name + ",,,[0-9-]*,kiosk\n")));
  CHECK(std::regex_search(with_files.out, std::regex("DEMO-00009,[^\n]*,none,,,[0-9-]*,kiosk\n")));
  CHECK(std::filesystem::file_size(evidence / png_name) > 100);
  auto wrong_report = RunProcess({CentralBinary(), "report", "sellout", "--signatures", evidence.string(), "--db", db});
  CHECK(wrong_report.exit_code == 2);
  CHECK(wrong_report.err.find("go with the custody report") != std::string::npos);

  const std::string svg_file = (dir / "evidence.svg").string();
  auto shown = RunProcess({CentralBinary(), "signature", "--kiosk", "KIOSK-SIG", "--seq", std::to_string(seq), "--out",
                           svg_file, "--db", db});
  INFO(shown.out << shown.err);
  REQUIRE(shown.exit_code == 0);
  std::ifstream in(svg_file);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(svg.find("d=\"M10 40 L12 41 L15 43 M60 30 L61 35\"") != std::string::npos);
  CHECK(svg.find("KIOSK-SIG") != std::string::npos);
  const std::string png_file = (dir / "evidence.data").string();
  auto png_shown = RunProcess({CentralBinary(), "signature", "--kiosk", "KIOSK-SIG", "--seq", std::to_string(seq),
                               "--format", "png", "--out", png_file, "--db", db});
  INFO(png_shown.out << png_shown.err);
  REQUIRE(png_shown.exit_code == 0);
  CHECK(png_shown.out.find("written to " + png_file) != std::string::npos);
  std::ifstream png_in(png_file, std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(png_in)), std::istreambuf_iterator<char>());
  CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(png.find("KIOSK-SIG") != std::string::npos);  // the caption, in the iTXt chunk
  auto none = RunProcess({CentralBinary(), "signature", "--kiosk", "KIOSK-SIG", "--seq", std::to_string(seq + 1),
                          "--db", db});
  CHECK(none.exit_code != 0);
  CHECK(none.err.find("signed the paper form") != std::string::npos);
  auto not_checkout = RunProcess({CentralBinary(), "signature", "--kiosk", "KIOSK-SIG", "--seq", "1", "--db", db});
  CHECK(not_checkout.exit_code != 0);
  CHECK(not_checkout.err.find("not a checkout") != std::string::npos);
}

TEST_CASE_FIXTURE(Staff, "kiosk stocktake: start, scan, status, finish and cancel, with options where users put them") {
  REQUIRE(Run({"init", "--demo"}).exit_code == 0);
  auto none = Run({"stocktake", "status"});
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("No stocktake is open") != std::string::npos);
  CHECK(Run({"stocktake", "start", "--badge", "BDG-NOPE"}).exit_code == 1);
  auto bad_bay = Run({"stocktake", "start", "--bay", "Showroom A, bay 99", "--badge", demo::kStaff});
  CHECK(bad_bay.exit_code == 2);
  CHECK(bad_bay.err.find("No demo unit is recorded at \"Showroom A, bay 99\"") != std::string::npos);

  auto start = Run({"stocktake", "start", "--bay", "Showroom A, bay 3", "--badge", demo::kStaff});
  INFO(start.out << start.err);
  REQUIRE(start.exit_code == 0);
  CHECK(start.out.find("Stocktake of Showroom A, bay 3 started: 2 units expected.") == 0);
  auto second = Run({"--json", "stocktake", "start", "--badge", demo::kRep});
  CHECK(second.exit_code == 1);
  CHECK(json::parse(second.out)["error"]["code"] == "stocktake.already_open");

  // A good scan, a misplaced unit, an unknown code and a partner card: the good ones are kept,
  // the bad ones named, exit 1.
  auto scan = Run({"stocktake", "scan", demo::kAvailable, "DEMO-00004", "NOPE-1", demo::kGoldCard});
  INFO(scan.out << scan.err);
  CHECK(scan.exit_code == 1);
  CHECK(scan.out.find("DEMO-00007  Colour MFP A4 C2200: found  (1 of 2)") != std::string::npos);
  CHECK(scan.out.find("DEMO-00004  Mono MFP A3 M3600: misplaced: recorded at Showroom A, bay 2") != std::string::npos);
  CHECK(scan.err.find("NOPE-1: No demo unit NOPE-1 is known") != std::string::npos);
  CHECK(scan.err.find("not a demo unit") != std::string::npos);

  auto status = Run({"stocktake", "status", "--json"});
  REQUIRE(status.exit_code == 0);
  const json s = json::parse(status.out);
  CHECK(s["expected"] == 2);
  CHECK(s["ticked"] == 1);
  CHECK(s["left"] == 1);
  CHECK(s["extra"][0]["status"] == "misplaced");
  auto human = Run({"stocktake", "status"});
  CHECK(human.out.find("1 of 2 units ticked, 1 left.") != std::string::npos);
  CHECK(human.out.find("[ ] DEMO-00015") != std::string::npos);

  auto finish = Run({"stocktake", "finish"});
  INFO(finish.out << finish.err);
  CHECK(finish.exit_code == 0);  // units missing is the report, not a failure
  CHECK(finish.out.find("Stocktake of Showroom A, bay 3: 1 of 2 units found, 1 missing, 1 misplaced, 0 unexpected.") == 0);
  CHECK(finish.out.find("missing (1):\n    DEMO-00015  Card Reader CR-10  (Showroom A, bay 3)") != std::string::npos);
  auto journal = Run({"journal", "--json"});
  CHECK(journal.out.find("stocktake.finished") != std::string::npos);

  REQUIRE(Run({"stocktake", "start", "--badge", demo::kRep}).exit_code == 0);
  REQUIRE(Run({"stocktake", "scan", "DEMO-00001"}).exit_code == 0);
  auto cancel = Run({"stocktake", "cancel"});
  CHECK(cancel.exit_code == 0);
  CHECK(cancel.out.find("Stocktake of everything on record cancelled: 1 scan dropped, nothing journaled.") == 0);
  CHECK(Run({"stocktake", "finish"}).exit_code == 1);
  // `kiosk audit` is still the one-shot record of units seen.
  CHECK(Run({"audit", demo::kAvailable, "--by", demo::kStaff}).exit_code == 0);
}

TEST_CASE_FIXTURE(Staff, "a stocktake reaches the central: the custody report shows the missing unit") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-STK"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  CentralProcess central({"serve", "--listen", "127.0.0.1:0", "--db", db});
  INFO(central.FirstLine());
  REQUIRE(!central.Url().empty());
  auto code = RunProcess({CentralBinary(), "enroll", "KIOSK-STK", "--db", db});
  std::smatch m;
  REQUIRE(std::regex_search(code.out, m, std::regex(R"(--code (\S+))")));
  REQUIRE(Run({"enroll", "--central", central.Url(), "--code", m[1]}).exit_code == 0);

  REQUIRE(Run({"stocktake", "start", "--badge", demo::kStaff, "--bay", "Showroom A, bay 3"}).exit_code == 0);
  REQUIRE(Run({"stocktake", "scan", demo::kAvailable, demo::kOverdue}).exit_code == 0);
  REQUIRE(Run({"stocktake", "finish"}).exit_code == 0);
  auto once = Run({"sync", "--once"});
  INFO(once.out << once.err);
  REQUIRE(once.exit_code == 0);

  auto custody = RunProcess({CentralBinary(), "report", "custody", "--db", db});
  INFO(custody.out << custody.err);
  REQUIRE(custody.exit_code == 0);
  // DEMO-00015 was expected in bay 3 and not scanned; DEMO-00008 is out with a rep.
  CHECK(std::regex_search(custody.out, std::regex(R"(\nDEMO-00015,,,,,,,\d{4}-\d\d-\d\d,missing,,stocktake\n)")));
  CHECK(std::regex_search(custody.out, std::regex(R"(\nDEMO-00007,,,,,,,\d{4}-\d\d-\d\d,found,,stocktake\n)")));
  CHECK(std::regex_search(custody.out, std::regex(R"(\nDEMO-00008,[^\n]*,\d{4}-\d\d-\d\d,unexpected,,stocktake\n)")));
}

TEST_CASE("README and docs cite only documents the repository has, and no issue numbers") {
  const std::filesystem::path root = std::filesystem::path(KIOSK_TEST_ASSETS).parent_path();
  std::vector<std::filesystem::path> files{root / "README.md"};
  for (const auto& e : std::filesystem::directory_iterator(root / "docs"))
    if (e.path().extension() == ".md") files.push_back(e.path());
  const std::regex doc(R"(([A-Za-z0-9_./-]*[A-Za-z0-9_-]+\.md)\b)");
  const std::regex issue(R"(\b[Ii]ssue \d+)");
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    for (std::sregex_iterator it(text.begin(), text.end(), doc), end; it != end; ++it) {
      const std::string name = (*it)[1];
      if (name.rfind("/usr/", 0) == 0) continue;  // where the package installs it
      const bool found = std::filesystem::exists(root / name) || std::filesystem::exists(f.parent_path() / name);
      CHECK_MESSAGE(found, f.filename().string() << " cites " << name << ", which the repository does not have");
    }
    std::smatch m;
    CHECK_MESSAGE(!std::regex_search(text, m, issue),
                  f.filename().string() << " says \"" << m.str() << "\": a reader has no issue tracker");
  }
}

TEST_CASE_FIXTURE(Staff, "`kiosk export` on a kiosk that is not enrolled is refused, says how to enrol, writes nothing") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-LOOSE"}).exit_code == 0);
  const auto usb = dir / "usb";
  auto refused = Run({"export", "--to", usb.string()});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);  // refused: the README's exit code for "a rule said no"
  CHECK(refused.err.find("not enrolled") != std::string::npos);
  CHECK(refused.err.find("kiosk-central enroll KIOSK-LOOSE") != std::string::npos);
  CHECK(refused.err.find("kiosk enroll --central URL --code CODE") != std::string::npos);
  CHECK(refused.err.find("admin screen") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(usb));  // not even the folder
  auto j = Run({"export", "--to", usb.string(), "--json"});
  CHECK(j.exit_code == 1);
  CHECK(json::parse(j.out)["error"]["code"] == "export.not_enrolled");
  CHECK_FALSE(std::filesystem::exists(usb));
}

TEST_CASE_FIXTURE(Staff, "the USB-only showroom with the two programs: stale to fresh, no network after enrolment") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-USB"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  REQUIRE(RunProcess({CentralBinary(), "--db", db, "load-reference", DemoReference().string()}).exit_code == 0);
  EnrolOnce(*this, "KIOSK-USB", db);  // the central's server is gone from here on
  REQUIRE(Run({"redeem", "--partner", demo::kGoldCard, "--reward", "R-001", "--by", demo::kStaff}).exit_code == 0);

  // Four days without fresh data (as if the clock moved on): the guard refuses redemptions.
  {
    const int64_t four_days_ago_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         (std::chrono::system_clock::now() - std::chrono::hours(96)).time_since_epoch())
                                         .count();
    auto kdb = OpenKioskDb(std::filesystem::path(data));
    REQUIRE(kdb->Run("UPDATE sync_state SET value = ? WHERE key = 'last_fresh_at'", std::to_string(four_days_ago_ms)).ok());
  }
  auto stale = Run({"redeem", "--partner", demo::kGoldCard, "--reward", "R-001", "--by", demo::kStaff, "--json"});
  CHECK(stale.exit_code == 1);
  CHECK(json::parse(stale.out)["error"]["code"] == "data.stale");
  CHECK(json::parse(Run({"status", "--json"}).out)["sync"]["stale"] == true);

  // kiosk export -> kiosk-central import -> kiosk-central export-reference (options after it, too).
  const auto usb = dir / "usb";
  auto exported = Run({"export", "--to", usb.string()});
  INFO(exported.out << exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(exported.out.find("kiosk-central export-reference --for KIOSK-USB") != std::string::npos);
  auto imported = RunProcess({CentralBinary(), "import", usb.string(), "--db", db});
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(imported.out, m, std::regex(R"(receipt\s+(\S+\.skr))")));
  const std::string receipt = m[1];
  auto ref = RunProcess({CentralBinary(), "export-reference", "--for", "KIOSK-USB", "--out", usb.string(), "--db", db});
  INFO(ref.out << ref.err);
  REQUIRE(ref.exit_code == 0);
  CHECK(ref.out.find("On the kiosk: kiosk import-reference") != std::string::npos);
  auto nobody = RunProcess({CentralBinary(), "--db", db, "export-reference", "--for", "KIOSK-NOBODY", "--out",
                            (dir / "usb2").string()});
  CHECK(nobody.exit_code == 1);
  CHECK(nobody.err.find("No kiosk KIOSK-NOBODY is enrolled") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "usb2"));

  // A byte altered on the way: refused (exit 3), nothing applied.
  std::filesystem::path file;
  for (const auto& e : std::filesystem::directory_iterator(usb))
    if (e.path().extension() == ".skref") file = e.path();
  REQUIRE(!file.empty());
  {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text[text.size() / 2] = static_cast<char>(text[text.size() / 2] ^ 0x04);
    std::ofstream(dir / "altered.skref", std::ios::binary) << text;
  }
  auto altered = Run({"import-reference", (dir / "altered.skref").string()});
  CHECK(altered.exit_code == 3);
  CHECK(json::parse(Run({"status", "--json"}).out)["sync"]["stale"] == true);

  // kiosk import-receipt + kiosk import-reference: fresh again, the redemption goes through.
  auto rec = Run({"import-receipt", receipt});
  INFO(rec.out << rec.err);
  REQUIRE(rec.exit_code == 0);
  auto applied = Run({"import-reference", usb.string()});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  CHECK(applied.out.find("The data is fresh") != std::string::npos);
  json status = json::parse(Run({"status", "--json"}).out);
  CHECK(status["sync"]["stale"] == false);
  CHECK(Run({"redeem", "--partner", demo::kGoldCard, "--reward", "R-001", "--by", demo::kStaff}).exit_code == 0);
  auto verdicts = Run({"verdicts"});
  CHECK(verdicts.exit_code == 0);
  CHECK(verdicts.out.find("No rejected or adjusted items.") != std::string::npos);
}


TEST_CASE_FIXTURE(Staff, "reward stock for scripts: `kiosk-central rewards` sets stock and allocations, the stick carries them to `kiosk rewards`") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-RWD"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  REQUIRE(RunProcess({CentralBinary(), "--db", db, "load-reference", DemoReference().string()}).exit_code == 0);
  EnrolOnce(*this, "KIOSK-RWD", db);
  auto central_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), CentralBinary());
    args.push_back("--db");
    args.push_back(db);
    return RunProcess(args);
  };
  // The reference data's figure is the channel's stock: reward_id,stock,allocated,used,reserved,unallocated,kiosks.
  auto list = central_cmd({"rewards", "list"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("reward_id,stock,allocated,used,reserved,unallocated,kiosks\n") == 0);
  CHECK(list.out.find("\nR-003,12,0,0,0,12,0\n") != std::string::npos);
  auto allocated = central_cmd({"rewards", "allocate", "R-003", "--kiosk", "KIOSK-RWD", "--units", "2", "--json"});
  INFO(allocated.out << allocated.err);
  REQUIRE(allocated.exit_code == 0);
  CHECK(json::parse(allocated.out)["left"] == 2);
  auto beyond = central_cmd({"rewards", "allocate", "R-003", "--kiosk", "KIOSK-RWD", "--units", "13"});
  CHECK(beyond.exit_code == 1);
  CHECK(beyond.err.find("reward.stock_unallocated") != std::string::npos);
  CHECK(central_cmd({"rewards", "stock", "R-003", "--set", "1"}).exit_code == 1);  // 2 allocated
  CHECK(central_cmd({"rewards", "stock", "R-404", "--set", "1"}).exit_code == 1);
  CHECK(central_cmd({"rewards", "stock", "R-003"}).exit_code == 2);
  CHECK(central_cmd({"rewards", "stock", "R-003", "--set", "5", "--add", "1"}).exit_code == 2);
  CHECK(central_cmd({"rewards", "allocate", "R-003", "--kiosk", "KIOSK-NOBODY", "--units", "1"}).exit_code == 1);
  auto by_kiosk = central_cmd({"rewards", "list", "--allocations"});
  CHECK(by_kiosk.out == "reward_id,kiosk_id,allocated,used,left\nR-003,KIOSK-RWD,2,0,2\n");

  // kiosk-central export-reference -> kiosk import-reference: 2 left at this showroom.
  const auto usb = dir / "usb";
  REQUIRE(central_cmd({"export-reference", "--for", "KIOSK-RWD", "--out", usb.string()}).exit_code == 0);
  auto applied = Run({"import-reference", usb.string()});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  auto rewards = Run({"rewards", "--partner", demo::kGoldCard, "--json"});
  REQUIRE(rewards.exit_code == 0);
  for (const json& r : json::parse(rewards.out))
    if (r["id"] == "R-003") {
      CHECK(r["left_here"] == 2);
      CHECK(r["allocated"] == true);
    }
  CHECK(Run({"rewards"}).out.find("left here 2") != std::string::npos);
  REQUIRE(Run({"redeem", "--partner", demo::kGoldCard, "--reward", "R-003", "--qty", "2", "--by", demo::kStaff}).exit_code == 0);
  auto none = Run({"redeem", "--partner", demo::kGoldCard, "--reward", "R-003", "--by", demo::kStaff, "--json"});
  CHECK(none.exit_code == 1);
  CHECK(json::parse(none.out)["error"]["code"] == "reward.out_of_stock");
}

TEST_CASE_FIXTURE(Staff, "demo orders: `kiosk-central orders` moves an order for scripts, `kiosk orders` shows it back") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-ORD"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  CentralProcess central({"serve", "--listen", "127.0.0.1:0", "--db", db});
  INFO(central.FirstLine());
  REQUIRE(!central.Url().empty());
  auto code = RunProcess({CentralBinary(), "enroll", "KIOSK-ORD", "--db", db});
  REQUIRE(code.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(code.out, m, std::regex(R"(--code (\S+))")));
  REQUIRE(Run({"enroll", "--central", central.Url(), "--code", m[1]}).exit_code == 0);
  REQUIRE(RunProcess({CentralBinary(), "load-reference", "--db", db,
                      std::string(KIOSK_TEST_ASSETS) + "/demo/showroom.json"}).exit_code == 0);

  auto placed = Run({"order-demo", "--partner", demo::kGoldCard, "--model", "00614141000012", "--qty", "3", "--by",
                     demo::kStaff, "--json"});
  INFO(placed.out << placed.err);
  REQUIRE(placed.exit_code == 0);
  const int64_t seq = json::parse(placed.out)["seq"].get<int64_t>();
  const std::string order = "KIOSK-ORD:" + std::to_string(seq);
  // The quota is used up at this kiosk: another order is refused (exit 1).
  CHECK(Run({"order-demo", "--partner", demo::kGoldCard, "--model", "00614141000012", "--by", demo::kStaff}).exit_code == 1);
  auto before = Run({"orders", "--json"});
  REQUIRE(before.exit_code == 0);
  CHECK(json::parse(before.out)["orders"][0]["state"] == "open");
  REQUIRE(Run({"sync", "--once"}).exit_code == 0);

  auto central_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), CentralBinary());
    args.insert(args.end(), {"--db", db});
    return RunProcess(args);
  };
  auto listed = central_cmd({"orders", "list", "--json", "--state", "ordered"});
  INFO(listed.out << listed.err);
  REQUIRE(listed.exit_code == 0);
  json list = json::parse(listed.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["order"] == order);
  CHECK(list[0]["partner_id"] == "P-FI-0001");
  CHECK(list[0]["qty"] == 3);
  auto csv = central_cmd({"orders", "list", "--partner", "P-FI-0001"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.rfind("order,kiosk_id,seq,partner_id,gtin,model,qty,state,", 0) == 0);
  CHECK(csv.out.find(order + ",KIOSK-ORD," + std::to_string(seq) + ",P-FI-0001,00614141000012,") != std::string::npos);

  // The exit codes a script reads: 1 refused or not found, 2 usage; nothing changes.
  CHECK(central_cmd({"orders", "deliver", order}).exit_code == 1);  // not shipped yet
  CHECK(central_cmd({"orders", "confirm", "KIOSK-ORD:999"}).exit_code == 1);
  auto bad_id = central_cmd({"orders", "confirm", "KIOSK-ORD"});
  CHECK(bad_id.exit_code == 2);
  CHECK(bad_id.err.find("[order.id]") != std::string::npos);
  CHECK(central_cmd({"orders", "list", "--state", "lost"}).exit_code == 2);
  auto confirmed = central_cmd({"orders", "confirm", order, "--note", "PO 4711", "--json"});
  REQUIRE(confirmed.exit_code == 0);
  CHECK(json::parse(confirmed.out)["state"] == "confirmed");
  CHECK(json::parse(confirmed.out)["note"] == "PO 4711");
  CHECK(central_cmd({"orders", "confirm", order}).exit_code == 1);  // already confirmed
  REQUIRE(central_cmd({"orders", "ship", order}).exit_code == 0);
  auto delivered = central_cmd({"orders", "deliver", order, "--serial", "C45CLI0001", "--asset-tag", "DEMO-09200"});
  INFO(delivered.out << delivered.err);
  REQUIRE(delivered.exit_code == 0);
  CHECK(delivered.out.find("is now delivered") != std::string::npos);
  CHECK(delivered.out.find("DEMO-09200") != std::string::npos);

  // The kiosk's next sync brings the state and the unit back; the quota is free again.
  REQUIRE(Run({"sync", "--once"}).exit_code == 0);
  auto after = Run({"orders", "--partner", demo::kGoldCard, "--json"});
  REQUIRE(after.exit_code == 0);
  json mine = json::parse(after.out)["orders"];
  REQUIRE(mine.size() == 1);
  CHECK(mine[0]["state"] == "delivered");
  CHECK(mine[0]["asset_tag"] == "DEMO-09200");
  auto human = Run({"orders"});
  CHECK(human.out.find("delivered") != std::string::npos);
  auto device = Run({"device", "DEMO-09200", "--json"});
  REQUIRE(device.exit_code == 0);
  CHECK(json::parse(device.out)["serial"] == "C45CLI0001");
  auto partner = Run({"partner", demo::kGoldCard, "--json"});
  CHECK(json::parse(partner.out)["open_demo_orders"] == 0);
  CHECK(Run({"order-demo", "--partner", demo::kGoldCard, "--model", "00614141000012", "--by", demo::kStaff}).exit_code == 0);
}

// ---- Deals decided by the vendor at the central (issue 17) ----
namespace {

std::string Assets() { return std::string(KIOSK_TEST_ASSETS); }

// The deal's id as `kiosk-central deals list` prints it ("KIOSK-X:3").
std::string DealId(const std::string& listing, const std::string& kiosk_id) {
  std::smatch m;
  if (!std::regex_search(listing, m, std::regex(kiosk_id + R"(:\d+)"))) return "";
  return m[0];
}

json OnlyDeal(Staff& staff) {
  auto r = staff.Run({"deals", "--json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json list = json::parse(r.out);
  REQUIRE(list.size() == 1);
  return list[0];
}

}  // namespace

TEST_CASE_FIXTURE(Staff, "a deal waits for the vendor at the central, is approved there and reaches the kiosk's pull") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-DEALS"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  CentralProcess central({"serve", "--listen", "127.0.0.1:0", "--db", db});
  INFO(central.FirstLine());
  REQUIRE(!central.Url().empty());
  REQUIRE(RunProcess({CentralBinary(), "load-reference", Assets() + "/demo/showroom.json", "--db", db}).exit_code == 0);
  auto code = RunProcess({CentralBinary(), "enroll", "KIOSK-DEALS", "--db", db});
  REQUIRE(code.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(code.out, m, std::regex(R"(--code (\S+))")));
  REQUIRE(Run({"enroll", "--central", central.Url(), "--code", m[1]}).exit_code == 0);

  auto reg = Run({"register-deal", "--partner", demo::kGoldCard, "--customer", "Acme Oy", "--product", "C4500 fleet",
                  "--value", "25000", "--close", "2099-12-31", "--by", demo::kStaff});
  INFO(reg.out << reg.err);
  REQUIRE(reg.exit_code == 0);
  // The receipt says what happens: the vendor decides by a date, not "within" some vague time.
  const json before = OnlyDeal(*this);
  CHECK(before["status"] == "pending");
  CHECK(reg.out.find("the vendor decides by " + before["due"].get<std::string>().substr(0, 10)) != std::string::npos);
  CHECK(Run({"deals"}).out.find("pending for ") != std::string::npos);

  REQUIRE(Run({"sync", "--once"}).exit_code == 0);
  auto pending = RunProcess({CentralBinary(), "deals", "list", "--db", db});
  INFO(pending.out << pending.err);
  REQUIRE(pending.exit_code == 0);
  const std::string id = DealId(pending.out, "KIOSK-DEALS");
  REQUIRE(!id.empty());
  CHECK(pending.out.find("Tulostin Oy: Acme Oy / C4500 fleet, EUR 25000.00") != std::string::npos);
  CHECK(pending.out.find("pending for ") != std::string::npos);
  CHECK(pending.out.find(", due " + before["due"].get<std::string>()) != std::string::npos);
  auto csv = RunProcess({CentralBinary(), "deals", "list", "--csv", "--kiosk", "KIOSK-DEALS", "--db", db});
  CHECK(csv.out.rfind("id,kiosk_id,seq,partner_id,", 0) == 0);
  CHECK(csv.out.find(id + ",KIOSK-DEALS,") != std::string::npos);
  CHECK(csv.out.find(",pending,") != std::string::npos);

  // Mistakes, with their exit codes: an unknown deal (1), a malformed id (2), a rejection
  // without a reason (2).
  auto unknown = RunProcess({CentralBinary(), "deals", "approve", "KIOSK-DEALS:999", "--db", db});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("deal.not_found") != std::string::npos);
  CHECK(RunProcess({CentralBinary(), "deals", "approve", "KIOSK-DEALS", "--db", db}).exit_code == 2);
  CHECK(RunProcess({CentralBinary(), "deals", "reject", id, "--db", db}).exit_code == 2);

  auto approve = RunProcess({CentralBinary(), "deals", "approve", id, "--note", "Go ahead", "--by", "anna", "--db", db});
  INFO(approve.out << approve.err);
  REQUIRE(approve.exit_code == 0);
  CHECK(approve.out.find("approved by anna") != std::string::npos);
  auto twice = RunProcess({CentralBinary(), "deals", "reject", id, "--reason", "too late", "--db", db});
  CHECK(twice.exit_code == 1);
  CHECK(twice.err.find("deal.already_decided") != std::string::npos);
  CHECK(RunProcess({CentralBinary(), "deals", "list", "--db", db}).out.find("No deals wait") != std::string::npos);

  CHECK(OnlyDeal(*this)["status"] == "pending");  // the kiosk learns it from its next pull
  auto pull = Run({"sync", "--once"});
  INFO(pull.out << pull.err);
  REQUIRE(pull.exit_code == 0);
  const json after = OnlyDeal(*this);
  CHECK(after["status"] == "approved");
  CHECK(after["reason"] == "Go ahead");
  CHECK_FALSE(after["decided_at"].get<std::string>().empty());
  CHECK(Run({"deals", "--partner", demo::kGoldCard}).out.find("approved") != std::string::npos);
  CHECK(Run({"deals", "--partner", demo::kNorthgateCard}).out.find("No deals") != std::string::npos);
}

TEST_CASE_FIXTURE(Staff, "a stick-only kiosk: the deal goes by stick, is rejected at the central, and comes back by stick") {
  REQUIRE(Run({"init", "--demo", "--kiosk-id", "KIOSK-DSTICK"}).exit_code == 0);
  const std::string db = (dir / "central.db").string();
  REQUIRE(RunProcess({CentralBinary(), "load-reference", Assets() + "/demo/showroom.json", "--db", db}).exit_code == 0);
  EnrolOnce(*this, "KIOSK-DSTICK", db);
  REQUIRE(Run({"register-deal", "--partner", demo::kGoldCard, "--customer", "Beta GmbH", "--product", "Fleet",
               "--value", "900", "--close", "2099-12-31", "--by", demo::kStaff})
              .exit_code == 0);
  const std::string usb = (dir / "usb").string();
  REQUIRE(Run({"export", "--to", usb}).exit_code == 0);
  auto imported = RunProcess({CentralBinary(), "import", usb, "--db", db});
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  const std::string id = DealId(RunProcess({CentralBinary(), "deals", "list", "--db", db}).out, "KIOSK-DSTICK");
  REQUIRE(!id.empty());
  auto reject = RunProcess({CentralBinary(), "deals", "reject", id, "--reason", "Customer served directly", "--db", db});
  INFO(reject.out << reject.err);
  REQUIRE(reject.exit_code == 0);
  auto rejected = RunProcess({CentralBinary(), "deals", "list", "--status", "rejected", "--db", db});
  CHECK(rejected.out.find("rejected ") != std::string::npos);
  CHECK(rejected.out.find(": Customer served directly") != std::string::npos);

  auto exported = RunProcess({CentralBinary(), "export-reference", "--for", "KIOSK-DSTICK", "--out", usb, "--db", db});
  INFO(exported.out << exported.err);
  REQUIRE(exported.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(exported.out, m, std::regex(R"(kiosk import-reference (\S+))")));
  CHECK(OnlyDeal(*this)["status"] == "pending");
  auto back = Run({"import-reference", m[1]});
  INFO(back.out << back.err);
  REQUIRE(back.exit_code == 0);
  const json d = OnlyDeal(*this);
  CHECK(d["status"] == "rejected");
  CHECK(d["reason"] == "Customer served directly");
  CHECK(Run({"deals"}).out.find("rejected") != std::string::npos);
}
