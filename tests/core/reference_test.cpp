// Reference documents: validated whole, errors name the JSON path, nothing applied on error.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "kiosk/core/reference.hpp"
#include "support/test_support.hpp"

using namespace kiosk;
using namespace kiosk::test;
using nlohmann::json;

namespace {
json DemoJson() {
  std::ifstream in(DemoReference());
  return json::parse(in);
}
std::string ErrorOf(const json& doc) {
  auto r = ParseReference(doc.dump());
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}
}  // namespace

TEST_CASE("the demo showroom is a valid full snapshot covering the program") {
  std::ifstream in(DemoReference());
  std::stringstream text;
  text << in.rdbuf();
  auto doc = ParseReference(text.str());
  REQUIRE(doc.ok());
  CHECK(doc->full);
  CHECK(doc->partners.size() >= 8);
  CHECK(doc->devices.size() >= 40);
  CHECK(doc->rewards.size() >= 12);
  std::set<Tier> tiers;
  std::set<PartnerType> types;
  for (const auto& p : doc->partners) {
    tiers.insert(p.tier);
    types.insert(p.type);
  }
  CHECK(tiers.size() == 4);
  CHECK(types.size() >= 5);
  std::set<Role> roles;
  for (const auto& b : doc->badges) roles.insert(b.role);
  CHECK(roles.size() == 3);
  for (const auto& d : doc->devices) CHECK(Gs1CheckDigitOk(d.gtin));
  for (const auto& c : doc->cards) CHECK(LuhnOk(c.number));
}

TEST_CASE("check digits: GS1 mod 10 and Luhn") {
  CHECK(Gs1CheckDigitOk("00614141000036"));
  CHECK_FALSE(Gs1CheckDigitOk("00614141000037"));
  CHECK(Gs1CheckDigitOk("4006381333931"));  // EAN-13
  CHECK(Gs1CheckDigitOk("96385074"));       // EAN-8
  CHECK(LuhnOk("6299246000100012"));
  CHECK_FALSE(LuhnOk("6299246000100013"));
}

TEST_CASE("malformed JSON reports line and column") {
  auto r = ParseReference("{\n  \"format\": \"showroom-kiosk/reference\",\n  \"version\": 1,,\n}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "reference.syntax");
  CHECK(r.error().message.find("line 3") != std::string::npos);
}

TEST_CASE("a number too large for the parser is an error, not a crash") {
  auto r = ParseReference(R"({"format": "showroom-kiosk/reference", "version": 1e999999})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "reference.syntax");
}

TEST_CASE("every kind of invalid record names its exact JSON path") {
  json d = DemoJson();
  d["devices"][17]["gtin"] = "00614141000037";
  CHECK(ErrorOf(d).rfind("/devices/17/gtin:", 0) == 0);

  d = DemoJson();
  d["partners"][2]["tier"] = "diamond";
  CHECK(ErrorOf(d).rfind("/partners/2/tier: 'diamond' is not one of", 0) == 0);

  d = DemoJson();
  d["cards"][0]["partner_id"] = "P-NOPE";
  CHECK(ErrorOf(d).rfind("/cards/0/partner_id: no partner", 0) == 0);

  d = DemoJson();
  d["rewards"][3].erase("points");
  CHECK(ErrorOf(d) == "/rewards/3/points: required field is missing");

  d = DemoJson();
  d["badges"][1]["code"] = d["badges"][0]["code"];
  CHECK(ErrorOf(d).find("duplicate key") != std::string::npos);

  d = DemoJson();
  d["settings"]["offline_soft_points"] = 999999;
  CHECK(ErrorOf(d).rfind("/settings/offline_soft_points", 0) == 0);

  d = DemoJson();
  d["format_version"] = 2;
  CHECK(ErrorOf(d).rfind("/format_version", 0) == 0);
}

TEST_CASE("records are checked as they stream past, with the header's errors first") {
  // ParseReference drops each record from the JSON tree once read: the record's own shape,
  // a list that isn't one, and the order of reported problems must survive that.
  json d = DemoJson();
  d["devices"][1] = 5;
  CHECK(ErrorOf(d) == "/devices/1: expected an object");

  d = DemoJson();
  d["devices"][2] = json::array({1, 2});
  CHECK(ErrorOf(d) == "/devices/2: expected an object");

  d = DemoJson();
  d["rewards"] = json{{"id", "R-1"}};
  CHECK(ErrorOf(d) == "/rewards: expected a list");

  d = DemoJson();
  d["devices"][4]["gtin"] = "1";  // a record error in a file that isn't a reference at all
  d["format"] = "something-else";
  CHECK(ErrorOf(d).rfind("/format:", 0) == 0);

  d = DemoJson();
  d["cards"][1]["deleted"] = true;  // the header ("full") is read after the lists (keys sort)
  CHECK(ErrorOf(d) == "/cards/1/deleted: a full snapshot can't delete records");

  // Nested lists inside a record are the record's own, not records.
  d = DemoJson();
  auto parsed = ParseReference(d.dump(2));
  REQUIRE(parsed.ok());
  CHECK(parsed->devices.size() == d["devices"].size());
  CHECK(parsed->partners.size() == d["partners"].size());
  size_t requirements = 0;
  for (const json& p : d["partners"]) requirements += p.value("next_tier", json::array()).size();
  size_t parsed_requirements = 0;
  for (const Partner& p : parsed->partners) parsed_requirements += p.next_tier.size();
  CHECK(parsed_requirements == requirements);
  CHECK(requirements > 0);
}

TEST_CASE("a reference file is parsed as it is read, with the same results and positions") {
  TempDir dir;
  const auto from_file = ParseReferenceFile(DemoReference());
  std::ifstream in(DemoReference());
  std::stringstream text;
  text << in.rdbuf();
  const auto from_text = ParseReference(text.str());
  REQUIRE(from_file.ok());
  REQUIRE(from_text.ok());
  CHECK(ReferenceToJson(*from_file) == ReferenceToJson(*from_text));

  const auto bad = dir / "bad.json";
  std::ofstream(bad) << "{\n  \"format\": \"showroom-kiosk/reference\",\n  \"version\": 1x\n}";
  auto r = ParseReferenceFile(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "reference.syntax");
  INFO(r.error().message);
  CHECK(r.error().message.rfind("line 3, column 15", 0) == 0);

  auto missing = ParseReferenceFile(dir / "missing.json");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "reference.missing");
  CHECK(missing.error().message.find("missing.json") != std::string::npos);
}

TEST_CASE("a malformed file changes nothing in the kiosk") {
  TempDir dir;
  ManualClock clock(DemoDay());
  auto k = MakeDemoKiosk(dir.path(), clock);
  const StatusView before = k->Status();
  json d = DemoJson();
  d["version"] = 2;
  d["partners"][0]["name"] = "Renamed Oy";
  d["devices"][43]["state"] = "lost";  // the last record is bad: everything before it must not stick
  auto r = k->LoadReference(d.dump());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.rfind("/devices/43/state", 0) == 0);
  const StatusView after = k->Status();
  CHECK(after.reference_version == before.reference_version);
  CHECK(after.last_seq == before.last_seq);
  CHECK(k->GetPartner("P-FI-0001")->partner.name == "Tulostin Oy");
}

TEST_CASE("a delta applies on top of its base version only, and deletes records") {
  TempDir dir;
  ManualClock clock(DemoDay());
  auto k = MakeDemoKiosk(dir.path(), clock);
  json delta{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 3}, {"full", false},
             {"base_version", 2},
             {"balances", {{{"partner_id", "P-FI-0001"}, {"available", 30000}, {"pending", 0}}}}};
  auto gap = k->LoadReference(delta.dump());
  REQUIRE_FALSE(gap.ok());
  CHECK(gap.error().code == "reference.version_gap");

  delta["base_version"] = 1;
  delta["version"] = 2;
  delta["rewards"] = {{{"id", "R-001"}, {"deleted", true}}};
  REQUIRE(k->LoadReference(delta.dump()).ok());
  CHECK(k->Status().reference_version == 2);
  CHECK(k->GetPartner(demo::kGoldCard)->balance.available == 30000);
  for (const auto& r : k->Rewards("")) CHECK(r.reward.id != "R-001");
  CHECK(k->GetPartner(demo::kGoldCard)->partner.name == "Tulostin Oy");  // untouched by the delta
}

TEST_CASE("a delta's card must point at a known partner") {
  TempDir dir;
  ManualClock clock(DemoDay());
  auto k = MakeDemoKiosk(dir.path(), clock);
  json delta{{"format", "showroom-kiosk/reference"}, {"format_version", 1}, {"version", 2}, {"full", false},
             {"base_version", 1},
             {"cards", {{{"number", "6299000000000015"}, {"partner_id", "P-XX-9999"}, {"status", "active"}}}}};
  auto r = k->LoadReference(delta.dump());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.rfind("/cards/0/partner_id", 0) == 0);
}
