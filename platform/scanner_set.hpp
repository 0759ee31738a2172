#pragma once
// ScannerSet: the scanner sources kiosk.json's `scanner` section configures, started and stopped
// together, and one health list for them (the admin screen's scanner health and `kiosk doctor`).
//
//  [X] usb (libusb, the default): scanners by VID:PID from assets/scanners.json + scanner.usb_ids,
//      hot-plug through UsbScannerSource
//  [X] evdev: keyboards of known scanners (sysfs VID:PID) that libusb did not take, grabbed with
//      EVIOCGRAB; plugged and unplugged ones are found by a rescan every second
//  [X] serial (scanner.serial_port), wedge (the window's keys), replay (scanner.replay_file, and
//      the --scan-fifo of tests and benchmarks)
//  [X] per scanner (VID:PID): layout, terminators, suffix; defaults from scanner.layout/...
//
// Owner: the composition root (the touchscreen) or `kiosk scanners`. Start/Stop/Health/Wedge from
// the owning thread; the sources deliver from their own threads into the ScanQueue.
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/core/config.hpp"
#include "platform/scanner_source.hpp"
#include "platform/scanner_usb.hpp"

namespace kiosk::platform {

class WedgeSource;
class EvdevSource;

struct ScannerSetOptions {
  ScannerConfig config;
  std::filesystem::path scanners_json;  // assets/scanners.json: the known scanner models
  // Tests inject a fake USB bus and a sysfs tree; the defaults are the real ones.
  std::function<std::unique_ptr<UsbTransport>()> make_usb_transport = MakeLibusbTransport;
  std::filesystem::path input_sysfs = "/sys/class/input";
  std::filesystem::path dev_dir = "/dev";
  int evdev_rescan_ms = 1000;
  // `kiosk gui --scan-fifo PATH`: a replay source of plain lines besides the configured ones, so
  // benchmarks and tests can feed a running kiosk. Its scans and health row carry kScanFifoId.
  std::optional<std::filesystem::path> scan_fifo;
};

inline constexpr const char* kScanFifoId = "fifo";

// The decoder settings of one scanner: kiosk.json's per-VID:PID entry, else the model's layout
// from scanners.json, else scanner.layout / terminators / suffix.
scan::DecoderOptions DecoderFor(const ScannerConfig& config, const UsbId* model, uint16_t vid, uint16_t pid);

class ScannerSet {
 public:
  explicit ScannerSet(ScannerSetOptions options);
  ~ScannerSet();
  ScannerSet(const ScannerSet&) = delete;
  ScannerSet& operator=(const ScannerSet&) = delete;

  // Starts every configured source. A source that cannot start does not stop the others: its
  // reason is in Health().
  void Start(ScanQueue& queue);
  void Stop();  // joins every thread; re-attaches the kernel drivers libusb took

  // One entry per scanner and per configured source that found none ("waiting").
  std::vector<ScannerInfo> Health() const;
  // The window's keyboard wedge, or null when "wedge" is not configured.
  WedgeSource* Wedge() { return m_wedge.get(); }
  const ScannerConfig& Config() const { return m_options.config; }

  // What the sources would find, without claiming anything (for `kiosk doctor` while the kiosk
  // runs): the same entries Health() shows, states "found" / "waiting" / "error".
  static std::vector<ScannerInfo> Probe(const ScannerSetOptions& options);

 private:
  void EvdevLoop();
  void RescanEvdev();

  ScannerSetOptions m_options;
  std::vector<UsbId> m_ids;
  std::string m_ids_error;
  ScanQueue* m_queue = nullptr;
  std::vector<std::unique_ptr<ScannerSource>> m_sources;  // usb, serial, replay
  UsbScannerSource* m_usb = nullptr;                      // in m_sources when configured
  std::unique_ptr<WedgeSource> m_wedge;
  std::vector<ScannerInfo> m_start_errors;                // sources that could not start

  // evdev: one source per grabbed node, found by the rescan thread.
  std::thread m_evdev_thread;
  std::atomic<bool> m_stop{false};
  std::mutex m_stop_mu;
  std::condition_variable m_stop_cv;
  mutable std::mutex m_evdev_mu;  // guards m_evdev, m_evdev_seen
  std::map<std::string, std::unique_ptr<EvdevSource>> m_evdev;  // by /dev/input/eventN
  std::map<std::string, int> m_evdev_seen;                      // node -> rescans it has been seen
};

// "USB QEMU USB Keyboard (usb-hid-keyboard): reading, layout de; 3 scans" one per line.
std::string FormatHealth(const std::vector<ScannerInfo>& health);

}  // namespace kiosk::platform
