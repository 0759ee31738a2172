#include "kiosk/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiosk {
namespace {

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view data,
                           const AtomicWriteOptions& options) {
  const std::string tmp = path.string() + ".tmp";
  auto cut = [&](AtomicStep step) { return options.before_step && !options.before_step(step); };
  auto simulated_cut = [&] {
    return MakeError(ErrorKind::Storage, options.error_code, "simulated power cut while writing " + path.string());
  };
  int fd = -1;
  auto fail = [&](const char* what) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return MakeError(ErrorKind::Storage, options.error_code,
                     std::string("Can't ") + what + " " + path.string() + ": " + std::strerror(err) + "." +
                         (options.hint.empty() ? "" : " " + options.hint),
                     {{"path", path.string()}, {"detail", std::strerror(err)}});
  };
  if (cut(AtomicStep::kCreate)) return simulated_cut();
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, options.mode);
  if (fd < 0) return fail("create");
  ::fchmod(fd, options.mode);  // an old NAME.tmp left by a cut keeps its mode otherwise
  if (cut(AtomicStep::kWrite)) {
    (void)WriteAll(fd, data.data(), data.size() / 2);
    ::close(fd);
    return simulated_cut();
  }
  if (!WriteAll(fd, data.data(), data.size())) return fail("write");
  if (cut(AtomicStep::kSyncFile)) {
    ::close(fd);
    return simulated_cut();
  }
  if (::fsync(fd) != 0) return fail("flush");
  if (::close(fd) != 0) {
    fd = -1;
    return fail("close");
  }
  fd = -1;
  if (cut(AtomicStep::kRename)) return simulated_cut();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("finish");
  if (cut(AtomicStep::kSyncDir)) return simulated_cut();
  // The rename is in the folder's metadata: without this fsync a cut can bring the old name back.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail("open the folder of");
  const bool synced = ::fsync(dfd) == 0 || errno == EINVAL;  // some file systems can't sync a folder
  ::close(dfd);
  if (!synced) return fail("flush the folder of");
  return {};
}

}  // namespace kiosk
