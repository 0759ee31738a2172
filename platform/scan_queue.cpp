#include "platform/scan_queue.hpp"

namespace kiosk::platform {

void ScanQueue::SetWake(std::function<void()> wake) {
  std::lock_guard lock(m_mu);
  m_wake = std::move(wake);
}

void ScanQueue::Push(Scan scan) {
  std::function<void()> wake;
  {
    std::lock_guard lock(m_mu);
    if (m_scans.size() >= kMaxQueued) {
      // Nobody is draining: keep the newest scans, a person is waiting for those.
      m_scans.pop_front();
      ++m_dropped;
    }
    m_scans.push_back(std::move(scan));
    wake = m_wake;
  }
  m_cv.notify_all();
  if (wake) wake();
}

void ScanQueue::Push(ScannerEvent event) {
  std::function<void()> wake;
  {
    std::lock_guard lock(m_mu);
    if (m_events.size() >= kMaxQueued) m_events.pop_front();
    m_events.push_back(std::move(event));
    wake = m_wake;
  }
  m_cv.notify_all();
  if (wake) wake();
}

std::vector<Scan> ScanQueue::DrainScans() {
  std::lock_guard lock(m_mu);
  std::vector<Scan> out(std::make_move_iterator(m_scans.begin()), std::make_move_iterator(m_scans.end()));
  m_scans.clear();
  return out;
}

std::vector<ScannerEvent> ScanQueue::DrainEvents() {
  std::lock_guard lock(m_mu);
  std::vector<ScannerEvent> out(std::make_move_iterator(m_events.begin()), std::make_move_iterator(m_events.end()));
  m_events.clear();
  return out;
}

bool ScanQueue::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mu);
  return m_cv.wait_for(lock, timeout, [&] { return !m_scans.empty() || !m_events.empty(); });
}

size_t ScanQueue::Dropped() const {
  std::lock_guard lock(m_mu);
  return m_dropped;
}

void SplitAim(std::string& text, std::string& symbology) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  auto alnum = [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); };
  if (text.size() >= 3 && text[0] == ']' && alpha(text[1]) && alnum(text[2])) {
    symbology = text.substr(0, 3);
    text.erase(0, 3);
  }
}

}  // namespace kiosk::platform
