#include "platform/scanner_serial.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace kiosk::platform {
namespace {

speed_t BaudConstant(int baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    default: return 0;
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Status SerialSource::Open() {
  int fd = ::open(m_options.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    m_open_errno = e;
    std::string hint = e == EACCES ? " (add the kiosk user to the dialout group, see docs/scanners.md)" : "";
    return MakeError(ErrorKind::Storage, "scanner.serial_open", "cannot open " + m_options.path + ": " + std::strerror(e) + hint);
  }
  termios tio{};
  if (tcgetattr(fd, &tio) != 0) {
    int e = errno;
    ::close(fd);
    return MakeError(ErrorKind::Usage, "scanner.not_serial", m_options.path + " is not a serial port: " + std::strerror(e));
  }
  cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  speed_t sp = BaudConstant(m_options.baud);
  cfsetispeed(&tio, sp);
  cfsetospeed(&tio, sp);
  tcsetattr(fd, TCSANOW, &tio);
  tcflush(fd, TCIFLUSH);
  m_fd = fd;
  return {};
}

Status SerialSource::Start(ScanQueue& queue) {
  if (BaudConstant(m_options.baud) == 0) {
    return MakeError(ErrorKind::Usage, "scanner.serial_baud",
                     std::to_string(m_options.baud) + " is not a supported speed (1200 to 115200 baud)");
  }
  m_open_errno = 0;
  auto opened = Open();
  // A port that is not there yet (the scanner is not plugged in, or its USB serial adapter is
  // still enumerating at boot) is waited for, like an unplugged one: it is opened when it comes.
  // Anything else (permissions, not a serial port) needs a person and fails the start.
  const bool absent = !opened.ok() && (m_open_errno == ENOENT || m_open_errno == ENODEV || m_open_errno == ENXIO);
  if (!opened.ok() && !absent) return opened.error();
  if (Status s = m_stop_pipe.Open(); !s.ok()) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    return s;
  }
  {
    std::lock_guard lock(m_mu);
    m_state = absent ? "waiting" : "reading";
    m_detail = absent ? m_options.path + " is not there (scanner not plugged in?); looking again every second" : "";
  }
  m_thread = std::thread([this, &queue] { Run(queue); });
  return {};
}

void SerialSource::Deliver(ScanQueue& queue, const char* terminator) {
  if (m_buf.empty()) return;
  Scan s{std::move(m_buf), "", "serial:" + m_options.path, std::chrono::system_clock::now(), terminator};
  m_buf.clear();
  SplitAim(s.text, s.symbology);
  ++m_count;  // before the push: whoever drains the scan must already see it counted
  queue.Push(std::move(s));
}

void SerialSource::Run(ScanQueue& queue) {
  int64_t last_byte_ms = 0;
  bool last_was_cr = false;
  char chunk[512];
  for (;;) {
    int timeout = 1000;
    if (!m_buf.empty() && m_options.timeout_ms > 0) {
      timeout = static_cast<int>(std::max<int64_t>(0, last_byte_ms + m_options.timeout_ms - NowMs()));
    }
    pollfd fds[2] = {{m_stop_pipe.ReadFd(), POLLIN, 0}, {m_fd, POLLIN, 0}};
    int n = ::poll(fds, m_fd >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents) break;
    if (m_fd < 0) {  // unplugged, or not there at start: try again every second
      if (Open().ok()) {
        std::lock_guard lock(m_mu);
        m_state = "reading";
        m_detail.clear();
        queue.Push(ScannerEvent{"serial:" + m_options.path, "attached", m_options.path + " is back"});
      }
      continue;
    }
    if (n == 0 || !(fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!m_buf.empty() && m_options.timeout_ms > 0 && NowMs() - last_byte_ms >= m_options.timeout_ms) {
        Deliver(queue, "timeout");
      }
      continue;
    }
    ssize_t got = ::read(m_fd, chunk, sizeof chunk);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) {
      // The device went away (EIO/ENXIO on unplug, or the other end of a pty closed). What was
      // complete is already delivered; a half scan is not a scan.
      ::close(m_fd);
      m_fd = -1;
      m_buf.clear();
      std::string why = got < 0 ? std::strerror(errno) : "end of file";
      {
        std::lock_guard lock(m_mu);
        m_state = "waiting";
        m_detail = why;
      }
      queue.Push(ScannerEvent{"serial:" + m_options.path, "detached", m_options.path + ": " + why});
      continue;
    }
    last_byte_ms = NowMs();
    for (ssize_t i = 0; i < got; ++i) {
      char c = chunk[i];
      if (c == '\n' && last_was_cr) {
        last_was_cr = false;
        continue;
      }
      last_was_cr = c == '\r';
      if (c == '\r' || c == '\n') {
        Deliver(queue, c == '\r' ? "cr" : "lf");
        continue;
      }
      m_buf += c;
      const std::string& sfx = m_options.suffix;
      if (!sfx.empty() && m_buf.size() >= sfx.size() && m_buf.compare(m_buf.size() - sfx.size(), sfx.size(), sfx) == 0) {
        m_buf.resize(m_buf.size() - sfx.size());
        Deliver(queue, "suffix");
      } else if (m_buf.size() > 65536) {
        Deliver(queue, "overflow");
      }
    }
  }
}

void SerialSource::Stop() {
  if (m_thread.joinable()) {
    m_stop_pipe.Signal();
    m_thread.join();
  }
  m_stop_pipe.Close();
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  std::lock_guard lock(m_mu);
  m_state = "stopped";
}

std::vector<ScannerInfo> SerialSource::Scanners() const {
  std::lock_guard lock(m_mu);
  return {ScannerInfo{"serial:" + m_options.path, m_options.path, "serial", m_state,
                      std::to_string(m_options.baud) + " baud" + (m_detail.empty() ? "" : "; " + m_detail), m_count.load()}};
}

}  // namespace kiosk::platform
