// What a guard for the unacknowledged tail would cost: the journal head (seq, hash, HMAC) kept in a
// second file beside the database, written after every event, so that a tail removed from the
// database alone is seen even before the central has anchored it (docs/security.md). Times one
// event per transaction, as the kiosk logs them, with no guard, with the head rewritten in place
// and fdatasync'd, and with the head replaced atomically (write, fsync, rename, fsync of folder).
// Usage: bench_head_guard [EVENTS]   (default 400 per mode)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "kiosk/core/atomic_file.hpp"
#include "kiosk/core/crypto.hpp"
#include "kiosk/core/journal.hpp"
#include "storage/db.hpp"
#include "storage/journal_store.hpp"
#include "storage/schema.hpp"

using namespace kiosk;

namespace {

enum class Guard { kNone, kInPlace, kAtomic };

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

void Run(const char* name, Guard guard, int events, const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto db = storage::Db::Open({.path = dir / "kiosk.db", .application_id = storage::kKioskApplicationId,
                               .migrations = &storage::KioskMigrations(), .create = true});
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    std::exit(1);
  }
  JournalKey key;
  crypto::RandomBytes(key.bytes);
  storage::JournalStore js(**db, "KIOSK-BENCH", key, SystemClock());
  const auto head_file = dir / "journal.head";
  const int head_fd = ::open(head_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  std::vector<double> us;
  us.reserve(static_cast<size_t>(events));
  const std::string payload =
      R"({"by":"BDG-10017","devices":[{"asset_tag":"DEMO-00001","gtin":"00614141000012","serial":"C45A0114351"}]})";
  for (int i = 0; i < events; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    storage::Transaction tx(**db);
    if (!tx.Begin().ok()) std::exit(1);
    auto e = js.Append("device.audited", payload, "BDG-10017");
    if (!e.ok() || !tx.Commit().ok()) std::exit(1);
    // The head record: seq, hash and an HMAC over both, padded to one 512-byte sector.
    std::string record = std::to_string(e->seq) + " " + e->hash + " " +
                         crypto::HmacSha256Hex(key.bytes, std::to_string(e->seq) + "|" + e->hash) + "\n";
    record.resize(512, ' ');
    if (guard == Guard::kInPlace) {
      if (::pwrite(head_fd, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size()) ||
          ::fdatasync(head_fd) != 0)
        std::exit(1);
    } else if (guard == Guard::kAtomic) {
      if (!WriteFileAtomically(head_file, record, {.mode = 0600}).ok()) std::exit(1);
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  ::close(head_fd);
  std::printf("%-34s %6d events  p50 %7.0f us  p90 %7.0f us  p99 %7.0f us\n", name, events, Percentile(us, 0.5),
              Percentile(us, 0.9), Percentile(us, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 400;
  const auto dir = std::filesystem::temp_directory_path() / ("bench-head-guard-" + std::to_string(::getpid()));
  Run("no guard (one transaction/event)", Guard::kNone, events, dir);
  Run("+ head rewritten in place, fdatasync", Guard::kInPlace, events, dir);
  Run("+ head replaced atomically", Guard::kAtomic, events, dir);
  Run("no guard (again, for drift)", Guard::kNone, events, dir);
  std::filesystem::remove_all(dir);
  return 0;
}
