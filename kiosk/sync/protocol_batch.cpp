// Sync protocol: batches of events, the central's verdicts and its answer to a batch. Each has a
// hand-written writer and a lean reader for the exact bytes this code writes, with nlohmann as
// the judge of anything else.
#include <cstring>
#include <optional>
#include <utility>

#include "kiosk/core/lean_json.hpp"
#include "kiosk/sync/protocol.hpp"
#include "kiosk/sync/protocol_internal.hpp"

namespace kiosk::sync {

using nlohmann::json;
using detail::TextOr;

namespace {

Error Malformed(std::string message) {
  return MakeError(ErrorKind::Usage, "batch.malformed", message, {{"detail", message}});
}

// JSON's two-character escapes, as (character, letter after the backslash), for writing; the
// readers decode them in lean_json::Unescape.
constexpr std::pair<char, char> kEscapes[] = {{'"', '"'}, {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                                              {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'}, {'/', '/'}};

char EscapeLetter(char c) {  // 0: no short escape
  for (const auto& [plain, letter] : kEscapes)
    if (plain == c && c != '/') return letter;
  return 0;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  // Runs of characters that need no escape are appended whole: a batch is ~1 MiB of them.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (const char letter = EscapeLetter(static_cast<char>(c))) {
      out += '\\';
      out += letter;
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void AppendEvent(std::string& out, const Event& e) {
  // Same member order as nlohmann's sorted object so both serialisers agree byte for byte.
  out += "{\"actor\":";
  AppendJsonString(out, e.actor);
  out += ",\"boot_id\":";
  AppendJsonString(out, e.boot_id);
  out += ",\"event_id\":";
  AppendJsonString(out, e.event_id);
  out += ",\"hash\":";
  AppendJsonString(out, e.hash);
  out += ",\"kiosk_id\":";
  AppendJsonString(out, e.kiosk_id);
  out += ",\"mono_ms\":";
  out += std::to_string(e.mono_ms);
  out += ",\"payload\":";
  AppendJsonString(out, e.payload);
  out += ",\"prev_hash\":";
  AppendJsonString(out, e.prev_hash);
  out += ",\"seq\":";
  out += std::to_string(e.seq);
  out += ",\"type\":";
  AppendJsonString(out, e.type);
  out += ",\"wall_time\":";
  AppendJsonString(out, e.wall_time);
  out += '}';
}

// The batch and response readers below use lean_json::Cursor (kiosk/core/lean_json.hpp): the
// exact JSON this code writes (SerializeBatch, SerializeBatchResponse), members in their fixed
// order, decoded straight into the structs. Anything else is "not mine", and nlohmann judges it.
using LeanReader = lean_json::Cursor;

// The event as AppendEvent writes it.
bool LeanEvent(LeanReader& r, Event& e) {
  return r.Lit("{\"actor\":") && r.Str(e.actor) && r.Lit(",\"boot_id\":") && r.Str(e.boot_id) &&
         r.Lit(",\"event_id\":") && r.Str(e.event_id) && r.Lit(",\"hash\":") && r.Str(e.hash) &&
         r.Lit(",\"kiosk_id\":") && r.Str(e.kiosk_id) && r.Lit(",\"mono_ms\":") && r.Int(e.mono_ms) &&
         r.Lit(",\"payload\":") && r.Str(e.payload) && r.Lit(",\"prev_hash\":") && r.Str(e.prev_hash) &&
         r.Lit(",\"seq\":") && r.Int(e.seq) && r.Lit(",\"type\":") && r.Str(e.type) && r.Lit(",\"wall_time\":") &&
         r.Str(e.wall_time) && r.Lit("}");
}

// A batch as SerializeBatch writes it, with every check ParseBatch makes; nullopt: "use nlohmann".
std::optional<Batch> LeanBatch(std::string_view body) {
  LeanReader r(body);
  Batch b;
  if (!(r.Lit("{\"boot_id\":") && r.Str(b.boot_id) && r.Lit(",\"events\":["))) return std::nullopt;
  // ~250 bytes per event at the least: reserve once instead of growing 1 MiB batches by doubling.
  b.events.reserve(body.size() / 250 + 1);
  if (!r.Peek(']')) {
    do {
      Event& e = b.events.emplace_back();
      if (!LeanEvent(r, e)) return std::nullopt;
    } while (r.Lit(","));
  }
  int64_t version = 0;
  if (!(r.Lit("],\"format\":\"showroom-kiosk/batch\",\"format_version\":") && r.Int(version) && version == 1 &&
        r.Lit(",\"from_seq\":") && r.Int(b.from_seq) && r.Lit(",\"kiosk_id\":") && r.Str(b.kiosk_id) &&
        r.Lit(",\"mono_ms\":") && r.Int(b.mono_ms) && r.Lit(",\"prev_hash\":") && r.Str(b.prev_hash) &&
        r.Lit(",\"sent_at\":") && r.Str(b.sent_at) && r.Lit(",\"to_seq\":") && r.Int(b.to_seq) && r.Lit("}") &&
        r.Done()))
    return std::nullopt;
  if (b.from_seq < 1 || b.to_seq < b.from_seq || static_cast<int64_t>(b.events.size()) != b.to_seq - b.from_seq + 1)
    return std::nullopt;
  for (size_t i = 0; i < b.events.size(); ++i)
    if (b.events[i].seq != b.from_seq + static_cast<int64_t>(i)) return std::nullopt;
  return b;
}
}  // namespace

// ---- Batches ------------------------------------------------------------------------------

size_t SerializedEventSize(const Event& e) {
  // Upper bound without escaping costs: fixed names and punctuation + field sizes, with escapes
  // counted for the payload, which is the only field that contains quotes.
  size_t quotes = 0;
  for (char c : e.payload)
    if (c == '"' || c == '\\') ++quotes;
  return 150 + e.actor.size() + e.boot_id.size() + e.event_id.size() + e.hash.size() + e.kiosk_id.size() +
         e.payload.size() + quotes + e.prev_hash.size() + e.type.size() + e.wall_time.size() + 40;
}

Batch MakeBatch(std::string kiosk_id, std::vector<Event> events, const Clock& clock) {
  Batch b;
  b.kiosk_id = std::move(kiosk_id);
  b.from_seq = events.front().seq;
  b.to_seq = events.back().seq;
  b.prev_hash = events.front().prev_hash;
  b.sent_at = FormatUtc(clock.Now());
  b.mono_ms = clock.MonotonicMs();
  b.boot_id = clock.BootId();
  b.events = std::move(events);
  return b;
}

std::string SerializeBatch(const Batch& b) {
  std::string out;
  size_t reserve = 400;
  for (const Event& e : b.events) reserve += SerializedEventSize(e);
  out.reserve(reserve);
  out += "{\"boot_id\":";
  AppendJsonString(out, b.boot_id);
  out += ",\"events\":[";
  for (size_t i = 0; i < b.events.size(); ++i) {
    if (i) out += ',';
    AppendEvent(out, b.events[i]);
  }
  out += "],\"format\":\"showroom-kiosk/batch\",\"format_version\":1,\"from_seq\":";
  out += std::to_string(b.from_seq);
  out += ",\"kiosk_id\":";
  AppendJsonString(out, b.kiosk_id);
  out += ",\"mono_ms\":";
  out += std::to_string(b.mono_ms);
  out += ",\"prev_hash\":";
  AppendJsonString(out, b.prev_hash);
  out += ",\"sent_at\":";
  AppendJsonString(out, b.sent_at);
  out += ",\"to_seq\":";
  out += std::to_string(b.to_seq);
  out += '}';
  return out;
}

Result<Batch> ParseBatch(std::string_view body) {
  if (auto lean = LeanBatch(body)) return std::move(*lean);
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Malformed("the batch is not a JSON object");
  if (TextOr(j, "format") != "showroom-kiosk/batch") return Malformed("/format: expected \"showroom-kiosk/batch\"");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer() || j["format_version"] != 1)
    return Malformed("/format_version: this central reads batch format version 1");
  Batch b;
  auto text = [&](const char* name, std::string& out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return Malformed(std::string("/") + name + ": expected a string");
    out = it->get<std::string>();
    return {};
  };
  auto integer = [&](const char* name, int64_t& out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return Malformed(std::string("/") + name + ": expected an integer");
    out = it->get<int64_t>();
    return {};
  };
  KIOSK_TRY(text("kiosk_id", b.kiosk_id));
  KIOSK_TRY(integer("from_seq", b.from_seq));
  KIOSK_TRY(integer("to_seq", b.to_seq));
  KIOSK_TRY(text("prev_hash", b.prev_hash));
  KIOSK_TRY(text("sent_at", b.sent_at));
  KIOSK_TRY(integer("mono_ms", b.mono_ms));
  KIOSK_TRY(text("boot_id", b.boot_id));
  auto events = j.find("events");
  if (events == j.end() || !events->is_array()) return Malformed("/events: expected a list");
  if (b.from_seq < 1 || b.to_seq < b.from_seq) return Malformed("from_seq/to_seq: not a range of seqs");
  if (static_cast<int64_t>(events->size()) != b.to_seq - b.from_seq + 1)
    return Malformed("/events: " + std::to_string(events->size()) + " events for seqs " + std::to_string(b.from_seq) +
                     ".." + std::to_string(b.to_seq));
  b.events.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    const json& ej = (*events)[i];
    const int64_t expected = b.from_seq + static_cast<int64_t>(i);
    auto e = EventFromJson(ej);
    if (!e.ok()) {
      // Keep the position: the seq and the claimed hash are enough to quarantine it and go on.
      Event stub;
      stub.seq = ej.is_object() && ej.contains("seq") && ej["seq"].is_number_integer() ? ej["seq"].get<int64_t>() : -1;
      if (stub.seq != expected)
        return Malformed("/events/" + std::to_string(i) + ": " + e.error().message + " (and no usable seq)");
      if (ej.contains("hash") && ej["hash"].is_string()) stub.hash = ej["hash"].get<std::string>();
      if (ej.contains("prev_hash") && ej["prev_hash"].is_string()) stub.prev_hash = ej["prev_hash"].get<std::string>();
      if (ej.contains("event_id") && ej["event_id"].is_string()) stub.event_id = ej["event_id"].get<std::string>();
      b.malformed.emplace_back(i, e.error().message);
      b.events.push_back(std::move(stub));
      continue;
    }
    if (e->seq != expected)
      return Malformed("/events/" + std::to_string(i) + "/seq: expected " + std::to_string(expected) + ", found " +
                       std::to_string(e->seq) + " (events must be consecutive)");
    b.events.push_back(std::move(*e));
  }
  return b;
}

// ---- Verdicts -------------------------------------------------------------------------------

const char* ToString(VerdictKind v) {
  switch (v) {
    case VerdictKind::Accepted: return "accepted";
    case VerdictKind::Adjusted: return "adjusted";
    case VerdictKind::Rejected: return "rejected";
  }
  return "accepted";
}

bool IsPlainAccept(const Verdict& v) {
  return v.verdict == VerdictKind::Accepted && v.code.empty() && v.message.empty() && v.detail.empty();
}

std::string DetailText(const Verdict& v) { return v.detail.empty() ? std::string("{}") : v.detail.dump(); }

std::optional<VerdictKind> ParseVerdictKind(std::string_view s) {
  if (s == "accepted") return VerdictKind::Accepted;
  if (s == "adjusted") return VerdictKind::Adjusted;
  if (s == "rejected") return VerdictKind::Rejected;
  return std::nullopt;
}

json ToJson(const Verdict& v) {
  json j{{"seq", v.seq}, {"verdict", ToString(v.verdict)}};
  if (!v.event_id.empty()) j["event_id"] = v.event_id;
  if (!v.code.empty()) j["code"] = v.code;
  if (!v.message.empty()) j["message"] = v.message;
  if (v.detail.is_object() && !v.detail.empty()) j["detail"] = v.detail;
  return j;
}

Result<Verdict> VerdictFromJson(const json& j) {
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer() || !j.contains("verdict") ||
      !j["verdict"].is_string())
    return MakeError(ErrorKind::Usage, "response.malformed", "a verdict needs seq and verdict",
                     {{"detail", "a verdict needs seq and verdict"}});
  Verdict v;
  v.seq = j["seq"].get<int64_t>();
  auto kind = ParseVerdictKind(j["verdict"].get<std::string>());
  if (!kind) return MakeError(ErrorKind::Usage, "response.malformed", "unknown verdict " + j["verdict"].dump(),
                              {{"detail", "unknown verdict " + j["verdict"].dump()}});
  v.verdict = *kind;
  v.event_id = TextOr(j, "event_id");
  v.code = TextOr(j, "code");
  v.message = TextOr(j, "message");
  if (j.contains("detail") && j["detail"].is_object()) v.detail = j["detail"];
  return v;
}

json ToJson(const Anchor& a) {
  return json{{"kiosk_id", a.kiosk_id}, {"seq", a.seq}, {"hash", a.hash}, {"signed_at", a.signed_at},
              {"signature", a.signature}};
}

Result<Anchor> AnchorFromJson(const json& j) {
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer())
    return MakeError(ErrorKind::Usage, "response.malformed", "the anchor is malformed",
                     {{"detail", "the anchor is malformed"}});
  Anchor a;
  a.kiosk_id = TextOr(j, "kiosk_id");
  a.seq = j["seq"].get<int64_t>();
  a.hash = TextOr(j, "hash");
  a.signed_at = TextOr(j, "signed_at");
  a.signature = TextOr(j, "signature");
  return a;
}

std::string SerializeBatchResponse(const BatchResponse& r) {
  // By hand, members in nlohmann's (sorted) order: one answer carries up to 8192 verdicts, and a
  // json tree of them costs more than the central's whole ingest of a plain event.
  std::string out;
  out.reserve(400 + r.verdicts.size() * 80);
  out += "{\"acked_through\":";
  out += std::to_string(r.acked_through);
  out += ",\"anchor\":{\"hash\":";
  AppendJsonString(out, r.anchor.hash);
  out += ",\"kiosk_id\":";
  AppendJsonString(out, r.anchor.kiosk_id);
  out += ",\"seq\":";
  out += std::to_string(r.anchor.seq);
  out += ",\"signature\":";
  AppendJsonString(out, r.anchor.signature);
  out += ",\"signed_at\":";
  AppendJsonString(out, r.anchor.signed_at);
  out += "},\"head_hash\":";
  AppendJsonString(out, r.head_hash);
  out += ",\"server_time_ms\":";
  out += std::to_string(r.server_time_ms);
  out += ",\"verdicts\":[";
  for (size_t i = 0; i < r.verdicts.size(); ++i) {
    const Verdict& v = r.verdicts[i];
    if (i) out += ',';
    out += '{';
    if (!v.code.empty()) {
      out += "\"code\":";
      AppendJsonString(out, v.code);
      out += ',';
    }
    if (v.detail.is_object() && !v.detail.empty()) {
      out += "\"detail\":";
      out += v.detail.dump();
      out += ',';
    }
    if (!v.event_id.empty()) {
      out += "\"event_id\":";
      AppendJsonString(out, v.event_id);
      out += ',';
    }
    if (!v.message.empty()) {
      out += "\"message\":";
      AppendJsonString(out, v.message);
      out += ',';
    }
    out += "\"seq\":";
    out += std::to_string(v.seq);
    out += ",\"verdict\":\"";
    out += ToString(v.verdict);
    out += "\"}";
  }
  out += "]}";
  return out;
}

namespace {

// The answer as SerializeBatchResponse writes it; nullopt: "use nlohmann".
std::optional<BatchResponse> LeanBatchResponse(std::string_view body) {
  LeanReader rd(body);
  BatchResponse r;
  Anchor& a = r.anchor;
  if (!(rd.Lit("{\"acked_through\":") && rd.Int(r.acked_through) && rd.Lit(",\"anchor\":{\"hash\":") &&
        rd.Str(a.hash) && rd.Lit(",\"kiosk_id\":") && rd.Str(a.kiosk_id) && rd.Lit(",\"seq\":") && rd.Int(a.seq) &&
        rd.Lit(",\"signature\":") && rd.Str(a.signature) && rd.Lit(",\"signed_at\":") && rd.Str(a.signed_at) &&
        rd.Lit("},\"head_hash\":") && rd.Str(r.head_hash) && rd.Lit(",\"server_time_ms\":") &&
        rd.Int(r.server_time_ms) && rd.Lit(",\"verdicts\":[")))
    return std::nullopt;
  std::string kind;
  if (!rd.Peek(']')) {
    do {
      Verdict& v = r.verdicts.emplace_back();
      if (!rd.Lit("{")) return std::nullopt;
      if (rd.Lit("\"code\":") && !(rd.Str(v.code) && rd.Lit(","))) return std::nullopt;
      if (rd.Lit("\"detail\":")) {
        std::string_view raw;
        if (!(rd.Raw(raw) && rd.Lit(","))) return std::nullopt;
        v.detail = json::parse(raw, nullptr, false);
        if (!v.detail.is_object()) return std::nullopt;
      }
      if (rd.Lit("\"event_id\":") && !(rd.Str(v.event_id) && rd.Lit(","))) return std::nullopt;
      if (rd.Lit("\"message\":") && !(rd.Str(v.message) && rd.Lit(","))) return std::nullopt;
      if (!(rd.Lit("\"seq\":") && rd.Int(v.seq) && rd.Lit(",\"verdict\":") && rd.Str(kind) && rd.Lit("}")))
        return std::nullopt;
      auto k = ParseVerdictKind(kind);
      if (!k) return std::nullopt;
      v.verdict = *k;
    } while (rd.Lit(","));
  }
  if (!(rd.Lit("]}") && rd.Done())) return std::nullopt;
  return r;
}

}  // namespace

Result<BatchResponse> ParseBatchResponse(std::string_view body) {
  if (auto lean = LeanBatchResponse(body)) return std::move(*lean);
  json j = json::parse(body, nullptr, false);
  auto bad = [](std::string m) { return MakeError(ErrorKind::Network, "response.malformed", "The central's answer is malformed: " + m,
                                                 {{"detail", m}}); };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("acked_through") || !j["acked_through"].is_number_integer()) return bad("no acked_through");
  BatchResponse r;
  r.acked_through = j["acked_through"].get<int64_t>();
  r.head_hash = TextOr(j, "head_hash");
  if (auto t = j.find("server_time_ms"); t != j.end() && t->is_number_integer()) r.server_time_ms = t->get<int64_t>();
  if (j.contains("anchor")) {
    auto a = AnchorFromJson(j["anchor"]);
    if (!a.ok()) return bad(a.error().message);
    r.anchor = *a;
  }
  if (j.contains("verdicts") && j["verdicts"].is_array()) {
    r.verdicts.reserve(j["verdicts"].size());
    for (const json& v : j["verdicts"]) {
      auto parsed = VerdictFromJson(v);
      if (!parsed.ok()) return bad(parsed.error().message);
      r.verdicts.push_back(std::move(*parsed));
    }
  }
  return r;
}

std::string ErrorBody(const Error& e, const json& extra) {
  json err{{"code", e.code}, {"message", e.message}};
  for (auto it = extra.begin(); it != extra.end(); ++it) err[it.key()] = it.value();
  return json{{"error", err}}.dump();
}

}  // namespace kiosk::sync
