#include "kiosk/core/scan/wedge_detector.hpp"

namespace kiosk::scan {
namespace {
void AppendUtf8(std::string& s, char32_t c) {
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
}
}  // namespace

void WedgeDetector::OnChar(char32_t c, int64_t t, std::vector<WedgeEvent>& out) {
  // A slow key means a person: what was held back goes to the field, and this key starts anew.
  if (Pending() && t - m_last_ms > m_options.max_gap_ms) {
    if (!m_options.require_terminator && m_chars >= m_options.min_length) Release(WedgeEvent::Type::Scan, out);
    else Release(WedgeEvent::Type::Typed, out);
  }
  if (!Pending()) m_first_ms = t;
  AppendUtf8(m_text, c);
  ++m_chars;
  m_last_ms = t;
}

void WedgeDetector::OnKey(WedgeKey key, int64_t t, std::vector<WedgeEvent>& out) {
  const bool terminates = key == WedgeKey::Enter ? m_options.enter_terminates : m_options.tab_terminates;
  const char* as_text = key == WedgeKey::Enter ? "\n" : "\t";
  if (Pending() && t - m_last_ms <= m_options.max_gap_ms && terminates && m_chars >= m_options.min_length) {
    Release(WedgeEvent::Type::Scan, out);
    return;
  }
  if (Pending() && t - m_last_ms <= m_options.max_gap_ms && !terminates) {
    m_text += as_text;  // part of a scan in progress
    ++m_chars;
    m_last_ms = t;
    return;
  }
  Tick(t, out);
  if (Pending()) Release(WedgeEvent::Type::Typed, out);
  out.push_back(WedgeEvent{WedgeEvent::Type::Typed, as_text, t, t});
}

void WedgeDetector::Tick(int64_t now, std::vector<WedgeEvent>& out) {
  if (!Pending() || now - m_last_ms <= m_options.max_gap_ms) return;
  if (!m_options.require_terminator && m_chars >= m_options.min_length) Release(WedgeEvent::Type::Scan, out);
  else Release(WedgeEvent::Type::Typed, out);
}

std::optional<int64_t> WedgeDetector::Deadline() const {
  if (!Pending()) return std::nullopt;
  return m_last_ms + m_options.max_gap_ms + 1;
}

void WedgeDetector::Release(WedgeEvent::Type type, std::vector<WedgeEvent>& out) {
  out.push_back(WedgeEvent{type, std::move(m_text), m_first_ms, m_last_ms});
  m_text.clear();
  m_chars = 0;
}

}  // namespace kiosk::scan
