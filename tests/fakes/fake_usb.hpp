#pragma once
// Fake USB transports for the scanner sources' tests (platform/scanner_usb.hpp's UsbTransport
// port): a bus in memory the test plugs devices into and queues reports on, and an empty bus.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "platform/scanner_usb.hpp"

namespace kiosk::test {

using platform::UsbDevice;
using platform::UsbHandle;
using platform::UsbInterface;
using platform::UsbTransport;

// A USB bus in memory: devices are plugged and unplugged by the test; each claimed interface is a
// FakeHandle whose reports the test queues. Counts opens and releases (release = re-attach).
struct FakeBus {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<UsbDevice> devices;
  std::map<std::string, std::deque<std::vector<uint8_t>>> reports;  // by device path
  std::set<std::string> unplugged;
  std::map<std::string, std::vector<uint8_t>> descriptors;
  int opens = 0, releases = 0;
  int failing_opens = 0;  // the next N opens fail, as a claim does while usbhid is still binding
  std::vector<UsbDevice> arrived;
  std::vector<std::string> left;
  bool hotplug = true;

  void Plug(UsbDevice d) {
    std::lock_guard g(mu);
    unplugged.erase(d.path);
    arrived.push_back(d);
    devices.push_back(std::move(d));
    cv.notify_all();
  }
  void Unplug(const std::string& path) {
    std::lock_guard g(mu);
    unplugged.insert(path);
    std::erase_if(devices, [&](const UsbDevice& d) { return d.path == path; });
    left.push_back(path);
    cv.notify_all();
  }
  void Send(const std::string& path, std::vector<std::vector<uint8_t>> reps) {
    std::lock_guard g(mu);
    for (auto& r : reps) reports[path].push_back(std::move(r));
    cv.notify_all();
  }
};

class FakeHandle final : public UsbHandle {
 public:
  FakeHandle(FakeBus& bus, std::string path) : m_bus(bus), m_path(std::move(path)) {}
  ~FakeHandle() override {
    std::lock_guard g(m_bus.mu);
    ++m_bus.releases;
  }
  ReadStatus Read(std::vector<uint8_t>& report, int timeout_ms) override {
    std::unique_lock lock(m_bus.mu);
    m_bus.cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return !m_bus.reports[m_path].empty() || m_bus.unplugged.count(m_path); });
    if (!m_bus.reports[m_path].empty()) {
      report = std::move(m_bus.reports[m_path].front());
      m_bus.reports[m_path].pop_front();
      return ReadStatus::Data;
    }
    return m_bus.unplugged.count(m_path) ? ReadStatus::Gone : ReadStatus::Timeout;
  }
  std::vector<uint8_t> ReportDescriptor() override {
    std::lock_guard g(m_bus.mu);
    return m_bus.descriptors[m_path];
  }
  std::string LastError() const override { return "fake"; }

 private:
  FakeBus& m_bus;
  std::string m_path;
};

class FakeTransport final : public UsbTransport {
 public:
  explicit FakeTransport(FakeBus& bus) : m_bus(bus) {}
  Status Init() override { return {}; }
  std::vector<UsbDevice> Enumerate() override {
    std::lock_guard g(m_bus.mu);
    m_bus.arrived.clear();
    return m_bus.devices;
  }
  Result<std::unique_ptr<UsbHandle>> Open(const UsbDevice& d, const UsbInterface&) override {
    std::lock_guard g(m_bus.mu);
    if (m_bus.failing_opens > 0) {
      --m_bus.failing_opens;
      return MakeError(ErrorKind::Storage, "scanner.usb_claim", "cannot claim the scanner at USB " + d.path + ": Resource busy");
    }
    ++m_bus.opens;
    return std::unique_ptr<UsbHandle>(new FakeHandle(m_bus, d.path));
  }
  bool HasHotplug() const override { return m_bus.hotplug; }
  void PollHotplug(int timeout_ms, std::vector<UsbDevice>& arrived, std::vector<std::string>& left) override {
    std::unique_lock lock(m_bus.mu);
    m_bus.cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !m_bus.arrived.empty() || !m_bus.left.empty(); });
    arrived.swap(m_bus.arrived);
    left.swap(m_bus.left);
    m_bus.arrived.clear();
    m_bus.left.clear();
  }

 private:
  FakeBus& m_bus;
};

// A USB bus with nothing on it and no hotplug: what a machine without USB looks like to libusb.
class EmptyBus final : public UsbTransport {
 public:
  Status Init() override { return {}; }
  std::vector<UsbDevice> Enumerate() override { return m_devices; }
  Result<std::unique_ptr<UsbHandle>> Open(const UsbDevice&, const UsbInterface&) override {
    return MakeError(ErrorKind::Storage, "test", "no");
  }
  bool HasHotplug() const override { return false; }
  void PollHotplug(int, std::vector<UsbDevice>&, std::vector<std::string>&) override {}
  std::vector<UsbDevice> m_devices;
};

}  // namespace kiosk::test
