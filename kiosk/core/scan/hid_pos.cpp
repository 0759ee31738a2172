#include "kiosk/core/scan/hid_pos.hpp"

namespace kiosk::scan {

HidInterfaceKind ClassifyReportDescriptor(std::span<const uint8_t> d) {
  uint32_t page = 0;
  bool keyboard = false;
  for (size_t i = 0; i < d.size();) {
    uint8_t prefix = d[i];
    if (prefix == 0xFE) {  // long item: skip its data
      if (i + 1 >= d.size()) break;
      i += 3 + d[i + 1];
      continue;
    }
    size_t size = prefix & 3;
    if (size == 3) size = 4;
    if (i + 1 + size > d.size()) break;
    uint32_t value = 0;
    for (size_t k = 0; k < size; ++k) value |= static_cast<uint32_t>(d[i + 1 + k]) << (8 * k);
    uint8_t tag = prefix & 0xFC;
    if (tag == 0x04) {  // Usage Page (global)
      page = value;
      if (page == 0x8C) return HidInterfaceKind::BarcodePos;
    } else if (tag == 0x08) {  // Usage (local)
      uint32_t p = size == 4 ? value >> 16 : page;
      uint32_t u = size == 4 ? value & 0xFFFF : value;
      if (p == 0x8C) return HidInterfaceKind::BarcodePos;
      if (p == 0x01 && u == 0x06) keyboard = true;
    }
    i += 1 + size;
  }
  return keyboard ? HidInterfaceKind::Keyboard : HidInterfaceKind::Other;
}

std::optional<HidPosAssembler::Result> HidPosAssembler::Feed(std::span<const uint8_t> r) {
  if (r.size() < 6 || r[0] != 0x02) {
    ++m_malformed;
    return std::nullopt;
  }
  size_t len = r[1];
  if (5 + len > r.size()) {
    ++m_malformed;
    len = r.size() - 5;
  }
  if (m_text.empty()) {
    m_symbology.clear();
    if (r[3] >= 0x21 && r[3] < 0x7F && r[4] >= 0x21 && r[4] < 0x7F) {
      m_symbology = std::string("]") + static_cast<char>(r[3]) + static_cast<char>(r[4]);
    }
  }
  m_text.append(reinterpret_cast<const char*>(r.data() + 5), len);
  const bool more = (r.back() & 1) && r.size() >= 64;
  if (more && m_text.size() < 65536) return std::nullopt;
  Result out{std::move(m_text), std::move(m_symbology)};
  m_text.clear();
  m_symbology.clear();
  return out;
}

}  // namespace kiosk::scan
