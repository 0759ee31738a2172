#pragma once
// ScannerSource: one way scans reach the kiosk (libusb, evdev, serial, keyboard wedge, replay).
// A source runs its own thread(s) between Start and Stop and delivers into a ScanQueue. Owned by
// main (or the CLI); Start/Stop/Scanners from the owning thread only.
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"
#include "platform/scan_queue.hpp"

namespace kiosk::platform {

struct ScannerInfo {
  std::string id;         // the Scan::source_id of its scans
  std::string name;       // "Honeywell Xenon 1900g" or the device path
  std::string transport;  // "usb-hid-keyboard", "usb-hid-pos", "evdev", "serial", "wedge", "replay"
  std::string state;      // "reading", "waiting", "error", "stopped"
  std::string detail;     // layout, error message...
  uint64_t scans = 0;     // delivered since start
};

class ScannerSource {
 public:
  virtual ~ScannerSource() = default;
  virtual Status Start(ScanQueue& queue) = 0;
  virtual void Stop() = 0;  // joins its threads; idempotent
  virtual std::vector<ScannerInfo> Scanners() const = 0;
};

}  // namespace kiosk::platform
