#include <doctest/doctest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "kiosk/core/barcode/classify.hpp"
#include "kiosk/core/barcode/rule_pattern.hpp"

using namespace kiosk::barcode;

namespace {

// A supported pattern and texts it matches; the test adds texts near them and random ones.
struct Sample {
  std::string pattern;
  std::vector<std::string> matching;
};

std::vector<Sample> Samples() {
  std::vector<Sample> s = {
      // A site's own rules, as in docs/scanners.md and rules_test.cpp.
      {"^LN[0-9]{6}$", {"LN012348"}},
      {"^[A-HJ-NP-Z0-9]{17}$", {"1HGCM82633A004352"}},
      {"^(?:DEMO|BDG)-\\d{5}$", {"DEMO-00001", "BDG-10017"}},
      {"[A-Z]{2}\\d{4}[A-Z]?", {"AB1234", "AB1234C"}},
      {"(?:[0-9]{1,3}-){2}[0-9]+", {"1-22-333", "123-4-5"}},
      // Literals, '.', escapes.
      {"", {""}},
      {"A", {"A"}},
      {"AB", {"AB"}},
      {".", {"A", "\x1d", "\xe9"}},
      {"A.C", {"ABC", "A-C"}},
      {".*", {"", "ANY THING"}},
      {".+X", {"AX", "XX"}},
      {".\\n?", {"A", "A\n"}},
      {"\\d", {"7"}},
      {"\\D", {"A", "\n"}},
      {"\\w", {"_", "Q", "0"}},
      {"\\W", {"-", " ", "\xe9"}},
      {"\\s", {" ", "\t", "\v"}},
      {"\\S", {"A", "\x1d"}},
      {"\\d+\\D*", {"12", "12AB"}},
      {"\\W+", {"--", "- /"}},
      {"\\t\\n\\r\\f\\v", {"\t\n\r\f\v"}},
      {"A\\-B", {"A-B"}},
      {"\\.\\\\\\/\\(\\)", {".\\/()"}},
      {"\\*\\+\\?\\{\\}\\[\\]\\|\\^\\$", {"*+?{}[]|^$"}},
      {"A]", {"A]"}},
      {"A}", {"A}"}},
      {"A\x1d" "B", {"A\x1d" "B"}},
      {"\xc3\x89" "A", {"\xc3\x89" "A"}},  // a UTF-8 "É" outside a class: its two bytes
      {"A\\*+", {"A*", "A***"}},
      {"A\\d{2}?", {"A12"}},
      // Classes.
      {"[A-Z]", {"Q"}},
      {"[^A-Z]", {"1", "\n", "\xe9"}},
      {"[A-Z0-9_-]+", {"AB-12_"}},
      {"[-A]", {"-", "A"}},
      {"[A-]", {"-", "A"}},
      {"[^-]", {"A"}},
      {"[]", {}},
      {"[^]", {"\n", "A"}},
      {"[]A]", {}},
      {"[^]A]", {"BA]", "\nA]"}},
      {"[\\d]", {"5"}},
      {"[\\D]", {"D"}},
      {"[\\w\\s]+", {"A B_1"}},
      {"[^\\W]", {"A", "_"}},
      {"[\\w-]+", {"A-B"}},
      {"[\\-\\.\\/]+", {"-./"}},
      {"[\\--\\/]+", {"-./"}},
      {"[\\t-\\r ]+", {" \t\r"}},
      {"[[A]+", {"[A["}},
      {"[*+?]+", {"*+?"}},
      {"[\\]\\\\]", {"]", "\\"}},
      // Groups and alternation.
      {"(AB)", {"AB"}},
      {"(?:AB)", {"AB"}},
      {"((((A))))", {"A"}},
      {"(A|B)", {"A", "B"}},
      {"A|B|", {"A", "B", ""}},
      {"|A", {"", "A"}},
      {"(A|)*", {"", "AAA"}},
      {"()", {""}},
      {"()*A", {"A"}},
      {"(?:)+", {""}},
      {"(){1000}A", {"A"}},
      {"AB|CD|EF", {"AB", "CD", "EF"}},
      {"(A(B|C))+D", {"ABD", "ABACD"}},
      // Quantifiers, greedy and lazy.
      {"A*", {"", "AAAA"}},
      {"A+", {"A", "AAA"}},
      {"A?", {"", "A"}},
      {"A*?", {"", "AA"}},
      {"A+?", {"A", "AA"}},
      {"A??", {"", "A"}},
      {"A{3}", {"AAA"}},
      {"A{2,}", {"AA", "AAAAA"}},
      {"A{2,4}", {"AA", "AAAA"}},
      {"A{0}", {""}},
      {"A{0,0}B", {"B"}},
      {"A{0,2}", {"", "AA"}},
      {"A{01}", {"A"}},
      {"A{3}?", {"AAA"}},
      {"A{2,}?", {"AAA"}},
      {"A{1,3}?", {"AA"}},
      {"(AB){2,3}", {"ABAB", "ABABAB"}},
      {"(A|BC){1,3}D", {"AD", "BCABCD"}},
      {"(?:A|B)*?C", {"C", "ABBAC"}},
      {"(A?){3}", {"", "A", "AAA"}},
      {"(A*){2,3}B", {"B", "AAB"}},
      // Anchors: the start and the end of the text.
      {"^A$", {"A"}},
      {"^(A|B)$", {"A", "B"}},
      {"^A|B$", {"A", "B"}},
      {"^A$|^BC$", {"A", "BC"}},
      {"A^B", {}},
      {"A$B", {}},
      {"(^A)+", {"A"}},
      {"(A$)*", {"", "A"}},
      {"(^|X)A", {"A", "XA"}},
      {"A($|X)", {"A", "AX"}},
      {"(^)*A", {"A"}},
      {"^$", {""}},
      {"$", {""}},
      {"^", {""}},
      // What backtracks badly, on short texts here (long ones are in the next test case).
      {"(L*)*X", {"X", "LLX"}},
      {"(A|AA)*X", {"AAAX"}},
      {"L*L*L*L*X", {"LLX"}},
      {"(?:[0-9]{1,3}){1,3}X", {"1234X"}},
      {"((A*)*B*)*C", {"ABABC"}},
      {"[^A\\n]+", {"BCD"}},
  };
  // The built-in rules, which are also assets/barcode_rules.json's (rules_test.cpp).
  for (const BarcodeRule& rule : Classifier::Default().Rules()) {
    for (const char* code : {"6299000000000001", "BDG-10017", "DEMO-00001"}) {
      if (std::string_view(code).starts_with(rule.prefix)) s.push_back({rule.pattern, {code}});
    }
  }
  return s;
}

// Characters a pattern's texts are made of: its own, and some it may treat specially.
std::string Alphabet(const std::string& pattern) {
  std::string a = pattern + "AZa09_ -.\n\r\t\x1d\xe9";
  return a;
}

// Texts around a pattern: its samples, each with one character changed, added or removed, and
// random texts of its alphabet. Deterministic (fixed seed).
std::vector<std::string> Texts(const Sample& s, std::mt19937& rng) {
  const std::string alphabet = Alphabet(s.pattern);
  auto pick = [&] { return alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)]; };
  std::vector<std::string> texts = {"", "A", "AA", "X", "BDG-10017", "DEMO-00001", "6299000000000001"};
  for (const std::string& m : s.matching) {
    texts.push_back(m);
    for (int k = 0; k < 40; ++k) {
      std::string t = m;
      const size_t at = std::uniform_int_distribution<size_t>(0, t.size())(rng);
      switch (k % 3) {
        case 0: if (at < t.size()) t[at] = pick(); break;
        case 1: t.insert(t.begin() + static_cast<std::ptrdiff_t>(at), pick()); break;
        default: if (at < t.size()) t.erase(at, 1); break;
      }
      texts.push_back(t);
    }
  }
  for (int k = 0; k < 200; ++k) {
    std::string t;
    const size_t len = std::uniform_int_distribution<size_t>(0, 10)(rng);
    for (size_t i = 0; i < len; ++i) t += pick();
    texts.push_back(t);
  }
  return texts;
}

// The message of a refused pattern (doctest builds a CHECK's message even when it passes).
std::string Why(const kiosk::Result<RulePattern>& r) { return r.ok() ? "(compiled)" : r.error().message; }

std::string Refusal(const std::string& pattern) {
  auto r = RulePattern::Compile(pattern);
  if (r.ok()) return "(compiled)";
  CHECK(r.error().code == "barcode_rules.invalid");
  return r.error().message;
}

}  // namespace

TEST_CASE("rule patterns match as std::regex_match does") {
  std::mt19937 rng(20261206);
  size_t compared = 0, matched = 0;
  const auto samples = Samples();
  CHECK(samples.size() >= 100);
  for (const Sample& s : samples) {
    auto compiled = RulePattern::Compile(s.pattern);
    REQUIRE_MESSAGE(compiled.ok(), s.pattern << ": " << Why(compiled));
    const std::regex reference(s.pattern, std::regex::ECMAScript);
    for (const std::string& m : s.matching) CHECK_MESSAGE(compiled->Matches(m), s.pattern << " on " << m);
    for (const std::string& text : Texts(s, rng)) {
      const bool expected = std::regex_match(text, reference);
      CHECK_MESSAGE(compiled->Matches(text) == expected, "pattern " << s.pattern << " on text \"" << text << "\"");
      ++compared;
      matched += expected;
    }
  }
  MESSAGE(compared << " texts compared, " << matched << " matching");
  CHECK(matched > compared / 10);  // the texts are not nearly all misses
}

TEST_CASE("rule patterns std::regex refuses are refused as not valid") {
  for (const char* pattern : {"(", ")", "(A", "A)", "[", "[A", "[^", "A{", "A{,3}", "A{3,2}", "A{ 2}", "A{2", "[Z-A]",
                              "*A", "A|*", "+", "^*", "$+", "\\", "A\\", "[\\d-Z]", "[A-\\d]", "(?"}) {
    CHECK_THROWS_AS(std::regex(pattern, std::regex::ECMAScript), std::regex_error);
    CHECK_MESSAGE(Refusal(pattern).find("not a valid regular expression (") == 0, pattern << ": " << Refusal(pattern));
  }
}

TEST_CASE("rule patterns beyond the supported subset are refused with what is not supported") {
  struct Case {
    std::string pattern, what;
  };
  const std::vector<Case> cases = {
      {"L**", "a quantifier on a quantifier"},
      {"^A+{2}$", "a quantifier on a quantifier"},
      {"A*?*", "a quantifier on a quantifier"},
      {"A???", "a quantifier on a quantifier"},
      {"A{2}{3}", "a quantifier on a quantifier"},
      {"(A)\\1", "a back-reference"},
      {"^A\\77777777777777777777777N", "a back-reference"},
      {"[\\1]", "a back-reference"},
      {"(?=A)A", "a lookahead"},
      {"(?!B)A", "a lookahead"},
      {"(?<=A)B", "a lookbehind"},
      {"(?i)A", "a group starting (?i"},
      {"\\bA", "a word boundary"},
      {"A\\B", "a word boundary"},
      {"[[:alpha:]]", "a POSIX class"},
      {"[[=A=]]", "a POSIX class"},
      {"\\x41", "the escape \\x"},
      {"\\u0041", "the escape \\u"},
      {"\\cA", "the escape \\c"},
      {"\\0", "the escape \\0"},
      {"\\A", "the escape \\A"},
      {"[\\b]", "the escape \\b inside [...]"},
      {"A{1001}", "a repeat count above 1000"},
      {"A{1,77777777777777777777}", "a repeat count above 1000"},
      {"(\\d{100}){100}", "a pattern of more than 10000 steps"},
      {"(?:(?:A{20}){20}){30}", "a pattern of more than 10000 steps"},
      {std::string(51, '(') + "A" + std::string(51, ')'), "groups nested more than 50 deep"},
      {"[\xc3\x89]", "a non-ASCII character inside [...]"},
      {"[A-Z-0]", "a '-' inside [...] that is neither a range nor first or last"},
      {"[--/]", "a range from or to '-'"},
  };
  for (const Case& c : cases) {
    CHECK_MESSAGE(Refusal(c.pattern).find("not supported: " + c.what) == 0, c.pattern << ": " << Refusal(c.pattern));
  }
  // At the limits: accepted.
  CHECK(RulePattern::Compile("A{1000}").ok());
  CHECK(RulePattern::Compile(std::string(50, '(') + "A" + std::string(50, ')')).ok());
  auto big = RulePattern::Compile("(?:\\d{99}){100}");  // 9,900 steps and the final one
  REQUIRE(big.ok());
  CHECK(big->ProgramSize() == 9901);
  CHECK(big->Matches(std::string(9900, '7')));
  CHECK_FALSE(big->Matches(std::string(9899, '7')));
}

TEST_CASE("rule patterns that backtrack for minutes in std::regex answer a 128-character code") {
  const std::string l127(127, 'L'), a127(127, 'A'), d127(127, '7');
  struct Case {
    std::string pattern, text;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"(L*)*X", l127 + "L", false},
      {"(L*)*X", l127 + "X", true},
      {"(L*)*X", l127 + "Y", false},
      {"(A|AA)*X", a127 + "A", false},
      {"(A|AA)*X", a127 + "X", true},
      {"L*L*L*L*L*L*L*X", l127 + "L", false},
      {"L*L*L*L*L*L*L*X", l127 + "X", true},
      {"[0-9]{1,20}[0-9]{1,20}[0-9]{1,20}[0-9]{1,20}X", d127 + "7", false},
      {"[0-9]{1,20}[0-9]{1,20}[0-9]{1,20}[0-9]{1,20}X", std::string(80, '7') + "X", true},
      {"(?:[0-9]{1,20}){1,6}X", d127 + "7", false},
      {"(?:[0-9]{1,20}){1,6}X", std::string(120, '7') + "X", true},
      {"(?:[0-9]{1,20}){1,6}X", d127 + "X", false},  // 127 digits: more than 6 x 20
      {"((((L*)*)*)*)*X", l127 + "L", false},
      {"((((L*)*)*)*)*X", l127 + "X", true},
      {"(?:(?:L|LL|LLL)*)*(?:L|M)*X", l127 + "L", false},
      {"(.*)*(.*)*(.*)*X", l127 + "L", false},
  };
  for (const Case& c : cases) {
    REQUIRE(c.text.size() <= 128);
    auto compiled = RulePattern::Compile(c.pattern);
    REQUIRE_MESSAGE(compiled.ok(), c.pattern << ": " << Why(compiled));
    CHECK_MESSAGE(compiled->Matches(c.text) == c.matches, c.pattern);
  }
}

TEST_CASE("a default-constructed rule pattern matches nothing") {
  const RulePattern none;
  CHECK_FALSE(none.Matches(""));
  CHECK_FALSE(none.Matches("A"));
}
