// Benchmarks of the offline core (issue 2), each side by side with its reference in one run:
//  1. durable append of one event vs a raw 512-byte write + fdatasync on the same file system;
//  2. barcode-to-entity lookup with 100,000 devices and 100,000 partner cards;
//  3. appending 100,000 events, then verifying the whole chain.
// Usage: bench_core [DIR] [--only append|lookup|verify]
// (DIR defaults to a new folder under /tmp, removed afterwards).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "bench_common.hpp"
#include "kiosk/services/kiosk.hpp"
#include "tests/support/kiosk_db.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"

using namespace kiosk;
using namespace kiosk::bench;
using Clock_ = std::chrono::steady_clock;

namespace {

void Print(const char* what, const Percentiles& p) {
  std::printf("  %-44s p50 %8.1f us  p90 %8.1f us  p99 %8.1f us  max %9.1f us\n", what, p.p50, p.p90, p.p99, p.max);
}

Percentiles RawWriteFsync(const std::filesystem::path& file, int n) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  std::string block(512, 'e');
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock_::now();
    if (::write(fd, block.data(), block.size()) != 512 || ::fdatasync(fd) != 0) std::perror("raw write");
    us.push_back(MicrosSince(t0));
  }
  ::close(fd);
  return Summarise(us);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir_arg, only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) only = argv[++i];
    else dir_arg = a;
  }
  auto wanted = [&](const char* part) { return only.empty() || only == part; };
  const bool own_dir = dir_arg.empty();
  const std::filesystem::path root =
      own_dir ? std::filesystem::temp_directory_path() / ("kiosk-bench-" + std::to_string(::getpid()))
              : std::filesystem::path(dir_arg);
  std::filesystem::create_directories(root);
  std::printf("bench_core: data in %s\n", root.c_str());

  // ---- 1. Durable append vs raw write + fdatasync, interleaved in rounds so that both see the
  // same disk weather.
  if (wanted("append")) {
    const auto dir = root / "append";
    auto id = Kiosk::Init({.data_dir = dir, .kiosk_id = "KIOSK-BENCH"});
    if (!id.ok()) return std::fprintf(stderr, "%s\n", id.error().message.c_str()), 1;
    auto k = Kiosk::Open({.data_dir = dir});
    auto conn = kiosk::test::OpenKioskDb((*k)->Paths().dir);  // the journal, written around the Kiosk
    auto& db = *conn;
    auto key = LoadKeyFile((dir / "kiosk.key").string());
    storage::JournalStore journal(db, "KIOSK-BENCH", *key, SystemClock());
    const std::string payload = nlohmann::json{{"devices", {{{"asset_tag", "DEMO-00017"}, {"gtin", "00614141000012"},
                                                             {"serial", "C45A0001234"}}}},
                                               {"by", "BDG-10017"}, {"note", std::string(300, 'x')}}
                                    .dump();
    std::vector<double> append_us, raw_us;
    for (int round = 0; round < 10; ++round) {
      for (int i = 0; i < 200; ++i) {
        auto t0 = Clock_::now();
        storage::Transaction tx(db);
        (void)tx.Begin();
        auto e = journal.Append("device.audited", payload, "BDG-10017");
        if (!e.ok() || !tx.Commit().ok()) return std::fprintf(stderr, "append failed\n"), 1;
        journal.Committed(*e);
        append_us.push_back(MicrosSince(t0));
      }
      auto raw = RawWriteFsync(dir / "raw.bin", 200);
      (void)raw;
    }
    // Raw figures over the same number of samples, measured in a second pass of rounds.
    for (int round = 0; round < 10; ++round) {
      int fd = ::open((dir / "raw.bin").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      std::string block(512, 'e');
      for (int i = 0; i < 200; ++i) {
        auto t0 = Clock_::now();
        if (::write(fd, block.data(), 512) != 512 || ::fdatasync(fd) != 0) std::perror("raw");
        raw_us.push_back(MicrosSince(t0));
      }
      ::close(fd);
    }
    const auto a = Summarise(append_us), r = Summarise(raw_us);
    std::printf("\n1. Durable append (WAL, synchronous=FULL, one transaction per event), %zu events of %zu bytes\n",
                append_us.size(), payload.size());
    Print("journal append + commit", a);
    Print("raw 512-byte write + fdatasync", r);
    std::printf("  p50 ratio append/raw: %.2f (goal <= 1.3)\n", a.p50 / r.p50);

    // The whole action a person triggers: rules, lookups, state change, event, commit.
    std::vector<double> action_us;
    for (int i = 0; i < 500; ++i) {
      auto t0 = Clock_::now();
      auto r2 = (*k)->Audit({.codes = {"DEMO-00001"}, .by_badge = "BDG-10017"});
      if (!r2.ok()) {
        // The synthetic data has no such unit in this folder; load a tiny reference first.
        (void)(*k)->LoadReference(SyntheticReference(10, 10));
        continue;
      }
      action_us.push_back(MicrosSince(t0));
    }
    Print("whole stocktake action (Kiosk::Audit)", Summarise(action_us));
  }

  // ---- 2. Lookups with 100,000 devices and 100,000 cards.
  if (wanted("lookup")) {
    const auto dir = root / "lookup";
    auto t0 = Clock_::now();
    auto id = Kiosk::Init({.data_dir = dir, .kiosk_id = "KIOSK-BENCH"});
    auto k = Kiosk::Open({.data_dir = dir});
    auto loaded = (*k)->LoadReference(SyntheticReference(100000, 100000));
    if (!loaded.ok()) return std::fprintf(stderr, "%s\n", loaded.error().message.c_str()), 1;
    std::printf("\n2. Barcode to entity with %d devices and %d partner cards (load took %.1f s)\n", loaded->devices,
                loaded->cards, MicrosSince(t0) / 1e6);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(0, 99999);
    auto measure = [&](const char* what, auto code_of) {
      std::vector<double> us;
      for (int i = 0; i < 20000; ++i) {
        const std::string code = code_of(pick(rng));
        auto t1 = Clock_::now();
        auto r = (*k)->Resolve(code);
        us.push_back(MicrosSince(t1));
        if (!r.ok()) {
          std::fprintf(stderr, "lookup of %s failed: %s\n", code.c_str(), r.error().message.c_str());
          std::exit(1);
        }
      }
      Print(what, Summarise(us));
      return Summarise(us);
    };
    measure("asset tag -> device", [](int i) { return SyntheticAssetTag(i); });
    measure("GS1 ]d2 (01)(21) -> device", [](int i) { return SyntheticGs1(i); });
    measure("partner card -> partner", [](int i) { return SyntheticCard(i); });
    std::printf("  goal: p99 <= 20 us\n");
  }

  // ---- 3. 100,000 appends, then verify.
  if (wanted("verify")) {
    const auto dir = root / "verify";
    auto id = Kiosk::Init({.data_dir = dir, .kiosk_id = "KIOSK-BENCH"});
    auto k = Kiosk::Open({.data_dir = dir});
    auto conn = kiosk::test::OpenKioskDb((*k)->Paths().dir);  // the journal, written around the Kiosk
    auto& db = *conn;
    auto key = LoadKeyFile((dir / "kiosk.key").string());
    storage::JournalStore journal(db, "KIOSK-BENCH", *key, SystemClock());
    const std::string payload = nlohmann::json{{"devices", {{{"asset_tag", "DEMO-00017"}}}}, {"by", "BDG-10017"},
                                               {"note", std::string(350, 'x')}}
                                    .dump();
    auto t0 = Clock_::now();
    constexpr int kEvents = 100000;
    for (int i = 0; i < kEvents; i += 1000) {
      storage::Transaction tx(db);
      (void)tx.Begin();
      for (int j = 0; j < 1000; ++j) {
        auto e = journal.Append("device.audited", payload, "BDG-10017");
        if (!e.ok()) return 1;
        journal.Committed(*e);
      }
      if (!tx.Commit().ok()) return 1;
    }
    const double append_s = MicrosSince(t0) / 1e6;
    // Verify through a fresh open, as `kiosk verify` does.
    k->reset();
    auto t1 = Clock_::now();
    auto k2 = Kiosk::Open({.data_dir = dir});
    auto v = (*k2)->Verify();
    const double verify_s = MicrosSince(t1) / 1e6;
    if (!v.ok() || !v->ok) return std::fprintf(stderr, "verify failed\n"), 1;
    std::printf("\n3. %d events appended in %.2f s (%.0f events/s, 1000 per transaction); verify (open + walk) of %lld "
                "events in %.3f s = %.0f events/s (goal >= 200,000)\n",
                kEvents, append_s, kEvents / append_s, static_cast<long long>(v->events), verify_s,
                static_cast<double>(v->events) / verify_s);
  }
  if (own_dir) std::filesystem::remove_all(root);
  return 0;
}
