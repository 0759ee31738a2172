// The one fast JSON reader (kiosk/core/lean_json.hpp): what it reads, and what it leaves to
// nlohmann ("not mine"). fuzz/fuzz_lean_json.cpp checks the same against nlohmann at random.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kiosk/core/lean_json.hpp"

using namespace kiosk;

namespace {
struct Events {
  std::vector<std::string> seen;
  bool null() { return Add("null"); }
  bool boolean(bool v) { return Add(v ? "true" : "false"); }
  bool number_integer(int64_t) { return Add("num"); }
  bool string(std::string& v) { return Add("s:" + v); }
  bool key(std::string& v) { return Add("k:" + v); }
  bool start_object(size_t) { return Add("{"); }
  bool end_object() { return Add("}"); }
  bool start_array(size_t) { return Add("["); }
  bool end_array() { return Add("]"); }
  bool Add(std::string e) {
    const bool go_on = e != "s:stop";
    seen.push_back(std::move(e));
    return go_on;
  }
};
}  // namespace

TEST_CASE("ReadPlain: plain payloads are read as SAX events, escapes, non-ASCII and junk are not mine") {
  Events e;
  CHECK(lean_json::ReadPlain(R"( {"a": [1, -0.5, true, null], "b": {"c": "d"}} )", e) == lean_json::Outcome::Done);
  CHECK(e.seen == std::vector<std::string>{"{", "k:a", "[", "num", "num", "true", "null", "]", "k:b", "{", "k:c", "s:d", "}", "}"});
  for (const char* text : {R"({"a":"\n"})", "{\"a\":\"\xc3\xa9\"}", R"({"a":01})", R"({"a":1,})", R"([1 2])", R"({"a":1} x)",
                           R"({"a")", "", R"(-)", R"(1.)", R"(1e)", R"(tru)",
                           // numbers a double may not hold are nlohmann's to refuse (found by the fuzzer)
                           R"([12e43243345478])", R"([1e5])", R"([1234567890123456789])"}) {
    Events n;
    CHECK_MESSAGE(lean_json::ReadPlain(text, n) == lean_json::Outcome::NotPlain, text);
  }
  std::string deep(70, '[');
  deep += std::string(70, ']');
  Events d;
  CHECK(lean_json::ReadPlain(deep, d) == lean_json::Outcome::NotPlain);  // deeper than 64: nlohmann's job
}

TEST_CASE("ReadPlain: a handler that stops is told apart from text that is not plain") {
  Events e;
  CHECK(lean_json::ReadPlain(R"(["a","stop","b"])", e) == lean_json::Outcome::Stopped);
  CHECK(e.seen.back() == "s:stop");
}

TEST_CASE("Cursor: fixed-shape documents member by member") {
  lean_json::Cursor c(R"({"seq":42,"text":"a\"b\\c\u0041","detail":{"x":[1,{"y":null}]},"n":-7})");
  std::string s;
  int64_t v = 0;
  std::string_view raw;
  REQUIRE(c.Lit(R"({"seq":)"));
  REQUIRE(c.Int(v));
  CHECK(v == 42);
  REQUIRE(c.Lit(R"(,"text":)"));
  CHECK_FALSE(c.Str(s));  // \u is left to nlohmann
  lean_json::Cursor d(R"("a\"b\\c\/d\t" {"x":[1,{"y":null}]},-7,1.5,007)");
  REQUIRE(d.Str(s));
  CHECK(s == "a\"b\\c/d\t");
  REQUIRE(d.Lit(" "));
  REQUIRE(d.Raw(raw));
  CHECK(raw == R"({"x":[1,{"y":null}]})");
  REQUIRE(d.Lit(","));
  REQUIRE(d.Int(v));
  CHECK(v == -7);
  REQUIRE(d.Lit(","));
  CHECK_FALSE(d.Int(v));  // a fraction is not an integer
  lean_json::Cursor z("007");
  CHECK_FALSE(z.Int(v));  // nor a leading zero
  lean_json::Cursor big("1234567890123456789");
  CHECK_FALSE(big.Int(v));  // 19 digits might not fit: nlohmann's job
}

TEST_CASE("Utf8Length follows RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF") {
  CHECK(lean_json::Utf8Length("\xc3\xa9", 0) == 2);
  CHECK(lean_json::Utf8Length("\xe2\x82\xac", 0) == 3);
  CHECK(lean_json::Utf8Length("\xf0\x9f\x98\x80", 0) == 4);
  CHECK(lean_json::Utf8Length("\xc0\xaf", 0) == 0);          // overlong '/'
  CHECK(lean_json::Utf8Length("\xed\xa0\x80", 0) == 0);      // a surrogate
  CHECK(lean_json::Utf8Length("\xf4\x90\x80\x80", 0) == 0);  // above U+10FFFF
  CHECK(lean_json::Utf8Length("\xe2\x82", 0) == 0);          // cut short
}
