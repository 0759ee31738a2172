#include <doctest/doctest.h>

#include "kiosk/core/barcode/gs1.hpp"

using namespace kiosk::barcode;

TEST_CASE("Digital Link: GTIN and serial on id.gs1.org") {
  Gs1Parse p = ParseDigitalLink("https://id.gs1.org/01/00614141000012/21/C45A0001234");
  REQUIRE_MESSAGE(p.ok(), p.error);
  REQUIRE(p.ais.size() == 2);
  CHECK(p.ais[0] == std::pair<std::string, std::string>{"01", "00614141000012"});
  CHECK(p.ais[1] == std::pair<std::string, std::string>{"21", "C45A0001234"});
}

TEST_CASE("Digital Link: any host, a path prefix, query attributes, short GTIN padded") {
  Gs1Parse p = ParseDigitalLink("HTTPS://example.com/products/01/9506000134352/10/LOT%2F7/21/S%201?17=261231&linkType=gs1:pip#x");
  // "%20" is a space, which GS1 does not allow in a serial.
  CHECK(p.error == "(21) contains a space at position 2, which GS1 does not allow");
  p = ParseDigitalLink("http://example.com/products/01/9506000134352/10/LOT%2F7/21/S1?17=261231&linkType=gs1:pip");
  REQUIRE_MESSAGE(p.ok(), p.error);
  REQUIRE(p.ais.size() == 4);
  CHECK(p.ais[0].second == "09506000134352");
  CHECK(p.ais[1].second == "LOT/7");
  CHECK(p.ais[3] == std::pair<std::string, std::string>{"17", "261231"});
}

TEST_CASE("Digital Link: convenience aliases") {
  Gs1Parse p = ParseDigitalLink("https://d.example/gtin/00614141000012/ser/ABC");
  REQUIRE_MESSAGE(p.ok(), p.error);
  CHECK(p.ais[1] == std::pair<std::string, std::string>{"21", "ABC"});
}

TEST_CASE("Digital Link: exact reasons") {
  CHECK(ParseDigitalLink("https://id.gs1.org/01/00614141000013").error == "(01) GTIN check digit is 3, expected 2");
  CHECK(ParseDigitalLink("https://example.com/about/us").error ==
        "not a GS1 Digital Link: the path has no primary key such as /01/ followed by a GTIN");
  CHECK(ParseDigitalLink("https://id.gs1.org/01/00614141000012/21").error ==
        "Digital Link path ends with /21/ without a value");
  CHECK(ParseDigitalLink("https://id.gs1.org/01/00614141000012/99x/1").error ==
        "Digital Link path has an unknown application identifier \"99x\"");
  CHECK(ParseDigitalLink("https://id.gs1.org/01/00614141000012/21/A%4").error ==
        "Digital Link value of (21) has a bad percent escape: \"A%4\"");
  CHECK(ParseDigitalLink("https:///01/00614141000012").error == "not a GS1 Digital Link: the address has no host");
  CHECK(ParseDigitalLink("https://id.gs1.org/01/00614141000012?23=5").error ==
        "Digital Link query has an unknown application identifier \"23\"");
}
