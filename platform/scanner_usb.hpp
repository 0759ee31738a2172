#pragma once
// UsbScannerSource: scanners read as raw USB HID through libusb: layout-proof (the reports are
// decoded with the layout the scanner is set to, whatever the desktop's), exclusive (the kernel
// keyboard driver is detached, so scans never type into another window) and per scanner (each
// device has its own id). Finds scanners by the VID:PID list of assets/scanners.json plus a
// setting; boot-keyboard interfaces and HID POS (usage page 0x8C) interfaces; hotplug while
// running; on exit releases every interface and re-attaches the kernel driver.
//
// Threads: one manager thread (enumeration, hotplug) and one reader thread per claimed interface.
// All USB calls go through UsbTransport, so tests drive the same logic with a fake transport.
//
//  [X] libusb enumeration, descriptors, report descriptor (GET_DESCRIPTOR 0x22)
//  [X] kernel driver detach/claim/release/re-attach; boot protocol on boot keyboards
//  [X] interrupt IN reads; hotplug callbacks; periodic re-enumeration where hotplug is missing
//  [X] no USB at all (no /dev/bus/usb): LIBUSB_OPTION_NO_DEVICE_DISCOVERY, finds nothing cleanly
//  [ ] HID POS output reports (beep, LED): not needed to read scans
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/core/scan/hid_decoder.hpp"
#include "platform/scanner_source.hpp"

namespace kiosk::platform {

// One entry of assets/scanners.json ("pid": "*" = any product of that vendor).
struct UsbId {
  uint16_t vid = 0;
  std::optional<uint16_t> pid;  // nullopt = any
  std::string vendor, model;
  std::optional<scan::Layout> layout;  // the layout this model ships set to, when not US
  bool Matches(uint16_t v, uint16_t p) const { return v == vid && (!pid || *pid == p); }
};
// "0c2e:0b61" or "0c2e:*"
Result<UsbId> ParseUsbId(std::string_view text);
Result<std::vector<UsbId>> LoadScannerIds(const std::filesystem::path& scanners_json);

struct UsbInterface {
  int number = 0;
  uint8_t cls = 0, subclass = 0, protocol = 0;  // class 3 = HID; protocol 1 = boot keyboard
  uint8_t endpoint_in = 0;                        // interrupt IN endpoint address
  uint16_t max_packet = 8;
};

struct UsbDevice {
  std::string path;  // bus and ports, "1-1.2": stable for a socket
  uint16_t vid = 0, pid = 0;
  std::string product;
  std::vector<UsbInterface> interfaces;  // HID interfaces with an interrupt IN endpoint
  std::shared_ptr<void> native;          // transport's own handle (libusb_device*)
};

// A claimed interface. Destroying it releases the interface and re-attaches the kernel driver.
class UsbHandle {
 public:
  enum class ReadStatus { Data, Timeout, Gone, Error };
  virtual ~UsbHandle() = default;
  virtual ReadStatus Read(std::vector<uint8_t>& report, int timeout_ms) = 0;
  virtual std::vector<uint8_t> ReportDescriptor() = 0;
  virtual std::string LastError() const = 0;
};

class UsbTransport {
 public:
  virtual ~UsbTransport() = default;
  virtual Status Init() = 0;
  virtual std::vector<UsbDevice> Enumerate() = 0;
  virtual Result<std::unique_ptr<UsbHandle>> Open(const UsbDevice& device, const UsbInterface& interface) = 0;
  virtual bool HasHotplug() const = 0;
  // Waits up to timeout_ms for plug/unplug events (only when HasHotplug()).
  virtual void PollHotplug(int timeout_ms, std::vector<UsbDevice>& arrived, std::vector<std::string>& left) = 0;
};

// The real transport. No USB on the machine (no /dev/bus/usb) is not an error: it finds nothing.
std::unique_ptr<UsbTransport> MakeLibusbTransport();

struct UsbSourceOptions {
  std::vector<UsbId> ids;         // which devices are scanners
  scan::DecoderOptions decoder;   // layout, terminators, time-out for keyboard-mode scanners
  // Per scanner (kiosk.json's settings by VID:PID); when unset, `decoder` with the model's layout.
  std::function<scan::DecoderOptions(const UsbId* model, uint16_t vid, uint16_t pid)> decoder_for;
  int rescan_ms = 1000;           // re-enumeration period (also with hotplug: it catches arrivals that were not ready)
  int read_timeout_ms = 100;      // how often a reader looks at the stop flag and the scan time-out
};

class UsbScannerSource final : public ScannerSource {
 public:
  UsbScannerSource(UsbSourceOptions options, std::unique_ptr<UsbTransport> transport);
  ~UsbScannerSource() override;
  Status Start(ScanQueue& queue) override;
  void Stop() override;
  std::vector<ScannerInfo> Scanners() const override;

 private:
  struct Reader;
  void Manage();
  void Attach(const UsbDevice& device);
  void Detach(const std::string& path);
  void ReapFinished();
  void ReadLoop(Reader& r);

  UsbSourceOptions m_options;
  std::unique_ptr<UsbTransport> m_transport;
  ScanQueue* m_queue = nullptr;
  std::thread m_manager;
  std::atomic<bool> m_stop{false};
  std::mutex m_stop_mu;
  std::condition_variable m_stop_cv;
  mutable std::mutex m_mu;  // guards m_readers
  std::map<std::string, std::unique_ptr<Reader>> m_readers;  // by source id
  std::set<std::string> m_open_failed;  // reported once, not at every re-enumeration (manager thread)
};

}  // namespace kiosk::platform
