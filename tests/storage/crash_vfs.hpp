#pragma once
// A crash-simulating SQLite VFS for tests, in the manner of SQLite's own crash tests (test6.c):
// it wraps the "unix" VFS and remembers every write and truncation since each file's last sync.
// At the cut it stops all writing (every later write, sync, truncate and delete fails or does
// nothing, as if the power had gone); after the connections are closed, ApplyCut() puts each
// file back to its last synced content plus a random choice of the unsynced writes, each kept
// whole, dropped, or torn at a 512-byte sector. Syncs are remembered, not performed: the test
// decides what reached the disk, so thousands of cuts run in seconds.
// It also injects one error (SQLITE_FULL, SQLITE_IOERR) at a chosen write point instead of a cut.
// Process-wide (SQLite's VFS list is global); single-threaded tests only.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace kiosk::test {

class CrashVfs {
 public:
  // Registers the VFS as SQLite's default (once) and returns it, passing everything through.
  static CrashVfs& Install();

  // Starts counting write points (each xWrite, xSync, xTruncate) from 0. At point `cut_at`
  // (1-based; 0: never) the power goes. `inject_at`/`inject_rc`: that point fails once with
  // inject_rc instead (0: never).
  void Arm(int64_t cut_at, int64_t inject_at = 0, int inject_rc = 0);
  int64_t Points() const { return m_points; }
  bool Cut() const { return m_cut; }
  bool Injected() const { return m_injected; }
  // After every connection is closed: each file gets its synced content plus a random subset of
  // its unsynced writes (kept, dropped or torn). Then passes through again.
  void ApplyCut(uint32_t seed);
  // Forgets the unsynced writes (a clean shutdown): call between runs that don't cut.
  void Forget();

  // Internal: called by the VFS's methods.
  struct Change {
    bool truncate = false;
    int64_t offset = 0;          // write: where; truncate: the new size
    std::string before;          // bytes the change replaced (a truncate: the bytes it removed)
    std::string after;           // write: the bytes written
    int64_t size_before = 0;     // the file's size before the change
  };
  // 0: go ahead; otherwise the SQLite result code the write point returns.
  int OnWritePoint();
  void Record(const std::string& path, Change change) { m_unsynced[path].push_back(std::move(change)); }
  void Synced(const std::string& path) { m_unsynced.erase(path); }

 private:
  CrashVfs() = default;
  int64_t m_points = 0;
  int64_t m_cut_at = 0;
  int64_t m_inject_at = 0;
  int m_inject_rc = 0;
  bool m_cut = false;
  bool m_injected = false;
  std::map<std::string, std::vector<Change>> m_unsynced;  // path -> changes since its last sync
};

}  // namespace kiosk::test
