#include "platform/scanner_evdev.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace kiosk::platform {
namespace {
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Status EvdevSource::Start(ScanQueue& queue) {
  int fd = m_options.fd;
  if (fd < 0) fd = ::open(m_options.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    std::string hint = e == EACCES ? " (install assets/udev/70-kiosk-scanners.rules, see docs/scanners.md)" : "";
    return MakeError(ErrorKind::Storage, "scanner.evdev_open", "cannot open " + m_options.path + ": " + std::strerror(e) + hint);
  }
  if (m_options.grab && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
    int e = errno;
    ::close(fd);
    return MakeError(ErrorKind::Storage, "scanner.evdev_grab",
                     "cannot take " + m_options.path + " for the kiosk alone: " + std::strerror(e) +
                         (e == EBUSY ? " (another program has grabbed it)" : ""));
  }
  if (Status s = m_stop_pipe.Open(); !s.ok()) {
    ::close(fd);
    return s;
  }
  m_fd = fd;
  {
    std::lock_guard lock(m_mu);
    m_state = "reading";
  }
  m_thread = std::thread([this, &queue] { Run(queue); });
  return {};
}

void EvdevSource::Run(ScanQueue& queue) {
  scan::HidDecoder decoder(m_options.decoder);
  scan::HidReport state;
  std::vector<scan::DecodedScan> out;
  const std::string id = "evdev:" + m_options.path;
  auto deliver = [&] {
    for (auto& d : out) {
      Scan s{std::move(d.text), "", id, std::chrono::system_clock::now(), std::string(scan::ToString(d.terminator))};
      SplitAim(s.text, s.symbology);
      ++m_count;  // before the push: whoever drains the scan must already see it counted
      queue.Push(std::move(s));
    }
    out.clear();
  };
  input_event events[64];
  size_t have = 0;  // bytes of a partial event kept from the last read
  for (;;) {
    int timeout = 1000;
    if (auto dl = decoder.Deadline()) timeout = static_cast<int>(std::clamp<int64_t>(*dl - NowMs(), 0, 1000));
    pollfd fds[2] = {{m_stop_pipe.ReadFd(), POLLIN, 0}, {m_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents) break;
    decoder.Tick(NowMs(), out);
    deliver();
    if (n == 0 || !fds[1].revents) continue;
    ssize_t got = ::read(m_fd, reinterpret_cast<char*>(events) + have, sizeof events - have);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) {
      // ENODEV: unplugged. Completed scans are already delivered; a half scan is dropped.
      std::string why = got < 0 ? std::strerror(errno) : "end of file";
      {
        std::lock_guard lock(m_mu);
        m_state = "error";
        m_detail = why;
      }
      queue.Push(ScannerEvent{id, "detached", m_options.path + ": " + why});
      break;
    }
    have += static_cast<size_t>(got);
    size_t count = have / sizeof(input_event);
    for (size_t i = 0; i < count; ++i) {
      const input_event& ev = events[i];
      if (ev.type == EV_KEY && ev.value != 2) {  // 2 = autorepeat, never from a scanner
        bool down = ev.value == 1;
        if (uint8_t bit = scan::LinuxKeyToModifierBit(ev.code)) {
          state.modifiers = down ? (state.modifiers | bit) : (state.modifiers & ~bit);
        } else if (uint8_t u = scan::LinuxKeyToHidUsage(ev.code)) {
          auto it = std::find(state.keys.begin(), state.keys.end(), u);
          if (down && it == state.keys.end()) {
            auto slot = std::find(state.keys.begin(), state.keys.end(), 0);
            if (slot != state.keys.end()) *slot = u;
          } else if (!down && it != state.keys.end()) {
            *it = 0;
          }
        }
      } else if (ev.type == EV_SYN && ev.code == SYN_REPORT) {
        decoder.Feed(state, NowMs(), out);
      }
    }
    size_t used = count * sizeof(input_event);
    std::memmove(events, reinterpret_cast<char*>(events) + used, have - used);
    have -= used;
    deliver();
  }
}

void EvdevSource::Stop() {
  if (m_thread.joinable()) {
    m_stop_pipe.Signal();
    m_thread.join();
  }
  m_stop_pipe.Close();
  if (m_fd >= 0) {
    if (m_options.grab) ::ioctl(m_fd, EVIOCGRAB, 0);
    ::close(m_fd);
  }
  m_fd = -1;
  std::lock_guard lock(m_mu);
  m_state = "stopped";
}

std::vector<ScannerInfo> EvdevSource::Scanners() const {
  std::lock_guard lock(m_mu);
  return {ScannerInfo{"evdev:" + m_options.path, m_options.path, "evdev", m_state,
                      "layout " + std::string(scan::ToString(m_options.decoder.layout)) +
                          (m_detail.empty() ? "" : "; " + m_detail),
                      m_count.load()}};
}

}  // namespace kiosk::platform
