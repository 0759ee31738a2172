// The central's reading of event payloads for its rules (ReadPayload) against the plain reading
// of each payload's tree: for every payload it reads, it must agree, whichever parser read it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "central/rules.hpp"

using nlohmann::json;
using kiosk::central::PayloadFacts;
using kiosk::central::ReadPayload;

namespace {

PayloadFacts Read(const std::string& payload, const std::string& type = "sellout.reported") {
  kiosk::Event e;
  e.type = type;
  e.payload = payload;
  return ReadPayload(e);
}

// Where ReadPayload says it read the payload, its facts are the tree's: whether it is an object,
// and for a sell-out the partner and each unit's GTIN and serial.
void CheckAgreesWithTree(const std::string& payload) {
  CAPTURE(payload);
  const PayloadFacts f = Read(payload);
  const json tree = json::parse(payload, nullptr, false);
  if (!f.read) return;  // a member of a shape the reading does not vouch for: the rules parse the tree
  CHECK(f.object == tree.is_object());
  if (!tree.is_object()) return;
  CHECK(f.partner_id == tree.value("partner_id", ""));
  std::vector<kiosk::central::SoldUnit> units;
  if (tree.contains("units") && tree["units"].is_array())
    for (const json& u : tree["units"]) units.push_back({u.value("gtin", ""), u.value("serial", "")});
  REQUIRE(f.units.size() == units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    CHECK(f.units[i].gtin == units[i].gtin);
    CHECK(f.units[i].serial == units[i].serial);
  }
}

}  // namespace

TEST_CASE("payload reading: plain payloads, escapes, numbers and malformed ones agree with the tree") {
  const std::vector<std::string> payloads = {
      R"({"partner_id":"P-FI-0001","card":"6299000000001","units":[{"gtin":"00614141000043","serial":"X1"}]})",
      R"({ "units" : [ { "serial" : "S2" , "gtin" : "0001" } , {"gtin":"0002","serial":"S3","note":{"a":[1,2.5e3,-0.1,true,false,null]}} ] , "partner_id" : "P-2" })",
      R"({"partner_id":"P-\u00e9","units":[{"gtin":"0001","serial":"S\"1"}]})",
      "{\"partner_id\":\"P-\xc3\xa9\",\"units\":[]}",
      "{\"partner_id\":\"P-\xc3\",\"units\":[]}",  // invalid UTF-8
      R"({"devices":[{"asset_tag":"DEMO-00001","n":0}],"count":12,"ratio":-1.5E-3})",
      R"({"a":01})", R"({"a":-})", R"({"a":1.})", R"({"a":1e})", R"({"a":.5})", R"({"a":+1})", R"({"a":tru})",
      R"({"a":1,})", R"({,})", R"({"a" 1})", R"({"a":1}})", R"({"a":1} x)", R"({"a":[1,]})", R"([1,2])",
      R"("just a string")", "", "   ", "{", "}", R"({"a":"line
break"})",
      R"({"units":"none"})", R"({"units":{}})", R"({"units":[1]})", R"({"units":[["x"]]})",
      R"({"units":[{"gtin":5}]})", R"({"partner_id":7})", R"({"partner_id":"A","partner_id":"B"})",
      R"({"units":[{"gtin":"1","gtin":"2"}]})", R"({"x":{"units":[{"gtin":"1"}]},"units":[{"serial":"Z"}]})",
      std::string(70, '[') + std::string(70, ']'), "{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}",
      " \t\r\n{\"partner_id\" :\t\"P\"}\n ",
  };
  for (const auto& p : payloads) CheckAgreesWithTree(p);

  // Plain payloads are read (not left to the rules), and a malformed one is read as "not an object".
  CHECK(Read(payloads[0]).read);
  CHECK(Read(payloads[0]).units.size() == 1);
  CHECK(Read(payloads[1]).read);
  CHECK(Read(payloads[1]).units.size() == 2);
  CHECK(Read(payloads[2]).partner_id == "P-\xc3\xa9");
  CHECK(Read(payloads[2]).units[0].serial == "S\"1");
  CHECK(Read(R"({"a":01})").read);
  CHECK(!Read(R"({"a":01})").object);
  CHECK(!Read("{\"partner_id\":\"P-\xc3\",\"units\":[]}").object);
  CHECK(Read(R"({"devices":[]})", "device.audited").object);
}

TEST_CASE("payload reading: thousands of one-byte edits of real payloads agree with the tree") {
  const std::vector<std::string> bases = {
      R"({"partner_id":"P-FI-0001","card":"6299000000001","units":[{"gtin":"00614141000043","serial":"X1"},{"gtin":"00614141000050","serial":"X2"}]})",
      R"({"devices":[{"asset_tag":"DEMO-00001","model":"C4500"}],"count":2,"at":-12.5e-1,"ok":true,"gone":null})",
  };
  const std::string alphabet = "{}[]\",:\\ -+.0123456789eEtrufalsn\tu\xc3\xa9\x01xyz";
  std::mt19937 rng(20261125);
  int read = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p = bases[static_cast<size_t>(i) % bases.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !p.empty(); ++k) {
      const size_t at = rng() % p.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: p[at] = c; break;
        case 1: p.insert(p.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: p.erase(at, 1); break;
      }
    }
    CheckAgreesWithTree(p);
    read += Read(p).read;
  }
  CHECK(read > 10000);  // most edits still leave something the rules read
}
