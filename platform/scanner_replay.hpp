#pragma once
// ReplaySource: plays a file of timed scans, for tests and demos. One JSON object per line:
//   {"delay_ms": 800, "text": "]d20100614141000012\u001d21C45A0001234"}
//   {"delay_ms": 500, "hid": ["0000040000000000", "0000000000000000", ...]}   (decoded with `layout`)
// Blank lines and lines starting with '#' are skipped. Runs one thread.
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "kiosk/core/scan/hid_decoder.hpp"
#include "platform/scanner_source.hpp"

namespace kiosk::platform {

struct ReplayOptions {
  std::filesystem::path file;
  double speed = 1.0;  // 2.0 plays twice as fast
  bool loop = false;
  scan::Layout layout = scan::Layout::Us;
  std::string source_id = "replay";
};

class ReplaySource final : public ScannerSource {
 public:
  explicit ReplaySource(ReplayOptions options) : m_options(std::move(options)) {}
  ~ReplaySource() override { Stop(); }
  Status Start(ScanQueue& queue) override;
  void Stop() override;
  std::vector<ScannerInfo> Scanners() const override;
  bool Finished() const { return m_finished; }

 private:
  struct Item {
    int64_t delay_ms = 0;
    std::string text;
    std::vector<scan::HidReport> hid;
  };
  void Run(ScanQueue& queue);

  ReplayOptions m_options;
  std::vector<Item> m_items;
  std::thread m_thread;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::atomic<bool> m_finished{false};
  std::atomic<uint64_t> m_count{0};
};

}  // namespace kiosk::platform
