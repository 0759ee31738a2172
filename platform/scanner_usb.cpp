#include "platform/scanner_usb.hpp"

#include <cstdio>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "kiosk/core/scan/hid_pos.hpp"

namespace kiosk::platform {

Result<UsbId> ParseUsbId(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorKind::Usage, "scanner.usb_id",
                     "\"" + std::string(text) + "\" is not a USB id: write VID:PID in hex, like 0c2e:0b61 (or 0c2e:* for any product)");
  };
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return bad();
  auto hex = [](std::string_view s, uint16_t& out) {
    if (s.empty() || s.size() > 4) return false;
    unsigned v = 0;
    for (char c : s) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<unsigned>(d);
    }
    out = static_cast<uint16_t>(v);
    return true;
  };
  UsbId id;
  uint16_t pid = 0;
  if (!hex(text.substr(0, colon), id.vid)) return bad();
  std::string_view p = text.substr(colon + 1);
  if (p != "*") {
    if (!hex(p, pid)) return bad();
    id.pid = pid;
  }
  return id;
}

Result<std::vector<UsbId>> LoadScannerIds(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return MakeError(ErrorKind::Usage, "scanners.unreadable", "cannot read the scanner list " + file.string());
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  auto err = [&](const std::string& what) { return MakeError(ErrorKind::Usage, "scanners.invalid", file.string() + ": " + what); };
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("scanners") || !doc["scanners"].is_array()) {
    return err("must be a JSON object with a \"scanners\" list");
  }
  std::vector<UsbId> ids;
  for (size_t i = 0; i < doc["scanners"].size(); ++i) {
    const auto& s = doc["scanners"][i];
    std::string path = "/scanners/" + std::to_string(i);
    if (!s.is_object() || !s.contains("vid") || !s["vid"].is_string() || !s.contains("pid") || !s["pid"].is_string()) {
      return err(path + ": needs \"vid\" and \"pid\" as hex strings");
    }
    auto id = ParseUsbId(s["vid"].get<std::string>() + ":" + s["pid"].get<std::string>());
    if (!id.ok()) return err(path + ": " + id.error().message);
    id->vendor = s.value("vendor", "");
    id->model = s.value("model", "");
    if (s.contains("layout")) {
      auto l = scan::ParseLayout(s.value("layout", ""));
      if (!l) return err(path + "/layout: not one of us, de, fr, fi-se, pl, ru");
      id->layout = l;
    }
    ids.push_back(std::move(*id));
  }
  return ids;
}

struct UsbScannerSource::Reader {
  std::string id;
  std::string path;
  std::string name;
  std::string transport;  // usb-hid-keyboard | usb-hid-pos
  scan::DecoderOptions decoder;
  std::unique_ptr<UsbHandle> handle;
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> scans{0};
  mutable std::mutex mu;
  std::string state = "reading";
  std::string detail;
};

UsbScannerSource::UsbScannerSource(UsbSourceOptions options, std::unique_ptr<UsbTransport> transport)
    : m_options(std::move(options)), m_transport(std::move(transport)) {}

UsbScannerSource::~UsbScannerSource() { Stop(); }

Status UsbScannerSource::Start(ScanQueue& queue) {
  KIOSK_TRY(m_transport->Init());
  m_queue = &queue;
  m_stop = false;
  for (const UsbDevice& d : m_transport->Enumerate()) Attach(d);
  m_manager = std::thread([this] { Manage(); });
  return {};
}

void UsbScannerSource::Manage() {
  // Hotplug events alone are not enough: an arrival can come before the kernel has configured the
  // device (its descriptors are not readable yet), or while usbhid is still binding (the claim
  // fails). Either way that device would be lost until the next plug. So the list is also walked
  // every rescan_ms, hotplug or not; Attach skips what is already being read.
  auto last_rescan = std::chrono::steady_clock::now();
  while (!m_stop) {
    std::vector<UsbDevice> arrived;
    std::vector<std::string> left;
    if (m_transport->HasHotplug()) {
      m_transport->PollHotplug(200, arrived, left);
    } else {
      std::unique_lock lock(m_stop_mu);
      m_stop_cv.wait_for(lock, std::chrono::milliseconds(std::min(200, m_options.rescan_ms)), [&] { return m_stop.load(); });
    }
    if (m_stop) break;
    if (std::chrono::steady_clock::now() - last_rescan >= std::chrono::milliseconds(m_options.rescan_ms)) {
      last_rescan = std::chrono::steady_clock::now();
      std::set<std::string> present;
      for (UsbDevice& d : m_transport->Enumerate()) {
        present.insert(d.path);
        arrived.push_back(std::move(d));
      }
      std::lock_guard g(m_mu);
      for (const auto& [id, r] : m_readers) {
        if (!present.count(r->path)) left.push_back(r->path);
      }
    }
    for (const std::string& p : left) Detach(p);
    ReapFinished();
    for (const UsbDevice& d : arrived) Attach(d);
  }
}

void UsbScannerSource::Attach(const UsbDevice& d) {
  const UsbId* match = nullptr;
  for (const UsbId& id : m_options.ids) {
    if (id.Matches(d.vid, d.pid)) {
      match = &id;
      break;
    }
  }
  if (!match) return;  // not a scanner: never touched (the real keyboard stays with the desktop)
  for (const UsbInterface& iface : d.interfaces) {
    if (iface.cls != 3 || iface.endpoint_in == 0) continue;
    char vp[16];
    std::snprintf(vp, sizeof vp, "%04x:%04x", d.vid, d.pid);
    std::string id = "usb:" + std::string(vp) + "@" + d.path + (d.interfaces.size() > 1 ? "/" + std::to_string(iface.number) : "");
    {
      std::lock_guard g(m_mu);
      if (m_readers.count(id)) continue;  // already reading it
    }
    auto handle = m_transport->Open(d, iface);
    if (!handle.ok()) {
      if (m_open_failed.insert(id).second) m_queue->Push(ScannerEvent{id, "error", handle.error().message});
      continue;
    }
    m_open_failed.erase(id);
    std::string transport;
    if (iface.subclass == 1 && iface.protocol == 1) {
      transport = "usb-hid-keyboard";
    } else {
      auto desc = (*handle)->ReportDescriptor();
      switch (scan::ClassifyReportDescriptor(desc)) {
        case scan::HidInterfaceKind::Keyboard: transport = "usb-hid-keyboard"; break;
        case scan::HidInterfaceKind::BarcodePos: transport = "usb-hid-pos"; break;
        case scan::HidInterfaceKind::Other: continue;  // a vendor interface: release it again
      }
    }
    auto r = std::make_unique<Reader>();
    r->id = id;
    r->path = d.path;
    r->name = !match->model.empty() ? match->vendor + " " + match->model : d.product.empty() ? std::string(vp) : d.product;
    r->transport = transport;
    if (m_options.decoder_for) {
      r->decoder = m_options.decoder_for(match, d.vid, d.pid);
      r->decoder.timeout_ms = m_options.decoder.timeout_ms;
    } else {
      r->decoder = m_options.decoder;
      if (match->layout) r->decoder.layout = *match->layout;
    }
    r->handle = std::move(handle).value();
    Reader* raw = r.get();
    {
      std::lock_guard g(m_mu);
      m_readers[id] = std::move(r);
    }
    raw->thread = std::thread([this, raw] { ReadLoop(*raw); });
    m_queue->Push(ScannerEvent{id, "attached", raw->name + " (" + transport + ")"});
  }
}

void UsbScannerSource::ReadLoop(Reader& r) {
  scan::HidDecoder decoder(r.decoder);
  scan::HidPosAssembler pos;
  std::vector<uint8_t> buf;
  std::vector<scan::DecodedScan> out;
  int errors = 0;
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  auto push = [&](std::string text, std::string symbology, std::string terminator) {
    Scan s{std::move(text), std::move(symbology), r.id, std::chrono::system_clock::now(), std::move(terminator)};
    if (s.symbology.empty()) SplitAim(s.text, s.symbology);
    ++r.scans;  // before the push: whoever drains the scan must already see it counted
    m_queue->Push(std::move(s));
  };
  while (!m_stop) {
    auto st = r.handle->Read(buf, m_options.read_timeout_ms);
    if (st == UsbHandle::ReadStatus::Gone) {
      // Unplugged. Completed scans are already in the queue; a half-read scan is not a scan.
      std::lock_guard g(r.mu);
      r.state = "detached";
      r.detail = decoder.Pending() ? "unplugged during a scan; the incomplete scan was dropped" : "unplugged";
      break;
    }
    if (st == UsbHandle::ReadStatus::Error) {
      if (++errors >= 20) {
        std::lock_guard g(r.mu);
        r.state = "error";
        r.detail = r.handle->LastError();
        break;
      }
      continue;
    }
    errors = 0;
    if (st == UsbHandle::ReadStatus::Timeout) {
      decoder.Tick(now_ms(), out);
    } else if (r.transport == "usb-hid-pos") {
      if (auto got = pos.Feed(buf)) push(std::move(got->text), std::move(got->symbology), "hid-pos");
    } else {
      // Composite keyboards in report protocol prefix a report id; a boot report is 8 bytes.
      std::span<const uint8_t> rep(buf);
      if (rep.size() == 9) rep = rep.subspan(1);
      decoder.Feed(rep, now_ms(), out);
    }
    for (auto& d : out) push(std::move(d.text), "", std::string(scan::ToString(d.terminator)));
    out.clear();
  }
  std::string state, detail;
  {
    std::lock_guard g(r.mu);
    state = r.state;
    detail = r.detail;
  }
  if (!m_stop) m_queue->Push(ScannerEvent{r.id, state == "detached" ? "detached" : "error", r.name + ": " + detail});
  r.done = true;
}

void UsbScannerSource::Detach(const std::string& path) {
  std::vector<std::unique_ptr<Reader>> gone;
  {
    std::lock_guard g(m_mu);
    for (auto it = m_readers.begin(); it != m_readers.end();) {
      if (it->second->path == path && it->second->done) {
        gone.push_back(std::move(it->second));
        it = m_readers.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : gone) {
    if (r->thread.joinable()) r->thread.join();
  }
}

void UsbScannerSource::ReapFinished() {
  std::vector<std::unique_ptr<Reader>> gone;
  {
    std::lock_guard g(m_mu);
    for (auto it = m_readers.begin(); it != m_readers.end();) {
      if (it->second->done) {
        gone.push_back(std::move(it->second));
        it = m_readers.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : gone) {
    if (r->thread.joinable()) r->thread.join();
    // ~Reader destroys the handle: release + re-attach (a no-op on a device that is gone).
  }
}

void UsbScannerSource::Stop() {
  m_stop = true;
  m_stop_cv.notify_all();
  if (m_manager.joinable()) m_manager.join();
  std::map<std::string, std::unique_ptr<Reader>> readers;
  {
    std::lock_guard g(m_mu);
    readers.swap(m_readers);
  }
  for (auto& [id, r] : readers) {
    if (r->thread.joinable()) r->thread.join();
  }
  readers.clear();  // releases every interface and re-attaches the kernel drivers
}

std::vector<ScannerInfo> UsbScannerSource::Scanners() const {
  std::vector<ScannerInfo> out;
  std::lock_guard g(m_mu);
  for (const auto& [id, r] : m_readers) {
    std::lock_guard rg(r->mu);
    out.push_back(ScannerInfo{id, r->name, r->transport, r->state,
                              (r->transport == "usb-hid-keyboard" ? "layout " + std::string(scan::ToString(r->decoder.layout)) : std::string("HID POS")) +
                                  (r->detail.empty() ? "" : "; " + r->detail),
                              r->scans.load()});
  }
  return out;
}

}  // namespace kiosk::platform
