// The libusb transport of UsbScannerSource. Only this file includes libusb.
#include <libusb-1.0/libusb.h>

#include <sys/time.h>

#include <filesystem>
#include <mutex>

#include "platform/scanner_usb.hpp"

namespace kiosk::platform {
namespace {

std::string PathOf(libusb_device* dev) {
  uint8_t ports[8];
  int n = libusb_get_port_numbers(dev, ports, 8);
  std::string p = std::to_string(libusb_get_bus_number(dev)) + "-";
  for (int i = 0; i < n; ++i) p += (i ? "." : "") + std::to_string(ports[i]);
  return p;
}

class LibusbHandle final : public UsbHandle {
 public:
  LibusbHandle(libusb_device_handle* h, int iface, uint8_t ep, uint16_t max_packet, bool detached)
      : m_h(h), m_iface(iface), m_ep(ep), m_max(max_packet), m_detached(detached) {}
  ~LibusbHandle() override {
    libusb_release_interface(m_h, m_iface);
    if (m_detached) libusb_attach_kernel_driver(m_h, m_iface);  // give the keyboard back to the desktop
    libusb_close(m_h);
  }
  ReadStatus Read(std::vector<uint8_t>& report, int timeout_ms) override {
    report.resize(m_max ? m_max : 64);
    int got = 0;
    int rc = libusb_interrupt_transfer(m_h, m_ep, report.data(), static_cast<int>(report.size()), &got, static_cast<unsigned>(timeout_ms));
    if (rc == LIBUSB_ERROR_TIMEOUT && got == 0) return ReadStatus::Timeout;
    if (rc == LIBUSB_ERROR_NO_DEVICE) return ReadStatus::Gone;
    if (rc != 0 && rc != LIBUSB_ERROR_TIMEOUT) {
      m_error = libusb_strerror(static_cast<libusb_error>(rc));
      return ReadStatus::Error;
    }
    report.resize(static_cast<size_t>(got));
    return ReadStatus::Data;
  }
  std::vector<uint8_t> ReportDescriptor() override {
    std::vector<uint8_t> buf(1024);
    int n = libusb_control_transfer(m_h, 0x81 /* device-to-host, standard, interface */, LIBUSB_REQUEST_GET_DESCRIPTOR,
                                    (LIBUSB_DT_REPORT << 8), static_cast<uint16_t>(m_iface), buf.data(),
                                    static_cast<uint16_t>(buf.size()), 1000);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  }
  std::string LastError() const override { return m_error; }

 private:
  libusb_device_handle* m_h;
  int m_iface;
  uint8_t m_ep;
  uint16_t m_max;
  bool m_detached;
  std::string m_error;
};

class LibusbTransport final : public UsbTransport {
 public:
  ~LibusbTransport() override {
    if (m_hotplug_registered) libusb_hotplug_deregister_callback(m_ctx, m_hotplug);
    if (m_ctx) libusb_exit(m_ctx);
  }

  Status Init() override {
    // Without a USB bus (containers, qemu-user, this build machine) discovery can spin; asking
    // for none makes an empty, working context.
    m_no_usb = !std::filesystem::exists("/dev/bus/usb");
    if (m_no_usb) libusb_set_option(nullptr, LIBUSB_OPTION_NO_DEVICE_DISCOVERY);
    int rc = libusb_init(&m_ctx);
    if (rc != 0) {
      m_ctx = nullptr;
      return MakeError(ErrorKind::Storage, "scanner.libusb_init", std::string("libusb could not start: ") + libusb_strerror(static_cast<libusb_error>(rc)));
    }
    if (!m_no_usb && libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
      rc = libusb_hotplug_register_callback(
          m_ctx, static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
          LIBUSB_HOTPLUG_NO_FLAGS, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
          &LibusbTransport::OnHotplug, this, &m_hotplug);
      m_hotplug_registered = rc == LIBUSB_SUCCESS;
    }
    return {};
  }

  std::vector<UsbDevice> Enumerate() override {
    std::vector<UsbDevice> out;
    if (!m_ctx) return out;
    libusb_device** list = nullptr;
    ssize_t n = libusb_get_device_list(m_ctx, &list);
    for (ssize_t i = 0; i < n; ++i) {
      if (auto d = Describe(list[i])) out.push_back(std::move(*d));
    }
    if (list) libusb_free_device_list(list, 1);
    return out;
  }

  Result<std::unique_ptr<UsbHandle>> Open(const UsbDevice& d, const UsbInterface& iface) override {
    auto* dev = static_cast<libusb_device*>(d.native.get());
    libusb_device_handle* h = nullptr;
    int rc = libusb_open(dev, &h);
    if (rc != 0) {
      std::string hint = rc == LIBUSB_ERROR_ACCESS ? " (install assets/udev/70-kiosk-scanners.rules, see docs/scanners.md)" : "";
      return MakeError(ErrorKind::Storage, "scanner.usb_open",
                       "cannot open the scanner at USB " + d.path + ": " + libusb_strerror(static_cast<libusb_error>(rc)) + hint);
    }
    bool detached = false;
    if (libusb_kernel_driver_active(h, iface.number) == 1) {
      rc = libusb_detach_kernel_driver(h, iface.number);
      if (rc != 0) {
        libusb_close(h);
        return MakeError(ErrorKind::Storage, "scanner.usb_detach",
                         "cannot take the scanner at USB " + d.path + " from the kernel: " + libusb_strerror(static_cast<libusb_error>(rc)));
      }
      detached = true;
    }
    rc = libusb_claim_interface(h, iface.number);
    if (rc != 0) {
      if (detached) libusb_attach_kernel_driver(h, iface.number);
      libusb_close(h);
      return MakeError(ErrorKind::Storage, "scanner.usb_claim",
                       "cannot claim the scanner at USB " + d.path + ": " + libusb_strerror(static_cast<libusb_error>(rc)) +
                           (rc == LIBUSB_ERROR_BUSY ? " (another program is using it)" : ""));
    }
    if (iface.subclass == 1 && iface.protocol == 1) {
      // SET_PROTOCOL(boot): 8-byte reports whatever the report descriptor says.
      libusb_control_transfer(h, 0x21 /* host-to-device, class, interface */, 0x0B, 0,
                              static_cast<uint16_t>(iface.number), nullptr, 0, 500);
    }
    return std::unique_ptr<UsbHandle>(new LibusbHandle(h, iface.number, iface.endpoint_in, iface.max_packet, detached));
  }

  bool HasHotplug() const override { return m_hotplug_registered; }

  void PollHotplug(int timeout_ms, std::vector<UsbDevice>& arrived, std::vector<std::string>& left) override {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    libusb_handle_events_timeout_completed(m_ctx, &tv, nullptr);
    std::vector<libusb_device*> came;
    {
      std::lock_guard g(m_mu);
      came.swap(m_arrived);
      left.insert(left.end(), m_left.begin(), m_left.end());
      m_left.clear();
    }
    for (libusb_device* dev : came) {
      if (auto d = Describe(dev)) arrived.push_back(std::move(*d));
      libusb_unref_device(dev);
    }
  }

 private:
  static int LIBUSB_CALL OnHotplug(libusb_context*, libusb_device* dev, libusb_hotplug_event event, void* user) {
    // A C callback: nothing may throw out of it; descriptors are read later, outside the callback.
    try {
      auto* self = static_cast<LibusbTransport*>(user);
      std::lock_guard g(self->m_mu);
      if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
        self->m_arrived.push_back(libusb_ref_device(dev));
      } else {
        self->m_left.push_back(PathOf(dev));
      }
    } catch (...) {
    }
    return 0;
  }

  std::optional<UsbDevice> Describe(libusb_device* dev) {
    libusb_device_descriptor dd{};
    if (libusb_get_device_descriptor(dev, &dd) != 0) return std::nullopt;
    UsbDevice d;
    d.vid = dd.idVendor;
    d.pid = dd.idProduct;
    d.path = PathOf(dev);
    libusb_config_descriptor* cfg = nullptr;
    if (libusb_get_active_config_descriptor(dev, &cfg) != 0 || !cfg) return std::nullopt;
    for (int i = 0; i < cfg->bNumInterfaces; ++i) {
      if (cfg->interface[i].num_altsetting < 1) continue;
      const libusb_interface_descriptor& alt = cfg->interface[i].altsetting[0];
      if (alt.bInterfaceClass != LIBUSB_CLASS_HID) continue;
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& ep = alt.endpoint[e];
        if ((ep.bEndpointAddress & LIBUSB_ENDPOINT_IN) && (ep.bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
          d.interfaces.push_back(UsbInterface{alt.bInterfaceNumber, alt.bInterfaceClass, alt.bInterfaceSubClass,
                                              alt.bInterfaceProtocol, ep.bEndpointAddress, ep.wMaxPacketSize});
          break;
        }
      }
    }
    libusb_free_config_descriptor(cfg);
    d.native = std::shared_ptr<void>(libusb_ref_device(dev), [](void* p) { libusb_unref_device(static_cast<libusb_device*>(p)); });
    return d;
  }

  libusb_context* m_ctx = nullptr;
  bool m_no_usb = false;
  bool m_hotplug_registered = false;
  libusb_hotplug_callback_handle m_hotplug = 0;
  std::mutex m_mu;
  std::vector<libusb_device*> m_arrived;
  std::vector<std::string> m_left;
};

}  // namespace

std::unique_ptr<UsbTransport> MakeLibusbTransport() { return std::make_unique<LibusbTransport>(); }

}  // namespace kiosk::platform
