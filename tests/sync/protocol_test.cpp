// The wire formats' fast paths: the hand-written batch and answer codecs must read exactly what
// nlohmann reads, and hand everything else (whitespace, \u escapes, bad UTF-8, missing fields) to
// the nlohmann path, which accepts it or names the problem.
#include <doctest/doctest.h>

#include "kiosk/core/crypto.hpp"
#include "kiosk/sync/protocol.hpp"

using nlohmann::json;
namespace ksync = kiosk::sync;

namespace {

ksync::Batch TrickyBatch() {
  kiosk::JournalKey key;
  kiosk::crypto::RandomBytes(key.bytes);
  kiosk::EventHasher hasher(key);
  std::vector<kiosk::Event> events;
  const char* payloads[] = {
      R"({"note":"quote \" backslash \\ slash / tab \t newline \n"})",
      "{\"city\":\"\xC3\x84\xC3\xA4nekoski \xE2\x9C\x93 \xF0\x9F\x98\x80\"}",  // Ä, ä, check mark, emoji
      "{\"raw\":\"control \x01 char\"}",                                      // written as \u0001
      R"({})",
  };
  std::string prev = kiosk::GenesisHash("KIOSK-P");
  int64_t seq = 41;
  for (const char* p : payloads) {
    kiosk::Event e;
    e.seq = seq++;
    e.event_id = "0190c0de-0000-7000-8000-00000000000" + std::to_string(seq % 10);
    e.kiosk_id = "KIOSK-P";
    e.type = "device.audited";
    e.payload = p;
    e.actor = "BDG-10017";
    e.wall_time = "2026-11-24T13:45:01.123Z";
    e.mono_ms = -5 + seq;  // a negative and small numbers too
    e.boot_id = "boot-\xC3\xA4";
    e.prev_hash = prev;
    e.hash = hasher.Hash(e);
    prev = e.hash;
    events.push_back(e);
  }
  ksync::Batch b;
  b.kiosk_id = "KIOSK-P";
  b.from_seq = events.front().seq;
  b.to_seq = events.back().seq;
  b.prev_hash = events.front().prev_hash;
  b.sent_at = "2026-11-24T13:45:02.000Z";
  b.mono_ms = 123456789012;
  b.boot_id = "boot-\xC3\xA4";
  b.events = events;
  return b;
}

void CheckSame(const ksync::Batch& a, const ksync::Batch& b) {
  CHECK(a.kiosk_id == b.kiosk_id);
  CHECK(a.from_seq == b.from_seq);
  CHECK(a.to_seq == b.to_seq);
  CHECK(a.prev_hash == b.prev_hash);
  CHECK(a.sent_at == b.sent_at);
  CHECK(a.mono_ms == b.mono_ms);
  CHECK(a.boot_id == b.boot_id);
  CHECK(a.malformed.empty());
  CHECK(b.malformed.empty());
  REQUIRE(a.events.size() == b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    INFO("event " << i);
    CHECK(kiosk::ToJson(a.events[i]) == kiosk::ToJson(b.events[i]));
  }
}

}  // namespace

TEST_CASE("batch codec: the fast reader and nlohmann read the same events, escapes and UTF-8 included") {
  const ksync::Batch b = TrickyBatch();
  const std::string body = ksync::SerializeBatch(b);
  // The hand-written writer is byte for byte nlohmann's own output.
  CHECK(json::parse(body).dump() == body);
  auto fast = ksync::ParseBatch(body);
  REQUIRE_MESSAGE(fast.ok(), fast.error().message);
  CheckSame(b, *fast);
  // Pretty-printed (whitespace: not the fast reader's) reads the same through nlohmann.
  auto pretty = ksync::ParseBatch(json::parse(body).dump(2));
  REQUIRE_MESSAGE(pretty.ok(), pretty.error().message);
  CheckSame(b, *pretty);
}

TEST_CASE("batch codec: what nlohmann refuses is refused, and a broken event is still quarantined") {
  const std::string body = ksync::SerializeBatch(TrickyBatch());
  SUBCASE("invalid UTF-8 (an overlong '/', a lone continuation byte, a surrogate)") {
    for (const std::string& bad : {std::string("\xC0\xAF"), std::string("\x80"), std::string("\xED\xA0\x80")}) {
      std::string text = body;
      text.replace(text.find("Kiosk") == std::string::npos ? text.find("nekoski") : text.find("Kiosk"), 1, bad);
      auto r = ksync::ParseBatch(text);
      REQUIRE(!r.ok());
      CHECK(r.error().code == "batch.malformed");
    }
  }
  SUBCASE("trailing garbage") {
    auto r = ksync::ParseBatch(body + "x");
    REQUIRE(!r.ok());
    CHECK(r.error().code == "batch.malformed");
  }
  SUBCASE("a number where nlohmann would refuse it (leading zero)") {
    std::string text = body;
    const size_t at = text.find("\"mono_ms\":123456789012");
    REQUIRE(at != std::string::npos);
    text.replace(at, 22, "\"mono_ms\":0123456789012");
    CHECK(!ksync::ParseBatch(text).ok());
  }
  SUBCASE("an event without its actor is quarantined, the others are read") {
    std::string text = body;
    const size_t at = text.find("{\"actor\":\"BDG-10017\",", text.find("\"events\":[") + 11);
    REQUIRE(at != std::string::npos);
    text.erase(at + 1, std::string("\"actor\":\"BDG-10017\",").size());
    auto r = ksync::ParseBatch(text);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    REQUIRE(r->malformed.size() == 1);
    CHECK(r->malformed[0].first == 1);
    CHECK(r->events.size() == 4);
  }
  SUBCASE("seqs that are not consecutive") {
    std::string text = body;
    const size_t at = text.find("\"seq\":43");
    REQUIRE(at != std::string::npos);
    text.replace(at, 8, "\"seq\":47");
    auto r = ksync::ParseBatch(text);
    REQUIRE(!r.ok());
    CHECK(r.error().message.find("consecutive") != std::string::npos);
  }
}

TEST_CASE("answer codec: written by hand as nlohmann would, read back whole, details included") {
  ksync::BatchResponse r;
  r.acked_through = 250;
  r.head_hash = std::string(64, 'a');
  r.server_time_ms = 1795000000000;
  r.anchor = {"KIOSK-P", 250, std::string(64, 'a'), "2026-11-24T13:45:01.123Z", std::string(128, 'b')};
  ksync::Verdict plain;
  plain.seq = 249;
  plain.event_id = "e-249";
  ksync::Verdict adjusted;
  adjusted.seq = 250;
  adjusted.event_id = "e-250";
  adjusted.verdict = ksync::VerdictKind::Adjusted;
  adjusted.code = "loyalty.partly_honoured";
  adjusted.message = "\xC3\x84nne had only 1,000 points \"left\"";
  adjusted.detail = json{{"requested_points", 1500}, {"honoured_points", 1000}, {"list", {"a", "b"}}};
  r.verdicts = {plain, adjusted};
  const std::string text = ksync::SerializeBatchResponse(r);

  json old{{"acked_through", r.acked_through}, {"head_hash", r.head_hash}, {"anchor", ksync::ToJson(r.anchor)},
           {"server_time_ms", r.server_time_ms}, {"verdicts", {ksync::ToJson(plain), ksync::ToJson(adjusted)}}};
  CHECK(text == old.dump());

  for (const std::string& variant : {text, old.dump(2)}) {
    auto back = ksync::ParseBatchResponse(variant);
    REQUIRE_MESSAGE(back.ok(), back.error().message);
    CHECK(back->acked_through == 250);
    CHECK(back->head_hash == r.head_hash);
    CHECK(back->server_time_ms == r.server_time_ms);
    CHECK(ksync::AnchorSigningString(back->anchor) == ksync::AnchorSigningString(r.anchor));
    CHECK(back->anchor.signature == r.anchor.signature);
    REQUIRE(back->verdicts.size() == 2);
    CHECK(ksync::ToJson(back->verdicts[0]) == ksync::ToJson(plain));
    CHECK(ksync::ToJson(back->verdicts[1]) == ksync::ToJson(adjusted));
  }
  CHECK(!ksync::ParseBatchResponse(text.substr(0, text.size() - 1)).ok());
}

namespace {

// A reference file as `kiosk-central export-reference` writes it: signed head, then the body.
std::string SmallReferenceFile(const ksync::SigningKey& central, const std::string& body) {
  json head{{"format", "showroom-kiosk/reference-file-head"}, {"kiosk_id", "KIOSK-R"}, {"version", 7}, {"full", true},
            {"created_at", "2026-12-05T01:00:00.000Z"}, {"acked_through", 12}, {"verdicts_through", 12},
            {"verdicts", json::array({{{"seq", 5}, {"verdict", "rejected"}, {"code", "loyalty.over_cap"}}})}};
  return ksync::MakeReferenceFileHead(central, head, kiosk::crypto::Sha256Hex(body), body.size()) + body;
}

}  // namespace

TEST_CASE("reference file: read back whole, and altering, cutting or adding any byte is refused, as is another central's key") {
  const ksync::SigningKey central = ksync::NewSigningKey();
  const std::string body =
      R"({"format":"showroom-kiosk/reference","format_version":1,"version":7,"full":true,"partners":[{"partner_id":"P-1","name":"Äänekosken Kone"}]})";
  const std::string file = SmallReferenceFile(central, body);
  auto head = ksync::OpenReferenceFile(file, central.public_hex);
  REQUIRE_MESSAGE(head.ok(), head.error().message);
  CHECK((*head)["kiosk_id"] == "KIOSK-R");
  CHECK((*head)["version"] == 7);
  CHECK((*head)["body_bytes"] == body.size());
  CHECK((*head)["verdicts"][0]["code"] == "loyalty.over_cap");

  // Every byte, one at a time: the magic line, the signature, the head, the newlines, the body.
  int accepted = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    std::string altered = file;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    if (ksync::OpenReferenceFile(altered, central.public_hex).ok() && ++accepted <= 3)
      FAIL_CHECK("byte " << i << " ('" << file[i] << "') altered and still accepted");
  }
  CHECK(accepted == 0);
  // Cut short anywhere, or one byte added at the end.
  int cut_accepted = 0;
  for (size_t n = 0; n < file.size(); ++n)
    if (ksync::OpenReferenceFile(file.substr(0, n), central.public_hex).ok()) ++cut_accepted;
  CHECK(cut_accepted == 0);
  CHECK_FALSE(ksync::OpenReferenceFile(file + " ", central.public_hex).ok());
  CHECK_FALSE(ksync::OpenReferenceFile(file + "\n", central.public_hex).ok());

  // Which refusal says what: another central's key, an altered body, not a reference file.
  auto other = ksync::OpenReferenceFile(file, ksync::NewSigningKey().public_hex);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == "reference_file.bad_signature");
  std::string body_altered = file;
  body_altered[body_altered.size() - 5] = 'X';
  auto altered = ksync::OpenReferenceFile(body_altered, central.public_hex);
  REQUIRE_FALSE(altered.ok());
  CHECK(altered.error().code == "reference_file.altered");
  auto receipt = ksync::OpenReferenceFile(ksync::MakeReceipt(central, json{{"kiosk_id", "KIOSK-R"}}), central.public_hex);
  REQUIRE_FALSE(receipt.ok());
  CHECK(receipt.error().code == "reference_file.malformed");
}

