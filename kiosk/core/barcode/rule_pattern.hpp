#pragma once
// The `pattern` of a barcode rule (assets/barcode_rules.json): the subset of ECMAScript regular
// expressions a printed code needs, matched against a whole text in time linear in the text
// whatever the pattern. std::regex backtracks: "(L*)*X" or "(A|AA)*X" took minutes (or overflowed
// the stack) on a 128-character scan. Here a pattern is compiled into a Thompson NFA and run as a
// set of states, one step per character (a Pike VM without captures), so a match costs at most
// text length x program size steps, and the program size is bounded when the rule is loaded.
//
// Supported, with the meaning std::regex_match(text, std::regex(pattern)) gives it: literal
// characters; '.'; \d \D \w \W \s \S; \t \n \r \f \v; an escaped punctuation character (\- \. \\);
// classes [...] and [^...] with ranges and the escapes above; groups (...) and (?:...); '|';
// the quantifiers * + ? {n} {n,} {n,m} and their lazy forms (the same for a yes/no answer);
// '^' and '$' (start and end of the text).
// Refused when loaded, with what is not supported: back-references, lookahead and lookbehind,
// \b \B and other letter escapes, POSIX classes ([[:alpha:]]), a quantifier on a quantifier
// ("L**", "a+{2}": ECMAScript's "nothing to repeat"), repeat counts above kMaxRepeat, groups
// nested deeper than kMaxNesting and programs longer than kMaxProgram steps once counted repeats
// are written out ("(\d{100}){100}").
// Immutable after Compile: Matches may be called from any thread at once.
#include <bitset>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "kiosk/core/result.hpp"

namespace kiosk::barcode {

class RulePattern {
 public:
  static constexpr int kMaxRepeat = 1000;
  static constexpr int kMaxNesting = 50;
  static constexpr size_t kMaxProgram = 10000;

  // The error (Usage, "barcode_rules.invalid") says "not supported: ..." for what this subset
  // leaves out, or "not a valid regular expression (...)" for what ECMAScript refuses too.
  static Result<RulePattern> Compile(std::string_view pattern);
  RulePattern() = default;  // matches nothing


  // Whether all of `text` matches (std::regex_match, not std::regex_search).
  bool Matches(std::string_view text) const;

  size_t ProgramSize() const { return m_program.size(); }

  // The compiled program; public only for the compiler in rule_pattern.cpp.
  using ByteSet = std::bitset<256>;
  enum class Op : uint8_t { Byte, Set, Split, Jump, AtStart, AtEnd, Match };
  struct Instruction {
    Op op = Op::Match;
    uint8_t byte = 0;  // Byte: the character
    uint32_t x = 0;    // Set: index into m_sets; Split, Jump: the next step
    uint32_t y = 0;    // Split: the other next step
  };

 private:
  RulePattern(std::vector<Instruction> program, std::vector<ByteSet> sets)
      : m_program(std::move(program)), m_sets(std::move(sets)) {}
  bool Consumes(const Instruction& in, unsigned char c) const;

  std::vector<Instruction> m_program;  // starts at 0
  std::vector<ByteSet> m_sets;
};

}  // namespace kiosk::barcode
