#include "kiosk/core/lean_json.hpp"

namespace kiosk::lean_json {

char Unescape(char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;  // \u and anything else: not decoded here
  }
}

size_t Utf8Length(std::string_view s, size_t at) {
  auto byte = [&](size_t k) -> unsigned { return at + k < s.size() ? static_cast<unsigned char>(s[at + k]) : 0; };
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(k) >= lo && byte(k) <= hi; };
  const unsigned c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

size_t NumberEnd(std::string_view s, size_t at) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  auto digits = [&](size_t& i) {
    const size_t from = i;
    while (digit(i)) ++i;
    return i > from;
  };
  size_t i = at;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '0') {
    ++i;
    if (digit(i)) return std::string_view::npos;
  } else if (!digits(i)) {
    return std::string_view::npos;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits(i)) return std::string_view::npos;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits(i)) return std::string_view::npos;
  }
  return i;
}

bool Cursor::Str(std::string& out) {
  if (!Lit("\"")) return false;
  out.clear();
  size_t start = m_i;
  while (m_i < m_s.size()) {
    const auto c = static_cast<unsigned char>(m_s[m_i]);
    if (c == '"') {
      out.append(m_s.data() + start, m_i - start);
      ++m_i;
      return true;
    }
    if (c == '\\') {
      out.append(m_s.data() + start, m_i - start);
      if (++m_i >= m_s.size()) return false;
      const char plain = Unescape(m_s[m_i++]);
      if (!plain) return false;  // \u: left to nlohmann
      out += plain;
      start = m_i;
      continue;
    }
    if (c < 0x20) return false;
    if (c < 0x80) {
      ++m_i;
      continue;
    }
    const size_t len = Utf8Length(m_s, m_i);
    if (len == 0) return false;
    m_i += len;
  }
  return false;
}

bool Cursor::Int(int64_t& out) {
  const size_t start = m_i;
  if (Peek('-')) ++m_i;
  const size_t digits = m_i;
  while (m_i < m_s.size() && m_s[m_i] >= '0' && m_s[m_i] <= '9') ++m_i;
  const size_t n = m_i - digits;
  if (n == 0 || n > 18 || (n > 1 && m_s[digits] == '0')) return false;
  if (m_i < m_s.size() && (m_s[m_i] == '.' || m_s[m_i] == 'e' || m_s[m_i] == 'E')) return false;
  int64_t v = 0;
  for (size_t k = digits; k < m_i; ++k) v = v * 10 + (m_s[k] - '0');
  out = m_s[start] == '-' ? -v : v;
  return true;
}

bool Cursor::Raw(std::string_view& out) {
  const size_t start = m_i;
  int depth = 0;
  std::string scratch;
  do {
    if (m_i >= m_s.size()) return false;
    const char c = m_s[m_i];
    if (c == '"') {
      if (!Str(scratch)) return false;
    } else if (c == '{' || c == '[') {
      ++depth;
      ++m_i;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return false;
      ++m_i;
    } else if (c == ',' || c == ':') {
      if (depth == 0) return false;
      ++m_i;
    } else if ((c >= '0' && c <= '9') || c == '-') {
      int64_t ignored;
      if (!Int(ignored)) return false;
    } else if (!(Lit("true") || Lit("false") || Lit("null"))) {
      return false;
    }
  } while (depth > 0);
  out = m_s.substr(start, m_i - start);
  return true;
}

}  // namespace kiosk::lean_json
