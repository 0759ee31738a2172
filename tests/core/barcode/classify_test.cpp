#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kiosk/core/barcode/classify.hpp"

using namespace kiosk::barcode;

namespace {
const Classifier& C() {
  static const Classifier c = Classifier::Default();
  return c;
}
}  // namespace

TEST_CASE("partner card: valid, spaced, wrong check digit, near miss") {
  Classified c = C().Classify("6299000000000015");
  CHECK(c.kind == Kind::PartnerCard);
  CHECK(c.valid);
  CHECK(c.value == "6299000000000015");
  CHECK(c.reason.empty());

  c = C().Classify("6299 0000 0000 0015\r\n");
  CHECK(c.kind == Kind::PartnerCard);
  CHECK(c.valid);
  CHECK(c.value == "6299000000000015");

  // The example card in docs/reference-format.md does not pass Luhn.
  c = C().Classify("6299000000000012");
  CHECK(c.kind == Kind::PartnerCard);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "partner card number check digit is 2, expected 5");

  c = C().Classify("629900000000001");
  CHECK(c.kind == Kind::PartnerCard);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "partner card number must be 16 digits starting 6299, got \"629900000000001\"");
}

TEST_CASE("staff badge: Luhn over the first four digits, any case") {
  Classified c = C().Classify("BDG-10017");
  CHECK(c.kind == Kind::StaffBadge);
  CHECK(c.valid);
  CHECK(c.value == "BDG-10017");
  c = C().Classify("bdg-90001");
  CHECK(c.valid);
  CHECK(c.value == "BDG-90001");
  c = C().Classify("BDG-10018");
  CHECK(c.kind == Kind::StaffBadge);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "staff badge check digit is 8, expected 7");
  c = C().Classify("BDG-1001");
  CHECK(c.kind == Kind::StaffBadge);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "staff badge must be BDG- followed by 5 digits, got \"BDG-1001\"");
}

TEST_CASE("asset tag: no check digit, normalised to upper case") {
  Classified c = C().Classify("demo-00017");
  CHECK(c.kind == Kind::AssetTag);
  CHECK(c.valid);
  CHECK(c.value == "DEMO-00017");
  c = C().Classify("DEMO-17");
  CHECK(c.kind == Kind::AssetTag);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "asset tag must be DEMO- followed by 5 digits, got \"DEMO-17\"");
  // A Code 128 asset tag label read with AIM ids on.
  c = C().Classify("]C0DEMO-00017");
  CHECK(c.symbology == "]C0");
  CHECK(c.kind == Kind::AssetTag);
  CHECK(c.valid);
}

TEST_CASE("GS1 DataMatrix with AIM id d2 and GS separators") {
  Classified c = C().Classify("]d20100614141000012" "10LOT7\x1D" "21C45A0001234");
  CHECK(c.kind == Kind::Gs1);
  CHECK(c.valid);
  CHECK(c.symbology == "]d2");
  CHECK(c.data == "0100614141000012" "10LOT7\x1D" "21C45A0001234");
  REQUIRE(c.Gtin());
  CHECK(*c.Gtin() == "00614141000012");
  REQUIRE(c.Serial());
  CHECK(*c.Serial() == "C45A0001234");
  CHECK(c.value == "00614141000012");
  CHECK(c.HumanReadable() == "(01)00614141000012(10)LOT7(21)C45A0001234");
}

TEST_CASE("GS1 in every form a shell user or scanner gives, all equal") {
  const char* forms[] = {
      "(01)00614141000012(21)C45A0001234",
      "]d20100614141000012" "21C45A0001234",
      "]C10100614141000012" "21C45A0001234",
      "]Q30100614141000012" "21C45A0001234",
      "]e00100614141000012" "21C45A0001234",
      "\x1D" "0100614141000012" "21C45A0001234",
      "0100614141000012" "21C45A0001234",
      "]C1(01)00614141000012(21)C45A0001234",
      "https://id.gs1.org/01/00614141000012/21/C45A0001234",
  };
  for (const char* f : forms) {
    CAPTURE(f);
    Classified c = C().Classify(f);
    CHECK(c.valid);
    CHECK(c.Gtin() == std::optional<std::string>("00614141000012"));
    CHECK(c.Serial() == std::optional<std::string>("C45A0001234"));
  }
  CHECK(C().Classify("https://id.gs1.org/01/00614141000012/21/C45A0001234").kind == Kind::DigitalLink);
}

TEST_CASE("typed GS separators are normalised to 0x1D") {
  for (const char* f : {"0100614141000012" "10AB<GS>21X", "0100614141000012" "10AB{GS}21X",
                        "0100614141000012" "10AB\\x1D21X", "0100614141000012" "10AB^]21X",
                        "0100614141000012" "10AB\xE2\x90\x9D" "21X", "0100614141000012" "10AB[gs]21X"}) {
    CAPTURE(f);
    Classified c = C().Classify(f);
    CHECK(c.kind == Kind::Gs1);
    CHECK(c.valid);
    CHECK(c.data == "0100614141000012" "10AB\x1D" "21X");
    CHECK(c.Ai("10") == std::optional<std::string>("AB"));
  }
}

TEST_CASE("GS1 errors keep the kind and say exactly what is wrong") {
  Classified c = C().Classify("]d20100614141000013" "21X");
  CHECK(c.kind == Kind::Gs1);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "character 16: (01) GTIN check digit is 3, expected 2");
  CHECK(c.Gtin() == std::optional<std::string>("00614141000013"));  // still reported, not valid
  c = C().Classify("]d2010061414100");
  CHECK(c.reason == "character 13: (01) is cut short: 10 of 14 digits");
  c = C().Classify("]d2ABC");
  CHECK(c.kind == Kind::Gs1);
  CHECK(c.reason == "character 1: expected an application identifier, found 'A'");
  c = C().Classify("(01)00614141000012(99)");
  CHECK(c.reason == "character 23: (99) has no value");
}

TEST_CASE("EAN-13, EAN-8, UPC-A, UPC-E, GTIN-14 and add-ons") {
  Classified c = C().Classify("4006381333931");
  CHECK(c.kind == Kind::Retail);
  CHECK(c.valid);
  CHECK(c.retail_format == "EAN-13");
  CHECK(c.Gtin() == std::optional<std::string>("04006381333931"));
  c = C().Classify("]E04006381333932");
  CHECK(c.symbology == "]E0");
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "EAN-13 check digit is 2, expected 1");
  c = C().Classify("]E496385074");
  CHECK(c.retail_format == "EAN-8");
  CHECK(c.valid);
  CHECK(c.Gtin() == std::optional<std::string>("00000096385074"));
  c = C().Classify("036000291452");
  CHECK(c.retail_format == "UPC-A");
  CHECK(c.valid);
  CHECK(c.Gtin() == std::optional<std::string>("00036000291452"));
  c = C().Classify("]E004252614");
  CHECK(c.retail_format == "UPC-E");
  CHECK(c.valid);
  CHECK(c.Gtin() == std::optional<std::string>("00042100005264"));
  c = C().Classify("]E001234565");
  CHECK(c.Gtin() == std::optional<std::string>("00012345000065"));
  CHECK(c.valid);
  c = C().Classify("]E3400638133393112");
  CHECK(c.valid);
  CHECK(c.addon == "12");
  CHECK(c.Gtin() == std::optional<std::string>("04006381333931"));
  c = C().Classify("]E012345");
  CHECK(c.kind == Kind::Retail);
  CHECK(c.reason == "EAN/UPC codes have 8, 12, 13 or 14 digits, this one has 5");
  c = C().Classify("00614141000012");
  CHECK(c.retail_format == "GTIN-14");
  CHECK(c.valid);
}

TEST_CASE("unknown and garbage input never crash and say why") {
  Classified c = C().Classify("");
  CHECK(c.kind == Kind::Unknown);
  CHECK(c.reason == "empty scan");
  c = C().Classify("  \r\n");
  CHECK(c.reason == "empty scan");
  c = C().Classify("]d2");
  CHECK(c.reason == "the scan holds only the symbology identifier ]d2");
  c = C().Classify("HELLO WORLD");
  CHECK(c.kind == Kind::Unknown);
  CHECK_FALSE(c.valid);
  CHECK(c.reason == "\"HELLO WORLD\" is not a partner card, staff badge, asset tag, GS1 code or EAN/UPC");
  c = C().Classify(std::string("AB\x07" "C", 4));
  CHECK(c.reason == "not a barcode this kiosk knows: it contains byte 0x07 at character 3");
  c = C().Classify(std::string("\0\xff\xfe", 3));
  CHECK(c.kind == Kind::Unknown);
  c = C().Classify("https://example.com/");
  CHECK(c.kind == Kind::Unknown);
  CHECK(c.reason == "character 20: not a GS1 Digital Link: the path has no primary key such as /01/ followed by a GTIN");
  c = C().Classify(std::string(100000, '9'));  // very long input: bounded work, clear reason
  CHECK(c.kind == Kind::Unknown);
}

TEST_CASE("JSON form of a classification") {
  nlohmann::json j = ToJson(C().Classify("]d20100614141000012" "21C45A0001234"));
  CHECK(j["kind"] == "gs1");
  CHECK(j["valid"] == true);
  CHECK(j["symbology"] == "]d2");
  CHECK(j["gtin"] == "00614141000012");
  CHECK(j["serial"] == "C45A0001234");
  CHECK(j["ais"][0]["title"] == "GTIN");
  CHECK(j["human_readable"] == "(01)00614141000012(21)C45A0001234");
  CHECK_FALSE(j.contains("reason"));
  j = ToJson(C().Classify("BDG-10018"));
  CHECK(j["kind"] == "staff_badge");
  CHECK(j["reason"] == "staff badge check digit is 8, expected 7");
  CHECK(ParseKind("digital_link") == Kind::DigitalLink);
  CHECK_FALSE(ParseKind("nope"));
}
