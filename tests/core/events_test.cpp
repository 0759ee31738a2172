// The journal's event payloads (kiosk/core/events.hpp), without SQLite: the bytes each type writes
// (pinned: the journal's hashes and the central's stored events depend on them), round trips,
// clear errors for malformed payloads, and the lean reader against the tree reader.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/core/events.hpp"

using nlohmann::json;
using namespace kiosk::events;

namespace {

// Writes `sample`, compares with the bytes the kiosk has always journaled, reads them back with
// both engines.
template <class T>
void CheckPinned(const T& sample, std::string_view pinned) {
  CAPTURE(T::kType);
  CHECK(sample.Dump() == pinned);
  auto back = T::FromJson(pinned);
  REQUIRE(back.ok());
  CHECK(*back == sample);
  auto lean = T::ReadLean(pinned);
  REQUIRE(lean.has_value());  // what the kiosk writes is the lean reader's own shape
  CHECK(*lean == sample);
  auto tree = T::ReadTree(pinned);
  REQUIRE(tree.ok());
  CHECK(*tree == sample);
}

// FromJson (lean first, then the tree) and the tree alone give the same answer: the same struct,
// or both an error. Where the lean engine reads at all, it reads what the tree reads.
template <class T>
bool Agree(std::string_view payload) {
  const auto both = T::FromJson(payload);
  const auto tree = T::ReadTree(payload);
  const auto lean = T::ReadLean(payload);
  if (lean && (!tree.ok() || !(*lean == *tree))) return false;
  if (both.ok() != tree.ok()) return false;
  if (both.ok()) return *both == *tree;
  return both.error().message == tree.error().message;
}

template <class T>
std::string ErrorOf(std::string_view payload) {
  auto r = T::FromJson(payload);
  if (r.ok()) return "(read)";
  CHECK(r.error().code == "event.payload");
  return r.error().message;
}

DeviceCheckedOut SampleCheckout() {
  DeviceCheckedOut e;
  e.rep = "BDG-20024";
  e.due_date = "2026-12-08";
  e.purpose = "Customer demo";
  e.devices = {{"DEMO-00007", "00614141000012", "C45-0007"}, {"DEMO-00008", "00614141000029", "TR-0008"}};
  return e;
}

}  // namespace

TEST_CASE("events: each type writes the bytes the kiosk has always journaled, and reads them back") {
  // The same payload built as the services built it before the typed events: nlohmann sorts keys.
  json old{{"rep", "BDG-20024"}, {"due_date", "2026-12-08"}, {"purpose", "Customer demo"}, {"devices", json::array()}};
  old["devices"].push_back({{"asset_tag", "DEMO-00007"}, {"gtin", "00614141000012"}, {"serial", "C45-0007"}});
  old["devices"].push_back({{"asset_tag", "DEMO-00008"}, {"gtin", "00614141000029"}, {"serial", "TR-0008"}});
  CHECK(SampleCheckout().Dump() == old.dump());
  CheckPinned(SampleCheckout(),
              R"({"devices":[{"asset_tag":"DEMO-00007","gtin":"00614141000012","serial":"C45-0007"},)"
              R"({"asset_tag":"DEMO-00008","gtin":"00614141000029","serial":"TR-0008"}],"due_date":"2026-12-08",)"
              R"("purpose":"Customer demo","rep":"BDG-20024"})");
  DeviceCheckedOut signed_out = SampleCheckout();
  signed_out.devices.resize(1);
  signed_out.signature_sha256 = std::string(64, 'a');
  CheckPinned(signed_out, R"({"devices":[{"asset_tag":"DEMO-00007","gtin":"00614141000012","serial":"C45-0007"}],)"
                          R"("due_date":"2026-12-08","purpose":"Customer demo","rep":"BDG-20024","signature_sha256":")" +
                              std::string(64, 'a') + R"("})");

  DeviceCheckedIn in;
  in.by = "BDG-10017";
  in.condition = "damaged: cracked \"glass\"";
  in.state_after = "repair";
  in.devices = {{"DEMO-00007", "00614141000012", "C45-0007", "BDG-20024", "2026-12-08"}};
  CheckPinned(in, R"({"by":"BDG-10017","condition":"damaged: cracked \"glass\"","devices":[{"asset_tag":"DEMO-00007",)"
                  R"("from":"BDG-20024","gtin":"00614141000012","serial":"C45-0007","was_due":"2026-12-08"}],)"
                  R"("state_after":"repair"})");

  DeviceAudited audit;
  audit.by = "BDG-10017";
  audit.devices = {{"DEMO-00001", "00614141000012", "C45-0001", "available"}};
  CheckPinned(audit, R"({"by":"BDG-10017","devices":[{"asset_tag":"DEMO-00001","gtin":"00614141000012",)"
                     R"("recorded_state":"available","serial":"C45-0001"}]})");
  DeviceAudited empty_audit;
  empty_audit.by = "BDG-10017";
  CheckPinned(empty_audit, R"({"by":"BDG-10017","devices":[]})");

  CheckPinned(DemoOrdered{"P-FI-0001", "6299000000001", "00614141000012", "Colour MFP C4500", 2, "gold"},
              R"({"card":"6299000000001","gtin":"00614141000012","model":"Colour MFP C4500","partner_id":"P-FI-0001",)"
              R"("qty":2,"tier":"gold"})");

  // Non-ASCII text stays UTF-8, as nlohmann writes it.
  CheckPinned(LoyaltyRedeemed{"P-FI-0001", "6299000000001", "R-001", "Kahvikuppi \xc3\xa4", 3, 1500, 4500, 24500},
              "{\"available_before\":24500,\"card\":\"6299000000001\",\"partner_id\":\"P-FI-0001\",\"points\":4500,"
              "\"points_each\":1500,\"qty\":3,\"reward\":\"Kahvikuppi \xc3\xa4\",\"reward_id\":\"R-001\"}");

  CheckPinned(SelloutReported{"P-FI-0001", "6299000000001", {{"00614141000043", "X1"}, {"00614141000050", "X2"}}},
              R"({"card":"6299000000001","partner_id":"P-FI-0001","units":[{"gtin":"00614141000043","serial":"X1"},)"
              R"({"gtin":"00614141000050","serial":"X2"}]})");

  CheckPinned(DealRegistered{"P-FI-0001", "6299000000001", "Acme Oy", "C4500 fleet", 1250000, "2027-01-31"},
              R"({"card":"6299000000001","close_date":"2027-01-31","customer":"Acme Oy","partner_id":"P-FI-0001",)"
              R"("product":"C4500 fleet","value_eur_cents":1250000})");

  CheckPinned(AdminPinFailed{"BDG-90001", 2}, R"({"badge":"BDG-90001","failures":2})");
  CheckPinned(AdminLockedOut{"BDG-90001", 5}, R"({"badge":"BDG-90001","failures":5})");

  // reference.loaded counted its lists with size(): unsigned, written the same as signed.
  json old_ref{{"version", 7}, {"full", true}, {"partners", size_t{12}}, {"devices", size_t{340}}, {"rewards", size_t{0}}};
  CHECK(ReferenceLoaded{7, true, 12, 340, 0}.Dump() == old_ref.dump());
  CheckPinned(ReferenceLoaded{7, true, 12, 340, 0},
              R"({"devices":340,"full":true,"partners":12,"rewards":0,"version":7})");
  CheckPinned(ReferenceLoaded{8, false, 0, 1, 0}, R"({"devices":1,"full":false,"partners":0,"rewards":0,"version":8})");

  CheckPinned(JournalPruned{1200, std::string(64, 'f'), 1199, 90},
              R"({"events":1199,"head_hash":")" + std::string(64, 'f') + R"(","keep_days":90,"through_seq":1200})");

  CheckPinned(KioskInitialized{"KIOSK-HEL-01", "kiosk 0.1.0"},
              R"({"kiosk_id":"KIOSK-HEL-01","software":"kiosk 0.1.0"})");

  StocktakeFinished st;
  st.by = "BDG-10017";
  st.scope = "Showroom A, bay 3";
  st.started_at = "2026-12-05T01:00:00Z";
  st.expected = 3;
  st.found = {"DEMO-00007"};
  st.missing = {"DEMO-00015"};
  st.misplaced = {{"DEMO-00004", std::nullopt, "Showroom A, bay 2", std::nullopt}};
  st.unexpected = {{"DEMO-00008", "BDG-20016", std::nullopt, "checked_out"}};
  CheckPinned(st, R"({"by":"BDG-10017","expected":3,"found":["DEMO-00007"],"misplaced":[{"asset_tag":"DEMO-00004",)"
                  R"("location":"Showroom A, bay 2"}],"missing":["DEMO-00015"],"scope":"Showroom A, bay 3",)"
                  R"("started_at":"2026-12-05T01:00:00Z","unexpected":[{"asset_tag":"DEMO-00008","custodian":"BDG-20016",)"
                  R"("state":"checked_out"}]})");
  CheckPinned(StocktakeFinished{"BDG-10017", "", "", 0, {}, {}, {}, {}},
              R"({"by":"BDG-10017","expected":0,"found":[],"misplaced":[],"missing":[],"scope":"","started_at":"",)"
              R"("unexpected":[]})");

  // Every type named once, and each name is what the central's rules and the history look for.
  CHECK(std::size(kAllTypes) == 13);
  CHECK(StocktakeFinished::kType == "stocktake.finished");
  CHECK(DeviceCheckedOut::kType == "device.checked_out");
  CHECK(SelloutReported::kType == "sellout.reported");
  CHECK(JournalPruned::kType == "journal.pruned");
}

TEST_CASE("events: payloads in another shape read the same through the tree, with defaults for optional members") {
  // Reordered, with whitespace and an escape: not the lean reader's shape, read by the tree.
  const std::string loose =
      " { \"rep\" : \"BDG-20024\", \"devices\": [ {\"serial\":\"C45-0007\",\"asset_tag\":\"DEMO-00007\","
      "\"gtin\":\"00614141000012\"}, {\"gtin\":\"00614141000029\",\"asset_tag\":\"DEMO-0000\\u0038\","
      "\"serial\":\"TR-0008\"} ], \"purpose\":\"Customer demo\", \"due_date\":\"2026-12-08\", \"extra\": [1, 2.5, null] }\n";
  CHECK(!DeviceCheckedOut::ReadLean(loose));
  auto r = DeviceCheckedOut::FromJson(loose);
  REQUIRE(r.ok());
  CHECK(*r == SampleCheckout());

  // The central's tests and hand-made batches leave optional members out.
  auto minimal = DeviceCheckedOut::FromJson(R"({"devices":[{"asset_tag":"DEMO-00007"}],"due_date":"2026-12-08","rep":"B"})");
  REQUIRE(minimal.ok());
  CHECK(minimal->purpose.empty());
  CHECK(!minimal->signature_sha256);
  CHECK(minimal->devices.at(0).gtin.empty());
  CHECK(DeviceCheckedOut::ReadLean(R"({"devices":[{"asset_tag":"DEMO-00007"}],"due_date":"2026-12-08","rep":"B"})"));

  auto redeemed = LoyaltyRedeemed::FromJson(R"({"partner_id":"P-FI-0001","reward_id":"R-001","points":20000})");
  REQUIRE(redeemed.ok());
  CHECK(redeemed->points == 20000);
  CHECK(redeemed->card.empty());

  // A sell-out's units: missing or not a list reads as none (as the central always has).
  for (const char* p : {R"({"units":{"gtin":"0001","serial":"S1"}})", R"({"units":"none"})", R"({})"}) {
    auto s = SelloutReported::FromJson(p);
    REQUIRE(s.ok());
    CHECK(s->units.empty());
    CHECK(s->partner_id.empty());
  }
  // A repeated member: the last one counts, as in the tree.
  auto twice = SelloutReported::FromJson(R"({"units":[{"gtin":"1","serial":"A"}],"units":[{"gtin":"1","serial":"B"}]})");
  REQUIRE(twice.ok());
  REQUIRE(twice->units.size() == 1);
  CHECK(twice->units[0].serial == "B");
}

TEST_CASE("events: malformed payloads give a clear error naming the member") {
  struct Row {
    std::string (*read)(std::string_view);
    std::string payload;
    std::string message;  // FromJson's error message
  };
  const std::string nul_raw = std::string(R"({"kiosk_id":"K)") + '\0' + R"(","software":"kiosk 1"})";
  const std::vector<Row> rows = {
      {ErrorOf<DeviceCheckedOut>, R"({"devices":[],"due_date":"2026-12-08"})",
       "The device.checked_out payload's rep is missing."},
      {ErrorOf<DeviceCheckedOut>, R"({"devices":[{"gtin":"1"}],"due_date":"2026-12-08","rep":"B"})",
       "The device.checked_out payload's devices[0].asset_tag is missing."},
      {ErrorOf<DeviceCheckedOut>, R"({"devices":[{"asset_tag":"A"},7],"due_date":"2026-12-08","rep":"B"})",
       "The device.checked_out payload's devices[1] must be an object, not a number."},
      {ErrorOf<DeviceCheckedOut>, R"({"devices":{},"due_date":"2026-12-08","rep":"B"})",
       "The device.checked_out payload's devices must be a list, not an object."},
      {ErrorOf<DeviceCheckedIn>, R"({"by":"B","condition":"ok","devices":[],"state_after":null})",
       "The device.checked_in payload's state_after must be a string, not null."},
      {ErrorOf<DeviceAudited>, R"({"by":["B"],"devices":[]})",
       "The device.audited payload's by must be a string, not a list."},
      {ErrorOf<StocktakeFinished>, R"({"by":"B","expected":1,"found":["DEMO-1",7],"misplaced":[],"missing":[],"scope":""})",
       "The stocktake.finished payload's found[1] must be a string, not a number."},
      {ErrorOf<StocktakeFinished>, R"({"by":"B","expected":1,"found":[],"misplaced":[],"missing":"DEMO-1","scope":"","unexpected":[]})",
       "The stocktake.finished payload's missing must be a list, not a string."},
      {ErrorOf<StocktakeFinished>, R"({"by":"B","expected":1,"found":[],"misplaced":[{"location":"X"}],"missing":[],"scope":"","unexpected":[]})",
       "The stocktake.finished payload's misplaced[0].asset_tag is missing."},
      {ErrorOf<StocktakeFinished>, R"({"by":"B","found":[],"misplaced":[],"missing":[],"scope":"","unexpected":[]})",
       "The stocktake.finished payload's expected is missing."},
      {ErrorOf<DemoOrdered>, R"({"gtin":"0001","partner_id":"P","qty":"2"})",
       "The demo.ordered payload's qty must be a whole number, not a string."},
      {ErrorOf<DemoOrdered>, R"({"gtin":"0001","partner_id":"P","qty":2.5})",
       "The demo.ordered payload's qty must be a whole number in range, not 2.5."},
      // Huge numbers: past int64 but within uint64, past uint64 (a double to nlohmann), past a double.
      {ErrorOf<LoyaltyRedeemed>, R"({"partner_id":"P","points":9223372036854775808,"reward_id":"R"})",
       "The loyalty.redeemed payload's points is too large (9223372036854775808)."},
      {ErrorOf<LoyaltyRedeemed>, R"({"partner_id":"P","points":123456789012345678901234,"reward_id":"R"})",
       "The loyalty.redeemed payload's points must be a whole number in range, not 1.2345678901234569e+23."},
      {ErrorOf<LoyaltyRedeemed>, R"({"partner_id":"P","points":1e400,"reward_id":"R"})",
       "The loyalty.redeemed payload is not valid JSON."},
      {ErrorOf<LoyaltyRedeemed>, R"({"partner_id":"P","points":true,"reward_id":"R"})",
       "The loyalty.redeemed payload's points must be a whole number, not true or false."},
      {ErrorOf<SelloutReported>, R"({"partner_id":"P","units":[{"gtin":5,"serial":"S"}]})",
       "The sellout.reported payload's units[0].gtin must be a string, not a number."},
      {ErrorOf<SelloutReported>, R"({"units":[{"gtin":"1","serial":"S"},{"gtin":"2"}]})",
       "The sellout.reported payload's units[1].serial is missing."},
      {ErrorOf<SelloutReported>, R"({"units":[1]})",
       "The sellout.reported payload's units[0] must be an object, not a number."},
      {ErrorOf<SelloutReported>, R"({"partner_id":7,"units":[]})",
       "The sellout.reported payload's partner_id must be a string, not a number."},
      {ErrorOf<SelloutReported>, R"([{"partner_id":"P"}])", "The sellout.reported payload is not a JSON object."},
      {ErrorOf<SelloutReported>, R"({"units":[]} trailing)", "The sellout.reported payload is not valid JSON."},
      {ErrorOf<DealRegistered>, R"({"customer":"C","partner_id":"P","product":"X","value_eur_cents":-1.5})",
       "The deal.registered payload's value_eur_cents must be a whole number in range, not -1.5."},
      {ErrorOf<AdminPinFailed>, R"({"badge":"B"})", "The admin.pin_failed payload's failures is missing."},
      {ErrorOf<AdminLockedOut>, R"("just a string")", "The admin.locked_out payload is not a JSON object."},
      {ErrorOf<ReferenceLoaded>, R"({"devices":1,"full":"yes","partners":0,"rewards":0,"version":2})",
       "The reference.loaded payload's full must be true or false, not a string."},
      {ErrorOf<JournalPruned>, "", "The journal.pruned payload is not valid JSON."},
      // NUL: escaped (nlohmann decodes it) and raw (not JSON at all).
      {ErrorOf<KioskInitialized>, R"({"kiosk_id":"K\u0000X","software":"kiosk 1"})",
       "The kiosk.initialized payload's kiosk_id holds a NUL character."},
      {ErrorOf<KioskInitialized>, nul_raw, "The kiosk.initialized payload is not valid JSON."},
  };
  for (const Row& row : rows) {
    CAPTURE(row.payload);
    CHECK(row.read(row.payload) == row.message);
  }
  // The central words a text that is not an object its own way: the variant says which it is.
  CHECK(SelloutReported::FromJson("[]").error().variant == "not_object");
  CHECK(SelloutReported::FromJson(R"({"units":[1]})").error().variant.empty());
}

TEST_CASE("events: the lean reader and the tree agree on thousands of edited payloads") {
  std::mt19937 rng(20261204);
  const std::string alphabet = "{}[]\",:\\ -+.0123456789eEtrufalsn\tu\xc3\xa9\x01xyz_";
  int lean_read = 0, total = 0;
  auto fuzz = [&](auto reader_tag, const std::string& base) {
    using T = decltype(reader_tag);
    CHECK(Agree<T>(base));
    for (int i = 0; i < 1500; ++i) {
      std::string p = base;
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
      CAPTURE(p);
      CHECK(Agree<T>(p));
      lean_read += T::ReadLean(p).has_value();
      ++total;
    }
  };
  fuzz(DeviceCheckedOut{}, SampleCheckout().Dump());
  fuzz(DeviceCheckedIn{}, DeviceCheckedIn{"B", "ok", "available", {{"DEMO-1", "0001", "S1", "BDG-2", "2026-12-01"}}}.Dump());
  fuzz(DeviceAudited{}, DeviceAudited{"B", {{"DEMO-1", "0001", "S1", "checked_out"}}}.Dump());
  fuzz(DemoOrdered{}, DemoOrdered{"P-FI-0001", "6299000000001", "00614141000012", "C4500", 2, "gold"}.Dump());
  fuzz(LoyaltyRedeemed{}, LoyaltyRedeemed{"P-FI-0001", "6299", "R-001", "Mug", 3, -15, 45, 0}.Dump());
  fuzz(SelloutReported{}, SelloutReported{"P-FI-0001", "6299", {{"0001", "X1"}, {"0002", "X2"}}}.Dump());
  fuzz(DealRegistered{}, DealRegistered{"P-FI-0001", "6299", "Acme", "C4500", 100, "2027-01-31"}.Dump());
  fuzz(AdminPinFailed{}, AdminPinFailed{"BDG-1", 3}.Dump());
  fuzz(AdminLockedOut{}, AdminLockedOut{"BDG-1", 5}.Dump());
  fuzz(ReferenceLoaded{}, ReferenceLoaded{7, true, 12, 340, 0}.Dump());
  fuzz(JournalPruned{}, JournalPruned{1200, "ab", 1199, 90}.Dump());
  fuzz(KioskInitialized{}, KioskInitialized{"KIOSK-1", "kiosk 0.1.0"}.Dump());
  fuzz(StocktakeFinished{}, StocktakeFinished{"B", "Showroom A", "2026-12-05T01:00:00Z", 3, {"DEMO-1", "DEMO-2"}, {"DEMO-3"},
                                              {{"DEMO-4", std::nullopt, "Showroom B", std::nullopt}},
                                              {{"DEMO-5", "BDG-2", std::nullopt, "checked_out"}}}
                                .Dump());
  // Most edits break the exact shape (the tree then answers), but some still read the lean way.
  CHECK(lean_read > total / 20);
  CHECK(lean_read < total);
}

TEST_CASE("events: IsObject answers as nlohmann's tree does, plain or not") {
  const std::vector<std::string> payloads = {
      R"({"devices":[]})", R"( {"a":"\u00e9"} )", "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\xc3\"}", R"([{"a":1}])",
      R"("just a string")", "", "{", R"({"a":1} x)", R"({"a":1e400})", R"({"a":[1,2.5e3,-0.1,true,false,null]})",
      std::string(70, '[') + std::string(70, ']'), "{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}",
  };
  for (const std::string& p : payloads) {
    CAPTURE(p);
    CHECK(IsObject(p) == json::parse(p, nullptr, false).is_object());
  }
  CHECK(IsObject(R"({"devices":[]})"));
  CHECK(!IsObject(R"([{"a":1}])"));
}
