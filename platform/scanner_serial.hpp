#pragma once
// SerialSource: a scanner in serial mode (USB CDC-ACM, /dev/ttyACM0, or a real RS-232 port),
// read raw through termios on its own thread. A scan ends at CR, LF (CR LF counts once), a
// configured suffix, or when no byte came for `timeout_ms`. An unplugged port, or one that is not
// there at start, is opened again every second until it is there.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "platform/scanner_source.hpp"
#include "platform/stop_pipe.hpp"

namespace kiosk::platform {

struct SerialOptions {
  std::string path;          // "/dev/ttyACM0"
  int baud = 9600;           // 9600, 19200, 38400, 57600, 115200
  std::string suffix;        // extra terminator besides CR and LF
  int64_t timeout_ms = 500;  // a scan with no terminator is delivered after this pause; 0 = never
};

class SerialSource final : public ScannerSource {
 public:
  explicit SerialSource(SerialOptions options) : m_options(std::move(options)) {}
  ~SerialSource() override { Stop(); }
  Status Start(ScanQueue& queue) override;
  void Stop() override;
  std::vector<ScannerInfo> Scanners() const override;

 private:
  Status Open();
  void Run(ScanQueue& queue);
  void Deliver(ScanQueue& queue, const char* terminator);

  SerialOptions m_options;
  int m_fd = -1;
  int m_open_errno = 0;  // errno of the last failed open (owned by the start, then by the thread)
  StopPipe m_stop_pipe;
  std::thread m_thread;
  std::string m_buf;
  mutable std::mutex m_mu;  // guards m_state, m_detail
  std::string m_state = "stopped";
  std::string m_detail;
  std::atomic<uint64_t> m_count{0};
};

}  // namespace kiosk::platform
