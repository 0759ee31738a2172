#include "kiosk/core/barcode/rule_pattern.hpp"

#include <algorithm>
#include <string>

namespace kiosk::barcode {
namespace {

using ByteSet = RulePattern::ByteSet;
using Instruction = RulePattern::Instruction;
using Op = RulePattern::Op;

// The parsed pattern. `size` is how many program steps it compiles to, known while parsing, so
// that "(\d{100}){100}" is refused before anything is written out.
struct Node {
  enum class Type { Empty, Byte, Set, Concat, Alternation, Repeat, AtStart, AtEnd };
  Type type = Type::Empty;
  unsigned char byte = 0;    // Byte
  uint32_t set = 0;          // Set: index into the parser's sets
  std::vector<Node> parts;   // Concat, Alternation: in order; Repeat: the one repeated
  int min = 0, max = 0;      // Repeat; max -1: no upper bound
  size_t size = 0;
};

Node Leaf(Node::Type type, size_t size) {
  Node n;
  n.type = type;
  n.size = size;
  return n;
}

Node ByteNode(unsigned char c) {
  Node n = Leaf(Node::Type::Byte, 1);
  n.byte = c;
  return n;
}

// x* is Split, x, Jump; x{n,} is n-1 copies then x, Split; x{n,m} is n copies then m-n times
// Split, x. Counts are at most kMaxRepeat and `body` at most kMaxProgram: no overflow.
size_t RepeatSize(size_t body, int min, int max) {
  const auto n = static_cast<size_t>(min);
  if (max < 0) return min == 0 ? body + 2 : n * body + 1;
  return n * body + static_cast<size_t>(max - min) * (body + 1);
}

ByteSet Range(int lo, int hi) {
  ByteSet s;
  for (int c = lo; c <= hi; ++c) s.set(static_cast<size_t>(c));
  return s;
}

// \d \w \s as std::regex reads them in the "C" locale (the kiosk never changes the global one):
// ASCII only, so a byte of a UTF-8 character is never a digit, a word character or a space.
bool ClassEscape(char c, ByteSet& out) {
  switch (c) {
    case 'd': case 'D': out = Range('0', '9'); break;
    case 'w': case 'W': out = Range('0', '9') | Range('A', 'Z') | Range('a', 'z') | Range('_', '_'); break;
    case 's': case 'S': out = Range('\t', '\r') | Range(' ', ' '); break;
    default: return false;
  }
  if (c == 'D' || c == 'W' || c == 'S') out.flip();
  return true;
}

bool ControlEscape(char c, unsigned char& out) {
  switch (c) {
    case 't': out = '\t'; return true;
    case 'n': out = '\n'; return true;
    case 'r': out = '\r'; return true;
    case 'f': out = '\f'; return true;
    case 'v': out = '\v'; return true;
    default: return false;
  }
}

bool IsAsciiAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsQuantifier(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

// One element of a class: a character, or a class escape like \d (which cannot end a range).
struct ClassAtom {
  bool is_set = false;
  ByteSet set;
  unsigned char byte = 0;
  bool dash = false;  // an unescaped '-'
};

// Recursive descent over the pattern; the first problem found is kept and parsing stops.
class Parser {
 public:
  explicit Parser(std::string_view pattern) : m_p(pattern) {}

  bool Parse(Node& root) {
    if (!Alternation(root, 0)) return false;
    if (More()) return Invalid("a ')' without its '('");
    if (root.size + 1 > RulePattern::kMaxProgram) return TooLarge();  // with the final Match
    return true;
  }
  std::vector<ByteSet> TakeSets() { return std::move(m_sets); }
  std::string Message() const {
    return m_unsupported ? "not supported: " + m_error : "not a valid regular expression (" + m_error + ")";
  }

 private:
  bool More() const { return m_i < m_p.size(); }
  char Peek(size_t ahead = 0) const { return m_i + ahead < m_p.size() ? m_p[m_i + ahead] : '\0'; }
  bool Invalid(std::string what) {
    m_error = std::move(what);
    return false;
  }
  bool Unsupported(std::string what) {
    m_unsupported = true;
    return Invalid(std::move(what));
  }
  bool TooLarge() {
    return Unsupported("a pattern of more than " + std::to_string(RulePattern::kMaxProgram) +
                       " steps once its repeat counts are written out");
  }
  Node SetNode(const ByteSet& set) {
    Node n = Leaf(Node::Type::Set, 1);
    n.set = static_cast<uint32_t>(m_sets.size());
    m_sets.push_back(set);
    return n;
  }

  bool Alternation(Node& out, int depth);
  bool Concat(Node& out, int depth);
  bool Term(Node& out, int depth);
  bool Atom(Node& out, int depth);
  bool Group(Node& out, int depth);
  bool Escape(Node& out);
  bool Class(Node& out);
  bool ClassElement(ClassAtom& out);
  bool Quantifier(Node& atom);
  bool Count(int& value);

  std::string_view m_p;
  size_t m_i = 0;
  std::vector<ByteSet> m_sets;
  std::string m_error;
  bool m_unsupported = false;
};

bool Parser::Alternation(Node& out, int depth) {
  Node first;
  if (!Concat(first, depth)) return false;
  if (Peek() != '|') {
    out = std::move(first);
    return true;
  }
  out = Leaf(Node::Type::Alternation, first.size);
  out.parts.push_back(std::move(first));
  while (Peek() == '|') {
    ++m_i;
    Node next;
    if (!Concat(next, depth)) return false;
    out.size += next.size + 2;  // a Split before the previous choice, a Jump after it
    out.parts.push_back(std::move(next));
    if (out.size > RulePattern::kMaxProgram) return TooLarge();
  }
  return true;
}

bool Parser::Concat(Node& out, int depth) {
  out = Leaf(Node::Type::Concat, 0);
  while (More() && Peek() != '|' && Peek() != ')') {
    Node term;
    if (!Term(term, depth)) return false;
    if (term.size == 0) continue;  // "()" matches only "": nothing to write out
    out.size += term.size;
    out.parts.push_back(std::move(term));
    if (out.size > RulePattern::kMaxProgram) return TooLarge();
  }
  if (out.parts.size() == 1) out = Node(std::move(out.parts.front()));
  return true;
}

bool Parser::Term(Node& out, int depth) {
  const char c = Peek();
  if (c == '^' || c == '$') {
    ++m_i;
    out = Leaf(c == '^' ? Node::Type::AtStart : Node::Type::AtEnd, 1);
    if (IsQuantifier(Peek())) return Invalid("a quantifier after ^ or $, which match no character");
    return true;
  }
  if (IsQuantifier(c)) return Invalid("a quantifier with nothing to repeat");
  return Atom(out, depth) && Quantifier(out);
}

bool Parser::Atom(Node& out, int depth) {
  const char c = m_p[m_i++];
  switch (c) {
    case '.': out = SetNode(~(Range('\n', '\n') | Range('\r', '\r'))); return true;  // ECMAScript: not a line end
    case '(': return Group(out, depth + 1);
    case '[': return Class(out);
    case '\\': return Escape(out);
    default: out = ByteNode(static_cast<unsigned char>(c)); return true;  // ']' and '}' too, as std::regex
  }
}

bool Parser::Group(Node& out, int depth) {
  if (depth > RulePattern::kMaxNesting)
    return Unsupported("groups nested more than " + std::to_string(RulePattern::kMaxNesting) + " deep");
  if (Peek() == '?') {
    if (m_i + 1 >= m_p.size()) return Invalid("a '(' without its ')'");
    const char kind = Peek(1);
    if (kind == '=' || kind == '!') return Unsupported("a lookahead (?= or (?!");
    if (kind == '<') return Unsupported("a lookbehind or named group (?<");
    if (kind != ':') return Unsupported("a group starting (?" + std::string(1, kind) + ", only (...) and (?:...)");
    m_i += 2;
  }
  if (!Alternation(out, depth)) return false;
  if (!More()) return Invalid("a '(' without its ')'");
  ++m_i;
  return true;
}

bool Parser::Escape(Node& out) {
  if (!More()) return Invalid("a '\\' at the end");
  const char c = m_p[m_i++];
  ByteSet set;
  unsigned char byte = 0;
  if (ClassEscape(c, set)) {
    out = SetNode(set);
  } else if (ControlEscape(c, byte)) {
    out = ByteNode(byte);
  } else if (c == 'b' || c == 'B') {
    return Unsupported("a word boundary \\b or \\B");
  } else if (c >= '1' && c <= '9') {
    return Unsupported("a back-reference such as \\1");
  } else if (IsAsciiAlnum(c)) {
    return Unsupported("the escape \\" + std::string(1, c) + " (escape only punctuation, or use \\d \\w \\s)");
  } else {
    out = ByteNode(static_cast<unsigned char>(c));  // \- \. \\ \/ \( ...
  }
  return true;
}

bool Parser::ClassElement(ClassAtom& out) {
  if (!More()) return Invalid("a '[' without its ']'");
  const char c = m_p[m_i++];
  if (c == '[' && (Peek() == ':' || Peek() == '.' || Peek() == '='))
    return Unsupported("a POSIX class such as [[:alpha:]] inside [...]");
  if (static_cast<unsigned char>(c) >= 0x80) return Unsupported("a non-ASCII character inside [...]");
  out.byte = static_cast<unsigned char>(c);
  out.dash = c == '-';
  if (c != '\\') return true;
  if (!More()) return Invalid("a '[' without its ']'");
  const char e = m_p[m_i++];
  out.byte = static_cast<unsigned char>(e);
  if (ClassEscape(e, out.set)) {
    out.is_set = true;
  } else if (ControlEscape(e, out.byte)) {
  } else if (e >= '1' && e <= '9') {
    return Unsupported("a back-reference such as \\1");
  } else if (IsAsciiAlnum(e)) {
    return Unsupported("the escape \\" + std::string(1, e) + " inside [...] (escape only punctuation, or use \\d \\w \\s)");
  } else if (static_cast<unsigned char>(e) >= 0x80) {
    return Unsupported("a non-ASCII character inside [...]");
  }
  return true;
}

// [...]: a '-' is a range between two characters, or itself when first or last. Anything less
// plain ("[a-z-0]", "[\d-z]") reads differently across regex dialects and is refused.
bool Parser::Class(Node& out) {
  ByteSet set;
  const bool negated = Peek() == '^';
  if (negated) ++m_i;
  for (bool first = true; !(More() && Peek() == ']'); first = false) {
    ClassAtom a;
    if (!ClassElement(a)) return false;
    const bool range = Peek() == '-' && Peek(1) != ']' && m_i + 1 < m_p.size();
    if (a.dash && !first && More() && Peek() != ']')
      return Unsupported("a '-' inside [...] that is neither a range nor first or last (write \\-)");
    if (!range) {
      set |= a.is_set ? a.set : Range(a.byte, a.byte);
      continue;
    }
    ++m_i;
    ClassAtom b;
    if (!ClassElement(b)) return false;
    if (a.dash || b.dash) return Unsupported("a range from or to '-' inside [...] (write \\-)");
    if (a.is_set || b.is_set) return Invalid("a range from or to \\d, \\w or \\s inside [...]");
    if (a.byte > b.byte)
      return Invalid("the range " + std::string(1, static_cast<char>(a.byte)) + "-" +
                     std::string(1, static_cast<char>(b.byte)) + " is out of order");
    set |= Range(a.byte, b.byte);
  }
  ++m_i;  // ']'
  if (negated) set.flip();
  out = SetNode(set);
  return true;
}

// Reads the count at m_i; a count above kMaxRepeat is remembered as kMaxRepeat + 1 so that an
// endless digit run cannot overflow.
bool Parser::Count(int& value) {
  if (Peek() < '0' || Peek() > '9') return Invalid("a '{' that is not a repeat count {n}, {n,} or {n,m}");
  value = 0;
  while (Peek() >= '0' && Peek() <= '9') {
    value = std::min(value * 10 + (m_p[m_i++] - '0'), RulePattern::kMaxRepeat + 1);
  }
  return true;
}

bool Parser::Quantifier(Node& atom) {
  int min = 0, max = -1;
  switch (Peek()) {
    case '*': break;
    case '+': min = 1; break;
    case '?': max = 1; break;
    case '{':
      ++m_i;
      if (!Count(min)) return false;
      max = min;
      if (Peek() == ',') {
        ++m_i;
        max = Peek() == '}' ? -1 : 0;
        if (max == 0 && !Count(max)) return false;
      }
      if (Peek() != '}') return Invalid("a '{' that is not a repeat count {n}, {n,} or {n,m}");
      if (min > RulePattern::kMaxRepeat || max > RulePattern::kMaxRepeat)
        return Unsupported("a repeat count above " + std::to_string(RulePattern::kMaxRepeat));
      if (max >= 0 && min > max) return Invalid("a repeat count {n,m} with n above m");
      break;
    default: return true;
  }
  ++m_i;
  if (Peek() == '?') ++m_i;  // lazy: the same yes or no
  // ECMAScript's "nothing to repeat"; std::regex accepted "L**" and backtracked for minutes.
  if (IsQuantifier(Peek())) return Unsupported("a quantifier on a quantifier (such as ** or +{2})");
  if (atom.size == 0) return true;  // "(){1000}" matches "" only, as "()" does
  Node repeat = Leaf(Node::Type::Repeat, RepeatSize(atom.size, min, max));
  repeat.min = min;
  repeat.max = max;
  repeat.parts.push_back(std::move(atom));
  atom = std::move(repeat);
  if (atom.size > RulePattern::kMaxProgram) return TooLarge();
  return true;
}

// Writes the program of a parsed pattern; jumps are patched once their target is known.
class Emitter {
 public:
  std::vector<Instruction> Take() { return std::move(m_program); }

  void Emit(const Node& n) {
    switch (n.type) {
      case Node::Type::Empty: break;
      case Node::Type::Byte: Add({Op::Byte, n.byte, 0, 0}); break;
      case Node::Type::Set: Add({Op::Set, 0, n.set, 0}); break;
      case Node::Type::AtStart: Add({Op::AtStart, 0, 0, 0}); break;
      case Node::Type::AtEnd: Add({Op::AtEnd, 0, 0, 0}); break;
      case Node::Type::Concat:
        for (const Node& part : n.parts) Emit(part);
        break;
      case Node::Type::Alternation: EmitAlternation(n); break;
      case Node::Type::Repeat: EmitRepeat(n.parts.front(), n.min, n.max); break;
    }
  }
  void Finish() { Add({Op::Match, 0, 0, 0}); }

 private:
  uint32_t Here() const { return static_cast<uint32_t>(m_program.size()); }
  uint32_t Add(Instruction in) {
    m_program.push_back(in);
    return Here() - 1;
  }

  // Split(a, rest); a; Jump end; Split(b, rest); b; Jump end; ... ; last; end:
  void EmitAlternation(const Node& n) {
    std::vector<uint32_t> jumps;
    for (size_t i = 0; i + 1 < n.parts.size(); ++i) {
      const uint32_t split = Add({Op::Split, 0, 0, 0});
      m_program[split].x = Here();
      Emit(n.parts[i]);
      jumps.push_back(Add({Op::Jump, 0, 0, 0}));
      m_program[split].y = Here();
    }
    Emit(n.parts.back());
    for (uint32_t j : jumps) m_program[j].x = Here();
  }

  void EmitRepeat(const Node& body, int min, int max) {
    if (max < 0 && min == 0) {  // Split(body, end); body; Jump back; end:
      const uint32_t split = Add({Op::Split, 0, 0, 0});
      m_program[split].x = Here();
      Emit(body);
      Add({Op::Jump, 0, split, 0});
      m_program[split].y = Here();
      return;
    }
    if (max < 0) {  // body{min-1}; start: body; Split(start, next)
      for (int i = 1; i < min; ++i) Emit(body);
      const uint32_t start = Here();
      Emit(body);
      Add({Op::Split, 0, start, Here() + 1});
      return;
    }
    for (int i = 0; i < min; ++i) Emit(body);
    std::vector<uint32_t> skips;  // each optional copy may be the last: skip to the end
    for (int i = min; i < max; ++i) {
      skips.push_back(Add({Op::Split, 0, Here() + 1, 0}));
      Emit(body);
    }
    for (uint32_t s : skips) m_program[s].y = Here();
  }

  std::vector<Instruction> m_program;
};

}  // namespace

Result<RulePattern> RulePattern::Compile(std::string_view pattern) {
  Parser parser(pattern);
  Node root;
  if (!parser.Parse(root))
    return MakeError(ErrorKind::Usage, "barcode_rules.invalid", parser.Message());
  Emitter emitter;
  emitter.Emit(root);
  emitter.Finish();
  return RulePattern(emitter.Take(), parser.TakeSets());
}

bool RulePattern::Consumes(const Instruction& in, unsigned char c) const {
  return in.op == Op::Byte ? in.byte == c : in.op == Op::Set && m_sets[in.x].test(c);
}

// A Pike VM without captures: the states waiting for the next character, each at most once, so
// a step costs at most the program's size whatever the pattern; no recursion, no backtracking.
bool RulePattern::Matches(std::string_view text) const {
  if (m_program.empty()) return false;
  const size_t n = text.size();
  std::vector<size_t> added_at(m_program.size(), SIZE_MAX);  // the position a state was last added at
  std::vector<uint32_t> current, next, pending;
  bool matched = false;
  // Adds `start` and the states it reaches without reading a character, at position `pos`.
  auto add = [&](uint32_t start, size_t pos, std::vector<uint32_t>& list) {
    pending.push_back(start);
    while (!pending.empty()) {
      const uint32_t s = pending.back();
      pending.pop_back();
      if (added_at[s] == pos) continue;
      added_at[s] = pos;
      const Instruction& in = m_program[s];
      switch (in.op) {
        case Op::Byte: case Op::Set: list.push_back(s); break;
        case Op::Split: pending.push_back(in.y); pending.push_back(in.x); break;
        case Op::Jump: pending.push_back(in.x); break;
        case Op::AtStart: if (pos == 0) pending.push_back(s + 1); break;
        case Op::AtEnd: if (pos == n) pending.push_back(s + 1); break;
        case Op::Match: matched = matched || pos == n; break;
      }
    }
  };
  add(0, 0, current);
  for (size_t pos = 0; pos < n && !current.empty(); ++pos) {
    next.clear();
    const auto c = static_cast<unsigned char>(text[pos]);
    for (uint32_t s : current) {
      if (Consumes(m_program[s], c)) add(s + 1, pos + 1, next);
    }
    current.swap(next);
  }
  return matched;
}

}  // namespace kiosk::barcode
