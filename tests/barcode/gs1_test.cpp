#include <doctest/doctest.h>

#include "kiosk/core/barcode/gs1.hpp"

using namespace kiosk::barcode;
using namespace std::string_literals;

TEST_CASE("AI table: lengths, formats and prefix lookup") {
  const AiSpec* gtin = LookupAi("01");
  REQUIRE(gtin);
  CHECK(gtin->Fixed());
  CHECK(gtin->min_length == 14);
  CHECK(gtin->check_digit);
  CHECK(gtin->predefined);
  const AiSpec* serial = LookupAi("21");
  REQUIRE(serial);
  CHECK(serial->format == AiFormat::Alphanumeric);
  CHECK(serial->max_length == 20);
  CHECK_FALSE(serial->predefined);
  CHECK(LookupAi("8004")->max_length == 30);
  CHECK(LookupAi("240")->max_length == 30);
  CHECK(LookupAi("241")->max_length == 30);
  CHECK(LookupAi("250")->max_length == 30);
  CHECK(LookupAi("11")->date);
  CHECK(LookupAi("17")->date);
  CHECK(LookupAi("00")->min_length == 18);
  CHECK(LookupAi("02")->check_digit);
  CHECK(LookupAi("10")->max_length == 20);
  CHECK(LookupAi("3103"));         // net weight, 3 decimals
  CHECK_FALSE(LookupAi("310"));    // needs the decimal digit
  CHECK_FALSE(LookupAi("23"));
  CHECK_FALSE(LookupAi("8"));
  const AiSpec* at = FindAiAtStart("8004ABC");
  REQUIRE(at);
  CHECK(at->key == "8004");
  CHECK(FindAiAtStart("2412345")->key == "241");
  CHECK(FindAiAtStart("x1") == nullptr);
}

TEST_CASE("raw element string: GTIN + serial, real-world DataMatrix content") {
  Gs1Parse p = ParseElementString("0100614141000012"s + "21C45A0001234");
  REQUIRE(p.ok());
  REQUIRE(p.ais.size() == 2);
  CHECK(p.ais[0] == std::pair<std::string, std::string>{"01", "00614141000012"});
  CHECK(p.ais[1] == std::pair<std::string, std::string>{"21", "C45A0001234"});
}

TEST_CASE("raw element string: variable fields end at GS, fixed ones need none") {
  Gs1Parse p = ParseElementString("010950600013435217261231" "10LOT-42\x1D" "21SN123\x1D" "2401234-5");
  REQUIRE_MESSAGE(p.ok(), p.error);
  REQUIRE(p.ais.size() == 5);
  CHECK(p.ais[0].second == "09506000134352");
  CHECK(p.ais[1] == std::pair<std::string, std::string>{"17", "261231"});
  CHECK(p.ais[2] == std::pair<std::string, std::string>{"10", "LOT-42"});
  CHECK(p.ais[3] == std::pair<std::string, std::string>{"21", "SN123"});
  CHECK(p.ais[4] == std::pair<std::string, std::string>{"240", "1234-5"});
}

TEST_CASE("raw element string: leading, doubled and trailing GS are tolerated") {
  Gs1Parse p = ParseElementString("\x1D" "0100614141000012\x1D\x1D" "21ABC\x1D");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais.size() == 2);
}

TEST_CASE("SSCC, GIAI, (241), (250), (11), (02)") {
  Gs1Parse p = ParseElementString("00106141411234567897");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais[0].second == "106141411234567897");
  p = ParseElementString("8004ABC-123/45");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais[0] == std::pair<std::string, std::string>{"8004", "ABC-123/45"});
  p = ParseElementString("0100614141000012" "11240229" "241PART-9\x1D" "250SEC2" "\x1D" "21X");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais.size() == 5);
  p = ParseElementString("0210614141000019" "37" "12");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais[1] == std::pair<std::string, std::string>{"37", "12"});
}

TEST_CASE("wrong check digits give the digit found and the digit expected") {
  CHECK(ParseElementString("0100614141000013").error == "(01) GTIN check digit is 3, expected 2");
  CHECK(ParseElementString("00106141411234567891").error == "(00) SSCC check digit is 1, expected 7");
}

TEST_CASE("truncated fixed-length AIs") {
  CHECK(ParseElementString("010061414100").error == "(01) is cut short: 10 of 14 digits");
  CHECK(ParseElementString("0100614141\x1D" "21ABC").error == "(01) is cut short: 8 of 14 digits");
  CHECK(ParseElementString("0100614141000012" "17").error == "(17) is cut short: 0 of 6 digits");
  CHECK(ParseElementString("0100614141000012" "21").error == "(21) has no value");
}

TEST_CASE("overlong variable-length AIs") {
  Gs1Parse p = ParseElementString("0100614141000012" "21ABCDEFGHIJKLMNOPQRSTU");  // 21 characters
  CHECK(p.error == "(21) is 21 characters long, at most 20 allowed (is a GS separator missing after it?)");
  p = ParseElementString("8004" + std::string(31, 'A'));
  CHECK(p.error == "(8004) is 31 characters long, at most 30 allowed (is a GS separator missing after it?)");
}

TEST_CASE("unknown AIs and garbage") {
  CHECK(ParseElementString("0100614141000012" "2312345").error ==
        "unknown GS1 application identifier at character 17: \"2312...\"");
  CHECK(ParseElementString("0100614141000012" "X").error ==
        "expected an application identifier at character 17, found 'X'");
  CHECK(ParseElementString("\x1D\x1D").error == "no GS1 data");
  CHECK(ParseElementString("01006141410000A2").error == "(01) must be digits only, found 'A' at position 13");
  CHECK(ParseElementString("0100614141000012" "21AB CD").error ==
        "(21) contains a space at position 3, which GS1 does not allow");
  CHECK(ParseElementString("0100614141000012" "21AB\x07").error ==
        "(21) contains byte 0x07 at position 3, which GS1 does not allow");
}

TEST_CASE("dates are checked as YYMMDD, day 00 means end of month") {
  CHECK(ParseElementString("0100614141000012" "17261300").error == "(17) 261300 is not a valid date (YYMMDD): month 13");
  CHECK(ParseElementString("0100614141000012" "17250229").error == "(17) 250229 is not a valid date (YYMMDD): day 29");
  CHECK(ParseElementString("0100614141000012" "17240229").ok());
  CHECK(ParseElementString("0100614141000012" "17261200").ok());
}

TEST_CASE("rules between elements") {
  CHECK(ParseElementString("21ABC").error == "(21) SERIAL needs a (01) GTIN in the same barcode");
  CHECK(ParseElementString("0100614141000012" "21A\x1D" "21B").error ==
        "(21) appears twice with different values (\"A\" and \"B\")");
  CHECK(ParseElementString("0100614141000012" "21A\x1D" "21A").ok());
  CHECK(ParseElementString("0100614141000012" "0210614141000019").error == "(01) and (02) cannot be in the same barcode");
}

TEST_CASE("human-readable form as people type it") {
  Gs1Parse p = ParseHumanReadable("(01)00614141000012(21)C45A0001234");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais.size() == 2);
  CHECK(p.ais[1].second == "C45A0001234");
  p = ParseHumanReadable("  (01) 00614141000012 (17) 261231 (10) AB(1)C ");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais[1].second == "261231");
  CHECK(p.ais[2].second == "AB(1)C");  // "(1)" is not an AI: fewer than 2 digits
  CHECK(ParseHumanReadable("(01)0061414100001").error == "(01) has 13 digits, expected 14");
  CHECK(ParseHumanReadable("(01)006141410000123").error == "(01) has 15 digits, expected 14");
  CHECK(ParseHumanReadable("(01)00614141000012(23)X").error == "unknown GS1 application identifier (23)");
  CHECK(ParseHumanReadable("(01)00614141000012(21)").error == "(21) has no value");
  CHECK(ParseHumanReadable("(01)00614141000013").error == "(01) GTIN check digit is 3, expected 2");
  CHECK(LooksHumanReadable("(01)1"));
  CHECK_FALSE(LooksHumanReadable("(A)1"));
}

TEST_CASE("element string and human-readable round trip") {
  Gs1Parse p = ParseHumanReadable("(01)09506000134352(17)261231(10)LOT1(21)S1");
  REQUIRE(p.ok());
  std::string raw = ToElementString(p.ais);
  CHECK(raw == "010950600013435217261231" "10LOT1\x1D" "21S1");
  Gs1Parse back = ParseElementString(raw);
  REQUIRE(back.ok());
  CHECK(back.ais == p.ais);
  CHECK(ToHumanReadable(back.ais) == "(01)09506000134352(17)261231(10)LOT1(21)S1");
}
