// Sync protocol: files for the USB stick. A batch file (signed with the journal key like a
// request), the central's receipt for it, and the central's reference file for a kiosk synced only
// by stick (both signed with the central's Ed25519 key).
#include <map>

#include "kiosk/sync/protocol.hpp"
#include "kiosk/sync/protocol_internal.hpp"

namespace kiosk::sync {

using nlohmann::json;
using detail::TextOr;

// ---- Files ----------------------------------------------------------------------------------

std::string MakeBatchFile(const JournalKey& key, const std::string& kiosk_id, int64_t time_ms, const std::string& body) {
  SignedHeaders h = SignRequest(key, "FILE", "batch", kiosk_id, time_ms, body, "ske-file1");
  json header{{"kiosk_id", h.kiosk_id}, {"time_ms", h.time_ms}, {"nonce", h.nonce}, {"signature", h.signature}};
  return std::string(kBatchFileMagic) + "\n" + header.dump() + "\n" + body;
}

Result<BatchFile> SplitBatchFile(std::string_view text) {
  auto bad = [](std::string m) { return MakeError(ErrorKind::Usage, "file.malformed", m, {{"detail", m}}); };
  const size_t l1 = text.find('\n');
  if (l1 == std::string_view::npos || text.substr(0, l1) != kBatchFileMagic)
    return bad("not a Showroom Kiosk batch file (first line is not \"" + std::string(kBatchFileMagic) + "\")");
  const size_t l2 = text.find('\n', l1 + 1);
  if (l2 == std::string_view::npos) return bad("the batch file ends after its first line");
  json h = json::parse(text.substr(l1 + 1, l2 - l1 - 1), nullptr, false);
  if (h.is_discarded() || !h.is_object() || !h.contains("time_ms") || !h["time_ms"].is_number_integer())
    return bad("the batch file's signed header (line 2) is malformed");
  BatchFile f;
  f.headers.kiosk_id = TextOr(h, "kiosk_id");
  f.headers.time_ms = h["time_ms"].get<int64_t>();
  f.headers.nonce = TextOr(h, "nonce");
  f.headers.signature = TextOr(h, "signature");
  f.body = std::string(text.substr(l2 + 1));
  return f;
}

std::string MakeReceipt(const SigningKey& key, const json& body) {
  const std::string text = body.dump();
  return std::string(kReceiptMagic) + "\n" + json{{"signature", Sign(key, text)}}.dump() + "\n" + text;
}

Result<json> OpenReceipt(std::string_view text, std::string_view central_public_hex) {
  auto bad = [](std::string m) { return MakeError(ErrorKind::Usage, "receipt.malformed", m, {{"detail", m}}); };
  const size_t l1 = text.find('\n');
  if (l1 == std::string_view::npos || text.substr(0, l1) != kReceiptMagic)
    return bad("not a Showroom Kiosk receipt (first line is not \"" + std::string(kReceiptMagic) + "\")");
  const size_t l2 = text.find('\n', l1 + 1);
  if (l2 == std::string_view::npos) return bad("the receipt ends after its first line");
  json h = json::parse(text.substr(l1 + 1, l2 - l1 - 1), nullptr, false);
  if (h.is_discarded() || !h.is_object()) return bad("the receipt's signature line is malformed");
  std::string_view body = text.substr(l2 + 1);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (!VerifySigned(central_public_hex, body, TextOr(h, "signature")))
    return MakeError(ErrorKind::Integrity, "receipt.bad_signature",
                     "The receipt is not signed by the central this kiosk is enrolled with, or it was altered. "
                     "Nothing was applied.");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("the receipt body is not a JSON object");
  return j;
}

Result<BatchResponse> ReadReceiptBody(const json& j) {
  auto bad = [](const std::string& what) {
    return MakeError(ErrorKind::Usage, "receipt.malformed", "The receipt is malformed: " + what + ". Nothing was applied.",
                     {{"detail", what}});
  };
  if (!j.is_object()) return bad("the body is not a JSON object");
  BatchResponse r;
  if (auto it = j.find("acked_through"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return bad("acked_through is not a seq");
    r.acked_through = it->get<int64_t>();
  }
  if (auto it = j.find("head_hash"); it != j.end()) {
    if (!it->is_string()) return bad("head_hash is not text");
    r.head_hash = it->get<std::string>();
  }
  if (auto it = j.find("anchor"); it != j.end()) {
    auto a = AnchorFromJson(*it);
    if (!a.ok()) return a.error();
    r.anchor = *a;
  }
  if (auto it = j.find("verdicts"); it != j.end() && it->is_array()) {
    std::map<int64_t, Verdict> by_seq;
    for (const json& v : *it) {
      if (auto parsed = VerdictFromJson(v); parsed.ok()) by_seq[parsed->seq] = std::move(*parsed);
    }
    for (auto& [seq, v] : by_seq) r.verdicts.push_back(std::move(v));
  }
  return r;
}

// ---- Reference files ---------------------------------------------------------------------------

namespace {

std::string ReferenceSigningString(std::string_view head_line) { return "ske-reffile1\n" + std::string(head_line); }

}  // namespace

std::string MakeReferenceFileHead(const SigningKey& key, json head, std::string_view body_sha256, uint64_t body_bytes) {
  head["body_sha256"] = std::string(body_sha256);
  head["body_bytes"] = body_bytes;
  const std::string line = head.dump();  // compact: no newline inside
  return std::string(kReferenceFileMagic) + "\n" + json{{"signature", Sign(key, ReferenceSigningString(line))}}.dump() +
         "\n" + line + "\n";
}

Result<json> OpenReferenceFileHead(std::string_view text, std::string_view central_public_hex) {
  auto bad = [](std::string m) {
    return MakeError(ErrorKind::Usage, "reference_file.malformed",
                     "This is not a reference file the kiosk can read: " + m + ". Nothing was applied.", {{"detail", m}});
  };
  const size_t l1 = text.find('\n');
  if (l1 == std::string_view::npos || text.substr(0, l1) != kReferenceFileMagic)
    return bad("the first line is not \"" + std::string(kReferenceFileMagic) + "\"");
  const size_t l2 = text.find('\n', l1 + 1);
  const size_t l3 = l2 == std::string_view::npos ? l2 : text.find('\n', l2 + 1);
  if (l3 == std::string_view::npos) return bad("it ends before its third line");
  if (l3 + 1 != text.size()) return bad("its head is followed by more than the body");
  json sig = json::parse(text.substr(l1 + 1, l2 - l1 - 1), nullptr, false);
  if (sig.is_discarded() || !sig.is_object()) return bad("the signature line is not JSON");
  const std::string_view line = text.substr(l2 + 1, l3 - l2 - 1);
  if (!VerifySigned(central_public_hex, ReferenceSigningString(line), TextOr(sig, "signature")))
    return MakeError(ErrorKind::Integrity, "reference_file.bad_signature",
                     "The reference file is not signed by the central this kiosk is enrolled with, or it was altered. "
                     "Nothing was applied.");
  json head = json::parse(line, nullptr, false);
  if (head.is_discarded() || !head.is_object()) return bad("the head is not a JSON object");
  for (const char* field : {"version", "body_bytes"})
    if (!head.contains(field) || !head[field].is_number_integer() || head[field].get<int64_t>() < 0)
      return bad(std::string("the head has no ") + field);
  if (!head.contains("kiosk_id") || !head["kiosk_id"].is_string() || !head.contains("body_sha256") ||
      !head["body_sha256"].is_string())
    return bad("the head has no kiosk_id or body_sha256");
  return head;
}

Status CheckReferenceFileBody(const json& head, std::string_view body_sha256, uint64_t body_bytes) {
  const uint64_t want = head.value("body_bytes", uint64_t{0});
  if (body_bytes != want || !crypto::ConstantTimeEqual(body_sha256, head.value("body_sha256", "")))
    return MakeError(ErrorKind::Integrity, "reference_file.altered",
                     "The reference data in the file is not what the central signed (" +
                         (body_bytes != want ? std::to_string(body_bytes) + " bytes instead of " + std::to_string(want) +
                                                   ": cut short or added to"
                                             : std::string("altered")) +
                         "). Nothing was applied; export it again at the central.",
                     {{"detail", body_bytes != want ? "size" : "content"}});
  return {};
}

Result<json> OpenReferenceFile(std::string_view text, std::string_view central_public_hex) {
  size_t end = 0;
  for (int i = 0; i < 3 && end != std::string_view::npos; ++i) {
    end = text.find('\n', end);
    if (end != std::string_view::npos) ++end;
  }
  const size_t head_end = end == std::string_view::npos ? text.size() : end;
  auto head = OpenReferenceFileHead(text.substr(0, head_end), central_public_hex);
  if (!head.ok()) return head.error();
  const std::string_view body = text.substr(head_end);
  KIOSK_TRY(CheckReferenceFileBody(*head, crypto::Sha256Hex(body), body.size()));
  return head;
}

}  // namespace kiosk::sync
