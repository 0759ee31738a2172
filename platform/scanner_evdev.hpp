#pragma once
// EvdevSource: a keyboard-mode scanner read through /dev/input/eventN with EVIOCGRAB, so its keys
// reach only the kiosk (not the focused window), without libusb. Key events are turned back into
// boot-keyboard reports and decoded with the scanner's layout. One thread.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "kiosk/core/scan/hid_decoder.hpp"
#include "platform/scanner_source.hpp"
#include "platform/stop_pipe.hpp"

namespace kiosk::platform {

struct EvdevOptions {
  std::string path;   // "/dev/input/by-id/usb-Honeywell_..-event-kbd" or "/dev/input/event5"
  scan::DecoderOptions decoder;
  bool grab = true;   // EVIOCGRAB; tests feed a pipe, which cannot be grabbed
  int fd = -1;        // tests: an already open descriptor to read instead of `path` (taken over)
};

class EvdevSource final : public ScannerSource {
 public:
  explicit EvdevSource(EvdevOptions options) : m_options(std::move(options)) {}
  ~EvdevSource() override { Stop(); }
  Status Start(ScanQueue& queue) override;
  void Stop() override;
  std::vector<ScannerInfo> Scanners() const override;

 private:
  void Run(ScanQueue& queue);
  EvdevOptions m_options;
  int m_fd = -1;
  StopPipe m_stop_pipe;
  std::thread m_thread;
  mutable std::mutex m_mu;
  std::string m_state = "stopped", m_detail;
  std::atomic<uint64_t> m_count{0};
};

}  // namespace kiosk::platform
