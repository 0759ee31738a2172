#pragma once
// Sync protocol v1 (docs/sync-protocol.md): the wire formats shared by the kiosk's sync client,
// `kiosk export` and kiosk-central. Pure code: no network, no SQLite. Any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiosk/core/anchor.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/journal.hpp"
#include "kiosk/core/result.hpp"

namespace kiosk::sync {

inline constexpr size_t kMaxBatchBytes = 1 << 20;             // a batch body is at most 1 MiB
inline constexpr int64_t kJournalPage = 1000;  // events per GET /v1/journal answer (kiosk recover)
inline constexpr size_t kMaxRequestBytes = 2 * kMaxBatchBytes;  // the central refuses bigger bodies
inline constexpr int64_t kRequestWindowMs = 5 * 60 * 1000;     // signed requests older/newer: refused
inline constexpr int64_t kClockFlagMs = 10 * 60 * 1000;        // device time this far off: flagged

inline constexpr const char* kHeaderKioskId = "X-Kiosk-Id";
inline constexpr const char* kHeaderTime = "X-Kiosk-Time";        // Unix ms, as the kiosk believes it
inline constexpr const char* kHeaderNonce = "X-Kiosk-Nonce";      // 32 hex, never reused
inline constexpr const char* kHeaderSignature = "X-Kiosk-Signature";
inline constexpr const char* kHeaderMono = "X-Kiosk-Mono";        // kiosk's CLOCK_MONOTONIC ms at send
inline constexpr const char* kHeaderBoot = "X-Kiosk-Boot";        // kiosk's boot id at send

// ---- Request signing ----------------------------------------------------------------------
struct SignedHeaders {
  std::string kiosk_id;
  int64_t time_ms = 0;
  std::string nonce;
  std::string signature;  // 64 hex
};

// HMAC-SHA256(kiosk key, "ske-req1\n" METHOD \n PATH \n kiosk_id \n time \n nonce \n sha256hex(body)).
// `domain` separates HTTP requests ("ske-req1") from USB batch files ("ske-file1").
std::string SigningString(std::string_view domain, std::string_view method, std::string_view path,
                          const SignedHeaders& h, std::string_view body);
SignedHeaders SignRequest(const JournalKey& key, std::string_view method, std::string_view path,
                          std::string kiosk_id, int64_t time_ms, std::string_view body,
                          std::string_view domain = "ske-req1");
bool VerifySignature(const JournalKey& key, std::string_view method, std::string_view path, const SignedHeaders& h,
                     std::string_view body, std::string_view domain = "ske-req1");
std::string NewNonce();

// ---- Batches ------------------------------------------------------------------------------
struct Batch {
  std::string kiosk_id;
  int64_t from_seq = 0;
  int64_t to_seq = 0;
  std::string prev_hash;   // the chain head this batch builds on (events[0].prev_hash)
  std::string sent_at;     // kiosk wall clock when the batch was made
  int64_t mono_ms = 0;     // kiosk monotonic clock when the batch was made
  std::string boot_id;
  std::vector<Event> events;
  // Indexes of events whose JSON did not parse as an event, with the reason; the central
  // quarantines them (rejected verdict) instead of refusing the whole batch.
  std::vector<std::pair<size_t, std::string>> malformed;
};

// A batch of consecutive events (non-empty, in seq order) stamped with the kiosk's clocks now:
// the one way the HTTP push and the USB export make batches.
Batch MakeBatch(std::string kiosk_id, std::vector<Event> events, const Clock& clock);

// Serialises; events appear in order. Fast path: hand-written JSON, same output as nlohmann.
std::string SerializeBatch(const Batch& b);
// Structural errors (not JSON, missing fields, seqs not consecutive) are Usage errors with code
// "batch.malformed" and a message naming the problem.
Result<Batch> ParseBatch(std::string_view body);
// Bytes one event adds to a serialised batch (to cut batches at kMaxBatchBytes).
size_t SerializedEventSize(const Event& e);

// ---- Verdicts and acknowledgements ---------------------------------------------------------
enum class VerdictKind { Accepted, Adjusted, Rejected };
const char* ToString(VerdictKind v);
std::optional<VerdictKind> ParseVerdictKind(std::string_view s);

struct Verdict {
  int64_t seq = 0;
  std::string event_id;
  VerdictKind verdict = VerdictKind::Accepted;
  std::string code;     // stable reason code ("" for a plain accept)
  std::string message;  // for a person
  nlohmann::json detail;  // an object with details, or null: none (no allocation per plain verdict)
};
nlohmann::json ToJson(const Verdict& v);
Result<Verdict> VerdictFromJson(const nlohmann::json& j);
// Accepted with nothing to say (no code, message or detail): nearly every verdict. The kiosk keeps
// no row for one, and the central stores it before its rules run.
bool IsPlainAccept(const Verdict& v);
// The detail as a verdict's TEXT column holds it: "{}" when there is none.
std::string DetailText(const Verdict& v);

// The central's signed statement "I hold kiosk K's journal through seq S whose hash is H".
using kiosk::Anchor;  // kiosk/core/anchor.hpp: verify checks the journal against it too
using kiosk::AnchorSigningString;
nlohmann::json ToJson(const Anchor& a);
Result<Anchor> AnchorFromJson(const nlohmann::json& j);

struct BatchResponse {
  int64_t acked_through = 0;
  std::string head_hash;
  std::vector<Verdict> verdicts;  // one per event of the batch that was new or a duplicate
  Anchor anchor;
  int64_t server_time_ms = 0;
};
std::string SerializeBatchResponse(const BatchResponse& r);
Result<BatchResponse> ParseBatchResponse(std::string_view body);

// Error bodies: {"error": {"code": "...", "message": "...", ...extra}}.
std::string ErrorBody(const Error& e, const nlohmann::json& extra = nlohmann::json::object());

// ---- Central signing key (Ed25519) ---------------------------------------------------------
struct SigningKey {
  std::string private_hex;  // 32-byte seed, hex
  std::string public_hex;   // 32-byte public key, hex
};
SigningKey NewSigningKey();
std::string Sign(const SigningKey& key, std::string_view message);  // hex
bool VerifySigned(std::string_view public_hex, std::string_view message, std::string_view signature_hex);

// ---- Enrolment ------------------------------------------------------------------------------
// A one-time code: 20 Crockford base32 characters (100 bits) shown as XXXXX-XXXXX-XXXXX-XXXXX.
std::string NewEnrolCode();
// Uppercases, drops spaces and dashes, maps I/L to 1 and O to 0; empty if not 20 valid characters.
std::string NormalizeEnrolCode(std::string_view code);
// 32 bytes: PBKDF2-HMAC-SHA256(normalised code, "showroom-kiosk/enrol/v1|" + kiosk_id, 100,000).
std::string DeriveEnrolSecret(std::string_view normalized_code, std::string_view kiosk_id);  // hex

struct SealedKey {
  std::string iv;   // 12 bytes, hex
  std::string ct;   // 32 bytes, hex
  std::string tag;  // 16 bytes, hex
};
// AES-256-GCM of the journal key under the enrolment secret, with the kiosk id as associated data.
SealedKey SealJournalKey(std::string_view secret_hex, std::string_view kiosk_id, const JournalKey& key);
Result<JournalKey> OpenJournalKey(std::string_view secret_hex, std::string_view kiosk_id, const SealedKey& sealed);
// Proves to the kiosk that the answer comes from the central that issued the code:
// HMAC(secret, "ske-enrol-confirm|" kiosk_id "|" public_key_hex).
std::string EnrolConfirmation(std::string_view secret_hex, std::string_view kiosk_id, std::string_view public_hex);

// ---- USB batch files and receipts -----------------------------------------------------------
// A batch file: line 1 "showroom-kiosk/batch-file 1", line 2 the signed header as compact JSON,
// then the batch body exactly as it would be POSTed. Signed with the "ske-file1" domain.
inline constexpr const char* kBatchFileMagic = "showroom-kiosk/batch-file 1";
std::string MakeBatchFile(const JournalKey& key, const std::string& kiosk_id, int64_t time_ms,
                          const std::string& body);
struct BatchFile {
  SignedHeaders headers;
  std::string body;
};
Result<BatchFile> SplitBatchFile(std::string_view text);

// A receipt: line 1 "showroom-kiosk/receipt 1", line 2 {"signature": hex Ed25519 over the body},
// then the body: {"kiosk_id", "acked_through", "head_hash", "anchor", "verdicts", "imported_at"}.
inline constexpr const char* kReceiptMagic = "showroom-kiosk/receipt 1";
std::string MakeReceipt(const SigningKey& key, const nlohmann::json& body);
Result<nlohmann::json> OpenReceipt(std::string_view text, std::string_view central_public_hex);
// The acknowledgement a receipt's body carries (kiosk_id is the caller's to check). A field of the
// wrong type is a "receipt.malformed" error, never an exception; an unreadable verdict is skipped;
// a seq listed twice (overlapping files, an older central) counts once.
Result<BatchResponse> ReadReceiptBody(const nlohmann::json& body);

// ---- Reference files (USB stick, central -> kiosk) -------------------------------------------
// What a pull brings, for a kiosk synced only by stick (`kiosk-central export-reference`):
//   line 1  "showroom-kiosk/reference-file 1"
//   line 2  {"signature": hex Ed25519 over "ske-reffile1\n" + line 3}
//   line 3  the head, compact JSON: kiosk_id, created_at (central UTC), version, full, body_bytes,
//           body_sha256, and the acknowledgement a receipt carries (acked_through, head_hash,
//           anchor) with the central's verdicts: "verdicts" lists those that say something, and
//           every other seq up to "verdicts_through" is a plain acceptance
//   then    the body: the reference document of GET /v1/reference (docs/reference-format.md)
//           without its verdicts, byte for byte what the head's size and SHA-256 name.
// The head is signed and names the body's hash, so the kiosk checks a snapshot of any size while
// copying it, without holding it in memory.
inline constexpr const char* kReferenceFileMagic = "showroom-kiosk/reference-file 1";
// Lines 1 to 3, each ending in a newline, for a body of `body_bytes` bytes whose SHA-256 is
// `body_sha256`; those two are set in `head` here.
std::string MakeReferenceFileHead(const SigningKey& key, nlohmann::json head, std::string_view body_sha256,
                                  uint64_t body_bytes);
// Checks lines 1 to 3 (`head_text`, up to and including the third newline) against the central's
// key and returns the head. A file altered anywhere in them is refused.
Result<nlohmann::json> OpenReferenceFileHead(std::string_view head_text, std::string_view central_public_hex);
// The body read is the one the signed head names (size and SHA-256).
Status CheckReferenceFileBody(const nlohmann::json& head, std::string_view body_sha256, uint64_t body_bytes);
// Head and body of a whole file in memory: the head, once both are checked.
Result<nlohmann::json> OpenReferenceFile(std::string_view text, std::string_view central_public_hex);

}  // namespace kiosk::sync
