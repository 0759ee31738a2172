#include "platform/stop_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace kiosk::platform {

Status StopPipe::Open() {
  Close();
  if (pipe2(m_fd, O_CLOEXEC) != 0) {
    m_fd[0] = m_fd[1] = -1;
    return MakeError(ErrorKind::Storage, "scanner.pipe", std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  return {};
}

void StopPipe::Signal() {
  if (m_fd[1] < 0) return;
  char b = 1;
  (void)!::write(m_fd[1], &b, 1);
}

void StopPipe::Close() {
  for (int& fd : m_fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

}  // namespace kiosk::platform
