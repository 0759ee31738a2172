#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kiosk/core/barcode/classify.hpp"

using namespace kiosk::barcode;
namespace fs = std::filesystem;

TEST_CASE("assets/barcode_rules.json holds exactly the built-in rules") {
  std::ifstream in(fs::path(KIOSK_TEST_ASSETS) / "barcode_rules.json");
  REQUIRE(in);
  nlohmann::json file = nlohmann::json::parse(in);
  CHECK(file == nlohmann::json::parse(Classifier::DefaultRulesJson()));
  auto r = Classifier::FromFile(fs::path(KIOSK_TEST_ASSETS) / "barcode_rules.json");
  REQUIRE(r.ok());
  CHECK(r->Rules().size() == 3);
  CHECK(r->Classify("BDG-10017").valid);
}

TEST_CASE("a site's own rule: a gs1_mod10 checked customer code") {
  auto r = Classifier::FromJsonText(R"({"rules": [
      {"kind": "asset_tag", "label": "loaner tag", "format": "LN followed by 6 digits", "prefix": "LN",
       "pattern": "^LN[0-9]{6}$", "check": "gs1_mod10"}]})");
  REQUIRE(r.ok());
  CHECK(r->Classify("ln012348").valid);  // 01234 -> check 8 (GS1 mod 10)
  Classified c = r->Classify("LN012347");
  CHECK(c.reason == "loaner tag check digit is 7, expected 8");
  // Without the default rules, a badge is nothing known.
  CHECK(r->Classify("BDG-10017").kind == Kind::Unknown);
}

TEST_CASE("bad rules files are refused with the path of the problem") {
  auto bad = [](const char* text) {
    auto r = Classifier::FromJsonText(text, "test.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == kiosk::ErrorKind::Usage);
    CHECK(r.error().code == "barcode_rules.invalid");
    return r.error().message;
  };
  CHECK(bad("{").find("test.json: /: not valid JSON") == 0);
  CHECK(bad(R"({"rules": 5})").find("test.json: /rules: must be a list of rules") == 0);
  CHECK(bad(R"({"rules": [{"kind": "card", "pattern": "x"}]})").find(
            "test.json: /rules/0/kind: \"card\" is not partner_card, staff_badge or asset_tag") == 0);
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "pattern": "(["}]})").find(
            "test.json: /rules/0/pattern: not a valid regular expression") == 0);
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "pattern": "x", "check": "crc"}]})").find(
            "test.json: /rules/0/check: \"crc\" is not luhn, gs1_mod10 or none") == 0);
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "patern": "x"}]})").find("test.json: /rules/0/patern: unknown field") == 0);
  CHECK(bad(R"({"rules": [{"kind": "asset_tag"}]})").find("test.json: /rules/0/pattern: is missing") == 0);
  CHECK(bad(R"({"format_version": 2, "rules": []})").find("test.json: /format_version: this kiosk reads version 1 only") == 0);
  // Numbers libstdc++'s regex compiler overflowed on (found by fuzz_classifier): refused.
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "pattern": "^A\\77777777777777777777777N"}]})").find(
            "test.json: /rules/0/pattern: not supported: a back-reference") == 0);
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "pattern": "^A{1,77777777777777777777}$"}]})").find(
            "test.json: /rules/0/pattern: not supported: a repeat count") == 0);
  // A quantifier on a quantifier, which libstdc++ backtracks on for minutes (found by fuzz_classifier).
  for (const char* pattern : {"L**", "^A+{2}$", "a*?*", "a???"})
    CHECK_MESSAGE(bad((R"({"rules": [{"kind": "asset_tag", "pattern": ")" + std::string(pattern) + R"("}]})").c_str())
                          .find("test.json: /rules/0/pattern: not supported: a quantifier on a quantifier") == 0,
                  std::string(pattern));
  // Lazy quantifiers, escaped and bracketed stars are ordinary.
  for (const char* pattern : {"^A.*?B$", "^A\\\\*+$", "^[*+?]+$", "^A\\\\d{2}?$", "^A??$", "^(AB)*$"})
    CHECK_MESSAGE(Classifier::FromJsonText(R"({"rules": [{"kind": "asset_tag", "pattern": ")" + std::string(pattern) +
                                               R"("}]})",
                                           "test.json")
                      .ok(),
                  std::string(pattern));
  // Beyond the subset of ECMAScript rules use (kiosk/core/barcode/rule_pattern.hpp).
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "pattern": "^(?=LN)L.*$"}]})").find(
            "test.json: /rules/0/pattern: not supported: a lookahead") == 0);
  CHECK(bad(R"({"rules": [{"kind": "asset_tag", "pattern": "^(\\d{100}){100}$"}]})").find(
            "test.json: /rules/0/pattern: not supported: a pattern of more than 10000 steps") == 0);
  // An escaped backslash before digits, and a long literal digit run, are ordinary.
  CHECK(Classifier::FromJsonText(R"({"rules": [{"kind": "asset_tag", "pattern": "^\\\\123456789\\d{2,12}$"}]})",
                                 "test.json").ok());
}

TEST_CASE("a rule whose pattern std::regex backtracked on for minutes classifies a long scan at once") {
  auto r = Classifier::FromJsonText(R"({"rules": [
      {"kind": "asset_tag", "label": "loaner tag", "pattern": "(L*)*X"},
      {"kind": "staff_badge", "pattern": "(?:[0-9]{1,20}){1,6}X"}]})");
  REQUIRE(r.ok());
  CHECK(r->Classify(std::string(128, 'L')).kind == Kind::Unknown);
  CHECK(r->Classify(std::string(128, '7')).kind != Kind::StaffBadge);
  Classified c = r->Classify(std::string(127, 'l') + "x");  // upper-cased before matching
  CHECK(c.kind == Kind::AssetTag);
  CHECK(c.valid);
  CHECK(r->Classify(std::string(120, '7') + "X").kind == Kind::StaffBadge);
}

TEST_CASE("a missing rules file is a clear error") {
  auto r = Classifier::FromFile("/nonexistent/barcode_rules.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "barcode_rules.unreadable");
  CHECK(r.error().message.find("/nonexistent/barcode_rules.json") != std::string::npos);
}
