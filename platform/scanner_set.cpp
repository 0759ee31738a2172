#include "platform/scanner_set.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "platform/scanner_evdev.hpp"
#include "platform/scanner_replay.hpp"
#include "platform/scanner_serial.hpp"
#include "platform/scanner_wedge.hpp"

namespace kiosk::platform {
namespace fs = std::filesystem;

namespace {

bool Has(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string VidPid(uint16_t vid, uint16_t pid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%04x", vid, pid);
  return buf;
}

std::string ReadLine(const fs::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

// A keyboard node of the kernel's input layer: /sys/class/input/eventN with its USB ids.
struct InputNode {
  std::string node;   // "/dev/input/event5"
  std::string name;   // "Honeywell Imaging & Mobility 1900"
  uint16_t vid = 0, pid = 0;
};

std::vector<InputNode> InputNodes(const fs::path& sysfs, const fs::path& dev_dir) {
  std::vector<InputNode> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sysfs, ec)) {
    std::string n = e.path().filename();
    if (n.rfind("event", 0) != 0) continue;
    const fs::path id = e.path() / "device" / "id";
    InputNode in;
    in.node = (dev_dir / "input" / n).string();
    in.name = ReadLine(e.path() / "device" / "name");
    in.vid = static_cast<uint16_t>(std::strtoul(ReadLine(id / "vendor").c_str(), nullptr, 16));
    in.pid = static_cast<uint16_t>(std::strtoul(ReadLine(id / "product").c_str(), nullptr, 16));
    out.push_back(std::move(in));
  }
  return out;
}

const UsbId* Match(const std::vector<UsbId>& ids, uint16_t vid, uint16_t pid) {
  for (const UsbId& id : ids) {
    if (id.Matches(vid, pid)) return &id;
  }
  return nullptr;
}

// The known scanner models plus kiosk.json's own ids; a broken scanners.json is reported, not fatal.
std::vector<UsbId> KnownIds(const ScannerSetOptions& o, std::string& error) {
  std::vector<UsbId> ids;
  if (!o.scanners_json.empty()) {
    auto loaded = LoadScannerIds(o.scanners_json);
    if (loaded.ok()) {
      ids = std::move(*loaded);
    } else {
      error = loaded.error().message;
    }
  }
  // kiosk.json's entries come first: their settings win over the model list's.
  std::vector<UsbId> own;
  for (const std::string& text : o.config.usb_ids) {
    if (auto id = ParseUsbId(text); id.ok()) own.push_back(*id);
  }
  ids.insert(ids.begin(), own.begin(), own.end());
  return ids;
}

ScannerInfo Row(std::string id, std::string name, std::string transport, std::string state, std::string detail) {
  return ScannerInfo{std::move(id), std::move(name), std::move(transport), std::move(state), std::move(detail), 0};
}

}  // namespace

scan::DecoderOptions DecoderFor(const ScannerConfig& config, const UsbId* model, uint16_t vid, uint16_t pid) {
  scan::DecoderOptions d;
  if (auto l = scan::ParseLayout(config.layout)) d.layout = *l;
  if (model && model->layout) d.layout = *model->layout;
  d.enter_terminates = Has(config.terminators, "enter");
  d.tab_terminates = Has(config.terminators, "tab");
  d.suffix = config.suffix;
  for (const ScannerDeviceConfig& dev : config.devices) {
    auto id = ParseUsbId(dev.id);
    if (!id.ok() || !id->Matches(vid, pid)) continue;
    if (auto l = scan::ParseLayout(dev.layout); !dev.layout.empty() && l) d.layout = *l;
    if (dev.terminators) {
      d.enter_terminates = Has(*dev.terminators, "enter");
      d.tab_terminates = Has(*dev.terminators, "tab");
    }
    if (dev.suffix) d.suffix = *dev.suffix;
    break;
  }
  return d;
}

ScannerSet::ScannerSet(ScannerSetOptions options) : m_options(std::move(options)) {
  m_ids = KnownIds(m_options, m_ids_error);
}

ScannerSet::~ScannerSet() { Stop(); }

void ScannerSet::Start(ScanQueue& queue) {
  m_queue = &queue;
  const ScannerConfig& c = m_options.config;
  if (Has(c.sources, "usb")) {
    UsbSourceOptions o;
    o.ids = m_ids;
    const ScannerConfig config = c;
    o.decoder_for = [config](const UsbId* model, uint16_t vid, uint16_t pid) { return DecoderFor(config, model, vid, pid); };
    auto usb = std::make_unique<UsbScannerSource>(std::move(o), m_options.make_usb_transport());
    if (auto st = usb->Start(queue); st.ok()) {
      m_usb = usb.get();
      m_sources.push_back(std::move(usb));
    } else {
      m_start_errors.push_back(Row("usb", "USB scanners (libusb)", "usb", "error", st.error().message));
    }
  }
  if (Has(c.sources, "serial")) {
    SerialOptions o;
    o.path = c.serial_port;
    o.baud = c.serial_baud;
    o.suffix = c.suffix;
    auto serial = std::make_unique<SerialSource>(std::move(o));
    if (auto st = serial->Start(queue); st.ok()) {
      m_sources.push_back(std::move(serial));
    } else {
      m_start_errors.push_back(Row("serial:" + c.serial_port, c.serial_port, "serial", "error", st.error().message));
    }
  }
  if (Has(c.sources, "replay")) {
    ReplayOptions o;
    o.file = c.replay_file;
    if (auto l = scan::ParseLayout(c.layout)) o.layout = *l;
    auto replay = std::make_unique<ReplaySource>(std::move(o));
    if (auto st = replay->Start(queue); st.ok()) {
      m_sources.push_back(std::move(replay));
    } else {
      m_start_errors.push_back(Row("replay", c.replay_file, "replay", "error", st.error().message));
    }
  }
  if (m_options.scan_fifo) {
    ReplayOptions o;
    o.file = *m_options.scan_fifo;
    o.format = ReplayFormat::Lines;
    o.source_id = kScanFifoId;
    auto fifo = std::make_unique<ReplaySource>(std::move(o));
    if (auto st = fifo->Start(queue); st.ok()) {
      m_sources.push_back(std::move(fifo));
    } else {
      m_start_errors.push_back(Row(kScanFifoId, m_options.scan_fifo->string(), "replay", "error", st.error().message));
    }
  }
  if (Has(c.sources, "wedge")) {
    scan::WedgeOptions w;
    w.max_gap_ms = c.wedge_max_gap_ms;
    m_wedge = std::make_unique<WedgeSource>(w);
    (void)m_wedge->Start(queue);
  }
  if (Has(c.sources, "evdev")) {
    m_stop = false;
    RescanEvdev();
    m_evdev_thread = std::thread([this] { EvdevLoop(); });
  }
}

void ScannerSet::EvdevLoop() {
  while (!m_stop) {
    std::unique_lock lock(m_stop_mu);
    m_stop_cv.wait_for(lock, std::chrono::milliseconds(m_options.evdev_rescan_ms), [&] { return m_stop.load(); });
    lock.unlock();
    if (m_stop) break;
    RescanEvdev();
  }
}

void ScannerSet::RescanEvdev() {
  // Nodes libusb holds have no kernel driver, so they are not listed here at all. A node is taken
  // only on its second sighting: a scanner libusb can claim disappears from the input layer within
  // that second, and only those libusb could not take (or all, without "usb") stay for evdev.
  std::vector<InputNode> nodes = InputNodes(m_options.input_sysfs, m_options.dev_dir);
  std::vector<std::unique_ptr<EvdevSource>> finished;
  {
    std::lock_guard g(m_evdev_mu);
    std::map<std::string, int> seen;
    for (const InputNode& n : nodes) {
      const UsbId* model = Match(m_ids, n.vid, n.pid);
      if (!model) continue;  // a real keyboard: never grabbed
      int count = m_evdev_seen.count(n.node) ? m_evdev_seen[n.node] + 1 : 1;
      seen[n.node] = count;
      if (m_evdev.count(n.node) || (m_usb && count < 2)) continue;
      EvdevOptions o;
      o.path = n.node;
      o.decoder = DecoderFor(m_options.config, model, n.vid, n.pid);
      auto src = std::make_unique<EvdevSource>(std::move(o));
      if (auto st = src->Start(*m_queue); st.ok()) {
        m_evdev[n.node] = std::move(src);
        m_queue->Push(ScannerEvent{"evdev:" + n.node, "attached", n.name + " (" + VidPid(n.vid, n.pid) + ", evdev)"});
      } else if (count == 2 || !m_usb) {
        m_queue->Push(ScannerEvent{"evdev:" + n.node, "error", st.error().message});
      }
    }
    m_evdev_seen = std::move(seen);
    for (auto it = m_evdev.begin(); it != m_evdev.end();) {
      auto info = it->second->Scanners();
      bool gone = !m_evdev_seen.count(it->first) || (!info.empty() && info[0].state == "error");
      if (gone) {
        finished.push_back(std::move(it->second));
        it = m_evdev.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& f : finished) f->Stop();
}

void ScannerSet::Stop() {
  m_stop = true;
  m_stop_cv.notify_all();
  if (m_evdev_thread.joinable()) m_evdev_thread.join();
  {
    std::lock_guard g(m_evdev_mu);
    for (auto& [node, src] : m_evdev) src->Stop();
    m_evdev.clear();
  }
  for (auto& s : m_sources) s->Stop();
  m_sources.clear();
  m_usb = nullptr;
  if (m_wedge) m_wedge->Stop();
}

std::vector<ScannerInfo> ScannerSet::Health() const {
  const ScannerConfig& c = m_options.config;
  std::vector<ScannerInfo> out = m_start_errors;
  if (!m_ids_error.empty()) out.push_back(Row("usb", "scanner models", "usb", "error", m_ids_error));
  bool usb_any = false, evdev_any = false;
  for (const auto& s : m_sources) {
    for (auto& i : s->Scanners()) {
      usb_any |= s.get() == m_usb;
      out.push_back(std::move(i));
    }
  }
  {
    std::lock_guard g(m_evdev_mu);
    for (const auto& [node, src] : m_evdev) {
      for (auto& i : src->Scanners()) {
        evdev_any = true;
        out.push_back(std::move(i));
      }
    }
  }
  if (m_usb && !usb_any) {
    out.push_back(Row("usb", "USB scanners (libusb)", "usb", "waiting",
                      "no known scanner attached (" + std::to_string(m_ids.size()) + " VID:PID entries)"));
  }
  if (Has(c.sources, "evdev") && !evdev_any && !usb_any) {
    out.push_back(Row("evdev", "keyboard-mode scanners (evdev)", "evdev", "waiting", "no known scanner keyboard"));
  }
  if (m_wedge) {
    for (auto& i : m_wedge->Scanners()) out.push_back(std::move(i));
  }
  return out;
}

std::vector<ScannerInfo> ScannerSet::Probe(const ScannerSetOptions& options) {
  const ScannerConfig& c = options.config;
  std::string ids_error;
  std::vector<UsbId> ids = KnownIds(options, ids_error);
  std::vector<ScannerInfo> out;
  if (!ids_error.empty()) out.push_back(Row("usb", "scanner models", "usb", "error", ids_error));
  bool usb_found = false;
  if (Has(c.sources, "usb")) {
    // Enumerating reads descriptors only: it takes nothing from a running kiosk.
    auto transport = options.make_usb_transport();
    if (auto st = transport->Init(); !st.ok()) {
      out.push_back(Row("usb", "USB scanners (libusb)", "usb", "error", st.error().message));
    } else {
      for (const UsbDevice& d : transport->Enumerate()) {
        const UsbId* m = Match(ids, d.vid, d.pid);
        if (!m) continue;
        usb_found = true;
        scan::DecoderOptions dec = DecoderFor(c, m, d.vid, d.pid);
        std::string name = d.product.empty() ? m->vendor + " " + m->model : d.product;
        out.push_back(Row("usb:" + VidPid(d.vid, d.pid) + "@" + d.path, name, "usb", "found",
                          VidPid(d.vid, d.pid) + " at " + d.path + ", layout " + std::string(scan::ToString(dec.layout))));
      }
      if (!usb_found) {
        std::error_code ec;
        out.push_back(Row("usb", "USB scanners (libusb)", "usb", "waiting",
                          std::string("no known scanner attached") +
                              (fs::exists(options.dev_dir / "bus" / "usb", ec) ? "" : " (this machine has no USB bus)")));
      }
    }
  }
  if (Has(c.sources, "evdev")) {
    bool any = false;
    for (const InputNode& n : InputNodes(options.input_sysfs, options.dev_dir)) {
      const UsbId* m = Match(ids, n.vid, n.pid);
      if (!m) continue;
      any = true;
      bool readable = ::access(n.node.c_str(), R_OK) == 0;
      out.push_back(Row("evdev:" + n.node, n.name, "evdev", readable ? "found" : "error",
                        VidPid(n.vid, n.pid) + (readable ? "" : ": no permission to read " + n.node + " (see docs/scanners.md, udev)")));
    }
    if (!any && !usb_found) out.push_back(Row("evdev", "keyboard-mode scanners (evdev)", "evdev", "waiting", "no known scanner keyboard"));
  }
  if (Has(c.sources, "serial")) {
    const std::string& port = c.serial_port;
    if (::access(port.c_str(), F_OK) != 0) {
      out.push_back(Row("serial:" + port, port, "serial", "error", port + " is not there"));
    } else if (::access(port.c_str(), R_OK | W_OK) != 0) {
      out.push_back(Row("serial:" + port, port, "serial", "error", port + " cannot be opened by this user (dialout group)"));
    } else {
      out.push_back(Row("serial:" + port, port, "serial", "found", std::to_string(c.serial_baud) + " baud"));
    }
  }
  if (Has(c.sources, "replay")) {
    std::error_code ec;
    bool there = fs::exists(c.replay_file, ec);
    out.push_back(Row("replay", c.replay_file, "replay", there ? "found" : "error", there ? "" : "file not found"));
  }
  if (Has(c.sources, "wedge")) out.push_back(Row("wedge", "keyboard wedge", "wedge", "found", "the window's keys"));
  return out;
}

std::string FormatHealth(const std::vector<ScannerInfo>& health) {
  std::string out;
  for (const ScannerInfo& i : health) {
    if (!out.empty()) out += "\n";
    out += i.name + " (" + i.transport + "): " + i.state;
    if (!i.detail.empty()) out += ", " + i.detail;
    if (i.state == "reading" || i.scans > 0) out += "; " + std::to_string(i.scans) + " scans";
  }
  if (out.empty()) out = "no scanner source is configured (scanner.sources in kiosk.json)";
  return out;
}

}  // namespace kiosk::platform
