// bench_sync: one kiosk pushes N journal events (default 100,000) to a real kiosk-central child
// process over loopback HTTP; prints events/s next to the central's raw batched durable insert
// rate of the same events (same batch files, measured by `kiosk-central bench-insert` in this
// run), the peak RSS of both processes, and the time to pull a 100,000-device snapshot.
// The kiosk's push and pull each run in a fresh child process (this program, re-executed), so
// that its peak RSS is the sync's own, not this program's journal and reference generation.
//   build/<dir>/bench/bench_sync [EVENTS] [DEVICES] [EVENT_TYPE]
// For instruction counts, KIOSK_BENCH_CENTRAL_WRAP and KIOSK_BENCH_PUSH_WRAP put a command in
// front of the serving central and of the push child, e.g. "valgrind --tool=callgrind
// --callgrind-out-file=/tmp/central.%p": wall-clock figures are then meaningless, the counts are not.
// KIOSK_BENCH_IN_FLIGHT=N makes the push keep N batches in flight instead of the engine's default.
// KIOSK_BENCH_STORE=postgresql runs the central on PostgreSQL instead: a throwaway cluster of its
// own (tests/support/pg_cluster.hpp, fsync on), a fresh database for the push and for each raw and
// ingest run; the raw figure is then the store's prepared unnest insert of each batch file, and
// PostgreSQL's CPU and memory over the push are printed beside the central's.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>

#include "bench_common.hpp"
#include "tests/support/kiosk_db.hpp"
#include "tests/support/pg_cluster.hpp"
#include "kiosk/services/kiosk.hpp"
#include "kiosk/sync/client.hpp"
#include "platform/http_client_curl.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int64_t PeakRssKb(pid_t pid) { return kiosk::bench::ProcessStatusKb(pid, "VmHWM:"); }

fs::path CentralBinary() {
  return fs::canonical("/proc/self/exe").parent_path().parent_path() / "central" / "kiosk-central";
}

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "bench_sync: " << what << "\n";
  std::exit(1);
}


using kiosk::bench::ProcessCpuSeconds;
using kiosk::bench::PgCpuSeconds;
using kiosk::bench::PgPssKb;

// Child mode: `bench_sync --kiosk push|pull KIOSK_DIR`: one push or pull with the enrolled kiosk,
// then one line "events N batches B seconds S version V rss_kb R" on stdout.
int KioskChild(const std::string& mode, const fs::path& kdir) {
  auto kiosk = kiosk::Kiosk::Open({.data_dir = kdir});
  if (!kiosk.ok()) Die(kiosk.error().message);
  auto http = kiosk::platform::MakeCurlHttpClient();
  kiosk::sync::EngineOptions options;
  if (const char* n = std::getenv("KIOSK_BENCH_IN_FLIGHT")) options.batches_in_flight = std::atoi(n);
  kiosk::sync::SyncEngine engine(**kiosk, *http, options);
  const auto t0 = Clock::now();
  const double cpu0 = ProcessCpuSeconds();
  const double delay0 = kiosk::bench::RunDelaySeconds(0);
  long long events = 0, batches = 0, version = 0;
  if (mode == "push") {
    auto pushed = engine.Push();
    if (!pushed.ok()) Die(pushed.error().message);
    events = pushed->pushed;
    batches = pushed->batches;
  } else {
    auto pulled = engine.Pull();
    if (!pulled.ok()) Die(pulled.error().message);
    version = pulled->reference_version;
  }
  const double secs = Seconds(t0);
  std::printf("events %lld batches %lld seconds %.4f version %lld rss_kb %lld last_batch %d cpu_s %.3f waited_s %.3f\n",
              events, batches, secs, version, static_cast<long long>(PeakRssKb(0)), engine.BatchEvents(),
              ProcessCpuSeconds() - cpu0, kiosk::bench::RunDelaySeconds(0) - delay0);
  return 0;
}

double Field(const std::string& text, const std::string& name) {
  const size_t p = text.find(name + " ");
  return p == std::string::npos ? -1 : std::atof(text.c_str() + p + name.size() + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--kiosk") return KioskChild(argv[2], argv[3]);
  const int events = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int devices = argc > 2 ? std::atoi(argv[2]) : 100000;
  // sellout.reported (default) runs the central's per-serial rule; device.audited has no rule.
  const std::string event_type = argc > 3 ? argv[3] : "sellout.reported";
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("bench-sync-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  const char* store_kind = std::getenv("KIOSK_BENCH_STORE");
  const bool pg = store_kind && std::string(store_kind) == "postgresql";
  kiosk::test::PgCluster* cluster = nullptr;
  if (pg) {
    ::setenv("KIOSK_TEST_PG_FSYNC", "on", 1);  // durable commits, as in production
    cluster = &kiosk::test::PgCluster::Shared();
  }
  const std::string central_db = pg ? cluster->NewDatabase() : (dir / "central.db").string();
  const std::string bin = CentralBinary().string();
  const std::string db_arg = " --db '" + central_db + "' ";
  std::printf("bench_sync: %d events, %d-device snapshot, central %s on %s\n", events, devices, bin.c_str(),
              pg ? "PostgreSQL" : "SQLite");

  // Central: reference data with `devices` units, and an enrolment code.
  {
    std::ofstream(dir / "reference.json") << kiosk::bench::SyntheticReference(devices, 1000);
    const std::string out = Run(bin + db_arg + "load-reference '" + (dir / "reference.json").string() + "'");
    if (out.find("published") == std::string::npos) Die("load-reference failed: " + out);
  }
  const std::string enrol_out = Run(bin + db_arg + "enroll KIOSK-BENCH");
  const size_t at = enrol_out.find("--code ");
  if (at == std::string::npos) Die("enroll failed: " + enrol_out);
  const std::string code = enrol_out.substr(at + 7, 23);

  // Kiosk: an empty data folder, then N events appended in one transaction.
  const fs::path kdir = dir / "kiosk";
  if (auto r = kiosk::Kiosk::Init({kdir, "KIOSK-BENCH", std::nullopt}); !r.ok()) Die(r.error().message);
  {
    auto k = kiosk::Kiosk::Open({.data_dir = kdir});
    if (!k.ok()) Die(k.error().message);
    auto key = kiosk::LoadKeyFile((kdir / "kiosk.key").string()).value();
    auto db = kiosk::test::OpenKioskDb((*k)->Paths().dir);
    kiosk::storage::JournalStore js(*db, "KIOSK-BENCH", key, kiosk::SystemClock());
    kiosk::storage::Transaction tx(*db);
    if (!tx.Begin().ok()) Die("begin");
    const auto t0 = Clock::now();
    for (int i = 0; i < events; ++i) {
      nlohmann::json payload{{"partner_id", "P-XX-" + std::to_string(i % 10)},
                             {"card", kiosk::bench::SyntheticCard(i % 1000)},
                             {"units", {{{"gtin", kiosk::bench::SyntheticGtin(i % 50)}, {"serial", kiosk::bench::SyntheticSerial(i)}}}}};
      auto e = js.Append(event_type, payload.dump(), "BDG-10017");
      if (!e.ok()) Die(e.error().message);
      js.Committed(*e);
    }
    if (!tx.Commit().ok()) Die("commit");
    std::printf("  kiosk journal: %d events appended in %.2f s\n", events, Seconds(t0));
  }

  // Serve on a free port; the child prints the port.
  int pipefd[2];
  if (::pipe(pipefd) != 0) Die("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::close(pipefd[0]);
    if (const char* wrap = std::getenv("KIOSK_BENCH_CENTRAL_WRAP")) {
      const std::string cmd = std::string("exec ") + wrap + " '" + bin + "' --db '" + central_db +
                              "' serve --listen 127.0.0.1:0";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    }
    ::execl(bin.c_str(), bin.c_str(), "--db", central_db.c_str(), "serve", "--listen", "127.0.0.1:0", nullptr);
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string line;
  {
    char c;
    while (::read(pipefd[0], &c, 1) == 1 && c != '\n') line += c;
  }
  const size_t colon = line.rfind(':', line.find(" (database"));
  if (line.find("listening") == std::string::npos || colon == std::string::npos) Die("serve failed: " + line);
  const int port = std::atoi(line.c_str() + colon + 1);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  {
    auto kiosk = kiosk::Kiosk::Open({.data_dir = kdir}).value();
    auto http = kiosk::platform::MakeCurlHttpClient();
    kiosk::sync::SyncEngine engine(*kiosk, *http);
    if (auto s = engine.Enrol(url, code); !s.ok()) Die(s.error().message);
  }
  // The same events as batch files, for the raw insert rate below.
  std::vector<fs::path> batch_files;
  {
    auto kiosk = kiosk::Kiosk::Open({.data_dir = kdir}).value();
    auto http = kiosk::platform::MakeCurlHttpClient();
    kiosk::sync::SyncEngine engine(*kiosk, *http);
    auto exported = engine.ExportTo(dir / "stick");
    if (!exported.ok()) Die(exported.error().message);
    batch_files = exported->files;
  }

  const std::string self = fs::canonical("/proc/self/exe").string();
  if (const char* sql = std::getenv("KIOSK_BENCH_PG_BEFORE_PUSH"); pg && sql) cluster->Psql(central_db, sql, false);
  const char* push_wrap = std::getenv("KIOSK_BENCH_PUSH_WRAP");
  const double central_cpu0 = ProcessCpuSeconds(pid);
  const double pg_cpu0 = pg ? PgCpuSeconds(cluster->Dir() + "/pg") : 0;
  const double central_wait0 = kiosk::bench::RunDelaySeconds(pid);
  const double pg_wait0 = pg ? kiosk::bench::PgRunDelaySeconds(cluster->Dir() + "/pg") : 0;
  const std::string push_out =
      Run(std::string(push_wrap ? push_wrap : "") + " '" + self + "' --kiosk push '" + kdir.string() + "'");
  const double push_s = Field(push_out, "seconds");
  const double pushed = Field(push_out, "events");
  if (push_s <= 0 || pushed <= 0) Die("push failed: " + push_out);
  const double push_rate = pushed / push_s;
  std::printf("  push over HTTP: %.0f events in %.0f batches, %.2f s = %.0f events/s (last batch size %.0f events)\n",
              pushed, Field(push_out, "batches"), push_s, push_rate, Field(push_out, "last_batch"));
  const int64_t central_rss_push = PeakRssKb(pid);
  // KIOSK_BENCH_PG_BEFORE_PUSH / _AFTER_PUSH: SQL run with psql on the push's database right before
  // and after the push, its output printed here. With KIOSK_TEST_PG_OPTIONS="-c
  // shared_preload_libraries=pg_stat_statements": reset the statistics, then read them.
  if (const char* sql = std::getenv("KIOSK_BENCH_PG_AFTER_PUSH"); pg && sql) {
    std::fflush(stdout);
    cluster->Psql(central_db, sql, false);
  }
  if (pg)
    std::printf("  PostgreSQL over the push: %.2f s CPU (all its processes), %.1f MB Pss after it\n",
                PgCpuSeconds(cluster->Dir() + "/pg") - pg_cpu0, PgPssKb(cluster->Dir() + "/pg") / 1024.0);
  // Kiosk and central share this machine's cores here (in a showroom they don't): what both
  // spent against what the cores had over the push.
  const double kiosk_cpu = Field(push_out, "cpu_s"), central_cpu = ProcessCpuSeconds(pid) - central_cpu0;
  // Time runnable but waiting for a core: on a busy machine each round trip between kiosk, central
  // and PostgreSQL may wait for one (PostgreSQL's: its connections alive at the end of the push).
  const double kiosk_wait = Field(push_out, "waited_s"), central_wait = kiosk::bench::RunDelaySeconds(pid) - central_wait0;
  if (pg)
    std::printf("  waiting for a core in the push: kiosk %.2f s, central %.2f s, PostgreSQL %.2f s\n", kiosk_wait,
                central_wait, kiosk::bench::PgRunDelaySeconds(cluster->Dir() + "/pg") - pg_wait0);
  else
    std::printf("  waiting for a core in the push: kiosk %.2f s, central %.2f s\n", kiosk_wait, central_wait);
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("  CPU in the push: kiosk %.2f s, central %.2f s; together %.0f%% of the %ld cores' %.2f s\n", kiosk_cpu,
              central_cpu, 100.0 * (kiosk_cpu + central_cpu) / (push_s * static_cast<double>(cores)), cores,
              push_s * static_cast<double>(cores));

  const std::string pull_out = Run("'" + self + "' --kiosk pull '" + kdir.string() + "'");
  const double pull_s = Field(pull_out, "seconds");
  if (pull_s <= 0) Die("pull failed: " + pull_out);
  std::printf("  pull: %d-device full snapshot downloaded and applied in %.2f s (version %.0f)\n", devices, pull_s,
              Field(pull_out, "version"));

  const int64_t central_rss = PeakRssKb(pid);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);

  // Raw: the same events, the same batch files, straight into a fresh central store.
  std::string files;
  for (const auto& f : batch_files) files += " '" + f.string() + "'";
  // Three times each and the median taken: this machine's speed drifts by a fifth from one second
  // to the next, and one sample of it made the ratio swing.
  // Each run into a fresh database; the raw and ingest runs alternate, so that both see the same
  // drift of the machine.
  auto rate_of = [&](const std::string& command, int run) {
    const std::string db = pg ? cluster->NewDatabase() : (dir / ("rate" + std::to_string(run) + ".db")).string();
    const std::string out = Run(bin + " --db '" + db + "' " + command + files);
    std::error_code ec;
    if (!pg)
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix, ec);
    const double rate = Field(out, "events_per_s");
    if (rate <= 0) Die(command + " failed: " + out);
    return rate;
  };
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) > 0) std::printf("  machine load before the raw runs: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  std::vector<double> raw_rates, ingest_rates;
  const std::string ingest_command = "bench-ingest --key-file '" + (kdir / "kiosk.key").string() + "'";
  for (int run = 0; run < 3; ++run) {
    raw_rates.push_back(rate_of("bench-insert", run));
    ingest_rates.push_back(rate_of(ingest_command, run));
  }
  std::sort(raw_rates.begin(), raw_rates.end());
  std::sort(ingest_rates.begin(), ingest_rates.end());
  const double raw_rate = raw_rates[1];
  std::printf("  central raw batched durable insert (same %zu batch files, 3 runs): %.0f events/s (median; %.0f-%.0f)\n",
              batch_files.size(), raw_rate, raw_rates[0], raw_rates[2]);
  // What a push is bound by when the kiosk has cores of its own: the central's whole ingest
  // without HTTP. Here kiosk and central share two cores, so a push falls short of it.
  std::printf("  central ingest alone, no HTTP (HMACs, chain, rules, verdicts; same files, 3 runs): %.0f events/s "
              "(median; %.0f-%.0f) = %.2f of raw\n",
              ingest_rates[1], ingest_rates[0], ingest_rates[2], ingest_rates[1] / raw_rate);
  std::printf("  push / raw = %.2f (goal >= 0.5); push goal >= 40000 events/s\n", raw_rate > 0 ? push_rate / raw_rate : 0);
  std::printf("  peak RSS: kiosk %.1f MB in the push, %.1f MB in the snapshot pull; central %.1f MB after the push, "
              "%.1f MB after the pull (goal <= 64 MB each)\n",
              Field(push_out, "rss_kb") / 1024.0, Field(pull_out, "rss_kb") / 1024.0, central_rss_push / 1024.0,
              central_rss / 1024.0);
  std::error_code ec;
  if (std::getenv("KIOSK_BENCH_KEEP")) std::printf("  kept %s\n", dir.c_str());
  else fs::remove_all(dir, ec);
  return 0;
}
