#pragma once
// ScanQueue: hands scans and scanner status changes from the scanner threads to the main
// thread. Push from any thread; the wake-up callback runs on the pushing thread and must be cheap
// and thread-safe (the UI passes one that calls glfwPostEmptyEvent; the CLI uses Wait()).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace kiosk::platform {

struct Scan {
  std::string text;       // without the AIM id
  std::string symbology;  // AIM id ("]d2"), or "" when the scanner sent none
  std::string source_id;  // "usb:0c2e:0b61@1-1.2", "evdev:/dev/input/event5", "serial:/dev/ttyACM0", "wedge", "replay"
  std::chrono::system_clock::time_point time;
  std::string terminator; // "enter", "tab", "suffix", "timeout", "flush", "cr", "lf", "replay"
  // What to give the classifier or Kiosk::Resolve: the AIM id and the text together.
  std::string Raw() const { return symbology + text; }
};

// A scanner appeared, went away or failed; the admin screen and `kiosk scanners` show these.
struct ScannerEvent {
  std::string source_id;
  std::string state;    // "attached", "detached", "error"
  std::string message;  // for a person: "Permission denied opening /dev/bus/usb/001/004: see docs/scanners.md"
};

class ScanQueue {
 public:
  explicit ScanQueue(std::function<void()> wake = {}) : m_wake(std::move(wake)) {}
  void SetWake(std::function<void()> wake);

  void Push(Scan scan);
  void Push(ScannerEvent event);
  std::vector<Scan> DrainScans();
  std::vector<ScannerEvent> DrainEvents();
  // Waits until something is queued or `timeout` passes; true when something is queued.
  bool Wait(std::chrono::milliseconds timeout);
  size_t Dropped() const;  // scans dropped because the queue was full (nobody draining)

 private:
  static constexpr size_t kMaxQueued = 1024;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Scan> m_scans;
  std::deque<ScannerEvent> m_events;
  std::function<void()> m_wake;
  size_t m_dropped = 0;
};

// Splits a leading AIM symbology identifier ("]d2...") off a decoded text.
void SplitAim(std::string& text, std::string& symbology);

}  // namespace kiosk::platform
