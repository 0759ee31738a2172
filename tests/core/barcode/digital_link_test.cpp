#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kiosk/core/barcode/gs1.hpp"

using namespace kiosk::barcode;

namespace {
using Pair = std::pair<std::string, std::string>;
}

TEST_CASE("Digital Links the standard accepts") {
  struct Accept {
    std::string uri;
    AiList ais;
  };
  const std::vector<Accept> cases = {
      {"https://id.gs1.org/01/00614141000012/21/C45A0001234", {{"01", "00614141000012"}, {"21", "C45A0001234"}}},
      // Any host, a path stem of its own, upper-case scheme, short GTIN padded, fragment ignored.
      {"HTTPS://example.com/products/01/9506000134352/10/LOT%2F7/21/S1?17=261231&linkType=gs1:pip#x",
       {{"01", "09506000134352"}, {"10", "LOT/7"}, {"21", "S1"}, {"17", "261231"}}},
      {"https://d.example/01/95012346", {{"01", "00000095012346"}}},
      // Qualifiers: any of them, in their order; 235 is the alternative to 22/10/21.
      {"https://id.gs1.org/01/00614141000012/22/V1/21/S", {{"01", "00614141000012"}, {"22", "V1"}, {"21", "S"}}},
      {"https://id.gs1.org/01/00614141000012/235/TPX9", {{"01", "00614141000012"}, {"235", "TPX9"}}},
      // A '+' is itself in the path; in the query it must be written %2B.
      {"https://id.gs1.org/01/00614141000012/21/A+B?240=X%2BY", {{"01", "00614141000012"}, {"21", "A+B"}, {"240", "X+Y"}}},
      // Other primary keys.
      {"https://example.com/00/106141411234567897", {{"00", "106141411234567897"}}},
      {"https://example.com/414/0614141000418/254/EXT1", {{"414", "0614141000418"}, {"254", "EXT1"}}},
      {"https://example.com/8004/0614141ABC", {{"8004", "0614141ABC"}}},
      {"https://example.com/8010/0614141ABC/8011/12", {{"8010", "0614141ABC"}, {"8011", "12"}}},
      {"https://example.com/8006/106141410000190102/21/S", {{"8006", "106141410000190102"}, {"21", "S"}}},
      // A stem segment that looks like an AI, then the key.
      {"https://example.com/10/01/00614141000012", {{"01", "00614141000012"}}},
      // The convenience names of earlier releases.
      {"https://d.example/gtin/00614141000012/ser/ABC", {{"01", "00614141000012"}, {"21", "ABC"}}},
  };
  for (const Accept& a : cases) {
    CAPTURE(a.uri);
    Gs1Parse p = ParseDigitalLink(a.uri);
    CHECK_MESSAGE(p.ok(), p.error);
    CHECK(p.ais == a.ais);
  }
}

TEST_CASE("Digital Links the standard refuses: the first fault, at its character") {
  struct Refusal {
    std::string uri;
    size_t at;
    std::string reason;
  };
  const std::string base = "https://id.gs1.org/01/00614141000012";  // 36 characters
  const std::vector<Refusal> cases = {
      {"https://id.gs1.org/01/00614141000013", 36, "(01) GTIN check digit is 3, expected 2"},
      {"https://example.com/about/us", 20, "not a GS1 Digital Link: the path has no primary key such as /01/ followed by a GTIN"},
      {"https:///01/00614141000012", 9, "not a GS1 Digital Link: the address has no host"},
      {base + "/21", 38, "the Digital Link path ends with /21/ without a value"},
      {base + "/99x/1", 38, "the Digital Link path has \"99x\" where an application identifier belongs"},
      {base + "/21/A%4", 42, "'%' must be followed by two hex digits in a Digital Link"},
      {base + "/21/S%201", 42, "(21) contains a space, which GS1 does not allow"},
      // Qualifiers out of order, or from two alternatives.
      {base + "/21/S1/10/L1", 44, "(10) is out of order in the Digital Link path: the qualifiers of (01) go in the order "
                                  "22,10,21|235 ('|' between alternatives that exclude each other)"},
      {base + "/22/V/235/T", 43, "(235) is out of order in the Digital Link path: the qualifiers of (01) go in the order "
                                 "22,10,21|235 ('|' between alternatives that exclude each other)"},
      // What belongs in the path and what in the query.
      {base + "/17/261231", 38, "(17) USE BY OR EXPIRY is not a key qualifier of (01) GTIN: it belongs in the query (?17=...), not the path"},
      {"https://example.com/00/106141411234567897/21/S", 43,
       "(21) SERIAL is not a key qualifier of (00) SSCC: it belongs in the query (?21=...), not the path"},
      {base + "?21=S1", 38, "(21) SERIAL qualifies (01) GTIN: it belongs in the path, not the query"},
      {"https://example.com/00/106141411234567897?01=00614141000012", 43,
       "(01) GTIN is a primary key: it belongs in the path, not the query"},
      {base + "?23=5", 38, "GS1 has no application identifier (23) (in the Digital Link query)"},
      {base + "?17", 38, "(17) has no value in the Digital Link query"},
      {base + "?17=", 41, "(17) has no value"},
      // '+' in the query is a space.
      {base + "?240=X+Y", 43, "(240) contains a space, which GS1 does not allow"},
      // Repeated AIs.
      {base + "?17=261231&17=261231", 48, "(17) appears more than once in the Digital Link"},
      // Pairs GS1 requires or forbids hold for a link too.
      {"https://example.com/00/106141411234567897?17=261231", 43,
       "(17) USE BY OR EXPIRY needs one of (01) GTIN, (02) CONTENT, (255) GCN, (8006) ITIP or (8026) ITIP CONTENT in the same barcode"},
      {"https://example.com/8004/ABC", 26, "(8004) GIAI must start with a GS1 Company Prefix (at least 4 digits), found 'A'"},
      // Several faults: the first one in the link.
      {"https://id.gs1.org/01/00614141000013/21/S%201", 36, "(01) GTIN check digit is 3, expected 2"},
  };
  for (const Refusal& r : cases) {
    CAPTURE(r.uri);
    Gs1Parse p = ParseDigitalLink(r.uri);
    CHECK(p.error == "character " + std::to_string(r.at) + ": " + r.reason);
    CHECK(p.error_at == r.at);
  }
}
