#include "storage/crash_vfs.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace kiosk::test {
namespace {

sqlite3_vfs* g_real = nullptr;  // the unix VFS underneath
CrashVfs* g_crash = nullptr;

struct CrashFile {
  sqlite3_file base;
  sqlite3_file* real;  // allocated right after this struct (szOsFile covers both)
  std::string* path;   // null for files SQLite opens without a name (temp files): passed through
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<CrashFile*>(f)->real; }
CrashFile* Me(sqlite3_file* f) { return reinterpret_cast<CrashFile*>(f); }

int64_t RealSize(sqlite3_file* f) {
  sqlite3_int64 size = 0;
  if (Real(f)->pMethods->xFileSize(Real(f), &size) != SQLITE_OK) return 0;
  return size;
}

std::string ReadRange(sqlite3_file* f, int64_t offset, int64_t n) {
  const int64_t size = RealSize(f);
  if (offset >= size || n <= 0) return {};
  std::string out(static_cast<size_t>(std::min(n, size - offset)), '\0');
  (void)Real(f)->pMethods->xRead(Real(f), out.data(), static_cast<int>(out.size()), offset);
  return out;
}

int xClose(sqlite3_file* f) {
  int rc = Real(f)->pMethods->xClose(Real(f));
  delete Me(f)->path;
  Me(f)->path = nullptr;
  return rc;
}
int xRead(sqlite3_file* f, void* p, int n, sqlite3_int64 off) { return Real(f)->pMethods->xRead(Real(f), p, n, off); }
int xWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  if (!Me(f)->path) return Real(f)->pMethods->xWrite(Real(f), p, n, off);
  if (int rc = g_crash->OnWritePoint(); rc != 0) return rc;
  CrashVfs::Change c;
  c.offset = off;
  c.size_before = RealSize(f);
  c.before = ReadRange(f, off, n);
  c.after.assign(static_cast<const char*>(p), static_cast<size_t>(n));
  g_crash->Record(*Me(f)->path, std::move(c));
  return Real(f)->pMethods->xWrite(Real(f), p, n, off);
}
int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
  if (!Me(f)->path) return Real(f)->pMethods->xTruncate(Real(f), size);
  if (int rc = g_crash->OnWritePoint(); rc != 0) return rc;
  CrashVfs::Change c;
  c.truncate = true;
  c.offset = size;
  c.size_before = RealSize(f);
  c.before = ReadRange(f, size, c.size_before - size);
  g_crash->Record(*Me(f)->path, std::move(c));
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int xSync(sqlite3_file* f, int) {
  if (!Me(f)->path) return SQLITE_OK;
  if (int rc = g_crash->OnWritePoint(); rc != 0) return rc;
  g_crash->Synced(*Me(f)->path);  // durable from here: the test decides, no real fsync needed
  return SQLITE_OK;
}
int xFileSize(sqlite3_file* f, sqlite3_int64* s) { return Real(f)->pMethods->xFileSize(Real(f), s); }
int xLock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int xUnlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int xCheckReservedLock(sqlite3_file* f, int* r) { return Real(f)->pMethods->xCheckReservedLock(Real(f), r); }
int xFileControl(sqlite3_file* f, int op, void* arg) { return Real(f)->pMethods->xFileControl(Real(f), op, arg); }
int xSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int xDeviceCharacteristics(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int xShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** pp) {
  return Real(f)->pMethods->xShmMap(Real(f), pg, sz, extend, pp);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) { return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags); }
void xShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int xShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int xFetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** pp) { return Real(f)->pMethods->xFetch(Real(f), off, amt, pp); }
int xUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return Real(f)->pMethods->xUnfetch(Real(f), off, p); }

const sqlite3_io_methods kMethods = {3,        xClose,       xRead,        xWrite,       xTruncate,   xSync,
                                     xFileSize, xLock,       xUnlock,      xCheckReservedLock, xFileControl,
                                     xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock, xShmBarrier,
                                     xShmUnmap, xFetch,      xUnfetch};

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  CrashFile* me = Me(f);
  me->real = reinterpret_cast<sqlite3_file*>(me + 1);
  me->path = nullptr;
  int rc = g_real->xOpen(g_real, name, me->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    me->base.pMethods = nullptr;
    return rc;
  }
  // The main database and its WAL are what a cut can tear; the -shm is rebuilt from the WAL
  // after a crash, and temp files die with the process anyway.
  if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)))
    me->path = new std::string(name);
  me->base.pMethods = &kMethods;
  return SQLITE_OK;
}
int xDelete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (g_crash->Cut()) return SQLITE_OK;  // the power is off: nothing happens any more
  return g_real->xDelete(g_real, name, sync_dir);
}
int xAccess(sqlite3_vfs*, const char* name, int flags, int* out) { return g_real->xAccess(g_real, name, flags, out); }
int xFullPathname(sqlite3_vfs*, const char* name, int n, char* out) { return g_real->xFullPathname(g_real, name, n, out); }
void* xDlOpen(sqlite3_vfs*, const char* f) { return g_real->xDlOpen(g_real, f); }
void xDlError(sqlite3_vfs*, int n, char* msg) { g_real->xDlError(g_real, n, msg); }
void (*xDlSym(sqlite3_vfs*, void* h, const char* s))(void) { return g_real->xDlSym(g_real, h, s); }
void xDlClose(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int xRandomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int xSleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int xCurrentTime(sqlite3_vfs*, double* t) { return g_real->xCurrentTime(g_real, t); }
int xGetLastError(sqlite3_vfs*, int n, char* s) { return g_real->xGetLastError(g_real, n, s); }
int xCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* t) { return g_real->xCurrentTimeInt64(g_real, t); }

sqlite3_vfs g_vfs;

void PWriteAll(int fd, const std::string& data, int64_t offset) {
  if (data.empty()) return;
  if (::pwrite(fd, data.data(), data.size(), offset) != static_cast<ssize_t>(data.size()))
    throw std::runtime_error("crash vfs: pwrite failed");
}

}  // namespace

CrashVfs& CrashVfs::Install() {
  static CrashVfs* instance = [] {
    sqlite3_initialize();
    g_real = sqlite3_vfs_find("unix");
    if (!g_real) throw std::runtime_error("no unix VFS");
    auto* c = new CrashVfs();
    g_crash = c;
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(CrashFile)) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "crash";
    g_vfs.xOpen = xOpen;
    g_vfs.xDelete = xDelete;
    g_vfs.xAccess = xAccess;
    g_vfs.xFullPathname = xFullPathname;
    g_vfs.xDlOpen = xDlOpen;
    g_vfs.xDlError = xDlError;
    g_vfs.xDlSym = xDlSym;
    g_vfs.xDlClose = xDlClose;
    g_vfs.xRandomness = xRandomness;
    g_vfs.xSleep = xSleep;
    g_vfs.xCurrentTime = xCurrentTime;
    g_vfs.xGetLastError = xGetLastError;
    g_vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
    if (sqlite3_vfs_register(&g_vfs, 1) != SQLITE_OK) throw std::runtime_error("can't register the crash VFS");
    return c;
  }();
  return *instance;
}

void CrashVfs::Arm(int64_t cut_at, int64_t inject_at, int inject_rc) {
  m_points = 0;
  m_cut_at = cut_at;
  m_inject_at = inject_at;
  m_inject_rc = inject_rc;
  m_cut = false;
  m_injected = false;
}

int CrashVfs::OnWritePoint() {
  if (m_cut) return SQLITE_IOERR_WRITE;
  ++m_points;
  if (m_inject_at && m_points == m_inject_at) {
    m_injected = true;
    return m_inject_rc;
  }
  if (m_cut_at && m_points == m_cut_at) {
    m_cut = true;
    return SQLITE_IOERR_WRITE;
  }
  return 0;
}

void CrashVfs::Forget() {
  m_unsynced.clear();
  Arm(0);
}

void CrashVfs::ApplyCut(uint32_t seed) {
  std::mt19937 rng(seed);
  for (auto& [path, changes] : m_unsynced) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;  // deleted before the cut (a WAL reset): nothing to put back
    // Back to the content at the last sync: undo every unsynced change, newest first.
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      // A write: its old bytes back, and the file no longer than before it. A truncate: the
      // removed tail back.
      PWriteAll(fd, it->before, it->offset);
      if (::ftruncate(fd, it->size_before) != 0) throw std::runtime_error("crash vfs: ftruncate failed");
    }
    // Then what the disk happened to get: each change whole, not at all, or (a write) torn.
    for (const Change& c : changes) {
      // From the generator's own output (its sequence is the standard's; a distribution's is the
      // library's), so that a seed cuts the same on every platform.
      const int fate = static_cast<int>(rng() % 3);  // 0 lost, 1 whole, 2 torn
      if (fate == 0) continue;
      if (c.truncate) {
        if (::ftruncate(fd, c.offset) != 0) throw std::runtime_error("crash vfs: ftruncate failed");
        continue;
      }
      std::string data = c.after;
      if (fate == 2 && data.size() > 512) {
        // Sectors that made it: a prefix; the rest keep what was there before.
        const size_t sectors = data.size() / 512;
        const size_t kept = static_cast<size_t>(rng() % sectors);
        data.resize(kept * 512);
      }
      PWriteAll(fd, data, c.offset);
    }
    ::close(fd);
  }
  m_unsynced.clear();
  m_cut = false;
  m_cut_at = 0;
  m_inject_at = 0;
}

}  // namespace kiosk::test
