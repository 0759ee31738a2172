#pragma once
// WedgeSource: a scanner that types like a keyboard into the kiosk's window. The UI passes every
// character and Enter/Tab from its GLFW callbacks; scans go to the queue, and what a person typed
// is handed back for the focused field. Main (UI) thread only; no thread of its own.
#include <chrono>

#include "kiosk/core/scan/wedge_detector.hpp"
#include "platform/scanner_source.hpp"

namespace kiosk::platform {

class WedgeSource final : public ScannerSource {
 public:
  explicit WedgeSource(scan::WedgeOptions options = {}) : m_detector(options) {}
  Status Start(ScanQueue& queue) override {
    m_queue = &queue;
    return {};
  }
  void Stop() override { m_queue = nullptr; }
  std::vector<ScannerInfo> Scanners() const override {
    return {ScannerInfo{"wedge", "keyboard wedge", "wedge", m_queue ? "reading" : "stopped", "", m_count}};
  }

  // Each returns the text a person typed that is now decided (give it to the focused field).
  std::vector<scan::WedgeEvent> OnChar(char32_t c, int64_t time_ms) { return Run([&](auto& out) { m_detector.OnChar(c, time_ms, out); }); }
  std::vector<scan::WedgeEvent> OnKey(scan::WedgeKey k, int64_t time_ms) { return Run([&](auto& out) { m_detector.OnKey(k, time_ms, out); }); }
  std::vector<scan::WedgeEvent> Tick(int64_t now_ms) { return Run([&](auto& out) { m_detector.Tick(now_ms, out); }); }
  std::optional<int64_t> Deadline() const { return m_detector.Deadline(); }

 private:
  template <typename F>
  std::vector<scan::WedgeEvent> Run(F&& f) {
    std::vector<scan::WedgeEvent> out, typed;
    f(out);
    for (auto& e : out) {
      if (e.type == scan::WedgeEvent::Type::Scan && m_queue) {
        Scan s{std::move(e.text), "", "wedge", std::chrono::system_clock::now(), "enter"};
        SplitAim(s.text, s.symbology);
        m_queue->Push(std::move(s));
        ++m_count;
      } else {
        typed.push_back(std::move(e));
      }
    }
    return typed;
  }
  scan::WedgeDetector m_detector;
  ScanQueue* m_queue = nullptr;
  uint64_t m_count = 0;
};

}  // namespace kiosk::platform
