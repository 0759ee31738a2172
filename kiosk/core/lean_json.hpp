#pragma once
// The one fast JSON reader: for the hot paths that read JSON this project itself writes, without
// building nlohmann's tree (~100 allocations per event). Two faces over the same scanning code:
//
//  - lean_json::Cursor reads a document of a fixed shape member by member (the sync protocol's
//    batches and batch responses: members in their fixed order, no whitespace).
//  - lean_json::ReadPlain feeds a SAX handler (nlohmann's handler interface) from "plain" JSON:
//    printable-ASCII strings without escapes, numbers of at most 18 characters without an exponent,
//    literals, objects and arrays (the event payloads the central's rules read).
//
// Neither ever judges whether text is valid JSON. Whatever they do not recognise they answer "not
// mine" (false / NotPlain), and the caller runs nlohmann's parser from the start, which then
// accepts the text or names the problem. So a fast path never accepts what nlohmann refuses, and
// fuzz/fuzz_lean_json.cpp checks exactly that, against nlohmann, for both faces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiosk::lean_json {

// The byte after a backslash in a JSON string, decoded; 0 for \u (left to nlohmann) or anything else.
char Unescape(char c);
// One UTF-8 sequence at s[at], validated as nlohmann does (RFC 3629: no overlongs, no surrogates):
// its length, or 0 if it is not one.
size_t Utf8Length(std::string_view s, size_t at);
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? starting at s[at]: the index just past it, or
// npos when it is not a JSON number.
size_t NumberEnd(std::string_view s, size_t at);

class Cursor {
 public:
  explicit Cursor(std::string_view s) : m_s(s) {}

  bool Done() const { return m_i == m_s.size(); }
  size_t Position() const { return m_i; }
  bool Peek(char c) const { return m_i < m_s.size() && m_s[m_i] == c; }
  // The exact text t next: consumed.
  bool Lit(std::string_view t) {
    if (m_s.substr(m_i, t.size()) != t) return false;
    m_i += t.size();
    return true;
  }
  // A string with the simple escapes decoded; false for \u, a control byte or bad UTF-8.
  bool Str(std::string& out);
  // An integer of at most 18 digits, no leading zero, no fraction or exponent.
  bool Int(int64_t& out);
  // Skips one JSON value of any kind and returns its text, for nested objects that nlohmann then
  // parses on their own: it delimits (strings, brackets) but does not validate, so the caller must
  // parse what it returns. Numbers inside must be integers as Int reads them.
  bool Raw(std::string_view& out);

 private:
  std::string_view m_s;
  size_t m_i = 0;
};

enum class Outcome { Done, Stopped, NotPlain };  // Stopped: the handler returned false

// Reads plain JSON (see above) into a handler with nlohmann's SAX interface. Every number is
// reported as number_integer(0): the handlers that use this only need to know a number was there
// (a handler that needs its value must parse with nlohmann). Nesting deeper than 64 is NotPlain.
template <class Handler>
Outcome ReadPlain(std::string_view text, Handler& h);

namespace detail {

template <class Handler>
class PlainReader {
 public:
  PlainReader(std::string_view text, Handler& h) : m_text(text), m_h(h) {}

  Outcome Document() {
    Outcome o = Value(0);
    if (o != Outcome::Done) return o;
    SkipSpace();
    return m_at == m_text.size() ? Outcome::Done : Outcome::NotPlain;
  }

 private:
  void SkipSpace() {
    while (m_at < m_text.size() &&
           (m_text[m_at] == ' ' || m_text[m_at] == '\n' || m_text[m_at] == '\r' || m_text[m_at] == '\t'))
      ++m_at;
  }
  static Outcome Call(bool handler_ok) { return handler_ok ? Outcome::Done : Outcome::Stopped; }
  // A string's contents into m_buf; the opening quote is at m_at.
  bool String() {
    const size_t start = ++m_at;
    while (m_at < m_text.size()) {
      const auto c = static_cast<unsigned char>(m_text[m_at]);
      if (c == '"') {
        m_buf.assign(m_text.substr(start, m_at - start));
        ++m_at;
        return true;
      }
      if (c == '\\' || c < 0x20 || c > 0x7e) return false;
      ++m_at;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (m_text.substr(m_at, word.size()) != word) return false;
    m_at += word.size();
    return true;
  }
  Outcome Value(int depth) {
    SkipSpace();
    if (m_at >= m_text.size() || depth > 64) return Outcome::NotPlain;
    switch (m_text[m_at]) {
      case '{': return Object(depth);
      case '[': return Array(depth);
      case '"':
        if (!String()) return Outcome::NotPlain;
        return Call(m_h.string(m_buf));
      case 't': return Literal("true") ? Call(m_h.boolean(true)) : Outcome::NotPlain;
      case 'f': return Literal("false") ? Call(m_h.boolean(false)) : Outcome::NotPlain;
      case 'n': return Literal("null") ? Call(m_h.null()) : Outcome::NotPlain;
      default: {
        const size_t end = NumberEnd(m_text, m_at);
        if (end == std::string_view::npos) return Outcome::NotPlain;
        // nlohmann refuses a number a double cannot hold (1e400, 400 digits): an exponent or more
        // than 18 characters is left to it.
        const std::string_view number = m_text.substr(m_at, end - m_at);
        if (number.size() > 18 || number.find_first_of("eE") != std::string_view::npos) return Outcome::NotPlain;
        m_at = end;
        return Call(m_h.number_integer(0));
      }
    }
  }
  // After the opening bracket: true, past the closing one, if the container is empty.
  bool Closes(char close) {
    SkipSpace();
    if (m_at >= m_text.size() || m_text[m_at] != close) return false;
    ++m_at;
    return true;
  }
  // After a member or element: a comma (more follow) or the closing bracket; anything else is Bad.
  enum class Next { More, Closed, Bad };
  Next AfterItem(char close) {
    SkipSpace();
    if (m_at < m_text.size() && m_text[m_at] == ',') {
      ++m_at;
      return Next::More;
    }
    return Closes(close) ? Next::Closed : Next::Bad;
  }
  Outcome Object(int depth) {
    ++m_at;
    if (!m_h.start_object(static_cast<std::size_t>(-1))) return Outcome::Stopped;
    if (Closes('}')) return Call(m_h.end_object());
    for (;;) {
      SkipSpace();
      if (m_at >= m_text.size() || m_text[m_at] != '"' || !String()) return Outcome::NotPlain;
      SkipSpace();
      if (m_at >= m_text.size() || m_text[m_at] != ':') return Outcome::NotPlain;
      ++m_at;
      if (!m_h.key(m_buf)) return Outcome::Stopped;
      if (Outcome o = Value(depth + 1); o != Outcome::Done) return o;
      switch (AfterItem('}')) {
        case Next::More: continue;
        case Next::Closed: return Call(m_h.end_object());
        case Next::Bad: return Outcome::NotPlain;
      }
    }
  }
  Outcome Array(int depth) {
    ++m_at;
    if (!m_h.start_array(static_cast<std::size_t>(-1))) return Outcome::Stopped;
    if (Closes(']')) return Call(m_h.end_array());
    for (;;) {
      if (Outcome o = Value(depth + 1); o != Outcome::Done) return o;
      switch (AfterItem(']')) {
        case Next::More: continue;
        case Next::Closed: return Call(m_h.end_array());
        case Next::Bad: return Outcome::NotPlain;
      }
    }
  }

  std::string_view m_text;
  Handler& m_h;
  size_t m_at = 0;
  std::string m_buf;
};

}  // namespace detail

template <class Handler>
Outcome ReadPlain(std::string_view text, Handler& h) {
  return detail::PlainReader<Handler>(text, h).Document();
}

}  // namespace kiosk::lean_json
