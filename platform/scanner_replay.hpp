#pragma once
// ReplaySource: scans from a file, for tests, benchmarks and demos. Runs one thread.
//  - Timed (scanner.replay_file): one JSON object per line, played at its delay:
//      {"delay_ms": 800, "text": "]d20100614141000012\u001d21C45A0001234"}
//      {"delay_ms": 500, "hid": ["0000040000000000", "0000000000000000", ...]}   (decoded with `layout`)
//    Blank lines and lines starting with '#' are skipped.
//  - Lines (`kiosk gui --scan-fifo`): a FIFO of plain scans, one a line, each delivered as soon as
//    its line is written; a writer closing the FIFO is not an end (another may open it).
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "kiosk/core/scan/hid_decoder.hpp"
#include "platform/scanner_source.hpp"
#include "platform/stop_pipe.hpp"

namespace kiosk::platform {

enum class ReplayFormat { Timed, Lines };

struct ReplayOptions {
  std::filesystem::path file;
  ReplayFormat format = ReplayFormat::Timed;
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
  Status StartLines(ScanQueue& queue);
  void RunLines(ScanQueue& queue);

  ReplayOptions m_options;
  std::vector<Item> m_items;
  std::thread m_thread;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::atomic<bool> m_finished{false};
  std::atomic<uint64_t> m_count{0};
  int m_fd = -1;        // Lines: the FIFO
  StopPipe m_stop_pipe;  // Lines: ends RunLines' poll
};

}  // namespace kiosk::platform
