#include "kiosk/core/scan/hid_decoder.hpp"

#include <algorithm>
#include <map>

namespace kiosk::scan {
namespace {

// Windows-1252 0x80..0x9F (what Alt+0128..0159 gives); 0 where it is undefined.
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0};

char32_t FromCp1252(uint32_t code) {
  if (code >= 0x80 && code < 0xA0) return kCp1252High[code - 0x80];
  return code;
}

int ToCp1252(char32_t c) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return static_cast<int>(c);
  for (int i = 0; i < 32; ++i) {
    if (kCp1252High[i] == c && c != 0) return 0x80 + i;
  }
  return -1;
}

bool IsKeypadDigit(uint8_t u) { return u >= usage::kKp1 && u <= usage::kKp0; }
int KeypadDigit(uint8_t u) { return u == usage::kKp0 ? 0 : u - usage::kKp1 + 1; }
bool IsLetterUsage(uint8_t u) { return u >= usage::kA && u < usage::kA + 26; }

}  // namespace

std::optional<HidReport> ParseReportHex(std::string_view line) {
  uint8_t bytes[8];
  int nibbles = 0;
  for (char c : line) {
    if (c == ' ' || c == ':' || c == '\t' || c == '\r') continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    if (nibbles >= 16) return std::nullopt;
    if (nibbles % 2 == 0) bytes[nibbles / 2] = static_cast<uint8_t>(v << 4);
    else bytes[nibbles / 2] |= static_cast<uint8_t>(v);
    ++nibbles;
  }
  if (nibbles != 16) return std::nullopt;
  HidReport r;
  r.modifiers = bytes[0];
  for (int i = 0; i < 6; ++i) r.keys[i] = bytes[2 + i];
  return r;
}

std::string ToHex(const HidReport& r) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  auto put = [&](uint8_t b) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  };
  put(r.modifiers);
  put(0);
  for (uint8_t k : r.keys) put(k);
  return out;
}

std::string_view ToString(Terminator t) {
  switch (t) {
    case Terminator::Enter: return "enter";
    case Terminator::Tab: return "tab";
    case Terminator::Suffix: return "suffix";
    case Terminator::Timeout: return "timeout";
    case Terminator::Flush: return "flush";
    case Terminator::Overflow: return "overflow";
  }
  return "enter";
}

HidDecoder::HidDecoder(DecoderOptions options) : m_options(std::move(options)), m_table(&TableFor(m_options.layout)) {}

std::optional<int64_t> HidDecoder::Deadline() const {
  if (!Pending() || m_options.timeout_ms <= 0) return std::nullopt;
  return m_last_ms + m_options.timeout_ms;
}

void HidDecoder::Feed(std::span<const uint8_t> report, int64_t time_ms, std::vector<DecodedScan>& out) {
  if (report.size() < 8) {
    ++m_malformed;
    Tick(time_ms, out);
    return;
  }
  HidReport r;
  r.modifiers = report[0];
  std::copy_n(report.begin() + 2, 6, r.keys.begin());
  Feed(r, time_ms, out);
}

void HidDecoder::Feed(const HidReport& report, int64_t time_ms, std::vector<DecodedScan>& out) {
  Tick(time_ms, out);
  // ErrorRollOver: too many keys down; the report says nothing about which, so keep the last state.
  for (uint8_t k : report.keys) {
    if (k == usage::kErrorRollOver) return;
  }
  auto alt_held = [&](uint8_t m) {
    bool ctrl = m & (mod::kLCtrl | mod::kRCtrl);
    return ((m & mod::kLAlt) && !ctrl) || ((m & mod::kRAlt) && !m_table->has_altgr && !ctrl);
  };
  const bool alt_released = alt_held(m_prev.modifiers) && !alt_held(report.modifiers);
  if (alt_released) FinishAltCode(time_ms, out);
  for (uint8_t k : report.keys) {
    if (k == 0) continue;
    if (std::find(m_prev.keys.begin(), m_prev.keys.end(), k) != m_prev.keys.end()) continue;  // still held
    Press(k, report.modifiers, time_ms, out);
  }
  m_prev = report;
}

void HidDecoder::Tick(int64_t now_ms, std::vector<DecodedScan>& out) {
  if (Pending() && m_options.timeout_ms > 0 && now_ms - m_last_ms >= m_options.timeout_ms) {
    Complete(Terminator::Timeout, out);
  }
}

void HidDecoder::Flush(std::vector<DecodedScan>& out) {
  if (m_dead && !m_text.empty()) AppendUtf8(m_dead);
  m_dead = 0;
  if (Pending()) Complete(Terminator::Flush, out);
  m_alt_digits = 0;
  m_alt_value = 0;
  m_prev = HidReport{};
}

void HidDecoder::Press(uint8_t key, uint8_t m, int64_t time_ms, std::vector<DecodedScan>& out) {
  const bool shift = m & (mod::kLShift | mod::kRShift);
  const bool ctrl = m & (mod::kLCtrl | mod::kRCtrl);
  const bool lalt = m & mod::kLAlt;
  const bool ralt = m & mod::kRAlt;
  const bool altgr = m_table->has_altgr && (ralt || (ctrl && lalt));
  const bool plain_alt = !altgr && !ctrl && (lalt || ralt);

  if (plain_alt) {
    // Alt + keypad digits: a character code, delivered when Alt is released. Alt + any other
    // key is a shortcut, not text.
    if (IsKeypadDigit(key)) {
      if (m_alt_digits == 0) m_alt_leading_zero = KeypadDigit(key) == 0;
      m_alt_value = (m_alt_value * 10 + static_cast<uint32_t>(KeypadDigit(key))) % 100000;
      ++m_alt_digits;
      if (m_text.empty()) m_first_ms = time_ms;
    }
    return;
  }
  if (ctrl && !altgr) {
    char32_t c = m_table->At(key, Level::Plain);
    if (!(c >= U'a' && c <= U'z') && c >= 0x80 && IsLetterUsage(key)) c = U'a' + (key - usage::kA);
    if (c >= U'a' && c <= U'z') return Emit(c - U'a' + 1, time_ms, out);
    switch (key) {
      case usage::kLeftBracket: return Emit(0x1B, time_ms, out);
      case usage::kBackslash:
      case usage::kNonUsHash: return Emit(0x1C, time_ms, out);
      case usage::kRightBracket: return Emit(0x1D, time_ms, out);
      case usage::k6: if (shift) return Emit(0x1E, time_ms, out); return;
      case usage::kMinus: if (shift) return Emit(0x1F, time_ms, out); return;
      default: return;
    }
  }
  if (key == usage::kEnter || key == usage::kKpEnter) {
    if (!m_options.enter_terminates) return Emit(U'\r', time_ms, out);
    if (m_dead) AppendUtf8(m_dead), m_dead = 0;
    if (Pending()) Complete(Terminator::Enter, out);
    return;
  }
  if (key == usage::kTab) {
    if (!m_options.tab_terminates) return Emit(U'\t', time_ms, out);
    if (m_dead) AppendUtf8(m_dead), m_dead = 0;
    if (Pending()) Complete(Terminator::Tab, out);
    return;
  }
  if (key == usage::kBackspace) {
    m_dead = 0;
    while (!m_text.empty()) {
      unsigned char last = static_cast<unsigned char>(m_text.back());
      m_text.pop_back();
      if ((last & 0xC0) != 0x80) break;  // removed a whole UTF-8 sequence
    }
    return;
  }
  Level level = altgr ? (shift ? Level::ShiftAltGr : Level::AltGr) : (shift ? Level::Shift : Level::Plain);
  char32_t c = m_table->At(key, level);
  if (c == 0) return;
  if (m_table->Dead(key, level)) {
    if (m_text.empty()) m_first_ms = time_ms;
    m_last_ms = time_ms;
    if (m_dead) {
      // Two dead keys in a row give both characters, as Windows does.
      AppendUtf8(m_dead);
      m_dead = 0;
      return Emit(c, time_ms, out);
    }
    m_dead = c;
    return;
  }
  Emit(c, time_ms, out);
}

void HidDecoder::Emit(char32_t c, int64_t time_ms, std::vector<DecodedScan>& out) {
  if (m_text.empty()) m_first_ms = time_ms;
  m_last_ms = time_ms;
  if (m_dead) {
    char32_t dead = m_dead;
    m_dead = 0;
    if (c == U' ') {
      AppendUtf8(dead);
    } else if (char32_t composed = ComposeDead(m_options.layout, dead, c)) {
      AppendUtf8(composed);
    } else {
      AppendUtf8(dead);
      AppendUtf8(c);
    }
  } else {
    AppendUtf8(c);
  }
  const std::string& sfx = m_options.suffix;
  if (!sfx.empty() && m_text.size() >= sfx.size() && m_text.compare(m_text.size() - sfx.size(), sfx.size(), sfx) == 0) {
    m_text.resize(m_text.size() - sfx.size());
    if (Pending()) Complete(Terminator::Suffix, out);
    return;
  }
  if (m_text.size() >= m_options.max_length) Complete(Terminator::Overflow, out);
}

void HidDecoder::AppendUtf8(char32_t c) {
  if (c < 0x80) {
    m_text += static_cast<char>(c);
  } else if (c < 0x800) {
    m_text += static_cast<char>(0xC0 | (c >> 6));
    m_text += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    m_text += static_cast<char>(0xE0 | (c >> 12));
    m_text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    m_text += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    m_text += static_cast<char>(0xF0 | (c >> 18));
    m_text += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    m_text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    m_text += static_cast<char>(0x80 | (c & 0x3F));
  }
}

void HidDecoder::Complete(Terminator t, std::vector<DecodedScan>& out) {
  out.push_back(DecodedScan{std::move(m_text), t, m_first_ms, m_last_ms});
  m_text.clear();
  m_dead = 0;
}

void HidDecoder::FinishAltCode(int64_t time_ms, std::vector<DecodedScan>& out) {
  if (m_alt_digits > 0) {
    // Windows: Alt+0NNN is Windows-1252, Alt+NNN the OEM code page; both agree below 128, which
    // is what scanners send (GS = Alt+029 or Alt+0029). Above 127 both are read as Windows-1252.
    uint32_t code = m_alt_value % 256;
    char32_t c = FromCp1252(code);
    if (code != 0 && c != 0) Emit(c, time_ms, out);
  }
  m_alt_digits = 0;
  m_alt_value = 0;
  m_alt_leading_zero = false;
}

// ---- Encoder -----------------------------------------------------------------------------
namespace {

struct Stroke {
  uint8_t usage = 0;
  uint8_t modifiers = 0;
  bool dead = false;
};

const std::map<char32_t, Stroke>& ReverseMap(Layout layout) {
  static std::map<char32_t, Stroke> maps[std::size(kAllLayouts)];
  static const bool built = [] {
    for (size_t li = 0; li < std::size(kAllLayouts); ++li) {
      const LayoutTable& t = TableFor(kAllLayouts[li]);
      static constexpr uint8_t kMods[] = {0, mod::kLShift, mod::kRAlt, mod::kLShift | mod::kRAlt};
      // Preference: a key that is not dead, then the lowest level, then the lowest usage.
      for (int pass = 0; pass < 2; ++pass) {
        for (int lv = 0; lv < 4; ++lv) {
          for (uint8_t u = 0; u < usage::kMax; ++u) {
            if (u >= 0x54 && u <= 0x63) continue;  // scanners type on the main block
            char32_t c = t.At(u, static_cast<Level>(lv));
            if (c == 0) continue;
            bool dead = t.Dead(u, static_cast<Level>(lv));
            if (dead != (pass == 1)) continue;
            maps[li].emplace(c, Stroke{u, kMods[lv], dead});
          }
        }
      }
    }
    return true;
  }();
  (void)built;
  size_t i = static_cast<size_t>(std::find(std::begin(kAllLayouts), std::end(kAllLayouts), layout) - std::begin(kAllLayouts));
  return maps[i];
}

bool NextCodePoint(std::string_view s, size_t& i, char32_t& out) {
  auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return false;
  out = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < len; ++k) out = (out << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return true;
}

}  // namespace

std::optional<std::vector<HidReport>> EncodeText(std::string_view utf8, const EncoderOptions& o) {
  const auto& rev = ReverseMap(o.layout);
  const LayoutTable& table = TableFor(o.layout);
  std::vector<HidReport> out;
  auto send = [&](uint8_t m, uint8_t k1 = 0, uint8_t k2 = 0) {
    HidReport r;
    r.modifiers = m;
    r.keys[0] = k1;
    r.keys[1] = k2;
    out.push_back(r);
    if (o.repeat) out.push_back(r);
  };
  std::optional<Stroke> held;
  auto release = [&] {
    if (held) send(0);
    held.reset();
  };
  auto stroke = [&](Stroke s) {
    if (o.rollover && held && held->modifiers == s.modifiers && held->usage != s.usage && !held->dead && !s.dead) {
      send(s.modifiers, held->usage, s.usage);
      send(s.modifiers, s.usage);
      held = s;
      return;
    }
    release();
    if (s.modifiers) send(s.modifiers);  // modifiers go down first, as real keyboards do
    send(s.modifiers, s.usage);
    held = s;
    if (s.dead) {
      release();
      send(0, usage::kSpace);
      held = Stroke{usage::kSpace, 0, false};
    }
  };
  auto alt_code = [&](int code) {
    release();
    send(mod::kLAlt);
    char digits[5];
    digits[0] = '0';
    digits[1] = static_cast<char>('0' + code / 100);
    digits[2] = static_cast<char>('0' + code / 10 % 10);
    digits[3] = static_cast<char>('0' + code % 10);
    for (char d : std::string_view(digits, 4)) {
      uint8_t u = d == '0' ? usage::kKp0 : static_cast<uint8_t>(usage::kKp1 + (d - '1'));
      send(mod::kLAlt, u);
      send(mod::kLAlt);
    }
    send(0);
  };

  for (size_t i = 0; i < utf8.size();) {
    char32_t c;
    if (!NextCodePoint(utf8, i, c)) return std::nullopt;
    if (c < 0x20 || c == 0x7F) {
      if (o.control == ControlMode::AltNumpad || c == 0 || c == 0x7F) {
        if (c == 0) return std::nullopt;
        alt_code(static_cast<int>(c));
        continue;
      }
      uint8_t ctrl = mod::kLCtrl;
      if (c >= 1 && c <= 26) {
        char32_t letter = U'a' + (c - 1);
        auto it = rev.find(letter);
        uint8_t u = (it != rev.end() && it->second.modifiers == 0) ? it->second.usage
                                                                  : static_cast<uint8_t>(usage::kA + (c - 1));
        stroke({u, ctrl, false});
      } else if (c == 0x1B) {
        stroke({usage::kLeftBracket, ctrl, false});
      } else if (c == 0x1C) {
        stroke({usage::kBackslash, ctrl, false});
      } else if (c == 0x1D) {
        stroke({usage::kRightBracket, ctrl, false});
      } else if (c == 0x1E) {
        stroke({usage::k6, static_cast<uint8_t>(ctrl | mod::kLShift), false});
      } else {
        stroke({usage::kMinus, static_cast<uint8_t>(ctrl | mod::kLShift), false});
      }
      continue;
    }
    auto it = rev.find(c);
    if (it != rev.end()) {
      Stroke s = it->second;
      if (!table.has_altgr && (s.modifiers & mod::kRAlt)) return std::nullopt;
      stroke(s);
      continue;
    }
    int code = ToCp1252(c);
    if (code < 0) return std::nullopt;
    alt_code(code);
  }
  release();
  if (o.append_enter) {
    send(0, usage::kEnter);
    send(0);
  }
  return out;
}

}  // namespace kiosk::scan
