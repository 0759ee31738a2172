#include <doctest/doctest.h>

#include <string>

#include "kiosk/core/barcode/gs1.hpp"

using namespace kiosk::barcode;
using namespace std::string_literals;

namespace {

// One refusal: the input, where the first fault is (1-based character) and the reason.
struct Refusal {
  std::string input;
  size_t at;
  std::string reason;
};

void CheckRefusals(const std::vector<Refusal>& cases, Gs1Parse (*parse)(std::string_view)) {
  for (const Refusal& r : cases) {
    CAPTURE(r.input);
    Gs1Parse p = parse(r.input);
    CHECK_FALSE(p.ok());
    CHECK(p.error == "character " + std::to_string(r.at) + ": " + r.reason);
    CHECK(p.error_at == r.at);
  }
}

}  // namespace

TEST_CASE("AI table: lengths, formats, components and prefix lookup") {
  const AiSpec* gtin = LookupAi("01");
  REQUIRE(gtin);
  CHECK(gtin->Fixed());
  CHECK(gtin->min_length == 14);
  CHECK(gtin->check_digit);
  CHECK(gtin->predefined);
  CHECK(gtin->dl_primary);
  CHECK(gtin->dl_qualifiers == "22,10,21|235");
  const AiSpec* serial = LookupAi("21");
  REQUIRE(serial);
  CHECK(serial->format == AiFormat::Alphanumeric);
  CHECK(serial->max_length == 20);
  CHECK_FALSE(serial->predefined);
  CHECK_FALSE(serial->dl_primary);
  CHECK(LookupAi("8004")->max_length == 30);
  CHECK(LookupAi("253")->min_length == 13);  // N13 + optional X..17
  CHECK(LookupAi("253")->max_length == 30);
  CHECK(LookupAi("8010")->format == AiFormat::Cset39);
  CHECK(LookupAi("8030")->format == AiFormat::Cset64);
  CHECK(LookupAi("4330")->part_count == 2);
  CHECK(LookupAi("4330")->parts[1].optional);
  CHECK(LookupAi("11")->date);
  CHECK(LookupAi("17")->date);
  CHECK(LookupAi("00")->min_length == 18);
  CHECK(LookupAi("8006")->Fixed());
  CHECK_FALSE(LookupAi("8006")->predefined);  // fixed, but FNC1 must follow it
  CHECK(LookupAi("3103"));
  CHECK(LookupAi("3105"));
  CHECK(LookupAi("7039")->title == "PROCESSOR # 9");
  CHECK(LookupAi("7239")->title == "CERT # 10");
  CHECK(LookupAi("715")->title == "NHRN NDC");
  // AIs that do not exist.
  for (const char* none : {"310", "3106", "3109", "3376", "3944", "3956", "04", "14", "18", "19", "23", "236", "244",
                           "252", "256", "26", "27", "28", "29", "38", "3700", "404", "418", "428", "4334", "44", "50",
                           "7012", "7043", "716", "7243", "8000", "8014", "8021", "8113", "8201", "89", "8"}) {
    CAPTURE(none);
    CHECK_FALSE(LookupAi(none));
  }
  CHECK(AiLengthForPrefix("23") == 3);
  CHECK(AiLengthForPrefix("31") == 4);
  CHECK(AiLengthForPrefix("99") == 2);
  CHECK(AiLengthForPrefix("26") == 0);
  CHECK(FindAiAtStart("8004ABC")->key == "8004");
  CHECK(FindAiAtStart("2412345")->key == "241");
  CHECK(FindAiAtStart("x1") == nullptr);
}

TEST_CASE("every AI of the table: a value of its own format is accepted by the value rules") {
  // The table's own consistency: component lengths add up, and the check names were all known.
  int count = 0;
  for (int digits = 2; digits <= 4; ++digits) {
    int top = digits == 2 ? 100 : digits == 3 ? 1000 : 10000;
    for (int n = 0; n < top; ++n) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%0*d", digits, n);
      const AiSpec* s = LookupAi(buf);
      if (!s) continue;
      ++count;
      CAPTURE(buf);
      int min = 0, max = 0;
      for (int p = 0; p < s->part_count; ++p) {
        min += s->parts[p].optional ? 0 : s->parts[p].min_length;
        max += s->parts[p].max_length;
        CHECK(s->parts[p].max_length >= 1);
      }
      CHECK(min == s->min_length);
      CHECK(max == s->max_length);
      CHECK(s->max_length <= 90);
      CHECK_FALSE(s->title.empty());
    }
  }
  // 00 ... 99: 522 AIs in the General Specifications' table as this kiosk carries it.
  CHECK(count == 522);
}

TEST_CASE("element strings GS1 accepts") {
  struct Accept {
    std::string input;
    size_t elements;
  };
  const std::vector<Accept> cases = {
      {"0100614141000012" "21C45A0001234", 2},
      {"010950600013435217261231" "10LOT-42\x1D" "21SN123\x1D" "2401234-5", 5},
      {"\x1D" "0100614141000012\x1D\x1D" "21ABC\x1D", 2},  // FNC1 first, doubled and last
      {"00106141411234567897", 1},
      {"00106141411234567897" "4307DE\x1D" "4321" "1", 3},
      {"80040614141ABC-123/45", 1},
      {"0100614141000012" "11240229" "241PART-9\x1D" "250SEC2\x1D" "21X", 5},
      {"00106141411234567897" "0210614141000019" "37" "12", 3},
      {"0100614141000012" "3103001250", 2},
      {"0100614141000012" "3103001250" "3922199", 3},  // PRICE needs (01) and a measure
      {"0100614141000012" "422276", 2},
      {"0100614141000012" "423276040\x1D" "7030999ABC", 3},
      {"0100614141000012" "17261200", 2},  // day 00: the last day of the month
      {"0100614141000012" "7003" "2612312359", 2},
      {"00106141411234567897" "4330" "001234-", 2},
      {"8013" "1987654Ad4X4bL5ttr2310c2K", 1},  // GMN with its check character pair
      {"8006" "10614141000019" "0102", 1},
      {"4150614141000418" "8020REF1\x1D" "3912978" "12345\x1D" "8007GB82WEST12345698765432", 4},
      {"40206141410000000005", 1},
      {"8010" "0614141ABC#-/\x1D" "8011" "123", 2},
      {"8017" "006141410000000005", 1},
      {"0100614141000012" "8001" "012000500011" "9" "1", 1 + 1},
      {"0100614141000012" "8008" "26123123" "59", 2},
      {"0100614141000012" "91" + std::string(90, 'x'), 2},
  };
  for (const Accept& a : cases) {
    CAPTURE(a.input);
    Gs1Parse p = ParseElementString(a.input);
    CHECK_MESSAGE(p.ok(), p.error);
    CHECK(p.ais.size() == a.elements);
    CHECK(p.error_at == 0);
  }
  Gs1Parse p = ParseElementString("010950600013435217261231" "10LOT-42\x1D" "21SN123");
  REQUIRE(p.ok());
  CHECK(p.ais[0] == std::pair<std::string, std::string>{"01", "09506000134352"});
  CHECK(p.ais[2] == std::pair<std::string, std::string>{"10", "LOT-42"});
}

TEST_CASE("element strings GS1 refuses: the first fault, at its character") {
  const std::string gtin = "0100614141000012";  // 16 characters
  CheckRefusals(
      {
          // Check digits and GS1 prefixes.
          {"0100614141000013", 16, "(01) GTIN check digit is 3, expected 2"},
          {"00106141411234567891", 20, "(00) SSCC check digit is 1, expected 7"},
          {"0109814141000017", 4, "(01) GTIN has GS1 prefix 981, which GS1 keeps for refund receipts and coupons, not trade items"},
          {"8013" "1987654Ad4X4bL5ttr2310cXK", 28, "(8013) GMN check characters are \"XK\", expected \"2K\""},
          // Company prefix at the start of alphanumeric keys.
          {"8004ABC-123/45", 5, "(8004) GIAI must start with a GS1 Company Prefix (at least 4 digits), found 'A'"},
          {"401061X", 7, "(401) GINC must start with a GS1 Company Prefix (at least 4 digits), found 'X'"},
          // Lengths.
          {"010061414100", 13, "(01) is cut short: 10 of 14 digits"},
          {"0100614141\x1D" "21ABC", 11, "(01) is cut short: 8 of 14 digits"},
          {gtin + "17", 19, "(17) is cut short: 0 of 6 digits"},
          {gtin + "21", 19, "(21) has no value"},
          {gtin + "21ABCDEFGHIJKLMNOPQRSTU", 39, "(21) is 21 characters long, at most 20 allowed (is a GS separator missing after it?)"},
          {"40206141410000000005" "0100614141000012", 21,
           "(402) is not of predefined length, so a GS separator must follow its 17 digits"},
          // AIs that do not exist.
          {gtin + "2312345", 17, "GS1 has no application identifier (231)"},
          {gtin + "3106001250", 17, "GS1 has no application identifier (3106)"},
          {gtin + "2612", 17, "GS1 has no application identifier starting with \"26\""},
          {gtin + "X", 17, "expected an application identifier, found 'X'"},
          {"\x1D\x1D", 1, "no GS1 data"},
          // Character sets.
          {"01006141410000A2", 15, "(01) must be digits only, found 'A'"},
          {gtin + "21AB CD", 21, "(21) contains a space, which GS1 does not allow"},
          {gtin + "21AB\x07", 21, "(21) contains byte 0x07, which GS1 does not allow"},
          {"8010" "0614141abc", 12, "(8010) contains 'a', which GS1 character set 39 does not allow"},
          // Dates and times.
          {gtin + "17261300", 21, "(17) 261300 is not a valid date (YYMMDD): month 13"},
          {gtin + "17250229", 23, "(17) 250229 is not a valid date (YYMMDD): day 29"},
          {gtin + "7006" "261200", 25, "(7006) 261200 is not a valid date (YYMMDD): day 00"},
          {gtin + "7003" "2612312560", 27, "(7003) 2560 is not a valid time (HHMM): hour 25"},
          // Country and currency codes.
          {gtin + "422999", 20, "(422) 999 is not an ISO 3166 country code"},
          {gtin + "423276041", 23, "(423) 041 is not an ISO 3166 country code"},
          {gtin + "42327604", 20, "(423) holds country codes of 3 digits each, found 5 digits"},
          {"00106141411234567897" "4307XX", 25, "(4307) \"XX\" is not an ISO 3166 alpha-2 country code"},
          {"4150614141000418" "8020REF1\x1D" "3912001" "12345", 30, "(3912) 001 is not an ISO 4217 currency code"},
          // Other content rules.
          {"00106141411234567897" "43212", 25, "(4321) must be 0 (no) or 1 (yes), found 2"},
          {"8006" "10614141000019" "0302", 19, "(8006) piece 03 of 02 is not valid"},
          {"4150614141000418" "8020REF1\x1D" "8007GB82WEST12345698765433", 30,
           "(8007) \"GB82WEST12345698765433\" is not a valid IBAN"},
          {"8010" "0614141ABC\x1D" "80110123", 20, "(8011) may not start with 0"},
          {gtin + "8001" "000000500011" "9" "1", 21, "(8001) has 0000 where zero is not allowed"},
          {gtin + "8001" "012000500011" "5" "1", 33, "(8001) winding direction must be 0, 1 or 9, found 5"},
          {"00106141411234567897" "4330" "001234+", 31, "(4330) may only end with '-' (below zero), found '+'"},
          // Several faults: the first one in the scan is reported.
          {"0100614141000013" "17261300", 16, "(01) GTIN check digit is 3, expected 2"},
          {"17261300" "0100614141000013", 5, "(17) 261300 is not a valid date (YYMMDD): month 13"},
      },
      ParseElementString);
}

TEST_CASE("pairs GS1 requires and pairs it forbids") {
  const std::string gtin = "0100614141000012";
  CheckRefusals(
      {
          {"21ABC", 1, "(21) SERIAL needs one of (01) GTIN or (8006) ITIP in the same barcode"},
          {"0210614141000019", 1, "(02) CONTENT needs (37) COUNT in the same barcode"},
          {"3922199", 1, "(3922) PRICE needs (01) GTIN in the same barcode"},
          {gtin + "3922199", 17,
           "(3922) PRICE needs one of (30) VAR. COUNT, (31nn), (32nn), (35nn) or (36nn) in the same barcode"},
          {gtin + "250X", 17, "(250) SECONDARY SERIAL needs (21) SERIAL in the same barcode"},
          {gtin + "21A\x1D" "21B", 21, "(21) appears twice with different values (\"A\" and \"B\")"},
          {gtin + "0210614141000019", 17, "(01) GTIN and (02) CONTENT cannot be in the same barcode"},
          {gtin + "3103001250" "3102012500", 27, "(3103) NET WEIGHT (kg) and (3102) NET WEIGHT (kg) cannot be in the same barcode"},
          {gtin + "235TPX1\x1D" "21A", 25, "(235) TPX and (21) SERIAL cannot be in the same barcode"},
          {"8017006141410000000005\x1D" "8018006141410000000005", 24,
           "(8017) GSRN - PROVIDER and (8018) GSRN - RECIPIENT cannot be in the same barcode"},
          {"00106141411234567897" "4330" "001234\x1D" "4331" "001234", 32,
           "(4330) MAX TEMP F. and (4331) MAX TEMP C. cannot be in the same barcode"},
          {gtin + "422276\x1D" "426276", 24, "(422) ORIGIN and (426) COUNTRY - FULL PROCESS cannot be in the same barcode"},
      },
      ParseElementString);
  CHECK(ParseElementString(gtin + "21A\x1D" "21A").ok());  // the same value twice is one element
  CHECK(ParseElementString(gtin + "3103001250" "3103001250").ok());
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
  CheckRefusals(
      {
          {"(01)0061414100001", 18, "(01) has 13 digits, expected 14"},
          {"(01)006141410000123", 19, "(01) has 15 digits, expected 14"},
          {"(01)00614141000012(23)X", 20, "GS1 has no application identifier (23)"},
          {"(01)00614141000012(21)", 23, "(21) has no value"},
          {"(01)00614141000013", 18, "(01) GTIN check digit is 3, expected 2"},
          {"(21)A", 1, "(21) SERIAL needs one of (01) GTIN or (8006) ITIP in the same barcode"},
          {"x(01)00614141000012", 1, "expected an application identifier in parentheses, like (01)"},
      },
      ParseHumanReadable);
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
